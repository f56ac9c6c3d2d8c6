/* Clients written directly on OpenSSL against the library's servers: TLS 1.2 / DTLS 1.2
 * with a TS-0003 suite works; other versions and foreign suites are refused by the server
 * (TS-0003 V3 10.2 allows only TLS 1.2 and DTLS 1.2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tls_helpers.h"

static const unsigned char kpm[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                      0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

static unsigned int raw_psk_cb(SSL *ssl, const char *hint, char *identity,
                               unsigned int max_identity_len, unsigned char *psk,
                               unsigned int max_psk_len)
{
    const char *id = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    size_t n = strlen(id);

    (void)hint;
    if (max_identity_len <= n || max_psk_len < sizeof(kpm))
        return 0;
    memcpy(identity, id, n + 1);
    memcpy(psk, kpm, sizeof(kpm));
    return sizeof(kpm);
}

static int lookup(void *arg, const char *identity, struct m2m_secret **key, struct m2m_error *err)
{
    (void)arg;
    if (strcmp(identity, "kpm-001") != 0)
        return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "no key");
    *key = m2m_secret_from(kpm, sizeof(kpm), err);
    return *key != NULL ? 0 : -1;
}

enum server_kind { SRV_PSK, SRV_CERT };

#define ID16    "kpm-001-kpm-001-"
#define LONG_ID ID16 ID16 ID16 ID16 ID16 ID16 ID16 ID16 "x"

static const struct version_case {
    const char *name;
    enum m2m_transport transport;
    enum server_kind server;
    int version; /* the raw client's only version */
    const char *ciphers;
    int ok;
    const char *identity;         /* the raw client's PSK identity, NULL: kpm-001 */
    enum m2m_errcode server_code; /* when !ok, M2M_OK: M2M_E_TLS_HANDSHAKE */
} cases[] = {
    {"TLS 1.2 PSK client", M2M_TRANSPORT_TLS, SRV_PSK, TLS1_2_VERSION, "PSK-AES128-CBC-SHA256", 1,
     NULL, M2M_OK},
    {"DTLS 1.2 PSK client", M2M_TRANSPORT_DTLS, SRV_PSK, DTLS1_2_VERSION, "PSK-AES128-CCM8", 1,
     NULL, M2M_OK},
    {"TLS 1.1 client", M2M_TRANSPORT_TLS, SRV_PSK, TLS1_1_VERSION, "PSK-AES128-CBC-SHA256", 0, NULL,
     M2M_OK},
    {"TLS 1.0 client", M2M_TRANSPORT_TLS, SRV_PSK, TLS1_VERSION, "PSK-AES128-CBC-SHA256", 0, NULL,
     M2M_OK},
    {"TLS 1.3 only client", M2M_TRANSPORT_TLS, SRV_PSK, TLS1_3_VERSION, "PSK-AES128-CBC-SHA256", 0,
     NULL, M2M_OK},
    {"DTLS 1.0 client", M2M_TRANSPORT_DTLS, SRV_PSK, DTLS1_VERSION, "PSK-AES128-CBC-SHA256", 0,
     NULL, M2M_OK},
    {"TLS 1.2 client with a non-TS-0003 suite", M2M_TRANSPORT_TLS, SRV_PSK, TLS1_2_VERSION,
     "PSK-AES256-GCM-SHA384", 0, NULL, M2M_OK},
    /* The server bounds and checks identities before any lookup (RFC 4279 5.1). */
    {"PSK identity of 129 characters", M2M_TRANSPORT_TLS, SRV_PSK, TLS1_2_VERSION,
     "PSK-AES128-CBC-SHA256", 0, LONG_ID, M2M_E_TLS_PSK_UNKNOWN},
    {"PSK identity with a control character", M2M_TRANSPORT_TLS, SRV_PSK, TLS1_2_VERSION,
     "PSK-AES128-CBC-SHA256", 0, "kpm\x1b-001", M2M_E_TLS_PSK_UNKNOWN},
    {"TLS 1.1 client against a certificate server", M2M_TRANSPORT_TLS, SRV_CERT, TLS1_1_VERSION,
     "ECDHE-ECDSA-AES128-SHA", 0, NULL, M2M_OK},
    {"TLS 1.3 only client against a certificate server", M2M_TRANSPORT_TLS, SRV_CERT,
     TLS1_3_VERSION, "ECDHE-ECDSA-AES128-SHA256", 0, NULL, M2M_OK},
};

