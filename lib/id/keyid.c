/* Key identifiers <relative>@<FQDN> (TS-0003 10.3.4, 10.3.5, 10.5, 10.6, 12.2 sec:relKeyID)
 * and GBA B-TIDs (3GPP TS 33.220 4.5.2). */
#include <stdio.h>
#include <string.h>

#include <m2msec/encoding.h>
#include <m2msec/id.h>

#include "core/safety.h"
#include "id/id_internal.h"

#define HEX_LEN (2 * M2M_KEYID_BIN_LEN)

/* Finds the one '@' of "<left>@<FQDN>". */
static int split_at(const char *s, const char *what, const char **at, struct m2m_error *err)
{
    const char *first = strchr(s, '@');

    if (first == NULL)
        return m2m_error_set(err, M2M_E_KEYID_SYNTAX, "%smissing '@' (expected <id>@<FQDN>)", what);
    if (strchr(first + 1, '@') != NULL)
        return m2m_error_set(err, M2M_E_KEYID_SYNTAX, "%ssecond '@' at offset %zu", what,
                             (size_t)(strchr(first + 1, '@') - s));
    *at = first;
    return 0;
}

/* The FQDN after the '@', normalised into out. */
static int host_part(const char *host, size_t base, const char *what, char *out,
                     struct m2m_error *err)
{
    size_t len = strlen(host);
    int rc = -1;

    M2M_GUARD(id_fqdn_check(host, len, ID_FQDN_ROOT_DOT, M2M_E_KEYID_SYNTAX, what, base, err));
    id_copy_lower(out, host, id_fqdn_len(host, len));
    rc = 0;
out:
    return rc;
}

/* TS-0003 12.2 sec:relKeyID: letters, digits, '.', '_', '-'. */
static int rel_check(const char *s, size_t len, struct m2m_error *err)
{
    struct id_charbuf cb;
    int rc = -1;

    M2M_ENSURE(len > 0, M2M_E_KEYID_SYNTAX, "empty relative part before '@'");
    M2M_ENSURE(len <= M2M_KEYID_REL_MAX, M2M_E_KEYID_SYNTAX,
               "relative part of %zu characters (at most %d)", len, M2M_KEYID_REL_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        M2M_ENSURE(id_is_alnum(c) || c == '.' || c == '_' || c == '-', M2M_E_KEYID_SYNTAX,
                   "%s not allowed in the relative part (offset %zu)", id_describe_char(c, &cb), i);
    }
    rc = 0;
out:
    return rc;
}

static bool is_hex16(const char *s, size_t len)
{
    if (len != HEX_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!id_is_hex((unsigned char)s[i]))
            return false;
    return true;
}

int m2m_keyid_parse(const char *s, struct m2m_keyid *out, struct m2m_error *err)
{
    const char *at = NULL;
    size_t rlen, n;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    M2M_GUARD(split_at(s, "", &at, err));
    rlen = (size_t)(at - s);
    M2M_GUARD(rel_check(s, rlen, err));
    M2M_GUARD(host_part(at + 1, rlen + 1, "FQDN: ", out->fqdn, err));
    if (is_hex16(s, rlen)) {
        /* hexBinary (TS-0003 10.3.4) accepts either case; the stored form is lowercase. */
        id_copy_lower(out->rel, s, rlen);
        M2M_GUARD(m2m_hex_decode(out->rel, out->bin, sizeof(out->bin), &n, err));
        out->has_bin = 1;
    } else {
        memcpy(out->rel, s, rlen);
        out->rel[rlen] = '\0';
    }
    rc = 0;
out:
    if (rc != 0 && out != NULL)
        memset(out, 0, sizeof(*out));
    return rc;
}

int m2m_keyid_parse_hex(const char *s, struct m2m_keyid *out, struct m2m_error *err)
{
    struct id_charbuf cb;
    size_t rlen;
    int rc = -1;

    M2M_GUARD(m2m_keyid_parse(s, out, err));
    if (!out->has_bin) {
        rlen = strlen(out->rel);
        M2M_ENSURE(rlen == HEX_LEN, M2M_E_KEYID_SYNTAX,
                   "relative part of %zu characters, expected %d hex digits", rlen, HEX_LEN);
        for (size_t i = 0; i < rlen; i++)
            M2M_ENSURE(id_is_hex((unsigned char)out->rel[i]), M2M_E_KEYID_SYNTAX,
                       "%s at offset %zu is not a hex digit",
                       id_describe_char((unsigned char)out->rel[i], &cb), i);
    }
    rc = 0;
out:
    if (rc != 0 && out != NULL)
        memset(out, 0, sizeof(*out));
    return rc;
}

