/* The one type that holds key material: wiped on free, compared in constant time. */
#ifndef M2MSEC_SECRET_H
#define M2MSEC_SECRET_H

#include <m2msec/common.h>
#include <m2msec/error.h>

struct m2m_secret;

/* A zero-filled secret of len bytes (len may be 0). NULL with err set on failure. */
M2M_API struct m2m_secret *m2m_secret_new(size_t len, struct m2m_error *err);
/* A secret holding a copy of data. */
M2M_API struct m2m_secret *m2m_secret_from(const void *data, size_t len, struct m2m_error *err);
/* A secret from hex text (whitespace not allowed). */
M2M_API struct m2m_secret *m2m_secret_from_hex(const char *hex, struct m2m_error *err);
/* Wipes and frees; NULL is a no-op. */
M2M_API void m2m_secret_free(struct m2m_secret *s);

M2M_API unsigned char *m2m_secret_data(struct m2m_secret *s);
M2M_API const unsigned char *m2m_secret_cdata(const struct m2m_secret *s);
M2M_API size_t m2m_secret_len(const struct m2m_secret *s);
/* Constant-time for equal lengths; 1 if equal, 0 otherwise. */
M2M_API int m2m_secret_equal(const struct m2m_secret *a, const struct m2m_secret *b);

/* Wipes memory the optimiser may not elide. */
M2M_API void m2m_wipe(void *p, size_t len);
/* Constant-time comparison: 0 when equal (CRYPTO_memcmp semantics). */
M2M_API int m2m_ct_memcmp(const void *a, const void *b, size_t len);

#endif
