/* Enrolment Targets and what each may fetch. TS-0003 8.3.2.2: before answering
 * fetchCredentials the MEF checks that the requesting target is allowed the requested SUID
 * for the Enrolee the KeID belongs to. A target's optional PSK (for targets that
 * authenticate to the MEF without a certificate) is sealed with the target id as AAD. */
#include <stdlib.h>
#include <string.h>

#include <m2msec/crypto.h>

#include "core/safety.h"
#include "store/store_internal.h"

static void target_clear(void *rec)
{
    (void)rec;
}

static int target_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_target *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->target_id, sizeof(r->target_id), err));
    r->has_psk = store_col_int(&c[1]) != 0;
    r->created = store_col_int(&c[2]);
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type target_type = {sizeof(struct m2m_store_target), 3, target_decode,
                                                  target_clear};

#define TARGET_COLS "target_id, psk IS NOT NULL, created"

static int seal_opt(struct m2m_store *s, const char *id, const struct m2m_secret *psk,
                    unsigned char **sealed, size_t *len, struct m2m_error *err)
{
    *sealed = NULL;
    *len = 0;
    return psk == NULL ? 0 : store_seal(s, id, psk, sealed, len, err);
}

int m2m_store_target_add(struct m2m_store *s, const struct m2m_store_target *rec,
                         const struct m2m_secret *psk, struct m2m_error *err)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL);
    M2M_GUARD(store_check_text("target id", rec->target_id, sizeof(rec->target_id), 0, err));
    M2M_GUARD(seal_opt(s, rec->target_id, psk, &sealed, &sealed_len, err));
    const struct store_val p[] = {
        SV_TEXT(rec->target_id),
        sealed != NULL ? SV_BLOB(sealed, sealed_len) : SV_NULL,
        SV_INT(store_created(rec->created)),
    };
    if (store_exec(s, "INSERT INTO target (target_id, psk, created) VALUES (?, ?, ?)", p,
                   M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        store_exists_msg(err, "target '%s' already exists", rec->target_id);
        goto out;
    }
    rc = 0;
out:
    store_sealed_free(sealed, sealed_len);
    return rc;
}

int m2m_store_target_get(struct m2m_store *s, const char *target_id, struct m2m_store_target *out,
                         struct m2m_secret **psk_out, struct m2m_error *err)
{
    struct store_got got = {0};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && target_id != NULL && out != NULL);
    if (psk_out != NULL)
        *psk_out = NULL;
    const struct store_val p[] = {SV_TEXT(target_id)};
    M2M_GUARD(store_get_rec(s, &target_type,
                            "SELECT " TARGET_COLS ", psk FROM target WHERE target_id = ?", p,
                            M2M_ARRAY_LEN(p), out, psk_out != NULL, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "target '%s'", target_id);
    if (psk_out != NULL && out->has_psk)
        M2M_GUARD_PTR(*psk_out = store_unseal(s, target_id, got.sealed, got.sealed_len, err));
    rc = 0;
out:
    store_got_free(&got);
    return rc;
}

int m2m_store_target_set_psk(struct m2m_store *s, const char *target_id,
                             const struct m2m_secret *psk, struct m2m_error *err)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && target_id != NULL);
    M2M_GUARD(seal_opt(s, target_id, psk, &sealed, &sealed_len, err));
    const struct store_val p[] = {
        sealed != NULL ? SV_BLOB(sealed, sealed_len) : SV_NULL,
        SV_TEXT(target_id),
    };
    M2M_GUARD(store_exec_one(s, "UPDATE target SET psk = ? WHERE target_id = ?", p,
                             M2M_ARRAY_LEN(p), "target", target_id, err));
    rc = 0;
out:
    store_sealed_free(sealed, sealed_len);
    return rc;
}

struct target_ctx {
    m2m_store_target_cb cb;
    void *arg;
};

