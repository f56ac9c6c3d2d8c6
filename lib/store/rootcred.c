/* Root credentials of the PKI-based bootstrap (SEC-2013-0050, SPEC.md section 6): the IN
 * generates a root credential for the field node, sends it wrapped, and keeps it to
 * authenticate the node later. Kept sealed with the credential id as AAD. */
#include "core/safety.h"
#include "store/store_internal.h"

#define ROOTCRED_COLS "cred_id, enrolee_id, created, expires"

static void rootcred_clear(void *rec)
{
    (void)rec;
}

static int rootcred_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_rootcred *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->cred_id, sizeof(r->cred_id), err));
    M2M_GUARD(store_col_text(&c[1], r->enrolee_id, sizeof(r->enrolee_id), err));
    r->created = store_col_int(&c[2]);
    r->expires = store_col_int(&c[3]);
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type rootcred_type = {sizeof(struct m2m_store_rootcred), 4,
                                                    rootcred_decode, rootcred_clear};

int m2m_store_rootcred_add(struct m2m_store *s, const struct m2m_store_rootcred *rec,
                           const struct m2m_secret *cred, struct m2m_error *err)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL && cred != NULL);
    M2M_GUARD(store_check_text("credential id", rec->cred_id, sizeof(rec->cred_id), 0, err));
    M2M_GUARD(store_check_text("enrolee id", rec->enrolee_id, sizeof(rec->enrolee_id), 0, err));
    M2M_GUARD(store_check_time("expiry", rec->expires, err));
    M2M_GUARD(store_seal(s, rec->cred_id, cred, &sealed, &sealed_len, err));
    const struct store_val p[] = {
        SV_TEXT(rec->cred_id),    SV_BLOB(sealed, sealed_len),
        SV_TEXT(rec->enrolee_id), SV_INT(store_created(rec->created)),
        SV_INT(rec->expires),
    };
    if (store_exec(s,
                   "INSERT INTO root_credential (cred_id, credential, enrolee_id, created,"
                   " expires) VALUES (?, ?, ?, ?, ?)",
                   p, M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        store_exists_msg(err, "root credential '%s' already exists", rec->cred_id);
        goto out;
    }
    rc = 0;
out:
    store_sealed_free(sealed, sealed_len);
    return rc;
}

int m2m_store_rootcred_get(struct m2m_store *s, const char *cred_id, int64_t now,
                           struct m2m_store_rootcred *out, struct m2m_secret **cred_out,
                           struct m2m_error *err)
{
    struct m2m_store_rootcred tmp;
    struct m2m_store_rootcred *r = out != NULL ? out : &tmp;
    struct store_got got = {0};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cred_id != NULL);
    if (cred_out != NULL)
        *cred_out = NULL;
    const struct store_val p[] = {SV_TEXT(cred_id)};
    M2M_GUARD(store_get_rec(s, &rootcred_type,
                            "SELECT " ROOTCRED_COLS ", credential FROM root_credential"
                            " WHERE cred_id = ?",
                            p, M2M_ARRAY_LEN(p), r, cred_out != NULL, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "root credential '%s'", cred_id);
    M2M_ENSURE(now < r->expires, M2M_E_STORE_EXPIRED, "root credential '%s'", cred_id);
    if (cred_out != NULL)
        M2M_GUARD_PTR(*cred_out = store_unseal(s, cred_id, got.sealed, got.sealed_len, err));
    rc = 0;
out:
    store_got_free(&got);
    return rc;
}

struct rootcred_ctx {
    m2m_store_rootcred_cb cb;
    void *arg;
};

static int rootcred_deliver(const void *rec, void *ctx)
{
    const struct rootcred_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_rootcred_list(struct m2m_store *s, const char *enrolee_id, m2m_store_rootcred_cb cb,
                            void *arg, struct m2m_error *err)
{
    struct rootcred_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    const struct store_val p[] = {enrolee_id != NULL ? SV_TEXT(enrolee_id) : SV_NULL};
    M2M_GUARD(store_list_rec(s, &rootcred_type,
                             "SELECT " ROOTCRED_COLS " FROM root_credential"
                             " WHERE ?1 IS NULL OR enrolee_id = ?1 ORDER BY created, cred_id",
                             p, M2M_ARRAY_LEN(p), rootcred_deliver, &c, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_rootcred_remove(struct m2m_store *s, const char *cred_id, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cred_id != NULL);
    const struct store_val p[] = {SV_TEXT(cred_id)};
    M2M_GUARD(store_exec_one(s, "DELETE FROM root_credential WHERE cred_id = ?", p,
                             M2M_ARRAY_LEN(p), "root credential", cred_id, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_rootcred_purge(struct m2m_store *s, int64_t now, uint64_t *count,
                             struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL);
    M2M_GUARD(store_purge(s, "DELETE FROM root_credential WHERE expires <= ? RETURNING 1", now,
                          count, err));
    rc = 0;
out:
    return rc;
}
