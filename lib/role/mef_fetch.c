/* fetchCredentials: an Enrolment Target obtains the key it shares with an Enrolee
 * (TS-0003 V3 8.3.1.2 steps 3-4, 8.3.2.2; DESIGN.md sections 3 and 4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <m2msec/crypto.h>
#include <m2msec/id.h>

#include "core/safety.h"
#include "role/mef_internal.h"

/* A target as the MEF knows it: its canonical id, and what its session must prove. */
struct target {
    char id[M2M_STORE_ID_MAX];      /* canonical: an FQDN, or an absolute CSE-/AE-ID */
    enum m2m_flavour flavour;       /* the certificate flavour that proves it */
    char cert_id[M2M_IDENTITY_MAX]; /* the identity that certificate carries */
    char fqdn[M2M_FQDN_MAX + 1];    /* its FQDN, "" for an AE */
};

/* DESIGN.md section 3: an originator is canonicalised before the authorisation check. */
static int resolve_target(struct m2m_mef *mef, const char *origin, struct target *t,
                          struct m2m_error *err)
{
    struct m2m_id id;
    int rc = -1;

    memset(t, 0, sizeof(*t));
    if (m2m_fqdn_canonical(origin, t->id, sizeof(t->id), NULL) == 0) {
        /* A MAF (or any target) named by its FQDN, proved by an FQDN certificate. */
        t->flavour = M2M_FLAVOUR_FQDN;
        snprintf(t->cert_id, sizeof(t->cert_id), "%s", t->id);
        snprintf(t->fqdn, sizeof(t->fqdn), "%s", t->id);
        rc = 0;
        goto out;
    }
    M2M_GUARD(m2m_id_canonical(origin, mef->cfg.sp_id[0] ? mef->cfg.sp_id : NULL, t->id,
                               sizeof(t->id), err));
    M2M_GUARD(m2m_id_parse(t->id, M2M_ID_ANY, &id, err));
    if (id.kind == M2M_ID_CSE) {
        /* A CSE-ID certificate carries the CSE's public domain name (TS-0001 6.5.1.1). */
        bool in = mef->cfg.in_cse_id[0] && strcmp(id.cse, mef->cfg.in_cse_id) == 0;
        char in_cse[M2M_ID_SEGMENT_MAX + 2];
        snprintf(in_cse, sizeof(in_cse), "/%s", mef->cfg.in_cse_id);
        t->flavour = M2M_FLAVOUR_CSE_ID;
        M2M_GUARD(m2m_id_cse_public_domain(in ? M2M_CSE_IN : M2M_CSE_MN, t->id, in_cse, NULL,
                                           t->cert_id, sizeof(t->cert_id), err));
        snprintf(t->fqdn, sizeof(t->fqdn), "%s", t->cert_id);
    } else if (id.kind == M2M_ID_AE) {
        t->flavour = M2M_FLAVOUR_AE_ID;
        M2M_GUARD(m2m_id_ae_uri(t->id, NULL, t->cert_id, sizeof(t->cert_id), err));
    } else {
        M2M_BAIL(M2M_E_ID_SYNTAX, "an SP-ID is not an Enrolment Target");
    }
    rc = 0;
out:
    return rc;
}

/* The session must prove the originator (DESIGN.md section 4). */
static int session_proves(const struct m2m_mef_session *s, const char *origin,
                          const struct target *t)
{
    if (s->is_psk)
        return strcmp(s->psk_identity, t->id) == 0 || strcmp(s->psk_identity, origin) == 0;
    if (t->flavour == M2M_FLAVOUR_AE_ID)
        return s->cert.flavour == M2M_FLAVOUR_AE_ID && strcmp(s->cert.identity, t->cert_id) == 0;
    /* FQDN and CSE-ID certificates both prove a dNSName; a trust set accepting both reports
     * whichever class it tried first, so either proves a domain name. */
    if (s->cert.flavour != M2M_FLAVOUR_FQDN && s->cert.flavour != M2M_FLAVOUR_CSE_ID)
        return 0;
    return strcasecmp(s->cert.identity, t->cert_id) == 0;
}

/* /fetchCredentials/{KeID}/{SUID}[?ua=...], the KeID percent-encoded where needed (a B-TID). */
static int parse_path(const struct m2m_mef_request *req, char *keid, size_t keidsz, char *issuer,
                      size_t issuersz, unsigned *suid, unsigned char ua[M2M_GBA_UA_ID_LEN],
                      bool *has_ua, struct m2m_error *err)
{
    char decoded[M2M_STORE_KEYID_MAX], uahex[M2M_FETCH_UA_HEX_LEN + 1];
    int rc = -1;

    M2M_GUARD(
        m2m_fetch_path_parse(req->path, req->query, decoded, sizeof(decoded), suid, uahex, err));
    M2M_GUARD(mef_fetch_keyid(decoded, keid, keidsz, issuer, issuersz, err));
    M2M_ENSURE(*suid <= 255 && m2m_suid_valid(*suid), M2M_E_SUID, "%u is not a defined SUID",
               *suid);
    M2M_GUARD(mef_fetch_ua(uahex, ua, has_ua, err));
    rc = 0;
out:
    return rc;
}

