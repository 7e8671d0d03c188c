/*
 * C tests of protected spans (mnmt_options.protect_spans, mnmt_translate_spans): every URL,
 * e-mail address, placeholder and emoji comes back exactly once, one sentence and document mode,
 * greedy and beam; a caller whose struct_size ends before protect_spans gets the raw text's
 * translation; caller spans come back once with the option on or off; bad spans, a NULL array
 * with a count, are MNMT_INVALID_ARGUMENT.
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <mobilenmt.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define CAP 4096

/* How many times `needle` occurs in `haystack`. */
static int count(const char *haystack, const char *needle) {
    int n = 0;
    const char *p = haystack;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

static const char *const TEXTS[] = {
    "Hello {name}, you have %d new messages from %1$s.",
    "Two dogs are playing at https://example.com/dogs?page=2 with jane@example.org \xF0\x9F\x98\x80.",
    "{{user}} and ${friend} are playing in the snow \xF0\x9F\x87\xA9\xF0\x9F\x87\xAA",
};
static const char *const SPANS[][4] = {
    {"{name}", "%d", "%1$s", NULL},
    {"https://example.com/dogs?page=2", "jane@example.org", "\xF0\x9F\x98\x80", NULL},
    {"{{user}}", "${friend}", "\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA", NULL},
};

static void test_detected_spans(mnmt_translator *t) {
    char out[CAP];
    size_t i, k, n = 0;
    unsigned split, beam;
    for (split = 0; split <= 1; split++) {
        for (beam = 1; beam <= 4; beam += 3) {
            mnmt_options o = mnmt_options_default();
            CHECK(o.protect_spans == 1);
            o.split_sentences = split;
            o.beam_size = beam;
            for (i = 0; i < sizeof TEXTS / sizeof TEXTS[0]; i++) {
                CHECK(mnmt_translate(t, TEXTS[i], strlen(TEXTS[i]), &o, out, CAP, &n) == MNMT_OK);
                for (k = 0; SPANS[i][k] != NULL; k++) CHECK(count(out, SPANS[i][k]) == 1);
            }
        }
    }
}

static void test_old_callers_get_the_raw_text(mnmt_translator *t) {
    char a[CAP], b[CAP];
    size_t na = 0, nb = 0, i;
    mnmt_options old = mnmt_options_default(), off = mnmt_options_default();
    old.struct_size = (uint32_t)offsetof(mnmt_options, protect_spans);
    off.protect_spans = 0;
    for (i = 0; i < sizeof TEXTS / sizeof TEXTS[0]; i++) {
        CHECK(mnmt_translate(t, TEXTS[i], strlen(TEXTS[i]), &old, a, CAP, &na) == MNMT_OK);
        CHECK(mnmt_translate(t, TEXTS[i], strlen(TEXTS[i]), &off, b, CAP, &nb) == MNMT_OK);
        CHECK(na == nb && strcmp(a, b) == 0);
    }
}

static void test_caller_spans(mnmt_translator *t) {
    const char *text = "Two dogs are playing with a FooBarWidget in the snow.";
    const char *w = strstr(text, "FooBarWidget");
    mnmt_span spans[2];
    mnmt_span bad;
    char out[CAP];
    size_t n = 0, len = strlen(text);
    unsigned protect;
    spans[0].offset = (size_t)(w - text);
    spans[0].len = strlen("FooBarWidget");
    spans[1].offset = spans[0].offset + 2; /* overlapping: merged */
    spans[1].len = 3;
    for (protect = 0; protect <= 1; protect++) {
        mnmt_options o = mnmt_options_default();
        o.protect_spans = protect;
        CHECK(mnmt_translate_spans(t, text, len, spans, 2, &o, out, CAP, &n) == MNMT_OK);
        CHECK(count(out, "FooBarWidget") == 1 && strlen(out) == n);
        o.split_sentences = 0;
        CHECK(mnmt_translate_spans(t, text, len, spans, 2, &o, out, CAP, &n) == MNMT_OK);
        CHECK(count(out, "FooBarWidget") == 1);
    }
    /* Size query first, as with mnmt_translate. */
    CHECK(mnmt_translate_spans(t, text, len, spans, 1, NULL, NULL, 0, &n) == MNMT_BUFFER_TOO_SMALL);
    CHECK(n > 0);
    /* No spans is mnmt_translate. */
    CHECK(mnmt_translate_spans(t, text, len, NULL, 0, NULL, out, CAP, &n) == MNMT_OK);
    bad.offset = len;
    bad.len = 1;
    CHECK(mnmt_translate_spans(t, text, len, &bad, 1, NULL, out, CAP, &n) == MNMT_INVALID_ARGUMENT);
    bad.offset = 1;
    bad.len = (size_t)-1;
    CHECK(mnmt_translate_spans(t, text, len, &bad, 1, NULL, out, CAP, &n) == MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_translate_spans(t, text, len, NULL, 1, NULL, out, CAP, &n) == MNMT_INVALID_ARGUMENT);
    /* Inside a character ("\xC3\xBC" is one). */
    bad.offset = 1;
    bad.len = 1;
    CHECK(mnmt_translate_spans(t, "\xC3\xBC", 2, &bad, 1, NULL, out, CAP, &n) ==
          MNMT_INVALID_ARGUMENT);
    CHECK(mnmt_translate_spans(NULL, text, len, spans, 1, NULL, out, CAP, &n) ==
          MNMT_INVALID_ARGUMENT);
}

static void test_model(const char *path) {
    mnmt_translator *t = NULL;
    CHECK(mnmt_load(path, &t) == MNMT_OK);
    if (t == NULL) return;
    test_detected_spans(t);
    test_old_callers_get_the_raw_text(t);
    test_caller_spans(t);
    mnmt_free(t);
}

int main(int argc, char **argv) {
    int i;
    mnmt_options d = mnmt_options_default();
    CHECK(d.struct_size == sizeof(mnmt_options) && d.protect_spans == 1);
    CHECK(offsetof(mnmt_options, protect_spans) == 40);
    if (argc < 2) printf("no model files given: model checks skipped\n");
    for (i = 1; i < argc; i++) test_model(argv[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
