#include <stdio.h>
#include <string.h>

#include "log.h"
#include "service_util.h"

struct m2m_trust *service_load_trust(const struct trust_conf *tc, struct m2m_error *err)
{
    struct m2m_trust *t = m2m_trust_new(err);

    if (t == NULL)
        return NULL;
    /* The set's name is reported by verifications: rules and policies match on it. */
    if (m2m_trust_set_name(t, tc->name, err) != 0 ||
        m2m_trust_add_anchors(t, tc->anchors, err) != 0 ||
        (tc->crls[0] && m2m_trust_add_crls(t, tc->crls, err) != 0) ||
        (tc->device_arc[0] && m2m_trust_set_device_arc(t, tc->device_arc, err) != 0)) {
        m2m_trust_free(t);
        return NULL;
    }
    if (tc->relax_profile)
        m2m_trust_insecure_relax_profile(t);
    return t;
}

static int named(const char (*names)[M2M_TRUST_NAME_MAX], size_t n, const char *name)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

int service_add_peer_classes(struct m2m_tls_config *cfg, const struct daemon_conf *c,
                             const char (*names)[M2M_TRUST_NAME_MAX], size_t n_names,
                             struct m2m_error *err)
{
    for (size_t i = 0; i < c->n_trust; i++) {
        struct m2m_trust *t;
        int bad = 0;

        if (!named(names, n_names, c->trust[i].name))
            continue;
        if ((t = service_load_trust(&c->trust[i], err)) == NULL)
            return -1;
        for (size_t f = 0; !bad && f < c->trust[i].n_flavours; f++)
            bad = m2m_tls_config_add_peer(cfg, t, c->trust[i].flavours[f], NULL, err) != 0;
        m2m_trust_free(t);
        if (bad)
            return -1;
    }
    return 0;
}

int service_install_tls(struct m2m_tls_config *cfg, struct m2m_https_server *srv,
                        struct m2m_tls_ctx **tls, struct m2m_tls_config **tlscfg,
                        struct m2m_error *err)
{
    struct m2m_tls_ctx *ctx;

    if (cfg == NULL)
        return -1;
    if ((ctx = m2m_tls_ctx_new(cfg, M2M_TLS_SERVER, M2M_TRANSPORT_TLS, err)) == NULL) {
        m2m_tls_config_free(cfg);
        return -1;
    }
    if (srv != NULL)
        m2m_https_server_set_tls(srv, ctx);
    /* Connections already open hold their own reference to the old SSL_CTX. */
    m2m_tls_ctx_free(*tls);
    m2m_tls_config_free(*tlscfg);
    *tls = ctx;
    *tlscfg = cfg;
    return 0;
}

void service_https_config(struct m2m_https_config *hc, const struct daemon_conf *c,
                          const struct listen_conf *l, int reuseport, struct m2m_tls_ctx *tls,
                          m2m_https_handler handler, void *arg)
{
    memset(hc, 0, sizeof(*hc));
    hc->address = l->address;
    hc->port = l->port;
    hc->reuseport = reuseport;
    hc->fd = -1;
    hc->tls = tls;
    hc->timeout_ms = c->timeout_ms;
    hc->max_body = c->max_body;
    hc->max_connections = c->max_connections;
    hc->handler = handler;
    hc->handler_arg = arg;
}

static int export_cb(void *ctx, const char *label, unsigned char *out, size_t len,
                     struct m2m_error *err)
{
    return m2m_tls_export(ctx, label, out, len, err);
}

int service_mef_session(SSL *ssl, struct m2m_mef_session *sess)
{
    struct m2m_verified v;

    memset(sess, 0, sizeof(*sess));
    if (ssl == NULL || m2m_tls_peer(ssl, &v) != 0)
        return -1;
    sess->is_psk = m2m_tls_is_psk(ssl) == 1;
    if (sess->is_psk)
        snprintf(sess->psk_identity, sizeof(sess->psk_identity), "%s", v.identity);
    else
        sess->cert = v;
    sess->exporter = export_cb;
    sess->exporter_ctx = ssl;
    return 0;
}

int service_maf_session(SSL *ssl, struct m2m_maf_session *sess)
{
    struct m2m_verified v;

    memset(sess, 0, sizeof(*sess));
    if (ssl == NULL || m2m_tls_peer(ssl, &v) != 0)
        return -1;
    sess->is_psk = m2m_tls_is_psk(ssl) == 1;
    snprintf(sess->psk_identity, sizeof(sess->psk_identity), "%s", v.identity);
    return 0;
}

void service_mef_audit_written(void *arg, int rc, const struct m2m_error *err)
{
    struct m2m_mef_write *w = arg;

    if (rc != 0)
        log_msg(LOG_ERROR, "audit row not committed: %s", err->msg);
    m2m_mef_write_free(w);
}
