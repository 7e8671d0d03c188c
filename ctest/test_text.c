/*
 * C tests of mnmt_split_sentences (needs no model): sentences as byte spans, NULL for every
 * pointer, invalid UTF-8, a capacity too small (count reported, array untouched), asking for the
 * count with NULL and 0, blank text, and text with an embedded NUL byte.
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <mobilenmt.h>

#include <stdio.h>
#include <string.h>

#include "check.h"

/* Whether span `s` of `text` is exactly `want`. */
static int span_is(const char *text, mnmt_span s, const char *want) {
    return s.len == strlen(want) && memcmp(text + s.offset, want, s.len) == 0;
}

static void test_split(void) {
    const char *text = "  Dr. Smith met J. R. R. Tolkien on Jan. 5, e.g. at 3.5 p.m. \"Why?\" "
                       "he asked!\n\nNew line...   Last one";
    mnmt_span spans[8];
    size_t n = 0;

    CHECK(mnmt_split_sentences(text, strlen(text), "en", spans, 8, &n) == MNMT_OK);
    CHECK(mnmt_last_error()[0] == '\0');
    CHECK(n == 3);
    if (n == 3) {
        CHECK(span_is(text, spans[0],
                      "Dr. Smith met J. R. R. Tolkien on Jan. 5, e.g. at 3.5 p.m. \"Why?\" he "
                      "asked!"));
        CHECK(span_is(text, spans[1], "New line..."));
        CHECK(span_is(text, spans[2], "Last one"));
    }
    /* German: ordinals and abbreviations; a language tag with a region. */
    {
        const char *de = "Am 3. Oktober kam Hr. Müller, z. B. mit Nr. 5. Die Zahl stieg auf 25. "
                         "Das war’s.";
        CHECK(mnmt_split_sentences(de, strlen(de), "de-AT", spans, 8, &n) == MNMT_OK);
        CHECK(n == 3);
        if (n == 3) {
            CHECK(span_is(de, spans[0], "Am 3. Oktober kam Hr. Müller, z. B. mit Nr. 5."));
            CHECK(span_is(de, spans[1], "Die Zahl stieg auf 25."));
            CHECK(span_is(de, spans[2], "Das war’s."));
        }
    }
    /* CJK full stops with an unknown tag. */
    {
        const char *zh = "你好。再见！";
        CHECK(mnmt_split_sentences(zh, strlen(zh), "zh", spans, 8, &n) == MNMT_OK);
        CHECK(n == 2 && span_is(zh, spans[0], "你好。") && span_is(zh, spans[1], "再见！"));
    }
    /* The length decides: an embedded NUL is a character, bytes after text_len are not read. */
    {
        static const char nul[] = "One.\0 Two. Three.";
        CHECK(mnmt_split_sentences(nul, 10, "en", spans, 8, &n) == MNMT_OK);
        CHECK(n == 1 && spans[0].offset == 0 && spans[0].len == 10);
    }
}

static void test_sizes(void) {
    const char *text = "One. Two. Three.";
    mnmt_span spans[3];
    size_t n = 99;

    /* Ask for the count. */
    CHECK(mnmt_split_sentences(text, strlen(text), "en", NULL, 0, &n) == MNMT_BUFFER_TOO_SMALL);
    CHECK(n == 3);
    CHECK(strstr(mnmt_last_error(), "mnmt_split_sentences") != NULL);
    /* Too small: the count is reported and the array is untouched. */
    memset(spans, 0x5a, sizeof spans);
    n = 99;
    CHECK(mnmt_split_sentences(text, strlen(text), "en", spans, 2, &n) == MNMT_BUFFER_TOO_SMALL);
    CHECK(n == 3);
    CHECK(((const unsigned char *)spans)[0] == 0x5a &&
          ((const unsigned char *)spans)[sizeof spans - 1] == 0x5a);
    /* Exactly enough. */
    CHECK(mnmt_split_sentences(text, strlen(text), "en", spans, 3, &n) == MNMT_OK);
    CHECK(n == 3 && span_is(text, spans[2], "Three."));
    /* Blank and empty text: no sentences, NULL array allowed. */
    CHECK(mnmt_split_sentences(" \n\t ", 4, "en", NULL, 0, &n) == MNMT_OK && n == 0);
    CHECK(mnmt_split_sentences(NULL, 0, "", NULL, 0, &n) == MNMT_OK && n == 0);
}

static void test_bad_arguments(void) {
    mnmt_span spans[2];
    size_t n = 42;
    static const char bad[] = {'O', 'k', '.', ' ', (char)0xff};
    static const char cut[] = {'a', (char)0xc3};

    CHECK(mnmt_split_sentences(NULL, 3, "en", spans, 2, &n) == MNMT_INVALID_ARGUMENT);
    CHECK(strstr(mnmt_last_error(), "text is NULL") != NULL);
    CHECK(mnmt_split_sentences("a", 1, NULL, spans, 2, &n) == MNMT_INVALID_ARGUMENT);
    CHECK(strstr(mnmt_last_error(), "lang is NULL") != NULL);
    CHECK(mnmt_split_sentences("a", 1, "en", NULL, 2, &n) == MNMT_INVALID_ARGUMENT);
    CHECK(strstr(mnmt_last_error(), "spans is NULL") != NULL);
    CHECK(mnmt_split_sentences("a", 1, "en", spans, 2, NULL) == MNMT_INVALID_ARGUMENT);
    CHECK(strstr(mnmt_last_error(), "n_spans is NULL") != NULL);
    CHECK(mnmt_split_sentences(bad, sizeof bad, "en", spans, 2, &n) == MNMT_INVALID_UTF8);
    CHECK(strstr(mnmt_last_error(), "mnmt_split_sentences") != NULL);
    CHECK(mnmt_split_sentences(cut, sizeof cut, "de", spans, 2, &n) == MNMT_INVALID_UTF8);
    CHECK(n == 42); /* never written on these failures */
}

int main(void) {
    test_split();
    test_sizes();
    test_bad_arguments();
    printf("test_text: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
