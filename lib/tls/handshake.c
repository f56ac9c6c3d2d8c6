/* The blocking handshake helper for the CLI and tests: a non-blocking handshake on a
 * connected socket driven with poll(), with DTLS retransmission (RFC 6347 4.2.4) and one
 * overall deadline. Servers on an event loop drive SSL_do_handshake themselves. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>

#include <openssl/async.h>
#include <openssl/err.h>

#include "core/safety.h"
#include "tls/tls_internal.h"

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int peer_addr(int fd, BIO_ADDR *addr, struct m2m_error *err)
{
    int rc = -1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)&ss;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
    int ok = 0;

    M2M_ENSURE(getpeername(fd, (struct sockaddr *)&ss, &sl) == 0, M2M_E_INVALID_ARG,
               "DTLS needs a connected datagram socket");
    if (ss.ss_family == AF_INET)
        ok = BIO_ADDR_rawmake(addr, AF_INET, &in4->sin_addr, sizeof(in4->sin_addr), in4->sin_port);
    else if (ss.ss_family == AF_INET6)
        ok = BIO_ADDR_rawmake(addr, AF_INET6, &in6->sin6_addr, sizeof(in6->sin6_addr),
                              in6->sin6_port);
    M2M_ENSURE(ok, M2M_E_INVALID_ARG, "DTLS peer must be an IPv4 or IPv6 address");
    rc = 0;
out:
    return rc;
}

/* A socket BIO for TLS, a connected datagram BIO for DTLS, unless the caller set one. */
static int attach_bio(SSL *ssl, int fd, struct m2m_error *err)
{
    int rc = -1;
    BIO *bio = NULL;
    BIO_ADDR *peer = NULL;

    if (SSL_get_rbio(ssl) != NULL)
        return 0;
    if (SSL_is_dtls(ssl)) {
        peer = BIO_ADDR_new();
        M2M_ENSURE(peer != NULL, M2M_E_NOMEM, "peer address");
        M2M_GUARD(peer_addr(fd, peer, err));
        bio = BIO_new_dgram(fd, BIO_NOCLOSE);
        M2M_ENSURE_OSSL(bio != NULL, M2M_E_TLS, "datagram BIO");
        M2M_ENSURE_OSSL(BIO_ctrl_set_connected(bio, peer) == 1, M2M_E_TLS, "datagram BIO");
    } else {
        bio = BIO_new_socket(fd, BIO_NOCLOSE);
        M2M_ENSURE_OSSL(bio != NULL, M2M_E_TLS, "socket BIO");
    }
    SSL_set_bio(ssl, bio, bio);
    bio = NULL;
    rc = 0;
out:
    BIO_free(bio);
    BIO_ADDR_free(peer);
    return rc;
}

/* How long to sleep: until the deadline, or the next DTLS retransmission if sooner. */
static int wait_ms(SSL *ssl, long long deadline)
{
    long long left = deadline - now_ms();
    struct timeval tv;

    if (left < 0)
        left = 0;
    if (SSL_is_dtls(ssl) && DTLSv1_get_timeout(ssl, &tv) == 1) {
        long long t = (long long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
        if (t < left)
            left = t;
    }
    return (int)left;
}

/* DESIGN.md 6: a PSK lookup that needs the network pauses its ASYNC_JOB (SSL_MODE_ASYNC)
 * after registering wake-up fds; wait on those, then resume the handshake. */
static int wait_async(SSL *ssl, long long deadline, struct m2m_error *err)
{
    int rc = -1;
    OSSL_ASYNC_FD fds[4];
    struct pollfd pfd[4];
    size_t n = 0;
    int r;

    M2M_ENSURE_OSSL(SSL_get_all_async_fds(ssl, NULL, &n) == 1, M2M_E_TLS, "async fds");
    M2M_ENSURE(n <= M2M_ARRAY_LEN(fds), M2M_E_TLS, "too many async fds (%zu)", n);
    M2M_ENSURE_OSSL(SSL_get_all_async_fds(ssl, fds, &n) == 1, M2M_E_TLS, "async fds");
    for (size_t i = 0; i < n; i++)
        pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    /* A job that paused without a wake-up fd is polled again after a short sleep. */
    r = poll(n > 0 ? pfd : NULL, n, n > 0 ? wait_ms(ssl, deadline) : 1);
    if (r < 0 && errno != EINTR) {
        m2m_error_set_errno(err, M2M_E_IO, "poll");
        goto out;
    }
    rc = 0;
out:
    return rc;
}

static int handshake_failed(SSL *ssl, int ssl_err, struct m2m_error *err)
{
    const struct m2m_error *cb = m2m_tls_ssl_error(ssl);

    if (cb != NULL) {
        /* Our verification or PSK lookup said why; keep its code (M2M_E_CERT_*, ...). */
        ERR_clear_error();
        if (err != NULL)
            *err = *cb;
        return -1;
    }
    if (ssl_err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0) {
        if (errno != 0)
            return m2m_error_set_errno(err, M2M_E_TLS_HANDSHAKE, "socket");
        return m2m_error_set(err, M2M_E_TLS_HANDSHAKE, "connection closed by peer");
    }
    return m2m_error_set_ossl(err, M2M_E_TLS_HANDSHAKE, "%s",
                              SSL_is_server(ssl) ? "server" : "client");
}

static int handshake_loop(SSL *ssl, int fd, int timeout_ms, struct m2m_error *err)
{
    int rc = -1;
    long long deadline = now_ms() + timeout_ms;
    struct pollfd pfd = {.fd = fd};

    for (;;) {
        int r, e, n;

        ERR_clear_error();
        errno = 0;
        r = SSL_do_handshake(ssl);
        if (r == 1)
            break;
        e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_ASYNC) {
            handshake_failed(ssl, e, err);
            goto out;
        }
        M2M_ENSURE(now_ms() < deadline, M2M_E_TIMEOUT, "handshake after %d ms", timeout_ms);
        if (e == SSL_ERROR_WANT_ASYNC) {
            M2M_GUARD(wait_async(ssl, deadline, err));
            continue;
        }
        pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        n = poll(&pfd, 1, wait_ms(ssl, deadline));
        if (n < 0 && errno != EINTR) {
            m2m_error_set_errno(err, M2M_E_IO, "poll");
            goto out;
        }
        /* RFC 6347 4.2.4: resend the last flight when its timer expires. */
        if (n == 0 && SSL_is_dtls(ssl) && DTLSv1_handle_timeout(ssl) < 0) {
            handshake_failed(ssl, SSL_ERROR_SSL, err);
            goto out;
        }
    }
    rc = 0;
out:
    return rc;
}

int m2m_tls_handshake_fd(SSL *ssl, int fd, struct m2m_error *err)
{
    int rc = -1;
    int flags = -1;
    const struct tls_ctx_state *st;
    int timeout_ms = M2M_TLS_DEFAULT_TIMEOUT_MS;

    M2M_ENSURE_ARG(ssl != NULL && fd >= 0);
    st = m2m_tls_ctx_state(SSL_get_SSL_CTX(ssl));
    if (st != NULL)
        timeout_ms = st->cfg->timeout_ms;
    M2M_GUARD(attach_bio(ssl, fd, err));
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        m2m_error_set_errno(err, M2M_E_IO, "fcntl");
        flags = -1;
        goto out;
    }
    M2M_GUARD(handshake_loop(ssl, fd, timeout_ms, err));
    rc = 0;
out:
    /* Give the socket back as the caller handed it over (blocking callers read next). */
    if (flags >= 0)
        (void)fcntl(fd, F_SETFL, flags);
    return rc;
}
