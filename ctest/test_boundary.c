/*
 * C boundary tests: NULL for every pointer argument of every function, invalid UTF-8, embedded
 * NUL bytes, empty and whitespace-only text, 1 MB of text, text of only unknown characters,
 * options with a wrong struct_size or absurd values, and double mnmt_free(NULL). Every failure
 * must come with the documented status and a mnmt_last_error() naming the function and the
 * problem; every success must clear it. Usage: test_boundary [MODEL.gguf ...].
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <mobilenmt.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* `status` was returned and mnmt_last_error() mentions both `fn` and `needle`. */
#define EXPECT(call, status, fn, needle)                                     \
    do {                                                                     \
        CHECK((call) == (status));                                           \
        CHECK(strstr(mnmt_last_error(), (fn)) != NULL);                      \
        CHECK(strstr(mnmt_last_error(), (needle)) != NULL);                  \
    } while (0)

#define EXPECT_OK(call)                                                      \
    do {                                                                     \
        CHECK((call) == MNMT_OK);                                            \
        CHECK(mnmt_last_error()[0] == '\0');                                 \
    } while (0)

static void ignore_batch(void *user, size_t index, const char *text, size_t len) {
    size_t *calls = (size_t *)user;
    (void)index;
    (void)text;
    (void)len;
    if (calls != NULL) (*calls)++;
}

static void ignore_nbest(void *user, size_t rank, const char *text, size_t len, float score) {
    size_t *calls = (size_t *)user;
    (void)rank;
    (void)text;
    (void)len;
    (void)score;
    if (calls != NULL) (*calls)++;
}

