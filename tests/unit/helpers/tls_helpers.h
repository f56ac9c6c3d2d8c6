/* Loopback handshakes between two library contexts (or a raw OpenSSL client), and an
 * in-memory PKI for the tls tests. */
#ifndef M2M_TEST_TLS_HELPERS_H
#define M2M_TEST_TLS_HELPERS_H

#include <m2msec/tls.h>

#define TLS_TEST_EXPORT_LEN 48

/* What one end of a test handshake saw. */
struct tls_end {
    int rc;                   /* m2m_tls_handshake_fd result (-1 also when setup failed) */
    struct m2m_error err;     /* its error */
    enum m2m_errcode cb_code; /* m2m_tls_ssl_error() code, M2M_OK if none */
    int export_rc;
    unsigned char exported[TLS_TEST_EXPORT_LEN];
    char cipher[64];
    int version;
    int peer_rc;
    struct m2m_verified peer;
    int is_psk;
    int app_data_ok; /* a byte crossed the channel after the handshake */
};

/* Connected loopback sockets: TCP on 127.0.0.1 or a connected UDP pair. 0 on success. */
int tls_socket_pair(enum m2m_transport t, int *client_fd, int *server_fd);

/* Runs one handshake: the server end of sctx in a thread, the client in the caller, over
 * loopback. The client is cctx (with SNI sni), or when cctx is NULL an SSL from raw.
 * Returns 0 when the run itself could be set up. */
int tls_pair_run(struct m2m_tls_ctx *cctx, SSL_CTX *raw, struct m2m_tls_ctx *sctx,
                 enum m2m_transport t, const char *sni, struct tls_end *client,
                 struct tls_end *server);

/* An in-memory PKI: a root CA, a server (FQDN mef.example.com), a client (CSE-ID
 * cse1.sp.example.com), and a second, untrusted CA with a server and a client of the same
 * names. trust holds only the first root. */
struct tls_pki {
    struct m2m_credential *ca;
    struct m2m_credential *server;
    struct m2m_credential *client;
    struct m2m_credential *rogue_ca;
    struct m2m_credential *rogue_server;
    struct m2m_credential *rogue_client;
    struct m2m_trust *trust;
};

#define TLS_TEST_SERVER_FQDN "mef.example.com"
#define TLS_TEST_CLIENT_CSE  "cse1.sp.example.com"

int tls_pki_make(struct tls_pki *p);
void tls_pki_free(struct tls_pki *p);

/* 1 when name is one of the TS-0003 suites the library offers for that kind. */
int tls_cipher_allowed(const char *name);

#endif
