/* The HTTPS client against a small TLS/HTTP server running in a thread of the test: one
 * session for all requests, the export equal to the server's, oneM2M verification inside
 * libcurl's handshake, PSK, the response cap, and refusal to continue on a new session. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

#include <m2msec/net.h>
#include <m2msec/secret.h>

#include "tls_helpers.h"

enum srv_mode { SRV_KEEP, SRV_CLOSE_FIRST, SRV_SIZED };

struct srv {
    struct m2m_tls_ctx *ctx;
    enum srv_mode mode;
    size_t body_size; /* SRV_SIZED */
    int lfd;
    unsigned short port;
    pthread_t th;
    atomic_int stop;
    /* What the server saw. */
    int handshakes;
    int requests;
    unsigned char exported[TLS_TEST_EXPORT_LEN];
    char origin[128];
    char ri[64];
    char auth[2100];
};

static struct tls_pki pki;
static const char psk_id[] = "kpm-0001";
static const unsigned char psk_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const unsigned char psk_other[16] = {9};

/* ---- Server ---- */

static int listen_socket(unsigned short *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(listen(fd, 8), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void header_value(const char *req, const char *name, char *out, size_t outsz)
{
    const char *p = strcasestr(req, name);
    size_t n;

    out[0] = '\0';
    if (p == NULL || p[strlen(name)] != ':')
        return;
    p += strlen(name) + 1;
    p += strspn(p, " ");
    n = strcspn(p, "\r\n");
    snprintf(out, outsz, "%.*s", (int)(n < outsz ? n : outsz - 1), p);
}

/* Reads one request (headers and a Content-Length body); 0 when one arrived. */
static int read_request(SSL *ssl, struct srv *s)
{
    char buf[8192], cl[16];
    size_t len = 0, need;
    char *end;
    int n;

    buf[0] = '\0';
    while ((end = strstr(buf, "\r\n\r\n")) == NULL) {
        n = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len));
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
    }
    header_value(buf, "Content-Length", cl, sizeof(cl));
    need = (size_t)(end + 4 - buf) + (size_t)strtoul(cl, NULL, 10);
    while (len < need && len < sizeof(buf) - 1) {
        n = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len));
        if (n <= 0)
            return -1;
        len += (size_t)n;
    }
    buf[len] = '\0';
    header_value(buf, "X-M2M-Origin", s->origin, sizeof(s->origin));
    header_value(buf, "X-M2M-RI", s->ri, sizeof(s->ri));
    header_value(buf, "Authorization", s->auth, sizeof(s->auth));
    return 0;
}

static int respond(SSL *ssl, struct srv *s)
{
    char head[256], *body;
    size_t blen = s->mode == SRV_SIZED ? s->body_size : 0;
    int close_now = s->mode == SRV_CLOSE_FIRST;
    int ok;

    body = malloc(blen + 32);
    assert_non_null(body);
    if (s->mode == SRV_SIZED)
        memset(body, 'x', blen);
    else
        blen = (size_t)snprintf(body, 32, "{\"n\":%d}", s->requests);
    snprintf(head, sizeof(head),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-M2M-RSC: 2000\r\n"
             "WWW-Authenticate:   Digest realm=\"r.example.com\"  \r\n"
             "Content-Length: %zu\r\n%s\r\n",
             blen, close_now ? "Connection: close\r\n" : "");
    ok = SSL_write(ssl, head, (int)strlen(head)) > 0 && SSL_write(ssl, body, (int)blen) > 0;
    free(body);
    return ok && !close_now ? 0 : -1;
}

