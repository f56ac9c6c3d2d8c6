/* Real TLS 1.2 and DTLS 1.2 handshakes over loopback between the library's own client and
 * server contexts: certificates (mutual) and PSK, positive and negative, both transports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tls_helpers.h"

#define KEY_GOOD  "00112233445566778899aabbccddeeff"
#define KEY_OTHER "ffeeddccbbaa99887766554433221100"

enum cred_sel { CRED_NONE = 0, CRED_GOOD, CRED_ROGUE };
enum psk_sel { PSK_NONE = 0, PSK_GOOD, PSK_WRONG_KEY, PSK_UNKNOWN_ID, PSK_REJECTED_ID };
enum only { BOTH = 0, TLS_ONLY, DTLS_ONLY };

struct client_spec {
    enum cred_sel cred;
    int trust;
    enum m2m_flavour flavour; /* NONE: no m2m_tls_config_set_peer */
    const char *expect;
    const char *sni;
    enum psk_sel psk;
    const char *ciphers; /* narrows the client's offer */
};

struct server_spec {
    enum cred_sel cred;
    int trust;
    enum m2m_flavour flavour;
    const char *expect;
    int insecure_no_client_cert;
    int psk;
};

struct hs_case {
    const char *name;
    enum only only;
    struct client_spec cli;
    struct server_spec srv;
    int ok;                  /* both ends succeed */
    enum m2m_errcode c_code; /* client error when !ok (M2M_OK: any) */
    enum m2m_errcode s_code; /* server error when !ok (M2M_OK: any) */
    const char *cipher;      /* expected cipher when ok (NULL: any allowed) */
    int server_sees_peer;    /* server's m2m_tls_peer succeeds */
};

#define SNI  TLS_TEST_SERVER_FQDN
#define NONE M2M_FLAVOUR_NONE
#define FQDN M2M_FLAVOUR_FQDN
#define CSEF M2M_FLAVOUR_CSE_ID
#define HS   M2M_E_TLS_HANDSHAKE

#define CLI_CERT                                                                                   \
    {                                                                                              \
        CRED_GOOD, 1, FQDN, SNI, SNI, PSK_NONE, NULL                                               \
    }
#define CLI_CERT_SUITE(s)                                                                          \
    {                                                                                              \
        CRED_GOOD, 1, FQDN, SNI, SNI, PSK_NONE, (s)                                                \
    }
#define CLI_PSK(p)                                                                                 \
    {                                                                                              \
        CRED_NONE, 0, NONE, NULL, SNI, (p), NULL                                                   \
    }
#define CLI_PSK_SUITE(s)                                                                           \
    {                                                                                              \
        CRED_NONE, 0, NONE, NULL, SNI, PSK_GOOD, (s)                                               \
    }
#define SRV_CERT                                                                                   \
    {                                                                                              \
        CRED_GOOD, 1, CSEF, NULL, 0, 0                                                             \
    }
#define SRV_PSK                                                                                    \
    {                                                                                              \
        CRED_NONE, 0, NONE, NULL, 0, 1                                                             \
    }

