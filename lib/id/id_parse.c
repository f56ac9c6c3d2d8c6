/* Parsing SP-IDs, CSE-IDs and AE-IDs against the ABNF of TS-0004 6.2.3 (TS-0001 7.2). */
#include <string.h>

#include <m2msec/id.h>

#include "core/safety.h"
#include "id/id_internal.h"

static const char *kind_name(enum m2m_id_kind kind)
{
    switch (kind) {
    case M2M_ID_SP:
        return "an SP-ID";
    case M2M_ID_CSE:
        return "a CSE-ID";
    case M2M_ID_AE:
        return "an AE-ID";
    default:
        return "an identifier";
    }
}

/* TS-0004 6.2.3: 1*unreserved, unreserved = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-" / "." / "_"),
 * i.e. a letter or digit, then letters, digits, '-', '.', '_'. */
static int segment_check(const char *s, size_t len, const char *what, size_t base,
                         struct m2m_error *err)
{
    struct id_charbuf cb;
    int rc = -1;

    M2M_ENSURE(len > 0, M2M_E_ID_SYNTAX, "empty %s at offset %zu", what, base);
    M2M_ENSURE(len <= M2M_ID_SEGMENT_MAX, M2M_E_ID_SYNTAX,
               "%s at offset %zu has %zu characters (at most %d)", what, base, len,
               M2M_ID_SEGMENT_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (id_is_alnum(c) || (i > 0 && (c == '-' || c == '.' || c == '_')))
            continue;
        if (i == 0 && (c == '-' || c == '.' || c == '_'))
            M2M_BAIL(M2M_E_ID_SYNTAX, "%s at offset %zu must start with a letter or digit", what,
                     base);
        M2M_BAIL(M2M_E_ID_SYNTAX, "%s not allowed in %s at offset %zu",
                 c >= 0x80 ? "non-ASCII byte" : id_describe_char(c, &cb), what, base + i);
    }
    rc = 0;
out:
    return rc;
}

/* TS-0004 6.2.3: C-AE-ID-Stem = "C" 1*unreserved, S-AE-ID-Stem = "S" 1*unreserved. */
static int stem_check(const char *s, size_t len, size_t base, struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(segment_check(s, len, "AE-ID-Stem", base, err));
    M2M_ENSURE(s[0] == 'C' || s[0] == 'S', M2M_E_ID_SYNTAX,
               "AE-ID-Stem at offset %zu starts with '%c': only 'C' (CSE-assigned) and 'S' "
               "(SP-assigned) are defined, other first letters are reserved",
               base, s[0]);
    M2M_ENSURE(len >= 2 && id_is_alnum((unsigned char)s[1]), M2M_E_ID_SYNTAX,
               "AE-ID-Stem at offset %zu: '%c' must be followed by a letter or digit", base, s[0]);
    rc = 0;
out:
    return rc;
}

static int want(enum m2m_id_kind expect, enum m2m_id_kind got, struct m2m_error *err)
{
    if (expect == M2M_ID_ANY || expect == got)
        return 0;
    return m2m_error_set(err, M2M_E_ID_SYNTAX, "%s where %s is expected", kind_name(got),
                         kind_name(expect));
}

/* "/X" or "//sp/X": a CSE-ID, or an S-type AE-ID when the caller expects an AE-ID. */
static int one_segment(const char *seg, size_t len, size_t base, enum m2m_id_kind expect,
                       struct m2m_id *out, struct m2m_error *err)
{
    int rc = -1;

    if (expect == M2M_ID_AE) {
        M2M_GUARD(stem_check(seg, len, base, err));
        M2M_ENSURE(seg[0] == 'S', M2M_E_ID_SYNTAX,
                   "C-type AE-ID-Stem at offset %zu must follow its CSE-ID (/CSE-ID/C...)", base);
        out->kind = M2M_ID_AE;
        memcpy(out->ae, seg, len);
    } else {
        M2M_GUARD(segment_check(seg, len, "CSE-ID", base, err));
        out->kind = M2M_ID_CSE;
        memcpy(out->cse, seg, len);
    }
    M2M_GUARD(want(expect, out->kind, err));
    rc = 0;
out:
    return rc;
}

/* "/CSE/C..." or "//sp/CSE/C...": an AE-ID registered with that CSE. */
static int two_segments(const char *cse, size_t clen, const char *stem, size_t slen, size_t base,
                        enum m2m_id_kind expect, struct m2m_id *out, struct m2m_error *err)
{
    size_t sbase = base + clen + 1;
    int rc = -1;

