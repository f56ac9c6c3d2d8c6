/* TLS 1.2 and DTLS 1.2 contexts with the TS-0003 suites (V3 10.2; SPEC.md section 5),
 * peer verification wired to the pki layer, PSK callbacks, and the RFC 5705 export. */
#ifndef M2MSEC_TLS_H
#define M2MSEC_TLS_H

#include <stdint.h>

#include <openssl/ssl.h>

#include <m2msec/common.h>
#include <m2msec/error.h>
#include <m2msec/pki.h>
#include <m2msec/secret.h>

enum m2m_transport { M2M_TRANSPORT_TLS = 0, M2M_TRANSPORT_DTLS };
enum m2m_tls_role { M2M_TLS_CLIENT = 0, M2M_TLS_SERVER };

/* TS-0003 exporter labels (V3 10.3) and the m2msec PKI-bootstrap label (DESIGN.md 3). */
#define M2M_EXPORTER_BOOTSTRAP  "EXPORTER-oneM2M-Bootstrap"
#define M2M_EXPORTER_CONNECTION "EXPORTER-oneM2M-Connection"
#define M2M_EXPORTER_ROOT_WRAP  "EXPORTER-m2msec-root-credential-wrap"

/* Server-side PSK lookup: given the identity the client sent, return its key in *key
 * (a new secret the library frees) and 0; -1 with err set when the identity is unknown
 * or not allowed. Called inside the handshake. */
typedef int (*m2m_psk_lookup_fn)(void *arg, const char *identity, struct m2m_secret **key,
                                 struct m2m_error *err);
/* The same, also told the cipher suite the handshake uses (its 2-byte IANA code). TLS 1.2
 * fixes the suite in ServerHello, before the client names its identity, and GBA keys depend
 * on it: Ks_NAF binds the Ua security protocol id, TS 33.220 Annex H, whose last two bytes
 * are the TLS-PSK suite. */
typedef int (*m2m_psk_lookup_suite_fn)(void *arg, const char *identity, uint16_t suite,
                                       struct m2m_secret **key, struct m2m_error *err);

/* ---- Configuration (shareable; reference counted) ---- */
struct m2m_tls_config;

M2M_API struct m2m_tls_config *m2m_tls_config_new(struct m2m_error *err);
M2M_API void m2m_tls_config_free(struct m2m_tls_config *cfg);
M2M_API void m2m_tls_config_up_ref(struct m2m_tls_config *cfg);
/* Own certificate credential (certificate-based suites). Takes a reference. */
M2M_API void m2m_tls_config_set_credential(struct m2m_tls_config *cfg, struct m2m_credential *cred);
/* Anchors the peer's certificate must chain to. Takes a reference. */
M2M_API void m2m_tls_config_set_trust(struct m2m_tls_config *cfg, struct m2m_trust *trust);
/* Expected peer certificate flavour and identity. expected == NULL accepts any identity of
 * that flavour (the verified one is reported by m2m_tls_peer). A client that sets no peer
 * expects an FQDN certificate for the name it sends as SNI; a server that verifies client
 * certificates (a trust set is configured) must set the flavour. */
M2M_API M2M_MUST_CHECK int m2m_tls_config_set_peer(struct m2m_tls_config *cfg,
                                                   enum m2m_flavour flavour, const char *expected,
                                                   struct m2m_error *err);
/* Accepts one more kind of peer: a certificate of `flavour` chaining to `trust`, proving
 * `expected` (NULL: any identity of the flavour). Kinds are tried in order, the one set by
 * m2m_tls_config_set_trust/_set_peer first; the first that verifies wins, and
 * m2m_tls_peer reports its identity and the trust set's name. For servers that accept
 * several classes of clients (an MEF's enrolees and targets, an Entity B's peers). */
M2M_API M2M_MUST_CHECK int m2m_tls_config_add_peer(struct m2m_tls_config *cfg,
                                                   struct m2m_trust *trust,
                                                   enum m2m_flavour flavour, const char *expected,
                                                   struct m2m_error *err);
