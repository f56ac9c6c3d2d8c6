/* Ub: the GBA bootstrapping exchange at the MEF acting as BSF (3GPP TS 33.220 4.5.2, TS 24.109
 * 5.2, RFC 3310). Three kinds of request reach it, told apart by the Authorization header:
 * the first (empty nonce) gets a challenge, an answer (response) gets a B-TID or a refusal,
 * a synchronisation failure (auts) gets a fresh challenge once MAC-S verifies. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <m2msec/crypto.h>
#include <m2msec/id.h>

#include "core/safety.h"
#include "role/bsf_internal.h"

#define EVENT_BOOTSTRAP "gbaBootstrap"

void bsf_refuse(struct ub *u, int http_status, enum m2m_rsc rsc, int burn, const char *fmt, ...)
{
    struct m2m_mef_response *resp = u->resp;
    const char *msg;
    char reason[M2M_STORE_REASON_MAX];
    va_list ap;

    m2m_mef_write_free(resp->write);
    resp->write = NULL;
    free(resp->www_authenticate);
    resp->www_authenticate = NULL;
    va_start(ap, fmt);
    m2m_refusal_vset(&resp->body, resp->log, sizeof(resp->log), http_status, fmt, ap);
    va_end(ap);
    resp->http_status = http_status;
    resp->rsc = rsc;
    msg = strstr(resp->log, ": ");
    snprintf(reason, sizeof(reason), "%s", msg ? msg + 2 : resp->log);
    resp->write = mef_audit(EVENT_BOOTSTRAP, "", u->cr.username, 0, "refused", reason);
    resp->wait_for_write = false;
    if (burn && resp->write != NULL && u->cr.nonce[0] != '\0') {
        /* The challenge is spent before the refusal leaves: no second guess on it. */
        resp->write->has_used_nonce = true;
        snprintf(resp->write->used_nonce, sizeof(resp->write->used_nonce), "%s", u->cr.nonce);
        resp->wait_for_write = true;
    }
}

/* The realm is the BSF's FQDN and the digest-uri the resource asked for (RFC 2617 3.2.2.5). */
static int check_scope(struct ub *u)
{
    if (strcasecmp(u->cr.realm, u->mef->cfg.fqdn) != 0) {
        bsf_refuse(u, 400, M2M_RSC_BAD_REQUEST, 0, "realm %.200s is not this BSF (%s)", u->cr.realm,
                   u->mef->cfg.fqdn);
        return -1;
    }
    if (strcmp(u->cr.uri, M2M_BSF_PATH) != 0) {
        bsf_refuse(u, 400, M2M_RSC_BAD_REQUEST, 0, "digest uri %.200s is not %s", u->cr.uri,
                   M2M_BSF_PATH);
        return -1;
    }
    return 0;
}

/* The subscriber, with K and OPc when keys is set; refuses when it cannot be read. */
static int load_subscriber(struct ub *u, struct m2m_store_gba_subscriber *sub,
                           struct m2m_secret **k, struct m2m_secret **opc, int burn)
{
    struct m2m_error err;

    if (m2m_store_gba_subscriber_get(u->store, u->cr.username, sub, k, opc, &err) == 0)
        return 0;
    if (err.code == M2M_E_STORE_NOT_FOUND)
        bsf_refuse(u, 404, M2M_RSC_NOT_FOUND, burn, "IMPI %.200s is not a subscriber of this BSF",
                   u->cr.username);
    else
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "subscriber: %s", err.msg);
    return -1;
}

/* The first request: a challenge with the next SQN (TS 24.109 5.2.1 step 1-2). */
static void first_request(struct ub *u)
{
    struct m2m_store_gba_subscriber *sub = calloc(1, sizeof(*sub));
    struct m2m_secret *k = NULL, *opc = NULL;

    if (sub == NULL) {
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "out of memory");
        return;
    }
    if (load_subscriber(u, sub, &k, &opc, 0) == 0)
        bsf_challenge(u, sub, k, opc, sub->sqn + 1, "gbaChallenge", 0);
    m2m_secret_free(k);
    m2m_secret_free(opc);
    free(sub);
}

/* The pending challenge the request answers, with its vector; refuses otherwise. */
static int load_challenge(struct ub *u, struct m2m_store_gba_challenge *ch,
                          struct m2m_secret **vector)
{
    struct m2m_error err;

