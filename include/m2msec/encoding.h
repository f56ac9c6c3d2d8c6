/* Hex, base64 and Unicode NFKC: the text forms every layer shares. */
#ifndef M2MSEC_ENCODING_H
#define M2MSEC_ENCODING_H

#include <m2msec/common.h>
#include <m2msec/error.h>

/* Lowercase hex of len bytes into out (needs 2*len+1 bytes). */
M2M_API M2M_MUST_CHECK int m2m_hex_encode(const void *in, size_t len, char *out, size_t outsz,
                                          struct m2m_error *err);
/* Decodes hex (either case, even length, no separators) into at most outcap bytes. */
M2M_API M2M_MUST_CHECK int m2m_hex_decode(const char *hex, unsigned char *out, size_t outcap,
                                          size_t *outlen, struct m2m_error *err);

/* Standard base64 with padding (RFC 4648 section 4) into out (needs 4*ceil(len/3)+1). */
M2M_API M2M_MUST_CHECK int m2m_b64_encode(const void *in, size_t len, char *out, size_t outsz,
                                          struct m2m_error *err);
/* Strict decode: padding required, no whitespace, no trailing garbage. */
M2M_API M2M_MUST_CHECK int m2m_b64_decode(const char *b64, unsigned char *out, size_t outcap,
                                          size_t *outlen, struct m2m_error *err);
#define M2M_B64_LEN(n) ((((n) + 2) / 3) * 4 + 1)

/* NFKC of UTF-8 text (TS-0003 10.3: identifiers entering a derivation). Returns a
 * malloc'd NUL-terminated string; rejects invalid UTF-8. Free with free(). */
M2M_API char *m2m_nfkc(const char *utf8, struct m2m_error *err);

#endif
