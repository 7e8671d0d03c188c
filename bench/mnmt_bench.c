/*
 * mnmt-bench: latency, throughput and peak memory of mobilenmt on one test set.
 *
 *   mnmt-bench -m MODEL.gguf -i SOURCE.txt -o HYPOTHESES.txt -j RESULT.json
 *              [-b BEAM] [--limit N] [--batch N] [--max-len N] [--name LABEL]
 *              [--threads N] [--latency-only | --batch-only]
 *
 * --threads N loads with mnmt_load_options.num_threads = N (default 1: one thread, no worker;
 * 0 = the library picks). CPU times are the process's, so they include the workers'.
 * --latency-only skips the throughput step (3). --batch-only skips the batch-1 step (2): only
 * the throughput is measured, the batch translations are written and nothing is compared.
 *
 * --max-len N caps decoding at N steps whatever the source length (max_length_a 0,
 * max_length_b N): with a model that never chooses </s> (bench/opus_sized.py) every sentence
 * then takes exactly N decoder steps.
 *
 * 1. Loads the model and translates the first sentence once (page faults and workspace set-up
 *    are not part of any sentence's latency, as the Python peers warm up the same way).
 * 2. Batch 1: every sentence through mnmt_translate(), text in, text out, timed one by one with
 *    CLOCK_MONOTONIC; the translations go to HYPOTHESES.txt (these are the ones scored).
 *    --limit N times only the first N sentences but still translates all of them.
 *    ru_maxrss is read here: the peak of translating the whole test set one sentence at a time.
 * 3. Throughput: all sentences through mnmt_translate_batch() in chunks of --batch (default 32);
 *    the results are compared with the batch-1 translations (a mismatch is reported, not fatal).
 * 4. Writes RESULT.json with the raw per-sentence latencies; bench/report.py computes the
 *    statistics so that every engine gets the same median and p90.
 */
#define _POSIX_C_SOURCE 200809L

#include <mobilenmt.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

typedef struct {
    char **text;
    size_t *len;
    size_t n;
} lines_t;

/* Batch results land here so they can be compared with the batch-1 translations. */
typedef struct {
    char **hyp;       /* batch-1 translations, by sentence */
    size_t base;      /* index of the chunk's first sentence */
    size_t mismatches;
    int store;        /* --batch-only: keep the batch translations instead of comparing */
} batch_check_t;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The process's CPU time: on a shared machine wall-clock time also counts other processes. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A "Key:   123 kB" line of /proc/self/status (Linux), or -1: which part of the peak is the
 * mapped model file and which is heap shows there. */
static long proc_status_kb(const char *key) {
    char line[256];
    long v = -1;
    size_t klen = strlen(key);
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static long peak_rss_kb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return ru.ru_maxrss; /* kilobytes on Linux */
}

static void die(const char *what, mnmt_status s) {
    fprintf(stderr, "mnmt-bench: %s: %s: %s\n", what, mnmt_status_string(s), mnmt_last_error());
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "mnmt-bench: out of memory\n");
        exit(1);
    }
    return p;
}

static lines_t read_lines(const char *path) {
    lines_t l = {NULL, NULL, 0};
    size_t cap = 0, buf_cap = 0;
    char *buf = NULL;
    ssize_t n;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    while ((n = getline(&buf, &buf_cap, f)) >= 0) {
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
        if (l.n == cap) {
            cap = cap ? cap * 2 : 1024;
            l.text = (char **)realloc(l.text, cap * sizeof *l.text);
            l.len = (size_t *)realloc(l.len, cap * sizeof *l.len);
            if (l.text == NULL || l.len == NULL) {
                fprintf(stderr, "mnmt-bench: out of memory\n");
                exit(1);
            }
        }
        l.text[l.n] = (char *)xmalloc((size_t)n + 1);
        memcpy(l.text[l.n], buf, (size_t)n + 1);
        l.len[l.n] = (size_t)n;
        l.n++;
    }
    free(buf);
    fclose(f);
    return l;
}

static void on_batch_result(void *user, size_t index, const char *text, size_t len) {
    batch_check_t *c = (batch_check_t *)user;
    const char *want;
    if (c->store) {
        c->hyp[c->base + index] = (char *)xmalloc(len + 1);
        memcpy(c->hyp[c->base + index], text, len);
        c->hyp[c->base + index][len] = '\0';
        return;
    }
    want = c->hyp[c->base + index];
    if (strlen(want) != len || memcmp(want, text, len) != 0) c->mismatches++;
}

/* Translations never hold a newline in practice, but one would break the line alignment. */
static void write_line(FILE *f, const char *s) {
    for (; *s; s++) fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    fputc('\n', f);
}

