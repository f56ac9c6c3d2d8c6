/* Names derived from identifiers for certificates: the CSE public domain name (TS-0001
 * 6.5.1.1, TS-0003 10.1.1.7) and the AE-ID URI (TS-0003 10.1.1.5, 8.1.2.5). */
#include <stdio.h>
#include <string.h>

#include <m2msec/id.h>

#include "core/safety.h"
#include "id/id_internal.h"

/* A CSE-ID as it appears in a DNS name: one lowercase label (RFC 1123 2.1). */
static int cse_label(const struct m2m_id *cse, const char *what, char *label, struct m2m_error *err)
{
    size_t len = strlen(cse->cse);
    int rc = -1;

    M2M_GUARD(id_label_check(cse->cse, len, M2M_E_ID_SYNTAX, what, 0, err));
    id_copy_lower(label, cse->cse, len);
    rc = 0;
out:
    return rc;
}

/* Merges the SP named by an absolute CSE-ID into sp ("" while unknown); two different SPs
 * are an error, since a CSE's public domain name lies under its own SP's domain. */
static int merge_sp(char sp[M2M_FQDN_MAX + 1], const char *candidate, struct m2m_error *err)
{
    if (candidate[0] == '\0')
        return 0;
    if (sp[0] != '\0' && strcmp(sp, candidate) != 0)
        return m2m_error_set(err, M2M_E_ID_SYNTAX, "SP domain '%s' differs from '%s'", candidate,
                             sp);
    memcpy(sp, candidate, strlen(candidate) + 1);
    return 0;
}

static int sp_domain_of(const char *sp_domain, char sp[M2M_FQDN_MAX + 1], struct m2m_error *err)
{
    size_t len;
    int rc = -1;

    sp[0] = '\0';
    if (sp_domain == NULL)
        return 0;
    len = strlen(sp_domain);
    M2M_GUARD(
        id_fqdn_check(sp_domain, len, ID_FQDN_ROOT_DOT, M2M_E_ID_SYNTAX, "SP domain: ", 0, err));
    id_copy_lower(sp, sp_domain, id_fqdn_len(sp_domain, len));
    rc = 0;
out:
    return rc;
}

int m2m_id_cse_public_domain(enum m2m_cse_type type, const char *cse_id, const char *in_cse_id,
                             const char *sp_domain, char *out, size_t outsz, struct m2m_error *err)
{
    struct m2m_id cse, in;
    char sp[M2M_FQDN_MAX + 1], label[M2M_ID_SEGMENT_MAX + 1], in_label[M2M_ID_SEGMENT_MAX + 1];
    char name[2 * (M2M_ID_SEGMENT_MAX + 1) + M2M_FQDN_MAX + 1];
    int n, rc = -1;

    M2M_ENSURE_ARG(cse_id != NULL && out != NULL);
    M2M_ENSURE_ARG(type == M2M_CSE_IN || type == M2M_CSE_MN || type == M2M_CSE_ASN);
    M2M_ENSURE(type == M2M_CSE_IN || in_cse_id != NULL, M2M_E_INVALID_ARG,
               "an MN-CSE or ASN-CSE public domain name needs the IN-CSE-ID");
    M2M_GUARD(sp_domain_of(sp_domain, sp, err));
    M2M_GUARD(m2m_id_parse(cse_id, M2M_ID_CSE, &cse, err));
    M2M_GUARD(merge_sp(sp, cse.sp, err));
    M2M_GUARD(cse_label(&cse, "CSE-ID as a DNS label: ", label, err));
    if (type == M2M_CSE_IN) {
        M2M_ENSURE(sp[0] != '\0', M2M_E_ID_SYNTAX,
                   "no SP domain: give it, or give the CSE-ID in absolute form");
        /* TS-0001 6.5.1.1: <IN-CSE-ID>.<M2M Service Provider domain name> */
        n = snprintf(name, sizeof(name), "%s.%s", label, sp);
    } else {
        M2M_GUARD(m2m_id_parse(in_cse_id, M2M_ID_CSE, &in, err));
        M2M_GUARD(merge_sp(sp, in.sp, err));
        M2M_GUARD(cse_label(&in, "IN-CSE-ID as a DNS label: ", in_label, err));
        M2M_ENSURE(sp[0] != '\0', M2M_E_ID_SYNTAX,
                   "no SP domain: give it, or give a CSE-ID in absolute form");
        /* TS-0001 6.5.1.1: <CSE-ID>.<Infrastructure Node public domain name> */
        n = snprintf(name, sizeof(name), "%s.%s.%s", label, in_label, sp);
    }
    M2M_ENSURE(n > 0 && (size_t)n < sizeof(name), M2M_E_INTERNAL, "name buffer");
    M2M_ENSURE(n <= M2M_FQDN_MAX, M2M_E_ID_SYNTAX,
               "public domain name of %d characters (at most %d)", n, M2M_FQDN_MAX);
    M2M_GUARD(m2m_fqdn_normalize(name, out, outsz, err));
    rc = 0;
out:
    return rc;
}

