/*
 * C tests of the mobilenmt C API: statuses, last-error messages, NULL pointers, bad files and
 * model info. Usage: test_capi [MODEL.gguf ...]; model-dependent checks run on every file given.
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <mobilenmt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void test_versions_and_statuses(void) {
    int s;
    CHECK(mnmt_abi_version() == MNMT_ABI_VERSION);
    CHECK(mnmt_version() != NULL && strlen(mnmt_version()) >= 5);
    CHECK(strcmp(mnmt_status_string(MNMT_OK), "ok") == 0);
    CHECK(strcmp(mnmt_status_string(MNMT_BAD_MODEL), "bad model file") == 0);
    CHECK(strcmp(mnmt_status_string(MNMT_BUFFER_TOO_SMALL), "buffer too small") == 0);
    for (s = MNMT_OK; s <= MNMT_INTERNAL; s++) {
        CHECK(strlen(mnmt_status_string(s)) > 0);
        CHECK(strcmp(mnmt_status_string(s), "unknown status") != 0);
    }
    CHECK(strcmp(mnmt_status_string(-1), "unknown status") == 0);
    CHECK(strcmp(mnmt_status_string(1000), "unknown status") == 0);
    CHECK(strcmp(mnmt_last_error(), "") == 0);
}

static void test_null_pointers(void) {
    mnmt_translator *sentinel = (mnmt_translator *)&passed;
    mnmt_translator *t = sentinel;
    mnmt_model_info info;
    CHECK(mnmt_load(NULL, &t) == MNMT_INVALID_ARGUMENT);
    CHECK(t == sentinel); /* out-params untouched on failure */
    CHECK(contains(mnmt_last_error(), "path is NULL"));
    CHECK(mnmt_load("whatever.gguf", NULL) == MNMT_INVALID_ARGUMENT);
    CHECK(contains(mnmt_last_error(), "out is NULL"));
    CHECK(mnmt_load_from_memory(NULL, 16, &t) == MNMT_INVALID_ARGUMENT);
    CHECK(t == sentinel);
    CHECK(mnmt_load_from_memory(NULL, 0, NULL) == MNMT_INVALID_ARGUMENT);
    info.struct_size = sizeof info;
    CHECK(mnmt_get_model_info(NULL, &info) == MNMT_INVALID_ARGUMENT);
    CHECK(contains(mnmt_last_error(), "translator is NULL"));
    mnmt_free(NULL);
}

static void test_bad_files(void) {
    static const char garbage[] = "this is not a model file, just some text padded to be long "
                                  "enough to look like a header of something";
    const char *tmp = "ctest-garbage.gguf";
    mnmt_translator *t = NULL;
    FILE *f;

    CHECK(mnmt_load("no/such/dir/model.gguf", &t) == MNMT_IO_ERROR);
    CHECK(t == NULL);
    CHECK(contains(mnmt_last_error(), "mnmt_load"));
    CHECK(strlen(mnmt_last_error()) > strlen("mnmt_load: "));

    f = fopen(tmp, "wb");
    CHECK(f != NULL);
    if (f != NULL) {
        fwrite(garbage, 1, sizeof garbage, f);
        fclose(f);
        CHECK(mnmt_load(tmp, &t) == MNMT_BAD_MODEL);
        CHECK(t == NULL);
        remove(tmp);
    }
    CHECK(mnmt_load_from_memory((const uint8_t *)garbage, sizeof garbage, &t) == MNMT_BAD_MODEL);
    CHECK(mnmt_load_from_memory((const uint8_t *)"GGUF", 4, &t) == MNMT_BAD_MODEL);
    CHECK(mnmt_load_from_memory(NULL, 0, &t) == MNMT_BAD_MODEL);
    CHECK(t == NULL);
    CHECK(contains(mnmt_last_error(), "mnmt_load_from_memory"));
}

