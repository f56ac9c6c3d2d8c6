/* Peer certificate verification inside the handshake, by the pki layer's oneM2M rules
 * (TS-0003 V3 8.2.2.2: name check and RFC 5280 path validation; a failure aborts the
 * handshake). OpenSSL's own chain building is replaced, never run in addition. */
#include <string.h>

#include <openssl/x509_vfy.h>

#include "core/safety.h"
#include "tls/tls_internal.h"

/* Which X509_V_ERR to leave in the store context, so that libssl sends the alert that best
 * names the failure (RFC 5246 7.2.2) and SSL_get_verify_result() says something useful. */
static const struct {
    enum m2m_errcode code;
    int x509_err;
} alert_map[] = {
    {M2M_E_CERT_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED},
    {M2M_E_CERT_NOT_YET_VALID, X509_V_ERR_CERT_NOT_YET_VALID},
    {M2M_E_CERT_REVOKED, X509_V_ERR_CERT_REVOKED},
    {M2M_E_CERT_UNTRUSTED, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY},
    {M2M_E_CERT_CRL, X509_V_ERR_UNABLE_TO_GET_CRL},
    {M2M_E_CERT_NAME, X509_V_ERR_HOSTNAME_MISMATCH},
    {M2M_E_CERT_WILDCARD, X509_V_ERR_HOSTNAME_MISMATCH},
    {M2M_E_CERT_NOT_CA, X509_V_ERR_INVALID_CA},
    {M2M_E_CERT_PATHLEN, X509_V_ERR_PATH_LENGTH_EXCEEDED},
    {M2M_E_CERT_NAME_CONSTRAINTS, X509_V_ERR_PERMITTED_VIOLATION},
};

static int x509_error_for(enum m2m_errcode code)
{
    for (size_t i = 0; i < M2M_ARRAY_LEN(alert_map); i++)
        if (alert_map[i].code == code)
            return alert_map[i].x509_err;
    return X509_V_ERR_APPLICATION_VERIFICATION;
}

/* A client that configured no peer expects the server to prove the name it dialled (the
 * SNI name), as an FQDN certificate, as a web client checks the host it dialled. */
static void expected_peer(SSL *ssl, const struct m2m_tls_config *cfg, enum m2m_flavour *fl,
                          const char **expected)
{
    *fl = cfg->peer_flavour;
    *expected = cfg->peer_expected;
    if (*fl == M2M_FLAVOUR_NONE && !SSL_is_server(ssl)) {
        *fl = M2M_FLAVOUR_FQDN;
        *expected = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    }
}

/* A failure further along the checks (a name, an expiry) says more than "untrusted",
 * which every class whose anchors are unrelated reports. */
static int error_rank(enum m2m_errcode code)
{
    return code == M2M_E_CERT_UNTRUSTED ? 0 : 1;
}

/* Tries the additional peer classes in order; the first that verifies wins. */
static int verify_classes(const struct m2m_tls_config *cfg, X509 *leaf, STACK_OF(X509) *chain,
                          struct tls_ssl_state *sst, struct m2m_error *err)
{
    struct m2m_error e;
    int have = 0;

    for (size_t i = 0; i < cfg->n_peers; i++) {
        const struct tls_peer_class *pc = &cfg->peers[i];
        if (m2m_verify_cert(pc->trust, leaf, chain, pc->flavour, pc->expected, &sst->peer, &e) == 0)
            return 0;
        if (!have || error_rank(e.code) > error_rank(err->code)) {
            *err = e;
            have = 1;
        }
    }
    if (!have)
        m2m_error_set(err, M2M_E_CERT_UNTRUSTED, "no trust anchors configured");
    return -1;
}

static int verify_peer(SSL *ssl, X509_STORE_CTX *xs, struct tls_ssl_state *sst,
                       struct m2m_error *err)
{
    int rc = -1;
    const struct tls_ctx_state *cst = m2m_tls_ctx_state(SSL_get_SSL_CTX(ssl));
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_untrusted(xs);
    struct m2m_error primary;
    enum m2m_flavour fl;
    const char *expected;

    M2M_ENSURE(cst != NULL, M2M_E_INTERNAL, "SSL_CTX has no m2msec configuration");
    M2M_ENSURE(leaf != NULL, M2M_E_CERT_CHAIN, "peer sent no certificate");
    if (cst->cfg->trust == NULL) {
        M2M_GUARD(verify_classes(cst->cfg, leaf, chain, sst, err));
        sst->peer_ok = 1;
        rc = 0;
        goto out;
    }
    expected_peer(ssl, cst->cfg, &fl, &expected);
    M2M_ENSURE(fl != M2M_FLAVOUR_NONE, M2M_E_INVALID_ARG, "no peer certificate flavour set");
    /* A client SSL made outside m2m_tls_ssl_new without SNI has no name to check. */
    M2M_ENSURE(expected != NULL || SSL_is_server(ssl) || cst->cfg->peer_flavour != M2M_FLAVOUR_NONE,
               M2M_E_CERT_NAME, "no server name to check the certificate against");
    /* TS-0003 V3 8.2.2.2: (1) name equal to a subjectAltName entry, (2) path to the root. */
    if (m2m_verify_cert(cst->cfg->trust, leaf, chain, fl, expected, &sst->peer, &primary) != 0) {
        if (cst->cfg->n_peers == 0) {
            *err = primary;
            goto out;
        }
        if (verify_classes(cst->cfg, leaf, chain, sst, err) != 0) {
            if (error_rank(primary.code) >= error_rank(err->code))
                *err = primary;
            goto out;
        }
    }
    sst->peer_ok = 1;
    rc = 0;
out:
    return rc;
}

static int verify_cb(X509_STORE_CTX *xs, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct tls_ssl_state *sst = m2m_tls_ssl_state(ssl);
    struct m2m_error e;

    (void)arg;
    m2m_error_clear(&e);
    if (ssl == NULL || sst == NULL) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_OUT_OF_MEM);
        return 0;
    }
    sst->peer_ok = 0;
    if (verify_peer(ssl, xs, sst, &e) != 0) {
        m2m_tls_record_error(ssl, &e);
        X509_STORE_CTX_set_error(xs, x509_error_for(e.code));
        return 0;
    }
    X509_STORE_CTX_set_error(xs, X509_V_OK);
    return 1;
}

void m2m_tls_install_verify(SSL_CTX *sctx, const struct tls_ctx_state *st)
{
    int mode = SSL_VERIFY_NONE;

    if (st->role == M2M_TLS_CLIENT) {
        /* Clients always verify the server (TS-0003 V3 8.2.2.2). */
        mode = SSL_VERIFY_PEER;
    } else if (st->cfg->trust != NULL || st->cfg->n_peers > 0) {
        mode = SSL_VERIFY_PEER;
        if (!st->cfg->no_client_cert)
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(sctx, mode, NULL);
    SSL_CTX_set_cert_verify_callback(sctx, verify_cb, NULL);
}
