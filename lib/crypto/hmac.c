#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "core/safety.h"
#include "crypto/hmac.h"

int m2m_hmac_sha256(const void *key, size_t key_len, const struct m2m_bytes *parts, size_t n,
                    unsigned char out[32], struct m2m_error *err)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    static const unsigned char empty_key[1];
    EVP_MAC *mac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    size_t outl = 0;
    int rc = -1;

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    M2M_ENSURE_OSSL(mac != NULL, M2M_E_CRYPTO, "HMAC unavailable");
    ctx = EVP_MAC_CTX_new(mac);
    M2M_ENSURE_OSSL(ctx != NULL, M2M_E_NOMEM, "HMAC context");
    M2M_ENSURE_OSSL(EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params) == 1,
                    M2M_E_CRYPTO, "HMAC init");
    for (size_t i = 0; i < n; i++)
        M2M_ENSURE_OSSL(EVP_MAC_update(ctx, parts[i].data, parts[i].len) == 1, M2M_E_CRYPTO,
                        "HMAC update");
    M2M_ENSURE_OSSL(EVP_MAC_final(ctx, out, &outl, 32) == 1 && outl == 32, M2M_E_CRYPTO,
                    "HMAC final");
    rc = 0;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return rc;
}

struct m2m_secret *m2m_hmac_secret(const struct m2m_secret *key, const struct m2m_bytes *parts,
                                   size_t n, struct m2m_error *err)
{
    struct m2m_secret *s = NULL;

    if (key == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "NULL key");
        return NULL;
    }
    s = m2m_secret_new(32, err);
    if (s == NULL)
        return NULL;
    if (m2m_hmac_sha256(m2m_secret_cdata(key), m2m_secret_len(key), parts, n, m2m_secret_data(s),
                        err) != 0) {
        m2m_secret_free(s);
        return NULL;
    }
    return s;
}
