/* The M2M Enrolment Function (TS-0003 V3 8.3; SPEC.md sections 3, 4, 6; DESIGN.md section 4):
 * protocol logic only. A transport (HTTPS here, CoAPS later) authenticates the session,
 * hands over the request with what the session proved and a way to read the session's
 * exporter, and carries the answer back. Writes that must be durable before the answer
 * (a new Ke, an acknowledgement, a root credential, an issuance's audit row) come back as
 * a write the transport commits first. */
#ifndef M2MSEC_MEF_H
#define M2MSEC_MEF_H

#include <stdbool.h>
#include <stdint.h>

#include <m2msec/common.h>
#include <m2msec/error.h>
#include <m2msec/pki.h>
#include <m2msec/proto.h>
#include <m2msec/store.h>

struct m2m_mef_config {
    char fqdn[M2M_FQDN_MAX + 1];            /* the MEF's FQDN: the suffix of every KeID it issues */
    char sp_id[M2M_FQDN_MAX + 3];           /* "//sp.example.com": completes SP-relative ids */
    char in_cse_id[M2M_ID_SEGMENT_MAX + 1]; /* IN-CSE-ID, for CSE public domain names */
    int64_t default_ke_lifetime;            /* seconds, when a registration gives none */
    int64_t root_credential_lifetime;
    int64_t gba_challenge_lifetime; /* seconds a Digest AKA challenge may be answered (60) */
};

/* What the transport proved about the session. */
struct m2m_mef_session {
    bool is_psk;
    char psk_identity[M2M_IDENTITY_MAX]; /* the KpmID or a target's PSK identity */
    struct m2m_verified cert;            /* when !is_psk: flavour, identity, trust set */
    /* RFC 5705 export of this session (no context). */
    int (*exporter)(void *ctx, const char *label, unsigned char *out, size_t len,
                    struct m2m_error *err);
    void *exporter_ctx;
};

struct m2m_mef_request {
    const char *method; /* "GET", "POST" */
    const char *path;
    const char *origin; /* X-M2M-Origin, or NULL */
    const char *body;
    size_t body_len;
    const struct m2m_mef_session *session;
    const char *query;         /* the request URI's query, without '?', or NULL */
    const char *authorization; /* the Authorization header (GBA Ub, m2msec/bsf.h), or NULL */
};

struct m2m_mef_write;

struct m2m_mef_response {
    int http_status;
    enum m2m_rsc rsc;
    char *body; /* JSON, malloc'd */
    bool close; /* end the session after the answer (enrolment complete) */
    /* The WWW-Authenticate value of a Digest AKA challenge (GBA Ub), malloc'd, or NULL. */
    char *www_authenticate;
    /* When set, commit it durably (m2m_mef_write_apply on a writer) before sending the
     * answer; if the commit fails, answer 500 instead. When wait_for_write is false the
     * write (an audit row of a refusal) may be committed after the answer. */
    struct m2m_mef_write *write;
    bool wait_for_write;
    char log[320]; /* one line for the log: what happened, never key material */
};

struct m2m_mef;

M2M_API struct m2m_mef *m2m_mef_new(const struct m2m_mef_config *cfg, struct m2m_error *err);
M2M_API void m2m_mef_free(struct m2m_mef *mef);

/* Handles one request with store (read-only use, the caller's thread's own store). Always
 * fills resp (an error answer on failure); release it with m2m_mef_response_clear. */
M2M_API void m2m_mef_handle(struct m2m_mef *mef, struct m2m_store *store,
                            const struct m2m_mef_request *req, struct m2m_mef_response *resp);
M2M_API void m2m_mef_response_clear(struct m2m_mef_response *resp);

/* Applies a write inside the caller's transaction (signature of m2m_write_apply_fn). */
M2M_API int m2m_mef_write_apply(void *write, struct m2m_store *store, struct m2m_error *err);
M2M_API void m2m_mef_write_free(struct m2m_mef_write *w);

/* The server-side PSK lookup of an MEF session (signature of m2m_psk_lookup_fn with a
 * struct m2m_store * as arg): a KpmID of a PSK enrolee, or a target's PSK identity. */
M2M_API int m2m_mef_psk_lookup(void *store, const char *identity, struct m2m_secret **key,
                               struct m2m_error *err);

/* The Enrolee-ID a policy template yields for a certificate identity: "{identity}" is
 * replaced by the whole identity and "{suffix}" by what follows the policy prefix. */
M2M_API M2M_MUST_CHECK int m2m_mef_expand_template(const char *tmpl, const char *identity,
                                                   const char *prefix, char *out, size_t outsz,
                                                   struct m2m_error *err);

#endif
