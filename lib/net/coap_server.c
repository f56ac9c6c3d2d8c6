/* The CoAPS server: one libcoap context on the caller's libevent loop. libcoap (built with
 * epoll) keeps its sockets and its timer descriptor in one epoll descriptor; the loop
 * watches that descriptor, runs coap_io_process without waiting whenever it is readable,
 * and re-arms a timer for libcoap's next retransmission or DTLS timeout. Nothing here
 * blocks the loop. Every request of every path goes to one handler (libcoap's
 * unknown-resource handler plus the methods registered on it): coap_exchange.c. */
#include <event2/event.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/safety.h"
#include "net/coap_internal.h"

#define DEFAULT_MAX_SESSIONS 10000
#define DEFAULT_TIMEOUT_S    300
#define MAX_HELLO_ADDRESSES  100

/* ---- event loop ---- */

static void arm_timer(struct m2m_coap_server *srv)
{
    coap_tick_t now;
    unsigned ms;

    coap_ticks(&now);
    ms = coap_io_prepare_epoll(srv->ctx, now);
    if (ms > 0) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        evtimer_add(srv->timer, &tv);
    } else {
        evtimer_del(srv->timer);
    }
}

static void run_io(struct m2m_coap_server *srv)
{
    coap_io_process(srv->ctx, COAP_IO_NO_WAIT);
    m2m_coap_dtls_server_wipe(&srv->dtls, 0);
    arm_timer(srv);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    run_io(arg);
}

/* ---- the server ---- */

static int on_event(coap_session_t *s, const coap_event_t ev)
{
    struct m2m_coap_server *srv = (struct m2m_coap_server *)m2m_coap_dtls_of(s);
    const struct m2m_error *e;
    char peer[64], line[512];

    if (srv == NULL)
        return 0;
    if (ev == COAP_EVENT_SERVER_SESSION_NEW) {
        coap_session_set_max_retransmit(s, M2M_COAP_MAX_RETRANSMIT);
        srv->stats.addresses_seen++;
        srv->stats.sessions_now++;
    } else if (ev == COAP_EVENT_SERVER_SESSION_DEL) {
        srv->stats.sessions_now--;
        m2m_coap_sess_free(s);
    } else if (ev == COAP_EVENT_DTLS_ERROR &&
               coap_session_get_state(s) != COAP_SESSION_STATE_ESTABLISHED) {
        srv->stats.handshakes_failed++;
        e = m2m_tls_ssl_error(coap_session_get_tls(s, NULL));
        if (srv->dtls.log != NULL) {
            m2m_coap_peer_text(s, peer, sizeof(peer));
            snprintf(line, sizeof(line), "%s: DTLS handshake failed: %s", peer,
                     e != NULL ? e->msg : "alert");
            srv->dtls.log(srv->dtls.log_arg, 1, line);
        }
    }
    return 0;
}

static int bind_address(coap_address_t *a, const char *address, unsigned short port,
                        struct m2m_error *err)
{
    struct addrinfo hints, *ai = NULL;
    char p[8];
    int rc = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_DGRAM;
    snprintf(p, sizeof(p), "%u", port);
    M2M_ENSURE(address != NULL && getaddrinfo(address, p, &hints, &ai) == 0, M2M_E_INVALID_ARG,
               "listen address '%s'", address ? address : "");
    M2M_ENSURE(ai->ai_addrlen <= sizeof(a->addr), M2M_E_INVALID_ARG, "address size");
    coap_address_init(a);
    a->size = ai->ai_addrlen;
    memcpy(&a->addr, ai->ai_addr, ai->ai_addrlen);
    rc = 0;
out:
    if (ai != NULL)
        freeaddrinfo(ai);
    return rc;
}

static int add_resource(struct m2m_coap_server *srv, struct m2m_error *err)
{
    static const coap_request_t methods[] = {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_PUT,
                                             COAP_REQUEST_DELETE};
    coap_resource_t *r = coap_resource_unknown_init2(m2m_coap_on_request, 0);
    int rc = -1;

    M2M_ENSURE(r != NULL, M2M_E_NOMEM, "CoAP resource");
    for (size_t i = 0; i < M2M_ARRAY_LEN(methods); i++)
        coap_register_request_handler(r, methods[i], m2m_coap_on_request);
    coap_add_resource(srv->ctx, r);
    rc = 0;
out:
    return rc;
}

static int open_context(struct m2m_coap_server *srv, const struct m2m_coap_config *cfg,
                        struct m2m_error *err)
{
    coap_address_t addr;
    int rc = -1;