/* DESIGN.md section 3: which key the MEF derives for a target and SUID. */
static struct m2m_secret *derive_for(const struct m2m_secret *ke, unsigned suid,
                                     const struct target *t, struct m2m_error *err)
{
    if (suid == M2M_SUID_REMOTE_MAF) /* TS-0003 10.3.4: Km with MAF-ID = the MAF's FQDN */
        return t->flavour == M2M_FLAVOUR_FQDN
                   ? m2m_derive_km(ke, t->id, err)
                   : (m2m_error_set(err, M2M_E_SUID, "SUID 21 is for a MAF named by its FQDN"),
                      NULL);
    if (suid == M2M_SUID_REMOTE_SAEF) /* 10.3.5: Kpsa with Enrolee-B-ID = the target's id */
        return m2m_derive_kpsa(ke, t->id, err);
    /* 10.3.7: the Enrolment-Target-ID of a usage-constrained key is an FQDN. */
    if (t->fqdn[0] == '\0') {
        m2m_error_set(err, M2M_E_SUID, "SUID %u needs a target with an FQDN", suid);
        return NULL;
    }
    return m2m_derive_usage_key(ke, suid, t->fqdn, err);
}

static void refuse(struct m2m_mef_response *resp, const char *keid, const char *target,
                   unsigned suid)
{
    char reason[M2M_STORE_REASON_MAX];
    const char *msg = strstr(resp->log, ": ");

    snprintf(reason, sizeof(reason), "%s", msg ? msg + 2 : resp->log);
    /* Refusals are audited too; the answer need not wait for that row. */
    resp->write = mef_audit("fetchCredentials", keid, target, suid, "refused", reason);
    resp->wait_for_write = false;
}

void mef_fetch(struct m2m_mef *mef, struct m2m_store *store, const struct m2m_mef_request *req,
               struct m2m_mef_response *resp)
{
    struct m2m_fetch_response r;
    struct m2m_store_key key;
    struct target t;
    struct m2m_secret *ke = NULL, *k = NULL;
    char keid[M2M_STORE_KEYID_MAX] = "", issuer[M2M_FQDN_MAX + 1] = "";
    unsigned char ua[M2M_GBA_UA_ID_LEN];
    bool has_ua = false;
    unsigned suid = 0;
    int allowed = 0;
    struct m2m_error err;

    memset(&r, 0, sizeof(r));
    memset(&t, 0, sizeof(t));
    if (parse_path(req, keid, sizeof(keid), issuer, sizeof(issuer), &suid, ua, &has_ua, &err) !=
        0) {
        mef_fail_err(resp, "fetchCredentials", &err);
        goto refused;
    }
    if (req->origin == NULL || req->origin[0] == '\0') {
        mef_fail(resp, 400, M2M_RSC_BAD_REQUEST, "missing %s", M2M_HDR_ORIGIN);
        goto refused;
    }
    if (resolve_target(mef, req->origin, &t, &err) != 0) {
        mef_fail_err(resp, "originator", &err);
        goto refused;
    }
    if (!session_proves(req->session, req->origin, &t)) {
        mef_fail(resp, 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
                 "originator %.200s is not the identity this session proved (%.200s)", req->origin,
                 req->session->is_psk ? req->session->psk_identity : req->session->cert.identity);
        goto refused;
    }
    if (strcmp(issuer, mef->cfg.fqdn) != 0) {
        mef_fail(resp, 404, M2M_RSC_NOT_FOUND, "KeID %.200s was not issued by %s", keid,
                 mef->cfg.fqdn);
        goto refused;
    }
    memset(&key, 0, sizeof(key));
    if (m2m_store_key_get(store, keid, time(NULL), &key, &ke, &err) != 0) {
        mef_fail_err(resp, "KeID", &err);
        goto refused;
    }
    /* TS-0003 8.3.2.2: this target may fetch this SUID for this Enrolee. */
    if (m2m_store_target_allowed(store, t.id, suid, key.enrolee_id, &allowed, &err) != 0) {
        mef_fail_err(resp, "authorisation", &err);
        goto refused;
    }
    if (!allowed) {
        mef_fail(resp, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
                 "%.200s may not fetch SUID %u for %.200s", t.id, suid, key.enrolee_id);
        goto refused;
    }
    if (strcmp(key.framework, "gba") == 0) {
        /* SPEC.md 8: Km or Kpsa = Ks_NAF for whichever SUID the target may fetch; the ua of
         * other frameworks' keys is checked for syntax and otherwise ignored. */
        if ((k = mef_fetch_gba(resp, store, &key, ke, t.fqdn, has_ua ? ua : NULL)) == NULL)
            goto refused;
    } else if ((k = derive_for(ke, suid, &t, &err)) == NULL) {
        mef_fail_err(resp, "derivation", &err);
        goto refused;
    }
    memcpy(r.credential, m2m_secret_cdata(k), m2m_secret_len(k));
    r.credential_len = m2m_secret_len(k);
    snprintf(r.enrolee_id, sizeof(r.enrolee_id), "%s", key.enrolee_id);
    r.lifetime = key.expires; /* never beyond Ke's expiry (TS-0003 10.3) */
    resp->body = m2m_fetch_response_encode(&r, &err);
    resp->write = mef_audit("fetchCredentials", keid, t.id, suid, "issued", "");
    if (resp->body == NULL || resp->write == NULL) {
        mef_fail(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
        goto refused;
    }
    resp->wait_for_write = true; /* the issuance is on record before the key leaves */
    resp->http_status = 200;
    resp->rsc = M2M_RSC_OK;
    snprintf(resp->log, sizeof(resp->log), "issued SUID %u key of %s to %s", suid, keid, t.id);
    goto out;
refused:
    m2m_mef_write_free(resp->write);
    resp->write = NULL;
    refuse(resp, keid, t.id[0] ? t.id : req->origin, suid);
out:
    m2m_wipe(&r, sizeof(r));
    m2m_secret_free(ke);
    m2m_secret_free(k);
}
