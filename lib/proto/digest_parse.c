/* A strict, bounded reader of HTTP Digest headers (RFC 2617 3.2.1, 3.2.2; RFC 7235 2.1):
 *   "Digest" 1*SP auth-param *( OWS "," OWS auth-param )
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 * ASCII only, no control characters but HTAB, no empty list elements, no parameter twice,
 * every value at most M2M_DIGEST_URI_MAX - 1 characters once unquoted. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/safety.h"
#include "proto/digest_internal.h"

static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* qdtext or the character of a quoted-pair (RFC 7230 3.2.6): HTAB, SP, VCHAR. */
static int is_qchar(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c < 0x7f);
}

struct cursor {
    const char *p;
    size_t pos; /* offset, for messages */
};

static void skip_ows(struct cursor *c)
{
    while (is_ows(c->p[c->pos]))
        c->pos++;
}

static int read_token(struct cursor *c, char *out, size_t outsz, const char *what,
                      struct m2m_error *err)
{
    size_t n = 0;
    int rc = -1;

    while (is_tchar((unsigned char)c->p[c->pos])) {
        M2M_ENSURE(n + 1 < outsz, M2M_E_BAD_MESSAGE, "Digest: %s too long at offset %zu", what,
                   c->pos);
        out[n++] = c->p[c->pos++];
    }
    M2M_ENSURE(n > 0, M2M_E_BAD_MESSAGE, "Digest: expected a %s at offset %zu", what, c->pos);
    out[n] = '\0';
    rc = 0;
out:
    return rc;
}

static int read_quoted(struct cursor *c, char *out, size_t outsz, struct m2m_error *err)
{
    size_t n = 0, start = c->pos;
    int rc = -1;

    c->pos++; /* the opening quote */
    for (;;) {
        unsigned char ch = (unsigned char)c->p[c->pos];
        M2M_ENSURE(ch != '\0', M2M_E_BAD_MESSAGE,
                   "Digest: quoted-string from offset %zu is not closed", start);
        if (ch == '"')
            break;
        if (ch == '\\') {
            ch = (unsigned char)c->p[++c->pos];
            M2M_ENSURE(ch != '\0', M2M_E_BAD_MESSAGE,
                       "Digest: quoted-string from offset %zu is not closed", start);
        }
        M2M_ENSURE(is_qchar(ch), M2M_E_BAD_MESSAGE,
                   "Digest: byte 0x%02x not allowed in a quoted-string (offset %zu)", ch, c->pos);
        M2M_ENSURE(n + 1 < outsz, M2M_E_BAD_MESSAGE, "Digest: value at offset %zu too long", start);
        out[n++] = (char)ch;
        c->pos++;
    }
    c->pos++; /* the closing quote */
    out[n] = '\0';
    rc = 0;
out:
    return rc;
}

static int read_param(struct cursor *c, struct digest_params *ps, struct m2m_error *err)
{
    struct digest_param *p;
    int rc = -1;

    M2M_ENSURE(ps->n < M2M_DIGEST_MAX_PARAMS, M2M_E_BAD_MESSAGE, "Digest: more than %d parameters",
               M2M_DIGEST_MAX_PARAMS);
    p = &ps->p[ps->n];
    M2M_GUARD(read_token(c, p->name, sizeof(p->name), "parameter name", err));
    skip_ows(c);
    M2M_ENSURE(c->p[c->pos] == '=', M2M_E_BAD_MESSAGE, "Digest: expected '=' after %s", p->name);
    c->pos++;
    skip_ows(c);
    p->quoted = c->p[c->pos] == '"';
    if (p->quoted)
        M2M_GUARD(read_quoted(c, p->value, sizeof(p->value), err));
    else
        M2M_GUARD(read_token(c, p->value, sizeof(p->value), "value", err));
    for (size_t i = 0; i < ps->n; i++)
        M2M_ENSURE(strcasecmp(ps->p[i].name, p->name) != 0, M2M_E_BAD_MESSAGE,
                   "Digest: parameter %s given twice", p->name);
    ps->n++;
    rc = 0;
out:
    return rc;
}

int digest_params_read(const char *header, struct digest_params *ps, struct m2m_error *err)
{
    struct cursor c = {header, 0};
    size_t len;
    int rc = -1;

    memset(ps, 0, sizeof(*ps));
    M2M_ENSURE_ARG(header != NULL);
    len = strnlen(header, M2M_DIGEST_HEADER_MAX + 1);
    M2M_ENSURE(len <= M2M_DIGEST_HEADER_MAX, M2M_E_BAD_MESSAGE, "Digest: header over %d bytes",
               M2M_DIGEST_HEADER_MAX);
    skip_ows(&c);
    M2M_ENSURE(strncasecmp(header + c.pos, "Digest", 6) == 0 && is_ows(header[c.pos + 6]),
               M2M_E_BAD_MESSAGE, "not a Digest header (expected \"Digest\" and parameters)");
    c.pos += 6;
    for (;;) {
        skip_ows(&c);
        M2M_GUARD(read_param(&c, ps, err));
        skip_ows(&c);
        if (header[c.pos] == '\0')
            break;
        M2M_ENSURE(header[c.pos] == ',', M2M_E_BAD_MESSAGE,
                   "Digest: unexpected byte 0x%02x at offset %zu", (unsigned char)header[c.pos],
                   c.pos);
        c.pos++;
    }
    rc = 0;
out:
    return rc;
}

const struct digest_param *digest_params_get(const struct digest_params *ps, const char *name)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcasecmp(ps->p[i].name, name) == 0)
            return &ps->p[i];
    return NULL;
}

int digest_params_copy(const struct digest_params *ps, const char *name, int required, char *out,
                       size_t outsz, struct m2m_error *err)
{
    const struct digest_param *p = digest_params_get(ps, name);
    int rc = -1;

    out[0] = '\0';
    if (p == NULL) {
        M2M_ENSURE(!required, M2M_E_BAD_MESSAGE, "Digest: %s is missing", name);
        return 0;
    }
    M2M_ENSURE(strlen(p->value) < outsz, M2M_E_BAD_MESSAGE, "Digest: %s longer than %zu", name,
               outsz - 1);
    memcpy(out, p->value, strlen(p->value) + 1);
    rc = 0;
out:
    return rc;
}
