/*
 * mnmt_load_options: defaults, NULL options, a short struct_size, invalid limits and thread
 * counts (clear MNMT_INVALID_ARGUMENT, out-param untouched), limits enforced at translation,
 * and the same translations (greedy and beam 4) with 1, 2 and 4 threads, loaded from a file and
 * from memory.
 * Usage: test_load_options [MODEL.gguf...]
 */
#include "check.h"

#include <stdlib.h>
#include <string.h>

static const char *SOURCES[] = {
    "A man is riding a bicycle down the street.",
    "Two women in bright red jackets are walking their three small dogs along the beach early in "
    "the morning while a man on a bicycle rides past them.",
    "Hi.",
};
#define NSOURCES (sizeof SOURCES / sizeof SOURCES[0])
#define CAP 4096

static void test_defaults(void) {
    mnmt_load_options d = mnmt_load_options_default();
    CHECK(d.struct_size == sizeof(mnmt_load_options));
    CHECK(d.num_threads == 0);
    CHECK(d.max_batch == 32 && d.max_beam == 8);
    CHECK(d.max_source_tokens == 256 && d.max_target_tokens == 256);
}

/* Loading with `o` fails with MNMT_INVALID_ARGUMENT, leaves `t` alone and names `what`. */
static void expect_invalid(const char *path, const mnmt_load_options *o, const char *what) {
    mnmt_translator *sentinel = (mnmt_translator *)&passed, *t = sentinel;
    CHECK(mnmt_load_ex(path, o, &t) == MNMT_INVALID_ARGUMENT);
    CHECK(t == sentinel);
    CHECK(contains(mnmt_last_error(), what));
}

static void test_invalid(const char *path) {
    mnmt_load_options o = mnmt_load_options_default();
    mnmt_translator *t = NULL;
    o.struct_size = 4;
    expect_invalid(path, &o, "struct_size");
    o = mnmt_load_options_default();
    o.num_threads = 257;
    expect_invalid(path, &o, "num_threads");
    o = mnmt_load_options_default();
    o.max_beam = 0;
    expect_invalid(path, &o, "every limit must be at least 1");
    o = mnmt_load_options_default();
    o.max_beam = 65;
    expect_invalid(path, &o, "max_beam must be at most 64");
    o = mnmt_load_options_default();
    o.max_batch = 0;
    expect_invalid(path, &o, "every limit must be at least 1");
    o = mnmt_load_options_default();
    o.max_batch = 5000;
    expect_invalid(path, &o, "max_batch at most 1024");
    o = mnmt_load_options_default();
    o.max_target_tokens = 0;
    expect_invalid(path, &o, "every limit must be at least 1");
    o = mnmt_load_options_default();
    o.max_source_tokens = 1;
    expect_invalid(path, &o, "max_source_tokens");
    CHECK(mnmt_load_ex(path, NULL, NULL) == MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_load_ex(NULL, NULL, &t) == MNMT_INVALID_ARGUMENT && t == NULL);
    CHECK(mnmt_load_from_memory_ex(NULL, 8, NULL, &t) == MNMT_INVALID_ARGUMENT && t == NULL);
}

/* Every source translated greedy and with beam 4, concatenated into `out`. */
static void translate_all(mnmt_translator *t, char *out) {
    size_t i, n, used = 0;
    mnmt_options beam = mnmt_options_default();
    beam.beam_size = 4;
    for (i = 0; i < NSOURCES; i++) {
        CHECK(mnmt_translate(t, SOURCES[i], strlen(SOURCES[i]), NULL, out + used, CAP - used, &n) ==
              MNMT_OK);
        used += n + 1;
        CHECK(mnmt_translate(t, SOURCES[i], strlen(SOURCES[i]), &beam, out + used, CAP - used,
                             &n) == MNMT_OK);
        used += n + 1;
    }
}

static void test_model(const char *path) {
    static char want[CAP], got[CAP];
    static const uint32_t threads[] = {2, 4};
    mnmt_load_options o = mnmt_load_options_default();
    mnmt_translator *t = NULL;
    mnmt_options beam = mnmt_options_default();
    unsigned char *bytes;
    size_t len, n, i;
    char out[64];

    printf("model %s\n", path);
    test_invalid(path);

    memset(want, 0, CAP);
    o.num_threads = 1;
    CHECK(mnmt_load_ex(path, &o, &t) == MNMT_OK);
    if (t == NULL) return;
    translate_all(t, want);
    mnmt_free(t);

    for (i = 0; i < sizeof threads / sizeof threads[0]; i++) {
        t = NULL;
        memset(got, 0, CAP);
        o.num_threads = threads[i];
        CHECK(mnmt_load_ex(path, &o, &t) == MNMT_OK);
        if (t == NULL) continue;
        translate_all(t, got);
        CHECK(memcmp(want, got, CAP) == 0);
        mnmt_free(t);
    }

    /* NULL options and mnmt_load: the defaults (the library picks the threads). */
    t = NULL;
    memset(got, 0, CAP);
    CHECK(mnmt_load_ex(path, NULL, &t) == MNMT_OK);
    if (t != NULL) {
        translate_all(t, got);
        CHECK(memcmp(want, got, CAP) == 0);
        mnmt_free(t);
    }

    /* A struct_size of 8 (num_threads only): the limits take their defaults. */
    o = mnmt_load_options_default();
    o.num_threads = 2;
    o.max_beam = 0; /* beyond struct_size: ignored */
    o.struct_size = 8;
    t = NULL;
    memset(got, 0, CAP);
    CHECK(mnmt_load_ex(path, &o, &t) == MNMT_OK);
    if (t != NULL) {
        translate_all(t, got);
        CHECK(memcmp(want, got, CAP) == 0);
        mnmt_free(t);
    }

    /* Limits are enforced per call: a beam above max_beam is refused. */
    o = mnmt_load_options_default();
    o.max_beam = 2;
    o.num_threads = 2;
    bytes = read_file(path, &len);
    CHECK(bytes != NULL);
    if (bytes == NULL) return;
    t = NULL;
    CHECK(mnmt_load_from_memory_ex(bytes, len, &o, &t) == MNMT_OK);
    free(bytes);
    if (t == NULL) return;
    beam.beam_size = 4;
    CHECK(mnmt_translate(t, "Hi.", 3, &beam, out, sizeof out, &n) == MNMT_INVALID_ARGUMENT);
    CHECK(contains(mnmt_last_error(), "beam_size"));
    beam.beam_size = 2;
    CHECK(mnmt_translate(t, "Hi.", 3, &beam, out, sizeof out, &n) == MNMT_OK);
    mnmt_free(t);
}

int main(int argc, char **argv) {
    int i;
    test_defaults();
    if (argc < 2) printf("no model files given: model checks skipped\n");
    for (i = 1; i < argc; i++) test_model(argv[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
