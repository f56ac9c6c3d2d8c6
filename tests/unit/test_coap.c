/* The CoAPS binding between the library's client and server, both real libcoap over DTLS on
 * loopback (the server on an event loop in a thread of the test): the oneM2M options both
 * ways, the exporter equal on both ends, certificate and PSK sessions with our
 * verification inside the handshake, a deferred answer larger than one message
 * (separate response, Block2), the session ending after a closing answer, and refusals. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>

#include <m2msec/coap.h>
#include <m2msec/secret.h>

#include "tls_helpers.h"

#define BIG_BODY 3000

static struct tls_pki pki;
static const char psk_id[] = "kpm-0001@mef.example.com";
static const unsigned char psk_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

struct srv {
    struct event_base *base;
    struct m2m_tls_config *cfg;
    struct m2m_tls_ctx *ctx;
    struct m2m_coap_server *coap;
    unsigned short port;
    pthread_t th;
    atomic_int stop;
    /* what the last request carried */
    char method[8], path[128], origin[128], body[64];
    unsigned char exported[TLS_TEST_EXPORT_LEN];
    int is_psk;
    struct m2m_coap_exchange *deferred;
};

static int lookup(void *arg, const char *identity, struct m2m_secret **key, struct m2m_error *err)
{
    (void)arg;
    if (strcmp(identity, psk_id) != 0)
        return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "no PSK for '%s'", identity);
    *key = m2m_secret_from(psk_key, sizeof(psk_key), err);
    return *key != NULL ? 0 : -1;
}

static void answer_big(evutil_socket_t fd, short what, void *arg)
{
    struct srv *s = arg;
    char *body = malloc(BIG_BODY + 16);

    (void)fd, (void)what;
    assert_non_null(body);
    memset(body, 'x', BIG_BODY + 16);
    memcpy(body, "{\"pad\":\"", 8);
    memcpy(body + BIG_BODY - 2, "\"}", 3);
    m2m_coap_reply(s->deferred, 201, M2M_RSC_CREATED, body, false);
    s->deferred = NULL;
    free(body);
}

static void handler(void *arg, struct m2m_coap_exchange *x)
{
    struct srv *s = arg;
    struct m2m_error err;
    size_t len = 0;
    const char *body = m2m_coap_body(x, &len);
    SSL *ssl = m2m_coap_ssl(x);

    snprintf(s->method, sizeof(s->method), "%s", m2m_coap_method(x));
    snprintf(s->path, sizeof(s->path), "%s", m2m_coap_path(x));
    snprintf(s->origin, sizeof(s->origin), "%s", m2m_coap_origin(x) ? m2m_coap_origin(x) : "");
    snprintf(s->body, sizeof(s->body), "%.*s", (int)len, body);
    s->is_psk = m2m_tls_is_psk(ssl);
    assert_int_equal(
        m2m_tls_export(ssl, M2M_EXPORTER_BOOTSTRAP, s->exported, sizeof(s->exported), &err), 0);
    if (strcmp(s->path, "/big") == 0) { /* answered later from the loop: a separate response */
        struct timeval tv = {0, 20000};
        s->deferred = x;
        event_base_once(s->base, -1, EV_TIMEOUT, answer_big, s, &tv);
    } else if (strcmp(s->path, "/close") == 0) {
        m2m_coap_reply(x, 200, M2M_RSC_OK, "{\"bye\":true}", true);
    } else if (strcmp(s->path, "/missing") == 0) {
        m2m_coap_reply_error(x, 404, M2M_RSC_NOT_FOUND, "no such resource");
    } else {
        m2m_coap_reply(x, 201, M2M_RSC_CREATED, "{\"ok\":true}", false);
    }
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
    struct srv *s = arg;

    (void)fd, (void)what;
    if (atomic_load(&s->stop))
        event_base_loopbreak(s->base);
}

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    struct timeval tv = {0, 20000};
    struct event *t = event_new(s->base, -1, EV_PERSIST, tick, s);

    event_add(t, &tv);
    event_base_dispatch(s->base);
    event_free(t);
    return NULL;
}

