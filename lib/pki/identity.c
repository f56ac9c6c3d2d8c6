/* The identity check: which subjectAltName entries carry each flavour's identity and how
 * they are compared (TS-0003 V3 8.2.2.2 step 1, 10.1.1.4-10.1.1.8; SPEC.md section 2). */
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

enum entry_result { ENTRY_OTHER = 0, ENTRY_ID, ENTRY_WILDCARD };

/* Copies an IA5String/UTF8String into buf; 0 on failure (embedded NUL, too long). */
static int asn1_to_cstr(const ASN1_STRING *s, char *buf, size_t size)
{
    int len = ASN1_STRING_length(s);
    const unsigned char *d = ASN1_STRING_get0_data(s);

    if (len < 0 || (size_t)len >= size || memchr(d, '\0', (size_t)len) != NULL)
        return 0;
    memcpy(buf, d, (size_t)len);
    buf[len] = '\0';
    return 1;
}

/* TS-0003 10.1.1.4.1: otherName type-id = Device Indication arc, value = remaining arcs. */
static enum entry_result device_othername(const OTHERNAME *on, const char *arc, char *buf,
                                          size_t size)
{
    char oid[PKI_ARC_MAX], value[M2M_IDENTITY_MAX];
    int n = OBJ_obj2txt(oid, sizeof(oid), on->type_id, 1);

    if (n <= 0 || (size_t)n >= sizeof(oid) || !pki_oid_under_arc(oid, arc))
        return ENTRY_OTHER;
    if (on->value == NULL || on->value->type != V_ASN1_UTF8STRING ||
        !asn1_to_cstr(on->value->value.utf8string, value, sizeof(value)))
        return ENTRY_OTHER;
    if (pki_has_wildcard(value))
        return ENTRY_WILDCARD;
    if ((size_t)snprintf(buf, size, "%s.%s", oid, value) >= size || !pki_is_dotted_oid(buf))
        return ENTRY_OTHER;
    return ENTRY_ID;
}

/* Which GeneralName types a flavour reads. */
static int flavour_takes(enum m2m_flavour f, int type, const char *value)
{
    switch (f) {
    case M2M_FLAVOUR_DEVICE:
        return type == GEN_URI && pki_is_urn_dev(value);
    case M2M_FLAVOUR_NODE_ID:
    case M2M_FLAVOUR_AE_ID:
        return type == GEN_URI;
    case M2M_FLAVOUR_CSE_ID:
        return type == GEN_DNS;
    case M2M_FLAVOUR_FQDN:
        return type == GEN_DNS || type == GEN_URI;
    default:
        return 0;
    }
}

static enum entry_result entry_identity(const GENERAL_NAME *gn, enum m2m_flavour f, const char *arc,
                                        char *buf, size_t size)
{
    if (gn->type == GEN_OTHERNAME) {
        if (f != M2M_FLAVOUR_DEVICE && f != M2M_FLAVOUR_NODE_ID)
            return ENTRY_OTHER;
        return device_othername(gn->d.otherName, arc, buf, size);
    }
    if (gn->type != GEN_DNS && gn->type != GEN_URI)
        return ENTRY_OTHER;
    if (!asn1_to_cstr(gn->d.ia5, buf, size) || buf[0] == '\0' || !flavour_takes(f, gn->type, buf))
        return ENTRY_OTHER;
    return pki_has_wildcard(buf) ? ENTRY_WILDCARD : ENTRY_ID;
}

static int identity_equal(const GENERAL_NAME *gn, const char *id, const char *expected)
{
    /* DNS names are case-insensitive (RFC 4343); everything else is compared exactly. */
    if (gn->type == GEN_DNS)
        return pki_ascii_caseeq(id, expected);
    return strcmp(id, expected) == 0;
}

int pki_check_identity(X509 *leaf, enum m2m_flavour flavour, const char *arc, const char *expected,
                       struct m2m_verified *out, struct m2m_error *err)
{
    int rc = -1, wildcard_seen = 0;
    char id[M2M_IDENTITY_MAX];
    GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);

    /* TS-0003 8.2.2.2: the name must equal a subjectAltName entry; the CN is never used. */
    M2M_ENSURE(sans != NULL, M2M_E_CERT_NAME, "certificate has no subjectAltName");
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
        enum entry_result r = entry_identity(gn, flavour, arc, id, sizeof(id));

        if (r == ENTRY_WILDCARD)
            wildcard_seen = 1;
        if (r != ENTRY_ID || (expected != NULL && !identity_equal(gn, id, expected)))
            continue;
        if (out != NULL) {
            out->flavour = flavour;
            memcpy(out->identity, id, strlen(id) + 1);
        }
        rc = 0;
        goto out;
    }
    if (wildcard_seen)
        M2M_BAIL(M2M_E_CERT_WILDCARD, "the only %s names offered are wildcards",
                 m2m_flavour_name(flavour));
    if (expected == NULL)
        M2M_BAIL(M2M_E_CERT_NAME, "no subjectAltName entry of the %s flavour",
                 m2m_flavour_name(flavour));
    M2M_BAIL(M2M_E_CERT_NAME, "no %s subjectAltName entry equals '%s'", m2m_flavour_name(flavour),
             expected);
out:
    GENERAL_NAMES_free(sans);
    return rc;
}

static int push_id(char ***ids, int n, const char *id, struct m2m_error *err)
{
    int rc = -1;
    char **grown = realloc(*ids, (size_t)(n + 1) * sizeof(**ids));

    M2M_ENSURE(grown != NULL, M2M_E_NOMEM, "identity list");
    *ids = grown;
    grown[n] = strdup(id);
    M2M_ENSURE(grown[n] != NULL, M2M_E_NOMEM, "identity");
    rc = 0;
out:
    return rc;
}

int m2m_cert_identities(X509 *cert, enum m2m_flavour flavour, char ***ids, struct m2m_error *err)
{
    int n = 0, ok = 0;
    char id[M2M_IDENTITY_MAX];
    GENERAL_NAMES *sans = NULL;

    if (cert == NULL || ids == NULL)
        return m2m_error_set(err, M2M_E_INVALID_ARG, "cert and ids are required");
    *ids = NULL;
    sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

        if (entry_identity(gn, flavour, M2M_DEVICE_ARC_DEFAULT, id, sizeof(id)) != ENTRY_ID)
            continue;
        M2M_GUARD(push_id(ids, n, id, err));
        n++;
    }
    ok = 1;
out:
    GENERAL_NAMES_free(sans);
    if (ok)
        return n;
    for (int i = 0; i < n; i++)
        free((*ids)[i]);
    free(*ids);
    *ids = NULL;
    return -1;
}
