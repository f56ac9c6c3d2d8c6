/* A server PSK lookup that is told the handshake's suite, and a client bound to one suite:
 * what a GBA key (Ks_NAF, bound to the suite through the Ua id, TS 33.220 Annex H) needs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tls_helpers.h"

static const unsigned char key_bytes[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

struct seen {
    uint16_t suite;
    char identity[64];
};

static int lookup(void *arg, const char *identity, uint16_t suite, struct m2m_secret **key,
                  struct m2m_error *err)
{
    struct seen *s = arg;

    s->suite = suite;
    snprintf(s->identity, sizeof(s->identity), "%s", identity);
    *key = m2m_secret_from(key_bytes, sizeof(key_bytes), err);
    return *key != NULL ? 0 : -1;
}

static struct m2m_tls_ctx *ctx_of(struct m2m_tls_config *cfg, enum m2m_tls_role role,
                                  enum m2m_transport t)
{
    struct m2m_error err;
    struct m2m_tls_ctx *ctx = m2m_tls_ctx_new(cfg, role, t, &err);

    if (ctx == NULL)
        fail_msg("context: %s", err.msg);
    m2m_tls_config_free(cfg);
    return ctx;
}

static void run(enum m2m_transport t, uint16_t only, const char *want_cipher)
{
    struct m2m_error err;
    struct m2m_tls_config *cc = m2m_tls_config_new(&err), *sc = m2m_tls_config_new(&err);
    struct m2m_secret *k = m2m_secret_from(key_bytes, sizeof(key_bytes), &err);
    struct tls_end ce, se;
    struct seen seen = {0};

    assert_non_null(cc);
    assert_non_null(sc);
    assert_int_equal(
        m2m_tls_config_set_psk_client(cc, "AAECAwQFBgcICQoLDA0ODw==@mef.example.com", k, &err), 0);
    if (only != 0)
        assert_int_equal(m2m_tls_config_set_psk_suite(cc, only, &err), 0);
    m2m_tls_config_set_psk_server_suite(sc, lookup, &seen);
    struct m2m_tls_ctx *cctx = ctx_of(cc, M2M_TLS_CLIENT, t), *sctx = ctx_of(sc, M2M_TLS_SERVER, t);
    assert_int_equal(tls_pair_run(cctx, NULL, sctx, t, "maf.example.com", &ce, &se), 0);
    if (ce.rc != 0 || se.rc != 0)
        fail_msg("client '%s', server '%s'", ce.rc ? ce.err.msg : "ok", se.rc ? se.err.msg : "ok");
    assert_string_equal(ce.cipher, want_cipher);
    assert_string_equal(seen.identity, "AAECAwQFBgcICQoLDA0ODw==@mef.example.com");
    /* The lookup saw the suite the handshake then used. */
    assert_string_equal(m2m_tls_psk_suite_name(seen.suite), want_cipher);
    assert_memory_equal(ce.exported, se.exported, TLS_TEST_EXPORT_LEN);
    m2m_tls_ctx_free(cctx);
    m2m_tls_ctx_free(sctx);
    m2m_secret_free(k);
}

static void test_suite_reaches_lookup(void **state)
{
    (void)state;
    /* The server's preference when the client offers every PSK suite. */
    run(M2M_TRANSPORT_TLS, 0, "PSK-AES128-GCM-SHA256");
    /* A client bound to one suite offers only it. */
    run(M2M_TRANSPORT_TLS, M2M_TLS_PSK_AES128_CBC_SHA256, "PSK-AES128-CBC-SHA256");
    run(M2M_TRANSPORT_DTLS, M2M_TLS_PSK_AES128_CCM8, "PSK-AES128-CCM8");
}

static void test_suite_refused(void **state)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);

    (void)state;
    assert_non_null(cfg);
    /* An ECDHE suite, a suite outside TS-0003 and 0 are not PSK suites of the profile. */
    assert_int_not_equal(m2m_tls_config_set_psk_suite(cfg, 0xC02B, &err), 0);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_int_not_equal(m2m_tls_config_set_psk_suite(cfg, 0x008C, &err), 0);
    assert_int_not_equal(m2m_tls_config_set_psk_suite(cfg, 0, &err), 0);
    assert_int_not_equal(m2m_tls_config_set_psk_suite(NULL, M2M_TLS_PSK_AES128_CCM8, &err), 0);
    assert_null(m2m_tls_psk_suite_name(0xC02B));
    assert_string_equal(m2m_tls_psk_suite_name(M2M_TLS_PSK_AES128_CCM8), "PSK-AES128-CCM8");
    m2m_tls_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_reaches_lookup),
        cmocka_unit_test(test_suite_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
