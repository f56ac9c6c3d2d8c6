/* The Briefing Node role on CoAPS (SPEC.md section 7): the node's certificate, verified in
 * the DTLS handshake against the role's trust sets, and the operator's rules, exactly as
 * bbn_service.c does over HTTPS. Briefings answer at once (no durable write), so the
 * instruction is piggybacked, block-wise when its trust anchors exceed one message. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bbn_coap.h"
#include "log.h"

struct bbn_coap {
    const struct daemon_conf *conf;
    struct m2m_bbn_rules *const *rules;
    struct coap_listener l;
};

static void on_request(void *arg, struct m2m_coap_exchange *x)
{
    struct bbn_coap *b = arg;
    struct m2m_bbn_response resp;
    struct m2m_verified v;
    SSL *ssl = m2m_coap_ssl(x);
    const char *body;
    size_t len = 0;
    int peer_ok;

    peer_ok = ssl != NULL && m2m_tls_peer(ssl, &v) == 0 && m2m_tls_is_psk(ssl) != 1;
    body = m2m_coap_body(x, &len);
    m2m_bbn_handle(*b->rules, m2m_coap_method(x), m2m_coap_path(x), body, len, peer_ok ? &v : NULL,
                   time(NULL), &resp);
    log_msg(resp.http_status >= 400 ? LOG_WARN : LOG_INFO, "%s coaps %s %s: %s", m2m_coap_peer(x),
            m2m_coap_method(x), m2m_coap_path(x), resp.log);
    m2m_coap_reply(x, resp.http_status, resp.rsc, resp.body, false);
    m2m_bbn_response_clear(&resp);
}

struct bbn_coap *bbn_coap_new(struct event_base *base, const struct daemon_conf *conf,
                              struct m2m_bbn_rules *const *rules, struct m2m_tls_config *tls,
                              int reuseport, struct m2m_error *err)
{
    struct bbn_coap *b = calloc(1, sizeof(*b));
    struct coap_listener_args la;

    if (b == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "CoAPS listener");
        return NULL;
    }
    b->conf = conf;
    b->rules = rules;
    memset(&la, 0, sizeof(la));
    la.role = "bbn";
    la.listen = &conf->bbn.coaps;
    la.tls = tls; /* certificates only: a briefing needs the node's certificate */
    la.handler = on_request;
    la.handler_arg = b;
    if (coap_listener_open(&b->l, base, conf, &la, reuseport, err) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

int bbn_coap_set_tls(struct bbn_coap *b, struct m2m_tls_config *tls, struct m2m_error *err)
{
    return b != NULL ? coap_listener_set_tls(&b->l, tls, err) : 0;
}

void bbn_coap_drain(struct bbn_coap *b)
{
    if (b != NULL)
        coap_listener_drain(&b->l);
}

void bbn_coap_describe(const struct bbn_coap *b, char *buf, size_t bufsz)
{
    if (b != NULL)
        coap_listener_describe(&b->l, &b->conf->bbn.coaps, buf, bufsz);
    else if (bufsz > 0)
        buf[0] = '\0';
}

void bbn_coap_free(struct bbn_coap *b)
{
    if (b == NULL)
        return;
    coap_listener_close(&b->l);
    free(b);
}