static void serve_connection(struct srv *s, int fd)
{
    struct m2m_error err;
    SSL *ssl = m2m_tls_ssl_new(s->ctx, NULL, &err);
    struct timeval tv = {.tv_sec = 3};

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (ssl != NULL && m2m_tls_handshake_fd(ssl, fd, &err) == 0) {
        s->handshakes++;
        if (m2m_tls_export(ssl, M2M_EXPORTER_BOOTSTRAP, s->exported, sizeof(s->exported), &err) !=
            0)
            memset(s->exported, 0, sizeof(s->exported));
        for (int i = 0; i < 8 && read_request(ssl, s) == 0; i++) {
            s->requests++;
            if (respond(ssl, s) != 0)
                break;
        }
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    close(fd);
}

static void *server_main(void *p)
{
    struct srv *s = p;
    struct pollfd pfd = {.fd = s->lfd, .events = POLLIN};

    /* Bounded: at most 4 connections or 100 polls of 50 ms. */
    for (int i = 0, conns = 0; i < 100 && conns < 4 && !atomic_load(&s->stop); i++) {
        if (poll(&pfd, 1, 50) == 1) {
            int fd = accept(s->lfd, NULL, NULL);
            if (fd >= 0) {
                serve_connection(s, fd);
                conns++;
            }
        }
    }
    return NULL;
}

static void srv_start(struct srv *s, struct m2m_tls_config *cfg, enum srv_mode mode,
                      size_t body_size)
{
    struct m2m_error err;

    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->body_size = body_size;
    s->ctx = m2m_tls_ctx_new(cfg, M2M_TLS_SERVER, M2M_TRANSPORT_TLS, &err);
    assert_non_null(s->ctx);
    s->lfd = listen_socket(&s->port);
    assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
}

static void srv_stop(struct srv *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->th, NULL);
    close(s->lfd);
    m2m_tls_ctx_free(s->ctx);
}

/* ---- Configurations ---- */

static struct m2m_tls_config *server_cert_config(struct m2m_credential *cred)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);

    assert_non_null(cfg);
    m2m_tls_config_set_credential(cfg, cred);
    return cfg;
}

static int lookup(void *arg, const char *identity, struct m2m_secret **key, struct m2m_error *err)
{
    if (strcmp(identity, psk_id) != 0)
        return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "%s", identity);
    *key = m2m_secret_from(arg, sizeof(psk_key), err);
    return *key != NULL ? 0 : -1;
}

static struct m2m_tls_config *server_psk_config(const unsigned char *key)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);

    assert_non_null(cfg);
    m2m_tls_config_set_psk_server(cfg, lookup, (void *)key);
    return cfg;
}

static struct m2m_tls_config *client_cert_config(void)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);

    assert_non_null(cfg);
    m2m_tls_config_set_trust(cfg, pki.trust);
    return cfg;
}

static struct m2m_tls_config *client_psk_config(void)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);
    struct m2m_secret *k = m2m_secret_from(psk_key, sizeof(psk_key), &err);

    assert_non_null(cfg);
    assert_non_null(k);
    assert_int_equal(m2m_tls_config_set_psk_client(cfg, psk_id, k, &err), 0);
    m2m_secret_free(k);
    return cfg;
}

static struct m2m_https_client *client_for(struct m2m_tls_config *cfg, unsigned short port,
                                           const char *name)
{
    char url[64];
    struct m2m_error err;
    struct m2m_https_client *c;

    snprintf(url, sizeof(url), "https://127.0.0.1:%u", port);
    c = m2m_https_client_new(cfg, url, name, &err);
    if (c == NULL)
        fail_msg("client: %s", err.msg);
    m2m_https_client_set_timeout_ms(c, 3000);
    return c;
}

/* ---- Tests ---- */

