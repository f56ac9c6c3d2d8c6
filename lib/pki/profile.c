/* The oneM2M certificate profile (TS-0003 V3 10.1.1.1, 10.1.1.3, 10.1.1.5), checked after
 * RFC 5280 path validation on every certificate of the path. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/objects.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

static void subject_text(X509 *x, char *buf, size_t size)
{
    X509_NAME_oneline(X509_get_subject_name(x), buf, (int)size);
}

/* TS-0003 10.1.1.1: id-ecPublicKey on secp256r1, uncompressed point. */
static int check_key(X509 *x, int depth, struct m2m_error *err)
{
    int rc = -1;
    char group[64] = "", who[256];
    size_t glen = 0;
    EVP_PKEY *pk = X509_get0_pubkey(x);
    ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);

    subject_text(x, who, sizeof(who));
    M2M_ENSURE(pk != NULL && EVP_PKEY_is_a(pk, "EC"), M2M_E_CERT_PROFILE_KEY,
               "depth %d (%s): not an EC key", depth, who);
    M2M_ENSURE(EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) == 1 &&
                   OBJ_txt2nid(group) == NID_X9_62_prime256v1,
               M2M_E_CERT_PROFILE_KEY, "depth %d (%s): curve %s, not P-256", depth, who,
               group[0] ? group : "unknown");
    M2M_ENSURE(bits != NULL && bits->length == 65 && bits->data[0] == 0x04, M2M_E_CERT_PROFILE_KEY,
               "depth %d (%s): point not uncompressed", depth, who);
    rc = 0;
out:
    return rc;
}

/* TS-0003 10.1.1.3: signed with ECDSA and SHA-256. */
static int check_sig(X509 *x, int depth, struct m2m_error *err)
{
    int rc = -1;
    int nid = X509_get_signature_nid(x);
    char who[256];

    subject_text(x, who, sizeof(who));
    M2M_ENSURE(nid == NID_ecdsa_with_SHA256, M2M_E_CERT_PROFILE_SIG, "depth %d (%s): signature %s",
               depth, who, OBJ_nid2sn(nid));
    rc = 0;
out:
    return rc;
}

/* TS-0003 10.1.1.1: keyUsage present with at least digitalSignature. */
static int check_key_usage(X509 *leaf, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) != 0, M2M_E_CERT_PROFILE_KU,
               "no keyUsage extension");
    M2M_ENSURE((X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) != 0, M2M_E_CERT_PROFILE_KU,
               "keyUsage without digitalSignature");
    rc = 0;
out:
    return rc;
}

int pki_check_profile(STACK_OF(X509) *path, struct m2m_error *err)
{
    int rc = -1;

    for (int i = 0; i < sk_X509_num(path); i++) {
        M2M_GUARD(check_key(sk_X509_value(path, i), i, err));
        M2M_GUARD(check_sig(sk_X509_value(path, i), i, err));
    }
    M2M_GUARD(check_key_usage(sk_X509_value(path, 0), err));
    rc = 0;
out:
    return rc;
}

int pki_uri_host(const char *uri, char *buf, size_t size)
{
    const char *p = strstr(uri, "://");
    size_t n;

    if (p == NULL || p == uri)
        return -1;
    p += 3;
    n = strcspn(p, ":/?#");
    /* Userinfo and IP literals are not oneM2M host names. */
    if (n == 0 || n >= size || memchr(p, '@', n) != NULL || p[0] == '[')
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 0;
}

/* 1 when suffix (which begins with '.') ends host, host being longer. */
static int ends_with_dot_suffix(const char *host, const char *suffix)
{
    size_t h = strlen(host), s = strlen(suffix);

    return h > s && pki_ascii_caseeq(host + h - s, suffix);
}

/* RFC 5280 4.2.1.10: a dNSName constraint covers the name and every name below it. */
static int dns_covers(const char *host, const char *c)
{
    size_t h = strlen(host), n = strlen(c);

    if (c[0] == '.')
        return ends_with_dot_suffix(host, c);
    if (pki_ascii_caseeq(host, c))
        return 1;
    return h > n + 1 && host[h - n - 1] == '.' && pki_ascii_caseeq(host + h - n, c);
}

/* RFC 5280 4.2.1.10: a URI constraint names one host, or with a leading '.' the hosts below. */
static int uri_covers(const char *host, const char *c)
{
    return c[0] == '.' ? ends_with_dot_suffix(host, c) : pki_ascii_caseeq(host, c);
}

static int subtree_covers(const GENERAL_SUBTREE *st, const char *host)
{
    char c[M2M_IDENTITY_MAX];
    const ASN1_IA5STRING *s;

    if (st->base->type != GEN_DNS && st->base->type != GEN_URI)
        return 0;
    s = st->base->d.ia5;
    if (s->length <= 0 || (size_t)s->length >= sizeof(c) ||
        memchr(s->data, '\0', (size_t)s->length) != NULL)
        return 0;
    memcpy(c, s->data, (size_t)s->length);
    c[s->length] = '\0';
    return st->base->type == GEN_DNS ? dns_covers(host, c) : uri_covers(host, c);
}

static int any_covers(STACK_OF(GENERAL_SUBTREE) *trees, const char *host)
{
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(trees); i++)
        if (subtree_covers(sk_GENERAL_SUBTREE_value(trees, i), host))
            return 1;
    return 0;
}

int pki_check_ae_constraints(STACK_OF(X509) *path, const char *ae_uri, struct m2m_error *err)
{
    int rc = -1;
    char host[M2M_IDENTITY_MAX];
    /* The signer is the next certificate up, or the leaf itself when it is the anchor. */
    X509 *signer = sk_X509_value(path, sk_X509_num(path) > 1 ? 1 : 0);
    NAME_CONSTRAINTS *nc = X509_get_ext_d2i(signer, NID_name_constraints, NULL, NULL);

    M2M_ENSURE(pki_uri_host(ae_uri, host, sizeof(host)) == 0, M2M_E_CERT_NAME_CONSTRAINTS,
               "AE-ID URI '%s' has no host", ae_uri);
    M2M_ENSURE(nc != NULL, M2M_E_CERT_NAME_CONSTRAINTS,
               "the AE-ID certificate's issuer has no nameConstraints");
    M2M_ENSURE(any_covers(nc->permittedSubtrees, host), M2M_E_CERT_NAME_CONSTRAINTS,
               "the issuer's nameConstraints do not permit host '%s'", host);
    M2M_ENSURE(!any_covers(nc->excludedSubtrees, host), M2M_E_CERT_NAME_CONSTRAINTS,
               "the issuer's nameConstraints exclude host '%s'", host);
    rc = 0;
out:
    NAME_CONSTRAINTS_free(nc);
    return rc;
}
