/* The MEF's request router, answers, durable writes and the enrolee lookup. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <m2msec/bsf.h>
#include <m2msec/id.h>
#include <m2msec/secret.h>

#include "core/safety.h"
#include "role/mef_internal.h"

struct m2m_mef *m2m_mef_new(const struct m2m_mef_config *cfg, struct m2m_error *err)
{
    struct m2m_mef *mef = NULL;
    char fqdn[M2M_FQDN_MAX + 1];

    if (cfg == NULL || m2m_fqdn_normalize(cfg->fqdn, fqdn, sizeof(fqdn), err) != 0)
        return NULL;
    mef = calloc(1, sizeof(*mef));
    if (mef == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "MEF");
        return NULL;
    }
    mef->cfg = *cfg;
    memcpy(mef->cfg.fqdn, fqdn, sizeof(fqdn));
    /* The IN-CSE-ID is kept without its '/', as m2m_id_parse reports CSE-IDs. */
    if (mef->cfg.in_cse_id[0] == '/')
        memmove(mef->cfg.in_cse_id, mef->cfg.in_cse_id + 1, strlen(mef->cfg.in_cse_id));
    if (mef->cfg.default_ke_lifetime <= 0)
        mef->cfg.default_ke_lifetime = 30 * 86400;
    if (mef->cfg.root_credential_lifetime <= 0)
        mef->cfg.root_credential_lifetime = 365 * 86400;
    if (mef->cfg.gba_challenge_lifetime <= 0)
        mef->cfg.gba_challenge_lifetime = 60;
    return mef;
}

void m2m_mef_free(struct m2m_mef *mef)
{
    free(mef);
}

int mef_fail(struct m2m_mef_response *resp, int http_status, enum m2m_rsc rsc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    m2m_refusal_vset(&resp->body, resp->log, sizeof(resp->log), http_status, fmt, ap);
    va_end(ap);
    resp->http_status = http_status;
    resp->rsc = rsc;
    return -1;
}

/* HTTP status and oneM2M RSC for each kind of failure a handler can meet. */
int mef_fail_err(struct m2m_mef_response *resp, const char *what, const struct m2m_error *err)
{
    int http = 500;
    enum m2m_rsc rsc = M2M_RSC_INTERNAL_SERVER_ERROR;

    switch (err->code) {
    case M2M_E_BAD_MESSAGE:
    case M2M_E_ID_SYNTAX:
    case M2M_E_FQDN_SYNTAX:
    case M2M_E_KEYID_SYNTAX:
    case M2M_E_SUID:
    case M2M_E_UTF8:
        http = 400, rsc = M2M_RSC_BAD_REQUEST;
        break;
    case M2M_E_TOO_LARGE:
        http = 413, rsc = M2M_RSC_BAD_REQUEST;
        break;
    case M2M_E_STORE_NOT_FOUND:
        http = 404, rsc = M2M_RSC_NOT_FOUND;
        break;
    case M2M_E_STORE_EXPIRED:
    case M2M_E_STORE_REVOKED:
        http = 403, rsc = M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
        break;
    default:
        break;
    }
    return mef_fail(resp, http, rsc, "%s: %s", what, err->msg);
}

struct m2m_mef_write *mef_audit(const char *event, const char *keid, const char *target,
                                unsigned suid, const char *outcome, const char *reason)
{
    struct m2m_mef_write *w = calloc(1, sizeof(*w));

    if (w == NULL)
        return NULL;
    w->has_audit = true;
    w->audit.time = time(NULL);
    snprintf(w->audit.event, sizeof(w->audit.event), "%s", event);
    snprintf(w->audit.keid, sizeof(w->audit.keid), "%s", keid ? keid : "");
    snprintf(w->audit.target, sizeof(w->audit.target), "%s", target ? target : "");
    w->audit.suid = suid;
    snprintf(w->audit.outcome, sizeof(w->audit.outcome), "%s", outcome);
    snprintf(w->audit.reason, sizeof(w->audit.reason), "%s", reason ? reason : "");
    return w;
}