    if (m2m_store_gba_challenge_get(u->store, u->cr.nonce, u->now, ch, vector, &err) != 0) {
        if (err.code == M2M_E_STORE_NOT_FOUND)
            bsf_refuse(u, 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, 0,
                       "nonce unknown to this BSF (never issued, or expired and purged)");
        else if (err.code == M2M_E_STORE_REVOKED)
            bsf_refuse(u, 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, 0,
                       "nonce already answered (replay)");
        else if (err.code == M2M_E_STORE_EXPIRED)
            bsf_refuse(u, 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, 0,
                       "nonce expired; start the bootstrap again");
        else
            bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "challenge: %s", err.msg);
        return -1;
    }
    if (strcmp(ch->impi, u->cr.username) != 0) {
        bsf_refuse(u, 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, 0,
                   "nonce was issued to another IMPI");
        return -1;
    }
    if (strcmp(ch->opaque, u->cr.opaque) != 0 || !u->cr.has_qop || u->cr.response[0] == '\0') {
        bsf_refuse(u, 400, M2M_RSC_BAD_REQUEST, 0,
                   "an answer needs the challenge's opaque, qop=auth-int, nc, cnonce and "
                   "response");
        return -1;
    }
    return 0;
}

/* RFC 3310 3.3: the request-digest with RES as the password (empty for an AUTS report). */
static int digest_matches(struct ub *u, const unsigned char *pw, size_t pwlen, int *match)
{
    char want[M2M_DIGEST_HEX_LEN + 1];
    struct m2m_error err;
    int rc;

    rc = m2m_digest_response(&u->cr, pw, pwlen, u->req->method, u->req->body, u->req->body_len,
                             want, &err);
    if (rc != 0) {
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "digest: %s", err.msg);
        return -1;
    }
    *match = m2m_ct_memcmp(want, u->cr.response, M2M_DIGEST_HEX_LEN) == 0;
    m2m_wipe(want, sizeof(want));
    return 0;
}

/* Ke = Ks = CK || IK under KeID = B-TID, bound to the subscriber's Enrolee-ID, with the
 * subscriber's lifetime (TS 33.220 4.5.2 step 6; SPEC.md section 8). */
static struct m2m_mef_write *issue_write(struct ub *u, const struct m2m_store_gba_subscriber *sub,
                                         const struct m2m_store_gba_challenge *ch,
                                         const struct m2m_secret *vector, const char *btid)
{
    struct m2m_mef_write *w = mef_audit(EVENT_BOOTSTRAP, btid, sub->impi, 0, "issued", "");

    if (w == NULL)
        return NULL;
    w->has_used_nonce = true;
    snprintf(w->used_nonce, sizeof(w->used_nonce), "%s", ch->nonce);
    w->has_key = true;
    snprintf(w->key.keid, sizeof(w->key.keid), "%s", btid);
    snprintf(w->key.enrolee_id, sizeof(w->key.enrolee_id), "%s", sub->enrolee_id);
    snprintf(w->key.framework, sizeof(w->key.framework), "gba");
    w->key.created = u->now;
    w->key.expires = u->now + sub->ke_lifetime;
    w->key.has_gba_rand = 1;
    memcpy(w->key.gba_rand, ch->rand, sizeof(w->key.gba_rand));
    snprintf(w->key.gba_impi, sizeof(w->key.gba_impi), "%s", sub->impi);
    w->ke = m2m_secret_from(m2m_secret_cdata(vector) + BSF_RES_LEN, 32, NULL);
    if (w->ke == NULL) {
        m2m_mef_write_free(w);
        return NULL;
    }
    return w;
}

static void issue(struct ub *u, const struct m2m_store_gba_subscriber *sub,
                  const struct m2m_store_gba_challenge *ch, const struct m2m_secret *vector)
{
    struct m2m_gba_bootstrap_info info;
    struct m2m_error err;

    memset(&info, 0, sizeof(info));
    if (m2m_keyid_btid_format(ch->rand, u->mef->cfg.fqdn, info.btid, sizeof(info.btid), &err) !=
        0) {
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 1, "B-TID: %s", err.msg);
        return;
    }
    info.lifetime = (time_t)(u->now + sub->ke_lifetime);
    u->resp->write = issue_write(u, sub, ch, vector, info.btid);
    u->resp->body = m2m_gba_bootstrap_info_encode(&info, &err);
    if (u->resp->write == NULL || u->resp->body == NULL) {
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "out of memory");
        return;
    }
    u->resp->wait_for_write = true; /* Ke is on record before the B-TID leaves */
    u->resp->http_status = 200;
    u->resp->rsc = M2M_RSC_OK;
    snprintf(u->resp->log, sizeof(u->resp->log), "B-TID %s for %.200s (%s)", info.btid, sub->impi,
             sub->enrolee_id);
}

