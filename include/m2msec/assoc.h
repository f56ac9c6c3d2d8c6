/* Security associations between two entities, Entity A and Entity B (TS-0003 V3 8.2.2.2,
 * SPEC.md section 2): TLS 1.2 or DTLS 1.2 with certificates on both sides, or with a
 * provisioned key (Kpsa/KpsaID, Km/KmID). Each entity has a configuration object holding its
 * own credential (or PSK store), its own id, and the expectations for every peer it may
 * associate with. Entity A connects to one peer; Entity B listens for many. Either way the
 * application gets a connection bound to the peer id the handshake proved: the configured id
 * of the peer whose certificate name and root of trust (or PSK identity) verified, never an
 * identity the peer merely claimed. */
#ifndef M2MSEC_ASSOC_H
#define M2MSEC_ASSOC_H

#include <sys/types.h>

#include <m2msec/common.h>
#include <m2msec/error.h>
#include <m2msec/pki.h>
#include <m2msec/secret.h>
#include <m2msec/tls.h>

/* ---- PSK store: identity -> key (and, optionally, the peer the key is shared with) ----
 * Loaded from the JSON credential store enrolment writes (credentials.json, see
 * docs/association.md), which must not be readable or writable by group or others. A
 * "peer" that is a CSE-ID or AE-ID binds the key to that entity; an entry past its
 * "expires" is refused (M2M_E_STORE_EXPIRED). */
struct m2m_psk_store;

M2M_API struct m2m_psk_store *m2m_psk_store_new(struct m2m_error *err);
/* Refuses a file with any group/other permission bit (M2M_E_FILE_MODE). */
M2M_API struct m2m_psk_store *m2m_psk_store_load(const char *path, struct m2m_error *err);
M2M_API void m2m_psk_store_free(struct m2m_psk_store *s);
/* Adds a key (copied) for identity (KpsaID or KmID); peer_id may be NULL. */
M2M_API M2M_MUST_CHECK int m2m_psk_store_add(struct m2m_psk_store *s, const char *identity,
                                             const struct m2m_secret *key, const char *peer_id,
                                             struct m2m_error *err);
/* A copy of the key for identity (the caller frees it); M2M_E_TLS_PSK_UNKNOWN if absent,
 * M2M_E_STORE_EXPIRED if expired.
 * peer_id, when not NULL, receives the entry's peer id or NULL (valid while s lives). */
M2M_API M2M_MUST_CHECK int m2m_psk_store_get(const struct m2m_psk_store *s, const char *identity,
                                             struct m2m_secret **key, const char **peer_id,
                                             struct m2m_error *err);

/* ---- Peer expectations ---- */
/* One peer an entity may associate with. Certificate peers (TS-0003 V3 8.2.2.2): A is told
 * IdB, CertNameB, RootOfTrustB; B is told IdA, CertNameA, RootOfTrustA. PSK peers: the id
 * and the PSK identity (KpsaID or KmID) whose key the PSK store holds.
 *
 * id           CSE-ID or AE-ID, absolute or SP-relative (completed with the config's SP-ID)
 * credential_id  optional "<type>-<value>" Credential-ID (TS-0003 10.4): 31 device
 *              certificate, 34 Node-ID certificate, 32 CSE-ID, 33 AE-ID certificate, 10/11/12
 *              PSK identities. It maps that credential to `id` and sets flavour and
 *              cert_name (or psk_identity) from its value. 30 (raw public key) is refused:
 *              the TLS layer has no RFC 7250 support.
 * flavour      certificate flavour; M2M_FLAVOUR_NONE for a PSK peer
 * cert_name    the name the certificate must carry; NULL derives it from id for CSE-ID
 *              (the CSE's public domain name) and AE-ID (the onem2m:// URI) flavours
 * in_cse_id    for a CSE-ID peer that is an MN- or ASN-CSE: the IN-CSE-ID its public domain
 *              name is built under (TS-0001 6.5.1.1); NULL: the peer is an IN-CSE
 * root         RootOfTrust with its CRLs (a reference is taken); required for certificates
 * psk_identity KpsaID or KmID of a PSK peer; Entity A presents it, with the key the PSK
 *              store holds for it
 * server_name  Entity A only: the SNI to send instead of the derived one
 *
 * The SNI Entity A sends (TS-0003 V3 10.2, always sent) is derived from the peer id, which
 * "also routes the exchange": the CSE's public domain name for a CSE-ID peer (that is also
 * its CSE-ID certificate name), the certificate name for an FQDN peer, and the SP domain for
 * an AE-ID peer. */
