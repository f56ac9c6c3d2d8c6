/* Hex, base64 and NFKC. Decoders are strict: any byte outside the alphabet is an error. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <utf8proc.h>

#include <m2msec/encoding.h>
#include <m2msec/secret.h>

#include "core/safety.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int m2m_hex_encode(const void *in, size_t len, char *out, size_t outsz, struct m2m_error *err)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    int rc = -1;

    M2M_ENSURE_ARG(out != NULL && (in != NULL || len == 0));
    M2M_ENSURE(outsz > 2 * len, M2M_E_BUFFER_TOO_SMALL, "hex of %zu bytes", len);
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0f];
    }
    out[2 * len] = '\0';
    rc = 0;
out:
    return rc;
}

int m2m_hex_decode(const char *hex, unsigned char *out, size_t outcap, size_t *outlen,
                   struct m2m_error *err)
{
    size_t n;
    int rc = -1;

    M2M_ENSURE_ARG(hex != NULL && outlen != NULL);
    n = strlen(hex);
    M2M_ENSURE(n % 2 == 0, M2M_E_HEX, "odd number of digits");
    M2M_ENSURE(n / 2 <= outcap, M2M_E_BUFFER_TOO_SMALL, "%zu bytes of hex, room for %zu", n / 2,
               outcap);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)hex[2 * i]);
        int lo = hexval((unsigned char)hex[2 * i + 1]);
        M2M_ENSURE(hi >= 0 && lo >= 0, M2M_E_HEX, "bad digit at offset %zu", 2 * i);
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *outlen = n / 2;
    rc = 0;
out:
    return rc;
}

int m2m_b64_encode(const void *in, size_t len, char *out, size_t outsz, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(out != NULL && (in != NULL || len == 0));
    M2M_ENSURE(len <= (size_t)INT32_MAX / 2, M2M_E_INVALID_ARG, "input too long");
    M2M_ENSURE(outsz >= M2M_B64_LEN(len), M2M_E_BUFFER_TOO_SMALL, "base64 of %zu bytes", len);
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    rc = 0;
out:
    return rc;
}

static int b64_char_ok(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

int m2m_b64_decode(const char *b64, unsigned char *out, size_t outcap, size_t *outlen,
                   struct m2m_error *err)
{
    unsigned char *tmp = NULL;
    size_t n, pad = 0, dec;
    int rc = -1;

    M2M_ENSURE_ARG(b64 != NULL && outlen != NULL);
    n = strlen(b64);
    M2M_ENSURE(n % 4 == 0 && n <= (size_t)INT32_MAX / 2, M2M_E_BASE64, "length %zu", n);
    if (n > 0 && b64[n - 1] == '=')
        pad++;
    if (n > 1 && b64[n - 2] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++)
        M2M_ENSURE(b64_char_ok((unsigned char)b64[i]), M2M_E_BASE64, "bad character at %zu", i);
    dec = n / 4 * 3 - pad;
    M2M_ENSURE(dec <= outcap, M2M_E_BUFFER_TOO_SMALL, "%zu decoded bytes, room for %zu", dec,
               outcap);
    tmp = malloc(n / 4 * 3 + 1);
    M2M_ENSURE(tmp != NULL, M2M_E_NOMEM, "base64 decode");
    M2M_ENSURE(EVP_DecodeBlock(tmp, (const unsigned char *)b64, (int)n) >= 0, M2M_E_BASE64,
               "undecodable");
    memcpy(out, tmp, dec);
    *outlen = dec;
    rc = 0;
out:
    if (tmp != NULL) {
        m2m_wipe(tmp, n / 4 * 3 + 1);
        free(tmp);
    }
    return rc;
}

char *m2m_nfkc(const char *utf8, struct m2m_error *err)
{
    utf8proc_uint8_t *res = NULL;
    utf8proc_ssize_t n;

    if (utf8 == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "NULL string");
        return NULL;
    }
    /* NULLTERM + STABLE + COMPOSE + COMPAT is exactly NFKC (utf8proc_NFKC). */
    n = utf8proc_map((const utf8proc_uint8_t *)utf8, 0, &res,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    if (n < 0) {
        m2m_error_set(err, n == UTF8PROC_ERROR_NOMEM ? M2M_E_NOMEM : M2M_E_UTF8, "%s",
                      utf8proc_errmsg(n));
        return NULL;
    }
    return (char *)res;
}
