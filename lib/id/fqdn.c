/* FQDN syntax and normal form (RFC 1035 2.3.1, RFC 1123 2.1; rules in m2msec/id.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/encoding.h>
#include <m2msec/id.h>

#include "core/safety.h"
#include "id/id_internal.h"

#define LABEL_MAX 63 /* RFC 1035 2.3.4 */

const char *id_describe_char(unsigned char c, struct id_charbuf *buf)
{
    if (c == ' ')
        snprintf(buf->s, sizeof(buf->s), "space");
    else if (c > 0x20 && c < 0x7f)
        snprintf(buf->s, sizeof(buf->s), "'%c'", c);
    else
        snprintf(buf->s, sizeof(buf->s), "byte 0x%02x", c);
    return buf->s;
}

void id_copy_lower(char *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = id_lower(s[i]);
    out[len] = '\0';
}

size_t id_fqdn_len(const char *s, size_t len)
{
    return (len > 1 && s[len - 1] == '.') ? len - 1 : len;
}

/* One character of a host name, with the reason it is refused when it is. */
static int host_char_check(unsigned char c, enum m2m_errcode code, const char *what, size_t at,
                           struct m2m_error *err)
{
    struct id_charbuf cb;

    if (id_is_alnum(c) || c == '-')
        return 0;
    if (c == '*')
        return m2m_error_set(err, code, "%swildcard not allowed (offset %zu)", what, at);
    if (c >= 0x80)
        return m2m_error_set(err, code,
                             "%snon-ASCII byte at offset %zu (internationalised names must "
                             "be given as A-labels)",
                             what, at);
    return m2m_error_set(err, code, "%s%s not allowed at offset %zu", what,
                         id_describe_char(c, &cb), at);
}

int id_label_check(const char *s, size_t len, enum m2m_errcode code, const char *what, size_t base,
                   struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE(len > 0, code, "%sempty label at offset %zu", what, base);
    M2M_ENSURE(len <= LABEL_MAX, code, "%slabel at offset %zu has %zu characters (at most %d)",
               what, base, len, LABEL_MAX);
    for (size_t i = 0; i < len; i++)
        M2M_GUARD(host_char_check((unsigned char)s[i], code, what, base + i, err));
    M2M_ENSURE(s[0] != '-', code, "%slabel at offset %zu starts with a hyphen", what, base);
    M2M_ENSURE(s[len - 1] != '-', code, "%slabel at offset %zu ends with a hyphen", what, base);
    rc = 0;
out:
    return rc;
}

static bool all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!id_is_digit((unsigned char)s[i]))
            return false;
    return true;
}

int id_fqdn_check(const char *s, size_t len, unsigned flags, enum m2m_errcode code,
                  const char *what, size_t base, struct m2m_error *err)
{
    size_t start = 0, labels = 0, last = 0;
    int rc = -1;

    M2M_ENSURE(len > 0, code, "%sempty name", what);
    if (flags & ID_FQDN_ROOT_DOT)
        len = id_fqdn_len(s, len);
    M2M_ENSURE(len <= M2M_FQDN_MAX, code, "%s%zu characters (at most %d)", what, len, M2M_FQDN_MAX);
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        M2M_GUARD(id_label_check(s + start, i - start, code, what, base + start, err));
        labels++;
        last = start;
        start = i + 1;
    }
    M2M_ENSURE(labels >= 2, code, "%ssingle-label name (at least two labels required)", what);
    /* RFC 3696 2: an all-numeric top-level label would make "192.0.2.1" a name. */
    M2M_ENSURE(!all_digits(s + last, len - last), code,
               "%sall-numeric top-level label (an IP address is not an FQDN)", what);
    rc = 0;
out:
    return rc;
}

int m2m_fqdn_validate(const char *name, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(name != NULL);
    M2M_GUARD(id_fqdn_check(name, strlen(name), ID_FQDN_ROOT_DOT, M2M_E_FQDN_SYNTAX, "", 0, err));
    rc = 0;
out:
    return rc;
}

int m2m_fqdn_normalize(const char *name, char *out, size_t outsz, struct m2m_error *err)
{
    size_t len;
    int rc = -1;

    M2M_ENSURE_ARG(name != NULL && out != NULL);
    M2M_GUARD(m2m_fqdn_validate(name, err));
    len = id_fqdn_len(name, strlen(name));
    M2M_ENSURE(outsz > len, M2M_E_BUFFER_TOO_SMALL, "FQDN of %zu characters", len);
    id_copy_lower(out, name, len);
    rc = 0;
out:
    return rc;
}

int m2m_fqdn_canonical(const char *name, char *out, size_t outsz, struct m2m_error *err)
{
    char *nfkc = NULL;
    int rc = -1;

    M2M_ENSURE_ARG(name != NULL && out != NULL);
    /* TS-0003 10.3.2/10.3.7: identifiers enter derivations after NFKC. */
    M2M_GUARD_PTR(nfkc = m2m_nfkc(name, err));
    M2M_GUARD(m2m_fqdn_normalize(nfkc, out, outsz, err));
    rc = 0;
out:
    free(nfkc);
    return rc;
}
