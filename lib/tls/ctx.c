/* SSL_CTX construction with the TS-0003 profile (V3 10.2; SPEC.md section 5): TLS 1.2 or
 * DTLS 1.2 only, the oneM2M suites, X25519/P-256, no tickets, no renegotiation. */
#include <stdio.h>
#include <stdlib.h>

#include "core/safety.h"
#include "tls/tls_internal.h"

/* TS-0003 V3 10.2 (SPEC.md 5): ECDHE-ECDSA-AES128-SHA256 (TLS) and -CCM8 (DTLS) are required; GCM
 * comes first because both ends are cheaper with it when both offer it. */
static const char cert_suites[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-CCM8";
/* TS-0003 V3 10.2 (SPEC.md 5): PSK-AES128-CBC-SHA256 (TLS) and PSK-AES128-CCM8 (DTLS). */
static const char psk_suites[] = "PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256:PSK-AES128-CCM8";

/* X25519 first: measurably cheaper for the server than P-256 (DESIGN.md section 6). */
const char m2m_tls_groups[] = "X25519:P-256";
/* The oneM2M certificate profile: ECDSA P-256 with SHA-256 (TS-0003 V3 10.1.1). */
const char m2m_tls_sigalgs[] = "ECDSA+SHA256";

static int wants_cert_suites(const struct m2m_tls_config *cfg, enum m2m_tls_role role)
{
    return role == M2M_TLS_CLIENT ? (cfg->trust != NULL || cfg->n_peers > 0) : cfg->cred != NULL;
}

static int wants_psk_suites(const struct m2m_tls_config *cfg, enum m2m_tls_role role)
{
    return role == M2M_TLS_CLIENT ? cfg->psk_identity != NULL
                                  : (cfg->psk_fn != NULL || cfg->psk_suite_fn != NULL);
}

static int check_config(const struct m2m_tls_config *cfg, enum m2m_tls_role role,
                        struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE(wants_cert_suites(cfg, role) || wants_psk_suites(cfg, role), M2M_E_INVALID_ARG, "%s",
               role == M2M_TLS_CLIENT ? "client needs a trust set or a PSK"
                                      : "server needs a credential or a PSK lookup");
    M2M_ENSURE(role == M2M_TLS_CLIENT || cfg->trust == NULL ||
                   cfg->peer_flavour != M2M_FLAVOUR_NONE,
               M2M_E_INVALID_ARG, "server verifying clients needs the peer flavour");
    rc = 0;
out:
    return rc;
}

static int set_suites(SSL_CTX *sctx, const struct m2m_tls_config *cfg, enum m2m_tls_role role,
                      struct m2m_error *err)
{
    int rc = -1;
    char list[sizeof(cert_suites) + sizeof(psk_suites) + 1];
    int cert = wants_cert_suites(cfg, role), psk = wants_psk_suites(cfg, role);

    snprintf(list, sizeof(list), "%s%s%s", cert ? cert_suites : "", cert && psk ? ":" : "",
             psk ? (cfg->psk_only_suite != NULL ? cfg->psk_only_suite : psk_suites) : "");
    M2M_ENSURE_OSSL(SSL_CTX_set_cipher_list(sctx, list) == 1, M2M_E_TLS, "cipher list");
    M2M_ENSURE_OSSL(SSL_CTX_set1_groups_list(sctx, m2m_tls_groups) == 1, M2M_E_TLS, "groups");
    M2M_ENSURE_OSSL(SSL_CTX_set1_sigalgs_list(sctx, m2m_tls_sigalgs) == 1, M2M_E_TLS, "sigalgs");
    rc = 0;
out:
    return rc;
}

static int set_protocol(SSL_CTX *sctx, enum m2m_transport transport, struct m2m_error *err)
{
    int rc = -1;
    int v = transport == M2M_TRANSPORT_DTLS ? DTLS1_2_VERSION : TLS1_2_VERSION;

    /* TS-0003 V3 10.2: TLS 1.2 (RFC 5246) / DTLS 1.2 (RFC 6347), nothing older or newer. */
    M2M_ENSURE_OSSL(SSL_CTX_set_min_proto_version(sctx, v) == 1 &&
                        SSL_CTX_set_max_proto_version(sctx, v) == 1,
                    M2M_E_TLS, "protocol version");
    /* Tickets off: issuing one costs the server ~300 us per handshake (DESIGN.md 6).
     * Session caching off too: a resumed session skips our verification, so the peer's
     * identity would be unknown to m2m_tls_peer. */
    SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(sctx, SSL_MODE_RELEASE_BUFFERS);
    rc = 0;
out:
    return rc;
}

static int set_credential(SSL_CTX *sctx, const struct m2m_credential *cred, struct m2m_error *err)
{
    int rc = -1;
    STACK_OF(X509) *chain;

    if (cred == NULL)
        return 0;
    chain = m2m_credential_chain(cred);
    M2M_ENSURE_OSSL(SSL_CTX_use_certificate(sctx, m2m_credential_cert(cred)) == 1, M2M_E_TLS,
                    "certificate");
    M2M_ENSURE_OSSL(SSL_CTX_use_PrivateKey(sctx, m2m_credential_key(cred)) == 1, M2M_E_TLS,
                    "private key");
    M2M_ENSURE_OSSL(SSL_CTX_check_private_key(sctx) == 1, M2M_E_KEY_MISMATCH, "credential");
    if (chain != NULL)
        M2M_ENSURE_OSSL(SSL_CTX_set1_chain(sctx, chain) == 1, M2M_E_TLS, "chain");
    rc = 0;
out:
    return rc;
}

static int attach_state(SSL_CTX *sctx, struct m2m_tls_config *cfg, enum m2m_tls_role role,
                        enum m2m_transport transport, struct m2m_error *err)
{
    int rc = -1;
    struct tls_ctx_state *st = calloc(1, sizeof(*st));

    M2M_ENSURE(st != NULL, M2M_E_NOMEM, "tls context state");
    m2m_tls_config_up_ref(cfg);
    st->cfg = cfg;
    st->role = role;
    st->transport = transport;
    M2M_ENSURE(m2m_tls_ctx_state_attach(sctx, st) == 0, M2M_E_TLS,
               "SSL_CTX already configured or ex_data failure");
    st = NULL; /* owned by the SSL_CTX now */
    M2M_GUARD(m2m_tls_install_cookie(sctx, m2m_tls_ctx_state(sctx), err));
    rc = 0;
out:
    if (st != NULL) {
        m2m_tls_config_free(st->cfg);
        free(st);
    }
    return rc;
}

int m2m_tls_setup_ssl_ctx(SSL_CTX *sctx, struct m2m_tls_config *cfg, enum m2m_tls_role role,
                          enum m2m_transport transport, struct m2m_error *err)
{
    int rc = -1;
    const struct tls_ctx_state *st;

    M2M_ENSURE_ARG(sctx != NULL && cfg != NULL);
    M2M_ENSURE_ARG(role == M2M_TLS_CLIENT || role == M2M_TLS_SERVER);
    M2M_ENSURE_ARG(transport == M2M_TRANSPORT_TLS || transport == M2M_TRANSPORT_DTLS);
    M2M_GUARD(check_config(cfg, role, err));
    M2M_GUARD(set_protocol(sctx, transport, err));
    M2M_GUARD(set_suites(sctx, cfg, role, err));
    M2M_GUARD(set_credential(sctx, cfg->cred, err));
    M2M_GUARD(attach_state(sctx, cfg, role, transport, err));
    st = m2m_tls_ctx_state(sctx);
    m2m_tls_install_verify(sctx, st);
    m2m_tls_install_psk(sctx, st);
    rc = 0;
out:
    return rc;
}

static const SSL_METHOD *method_for(enum m2m_tls_role role, enum m2m_transport transport)
{
    if (transport == M2M_TRANSPORT_DTLS)
        return role == M2M_TLS_CLIENT ? DTLS_client_method() : DTLS_server_method();
    return role == M2M_TLS_CLIENT ? TLS_client_method() : TLS_server_method();
}

struct m2m_tls_ctx *m2m_tls_ctx_new(struct m2m_tls_config *cfg, enum m2m_tls_role role,
                                    enum m2m_transport transport, struct m2m_error *err)
{
    struct m2m_tls_ctx *ctx = NULL;
    int rc = -1;

    M2M_ENSURE_ARG(cfg != NULL);
    M2M_ENSURE_ARG(transport == M2M_TRANSPORT_TLS || transport == M2M_TRANSPORT_DTLS);
    ctx = calloc(1, sizeof(*ctx));
    M2M_ENSURE(ctx != NULL, M2M_E_NOMEM, "tls context");
    /* SSL_CTX_new never loads the default verify paths; neither do we, ever: only the
     * configured trust set decides (TS-0003 V3 8.2.2.2). */
    ctx->sctx = SSL_CTX_new(method_for(role, transport));
    M2M_ENSURE_OSSL(ctx->sctx != NULL, M2M_E_TLS, "SSL_CTX_new");
    M2M_GUARD(m2m_tls_setup_ssl_ctx(ctx->sctx, cfg, role, transport, err));
    rc = 0;
out:
    if (rc != 0) {
        m2m_tls_ctx_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

void m2m_tls_ctx_free(struct m2m_tls_ctx *ctx)
{
    if (ctx == NULL)
        return;
    SSL_CTX_free(ctx->sctx);
    free(ctx);
}

SSL_CTX *m2m_tls_ctx_ssl_ctx(struct m2m_tls_ctx *ctx)
{
    return ctx != NULL ? ctx->sctx : NULL;
}