/* clang-format off */
static const struct hs_case cases[] = {
    /* certificates (TS-0003 V3 8.2.2.2) */
    {"mutual certificates", BOTH, CLI_CERT, SRV_CERT,
     1, M2M_OK, M2M_OK, "ECDHE-ECDSA-AES128-GCM-SHA256", 1},
    {"client expects the SNI name by default", BOTH,
     {CRED_GOOD, 1, NONE, NULL, SNI, PSK_NONE, NULL}, SRV_CERT, 1, M2M_OK, M2M_OK, NULL, 1},
    {"server expects the exact client identity", BOTH, CLI_CERT,
     {CRED_GOOD, 1, CSEF, TLS_TEST_CLIENT_CSE, 0, 0}, 1, M2M_OK, M2M_OK, NULL, 1},
    {"TS-0003 TLS suite ECDHE-ECDSA-AES128-SHA256", TLS_ONLY,
     CLI_CERT_SUITE("ECDHE-ECDSA-AES128-SHA256"), SRV_CERT,
     1, M2M_OK, M2M_OK, "ECDHE-ECDSA-AES128-SHA256", 1},
    {"TS-0003 DTLS suite ECDHE-ECDSA-AES128-CCM8", DTLS_ONLY,
     CLI_CERT_SUITE("ECDHE-ECDSA-AES128-CCM8"), SRV_CERT,
     1, M2M_OK, M2M_OK, "ECDHE-ECDSA-AES128-CCM8", 1},
    {"wrong server name", BOTH,
     {CRED_GOOD, 1, FQDN, "maf.example.com", SNI, PSK_NONE, NULL}, SRV_CERT,
     0, M2M_E_CERT_NAME, HS, NULL, 0},
    {"SNI name not in the server certificate", BOTH,
     {CRED_GOOD, 1, NONE, NULL, "maf.example.com", PSK_NONE, NULL}, SRV_CERT,
     0, M2M_E_CERT_NAME, HS, NULL, 0},
    {"server certificate from an untrusted CA", BOTH, CLI_CERT,
     {CRED_ROGUE, 1, CSEF, NULL, 0, 0}, 0, M2M_E_CERT_UNTRUSTED, HS, NULL, 0},
    {"client certificate from an untrusted CA", BOTH,
     {CRED_ROGUE, 1, FQDN, SNI, SNI, PSK_NONE, NULL}, SRV_CERT,
     0, HS, M2M_E_CERT_UNTRUSTED, NULL, 0},
    {"wrong client identity", BOTH, CLI_CERT,
     {CRED_GOOD, 1, CSEF, "cse2.sp.example.com", 0, 0}, 0, HS, M2M_E_CERT_NAME, NULL, 0},
    {"client certificate of the wrong flavour", BOTH, CLI_CERT,
     {CRED_GOOD, 1, M2M_FLAVOUR_AE_ID, NULL, 0, 0}, 0, HS, M2M_OK, NULL, 0},
    {"client without certificate refused", BOTH,
     {CRED_NONE, 1, FQDN, SNI, SNI, PSK_NONE, NULL}, SRV_CERT, 0, HS, HS, NULL, 0},
    {"client without certificate, insecure server", BOTH,
     {CRED_NONE, 1, FQDN, SNI, SNI, PSK_NONE, NULL}, {CRED_GOOD, 1, CSEF, NULL, 1, 0},
     1, M2M_OK, M2M_OK, NULL, 0},
    /* PSK (TS-0003 V3 8.3.1, 10.2) */
    {"PSK", BOTH, CLI_PSK(PSK_GOOD), SRV_PSK, 1, M2M_OK, M2M_OK, "PSK-AES128-GCM-SHA256", 1},
    {"TS-0003 TLS suite PSK-AES128-CBC-SHA256", TLS_ONLY,
     CLI_PSK_SUITE("PSK-AES128-CBC-SHA256"), SRV_PSK,
     1, M2M_OK, M2M_OK, "PSK-AES128-CBC-SHA256", 1},
    {"TS-0003 DTLS suite PSK-AES128-CCM8", DTLS_ONLY,
     CLI_PSK_SUITE("PSK-AES128-CCM8"), SRV_PSK, 1, M2M_OK, M2M_OK, "PSK-AES128-CCM8", 1},
    {"PSK with a server that also has certificates", BOTH, CLI_PSK(PSK_GOOD),
     {CRED_GOOD, 1, CSEF, NULL, 0, 1}, 1, M2M_OK, M2M_OK, "PSK-AES128-GCM-SHA256", 1},
    {"wrong PSK", BOTH, CLI_PSK(PSK_WRONG_KEY), SRV_PSK, 0, M2M_OK, M2M_OK, NULL, 0},
    {"unknown PSK identity", BOTH, CLI_PSK(PSK_UNKNOWN_ID), SRV_PSK,
     0, HS, M2M_E_TLS_PSK_UNKNOWN, NULL, 0},
    {"PSK identity the lookup rejects", BOTH, CLI_PSK(PSK_REJECTED_ID), SRV_PSK,
     0, HS, M2M_E_TLS_PSK_UNKNOWN, NULL, 0},
    {"PSK client, certificate-only server", BOTH, CLI_PSK(PSK_GOOD), SRV_CERT,
     0, HS, HS, NULL, 0},
    {"certificate client, PSK-only server", BOTH, CLI_CERT, SRV_PSK, 0, HS, HS, NULL, 0},
};
/* clang-format on */