int m2m_mef_write_apply(void *arg, struct m2m_store *store, struct m2m_error *err)
{
    struct m2m_mef_write *w = arg;
    int rc = -1;

    M2M_GUARD(mef_write_apply_gba(w, store, err));
    if (w->has_key)
        M2M_GUARD(m2m_store_key_add(store, &w->key, w->ke, err));
    for (size_t i = 0; i < w->n_acks; i++) {
        /* A repeated acknowledgement (a retried request) is already recorded. */
        if (m2m_store_ack_add(store, &w->acks[i], err) != 0 && err->code != M2M_E_STORE_EXISTS)
            goto out;
    }
    if (w->has_rootcred)
        M2M_GUARD(m2m_store_rootcred_add(store, &w->rootcred, w->cred, err));
    if (w->has_audit)
        M2M_GUARD(m2m_store_audit_append(store, &w->audit, err));
    rc = 0;
out:
    return rc;
}

void m2m_mef_write_free(struct m2m_mef_write *w)
{
    if (w == NULL)
        return;
    m2m_secret_free(w->ke);
    m2m_secret_free(w->cred);
    m2m_secret_free(w->vector);
    free(w);
}

void m2m_mef_response_clear(struct m2m_mef_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    free(resp->www_authenticate);
    m2m_mef_write_free(resp->write);
    memset(resp, 0, sizeof(*resp));
}

void m2m_mef_handle(struct m2m_mef *mef, struct m2m_store *store, const struct m2m_mef_request *req,
                    struct m2m_mef_response *resp)
{
    static const char fetch_prefix[] = "/fetchCredentials/";
    bool post = strcmp(req->method, "POST") == 0;

    memset(resp, 0, sizeof(*resp));
    if (req->session == NULL) {
        mef_fail(resp, 403, M2M_RSC_SECURITY_ASSOCIATION_REQUIRED, "unauthenticated session");
        return;
    }
    if (strcmp(req->path, "/enrolment") == 0 && post)
        mef_enrol(mef, store, req, resp);
    else if (strcmp(req->path, "/enrolment/complete") == 0 && post)
        mef_enrol_complete(mef, store, req, resp);
    else if (strcmp(req->path, "/rootCredential") == 0 && post)
        mef_root_credential(mef, store, req, resp);
    else if (strncmp(req->path, fetch_prefix, sizeof(fetch_prefix) - 1) == 0 &&
             strcmp(req->method, "GET") == 0)
        mef_fetch(mef, store, req, resp);
    else if (strcmp(req->path, M2M_BSF_PATH) == 0)
        /* Ub runs on the server-authenticated listener only (docs/gba.md). */
        mef_fail(resp, 404, M2M_RSC_NOT_FOUND,
                 "%s is served on the MEF's GBA listener (gba_listen), not on this one",
                 M2M_BSF_PATH);
    else if (strcmp(req->path, "/enrolment") == 0 || strcmp(req->path, "/rootCredential") == 0 ||
             strcmp(req->path, "/enrolment/complete") == 0 ||
             strncmp(req->path, fetch_prefix, sizeof(fetch_prefix) - 1) == 0)
        mef_fail(resp, 405, M2M_RSC_OPERATION_NOT_ALLOWED, "%s not allowed on %s", req->method,
                 req->path);
    else
        mef_fail(resp, 404, M2M_RSC_NOT_FOUND, "no resource %.200s", req->path);
}

/* ---- who is enrolling ---- */

int m2m_mef_expand_template(const char *tmpl, const char *identity, const char *prefix, char *out,
                            size_t outsz, struct m2m_error *err)
{
    size_t plen = prefix ? strlen(prefix) : 0, n = 0;
    const char *suffix = identity;
    int rc = -1;

    M2M_ENSURE_ARG(tmpl != NULL && identity != NULL && out != NULL && outsz > 0);
    if (plen > 0 && strncmp(identity, prefix, plen) == 0)
        suffix = identity + plen;
    for (const char *p = tmpl; *p != '\0';) {
        const char *put = NULL;
        size_t skip = 1, len = 1;
        if (strncmp(p, "{identity}", 10) == 0)
            put = identity, skip = 10;
        else if (strncmp(p, "{suffix}", 8) == 0)
            put = suffix, skip = 8;
        else
            put = p;
        if (put != p)
            len = strlen(put);
        M2M_ENSURE(n + len < outsz, M2M_E_BUFFER_TOO_SMALL, "Enrolee-ID from template too long");
        memcpy(out + n, put, len);
        n += len;
        p += skip;
    }
    out[n] = '\0';
    rc = 0;
out:
    return rc;
}

static int from_psk(struct m2m_store *store, const char *kpm_id, struct mef_enrolee *out,
                    struct m2m_error *err)
{
    struct m2m_store_psk_enrolee rec;
    int rc = -1;

