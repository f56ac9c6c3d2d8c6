/* m2m_tls_config: what a TLS endpoint presents and accepts. Shared between contexts by
 * reference count, in the manner of libtls's tls_config. */
#include <stdlib.h>
#include <string.h>

#include "core/safety.h"
#include "tls/tls_internal.h"

struct m2m_tls_config *m2m_tls_config_new(struct m2m_error *err)
{
    struct m2m_tls_config *cfg = calloc(1, sizeof(*cfg));

    if (cfg == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "tls config");
        return NULL;
    }
    atomic_init(&cfg->refs, 1);
    cfg->peer_flavour = M2M_FLAVOUR_NONE;
    cfg->timeout_ms = M2M_TLS_DEFAULT_TIMEOUT_MS;
    return cfg;
}

void m2m_tls_config_up_ref(struct m2m_tls_config *cfg)
{
    if (cfg != NULL)
        atomic_fetch_add(&cfg->refs, 1);
}

void m2m_tls_config_free(struct m2m_tls_config *cfg)
{
    if (cfg == NULL || atomic_fetch_sub(&cfg->refs, 1) != 1)
        return;
    m2m_credential_free(cfg->cred);
    m2m_trust_free(cfg->trust);
    for (size_t i = 0; i < cfg->n_peers; i++) {
        m2m_trust_free(cfg->peers[i].trust);
        free(cfg->peers[i].expected);
    }
    free(cfg->peers);
    free(cfg->peer_expected);
    free(cfg->psk_identity);
    m2m_secret_free(cfg->psk_key);
    free(cfg);
}

void m2m_tls_config_set_credential(struct m2m_tls_config *cfg, struct m2m_credential *cred)
{
    if (cfg == NULL)
        return;
    if (cred != NULL)
        m2m_credential_up_ref(cred);
    m2m_credential_free(cfg->cred);
    cfg->cred = cred;
}

void m2m_tls_config_set_trust(struct m2m_tls_config *cfg, struct m2m_trust *trust)
{
    if (cfg == NULL)
        return;
    if (trust != NULL)
        m2m_trust_up_ref(trust);
    m2m_trust_free(cfg->trust);
    cfg->trust = trust;
}

int m2m_tls_config_set_peer(struct m2m_tls_config *cfg, enum m2m_flavour flavour,
                            const char *expected, struct m2m_error *err)
{
    int rc = -1;
    char *copy = NULL;

    M2M_ENSURE_ARG(cfg != NULL);
    M2M_ENSURE_ARG(flavour > M2M_FLAVOUR_NONE && flavour < M2M_FLAVOUR__COUNT);
    M2M_ENSURE(expected == NULL || expected[0] != '\0', M2M_E_INVALID_ARG,
               "empty expected peer identity");
    if (expected != NULL) {
        copy = strdup(expected);
        M2M_ENSURE(copy != NULL, M2M_E_NOMEM, "peer identity");
    }
    free(cfg->peer_expected);
    cfg->peer_expected = copy;
    cfg->peer_flavour = flavour;
    rc = 0;
out:
    return rc;
}

int m2m_tls_config_add_peer(struct m2m_tls_config *cfg, struct m2m_trust *trust,
                            enum m2m_flavour flavour, const char *expected, struct m2m_error *err)
{
    struct tls_peer_class *grown;
    char *copy = NULL;
    int rc = -1;