struct m2m_assoc_peer {
    const char *id;
    const char *credential_id;
    enum m2m_flavour flavour;
    const char *cert_name;
    const char *in_cse_id;
    struct m2m_trust *root;
    const char *psk_identity;
    const char *server_name;
};

/* ---- Entity configuration ---- */
struct m2m_assoc_config;

#define M2M_ASSOC_DEFAULT_HANDSHAKE_MS 10000
#define M2M_ASSOC_DEFAULT_READ_MS      30000

M2M_API struct m2m_assoc_config *m2m_assoc_config_new(struct m2m_error *err);
M2M_API void m2m_assoc_config_free(struct m2m_assoc_config *cfg);
/* SP-ID ("//sp.example.com") that completes SP-relative ids; optional. */
M2M_API M2M_MUST_CHECK int m2m_assoc_config_set_sp_id(struct m2m_assoc_config *cfg,
                                                      const char *sp_id, struct m2m_error *err);
/* Own id (CSE-ID or AE-ID). */
M2M_API M2M_MUST_CHECK int m2m_assoc_config_set_id(struct m2m_assoc_config *cfg, const char *id,
                                                   struct m2m_error *err);
M2M_API const char *m2m_assoc_config_id(const struct m2m_assoc_config *cfg);
/* Own certificate credential (takes a reference). */
M2M_API void m2m_assoc_config_set_credential(struct m2m_assoc_config *cfg,
                                             struct m2m_credential *cred);
/* PSK store (ownership passes to the config). */
M2M_API void m2m_assoc_config_set_psk_store(struct m2m_assoc_config *cfg,
                                            struct m2m_psk_store *store);
/* Entity B: fetch-on-unknown-KeID (TS-0003 V3 8.3.1.2 steps 2-4 applied to an Enrolee B,
 * SUID 22). A PSK identity that is no configured peer's is looked up through kf (the same
 * component a MAF uses: its cache, then the MEF the KeID names, one fetch per KeID), and
 * the association is bound to the Enrolee-ID the MEF returned (or the cache holds). Each
 * lookup runs on a worker thread with its own connection to the store at store_url (kek
 * is copied), while the handshake's ASYNC_JOB is paused, so the listener's loop serves
 * other peers meanwhile (DESIGN.md section 6). kf's fetch timeout should stay below the
 * handshake timeout. On success ownership of kf passes to the config, which waits for
 * running lookups when it is freed. */
struct m2m_keyfetch;
M2M_API M2M_MUST_CHECK int m2m_assoc_config_set_keyfetch(struct m2m_assoc_config *cfg,
                                                         struct m2m_keyfetch *kf,
                                                         const char *store_url,
                                                         const struct m2m_secret *kek,
                                                         struct m2m_error *err);
/* Adds an allowed (B) or known (A) peer; the entry is validated and copied. Two entries
 * with the same certificate flavour and name, or the same PSK identity, are refused. */
M2M_API M2M_MUST_CHECK int m2m_assoc_config_add_peer(struct m2m_assoc_config *cfg,
                                                     const struct m2m_assoc_peer *peer,
                                                     struct m2m_error *err);
/* Loads peers from a JSON file (format in docs/association.md); relative paths in it are
 * relative to the file's directory. */
M2M_API M2M_MUST_CHECK int m2m_assoc_config_load_peers(struct m2m_assoc_config *cfg,
                                                       const char *path, struct m2m_error *err);
M2M_API size_t m2m_assoc_config_peer_count(const struct m2m_assoc_config *cfg);
/* Bound on each handshake, and default bound on each read and write (milliseconds). */
M2M_API void m2m_assoc_config_set_timeouts(struct m2m_assoc_config *cfg, int handshake_ms,
                                           int io_ms);