static int lookup(void *arg, const char *identity, struct m2m_secret **key, struct m2m_error *err)
{
    (void)arg;
    if (strcmp(identity, "kpm-001") == 0) {
        *key = m2m_secret_from_hex(KEY_GOOD, err);
        return *key != NULL ? 0 : -1;
    }
    if (strcmp(identity, "kpm-bad") == 0)
        return m2m_error_set(err, M2M_E_KEYID_SYNTAX, "not a KpmID");
    return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "no key for '%s'", identity);
}

static struct m2m_credential *pick(const struct tls_pki *p, enum cred_sel s, int client)
{
    if (s == CRED_GOOD)
        return client ? p->client : p->server;
    if (s == CRED_ROGUE)
        return client ? p->rogue_client : p->rogue_server;
    return NULL;
}

static void set_client_psk(struct m2m_tls_config *cfg, enum psk_sel s)
{
    static const struct {
        const char *id, *key;
    } psk[] = {[PSK_GOOD] = {"kpm-001", KEY_GOOD},
               [PSK_WRONG_KEY] = {"kpm-001", KEY_OTHER},
               [PSK_UNKNOWN_ID] = {"kpm-999", KEY_GOOD},
               [PSK_REJECTED_ID] = {"kpm-bad", KEY_GOOD}};
    struct m2m_error err;
    struct m2m_secret *key;

    if (s == PSK_NONE)
        return;
    key = m2m_secret_from_hex(psk[s].key, &err);
    assert_non_null(key);
    assert_int_equal(m2m_tls_config_set_psk_client(cfg, psk[s].id, key, &err), 0);
    m2m_secret_free(key);
}

static struct m2m_tls_config *client_config(const struct tls_pki *p, const struct hs_case *c,
                                            int timeout_ms)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);

    assert_non_null(cfg);
    m2m_tls_config_set_credential(cfg, pick(p, c->cli.cred, 1));
    if (c->cli.trust)
        m2m_tls_config_set_trust(cfg, p->trust);
    if (c->cli.flavour != M2M_FLAVOUR_NONE)
        assert_int_equal(m2m_tls_config_set_peer(cfg, c->cli.flavour, c->cli.expect, &err), 0);
    set_client_psk(cfg, c->cli.psk);
    m2m_tls_config_set_timeout_ms(cfg, timeout_ms);
    return cfg;
}

static struct m2m_tls_config *server_config(const struct tls_pki *p, const struct hs_case *c,
                                            int timeout_ms)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);

    assert_non_null(cfg);
    m2m_tls_config_set_credential(cfg, pick(p, c->srv.cred, 0));
    if (c->srv.trust)
        m2m_tls_config_set_trust(cfg, p->trust);
    if (c->srv.flavour != M2M_FLAVOUR_NONE)
        assert_int_equal(m2m_tls_config_set_peer(cfg, c->srv.flavour, c->srv.expect, &err), 0);
    if (c->srv.insecure_no_client_cert)
        m2m_tls_config_insecure_no_client_cert(cfg);
    if (c->srv.psk)
        m2m_tls_config_set_psk_server(cfg, lookup, NULL);
    m2m_tls_config_set_timeout_ms(cfg, timeout_ms);
    return cfg;
}

static struct m2m_tls_ctx *make_ctx(struct m2m_tls_config *cfg, enum m2m_tls_role role,
                                    enum m2m_transport t)
{
    struct m2m_error err;
    struct m2m_tls_ctx *ctx = m2m_tls_ctx_new(cfg, role, t, &err);

    if (ctx == NULL)
        fail_msg("context: %s", err.msg);
    m2m_tls_config_free(cfg); /* the context keeps its own reference */
    return ctx;
}

