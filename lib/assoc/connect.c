/* Entity A (TS-0003 V3 8.2.2.2): connect to Entity B over TLS 1.2 or DTLS 1.2, verify it
 * against IdB's configured expectations (CertNameB, RootOfTrustB) or authenticate with the
 * PSK shared with it, and bind the association to IdB. IdB also routes the exchange: it
 * selects the expectations and the SNI. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "assoc/assoc_internal.h"
#include "core/safety.h"

/* The expectations for IdB: the PSK entry when A has a PSK store, else the certificate one. */
static const struct assoc_peer *select_peer(const struct m2m_assoc_config *cfg, const char *id)
{
    const struct assoc_peer *any = NULL;

    for (size_t i = 0; i < cfg->n_peers; i++) {
        const struct assoc_peer *p = &cfg->peers[i];
        if (strcmp(p->id, id) != 0)
            continue;
        if ((p->psk_identity != NULL) == (cfg->psk != NULL))
            return p;
        any = p;
    }
    return any;
}

/* PSK: the key the store holds for the identity; a key the store says is shared with
 * another entity is never used towards this one. */
static int setup_psk(const struct m2m_assoc_config *cfg, const struct assoc_peer *peer,
                     struct m2m_tls_config *tcfg, struct m2m_error *err)
{
    int rc = -1;
    struct m2m_secret *key = NULL;
    const char *owner = NULL;
    char canon[M2M_ID_MAX + 1];

    M2M_ENSURE(cfg->psk != NULL, M2M_E_INVALID_ARG, "PSK peer %s but no PSK store configured",
               peer->id);
    M2M_GUARD(m2m_psk_store_get(cfg->psk, peer->psk_identity, &key, &owner, err));
    if (owner != NULL && owner[0] == '/') {
        M2M_GUARD(assoc_canonical_id(cfg, owner, canon, sizeof(canon), err));
        M2M_ENSURE(strcmp(canon, peer->id) == 0, M2M_E_INVALID_ARG,
                   "PSK '%s' is shared with %s, not %s", peer->psk_identity, canon, peer->id);
    }
    M2M_GUARD(m2m_tls_config_set_psk_client(tcfg, peer->psk_identity, key, err));
    rc = 0;
out:
    m2m_secret_free(key);
    return rc;
}

static struct m2m_tls_ctx *client_ctx(const struct m2m_assoc_config *cfg,
                                      const struct assoc_peer *peer, enum m2m_transport t,
                                      struct m2m_error *err)
{
    struct m2m_tls_config *tcfg = NULL;
    struct m2m_tls_ctx *ctx = NULL;
    int rc = -1;

    M2M_GUARD_PTR(tcfg = m2m_tls_config_new(err));
    m2m_tls_config_set_timeout_ms(tcfg, cfg->handshake_ms);
    if (peer->psk_identity != NULL) {
        M2M_GUARD(setup_psk(cfg, peer, tcfg, err));
    } else {
        M2M_ENSURE(cfg->cred != NULL, M2M_E_INVALID_ARG,
                   "certificate peer %s but no own credential configured", peer->id);
        m2m_tls_config_set_credential(tcfg, cfg->cred);
        m2m_tls_config_set_trust(tcfg, peer->root);
        /* TS-0003 V3 8.2.2.2: CertNameB must equal a subjectAltName entry of its flavour. */
        M2M_GUARD(m2m_tls_config_set_peer(tcfg, peer->flavour, peer->cert_name, err));
    }
    M2M_GUARD_PTR(ctx = m2m_tls_ctx_new(tcfg, M2M_TLS_CLIENT, t, err));
    rc = 0;
out:
    m2m_tls_config_free(tcfg);
    if (rc != 0) {
        m2m_tls_ctx_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

static int wait_connected(int fd, int timeout_ms, struct m2m_error *err)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int n, soerr = 0;
    socklen_t sl = sizeof(soerr);

    do
        n = poll(&pfd, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return m2m_error_set(err, M2M_E_TIMEOUT, "connect after %d ms", timeout_ms);
    if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return m2m_error_set_errno(err, M2M_E_IO, "connect");
    if (soerr != 0) {
        errno = soerr;
        return m2m_error_set_errno(err, M2M_E_IO, "connect");
    }
    return 0;
}

/* A connected, non-blocking socket: TCP for TLS, UDP for DTLS. */
static int dial(const char *host, const char *port, enum m2m_transport t, int timeout_ms,
                char *addr, size_t addrsz, struct m2m_error *err)
{
    struct addrinfo hints = {.ai_socktype = t == M2M_TRANSPORT_DTLS ? SOCK_DGRAM : SOCK_STREAM};
    struct addrinfo *res = NULL;
    int fd = -1, g;

    g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) {
        m2m_error_set(err, M2M_E_IO, "%s:%s: %s", host, port, gai_strerror(g));
        return -1;
    }
    fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        m2m_error_set_errno(err, M2M_E_IO, "socket");
    } else if (connect(fd, res->ai_addr, res->ai_addrlen) == 0 ||
               (errno == EINPROGRESS && wait_connected(fd, timeout_ms, err) == 0)) {
        assoc_format_addr(res->ai_addr, addr, addrsz);
    } else {
        if (errno != EINPROGRESS)
            m2m_error_set_errno(err, M2M_E_IO, "connect %s:%s", host, port);
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* DTLS: the connected datagram BIO under the packing filter (dtls_pack.c). */
static int pack_datagrams(SSL *ssl, int fd, struct m2m_error *err)
{
    int rc = -1;
    BIO *dgram = BIO_new_dgram(fd, BIO_NOCLOSE);
    BIO_ADDR *peer = BIO_ADDR_new();
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)&ss;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
    int ok = 0;

    M2M_ENSURE_OSSL(dgram != NULL && peer != NULL, M2M_E_NOMEM, "datagram BIO");
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "getpeername");
        goto out;
    }
    if (ss.ss_family == AF_INET)
        ok = BIO_ADDR_rawmake(peer, AF_INET, &in4->sin_addr, sizeof(in4->sin_addr), in4->sin_port);
    else if (ss.ss_family == AF_INET6)
        ok = BIO_ADDR_rawmake(peer, AF_INET6, &in6->sin6_addr, sizeof(in6->sin6_addr),
                              in6->sin6_port);
    M2M_ENSURE(ok && BIO_ctrl_set_connected(dgram, peer) == 1, M2M_E_TLS, "datagram peer");
    M2M_GUARD(assoc_dtls_pack(ssl, dgram, err));
    dgram = NULL;
    rc = 0;
