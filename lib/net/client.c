/* One client for either binding, chosen by the URL's scheme, so that an exchange written
 * once (enrolment, briefing, client registration) runs over HTTPS and over CoAPS. */
#include <stdlib.h>
#include <string.h>

#include <m2msec/coap.h>
#include <m2msec/net.h>

#include "core/safety.h"

struct m2m_client {
    struct m2m_https_client *https;
    struct m2m_coap_client *coap;
};

int m2m_client_url_is_coap(const char *url)
{
    if (url == NULL)
        return -1;
    if (strncmp(url, "coaps://", 8) == 0)
        return 1;
    return strncmp(url, "https://", 8) == 0 ? 0 : -1;
}

struct m2m_client *m2m_client_new(struct m2m_tls_config *cfg, const char *base_url,
                                  const char *server_name, struct m2m_error *err)
{
    struct m2m_client *c = NULL;
    int coap = m2m_client_url_is_coap(base_url), rc = -1;

    M2M_ENSURE(coap >= 0, M2M_E_INVALID_ARG, "'%s' is neither https:// nor coaps://",
               base_url ? base_url : "");
    M2M_ENSURE((c = calloc(1, sizeof(*c))) != NULL, M2M_E_NOMEM, "client");
    if (coap)
        M2M_GUARD_PTR(c->coap = m2m_coap_client_new(cfg, base_url, server_name, err));
    else
        M2M_GUARD_PTR(c->https = m2m_https_client_new(cfg, base_url, server_name, err));
    rc = 0;
out:
    if (rc != 0) {
        m2m_client_free(c);
        c = NULL;
    }
    return c;
}

void m2m_client_free(struct m2m_client *c)
{
    if (c == NULL)
        return;
    m2m_https_client_free(c->https);
    m2m_coap_client_free(c->coap);
    free(c);
}

void m2m_client_set_timeout_ms(struct m2m_client *c, int ms)
{
    if (c == NULL)
        return;
    if (c->coap != NULL)
        m2m_coap_client_set_timeout_ms(c->coap, ms);
    else
        m2m_https_client_set_timeout_ms(c->https, ms);
}

int m2m_client_request(struct m2m_client *c, const char *method, const char *path,
                       const char *origin, const char *body, int *status, int *rsc,
                       char **resp_body, struct m2m_error *err)
{
    if (c != NULL && c->coap != NULL)
        return m2m_coap_client_request(c->coap, method, path, origin, body, status, rsc, resp_body,
                                       err);
    return m2m_https_client_request(c != NULL ? c->https : NULL, method, path, origin, body, status,
                                    rsc, resp_body, err);
}

int m2m_client_export(struct m2m_client *c, const char *label, unsigned char *out, size_t len,
                      struct m2m_error *err)
{
    if (c != NULL && c->coap != NULL)
        return m2m_coap_client_export(c->coap, label, out, len, err);
    return m2m_https_client_export(c != NULL ? c->https : NULL, label, out, len, err);
}

int m2m_client_peer(const struct m2m_client *c, struct m2m_verified *out)
{
    if (c != NULL && c->coap != NULL)
        return m2m_coap_client_peer(c->coap, out);
    return c != NULL ? m2m_https_client_peer(c->https, out) : -1;
}
