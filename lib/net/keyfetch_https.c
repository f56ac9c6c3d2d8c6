/* The MEF fetch of an Enrolment Target over HTTPS (TS-0003 V3 8.3.1.2 step 3; DESIGN.md
 * section 4): mutual TLS, the target proving its own certificate and the MEF its FQDN
 * certificate, one session per fetch. It lives in the net layer because the role layer's
 * single flight (lib/role/keyfetch.c) must not depend on a transport. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/keyfetch.h>
#include <m2msec/net.h>

#include "core/safety.h"

int m2m_keyfetch_https(void *arg, const char *mef_fqdn, const char *mef_url, const char *keid,
                       unsigned suid, const char *ua, const char *origin, int timeout_ms,
                       struct m2m_fetch_response *out, struct m2m_error *err)
{
    struct m2m_https_client *c = NULL;
    char path[3 * M2M_STORE_KEYID_MAX + 40], reason[200];
    char *body = NULL;
    int status = 0, rsc = 0, rc = -1;

    M2M_ENSURE_ARG(arg != NULL && mef_fqdn != NULL && mef_url != NULL && keid != NULL &&
                   out != NULL);
    M2M_GUARD(m2m_fetch_path_format(keid, suid, ua, path, sizeof(path), err));
    /* The MEF must prove its FQDN (the name sent as SNI) with a certificate chaining to the
     * configured anchors: a client config without a peer expects exactly that. */
    M2M_GUARD_PTR(c = m2m_https_client_new(arg, mef_url, mef_fqdn, err));
    if (timeout_ms > 0)
        m2m_https_client_set_timeout_ms(c, timeout_ms);
    M2M_GUARD(m2m_https_client_request(c, "GET", path, origin, NULL, &status, &rsc, &body, err));
    if (status != 200) {
        m2m_error_body_decode(body, strlen(body), reason, sizeof(reason));
        M2M_BAIL(M2M_E_TLS_PSK_UNKNOWN, "MEF %s refused (HTTP %d, RSC %d): %s", mef_fqdn, status,
                 rsc, reason[0] ? reason : "no reason given");
    }
    M2M_GUARD(m2m_fetch_response_decode(body, strlen(body), out, err));
    rc = 0;
out:
    if (body != NULL) {
        m2m_wipe(body, strlen(body)); /* it carried the key, base64 */
        free(body);
    }
    m2m_https_client_free(c);
    return rc;
}

struct m2m_keyfetch *m2m_keyfetch_new(const struct m2m_keyfetch_config *cfg, struct m2m_error *err)
{
    if (cfg == NULL || cfg->tls == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "the MEF fetch needs a TLS configuration");
        return NULL;
    }
    /* No fixed argument: each fetch gets the key fetch's current TLS configuration, so a
     * reload (m2m_keyfetch_set_tls) applies to the next fetch. */
    return m2m_keyfetch_new_with(cfg, m2m_keyfetch_https, NULL, err);
}
