/* Configuration and context rules of the tls layer, without a network: what a context
 * refuses to build, the profile it sets on the SSL_CTX, and calls made too early. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tls_helpers.h"

struct fixture {
    struct tls_pki pki;
    struct m2m_secret *key;
};

static int setup(void **state)
{
    static struct fixture f;
    struct m2m_error err;

    if (tls_pki_make(&f.pki) != 0)
        return -1;
    f.key = m2m_secret_from_hex("00112233445566778899aabbccddeeff", &err);
    *state = &f;
    return f.key == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    tls_pki_free(&f->pki);
    m2m_secret_free(f->key);
    return 0;
}

enum cfg_kind {
    CFG_EMPTY,
    CFG_CERT_CLIENT,      /* trust only */
    CFG_CRED_ONLY_CLIENT, /* a credential but nothing to verify the server with */
    CFG_PSK_CLIENT,
    CFG_CERT_SERVER,       /* credential + trust + flavour */
    CFG_SERVER_NO_FLAVOUR, /* credential + trust, no peer flavour */
    CFG_SERVER_NO_TRUST,   /* credential only: does not ask for client certificates */
    CFG_SERVER_INSECURE,   /* as CFG_CERT_SERVER, client certificate optional */
    CFG_PSK_SERVER,
};

static int dummy_lookup(void *arg, const char *id, struct m2m_secret **key, struct m2m_error *err)
{
    (void)arg, (void)id, (void)key;
    return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "none");
}

static struct m2m_tls_config *make_cfg(struct fixture *f, enum cfg_kind k)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);

    assert_non_null(cfg);
    if (k == CFG_CERT_CLIENT)
        m2m_tls_config_set_trust(cfg, f->pki.trust);
    if (k == CFG_CRED_ONLY_CLIENT)
        m2m_tls_config_set_credential(cfg, f->pki.client);
    if (k == CFG_PSK_CLIENT)
        assert_int_equal(m2m_tls_config_set_psk_client(cfg, "kpm-001", f->key, &err), 0);
    if (k == CFG_CERT_SERVER || k == CFG_SERVER_NO_FLAVOUR || k == CFG_SERVER_NO_TRUST ||
        k == CFG_SERVER_INSECURE)
        m2m_tls_config_set_credential(cfg, f->pki.server);
    if (k == CFG_CERT_SERVER || k == CFG_SERVER_NO_FLAVOUR || k == CFG_SERVER_INSECURE)
        m2m_tls_config_set_trust(cfg, f->pki.trust);
    if (k == CFG_CERT_SERVER || k == CFG_SERVER_INSECURE)
        assert_int_equal(m2m_tls_config_set_peer(cfg, M2M_FLAVOUR_CSE_ID, NULL, &err), 0);
    if (k == CFG_SERVER_INSECURE)
        m2m_tls_config_insecure_no_client_cert(cfg);
    if (k == CFG_PSK_SERVER)
        m2m_tls_config_set_psk_server(cfg, dummy_lookup, NULL);
    return cfg;
}

static const struct ctx_case {
    const char *name;
    enum cfg_kind kind;
    enum m2m_tls_role role;
    int ok;
    int verify_mode; /* when ok */
    int psk_suites;  /* when ok: 1 PSK only, 0 certificate only */
} ctx_cases[] = {
    {"empty client", CFG_EMPTY, M2M_TLS_CLIENT, 0, 0, 0},
    {"empty server", CFG_EMPTY, M2M_TLS_SERVER, 0, 0, 0},
    {"client with a credential but no trust", CFG_CRED_ONLY_CLIENT, M2M_TLS_CLIENT, 0, 0, 0},
    {"server verifying clients without a flavour", CFG_SERVER_NO_FLAVOUR, M2M_TLS_SERVER, 0, 0, 0},
    {"PSK server config used as a client", CFG_PSK_SERVER, M2M_TLS_CLIENT, 0, 0, 0},
    {"certificate client", CFG_CERT_CLIENT, M2M_TLS_CLIENT, 1, SSL_VERIFY_PEER, 0},
    {"PSK client", CFG_PSK_CLIENT, M2M_TLS_CLIENT, 1, SSL_VERIFY_PEER, 1},
    {"certificate server", CFG_CERT_SERVER, M2M_TLS_SERVER, 1,
     SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, 0},
    {"server without trust", CFG_SERVER_NO_TRUST, M2M_TLS_SERVER, 1, SSL_VERIFY_NONE, 0},
    {"insecure server", CFG_SERVER_INSECURE, M2M_TLS_SERVER, 1, SSL_VERIFY_PEER, 0},
    {"PSK server", CFG_PSK_SERVER, M2M_TLS_SERVER, 1, SSL_VERIFY_NONE, 1},
};