static unsigned short free_udp_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int setup(void **state)
{
    struct srv *s = calloc(1, sizeof(*s));
    struct m2m_coap_config cc = {0};
    struct m2m_error err;

    assert_non_null(s);
    assert_non_null(s->base = event_base_new());
    assert_non_null(s->cfg = m2m_tls_config_new(&err));
    m2m_tls_config_set_credential(s->cfg, pki.server);
    m2m_tls_config_set_trust(s->cfg, pki.trust);
    assert_int_equal(m2m_tls_config_set_peer(s->cfg, M2M_FLAVOUR_CSE_ID, NULL, &err), 0);
    m2m_tls_config_set_psk_server(s->cfg, lookup, NULL);
    assert_non_null(s->ctx = m2m_tls_ctx_new(s->cfg, M2M_TLS_SERVER, M2M_TRANSPORT_DTLS, &err));
    s->port = free_udp_port();
    cc.address = "127.0.0.1";
    cc.port = s->port;
    cc.tls = s->ctx;
    cc.psk_fn = lookup;
    cc.handler = handler;
    cc.handler_arg = s;
    s->coap = m2m_coap_server_new(s->base, &cc, &err);
    assert_non_null(s->coap);
    assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct srv *s = *state;

    atomic_store(&s->stop, 1);
    pthread_join(s->th, NULL);
    m2m_coap_server_free(s->coap);
    m2m_tls_ctx_free(s->ctx);
    m2m_tls_config_free(s->cfg);
    event_base_free(s->base);
    free(s);
    return 0;
}

/* A client of the test PKI: its CSE-ID certificate, the root, the server's FQDN. */
static struct m2m_coap_client *cert_client(struct srv *s, struct m2m_credential *cred,
                                           struct m2m_error *err)
{
    struct m2m_tls_config *cfg = m2m_tls_config_new(err);
    struct m2m_coap_client *c;
    char url[64];

    assert_non_null(cfg);
    m2m_tls_config_set_credential(cfg, cred);
    m2m_tls_config_set_trust(cfg, pki.trust);
    snprintf(url, sizeof(url), "coaps://127.0.0.1:%u", s->port);
    c = m2m_coap_client_new(cfg, url, TLS_TEST_SERVER_FQDN, err);
    m2m_tls_config_free(cfg);
    if (c != NULL)
        m2m_coap_client_set_timeout_ms(c, 5000);
    return c;
}

static struct m2m_coap_client *psk_client(struct srv *s, const char *id, const unsigned char *k,
                                          struct m2m_error *err)
{
    struct m2m_tls_config *cfg = m2m_tls_config_new(err);
    struct m2m_secret *key = m2m_secret_from(k, sizeof(psk_key), err);
    struct m2m_coap_client *c;
    char url[64];

    assert_non_null(cfg);
    assert_int_equal(m2m_tls_config_set_psk_client(cfg, id, key, err), 0);
    snprintf(url, sizeof(url), "coaps://127.0.0.1:%u", s->port);
    c = m2m_coap_client_new(cfg, url, TLS_TEST_SERVER_FQDN, err);
    m2m_tls_config_free(cfg);
    m2m_secret_free(key);
    if (c != NULL)
        m2m_coap_client_set_timeout_ms(c, 3000);
    return c;
}

