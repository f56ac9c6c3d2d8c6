/* The MAF's cache of master credentials. TS-0003 8.3.1.2: the Enrolee presents KeID; a
 * MAF holding Km for it authenticates at once, otherwise it fetches Km from the MEF; later
 * handshakes may present KmID or KeID, "both name the same Km". So one row per id, each
 * with Km sealed under its own id as AAD, and both rows revoked and purged together. */
#include <string.h>

#include "core/safety.h"
#include "store/store_internal.h"

#define MAF_COLS "key_id, keid, kmid, enrolee_id, created, expires, revoked, revoked_at"

static void maf_clear(void *rec)
{
    (void)rec;
}

static int maf_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_maf_key *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->key_id, sizeof(r->key_id), err));
    M2M_GUARD(store_col_text(&c[1], r->keid, sizeof(r->keid), err));
    M2M_GUARD(store_col_text(&c[2], r->kmid, sizeof(r->kmid), err));
    M2M_GUARD(store_col_text(&c[3], r->enrolee_id, sizeof(r->enrolee_id), err));
    r->created = store_col_int(&c[4]);
    r->expires = store_col_int(&c[5]);
    r->revoked = store_col_int(&c[6]) != 0;
    r->revoked_at = store_col_int(&c[7]);
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type maf_type = {sizeof(struct m2m_store_maf_key), 8, maf_decode,
                                               maf_clear};

static int maf_check(const struct m2m_store_maf_key *r, struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(store_check_text("KeID", r->keid, sizeof(r->keid), 0, err));
    M2M_GUARD(store_check_text("KmID", r->kmid, sizeof(r->kmid), 0, err));
    M2M_GUARD(store_check_text("enrolee id", r->enrolee_id, sizeof(r->enrolee_id), 0, err));
    M2M_GUARD(store_check_time("expiry", r->expires, err));
    M2M_ENSURE(strcmp(r->keid, r->kmid) != 0, M2M_E_INVALID_ARG, "KeID and KmID are equal");
    rc = 0;
out:
    return rc;
}

static int put_row(struct m2m_store *s, const char *key_id, const struct m2m_store_maf_key *r,
                   int64_t created, const struct m2m_secret *km, struct m2m_error *err)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = -1;

    M2M_GUARD(store_seal(s, key_id, km, &sealed, &sealed_len, err));
    const struct store_val p[] = {
        SV_TEXT(key_id),    SV_BLOB(sealed, sealed_len), SV_TEXT(r->keid),
        SV_TEXT(r->kmid),   SV_TEXT(r->enrolee_id),      SV_INT(created),
        SV_INT(r->expires),
    };
    M2M_GUARD(store_exec(s,
                         "INSERT INTO maf_key (key_id, km, keid, kmid, enrolee_id, created,"
                         " expires) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         p, M2M_ARRAY_LEN(p), NULL, NULL, NULL, err));
    rc = 0;
out:
    store_sealed_free(sealed, sealed_len);
    return rc;
}

/* Whatever was cached under this KeID or under either id goes: the new fetch is the
 * truth, and a KmID left from an earlier Km must not authenticate any more. */
static int drop_entry(struct m2m_store *s, const struct m2m_store_maf_key *r, struct m2m_error *err)
{
    const struct store_val p[] = {SV_TEXT(r->keid), SV_TEXT(r->kmid)};

    return store_exec(s, "DELETE FROM maf_key WHERE keid = ?1 OR key_id IN (?1, ?2)", p,
                      M2M_ARRAY_LEN(p), NULL, NULL, NULL, err);
}

int m2m_store_maf_put(struct m2m_store *s, const struct m2m_store_maf_key *rec,
                      const struct m2m_secret *km, struct m2m_error *err)
{
    int64_t created;
    int rc = -1, ok = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL && km != NULL);
    M2M_GUARD(maf_check(rec, err));
    created = store_created(rec->created);
    M2M_GUARD(store_atomic_begin(s, err));
    /* Both rows or neither: a lone KmID row would authenticate an enrolee whose KeID the
     * MAF then fetches again. */
    if (drop_entry(s, rec, err) == 0 && put_row(s, rec->keid, rec, created, km, err) == 0 &&
        put_row(s, rec->kmid, rec, created, km, err) == 0)
        ok = 0;
    M2M_GUARD(store_atomic_end(s, ok, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_maf_get(struct m2m_store *s, const char *key_id, int64_t now,
                      struct m2m_store_maf_key *out, struct m2m_secret **km_out,
                      struct m2m_error *err)
{
    struct m2m_store_maf_key tmp;
    struct m2m_store_maf_key *r = out != NULL ? out : &tmp;
    struct store_got got = {0};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && key_id != NULL);
    if (km_out != NULL)
        *km_out = NULL;
    const struct store_val p[] = {SV_TEXT(key_id)};
    M2M_GUARD(store_get_rec(s, &maf_type, "SELECT " MAF_COLS ", km FROM maf_key WHERE key_id = ?",
                            p, M2M_ARRAY_LEN(p), r, km_out != NULL, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "cached key '%s'", key_id);
    M2M_ENSURE(!r->revoked, M2M_E_STORE_REVOKED, "cached key '%s'", key_id);
    M2M_ENSURE(now < r->expires, M2M_E_STORE_EXPIRED, "cached key '%s'", key_id);
    if (km_out != NULL)
        M2M_GUARD_PTR(*km_out = store_unseal(s, key_id, got.sealed, got.sealed_len, err));
    rc = 0;
out:
    store_got_free(&got);
    return rc;
}

struct maf_ctx {
    m2m_store_maf_key_cb cb;
    void *arg;
};

static int maf_deliver(const void *rec, void *ctx)
{
    const struct maf_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_maf_list(struct m2m_store *s, m2m_store_maf_key_cb cb, void *arg,
                       struct m2m_error *err)
{
    struct maf_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    M2M_GUARD(store_list_rec(s, &maf_type,
                             "SELECT " MAF_COLS " FROM maf_key ORDER BY keid, key_id <> keid", NULL,
                             0, maf_deliver, &c, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_maf_revoke(struct m2m_store *s, const char *key_id, int64_t now,
                         struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && key_id != NULL);
    const struct store_val p[] = {SV_INT(now), SV_TEXT(key_id)};
    M2M_GUARD(store_exec_one(s,
                             "UPDATE maf_key SET revoked = 1, revoked_at = coalesce(revoked_at, ?)"
                             " WHERE keid = (SELECT keid FROM maf_key WHERE key_id = ?)",
                             p, M2M_ARRAY_LEN(p), "cached key", key_id, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_maf_purge(struct m2m_store *s, int64_t now, uint64_t *count, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL);
    /* Each cached key has exactly one row whose id is its KeID: count those. */
    M2M_GUARD(store_purge(s, "DELETE FROM maf_key WHERE expires <= ? RETURNING key_id = keid", now,
                          count, err));
    rc = 0;
out:
    return rc;
}
