/* DTLS 1.2 of the CoAP server: libcoap owns the socket, the record I/O and the cookie
 * exchange (DTLSv1_listen on one shared SSL, so a ClientHello without a valid cookie
 * creates no session: RFC 6347 section 4.2.1); we own everything the handshake decides.
 * libcoap calls additional_tls_setup_call_back from its ClientHello callback for both
 * certificate and PSK ClientHellos; there the SSL moves onto our DTLS context
 * (m2m_tls_adopt_ssl), so the TS-0003 suites (V3 10.2, CCM_8 first), and the oneM2M
 * verification of the client's certificate (V3 8.2.2.2) run inside the handshake as over
 * TLS. A PSK identity goes through libcoap's validate_id callback to the role's lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/safety.h"
#include "net/coap_internal.h"

struct m2m_coap_dtls_server *m2m_coap_dtls_of(coap_session_t *session)
{
    coap_context_t *ctx = session != NULL ? coap_session_get_context(session) : NULL;

    return ctx != NULL ? coap_get_app_data(ctx) : NULL;
}

static void dtls_log(struct m2m_coap_dtls_server *d, coap_session_t *s, const char *what,
                     const char *why)
{
    char peer[64], line[512];

    if (d->log == NULL)
        return;
    m2m_coap_peer_text(s, peer, sizeof(peer));
    snprintf(line, sizeof(line), "%s: %s: %s", peer, what, why);
    d->log(d->log_arg, 1, line);
}

/* Called by libcoap inside its ClientHello callback; 0 aborts the handshake. */
static int on_tls_setup(void *tls_session, coap_dtls_pki_t *setup)
{
    SSL *ssl = tls_session;
    coap_session_t *s = SSL_get_app_data(ssl);
    struct m2m_coap_dtls_server *d = m2m_coap_dtls_of(s);
    struct m2m_error err;

    (void)setup;
    if (d == NULL || d->tls == NULL)
        return 0;
    if (m2m_tls_adopt_ssl(ssl, d->tls, &err) != 0) {
        dtls_log(d, s, "DTLS set-up failed", err.msg);
        return 0;
    }
    d->adopted++;
    return 1;
}

/* RFC 4279 section 5.1 identities are text; oneM2M ones (KpmID, KeID, KmID) are short
 * printable ASCII, so anything else is refused before any lookup. */
static int identity_text(const coap_bin_const_t *id, char *out, size_t outsz)
{
    if (id == NULL || id->length == 0 || id->length >= outsz)
        return -1;
    for (size_t i = 0; i < id->length; i++)
        if (id->s[i] < 0x20 || id->s[i] > 0x7e)
            return -1;
    memcpy(out, id->s, id->length);
    out[id->length] = '\0';
    return 0;
}

/* The suite is the one ServerHello chose: libcoap asks for the key while reading the
 * ClientKeyExchange. */
static int psk_lookup(struct m2m_coap_dtls_server *d, coap_session_t *s, const char *id,
                      struct m2m_secret **key, struct m2m_error *err)
{
    coap_tls_library_t type;
    SSL *ssl;

    if (d->psk_suite_fn == NULL)
        return d->psk_fn(d->psk_arg, id, key, err);
    ssl = coap_session_get_tls(s, &type);
    return d->psk_suite_fn(
        d->psk_arg, id,
        ssl != NULL && type == COAP_TLS_LIBRARY_OPENSSL ? m2m_tls_pending_suite(ssl) : 0, key, err);
}

static const coap_bin_const_t *on_psk_identity(coap_bin_const_t *identity, coap_session_t *s,
                                               void *arg)
{
    struct m2m_coap_dtls_server *d = arg;
    struct m2m_secret *key = NULL;
    struct m2m_error err;
    char id[129];

    m2m_coap_dtls_server_wipe(d, 0);
    if (identity_text(identity, id, sizeof(id)) != 0) {
        dtls_log(d, s, "PSK identity refused", "malformed identity");
        return NULL;
    }
    m2m_error_clear(&err);
    if (psk_lookup(d, s, id, &key, &err) != 0 || key == NULL) {
        dtls_log(d, s, "PSK identity refused", err.msg[0] ? err.msg : "unknown identity");
        m2m_secret_free(key);
        return NULL;
    }
    /* libcoap copies the key into the session after we return; ours is wiped once its
     * processing of this datagram ends (m2m_coap_dtls_server_wipe). */
    d->psk_last = key;
    d->psk_bin.s = m2m_secret_cdata(key);
    d->psk_bin.length = m2m_secret_len(key);
    return &d->psk_bin;
}

