/* The MAF's requests on an authenticated TLS-PSK session: client registration
 * (TS-0003 V3 8.8.2.3; DESIGN.md section 4). The Km itself is found or fetched during the
 * handshake (lib/role/keyfetch.c); here the session is already authenticated and only bound. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <m2msec/encoding.h>
#include <m2msec/id.h>
#include <m2msec/maf.h>

#include "core/safety.h"
#include "proto/json.h"

struct m2m_maf {
    struct m2m_maf_config cfg;
};

struct m2m_maf *m2m_maf_new(const struct m2m_maf_config *cfg, struct m2m_error *err)
{
    struct m2m_maf *maf;
    char fqdn[M2M_FQDN_MAX + 1];

    if (cfg == NULL || m2m_fqdn_normalize(cfg->fqdn, fqdn, sizeof(fqdn), err) != 0)
        return NULL;
    M2M_ENSURE(cfg->registration_lifetime >= 0, M2M_E_INVALID_ARG,
               "negative registration lifetime");
    if ((maf = calloc(1, sizeof(*maf))) == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "MAF");
        return NULL;
    }
    maf->cfg = *cfg;
    memcpy(maf->cfg.fqdn, fqdn, sizeof(fqdn));
    if (maf->cfg.registration_lifetime == 0)
        maf->cfg.registration_lifetime = M2M_MAF_DEFAULT_REGISTRATION_LIFETIME;
    return maf;
out:
    return NULL;
}

void m2m_maf_free(struct m2m_maf *maf)
{
    free(maf);
}

void m2m_maf_response_clear(struct m2m_maf_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}

static void maf_fail(struct m2m_maf_response *resp, int http_status, enum m2m_rsc rsc,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void maf_fail(struct m2m_maf_response *resp, int http_status, enum m2m_rsc rsc,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    m2m_refusal_vset(&resp->body, resp->log, sizeof(resp->log), http_status, fmt, ap);
    va_end(ap);
    resp->http_status = http_status;
    resp->rsc = rsc;
}

/* The cached Km the session was authenticated with: it must still be valid now, since a
 * keep-alive session may outlive a revocation or the key's lifetime. */
static int bound_key(struct m2m_store *store, const char *identity, struct m2m_store_maf_key *rec,
                     struct m2m_maf_response *resp)
{
    char id[M2M_STORE_KEYID_MAX];
    struct m2m_btid bt;
    struct m2m_error e;

    m2m_error_clear(&e);
    /* Stored ids are canonical (lowercase hex, normalised FQDN), as the lookup wrote them; a
     * B-TID's row is the one under the B-TID itself (lib/role/keyfetch.c). */
    if ((m2m_keyid_btid_parse(identity, &bt, NULL) == 0
             ? m2m_keyid_btid_format(bt.rand, bt.fqdn, id, sizeof(id), &e)
             : m2m_keyid_canonical(identity, id, sizeof(id), &e)) == 0 &&
        m2m_store_maf_get(store, id, (int64_t)time(NULL), rec, NULL, &e) == 0)
        return 0;
    if (e.code == M2M_E_STORE_REVOKED || e.code == M2M_E_STORE_EXPIRED ||
        e.code == M2M_E_STORE_NOT_FOUND || e.code == M2M_E_KEYID_SYNTAX)
        maf_fail(resp, 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, "the session's key %s: %s",
                 identity, e.msg);
    else
        maf_fail(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "key cache unavailable");
    return -1;
}

/* The body is optional; when present it must be one JSON object (future parameters). */
static int check_body(const struct m2m_maf_request *req, struct m2m_maf_response *resp)
{
    struct m2m_error e;
    json_t *root;

    if (req->body == NULL || req->body_len == 0)
        return 0;
    if ((root = proto_parse(req->body, req->body_len, &e)) == NULL) {
        maf_fail(resp, 400, M2M_RSC_BAD_REQUEST, "%s", e.msg);
        return -1;
    }
    json_decref(root);
    return 0;
}

