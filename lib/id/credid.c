/* Credential-IDs "<type>-<value>" (TS-0003 10.4, 12.2, 12.3.2.1); value rules in
 * m2msec/id.h. */
#include <stdio.h>
#include <string.h>

#include <m2msec/id.h>

#include "core/safety.h"
#include "id/id_internal.h"

/* What the value of each credential type identifies (the bracketed forms of table
 * 12.3.2.1-1). */
enum vform { VF_KEYID, VF_GENERIC, VF_RAWKEY, VF_DEVICE, VF_CSE, VF_AE, VF_NODE };

static const struct typedef_ {
    enum m2m_credid_type type;
    enum vform form;
    const char *name;
} types[] = {
    {M2M_CREDID_KPM, VF_KEYID, "KpmID"},
    {M2M_CREDID_KM, VF_KEYID, "KmID"},
    {M2M_CREDID_KPSA, VF_KEYID, "KpsaID/KcID"},
    {M2M_CREDID_ESPRIM_KEY, VF_GENERIC, "pairwiseESPrimKeyID"},
    {M2M_CREDID_ESDATA_ENC_KEY, VF_GENERIC, "ESData encryption key id"},
    {M2M_CREDID_ESDATA_WRAP_KEY, VF_GENERIC, "ESData key-wrap key id"},
    {M2M_CREDID_ESDATA_HMAC_KEY, VF_GENERIC, "ESData HMAC key id"},
    {M2M_CREDID_RAW_KEY, VF_RAWKEY, "raw public key"},
    {M2M_CREDID_DEVICE_CERT, VF_DEVICE, "device certificate"},
    {M2M_CREDID_CSE_CERT, VF_CSE, "CSE-ID certificate"},
    {M2M_CREDID_AE_CERT, VF_AE, "AE-ID certificate"},
    {M2M_CREDID_NODE_CERT, VF_NODE, "Node-ID certificate"},
    {M2M_CREDID_ENC_RAW_KEY, VF_RAWKEY, "ESData encryption raw public key"},
    {M2M_CREDID_ENC_DEVICE_CERT, VF_DEVICE, "ESData encryption device certificate"},
    {M2M_CREDID_ENC_CSE_CERT, VF_CSE, "ESData encryption CSE-ID certificate"},
    {M2M_CREDID_ENC_AE_CERT, VF_AE, "ESData encryption AE-ID certificate"},
    {M2M_CREDID_ENC_NODE_CERT, VF_NODE, "ESData encryption Node-ID certificate"},
    {M2M_CREDID_SIG_RAW_KEY, VF_RAWKEY, "ESData signature raw public key"},
    {M2M_CREDID_SIG_DEVICE_CERT, VF_DEVICE, "ESData signature device certificate"},
    {M2M_CREDID_SIG_CSE_CERT, VF_CSE, "ESData signature CSE-ID certificate"},
    {M2M_CREDID_SIG_AE_CERT, VF_AE, "ESData signature AE-ID certificate"},
    {M2M_CREDID_SIG_NODE_CERT, VF_NODE, "ESData signature Node-ID certificate"},
};

static const struct typedef_ *lookup(long type)
{
    for (size_t i = 0; i < M2M_ARRAY_LEN(types); i++)
        if ((long)types[i].type == type)
            return &types[i];
    return NULL;
}

const char *m2m_credid_type_name(enum m2m_credid_type type)
{
    const struct typedef_ *t = lookup((long)type);
    return t != NULL ? t->name : NULL;
}

/* TS-0003 10.4: "the Roman alphabet, numerals, '.', '_', '-', and '@'", plus extra. */
static int charset_check(const char *v, const char *extra, struct m2m_error *err)
{
    struct id_charbuf cb;

    for (size_t i = 0; v[i] != '\0'; i++) {
        unsigned char c = (unsigned char)v[i];
        if (id_is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '@' ||
            strchr(extra, c) != NULL)
            continue;
        return m2m_error_set(err, M2M_E_CREDID_SYNTAX, "value: %s not allowed at offset %zu",
                             id_describe_char(c, &cb), i);
    }
    return 0;
}

/* Re-reports a nested parser's error as a Credential-ID error, keeping its detail. */
static int wrap(int r, struct m2m_error *inner, struct m2m_error *err)
{
    const char *text, *detail;
    size_t n;

    if (r == 0)
        return 0;
    text = m2m_errcode_text(inner->code);
    n = strlen(text);
    detail = inner->msg;
    if (strncmp(detail, text, n) == 0 && detail[n] == ':')
        detail += n + 2;
    return m2m_error_set(err, M2M_E_CREDID_SYNTAX, "value: %s", detail);
}

