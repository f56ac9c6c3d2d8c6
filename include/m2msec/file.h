/* Files that hold secrets (a credential store, a software USIM): replaced atomically and
 * durably, never readable by anyone but the owner. */
#ifndef M2MSEC_FILE_H
#define M2MSEC_FILE_H

#include <stddef.h>

#include <m2msec/common.h>
#include <m2msec/error.h>

/* Replaces path with data: a temporary file beside it (mode 0600), written and fsync'd,
 * renamed over path, then the directory fsync'd, so that after a crash path holds either
 * the old or the new content in full. On failure path is unchanged and the temporary file
 * is removed. */
M2M_API M2M_MUST_CHECK int m2m_file_replace_private(const char *path, const void *data, size_t len,
                                                    struct m2m_error *err);

#endif
