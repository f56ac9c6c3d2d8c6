/* m2msec mef target|keys|audit: Enrolment Targets and which credentials they may fetch
 * (TS-0003 8.3.2.2), the enrolment keys Ke issued so far (8.3.1.2), and the audit log. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <m2msec/crypto.h>

#include "admin_util.h"

struct rows_arg {
    const struct admin_ctx *c;
    json_t *rows;
};

/* ---- targets ---- */

int mef_target_add(struct admin_ctx *c)
{
    struct m2m_store_target rec;
    struct m2m_secret *psk = NULL;
    int rc = 1;

    memset(&rec, 0, sizeof(rec));
    if (admin_target_id(c, c->o->id, rec.target_id, sizeof(rec.target_id)) != 0)
        goto out;
    if ((c->o->given & AO_PSK) &&
        (psk = admin_secret(c, c->o->psk_hex, c->o->psk_file, "target PSK")) == NULL)
        goto out;
    if (m2m_store_target_add(c->store, &rec, psk, &c->err) != 0)
        goto out;
    printf("target %s added%s\n", rec.target_id, psk ? " with a PSK" : "");
    rc = 0;
out:
    m2m_secret_free(psk);
    return rc ? admin_fail(c) : 0;
}

int mef_target_set_psk(struct admin_ctx *c)
{
    char id[M2M_STORE_ID_MAX];
    struct m2m_secret *psk = NULL;
    int rc = 1;

    if (!(c->o->given & AO_PSK) == !(c->o->given & AO_NO_PSK))
        return admin_failf(c, "set-psk takes either --psk-hex/--psk-file or --no-psk");
    if (admin_target_id(c, c->o->id, id, sizeof(id)) != 0)
        goto out;
    if ((c->o->given & AO_PSK) &&
        (psk = admin_secret(c, c->o->psk_hex, c->o->psk_file, "target PSK")) == NULL)
        goto out;
    if (m2m_store_target_set_psk(c->store, id, psk, &c->err) != 0)
        goto out;
    printf("target %s: PSK %s\n", id, psk ? "replaced" : "removed");
    rc = 0;
out:
    m2m_secret_free(psk);
    return rc ? admin_fail(c) : 0;
}

static int target_cb(const struct m2m_store_target *r, void *arg)
{
    struct rows_arg *l = arg;

    json_array_append_new(l->rows, json_pack("{s:s, s:s, s:o}", "targetId", r->target_id, "psk",
                                             r->has_psk ? "(sealed)" : "", "created",
                                             admin_time(r->created)));
    return 0;
}

int mef_target_list(struct admin_ctx *c)
{
    static const struct admin_col cols[] = {
        {"targetId", "TARGET-ID"}, {"psk", "PSK"}, {"created", "CREATED"}};
    struct rows_arg l = {c, json_array()};

    if (m2m_store_target_list(c->store, target_cb, &l, &c->err) != 0) {
        json_decref(l.rows);
        return admin_fail(c);
    }
    admin_print(c, cols, ADMIN_ARRAY_LEN(cols), l.rows);
    return 0;
}

int mef_target_remove(struct admin_ctx *c)
{
    char id[M2M_STORE_ID_MAX];

    if (admin_target_id(c, c->o->id, id, sizeof(id)) != 0 ||
        m2m_store_target_remove(c->store, id, &c->err) != 0)
        return admin_fail(c);
    printf("target %s removed\n", id);
    return 0;
}

/* The (target, SUID, enrolee) of allow and deny, canonical. */
static int auth_args(struct admin_ctx *c, char *target, char *enrolee)
{
    const char *e = c->o->enrolee ? c->o->enrolee : M2M_STORE_ANY_ENROLEE;

    if (!m2m_suid_valid(c->o->suid))
        return m2m_error_set(&c->err, M2M_E_SUID, "SUID %u is not defined (TS-0003 12.3.2.2)",
                             c->o->suid);
    if (admin_target_id(c, c->o->id, target, M2M_STORE_ID_MAX) != 0 ||
        admin_auth_enrolee(c, e, enrolee, M2M_STORE_ID_MAX) != 0)
        return -1;
    return 0;
}

int mef_target_allow(struct admin_ctx *c)
{
    char target[M2M_STORE_ID_MAX], enrolee[M2M_STORE_ID_MAX];

    if (auth_args(c, target, enrolee) != 0 ||
        m2m_store_auth_add(c->store, target, c->o->suid, enrolee, &c->err) != 0)
        return admin_fail(c);
    printf("target %s may fetch SUID %u for %s\n", target, c->o->suid,
           strcmp(enrolee, M2M_STORE_ANY_ENROLEE) == 0 ? "any enrolee" : enrolee);
    return 0;
}

