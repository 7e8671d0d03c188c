/*
 * mnmt-translate: translates stdin to stdout, one line per sentence.
 *
 *   mnmt-translate -m model.gguf [-b BEAM] [-n NBEST] [--truncate] [--info] < in.txt > out.txt
 *
 * With -n N (N > 1) every input line prints N lines "score<TAB>hypothesis", best first.
 * On a terminal, a progress line goes to stderr every 100 lines.
 */
#define _POSIX_C_SOURCE 200809L

#include <mobilenmt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void) {
    fprintf(stderr,
            "usage: mnmt-translate -m MODEL.gguf [-b BEAM] [-n NBEST] [--truncate] [--info]\n"
            "Reads sentences on stdin (one per line), writes translations on stdout.\n");
}

static void print_info(mnmt_translator *t) {
    mnmt_model_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (mnmt_get_model_info(t, &info) != MNMT_OK) return;
    printf("model:      %s (%s -> %s)\n", info.name[0] ? info.name : "(unnamed)",
           info.source_lang[0] ? info.source_lang : "?",
           info.target_lang[0] ? info.target_lang : "?");
    printf("weights:    %s, %lu parameters, %lu bytes\n", info.dtype,
           (unsigned long)info.parameter_count, (unsigned long)info.file_size);
    printf("layers:     %u encoder + %u decoder, d_model %u, heads %u/%u, ffn %u/%u, %s\n",
           info.encoder_layers, info.decoder_layers, info.d_model, info.encoder_heads,
           info.decoder_heads, info.encoder_ffn_dim, info.decoder_ffn_dim, info.activation);
    printf("vocabulary: %u source, %u target%s\n", info.vocab_size, info.decoder_vocab_size,
           info.shared_embeddings ? " (shared)" : "");
    printf("kernels:    %s; mobilenmt %s\n", mnmt_kernel_name(), mnmt_version());
}

static void print_hypothesis(void *user, size_t rank, const char *text, size_t len, float score) {
    (void)user;
    (void)rank;
    printf("%.4f\t%.*s\n", score, (int)len, text);
}

int main(int argc, char **argv) {
    const char *model = NULL;
    mnmt_options opts = mnmt_options_default();
    int info_only = 0, i;
    mnmt_translator *t = NULL;
    mnmt_status s;
    char *line = NULL, *out = NULL;
    size_t line_cap = 0, out_cap = 256, out_len = 0;
    ssize_t n;
    unsigned long count = 0;
    int progress = isatty(STDERR_FILENO);
    int rc = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
            model = argv[++i];
        } else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc) {
            opts.beam_size = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            opts.num_hypotheses = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--truncate") == 0) {
            opts.truncate = 1;
        } else if (strcmp(argv[i], "--info") == 0) {
            info_only = 1;
        } else {
            usage();
            return 2;
        }
    }
    if (model == NULL) {
        usage();
        return 2;
    }
    if (opts.num_hypotheses > opts.beam_size) opts.beam_size = opts.num_hypotheses;

    s = mnmt_load(model, &t);
    if (s != MNMT_OK) {
        fprintf(stderr, "mnmt-translate: %s: %s\n", mnmt_status_string(s), mnmt_last_error());
        return 1;
    }
    if (info_only) {
        print_info(t);
        mnmt_free(t);
        return 0;
    }

    out = (char *)malloc(out_cap);
    while (out != NULL && (n = getline(&line, &line_cap, stdin)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (opts.num_hypotheses > 1) {
            s = mnmt_translate_nbest(t, line, (size_t)n, &opts, print_hypothesis, NULL);
        } else {
            s = mnmt_translate(t, line, (size_t)n, &opts, out, out_cap, &out_len);
            if (s == MNMT_BUFFER_TOO_SMALL) {
                char *bigger = (char *)realloc(out, out_len + 1);
                if (bigger == NULL) break;
                out = bigger;
                out_cap = out_len + 1;
                s = mnmt_translate(t, line, (size_t)n, &opts, out, out_cap, &out_len);
            }
            if (s == MNMT_OK) printf("%s\n", out);
        }
        if (s != MNMT_OK) {
            fprintf(stderr, "mnmt-translate: line %lu: %s: %s\n", count + 1,
                    mnmt_status_string(s), mnmt_last_error());
            printf("\n"); /* keep output lines aligned with input lines */
            rc = 1;
        }
        count++;
        if (progress && count % 100 == 0) {
            fflush(stdout);
            fprintf(stderr, "\r%lu lines translated", count);
        }
    }
    if (progress && count >= 100) fprintf(stderr, "\r%lu lines translated\n", count);
    if (out == NULL) {
        fprintf(stderr, "mnmt-translate: out of memory\n");
        rc = 1;
    }
    free(line);
    free(out);
    mnmt_free(t);
    return rc;
}
