/* The Enrolment Exchange (TS-0003 V3 8.3.2.1, 10.3.1) and the PKI-based bootstrap's
 * wrapped root credential (SEC-2013-0050; DESIGN.md section 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>
#include <m2msec/tls.h>

#include "core/safety.h"
#include "role/mef_internal.h"

/* Ke and KeID of this very session: RFC 5705, label EXPORTER-oneM2M-Bootstrap, 48 bytes,
 * split into RelativeKeID and Ke (TS-0003 10.3.1). */
static int session_ke(struct m2m_mef *mef, const struct m2m_mef_session *s, struct m2m_secret **ke,
                      char keid[M2M_KEYID_MAX], struct m2m_error *err)
{
    unsigned char exp[M2M_EXPORT_LEN];
    int rc = -1;

    M2M_ENSURE(s->exporter != NULL, M2M_E_TLS_EXPORT, "session has no exporter");
    M2M_GUARD(s->exporter(s->exporter_ctx, M2M_EXPORTER_BOOTSTRAP, exp, sizeof(exp), err));
    M2M_GUARD(m2m_export_split(exp, mef->cfg.fqdn, ke, keid, err));
    rc = 0;
out:
    m2m_wipe(exp, sizeof(exp));
    return rc;
}

/* Keeps the configured instructions the Enrolee said it is prepared to follow. */
static void filter_instructions(struct m2m_enrol_response *r, const struct m2m_enrol_request *q)
{
    size_t kept = 0;

    for (size_t i = 0; i < r->n_instructions; i++) {
        struct m2m_instruction *in = &r->instructions[i];
        bool want = (in->type == M2M_INSTR_MAF_ENROLMENT && q->maf_enrolment) ||
                    (in->type == M2M_INSTR_REMOTE_MANAGEMENT && q->remote_management) ||
                    (in->type == M2M_INSTR_CERT_ENROLMENT && q->cert_enrolment);
        if (!want) {
            for (size_t j = 0; j < in->n_anchors; j++)
                free(in->trust_anchors[j]);
            in->n_anchors = 0;
            continue;
        }
        if (kept != i)
            r->instructions[kept] = *in;
        kept++;
    }
    r->n_instructions = kept;
}

static void key_lifetimes(struct m2m_enrol_response *r, int64_t ke_expires, time_t now)
{
    /* TS-0003 10.3: keys derived from Ke must not outlive Ke. */
    for (size_t i = 0; i < r->n_instructions; i++) {
        struct m2m_instruction *in = &r->instructions[i];
        if (in->type == M2M_INSTR_MAF_ENROLMENT &&
            (in->lifetime <= 0 || now + in->lifetime > ke_expires))
            in->lifetime = (long)(ke_expires - now);
    }
}

void mef_enrol(struct m2m_mef *mef, struct m2m_store *store, const struct m2m_mef_request *req,
               struct m2m_mef_response *resp)
{
    struct m2m_enrol_request q;
    struct m2m_enrol_response r;
    struct mef_enrolee who;
    struct m2m_mef_write *w = NULL;
    struct m2m_secret *ke = NULL;
    struct m2m_error err;
    time_t now = time(NULL);

