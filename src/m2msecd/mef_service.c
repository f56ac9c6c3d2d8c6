/* The MEF role on HTTPS: the transport side of lib/role/mef (what the TLS session proved,
 * its exporter) and the durable-write hand-off to the writer thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/bsf.h>
#include <m2msec/mef.h>
#include <m2msec/net.h>
#include <m2msec/pki.h>
#include <m2msec/tls.h>

#include "log.h"
#include "mef_coap.h"
#include "service.h"
#include "service_util.h"

struct mef_service {
    struct event_base *base;
    const struct daemon_conf *conf;
    struct m2m_mef *mef;
    struct m2m_store *store; /* this loop's read connection */
    struct m2m_writer *writer;
    struct m2m_credential *cred;
    struct m2m_tls_config *tlscfg;
    struct m2m_tls_ctx *tls;
    struct m2m_https_server *https;
    /* GBA Ub (docs/gba.md): its own listener, the MEF's certificate, no client certificate. */
    struct m2m_tls_config *ub_tlscfg;
    struct m2m_tls_ctx *ub_tls;
    struct m2m_https_server *ub;
    struct mef_coap *coap; /* the same resources over CoAPS (mef_coap.c) */
};

/* A request waiting for its durable write. */
struct pending {
    struct mef_service *svc;
    struct m2m_https_exchange *x;
    struct m2m_mef_response resp;
};

/* The TLS configuration: the MEF's FQDN certificate, every (trust set, flavour) class of
 * client it accepts, and PSK sessions looked up in the store. */
static struct m2m_tls_config *build_tls_config(struct mef_service *s, struct m2m_error *err)
{
    const struct daemon_conf *c = s->conf;
    struct m2m_tls_config *cfg = m2m_tls_config_new(err);

    if (cfg == NULL)
        return NULL;
    m2m_tls_config_set_credential(cfg, s->cred);
    if (service_add_peer_classes(cfg, c, c->mef.trust, c->mef.n_trust, err) != 0)
        goto fail;
    if (c->mef.psk)
        m2m_tls_config_set_psk_server(cfg, m2m_mef_psk_lookup, s->store);
    m2m_tls_config_set_timeout_ms(cfg, c->timeout_ms);
    return cfg;
fail:
    m2m_tls_config_free(cfg);
    return NULL;
}

static void send_response(struct m2m_https_exchange *x, struct m2m_mef_response *r)
{
    const struct m2m_http_header h = {"WWW-Authenticate", r->www_authenticate};

    m2m_https_reply_headers(x, r->http_status, r->rsc, r->body, r->close, &h,
                            r->www_authenticate != NULL ? 1 : 0);
}

static void on_written(void *arg, int rc, const struct m2m_error *err)
{
    struct pending *p = arg;

    if (rc != 0) {
        log_msg(LOG_ERROR, "%s: not committed: %s", m2m_https_peer(p->x), err->msg);
        m2m_https_reply_error(p->x, 500, M2M_RSC_INTERNAL_SERVER_ERROR,
                              "the request could not be recorded; retry");
    } else {
        log_msg(LOG_INFO, "%s: %s", m2m_https_peer(p->x), p->resp.log);
        send_response(p->x, &p->resp);
    }
    m2m_mef_response_clear(&p->resp);
    free(p);
}

/* Runs on the writer thread: only the write is touched there. */
static int apply_pending(void *arg, struct m2m_store *store, struct m2m_error *err)
{
    struct pending *p = arg;

    return m2m_mef_write_apply(p->resp.write, store, err);
}