static SSL_CTX *raw_client(const struct version_case *c)
{
    SSL_CTX *ctx = SSL_CTX_new(c->transport == M2M_TRANSPORT_DTLS ? DTLS_client_method()
                                                                  : TLS_client_method());

    assert_non_null(ctx);
    /* Level 0 so that old versions are really offered, and refused by the server only. */
    SSL_CTX_set_security_level(ctx, 0);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, c->version), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, c->version), 1);
    assert_int_equal(SSL_CTX_set_cipher_list(ctx, c->ciphers), 1);
    SSL_CTX_set_app_data(ctx, (void *)(c->identity != NULL ? c->identity : "kpm-001"));
    SSL_CTX_set_psk_client_callback(ctx, raw_psk_cb);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    return ctx;
}

static struct m2m_tls_ctx *server(const struct tls_pki *p, const struct version_case *c)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);
    struct m2m_tls_ctx *ctx;

    assert_non_null(cfg);
    if (c->server == SRV_PSK) {
        m2m_tls_config_set_psk_server(cfg, lookup, NULL);
    } else {
        m2m_tls_config_set_credential(cfg, p->server);
        m2m_tls_config_set_trust(cfg, p->trust);
        assert_int_equal(m2m_tls_config_set_peer(cfg, M2M_FLAVOUR_CSE_ID, NULL, &err), 0);
        m2m_tls_config_insecure_no_client_cert(cfg);
    }
    m2m_tls_config_set_timeout_ms(cfg, 3000);
    ctx = m2m_tls_ctx_new(cfg, M2M_TLS_SERVER, c->transport, &err);
    m2m_tls_config_free(cfg);
    if (ctx == NULL)
        fail_msg("%s: %s", c->name, err.msg);
    return ctx;
}

static void run_case(const struct tls_pki *p, const struct version_case *c)
{
    SSL_CTX *raw = raw_client(c);
    struct m2m_tls_ctx *sctx = server(p, c);
    struct tls_end ce, se;
    enum m2m_errcode want = c->server_code != M2M_OK ? c->server_code : M2M_E_TLS_HANDSHAKE;

    print_message("%s\n", c->name);
    assert_int_equal(tls_pair_run(NULL, raw, sctx, c->transport, TLS_TEST_SERVER_FQDN, &ce, &se),
                     0);
    if (c->ok) {
        if (ce.rc != 0 || se.rc != 0)
            fail_msg("%s: client '%s', server '%s'", c->name, ce.err.msg, se.err.msg);
        assert_memory_equal(ce.exported, se.exported, TLS_TEST_EXPORT_LEN);
        assert_string_equal(se.cipher, c->ciphers);
        assert_true(se.is_psk);
        assert_string_equal(se.peer.identity, "kpm-001");
    } else {
        assert_int_not_equal(ce.rc, 0);
        /* The server itself refused (it did not merely time out waiting). */
        if (se.rc == 0 || se.err.code != want)
            fail_msg("%s: server rc %d: %s", c->name, se.rc, se.err.msg);
        print_message("  refused: %s\n", se.err.msg);
    }
    SSL_CTX_free(raw);
    m2m_tls_ctx_free(sctx);
}

static void test_versions(void **state)
{
    struct tls_pki p;

    (void)state;
    assert_int_equal(tls_pki_make(&p), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&p, &cases[i]);
    tls_pki_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