/* Server: require a client certificate (default on when a trust set is configured). */
M2M_API void m2m_tls_config_insecure_no_client_cert(struct m2m_tls_config *cfg);
/* Client PSK: identity and key (copied). Selects the PSK suites. */
M2M_API M2M_MUST_CHECK int m2m_tls_config_set_psk_client(struct m2m_tls_config *cfg,
                                                         const char *identity,
                                                         const struct m2m_secret *key,
                                                         struct m2m_error *err);
/* Server PSK: lookup callback. Selects the PSK suites. */
M2M_API void m2m_tls_config_set_psk_server(struct m2m_tls_config *cfg, m2m_psk_lookup_fn fn,
                                           void *arg);
/* Server PSK: a lookup that also learns the suite (replaces m2m_tls_config_set_psk_server). */
M2M_API void m2m_tls_config_set_psk_server_suite(struct m2m_tls_config *cfg,
                                                 m2m_psk_lookup_suite_fn fn, void *arg);
/* PSK handshakes of this configuration use only this suite: M2M_TLS_PSK_AES128_CBC_SHA256,
 * M2M_TLS_PSK_AES128_CCM8 or M2M_TLS_PSK_AES128_GCM_SHA256. A client whose key is bound to
 * one suite (a GBA Ks_NAF) offers no other. */
#define M2M_TLS_PSK_AES128_GCM_SHA256 0x00A8
#define M2M_TLS_PSK_AES128_CBC_SHA256 0x00AE
#define M2M_TLS_PSK_AES128_CCM8       0xC0A8
M2M_API M2M_MUST_CHECK int m2m_tls_config_set_psk_suite(struct m2m_tls_config *cfg, uint16_t suite,
                                                        struct m2m_error *err);
/* The OpenSSL name of one of the PSK suites above, NULL for any other code. */
M2M_API const char *m2m_tls_psk_suite_name(uint16_t suite);
/* Handshake timeout used by the blocking helpers (default 10 s). */
M2M_API void m2m_tls_config_set_timeout_ms(struct m2m_tls_config *cfg, int ms);

/* ---- Context: an SSL_CTX built from a config for one role and transport ---- */
struct m2m_tls_ctx;

M2M_API struct m2m_tls_ctx *m2m_tls_ctx_new(struct m2m_tls_config *cfg, enum m2m_tls_role role,
                                            enum m2m_transport transport, struct m2m_error *err);
M2M_API void m2m_tls_ctx_free(struct m2m_tls_ctx *ctx);
/* The underlying SSL_CTX, for libevent, libcurl or libcoap integration. */
M2M_API SSL_CTX *m2m_tls_ctx_ssl_ctx(struct m2m_tls_ctx *ctx);
/* A new SSL for one connection. Clients pass the server name, sent as SNI (always). */
M2M_API SSL *m2m_tls_ssl_new(struct m2m_tls_ctx *ctx, const char *server_name,
                             struct m2m_error *err);
/* Applies a config to an SSL_CTX created elsewhere (libcurl's CURLOPT_SSL_CTX_FUNCTION,
 * libcoap): versions, suites, credential, oneM2M verification, PSK and DTLS cookie
 * callbacks. The SSL_CTX keeps a reference to cfg. Clients must still send SNI. */
M2M_API M2M_MUST_CHECK int m2m_tls_setup_ssl_ctx(SSL_CTX *sctx, struct m2m_tls_config *cfg,
                                                 enum m2m_tls_role role,
                                                 enum m2m_transport transport,
                                                 struct m2m_error *err);
/* Server: the SNI host name the client sent, or NULL. */
M2M_API const char *m2m_tls_server_name(SSL *ssl);

/* ---- Per-connection results ---- */
/* The peer identity the handshake proved: certificate flavour and identity, or
 * flavour NONE with identity = the PSK identity. -1 before a finished handshake. */
