/* Internal structures of the assoc layer, shared by its files only. */
#ifndef M2M_ASSOC_INTERNAL_H
#define M2M_ASSOC_INTERNAL_H

#include <sys/socket.h>

#include <m2msec/assoc.h>
#include <m2msec/id.h>

#define ASSOC_ADDR_MAX 64

/* One peer entry after validation: every string owned, ids canonical. */
struct assoc_peer {
    char *id; /* canonical absolute CSE-ID or AE-ID */
    enum m2m_flavour flavour;
    char *cert_name; /* certificate peers */
    struct m2m_trust *root;
    char *psk_identity; /* PSK peers */
    char *server_name;  /* SNI Entity A sends */
};

struct m2m_assoc_config {
    char *sp_id;
    char *id;
    struct m2m_credential *cred;
    struct m2m_psk_store *psk;
    struct assoc_peer *peers;
    size_t n_peers;
    int handshake_ms;
    int io_ms;
    struct assoc_fetch *fetch; /* psk_fetch.c; NULL: PSK peers come from the PSK store only */
};

struct m2m_assoc_conn {
    SSL *ssl;
    int fd;
    int io_ms;
    char *peer_id;
    enum m2m_flavour flavour;
    char *proof;
    char address[ASSOC_ADDR_MAX];
};

/* peer.c: validates an m2m_assoc_peer into out (which the caller frees with
 * assoc_peer_clear). */
M2M_MUST_CHECK int assoc_peer_build(const struct m2m_assoc_config *cfg,
                                    const struct m2m_assoc_peer *in, struct assoc_peer *out,
                                    struct m2m_error *err);
void assoc_peer_clear(struct assoc_peer *p);
/* Canonical absolute form of a CSE-ID or AE-ID under the config's SP-ID. */
M2M_MUST_CHECK int assoc_canonical_id(const struct m2m_assoc_config *cfg, const char *id, char *out,
                                      size_t outsz, struct m2m_error *err);
/* The configured peer with that canonical id, or NULL. */
const struct assoc_peer *assoc_find_peer_id(const struct m2m_assoc_config *cfg, const char *id);
/* The configured PSK peer with that identity, or NULL. */
const struct assoc_peer *assoc_find_psk_peer(const struct m2m_assoc_config *cfg,
                                             const char *identity);

/* conn.c */
struct m2m_assoc_conn *assoc_conn_new(SSL *ssl, int fd, int io_ms, const char *peer_id,
                                      enum m2m_flavour flavour, const char *proof,
                                      const char *address, struct m2m_error *err);
/* "host:port" of a socket address. */
void assoc_format_addr(const struct sockaddr *sa, char *out, size_t outsz);
/* Monotonic milliseconds. */
long long assoc_now_ms(void);
M2M_MUST_CHECK int assoc_set_nonblock(int fd, struct m2m_error *err);
/* dtls_pack.c: puts the packing filter between ssl and dgram (whose reference it takes)
 * and makes the pair the SSL's rbio and wbio. */
M2M_MUST_CHECK int assoc_dtls_pack(SSL *ssl, BIO *dgram, struct m2m_error *err);
/* Sends what the packing filter holds (no-op for other BIOs). */
void assoc_dtls_flush(SSL *ssl);

/* server_auth.c: Entity B's verification of certificate peers against its allowed list and
 * its PSK lookup. assoc_server_ctx builds the server context of a config. */
struct m2m_tls_ctx *assoc_server_ctx(struct m2m_assoc_config *cfg, enum m2m_transport transport,
                                     struct m2m_error *err);
/* Per-handshake record the verify callback fills (SSL app data of server SSLs). */
struct assoc_hs_auth {
    struct m2m_assoc_config *cfg;
    const struct assoc_peer *peer; /* certificate peer that verified, NULL until then */
    struct m2m_error err;          /* why verification failed */
    /* A PSK identity whose key was fetched (or found in the fetch cache): the peer is the
     * Enrolee-ID that came with the key; its strings point into the two arrays below. */
    struct assoc_peer fetched;
    char fetched_id[M2M_ID_MAX + 1];
    char fetched_identity[M2M_KEYID_TEXT_MAX + 1];
};
/* psk_fetch.c: the lookup of a PSK identity that is no configured peer's, through the
 * config's key fetch; fills auth->fetched. Pauses the current ASYNC_JOB while a worker
 * thread looks the key up (blocking the caller only when called outside a job). */
M2M_MUST_CHECK int assoc_fetch_psk(struct assoc_hs_auth *auth, const char *identity, uint16_t suite,
                                   struct m2m_secret **key, struct m2m_error *err);
void assoc_fetch_free(struct assoc_fetch *f);
/* server_auth.c's lookup of a configured PSK peer's key. */
M2M_MUST_CHECK int assoc_psk_lookup(void *arg, const char *identity, struct m2m_secret **key,
                                    struct m2m_error *err);
/* After a finished handshake: the bound peer (certificate or PSK) or -1 with err. */
M2M_MUST_CHECK int assoc_server_bind(SSL *ssl, const struct assoc_hs_auth *auth,
                                     const struct assoc_peer **peer, struct m2m_error *err);

#endif
