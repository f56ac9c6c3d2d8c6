/* The store: the durable state of an MEF (enrolees, policies, targets, enrolment keys,
 * acknowledgements, root credentials, audit log) and of a MAF (its cache of Km).
 *
 * One interface, several back ends chosen by URL; "sqlite:PATH" is the one built today.
 *
 * Threads: a struct m2m_store is used by one thread at a time (open one per thread; the
 * SQLite back end runs without its own mutexes). Several stores, in one or several
 * processes, may share one database: writers wait for each other up to a busy timeout.
 *
 * Secrets (Ke, Km, Kpm, target PSKs, root credentials, GBA subscriber keys and
 * authentication vectors) are kept only sealed under the
 * key-encryption key given at open (AES-256-GCM, the row's key id as AAD; DESIGN.md
 * section 3), so a row copied under another id, or read with another KEK, fails with
 * M2M_E_SEAL_OPEN. They come back as struct m2m_secret, which the caller frees.
 *
 * Times are seconds since the Unix epoch. A key is expired when now >= expires. Functions
 * that judge expiry take `now` from the caller (normally time(NULL)) so the decision is
 * the caller's clock, once. A `created` of 0 in a record to add means "now".
 *
 * Errors: M2M_E_STORE_NOT_FOUND (no such id), M2M_E_STORE_EXISTS (duplicate; the store is
 * unchanged), M2M_E_STORE_EXPIRED, M2M_E_STORE_REVOKED, M2M_E_SEAL_OPEN, M2M_E_INVALID_ARG
 * (a field empty, too long or unterminated), M2M_E_STORE (the database itself failed).
 *
 * Listing: each list function calls cb once per record; the record (and every string in
 * it) is valid only during the call. A non-zero return from cb stops the listing, which
 * still succeeds. cb must not modify the store. */
#ifndef M2MSEC_STORE_H
#define M2MSEC_STORE_H

#include <stdint.h>

#include <m2msec/common.h>
#include <m2msec/error.h>
#include <m2msec/secret.h>

#define M2M_STORE_ID_MAX       640 /* ids and certificate identities, with the NUL */
#define M2M_STORE_KEYID_MAX    400 /* KeID, KmID, B-TID, with the NUL */
#define M2M_STORE_NAME_MAX     128 /* policy, trust set, instruction type, event, with the NUL */
#define M2M_STORE_WORD_MAX     16  /* framework, outcome, with the NUL */
#define M2M_STORE_REASON_MAX   256
#define M2M_STORE_GBA_RAND_LEN 16

struct m2m_store;

/* Opens (creating if needed) the store at url. kek (32 bytes) is copied; it may be NULL for
 * a store that only reads and writes non-secret data (admin listings): every call that seals
 * or opens a secret then fails with M2M_E_INVALID_ARG.
 * "sqlite:PATH": the file and its -wal/-shm companions are mode 0600, WAL journal, full
 * synchronous commits, foreign keys on; the schema is created or migrated to this version. */
M2M_API struct m2m_store *m2m_store_open(const char *url, const struct m2m_secret *kek,
                                         struct m2m_error *err);
/* Closes, rolling back an open transaction, and wipes the KEK copy. NULL is a no-op. */
M2M_API void m2m_store_close(struct m2m_store *s);

/* Explicit transactions, so a writer can make several changes one durable commit. Without
 * one, every call is its own transaction. Transactions do not nest. */
