/*
 * mnmt-translate: translates text files (or stdin) to stdout as documents: sentences are found
 * by the library, and line breaks, blank lines and indentation come out as they went in.
 *
 *   mnmt-translate -m model.gguf [-b BEAM] [-n NBEST] [--lines] [--truncate] [--no-shortlist]
 *                  [--no-protect] [--html] [--info] [FILE...]
 *
 * The input is handed over in blocks of whole lines (about 64 KiB), which changes nothing in the
 * result since a line break always ends a sentence, and keeps memory bounded for any file size.
 * --lines translates each line as one sentence (the behaviour before document mode); with -n N
 * (N > 1) every input line prints N lines "score<TAB>hypothesis", best first.
 * When stderr is a terminal and stdout is not, a progress line goes to stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <mobilenmt.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char USAGE[] =
    "usage: mnmt-translate -m MODEL.gguf [-b BEAM] [-n NBEST] [--lines] [--truncate] [--no-shortlist]\n"
    "                      [--no-protect] [--html] [--info] [FILE...]\n"
    "Translates each FILE (stdin when none, or for \"-\") to stdout as a document: sentences\n"
    "are found and translated, line breaks, blank lines and indentation are kept.\n"
    "\n"
    "  -m MODEL.gguf  the model file (required)\n"
    "  -b BEAM        beam size, 1 = greedy (default 1)\n"
    "  --lines        translate each line as one sentence: one output line per input line,\n"
    "                 an empty line for a blank line or where a line failed\n"
    "  -n NBEST       print the NBEST best translations per line as \"score<TAB>text\"\n"
    "                 (implies --lines)\n"
    "  --truncate     with --lines: cut over-long lines instead of failing them\n"
    "  --no-shortlist score the whole vocabulary even if the model has a shortlist\n"
    "  --no-protect   let the model see URLs, e-mail addresses, placeholders ({name}, %s)\n"
    "                 and emoji instead of keeping them verbatim\n"
    "  --html         the input is HTML or XML: tags are kept and put back around the\n"
    "                 translated words; each FILE is one page (with --lines: each line)\n"
    "  --info         print facts about the model and exit\n"
    "  -h, --help     print this help and exit\n";

/* State shared by every input. */
struct run {
    mnmt_translator *t;
    mnmt_options opts;
    char *line, *out;
    size_t line_cap, out_cap;
    unsigned long count; /* lines translated, all inputs together */
    int progress;
    int lines;           /* --lines: one sentence per line */
    char *block;         /* document mode: the lines not yet translated */
    size_t block_len, block_cap, block_lines;
};

/* Document mode hands the library blocks of whole lines of about this size. */
#define BLOCK_BYTES 65536

static int bad_usage(const char *fmt, const char *arg) {
    fprintf(stderr, "mnmt-translate: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'mnmt-translate --help'.\n");
    return 2;
}

/* Parses a whole decimal number in [1, 1000000]; returns 0 when `s` is anything else. */
static uint32_t positive(const char *s) {
    char *end = NULL;
    unsigned long v;
    if (s[0] < '0' || s[0] > '9') return 0;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > 1000000) return 0;
    return (uint32_t)v;
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

static void print_block(void *user, size_t index, const char *text, size_t len) {
    (void)user;
    (void)index;
    fwrite(text, 1, len, stdout);
}

/* Translates `text` (a block of whole lines) as a document and prints it; returns 0, or 1 on
 * failure (then one empty line per line of the block keeps the output aligned). A batch of one
 * text hands the translation over through a callback: with mnmt_translate() a block whose
 * translation outgrew the buffer would be translated a second time. */
static int translate_block(struct run *r, const char *text, size_t len, size_t lines,
                           const char *name) {
    size_t i;
    mnmt_status s = mnmt_translate_batch(r->t, &text, &len, 1, &r->opts, print_block, NULL);
    if (s == MNMT_OK) return 0;
    fprintf(stderr, "%smnmt-translate: %s: %s: %s\n", r->progress ? "\r" : "", name,
            mnmt_status_string((int)s), mnmt_last_error());
    for (i = 0; i < lines; i++) printf("\n");
    return 1;
}