int m2m_keyid_format(const unsigned char rel[M2M_KEYID_BIN_LEN], const char *fqdn, char *out,
                     size_t outsz, struct m2m_error *err)
{
    char hex[HEX_LEN + 1], host[M2M_FQDN_MAX + 1];
    int n, rc = -1;

    M2M_ENSURE_ARG(rel != NULL && fqdn != NULL && out != NULL);
    M2M_GUARD(m2m_fqdn_normalize(fqdn, host, sizeof(host), err));
    M2M_GUARD(m2m_hex_encode(rel, M2M_KEYID_BIN_LEN, hex, sizeof(hex), err));
    /* TS-0003 10.3.4: KeID = hexBinary(RelativeKeID) "@" MEF-FQDN */
    n = snprintf(out, outsz, "%s@%s", hex, host);
    M2M_ENSURE(n > 0 && (size_t)n < outsz, M2M_E_BUFFER_TOO_SMALL,
               "key identifier of %d characters", n);
    rc = 0;
out:
    return rc;
}

int m2m_keyid_to_string(const struct m2m_keyid *k, char *out, size_t outsz, struct m2m_error *err)
{
    struct m2m_keyid check;
    int n, rc = -1;

    M2M_ENSURE_ARG(k != NULL && out != NULL && outsz > 0);
    /* Bounded, in case the struct was filled by hand without terminators. */
    n = snprintf(out, outsz, "%.*s@%.*s", (int)sizeof(k->rel), k->rel, (int)sizeof(k->fqdn),
                 k->fqdn);
    M2M_ENSURE(n > 0 && (size_t)n < outsz, M2M_E_BUFFER_TOO_SMALL,
               "key identifier of %d characters", n);
    /* Re-validated, and written again from the parsed (normalised) fields. */
    M2M_GUARD(m2m_keyid_parse(out, &check, err));
    n = snprintf(out, outsz, "%s@%s", check.rel, check.fqdn);
    rc = 0;
out:
    if (rc != 0 && out != NULL && outsz > 0)
        out[0] = '\0';
    return rc;
}

int m2m_keyid_canonical(const char *s, char *out, size_t outsz, struct m2m_error *err)
{
    struct m2m_keyid k;
    int rc = -1;

    M2M_GUARD(m2m_keyid_parse(s, &k, err));
    M2M_GUARD(m2m_keyid_to_string(&k, out, outsz, err));
    rc = 0;
out:
    return rc;
}

/* base64 of 16 bytes with padding (RFC 4648 4): 22 characters and "==". */
#define BTID_B64_LEN M2M_B64_LEN(M2M_BTID_RAND_LEN)

int m2m_keyid_btid_parse(const char *s, struct m2m_btid *out, struct m2m_error *err)
{
    char b64[BTID_B64_LEN], again[BTID_B64_LEN];
    const char *at = NULL;
    size_t blen, n = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    M2M_GUARD(split_at(s, "B-TID: ", &at, err));
    blen = (size_t)(at - s);
    M2M_ENSURE(blen == BTID_B64_LEN - 1, M2M_E_KEYID_SYNTAX,
               "B-TID: RAND part of %zu characters, expected %d (base64 of %d bytes)", blen,
               BTID_B64_LEN - 1, M2M_BTID_RAND_LEN);
    memcpy(b64, s, blen);
    b64[blen] = '\0';
    M2M_ENSURE(m2m_b64_decode(b64, out->rand, sizeof(out->rand), &n, NULL) == 0 &&
                   n == M2M_BTID_RAND_LEN,
               M2M_E_KEYID_SYNTAX, "B-TID: RAND part is not base64 of %d bytes", M2M_BTID_RAND_LEN);
    /* One spelling per RAND: unused low bits of the last character must be zero. */
    M2M_GUARD(m2m_b64_encode(out->rand, n, again, sizeof(again), err));
    M2M_ENSURE(strcmp(again, b64) == 0, M2M_E_KEYID_SYNTAX,
               "B-TID: RAND part is not in canonical base64 (expected %s)", again);
    M2M_GUARD(host_part(at + 1, blen + 1, "B-TID BSF FQDN: ", out->fqdn, err));
    rc = 0;
out:
    if (rc != 0 && out != NULL)
        memset(out, 0, sizeof(*out));
    return rc;
}

int m2m_keyid_btid_format(const unsigned char rand[M2M_BTID_RAND_LEN], const char *bsf_fqdn,
                          char *out, size_t outsz, struct m2m_error *err)
{
    char b64[BTID_B64_LEN], host[M2M_FQDN_MAX + 1];
    int n, rc = -1;

    M2M_ENSURE_ARG(rand != NULL && bsf_fqdn != NULL && out != NULL);
    M2M_GUARD(m2m_fqdn_normalize(bsf_fqdn, host, sizeof(host), err));
    M2M_GUARD(m2m_b64_encode(rand, M2M_BTID_RAND_LEN, b64, sizeof(b64), err));
    /* TS 33.220 4.5.2: B-TID = base64encode(RAND)@BSF_servers_domain_name */
    n = snprintf(out, outsz, "%s@%s", b64, host);
    M2M_ENSURE(n > 0 && (size_t)n < outsz, M2M_E_BUFFER_TOO_SMALL, "B-TID of %d characters", n);
    rc = 0;
out:
    return rc;
}
