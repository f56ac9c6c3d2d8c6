/* Entity B's checks (TS-0003 V3 8.2.2.2): each peer is verified against the expectations
 * configured for it (IdA, CertNameA, RootOfTrustA), or against the PSK configured for it,
 * and a peer that matches no allowed entry is refused inside the handshake.
 *
 * The certificate check replaces the tls layer's verify callback on the server context.
 * That callback tries each accepted class in turn, and each try is a full RFC 5280 path
 * validation; with one class per allowed peer, a listener with N peers would pay N path
 * validations per handshake. Here the leaf's own subjectAltName entries select the
 * candidate entries first (a string comparison each), and only those are verified, so a
 * handshake costs one path validation however many peers are allowed. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509_vfy.h>

#include "assoc/assoc_internal.h"
#include "core/safety.h"

/* The alert libssl sends follows the X509_V_ERR left in the store (RFC 5246 7.2.2). */
static int x509_error_for(enum m2m_errcode code)
{
    switch (code) {
    case M2M_E_CERT_EXPIRED:
        return X509_V_ERR_CERT_HAS_EXPIRED;
    case M2M_E_CERT_NOT_YET_VALID:
        return X509_V_ERR_CERT_NOT_YET_VALID;
    case M2M_E_CERT_REVOKED:
        return X509_V_ERR_CERT_REVOKED;
    case M2M_E_CERT_UNTRUSTED:
        return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
    case M2M_E_CERT_NAME:
        return X509_V_ERR_HOSTNAME_MISMATCH;
    default:
        return X509_V_ERR_APPLICATION_VERIFICATION;
    }
}

/* Identities of one flavour the leaf carries, computed once per flavour. */
struct leaf_ids {
    int n[M2M_FLAVOUR__COUNT]; /* -1: not computed yet */
    char **ids[M2M_FLAVOUR__COUNT];
};

static int leaf_names(struct leaf_ids *li, X509 *leaf, enum m2m_flavour fl, const char *name)
{
    struct m2m_error e;

    if (li->n[fl] < 0) {
        li->n[fl] = m2m_cert_identities(leaf, fl, &li->ids[fl], &e);
        if (li->n[fl] < 0)
            li->n[fl] = 0;
    }
    /* A pre-filter only (dNSName entries compare case-insensitively); m2m_verify_cert
     * applies the exact rule of the flavour. */
    for (int i = 0; i < li->n[fl]; i++)
        if (strcasecmp(li->ids[fl][i], name) == 0)
            return 1;
    return 0;
}

static void leaf_ids_free(struct leaf_ids *li)
{
    for (int f = 0; f < M2M_FLAVOUR__COUNT; f++) {
        for (int i = 0; i < li->n[f]; i++)
            free(li->ids[f][i]);
        if (li->n[f] >= 0)
            free(li->ids[f]);
    }
}

/* A failure further along the checks (expiry, revocation) says more than "untrusted". */
static int error_rank(enum m2m_errcode code)
{
    return code == M2M_E_CERT_UNTRUSTED ? 0 : 1;
}

static int match_peer(const struct m2m_assoc_config *cfg, X509 *leaf, STACK_OF(X509) *chain,
                      const struct assoc_peer **found, struct m2m_error *err)
{
    struct leaf_ids li;
    struct m2m_verified v;
    struct m2m_error e;
    int candidates = 0, rc = -1;

    for (int f = 0; f < M2M_FLAVOUR__COUNT; f++)
        li.n[f] = -1;
    for (size_t i = 0; i < cfg->n_peers && rc != 0; i++) {
        const struct assoc_peer *p = &cfg->peers[i];
        if (p->flavour == M2M_FLAVOUR_NONE || !leaf_names(&li, leaf, p->flavour, p->cert_name))
            continue;
        if (m2m_verify_cert(p->root, leaf, chain, p->flavour, p->cert_name, &v, &e) == 0) {
            *found = p;
            rc = 0;
        } else if (candidates++ == 0 || error_rank(e.code) > error_rank(err->code)) {
            *err = e;
        }
    }
    if (rc != 0 && candidates == 0)
        m2m_error_set(err, M2M_E_CERT_NAME,
                      "peer not in the allowed list (its certificate "
                      "names no configured peer)");
    leaf_ids_free(&li);
    return rc;
}

