/* Entity B's listener (TS-0003 V3 8.2.2.2): one listening socket on the application's
 * libevent loop; each accepted peer gets its own non-blocking handshake (handshake.c), so
 * many peers associate concurrently and a slow one delays no other. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assoc/listener_internal.h"
#include "core/safety.h"

#define ACCEPT_BATCH 64 /* connections taken per wake-up, so datagrams and timers interleave */

static void on_connection(evutil_socket_t fd, short what, void *arg)
{
    struct m2m_assoc_listener *l = arg;
    struct m2m_error err;

    (void)what;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        char addr[ASSOC_ADDR_MAX];
        SSL *ssl;
        int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (cfd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                m2m_error_set_errno(&err, M2M_E_IO, "accept");
                assoc_listener_reject(l, "", &err);
            }
            return;
        }
        assoc_format_addr((struct sockaddr *)&ss, addr, sizeof(addr));
        ssl = m2m_tls_ssl_new(l->ctx, NULL, &err);
        if (ssl == NULL || SSL_set_fd(ssl, cfd) != 1) {
            SSL_free(ssl);
            close(cfd);
            assoc_listener_reject(l, addr, &err);
            continue;
        }
        assoc_hs_start(l, ssl, cfd, addr);
    }
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct m2m_assoc_listener *l = arg;
    char buf[16];

    (void)what;
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    event_base_loopbreak(l->base);
}

static int open_socket(struct m2m_assoc_listener *l, const char *host, const char *port,
                       struct m2m_error *err)
{
    int rc = -1, one = 1, g;
    struct addrinfo hints = {.ai_flags = AI_PASSIVE,
                             .ai_socktype =
                                 l->transport == M2M_TRANSPORT_DTLS ? SOCK_DGRAM : SOCK_STREAM};
    struct addrinfo *res = NULL;

    g = getaddrinfo(host, port, &hints, &res);
    M2M_ENSURE(g == 0, M2M_E_IO, "%s:%s: %s", host != NULL ? host : "*", port, gai_strerror(g));
    l->fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        m2m_error_set_errno(err, M2M_E_IO, "socket");
        goto out;
    }
    /* DTLS: per-peer sockets bind the same address later (listener_dtls.c). */
    (void)setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(l->fd, res->ai_addr, res->ai_addrlen) != 0 ||
        (l->transport == M2M_TRANSPORT_TLS && listen(l->fd, SOMAXCONN) != 0)) {
        m2m_error_set_errno(err, M2M_E_IO, "listen on %s:%s", host != NULL ? host : "*", port);
        goto out;
    }
    l->local_len = sizeof(l->local);
    if (getsockname(l->fd, (struct sockaddr *)&l->local, &l->local_len) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "getsockname");
        goto out;
    }
    rc = 0;
out:
    if (res != NULL)
        freeaddrinfo(res);
    return rc;
}

static int setup_events(struct m2m_assoc_listener *l, struct m2m_error *err)
{
    int rc = -1;
    event_callback_fn fn =
        l->transport == M2M_TRANSPORT_DTLS ? assoc_dtls_on_datagram : on_connection;

    if (pipe2(l->stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        l->stop_pipe[0] = l->stop_pipe[1] = -1;
        m2m_error_set_errno(err, M2M_E_IO, "pipe");
        goto out;
    }
    l->ev_stop = event_new(l->base, l->stop_pipe[0], EV_READ | EV_PERSIST, on_stop, l);
    l->ev_listen = event_new(l->base, l->fd, EV_READ | EV_PERSIST, fn, l);
    M2M_ENSURE(l->ev_stop != NULL && l->ev_listen != NULL, M2M_E_NOMEM, "events");
    M2M_ENSURE(event_add(l->ev_stop, NULL) == 0 && event_add(l->ev_listen, NULL) == 0,
               M2M_E_INTERNAL, "event_add");
    rc = 0;
out:
    return rc;
}

struct m2m_assoc_listener *m2m_assoc_listen(struct m2m_assoc_config *cfg, struct event_base *base,
                                            enum m2m_transport transport, const char *host,
                                            const char *port, m2m_assoc_accept_fn on_accept,
                                            m2m_assoc_reject_fn on_reject, void *arg,
                                            struct m2m_error *err)
{
    struct m2m_assoc_listener *l = NULL;
    int rc = -1;

    M2M_ENSURE_ARG(cfg != NULL && base != NULL && port != NULL);
    M2M_ENSURE_ARG(transport == M2M_TRANSPORT_TLS || transport == M2M_TRANSPORT_DTLS);
    l = calloc(1, sizeof(*l));
    M2M_ENSURE(l != NULL, M2M_E_NOMEM, "listener");
    l->fd = l->stop_pipe[0] = l->stop_pipe[1] = -1;
    l->cfg = cfg;
    l->base = base;
    l->transport = transport;
    l->on_accept = on_accept;
    l->on_reject = on_reject;
    l->arg = arg;
    M2M_GUARD_PTR(l->ctx = assoc_server_ctx(cfg, transport, err));
    M2M_GUARD(open_socket(l, host, port, err));
    M2M_GUARD(setup_events(l, err));
    rc = 0;
out:
    if (rc != 0) {
        m2m_assoc_listener_free(l);
        l = NULL;
    }
    return l;
}

int m2m_assoc_listener_port(const struct m2m_assoc_listener *l)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)&l->local;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&l->local;

    if (l == NULL)
        return -1;
    return ntohs(l->local.ss_family == AF_INET6 ? in6->sin6_port : in->sin_port);
}

size_t m2m_assoc_listener_pending(const struct m2m_assoc_listener *l)
{
    return l != NULL ? l->n_pending : 0;
}

void m2m_assoc_listener_stop(struct m2m_assoc_listener *l)
{
    char b = 1;

    /* A pipe write is the one thing safe from any thread without evthread locking. */
    if (l != NULL && l->stop_pipe[1] >= 0)
        (void)!write(l->stop_pipe[1], &b, 1);
}

void m2m_assoc_listener_free(struct m2m_assoc_listener *l)
{
    if (l == NULL)
        return;
    assoc_hs_free_all(l);
    assoc_dtls_free(l);
    if (l->ev_listen != NULL)
        event_free(l->ev_listen);
    if (l->ev_stop != NULL)
        event_free(l->ev_stop);
    for (int i = 0; i < 2; i++)
        if (l->stop_pipe[i] >= 0)
            close(l->stop_pipe[i]);
    if (l->fd >= 0)
        close(l->fd);
    m2m_tls_ctx_free(l->ctx);
    free(l);
}
