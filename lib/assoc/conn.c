/* A bound association: the SSL, its non-blocking socket, and the peer id the handshake
 * proved (TS-0003 V3 8.2.2.2 "binding"). Reads and writes are bounded by a timeout so a
 * silent peer cannot hold its reader forever. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "assoc/assoc_internal.h"
#include "core/safety.h"

long long assoc_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int assoc_set_nonblock(int fd, struct m2m_error *err)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return m2m_error_set_errno(err, M2M_E_IO, "fcntl");
    return 0;
}

void assoc_format_addr(const struct sockaddr *sa, char *out, size_t outsz)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        snprintf(out, outsz, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        snprintf(out, outsz, "[%s]:%u", host, port);
    } else {
        snprintf(out, outsz, "?");
    }
}

struct m2m_assoc_conn *assoc_conn_new(SSL *ssl, int fd, int io_ms, const char *peer_id,
                                      enum m2m_flavour flavour, const char *proof,
                                      const char *address, struct m2m_error *err)
{
    struct m2m_assoc_conn *c = calloc(1, sizeof(*c));

    if (c == NULL || (c->peer_id = strdup(peer_id)) == NULL || (c->proof = strdup(proof)) == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "connection");
        if (c != NULL)
            free(c->peer_id);
        free(c);
        return NULL;
    }
    c->ssl = ssl;
    c->fd = fd;
    c->io_ms = io_ms;
    c->flavour = flavour;
    snprintf(c->address, sizeof(c->address), "%s", address != NULL ? address : "");
    return c;
}

void m2m_assoc_conn_free(struct m2m_assoc_conn *c)
{
    if (c == NULL)
        return;
    if (c->ssl != NULL) {
        /* One close_notify attempt on the non-blocking socket; we do not wait for the
         * peer's, since the association ends here either way. */
        ERR_set_mark();
        if (SSL_is_init_finished(c->ssl))
            (void)SSL_shutdown(c->ssl);
        ERR_pop_to_mark();
        SSL_free(c->ssl);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c->peer_id);
    free(c->proof);
    free(c);
}

const char *m2m_assoc_conn_peer_id(const struct m2m_assoc_conn *c)
{
    return c != NULL ? c->peer_id : NULL;
}

enum m2m_flavour m2m_assoc_conn_flavour(const struct m2m_assoc_conn *c)
{
    return c != NULL ? c->flavour : M2M_FLAVOUR_NONE;
}

const char *m2m_assoc_conn_proof(const struct m2m_assoc_conn *c)
{
    return c != NULL ? c->proof : NULL;
}

const char *m2m_assoc_conn_address(const struct m2m_assoc_conn *c)
{
    return c != NULL ? c->address : NULL;
}

SSL *m2m_assoc_conn_ssl(struct m2m_assoc_conn *c)
{
    return c != NULL ? c->ssl : NULL;
}

int m2m_assoc_conn_fd(const struct m2m_assoc_conn *c)
{
    return c != NULL ? c->fd : -1;
}

/* Waits for the socket within the deadline; DTLS timers (RFC 6347 4.2.4) still run, since
 * a peer may resend its last handshake flight after ours was lost. */
static int wait_io(struct m2m_assoc_conn *c, int want, long long deadline, struct m2m_error *err)
{
    struct pollfd pfd = {.fd = c->fd, .events = want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN};
    long long left = deadline - assoc_now_ms();
    int n;

    if (left <= 0)
        return m2m_error_set(err, M2M_E_TIMEOUT, "no data from %s", c->peer_id);
    n = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
    if (n < 0 && errno != EINTR)
        return m2m_error_set_errno(err, M2M_E_IO, "poll");
    if (n == 0 && SSL_is_dtls(c->ssl))
        (void)DTLSv1_handle_timeout(c->ssl);
    return 0;
}

static int io_failed(struct m2m_assoc_conn *c, int e, const char *what, struct m2m_error *err)
{
    if (e == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0)
        return m2m_error_set(err, M2M_E_IO, "%s %s: connection reset", what, c->peer_id);
    return m2m_error_set_ossl(err, M2M_E_TLS, "%s %s", what, c->peer_id);
}

ssize_t m2m_assoc_conn_read(struct m2m_assoc_conn *c, void *buf, size_t len, int timeout_ms,
                            struct m2m_error *err)
{
    long long deadline;

    if (c == NULL || buf == NULL || len == 0)
        return m2m_error_set(err, M2M_E_INVALID_ARG, "read arguments");
    deadline = assoc_now_ms() + (timeout_ms < 0 ? c->io_ms : timeout_ms);
    for (;;) {
        size_t got = 0;
        int r, e;

        ERR_clear_error();
        r = SSL_read_ex(c->ssl, buf, len, &got);
        if (r == 1)
            return (ssize_t)got;
        e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return io_failed(c, e, "read from", err);
        if (timeout_ms == 0)
            return m2m_error_set(err, M2M_E_TLS_WANT_IO, "nothing to read");
        if (wait_io(c, e, deadline, err) != 0)
            return -1;
    }
}

int m2m_assoc_conn_write(struct m2m_assoc_conn *c, const void *buf, size_t len, int timeout_ms,
                         struct m2m_error *err)
{
    long long deadline;
    size_t done = 0;

    if (c == NULL || (buf == NULL && len > 0))
        return m2m_error_set(err, M2M_E_INVALID_ARG, "write arguments");
    deadline = assoc_now_ms() + (timeout_ms < 0 ? c->io_ms : timeout_ms);
    while (done < len) {
        size_t put = 0;
        int r, e;

        ERR_clear_error();
        r = SSL_write_ex(c->ssl, (const unsigned char *)buf + done, len - done, &put);
        if (r == 1) {
            done += put;
            continue;
        }
        e = SSL_get_error(c->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return io_failed(c, e, "write to", err);
        if (wait_io(c, e, deadline, err) != 0)
            return -1;
    }
    return 0;
}
