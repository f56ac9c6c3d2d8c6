/* Issuing keys and certificates for CAs and every oneM2M flavour (TS-0003 V3 10.1.1), for
 * the m2msec pki command, tests and demonstrations. The insecure_* fields of the spec make
 * the deliberately broken certificates negative tests need. */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/rand.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

#define DAY_SECONDS 86400

/* Curves by their ASN.1 short names, which both the provider and the built-in EC method
 * (m2m_tls_use_builtin_ec_keys) understand; the NIST names only the provider does. */
static EVP_PKEY *gen_key(enum m2m_key_type type, struct m2m_error *err)
{
    EVP_PKEY *key = NULL;

    switch (type) {
    case M2M_KEY_P256:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
        break;
    case M2M_KEY_P384:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
        break;
    case M2M_KEY_RSA2048:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        break;
    }
    if (key == NULL)
        m2m_error_set_ossl(err, M2M_E_CRYPTO, "key generation");
    return key;
}

/* RFC 5280 4.1.2.2: positive, at most 20 octets; 127 random bits make it unpredictable. */
static int set_serial(X509 *x, struct m2m_error *err)
{
    int rc = -1;
    unsigned char buf[16];
    BIGNUM *bn = NULL;

    M2M_ENSURE_OSSL(RAND_bytes(buf, sizeof(buf)) == 1, M2M_E_RANDOM, "serial number");
    buf[0] = (unsigned char)((buf[0] & 0x7f) | 0x40);
    bn = BN_bin2bn(buf, sizeof(buf), NULL);
    M2M_ENSURE_OSSL(bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL,
                    M2M_E_CRYPTO, "serial number");
    rc = 0;
out:
    BN_free(bn);
    return rc;
}

static const char *default_cn(const struct m2m_cert_spec *spec, char *buf, size_t size)
{
    if (spec->insecure_cn_only)
        return spec->identity;
    if (spec->common_name != NULL)
        return spec->common_name;
    if (spec->kind != M2M_CERT_END_ENTITY)
        return "m2msec CA";
    /* Not the identity itself: OpenSSL would check a host-like CN against DNS constraints. */
    snprintf(buf, size, "m2msec %s certificate", m2m_flavour_name(spec->flavour));
    return buf;
}

static int set_names(X509 *x, const struct m2m_cert_spec *spec, X509 *issuer, struct m2m_error *err)
{
    int rc = -1;
    char buf[64];
    const char *cn = default_cn(spec, buf, sizeof(buf));
    X509_NAME *name = X509_NAME_new();

    M2M_ENSURE(cn != NULL && cn[0] != '\0', M2M_E_INVALID_ARG, "no subject common name");
    M2M_ENSURE_OSSL(name != NULL &&
                        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                   (const unsigned char *)cn, -1, -1, 0) == 1,
                    M2M_E_INVALID_ARG, "subject common name '%s'", cn);
    M2M_ENSURE_OSSL(X509_set_subject_name(x, name) == 1, M2M_E_CRYPTO, "subject");
    M2M_ENSURE_OSSL(
        X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) == 1,
        M2M_E_CRYPTO, "issuer");
    rc = 0;
out:
    X509_NAME_free(name);
    return rc;
}

static int set_validity(X509 *x, const struct m2m_cert_spec *spec, struct m2m_error *err)
{
    int rc = -1;
    time_t nb = spec->not_before != 0 ? spec->not_before : time(NULL);
    time_t na = spec->not_after != 0 ? spec->not_after : nb + 365 * (time_t)DAY_SECONDS;

    M2M_ENSURE(na > nb, M2M_E_INVALID_ARG, "notAfter must be later than notBefore");
    M2M_ENSURE_OSSL(ASN1_TIME_set(X509_getm_notBefore(x), nb) != NULL &&
                        ASN1_TIME_set(X509_getm_notAfter(x), na) != NULL,
                    M2M_E_CRYPTO, "validity");
    rc = 0;
out:
    return rc;
}

static int add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct m2m_error *err)
{
    int rc = -1;
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);

    M2M_ENSURE_OSSL(ext != NULL && X509_add_ext(x, ext, -1) == 1, M2M_E_CRYPTO, "%s: %s",
                    OBJ_nid2sn(nid), value);
    rc = 0;
out:
    X509_EXTENSION_free(ext);
    return rc;
}

/* RFC 5280 4.2.1.9 and 4.2.1.3 for CAs; insecure_not_ca drops CA:TRUE only. */
static int add_ca_exts(X509 *x, X509V3_CTX *ctx, const struct m2m_cert_spec *spec,
                       struct m2m_error *err)
{
    int rc = -1;
    char bc[64] = "critical,CA:FALSE";