static void test_codes(void **state)
{
    static const struct {
        int http, coap;
    } t[] = {{200, 205}, {201, 201}, {400, 400}, {401, 401}, {403, 403}, {404, 404},
             {413, 413}, {415, 415}, {500, 500}, {501, 501}, {503, 503}};

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(m2m_coap_code_from_http(t[i].http), t[i].coap);
        assert_int_equal(m2m_coap_code_to_http(t[i].coap), t[i].http);
    }
    assert_int_equal(m2m_coap_code_from_http(418), 400); /* no CoAP twin: the class */
    assert_int_equal(m2m_coap_code_to_http(203), 200);   /* 2.03 Valid */
    assert_int_equal(m2m_client_url_is_coap("coaps://h:1"), 1);
    assert_int_equal(m2m_client_url_is_coap("https://h:1"), 0);
    assert_int_equal(m2m_client_url_is_coap("coap://h:1"), -1);
}

static void test_bad_urls(void **state)
{
    static const char *bad[] = {"coap://127.0.0.1:5684", "coaps://", "coaps://127.0.0.1:/",
                                "coaps://127.0.0.1:5684/enrolment", "coaps://[::1:5684"};
    struct m2m_tls_config *cfg;
    struct m2m_error err;

    (void)state;
    assert_non_null(cfg = m2m_tls_config_new(&err));
    m2m_tls_config_set_trust(cfg, pki.trust);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(m2m_coap_client_new(cfg, bad[i], "mef.example.com", &err));
        assert_int_equal(err.code, M2M_E_INVALID_ARG);
    }
    m2m_tls_config_free(cfg);
}

static void test_certificate_session(void **state)
{
    struct srv *s = *state;
    struct m2m_error err;
    struct m2m_coap_client *c = cert_client(s, pki.client, &err);
    unsigned char mine[TLS_TEST_EXPORT_LEN];
    struct m2m_verified v;
    char *body = NULL;
    int status = 0, rsc = 0;

    assert_non_null(c);
    assert_int_equal(m2m_coap_client_request(c, "POST", "/enrolment", "cse-origin", "{\"a\":1}",
                                             &status, &rsc, &body, &err),
                     0);
    assert_int_equal(status, 201);
    assert_int_equal(rsc, M2M_RSC_CREATED);
    assert_string_equal(body, "{\"ok\":true}");
    assert_string_equal(s->method, "POST");
    assert_string_equal(s->path, "/enrolment");
    assert_string_equal(s->origin, "cse-origin");
    assert_string_equal(s->body, "{\"a\":1}");
    assert_int_equal(s->is_psk, 0);
    /* TS-0003 10.3.1: both ends of the DTLS session export the same keying material. */
    assert_int_equal(m2m_coap_client_export(c, M2M_EXPORTER_BOOTSTRAP, mine, sizeof(mine), &err),
                     0);
    assert_memory_equal(mine, s->exported, sizeof(mine));
    assert_int_equal(m2m_coap_client_peer(c, &v), 0);
    assert_string_equal(v.identity, TLS_TEST_SERVER_FQDN);
    free(body);
    body = NULL;
    /* A second request on the same session; an error answer keeps code and reason. */
    assert_int_equal(
        m2m_coap_client_request(c, "GET", "/missing", NULL, NULL, &status, &rsc, &body, &err), 0);
    assert_int_equal(status, 404);
    assert_int_equal(rsc, M2M_RSC_NOT_FOUND);
    assert_non_null(strstr(body, "no such resource"));
    free(body);
    m2m_coap_client_free(c);
}