/* ---- A bound connection ---- */
struct m2m_assoc_conn;

/* The configured id of the peer the handshake proved (canonical, absolute form). */
M2M_API const char *m2m_assoc_conn_peer_id(const struct m2m_assoc_conn *c);
/* Certificate flavour that proved it, or M2M_FLAVOUR_NONE for a PSK association. */
M2M_API enum m2m_flavour m2m_assoc_conn_flavour(const struct m2m_assoc_conn *c);
/* What proved it: the certificate name, or the PSK identity. */
M2M_API const char *m2m_assoc_conn_proof(const struct m2m_assoc_conn *c);
/* "host:port" of the peer. */
M2M_API const char *m2m_assoc_conn_address(const struct m2m_assoc_conn *c);
M2M_API SSL *m2m_assoc_conn_ssl(struct m2m_assoc_conn *c);
/* The socket (non-blocking), for the application's own event loop. */
M2M_API int m2m_assoc_conn_fd(const struct m2m_assoc_conn *c);
/* Reads up to len bytes within timeout_ms (-1: the config's io timeout, 0: only what is
 * already available, M2M_E_TLS_WANT_IO when nothing is). Returns the count, 0 when the peer
 * closed the association, -1 with err set (M2M_E_TIMEOUT when the time ran out). */
M2M_API ssize_t m2m_assoc_conn_read(struct m2m_assoc_conn *c, void *buf, size_t len, int timeout_ms,
                                    struct m2m_error *err);
/* Writes all len bytes within timeout_ms (-1: the config's io timeout). */
M2M_API M2M_MUST_CHECK int m2m_assoc_conn_write(struct m2m_assoc_conn *c, const void *buf,
                                                size_t len, int timeout_ms, struct m2m_error *err);
/* Sends close_notify (best effort, never blocks), closes the socket and frees. */
M2M_API void m2m_assoc_conn_free(struct m2m_assoc_conn *c);

/* ---- Entity A ---- */
/* Connects to host:port over TLS or DTLS and associates with the configured peer peer_id
 * (which names the expectations and the SNI). On failure err names the failed check
 * (M2M_E_CERT_NAME for a wrong CertNameB, M2M_E_CERT_UNTRUSTED, M2M_E_CERT_REVOKED, ...). */
M2M_API M2M_MUST_CHECK int m2m_assoc_connect(struct m2m_assoc_config *cfg,
                                             enum m2m_transport transport, const char *host,
                                             const char *port, const char *peer_id,
                                             struct m2m_assoc_conn **out, struct m2m_error *err);

/* ---- Entity B ---- */
struct event_base;
struct m2m_assoc_listener;

/* A finished association; the application owns conn from here on. */
typedef void (*m2m_assoc_accept_fn)(void *arg, struct m2m_assoc_conn *conn);
/* A refused or failed handshake from address; why names the check. */
typedef void (*m2m_assoc_reject_fn)(void *arg, const char *address, const struct m2m_error *why);

/* Listens on host:port (port "0" picks one) on the caller's libevent base. Every handshake
 * runs on that loop, non-blocking and under the config's handshake timeout, so a slow or
 * silent peer never delays another. The config must outlive the listener. */
M2M_API struct m2m_assoc_listener *m2m_assoc_listen(struct m2m_assoc_config *cfg,
                                                    struct event_base *base,
                                                    enum m2m_transport transport, const char *host,
                                                    const char *port, m2m_assoc_accept_fn on_accept,
                                                    m2m_assoc_reject_fn on_reject, void *arg,
                                                    struct m2m_error *err);
M2M_API int m2m_assoc_listener_port(const struct m2m_assoc_listener *l);
/* Handshakes in progress. */
M2M_API size_t m2m_assoc_listener_pending(const struct m2m_assoc_listener *l);
/* Stops the listener's loop (event_base_loopbreak) from any thread. */
M2M_API void m2m_assoc_listener_stop(struct m2m_assoc_listener *l);
/* Closes the socket and abandons handshakes in progress. */
M2M_API void m2m_assoc_listener_free(struct m2m_assoc_listener *l);

#endif
