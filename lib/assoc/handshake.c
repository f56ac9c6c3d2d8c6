/* Entity B's handshakes on the event loop. Each runs non-blocking on its own socket:
 * SSL_do_handshake until it wants to read or write, then an event on the socket bounded by
 * the handshake's deadline (and, for DTLS, by the retransmission timer of RFC 6347 4.2.4).
 * SSL_ERROR_WANT_ASYNC is awaited on the job's wake-up fd, so a PSK lookup that pauses its
 * ASYNC_JOB for a network fetch (DESIGN.md 6) holds no one else up. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/err.h>

#include "assoc/listener_internal.h"
#include "core/safety.h"

static void hs_cb(evutil_socket_t fd, short what, void *arg);

static void hs_unlink(struct assoc_hs *h)
{
    struct m2m_assoc_listener *l = h->l;

    if (h->prev != NULL)
        h->prev->next = h->next;
    else
        l->pending = h->next;
    if (h->next != NULL)
        h->next->prev = h->prev;
    l->n_pending--;
}

/* Frees the handshake; keep_ssl when its SSL and socket moved to a connection. */
static void hs_free(struct assoc_hs *h, int keep_ssl)
{
    hs_unlink(h);
    event_free(h->ev);
    if (h->ssl != NULL)
        SSL_set_app_data(h->ssl, NULL); /* auth dies with h */
    if (!keep_ssl) {
        SSL_free(h->ssl);
        if (h->fd >= 0)
            close(h->fd);
    }
    free(h);
}

void assoc_listener_reject(struct m2m_assoc_listener *l, const char *addr,
                           const struct m2m_error *why)
{
    if (l->on_reject != NULL)
        l->on_reject(l->arg, addr, why);
}

/* Why a handshake failed, preferring the reason our own checks recorded. */
static void hs_error(struct assoc_hs *h, int ssl_err, struct m2m_error *err)
{
    const struct m2m_error *cb = m2m_tls_ssl_error(h->ssl);
    const char *psk = SSL_get_psk_identity(h->ssl);

    if (h->auth.err.code != M2M_OK) {
        *err = h->auth.err;
    } else if (cb != NULL) {
        *err = *cb;
    } else if (ssl_err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0) {
        m2m_error_set(err, M2M_E_TLS_HANDSHAKE, "connection closed by peer");
    } else if (psk != NULL) {
        /* A PSK the client derived differently fails as a MAC error on its Finished. */
        m2m_error_set_ossl(err, M2M_E_TLS_HANDSHAKE, "PSK '%s' does not match (wrong key?)", psk);
    } else {
        m2m_error_set_ossl(err, M2M_E_TLS_HANDSHAKE, "server");
    }
    ERR_clear_error();
}

static void hs_fail(struct assoc_hs *h, const struct m2m_error *why)
{
    struct m2m_assoc_listener *l = h->l;
    char addr[ASSOC_ADDR_MAX];

    memcpy(addr, h->addr, sizeof(addr));
    hs_free(h, 0);
    assoc_listener_reject(l, addr, why);
}

/* TS-0003 V3 8.2.2.2: B binds the security context to IdA. */
static void hs_finish(struct assoc_hs *h)
{
    struct m2m_assoc_listener *l = h->l;
    const struct assoc_peer *peer;
    struct m2m_assoc_conn *conn;
    struct m2m_error err;

    m2m_error_clear(&err);
    if (assoc_server_bind(h->ssl, &h->auth, &peer, &err) != 0 ||
        (conn = assoc_conn_new(h->ssl, h->fd, l->cfg->io_ms, peer->id, peer->flavour,
                               peer->psk_identity != NULL ? peer->psk_identity : peer->cert_name,
                               h->addr, &err)) == NULL) {
        hs_fail(h, &err);
        return;
    }
    hs_free(h, 1);
    if (l->on_accept != NULL)
        l->on_accept(l->arg, conn);
    else
        m2m_assoc_conn_free(conn);
}