static void test_psk_session(void **state)
{
    struct srv *s = *state;
    static const unsigned char wrong[16] = {7};
    struct m2m_error err;
    struct m2m_coap_client *c = psk_client(s, psk_id, psk_key, &err);
    unsigned char mine[TLS_TEST_EXPORT_LEN];
    int status = 0, rsc = 0;

    assert_non_null(c);
    assert_int_equal(
        m2m_coap_client_request(c, "POST", "/enrolment", psk_id, "{}", &status, &rsc, NULL, &err),
        0);
    assert_int_equal(status, 201);
    assert_int_equal(s->is_psk, 1);
    assert_int_equal(m2m_coap_client_export(c, M2M_EXPORTER_BOOTSTRAP, mine, sizeof(mine), &err),
                     0);
    assert_memory_equal(mine, s->exported, sizeof(mine));
    m2m_coap_client_free(c);
    /* Unknown identity: the server refuses in the handshake. */
    assert_non_null(c = psk_client(s, "kpm-nobody", psk_key, &err));
    assert_int_not_equal(
        m2m_coap_client_request(c, "POST", "/enrolment", NULL, "{}", &status, &rsc, NULL, &err), 0);
    m2m_coap_client_free(c);
    /* Wrong key: the handshake never finishes; no answer. */
    assert_non_null(c = psk_client(s, psk_id, wrong, &err));
    assert_int_not_equal(
        m2m_coap_client_request(c, "POST", "/enrolment", NULL, "{}", &status, &rsc, NULL, &err), 0);
    assert_int_equal(err.code, M2M_E_TIMEOUT);
    m2m_coap_client_free(c);
}

static void test_deferred_blockwise(void **state)
{
    struct srv *s = *state;
    struct m2m_error err;
    struct m2m_coap_client *c = cert_client(s, pki.client, &err);
    char *body = NULL;
    int status = 0, rsc = 0;

    assert_non_null(c);
    assert_int_equal(
        m2m_coap_client_request(c, "POST", "/big", NULL, "{}", &status, &rsc, &body, &err), 0);
    assert_int_equal(status, 201);
    assert_int_equal(strlen(body), BIG_BODY);
    assert_memory_equal(body + BIG_BODY - 2, "\"}", 2);
    free(body);
    m2m_coap_client_free(c);
}

static void test_closing_answer(void **state)
{
    struct srv *s = *state;
    struct m2m_error err;
    struct m2m_coap_client *c = cert_client(s, pki.client, &err);
    char *body = NULL;
    int status = 0, rsc = 0;

    assert_non_null(c);
    assert_int_equal(
        m2m_coap_client_request(c, "POST", "/close", NULL, "{}", &status, &rsc, NULL, &err), 0);
    assert_int_equal(status, 200);
    assert_int_equal(
        m2m_coap_client_request(c, "POST", "/again", NULL, "{}", &status, &rsc, &body, &err), 0);
    assert_int_equal(status, 403);
    assert_non_null(strstr(body, "ended"));
    free(body);
    m2m_coap_client_free(c);
}

static void test_refused_certificates(void **state)
{
    struct srv *s = *state;
    struct m2m_error err;
    struct m2m_coap_client *c;
    struct m2m_tls_config *cfg;
    int status = 0, rsc = 0;
    char url[64];

    /* A client certificate from another root: refused by the server's verification. */
    assert_non_null(c = cert_client(s, pki.rogue_client, &err));
    m2m_coap_client_set_timeout_ms(c, 3000);
    assert_int_not_equal(
        m2m_coap_client_request(c, "POST", "/enrolment", NULL, "{}", &status, &rsc, NULL, &err), 0);
    m2m_coap_client_free(c);
    /* A client expecting another server name: refused by the client's verification. */
    assert_non_null(cfg = m2m_tls_config_new(&err));
    m2m_tls_config_set_credential(cfg, pki.client);
    m2m_tls_config_set_trust(cfg, pki.trust);
    snprintf(url, sizeof(url), "coaps://127.0.0.1:%u", s->port);
    assert_non_null(c = m2m_coap_client_new(cfg, url, "other.example.com", &err));
    m2m_tls_config_free(cfg);
    assert_int_not_equal(
        m2m_coap_client_request(c, "POST", "/enrolment", NULL, "{}", &status, &rsc, NULL, &err), 0);
    assert_int_equal(err.code, M2M_E_CERT_NAME);
    m2m_coap_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test_setup_teardown(test_certificate_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psk_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_blockwise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closing_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_certificates, setup, teardown),
    };
    int rc;

    if (tls_pki_make(&pki) != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    tls_pki_free(&pki);
    return rc;
}
