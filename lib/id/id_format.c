/* Writing identifiers and their canonical absolute form (TS-0001 7.2, TS-0004 6.2.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/encoding.h>
#include <m2msec/id.h>

#include "core/safety.h"
#include "id/id_internal.h"

static int put(size_t outsz, int n, struct m2m_error *err)
{
    if (n < 0 || (size_t)n >= outsz)
        return m2m_error_set(err, M2M_E_BUFFER_TOO_SMALL, "identifier of %d characters", n);
    return 0;
}

/* Fields are printed with a bound, so a hand-filled struct without terminators cannot make
 * us read past it; m2m_id_format then re-validates what was written. */
#define F(field) (int)sizeof(field), (field)

static int write_raw(const struct m2m_id *id, char *out, size_t outsz, struct m2m_error *err)
{
    const char *slashes = id->scope == M2M_ID_ABSOLUTE ? "//" : "";
    int splen = id->scope == M2M_ID_ABSOLUTE ? (int)sizeof(id->sp) : 0;
    int n;

    switch (id->kind) {
    case M2M_ID_SP:
        n = snprintf(out, outsz, "//%.*s", F(id->sp));
        break;
    case M2M_ID_CSE:
        n = snprintf(out, outsz, "%s%.*s/%.*s", slashes, splen, id->sp, F(id->cse));
        break;
    case M2M_ID_AE:
        if (id->scope == M2M_ID_STEM)
            n = snprintf(out, outsz, "%.*s", F(id->ae));
        else if (id->cse[0] != '\0')
            n = snprintf(out, outsz, "%s%.*s/%.*s/%.*s", slashes, splen, id->sp, F(id->cse),
                         F(id->ae));
        else
            n = snprintf(out, outsz, "%s%.*s/%.*s", slashes, splen, id->sp, F(id->ae));
        break;
    default:
        return m2m_error_set(err, M2M_E_INVALID_ARG, "identifier kind %d", (int)id->kind);
    }
    return put(outsz, n, err);
}

int m2m_id_format(const struct m2m_id *id, char *out, size_t outsz, struct m2m_error *err)
{
    struct m2m_id check;
    int rc = -1;

    M2M_ENSURE_ARG(id != NULL && out != NULL && outsz > 0);
    M2M_GUARD(write_raw(id, out, outsz, err));
    /* A struct filled by hand may hold anything: what we write must parse back, and is
     * written again from the parsed fields so that the FQDN comes out lowercase. */
    M2M_GUARD(m2m_id_parse(out, id->kind, &check, err));
    M2M_ENSURE(check.scope == id->scope, M2M_E_ID_SYNTAX, "identifier fields are inconsistent");
    M2M_GUARD(write_raw(&check, out, outsz, err));
    rc = 0;
out:
    if (rc != 0 && out != NULL && outsz > 0)
        out[0] = '\0';
    return rc;
}

/* The configured SP-ID, "//sp.example.com" or "sp.example.com", NFKC'd like the id. */
static int sp_host(const char *sp_id, char host[M2M_FQDN_MAX + 1], struct m2m_error *err)
{
    struct m2m_id sp;
    char *nfkc = NULL;
    int rc = -1;

    M2M_GUARD_PTR(nfkc = m2m_nfkc(sp_id, err));
    if (nfkc[0] == '/') {
        M2M_GUARD(m2m_id_parse(nfkc, M2M_ID_SP, &sp, err));
        memcpy(host, sp.sp, sizeof(sp.sp));
    } else {
        size_t len = strlen(nfkc);
        M2M_GUARD(id_fqdn_check(nfkc, len, 0, M2M_E_ID_SYNTAX, "SP-ID: ", 0, err));
        id_copy_lower(host, nfkc, len);
    }
    rc = 0;
out:
    free(nfkc);
    return rc;
}

int m2m_id_make_absolute(struct m2m_id *id, const char *sp_id, struct m2m_error *err)
{
    char host[M2M_FQDN_MAX + 1];
    int rc = -1;

    M2M_ENSURE_ARG(id != NULL);
    if (id->scope == M2M_ID_ABSOLUTE) {
        rc = 0;
        goto out;
    }
    M2M_ENSURE(sp_id != NULL, M2M_E_ID_SYNTAX,
               "an SP-relative identifier needs the configured SP-ID to become absolute");
    M2M_GUARD(sp_host(sp_id, host, err));
    memcpy(id->sp, host, sizeof(host));
    id->scope = M2M_ID_ABSOLUTE;
    rc = 0;
out:
    return rc;
}

int id_canonical_parse(const char *s, enum m2m_id_kind expect, const char *sp_id,
                       struct m2m_id *out, struct m2m_error *err)
{
    char *nfkc = NULL;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && out != NULL);
    /* TS-0003 10.3.3: identifiers enter derivations after NFKC; do it before parsing so a
     * compatibility spelling (fullwidth letters) gives the same canonical id. */
    M2M_GUARD_PTR(nfkc = m2m_nfkc(s, err));
    M2M_GUARD(m2m_id_parse(nfkc, expect, out, err));
    M2M_GUARD(m2m_id_make_absolute(out, sp_id, err));
    rc = 0;
out:
    free(nfkc);
    return rc;
}

int m2m_id_canonical(const char *id, const char *sp_id, char *out, size_t outsz,
                     struct m2m_error *err)
{
    struct m2m_id parsed;
    int rc = -1;

    M2M_ENSURE_ARG(id != NULL && out != NULL && outsz > 0);
    M2M_GUARD(id_canonical_parse(id, M2M_ID_ANY, sp_id, &parsed, err));
    M2M_GUARD(m2m_id_format(&parsed, out, outsz, err));
    rc = 0;
out:
    return rc;
}
