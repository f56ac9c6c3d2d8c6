/* The name-bearing extensions of issued certificates: the subjectAltName entry of each
 * flavour (TS-0003 V3 10.1.1.4-10.1.1.8) and CA nameConstraints (RFC 5280 4.2.1.10). */
#include <string.h>

#include <openssl/objects.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

/* LDH labels (RFC 1123), optionally a leading '.' (constraints) or '*' (negative tests). */
static int is_hostname(const char *s, int allow_star)
{
    if (*s == '.')
        s++;
    if (*s == '\0' || strlen(s) > 253)
        return 0;
    for (; *s != '\0'; s++) {
        int ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                 *s == '-' || *s == '.' || (allow_star && *s == '*');
        if (!ok)
            return 0;
    }
    return 1;
}

static GENERAL_NAME *ia5_name(int type, const char *value)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();

    if (gn == NULL || s == NULL || !ASN1_STRING_set(s, value, -1)) {
        GENERAL_NAME_free(gn);
        ASN1_IA5STRING_free(s);
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, type, s);
    return gn;
}

/* TS-0003 10.1.1.4.1: type-id = the Device Indication arc, value = the remaining arcs. */
static GENERAL_NAME *device_name(const char *arc, const char *rest)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_OBJECT *oid = OBJ_txt2obj(arc, 1);
    ASN1_TYPE *val = ASN1_TYPE_new();
    ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();

    if (gn == NULL || oid == NULL || val == NULL || u == NULL || !ASN1_STRING_set(u, rest, -1))
        goto fail;
    ASN1_TYPE_set(val, V_ASN1_UTF8STRING, u);
    u = NULL;
    if (!GENERAL_NAME_set0_othername(gn, oid, val))
        goto fail;
    return gn;
fail:
    GENERAL_NAME_free(gn);
    ASN1_OBJECT_free(oid);
    ASN1_TYPE_free(val);
    ASN1_UTF8STRING_free(u);
    return NULL;
}

/* An OID identity under the arc: "<arc>.<at least one more arc>". */
static const char *oid_rest(const char *id, const char *arc)
{
    size_t n = strlen(arc);

    if (!pki_is_dotted_oid(id) || strncmp(id, arc, n) != 0 || id[n] != '.')
        return NULL;
    return id + n + 1;
}

static int has_authority(const char *uri)
{
    char host[M2M_IDENTITY_MAX];

    return pki_uri_host(uri, host, sizeof(host)) == 0;
}

static GENERAL_NAME *dns_name(const char *id, int allow_star, struct m2m_error *err)
{
    if (id[0] != '.' && is_hostname(id, allow_star))
        return ia5_name(GEN_DNS, id);
    m2m_error_set(err, M2M_E_FQDN_SYNTAX, "'%s' is not a domain name", id);
    return NULL;
}

/* The SAN entry for spec->identity, or NULL with err set when the identity does not fit. */
static GENERAL_NAME *flavour_name(const struct m2m_cert_spec *spec, struct m2m_error *err)
{
    const char *id = spec->identity;
    const char *arc = spec->device_arc != NULL ? spec->device_arc : M2M_DEVICE_ARC_DEFAULT;
    const char *rest = oid_rest(id, arc);
    int star = spec->insecure_wildcard;

    switch (spec->flavour) {
    case M2M_FLAVOUR_DEVICE:
        if (pki_is_urn_dev(id))
            return ia5_name(GEN_URI, id);
        if (rest != NULL)
            return device_name(arc, rest);
        m2m_error_set(err, M2M_E_ID_SYNTAX, "device id '%s' is neither %s.<arcs> nor urn:dev:...",
                      id, arc);
        return NULL;
    case M2M_FLAVOUR_NODE_ID:
        if (rest != NULL)
            return device_name(arc, rest);
        if (strchr(id, ':') != NULL)
            return ia5_name(GEN_URI, id);
        m2m_error_set(err, M2M_E_ID_SYNTAX, "Node-ID '%s' is neither %s.<arcs> nor a URI", id, arc);
        return NULL;
    case M2M_FLAVOUR_AE_ID:
        if (has_authority(id))
            return ia5_name(GEN_URI, id);
        m2m_error_set(err, M2M_E_ID_SYNTAX, "AE-ID '%s' is not a URI with a host", id);
        return NULL;
    case M2M_FLAVOUR_FQDN:
        if (strstr(id, "://") != NULL && has_authority(id))
            return ia5_name(GEN_URI, id);
        return dns_name(id, star, err);
    case M2M_FLAVOUR_CSE_ID:
        return dns_name(id, star, err);
    default:
        m2m_error_set(err, M2M_E_INVALID_ARG, "end entities need a certificate flavour");
        return NULL;
    }
}