static int target_deliver(const void *rec, void *ctx)
{
    const struct target_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_target_list(struct m2m_store *s, m2m_store_target_cb cb, void *arg,
                          struct m2m_error *err)
{
    struct target_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    M2M_GUARD(store_list_rec(s, &target_type,
                             "SELECT " TARGET_COLS " FROM target ORDER BY target_id", NULL, 0,
                             target_deliver, &c, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_target_remove(struct m2m_store *s, const char *target_id, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && target_id != NULL);
    const struct store_val p[] = {SV_TEXT(target_id)};
    /* Its authorisations go with it (ON DELETE CASCADE). */
    M2M_GUARD(store_exec_one(s, "DELETE FROM target WHERE target_id = ?", p, M2M_ARRAY_LEN(p),
                             "target", target_id, err));
    rc = 0;
out:
    return rc;
}

/* ---- authorisations ---- */

static int auth_check(const char *target_id, unsigned suid, const char *enrolee_id,
                      struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(store_check_text("target id", target_id, M2M_STORE_ID_MAX, 0, err));
    M2M_GUARD(store_check_text("enrolee id", enrolee_id, M2M_STORE_ID_MAX, 0, err));
    M2M_ENSURE(m2m_suid_valid(suid), M2M_E_SUID, "%u", suid);
    rc = 0;
out:
    return rc;
}

int m2m_store_auth_add(struct m2m_store *s, const char *target_id, unsigned suid,
                       const char *enrolee_id, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL);
    M2M_GUARD(auth_check(target_id, suid, enrolee_id, err));
    const struct store_val p[] = {SV_TEXT(target_id), SV_INT(suid), SV_TEXT(enrolee_id)};
    if (store_exec(s, "INSERT INTO target_auth (target_id, suid, enrolee_id) VALUES (?, ?, ?)", p,
                   M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        store_exists_msg(err, "target '%s' is already allowed SUID %u for '%s'", target_id, suid,
                         enrolee_id);
        if (err != NULL && err->code == M2M_E_STORE_NOT_FOUND)
            m2m_error_set(err, M2M_E_STORE_NOT_FOUND, "target '%s'", target_id);
        goto out;
    }
    rc = 0;
out:
    return rc;
}

int m2m_store_auth_remove(struct m2m_store *s, const char *target_id, unsigned suid,
                          const char *enrolee_id, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && target_id != NULL && enrolee_id != NULL);
    const struct store_val p[] = {SV_TEXT(target_id), SV_INT(suid), SV_TEXT(enrolee_id)};
    M2M_GUARD(store_exec_one(s,
                             "DELETE FROM target_auth"
                             " WHERE target_id = ? AND suid = ? AND enrolee_id = ?",
                             p, M2M_ARRAY_LEN(p), "authorisation of target", target_id, err));
    rc = 0;
out:
    return rc;
}

static void auth_clear(void *rec)
{
    (void)rec;
}

static int auth_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_auth *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->target_id, sizeof(r->target_id), err));
    r->suid = (unsigned)store_col_int(&c[1]);
    M2M_GUARD(store_col_text(&c[2], r->enrolee_id, sizeof(r->enrolee_id), err));
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type auth_type = {sizeof(struct m2m_store_auth), 3, auth_decode,
                                                auth_clear};

struct auth_ctx {
    m2m_store_auth_cb cb;
    void *arg;
};

static int auth_deliver(const void *rec, void *ctx)
{
    const struct auth_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_auth_list(struct m2m_store *s, const char *target_id, m2m_store_auth_cb cb, void *arg,
                        struct m2m_error *err)
{
    struct auth_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    const struct store_val p[] = {target_id != NULL ? SV_TEXT(target_id) : SV_NULL};
    M2M_GUARD(store_list_rec(s, &auth_type,
                             "SELECT target_id, suid, enrolee_id FROM target_auth"
                             " WHERE ?1 IS NULL OR target_id = ?1"
                             " ORDER BY target_id, suid, enrolee_id",
                             p, M2M_ARRAY_LEN(p), auth_deliver, &c, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_target_allowed(struct m2m_store *s, const char *target_id, unsigned suid,
                             const char *enrolee_id, int *allowed, struct m2m_error *err)
{
    int found = 0, rc = -1;

    M2M_ENSURE_ARG(allowed != NULL);
    *allowed = 0;
    M2M_ENSURE_ARG(s != NULL && target_id != NULL && enrolee_id != NULL);
    /* "*" names every enrolee in a rule; as the enrolee asked about it names none, so it
     * must not meet the wildcard row and pass. */
    if (strcmp(enrolee_id, M2M_STORE_ANY_ENROLEE) == 0)
        return 0;
    const struct store_val p[] = {SV_TEXT(target_id), SV_INT(suid), SV_TEXT(enrolee_id)};
    M2M_GUARD(store_exec(s,
                         "SELECT 1 FROM target_auth WHERE target_id = ?1 AND suid = ?2"
                         " AND enrolee_id IN (?3, '" M2M_STORE_ANY_ENROLEE "') LIMIT 1",
                         p, M2M_ARRAY_LEN(p), store_row_exists, &found, NULL, err));
    *allowed = found;
    rc = 0;
out:
    return rc;
}
