/* DTLS 1.2 stateless cookies (RFC 6347 section 4.2.1): HMAC-SHA-256 of the client's
 * transport address under a random secret of the SSL_CTX, so a server can answer a
 * ClientHello with HelloVerifyRequest (DTLSv1_listen) before keeping any state, and
 * cannot be used to amplify traffic towards a spoofed address. */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/safety.h"
#include "tls/tls_internal.h"

#define COOKIE_LEN 32 /* SHA-256 output */

/* family | port | address, as the MAC input. */
static size_t peer_bytes(SSL *ssl, unsigned char *buf, size_t cap)
{
    BIO_ADDR *peer = BIO_ADDR_new();
    size_t alen = 0, n = 0;
    unsigned short port;
    int fam;

    if (peer == NULL || BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) <= 0)
        goto out;
    fam = BIO_ADDR_family(peer);
    port = BIO_ADDR_rawport(peer);
    if (!BIO_ADDR_rawaddress(peer, NULL, &alen) || alen + 4 > cap)
        goto out;
    buf[0] = (unsigned char)(fam >> 8);
    buf[1] = (unsigned char)fam;
    memcpy(buf + 2, &port, 2);
    if (!BIO_ADDR_rawaddress(peer, buf + 4, &alen))
        goto out;
    n = alen + 4;
out:
    BIO_ADDR_free(peer);
    return n;
}

static int cookie_compute(SSL *ssl, unsigned char out[COOKIE_LEN])
{
    const struct tls_ctx_state *st = m2m_tls_ctx_state(SSL_get_SSL_CTX(ssl));
    unsigned char input[4 + 128];
    size_t inlen = peer_bytes(ssl, input, sizeof(input));
    size_t outlen = 0;

    if (st == NULL || inlen == 0)
        return 0;
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, st->cookie_secret, sizeof(st->cookie_secret),
                  input, inlen, out, COOKIE_LEN, &outlen) == NULL)
        return 0;
    return outlen == COOKIE_LEN;
}

static int cookie_generate(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
    /* libssl's buffer is DTLS1_COOKIE_LENGTH (255) bytes. */
    if (!cookie_compute(ssl, cookie))
        return 0;
    *len = COOKIE_LEN;
    return 1;
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
    unsigned char want[COOKIE_LEN];
    int ok;

    if (len != COOKIE_LEN || !cookie_compute(ssl, want))
        return 0;
    ok = CRYPTO_memcmp(want, cookie, COOKIE_LEN) == 0;
    OPENSSL_cleanse(want, sizeof(want));
    return ok;
}

int m2m_tls_install_cookie(SSL_CTX *sctx, struct tls_ctx_state *st, struct m2m_error *err)
{
    int rc = -1;

    if (st->transport != M2M_TRANSPORT_DTLS || st->role != M2M_TLS_SERVER)
        return 0;
    M2M_ENSURE_OSSL(RAND_bytes(st->cookie_secret, sizeof(st->cookie_secret)) == 1, M2M_E_RANDOM,
                    "DTLS cookie secret");
    SSL_CTX_set_cookie_generate_cb(sctx, cookie_generate);
    SSL_CTX_set_cookie_verify_cb(sctx, cookie_verify);
    SSL_CTX_set_options(sctx, SSL_OP_COOKIE_EXCHANGE);
    rc = 0;
out:
    return rc;
}
