/* Guard macros used throughout libm2msec. Each function that can fail has
 * `int rc = -1;`, an `out:` label where it releases what it holds, and
 * `return rc;`. The macros jump to `out` with the error recorded in `err`. */
#ifndef M2M_CORE_SAFETY_H
#define M2M_CORE_SAFETY_H

#include <m2msec/error.h>

/* Jump out if a call that returns 0/-1 failed (its callee already set err). */
#define M2M_GUARD(x)                                                                               \
    do {                                                                                           \
        if ((x) != 0)                                                                              \
            goto out;                                                                              \
    } while (0)

/* Jump out if a pointer-returning call returned NULL (its callee already set err). */
#define M2M_GUARD_PTR(x)                                                                           \
    do {                                                                                           \
        if ((x) == NULL)                                                                           \
            goto out;                                                                              \
    } while (0)

/* Record an error and jump out. */
#define M2M_BAIL(code, ...)                                                                        \
    do {                                                                                           \
        m2m_error_set(err, (code), __VA_ARGS__);                                                   \
        goto out;                                                                                  \
    } while (0)

/* Record an error and jump out unless cond holds. */
#define M2M_ENSURE(cond, code, ...)                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            M2M_BAIL((code), __VA_ARGS__);                                                         \
    } while (0)

/* As M2M_ENSURE, for OpenSSL calls: the OpenSSL reason joins the message. */
#define M2M_ENSURE_OSSL(cond, code, ...)                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            m2m_error_set_ossl(err, (code), __VA_ARGS__);                                          \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

#define M2M_ENSURE_ARG(cond) M2M_ENSURE((cond), M2M_E_INVALID_ARG, "%s", #cond)

#define M2M_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
