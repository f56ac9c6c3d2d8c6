/* Enrolment keys Ke and the acknowledgements of the instructions sent with them.
 * TS-0003 10.3.1: Ke and KeID come from the enrolment session's exporter; the MEF keeps Ke
 * to derive Km, Kpsa and usage-constrained keys later (8.3.2.2). Ke is sealed with the KeID
 * as AAD. Keys derived from Ke must not outlive it, so expiry and revocation are explicit
 * outcomes of a lookup. */
#include <string.h>

#include "core/safety.h"
#include "store/store_internal.h"

#define KEY_COLS                                                                                   \
    "keid, enrolee_id, framework, created, expires, revoked, revoked_at, gba_rand, gba_impi"

static void key_clear(void *rec)
{
    (void)rec;
}

static int key_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_key *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->keid, sizeof(r->keid), err));
    M2M_GUARD(store_col_text(&c[1], r->enrolee_id, sizeof(r->enrolee_id), err));
    M2M_GUARD(store_col_text(&c[2], r->framework, sizeof(r->framework), err));
    r->created = store_col_int(&c[3]);
    r->expires = store_col_int(&c[4]);
    r->revoked = store_col_int(&c[5]) != 0;
    r->revoked_at = store_col_int(&c[6]);
    if (c[7].type == STORE_BLOB) {
        M2M_ENSURE(c[7].len == sizeof(r->gba_rand), M2M_E_STORE, "stored GBA RAND is malformed");
        memcpy(r->gba_rand, c[7].b, sizeof(r->gba_rand));
        r->has_gba_rand = 1;
    }
    M2M_GUARD(store_col_text(&c[8], r->gba_impi, sizeof(r->gba_impi), err));
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type key_type = {sizeof(struct m2m_store_key), 9, key_decode,
                                               key_clear};

static int framework_valid(const char *f)
{
    return strcmp(f, "cert") == 0 || strcmp(f, "psk") == 0 || strcmp(f, "gba") == 0;
}