M2M_API M2M_MUST_CHECK int m2m_tls_peer(SSL *ssl, struct m2m_verified *out);
/* 1 when the session was authenticated with a PSK. */
M2M_API int m2m_tls_is_psk(SSL *ssl);
/* Process-wide, once at start before other threads run: EC public keys in received
 * certificates are decoded by libcrypto's built-in EC method instead of OpenSSL 3.0's
 * provider decoder chain, which costs a server ~370 us per mutual-TLS handshake here
 * (lib/tls/fast_decode.c says why and how). Verification results are the same; m2msecd
 * turns it on unless [daemon] builtin_ec_keys = false. Calling it again is a no-op. */
M2M_API M2M_MUST_CHECK int m2m_tls_use_builtin_ec_keys(struct m2m_error *err);
/* 1 once m2m_tls_use_builtin_ec_keys has taken effect. */
M2M_API int m2m_tls_builtin_ec_keys_active(void);
/* The DTLS retransmission timer m2msec uses (lib/tls/dtls_timer.c): 1 s, doubling up to
 * 4 s. No-op for a TLS session. */
M2M_API void m2m_tls_set_dtls_timer(SSL *ssl);
/* The 2-byte code of the suite a handshake in progress (or done) uses; 0 before ServerHello. */
M2M_API uint16_t m2m_tls_pending_suite(const SSL *ssl);
/* The reason the handshake failed inside our verification or PSK lookup, if it did. */
M2M_API const struct m2m_error *m2m_tls_ssl_error(SSL *ssl);
/* RFC 5705 keying-material export without context (DESIGN.md section 3). */
M2M_API M2M_MUST_CHECK int m2m_tls_export(SSL *ssl, const char *label, unsigned char *out,
                                          size_t len, struct m2m_error *err);

/* ---- Blocking helpers on a connected socket (CLI, tests) ---- */
/* Runs the handshake on fd (TCP, or a connected UDP socket for DTLS) within the config's
 * timeout. On failure err says why (verification errors keep their M2M_E_CERT_* code).
 * With SSL_MODE_ASYNC, a PSK lookup may pause its ASYNC_JOB after registering wake-up fds
 * in the job's ASYNC_WAIT_CTX; the helper waits on them and resumes the handshake. */
M2M_API M2M_MUST_CHECK int m2m_tls_handshake_fd(SSL *ssl, int fd, struct m2m_error *err);

/* ---- SSLs made by another DTLS stack (libcoap) ----
 * Moves an SSL that the stack created from its own SSL_CTX onto ctx (made by
 * m2m_tls_ctx_new for the same role, M2M_TRANSPORT_DTLS): our oneM2M verification, suites,
 * groups, options and credential apply to its handshake from then on. Call it before the
 * handshake has chosen a suite (a server in its ClientHello callback, a client before its
 * first datagram is answered). A server SSL must come from a stack that has already
 * checked the ClientHello's cookie with DTLSv1_listen: the cookie is not verified again.
 * The stack's PSK callbacks stay on the SSL. */
M2M_API M2M_MUST_CHECK int m2m_tls_adopt_ssl(SSL *ssl, struct m2m_tls_ctx *ctx,
                                             struct m2m_error *err);
/* 1 when the suite the handshake chose is one ctx offers (for a client whose first
 * ClientHello left before m2m_tls_adopt_ssl). */
M2M_API int m2m_tls_suite_allowed(SSL *ssl, struct m2m_tls_ctx *ctx);

/* The client PSK a config holds (m2m_tls_config_set_psk_client), for a stack that runs its
 * own PSK callback (libcoap takes the identity and key when its session is created).
 * -1 when the config has none. The pointers live as long as cfg. */
M2M_API M2M_MUST_CHECK int m2m_tls_config_psk_client(const struct m2m_tls_config *cfg,
                                                     const char **identity,
                                                     const struct m2m_secret **key);

#endif