static void test_tokens(mnmt_translator *t, const mnmt_model_info *info) {
    static const char text[] = "A man rides a bike down the street.";
    int32_t ids[256], few[2];
    size_t n = 0, n2 = 0, len = 0, i;
    char buf[512], tiny[3];
    int32_t bad[1];

    CHECK(mnmt_tokenize(t, text, strlen(text), ids, 256, &n) == MNMT_OK);
    CHECK(n >= 2 && n < 256);
    for (i = 0; i < n; i++) CHECK(ids[i] >= 0 && (uint32_t)ids[i] < info->vocab_size);
    /* Size query and too-small buffer: the count is reported, the buffer untouched. */
    CHECK(mnmt_tokenize(t, text, strlen(text), NULL, 0, &n2) == MNMT_BUFFER_TOO_SMALL);
    CHECK(n2 == n);
    few[0] = few[1] = -7;
    n2 = 0;
    CHECK(mnmt_tokenize(t, text, strlen(text), few, 2, &n2) == MNMT_BUFFER_TOO_SMALL);
    CHECK(n2 == n && few[0] == -7 && few[1] == -7);
    CHECK(contains(mnmt_last_error(), "buffer"));
    /* Empty text is just </s>; NULL with length 0 is the empty text. */
    CHECK(mnmt_tokenize(t, NULL, 0, ids + 128, 4, &n2) == MNMT_OK);
    CHECK(n2 == 1);
    CHECK(mnmt_tokenize(t, NULL, 3, ids + 128, 4, &n2) == MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_tokenize(t, "\xff\xfe", 2, ids + 128, 4, &n2) == MNMT_INVALID_UTF8);
    CHECK(mnmt_tokenize(t, text, strlen(text), NULL, 5, &n2) == MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_tokenize(t, text, strlen(text), ids, 256, NULL) == MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_tokenize(NULL, text, strlen(text), ids, 256, &n2) == MNMT_INVALID_ARGUMENT);

    if (info->shared_embeddings) {
        /* Joint vocabulary: the source ids decode back to the (normalized) text. */
        CHECK(mnmt_detokenize(t, ids, n, buf, sizeof buf, &len) == MNMT_OK);
        CHECK(len == strlen(buf));
        CHECK(len == strlen(text) && strcmp(buf, text) == 0);
    }
    CHECK(mnmt_detokenize(t, ids, n, NULL, 0, &len) == MNMT_BUFFER_TOO_SMALL);
    CHECK(len > 0);
    memset(tiny, 'x', sizeof tiny);
    CHECK(mnmt_detokenize(t, ids, n, tiny, sizeof tiny, &len) == MNMT_BUFFER_TOO_SMALL);
    CHECK(tiny[0] == 'x' && tiny[2] == 'x');
    CHECK(mnmt_detokenize(t, NULL, 0, buf, sizeof buf, &len) == MNMT_OK);
    CHECK(len == 0 && buf[0] == '\0');
    bad[0] = -1;
    CHECK(mnmt_detokenize(t, bad, 1, buf, sizeof buf, &len) == MNMT_INVALID_ARGUMENT);
    bad[0] = (int32_t)info->decoder_vocab_size;
    CHECK(mnmt_detokenize(t, bad, 1, buf, sizeof buf, &len) == MNMT_INVALID_ARGUMENT);
    CHECK(contains(mnmt_last_error(), "vocabulary"));
    CHECK(mnmt_detokenize(t, NULL, 2, buf, sizeof buf, &len) == MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_detokenize(t, ids, n, NULL, 4, &len) == MNMT_INVALID_ARGUMENT);
}

struct collected {
    size_t calls;
    size_t next_index;
    int in_order;
    float last_score;
    char text[4][512];
};

static void collect_batch(void *user, size_t index, const char *text, size_t len) {
    struct collected *c = (struct collected *)user;
    if (index != c->next_index) c->in_order = 0;
    c->next_index = index + 1;
    if (index < 4 && len < 512) {
        memcpy(c->text[index], text, len);
        c->text[index][len] = '\0';
    }
    c->calls++;
}