static int key_check(const struct m2m_store_key *r, struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(store_check_text("KeID", r->keid, sizeof(r->keid), 0, err));
    M2M_GUARD(store_check_text("enrolee id", r->enrolee_id, sizeof(r->enrolee_id), 0, err));
    M2M_GUARD(store_check_text("framework", r->framework, sizeof(r->framework), 0, err));
    M2M_ENSURE(framework_valid(r->framework), M2M_E_INVALID_ARG,
               "framework must be cert, psk or gba");
    M2M_GUARD(store_check_text("GBA IMPI", r->gba_impi, sizeof(r->gba_impi), 1, err));
    M2M_GUARD(store_check_time("expiry", r->expires, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_key_add(struct m2m_store *s, const struct m2m_store_key *rec,
                      const struct m2m_secret *ke, struct m2m_error *err)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL && ke != NULL);
    M2M_GUARD(key_check(rec, err));
    M2M_GUARD(store_seal(s, rec->keid, ke, &sealed, &sealed_len, err));
    const struct store_val p[] = {
        SV_TEXT(rec->keid),
        SV_BLOB(sealed, sealed_len),
        SV_TEXT(rec->enrolee_id),
        SV_TEXT(rec->framework),
        SV_INT(store_created(rec->created)),
        SV_INT(rec->expires),
        rec->has_gba_rand ? SV_BLOB(rec->gba_rand, sizeof(rec->gba_rand)) : SV_NULL,
        SV_OPT_TEXT(rec->gba_impi),
    };
    if (store_exec(s,
                   "INSERT INTO enrolment_key (keid, ke, enrolee_id, framework, created,"
                   " expires, gba_rand, gba_impi) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   p, M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        /* Two sessions exporting the same 16-byte RelativeKeID: refuse, never overwrite. */
        store_exists_msg(err, "KeID '%s' already exists", rec->keid);
        goto out;
    }
    rc = 0;
out:
    store_sealed_free(sealed, sealed_len);
    return rc;
}

int m2m_store_key_get(struct m2m_store *s, const char *keid, int64_t now, struct m2m_store_key *out,
                      struct m2m_secret **ke_out, struct m2m_error *err)
{
    struct m2m_store_key tmp;
    struct m2m_store_key *r = out != NULL ? out : &tmp;
    struct store_got got = {0};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && keid != NULL);
    if (ke_out != NULL)
        *ke_out = NULL;
    const struct store_val p[] = {SV_TEXT(keid)};
    M2M_GUARD(store_get_rec(s, &key_type,
                            "SELECT " KEY_COLS ", ke FROM enrolment_key WHERE keid = ?", p,
                            M2M_ARRAY_LEN(p), r, ke_out != NULL, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "KeID '%s'", keid);
    M2M_ENSURE(!r->revoked, M2M_E_STORE_REVOKED, "KeID '%s'", keid);
    M2M_ENSURE(now < r->expires, M2M_E_STORE_EXPIRED, "KeID '%s'", keid);
    if (ke_out != NULL)
        M2M_GUARD_PTR(*ke_out = store_unseal(s, keid, got.sealed, got.sealed_len, err));
    rc = 0;
out:
    store_got_free(&got);
    return rc;
}

struct key_ctx {
    m2m_store_key_cb cb;
    void *arg;
};

static int key_deliver(const void *rec, void *ctx)
{
    const struct key_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_key_list(struct m2m_store *s, const char *enrolee_id, m2m_store_key_cb cb, void *arg,
                       struct m2m_error *err)
{
    struct key_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    const struct store_val p[] = {enrolee_id != NULL ? SV_TEXT(enrolee_id) : SV_NULL};
    M2M_GUARD(store_list_rec(s, &key_type,
                             "SELECT " KEY_COLS " FROM enrolment_key"
                             " WHERE ?1 IS NULL OR enrolee_id = ?1 ORDER BY created, keid",
                             p, M2M_ARRAY_LEN(p), key_deliver, &c, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_key_revoke(struct m2m_store *s, const char *keid, int64_t now, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && keid != NULL);
    const struct store_val p[] = {SV_INT(now), SV_TEXT(keid)};
    /* Matching revoked rows too makes a second revoke succeed without moving the time. */
    M2M_GUARD(store_exec_one(s,
                             "UPDATE enrolment_key SET revoked = 1,"
                             " revoked_at = coalesce(revoked_at, ?) WHERE keid = ?",
                             p, M2M_ARRAY_LEN(p), "KeID", keid, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_key_purge(struct m2m_store *s, int64_t now, uint64_t *count, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL);
    /* Acknowledgements go with their key (ON DELETE CASCADE). */
    M2M_GUARD(store_purge(s, "DELETE FROM enrolment_key WHERE expires <= ? RETURNING 1", now, count,
                          err));
    rc = 0;
out:
    return rc;
}

/* ---- acknowledgements (TS-0003 8.3.2.1: the Enrolee acknowledges each instruction) ---- */

int m2m_store_ack_add(struct m2m_store *s, const struct m2m_store_ack *rec, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL);
    M2M_GUARD(store_check_text("KeID", rec->keid, sizeof(rec->keid), 0, err));
    M2M_GUARD(store_check_text("instruction", rec->instruction, sizeof(rec->instruction), 0, err));
    const struct store_val p[] = {SV_TEXT(rec->keid), SV_TEXT(rec->instruction),
                                  SV_INT(store_created(rec->acked))};
    if (store_exec(s, "INSERT INTO enrolment_ack (keid, instruction, acked) VALUES (?, ?, ?)", p,
                   M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        store_exists_msg(err, "instruction '%s' of KeID '%s' is already acknowledged",
                         rec->instruction, rec->keid);
        if (err != NULL && err->code == M2M_E_STORE_NOT_FOUND)
            m2m_error_set(err, M2M_E_STORE_NOT_FOUND, "KeID '%s'", rec->keid);
        goto out;
    }
    rc = 0;
out:
    return rc;
}

static void ack_clear(void *rec)
{
    (void)rec;
}

static int ack_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_ack *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->keid, sizeof(r->keid), err));
    M2M_GUARD(store_col_text(&c[1], r->instruction, sizeof(r->instruction), err));
    r->acked = store_col_int(&c[2]);
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type ack_type = {sizeof(struct m2m_store_ack), 3, ack_decode,
                                               ack_clear};

struct ack_ctx {
    m2m_store_ack_cb cb;
    void *arg;
};

static int ack_deliver(const void *rec, void *ctx)
{
    const struct ack_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_ack_list(struct m2m_store *s, const char *keid, m2m_store_ack_cb cb, void *arg,
                       struct m2m_error *err)
{
    struct ack_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && keid != NULL && cb != NULL);
    const struct store_val p[] = {SV_TEXT(keid)};
    M2M_GUARD(store_list_rec(s, &ack_type,
                             "SELECT keid, instruction, acked FROM enrolment_ack"
                             " WHERE keid = ? ORDER BY acked, instruction",
                             p, M2M_ARRAY_LEN(p), ack_deliver, &c, err));
    rc = 0;
out:
    return rc;
}
