/*
 * C tests of document mode (mnmt_options.split_sentences): a paragraph is its sentences
 * translated one by one and joined with the original spaces; blank lines, indentation and blank
 * text come back unchanged; a text far over the token limit is translated (and refused with
 * MNMT_INPUT_TOO_LONG without splitting); the size query and retry after MNMT_BUFFER_TOO_SMALL;
 * a caller whose struct_size predates split_sentences keeps one-text-one-sentence mode;
 * mnmt_translate_batch treats each input as a document.
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <mobilenmt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define CAP 65536

static mnmt_options one_sentence(void) {
    mnmt_options o = mnmt_options_default();
    o.split_sentences = 0;
    return o;
}

/* Appends `s` to `buf` (of CAP bytes). */
static void append(char *buf, const char *s) {
    size_t n = strlen(buf);
    if (n + strlen(s) < CAP) memcpy(buf + n, s, strlen(s) + 1);
}

static void test_paragraph_and_structure(mnmt_translator *t) {
    mnmt_options one = one_sentence();
    const char *a = "The man rides a bike.";
    const char *b = "Two dogs play in the snow!";
    char *ta = translate(t, a, &one), *tb = translate(t, b, &one);
    char *want = calloc(CAP, 1), *got;
    CHECK(ta != NULL && tb != NULL && want != NULL);
    if (ta == NULL || tb == NULL || want == NULL) goto done;

    /* Two sentences on one line: each translated alone, joined by the original space. */
    got = translate(t, "The man rides a bike. Two dogs play in the snow!", NULL);
    append(want, ta);
    append(want, " ");
    append(want, tb);
    CHECK(got != NULL && strcmp(got, want) == 0);
    free(got);

    /* Blank lines, indentation, a bullet and surrounding whitespace are kept. */
    got = translate(t, "\n  The man rides a bike.\n\n\n\t- Two dogs play in the snow!  \n", NULL);
    want[0] = '\0';
    append(want, "\n  ");
    append(want, ta);
    append(want, "\n\n\n\t- ");
    append(want, tb);
    append(want, "  \n");
    CHECK(got != NULL && strcmp(got, want) == 0);
    free(got);

    /* Blank and letterless text comes back as it is (it used to be translated as a sentence). */
    {
        const char *same[] = {"", "\n", "  \n\n\t", "42", "3.5 %!", "https://example.com/x"};
        size_t i;
        for (i = 0; i < sizeof same / sizeof same[0]; i++) {
            got = translate(t, same[i], NULL);
            CHECK(got != NULL && strcmp(got, same[i]) == 0);
            free(got);
        }
    }
done:
    free(ta);
    free(tb);
    free(want);
}

static void test_old_struct_size(mnmt_translator *t) {
    const char *para = "The man rides a bike. Two dogs play in the snow!";
    mnmt_options old = mnmt_options_default(), one = one_sentence();
    char *a, *b;
    /* A caller compiled against the header before split_sentences: the text is one sentence. */
    old.struct_size = 32;
    old.split_sentences = 1; /* beyond its struct_size: must not be read */
    a = translate(t, para, &old);
    b = translate(t, para, &one);
    CHECK(a != NULL && b != NULL && strcmp(a, b) == 0);
    free(a);
    free(b);
}

static void test_huge_text_and_retry(mnmt_translator *t) {
    /* Many lines, one of them a single sentence of 600 words (far over 256 tokens). */
    char *text = calloc(CAP, 1), *out;
    size_t i, n = 0, n2 = 0;
    mnmt_options one = one_sentence();
    CHECK(text != NULL);
    if (text == NULL) return;
    for (i = 0; i < 20; i++) append(text, i % 5 ? "A dog runs. It is fast.\n" : "\n");
    for (i = 0; i < 600; i++) append(text, i % 10 == 9 ? "red, " : "dog ");
    append(text, "end.\n");
    CHECK(mnmt_translate(t, text, strlen(text), &one, NULL, 0, &n) == MNMT_INPUT_TOO_LONG);
    CHECK(mnmt_translate(t, text, strlen(text), NULL, NULL, 0, &n) == MNMT_BUFFER_TOO_SMALL);
    CHECK(n > 0);
    /* Too small by one byte (no room for the NUL): refused with the same size. */
    out = malloc(n + 1);
    CHECK(out != NULL);
    if (out != NULL) {
        CHECK(mnmt_translate(t, text, strlen(text), NULL, out, n, &n2) == MNMT_BUFFER_TOO_SMALL);
        CHECK(n2 == n);
        CHECK(mnmt_translate(t, text, strlen(text), NULL, out, n + 1, &n2) == MNMT_OK);
        CHECK(n2 == n && out[n] == '\0' && strlen(out) == n);
        /* The structure: as many line breaks as the source. */
        {
            size_t lines_in = 0, lines_out = 0;
            for (i = 0; text[i]; i++) lines_in += text[i] == '\n';
            for (i = 0; out[i]; i++) lines_out += out[i] == '\n';
            CHECK(lines_in == lines_out);
        }
        free(out);
    }
    free(text);
}

struct collected {
    char *text[3];
};

static void collect(void *user, size_t index, const char *text, size_t len) {
    struct collected *c = user;
    if (index < 3 && c->text[index] == NULL) {
        c->text[index] = malloc(len + 1);
        if (c->text[index] != NULL) {
            memcpy(c->text[index], text, len);
            c->text[index][len] = '\0';
        }
    }
}

static void test_batch(mnmt_translator *t) {
    const char *inputs[3] = {"The man rides a bike. Two dogs play!", "\n\n", "  It rains.\n"};
    struct collected c = {{NULL, NULL, NULL}};
    size_t i;
    CHECK(mnmt_translate_batch(t, inputs, NULL, 3, NULL, collect, &c) == MNMT_OK);
    for (i = 0; i < 3; i++) {
        char *alone = translate(t, inputs[i], NULL);
        CHECK(c.text[i] != NULL && alone != NULL && strcmp(c.text[i], alone) == 0);
        free(alone);
        free(c.text[i]);
    }
}

static void test_model(const char *path) {
    mnmt_translator *t = NULL;
    CHECK(mnmt_load(path, &t) == MNMT_OK);
    if (t == NULL) return;
    test_paragraph_and_structure(t);
    test_old_struct_size(t);
    test_huge_text_and_retry(t);
    test_batch(t);
    mnmt_free(t);
}

int main(int argc, char **argv) {
    int i;
    mnmt_options d = mnmt_options_default();
    CHECK(d.struct_size == sizeof(mnmt_options) && d.split_sentences == 1);
    if (argc < 2) printf("no model files given: model checks skipped\n");
    for (i = 1; i < argc; i++) test_model(argv[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
