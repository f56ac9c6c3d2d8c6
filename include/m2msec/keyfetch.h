/* Fetch-on-unknown-KeID for an Enrolment Target: a MAF (SUID 21, Km) or an Enrolee B
 * (SUID 22, Kpsa) that meets a KeID it has never seen as a TLS-PSK identity
 * (TS-0003 V3 8.3.1.2 steps 2-4; SPEC.md section 3 "The MAF fetch").
 *
 * m2m_keyfetch_lookup answers a PSK identity (a KeID, or the second id the key is cached
 * under, e.g. a KmID) with:
 *   - the cached key, when the store holds it and it is neither expired nor revoked;
 *   - a refusal, when the cached key is expired or revoked (never refetched: a revoked key
 *     stays refused until an operator purges it);
 *   - otherwise, for a KeID whose FQDN names a configured MEF, the key fetched from that MEF
 *     (RETRIEVE /fetchCredentials/{KeID}/{SUID}, originator = own id), cached sealed under
 *     the KeID and the second id with the Enrolee-ID and lifetime the MEF returned.
 * Concurrent lookups of one KeID make one fetch (single flight): the others wait for its
 * outcome, bounded by the fetch timeout, and share it, success or refusal. The single
 * flight is per struct m2m_keyfetch, that is per process; it is safe to call the lookup
 * from several threads at once, each with its own store connection.
 *
 * Every refusal is M2M_E_TLS_PSK_UNKNOWN with the reason in the message, so it can be the
 * body of a m2m_psk_lookup_fn and the handshake fails with unknown_psk_identity. */
#ifndef M2MSEC_KEYFETCH_H
#define M2MSEC_KEYFETCH_H

#include <stdint.h>

#include <m2msec/common.h>
#include <m2msec/crypto.h>
#include <m2msec/error.h>
#include <m2msec/proto.h>
#include <m2msec/secret.h>
#include <m2msec/store.h>
#include <m2msec/tls.h>

#define M2M_KEYFETCH_MAX_MEFS           16
#define M2M_KEYFETCH_DEFAULT_TIMEOUT_MS 5000

/* One fetch from one MEF: fills out (credential, Enrolee-ID, lifetime) and returns 0, or -1
 * with err saying why (the MEF refused, could not be reached, answered nonsense). Runs on
 * the thread of the lookup that leads the flight; must return within timeout_ms. */
/* ua: for a B-TID, the Ua security protocol id (10 hex digits, TS 33.220 Annex H) the
 * GBA key is bound to; NULL for every other KeID. */
typedef int (*m2m_keyfetch_fn)(void *arg, const char *mef_fqdn, const char *mef_url,
                               const char *keid, unsigned suid, const char *ua, const char *origin,
                               int timeout_ms, struct m2m_fetch_response *out,
                               struct m2m_error *err);

struct m2m_keyfetch_config {
    /* The originator of every fetch: this target's id as the MEF knows it (a MAF's FQDN,
     * a CSE's id). Its certificate in tls must prove it. */
    char own_id[M2M_STORE_ID_MAX];
    /* The FQDN of the second id the key is cached under: m2m_derive_kmid(key, this), i.e.
     * the KmID for a MAF (its FQDN, DESIGN.md section 3). */
    char key_id_fqdn[M2M_FQDN_MAX + 1];
    unsigned suid; /* 21 for a MAF, 22 for an Enrolee B */
    /* Own FQDN credential and the anchors that verify each MEF's FQDN certificate (and its
     * CRLs); a reference is taken. Used by the HTTPS fetcher only; may be NULL with a
     * fetch function of one's own. */
    struct m2m_tls_config *tls;
    int fetch_timeout_ms; /* bound on one fetch and on waiting for another's; 0: default */
};

struct m2m_keyfetch;

/* What the lookup found or fetched; never key material. */
struct m2m_keyfetch_info {
    char keid[M2M_STORE_KEYID_MAX];
    char kmid[M2M_STORE_KEYID_MAX]; /* the second id (KmID) */
    char enrolee_id[M2M_STORE_ID_MAX];
    int64_t expires;
    int fetched; /* 1 when this call's lookup led a fetch from the MEF */
    int waited;  /* 1 when it shared the outcome of a fetch another lookup led */
    char mef_fqdn[M2M_FQDN_MAX + 1]; /* the MEF asked, when one was */
};