int m2m_id_ae_uri(const char *ae_id, const char *sp_id, char *out, size_t outsz,
                  struct m2m_error *err)
{
    struct m2m_id ae;
    char abs[M2M_ID_MAX + 1];
    int n, rc = -1;

    M2M_ENSURE_ARG(ae_id != NULL && out != NULL && outsz > 0);
    M2M_GUARD(id_canonical_parse(ae_id, M2M_ID_AE, sp_id, &ae, err));
    M2M_GUARD(m2m_id_format(&ae, abs, sizeof(abs), err));
    /* TS-0003 10.1.1.5 with the scheme chosen in m2msec/id.h: "onem2m:" + Absolute AE-ID. */
    n = snprintf(out, outsz, "%s:%s", M2M_AE_URI_SCHEME, abs);
    M2M_ENSURE(n > 0 && (size_t)n < outsz, M2M_E_BUFFER_TOO_SMALL, "URI of %d characters", n);
    rc = 0;
out:
    return rc;
}

/* Characters an AE-ID URI must not hold, each with the URI part it would introduce. */
static int uri_extras_check(const char *rest, size_t base, struct m2m_error *err)
{
    static const struct {
        char c;
        const char *why;
    } bad[] = {
        {'?', "a query is"},  {'#', "a fragment is"}, {'%', "percent-encoding is"},
        {'@', "userinfo is"}, {':', "a port is"},
    };

    for (size_t i = 0; rest[i] != '\0'; i++)
        for (size_t j = 0; j < M2M_ARRAY_LEN(bad); j++)
            if (rest[i] == bad[j].c)
                return m2m_error_set(err, M2M_E_ID_SYNTAX,
                                     "AE-ID URI: '%c' at offset %zu: %s not allowed", bad[j].c,
                                     base + i, bad[j].why);
    return 0;
}

int m2m_id_ae_uri_parse(const char *uri, struct m2m_id *out, struct m2m_error *err)
{
    static const char scheme[] = M2M_AE_URI_SCHEME ":";
    const size_t slen = sizeof(scheme) - 1;
    const char *rest;
    int rc = -1;

    M2M_ENSURE_ARG(uri != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    /* RFC 3986 3.1: schemes compare case-insensitively. */
    for (size_t i = 0; i < slen; i++)
        M2M_ENSURE(id_lower(uri[i]) == scheme[i], M2M_E_ID_SYNTAX,
                   "AE-ID URI must start with '%s//'", scheme);
    rest = uri + slen;
    M2M_ENSURE(rest[0] == '/' && rest[1] == '/', M2M_E_ID_SYNTAX,
               "AE-ID URI must be '%s//<SP FQDN>/...' (an absolute AE-ID)", scheme);
    M2M_GUARD(uri_extras_check(rest, slen, err));
    M2M_GUARD(m2m_id_parse(rest, M2M_ID_AE, out, err));
    rc = 0;
out:
    return rc;
}
