/* The audit log: every issuance and every refusal of a credential, with who asked, for
 * which key and SUID, and why it was refused. Only identifiers and reasons; the API has
 * no field that could carry key material. */
#include <stdint.h>
#include <string.h>

#include "core/safety.h"
#include "store/store_internal.h"

static int audit_check(const struct m2m_store_audit *r, struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(store_check_text("audit event", r->event, sizeof(r->event), 0, err));
    M2M_GUARD(store_check_text("audit KeID", r->keid, sizeof(r->keid), 1, err));
    M2M_GUARD(store_check_text("audit target", r->target, sizeof(r->target), 1, err));
    M2M_GUARD(store_check_text("audit outcome", r->outcome, sizeof(r->outcome), 0, err));
    M2M_ENSURE(strcmp(r->outcome, "issued") == 0 || strcmp(r->outcome, "refused") == 0,
               M2M_E_INVALID_ARG, "audit outcome must be issued or refused");
    M2M_GUARD(store_check_text("audit reason", r->reason, sizeof(r->reason), 1, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_audit_append(struct m2m_store *s, const struct m2m_store_audit *rec,
                           struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL);
    M2M_GUARD(audit_check(rec, err));
    const struct store_val p[] = {
        SV_INT(store_created(rec->time)),
        SV_TEXT(rec->event),
        SV_OPT_TEXT(rec->keid),
        SV_OPT_TEXT(rec->target),
        rec->suid != 0 ? SV_INT(rec->suid) : SV_NULL,
        SV_TEXT(rec->outcome),
        SV_OPT_TEXT(rec->reason),
    };
    M2M_GUARD(store_exec(s,
                         "INSERT INTO audit (time, event, keid, target, suid, outcome, reason)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)",
                         p, M2M_ARRAY_LEN(p), NULL, NULL, NULL, err));
    rc = 0;
out:
    return rc;
}

static void audit_clear(void *rec)
{
    (void)rec;
}

static int audit_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_audit *r = rec;
    int rc = -1;

    r->seq = store_col_int(&c[0]);
    r->time = store_col_int(&c[1]);
    M2M_GUARD(store_col_text(&c[2], r->event, sizeof(r->event), err));
    M2M_GUARD(store_col_text(&c[3], r->keid, sizeof(r->keid), err));
    M2M_GUARD(store_col_text(&c[4], r->target, sizeof(r->target), err));
    r->suid = (unsigned)store_col_int(&c[5]);
    M2M_GUARD(store_col_text(&c[6], r->outcome, sizeof(r->outcome), err));
    M2M_GUARD(store_col_text(&c[7], r->reason, sizeof(r->reason), err));
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type audit_type = {sizeof(struct m2m_store_audit), 8, audit_decode,
                                                 audit_clear};

struct audit_ctx {
    m2m_store_audit_cb cb;
    void *arg;
};

static int audit_deliver(const void *rec, void *ctx)
{
    const struct audit_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_audit_list(struct m2m_store *s, unsigned limit, m2m_store_audit_cb cb, void *arg,
                         struct m2m_error *err)
{
    struct audit_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    const struct store_val p[] = {SV_INT(limit == 0 ? INT64_MAX : (int64_t)limit)};
    M2M_GUARD(store_list_rec(s, &audit_type,
                             "SELECT seq, time, event, keid, target, suid, outcome, reason"
                             " FROM audit ORDER BY seq DESC LIMIT ?",
                             p, M2M_ARRAY_LEN(p), audit_deliver, &c, err));
    rc = 0;
out:
    return rc;
}