/* RFC 6920 3: "ni://" [authority] "/" alg ";" base64url digest, algorithms of TS-0003
 * 10.1.2. The digest length must match the algorithm and its unused bits be zero. */
static int ni_digest_check(const char *d, size_t want_bytes, struct m2m_error *err)
{
    size_t len = strlen(d), want = (want_bytes * 8 + 5) / 6, spare = want * 6 - want_bytes * 8;
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *last;
    struct id_charbuf cb;

    if (len != want)
        return m2m_error_set(err, M2M_E_CREDID_SYNTAX,
                             "raw key id: digest of %zu characters, expected %zu", len, want);
    for (size_t i = 0; i < len; i++)
        if (d[i] == '\0' || strchr(alphabet, d[i]) == NULL)
            return m2m_error_set(err, M2M_E_CREDID_SYNTAX,
                                 "raw key id: %s at digest offset %zu is not base64url",
                                 id_describe_char((unsigned char)d[i], &cb), i);
    last = strchr(alphabet, d[len - 1]);
    if (((size_t)(last - alphabet) & ((1u << spare) - 1)) != 0)
        return m2m_error_set(err, M2M_E_CREDID_SYNTAX,
                             "raw key id: digest is not in canonical base64url");
    return 0;
}

static int ni_check(const char *v, struct m2m_error *err)
{
    static const struct {
        const char *alg;
        size_t bytes;
    } algs[] = {{"sha-256", 32}, {"sha-256-128", 16}, {"sha-256-120", 15}};
    struct m2m_error inner;
    const char *auth = v + 5, *slash, *semi;
    int rc = -1;

    M2M_ENSURE(strncmp(v, "ni://", 5) == 0, M2M_E_CREDID_SYNTAX,
               "raw key id must be an RFC 6920 'ni://' URI");
    M2M_ENSURE((slash = strchr(auth, '/')) != NULL, M2M_E_CREDID_SYNTAX,
               "raw key id: missing '/' after the authority");
    if (slash > auth)
        M2M_GUARD(wrap(id_fqdn_check(auth, (size_t)(slash - auth), 0, M2M_E_CREDID_SYNTAX,
                                     "raw key id authority: ", 5, &inner),
                       &inner, err));
    M2M_ENSURE((semi = strchr(slash, ';')) != NULL, M2M_E_CREDID_SYNTAX,
               "raw key id: missing ';' between algorithm and digest");
    for (size_t i = 0; i < M2M_ARRAY_LEN(algs); i++) {
        size_t alen = strlen(algs[i].alg);
        if ((size_t)(semi - slash - 1) == alen && strncmp(slash + 1, algs[i].alg, alen) == 0) {
            M2M_GUARD(ni_digest_check(semi + 1, algs[i].bytes, err));
            rc = 0;
            goto out;
        }
    }
    M2M_BAIL(M2M_E_CREDID_SYNTAX,
             "raw key id: algorithm must be sha-256, sha-256-128 or sha-256-120");
out:
    return rc;
}

/* A dotted-decimal OID (the M2M Device ID of TS-0001 Annex H): first arc 0..2, at least two
 * arcs, no empty arc, no leading zero. */
static int oid_check(const char *v, struct m2m_error *err)
{
    size_t arcs = 0, start = 0, i = 0;
    struct id_charbuf cb;

    for (;; i++) {
        if (v[i] != '.' && v[i] != '\0') {
            if (!id_is_digit((unsigned char)v[i]))
                return m2m_error_set(err, M2M_E_CREDID_SYNTAX,
                                     "device id: %s at offset %zu (expected an OID)",
                                     id_describe_char((unsigned char)v[i], &cb), i);
            continue;
        }
        if (i == start || (v[start] == '0' && i - start > 1) || i - start > 20)
            return m2m_error_set(err, M2M_E_CREDID_SYNTAX, "device id: bad OID arc at offset %zu",
                                 start);
        arcs++;
        if (v[i] == '\0')
            break;
        start = i + 1;
    }
    if (arcs < 2 || v[0] > '2' || v[1] != '.')
        return m2m_error_set(err, M2M_E_CREDID_SYNTAX,
                             "device id: an OID needs at least two arcs, the first 0, 1 or 2");
    return 0;
}