/* Where to wait: the socket, or the async job's wake-up fd. */
static int hs_wait_fd(struct assoc_hs *h, int ssl_err, short *what)
{
    OSSL_ASYNC_FD fd;
    size_t n = 0;

    *what = ssl_err == SSL_ERROR_WANT_WRITE ? EV_WRITE : EV_READ;
    if (ssl_err != SSL_ERROR_WANT_ASYNC)
        return h->fd;
    if (SSL_get_all_async_fds(h->ssl, NULL, &n) == 1 && n == 1 &&
        SSL_get_all_async_fds(h->ssl, &fd, &n) == 1)
        return fd;
    /* A job that paused without a wake-up fd is polled again shortly. */
    *what = 0;
    return -1;
}

static void hs_schedule(struct assoc_hs *h, int ssl_err)
{
    struct timeval tv, dt;
    long long left = h->deadline - assoc_now_ms();
    short what;
    int fd = hs_wait_fd(h, ssl_err, &what);

    if (left < 1)
        left = 1;
    if (what == 0 && left > 5)
        left = 5;
    tv.tv_sec = left / 1000;
    tv.tv_usec = (left % 1000) * 1000;
    /* RFC 6347 4.2.4: wake up for the retransmission timer if it fires first. */
    if (SSL_is_dtls(h->ssl) && DTLSv1_get_timeout(h->ssl, &dt) == 1 && timercmp(&dt, &tv, <))
        tv = dt;
    event_del(h->ev);
    event_assign(h->ev, h->l->base, fd, what, hs_cb, h);
    event_add(h->ev, &tv);
}

static void hs_step(struct assoc_hs *h)
{
    struct m2m_error err;
    int r, e;

    ERR_clear_error();
    errno = 0;
    r = SSL_do_handshake(h->ssl);
    if (r == 1) {
        assoc_dtls_flush(h->ssl); /* the last flight */
        hs_finish(h);
        return;
    }
    e = SSL_get_error(h->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_ASYNC) {
        assoc_dtls_flush(h->ssl); /* the alert */
        hs_error(h, e, &err);
        hs_fail(h, &err);
        return;
    }
    hs_schedule(h, e);
}

static void hs_cb(evutil_socket_t fd, short what, void *arg)
{
    struct assoc_hs *h = arg;
    struct m2m_error err;

    (void)fd;
    if ((what & EV_TIMEOUT) != 0) {
        if (assoc_now_ms() >= h->deadline) {
            const char *psk = SSL_get_psk_identity(h->ssl);
            /* RFC 6347 4.1.2.7: DTLS drops records that fail their MAC, so a PSK that does
             * not match shows up as a handshake that never finishes. */
            m2m_error_set(&err, M2M_E_TIMEOUT, "handshake not finished within %d ms%s%s%s",
                          h->l->cfg->handshake_ms, psk != NULL ? " after PSK '" : "",
                          psk != NULL ? psk : "", psk != NULL ? "' (wrong key?)" : "");
            hs_fail(h, &err);
            return;
        }
        if (SSL_is_dtls(h->ssl) && DTLSv1_handle_timeout(h->ssl) < 0) {
            hs_error(h, SSL_ERROR_SSL, &err);
            hs_fail(h, &err);
            return;
        }
    }
    hs_step(h);
}

void assoc_hs_start(struct m2m_assoc_listener *l, SSL *ssl, int fd, const char *addr)
{
    struct assoc_hs *h = calloc(1, sizeof(*h));
    struct m2m_error err;

    if (h == NULL || (h->ev = event_new(l->base, -1, 0, hs_cb, h)) == NULL) {
        free(h);
        SSL_free(ssl);
        close(fd);
        m2m_error_set(&err, M2M_E_NOMEM, "handshake state");
        assoc_listener_reject(l, addr, &err);
        return;
    }
    h->l = l;
    h->ssl = ssl;
    h->fd = fd;
    h->deadline = assoc_now_ms() + l->cfg->handshake_ms;
    h->auth.cfg = l->cfg;
    m2m_error_clear(&h->auth.err);
    snprintf(h->addr, sizeof(h->addr), "%s", addr);
    SSL_set_app_data(ssl, &h->auth);
    h->next = l->pending;
    if (l->pending != NULL)
        l->pending->prev = h;
    l->pending = h;
    l->n_pending++;
    hs_step(h);
}

void assoc_hs_free_all(struct m2m_assoc_listener *l)
{
    while (l->pending != NULL)
        hs_free(l->pending, 0);
}