M2M_API M2M_MUST_CHECK int m2m_store_begin(struct m2m_store *s, struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_commit(struct m2m_store *s, struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_rollback(struct m2m_store *s, struct m2m_error *err);
/* 1 while a transaction opened by m2m_store_begin is open. */
M2M_API int m2m_store_in_transaction(const struct m2m_store *s);

/* ---- Enrolees registered individually (certificate framework; TS-0003 8.3.1.2) ---- */
struct m2m_store_enrolee {
    char enrolee_id[M2M_STORE_ID_MAX]; /* canonical CSE-ID or AE-ID; unique */
    int flavour;                       /* enum m2m_flavour of the enrolee's certificate */
    char identity[M2M_STORE_ID_MAX];   /* its certificate identity; unique with flavour */
    char trust_set[M2M_STORE_NAME_MAX];
    int64_t ke_lifetime; /* seconds, > 0 */
    char *instructions;  /* JSON text handed back at enrolment, opaque here; may be NULL */
    int64_t created;
};
typedef int (*m2m_store_enrolee_cb)(const struct m2m_store_enrolee *rec, void *arg);

M2M_API M2M_MUST_CHECK int m2m_store_enrolee_add(struct m2m_store *s,
                                                 const struct m2m_store_enrolee *rec,
                                                 struct m2m_error *err);
/* By Enrolee-ID. out->instructions is malloc'd: release with m2m_store_enrolee_clear. */
M2M_API M2M_MUST_CHECK int m2m_store_enrolee_get(struct m2m_store *s, const char *enrolee_id,
                                                 struct m2m_store_enrolee *out,
                                                 struct m2m_error *err);
/* By the certificate an enrolee presents: its flavour and identity. */
M2M_API M2M_MUST_CHECK int m2m_store_enrolee_find(struct m2m_store *s, int flavour,
                                                  const char *identity,
                                                  struct m2m_store_enrolee *out,
                                                  struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_enrolee_list(struct m2m_store *s, m2m_store_enrolee_cb cb,
                                                  void *arg, struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_enrolee_remove(struct m2m_store *s, const char *enrolee_id,
                                                    struct m2m_error *err);
/* Frees what a get left in rec; NULL is a no-op. */
M2M_API void m2m_store_enrolee_clear(struct m2m_store_enrolee *rec);

/* ---- Enrolee policies: a whole class of certificates registered at once ---- */
struct m2m_store_policy {
    char name[M2M_STORE_NAME_MAX]; /* unique */
    int flavour;
    char trust_set[M2M_STORE_NAME_MAX];
    /* A plain string prefix of the certificate identity, e.g. "0.2.481.1.100.3030." (end it
     * with the separator so "...3030" does not also take "...30301"). "" matches all. */
    char prefix[M2M_STORE_ID_MAX];
    char id_template[M2M_STORE_ID_MAX]; /* Enrolee-ID template, opaque here */
    int64_t ke_lifetime;
    char *instructions;
    int64_t created;
};
typedef int (*m2m_store_policy_cb)(const struct m2m_store_policy *rec, void *arg);

/* (flavour, trust_set, prefix) is unique, so a match is never ambiguous. */
M2M_API M2M_MUST_CHECK int m2m_store_policy_add(struct m2m_store *s,
                                                const struct m2m_store_policy *rec,
                                                struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_policy_get(struct m2m_store *s, const char *name,
                                                struct m2m_store_policy *out,
                                                struct m2m_error *err);
/* The policy for a certificate: same flavour and trust set, prefix a prefix of identity;
 * among several, the longest prefix wins (the most specific rule). NOT_FOUND if none. */
M2M_API M2M_MUST_CHECK int m2m_store_policy_match(struct m2m_store *s, int flavour,
                                                  const char *trust_set, const char *identity,
                                                  struct m2m_store_policy *out,
                                                  struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_policy_list(struct m2m_store *s, m2m_store_policy_cb cb,
                                                 void *arg, struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_policy_remove(struct m2m_store *s, const char *name,
                                                   struct m2m_error *err);
M2M_API void m2m_store_policy_clear(struct m2m_store_policy *rec);

/* ---- Enrolees with a pre-provisioned key Kpm (TS-0003 8.3.1; psk_identity = KpmID) ---- */
struct m2m_store_psk_enrolee {
    char kpm_id[M2M_STORE_ID_MAX]; /* unique; the AAD of the sealed Kpm */
    char enrolee_id[M2M_STORE_ID_MAX];
    int64_t ke_lifetime;
    char *instructions;
    int64_t created;
};
typedef int (*m2m_store_psk_enrolee_cb)(const struct m2m_store_psk_enrolee *rec, void *arg);

M2M_API M2M_MUST_CHECK int m2m_store_psk_enrolee_add(struct m2m_store *s,
                                                     const struct m2m_store_psk_enrolee *rec,
                                                     const struct m2m_secret *kpm,
                                                     struct m2m_error *err);
/* kpm_out may be NULL when only the record is wanted (no KEK needed then). */
M2M_API M2M_MUST_CHECK int m2m_store_psk_enrolee_get(struct m2m_store *s, const char *kpm_id,
                                                     struct m2m_store_psk_enrolee *out,
                                                     struct m2m_secret **kpm_out,
                                                     struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_psk_enrolee_list(struct m2m_store *s,
                                                      m2m_store_psk_enrolee_cb cb, void *arg,
                                                      struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_psk_enrolee_remove(struct m2m_store *s, const char *kpm_id,
                                                        struct m2m_error *err);
M2M_API void m2m_store_psk_enrolee_clear(struct m2m_store_psk_enrolee *rec);

/* ---- Enrolment Targets (a MAF, or a CSE/AE as Enrolee B) and their authorisations ---- */
struct m2m_store_target {
    char target_id[M2M_STORE_ID_MAX]; /* unique; the AAD of the sealed PSK */
    int has_psk;
    int64_t created;
};
typedef int (*m2m_store_target_cb)(const struct m2m_store_target *rec, void *arg);

/* psk may be NULL: the target then authenticates only by certificate. rec->has_psk is
 * ignored on add. */
M2M_API M2M_MUST_CHECK int m2m_store_target_add(struct m2m_store *s,
                                                const struct m2m_store_target *rec,
                                                const struct m2m_secret *psk,
                                                struct m2m_error *err);
/* psk_out may be NULL; otherwise it is set to the PSK, or to NULL if the target has none. */
M2M_API M2M_MUST_CHECK int m2m_store_target_get(struct m2m_store *s, const char *target_id,
                                                struct m2m_store_target *out,
                                                struct m2m_secret **psk_out, struct m2m_error *err);
/* Replaces the target's PSK (NULL removes it). */
M2M_API M2M_MUST_CHECK int m2m_store_target_set_psk(struct m2m_store *s, const char *target_id,
                                                    const struct m2m_secret *psk,
                                                    struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_target_list(struct m2m_store *s, m2m_store_target_cb cb,
                                                 void *arg, struct m2m_error *err);
/* Removes the target and all its authorisations. */
M2M_API M2M_MUST_CHECK int m2m_store_target_remove(struct m2m_store *s, const char *target_id,
                                                   struct m2m_error *err);

/* "The MEF must check that this target may fetch this SUID for this Enrolee" (TS-0003
 * 8.3.2.2): one row per (target, SUID, Enrolee-ID), Enrolee-ID "*" meaning any enrolee. */
#define M2M_STORE_ANY_ENROLEE "*"
struct m2m_store_auth {
    char target_id[M2M_STORE_ID_MAX];
    unsigned suid;
    char enrolee_id[M2M_STORE_ID_MAX];
};
typedef int (*m2m_store_auth_cb)(const struct m2m_store_auth *rec, void *arg);

/* The target must exist (NOT_FOUND otherwise); suid must be a defined SUID (M2M_E_SUID). */
M2M_API M2M_MUST_CHECK int m2m_store_auth_add(struct m2m_store *s, const char *target_id,
                                              unsigned suid, const char *enrolee_id,
                                              struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_auth_remove(struct m2m_store *s, const char *target_id,
                                                 unsigned suid, const char *enrolee_id,
                                                 struct m2m_error *err);
/* target_id NULL lists every target's authorisations. */
M2M_API M2M_MUST_CHECK int m2m_store_auth_list(struct m2m_store *s, const char *target_id,
                                               m2m_store_auth_cb cb, void *arg,
                                               struct m2m_error *err);
/* *allowed = 1 if target_id may fetch suid for enrolee_id (exactly, or through "*"), else 0;
 * an unknown target, and an enrolee_id of "*", are simply not allowed. Fails only if the
 * store fails. */
M2M_API M2M_MUST_CHECK int m2m_store_target_allowed(struct m2m_store *s, const char *target_id,
                                                    unsigned suid, const char *enrolee_id,
                                                    int *allowed, struct m2m_error *err);

/* ---- Enrolment keys Ke (TS-0003 8.3.1.2, 10.3.1) ---- */
struct m2m_store_key {
    char keid[M2M_STORE_KEYID_MAX]; /* unique; the AAD of the sealed Ke */
    char enrolee_id[M2M_STORE_ID_MAX];
    char framework[M2M_STORE_WORD_MAX]; /* "cert", "psk" or "gba" */
    int64_t created;
    int64_t expires;
    int revoked;
    int64_t revoked_at;
    /* GBA framework (3GPP TS 33.220): RAND and IMPI of the bootstrap, when known. */
    int has_gba_rand;
    unsigned char gba_rand[M2M_STORE_GBA_RAND_LEN];
    char gba_impi[M2M_STORE_ID_MAX]; /* "" when none */
};
typedef int (*m2m_store_key_cb)(const struct m2m_store_key *rec, void *arg);

/* Re-enrolment adds a new row; earlier keys of the enrolee stay valid until they expire or
 * are revoked. rec->revoked and rec->revoked_at are ignored. */
M2M_API M2M_MUST_CHECK int m2m_store_key_add(struct m2m_store *s, const struct m2m_store_key *rec,
                                             const struct m2m_secret *ke, struct m2m_error *err);
/* Distinct outcomes: NOT_FOUND; REVOKED (checked first); EXPIRED (now >= expires); success.
 * out (may be NULL) is filled whenever the row exists, also on REVOKED and EXPIRED, so the
 * caller can name the enrolee in its audit; *ke_out (may be NULL) only on success. */
M2M_API M2M_MUST_CHECK int m2m_store_key_get(struct m2m_store *s, const char *keid, int64_t now,
                                             struct m2m_store_key *out, struct m2m_secret **ke_out,
                                             struct m2m_error *err);
/* Oldest first; enrolee_id NULL lists every key. */
M2M_API M2M_MUST_CHECK int m2m_store_key_list(struct m2m_store *s, const char *enrolee_id,
                                              m2m_store_key_cb cb, void *arg,
                                              struct m2m_error *err);
/* Marks the key revoked at `now`; revoking a revoked key keeps the first time. */
M2M_API M2M_MUST_CHECK int m2m_store_key_revoke(struct m2m_store *s, const char *keid, int64_t now,
                                                struct m2m_error *err);
/* Deletes every key with expires <= now (with its acknowledgements); *count (may be NULL)
 * receives how many keys went. */
M2M_API M2M_MUST_CHECK int m2m_store_key_purge(struct m2m_store *s, int64_t now, uint64_t *count,
                                               struct m2m_error *err);

/* ---- Acknowledgements of enrolment instructions (TS-0003 8.3.2.1) ---- */
struct m2m_store_ack {
    char keid[M2M_STORE_KEYID_MAX];
    char instruction[M2M_STORE_NAME_MAX]; /* "mafEnrolment", "remoteManagement", ... */
    int64_t acked;
};
typedef int (*m2m_store_ack_cb)(const struct m2m_store_ack *rec, void *arg);

/* The key must exist (NOT_FOUND); one acknowledgement per (keid, instruction) (EXISTS). */
M2M_API M2M_MUST_CHECK int m2m_store_ack_add(struct m2m_store *s, const struct m2m_store_ack *rec,
                                             struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_ack_list(struct m2m_store *s, const char *keid,
                                              m2m_store_ack_cb cb, void *arg,
                                              struct m2m_error *err);

/* ---- The MAF's cache of Km (TS-0003 8.3.1.2 steps 2-4) ---- */
/* One row per id the enrolee may present, KeID and KmID, both holding the same Km. */
struct m2m_store_maf_key {
    char key_id[M2M_STORE_KEYID_MAX]; /* this row's id (equal to keid or kmid); the AAD */
    char keid[M2M_STORE_KEYID_MAX];
    char kmid[M2M_STORE_KEYID_MAX];
    char enrolee_id[M2M_STORE_ID_MAX];
    int64_t created;
    int64_t expires;
    int revoked;
    int64_t revoked_at;
};
typedef int (*m2m_store_maf_key_cb)(const struct m2m_store_maf_key *rec, void *arg);

/* Caches km under both keid and kmid (rec->key_id, revoked, revoked_at are ignored),
 * replacing any earlier entry under either id, so a fresh fetch supersedes a stale one;
 * check m2m_store_maf_get's outcome first if a revoked entry must stay refused. */
M2M_API M2M_MUST_CHECK int m2m_store_maf_put(struct m2m_store *s,
                                             const struct m2m_store_maf_key *rec,
                                             const struct m2m_secret *km, struct m2m_error *err);
/* key_id is a KeID or a KmID; outcomes and out as m2m_store_key_get. */
M2M_API M2M_MUST_CHECK int m2m_store_maf_get(struct m2m_store *s, const char *key_id, int64_t now,
                                             struct m2m_store_maf_key *out,
                                             struct m2m_secret **km_out, struct m2m_error *err);
/* One record per row, so each cached key appears under its KeID and its KmID. */
M2M_API M2M_MUST_CHECK int m2m_store_maf_list(struct m2m_store *s, m2m_store_maf_key_cb cb,
                                              void *arg, struct m2m_error *err);
/* Revokes the cached key named by its KeID or its KmID: both rows. */
M2M_API M2M_MUST_CHECK int m2m_store_maf_revoke(struct m2m_store *s, const char *key_id,
                                                int64_t now, struct m2m_error *err);
/* Deletes cached keys with expires <= now; *count receives how many keys (not rows). */
M2M_API M2M_MUST_CHECK int m2m_store_maf_purge(struct m2m_store *s, int64_t now, uint64_t *count,
                                               struct m2m_error *err);

/* ---- Root credentials of the PKI-based bootstrap (SEC-2013-0050; SPEC.md section 6) ---- */
struct m2m_store_rootcred {
    char cred_id[M2M_STORE_ID_MAX]; /* unique; the AAD of the sealed credential */
    char enrolee_id[M2M_STORE_ID_MAX];
    int64_t created;
    int64_t expires;
};
typedef int (*m2m_store_rootcred_cb)(const struct m2m_store_rootcred *rec, void *arg);

M2M_API M2M_MUST_CHECK int m2m_store_rootcred_add(struct m2m_store *s,
                                                  const struct m2m_store_rootcred *rec,
                                                  const struct m2m_secret *cred,
                                                  struct m2m_error *err);
/* NOT_FOUND, EXPIRED (out filled) or success (out and *cred_out filled). */
M2M_API M2M_MUST_CHECK int m2m_store_rootcred_get(struct m2m_store *s, const char *cred_id,
                                                  int64_t now, struct m2m_store_rootcred *out,
                                                  struct m2m_secret **cred_out,
                                                  struct m2m_error *err);
/* enrolee_id NULL lists all. */
M2M_API M2M_MUST_CHECK int m2m_store_rootcred_list(struct m2m_store *s, const char *enrolee_id,
                                                   m2m_store_rootcred_cb cb, void *arg,
                                                   struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_rootcred_remove(struct m2m_store *s, const char *cred_id,
                                                     struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_rootcred_purge(struct m2m_store *s, int64_t now,
                                                    uint64_t *count, struct m2m_error *err);

/* ---- GBA: the BSF's subscriber data, standing in for the HSS (3GPP TS 33.220 4.3, 4.4.1;
 * TS 33.102 6.3; SPEC.md section 8) ----
 * One row per IMPI: the USIM's long-term key K and OPc (Milenage, TS 35.206), sealed together
 * (K || OPc) with the IMPI as AAD; the home environment's sequence number SQN (48 bits: the
 * SQN of the last challenge issued); the AMF put in every AUTN; the Enrolee-ID the Ke of a
 * bootstrap is bound to; the lifetime of that Ke; and the GBA user security settings
 * (TS 33.220 4.2.1, 4.4.6), here the NAF FQDNs allowed to receive Ks_NAF (none: no NAF). */
#define M2M_STORE_GBA_MAX_NAF 16
#define M2M_STORE_FQDN_MAX    254 /* an FQDN with the NUL */
#define M2M_STORE_GBA_KEY_LEN 16  /* K and OPc */
#define M2M_STORE_SQN_MAX     0xffffffffffffULL

struct m2m_store_gba_subscriber {
    char impi[M2M_STORE_ID_MAX]; /* unique; the AAD of the sealed K || OPc */
    uint64_t sqn;                /* 0 .. M2M_STORE_SQN_MAX */
    unsigned char amf[2];
    char enrolee_id[M2M_STORE_ID_MAX];
    int64_t ke_lifetime; /* seconds, > 0 */
    size_t n_naf;
    char naf[M2M_STORE_GBA_MAX_NAF][M2M_STORE_FQDN_MAX]; /* lowercase FQDNs, no spaces */
    int64_t created;
};
typedef int (*m2m_store_gba_subscriber_cb)(const struct m2m_store_gba_subscriber *rec, void *arg);

/* k and opc: M2M_STORE_GBA_KEY_LEN bytes each. EXISTS for an IMPI already registered. */
M2M_API M2M_MUST_CHECK int m2m_store_gba_subscriber_add(struct m2m_store *s,
                                                        const struct m2m_store_gba_subscriber *rec,
                                                        const struct m2m_secret *k,
                                                        const struct m2m_secret *opc,
                                                        struct m2m_error *err);
/* k_out and opc_out are both NULL (the record only; no KEK needed) or both set. */
M2M_API M2M_MUST_CHECK int m2m_store_gba_subscriber_get(struct m2m_store *s, const char *impi,
                                                        struct m2m_store_gba_subscriber *out,
                                                        struct m2m_secret **k_out,
                                                        struct m2m_secret **opc_out,
                                                        struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_store_gba_subscriber_list(struct m2m_store *s,
                                                         m2m_store_gba_subscriber_cb cb, void *arg,
                                                         struct m2m_error *err);
/* Removes the subscriber and its pending challenges; its Ke rows stay until they expire. */
M2M_API M2M_MUST_CHECK int m2m_store_gba_subscriber_remove(struct m2m_store *s, const char *impi,
                                                           struct m2m_error *err);
/* 1 when the user security settings of rec list naf_fqdn (exact, lowercase), else 0. */
M2M_API int m2m_store_gba_naf_allowed(const struct m2m_store_gba_subscriber *rec,
                                      const char *naf_fqdn);
/* Moves the HE's SQN from expect to next (compare-and-set), so that no SQN is ever issued
 * twice even when several processes answer one subscriber: NOT_FOUND for an unknown IMPI,
 * M2M_E_STORE when the SQN is no longer expect (another request moved it; retry). */
M2M_API M2M_MUST_CHECK int m2m_store_gba_sqn_set(struct m2m_store *s, const char *impi,
                                                 uint64_t expect, uint64_t next,
                                                 struct m2m_error *err);

/* ---- GBA: pending Digest AKA challenges (RFC 3310; 3GPP TS 24.109 5.2, TS 33.220 4.5.2) ----
 * Kept in the store so that any worker process can answer the second request. The
 * authentication vector (XRES || CK || IK) is sealed with the nonce as AAD. A challenge is
 * answered once: marking it used is a compare-and-set, so a replay is refused. */
#define M2M_STORE_GBA_NONCE_MAX  64 /* base64(RAND || AUTN) is 44 characters; with the NUL */
#define M2M_STORE_GBA_OPAQUE_MAX 64

struct m2m_store_gba_challenge {
    char nonce[M2M_STORE_GBA_NONCE_MAX]; /* unique */
    char opaque[M2M_STORE_GBA_OPAQUE_MAX];
    char impi[M2M_STORE_ID_MAX]; /* the subscriber must exist (NOT_FOUND) */
    unsigned char rand[M2M_STORE_GBA_RAND_LEN];
    uint64_t sqn; /* the SQN its AUTN carries */
    int64_t created;
    int64_t expires;
    int used;
};

M2M_API M2M_MUST_CHECK int m2m_store_gba_challenge_add(struct m2m_store *s,
                                                       const struct m2m_store_gba_challenge *rec,
                                                       const struct m2m_secret *vector,
                                                       struct m2m_error *err);
/* NOT_FOUND; REVOKED when already answered (checked first); EXPIRED (now >= expires);
 * success. out (may be NULL) is filled whenever the row exists; *vector_out (may be NULL)
 * only on success. */
M2M_API M2M_MUST_CHECK int m2m_store_gba_challenge_get(struct m2m_store *s, const char *nonce,
                                                       int64_t now,
                                                       struct m2m_store_gba_challenge *out,
                                                       struct m2m_secret **vector_out,
                                                       struct m2m_error *err);
/* Marks the challenge answered: NOT_FOUND, or REVOKED when it already was. */
M2M_API M2M_MUST_CHECK int m2m_store_gba_challenge_use(struct m2m_store *s, const char *nonce,
                                                       struct m2m_error *err);
/* Deletes challenges with expires <= now; *count (may be NULL) receives how many. */
M2M_API M2M_MUST_CHECK int m2m_store_gba_challenge_purge(struct m2m_store *s, int64_t now,
                                                         uint64_t *count, struct m2m_error *err);

/* ---- Audit log of issuances and refusals; never key material ---- */
struct m2m_store_audit {
    int64_t seq; /* assigned by the store, increasing */
    int64_t time;
    char event[M2M_STORE_NAME_MAX];    /* "fetchCredentials", "enrolment", ... */
    char keid[M2M_STORE_KEYID_MAX];    /* "" when none */
    char target[M2M_STORE_ID_MAX];     /* "" when none */
    unsigned suid;                     /* 0 when none */
    char outcome[M2M_STORE_WORD_MAX];  /* "issued" or "refused" */
    char reason[M2M_STORE_REASON_MAX]; /* "" when none */
};
typedef int (*m2m_store_audit_cb)(const struct m2m_store_audit *rec, void *arg);

/* rec->seq is ignored; time 0 means now. */
M2M_API M2M_MUST_CHECK int m2m_store_audit_append(struct m2m_store *s,
                                                  const struct m2m_store_audit *rec,
                                                  struct m2m_error *err);
/* Most recent first, at most limit entries (0: all). */
M2M_API M2M_MUST_CHECK int m2m_store_audit_list(struct m2m_store *s, unsigned limit,
                                                m2m_store_audit_cb cb, void *arg,
                                                struct m2m_error *err);

#endif