static void collect_nbest(void *user, size_t rank, const char *text, size_t len, float score) {
    struct collected *c = (struct collected *)user;
    if (rank != c->calls || (rank > 0 && score > c->last_score) || score > 0.0f) c->in_order = 0;
    c->last_score = score;
    if (rank < 4 && len < 512) {
        memcpy(c->text[rank], text, len);
        c->text[rank][len] = '\0';
    }
    c->calls++;
}

static void test_translate(mnmt_translator *t) {
    static const char *texts[3] = {"A man rides a bike down the street.", "Two dogs play.",
                                   "A woman is reading a book in the park."};
    size_t lens[3];
    char out[3][512], buf[512], small[4];
    size_t len = 0, len2 = 0, i;
    mnmt_options opts = mnmt_options_default();
    struct collected c;
    char *long_text;

    for (i = 0; i < 3; i++) lens[i] = strlen(texts[i]);
    CHECK(opts.struct_size == sizeof opts);
    CHECK(opts.beam_size == 1 && opts.num_hypotheses == 1 && opts.truncate == 0);

    /* One text, NULL options = defaults. */
    for (i = 0; i < 3; i++) {
        CHECK(mnmt_translate(t, texts[i], lens[i], NULL, out[i], sizeof out[i], &len) == MNMT_OK);
        CHECK(len == strlen(out[i]));
    }
    CHECK(mnmt_translate(t, texts[0], lens[0], &opts, buf, sizeof buf, &len) == MNMT_OK);
    CHECK(strcmp(buf, out[0]) == 0);

    /* Buffer sizes: the size query and a buffer without room for the NUL both report the need. */
    CHECK(mnmt_translate(t, texts[0], lens[0], NULL, NULL, 0, &len2) == MNMT_BUFFER_TOO_SMALL);
    CHECK(len2 == strlen(out[0]));
    memset(buf, '#', sizeof buf);
    CHECK(mnmt_translate(t, texts[0], lens[0], NULL, buf, len2, &len) == MNMT_BUFFER_TOO_SMALL);
    CHECK(len == len2 && buf[0] == '#');
    CHECK(mnmt_translate(t, texts[0], lens[0], NULL, buf, len2 + 1, &len) == MNMT_OK);
    CHECK(strcmp(buf, out[0]) == 0);
    if (len2 >= sizeof small) {
        CHECK(mnmt_translate(t, texts[0], lens[0], NULL, small, sizeof small, &len) ==
              MNMT_BUFFER_TOO_SMALL);
    }

    /* Empty input, bad input, bad pointers, bad options. */
    CHECK(mnmt_translate(t, NULL, 0, NULL, buf, sizeof buf, &len) == MNMT_OK);
    CHECK(mnmt_translate(t, "", 0, NULL, buf, sizeof buf, &len) == MNMT_OK);
    CHECK(mnmt_translate(t, "\xc3\x28", 2, NULL, buf, sizeof buf, &len) == MNMT_INVALID_UTF8);
    CHECK(contains(mnmt_last_error(), "UTF-8"));
    CHECK(mnmt_translate(NULL, texts[0], lens[0], NULL, buf, sizeof buf, &len) ==
          MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_translate(t, NULL, 5, NULL, buf, sizeof buf, &len) == MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_translate(t, texts[0], lens[0], NULL, NULL, 16, &len) == MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_translate(t, texts[0], lens[0], NULL, buf, sizeof buf, NULL) ==
          MNMT_INVALID_ARGUMENT);
    opts.struct_size = 4;
    CHECK(mnmt_translate(t, texts[0], lens[0], &opts, buf, sizeof buf, &len) ==
          MNMT_INVALID_ARGUMENT);
    CHECK(contains(mnmt_last_error(), "struct_size"));
    opts = mnmt_options_default();
    opts.beam_size = 0;
    CHECK(mnmt_translate(t, texts[0], lens[0], &opts, buf, sizeof buf, &len) ==
          MNMT_INVALID_ARGUMENT);
    CHECK(contains(mnmt_last_error(), "beam_size"));
    opts.beam_size = 1000;
    CHECK(mnmt_translate(t, texts[0], lens[0], &opts, buf, sizeof buf, &len) ==
          MNMT_INVALID_ARGUMENT);

    /* An older 8-byte struct: beam_size is read, the rest take defaults. */
    opts = mnmt_options_default();
    opts.struct_size = 8;
    opts.beam_size = 4;
    opts.num_hypotheses = 99; /* beyond struct_size: ignored */
    CHECK(mnmt_translate(t, texts[0], lens[0], &opts, buf, sizeof buf, &len) == MNMT_OK);

    /* As one sentence (split_sentences 0), over-long input fails, or is truncated on request
     * (document mode cuts it instead: ctest/test_document.c). */
    long_text = (char *)malloc(6 * 2000 + 1);
    CHECK(long_text != NULL);
    if (long_text != NULL) {
        for (i = 0; i < 2000; i++) memcpy(long_text + 6 * i, "word, ", 6);
        long_text[6 * 2000] = '\0';
        opts = mnmt_options_default();
        opts.split_sentences = 0;
        CHECK(mnmt_translate(t, long_text, 6 * 2000, &opts, buf, sizeof buf, &len) ==
              MNMT_INPUT_TOO_LONG);
        CHECK(contains(mnmt_last_error(), "limit"));
        opts.truncate = 1;
        opts.max_output_tokens = 8;
        CHECK(mnmt_translate(t, long_text, 6 * 2000, &opts, buf, sizeof buf, &len) == MNMT_OK);
        free(long_text);
    }

    /* Batch: same results as one by one, in order, with or without lengths. */
    memset(&c, 0, sizeof c);
    c.in_order = 1;
    CHECK(mnmt_translate_batch(t, texts, lens, 3, NULL, collect_batch, &c) == MNMT_OK);
    CHECK(c.calls == 3 && c.in_order);
    for (i = 0; i < 3; i++) CHECK(strcmp(c.text[i], out[i]) == 0);
    memset(&c, 0, sizeof c);
    c.in_order = 1;
    CHECK(mnmt_translate_batch(t, texts, NULL, 3, NULL, collect_batch, &c) == MNMT_OK);
    CHECK(c.calls == 3 && c.in_order && strcmp(c.text[2], out[2]) == 0);
    memset(&c, 0, sizeof c);
    CHECK(mnmt_translate_batch(t, NULL, NULL, 0, NULL, collect_batch, &c) == MNMT_OK);
    CHECK(c.calls == 0);
    CHECK(mnmt_translate_batch(t, texts, lens, 3, NULL, NULL, &c) == MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_translate_batch(t, NULL, lens, 3, NULL, collect_batch, &c) ==
          MNMT_INVALID_ARGUMENT);

    /* n-best: best first, scores non-increasing, the best equals the beam translation. */
    opts = mnmt_options_default();
    opts.beam_size = 4;
    CHECK(mnmt_translate(t, texts[2], lens[2], &opts, buf, sizeof buf, &len) == MNMT_OK);
    opts.num_hypotheses = 3;
    memset(&c, 0, sizeof c);
    c.in_order = 1;
    CHECK(mnmt_translate_nbest(t, texts[2], lens[2], &opts, collect_nbest, &c) == MNMT_OK);
    CHECK(c.calls >= 1 && c.calls <= 3 && c.in_order);
    CHECK(strcmp(c.text[0], buf) == 0);
    opts.num_hypotheses = 5;
    CHECK(mnmt_translate_nbest(t, texts[2], lens[2], &opts, collect_nbest, &c) ==
          MNMT_INVALID_ARGUMENT);
    CHECK(contains(mnmt_last_error(), "num_hypotheses"));
    CHECK(mnmt_translate_nbest(t, texts[2], lens[2], NULL, NULL, &c) == MNMT_INVALID_ARGUMENT);
}

