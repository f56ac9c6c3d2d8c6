/* Enrolees of the pre-provisioned symmetric key framework (TS-0003 8.3.1.2: "Kpm + KpmID
 * in Enrolee and MEF"; the enrolment handshake uses psk_identity = KpmID, psk = Kpm).
 * Kpm is kept sealed with the KpmID as AAD. */
#include <stdlib.h>
#include <string.h>

#include "core/safety.h"
#include "store/store_internal.h"

#define PSK_COLS "kpm_id, enrolee_id, ke_lifetime, instructions, created"

void m2m_store_psk_enrolee_clear(struct m2m_store_psk_enrolee *rec)
{
    if (rec == NULL)
        return;
    free(rec->instructions);
    rec->instructions = NULL;
}

static void psk_clear(void *rec)
{
    m2m_store_psk_enrolee_clear(rec);
}

static int psk_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_psk_enrolee *r = rec;
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->kpm_id, sizeof(r->kpm_id), err));
    M2M_GUARD(store_col_text(&c[1], r->enrolee_id, sizeof(r->enrolee_id), err));
    r->ke_lifetime = store_col_int(&c[2]);
    M2M_GUARD(store_col_dup(&c[3], &r->instructions, err));
    r->created = store_col_int(&c[4]);
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type psk_type = {sizeof(struct m2m_store_psk_enrolee), 5, psk_decode,
                                               psk_clear};

static int psk_check(const struct m2m_store_psk_enrolee *r, struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(store_check_text("KpmID", r->kpm_id, sizeof(r->kpm_id), 0, err));
    M2M_GUARD(store_check_text("enrolee id", r->enrolee_id, sizeof(r->enrolee_id), 0, err));
    M2M_GUARD(store_check_time("Ke lifetime", r->ke_lifetime, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_psk_enrolee_add(struct m2m_store *s, const struct m2m_store_psk_enrolee *rec,
                              const struct m2m_secret *kpm, struct m2m_error *err)
{
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL && kpm != NULL);
    M2M_GUARD(psk_check(rec, err));
    M2M_GUARD(store_seal(s, rec->kpm_id, kpm, &sealed, &sealed_len, err));
    const struct store_val p[] = {
        SV_TEXT(rec->kpm_id),           SV_BLOB(sealed, sealed_len),
        SV_TEXT(rec->enrolee_id),       SV_INT(rec->ke_lifetime),
        SV_OPT_TEXT(rec->instructions), SV_INT(store_created(rec->created)),
    };
    if (store_exec(s,
                   "INSERT INTO psk_enrolee (kpm_id, kpm, enrolee_id, ke_lifetime,"
                   " instructions, created) VALUES (?, ?, ?, ?, ?, ?)",
                   p, M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        store_exists_msg(err, "KpmID '%s' is already registered", rec->kpm_id);
        goto out;
    }
    rc = 0;
out:
    store_sealed_free(sealed, sealed_len);
    return rc;
}

int m2m_store_psk_enrolee_get(struct m2m_store *s, const char *kpm_id,
                              struct m2m_store_psk_enrolee *out, struct m2m_secret **kpm_out,
                              struct m2m_error *err)
{
    struct store_got got = {0};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && kpm_id != NULL && out != NULL);
    if (kpm_out != NULL)
        *kpm_out = NULL;
    const struct store_val p[] = {SV_TEXT(kpm_id)};
    M2M_GUARD(store_get_rec(s, &psk_type,
                            "SELECT " PSK_COLS ", kpm FROM psk_enrolee WHERE kpm_id = ?", p,
                            M2M_ARRAY_LEN(p), out, kpm_out != NULL, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "KpmID '%s'", kpm_id);
    if (kpm_out != NULL)
        M2M_GUARD_PTR(*kpm_out = store_unseal(s, kpm_id, got.sealed, got.sealed_len, err));
    rc = 0;
out:
    if (rc != 0 && got.found)
        m2m_store_psk_enrolee_clear(out);
    store_got_free(&got);
    return rc;
}

struct psk_ctx {
    m2m_store_psk_enrolee_cb cb;
    void *arg;
};

static int psk_deliver(const void *rec, void *ctx)
{
    const struct psk_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_psk_enrolee_list(struct m2m_store *s, m2m_store_psk_enrolee_cb cb, void *arg,
                               struct m2m_error *err)
{
    struct psk_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    M2M_GUARD(store_list_rec(s, &psk_type, "SELECT " PSK_COLS " FROM psk_enrolee ORDER BY kpm_id",
                             NULL, 0, psk_deliver, &c, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_psk_enrolee_remove(struct m2m_store *s, const char *kpm_id, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && kpm_id != NULL);
    const struct store_val p[] = {SV_TEXT(kpm_id)};
    M2M_GUARD(store_exec_one(s, "DELETE FROM psk_enrolee WHERE kpm_id = ?", p, M2M_ARRAY_LEN(p),
                             "KpmID", kpm_id, err));
    rc = 0;
out:
    return rc;
}
