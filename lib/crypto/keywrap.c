/* AES key wrap, RFC 3394 and RFC 5649, through OpenSSL's EVP wrap ciphers. */
#include <openssl/evp.h>

#include <m2msec/crypto.h>

#include "core/safety.h"

static const EVP_CIPHER *wrap_cipher(size_t kek_len, int pad)
{
    switch (kek_len) {
    case 16:
        return pad ? EVP_aes_128_wrap_pad() : EVP_aes_128_wrap();
    case 24:
        return pad ? EVP_aes_192_wrap_pad() : EVP_aes_192_wrap();
    case 32:
        return pad ? EVP_aes_256_wrap_pad() : EVP_aes_256_wrap();
    default:
        return NULL;
    }
}

/* One pass of wrap (enc = 1) or unwrap (enc = 0); out must hold in_len + 16 bytes. */
static int wrap_run(const struct m2m_secret *kek, int pad, int enc, const unsigned char *in,
                    size_t in_len, unsigned char *out, size_t *out_len, struct m2m_error *err)
{
    const EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *ctx = NULL;
    int n = 0, fin = 0;
    int rc = -1;

    M2M_ENSURE_ARG(kek != NULL && in != NULL && out != NULL && out_len != NULL);
    cipher = wrap_cipher(m2m_secret_len(kek), pad);
    M2M_ENSURE(cipher != NULL, M2M_E_INVALID_ARG, "KEK of %zu bytes (need 16, 24 or 32)",
               m2m_secret_len(kek));
    M2M_ENSURE(in_len <= 0x7fffffef, M2M_E_INVALID_ARG, "input too long");
    ctx = EVP_CIPHER_CTX_new();
    M2M_ENSURE(ctx != NULL, M2M_E_NOMEM, "cipher context");
    EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    M2M_ENSURE_OSSL(EVP_CipherInit_ex(ctx, cipher, NULL, m2m_secret_cdata(kek), NULL, enc) == 1,
                    M2M_E_CRYPTO, "key wrap init");
    if (EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1 ||
        EVP_CipherFinal_ex(ctx, out + n, &fin) != 1) {
        m2m_error_set_ossl(err, enc ? M2M_E_CRYPTO : M2M_E_UNWRAP, "%s of %zu bytes",
                           enc ? "wrap" : "unwrap", in_len);
        goto out;
    }
    *out_len = (size_t)n + (size_t)fin;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int m2m_aes_wrap(const struct m2m_secret *kek, int pad, const unsigned char *in, size_t in_len,
                 unsigned char *out, size_t outcap, size_t *out_len, struct m2m_error *err)
{
    size_t need = pad ? (in_len + 7) / 8 * 8 + 8 : in_len + 8;
    int rc = -1;

    /* RFC 3394 2.2.1: at least two 64-bit blocks; RFC 5649: any non-empty input. */
    M2M_ENSURE(pad ? in_len > 0 : (in_len >= 16 && in_len % 8 == 0), M2M_E_INVALID_ARG,
               "%zu bytes cannot be wrapped %s padding", in_len, pad ? "with" : "without");
    M2M_ENSURE(outcap >= need, M2M_E_BUFFER_TOO_SMALL, "wrap needs %zu bytes", need);
    rc = wrap_run(kek, pad, 1, in, in_len, out, out_len, err);
out:
    return rc;
}

struct m2m_secret *m2m_aes_unwrap(const struct m2m_secret *kek, int pad, const unsigned char *in,
                                  size_t in_len, struct m2m_error *err)
{
    struct m2m_secret *buf = NULL, *res = NULL;
    size_t n = 0;

    if (in_len < 16 || in_len % 8 != 0) {
        m2m_error_set(err, M2M_E_UNWRAP, "wrapped key of %zu bytes", in_len);
        return NULL;
    }
    buf = m2m_secret_new(in_len + 16, err);
    if (buf == NULL)
        return NULL;
    if (wrap_run(kek, pad, 0, in, in_len, m2m_secret_data(buf), &n, err) == 0)
        res = m2m_secret_from(m2m_secret_cdata(buf), n, err);
    m2m_secret_free(buf);
    return res;
}