static int verify_cb(X509_STORE_CTX *xs, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct assoc_hs_auth *auth = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    struct m2m_error e;

    (void)arg;
    m2m_error_clear(&e);
    if (auth == NULL) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    auth->peer = NULL;
    if (leaf == NULL) {
        m2m_error_set(&auth->err, M2M_E_CERT_CHAIN, "peer sent no certificate");
        X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    if (match_peer(auth->cfg, leaf, X509_STORE_CTX_get0_untrusted(xs), &auth->peer, &e) != 0) {
        auth->err = e;
        X509_STORE_CTX_set_error(xs, x509_error_for(e.code));
        return 0;
    }
    X509_STORE_CTX_set_error(xs, X509_V_OK);
    return 1;
}

/* m2m_psk_lookup_fn: only a PSK identity configured for an allowed peer is looked up. */
int assoc_psk_lookup(void *arg, const char *identity, struct m2m_secret **key,
                     struct m2m_error *err)
{
    int rc = -1;
    const struct m2m_assoc_config *cfg = arg;
    const struct assoc_peer *p = assoc_find_psk_peer(cfg, identity);
    const char *owner = NULL;
    char canon[M2M_ID_MAX + 1];

    M2M_ENSURE(p != NULL, M2M_E_TLS_PSK_UNKNOWN, "'%s' is no allowed peer's PSK identity",
               identity);
    M2M_GUARD(m2m_psk_store_get(cfg->psk, identity, key, &owner, err));
    if (owner != NULL && owner[0] == '/' &&
        (assoc_canonical_id(cfg, owner, canon, sizeof(canon), err) != 0 ||
         strcmp(canon, p->id) != 0)) {
        m2m_secret_free(*key);
        *key = NULL;
        M2M_BAIL(M2M_E_TLS_PSK_UNKNOWN, "PSK '%s' is shared with %s, not %s", identity, owner,
                 p->id);
    }
    rc = 0;
out:
    return rc;
}

/* The server PSK callback when a key fetch is configured: a configured peer's identity
 * from the PSK store as before, any other through the fetch (psk_fetch.c). It replaces the
 * tls layer's callback because the fetch must record the Enrolee-ID it binds in this
 * handshake's record, which only the SSL reaches. */
static unsigned int fetch_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
                                    unsigned int max_psk_len)
{
    struct assoc_hs_auth *auth = SSL_get_app_data(ssl);
    struct m2m_secret *key = NULL;
    struct m2m_error e;
    unsigned int n = 0;

    m2m_error_clear(&e);
    if (auth == NULL || identity == NULL)
        return 0;
    if (assoc_find_psk_peer(auth->cfg, identity) != NULL) {
        if (assoc_psk_lookup(auth->cfg, identity, &key, &e) != 0)
            goto out;
    } else if (assoc_fetch_psk(auth, identity, m2m_tls_pending_suite(ssl), &key, &e) != 0) {
        goto out;
    }
    if (m2m_secret_len(key) == 0 || m2m_secret_len(key) > max_psk_len) {
        m2m_error_set(&e, M2M_E_TLS, "key for '%s' has an unusable length", identity);
        goto out;
    }
    n = (unsigned int)m2m_secret_len(key);
    memcpy(psk, m2m_secret_cdata(key), n);
out:
    if (n == 0)
        auth->err = e; /* handshake.c reports it */
    m2m_secret_free(key);
    return n;
}

static void kinds(const struct m2m_assoc_config *cfg, const struct assoc_peer **first_cert,
                  int *psk)
{
    *first_cert = NULL;
    *psk = 0;
    for (size_t i = 0; i < cfg->n_peers; i++) {
        if (cfg->peers[i].psk_identity != NULL)
            *psk = 1;
        else if (*first_cert == NULL)
            *first_cert = &cfg->peers[i];
    }
}

struct m2m_tls_ctx *assoc_server_ctx(struct m2m_assoc_config *cfg, enum m2m_transport transport,
                                     struct m2m_error *err)
{
    struct m2m_tls_config *tcfg = NULL;
    struct m2m_tls_ctx *ctx = NULL;
    const struct assoc_peer *cert_peer;
    int psk, rc = -1;

    kinds(cfg, &cert_peer, &psk);
    M2M_ENSURE(cert_peer != NULL || psk || cfg->fetch != NULL, M2M_E_INVALID_ARG,
               "no allowed peers configured");
    M2M_ENSURE(cert_peer == NULL || cfg->cred != NULL, M2M_E_INVALID_ARG,
               "certificate peers need an own credential");
    M2M_ENSURE(!psk || cfg->psk != NULL, M2M_E_INVALID_ARG, "PSK peers need a PSK store");
    psk = psk || cfg->fetch != NULL;
    M2M_GUARD_PTR(tcfg = m2m_tls_config_new(err));
    m2m_tls_config_set_timeout_ms(tcfg, cfg->handshake_ms);
    if (cert_peer != NULL) {
        m2m_tls_config_set_credential(tcfg, cfg->cred);
        /* Makes the tls layer request and require a client certificate; which peer it
         * proves is decided by verify_cb below. */
        M2M_GUARD(m2m_tls_config_add_peer(tcfg, cert_peer->root, cert_peer->flavour, NULL, err));
    }
    if (psk)
        m2m_tls_config_set_psk_server(tcfg, assoc_psk_lookup, cfg);
    M2M_GUARD_PTR(ctx = m2m_tls_ctx_new(tcfg, M2M_TLS_SERVER, transport, err));
    if (cert_peer != NULL)
        SSL_CTX_set_cert_verify_callback(m2m_tls_ctx_ssl_ctx(ctx), verify_cb, NULL);
    if (cfg->fetch != NULL) {
        /* DESIGN.md 6: each handshake runs in an ASYNC_JOB the fetch can pause. */
        SSL_CTX_set_psk_server_callback(m2m_tls_ctx_ssl_ctx(ctx), fetch_server_cb);
        SSL_CTX_set_mode(m2m_tls_ctx_ssl_ctx(ctx), SSL_MODE_ASYNC);
    }
    rc = 0;
out:
    m2m_tls_config_free(tcfg);
    if (rc != 0) {
        m2m_tls_ctx_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

int assoc_server_bind(SSL *ssl, const struct assoc_hs_auth *auth, const struct assoc_peer **peer,
                      struct m2m_error *err)
{
    int rc = -1;
    const char *identity;

    *peer = NULL;
    if (m2m_tls_is_psk(ssl)) {
        identity = SSL_get_psk_identity(ssl);
        M2M_ENSURE(identity != NULL, M2M_E_TLS_PSK_UNKNOWN, "no PSK identity");
        *peer = assoc_find_psk_peer(auth->cfg, identity);
        if (*peer == NULL && auth->fetched.id != NULL &&
            strcmp(auth->fetched.psk_identity, identity) == 0)
            *peer = &auth->fetched;
        M2M_ENSURE(*peer != NULL, M2M_E_TLS_PSK_UNKNOWN, "'%s'", identity);
    } else {
        M2M_ENSURE(auth->peer != NULL, M2M_E_CERT_CHAIN, "peer certificate not verified");
        *peer = auth->peer;
    }
    rc = 0;
out:
    return rc;
}
