/* The Briefing Node role on HTTPS (SPEC.md section 7, DESIGN.md section 4): mutual TLS with
 * the node's certificate, checked against the named trust sets the role accepts
 * (manufacturer device roots per vertical, enterprise node roots per enterprise: SPEC.md
 * section 6), and the operator's rules, swapped whole on SIGHUP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <m2msec/bbn.h>
#include <m2msec/net.h>
#include <m2msec/pki.h>
#include <m2msec/tls.h>

#include "bbn_coap.h"
#include "log.h"
#include "service.h"
#include "service_util.h"

struct bbn_service {
    const struct daemon_conf *conf;
    struct m2m_bbn_rules *rules;
    struct m2m_credential *cred;
    struct m2m_tls_config *tlscfg;
    struct m2m_tls_ctx *tls;
    struct m2m_https_server *https;
    struct bbn_coap *coap; /* the same briefing over CoAPS (bbn_coap.c) */
};

/* Every (trust set, flavour) class of node the role accepts; no PSK: a briefing needs a
 * certificate, so a client without one fails the handshake. */
static struct m2m_tls_config *build_tls_config(struct bbn_service *s, struct m2m_error *err)
{
    const struct daemon_conf *c = s->conf;
    struct m2m_tls_config *cfg = m2m_tls_config_new(err);

    if (cfg == NULL)
        return NULL;
    m2m_tls_config_set_credential(cfg, s->cred);
    if (service_add_peer_classes(cfg, c, c->bbn.trust, c->bbn.n_trust, err) != 0)
        goto fail;
    m2m_tls_config_set_timeout_ms(cfg, c->timeout_ms);
    return cfg;
fail:
    m2m_tls_config_free(cfg);
    return NULL;
}

static int build_tls(struct bbn_service *s, struct m2m_error *err)
{
    return service_install_tls(build_tls_config(s, err), s->https, &s->tls, &s->tlscfg, err);
}

static void on_request(void *arg, struct m2m_https_exchange *x)
{
    struct bbn_service *s = arg;
    struct m2m_bbn_response resp;
    struct m2m_verified v;
    SSL *ssl = m2m_https_ssl(x);
    const char *body;
    size_t len = 0;
    int peer_ok;

    peer_ok = ssl != NULL && m2m_tls_peer(ssl, &v) == 0 && m2m_tls_is_psk(ssl) != 1;
    body = m2m_https_body(x, &len);
    m2m_bbn_handle(s->rules, m2m_https_method(x), m2m_https_path(x), body, len, peer_ok ? &v : NULL,
                   time(NULL), &resp);
    log_msg(resp.http_status >= 400 ? LOG_WARN : LOG_INFO, "%s %s %s: %s", m2m_https_peer(x),
            m2m_https_method(x), m2m_https_path(x), resp.log);
    m2m_https_reply(x, resp.http_status, resp.rsc, resp.body, false);
    m2m_bbn_response_clear(&resp);
}

static void bbn_service_free(struct bbn_service *s)
{
    if (s == NULL)
        return;
    m2m_https_server_free(s->https);
    bbn_coap_free(s->coap);
    m2m_tls_ctx_free(s->tls);
    m2m_tls_config_free(s->tlscfg);
    m2m_credential_free(s->cred);
    m2m_bbn_rules_free(s->rules);
    free(s);
}

static void *bbn_create(struct event_base *base, const struct daemon_conf *conf,
                        const struct m2m_secret *kek, int reuseport, char *errbuf, size_t errsz)
{
    struct bbn_service *s = calloc(1, sizeof(*s));
    const struct bbn_conf *b = &conf->bbn;
    struct m2m_https_config hc;
    struct m2m_error err;

    (void)kek; /* the Briefing Node keeps no secrets at rest */
    if (s == NULL) {
        snprintf(errbuf, errsz, "bbn: out of memory");
        return NULL;
    }
    s->conf = conf;
    m2m_error_clear(&err);
    if ((s->rules = bbn_rules_load(b->rules, errbuf, errsz)) == NULL) {
        bbn_service_free(s);
        return NULL;
    }
    if ((s->cred = m2m_credential_load(b->key, b->cert, b->chain[0] ? b->chain : NULL, &err)) ==
            NULL ||
        build_tls(s, &err) != 0)
        goto fail;
    service_https_config(&hc, conf, &b->listen, reuseport, s->tls, on_request, s);
    if ((s->https = m2m_https_server_new(base, &hc, &err)) == NULL ||
        (s->coap = bbn_coap_new(base, conf, &s->rules, s->tlscfg, reuseport, &err)) == NULL)
        goto fail;
    return s;
fail:
    snprintf(errbuf, errsz, "bbn: %s", err.msg);
    bbn_service_free(s);
    return NULL;
}

/* SIGHUP: new rules and anchors for new requests; a broken rule file keeps the old rules
 * (and the old anchors, so that the two stay consistent). */
static int bbn_reload(void *svc, char *errbuf, size_t errsz)
{
    struct bbn_service *s = svc;
    struct m2m_bbn_rules *rules;
    struct m2m_error err;
    char why[512];

    if ((rules = bbn_rules_load(s->conf->bbn.rules, why, sizeof(why))) == NULL) {
        snprintf(errbuf, errsz, "bbn reload: %s (keeping the previous rules)", why);
        return -1;
    }
    if (build_tls(s, &err) != 0 || bbn_coap_set_tls(s->coap, s->tlscfg, &err) != 0) {
        m2m_bbn_rules_free(rules);
        snprintf(errbuf, errsz, "bbn reload: %s (keeping the previous rules and anchors)", err.msg);
        return -1;
    }
    m2m_bbn_rules_free(s->rules);
    s->rules = rules;
    return 0;
}

static void bbn_drain(void *svc)
{
    m2m_https_server_stop_accepting(((struct bbn_service *)svc)->https);
    bbn_coap_drain(((struct bbn_service *)svc)->coap);
}

static int bbn_connections(void *svc)
{
    return m2m_https_server_connections(((struct bbn_service *)svc)->https);
}

static void bbn_describe(void *svc, char *buf, size_t bufsz)
{
    struct bbn_service *s = svc;
    char coap[96];

    bbn_coap_describe(s->coap, coap, sizeof(coap));
    snprintf(buf, bufsz, "bbn %s listening on %s:%u%s with %zu rule(s) from %s", s->conf->bbn.fqdn,
             s->conf->bbn.listen.address, m2m_https_server_port(s->https), coap,
             m2m_bbn_rules_count(s->rules), s->conf->bbn.rules);
}

static bool bbn_enabled(const struct daemon_conf *conf)
{
    return conf->bbn.enabled;
}

static void bbn_destroy(void *svc)
{
    bbn_service_free(svc);
}

const struct service_ops bbn_service_ops = {
    .name = "bbn",
    .enabled = bbn_enabled,
    .create = bbn_create,
    .reload = bbn_reload,
    .drain = bbn_drain,
    .connections = bbn_connections,
    .describe = bbn_describe,
    .destroy = bbn_destroy,
};