static void expect_success(const struct hs_case *c, enum m2m_transport t, const struct tls_end *ce,
                           const struct tls_end *se)
{
    int want_version = t == M2M_TRANSPORT_DTLS ? DTLS1_2_VERSION : TLS1_2_VERSION;
    static const unsigned char zero[TLS_TEST_EXPORT_LEN];

    if (ce->rc != 0 || se->rc != 0)
        fail_msg("%s: client '%s', server '%s'", c->name, ce->rc ? ce->err.msg : "ok",
                 se->rc ? se->err.msg : "ok");
    assert_int_equal(ce->export_rc, 0);
    assert_int_equal(se->export_rc, 0);
    assert_memory_equal(ce->exported, se->exported, TLS_TEST_EXPORT_LEN);
    assert_memory_not_equal(ce->exported, zero, TLS_TEST_EXPORT_LEN);
    assert_int_equal(ce->version, want_version);
    assert_string_equal(ce->cipher, se->cipher);
    assert_true(tls_cipher_allowed(ce->cipher));
    if (c->cipher != NULL)
        assert_string_equal(ce->cipher, c->cipher);
    assert_int_equal(ce->is_psk, c->cli.psk != PSK_NONE);
    assert_int_equal(se->is_psk, c->cli.psk != PSK_NONE);
    assert_true(se->app_data_ok);
    assert_int_equal(ce->peer_rc, 0);
    assert_int_equal(se->peer_rc, c->server_sees_peer ? 0 : -1);
}

static void expect_peers(const struct hs_case *c, const struct tls_end *ce,
                         const struct tls_end *se)
{
    if (c->cli.psk != PSK_NONE) {
        assert_int_equal(ce->peer.flavour, M2M_FLAVOUR_NONE);
        assert_string_equal(ce->peer.identity, "kpm-001");
        assert_int_equal(se->peer.flavour, M2M_FLAVOUR_NONE);
        assert_string_equal(se->peer.identity, "kpm-001");
        return;
    }
    assert_int_equal(ce->peer.flavour, M2M_FLAVOUR_FQDN);
    assert_string_equal(ce->peer.identity, TLS_TEST_SERVER_FQDN);
    if (c->server_sees_peer) {
        assert_int_equal(se->peer.flavour, M2M_FLAVOUR_CSE_ID);
        assert_string_equal(se->peer.identity, TLS_TEST_CLIENT_CSE);
    }
}

static void expect_failure(const struct hs_case *c, const struct tls_end *ce,
                           const struct tls_end *se)
{
    if (ce->rc == 0 || se->rc == 0)
        fail_msg("%s: handshake should fail (client rc %d, server rc %d)", c->name, ce->rc, se->rc);
    if (c->c_code != M2M_OK && ce->err.code != c->c_code)
        fail_msg("%s: client %s, want %s", c->name, ce->err.msg, m2m_errcode_name(c->c_code));
    if (c->s_code != M2M_OK && se->err.code != c->s_code)
        fail_msg("%s: server %s, want %s", c->name, se->err.msg, m2m_errcode_name(c->s_code));
    /* A verification or lookup failure is also reported by m2m_tls_ssl_error. */
    if (m2m_errcode_category(c->c_code) == M2M_CAT_VERIFY)
        assert_int_equal(ce->cb_code, c->c_code);
    if (m2m_errcode_category(c->s_code) == M2M_CAT_VERIFY)
        assert_int_equal(se->cb_code, c->s_code);
    assert_int_not_equal(ce->export_rc, 0);
    assert_int_not_equal(se->export_rc, 0);
    assert_int_not_equal(ce->peer_rc, 0);
}

static void run_case(const struct tls_pki *p, const struct hs_case *c, enum m2m_transport t)
{
    /* A wrong DTLS PSK shows as silently dropped records (RFC 6347 4.1.2.7): timeout. */
    int timeout_ms = c->ok ? 5000 : 1500;
    struct m2m_tls_ctx *cctx = make_ctx(client_config(p, c, timeout_ms), M2M_TLS_CLIENT, t);
    struct m2m_tls_ctx *sctx = make_ctx(server_config(p, c, timeout_ms), M2M_TLS_SERVER, t);
    struct tls_end ce, se;

    if (c->cli.ciphers != NULL)
        assert_int_equal(SSL_CTX_set_cipher_list(m2m_tls_ctx_ssl_ctx(cctx), c->cli.ciphers), 1);
    assert_int_equal(tls_pair_run(cctx, NULL, sctx, t, c->cli.sni, &ce, &se), 0);
    if (c->ok) {
        expect_success(c, t, &ce, &se);
        expect_peers(c, &ce, &se);
    } else {
        expect_failure(c, &ce, &se);
    }
    m2m_tls_ctx_free(cctx);
    m2m_tls_ctx_free(sctx);
}