int mef_target_deny(struct admin_ctx *c)
{
    char target[M2M_STORE_ID_MAX], enrolee[M2M_STORE_ID_MAX];

    if (auth_args(c, target, enrolee) != 0 ||
        m2m_store_auth_remove(c->store, target, c->o->suid, enrolee, &c->err) != 0)
        return admin_fail(c);
    printf("target %s: SUID %u for %s removed\n", target, c->o->suid, enrolee);
    return 0;
}

static int auth_cb(const struct m2m_store_auth *r, void *arg)
{
    struct rows_arg *l = arg;

    json_array_append_new(l->rows, json_pack("{s:s, s:I, s:s}", "targetId", r->target_id, "suid",
                                             (json_int_t)r->suid, "enroleeId", r->enrolee_id));
    return 0;
}

int mef_target_rules(struct admin_ctx *c)
{
    static const struct admin_col cols[] = {
        {"targetId", "TARGET-ID"}, {"suid", "SUID"}, {"enroleeId", "ENROLEE-ID"}};
    struct rows_arg l = {c, json_array()};
    char id[M2M_STORE_ID_MAX];

    if (c->o->id != NULL && admin_target_id(c, c->o->id, id, sizeof(id)) != 0)
        goto fail;
    if (m2m_store_auth_list(c->store, c->o->id ? id : NULL, auth_cb, &l, &c->err) != 0)
        goto fail;
    admin_print(c, cols, ADMIN_ARRAY_LEN(cols), l.rows);
    return 0;
fail:
    json_decref(l.rows);
    return admin_fail(c);
}

/* ---- enrolment keys ---- */

static int key_cb(const struct m2m_store_key *r, void *arg)
{
    struct rows_arg *l = arg;
    int64_t now = (int64_t)time(NULL);

    json_array_append_new(
        l->rows, json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "keId", r->keid, "enroleeId",
                           r->enrolee_id, "framework", r->framework, "created",
                           admin_time(r->created), "expires", admin_time(r->expires), "status",
                           admin_key_status(r->revoked, r->expires, now), "revokedAt",
                           admin_time(r->revoked ? r->revoked_at : 0)));
    return 0;
}

int mef_keys_list(struct admin_ctx *c)
{
    static const struct admin_col cols[] = {{"keId", "KEID"},           {"enroleeId", "ENROLEE-ID"},
                                            {"framework", "FRAMEWORK"}, {"created", "CREATED"},
                                            {"expires", "EXPIRES"},     {"status", "STATUS"}};
    struct rows_arg l = {c, json_array()};
    char id[M2M_STORE_ID_MAX];

    if (c->o->enrolee != NULL && admin_enrolee_id(c, c->o->enrolee, id, sizeof(id)) != 0)
        goto fail;
    if (m2m_store_key_list(c->store, c->o->enrolee ? id : NULL, key_cb, &l, &c->err) != 0)
        goto fail;
    admin_print(c, cols, ADMIN_ARRAY_LEN(cols), l.rows);
    return 0;
fail:
    json_decref(l.rows);
    return admin_fail(c);
}

int mef_keys_revoke(struct admin_ctx *c)
{
    char keid[M2M_STORE_KEYID_MAX];

    if (admin_keyid(c, c->o->keyid, keid, sizeof(keid)) != 0 ||
        m2m_store_key_revoke(c->store, keid, (int64_t)time(NULL), &c->err) != 0)
        return admin_fail(c);
    printf("KeID %s revoked\n", keid);
    return 0;
}

int mef_keys_purge(struct admin_ctx *c)
{
    uint64_t n = 0;

    if (m2m_store_key_purge(c->store, (int64_t)time(NULL), &n, &c->err) != 0)
        return admin_fail(c);
    printf("%" PRIu64 " expired enrolment key%s purged\n", n, n == 1 ? "" : "s");
    return 0;
}

/* ---- audit ---- */

static int audit_cb(const struct m2m_store_audit *r, void *arg)
{
    struct rows_arg *l = arg;

    json_array_append_new(l->rows,
                          json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:I, s:s}", "seq",
                                    (json_int_t)r->seq, "time", admin_time(r->time), "event",
                                    r->event, "outcome", r->outcome, "keId", r->keid, "target",
                                    r->target, "suid", (json_int_t)r->suid, "reason", r->reason));
    return 0;
}

int mef_audit(struct admin_ctx *c)
{
    static const struct admin_col cols[] = {
        {"seq", "SEQ"},   {"time", "TIME"},     {"event", "EVENT"}, {"outcome", "OUTCOME"},
        {"keId", "KEID"}, {"target", "TARGET"}, {"suid", "SUID"},   {"reason", "REASON"}};
    struct rows_arg l = {c, json_array()};

    if (m2m_store_audit_list(c->store, c->o->limit, audit_cb, &l, &c->err) != 0) {
        json_decref(l.rows);
        return admin_fail(c);
    }
    admin_print(c, cols, ADMIN_ARRAY_LEN(cols), l.rows);
    return 0;
}
