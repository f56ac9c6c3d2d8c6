/* Internal structures of the tls layer, shared by its files only. */
#ifndef M2M_TLS_INTERNAL_H
#define M2M_TLS_INTERNAL_H

#include <stdatomic.h>

#include <openssl/ssl.h>

#include <m2msec/tls.h>

/* RFC 4279 section 5.3 lets identities reach 2^16 - 1 bytes; oneM2M identities (KpmID,
 * KeID, KmID) are short, and a bound keeps a hostile ClientKeyExchange from reaching the
 * lookup with megabytes of text. */
#define M2M_TLS_PSK_IDENTITY_MAX 128

#define M2M_TLS_DEFAULT_TIMEOUT_MS 10000

/* IPv6's minimum link MTU (RFC 8200 section 5): a DTLS flight fragmented to this size
 * crosses any path without relying on path-MTU discovery, which ICMP filtering and NAT
 * often break. */
#define M2M_DTLS_LINK_MTU 1280

#define M2M_TLS_COOKIE_SECRET_LEN 32

/* One kind of peer a config accepts besides its primary trust + peer setting. */
struct tls_peer_class {
    struct m2m_trust *trust;
    enum m2m_flavour flavour;
    char *expected; /* NULL: any identity of the flavour */
};

struct m2m_tls_config {
    atomic_int refs;
    struct tls_peer_class *peers;
    size_t n_peers;
    struct m2m_credential *cred;
    struct m2m_trust *trust;
    enum m2m_flavour peer_flavour;
    char *peer_expected;
    int no_client_cert;
    char *psk_identity;
    struct m2m_secret *psk_key;
    m2m_psk_lookup_fn psk_fn;
    m2m_psk_lookup_suite_fn psk_suite_fn;
    void *psk_arg;
    const char *psk_only_suite; /* OpenSSL name, or NULL for every PSK suite of the profile */
    int timeout_ms;
};

/* Attached to the SSL_CTX (ex_data) so that every SSL made from it, by us or by libcurl,
 * libevent or libcoap, finds its configuration; freed with the SSL_CTX. */
struct tls_ctx_state {
    struct m2m_tls_config *cfg;
    enum m2m_tls_role role;
    enum m2m_transport transport;
    unsigned char cookie_secret[M2M_TLS_COOKIE_SECRET_LEN];
};

/* Attached to each SSL (ex_data): what our callbacks learnt during its handshake. */
struct tls_ssl_state {
    struct m2m_error err; /* code M2M_OK unless our verification or PSK lookup failed */
    int peer_ok;
    struct m2m_verified peer;
};

struct m2m_tls_ctx {
    SSL_CTX *sctx;
};

/* Key exchange groups and signature algorithms of every context (ctx.c). */
extern const char m2m_tls_groups[];
extern const char m2m_tls_sigalgs[];

/* 1 when identity is 1..M2M_TLS_PSK_IDENTITY_MAX printable ASCII characters. */
int m2m_tls_psk_identity_ok(const char *identity);

/* ex_data slots (ex_data.c). */
int m2m_tls_ex_init(void);
struct tls_ctx_state *m2m_tls_ctx_state(const SSL_CTX *sctx);
int m2m_tls_ctx_state_attach(SSL_CTX *sctx, struct tls_ctx_state *st);
/* The SSL's state, created on first use; NULL only when memory runs out. */
struct tls_ssl_state *m2m_tls_ssl_state(SSL *ssl);
/* Records the first failure of our callbacks for m2m_tls_ssl_error(). */
void m2m_tls_record_error(SSL *ssl, const struct m2m_error *e);

/* Callback installers (verify.c, psk.c, cookie.c). */
void m2m_tls_install_verify(SSL_CTX *sctx, const struct tls_ctx_state *st);
void m2m_tls_install_psk(SSL_CTX *sctx, const struct tls_ctx_state *st);
M2M_MUST_CHECK int m2m_tls_install_cookie(SSL_CTX *sctx, struct tls_ctx_state *st,
                                          struct m2m_error *err);

#endif