/* The MEF fetch over HTTPS with mutual TLS (libcurl, one session per fetch): cfg->tls must
 * hold own credential and the MEF anchors. */
M2M_API struct m2m_keyfetch *m2m_keyfetch_new(const struct m2m_keyfetch_config *cfg,
                                              struct m2m_error *err);
/* As m2m_keyfetch_new with a fetch function of one's own (another transport, tests).
 * fetch_arg NULL: each fetch gets the key fetch's current TLS configuration as its arg. */
M2M_API struct m2m_keyfetch *m2m_keyfetch_new_with(const struct m2m_keyfetch_config *cfg,
                                                   m2m_keyfetch_fn fetch, void *fetch_arg,
                                                   struct m2m_error *err);
/* Waits for no flight: call it once no lookup runs any more. NULL is a no-op. */
M2M_API void m2m_keyfetch_free(struct m2m_keyfetch *kf);

/* The MEF that issues KeIDs ending in @fqdn, reached at url ("https://host:port"). Call
 * before the first lookup; at most M2M_KEYFETCH_MAX_MEFS. */
M2M_API M2M_MUST_CHECK int m2m_keyfetch_add_mef(struct m2m_keyfetch *kf, const char *fqdn,
                                                const char *url, struct m2m_error *err);

/* The key for a PSK identity, with store (the calling thread's own connection, opened with
 * the KEK). On success *key is a new secret the caller frees and info (may be NULL) is
 * filled; on failure err is M2M_E_TLS_PSK_UNKNOWN with the reason, and info still names
 * what is known (the cached record, the MEF asked). */
M2M_API M2M_MUST_CHECK int m2m_keyfetch_lookup(struct m2m_keyfetch *kf, struct m2m_store *store,
                                               const char *identity, struct m2m_secret **key,
                                               struct m2m_keyfetch_info *info,
                                               struct m2m_error *err);
/* As m2m_keyfetch_lookup, told the TLS-PSK suite of the handshake (m2m_psk_lookup_suite_fn).
 * Needed for a GBA identity: a B-TID (KeID = KmID = B-TID, SPEC.md section 8) names Ks, and
 * the key of a TLS-PSK session is Ks_NAF, bound to the NAF's FQDN and to the suite through
 * the Ua security protocol id 01 00 01 || suite (TS 33.220 Annex H). Such a key is cached
 * under "<B-TID>#ua=<10 hex digits>" beside a row under the B-TID itself (what an operator
 * revokes); m2m_keyfetch_lookup refuses B-TIDs. */
M2M_API M2M_MUST_CHECK int m2m_keyfetch_lookup_suite(struct m2m_keyfetch *kf,
                                                     struct m2m_store *store, const char *identity,
                                                     uint16_t suite, struct m2m_secret **key,
                                                     struct m2m_keyfetch_info *info,
                                                     struct m2m_error *err);

/* Replaces the TLS configuration for the fetches that start from now on (SIGHUP: reloaded
 * anchors and CRLs); a fetch in flight keeps the one it started with. Takes a reference. */
M2M_API void m2m_keyfetch_set_tls(struct m2m_keyfetch *kf, struct m2m_tls_config *tls);

/* Fetches made so far (successful or not), for tests and statistics. */
M2M_API unsigned long m2m_keyfetch_fetch_count(struct m2m_keyfetch *kf);

/* The HTTPS fetcher m2m_keyfetch_new uses, arg being the struct m2m_tls_config * of the
 * target (exported so that a transport may wrap it, e.g. to log). */
M2M_API int m2m_keyfetch_https(void *arg, const char *mef_fqdn, const char *mef_url,
                               const char *keid, unsigned suid, const char *ua, const char *origin,
                               int timeout_ms, struct m2m_fetch_response *out,
                               struct m2m_error *err);

#endif