/* RFC 9039 3: "urn:dev:" followed by a subtype and its identifier. */
static int urn_dev_check(const char *v, struct m2m_error *err)
{
    static const char *const subtypes[] = {"mac:", "ow:", "org:", "os:", "ops:"};
    const char *body = v + 8;

    for (size_t i = 0; i < M2M_ARRAY_LEN(subtypes); i++) {
        size_t n = strlen(subtypes[i]);
        if (strncmp(body, subtypes[i], n) == 0 && body[n] != '\0')
            return charset_check(body + n, ":", err);
    }
    return m2m_error_set(err, M2M_E_CREDID_SYNTAX,
                         "device id: urn:dev subtype must be mac, ow, org, os or ops");
}

static int device_check(const char *v, struct m2m_error *err)
{
    if (strncmp(v, "urn:dev:", 8) == 0)
        return urn_dev_check(v, err);
    return oid_check(v, err);
}

/* Checks v for form f and writes its canonical form into out (M2M_CREDID_VALUE_MAX + 1). */
static int value_check(enum vform f, const char *v, char *out, struct m2m_error *err)
{
    const size_t outsz = M2M_CREDID_VALUE_MAX + 1;
    struct m2m_error inner;
    struct m2m_keyid k;
    struct m2m_id id;
    int rc = -1;

    M2M_ENSURE(v[0] != '\0', M2M_E_CREDID_SYNTAX, "empty value");
    M2M_ENSURE(strlen(v) <= M2M_CREDID_VALUE_MAX, M2M_E_CREDID_SYNTAX,
               "value of %zu characters (at most %d)", strlen(v), M2M_CREDID_VALUE_MAX);
    switch (f) {
    case VF_KEYID:
        M2M_GUARD(wrap(m2m_keyid_parse(v, &k, &inner), &inner, err));
        M2M_GUARD(m2m_keyid_to_string(&k, out, outsz, err));
        break;
    case VF_CSE:
    case VF_AE:
        M2M_GUARD(
            wrap(m2m_id_parse(v, f == VF_CSE ? M2M_ID_CSE : M2M_ID_AE, &id, &inner), &inner, err));
        M2M_GUARD(m2m_id_format(&id, out, outsz, err));
        break;
    case VF_RAWKEY:
        M2M_GUARD(ni_check(v, err));
        memcpy(out, v, strlen(v) + 1);
        break;
    case VF_DEVICE:
        M2M_GUARD(device_check(v, err));
        memcpy(out, v, strlen(v) + 1);
        break;
    case VF_GENERIC:
    case VF_NODE:
        M2M_GUARD(charset_check(v, f == VF_NODE ? ":" : "", err));
        memcpy(out, v, strlen(v) + 1);
        break;
    }
    rc = 0;
out:
    return rc;
}

int m2m_credid_parse(const char *s, struct m2m_credid *out, struct m2m_error *err)
{
    const struct typedef_ *t;
    long type = 0;
    size_t i = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    /* TS-0003 10.4: the type-ID, a positive integer, then '-', then the value. */
    for (; id_is_digit((unsigned char)s[i]) && i < 4; i++)
        type = type * 10 + (s[i] - '0');
    M2M_ENSURE(i > 0, M2M_E_CREDID_SYNTAX, "must start with a numeric type (<type>-<value>)");
    M2M_ENSURE(s[i] == '-', M2M_E_CREDID_SYNTAX, "missing '-' after the type at offset %zu", i);
    M2M_ENSURE(s[0] != '0', M2M_E_CREDID_SYNTAX, "type has a leading zero");
    M2M_ENSURE((t = lookup(type)) != NULL, M2M_E_CREDID_SYNTAX, "unknown type %ld", type);
    M2M_GUARD(value_check(t->form, s + i + 1, out->value, err));
    out->type = t->type;
    rc = 0;
out:
    if (rc != 0 && out != NULL)
        memset(out, 0, sizeof(*out));
    return rc;
}

int m2m_credid_format(enum m2m_credid_type type, const char *value, char *out, size_t outsz,
                      struct m2m_error *err)
{
    char canon[M2M_CREDID_VALUE_MAX + 1];
    const struct typedef_ *t;
    int n, rc = -1;

    M2M_ENSURE_ARG(value != NULL && out != NULL && outsz > 0);
    M2M_ENSURE((t = lookup((long)type)) != NULL, M2M_E_CREDID_SYNTAX, "unknown type %ld",
               (long)type);
    M2M_GUARD(value_check(t->form, value, canon, err));
    n = snprintf(out, outsz, "%d-%s", (int)t->type, canon);
    M2M_ENSURE(n > 0 && (size_t)n < outsz, M2M_E_BUFFER_TOO_SMALL, "Credential-ID of %d characters",
               n);
    rc = 0;
out:
    return rc;
}