    M2M_ENSURE_ARG(cfg != NULL && trust != NULL);
    M2M_ENSURE_ARG(flavour > M2M_FLAVOUR_NONE && flavour < M2M_FLAVOUR__COUNT);
    M2M_ENSURE(expected == NULL || expected[0] != '\0', M2M_E_INVALID_ARG,
               "empty expected peer identity");
    if (expected != NULL) {
        copy = strdup(expected);
        M2M_ENSURE(copy != NULL, M2M_E_NOMEM, "peer identity");
    }
    grown = realloc(cfg->peers, (cfg->n_peers + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(copy);
        M2M_BAIL(M2M_E_NOMEM, "peer classes");
    }
    cfg->peers = grown;
    m2m_trust_up_ref(trust);
    cfg->peers[cfg->n_peers++] = (struct tls_peer_class){trust, flavour, copy};
    rc = 0;
out:
    return rc;
}

void m2m_tls_config_insecure_no_client_cert(struct m2m_tls_config *cfg)
{
    if (cfg != NULL)
        cfg->no_client_cert = 1;
}

/* RFC 4279 section 5.1: identities travel as UTF-8 text; we accept printable ASCII only,
 * which covers every oneM2M key identifier (hex, '@', FQDN). */
static int psk_identity_ok(const char *identity)
{
    size_t n = strlen(identity);

    if (n == 0 || n > M2M_TLS_PSK_IDENTITY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (identity[i] < 0x20 || identity[i] > 0x7e)
            return 0;
    return 1;
}

int m2m_tls_config_set_psk_client(struct m2m_tls_config *cfg, const char *identity,
                                  const struct m2m_secret *key, struct m2m_error *err)
{
    int rc = -1;
    char *id = NULL;
    struct m2m_secret *copy = NULL;

    M2M_ENSURE_ARG(cfg != NULL && identity != NULL && key != NULL);
    M2M_ENSURE(m2m_tls_psk_identity_ok(identity), M2M_E_INVALID_ARG,
               "PSK identity must be 1..%d printable characters", M2M_TLS_PSK_IDENTITY_MAX);
    M2M_ENSURE(m2m_secret_len(key) > 0 && m2m_secret_len(key) <= PSK_MAX_PSK_LEN, M2M_E_INVALID_ARG,
               "PSK must be 1..%d bytes", PSK_MAX_PSK_LEN);
    id = strdup(identity);
    M2M_ENSURE(id != NULL, M2M_E_NOMEM, "PSK identity");
    M2M_GUARD_PTR(copy = m2m_secret_from(m2m_secret_cdata(key), m2m_secret_len(key), err));
    free(cfg->psk_identity);
    m2m_secret_free(cfg->psk_key);
    cfg->psk_identity = id;
    cfg->psk_key = copy;
    id = NULL;
    rc = 0;
out:
    free(id);
    return rc;
}

void m2m_tls_config_set_psk_server(struct m2m_tls_config *cfg, m2m_psk_lookup_fn fn, void *arg)
{
    if (cfg == NULL)
        return;
    cfg->psk_fn = fn;
    cfg->psk_suite_fn = NULL;
    cfg->psk_arg = arg;
}

void m2m_tls_config_set_psk_server_suite(struct m2m_tls_config *cfg, m2m_psk_lookup_suite_fn fn,
                                         void *arg)
{
    if (cfg == NULL)
        return;
    cfg->psk_fn = NULL;
    cfg->psk_suite_fn = fn;
    cfg->psk_arg = arg;
}

const char *m2m_tls_psk_suite_name(uint16_t suite)
{
    switch (suite) {
    case M2M_TLS_PSK_AES128_GCM_SHA256:
        return "PSK-AES128-GCM-SHA256";
    case M2M_TLS_PSK_AES128_CBC_SHA256:
        return "PSK-AES128-CBC-SHA256";
    case M2M_TLS_PSK_AES128_CCM8:
        return "PSK-AES128-CCM8";
    default:
        return NULL;
    }
}

int m2m_tls_config_set_psk_suite(struct m2m_tls_config *cfg, uint16_t suite, struct m2m_error *err)
{
    const char *name = m2m_tls_psk_suite_name(suite);

    if (cfg == NULL || name == NULL)
        return m2m_error_set(err, M2M_E_INVALID_ARG, "PSK suite 0x%04x is not one of TS-0003's",
                             (unsigned)suite);
    cfg->psk_only_suite = name;
    return 0;
}

void m2m_tls_config_set_timeout_ms(struct m2m_tls_config *cfg, int ms)
{
    if (cfg != NULL && ms > 0)
        cfg->timeout_ms = ms;
}

int m2m_tls_psk_identity_ok(const char *identity)
{
    return identity != NULL && psk_identity_ok(identity);
}