/* The answer to a challenge (TS 24.109 5.2.1 steps 3-4). */
static void answer(struct ub *u)
{
    struct m2m_store_gba_challenge ch;
    struct m2m_store_gba_subscriber *sub = calloc(1, sizeof(*sub));
    struct m2m_secret *vector = NULL;
    int match = 0;

    if (sub == NULL) {
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "out of memory");
        return;
    }
    if (load_challenge(u, &ch, &vector) != 0 ||
        digest_matches(u, m2m_secret_cdata(vector), BSF_RES_LEN, &match) != 0)
        goto out;
    if (!match) {
        bsf_refuse(u, 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, 1,
                   "Digest AKA response of %.200s does not verify (wrong RES)", u->cr.username);
        goto out;
    }
    if (load_subscriber(u, sub, NULL, NULL, 1) == 0)
        issue(u, sub, &ch, vector);
out:
    m2m_secret_free(vector);
    free(sub);
}

/* RFC 3310 3.4, TS 33.102 6.3.5: the USIM refused the SQN; its AUTS carries SQN_MS. */
static void resync(struct ub *u)
{
    struct m2m_store_gba_challenge ch;
    struct m2m_store_gba_subscriber *sub = calloc(1, sizeof(*sub));
    struct m2m_secret *k = NULL, *opc = NULL;
    uint64_t sqn_ms = 0;
    int match = 0, ok = 0;
    struct m2m_error err;

    if (sub == NULL) {
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "out of memory");
        return;
    }
    if (load_challenge(u, &ch, NULL) != 0 || digest_matches(u, NULL, 0, &match) != 0 ||
        load_subscriber(u, sub, &k, &opc, 1) != 0)
        goto out;
    if (!match) {
        bsf_refuse(u, 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, 1,
                   "resynchronisation of %.200s: response not computed with an empty password",
                   u->cr.username);
        goto out;
    }
    if (bsf_auts_open(k, opc, ch.rand, u->cr.auts, &sqn_ms, &ok, &err) != 0) {
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "AUTS: %s", err.msg);
        goto out;
    }
    if (!ok) {
        bsf_refuse(u, 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, 1,
                   "AUTS of %.200s does not verify (MAC-S)", u->cr.username);
        goto out;
    }
    /* The HE continues after the USIM's highest accepted SQN. */
    bsf_challenge(u, sub, k, opc, sqn_ms + 1, "gbaResync", 1);
out:
    m2m_secret_free(k);
    m2m_secret_free(opc);
    free(sub);
}

void m2m_bsf_handle(struct m2m_mef *mef, struct m2m_store *store, const struct m2m_mef_request *req,
                    struct m2m_mef_response *resp)
{
    struct ub u;
    struct m2m_error err;

    memset(resp, 0, sizeof(*resp));
    memset(&u, 0, sizeof(u));
    u.mef = mef;
    u.store = store;
    u.req = req;
    u.resp = resp;
    u.now = (int64_t)time(NULL);
    if (strcmp(req->path, M2M_BSF_PATH) != 0) {
        mef_fail(resp, 404, M2M_RSC_NOT_FOUND, "no resource %.200s on the GBA listener", req->path);
        return;
    }
    if (strcmp(req->method, "GET") != 0) {
        mef_fail(resp, 405, M2M_RSC_OPERATION_NOT_ALLOWED, "%s not allowed on %s", req->method,
                 M2M_BSF_PATH);
        return;
    }
    if (req->authorization == NULL) {
        mef_fail(resp, 400, M2M_RSC_BAD_REQUEST,
                 "Ub needs Authorization: Digest username=\"<IMPI>\" (TS 24.109 5.2.1)");
        return;
    }
    if (m2m_digest_credentials_parse(req->authorization, &u.cr, &err) != 0) {
        mef_fail(resp, 400, M2M_RSC_BAD_REQUEST, "Authorization: %s", err.msg);
        return;
    }
    if (check_scope(&u) != 0)
        return;
    if (u.cr.nonce[0] == '\0')
        first_request(&u);
    else if (u.cr.has_auts)
        resync(&u);
    else
        answer(&u);
}
