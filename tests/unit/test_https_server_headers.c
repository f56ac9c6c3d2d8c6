/* The HTTPS server as the GBA Ub listener uses it: a server-authenticated session (no client
 * certificate asked), the raw query of the request, and extra answer headers such as
 * WWW-Authenticate (RFC 7235 4.1), of which malformed ones are left out rather than let
 * split the answer. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/event.h>

#include <m2msec/net.h>

#include "tls_helpers.h"

static struct tls_pki pki;

struct srv {
    struct event_base *base;
    struct m2m_tls_config *cfg;
    struct m2m_tls_ctx *ctx;
    struct m2m_https_server *srv;
    pthread_t th;
};

/* Echoes the query and answers with one good and two malformed extra headers. */
static void handler(void *arg, struct m2m_https_exchange *x)
{
    static const struct m2m_http_header h[] = {
        {"WWW-Authenticate", "Digest realm=\"bsf.example.com\", nonce=\"n\""},
        {"X-Split", "a\r\nX-Evil: injected"},
        {"Bad Name", "v"},
    };
    const char *q = m2m_https_query(x);
    char body[1200];

    (void)arg;
    snprintf(body, sizeof(body), "{\"query\":\"%s\",\"has\":%s}", q ? q : "", q ? "true" : "false");
    m2m_https_reply_headers(x, 401, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, body, false, h, 3);
}

static void *run(void *p)
{
    event_base_dispatch(((struct srv *)p)->base);
    return NULL;
}

static void srv_start(struct srv *s, unsigned short *port)
{
    struct m2m_https_config hc;
    struct m2m_error err;

    memset(s, 0, sizeof(*s));
    assert_int_equal(m2m_net_init_threads(&err), 0);
    s->base = event_base_new();
    /* The Ub listener's context: its own certificate, no trust set, no PSK. */
    s->cfg = m2m_tls_config_new(&err);
    m2m_tls_config_set_credential(s->cfg, pki.server);
    s->ctx = m2m_tls_ctx_new(s->cfg, M2M_TLS_SERVER, M2M_TRANSPORT_TLS, &err);
    assert_non_null(s->ctx);
    memset(&hc, 0, sizeof(hc));
    hc.address = "127.0.0.1";
    hc.fd = -1;
    hc.tls = s->ctx;
    hc.timeout_ms = 3000;
    hc.handler = handler;
    s->srv = m2m_https_server_new(s->base, &hc, &err);
    if (s->srv == NULL)
        fail_msg("server: %s", err.msg);
    *port = m2m_https_server_port(s->srv);
    assert_int_equal(pthread_create(&s->th, NULL, run, s), 0);
}

static void srv_stop(struct srv *s)
{
    event_base_loopbreak(s->base);
    pthread_join(s->th, NULL);
    m2m_https_server_free(s->srv);
    m2m_tls_ctx_free(s->ctx);
    m2m_tls_config_free(s->cfg);
    event_base_free(s->base);
}

/* A client with no certificate of its own that verifies the server's FQDN certificate. */
static struct m2m_https_client *client(unsigned short port)
{
    struct m2m_tls_config *cfg;
    struct m2m_https_client *c;
    struct m2m_error err;
    char url[64];

    cfg = m2m_tls_config_new(&err);
    m2m_tls_config_set_trust(cfg, pki.trust);
    snprintf(url, sizeof(url), "https://127.0.0.1:%u", port);
    c = m2m_https_client_new(cfg, url, TLS_TEST_SERVER_FQDN, &err);
    m2m_tls_config_free(cfg);
    assert_non_null(c);
    return c;
}

static void ask(unsigned short port, const char *path, const char *want,
                struct m2m_https_response *rs)
{
    struct m2m_https_client *c = client(port);
    struct m2m_https_request rq = {.method = "GET", .path = path, .want_header = want};
    struct m2m_error err;

    if (m2m_https_client_send(c, &rq, rs, &err) != 0)
        fail_msg("request: %s", err.msg);
    m2m_https_client_free(c);
}

static void test_headers_and_query(void **state)
{
    struct m2m_https_response rs;
    unsigned short port = 0;
    struct srv s;

    (void)state;
    srv_start(&s, &port);
    ask(port, "/gba/bootstrap?ua=01000100ae&x=%2F", "WWW-Authenticate", &rs);
    assert_int_equal(rs.status, 401);
    assert_int_equal(rs.rsc, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
    assert_string_equal(rs.header, "Digest realm=\"bsf.example.com\", nonce=\"n\"");
    /* The query as received, still percent-encoded. */
    assert_string_equal(rs.body, "{\"query\":\"ua=01000100ae&x=%2F\",\"has\":true}");
    m2m_https_response_clear(&rs);
    /* Malformed headers were left out: no injected header reached the client. */
    ask(port, "/gba/bootstrap", "X-Evil", &rs);
    assert_null(rs.header);
    assert_string_equal(rs.body, "{\"query\":\"\",\"has\":false}");
    m2m_https_response_clear(&rs);
    ask(port, "/gba/bootstrap", "X-Split", &rs);
    assert_null(rs.header);
    m2m_https_response_clear(&rs);
    srv_stop(&s);
}

static int setup(void **state)
{
    (void)state;
    return tls_pki_make(&pki);
}

static int teardown(void **state)
{
    (void)state;
    tls_pki_free(&pki);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_and_query),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
