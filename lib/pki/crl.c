/* Issuing CRLs (RFC 5280 5) so revocation can be configured and tested end to end. */
#include <time.h>

#include <openssl/bn.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

#define DAY_SECONDS 86400

static int add_revoked(X509_CRL *crl, X509 *issuer, X509 *cert, time_t now, struct m2m_error *err)
{
    int rc = -1;
    X509_REVOKED *r = NULL;
    ASN1_TIME *when = NULL;

    /* A CRL only speaks for certificates its issuer signed. */
    M2M_ENSURE(X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) == 0,
               M2M_E_INVALID_ARG, "a revoked certificate was not issued by the CRL issuer");
    r = X509_REVOKED_new();
    when = ASN1_TIME_set(NULL, now);
    M2M_ENSURE_OSSL(r != NULL && when != NULL &&
                        X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(cert)) == 1 &&
                        X509_REVOKED_set_revocationDate(r, when) == 1,
                    M2M_E_CRYPTO, "revoked entry");
    M2M_ENSURE_OSSL(X509_CRL_add0_revoked(crl, r) == 1, M2M_E_CRYPTO, "revoked entry");
    r = NULL;
    rc = 0;
out:
    X509_REVOKED_free(r);
    ASN1_TIME_free(when);
    return rc;
}

/* RFC 5280 5.2.1 and 5.2.3: authorityKeyIdentifier and cRLNumber are required. */
static int add_crl_exts(X509_CRL *crl, X509 *issuer, time_t now, struct m2m_error *err)
{
    int rc = -1;
    X509V3_CTX ctx;
    X509_EXTENSION *aki = NULL;
    ASN1_INTEGER *num = ASN1_INTEGER_new();

    X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
    aki = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    M2M_ENSURE_OSSL(aki != NULL && X509_CRL_add_ext(crl, aki, -1) == 1, M2M_E_CRYPTO,
                    "CRL authorityKeyIdentifier");
    /* Issue time as the CRL number keeps it increasing across runs without stored state. */
    M2M_ENSURE_OSSL(num != NULL && ASN1_INTEGER_set_int64(num, (int64_t)now) == 1 &&
                        X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1,
                    M2M_E_CRYPTO, "CRL number");
    rc = 0;
out:
    X509_EXTENSION_free(aki);
    ASN1_INTEGER_free(num);
    return rc;
}

static int set_crl_times(X509_CRL *crl, time_t now, int days, struct m2m_error *err)
{
    int rc = -1;
    ASN1_TIME *last = ASN1_TIME_set(NULL, now);
    ASN1_TIME *next = ASN1_TIME_set(NULL, now + (time_t)days * DAY_SECONDS);

    M2M_ENSURE_OSSL(last != NULL && next != NULL && X509_CRL_set1_lastUpdate(crl, last) == 1 &&
                        X509_CRL_set1_nextUpdate(crl, next) == 1,
                    M2M_E_CRYPTO, "CRL times");
    rc = 0;
out:
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    return rc;
}

int m2m_pki_make_crl(const struct m2m_credential *issuer, X509 *const *revoked, size_t n_revoked,
                     int days, X509_CRL **crl_out, struct m2m_error *err)
{
    int rc = -1;
    time_t now = time(NULL);
    X509_CRL *crl = NULL;

    M2M_ENSURE_ARG(issuer != NULL && crl_out != NULL && (revoked != NULL || n_revoked == 0));
    M2M_ENSURE(days > 0, M2M_E_INVALID_ARG, "a CRL must be valid for at least one day");
    crl = X509_CRL_new();
    M2M_ENSURE_OSSL(crl != NULL && X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1 &&
                        X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer->cert)) == 1,
                    M2M_E_CRYPTO, "CRL");
    M2M_GUARD(set_crl_times(crl, now, days, err));
    for (size_t i = 0; i < n_revoked; i++)
        M2M_GUARD(add_revoked(crl, issuer->cert, revoked[i], now, err));
    M2M_ENSURE_OSSL(X509_CRL_sort(crl) == 1, M2M_E_CRYPTO, "CRL");
    M2M_GUARD(add_crl_exts(crl, issuer->cert, now, err));
    M2M_ENSURE_OSSL(X509_CRL_sign(crl, issuer->key, EVP_sha256()) > 0, M2M_E_CRYPTO,
                    "signing the CRL");
    *crl_out = crl;
    crl = NULL;
    rc = 0;
out:
    X509_CRL_free(crl);
    return rc;
}