static void run_table(enum m2m_transport t)
{
    struct tls_pki p;

    assert_int_equal(tls_pki_make(&p), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if ((cases[i].only == TLS_ONLY && t != M2M_TRANSPORT_TLS) ||
            (cases[i].only == DTLS_ONLY && t != M2M_TRANSPORT_DTLS))
            continue;
        print_message("%s: %s\n", t == M2M_TRANSPORT_TLS ? "TLS" : "DTLS", cases[i].name);
        run_case(&p, &cases[i], t);
    }
    tls_pki_free(&p);
}

static void test_tls_handshakes(void **state)
{
    (void)state;
    run_table(M2M_TRANSPORT_TLS);
}

static void test_dtls_handshakes(void **state)
{
    (void)state;
    run_table(M2M_TRANSPORT_DTLS);
}

/* Two sessions never export the same keying material (fresh randoms each time). */
static void test_exports_differ_per_session(void **state)
{
    struct tls_pki p;
    struct tls_end ce1, se1, ce2, se2;
    struct m2m_tls_ctx *cctx, *sctx;

    (void)state;
    assert_int_equal(tls_pki_make(&p), 0);
    cctx = make_ctx(client_config(&p, &cases[0], 5000), M2M_TLS_CLIENT, M2M_TRANSPORT_TLS);
    sctx = make_ctx(server_config(&p, &cases[0], 5000), M2M_TLS_SERVER, M2M_TRANSPORT_TLS);
    assert_int_equal(tls_pair_run(cctx, NULL, sctx, M2M_TRANSPORT_TLS, SNI, &ce1, &se1), 0);
    assert_int_equal(tls_pair_run(cctx, NULL, sctx, M2M_TRANSPORT_TLS, SNI, &ce2, &se2), 0);
    assert_int_equal(ce1.rc, 0);
    assert_int_equal(ce2.rc, 0);
    assert_memory_equal(ce2.exported, se2.exported, TLS_TEST_EXPORT_LEN);
    assert_memory_not_equal(ce1.exported, ce2.exported, TLS_TEST_EXPORT_LEN);
    m2m_tls_ctx_free(cctx);
    m2m_tls_ctx_free(sctx);
    tls_pki_free(&p);
}

/* SSLs that libcurl or libevent make from our SSL_CTX get the same verification; one
 * without SNI has no server name to check and is refused. */
static void test_foreign_ssl(void **state)
{
    static const struct {
        const char *sni;
        int ok;
    } sub[] = {{SNI, 1}, {"maf.example.com", 0}, {NULL, 0}};
    struct tls_pki p;
    struct m2m_tls_ctx *cctx, *sctx;
    struct tls_end ce, se;
    /* the default client: no m2m_tls_config_set_peer, expects the SNI name */
    const struct hs_case *c = &cases[1];

    (void)state;
    assert_int_equal(tls_pki_make(&p), 0);
    cctx = make_ctx(client_config(&p, c, 5000), M2M_TLS_CLIENT, M2M_TRANSPORT_TLS);
    sctx = make_ctx(server_config(&p, c, 5000), M2M_TLS_SERVER, M2M_TRANSPORT_TLS);
    for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
        assert_int_equal(tls_pair_run(NULL, m2m_tls_ctx_ssl_ctx(cctx), sctx, M2M_TRANSPORT_TLS,
                                      sub[i].sni, &ce, &se),
                         0);
        if (sub[i].ok) {
            assert_int_equal(ce.rc, 0);
            assert_memory_equal(ce.exported, se.exported, TLS_TEST_EXPORT_LEN);
            assert_string_equal(ce.peer.identity, TLS_TEST_SERVER_FQDN);
        } else {
            assert_int_equal(ce.rc, -1);
            assert_int_equal(ce.err.code, M2M_E_CERT_NAME);
            assert_int_equal(se.rc, -1);
        }
    }
    m2m_tls_ctx_free(cctx);
    m2m_tls_ctx_free(sctx);
    tls_pki_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_handshakes),
        cmocka_unit_test(test_dtls_handshakes),
        cmocka_unit_test(test_exports_differ_per_session),
        cmocka_unit_test(test_foreign_ssl),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