static void test_model(const char *path) {
    mnmt_translator *t = NULL, *t2 = NULL;
    mnmt_model_info info, small;
    unsigned char *bytes;
    size_t len = 0, cut;
    const size_t cuts[] = {1, 4, 8, 24, 100, 1000};

    printf("model %s\n", path);
    bytes = read_file(path, &len);
    CHECK(bytes != NULL);
    if (bytes == NULL) return;

    CHECK(mnmt_load(path, &t) == MNMT_OK);
    CHECK(t != NULL);
    CHECK(strcmp(mnmt_last_error(), "") == 0);
    if (t == NULL) {
        free(bytes);
        return;
    }
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK(mnmt_get_model_info(t, &info) == MNMT_OK);
    CHECK(info.struct_size == sizeof info);
    CHECK(info.file_size == len);
    CHECK(info.d_model > 0 && info.d_model % info.encoder_heads == 0);
    CHECK(info.vocab_size > 0 && info.decoder_vocab_size > 0);
    CHECK(info.encoder_layers > 0 && info.decoder_layers > 0);
    CHECK(info.encoder_ffn_dim > 0 && info.decoder_ffn_dim > 0);
    CHECK(info.parameter_count > (uint64_t)info.vocab_size * info.d_model);
    CHECK(strcmp(info.dtype, "int8") == 0 || strcmp(info.dtype, "f32") == 0);
    CHECK(contains(path, info.dtype));
    CHECK(info.activation != NULL && strlen(info.activation) > 0);
    CHECK(info.name != NULL && info.source_lang != NULL && info.target_lang != NULL);
    printf("  %s %s->%s d_model=%u layers=%u+%u vocab=%u/%u params=%lu\n", info.dtype,
           info.source_lang, info.target_lang, info.d_model, info.encoder_layers,
           info.decoder_layers, info.vocab_size, info.decoder_vocab_size,
           (unsigned long)info.parameter_count);

    test_tokens(t, &info);
    test_translate(t);

    /* An older, shorter struct: only the fields it has are written. */
    memset(&small, 0xAB, sizeof small);
    small.struct_size = 8;
    CHECK(mnmt_get_model_info(t, &small) == MNMT_OK);
    CHECK(small.struct_size == 8);
    CHECK(small.vocab_size == info.vocab_size);
    CHECK(small.decoder_vocab_size == 0xABABABABu);
    small.struct_size = 4;
    CHECK(mnmt_get_model_info(t, &small) == MNMT_INVALID_ARGUMENT);
    CHECK(contains(mnmt_last_error(), "struct_size"));
    CHECK(mnmt_get_model_info(t, NULL) == MNMT_INVALID_ARGUMENT);

    /* From memory: the bytes are copied, so the buffer may go away at once. */
    {
        unsigned char *copy = (unsigned char *)malloc(len);
        CHECK(copy != NULL);
        if (copy != NULL) {
            memcpy(copy, bytes, len);
            CHECK(mnmt_load_from_memory(copy, len, &t2) == MNMT_OK);
            memset(copy, 0, len);
            free(copy);
        }
    }
    if (t2 != NULL) {
        memset(&small, 0, sizeof small);
        small.struct_size = sizeof small;
        CHECK(mnmt_get_model_info(t2, &small) == MNMT_OK);
        CHECK(small.d_model == info.d_model && small.file_size == info.file_size);
        mnmt_free(t2);
    }

    /* Truncated copies of a valid file are rejected, never read out of bounds. */
    for (cut = 0; cut < sizeof cuts / sizeof cuts[0]; cut++) {
        mnmt_translator *bad = NULL;
        CHECK(mnmt_load_from_memory(bytes, cuts[cut], &bad) == MNMT_BAD_MODEL);
        CHECK(bad == NULL);
    }
    {
        mnmt_translator *bad = NULL;
        CHECK(mnmt_load_from_memory(bytes, len / 2, &bad) == MNMT_BAD_MODEL);
        CHECK(mnmt_load_from_memory(bytes, len - 1, &bad) == MNMT_BAD_MODEL);
        CHECK(bad == NULL);
        CHECK(strlen(mnmt_last_error()) > 0);
    }

    mnmt_free(t);
    free(bytes);
}

int main(int argc, char **argv) {
    int i;
    test_versions_and_statuses();
    test_null_pointers();
    test_bad_files();
    if (argc < 2) printf("no model files given: model checks skipped\n");
    for (i = 1; i < argc; i++) test_model(argv[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