    memset(&rec, 0, sizeof(rec));
    M2M_GUARD(m2m_store_psk_enrolee_get(store, kpm_id, &rec, NULL, err));
    snprintf(out->enrolee_id, sizeof(out->enrolee_id), "%s", rec.enrolee_id);
    out->framework = "psk";
    out->lifetime = rec.ke_lifetime;
    out->instructions = rec.instructions;
    rec.instructions = NULL;
    rc = 0;
out:
    m2m_store_psk_enrolee_clear(&rec);
    return rc;
}

static int from_policy(struct m2m_mef *mef, struct m2m_store *store,
                       const struct m2m_verified *cert, struct mef_enrolee *out,
                       struct m2m_error *err)
{
    struct m2m_store_policy pol;
    char expanded[M2M_STORE_ID_MAX];
    int rc = -1;

    memset(&pol, 0, sizeof(pol));
    M2M_GUARD(
        m2m_store_policy_match(store, cert->flavour, cert->trust_set, cert->identity, &pol, err));
    M2M_GUARD(m2m_mef_expand_template(pol.id_template, cert->identity, pol.prefix, expanded,
                                      sizeof(expanded), err));
    /* The template must yield a valid CSE-ID or AE-ID (DESIGN.md 3: canonical form). */
    M2M_GUARD(m2m_id_canonical(expanded, mef->cfg.sp_id[0] ? mef->cfg.sp_id : NULL, out->enrolee_id,
                               sizeof(out->enrolee_id), err));
    out->framework = "cert";
    out->lifetime = pol.ke_lifetime;
    out->instructions = pol.instructions;
    pol.instructions = NULL;
    rc = 0;
out:
    m2m_store_policy_clear(&pol);
    return rc;
}

int mef_find_enrolee(struct m2m_mef *mef, struct m2m_store *store, const struct m2m_mef_session *s,
                     struct mef_enrolee *out, struct m2m_error *err)
{
    struct m2m_store_enrolee rec;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    memset(&rec, 0, sizeof(rec));
    if (s->is_psk) {
        rc = from_psk(store, s->psk_identity, out, err);
        goto out;
    }
    /* Registered individually first; a class policy otherwise. */
    if (m2m_store_enrolee_find(store, s->cert.flavour, s->cert.identity, &rec, err) == 0) {
        M2M_ENSURE(rec.trust_set[0] == '\0' || strcmp(rec.trust_set, s->cert.trust_set) == 0,
                   M2M_E_STORE_NOT_FOUND,
                   "certificate chains to '%s', enrolee registered under '%s'", s->cert.trust_set,
                   rec.trust_set);
        snprintf(out->enrolee_id, sizeof(out->enrolee_id), "%s", rec.enrolee_id);
        out->framework = "cert";
        out->lifetime = rec.ke_lifetime;
        out->instructions = rec.instructions;
        rec.instructions = NULL;
        rc = 0;
        goto out;
    }
    if (err->code != M2M_E_STORE_NOT_FOUND)
        goto out;
    rc = from_policy(mef, store, &s->cert, out, err);
    if (rc != 0 && err->code == M2M_E_STORE_NOT_FOUND)
        m2m_error_set(err, M2M_E_STORE_NOT_FOUND, "no enrolee or policy for %s '%s'",
                      m2m_flavour_name(s->cert.flavour), s->cert.identity);
out:
    m2m_store_enrolee_clear(&rec);
    if (rc == 0 && out->lifetime <= 0)
        out->lifetime = mef->cfg.default_ke_lifetime;
    return rc;
}

void mef_enrolee_clear(struct mef_enrolee *e)
{
    if (e == NULL)
        return;
    free(e->instructions);
    e->instructions = NULL;
}

/* ---- PSK sessions ---- */

int m2m_mef_psk_lookup(void *arg, const char *identity, struct m2m_secret **key,
                       struct m2m_error *err)
{
    struct m2m_store *store = arg;
    struct m2m_store_psk_enrolee rec;
    struct m2m_store_target t;
    int rc;

    memset(&rec, 0, sizeof(rec));
    rc = m2m_store_psk_enrolee_get(store, identity, &rec, key, err);
    m2m_store_psk_enrolee_clear(&rec);
    if (rc == 0 || err->code != M2M_E_STORE_NOT_FOUND)
        return rc;
    /* Not an enrolee: a target that fetches credentials with a pre-configured PSK. */
    if (m2m_store_target_get(store, identity, &t, key, err) != 0)
        return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "no PSK for '%s'", identity);
    if (*key == NULL)
        return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "target '%s' has no PSK", identity);
    return 0;
}
