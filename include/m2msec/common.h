/* Shared attributes of the public m2msec API. */
#ifndef M2MSEC_COMMON_H
#define M2MSEC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(M2M_BUILDING_LIB)
#define M2M_API __attribute__((visibility("default")))
#else
#define M2M_API
#endif

/* Every fallible call returns 0 on success and -1 on failure, with the reason
 * in a struct m2m_error. Ignoring that return value does not compile cleanly. */
#define M2M_MUST_CHECK __attribute__((warn_unused_result))

#endif
