/* The MEF role on CoAPS: what the DTLS session proved and its exporter, handed to
 * lib/role/mef exactly as mef_service.c does for HTTPS. An answer that depends on a durable
 * write (a new Ke, an acknowledgement, a root credential) leaves after the writer's commit
 * as a separate CoAP response; the request was acknowledged with an empty ACK, so the
 * loop never waits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/coap.h>

#include "log.h"
#include "service_util.h"
#include "mef_coap.h"

struct mef_coap {
    struct mef_coap_args a;
    struct coap_listener l;
};

/* A request waiting for its durable write. */
struct coap_pending {
    struct m2m_coap_exchange *x;
    struct m2m_mef_response resp;
    char peer[64];
};

static void send_response(struct m2m_coap_exchange *x, struct m2m_mef_response *r)
{
    m2m_coap_reply(x, r->http_status, r->rsc, r->body, r->close);
}

static void on_written(void *arg, int rc, const struct m2m_error *err)
{
    struct coap_pending *p = arg;

    if (rc != 0) {
        log_msg(LOG_ERROR, "%s: not committed: %s", p->peer, err->msg);
        m2m_coap_reply_error(p->x, 500, M2M_RSC_INTERNAL_SERVER_ERROR,
                             "the request could not be recorded; retry");
    } else {
        log_msg(LOG_INFO, "%s: %s", p->peer, p->resp.log);
        send_response(p->x, &p->resp);
    }
    m2m_mef_response_clear(&p->resp);
    free(p);
}

/* Runs on the writer thread: only the write is touched there. */
static int apply_pending(void *arg, struct m2m_store *store, struct m2m_error *err)
{
    struct coap_pending *p = arg;

    return m2m_mef_write_apply(p->resp.write, store, err);
}

static void on_request(void *arg, struct m2m_coap_exchange *x)
{
    struct mef_coap *m = arg;
    struct m2m_mef_session sess;
    struct m2m_mef_request req;
    struct coap_pending *p = calloc(1, sizeof(*p));
    struct m2m_error err;

    if (p == NULL) {
        m2m_coap_reply_error(x, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    memset(&req, 0, sizeof(req));
    req.method = m2m_coap_method(x);
    req.path = m2m_coap_path(x);
    req.origin = m2m_coap_origin(x);
    req.body = m2m_coap_body(x, &req.body_len);
    req.session = service_mef_session(m2m_coap_ssl(x), &sess) == 0 ? &sess : NULL;
    m2m_mef_handle(m->a.mef, m->a.store, &req, &p->resp);
    m2m_wipe(&sess, sizeof(sess));
    p->x = x;
    snprintf(p->peer, sizeof(p->peer), "%s", m2m_coap_peer(x));
    if (p->resp.write != NULL && p->resp.wait_for_write) {
        /* DESIGN.md section 4: durable before the answer; on_written answers. */
        if (m2m_writer_submit(m->a.writer, m->a.base, apply_pending, on_written, p, &err) == 0)
            return;
        log_msg(LOG_ERROR, "writer: %s", err.msg);
        m2m_coap_reply_error(x, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "store unavailable");
        m2m_mef_response_clear(&p->resp);
        free(p);
        return;
    }
    log_msg(p->resp.http_status >= 400 ? LOG_WARN : LOG_INFO, "%s coaps %s %s: %s", p->peer,
            req.method, req.path, p->resp.log);
    send_response(x, &p->resp);
    /* A refusal's audit row is committed after the answer. */
    if (p->resp.write != NULL &&
        m2m_writer_submit(m->a.writer, m->a.base, m2m_mef_write_apply, service_mef_audit_written,
                          p->resp.write, &err) == 0)
        p->resp.write = NULL;
    m2m_mef_response_clear(&p->resp);
    free(p);
}

struct mef_coap *mef_coap_new(const struct mef_coap_args *a, int reuseport, struct m2m_error *err)
{
    struct mef_coap *m = calloc(1, sizeof(*m));
    struct coap_listener_args la;
    const struct daemon_conf *c = a->conf;

    if (m == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "CoAPS listener");
        return NULL;
    }
    m->a = *a;
    memset(&la, 0, sizeof(la));
    la.role = "mef";
    la.listen = &c->mef.coaps;
    la.tls = a->tls;
    if (c->mef.psk) {
        la.psk_fn = m2m_mef_psk_lookup;
        la.psk_arg = a->store;
    }
    la.handler = on_request;
    la.handler_arg = m;
    if (coap_listener_open(&m->l, a->base, c, &la, reuseport, err) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

int mef_coap_set_tls(struct mef_coap *m, struct m2m_tls_config *tls, struct m2m_error *err)
{
    return m != NULL ? coap_listener_set_tls(&m->l, tls, err) : 0;
}

void mef_coap_drain(struct mef_coap *m)
{
    if (m != NULL)
        coap_listener_drain(&m->l);
}

int mef_coap_pending(const struct mef_coap *m)
{
    return m != NULL ? coap_listener_pending(&m->l) : 0;
}

void mef_coap_describe(const struct mef_coap *m, char *buf, size_t bufsz)
{
    if (m != NULL)
        coap_listener_describe(&m->l, &m->a.conf->mef.coaps, buf, bufsz);
    else if (bufsz > 0)
        buf[0] = '\0';
}

void mef_coap_free(struct mef_coap *m)
{
    if (m == NULL)
        return;
    coap_listener_close(&m->l);
    free(m);
}
