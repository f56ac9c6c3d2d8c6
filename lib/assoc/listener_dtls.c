/* Entity B over DTLS 1.2 (RFC 6347). One UDP socket receives every ClientHello; a
 * stateless cookie exchange (HelloVerifyRequest, 4.2.1; cookies from the tls layer) must
 * succeed before any state is kept, which also stops spoofed sources from using the
 * listener as an amplifier. A peer that returned its cookie gets its own UDP socket, bound
 * to the listener's address and connected to the peer, so the kernel delivers that peer's
 * datagrams to it and each handshake runs on its own socket like a TCP connection. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "assoc/listener_internal.h"
#include "core/safety.h"

#define DATAGRAM_BATCH 64

static int listen_ssl(struct m2m_assoc_listener *l, struct m2m_error *err)
{
    int rc = -1;
    BIO *bio = NULL;

    if (l->dtls_ssl != NULL)
        return 0;
    M2M_GUARD_PTR(l->dtls_ssl = m2m_tls_ssl_new(l->ctx, NULL, err));
    m2m_tls_set_dtls_timer(l->dtls_ssl);
    bio = BIO_new_dgram(l->fd, BIO_NOCLOSE);
    M2M_ENSURE_OSSL(bio != NULL, M2M_E_TLS, "datagram BIO");
    SSL_set_bio(l->dtls_ssl, bio, bio);
    rc = 0;
out:
    if (rc != 0) {
        SSL_free(l->dtls_ssl);
        l->dtls_ssl = NULL;
    }
    return rc;
}

static int to_sockaddr(const BIO_ADDR *a, struct sockaddr_storage *ss, socklen_t *sl)
{
    size_t len = 0;

    memset(ss, 0, sizeof(*ss));
    if (BIO_ADDR_family(a) == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = BIO_ADDR_rawport(a);
        *sl = sizeof(*in);
        return BIO_ADDR_rawaddress(a, &in->sin_addr, &len) == 1 ? 0 : -1;
    }
    if (BIO_ADDR_family(a) == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = BIO_ADDR_rawport(a);
        *sl = sizeof(*in6);
        return BIO_ADDR_rawaddress(a, &in6->sin6_addr, &len) == 1 ? 0 : -1;
    }
    return -1;
}

/* The peer's own socket: same local address (SO_REUSEADDR), connected to the peer. A
 * connected UDP socket is the more specific match, so the kernel hands it that peer's
 * datagrams and the listening socket keeps receiving everyone else's. */
static int peer_socket(const struct m2m_assoc_listener *l, const struct sockaddr_storage *peer,
                       socklen_t plen, struct m2m_error *err)
{
    int one = 1;
    int fd = socket(l->local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (const struct sockaddr *)&l->local, l->local_len) != 0 ||
        connect(fd, (const struct sockaddr *)peer, plen) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "per-peer datagram socket");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* DTLSv1_listen accepted a ClientHello with a valid cookie from peer: move the SSL to the
 * peer's socket and let the handshake continue on the loop. */
static void start_peer(struct m2m_assoc_listener *l, BIO_ADDR *peer)
{
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    char addr[ASSOC_ADDR_MAX] = "?";
    struct m2m_error err;
    SSL *ssl = l->dtls_ssl;
    BIO *dgram;
    int fd = -1;

    l->dtls_ssl = NULL;
    m2m_error_clear(&err);
    if (to_sockaddr(peer, &ss, &sl) != 0) {
        m2m_error_set(&err, M2M_E_IO, "peer address family");
    } else {
        assoc_format_addr((struct sockaddr *)&ss, addr, sizeof(addr));
        fd = peer_socket(l, &ss, sl, &err);
    }
    if (fd < 0) {
        SSL_free(ssl);
        assoc_listener_reject(l, addr, &err);
        return;
    }
    dgram = SSL_get_rbio(ssl);
    BIO_set_fd(dgram, fd, BIO_NOCLOSE);
    BIO_ctrl(dgram, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
    BIO_up_ref(dgram);
    if (assoc_dtls_pack(ssl, dgram, &err) != 0) {
        BIO_free(dgram);
        SSL_free(ssl);
        close(fd);
        assoc_listener_reject(l, addr, &err);
        return;
    }
    assoc_hs_start(l, ssl, fd, addr);
}

static int more_datagrams(int fd)
{
    char b;

    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

void assoc_dtls_on_datagram(evutil_socket_t fd, short what, void *arg)
{
    struct m2m_assoc_listener *l = arg;
    struct m2m_error err;
    BIO_ADDR *peer = BIO_ADDR_new();

    (void)what;
    for (int i = 0; peer != NULL && i < DATAGRAM_BATCH && more_datagrams(fd); i++) {
        int r;

        if (listen_ssl(l, &err) != 0) {
            assoc_listener_reject(l, "", &err);
            break;
        }
        ERR_clear_error();
        /* 0: a datagram was consumed (HelloVerifyRequest sent, or not a ClientHello);
         * 1: a ClientHello with a valid cookie; < 0: this SSL is unusable, start over. */
        r = DTLSv1_listen(l->dtls_ssl, peer);
        if (r == 1) {
            start_peer(l, peer);
        } else if (r < 0) {
            SSL_free(l->dtls_ssl);
            l->dtls_ssl = NULL;
        }
        ERR_clear_error();
    }
    BIO_ADDR_free(peer);
}

void assoc_dtls_free(struct m2m_assoc_listener *l)
{
    SSL_free(l->dtls_ssl);
    l->dtls_ssl = NULL;
}