    M2M_GUARD(segment_check(cse, clen, "CSE-ID", base, err));
    M2M_GUARD(stem_check(stem, slen, sbase, err));
    M2M_ENSURE(stem[0] == 'C', M2M_E_ID_SYNTAX,
               "S-type AE-ID-Stem at offset %zu is SP-assigned and cannot follow a CSE-ID", sbase);
    M2M_GUARD(want(expect, M2M_ID_AE, err));
    out->kind = M2M_ID_AE;
    memcpy(out->cse, cse, clen);
    memcpy(out->ae, stem, slen);
    rc = 0;
out:
    return rc;
}

/* Splits "/seg1[/seg2]" (p points at the first '/'). */
static int path(const char *s, const char *p, enum m2m_id_kind expect, struct m2m_id *out,
                struct m2m_error *err)
{
    const char *seg1 = p + 1, *slash = strchr(seg1, '/');
    size_t base = (size_t)(seg1 - s);
    int rc = -1;

    if (slash == NULL) {
        M2M_GUARD(one_segment(seg1, strlen(seg1), base, expect, out, err));
    } else {
        const char *seg2 = slash + 1;
        const char *extra = strchr(seg2, '/');
        M2M_ENSURE(extra == NULL, M2M_E_ID_SYNTAX,
                   "unexpected '/' at offset %zu: CSE-IDs and AE-IDs have at most two "
                   "segments (resource identifiers are not entity identifiers)",
                   (size_t)(extra - s));
        M2M_GUARD(
            two_segments(seg1, (size_t)(slash - seg1), seg2, strlen(seg2), base, expect, out, err));
    }
    rc = 0;
out:
    return rc;
}

/* "//host[/...]": the M2M-SP-ID part of an absolute identifier. */
static int absolute(const char *s, enum m2m_id_kind expect, struct m2m_id *out,
                    struct m2m_error *err)
{
    const char *host = s + 2, *slash = strchr(host, '/');
    size_t hlen = slash != NULL ? (size_t)(slash - host) : strlen(host);
    int rc = -1;

    M2M_GUARD(id_fqdn_check(host, hlen, 0, M2M_E_ID_SYNTAX, "SP-ID: ", 2, err));
    /* TS-0004 6.2.3 writes the FQDN in lowercase; accept any case, keep lowercase. */
    id_copy_lower(out->sp, host, hlen);
    out->scope = M2M_ID_ABSOLUTE;
    if (slash == NULL) {
        out->kind = M2M_ID_SP;
        M2M_GUARD(want(expect, M2M_ID_SP, err));
    } else {
        M2M_GUARD(path(s, slash, expect, out, err));
    }
    rc = 0;
out:
    return rc;
}

int m2m_id_parse(const char *s, enum m2m_id_kind expect, struct m2m_id *out, struct m2m_error *err)
{
    size_t len;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    len = strlen(s);
    M2M_ENSURE(len > 0, M2M_E_ID_SYNTAX, "empty identifier");
    M2M_ENSURE(len <= M2M_ID_MAX, M2M_E_ID_SYNTAX, "%zu characters (at most %d)", len, M2M_ID_MAX);
    if (s[0] == '/' && s[1] == '/') {
        M2M_GUARD(absolute(s, expect, out, err));
    } else if (s[0] == '/') {
        M2M_ENSURE(expect != M2M_ID_SP, M2M_E_ID_SYNTAX, "an SP-ID starts with '//'");
        out->scope = M2M_ID_SP_RELATIVE;
        M2M_GUARD(path(s, s, expect, out, err));
    } else if (expect == M2M_ID_AE && s[0] == 'S') {
        /* TS-0004 6.2.3: AE-ID = absolute-AE-ID / SP-relative-AE-ID / S-AE-ID-Stem */
        M2M_GUARD(stem_check(s, len, 0, err));
        out->kind = M2M_ID_AE;
        out->scope = M2M_ID_STEM;
        memcpy(out->ae, s, len);
    } else {
        M2M_BAIL(M2M_E_ID_SYNTAX, "%s must start with '/' (SP-relative) or '//' (absolute)%s",
                 kind_name(expect), expect == M2M_ID_AE ? ", or be an S-type AE-ID-Stem" : "");
    }
    rc = 0;
out:
    if (rc != 0 && out != NULL)
        memset(out, 0, sizeof(*out));
    return rc;
}