static void write_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned)(unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void usage(void) {
    fprintf(stderr,
            "usage: mnmt-bench -m MODEL.gguf -i SOURCE.txt -o HYPOTHESES.txt -j RESULT.json\n"
            "                  [-b BEAM] [--limit N] [--batch N] [--max-len N] [--name LABEL]\n"
            "                  [--threads N] [--latency-only | --batch-only]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *model = NULL, *input = NULL, *output = NULL, *json = NULL, *name = "mobilenmt";
    unsigned long limit = 0, batch = 32;
    int latency_only = 0, batch_only = 0;
    char throughput[64], batch_note[128];
    mnmt_options opts = mnmt_options_default();
    mnmt_load_options load_opts = mnmt_load_options_default();
    load_opts.num_threads = 1;
    mnmt_translator *t = NULL;
    mnmt_model_info info;
    mnmt_status s;
    lines_t src;
    char **hyp, *out;
    size_t out_cap = 1024, out_len = 0, i, n_timed;
    double *lat_ms, *cpu_lat_ms, t0, c0, load_ms, batch_ms, batch_cpu_ms, total_ms = 0.0;
    long rss_load_kb, rss_batch1_kb, rss_peak_kb;
    batch_check_t check;
    struct stat st;
    FILE *f;
    int a;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-m") == 0 && a + 1 < argc) {
            model = argv[++a];
        } else if (strcmp(argv[a], "-i") == 0 && a + 1 < argc) {
            input = argv[++a];
        } else if (strcmp(argv[a], "-o") == 0 && a + 1 < argc) {
            output = argv[++a];
        } else if (strcmp(argv[a], "-j") == 0 && a + 1 < argc) {
            json = argv[++a];
        } else if (strcmp(argv[a], "-b") == 0 && a + 1 < argc) {
            opts.beam_size = (uint32_t)strtoul(argv[++a], NULL, 10);
        } else if (strcmp(argv[a], "--limit") == 0 && a + 1 < argc) {
            limit = strtoul(argv[++a], NULL, 10);
        } else if (strcmp(argv[a], "--batch") == 0 && a + 1 < argc) {
            batch = strtoul(argv[++a], NULL, 10);
        } else if (strcmp(argv[a], "--max-len") == 0 && a + 1 < argc) {
            opts.max_length_a = 0.0f;
            opts.max_length_b = (uint32_t)strtoul(argv[++a], NULL, 10);
        } else if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc) {
            load_opts.num_threads = (uint32_t)strtoul(argv[++a], NULL, 10);
        } else if (strcmp(argv[a], "--latency-only") == 0) {
            latency_only = 1;
        } else if (strcmp(argv[a], "--batch-only") == 0) {
            batch_only = 1;
        } else if (strcmp(argv[a], "--name") == 0 && a + 1 < argc) {
            name = argv[++a];
        } else {
            usage();
        }
    }
    if (model == NULL || input == NULL || output == NULL || json == NULL || batch == 0 ||
        (latency_only && batch_only))
        usage();

    src = read_lines(input);
    if (src.n == 0) {
        fprintf(stderr, "mnmt-bench: %s has no lines\n", input);
        return 1;
    }
    n_timed = batch_only ? 0 : limit && limit < src.n ? (size_t)limit : src.n;

    t0 = now_ms();
    s = mnmt_load_ex(model, &load_opts, &t);
    if (s != MNMT_OK) die(model, s);
    load_ms = now_ms() - t0;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    s = mnmt_get_model_info(t, &info);
    if (s != MNMT_OK) die("model info", s);
    rss_load_kb = peak_rss_kb();

    out = (char *)xmalloc(out_cap);
    hyp = (char **)xmalloc(src.n * sizeof *hyp);
    lat_ms = (double *)xmalloc(src.n * sizeof *lat_ms);
    cpu_lat_ms = (double *)xmalloc(src.n * sizeof *cpu_lat_ms);

    /* Warm-up, untimed. */
    s = mnmt_translate(t, src.text[0], src.len[0], &opts, out, out_cap, &out_len);
    if (s != MNMT_OK && s != MNMT_BUFFER_TOO_SMALL) die("warm-up", s);

    for (i = 0; i < (batch_only ? 0 : src.n); i++) {
        c0 = cpu_ms();
        t0 = now_ms();
        s = mnmt_translate(t, src.text[i], src.len[i], &opts, out, out_cap, &out_len);
        if (s == MNMT_BUFFER_TOO_SMALL) {
            /* Growing the buffer is the caller's cost, as it would be in an application. */
            free(out);
            out_cap = out_len + 1;
            out = (char *)xmalloc(out_cap);
            s = mnmt_translate(t, src.text[i], src.len[i], &opts, out, out_cap, &out_len);
        }
        lat_ms[i] = now_ms() - t0;
        cpu_lat_ms[i] = cpu_ms() - c0;
        if (s != MNMT_OK) die("translate", s);
        hyp[i] = (char *)xmalloc(out_len + 1);
        memcpy(hyp[i], out, out_len + 1);
    }
    rss_batch1_kb = peak_rss_kb();

    check.hyp = hyp;
    check.mismatches = 0;
    check.store = batch_only;
    c0 = cpu_ms();
    t0 = now_ms();
    for (i = 0; i < (latency_only ? 0 : src.n); i += batch) {
        size_t n = src.n - i < batch ? src.n - i : batch;
        check.base = i;
        s = mnmt_translate_batch(t, (const char *const *)(src.text + i), src.len + i, n, &opts,
                                 on_batch_result, &check);
        if (s != MNMT_OK) die("translate_batch", s);
    }
    batch_ms = now_ms() - t0;
    batch_cpu_ms = cpu_ms() - c0;
    rss_peak_kb = peak_rss_kb();

    f = fopen(output, "w");
    if (f == NULL) {
        perror(output);
        return 1;
    }
    for (i = 0; i < src.n; i++) write_line(f, hyp[i]);
    fclose(f);

    f = fopen(json, "w");
    if (f == NULL) {
        perror(json);
        return 1;
    }
    /* --latency-only ran no batch: a rate over an empty step would be meaningless, so the JSON
     * says null (the report prints n/a) and the summary says it was skipped. */
    if (latency_only)
        snprintf(throughput, sizeof throughput, "null");
    else
        snprintf(throughput, sizeof throughput, "%.3f", (double)src.n / (batch_ms / 1e3));
    fprintf(f, "{\n  \"engine\": \"mobilenmt\",\n  \"name\": ");
    write_json_string(f, name);
    fprintf(f, ",\n  \"model\": ");
    write_json_string(f, model);
    fprintf(f, ",\n  \"dtype\": ");
    write_json_string(f, info.dtype);
    fprintf(f, ",\n  \"kernels\": ");
    write_json_string(f, mnmt_kernel_name());
    fprintf(f, ",\n  \"version\": ");
    write_json_string(f, mnmt_version());
    fprintf(f,
            ",\n  \"beam\": %u,\n  \"threads\": %u,\n  \"sentences\": %lu,\n"
            "  \"latency_sentences\": %lu,\n  \"model_bytes\": %lld,\n  \"load_ms\": %.3f,\n"
            "  \"batch_size\": %lu,\n  \"batch_seconds\": %.6f,\n  \"batch_cpu_seconds\": %.6f,\n"
            "  \"throughput_sps\": %s,\n  \"batch_mismatches\": %lu,\n"
            "  \"baseline_rss_kb\": 0,\n  \"rss_after_load_kb\": %ld,\n"
            "  \"peak_rss_batch1_kb\": %ld,\n  \"peak_rss_kb\": %ld,\n"
            "  \"rss_file_kb\": %ld,\n  \"rss_anon_kb\": %ld,\n  \"latencies_ms\": [",
            (unsigned)opts.beam_size, (unsigned)load_opts.num_threads, (unsigned long)src.n,
            (unsigned long)n_timed,
            stat(model, &st) == 0 ? (long long)st.st_size : -1LL, load_ms, batch,
            batch_ms / 1e3, batch_cpu_ms / 1e3, throughput,
            (unsigned long)check.mismatches, rss_load_kb, rss_batch1_kb, rss_peak_kb,
            proc_status_kb("RssFile"), proc_status_kb("RssAnon"));
    for (i = 0; i < n_timed; i++) fprintf(f, "%s%.4f", i ? ", " : "", lat_ms[i]);
    fprintf(f, "],\n  \"cpu_latencies_ms\": [");
    for (i = 0; i < n_timed; i++) fprintf(f, "%s%.4f", i ? ", " : "", cpu_lat_ms[i]);
    fprintf(f, "]\n}\n");
    fclose(f);

    for (i = 0; i < n_timed; i++) total_ms += lat_ms[i];
    if (latency_only)
        snprintf(batch_note, sizeof batch_note, "batch-%lu throughput skipped (--latency-only)",
                 batch);
    else
        snprintf(batch_note, sizeof batch_note, "batch-%lu %.1f sent/s, %lu batch mismatches", batch,
                 (double)src.n / (batch_ms / 1e3), (unsigned long)check.mismatches);
    fprintf(stderr,
            "mnmt-bench %s beam %u: %lu sentences, batch-1 timed total %.1f ms, %s, "
            "peak RSS %ld kB (batch 1: %ld kB)\n",
            name, (unsigned)opts.beam_size, (unsigned long)src.n, total_ms, batch_note,
            rss_peak_kb, rss_batch1_kb);

    for (i = 0; i < src.n; i++) {
        free(src.text[i]);
        free(hyp[i]);
    }
    free(src.text);
    free(src.len);
    free(hyp);
    free(lat_ms);
    free(cpu_lat_ms);
    free(out);
    mnmt_free(t);
    return 0;
}