/* Document mode: reads `in` in blocks of whole lines and translates each; returns 0, or 1 when
 * a block failed or memory ran out. */
static int translate_document(struct run *r, FILE *in, const char *name) {
    ssize_t n;
    int rc = 0;
    r->block_len = 0;
    r->block_lines = 0;
    for (;;) {
        n = getline(&r->line, &r->line_cap, in);
        if (n > 0) {
            if (r->block_len + (size_t)n > r->block_cap) {
                size_t cap = 2 * (r->block_len + (size_t)n);
                char *bigger = (char *)realloc(r->block, cap);
                if (bigger == NULL) {
                    fprintf(stderr, "mnmt-translate: out of memory\n");
                    return 1;
                }
                r->block = bigger;
                r->block_cap = cap;
            }
            memcpy(r->block + r->block_len, r->line, (size_t)n);
            r->block_len += (size_t)n;
            r->block_lines++;
        }
        /* A page is translated whole: cut between lines, an element could be split. */
        if (r->block_len > 0 && (n < 0 || (r->block_len >= BLOCK_BYTES && !r->opts.html))) {
            rc |= translate_block(r, r->block, r->block_len, r->block_lines, name);
            r->count += r->block_lines;
            r->block_len = 0;
            r->block_lines = 0;
            if (r->progress) fprintf(stderr, "\r%s: %lu lines in all", name, r->count);
        }
        if (n < 0) break;
    }
    if (ferror(in)) {
        fprintf(stderr, "mnmt-translate: %s: read error: %s\n", name, strerror(errno));
        rc = 1;
    }
    return rc;
}

/* Line mode: translates every line of `in` as one sentence; returns 0, or 1 when a line failed
 * or memory ran out. */
static int translate_lines(struct run *r, FILE *in, const char *name) {
    ssize_t n;
    unsigned long line_no = 0;
    mnmt_status s;
    int rc = 0;

    while ((n = getline(&r->line, &r->line_cap, in)) >= 0) {
        char *line = r->line;
        line_no++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (strspn(line, " \t") == (size_t)n) {
            /* Nothing to translate: a blank line stays blank. */
            printf("\n");
            s = MNMT_OK;
        } else if (r->opts.num_hypotheses > 1) {
            s = mnmt_translate_nbest(r->t, line, (size_t)n, &r->opts, print_hypothesis, NULL);
        } else {
            size_t out_len = 0;
            s = mnmt_translate(r->t, line, (size_t)n, &r->opts, r->out, r->out_cap, &out_len);
            if (s == MNMT_BUFFER_TOO_SMALL) {
                char *bigger = (char *)realloc(r->out, out_len + 1);
                if (bigger == NULL) {
                    fprintf(stderr, "mnmt-translate: out of memory\n");
                    return 1;
                }
                r->out = bigger;
                r->out_cap = out_len + 1;
                s = mnmt_translate(r->t, line, (size_t)n, &r->opts, r->out, r->out_cap, &out_len);
            }
            if (s == MNMT_OK) printf("%s\n", r->out);
        }
        if (s != MNMT_OK) {
            fprintf(stderr, "%smnmt-translate: %s:%lu: %s: %s\n", r->progress ? "\r" : "", name,
                    line_no, mnmt_status_string((int)s), mnmt_last_error());
            printf("\n"); /* keep output lines aligned with input lines */
            rc = 1;
        }
        r->count++;
        if (r->progress && r->count % 10 == 0) {
            fprintf(stderr, "\r%s: %lu lines (%lu in all)", name, line_no, r->count);
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "mnmt-translate: %s: read error: %s\n", name, strerror(errno));
        rc = 1;
    }
    return rc;
}