    memset(&r, 0, sizeof(r));
    memset(&who, 0, sizeof(who));
    if (m2m_enrol_request_decode(req->body, req->body_len, &q, &err) != 0) {
        mef_fail_err(resp, "enrolment request", &err);
        goto out;
    }
    if (mef_find_enrolee(mef, store, req->session, &who, &err) != 0) {
        mef_fail(resp, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not a registered enrolee: %s",
                 err.msg);
        goto out;
    }
    if (who.instructions != NULL &&
        m2m_instructions_decode(who.instructions, strlen(who.instructions), &r, &err) != 0) {
        mef_fail(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "stored instructions: %s", err.msg);
        goto out;
    }
    if (session_ke(mef, req->session, &ke, r.keid, &err) != 0) {
        mef_fail_err(resp, "enrolment key", &err);
        goto out;
    }
    snprintf(r.enrolee_id, sizeof(r.enrolee_id), "%s", who.enrolee_id);
    r.expires = now + who.lifetime;
    filter_instructions(&r, &q);
    key_lifetimes(&r, r.expires, now);
    w = mef_audit("enrolment", r.keid, who.enrolee_id, 0, "issued", who.framework);
    resp->body = m2m_enrol_response_encode(&r, &err);
    if (w == NULL || resp->body == NULL) {
        mef_fail(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
        goto out;
    }
    /* Ke is committed durably before the answer leaves (DESIGN.md section 4). */
    w->has_key = true;
    snprintf(w->key.keid, sizeof(w->key.keid), "%s", r.keid);
    snprintf(w->key.enrolee_id, sizeof(w->key.enrolee_id), "%s", who.enrolee_id);
    snprintf(w->key.framework, sizeof(w->key.framework), "%s", who.framework);
    w->key.created = now;
    w->key.expires = r.expires;
    w->ke = ke;
    ke = NULL;
    resp->write = w;
    w = NULL;
    resp->wait_for_write = true;
    resp->http_status = 201;
    resp->rsc = M2M_RSC_CREATED;
    snprintf(resp->log, sizeof(resp->log), "enrolled %s as %s (%s), %zu instructions", r.keid,
             who.enrolee_id, who.framework, r.n_instructions);
out:
    m2m_secret_free(ke);
    m2m_mef_write_free(w);
    m2m_enrol_response_clear(&r);
    mef_enrolee_clear(&who);
}

void mef_enrol_complete(struct m2m_mef *mef, struct m2m_store *store,
                        const struct m2m_mef_request *req, struct m2m_mef_response *resp)
{
    struct m2m_enrol_complete c;
    struct m2m_mef_write *w = NULL;
    struct m2m_secret *ke = NULL;
    char keid[M2M_KEYID_MAX];
    struct m2m_error err;

    (void)store;
    if (m2m_enrol_complete_decode(req->body, req->body_len, &c, &err) != 0) {
        mef_fail_err(resp, "acknowledgement", &err);
        return;
    }
    /* Only the session that created a Ke may acknowledge its instructions. */
    if (session_ke(mef, req->session, &ke, keid, &err) != 0) {
        mef_fail_err(resp, "enrolment key", &err);
        return;
    }
    m2m_secret_free(ke);
    if (strcmp(keid, c.keid) != 0) {
        mef_fail(resp, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
                 "keId %.80s was not enrolled on this session", c.keid);
        return;
    }
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        mef_fail(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    for (size_t i = 0; i < c.n_acks; i++) {
        snprintf(w->acks[i].keid, sizeof(w->acks[i].keid), "%s", keid);
        snprintf(w->acks[i].instruction, sizeof(w->acks[i].instruction), "%s",
                 m2m_instruction_type_name(c.acks[i]));
        w->acks[i].acked = time(NULL);
    }
    w->n_acks = c.n_acks;
    resp->write = w;
    resp->wait_for_write = true;
    resp->body = strdup("{\"status\":true}");
    resp->http_status = 200;
    resp->rsc = M2M_RSC_OK;
    resp->close = true; /* TS-0003 8.3.2.1: the MEF ends the exchange */
    snprintf(resp->log, sizeof(resp->log), "acknowledged %zu instructions for %s", c.n_acks, keid);
}

/* ---- PKI-based bootstrap (SPEC.md section 6) ---- */

static int wrap_root(const struct m2m_mef_session *s, struct m2m_secret **cred,
                     struct m2m_root_credential *msg, struct m2m_error *err)
{
    unsigned char wk[32];
    struct m2m_secret *kek = NULL;
    int rc = -1;

    M2M_ENSURE(s->exporter != NULL, M2M_E_TLS_EXPORT, "session has no exporter");
    /* RootCredentialWrapKey: RFC 5705 on this session, 32 bytes (DESIGN.md section 3). */
    M2M_GUARD(s->exporter(s->exporter_ctx, M2M_EXPORTER_ROOT_WRAP, wk, sizeof(wk), err));
    M2M_GUARD_PTR(kek = m2m_secret_from(wk, sizeof(wk), err));
    M2M_GUARD_PTR(*cred = m2m_secret_new(32, err));
    M2M_GUARD(m2m_random(m2m_secret_data(*cred), 32, err));
    /* AES-256 Key Wrap, RFC 3394. */
    M2M_GUARD(m2m_aes_wrap(kek, 0, m2m_secret_cdata(*cred), 32, msg->wrapped, sizeof(msg->wrapped),
                           &msg->wrapped_len, err));
    rc = 0;
out:
    m2m_wipe(wk, sizeof(wk));
    m2m_secret_free(kek);
    return rc;
}

void mef_root_credential(struct m2m_mef *mef, struct m2m_store *store,
                         const struct m2m_mef_request *req, struct m2m_mef_response *resp)
{
    struct m2m_root_credential msg;
    struct mef_enrolee who;
    struct m2m_mef_write *w = NULL;
    struct m2m_secret *cred = NULL;
    unsigned char rid[16];
    char hex[33];
    struct m2m_error err;
    time_t now = time(NULL);

    memset(&msg, 0, sizeof(msg));
    if (req->session->is_psk) {
        mef_fail(resp, 403, M2M_RSC_SECURITY_ASSOCIATION_REQUIRED,
                 "the PKI-based bootstrap needs a certificate session");
        return;
    }
    if (mef_find_enrolee(mef, store, req->session, &who, &err) != 0) {
        mef_fail(resp, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not a registered enrolee: %s",
                 err.msg);
        return;
    }
    if (wrap_root(req->session, &cred, &msg, &err) != 0 || m2m_random(rid, 16, &err) != 0 ||
        m2m_hex_encode(rid, 16, hex, sizeof(hex), &err) != 0) {
        mef_fail_err(resp, "root credential", &err);
        goto out;
    }
    snprintf(msg.credential_id, sizeof(msg.credential_id), "%s@%s", hex, mef->cfg.fqdn);
    msg.expires = now + mef->cfg.root_credential_lifetime;
    msg.parameters_json = NULL;
    w = mef_audit("rootCredential", msg.credential_id, who.enrolee_id, 0, "issued", "");
    resp->body = w ? m2m_root_credential_encode(&msg, &err) : NULL;
    if (resp->body == NULL) {
        mef_fail(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
        goto out;
    }
    w->has_rootcred = true;
    snprintf(w->rootcred.cred_id, sizeof(w->rootcred.cred_id), "%s", msg.credential_id);
    snprintf(w->rootcred.enrolee_id, sizeof(w->rootcred.enrolee_id), "%s", who.enrolee_id);
    w->rootcred.created = now;
    w->rootcred.expires = msg.expires;
    w->cred = cred;
    cred = NULL;
    resp->write = w;
    w = NULL;
    resp->wait_for_write = true;
    resp->http_status = 201;
    resp->rsc = M2M_RSC_CREATED;
    snprintf(resp->log, sizeof(resp->log), "root credential %s for %s", msg.credential_id,
             who.enrolee_id);
out:
    m2m_secret_free(cred);
    m2m_mef_write_free(w);
    m2m_root_credential_clear(&msg);
    mef_enrolee_clear(&who);
}