out:
    BIO_free(dgram);
    BIO_ADDR_free(peer);
    return rc;
}

/* What the handshake proved must be what A asked for; the tls layer enforced it, and this
 * keeps a mismatch from ever being bound. */
static int proven(SSL *ssl, const struct assoc_peer *peer, char *proof, size_t proofsz,
                  struct m2m_error *err)
{
    int rc = -1;
    struct m2m_verified v;

    M2M_ENSURE(m2m_tls_peer(ssl, &v) == 0, M2M_E_INTERNAL, "no verified peer identity");
    if (peer->psk_identity != NULL)
        M2M_ENSURE(m2m_tls_is_psk(ssl) && strcmp(v.identity, peer->psk_identity) == 0,
                   M2M_E_TLS_HANDSHAKE, "the session is not authenticated with '%s'",
                   peer->psk_identity);
    else
        M2M_ENSURE(!m2m_tls_is_psk(ssl) && v.flavour == peer->flavour, M2M_E_CERT_NAME,
                   "peer proved a %s identity, %s expected", m2m_flavour_name(v.flavour),
                   m2m_flavour_name(peer->flavour));
    snprintf(proof, proofsz, "%s", v.identity);
    rc = 0;
out:
    return rc;
}

int m2m_assoc_connect(struct m2m_assoc_config *cfg, enum m2m_transport transport, const char *host,
                      const char *port, const char *peer_id, struct m2m_assoc_conn **out,
                      struct m2m_error *err)
{
    int rc = -1, fd = -1, hs;
    char id[M2M_ID_MAX + 1], addr[ASSOC_ADDR_MAX] = "", proof[M2M_IDENTITY_MAX];
    const struct assoc_peer *peer;
    struct m2m_tls_ctx *ctx = NULL;
    SSL *ssl = NULL;

    M2M_ENSURE_ARG(cfg != NULL && host != NULL && port != NULL && out != NULL);
    *out = NULL;
    M2M_GUARD(assoc_canonical_id(cfg, peer_id, id, sizeof(id), err));
    peer = select_peer(cfg, id);
    M2M_ENSURE(peer != NULL, M2M_E_INVALID_ARG, "no expectations configured for peer %s", id);
    M2M_GUARD_PTR(ctx = client_ctx(cfg, peer, transport, err));
    M2M_GUARD_PTR(ssl = m2m_tls_ssl_new(ctx, peer->server_name, err));
    m2m_tls_set_dtls_timer(ssl);
    fd = dial(host, port, transport, cfg->handshake_ms, addr, sizeof(addr), err);
    M2M_GUARD(fd < 0 ? -1 : 0);
    if (transport == M2M_TRANSPORT_DTLS)
        M2M_GUARD(pack_datagrams(ssl, fd, err));
    hs = m2m_tls_handshake_fd(ssl, fd, err);
    assoc_dtls_flush(ssl); /* the last flight, or the alert */
    M2M_GUARD(hs);
    M2M_GUARD(proven(ssl, peer, proof, sizeof(proof), err));
    /* TS-0003 V3 8.2.2.2: A binds the security context to IdB. */
    M2M_GUARD_PTR(*out = assoc_conn_new(ssl, fd, cfg->io_ms, peer->id, peer->flavour, proof, addr,
                                        err));
    ssl = NULL;
    fd = -1;
    rc = 0;
out:
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    m2m_tls_ctx_free(ctx);
    return rc;
}
