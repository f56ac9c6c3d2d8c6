/* A server PSK lookup that must wait for the network (a MAF fetching Km from the MEF)
 * pauses its ASYNC_JOB instead of blocking the thread (DESIGN.md section 6); the
 * handshake resumes when the wake-up fd fires and completes with identical exports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/async.h>

#include "tls_helpers.h"

#define KEY_HEX "00112233445566778899aabbccddeeff"

static const char wait_key; /* our tag in the ASYNC_WAIT_CTX */

struct lookup_state {
    int pauses;
    int fail; /* answer "unknown" after the pause */
};

static void *wake_later(void *p)
{
    int fd = (int)(intptr_t)p;

    usleep(20000);
    (void)!write(fd, "x", 1);
    return NULL;
}

/* Pauses once, as a fetch over the network would, then answers. */
static void pause_for_fetch(ASYNC_JOB *job, struct lookup_state *st)
{
    ASYNC_WAIT_CTX *wctx = ASYNC_get_wait_ctx(job);
    int p[2];
    pthread_t th;
    char c;

    assert_int_equal(pipe(p), 0);
    assert_int_equal(ASYNC_WAIT_CTX_set_wait_fd(wctx, &wait_key, p[0], NULL, NULL), 1);
    assert_int_equal(pthread_create(&th, NULL, wake_later, (void *)(intptr_t)p[1]), 0);
    ASYNC_pause_job();
    pthread_join(th, NULL);
    assert_int_equal(read(p[0], &c, 1), 1);
    ASYNC_WAIT_CTX_clear_fd(wctx, &wait_key);
    close(p[0]);
    close(p[1]);
    st->pauses++;
}

static int lookup(void *arg, const char *identity, struct m2m_secret **key, struct m2m_error *err)
{
    struct lookup_state *st = arg;
    ASYNC_JOB *job = ASYNC_get_current_job();

    if (job != NULL)
        pause_for_fetch(job, st);
    if (st->fail || strcmp(identity, "kpm-001") != 0)
        return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "MEF does not know '%s'", identity);
    *key = m2m_secret_from_hex(KEY_HEX, err);
    return *key != NULL ? 0 : -1;
}

static void run(int async_mode, int fail, struct tls_end *ce, struct tls_end *se,
                struct lookup_state *st)
{
    struct m2m_error err;
    struct m2m_tls_config *scfg = m2m_tls_config_new(&err);
    struct m2m_tls_config *ccfg = m2m_tls_config_new(&err);
    struct m2m_secret *key = m2m_secret_from_hex(KEY_HEX, &err);
    struct m2m_tls_ctx *sctx, *cctx;

    memset(st, 0, sizeof(*st));
    st->fail = fail;
    m2m_tls_config_set_psk_server(scfg, lookup, st);
    assert_int_equal(m2m_tls_config_set_psk_client(ccfg, "kpm-001", key, &err), 0);
    m2m_tls_config_set_timeout_ms(scfg, 3000);
    m2m_tls_config_set_timeout_ms(ccfg, 3000);
    sctx = m2m_tls_ctx_new(scfg, M2M_TLS_SERVER, M2M_TRANSPORT_TLS, &err);
    cctx = m2m_tls_ctx_new(ccfg, M2M_TLS_CLIENT, M2M_TRANSPORT_TLS, &err);
    assert_non_null(sctx);
    assert_non_null(cctx);
    if (async_mode)
        SSL_CTX_set_mode(m2m_tls_ctx_ssl_ctx(sctx), SSL_MODE_ASYNC);
    assert_int_equal(tls_pair_run(cctx, NULL, sctx, M2M_TRANSPORT_TLS, "maf.example.com", ce, se),
                     0);
    m2m_tls_ctx_free(sctx);
    m2m_tls_ctx_free(cctx);
    m2m_tls_config_free(scfg);
    m2m_tls_config_free(ccfg);
    m2m_secret_free(key);
}

static void test_async_lookup(void **state)
{
    static const struct {
        const char *name;
        int async_mode, fail, ok, pauses;
    } cases[] = {
        {"paused lookup succeeds", 1, 0, 1, 1},
        {"paused lookup rejects", 1, 1, 0, 1},
        {"same lookup without SSL_MODE_ASYNC", 0, 0, 1, 0},
    };
    struct tls_end ce, se;
    struct lookup_state st;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("%s\n", cases[i].name);
        run(cases[i].async_mode, cases[i].fail, &ce, &se, &st);
        assert_int_equal(st.pauses, cases[i].pauses);
        if (cases[i].ok) {
            if (ce.rc != 0 || se.rc != 0)
                fail_msg("%s: client '%s' server '%s'", cases[i].name, ce.err.msg, se.err.msg);
            assert_memory_equal(ce.exported, se.exported, TLS_TEST_EXPORT_LEN);
            assert_string_equal(se.peer.identity, "kpm-001");
        } else {
            assert_int_equal(se.rc, -1);
            assert_int_equal(se.err.code, M2M_E_TLS_PSK_UNKNOWN);
            assert_non_null(strstr(se.err.msg, "MEF does not know"));
            assert_int_equal(ce.rc, -1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_async_lookup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