static void two_requests_one_session(struct m2m_tls_config *scfg, struct m2m_tls_config *ccfg,
                                     int expect_psk)
{
    struct srv s;
    struct m2m_error err;
    struct m2m_https_client *c;
    int status = 0, rsc = 0;
    char *body = NULL;
    unsigned char exp[TLS_TEST_EXPORT_LEN];
    struct m2m_verified peer;

    srv_start(&s, scfg, SRV_KEEP, 0);
    c = client_for(ccfg, s.port, TLS_TEST_SERVER_FQDN);
    assert_int_equal(m2m_https_client_export(c, M2M_EXPORTER_BOOTSTRAP, exp, sizeof(exp), &err),
                     -1);
    assert_int_equal(m2m_https_client_peer(c, &peer), -1);
    assert_int_equal(m2m_https_client_request(c, "POST", "/enrolment", "dev-1", "{\"a\":true}",
                                              &status, &rsc, &body, &err),
                     0);
    assert_int_equal(status, 200);
    assert_int_equal(rsc, 2000);
    assert_string_equal(body, "{\"n\":1}");
    free(body);
    assert_string_equal(s.origin, "dev-1");
    assert_int_equal(strlen(s.ri), 16);
    assert_int_equal(m2m_https_client_export(c, M2M_EXPORTER_BOOTSTRAP, exp, sizeof(exp), &err), 0);
    assert_int_equal(
        m2m_https_client_request(c, "GET", "/x", NULL, NULL, &status, NULL, &body, &err), 0);
    assert_string_equal(body, "{\"n\":2}");
    free(body);
    assert_true(m2m_https_client_connected(c));
    assert_int_equal(m2m_https_client_peer(c, &peer), 0);
    if (expect_psk) {
        assert_int_equal(peer.flavour, M2M_FLAVOUR_NONE);
    } else {
        assert_int_equal(peer.flavour, M2M_FLAVOUR_FQDN);
        assert_string_equal(peer.identity, TLS_TEST_SERVER_FQDN);
    }
    m2m_https_client_free(c);
    srv_stop(&s);
    assert_int_equal(s.handshakes, 1); /* both requests on one connection */
    assert_int_equal(s.requests, 2);
    assert_memory_equal(exp, s.exported, sizeof(exp));
}

static void test_cert_session(void **state)
{
    struct m2m_tls_config *scfg = server_cert_config(pki.server), *ccfg = client_cert_config();

    (void)state;
    two_requests_one_session(scfg, ccfg, 0);
    m2m_tls_config_free(scfg);
    m2m_tls_config_free(ccfg);
}

static void test_psk_session(void **state)
{
    struct m2m_tls_config *scfg = server_psk_config(psk_key), *ccfg = client_psk_config();

    (void)state;
    two_requests_one_session(scfg, ccfg, 1);
    m2m_tls_config_free(scfg);
    m2m_tls_config_free(ccfg);
}

/* Handshakes our verification or the server must refuse. */
struct refusal_case {
    const char *what;
    int psk;
    int rogue;
    const char *name;
    enum m2m_errcode code;
};

static const struct refusal_case refusals[] = {
    {"wrong server name", 0, 0, "other.example.com", M2M_E_CERT_NAME},
    {"server under another root", 0, 1, TLS_TEST_SERVER_FQDN, M2M_E_CERT_UNTRUSTED},
    {"wrong PSK", 1, 0, TLS_TEST_SERVER_FQDN, M2M_E_TLS_HANDSHAKE},
};

static void test_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        const struct refusal_case *rc = &refusals[i];
        struct m2m_tls_config *scfg =
            rc->psk ? server_psk_config(psk_other)
                    : server_cert_config(rc->rogue ? pki.rogue_server : pki.server);
        struct m2m_tls_config *ccfg = rc->psk ? client_psk_config() : client_cert_config();
        struct srv s;
        struct m2m_error err;
        struct m2m_https_client *c;
        int status = 0;
        char *body = NULL;

        srv_start(&s, scfg, SRV_KEEP, 0);
        c = client_for(ccfg, s.port, rc->name);
        assert_int_equal(
            m2m_https_client_request(c, "GET", "/", NULL, NULL, &status, NULL, &body, &err), -1);
        if (err.code != rc->code)
            fail_msg("%s: got %s (%s)", rc->what, m2m_errcode_name(err.code), err.msg);
        assert_null(body);
        m2m_https_client_free(c);
        srv_stop(&s);
        assert_int_equal(s.requests, 0);
        m2m_tls_config_free(scfg);
        m2m_tls_config_free(ccfg);
    }
}

