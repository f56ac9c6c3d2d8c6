/* An entity's own credential: private key, certificate and optional chain (TS-0003 V3
 * 8.2.2.2 "Credential Configuration"). Reference counted so TLS configurations can share it. */
#include <stdlib.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

static int key_matches_cert(EVP_PKEY *key, X509 *cert, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_OSSL(X509_check_private_key(cert, key) == 1, M2M_E_KEY_MISMATCH,
                    "the private key is not the certificate's");
    rc = 0;
out:
    return rc;
}

struct m2m_credential *m2m_credential_new(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
                                          struct m2m_error *err)
{
    struct m2m_credential *c = NULL;

    if (key == NULL || cert == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "a key and a certificate are required");
        return NULL;
    }
    if (key_matches_cert(key, cert, err) != 0)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "credential");
        return NULL;
    }
    if (chain != NULL && (c->chain = X509_chain_up_ref(chain)) == NULL) {
        free(c);
        m2m_error_set_ossl(err, M2M_E_NOMEM, "credential chain");
        return NULL;
    }
    atomic_init(&c->refs, 1);
    EVP_PKEY_up_ref(key);
    X509_up_ref(cert);
    c->key = key;
    c->cert = cert;
    return c;
}

struct m2m_credential *m2m_credential_load(const char *key_path, const char *cert_path,
                                           const char *chain_path, struct m2m_error *err)
{
    struct m2m_credential *c = NULL;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *certs = NULL, *chain = NULL;

    if (key_path == NULL || cert_path == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "key and certificate paths are required");
        return NULL;
    }
    if ((key = m2m_pki_load_key(key_path, err)) == NULL)
        goto out;
    if ((certs = m2m_pki_load_certs(cert_path, err)) == NULL)
        goto out;
    if (chain_path != NULL && (chain = m2m_pki_load_certs(chain_path, err)) == NULL)
        goto out;
    /* A certificate file may carry its chain after the leaf. */
    if (chain == NULL && sk_X509_num(certs) > 1) {
        chain = sk_X509_new_null();
        if (chain == NULL) {
            m2m_error_set(err, M2M_E_NOMEM, "chain");
            goto out;
        }
        while (sk_X509_num(certs) > 1) {
            X509 *x = sk_X509_delete(certs, 1);
            if (sk_X509_push(chain, x) <= 0) {
                X509_free(x);
                m2m_error_set(err, M2M_E_NOMEM, "chain");
                goto out;
            }
        }
    }
    c = m2m_credential_new(key, sk_X509_value(certs, 0), chain, err);
out:
    EVP_PKEY_free(key);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_pop_free(chain, X509_free);
    return c;
}

void m2m_credential_up_ref(struct m2m_credential *c)
{
    if (c != NULL)
        atomic_fetch_add(&c->refs, 1);
}

void m2m_credential_free(struct m2m_credential *c)
{
    if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    EVP_PKEY_free(c->key);
    X509_free(c->cert);
    sk_X509_pop_free(c->chain, X509_free);
    free(c);
}

EVP_PKEY *m2m_credential_key(const struct m2m_credential *c)
{
    return c == NULL ? NULL : c->key;
}

X509 *m2m_credential_cert(const struct m2m_credential *c)
{
    return c == NULL ? NULL : c->cert;
}

STACK_OF(X509) *m2m_credential_chain(const struct m2m_credential *c)
{
    return c == NULL ? NULL : c->chain;
}
