/*
 * The check counters, the CHECK macro and small file/string helpers shared by the C tests (a
 * header, so ctest/run.sh, which builds every C file in ctest/, does not compile it alone). Each
 * test prints "N passed, M failed".
 */
#ifndef MNMT_CTEST_CHECK_H
#define MNMT_CTEST_CHECK_H

#include <mobilenmt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            passed++;                                                                \
        } else {                                                                     \
            failed++;                                                                \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__, \
                    __LINE__, #cond, mnmt_last_error());                             \
        }                                                                            \
    } while (0)

/* Whether `haystack` (may be NULL) contains `needle`. */
static inline int contains(const char *haystack, const char *needle) {
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* The whole file at `path`, malloc'd (the caller frees it), or NULL; `*len` gets its size. */
static inline unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = (unsigned char *)malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Translates `text` with `opts` into a new NUL-terminated string (NULL on failure; the caller
 * frees it): asks for the size first, then translates into a buffer of exactly that size. */
static inline char *translate(mnmt_translator *t, const char *text, const mnmt_options *opts) {
    size_t n = 0, n2 = 0;
    char *out;
    mnmt_status s = mnmt_translate(t, text, strlen(text), opts, NULL, 0, &n);
    if (s != MNMT_BUFFER_TOO_SMALL && !(s == MNMT_OK && n == 0)) return NULL;
    out = (char *)malloc(n + 1);
    if (out == NULL) return NULL;
    if (mnmt_translate(t, text, strlen(text), opts, out, n + 1, &n2) != MNMT_OK || n2 != n ||
        out[n] != '\0') {
        free(out);
        return NULL;
    }
    return out;
}

#endif
