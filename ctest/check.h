/*
 * The check counters and CHECK macro shared by the C tests (a header, so ctest/run.sh, which
 * builds every C file in ctest/, does not compile it alone). Each test prints "N passed, M failed".
 */
#ifndef MNMT_CTEST_CHECK_H
#define MNMT_CTEST_CHECK_H

#include <mobilenmt.h>

#include <stdio.h>

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

#endif