static int new_reg_id(char *out, size_t outsz)
{
    unsigned char rnd[12];
    char hex[2 * sizeof(rnd) + 1];
    struct m2m_error e;

    if (m2m_random(rnd, sizeof(rnd), &e) != 0 ||
        m2m_hex_encode(rnd, sizeof(rnd), hex, sizeof(hex), &e) != 0)
        return -1;
    snprintf(out, outsz, "reg-%s", hex);
    return 0;
}

/* TS-0003 V3 8.8.2.3: the MAF registers the client and assigns the symmetric key id; with
 * m2msec's KmID (DESIGN.md section 3) that is the KmID the Enrolee derived from Km. */
static void client_registration(struct m2m_maf *maf, struct m2m_store *store,
                                const struct m2m_maf_request *req, struct m2m_maf_response *resp)
{
    struct m2m_client_registration reg;
    struct m2m_store_maf_key rec;
    struct m2m_error e;
    int64_t until;

    memset(&reg, 0, sizeof(reg));
    memset(&rec, 0, sizeof(rec));
    if (!req->session->is_psk) {
        maf_fail(resp, 403, M2M_RSC_SECURITY_ASSOCIATION_REQUIRED,
                 "client registration needs a TLS-PSK session with a KeID or KmID");
        return;
    }
    if (bound_key(store, req->session->psk_identity, &rec, resp) != 0 || check_body(req, resp))
        return;
    snprintf(resp->enrolee_id, sizeof(resp->enrolee_id), "%s", rec.enrolee_id);
    /* The session is bound to the Enrolee-ID the MEF returned; an originator naming
     * another entity is a claim the session cannot support. */
    if (req->origin != NULL && req->origin[0] != '\0' && strcmp(req->origin, rec.enrolee_id) != 0) {
        maf_fail(resp, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
                 "originator %.200s is not the session's enrolee %.200s", req->origin,
                 rec.enrolee_id);
        return;
    }
    until = (int64_t)time(NULL) + maf->cfg.registration_lifetime;
    reg.expires = (time_t)(until < rec.expires ? until : rec.expires);
    /* GBA: KmID = KeID = B-TID (SPEC.md section 8); the cache's second id is per suite. */
    snprintf(reg.assigned_symm_key_id, sizeof(reg.assigned_symm_key_id), "%s",
             m2m_keyid_btid_parse(rec.keid, &(struct m2m_btid){0}, NULL) == 0 ? rec.keid
                                                                              : rec.kmid);
    snprintf(reg.enrolee_id, sizeof(reg.enrolee_id), "%s", rec.enrolee_id);
    if (new_reg_id(reg.client_reg_id, sizeof(reg.client_reg_id)) != 0 ||
        (resp->body = m2m_client_registration_encode(&reg, &e)) == NULL) {
        maf_fail(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "cannot build the registration");
        return;
    }
    resp->http_status = 201;
    resp->rsc = M2M_RSC_CREATED;
    snprintf(resp->log, sizeof(resp->log), "client %s registered as %s with %s", rec.enrolee_id,
             reg.client_reg_id, rec.kmid);
}

void m2m_maf_handle(struct m2m_maf *maf, struct m2m_store *store, const struct m2m_maf_request *req,
                    struct m2m_maf_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    if (req->session == NULL) {
        maf_fail(resp, 403, M2M_RSC_SECURITY_ASSOCIATION_REQUIRED, "unauthenticated session");
        return;
    }
    if (strcmp(req->path, "/clientRegistration") != 0)
        maf_fail(resp, 404, M2M_RSC_NOT_FOUND, "no resource %.200s", req->path);
    else if (strcmp(req->method, "POST") != 0)
        maf_fail(resp, 405, M2M_RSC_OPERATION_NOT_ALLOWED, "%s not allowed on %s", req->method,
                 req->path);
    else
        client_registration(maf, store, req, resp);
}