static void test_response_cap(void **state)
{
    static const struct {
        size_t size;
        int rc;
    } cases[] = {
        {0, 0}, {M2M_HTTPS_CLIENT_MAX_RESPONSE, 0}, {M2M_HTTPS_CLIENT_MAX_RESPONSE + 1, -1}};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_tls_config *scfg = server_cert_config(pki.server), *ccfg = client_cert_config();
        struct srv s;
        struct m2m_error err;
        struct m2m_https_client *c;
        int status = 0;
        char *body = NULL;

        srv_start(&s, scfg, SRV_SIZED, cases[i].size);
        c = client_for(ccfg, s.port, TLS_TEST_SERVER_FQDN);
        assert_int_equal(
            m2m_https_client_request(c, "GET", "/", NULL, NULL, &status, NULL, &body, &err),
            cases[i].rc);
        if (cases[i].rc == 0) {
            assert_non_null(body);
            assert_int_equal(strlen(body), cases[i].size);
        } else {
            assert_int_equal(err.code, M2M_E_TOO_LARGE);
            assert_null(body);
        }
        free(body);
        m2m_https_client_free(c);
        srv_stop(&s);
        m2m_tls_config_free(scfg);
        m2m_tls_config_free(ccfg);
    }
}

/* The server closes after the first answer: the export is gone, and the next request is
 * refused before it is sent on the new session libcurl would open. */
