/* Pending Digest AKA challenges of the Ub bootstrap (RFC 3310 3.2, 3GPP TS 24.109 5.2): the
 * BSF answers the first request with RAND || AUTN and must check the second against XRES,
 * possibly in another worker process, so the vector waits here. XRES || CK || IK is sealed
 * with the nonce as AAD. A challenge is answered once; its expiry is short. */
#include <string.h>

#include "core/safety.h"
#include "store/store_internal.h"

#define CH_COLS "nonce, opaque, impi, rand, sqn, created, expires, used"

static void ch_clear(void *rec)
{
    (void)rec;
}

static int ch_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_gba_challenge *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->nonce, sizeof(r->nonce), err));
    M2M_GUARD(store_col_text(&c[1], r->opaque, sizeof(r->opaque), err));
    M2M_GUARD(store_col_text(&c[2], r->impi, sizeof(r->impi), err));
    M2M_ENSURE(c[3].type == STORE_BLOB && c[3].len == sizeof(r->rand), M2M_E_STORE,
               "stored challenge RAND is malformed");
    memcpy(r->rand, c[3].b, sizeof(r->rand));
    r->sqn = (uint64_t)store_col_int(&c[4]);
    r->created = store_col_int(&c[5]);
    r->expires = store_col_int(&c[6]);
    r->used = store_col_int(&c[7]) != 0;
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type ch_type = {sizeof(struct m2m_store_gba_challenge), 8, ch_decode,
                                              ch_clear};

int m2m_store_gba_challenge_add(struct m2m_store *s, const struct m2m_store_gba_challenge *rec,
                                const struct m2m_secret *vector, struct m2m_error *err)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL && vector != NULL);
    M2M_GUARD(store_check_text("nonce", rec->nonce, sizeof(rec->nonce), 0, err));
    M2M_GUARD(store_check_text("opaque", rec->opaque, sizeof(rec->opaque), 1, err));
    M2M_GUARD(store_check_text("IMPI", rec->impi, sizeof(rec->impi), 0, err));
    M2M_GUARD(store_check_time("expiry", rec->expires, err));
    M2M_ENSURE(rec->sqn <= M2M_STORE_SQN_MAX, M2M_E_INVALID_ARG, "SQN is a 48-bit number");
    M2M_GUARD(store_seal(s, rec->nonce, vector, &sealed, &sealed_len, err));
    const struct store_val p[] = {
        SV_TEXT(rec->nonce),
        SV_TEXT(rec->opaque),
        SV_TEXT(rec->impi),
        SV_BLOB(rec->rand, sizeof(rec->rand)),
        SV_INT(rec->sqn),
        SV_BLOB(sealed, sealed_len),
        SV_INT(store_created(rec->created)),
        SV_INT(rec->expires),
    };
    if (store_exec(s,
                   "INSERT INTO gba_challenge (nonce, opaque, impi, rand, sqn, vector, created,"
                   " expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   p, M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        store_exists_msg(err, "challenge nonce '%s' already exists", rec->nonce);
        if (err != NULL && err->code == M2M_E_STORE_NOT_FOUND)
            m2m_error_set(err, M2M_E_STORE_NOT_FOUND, "no GBA subscriber '%s'", rec->impi);
        goto out;
    }
    rc = 0;
out:
    store_sealed_free(sealed, sealed_len);
    return rc;
}

int m2m_store_gba_challenge_get(struct m2m_store *s, const char *nonce, int64_t now,
                                struct m2m_store_gba_challenge *out, struct m2m_secret **vector_out,
                                struct m2m_error *err)
{
    struct m2m_store_gba_challenge tmp;
    struct m2m_store_gba_challenge *r = out != NULL ? out : &tmp;
    struct store_got got = {0};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && nonce != NULL);
    if (vector_out != NULL)
        *vector_out = NULL;
    const struct store_val p[] = {SV_TEXT(nonce)};
    M2M_GUARD(store_get_rec(s, &ch_type,
                            "SELECT " CH_COLS ", vector FROM gba_challenge WHERE nonce = ?", p,
                            M2M_ARRAY_LEN(p), r, vector_out != NULL, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "no pending challenge with that nonce");
    M2M_ENSURE(!r->used, M2M_E_STORE_REVOKED, "the challenge was already answered");
    M2M_ENSURE(now < r->expires, M2M_E_STORE_EXPIRED, "the challenge expired");
    if (vector_out != NULL)
        M2M_GUARD_PTR(*vector_out = store_unseal(s, nonce, got.sealed, got.sealed_len, err));
    rc = 0;
out:
    store_got_free(&got);
    return rc;
}

int m2m_store_gba_challenge_use(struct m2m_store *s, const char *nonce, struct m2m_error *err)
{
    uint64_t changes = 0;
    int found = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && nonce != NULL);
    const struct store_val p[] = {SV_TEXT(nonce)};
    /* The compare-and-set that makes a challenge single-use across processes. */
    M2M_GUARD(store_exec(s, "UPDATE gba_challenge SET used = 1 WHERE nonce = ? AND used = 0", p,
                         M2M_ARRAY_LEN(p), NULL, NULL, &changes, err));
    if (changes == 0) {
        M2M_GUARD(store_exec(s, "SELECT 1 FROM gba_challenge WHERE nonce = ?", p, M2M_ARRAY_LEN(p),
                             store_row_exists, &found, NULL, err));
        M2M_ENSURE(found, M2M_E_STORE_NOT_FOUND, "no pending challenge with that nonce");
        M2M_BAIL(M2M_E_STORE_REVOKED, "the challenge was already answered");
    }
    rc = 0;
out:
    return rc;
}

int m2m_store_gba_challenge_purge(struct m2m_store *s, int64_t now, uint64_t *count,
                                  struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL);
    M2M_GUARD(store_purge(s, "DELETE FROM gba_challenge WHERE expires <= ? RETURNING 1", now, count,
                          err));
    rc = 0;
out:
    return rc;
}
