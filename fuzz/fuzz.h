/* Shared by the libFuzzer harnesses: invariant checks that abort, and input helpers. */
#ifndef M2M_FUZZ_H
#define M2M_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A violated invariant is a bug even when no sanitizer fires: abort so libFuzzer keeps the
 * input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "invariant violated: %s (%s:%d)\n", #cond, __FILE__, __LINE__);        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The input as a NUL-terminated string in its own heap block, so that ASan catches a read
 * past the terminator; text parsers stop at an interior NUL like any C caller. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    FUZZ_CHECK(s != NULL);
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
