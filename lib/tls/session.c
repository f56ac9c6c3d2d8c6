/* Per-connection objects and results: SSL creation with SNI, the proven peer identity,
 * and the RFC 5705 export. */
#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>

#include "core/safety.h"
#include "tls/tls_internal.h"

static int setup_client(SSL *ssl, const char *server_name, struct m2m_error *err)
{
    int rc = -1;

    /* TS-0003 V3 10.2: the client always sends SNI (RFC 6066 section 3). */
    M2M_ENSURE(server_name != NULL && server_name[0] != '\0', M2M_E_INVALID_ARG,
               "a client needs the server name to send as SNI");
    M2M_ENSURE_OSSL(SSL_set_tlsext_host_name(ssl, server_name) == 1, M2M_E_TLS, "SNI '%s'",
                    server_name);
    SSL_set_connect_state(ssl);
    rc = 0;
out:
    return rc;
}

static int setup_dtls(SSL *ssl, struct m2m_error *err)
{
    int rc = -1;

    /* A fixed link MTU instead of querying the socket: an unconnected listening socket has
     * no path MTU, and path-MTU discovery fails behind ICMP filters. See tls_internal.h. */
    SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
    M2M_ENSURE_OSSL(DTLS_set_link_mtu(ssl, M2M_DTLS_LINK_MTU) == 1, M2M_E_TLS, "DTLS MTU");
    rc = 0;
out:
    return rc;
}

SSL *m2m_tls_ssl_new(struct m2m_tls_ctx *ctx, const char *server_name, struct m2m_error *err)
{
    SSL *ssl = NULL;
    const struct tls_ctx_state *st;
    int rc = -1;

    M2M_ENSURE_ARG(ctx != NULL && ctx->sctx != NULL);
    st = m2m_tls_ctx_state(ctx->sctx);
    M2M_ENSURE(st != NULL, M2M_E_INTERNAL, "context without configuration");
    ssl = SSL_new(ctx->sctx);
    M2M_ENSURE_OSSL(ssl != NULL, M2M_E_TLS, "SSL_new");
    M2M_ENSURE(m2m_tls_ssl_state(ssl) != NULL, M2M_E_NOMEM, "connection state");
    if (st->role == M2M_TLS_CLIENT)
        M2M_GUARD(setup_client(ssl, server_name, err));
    else
        SSL_set_accept_state(ssl);
    if (st->transport == M2M_TRANSPORT_DTLS)
        M2M_GUARD(setup_dtls(ssl, err));
    rc = 0;
out:
    if (rc != 0) {
        SSL_free(ssl);
        ssl = NULL;
    }
    return ssl;
}

const char *m2m_tls_server_name(SSL *ssl)
{
    return ssl != NULL ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}

int m2m_tls_is_psk(SSL *ssl)
{
    const SSL_CIPHER *c = ssl != NULL ? SSL_get_current_cipher(ssl) : NULL;

    return c != NULL && SSL_CIPHER_get_auth_nid(c) == NID_auth_psk;
}

int m2m_tls_peer(SSL *ssl, struct m2m_verified *out)
{
    const struct tls_ssl_state *st;
    const char *id;

    if (ssl == NULL || out == NULL || !SSL_is_init_finished(ssl))
        return -1;
    if (m2m_tls_is_psk(ssl)) {
        id = SSL_get_psk_identity(ssl);
        if (id == NULL || strlen(id) >= sizeof(out->identity))
            return -1;
        out->flavour = M2M_FLAVOUR_NONE;
        snprintf(out->identity, sizeof(out->identity), "%s", id);
        return 0;
    }
    st = m2m_tls_ssl_state(ssl);
    if (st == NULL || !st->peer_ok)
        return -1;
    *out = st->peer;
    return 0;
}

/* RFC 5705 without context (DESIGN.md section 3); TS-0003 V3 10.3 names the labels. */
int m2m_tls_export(SSL *ssl, const char *label, unsigned char *out, size_t len,
                   struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(ssl != NULL && label != NULL && out != NULL && len > 0);
    M2M_ENSURE(SSL_is_init_finished(ssl), M2M_E_TLS_EXPORT, "handshake not finished");
    M2M_ENSURE_OSSL(SSL_export_keying_material(ssl, out, len, label, strlen(label), NULL, 0, 0) ==
                        1,
                    M2M_E_TLS_EXPORT, "label '%s'", label);
    rc = 0;
out:
    return rc;
}
