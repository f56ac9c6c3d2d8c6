/* What every role's CoAPS listener shares: see coap_service.h. */
#include <stdio.h>
#include <string.h>

#include "coap_service.h"
#include "log.h"

static void coap_log(void *arg, int warn, const char *line)
{
    const struct coap_listener *l = arg;

    log_msg(warn ? LOG_WARN : LOG_INFO, "%s coaps: %s", l->role, line);
}

int coap_listener_open(struct coap_listener *l, struct event_base *base,
                       const struct daemon_conf *c, const struct coap_listener_args *a,
                       int reuseport, struct m2m_error *err)
{
    struct m2m_coap_config cc;

    memset(l, 0, sizeof(*l));
    l->role = a->role;
    if (a->listen->port == 0)
        return 0;
    if (reuseport)
        return m2m_error_set(err, M2M_E_INVALID_ARG,
                             "coaps_listen needs workers = 1 (the CoAPS socket cannot be shared "
                             "between worker processes)");
    if ((l->tls = m2m_tls_ctx_new(a->tls, M2M_TLS_SERVER, M2M_TRANSPORT_DTLS, err)) == NULL)
        return -1;
    memset(&cc, 0, sizeof(cc));
    cc.address = a->listen->address;
    cc.port = a->listen->port;
    cc.tls = l->tls;
    cc.psk_fn = a->psk_fn;
    cc.psk_suite_fn = a->psk_suite_fn;
    cc.psk_arg = a->psk_arg;
    cc.max_body = c->max_body;
    cc.max_sessions = c->max_connections;
    cc.handler = a->handler;
    cc.handler_arg = a->handler_arg;
    cc.log = coap_log;
    cc.log_arg = l;
    if ((l->srv = m2m_coap_server_new(base, &cc, err)) == NULL) {
        m2m_tls_ctx_free(l->tls);
        l->tls = NULL;
        return -1;
    }
    return 0;
}

int coap_listener_set_tls(struct coap_listener *l, struct m2m_tls_config *cfg,
                          struct m2m_error *err)
{
    struct m2m_tls_ctx *ctx;

    if (l->srv == NULL)
        return 0;
    if ((ctx = m2m_tls_ctx_new(cfg, M2M_TLS_SERVER, M2M_TRANSPORT_DTLS, err)) == NULL)
        return -1;
    m2m_coap_server_set_tls(l->srv, ctx);
    /* Sessions already adopted hold their own reference to the old SSL_CTX. */
    m2m_tls_ctx_free(l->tls);
    l->tls = ctx;
    return 0;
}

void coap_listener_drain(struct coap_listener *l)
{
    m2m_coap_server_stop_accepting(l->srv);
}

int coap_listener_pending(const struct coap_listener *l)
{
    return m2m_coap_server_pending(l->srv);
}

void coap_listener_describe(const struct coap_listener *l, const struct listen_conf *lc, char *buf,
                            size_t bufsz)
{
    if (l->srv == NULL)
        snprintf(buf, bufsz, "%s", "");
    else
        snprintf(buf, bufsz, ", CoAPS on %s:%u", lc->address, lc->port);
}

void coap_listener_close(struct coap_listener *l)
{
    struct m2m_coap_stats st;

    if (l->srv != NULL) {
        /* ClientHellos without a valid cookie are answered statelessly (RFC 6347 4.2.1)
         * and counted nowhere; sessions only exist past the cookie exchange. */
        m2m_coap_server_stats(l->srv, &st);
        log_msg(LOG_INFO,
                "%s coaps: %lu DTLS sessions past the cookie exchange, %lu failed handshakes, "
                "%lu requests, %lu client addresses seen, %d held at exit",
                l->role, st.sessions_created, st.handshakes_failed, st.requests, st.addresses_seen,
                st.sessions_now);
    }
    m2m_coap_server_free(l->srv);
    m2m_tls_ctx_free(l->tls);
    l->srv = NULL;
    l->tls = NULL;
}