void m2m_coap_dtls_server_wipe(struct m2m_coap_dtls_server *d, int all)
{
    m2m_secret_free(d->psk_last);
    d->psk_last = NULL;
    d->psk_bin.s = NULL;
    d->psk_bin.length = 0;
    if (!all)
        return;
    if (d->key_der != NULL)
        OPENSSL_clear_free(d->key_der, d->key_der_len);
    OPENSSL_free(d->cert_der);
    d->key_der = d->cert_der = NULL;
    OPENSSL_cleanse(d->dummy_psk, sizeof(d->dummy_psk));
}

/* libcoap loads a server certificate before calling us; it is replaced by the one of
 * our context when the SSL is adopted, so both are the same. */
static int der_credential(struct m2m_coap_dtls_server *d, struct m2m_error *err)
{
    SSL_CTX *sctx = m2m_tls_ctx_ssl_ctx(d->tls);
    X509 *cert = SSL_CTX_get0_certificate(sctx);
    EVP_PKEY *key = SSL_CTX_get0_privatekey(sctx);
    int n, rc = -1;

    if (cert == NULL || key == NULL)
        return 0; /* PSK only: a certificate ClientHello finds no suite */
    n = i2d_X509(cert, &d->cert_der);
    M2M_ENSURE_OSSL(n > 0, M2M_E_TLS, "server certificate");
    d->cert_der_len = (size_t)n;
    n = i2d_PrivateKey(key, &d->key_der);
    M2M_ENSURE_OSSL(n > 0, M2M_E_TLS, "server key");
    d->key_der_len = (size_t)n;
    rc = 0;
out:
    return rc;
}

static int setup_pki(coap_context_t *ctx, struct m2m_coap_dtls_server *d, struct m2m_error *err)
{
    coap_dtls_pki_t pki;
    int rc = -1;

    M2M_GUARD(der_credential(d, err));
    memset(&pki, 0, sizeof(pki));
    pki.version = COAP_DTLS_PKI_SETUP_VERSION;
    pki.verify_peer_cert = 1;
    pki.additional_tls_setup_call_back = on_tls_setup;
    pki.pki_key.key_type = COAP_PKI_KEY_ASN1;
    pki.pki_key.key.asn1.public_cert = d->cert_der;
    pki.pki_key.key.asn1.public_cert_len = d->cert_der_len;
    pki.pki_key.key.asn1.private_key = d->key_der;
    pki.pki_key.key.asn1.private_key_len = d->key_der_len;
    pki.pki_key.key.asn1.private_key_type = COAP_ASN1_PKEY_EC;
    M2M_ENSURE(coap_context_set_pki(ctx, &pki) == 1, M2M_E_TLS, "libcoap PKI set-up");
    rc = 0;
out:
    return rc;
}

static int setup_psk(coap_context_t *ctx, struct m2m_coap_dtls_server *d, struct m2m_error *err)
{
    coap_dtls_spsk_t psk;
    int rc = -1;

    /* Never used as a key (validate_id answers every identity), but libcoap treats a
     * ClientHello as PSK only when the context has a default key. */
    M2M_ENSURE_OSSL(RAND_bytes(d->dummy_psk, sizeof(d->dummy_psk)) == 1, M2M_E_RANDOM, "PSK");
    memset(&psk, 0, sizeof(psk));
    psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    psk.validate_id_call_back = on_psk_identity;
    psk.id_call_back_arg = d;
    psk.psk_info.key.s = d->dummy_psk;
    psk.psk_info.key.length = sizeof(d->dummy_psk);
    M2M_ENSURE(coap_context_set_psk2(ctx, &psk) == 1, M2M_E_TLS, "libcoap PSK set-up");
    rc = 0;
out:
    return rc;
}

int m2m_coap_dtls_server_setup(coap_context_t *ctx, struct m2m_coap_dtls_server *d,
                               struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE(coap_dtls_is_supported(), M2M_E_TLS, "libcoap was built without DTLS");
    /* The PKI set-up installs the ClientHello callback that adopts every session, PSK
     * ones included, so it is made even for a PSK-only role. */
    M2M_GUARD(setup_pki(ctx, d, err));
    if (d->psk_fn != NULL || d->psk_suite_fn != NULL)
        M2M_GUARD(setup_psk(ctx, d, err));
    rc = 0;
out:
    return rc;
}
