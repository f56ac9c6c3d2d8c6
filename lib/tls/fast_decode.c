/* Decoding of received EC public keys by libcrypto's built-in EC method.
 *
 * Why: libssl decodes every certificate a peer sends (d2i_X509) before any callback, and
 * OpenSSL 3.0 decodes each SubjectPublicKeyInfo by building a provider decoder chain
 * (OSSL_DECODER_CTX_new_for_pkey), which walks every decoder of every provider: on this
 * machine that was ~20 % of an MEF enrolment's CPU (bench/README.md). x509_pubkey_decode()
 * takes the built-in (pre-provider) method instead when an ENGINE is registered as the
 * EVP_PKEY method of the key's type; this ENGINE registers the built-in EC method itself,
 * so the keys are libcrypto's own EC keys, decoded by o2i_ECPublicKey (which refuses a
 * point that is not on the curve), and verified by the same EC code. Measured: 1,390 ->
 * 1,013 us of MEF CPU per enrolment (paired runs, bench/README.md). */
#define OPENSSL_SUPPRESS_DEPRECATED /* the ENGINE API is the only switch OpenSSL 3.0 has */
#include <string.h>

#include <openssl/engine.h>
#include <openssl/evp.h>

#include <m2msec/tls.h>

#include "core/safety.h"

#define ENGINE_ID "m2msec-builtin-ec"

static int ec_pkey_meths(ENGINE *e, EVP_PKEY_METHOD **pmeth, const int **nids, int nid)
{
    static const int ids[] = {EVP_PKEY_EC};

    (void)e;
    if (pmeth == NULL) {
        *nids = ids;
        return 1;
    }
    *pmeth = nid == EVP_PKEY_EC ? (EVP_PKEY_METHOD *)EVP_PKEY_meth_find(EVP_PKEY_EC) : NULL;
    return *pmeth != NULL;
}

int m2m_tls_use_builtin_ec_keys(struct m2m_error *err)
{
    ENGINE *e = ENGINE_by_id(ENGINE_ID);
    int rc = -1;

    if (e != NULL) { /* already registered */
        ENGINE_free(e);
        return 0;
    }
    ERR_clear_error(); /* ENGINE_by_id's "no such engine" */
    e = ENGINE_new();
    M2M_ENSURE_OSSL(e != NULL && ENGINE_set_id(e, ENGINE_ID) == 1 &&
                        ENGINE_set_name(e, "libcrypto's built-in EC key method") == 1 &&
                        ENGINE_set_pkey_meths(e, ec_pkey_meths) == 1 && ENGINE_add(e) == 1 &&
                        ENGINE_register_pkey_meths(e) == 1,
                    M2M_E_TLS, "cannot register the built-in EC key method");
    rc = 0;
out:
    ENGINE_free(e);
    return rc;
}

int m2m_tls_builtin_ec_keys_active(void)
{
    ENGINE *e = ENGINE_get_pkey_meth_engine(EVP_PKEY_EC);
    int on = e != NULL && strcmp(ENGINE_get_id(e), ENGINE_ID) == 0;

    if (e != NULL)
        ENGINE_finish(e);
    return on;
}
