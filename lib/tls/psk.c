/* (D)TLS-PSK (RFC 4279) callbacks: the Enrolee presents KpmID/Kpm, KeID or KmID/Km
 * (TS-0003 V3 8.3.1, 10.2); the server looks the identity up through the configured
 * m2m_psk_lookup_fn. */
#include <string.h>

#include "core/safety.h"
#include "tls/tls_internal.h"

static const struct m2m_tls_config *ssl_config(SSL *ssl)
{
    const struct tls_ctx_state *st = m2m_tls_ctx_state(SSL_get_SSL_CTX(ssl));

    return st != NULL ? st->cfg : NULL;
}

static unsigned int client_cb(SSL *ssl, const char *hint, char *identity,
                              unsigned int max_identity_len, unsigned char *psk,
                              unsigned int max_psk_len)
{
    const struct m2m_tls_config *cfg = ssl_config(ssl);
    struct m2m_error e;
    size_t idlen, keylen;

    (void)hint;
    if (cfg == NULL || cfg->psk_identity == NULL || cfg->psk_key == NULL)
        return 0;
    idlen = strlen(cfg->psk_identity);
    keylen = m2m_secret_len(cfg->psk_key);
    if (idlen >= max_identity_len || keylen > max_psk_len) {
        m2m_error_set(&e, M2M_E_TLS, "PSK identity or key too long for this handshake");
        m2m_tls_record_error(ssl, &e);
        return 0;
    }
    memcpy(identity, cfg->psk_identity, idlen + 1);
    /* libssl wipes this buffer once the premaster secret is built. */
    memcpy(psk, m2m_secret_cdata(cfg->psk_key), keylen);
    return (unsigned int)keylen;
}

/* A lookup that rejects the identity becomes psk-unknown with its message; a lookup that
 * could not answer (I/O, timeout, memory) keeps its own reason for the operator. */
static void record_lookup_failure(SSL *ssl, const char *identity, const struct m2m_error *le)
{
    struct m2m_error e = *le;
    enum m2m_errcat cat = m2m_errcode_category(le->code);

    if (le->code == M2M_OK)
        m2m_error_set(&e, M2M_E_TLS_PSK_UNKNOWN, "'%s'", identity);
    else if (le->code != M2M_E_TLS_PSK_UNKNOWN && (cat == M2M_CAT_USAGE || cat == M2M_CAT_VERIFY))
        m2m_error_set(&e, M2M_E_TLS_PSK_UNKNOWN, "%s", le->msg);
    m2m_tls_record_error(ssl, &e);
}

/* The suite chosen in ServerHello: the PSK callback runs while reading ClientKeyExchange. */
uint16_t m2m_tls_pending_suite(const SSL *ssl)
{
    const SSL_CIPHER *c = SSL_get_pending_cipher(ssl);

    if (c == NULL)
        c = SSL_get_current_cipher(ssl);
    return c != NULL ? SSL_CIPHER_get_protocol_id(c) : 0;
}

static int lookup(const struct m2m_tls_config *cfg, SSL *ssl, const char *identity,
                  struct m2m_secret **key, struct m2m_error *err)
{
    if (cfg->psk_suite_fn != NULL)
        return cfg->psk_suite_fn(cfg->psk_arg, identity, m2m_tls_pending_suite(ssl), key, err);
    return cfg->psk_fn(cfg->psk_arg, identity, key, err);
}

static unsigned int server_cb(SSL *ssl, const char *identity, unsigned char *psk,
                              unsigned int max_psk_len)
{
    const struct m2m_tls_config *cfg = ssl_config(ssl);
    struct m2m_secret *key = NULL;
    struct m2m_error e;
    unsigned int n = 0;

    m2m_error_clear(&e);
    if (cfg == NULL || (cfg->psk_fn == NULL && cfg->psk_suite_fn == NULL)) {
        m2m_error_set(&e, M2M_E_INTERNAL, "no PSK lookup configured");
        m2m_tls_record_error(ssl, &e);
    } else if (!m2m_tls_psk_identity_ok(identity)) {
        /* Not echoed: it may be binary or huge. */
        m2m_error_set(&e, M2M_E_TLS_PSK_UNKNOWN, "malformed identity");
        m2m_tls_record_error(ssl, &e);
    } else if (lookup(cfg, ssl, identity, &key, &e) != 0 || key == NULL) {
        record_lookup_failure(ssl, identity, &e);
    } else if (m2m_secret_len(key) == 0 || m2m_secret_len(key) > max_psk_len) {
        m2m_error_set(&e, M2M_E_TLS, "key for '%s' has an unusable length", identity);
        m2m_tls_record_error(ssl, &e);
    } else {
        n = (unsigned int)m2m_secret_len(key);
        memcpy(psk, m2m_secret_cdata(key), n);
    }
    m2m_secret_free(key); /* wipes our copy; libssl wipes its buffer after use */
    return n;
}

void m2m_tls_install_psk(SSL_CTX *sctx, const struct tls_ctx_state *st)
{
    if (st->role == M2M_TLS_CLIENT && st->cfg->psk_identity != NULL)
        SSL_CTX_set_psk_client_callback(sctx, client_cb);
    if (st->role == M2M_TLS_SERVER && (st->cfg->psk_fn != NULL || st->cfg->psk_suite_fn != NULL))
        SSL_CTX_set_psk_server_callback(sctx, server_cb);
}