    if (!spec->insecure_not_ca && spec->path_len >= 0)
        snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", spec->path_len);
    else if (!spec->insecure_not_ca)
        snprintf(bc, sizeof(bc), "critical,CA:TRUE");
    M2M_GUARD(add_conf_ext(x, ctx, NID_basic_constraints, bc, err));
    M2M_GUARD(
        add_conf_ext(x, ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature", err));
    M2M_GUARD(pki_add_name_constraints(x, spec, err));
    rc = 0;
out:
    return rc;
}

static int add_ee_exts(X509 *x, X509V3_CTX *ctx, const struct m2m_cert_spec *spec,
                       struct m2m_error *err)
{
    int rc = -1;
    const char *ku =
        spec->insecure_no_digsig ? "critical,keyAgreement" : "critical,digitalSignature";

    M2M_GUARD(add_conf_ext(x, ctx, NID_basic_constraints, "critical,CA:FALSE", err));
    M2M_GUARD(add_conf_ext(x, ctx, NID_key_usage, ku, err));
    M2M_GUARD(add_conf_ext(x, ctx, NID_ext_key_usage, "serverAuth,clientAuth", err));
    M2M_GUARD(pki_add_san(x, spec, err));
    rc = 0;
out:
    return rc;
}

static int add_extensions(X509 *x, const struct m2m_cert_spec *spec, X509 *issuer,
                          struct m2m_error *err)
{
    int rc = -1;
    X509V3_CTX ctx;

    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    if (spec->kind == M2M_CERT_END_ENTITY)
        M2M_GUARD(add_ee_exts(x, &ctx, spec, err));
    else
        M2M_GUARD(add_ca_exts(x, &ctx, spec, err));
    M2M_GUARD(add_conf_ext(x, &ctx, NID_subject_key_identifier, "hash", err));
    M2M_GUARD(add_conf_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", err));
    rc = 0;
out:
    return rc;
}

static int check_spec(const struct m2m_cert_spec *spec, const struct m2m_credential *issuer,
                      struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE(spec->kind != M2M_CERT_ROOT_CA || issuer == NULL, M2M_E_INVALID_ARG,
               "a root CA is self-signed");
    M2M_ENSURE(spec->kind != M2M_CERT_INTERMEDIATE_CA || issuer != NULL, M2M_E_INVALID_ARG,
               "an intermediate CA needs an issuer");
    M2M_ENSURE(spec->kind != M2M_CERT_END_ENTITY || spec->identity != NULL, M2M_E_INVALID_ARG,
               "end entities need an identity");
    M2M_ENSURE(spec->device_arc == NULL || pki_is_dotted_oid(spec->device_arc), M2M_E_INVALID_ARG,
               "device arc is not a dotted object identifier");
    rc = 0;
out:
    return rc;
}

int m2m_pki_issue(const struct m2m_cert_spec *spec, const struct m2m_credential *issuer,
                  EVP_PKEY **key_out, X509 **cert_out, struct m2m_error *err)
{
    int rc = -1;
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    X509 *icert = issuer != NULL ? issuer->cert : NULL;

    M2M_ENSURE_ARG(spec != NULL && key_out != NULL && cert_out != NULL);
    M2M_GUARD(check_spec(spec, issuer, err));
    M2M_GUARD_PTR(key = gen_key(spec->key_type, err));
    x = X509_new();
    M2M_ENSURE_OSSL(x != NULL && X509_set_version(x, X509_VERSION_3) == 1, M2M_E_NOMEM,
                    "certificate");
    M2M_GUARD(set_serial(x, err));
    M2M_GUARD(set_names(x, spec, icert, err));
    M2M_GUARD(set_validity(x, spec, err));
    M2M_ENSURE_OSSL(X509_set_pubkey(x, key) == 1, M2M_E_CRYPTO, "public key");
    M2M_GUARD(add_extensions(x, spec, icert, err));
    /* TS-0003 10.1.1.3: SHA-256; SHA-1 only for the negative tests. */
    M2M_ENSURE_OSSL(X509_sign(x, issuer != NULL ? issuer->key : key,
                              spec->insecure_sha1 ? EVP_sha1() : EVP_sha256()) > 0,
                    M2M_E_CRYPTO, "signing the certificate");
    *key_out = key;
    *cert_out = x;
    key = NULL;
    x = NULL;
    rc = 0;
out:
    EVP_PKEY_free(key);
    X509_free(x);
    return rc;
}