int main(int argc, char **argv) {
    const char *model = NULL;
    const char **files;
    int n_files = 0, info_only = 0, i, rc = 0;
    struct run r;
    mnmt_status s;

    memset(&r, 0, sizeof r);
    r.opts = mnmt_options_default();
    files = (const char **)calloc((size_t)argc + 1, sizeof *files);
    if (files == NULL) {
        fprintf(stderr, "mnmt-translate: out of memory\n");
        return 1;
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int takes_value = strcmp(a, "-m") == 0 || strcmp(a, "-b") == 0 || strcmp(a, "-n") == 0;
        if (takes_value && i + 1 >= argc) {
            free(files);
            return bad_usage("option %s needs a value", a);
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(USAGE, stdout);
            free(files);
            return 0;
        } else if (strcmp(a, "-m") == 0) {
            model = argv[++i];
        } else if (strcmp(a, "-b") == 0) {
            r.opts.beam_size = positive(argv[++i]);
            if (r.opts.beam_size == 0) {
                free(files);
                return bad_usage("-b needs a whole number of at least 1, got '%s'", argv[i]);
            }
        } else if (strcmp(a, "-n") == 0) {
            r.opts.num_hypotheses = positive(argv[++i]);
            if (r.opts.num_hypotheses == 0) {
                free(files);
                return bad_usage("-n needs a whole number of at least 1, got '%s'", argv[i]);
            }
        } else if (strcmp(a, "--lines") == 0) {
            r.lines = 1;
        } else if (strcmp(a, "--truncate") == 0) {
            r.opts.truncate = 1;
        } else if (strcmp(a, "--no-shortlist") == 0) {
            r.opts.shortlist = 0;
        } else if (strcmp(a, "--no-protect") == 0) {
            r.opts.protect_spans = 0;
        } else if (strcmp(a, "--html") == 0) {
            r.opts.html = 1;
        } else if (strcmp(a, "--info") == 0) {
            info_only = 1;
        } else if (strcmp(a, "--") == 0) {
            while (++i < argc) files[n_files++] = argv[i];
        } else if (a[0] == '-' && a[1] != '\0') {
            free(files);
            return bad_usage("unknown option '%s'", a);
        } else {
            files[n_files++] = a;
        }
    }
    if (model == NULL) {
        free(files);
        return bad_usage("%s", "no model given (-m MODEL.gguf)");
    }
    if (r.opts.num_hypotheses > r.opts.beam_size) r.opts.beam_size = r.opts.num_hypotheses;
    if (r.opts.num_hypotheses > 1) r.lines = 1;
    r.opts.split_sentences = r.lines ? 0 : 1;
    if (n_files == 0) files[n_files++] = "-";

    s = mnmt_load(model, &r.t);
    if (s != MNMT_OK) {
        fprintf(stderr, "mnmt-translate: %s: %s\n", mnmt_status_string((int)s), mnmt_last_error());
        free(files);
        return 1;
    }
    if (info_only) {
        print_info(r.t);
        mnmt_free(r.t);
        free(files);
        return 0;
    }

    /* Progress only where someone watches it and it does not mix with the translations. */
    r.progress = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);
    r.out_cap = 256;
    r.out = (char *)malloc(r.out_cap);
    if (r.out == NULL) {
        fprintf(stderr, "mnmt-translate: out of memory\n");
        rc = 1;
    }
    for (i = 0; r.out != NULL && i < n_files; i++) {
        int from_stdin = strcmp(files[i], "-") == 0;
        const char *name = from_stdin ? "<stdin>" : files[i];
        FILE *in = from_stdin ? stdin : fopen(files[i], "r");
        if (in == NULL) {
            fprintf(stderr, "mnmt-translate: %s: %s\n", name, strerror(errno));
            rc = 1;
            continue;
        }
        rc |= r.lines ? translate_lines(&r, in, name) : translate_document(&r, in, name);
        if (!from_stdin) fclose(in);
    }
    if (r.progress && r.count >= 10) fprintf(stderr, "\r%lu lines translated\n", r.count);
    fflush(stdout);
    free(r.line);
    free(r.block);
    free(r.out);
    free(files);
    mnmt_free(r.t);
    return rc;
}