/* One request on either listener: the mutual-TLS one (ub false) or the Ub one. */
static void serve(struct mef_service *s, struct m2m_https_exchange *x, bool ub)
{
    struct m2m_mef_session sess;
    struct m2m_mef_request req;
    struct pending *p = calloc(1, sizeof(*p));
    struct m2m_error err;

    if (p == NULL) {
        m2m_https_reply_error(x, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    memset(&req, 0, sizeof(req));
    req.method = m2m_https_method(x);
    req.path = m2m_https_path(x);
    req.origin = m2m_https_header(x, M2M_HDR_ORIGIN);
    req.query = m2m_https_query(x);
    req.body = m2m_https_body(x, &req.body_len);
    if (ub) {
        req.authorization = m2m_https_header(x, "Authorization");
        memset(&sess, 0, sizeof(sess));
        m2m_bsf_handle(s->mef, s->store, &req, &p->resp);
    } else {
        req.session = service_mef_session(m2m_https_ssl(x), &sess) == 0 ? &sess : NULL;
        m2m_mef_handle(s->mef, s->store, &req, &p->resp);
    }
    m2m_wipe(&sess, sizeof(sess));
    p->svc = s;
    p->x = x;
    if (p->resp.write != NULL && p->resp.wait_for_write) {
        /* DESIGN.md section 4: durable before the answer; on_written answers. */
        if (m2m_writer_submit(s->writer, s->base, apply_pending, on_written, p, &err) == 0)
            return;
        log_msg(LOG_ERROR, "writer: %s", err.msg);
        m2m_https_reply_error(x, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "store unavailable");
        m2m_mef_response_clear(&p->resp);
        free(p);
        return;
    }
    log_msg(p->resp.http_status >= 400 ? LOG_WARN : LOG_INFO, "%s %s %s: %s", m2m_https_peer(x),
            req.method, req.path, p->resp.log);
    send_response(x, &p->resp);
    /* A refusal's audit row is committed after the answer. */
    if (p->resp.write != NULL &&
        m2m_writer_submit(s->writer, s->base, m2m_mef_write_apply, service_mef_audit_written,
                          p->resp.write, &err) == 0)
        p->resp.write = NULL;
    m2m_mef_response_clear(&p->resp);
    free(p);
}

static void on_request(void *arg, struct m2m_https_exchange *x)
{
    serve(arg, x, false);
}

static void on_ub_request(void *arg, struct m2m_https_exchange *x)
{
    serve(arg, x, true);
}

/* Ub authenticates the BSF only (TS 33.220 4.5.2, TS 24.109 5.2): the enrolee has a USIM,
 * no certificate, so this context asks for none and offers no PSK. */
static int build_ub(struct mef_service *s, int reuseport, struct m2m_error *err)
{
    struct m2m_https_config hc;

    if (!s->conf->mef.gba)
        return 0;
    if ((s->ub_tlscfg = m2m_tls_config_new(err)) == NULL)
        return -1;
    m2m_tls_config_set_credential(s->ub_tlscfg, s->cred);
    m2m_tls_config_set_timeout_ms(s->ub_tlscfg, s->conf->timeout_ms);
    if ((s->ub_tls = m2m_tls_ctx_new(s->ub_tlscfg, M2M_TLS_SERVER, M2M_TRANSPORT_TLS, err)) == NULL)
        return -1;
    service_https_config(&hc, s->conf, &s->conf->mef.gba_listen, reuseport, s->ub_tls,
                         on_ub_request, s);
    s->ub = m2m_https_server_new(s->base, &hc, err);
    return s->ub != NULL ? 0 : -1;
}

static int build_tls(struct mef_service *s, struct m2m_error *err)
{
    return service_install_tls(build_tls_config(s, err), s->https, &s->tls, &s->tlscfg, err);
}

static struct m2m_mef *build_mef(const struct daemon_conf *c, struct m2m_error *err)
{
    struct m2m_mef_config mc;

    memset(&mc, 0, sizeof(mc));
    snprintf(mc.fqdn, sizeof(mc.fqdn), "%s", c->mef.fqdn);
    snprintf(mc.sp_id, sizeof(mc.sp_id), "%s", c->mef.sp_id);
    snprintf(mc.in_cse_id, sizeof(mc.in_cse_id), "%s", c->mef.in_cse_id);
    mc.default_ke_lifetime = c->mef.ke_lifetime;
    mc.root_credential_lifetime = c->mef.root_credential_lifetime;
    mc.gba_challenge_lifetime = c->mef.gba_challenge_lifetime;
    return m2m_mef_new(&mc, err);
}

static void mef_service_free(struct mef_service *s);

static struct mef_service *mef_service_new(struct event_base *base, const struct daemon_conf *conf,
                                           const struct m2m_secret *kek, int reuseport,
                                           char *errbuf, size_t errsz)
{
    struct mef_service *s = calloc(1, sizeof(*s));
    struct m2m_https_config hc;
    struct m2m_error err;

    if (s == NULL) {
        snprintf(errbuf, errsz, "out of memory");
        return NULL;
    }
    s->base = base;
    s->conf = conf;
    m2m_error_clear(&err);
    if ((s->mef = build_mef(conf, &err)) == NULL ||
        (s->store = m2m_store_open(conf->store, kek, &err)) == NULL ||
        (s->writer = m2m_writer_new(conf->store, kek, &err)) == NULL ||
        (s->cred = m2m_credential_load(conf->mef.key, conf->mef.cert,
                                       conf->mef.chain[0] ? conf->mef.chain : NULL, &err)) ==
            NULL ||
        build_tls(s, &err) != 0)
        goto fail;
    m2m_writer_set_commit_delay_us(s->writer, conf->commit_delay_us);
    service_https_config(&hc, conf, &conf->mef.listen, reuseport, s->tls, on_request, s);
    if ((s->https = m2m_https_server_new(base, &hc, &err)) == NULL ||
        build_ub(s, reuseport, &err) != 0 ||
        (s->coap = mef_coap_new(
             &(struct mef_coap_args){base, conf, s->mef, s->store, s->writer, s->tlscfg}, reuseport,
             &err)) == NULL)
        goto fail;
    return s;
fail:
    snprintf(errbuf, errsz, "mef: %s", err.msg);
    mef_service_free(s);
    return NULL;
}

static int mef_reload(void *svc, char *errbuf, size_t errsz)
{
    struct mef_service *s = svc;
    struct m2m_error err;

    if (build_tls(s, &err) != 0 || mef_coap_set_tls(s->coap, s->tlscfg, &err) != 0) {
        snprintf(errbuf, errsz, "mef reload: %s (keeping the previous anchors)", err.msg);
        return -1;
    }
    return 0;
}

static void mef_drain(void *svc)
{
    struct mef_service *s = svc;

    m2m_https_server_stop_accepting(s->https);
    m2m_https_server_stop_accepting(s->ub);
    mef_coap_drain(s->coap);
}

static int mef_connections(void *svc)
{
    struct mef_service *s = svc;

    return m2m_https_server_connections(s->https) +
           (s->ub != NULL ? m2m_https_server_connections(s->ub) : 0) + mef_coap_pending(s->coap);
}

static void mef_describe(void *svc, char *buf, size_t bufsz)
{
    struct mef_service *s = svc;
    char coap[96];
    int n;

    mef_coap_describe(s->coap, coap, sizeof(coap));
    n = snprintf(buf, bufsz, "mef %s listening on %s:%u%s", s->conf->mef.fqdn,
                 s->conf->mef.listen.address, m2m_https_server_port(s->https), coap);
    if (s->ub != NULL && n > 0 && (size_t)n < bufsz)
        snprintf(buf + n, bufsz - (size_t)n, ", GBA Ub on %s:%u", s->conf->mef.gba_listen.address,
                 m2m_https_server_port(s->ub));
}

static void mef_service_free(struct mef_service *s)
{
    if (s == NULL)
        return;
    m2m_https_server_free(s->https);
    m2m_https_server_free(s->ub);
    mef_coap_free(s->coap);
    m2m_writer_free(s->writer); /* finishes queued writes first */
    m2m_tls_ctx_free(s->ub_tls);
    m2m_tls_config_free(s->ub_tlscfg);
    m2m_tls_ctx_free(s->tls);
    m2m_tls_config_free(s->tlscfg);
    m2m_credential_free(s->cred);
    m2m_store_close(s->store);
    m2m_mef_free(s->mef);
    free(s);
}

static bool mef_enabled(const struct daemon_conf *conf)
{
    return conf->mef.enabled;
}

static void *mef_create(struct event_base *base, const struct daemon_conf *conf,
                        const struct m2m_secret *kek, int reuseport, char *errbuf, size_t errsz)
{
    return mef_service_new(base, conf, kek, reuseport, errbuf, errsz);
}

static void mef_destroy(void *svc)
{
    mef_service_free(svc);
}

const struct service_ops mef_service_ops = {
    .name = "mef",
    .enabled = mef_enabled,
    .create = mef_create,
    .reload = mef_reload,
    .drain = mef_drain,
    .connections = mef_connections,
    .describe = mef_describe,
    .destroy = mef_destroy,
};