/* Functions that take no translator. */
static void test_without_model(void) {
    mnmt_translator *sentinel = (mnmt_translator *)&passed;
    mnmt_translator *t = sentinel;
    static const uint8_t bytes[16] = {'G', 'G', 'U', 'F'};

    EXPECT(mnmt_load(NULL, &t), MNMT_INVALID_ARGUMENT, "mnmt_load", "path is NULL");
    EXPECT(mnmt_load(NULL, NULL), MNMT_INVALID_ARGUMENT, "mnmt_load", "NULL");
    EXPECT(mnmt_load("model.gguf", NULL), MNMT_INVALID_ARGUMENT, "mnmt_load", "out is NULL");
    EXPECT(mnmt_load("", &t), MNMT_IO_ERROR, "mnmt_load", "");
    CHECK(strlen(mnmt_last_error()) > strlen("mnmt_load: "));
    EXPECT(mnmt_load_from_memory(NULL, 100, &t), MNMT_INVALID_ARGUMENT, "mnmt_load_from_memory",
           "NULL");
    EXPECT(mnmt_load_from_memory(bytes, sizeof bytes, NULL), MNMT_INVALID_ARGUMENT,
           "mnmt_load_from_memory", "out is NULL");
    EXPECT(mnmt_load_from_memory(NULL, 0, &t), MNMT_BAD_MODEL, "mnmt_load_from_memory", "empty");
    EXPECT(mnmt_load_from_memory(bytes, sizeof bytes, &t), MNMT_BAD_MODEL,
           "mnmt_load_from_memory", "");
    CHECK(t == sentinel); /* never written on failure */

    {
        mnmt_model_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        EXPECT(mnmt_get_model_info(NULL, &info), MNMT_INVALID_ARGUMENT, "mnmt_get_model_info",
               "translator is NULL");
        EXPECT(mnmt_get_model_info(NULL, NULL), MNMT_INVALID_ARGUMENT, "mnmt_get_model_info",
               "NULL");
    }
    {
        int32_t ids[4];
        size_t n = 77;
        EXPECT(mnmt_tokenize(NULL, "a", 1, ids, 4, &n), MNMT_INVALID_ARGUMENT, "mnmt_tokenize",
               "translator is NULL");
        EXPECT(mnmt_tokenize(NULL, NULL, 0, NULL, 0, NULL), MNMT_INVALID_ARGUMENT,
               "mnmt_tokenize", "NULL");
        CHECK(n == 77);
    }
    {
        int32_t ids[1] = {0};
        char out[8];
        size_t len = 77;
        EXPECT(mnmt_detokenize(NULL, ids, 1, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
               "mnmt_detokenize", "translator is NULL");
        EXPECT(mnmt_detokenize(NULL, NULL, 0, NULL, 0, NULL), MNMT_INVALID_ARGUMENT,
               "mnmt_detokenize", "NULL");
        CHECK(len == 77);
    }
    {
        char out[8];
        size_t len = 77;
        static const char *texts[1] = {"a"};
        EXPECT(mnmt_translate(NULL, "a", 1, NULL, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
               "mnmt_translate", "translator is NULL");
        EXPECT(mnmt_translate(NULL, NULL, 0, NULL, NULL, 0, NULL), MNMT_INVALID_ARGUMENT,
               "mnmt_translate", "NULL");
        CHECK(len == 77);
        EXPECT(mnmt_translate_batch(NULL, texts, NULL, 1, NULL, ignore_batch, NULL),
               MNMT_INVALID_ARGUMENT, "mnmt_translate_batch", "translator is NULL");
        EXPECT(mnmt_translate_batch(NULL, NULL, NULL, 0, NULL, NULL, NULL),
               MNMT_INVALID_ARGUMENT, "mnmt_translate_batch", "NULL");
        EXPECT(mnmt_translate_nbest(NULL, "a", 1, NULL, ignore_nbest, NULL),
               MNMT_INVALID_ARGUMENT, "mnmt_translate_nbest", "translator is NULL");
        EXPECT(mnmt_translate_nbest(NULL, NULL, 0, NULL, NULL, NULL), MNMT_INVALID_ARGUMENT,
               "mnmt_translate_nbest", "NULL");
    }

    /* Infallible functions never return NULL and leave the last error alone. */
    CHECK(mnmt_status_string(-123456) != NULL);
    CHECK(strcmp(mnmt_status_string(MNMT_INTERNAL + 1), "unknown status") == 0);
    CHECK(strstr(mnmt_last_error(), "mnmt_translate_nbest") != NULL);
    CHECK(mnmt_version() != NULL && mnmt_kernel_name() != NULL);

    /* Freeing NULL is a no-op, however often. */
    mnmt_free(NULL);
    mnmt_free(NULL);
    CHECK(1);
}

/* Every pointer argument of every translator function set to NULL, one at a time. */
static void test_null_arguments(mnmt_translator *t) {
    int32_t ids[64];
    char out[512];
    size_t n = 0, len = 0, calls = 0;
    mnmt_options opts = mnmt_options_default();
    mnmt_model_info info;
    const char *texts[2] = {"Two dogs.", NULL};
    size_t lens[2] = {9, 0};

    EXPECT(mnmt_get_model_info(t, NULL), MNMT_INVALID_ARGUMENT, "mnmt_get_model_info",
           "info is NULL");
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    EXPECT_OK(mnmt_get_model_info(t, &info));

    EXPECT(mnmt_tokenize(t, NULL, 1, ids, 64, &n), MNMT_INVALID_ARGUMENT, "mnmt_tokenize",
           "text");
    EXPECT(mnmt_tokenize(t, "a", 1, NULL, 64, &n), MNMT_INVALID_ARGUMENT, "mnmt_tokenize", "ids");
    EXPECT(mnmt_tokenize(t, "a", 1, ids, 64, NULL), MNMT_INVALID_ARGUMENT, "mnmt_tokenize",
           "n_ids");
    EXPECT(mnmt_tokenize(t, "a", 1, NULL, 0, &n), MNMT_BUFFER_TOO_SMALL, "mnmt_tokenize",
           "buffer");
    CHECK(n >= 1);
    EXPECT_OK(mnmt_tokenize(t, NULL, 0, ids, 64, &n));
    CHECK(n == 1);

    ids[0] = 0;
    EXPECT(mnmt_detokenize(t, NULL, 1, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_detokenize", "ids");
    EXPECT(mnmt_detokenize(t, ids, 1, NULL, 8, &len), MNMT_INVALID_ARGUMENT, "mnmt_detokenize",
           "out");
    EXPECT(mnmt_detokenize(t, ids, 1, out, sizeof out, NULL), MNMT_INVALID_ARGUMENT,
           "mnmt_detokenize", "out_len");
    EXPECT_OK(mnmt_detokenize(t, NULL, 0, out, sizeof out, &len));
    CHECK(len == 0 && out[0] == '\0');

    EXPECT(mnmt_translate(t, NULL, 3, NULL, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "text");
    EXPECT(mnmt_translate(t, "a", 1, NULL, NULL, 8, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "out");
    EXPECT(mnmt_translate(t, "a", 1, NULL, out, sizeof out, NULL), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "out_len");
    EXPECT_OK(mnmt_translate(t, "a", 1, NULL, out, sizeof out, &len));
    EXPECT_OK(mnmt_translate(t, "a", 1, &opts, out, sizeof out, &len));

    EXPECT(mnmt_translate_batch(t, NULL, lens, 2, NULL, ignore_batch, &calls),
           MNMT_INVALID_ARGUMENT, "mnmt_translate_batch", "texts");
    EXPECT(mnmt_translate_batch(t, texts, lens, 2, NULL, NULL, &calls), MNMT_INVALID_ARGUMENT,
           "mnmt_translate_batch", "callback");
    lens[1] = 4; /* a NULL entry with a length */
    EXPECT(mnmt_translate_batch(t, texts, lens, 2, NULL, ignore_batch, &calls),
           MNMT_INVALID_ARGUMENT, "mnmt_translate_batch", "texts[1]");
    CHECK(calls == 0); /* inputs are checked before any translation */
    lens[1] = 0;
    EXPECT_OK(mnmt_translate_batch(t, texts, lens, 2, NULL, ignore_batch, NULL));
    EXPECT_OK(mnmt_translate_batch(t, texts, NULL, 2, NULL, ignore_batch, &calls));
    CHECK(calls == 2);

    EXPECT(mnmt_translate_nbest(t, NULL, 2, NULL, ignore_nbest, NULL), MNMT_INVALID_ARGUMENT,
           "mnmt_translate_nbest", "text");
    EXPECT(mnmt_translate_nbest(t, "a", 1, NULL, NULL, NULL), MNMT_INVALID_ARGUMENT,
           "mnmt_translate_nbest", "callback");
    EXPECT_OK(mnmt_translate_nbest(t, "a", 1, NULL, ignore_nbest, NULL));
}

static void test_invalid_utf8(mnmt_translator *t) {
    static const char *const bad[] = {
        "\x80",                 /* lone continuation byte */
        "ab\xff",               /* never valid */
        "\xc0\xaf",             /* overlong '/' */
        "\xe0\x80\xaf",         /* overlong, three bytes */
        "\xed\xa0\x80",         /* UTF-16 surrogate */
        "\xf4\x90\x80\x80",     /* above U+10FFFF */
        "A man \xe2\x82",       /* truncated sequence at the end */
        "\xc3\x28 dogs",        /* bad continuation */
    };
    size_t i, n = 0, len = 0, calls = 0;
    int32_t ids[64];
    char out[256];
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t blen = strlen(bad[i]);
        const char *texts[2];
        size_t lens[2];
        EXPECT(mnmt_tokenize(t, bad[i], blen, ids, 64, &n), MNMT_INVALID_UTF8, "mnmt_tokenize",
               "UTF-8");
        EXPECT(mnmt_translate(t, bad[i], blen, NULL, out, sizeof out, &len), MNMT_INVALID_UTF8,
               "mnmt_translate", "UTF-8");
        EXPECT(mnmt_translate_nbest(t, bad[i], blen, NULL, ignore_nbest, &calls),
               MNMT_INVALID_UTF8, "mnmt_translate_nbest", "UTF-8");
        texts[0] = "Two dogs.";
        texts[1] = bad[i];
        lens[0] = 9;
        lens[1] = blen;
        EXPECT(mnmt_translate_batch(t, texts, lens, 2, NULL, ignore_batch, &calls),
               MNMT_INVALID_UTF8, "mnmt_translate_batch", "texts[1]");
        EXPECT(mnmt_translate_batch(t, texts, NULL, 2, NULL, ignore_batch, &calls),
               MNMT_INVALID_UTF8, "mnmt_translate_batch", "texts[1]");
    }
    CHECK(calls == 0);
    /* A valid prefix is judged by its length: the bad byte after it is never read. */
    EXPECT_OK(mnmt_tokenize(t, "ab\xff", 2, ids, 64, &n));
}

static void test_odd_text(mnmt_translator *t) {
    static const char with_nul[] = "A man\0rides a bike.";
    static const char *const blanks[] = {" ", "   ", "\t\n\r", " \t \n ", "\xe3\x80\x80 \xc2\xa0"};
    static const char *const unknown[] = {
        "\xe2\x98\x83\xe2\x98\x83\xe2\x98\x83",             /* snowmen */
        "\xe6\xbc\xa2\xe5\xad\x97 \xe6\xbc\xa2\xe5\xad\x97", /* CJK */
        "\xf0\x9f\x98\x80\xf0\x9f\x90\xb6\xf0\x9f\x9a\xb2",  /* emoji */
        "\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9", /* Arabic */
    };
    int32_t ids[256];
    size_t n = 0, len = 0, i, empty_len = 0;
    char out[1024], empty[1024];
    mnmt_model_info info;
    mnmt_options one = mnmt_options_default();
    one.split_sentences = 0;

    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK(mnmt_get_model_info(t, &info) == MNMT_OK);

    /* Embedded NUL: the explicit length rules, and the text after the NUL counts. */
    EXPECT_OK(mnmt_tokenize(t, with_nul, sizeof with_nul - 1, ids, 256, &n));
    {
        size_t n_prefix = 0;
        EXPECT_OK(mnmt_tokenize(t, with_nul, 5, ids + 128, 128, &n_prefix));
        CHECK(n > n_prefix);
    }
    EXPECT_OK(mnmt_translate(t, with_nul, sizeof with_nul - 1, NULL, out, sizeof out, &len));
    CHECK(len < sizeof out && out[len] == '\0');
    EXPECT_OK(mnmt_translate(t, "\0", 1, NULL, out, sizeof out, &len));

    /* Empty and whitespace-only text: as one sentence only </s>, the same translation as "";
     * as a document (the default) given back unchanged. */
    EXPECT_OK(mnmt_translate(t, "", 0, &one, empty, sizeof empty, &empty_len));
    for (i = 0; i < sizeof blanks / sizeof blanks[0]; i++) {
        EXPECT_OK(mnmt_tokenize(t, blanks[i], strlen(blanks[i]), ids, 256, &n));
        CHECK(n == 1);
        EXPECT_OK(mnmt_translate(t, blanks[i], strlen(blanks[i]), &one, out, sizeof out, &len));
        CHECK(len == empty_len && strcmp(out, empty) == 0);
        EXPECT_OK(mnmt_translate(t, blanks[i], strlen(blanks[i]), NULL, out, sizeof out, &len));
        CHECK(len == strlen(blanks[i]) && strcmp(out, blanks[i]) == 0);
    }

    /* Only characters the vocabulary lacks: <unk> ids, and still a translation. */
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        size_t k;
        EXPECT_OK(mnmt_tokenize(t, unknown[i], strlen(unknown[i]), ids, 256, &n));
        CHECK(n >= 2);
        for (k = 0; k < n; k++) CHECK(ids[k] >= 0 && (uint32_t)ids[k] < info.vocab_size);
        EXPECT_OK(mnmt_translate(t, unknown[i], strlen(unknown[i]), NULL, out, sizeof out, &len));
        CHECK(len == strlen(out));
    }
}

static void test_megabyte(mnmt_translator *t) {
    const size_t size = 1u << 20;
    char *big = (char *)malloc(size);
    char out[4096];
    size_t len = 0, n = 0, i, calls = 0;
    mnmt_options opts = mnmt_options_default();
    const char *texts[1];
    size_t lens[1];
    CHECK(big != NULL);
    if (big == NULL) return;
    for (i = 0; i < size; i++) big[i] = "A dog runs. "[i % 12];

    /* As one sentence (document mode would translate it: ctest/test_document.c). */
    opts.split_sentences = 0;
    EXPECT(mnmt_translate(t, big, size, &opts, out, sizeof out, &len), MNMT_INPUT_TOO_LONG,
           "mnmt_translate", "limit");
    EXPECT(mnmt_translate_nbest(t, big, size, NULL, ignore_nbest, &calls), MNMT_INPUT_TOO_LONG,
           "mnmt_translate_nbest", "limit");
    texts[0] = big;
    lens[0] = size;
    EXPECT(mnmt_translate_batch(t, texts, lens, 1, &opts, ignore_batch, &calls),
           MNMT_INPUT_TOO_LONG, "mnmt_translate_batch", "limit");
    CHECK(calls == 0);
    /* Tokenizing has no limit: the count comes back for a buffer too small. */
    EXPECT(mnmt_tokenize(t, big, size, NULL, 0, &n), MNMT_BUFFER_TOO_SMALL, "mnmt_tokenize",
           "buffer");
    CHECK(n > 100000);
    opts.truncate = 1;
    opts.max_output_tokens = 4;
    EXPECT_OK(mnmt_translate(t, big, size, &opts, out, sizeof out, &len));

    /* One megabyte without a single space: one long "word". */
    memset(big, 'x', size);
    opts.truncate = 0;
    EXPECT(mnmt_translate(t, big, size, &opts, out, sizeof out, &len), MNMT_INPUT_TOO_LONG,
           "mnmt_translate", "limit");
    opts.truncate = 1;
    EXPECT_OK(mnmt_translate(t, big, size, &opts, out, sizeof out, &len));
    free(big);
}

static void test_options(mnmt_translator *t) {
    static const char text[] = "Two dogs play in the snow.";
    const size_t tlen = sizeof text - 1;
    char out[1024], ref[1024], beam4[1024];
    size_t len = 0, ref_len = 0;
    mnmt_options opts;
    union {
        mnmt_options opts;
        unsigned char bytes[512];
    } newer;

    EXPECT_OK(mnmt_translate(t, text, tlen, NULL, ref, sizeof ref, &ref_len));

    opts = mnmt_options_default();
    opts.struct_size = 0;
    EXPECT(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "struct_size");
    opts.struct_size = 7;
    EXPECT(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "struct_size");
    EXPECT(mnmt_translate_nbest(t, text, tlen, &opts, ignore_nbest, NULL), MNMT_INVALID_ARGUMENT,
           "mnmt_translate_nbest", "struct_size");
    {
        const char *texts[1] = {text};
        EXPECT(mnmt_translate_batch(t, texts, NULL, 1, &opts, ignore_batch, NULL),
               MNMT_INVALID_ARGUMENT, "mnmt_translate_batch", "struct_size");
    }
    /* A newer, larger struct: unknown trailing fields are ignored. */
    memset(&newer, 0x5a, sizeof newer);
    newer.opts = mnmt_options_default();
    newer.opts.struct_size = sizeof newer;
    EXPECT_OK(mnmt_translate(t, text, tlen, &newer.opts, out, sizeof out, &len));
    CHECK(strcmp(out, ref) == 0);

    opts = mnmt_options_default();
    opts.beam_size = 0;
    EXPECT(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "beam_size");
    opts.beam_size = 10000;
    EXPECT(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "beam_size");
    opts.beam_size = UINT32_MAX;
    EXPECT(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "beam_size");
    opts.beam_size = 8; /* the documented maximum is accepted */
    EXPECT_OK(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len));

    opts = mnmt_options_default();
    opts.num_hypotheses = 0;
    EXPECT(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "num_hypotheses");
    opts.beam_size = 4;
    opts.num_hypotheses = 10000;
    EXPECT(mnmt_translate_nbest(t, text, tlen, &opts, ignore_nbest, NULL), MNMT_INVALID_ARGUMENT,
           "mnmt_translate_nbest", "num_hypotheses");

    /* max tokens 0 means the translator's limit: the default translation. */
    opts = mnmt_options_default();
    opts.max_output_tokens = 0;
    EXPECT_OK(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len));
    CHECK(strcmp(out, ref) == 0);
    opts.max_output_tokens = 1; /* room for </s> only */
    EXPECT_OK(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len));
    opts.max_output_tokens = UINT32_MAX;
    EXPECT_OK(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len));
    CHECK(strcmp(out, ref) == 0);

    opts = mnmt_options_default();
    opts.length_penalty = NAN;
    EXPECT(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "length_penalty");
    opts.length_penalty = 1e30f;
    opts.beam_size = 4;
    EXPECT_OK(mnmt_translate(t, text, tlen, &opts, beam4, sizeof beam4, &len));
    opts.length_penalty = -1e30f;
    EXPECT_OK(mnmt_translate(t, text, tlen, &opts, beam4, sizeof beam4, &len));

    opts = mnmt_options_default();
    opts.max_length_a = -1.0f;
    EXPECT(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "max_length_a");
    opts.max_length_a = INFINITY;
    EXPECT(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len), MNMT_INVALID_ARGUMENT,
           "mnmt_translate", "max_length_a");
    opts.max_length_a = 1e30f;
    opts.max_length_b = UINT32_MAX;
    EXPECT_OK(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len));
    opts.max_length_a = 0.0f;
    opts.max_length_b = 0;
    EXPECT_OK(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len));
    opts = mnmt_options_default();
    opts.truncate = UINT32_MAX; /* any non-zero value */
    EXPECT_OK(mnmt_translate(t, text, tlen, &opts, out, sizeof out, &len));
    CHECK(strcmp(out, ref) == 0);
}

static int first_model = 1;

static void test_model(const char *path) {
    mnmt_translator *t = NULL;
    printf("model %s\n", path);
    CHECK(mnmt_load(path, &t) == MNMT_OK);
    if (t == NULL) return;
    test_null_arguments(t);
    test_invalid_utf8(t);
    test_odd_text(t);
    /* The megabyte checks cost most of this program's time under valgrind and exercise the
     * same code for every model: run them on the first model only. */
    if (first_model) test_megabyte(t);
    first_model = 0;
    test_options(t);
    mnmt_free(t);
}

int main(int argc, char **argv) {
    int i;
    test_without_model();
    if (argc < 2) printf("no model files given: model checks skipped\n");
    for (i = 1; i < argc; i++) test_model(argv[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
