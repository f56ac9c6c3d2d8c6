/* oneM2M verification of a peer certificate (TS-0003 V3 8.2.2.2; SPEC.md section 2):
 * RFC 5280 path validation against the configured anchors only, the 10.1.1 profile, then
 * the identity check of the flavour. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

struct x509_err_map {
    int x509;
    enum m2m_errcode code;
};

static const struct x509_err_map err_map[] = {
    {X509_V_ERR_CERT_HAS_EXPIRED, M2M_E_CERT_EXPIRED},
    {X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, M2M_E_CERT_EXPIRED},
    {X509_V_ERR_CERT_NOT_YET_VALID, M2M_E_CERT_NOT_YET_VALID},
    {X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, M2M_E_CERT_NOT_YET_VALID},
    {X509_V_ERR_CERT_REVOKED, M2M_E_CERT_REVOKED},
    {X509_V_ERR_UNABLE_TO_GET_CRL, M2M_E_CERT_CRL},
    {X509_V_ERR_CRL_NOT_YET_VALID, M2M_E_CERT_CRL},
    {X509_V_ERR_CRL_HAS_EXPIRED, M2M_E_CERT_CRL},
    {X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, M2M_E_CERT_CRL},
    {X509_V_ERR_CRL_SIGNATURE_FAILURE, M2M_E_CERT_CRL},
    {X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD, M2M_E_CERT_CRL},
    {X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, M2M_E_CERT_CRL},
    {X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, M2M_E_CERT_CRL},
    {X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, M2M_E_CERT_CRL},
    {X509_V_ERR_DIFFERENT_CRL_SCOPE, M2M_E_CERT_CRL},
    {X509_V_ERR_CRL_PATH_VALIDATION_ERROR, M2M_E_CERT_CRL},
    {X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION, M2M_E_CERT_CRL},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, M2M_E_CERT_UNTRUSTED},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, M2M_E_CERT_UNTRUSTED},
    {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, M2M_E_CERT_UNTRUSTED},
    {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, M2M_E_CERT_UNTRUSTED},
    {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, M2M_E_CERT_UNTRUSTED},
    {X509_V_ERR_CERT_UNTRUSTED, M2M_E_CERT_UNTRUSTED},
    {X509_V_ERR_CERT_REJECTED, M2M_E_CERT_UNTRUSTED},
    {X509_V_ERR_INVALID_CA, M2M_E_CERT_NOT_CA},
    {X509_V_ERR_PATH_LENGTH_EXCEEDED, M2M_E_CERT_PATHLEN},
    {X509_V_ERR_PERMITTED_VIOLATION, M2M_E_CERT_NAME_CONSTRAINTS},
    {X509_V_ERR_EXCLUDED_VIOLATION, M2M_E_CERT_NAME_CONSTRAINTS},
    {X509_V_ERR_SUBTREE_MINMAX, M2M_E_CERT_NAME_CONSTRAINTS},
    {X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, M2M_E_CERT_NAME_CONSTRAINTS},
    {X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX, M2M_E_CERT_NAME_CONSTRAINTS},
    {X509_V_ERR_UNSUPPORTED_NAME_SYNTAX, M2M_E_CERT_NAME_CONSTRAINTS},
};

static enum m2m_errcode map_x509_error(int e)
{
    for (size_t i = 0; i < M2M_ARRAY_LEN(err_map); i++)
        if (err_map[i].x509 == e)
            return err_map[i].code;
    return M2M_E_CERT_CHAIN;
}

/* RFC 5280 6.1 through OpenSSL; on success *path holds the validated path (leaf first). */
static int validate_path(const struct m2m_trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
                         STACK_OF(X509) **path, struct m2m_error *err)
{
    int rc = -1;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();

    M2M_ENSURE_OSSL(ctx != NULL, M2M_E_NOMEM, "verify context");
    M2M_ENSURE_OSSL(X509_STORE_CTX_init(ctx, t->store, leaf, untrusted) == 1, M2M_E_INTERNAL,
                    "verify context");
    if (t->at != 0)
        X509_STORE_CTX_set_time(ctx, 0, t->at);
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
        char who[256] = "?";

        if (bad != NULL)
            X509_NAME_oneline(X509_get_subject_name(bad), who, (int)sizeof(who));
        ERR_clear_error();
        M2M_BAIL(map_x509_error(e), "%s (depth %d, %s)", X509_verify_cert_error_string(e),
                 X509_STORE_CTX_get_error_depth(ctx), who);
    }
    *path = X509_STORE_CTX_get1_chain(ctx);
    M2M_ENSURE_OSSL(*path != NULL, M2M_E_NOMEM, "validated path");
    rc = 0;
out:
    X509_STORE_CTX_free(ctx);
    return rc;
}

int m2m_verify_cert(const struct m2m_trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
                    enum m2m_flavour flavour, const char *expected, struct m2m_verified *out,
                    struct m2m_error *err)
{
    int rc = -1;
    STACK_OF(X509) *path = NULL;
    struct m2m_verified v = {0};

    M2M_ENSURE_ARG(t != NULL && leaf != NULL);
    M2M_ENSURE(flavour > M2M_FLAVOUR_NONE && flavour < M2M_FLAVOUR__COUNT, M2M_E_INVALID_ARG,
               "no certificate flavour given");
    /* TS-0003 10.1.1.5-10.1.1.8: no wildcards, so a configured one is a setup error. */
    M2M_ENSURE(expected == NULL || !pki_has_wildcard(expected), M2M_E_CERT_WILDCARD,
               "configured identity '%s'", expected);
    M2M_GUARD(validate_path(t, leaf, untrusted, &path, err));
    if (!t->relax_profile)
        M2M_GUARD(pki_check_profile(path, err));
    M2M_GUARD(pki_check_identity(leaf, flavour, t->device_arc, expected, &v, err));
    if (flavour == M2M_FLAVOUR_AE_ID && !t->relax_profile)
        M2M_GUARD(pki_check_ae_constraints(path, v.identity, err));
    snprintf(v.trust_set, sizeof(v.trust_set), "%s", t->name);
    if (out != NULL)
        *out = v;
    rc = 0;
out:
    sk_X509_pop_free(path, X509_free);
    return rc;
}