static void test_no_second_session(void **state)
{
    struct m2m_tls_config *scfg = server_cert_config(pki.server), *ccfg = client_cert_config();
    struct srv s;
    struct m2m_error err;
    struct m2m_https_client *c;
    int status = 0;
    unsigned char exp[TLS_TEST_EXPORT_LEN];

    (void)state;
    srv_start(&s, scfg, SRV_CLOSE_FIRST, 0);
    c = client_for(ccfg, s.port, TLS_TEST_SERVER_FQDN);
    assert_int_equal(
        m2m_https_client_request(c, "POST", "/a", "x", "{}", &status, NULL, NULL, &err), 0);
    assert_false(m2m_https_client_connected(c));
    assert_int_equal(m2m_https_client_export(c, M2M_EXPORTER_BOOTSTRAP, exp, sizeof(exp), &err),
                     -1);
    assert_int_equal(err.code, M2M_E_TLS_EXPORT);
    assert_int_equal(
        m2m_https_client_request(c, "POST", "/b", "x", "{}", &status, NULL, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_TLS);
    m2m_https_client_free(c);
    srv_stop(&s);
    assert_int_equal(s.requests, 1);
    m2m_tls_config_free(scfg);
    m2m_tls_config_free(ccfg);
}

static void test_unreachable(void **state)
{
    struct m2m_tls_config *ccfg = client_cert_config();
    struct m2m_error err;
    struct m2m_https_client *c;
    unsigned short port;
    int fd = listen_socket(&port), status = 0;

    (void)state;
    close(fd); /* nothing listens there now */
    c = client_for(ccfg, port, TLS_TEST_SERVER_FQDN);
    assert_int_equal(m2m_https_client_request(c, "GET", "/", NULL, NULL, &status, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, M2M_E_IO);
    m2m_https_client_free(c);
    m2m_tls_config_free(ccfg);
}

static void test_bad_arguments(void **state)
{
    static const struct {
        const char *url, *name;
    } bad[] = {
        {"http://127.0.0.1:1", "mef.example.com"},
        {"https://127.0.0.1:1/enrolment", "mef.example.com"},
        {"not a url", "mef.example.com"},
        {"https://127.0.0.1:1", "mef.example.com:99"},
        {"https://127.0.0.1:1", ""},
    };
    struct m2m_tls_config *ccfg = client_cert_config();
    struct m2m_https_client *c;
    struct m2m_error err;
    int status;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(m2m_https_client_new(ccfg, bad[i].url, bad[i].name, &err));
        assert_int_equal(err.code, M2M_E_INVALID_ARG);
    }
    c = client_for(ccfg, 1, TLS_TEST_SERVER_FQDN);
    assert_int_equal(
        m2m_https_client_request(c, "GET", "no-slash", NULL, NULL, &status, NULL, NULL, &err), -1);
    assert_int_equal(
        m2m_https_client_request(c, "GET", "/", "a\r\nX-Evil: 1", NULL, &status, NULL, NULL, &err),
        -1);
    assert_int_equal(
        m2m_https_client_request(c, "get me", "/", NULL, NULL, &status, NULL, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    m2m_https_client_free(c);
    m2m_https_client_free(NULL);
    m2m_tls_config_free(ccfg);
}

/* Extra request headers reach the server; the wanted response header comes back trimmed;
 * headers the client sets itself, or that would break the request, are refused unsent. */
static void test_extra_headers(void **state)
{
    struct m2m_tls_config *scfg = server_cert_config(pki.server), *ccfg = client_cert_config();
    static const struct m2m_http_header bad[] = {
        {"Host", "evil.example.com"},
        {"x-m2m-origin", "someone"},
        {"Authorization", "Digest a=1\r\nX-Evil: 1"},
        {"Bad:Name", "v"},
        {"", "v"},
        {"Authorization", NULL},
    };
    const struct m2m_http_header ok = {"Authorization", "Digest username=\"u@ims.example.com\""};
    struct m2m_https_request rq = {.method = "GET", .path = "/gba/bootstrap"};
    struct m2m_https_response rs;
    struct m2m_https_client *c;
    struct m2m_error err;
    struct srv s;

    (void)state;
    srv_start(&s, scfg, SRV_KEEP, 0);
    c = client_for(ccfg, s.port, TLS_TEST_SERVER_FQDN);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rq.headers = &bad[i];
        rq.n_headers = 1;
        assert_int_equal(m2m_https_client_send(c, &rq, &rs, &err), -1);
        assert_int_equal(err.code, M2M_E_INVALID_ARG);
        assert_null(rs.body);
    }
    rq.headers = &ok;
    rq.n_headers = 1;
    rq.want_header = "www-authenticate";
    assert_int_equal(m2m_https_client_send(c, &rq, &rs, &err), 0);
    assert_int_equal(rs.status, 200);
    assert_string_equal(rs.header, "Digest realm=\"r.example.com\"");
    m2m_https_response_clear(&rs);
    rq.want_header = "X-Absent";
    assert_int_equal(m2m_https_client_send(c, &rq, &rs, &err), 0);
    assert_null(rs.header);
    assert_non_null(rs.body);
    m2m_https_response_clear(&rs);
    /* A long value (a Digest header near its bound) travels whole. */
    {
        char longv[2040];
        struct m2m_http_header lh = {"Authorization", longv};
        memset(longv, 'v', sizeof(longv) - 1);
        longv[sizeof(longv) - 1] = '\0';
        rq.headers = &lh;
        rq.want_header = NULL;
        assert_int_equal(m2m_https_client_send(c, &rq, &rs, &err), 0);
        m2m_https_response_clear(&rs);
        m2m_https_client_free(c);
        srv_stop(&s);
        assert_int_equal(strlen(s.auth), sizeof(longv) - 1);
    }
    assert_int_equal(s.requests, 3); /* the refused ones never left */
    m2m_tls_config_free(scfg);
    m2m_tls_config_free(ccfg);
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
        cmocka_unit_test(test_cert_session),      cmocka_unit_test(test_psk_session),
        cmocka_unit_test(test_refusals),          cmocka_unit_test(test_response_cap),
        cmocka_unit_test(test_no_second_session), cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_bad_arguments),     cmocka_unit_test(test_extra_headers),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