static void check_profile(SSL_CTX *sctx, enum m2m_transport t, const struct ctx_case *c)
{
    int v = t == M2M_TRANSPORT_DTLS ? DTLS1_2_VERSION : TLS1_2_VERSION;
    uint64_t want_opts = SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                         SSL_OP_CIPHER_SERVER_PREFERENCE;
    STACK_OF(SSL_CIPHER) *ciphers = SSL_CTX_get_ciphers(sctx);
    int n = 0;

    assert_int_equal(SSL_CTX_get_min_proto_version(sctx), v);
    assert_int_equal(SSL_CTX_get_max_proto_version(sctx), v);
    assert_true((SSL_CTX_get_options(sctx) & want_opts) == want_opts);
    assert_true(SSL_CTX_get_mode(sctx) & SSL_MODE_RELEASE_BUFFERS);
    assert_int_equal(SSL_CTX_get_session_cache_mode(sctx), SSL_SESS_CACHE_OFF);
    assert_int_equal(SSL_CTX_get_verify_mode(sctx), c->verify_mode);
    /* Only the TS-0003 suites (the TLS 1.3 ones are listed but unusable at max 1.2). */
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
        const SSL_CIPHER *ci = sk_SSL_CIPHER_value(ciphers, i);
        if (strcmp(SSL_CIPHER_get_version(ci), "TLSv1.3") == 0)
            continue;
        assert_true(tls_cipher_allowed(SSL_CIPHER_get_name(ci)));
        assert_int_equal(SSL_CIPHER_get_auth_nid(ci) == NID_auth_psk, c->psk_suites);
        n++;
    }
    assert_int_equal(n, 3);
    /* DTLS servers answer with a cookie first (RFC 6347 4.2.1). */
    assert_int_equal((SSL_CTX_get_options(sctx) & SSL_OP_COOKIE_EXCHANGE) != 0,
                     t == M2M_TRANSPORT_DTLS && c->role == M2M_TLS_SERVER);
}

static void test_ctx_rules(void **state)
{
    struct fixture *f = *state;
    enum m2m_transport ts[] = {M2M_TRANSPORT_TLS, M2M_TRANSPORT_DTLS};

    for (size_t i = 0; i < sizeof(ctx_cases) / sizeof(ctx_cases[0]); i++) {
        for (size_t j = 0; j < 2; j++) {
            const struct ctx_case *c = &ctx_cases[i];
            struct m2m_tls_config *cfg = make_cfg(f, c->kind);
            struct m2m_error err;
            struct m2m_tls_ctx *ctx = m2m_tls_ctx_new(cfg, c->role, ts[j], &err);

            print_message("%s (%s)\n", c->name, j ? "DTLS" : "TLS");
            if (c->ok) {
                if (ctx == NULL)
                    fail_msg("%s: %s", c->name, err.msg);
                check_profile(m2m_tls_ctx_ssl_ctx(ctx), ts[j], c);
            } else {
                assert_null(ctx);
                assert_int_equal(err.code, M2M_E_INVALID_ARG);
            }
            m2m_tls_ctx_free(ctx);
            m2m_tls_config_free(cfg);
        }
    }
}

