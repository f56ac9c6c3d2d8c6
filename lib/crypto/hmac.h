/* HMAC-SHA-256 over a list of byte strings, the primitive under every derivation. */
#ifndef M2M_CRYPTO_HMAC_H
#define M2M_CRYPTO_HMAC_H

#include <m2msec/crypto.h>

struct m2m_bytes {
    const void *data;
    size_t len;
};

/* out receives 32 bytes; the caller owns and wipes it. */
int m2m_hmac_sha256(const void *key, size_t key_len, const struct m2m_bytes *parts, size_t n,
                    unsigned char out[32], struct m2m_error *err);

/* A 32-byte secret HMAC-SHA-256(key, parts...). */
struct m2m_secret *m2m_hmac_secret(const struct m2m_secret *key, const struct m2m_bytes *parts,
                                   size_t n, struct m2m_error *err);

#endif