int pki_add_san(X509 *x, const struct m2m_cert_spec *spec, struct m2m_error *err)
{
    int rc = -1;
    GENERAL_NAMES *gens = NULL;
    GENERAL_NAME *gn = NULL;

    if (spec->kind != M2M_CERT_END_ENTITY || spec->insecure_cn_only)
        return 0;
    M2M_ENSURE(spec->identity != NULL && spec->identity[0] != '\0', M2M_E_INVALID_ARG,
               "end entities need an identity");
    /* TS-0003 10.1.1.5-10.1.1.8: certificates shall not include wildcards. */
    M2M_ENSURE(spec->insecure_wildcard || !pki_has_wildcard(spec->identity), M2M_E_CERT_WILDCARD,
               "identity '%s'", spec->identity);
    M2M_ENSURE(strlen(spec->identity) < M2M_IDENTITY_MAX, M2M_E_INVALID_ARG, "identity too long");
    M2M_GUARD_PTR(gn = flavour_name(spec, err));
    gens = sk_GENERAL_NAME_new_null();
    M2M_ENSURE(gens != NULL && sk_GENERAL_NAME_push(gens, gn) > 0, M2M_E_NOMEM, "SAN");
    gn = NULL;
    M2M_ENSURE_OSSL(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1,
                    M2M_E_CRYPTO, "subjectAltName");
    rc = 0;
out:
    GENERAL_NAME_free(gn);
    GENERAL_NAMES_free(gens);
    return rc;
}

static int push_subtree(STACK_OF(GENERAL_SUBTREE) *trees, int type, const char *value)
{
    GENERAL_SUBTREE *st = GENERAL_SUBTREE_new();
    GENERAL_NAME *gn = ia5_name(type, value);

    if (st == NULL || gn == NULL || sk_GENERAL_SUBTREE_push(trees, st) <= 0) {
        GENERAL_SUBTREE_free(st);
        GENERAL_NAME_free(gn);
        return -1;
    }
    GENERAL_NAME_free(st->base);
    st->base = gn;
    return 0;
}

/* One permitted host: the dNSName subtree covers it and the names below it; URI subtrees
 * need "host" and ".host" for the same set (RFC 5280 4.2.1.10). */
static int permit_host(STACK_OF(GENERAL_SUBTREE) *trees, const char *host, struct m2m_error *err)
{
    int rc = -1;
    char dotted[M2M_IDENTITY_MAX];

    M2M_ENSURE(is_hostname(host, 0), M2M_E_FQDN_SYNTAX, "constraint '%s'", host);
    M2M_ENSURE(push_subtree(trees, GEN_DNS, host) == 0 && push_subtree(trees, GEN_URI, host) == 0,
               M2M_E_NOMEM, "nameConstraints");
    if (host[0] != '.') {
        M2M_ENSURE((size_t)snprintf(dotted, sizeof(dotted), ".%s", host) < sizeof(dotted),
                   M2M_E_FQDN_SYNTAX, "constraint too long");
        M2M_ENSURE(push_subtree(trees, GEN_URI, dotted) == 0, M2M_E_NOMEM, "nameConstraints");
    }
    rc = 0;
out:
    return rc;
}

int pki_add_name_constraints(X509 *x, const struct m2m_cert_spec *spec, struct m2m_error *err)
{
    int rc = -1;
    NAME_CONSTRAINTS *nc = NULL;

    if (spec->kind == M2M_CERT_END_ENTITY || spec->permitted_dns[0] == NULL)
        return 0;
    nc = NAME_CONSTRAINTS_new();
    M2M_ENSURE(nc != NULL, M2M_E_NOMEM, "nameConstraints");
    nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null();
    M2M_ENSURE(nc->permittedSubtrees != NULL, M2M_E_NOMEM, "nameConstraints");
    for (size_t i = 0; i < M2M_MAX_CONSTRAINTS && spec->permitted_dns[i] != NULL; i++)
        M2M_GUARD(permit_host(nc->permittedSubtrees, spec->permitted_dns[i], err));
    /* TS-0003 10.1.1.4.2, 10.1.1.5: CAs constrain the names below them; critical per
     * RFC 5280 4.2.1.10. */
    M2M_ENSURE_OSSL(X509_add1_ext_i2d(x, NID_name_constraints, nc, 1, X509V3_ADD_DEFAULT) == 1,
                    M2M_E_CRYPTO, "nameConstraints");
    rc = 0;
out:
    NAME_CONSTRAINTS_free(nc);
    return rc;
}
