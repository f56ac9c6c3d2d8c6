/* The M2M Authentication Function (TS-0003 V3 8.3.1.2, 8.8.2.3; SPEC.md section 3;
 * DESIGN.md section 4): protocol logic only. The transport authenticates the session with
 * TLS-PSK whose identity is a KeID or a KmID (m2m_keyfetch_lookup finds or fetches the Km),
 * then hands each request over with the PSK identity the session proved. The session is
 * bound to the Enrolee-ID the MEF returned with the Km, never to anything the client says. */
#ifndef M2MSEC_MAF_H
#define M2MSEC_MAF_H

#include <stdbool.h>
#include <stdint.h>

#include <m2msec/common.h>
#include <m2msec/crypto.h>
#include <m2msec/error.h>
#include <m2msec/pki.h>
#include <m2msec/proto.h>
#include <m2msec/store.h>

#define M2M_MAF_DEFAULT_REGISTRATION_LIFETIME 86400

struct m2m_maf_config {
    char fqdn[M2M_FQDN_MAX + 1]; /* the MAF-ID: the suffix of every KmID it assigns */
    /* Seconds a client registration lasts, never beyond the Km's own expiry; 0: default. */
    int64_t registration_lifetime;
};

/* What the transport proved about the session. */
struct m2m_maf_session {
    bool is_psk;
    char psk_identity[M2M_IDENTITY_MAX]; /* the KeID or KmID the handshake used */
};

struct m2m_maf_request {
    const char *method;
    const char *path;
    const char *origin; /* X-M2M-Origin, or NULL */
    const char *body;
    size_t body_len;
    const struct m2m_maf_session *session; /* NULL: not authenticated */
};

struct m2m_maf_response {
    int http_status;
    enum m2m_rsc rsc;
    char *body;                        /* JSON, malloc'd */
    char enrolee_id[M2M_STORE_ID_MAX]; /* the bound Enrolee-ID, "" when none */
    char log[320];                     /* one line for the log: what happened, never key material */
};

/* The client registration answer (DESIGN.md section 4). */
struct m2m_client_registration {
    char client_reg_id[64];
    char assigned_symm_key_id[M2M_STORE_KEYID_MAX]; /* the KmID */
    char enrolee_id[M2M_STORE_ID_MAX];
    time_t expires;
};

struct m2m_maf;

M2M_API struct m2m_maf *m2m_maf_new(const struct m2m_maf_config *cfg, struct m2m_error *err);
M2M_API void m2m_maf_free(struct m2m_maf *maf);

/* Handles one request with store (the caller's thread's own connection). Always fills resp
 * (an error answer on failure); release it with m2m_maf_response_clear. */
M2M_API void m2m_maf_handle(struct m2m_maf *maf, struct m2m_store *store,
                            const struct m2m_maf_request *req, struct m2m_maf_response *resp);
M2M_API void m2m_maf_response_clear(struct m2m_maf_response *resp);

M2M_API char *m2m_client_registration_encode(const struct m2m_client_registration *r,
                                             struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_client_registration_decode(const char *body, size_t len,
                                                          struct m2m_client_registration *out,
                                                          struct m2m_error *err);

#endif