static void test_psk_client_identity_rules(void **state)
{
    struct fixture *f = *state;
    char longest[129], too_long[130];
    struct m2m_error err;
    struct m2m_secret *empty = m2m_secret_new(0, &err);
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);
    static const struct {
        const char *id;
        int ok;
    } ids[] = {{"kpm-001", 1},
               {"0123abcd@mef.example.com", 1},
               {"", 0},
               {"tab\there", 0},
               {"caf\xc3\xa9", 0},
               {"nl\n", 0}};

    memset(longest, 'a', 128);
    longest[128] = '\0';
    memset(too_long, 'a', 129);
    too_long[129] = '\0';
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        assert_int_equal(m2m_tls_config_set_psk_client(cfg, ids[i].id, f->key, &err),
                         ids[i].ok ? 0 : -1);
    assert_int_equal(m2m_tls_config_set_psk_client(cfg, longest, f->key, &err), 0);
    assert_int_equal(m2m_tls_config_set_psk_client(cfg, too_long, f->key, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_int_equal(m2m_tls_config_set_psk_client(cfg, "kpm-001", empty, &err), -1);
    assert_int_equal(m2m_tls_config_set_psk_client(cfg, NULL, f->key, &err), -1);
    m2m_secret_free(empty);
    m2m_tls_config_free(cfg);
}

static void test_set_peer_rules(void **state)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);

    (void)state;
    assert_int_equal(m2m_tls_config_set_peer(cfg, M2M_FLAVOUR_FQDN, "mef.example.com", &err), 0);
    assert_int_equal(m2m_tls_config_set_peer(cfg, M2M_FLAVOUR_FQDN, NULL, &err), 0);
    assert_int_equal(m2m_tls_config_set_peer(cfg, M2M_FLAVOUR_NONE, "x", &err), -1);
    assert_int_equal(m2m_tls_config_set_peer(cfg, M2M_FLAVOUR__COUNT, "x", &err), -1);
    assert_int_equal(m2m_tls_config_set_peer(cfg, M2M_FLAVOUR_FQDN, "", &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    m2m_tls_config_free(cfg);
}

/* SNI is always sent (TS-0003 V3 10.2): a client SSL without a name is refused. */
static void test_client_needs_sni(void **state)
{
    struct fixture *f = *state;
    struct m2m_error err;
    struct m2m_tls_config *ccfg = make_cfg(f, CFG_CERT_CLIENT);
    struct m2m_tls_config *scfg = make_cfg(f, CFG_CERT_SERVER);
    struct m2m_tls_ctx *cctx = m2m_tls_ctx_new(ccfg, M2M_TLS_CLIENT, M2M_TRANSPORT_TLS, &err);
    struct m2m_tls_ctx *sctx = m2m_tls_ctx_new(scfg, M2M_TLS_SERVER, M2M_TRANSPORT_TLS, &err);
    SSL *ssl;

    assert_non_null(cctx);
    assert_non_null(sctx);
    assert_null(m2m_tls_ssl_new(cctx, NULL, &err));
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_null(m2m_tls_ssl_new(cctx, "", &err));
    ssl = m2m_tls_ssl_new(cctx, "mef.example.com", &err);
    assert_non_null(ssl);
    assert_string_equal(m2m_tls_server_name(ssl), "mef.example.com");
    SSL_free(ssl);
    ssl = m2m_tls_ssl_new(sctx, NULL, &err); /* servers learn the name from the client */
    assert_non_null(ssl);
    assert_null(m2m_tls_server_name(ssl));
    SSL_free(ssl);
    m2m_tls_ctx_free(cctx);
    m2m_tls_ctx_free(sctx);
    m2m_tls_config_free(ccfg);
    m2m_tls_config_free(scfg);
}

/* Before a finished handshake nothing is exported and no peer is reported. */
static void test_too_early(void **state)
{
    struct fixture *f = *state;
    struct m2m_error err;
    struct m2m_tls_config *cfg = make_cfg(f, CFG_PSK_CLIENT);
    struct m2m_tls_ctx *ctx = m2m_tls_ctx_new(cfg, M2M_TLS_CLIENT, M2M_TRANSPORT_TLS, &err);
    SSL *ssl = m2m_tls_ssl_new(ctx, "mef.example.com", &err);
    unsigned char out[48];
    struct m2m_verified v;

    assert_non_null(ssl);
    assert_int_equal(m2m_tls_export(ssl, M2M_EXPORTER_BOOTSTRAP, out, sizeof(out), &err), -1);
    assert_int_equal(err.code, M2M_E_TLS_EXPORT);
    assert_int_equal(m2m_tls_export(NULL, M2M_EXPORTER_BOOTSTRAP, out, sizeof(out), &err), -1);
    assert_int_equal(m2m_tls_peer(ssl, &v), -1);
    assert_int_equal(m2m_tls_is_psk(ssl), 0);
    assert_null(m2m_tls_ssl_error(ssl));
    assert_int_equal(m2m_tls_handshake_fd(NULL, 0, &err), -1);
    SSL_free(ssl);
    m2m_tls_ctx_free(ctx);
    m2m_tls_config_free(cfg);
}

/* A foreign SSL_CTX (libcurl, libcoap) takes the same profile, exactly once. */
static void test_setup_foreign_ctx(void **state)
{
    struct fixture *f = *state;
    struct m2m_error err;
    struct m2m_tls_config *cfg = make_cfg(f, CFG_PSK_CLIENT);
    SSL_CTX *sctx = SSL_CTX_new(TLS_client_method());
    const struct ctx_case c = {"foreign", CFG_PSK_CLIENT, M2M_TLS_CLIENT, 1, SSL_VERIFY_PEER, 1};

    assert_int_equal(m2m_tls_setup_ssl_ctx(sctx, cfg, M2M_TLS_CLIENT, M2M_TRANSPORT_TLS, &err), 0);
    check_profile(sctx, M2M_TRANSPORT_TLS, &c);
    assert_int_equal(m2m_tls_setup_ssl_ctx(sctx, cfg, M2M_TLS_CLIENT, M2M_TRANSPORT_TLS, &err), -1);
    m2m_tls_config_free(cfg); /* the SSL_CTX keeps it alive */
    SSL_CTX_free(sctx);
}

static void test_free_null(void **state)
{
    (void)state;
    m2m_tls_config_free(NULL);
    m2m_tls_config_up_ref(NULL);
    m2m_tls_ctx_free(NULL);
    assert_null(m2m_tls_ctx_ssl_ctx(NULL));
    assert_null(m2m_tls_ssl_error(NULL));
    assert_null(m2m_tls_server_name(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctx_rules),      cmocka_unit_test(test_psk_client_identity_rules),
        cmocka_unit_test(test_set_peer_rules), cmocka_unit_test(test_client_needs_sni),
        cmocka_unit_test(test_too_early),      cmocka_unit_test(test_setup_foreign_ctx),
        cmocka_unit_test(test_free_null),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
