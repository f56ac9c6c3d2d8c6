/* Per-SSL_CTX and per-SSL state kept in OpenSSL ex_data slots. The two slot numbers are
 * registered with OpenSSL once per process and never change afterwards; everything that
 * varies lives in the objects themselves. */
#include <stdlib.h>

#include <openssl/crypto.h>

#include "core/safety.h"
#include "tls/tls_internal.h"

static CRYPTO_ONCE ex_once = CRYPTO_ONCE_STATIC_INIT;
static int ctx_idx = -1;
static int ssl_idx = -1;

static void ctx_state_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                           void *argp)
{
    struct tls_ctx_state *st = ptr;

    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    if (st == NULL)
        return;
    m2m_tls_config_free(st->cfg);
    OPENSSL_cleanse(st->cookie_secret, sizeof(st->cookie_secret));
    free(st);
}

static void ssl_state_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                           void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    free(ptr);
}

/* A duplicated SSL_CTX or SSL must not share (and later double-free) our state: the copy
 * starts without one. SSL copies then create their own on first use. */
static int state_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx,
                     long argl, void *argp)
{
    (void)to, (void)from, (void)idx, (void)argl, (void)argp;
    *from_d = NULL;
    return 1;
}

static void ex_register(void)
{
    ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, state_dup, ctx_state_free);
    ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, state_dup, ssl_state_free);
}

int m2m_tls_ex_init(void)
{
    if (!CRYPTO_THREAD_run_once(&ex_once, ex_register))
        return -1;
    return ctx_idx >= 0 && ssl_idx >= 0 ? 0 : -1;
}

struct tls_ctx_state *m2m_tls_ctx_state(const SSL_CTX *sctx)
{
    if (sctx == NULL || m2m_tls_ex_init() != 0)
        return NULL;
    return SSL_CTX_get_ex_data(sctx, ctx_idx);
}

int m2m_tls_ctx_state_attach(SSL_CTX *sctx, struct tls_ctx_state *st)
{
    if (m2m_tls_ex_init() != 0 || m2m_tls_ctx_state(sctx) != NULL)
        return -1;
    return SSL_CTX_set_ex_data(sctx, ctx_idx, st) == 1 ? 0 : -1;
}

struct tls_ssl_state *m2m_tls_ssl_state(SSL *ssl)
{
    struct tls_ssl_state *st;

    if (ssl == NULL || m2m_tls_ex_init() != 0)
        return NULL;
    st = SSL_get_ex_data(ssl, ssl_idx);
    if (st != NULL)
        return st;
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    if (SSL_set_ex_data(ssl, ssl_idx, st) != 1) {
        free(st);
        return NULL;
    }
    return st;
}

void m2m_tls_record_error(SSL *ssl, const struct m2m_error *e)
{
    struct tls_ssl_state *st = m2m_tls_ssl_state(ssl);

    /* The first failure is the cause; later ones are its consequences. */
    if (st != NULL && st->err.code == M2M_OK && e != NULL)
        st->err = *e;
}

const struct m2m_error *m2m_tls_ssl_error(SSL *ssl)
{
    struct tls_ssl_state *st;

    if (ssl == NULL || m2m_tls_ex_init() != 0)
        return NULL;
    st = SSL_get_ex_data(ssl, ssl_idx);
    if (st == NULL || st->err.code == M2M_OK)
        return NULL;
    return &st->err;
}