    m2m_coap_startup();
    M2M_GUARD(bind_address(&addr, cfg->address, cfg->port, err));
    M2M_ENSURE((srv->ctx = coap_new_context(NULL)) != NULL, M2M_E_NOMEM, "CoAP context");
    coap_set_app_data(srv->ctx, srv);
    coap_context_set_block_mode(srv->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_context_set_max_idle_sessions(srv->ctx, cfg->max_sessions > 0 ? (unsigned)cfg->max_sessions
                                                                       : DEFAULT_MAX_SESSIONS);
    /* Placeholders for addresses in their cookie exchange: bounded, oldest dropped first. */
    coap_context_set_max_handshake_sessions(srv->ctx, MAX_HELLO_ADDRESSES);
    coap_context_set_session_timeout(srv->ctx, cfg->session_timeout_s > 0
                                                   ? (unsigned)cfg->session_timeout_s
                                                   : DEFAULT_TIMEOUT_S);
    m2m_coap_register_options(srv->ctx, 1);
    coap_register_event_handler(srv->ctx, on_event);
    M2M_GUARD(m2m_coap_dtls_server_setup(srv->ctx, &srv->dtls, err));
    M2M_GUARD(add_resource(srv, err));
    srv->ep = coap_new_endpoint(srv->ctx, &addr, COAP_PROTO_DTLS);
    M2M_ENSURE(srv->ep != NULL, M2M_E_IO, "cannot listen on %s:%u (UDP)", cfg->address, cfg->port);
    rc = 0;
out:
    return rc;
}

struct m2m_coap_server *m2m_coap_server_new(struct event_base *base,
                                            const struct m2m_coap_config *cfg,
                                            struct m2m_error *err)
{
    struct m2m_coap_server *srv = NULL;
    int fd, rc = -1;

    M2M_ENSURE_ARG(base != NULL && cfg != NULL && cfg->tls != NULL && cfg->handler != NULL);
    M2M_ENSURE((srv = calloc(1, sizeof(*srv))) != NULL, M2M_E_NOMEM, "CoAP server");
    srv->base = base;
    srv->port = cfg->port;
    srv->max_body = cfg->max_body > 0 ? cfg->max_body : M2M_MAX_BODY;
    srv->handler = cfg->handler;
    srv->handler_arg = cfg->handler_arg;
    srv->dtls.tls = cfg->tls;
    srv->dtls.psk_fn = cfg->psk_fn;
    srv->dtls.psk_suite_fn = cfg->psk_suite_fn;
    srv->dtls.psk_arg = cfg->psk_arg;
    srv->dtls.log = cfg->log;
    srv->dtls.log_arg = cfg->log_arg;
    M2M_GUARD(open_context(srv, cfg, err));
    fd = coap_context_get_coap_fd(srv->ctx);
    M2M_ENSURE(fd >= 0, M2M_E_INTERNAL, "libcoap was built without epoll");
    srv->io = event_new(base, fd, EV_READ | EV_PERSIST, on_io, srv);
    srv->timer = evtimer_new(base, on_io, srv);
    M2M_ENSURE(srv->io != NULL && srv->timer != NULL && event_add(srv->io, NULL) == 0, M2M_E_NOMEM,
               "CoAP events");
    arm_timer(srv);
    rc = 0;
out:
    if (rc != 0) {
        m2m_coap_server_free(srv);
        srv = NULL;
    }
    return srv;
}

void m2m_coap_server_free(struct m2m_coap_server *srv)
{
    if (srv == NULL)
        return;
    if (srv->io != NULL)
        event_free(srv->io);
    if (srv->timer != NULL)
        event_free(srv->timer);
    /* Frees the sessions, and with them the async entries of unanswered exchanges. */
    if (srv->ctx != NULL)
        coap_free_context(srv->ctx);
    m2m_coap_dtls_server_wipe(&srv->dtls, 1);
    free(srv);
}

void m2m_coap_server_set_tls(struct m2m_coap_server *srv, struct m2m_tls_ctx *ctx)
{
    if (srv != NULL && ctx != NULL)
        srv->dtls.tls = ctx;
}

void m2m_coap_server_stop_accepting(struct m2m_coap_server *srv)
{
    if (srv != NULL)
        srv->draining = true;
}

unsigned short m2m_coap_server_port(const struct m2m_coap_server *srv)
{
    return srv != NULL ? srv->port : 0;
}

int m2m_coap_server_pending(const struct m2m_coap_server *srv)
{
    return srv != NULL ? srv->pending : 0;
}

void m2m_coap_server_stats(const struct m2m_coap_server *srv, struct m2m_coap_stats *st)
{
    if (srv == NULL || st == NULL)
        return;
    *st = srv->stats;
    st->sessions_created = srv->dtls.adopted;
}
