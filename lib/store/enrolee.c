/* Enrolees of the certificate framework: registered one by one, or admitted as a class by
 * a policy (TS-0003 8.3.1.2, Bootstrap Instruction Configuration: the MEF knows the
 * Enrolee's certificate flavour, identity and trust anchor, and its Enrolee-ID). */
#include <stdlib.h>
#include <string.h>

#include "core/safety.h"
#include "store/store_internal.h"

#define ENROLEE_COLS "enrolee_id, flavour, identity, trust_set, ke_lifetime, instructions, created"
#define POLICY_COLS                                                                                \
    "name, flavour, trust_set, prefix, id_template, ke_lifetime, instructions, created"

void m2m_store_enrolee_clear(struct m2m_store_enrolee *rec)
{
    if (rec == NULL)
        return;
    free(rec->instructions);
    rec->instructions = NULL;
}

void m2m_store_policy_clear(struct m2m_store_policy *rec)
{
    if (rec == NULL)
        return;
    free(rec->instructions);
    rec->instructions = NULL;
}

static void enrolee_clear(void *rec)
{
    m2m_store_enrolee_clear(rec);
}

static int enrolee_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_enrolee *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->enrolee_id, sizeof(r->enrolee_id), err));
    r->flavour = (int)store_col_int(&c[1]);
    M2M_GUARD(store_col_text(&c[2], r->identity, sizeof(r->identity), err));
    M2M_GUARD(store_col_text(&c[3], r->trust_set, sizeof(r->trust_set), err));
    r->ke_lifetime = store_col_int(&c[4]);
    M2M_GUARD(store_col_dup(&c[5], &r->instructions, err));
    r->created = store_col_int(&c[6]);
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type enrolee_type = {sizeof(struct m2m_store_enrolee), 7,
                                                   enrolee_decode, enrolee_clear};

