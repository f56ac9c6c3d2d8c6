/* Shared by the MEF role's files. */
#ifndef M2M_ROLE_MEF_INTERNAL_H
#define M2M_ROLE_MEF_INTERNAL_H

#include <m2msec/mef.h>

struct m2m_mef {
    struct m2m_mef_config cfg;
};

/* Everything one request may have to commit. */
struct m2m_mef_write {
    bool has_key;
    struct m2m_store_key key;
    struct m2m_secret *ke;
    size_t n_acks;
    struct m2m_store_ack acks[M2M_MAX_INSTRUCTIONS];
    bool has_rootcred;
    struct m2m_store_rootcred rootcred;
    struct m2m_secret *cred;
    bool has_audit;
    struct m2m_store_audit audit;
    /* GBA bootstrapping (bsf.c): a challenge answered (once), the subscriber's SQN moved,
     * a new challenge with its sealed vector. */
    bool has_used_nonce;
    char used_nonce[M2M_STORE_GBA_NONCE_MAX];
    bool has_sqn;
    char sqn_impi[M2M_STORE_ID_MAX];
    uint64_t sqn_from, sqn_to;
    bool has_challenge;
    struct m2m_store_gba_challenge challenge;
    struct m2m_secret *vector;
};

/* How the session's enrolee is registered, whichever framework it used. */
struct mef_enrolee {
    char enrolee_id[M2M_STORE_ID_MAX];
    const char *framework; /* "cert" or "psk" */
    int64_t lifetime;
    char *instructions; /* JSON array text, malloc'd; may be NULL */
};

/* Fills resp with an error answer and a log line. Returns -1. */
int mef_fail(struct m2m_mef_response *resp, int http_status, enum m2m_rsc rsc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The answer for a library error: status and RSC from its code. Returns -1. */
int mef_fail_err(struct m2m_mef_response *resp, const char *what, const struct m2m_error *err);
/* A new write carrying one audit row. NULL on allocation failure. */
struct m2m_mef_write *mef_audit(const char *event, const char *keid, const char *target,
                                unsigned suid, const char *outcome, const char *reason);

/* Who is enrolling on this session (TS-0003 8.3.1.2 Bootstrap Instruction Configuration). */
int mef_find_enrolee(struct m2m_mef *mef, struct m2m_store *store, const struct m2m_mef_session *s,
                     struct mef_enrolee *out, struct m2m_error *err);
void mef_enrolee_clear(struct mef_enrolee *e);

void mef_enrol(struct m2m_mef *mef, struct m2m_store *store, const struct m2m_mef_request *req,
               struct m2m_mef_response *resp);
void mef_enrol_complete(struct m2m_mef *mef, struct m2m_store *store,
                        const struct m2m_mef_request *req, struct m2m_mef_response *resp);
void mef_root_credential(struct m2m_mef *mef, struct m2m_store *store,
                         const struct m2m_mef_request *req, struct m2m_mef_response *resp);
void mef_fetch(struct m2m_mef *mef, struct m2m_store *store, const struct m2m_mef_request *req,
               struct m2m_mef_response *resp);
/* The decoded KeID of a fetch path (m2m_fetch_path_parse) as a KeID or a B-TID in its
 * canonical form, and the FQDN of its issuer (mef_fetch_gba.c). */
int mef_fetch_keyid(const char *decoded, char *keid, size_t keidsz, char *issuer, size_t issuersz,
                    struct m2m_error *err);
/* The ua of a fetch path (hex, "" when absent): a 5-byte TLS-PSK Ua security protocol id
 * (TS 33.220 Annex H). */
int mef_fetch_ua(const char *hex, unsigned char ua[M2M_GBA_UA_ID_LEN], bool *has_ua,
                 struct m2m_error *err);
/* Ks_NAF for a GBA Ke, once the NAF passed the user security settings; NULL with resp
 * filled as a refusal otherwise. ua NULL: the request gave none. */
struct m2m_secret *mef_fetch_gba(struct m2m_mef_response *resp, struct m2m_store *store,
                                 const struct m2m_store_key *key, const struct m2m_secret *ks,
                                 const char *naf_fqdn, const unsigned char *ua);
/* Appends a write's GBA part to the caller's transaction (bsf.c). */
int mef_write_apply_gba(struct m2m_mef_write *w, struct m2m_store *store, struct m2m_error *err);

#endif
