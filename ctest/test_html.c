/*
 * C tests of HTML input (mnmt_options.html): every tag of a page comes back exactly once with
 * its attributes byte for byte, untranslated elements are copied, the text is escaped, malformed
 * pages translate without an error, the batch call agrees with the one-text call, the default
 * is plain text, and a caller whose struct_size ends before the field gets plain text.
 * Prints "N passed, M failed" and exits non-zero on any failure.
 */
#include <mobilenmt.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Occurrences of `needle` in `s`. */
static int count(const char *s, const char *needle) {
    int n = 0;
    const char *p = s;
    while (p != NULL && (p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

static mnmt_options html(void) {
    mnmt_options o = mnmt_options_default();
    o.html = 1;
    return o;
}

static const char *TAGS[] = {
    "<p class=\"x\">", "</p>", "<b>", "</b>", "<a href=\"/d?a=1&amp;b=2\" title='t'>", "</a>",
    "<img src=\"d.png\" alt=\"a > b\">", "<br>", "<!-- c -->", "<code>x &lt; y</code>",
};

static void test_tags_once(mnmt_translator *t) {
    const char *page =
        "<p class=\"x\">Two <b>dogs</b> are <a href=\"/d?a=1&amp;b=2\" title='t'>playing</a>"
        "<img src=\"d.png\" alt=\"a > b\"> in the snow.<br>A man<!-- c --> runs "
        "<code>x &lt; y</code> &amp; rides.</p>";
    mnmt_options o = html();
    char *out = translate(t, page, &o);
    size_t i;
    CHECK(out != NULL);
    for (i = 0; i < sizeof TAGS / sizeof TAGS[0]; i++) {
        if (count(out, TAGS[i]) != 1) fprintf(stderr, "%s: %s\n", TAGS[i], out ? out : "");
        CHECK(count(out, TAGS[i]) == 1);
    }
    /* The page's tags open and close in the same order, so the output's <p> comes first. */
    CHECK(out != NULL && strncmp(out, "<p class=\"x\">", 13) == 0);
    free(out);
}

static void test_malformed_and_plain(mnmt_translator *t) {
    const char *bad[] = {"<b>unclosed", "stray </i> end", "<b>mis <i>nested</b></i>", "a < b",
                         "&#xD800; &bogus; &", "<!-- open", "<", ""};
    mnmt_options o = html(), plain = mnmt_options_default(), old = html();
    size_t i;
    char *a, *b;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = translate(t, bad[i], &o);
        CHECK(out != NULL);
        free(out);
    }
    CHECK(plain.html == 0);
    /* A caller compiled before `html` existed: its struct ends before the field. */
    old.struct_size = (uint32_t)offsetof(mnmt_options, html);
    a = translate(t, "<p>Two dogs.</p>", &old);
    b = translate(t, "<p>Two dogs.</p>", &plain);
    CHECK(a != NULL && b != NULL && strcmp(a, b) == 0);
    free(a);
    free(b);
}

static char *batch_out[2];

static void collect(void *user, size_t i, const char *text, size_t len) {
    (void)user;
    if (i < 2) {
        batch_out[i] = malloc(len + 1);
        if (batch_out[i] != NULL) {
            memcpy(batch_out[i], text, len);
            batch_out[i][len] = '\0';
        }
    }
}

static void test_batch(mnmt_translator *t) {
    const char *pages[2] = {"<li>Two <i>dogs</i>.</li>", "<td>A man &amp; a <b>woman</b>.</td>"};
    size_t lens[2];
    mnmt_options o = html();
    int i;
    lens[0] = strlen(pages[0]);
    lens[1] = strlen(pages[1]);
    CHECK(mnmt_translate_batch(t, pages, lens, 2, &o, collect, NULL) == MNMT_OK);
    for (i = 0; i < 2; i++) {
        char *one = translate(t, pages[i], &o);
        CHECK(one != NULL && batch_out[i] != NULL && strcmp(one, batch_out[i]) == 0);
        free(one);
        free(batch_out[i]);
        batch_out[i] = NULL;
    }
}

static void test_model(const char *path) {
    mnmt_translator *t = NULL;
    CHECK(mnmt_load(path, &t) == MNMT_OK);
    if (t == NULL) return;
    test_tags_once(t);
    test_malformed_and_plain(t);
    test_batch(t);
    mnmt_free(t);
}

int main(int argc, char **argv) {
    int i;
    mnmt_options d = mnmt_options_default();
    CHECK(d.struct_size == sizeof(mnmt_options) && d.html == 0);
    if (argc < 2) printf("no model files given: model checks skipped\n");
    for (i = 1; i < argc; i++) test_model(argv[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