static int enrolee_check(const struct m2m_store_enrolee *r, struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(store_check_text("enrolee id", r->enrolee_id, sizeof(r->enrolee_id), 0, err));
    M2M_GUARD(store_check_text("identity", r->identity, sizeof(r->identity), 0, err));
    M2M_GUARD(store_check_text("trust set", r->trust_set, sizeof(r->trust_set), 0, err));
    M2M_GUARD(store_check_time("Ke lifetime", r->ke_lifetime, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_enrolee_add(struct m2m_store *s, const struct m2m_store_enrolee *rec,
                          struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL);
    M2M_GUARD(enrolee_check(rec, err));
    const struct store_val p[] = {
        SV_TEXT(rec->enrolee_id),
        SV_INT(rec->flavour),
        SV_TEXT(rec->identity),
        SV_TEXT(rec->trust_set),
        SV_INT(rec->ke_lifetime),
        SV_OPT_TEXT(rec->instructions),
        SV_INT(store_created(rec->created)),
    };
    if (store_exec(s, "INSERT INTO enrolee (" ENROLEE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?)", p,
                   M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        store_exists_msg(err, "enrolee '%s' or its certificate identity is already registered",
                         rec->enrolee_id);
        goto out;
    }
    rc = 0;
out:
    return rc;
}

static int enrolee_get_by(struct m2m_store *s, const char *sql, const struct store_val *p, size_t n,
                          const char *what, struct m2m_store_enrolee *out, struct m2m_error *err)
{
    struct store_got got;
    int rc = -1;

    M2M_GUARD(store_get_rec(s, &enrolee_type, sql, p, n, out, 0, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "enrolee '%s'", what);
    rc = 0;
out:
    return rc;
}

int m2m_store_enrolee_get(struct m2m_store *s, const char *enrolee_id,
                          struct m2m_store_enrolee *out, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && enrolee_id != NULL && out != NULL);
    const struct store_val p[] = {SV_TEXT(enrolee_id)};
    M2M_GUARD(enrolee_get_by(s, "SELECT " ENROLEE_COLS " FROM enrolee WHERE enrolee_id = ?", p,
                             M2M_ARRAY_LEN(p), enrolee_id, out, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_enrolee_find(struct m2m_store *s, int flavour, const char *identity,
                           struct m2m_store_enrolee *out, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && identity != NULL && out != NULL);
    const struct store_val p[] = {SV_INT(flavour), SV_TEXT(identity)};
    M2M_GUARD(
        enrolee_get_by(s, "SELECT " ENROLEE_COLS " FROM enrolee WHERE flavour = ? AND identity = ?",
                       p, M2M_ARRAY_LEN(p), identity, out, err));
    rc = 0;
out:
    return rc;
}

struct enrolee_ctx {
    m2m_store_enrolee_cb cb;
    void *arg;
};

static int enrolee_deliver(const void *rec, void *ctx)
{
    const struct enrolee_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_enrolee_list(struct m2m_store *s, m2m_store_enrolee_cb cb, void *arg,
                           struct m2m_error *err)
{
    struct enrolee_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    M2M_GUARD(store_list_rec(s, &enrolee_type,
                             "SELECT " ENROLEE_COLS " FROM enrolee ORDER BY enrolee_id", NULL, 0,
                             enrolee_deliver, &c, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_enrolee_remove(struct m2m_store *s, const char *enrolee_id, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && enrolee_id != NULL);
    const struct store_val p[] = {SV_TEXT(enrolee_id)};
    M2M_GUARD(store_exec_one(s, "DELETE FROM enrolee WHERE enrolee_id = ?", p, M2M_ARRAY_LEN(p),
                             "enrolee", enrolee_id, err));
    rc = 0;
out:
    return rc;
}

/* ---- policies ---- */

static void policy_clear(void *rec)
{
    m2m_store_policy_clear(rec);
}

static int policy_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_policy *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->name, sizeof(r->name), err));
    r->flavour = (int)store_col_int(&c[1]);
    M2M_GUARD(store_col_text(&c[2], r->trust_set, sizeof(r->trust_set), err));
    M2M_GUARD(store_col_text(&c[3], r->prefix, sizeof(r->prefix), err));
    M2M_GUARD(store_col_text(&c[4], r->id_template, sizeof(r->id_template), err));
    r->ke_lifetime = store_col_int(&c[5]);
    M2M_GUARD(store_col_dup(&c[6], &r->instructions, err));
    r->created = store_col_int(&c[7]);
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type policy_type = {sizeof(struct m2m_store_policy), 8, policy_decode,
                                                  policy_clear};

static int policy_check(const struct m2m_store_policy *r, struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(store_check_text("policy name", r->name, sizeof(r->name), 0, err));
    M2M_GUARD(store_check_text("trust set", r->trust_set, sizeof(r->trust_set), 0, err));
    M2M_GUARD(store_check_text("identity prefix", r->prefix, sizeof(r->prefix), 1, err));
    M2M_GUARD(
        store_check_text("Enrolee-ID template", r->id_template, sizeof(r->id_template), 0, err));
    M2M_GUARD(store_check_time("Ke lifetime", r->ke_lifetime, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_policy_add(struct m2m_store *s, const struct m2m_store_policy *rec,
                         struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL);
    M2M_GUARD(policy_check(rec, err));
    const struct store_val p[] = {
        SV_TEXT(rec->name),
        SV_INT(rec->flavour),
        SV_TEXT(rec->trust_set),
        SV_TEXT(rec->prefix),
        SV_TEXT(rec->id_template),
        SV_INT(rec->ke_lifetime),
        SV_OPT_TEXT(rec->instructions),
        SV_INT(store_created(rec->created)),
    };
    if (store_exec(s,
                   "INSERT INTO enrolee_policy (" POLICY_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   p, M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        store_exists_msg(err,
                         "policy '%s', or one for the same flavour, trust set and prefix, "
                         "already exists",
                         rec->name);
        goto out;
    }
    rc = 0;
out:
    return rc;
}

int m2m_store_policy_get(struct m2m_store *s, const char *name, struct m2m_store_policy *out,
                         struct m2m_error *err)
{
    struct store_got got;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && name != NULL && out != NULL);
    const struct store_val p[] = {SV_TEXT(name)};
    M2M_GUARD(store_get_rec(s, &policy_type,
                            "SELECT " POLICY_COLS " FROM enrolee_policy WHERE name = ?", p,
                            M2M_ARRAY_LEN(p), out, 0, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "policy '%s'", name);
    rc = 0;
out:
    return rc;
}

/* Longest prefix first: the most specific rule an operator wrote wins, whatever the order
 * the rules were added in. The comparison is on bytes (CAST AS BLOB), so it means exactly
 * "identity starts with prefix", independent of text collation. */
int m2m_store_policy_match(struct m2m_store *s, int flavour, const char *trust_set,
                           const char *identity, struct m2m_store_policy *out,
                           struct m2m_error *err)
{
    struct store_got got;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && trust_set != NULL && identity != NULL && out != NULL);
    const struct store_val p[] = {SV_INT(flavour), SV_TEXT(trust_set), SV_TEXT(identity)};
    M2M_GUARD(store_get_rec(s, &policy_type,
                            "SELECT " POLICY_COLS " FROM enrolee_policy"
                            " WHERE flavour = ?1 AND trust_set = ?2"
                            " AND substr(CAST(?3 AS BLOB), 1, length(CAST(prefix AS BLOB)))"
                            " = CAST(prefix AS BLOB)"
                            " ORDER BY length(CAST(prefix AS BLOB)) DESC LIMIT 1",
                            p, M2M_ARRAY_LEN(p), out, 0, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "no policy admits identity '%s'", identity);
    rc = 0;
out:
    return rc;
}

struct policy_ctx {
    m2m_store_policy_cb cb;
    void *arg;
};

static int policy_deliver(const void *rec, void *ctx)
{
    const struct policy_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_policy_list(struct m2m_store *s, m2m_store_policy_cb cb, void *arg,
                          struct m2m_error *err)
{
    struct policy_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    M2M_GUARD(store_list_rec(s, &policy_type,
                             "SELECT " POLICY_COLS " FROM enrolee_policy ORDER BY name", NULL, 0,
                             policy_deliver, &c, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_policy_remove(struct m2m_store *s, const char *name, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && name != NULL);
    const struct store_val p[] = {SV_TEXT(name)};
    M2M_GUARD(store_exec_one(s, "DELETE FROM enrolee_policy WHERE name = ?", p, M2M_ARRAY_LEN(p),
                             "policy", name, err));
    rc = 0;
out:
    return rc;
}
