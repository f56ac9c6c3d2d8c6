/* SSLs that another DTLS stack created (libcoap: its SSL_CTX, its BIO, its record I/O) but
 * whose handshake must follow our profile: the SSL moves onto our SSL_CTX, so that the
 * oneM2M peer verification (cert_verify_callback, read from the SSL's current SSL_CTX when
 * the peer's certificate arrives), the credential and the ex_data state are ours, and the
 * per-SSL copies OpenSSL made at SSL_new (suites, groups, options, verify mode) are
 * replaced by ours. */
#include <stdio.h>
#include <string.h>

#include "core/safety.h"
#include "tls/tls_internal.h"

#define SUITE_LIST_MAX 512

/* TS-0003 V3 10.2 names the CCM_8 suites for DTLS: they go first, the rest of the
 * context's list (the TLS suites both ends also accept) after them, in the context's
 * order. */
static int dtls_suite_list(SSL_CTX *sctx, char *out, size_t outsz)
{
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(sctx);
    size_t used = 0;

    out[0] = '\0';
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk); i++) {
            const char *name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));
            int ccm8 = strstr(name, "CCM8") != NULL;
            int n;
            if (ccm8 != (pass == 0))
                continue;
            n = snprintf(out + used, outsz - used, "%s%s", used ? ":" : "", name);
            if (n < 0 || (size_t)n >= outsz - used)
                return -1;
            used += (size_t)n;
        }
    return used > 0 ? 0 : -1;
}

int m2m_tls_adopt_ssl(SSL *ssl, struct m2m_tls_ctx *ctx, struct m2m_error *err)
{
    char suites[SUITE_LIST_MAX];
    const struct tls_ctx_state *st;
    void (*info)(const SSL *, int, int);
    int rc = -1;

    M2M_ENSURE_ARG(ssl != NULL && ctx != NULL && ctx->sctx != NULL);
    st = m2m_tls_ctx_state(ctx->sctx);
    M2M_ENSURE(st != NULL && st->transport == M2M_TRANSPORT_DTLS, M2M_E_INVALID_ARG,
               "not a DTLS context of ours");
    M2M_ENSURE(m2m_tls_ssl_state(ssl) != NULL, M2M_E_NOMEM, "connection state");
    M2M_ENSURE(dtls_suite_list(ctx->sctx, suites, sizeof(suites)) == 0, M2M_E_TLS, "suite list");
    /* The stack's info callback (it learns of fatal alerts through it) lives on its
     * SSL_CTX; keep it on the SSL itself before the SSL_CTX changes. */
    info = SSL_CTX_get_info_callback(SSL_get_SSL_CTX(ssl));
    if (SSL_get_info_callback(ssl) == NULL && info != NULL)
        SSL_set_info_callback(ssl, info);
    M2M_ENSURE_OSSL(SSL_set_SSL_CTX(ssl, ctx->sctx) == ctx->sctx, M2M_E_TLS, "SSL_set_SSL_CTX");
    M2M_ENSURE_OSSL(SSL_set_cipher_list(ssl, suites) == 1, M2M_E_TLS, "suites");
    M2M_ENSURE_OSSL(SSL_set1_groups_list(ssl, m2m_tls_groups) == 1, M2M_E_TLS, "groups");
    M2M_ENSURE_OSSL(SSL_set1_sigalgs_list(ssl, m2m_tls_sigalgs) == 1, M2M_E_TLS, "sigalgs");
    M2M_ENSURE_OSSL(SSL_set_min_proto_version(ssl, DTLS1_2_VERSION) == 1 &&
                        SSL_set_max_proto_version(ssl, DTLS1_2_VERSION) == 1,
                    M2M_E_TLS, "protocol version");
    SSL_set_options(ssl, SSL_CTX_get_options(ctx->sctx));
    /* SSL_MODE_ASYNC on the context lets a PSK lookup pause the handshake (DESIGN.md 6). */
    SSL_set_mode(ssl, SSL_CTX_get_mode(ctx->sctx));
    /* The stack's DTLSv1_listen already verified this ClientHello's cookie under the
     * stack's secret; ours could not (its BIO has no peer address), and must not try. */
    if (st->role == M2M_TLS_SERVER)
        SSL_clear_options(ssl, SSL_OP_COOKIE_EXCHANGE);
    /* Our cert_verify_callback (on ctx) replaces chain building; no per-certificate
     * callback of the stack's may override its verdict. */
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx->sctx), NULL);
    m2m_tls_set_dtls_timer(ssl);
    rc = 0;
out:
    return rc;
}

int m2m_tls_suite_allowed(SSL *ssl, struct m2m_tls_ctx *ctx)
{
    const SSL_CIPHER *got = ssl != NULL ? SSL_get_current_cipher(ssl) : NULL;
    STACK_OF(SSL_CIPHER) *sk = ctx != NULL ? SSL_CTX_get_ciphers(ctx->sctx) : NULL;

    if (got == NULL || sk == NULL)
        return 0;
    for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++)
        if (SSL_CIPHER_get_id(sk_SSL_CIPHER_value(sk, i)) == SSL_CIPHER_get_id(got))
            return 1;
    return 0;
}

int m2m_tls_config_psk_client(const struct m2m_tls_config *cfg, const char **identity,
                              const struct m2m_secret **key)
{
    if (cfg == NULL || cfg->psk_identity == NULL || cfg->psk_key == NULL)
        return -1;
    *identity = cfg->psk_identity;
    *key = cfg->psk_key;
    return 0;
}
