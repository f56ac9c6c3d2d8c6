/* HTTPS/1.1 server: libevent's evhttp over bufferevent_openssl, with the SSL of each
 * connection made by the tls layer (so oneM2M verification runs inside the handshake).
 *
 * Limits: a connection must finish its handshake and each request within the timeout,
 * stays open idle at most the timeout, and may not send a body over
 * max_body (evhttp answers 413). Above max_connections the listener is paused until a
 * connection closes; the count follows each SSL object's life through an ex_data slot. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include <m2msec/net.h>

#include "core/safety.h"

/* Counts live connections. It outlives the server while any connection's SSL does: libevent
 * may free a connection's bufferevent (and with it the SSL) after evhttp_free returned. */
struct conn_track {
    int refs; /* the server's, plus one per live connection */
    int connections;
    struct m2m_https_server *srv; /* NULL once the server is freed */
};

struct m2m_https_server {
    struct event_base *base;
    struct evhttp *http;
    struct evconnlistener *listener;
    struct m2m_https_config cfg;
    struct conn_track *track;
    unsigned short port;
    bool paused;
    bool stopped;
};

struct m2m_https_exchange {
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct m2m_https_server *srv;
    char *body;
    size_t body_len;
    char path[1024];
    char query[1024];
    bool has_query;
    char peer[64];
};

/* ---- connection accounting ---- */

static int conn_idx = -1;
static pthread_once_t conn_idx_once = PTHREAD_ONCE_INIT;

static void track_release(struct conn_track *t)
{
    if (--t->refs == 0)
        free(t);
}

static void conn_gone(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    struct conn_track *t = ptr;
    struct m2m_https_server *srv;

    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    if (t == NULL)
        return;
    t->connections--;
    srv = t->srv;
    if (srv != NULL && srv->paused && !srv->stopped && t->connections < srv->cfg.max_connections) {
        evconnlistener_enable(srv->listener);
        srv->paused = false;
    }
    track_release(t);
}

static void conn_idx_init(void)
{
    conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_gone);
}

int m2m_net_init_threads(struct m2m_error *err)
{
    if (evthread_use_pthreads() != 0)
        return m2m_error_set(err, M2M_E_INTERNAL, "libevent without pthread support");
    return 0;
}

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    struct m2m_https_server *srv = arg;
    struct m2m_error err;
    SSL *ssl = m2m_tls_ssl_new(srv->cfg.tls, NULL, &err);

    if (ssl == NULL)
        return NULL; /* evhttp closes the socket */
    if (SSL_set_ex_data(ssl, conn_idx, srv->track) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    srv->track->refs++;
    srv->track->connections++;
    if (srv->track->connections >= srv->cfg.max_connections && !srv->paused) {
        evconnlistener_disable(srv->listener);
        srv->paused = true;
    }
    return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

/* ---- exchanges ---- */

static void exchange_free(struct m2m_https_exchange *x)
{
    if (x == NULL)
        return;
    if (x->body != NULL) {
        OPENSSL_cleanse(x->body, x->body_len);
        free(x->body);
    }
    free(x);
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    struct m2m_https_exchange *x = arg;

    (void)evcon;
    x->req = NULL; /* evhttp frees the request; a later reply is dropped */
    x->evcon = NULL;
}

static int read_body(struct m2m_https_exchange *x)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    size_t n = evbuffer_get_length(in);

    x->body = malloc(n + 1);
    if (x->body == NULL)
        return -1;
    if (n > 0 && evbuffer_remove(in, x->body, n) != (int)n)
        return -1;
    x->body[n] = '\0';
    x->body_len = n;
    return 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct m2m_https_server *srv = arg;
    struct m2m_https_exchange *x = calloc(1, sizeof(*x));
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    char *host = NULL;
    ev_uint16_t port = 0;

    if (x == NULL) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    x->req = req;
    x->srv = srv;
    x->evcon = evhttp_request_get_connection(req);
    snprintf(x->path, sizeof(x->path), "%s", path ? path : "/");
    x->has_query = query != NULL && strlen(query) < sizeof(x->query);
    if (x->has_query)
        memcpy(x->query, query, strlen(query) + 1);
    else if (query != NULL) {
        evhttp_send_error(req, 414, "query too long");
        free(x);
        return;
    }
    evhttp_connection_get_peer(x->evcon, &host, &port);
    snprintf(x->peer, sizeof(x->peer), "%s:%u", host ? host : "?", port);
    if (read_body(x) != 0) {
        evhttp_send_error(req, 500, "out of memory");
        exchange_free(x);
        return;
    }
    /* A slow role (durable write pending) answers later; learn if the client leaves. */
    evhttp_connection_set_closecb(x->evcon, on_conn_close, x);
    srv->cfg.handler(srv->cfg.handler_arg, x);
}

const char *m2m_https_method(const struct m2m_https_exchange *x)
{
    switch (evhttp_request_get_command(x->req)) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    default:
        return "OTHER";
    }
}

const char *m2m_https_path(const struct m2m_https_exchange *x)
{
    return x->path;
}

const char *m2m_https_query(const struct m2m_https_exchange *x)
{
    return x->has_query ? x->query : NULL;
}

const char *m2m_https_header(const struct m2m_https_exchange *x, const char *name)
{
    return x->req ? evhttp_find_header(evhttp_request_get_input_headers(x->req), name) : NULL;
}

const char *m2m_https_body(const struct m2m_https_exchange *x, size_t *len)
{
    *len = x->body_len;
    return x->body;
}

SSL *m2m_https_ssl(const struct m2m_https_exchange *x)
{
    struct bufferevent *bev;

    if (x->evcon == NULL)
        return NULL;
    bev = evhttp_connection_get_bufferevent(x->evcon);
    return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
}

const char *m2m_https_peer(const struct m2m_https_exchange *x)
{
    return x->peer;
}

int m2m_https_alive(const struct m2m_https_exchange *x)
{
    return x->req != NULL;
}

/* RFC 7230 3.2: a token name; a value without CR, LF or other controls but HTAB. */
static bool header_ok(const struct m2m_http_header *h)
{
    size_t n = h->name ? strlen(h->name) : 0;

    if (n == 0 || h->value == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h->name[i];
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
            return false;
    }
    for (const char *v = h->value; *v != '\0'; v++)
        if (((unsigned char)*v < 0x20 && *v != '\t') || (unsigned char)*v >= 0x7f)
            return false;
    return true;
}

void m2m_https_reply(struct m2m_https_exchange *x, int http_status, enum m2m_rsc rsc,
                     const char *json_body, bool close)
{
    m2m_https_reply_headers(x, http_status, rsc, json_body, close, NULL, 0);
}

void m2m_https_reply_headers(struct m2m_https_exchange *x, int http_status, enum m2m_rsc rsc,
                             const char *json_body, bool close,
                             const struct m2m_http_header *headers, size_t n_headers)
{
    struct evkeyvalq *h;
    struct evbuffer *out;
    const char *ri;
    char rscbuf[16];

    if (x->req == NULL) {
        exchange_free(x);
        return;
    }
    evhttp_connection_set_closecb(x->evcon, NULL, NULL);
    h = evhttp_request_get_output_headers(x->req);
    out = evhttp_request_get_output_buffer(x->req);
    snprintf(rscbuf, sizeof(rscbuf), "%d", (int)rsc);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, M2M_HDR_RSC, rscbuf);
    ri = evhttp_find_header(evhttp_request_get_input_headers(x->req), M2M_HDR_RI);
    if (ri != NULL)
        evhttp_add_header(h, M2M_HDR_RI, ri);
    if (close)
        evhttp_add_header(h, "Connection", "close");
    for (size_t i = 0; i < n_headers; i++)
        if (header_ok(&headers[i]))
            evhttp_add_header(h, headers[i].name, headers[i].value);
    if (json_body != NULL)
        evbuffer_add(out, json_body, strlen(json_body));
    evhttp_send_reply(x->req, http_status, http_status < 400 ? "OK" : "Error", NULL);
    exchange_free(x);
}

void m2m_https_reply_error(struct m2m_https_exchange *x, int http_status, enum m2m_rsc rsc,
                           const char *reason)
{
    char *body = m2m_error_body_encode(reason);

    m2m_https_reply(x, http_status, rsc, body, false);
    free(body);
}

/* ---- server ---- */

/* A numeric IPv4 or IPv6 address and a port (0: the kernel picks one). */
static int make_addr(const char *address, unsigned short port, struct sockaddr_storage *ss,
                     int *len, struct m2m_error *err)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *len = sizeof(*in4);
        return 0;
    }
    if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof(*in6);
        return 0;
    }
    return m2m_error_set(err, M2M_E_INVALID_ARG, "listen address '%s' is not numeric", address);
}

static int bind_listener(struct m2m_https_server *srv, struct m2m_error *err)
{
    struct sockaddr_storage ss;
    int sslen = 0;
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    int rc = -1;

    if (srv->cfg.fd >= 0) {
        srv->listener = evconnlistener_new(srv->base, NULL, NULL, flags, 1024, srv->cfg.fd);
    } else {
        if (srv->cfg.reuseport)
            flags |= LEV_OPT_REUSEABLE_PORT;
        M2M_GUARD(make_addr(srv->cfg.address, srv->cfg.port, &ss, &sslen, err));
        srv->listener = evconnlistener_new_bind(srv->base, NULL, NULL, flags, 1024,
                                                (struct sockaddr *)&ss, sslen);
    }
    if (srv->listener == NULL) {
        m2m_error_set_errno(err, M2M_E_IO, "listen on %s:%u", srv->cfg.address, srv->cfg.port);
        goto out;
    }
    {
        struct sockaddr_storage bound;
        socklen_t blen = sizeof(bound);
        getsockname(evconnlistener_get_fd(srv->listener), (struct sockaddr *)&bound, &blen);
        srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                      : ((struct sockaddr_in *)&bound)->sin_port);
    }
    rc = 0;
out:
    return rc;
}

static void apply_defaults(struct m2m_https_config *c)
{
    if (c->timeout_ms <= 0)
        c->timeout_ms = 10000;
    if (c->max_body == 0)
        c->max_body = M2M_MAX_BODY;
    if (c->max_connections <= 0)
        c->max_connections = 10000;
    if (c->address == NULL)
        c->address = "127.0.0.1";
}

struct m2m_https_server *m2m_https_server_new(struct event_base *base,
                                              const struct m2m_https_config *cfg,
                                              struct m2m_error *err)
{
    struct m2m_https_server *srv = NULL;
    struct timeval tv;

    pthread_once(&conn_idx_once, conn_idx_init);
    if (base == NULL || cfg == NULL || cfg->tls == NULL || cfg->handler == NULL || conn_idx < 0) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "HTTPS server needs a base, TLS and a handler");
        return NULL;
    }
    srv = calloc(1, sizeof(*srv));
    if (srv == NULL || (srv->track = calloc(1, sizeof(*srv->track))) == NULL) {
        free(srv);
        m2m_error_set(err, M2M_E_NOMEM, "server");
        return NULL;
    }
    srv->track->refs = 1;
    srv->track->srv = srv;
    srv->base = base;
    srv->cfg = *cfg;
    apply_defaults(&srv->cfg);
    srv->http = evhttp_new(base);
    if (srv->http == NULL || bind_listener(srv, err) != 0) {
        if (srv->http == NULL)
            m2m_error_set(err, M2M_E_NOMEM, "evhttp");
        m2m_https_server_free(srv);
        return NULL;
    }
    /* evhttp applies one timeout to reads and writes: it bounds the TLS handshake and the
     * wait for a request on a fresh connection as well as idle keep-alive. */
    tv.tv_sec = srv->cfg.timeout_ms / 1000;
    tv.tv_usec = (srv->cfg.timeout_ms % 1000) * 1000;
    evhttp_set_timeout_tv(srv->http, &tv);
    evhttp_set_max_body_size(srv->http, (ev_ssize_t)srv->cfg.max_body);
    evhttp_set_max_headers_size(srv->http, 8192);
    evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_bevcb(srv->http, make_bev, srv);
    evhttp_set_gencb(srv->http, on_request, srv);
    if (evhttp_bind_listener(srv->http, srv->listener) == NULL) {
        m2m_error_set(err, M2M_E_INTERNAL, "evhttp listener");
        m2m_https_server_free(srv);
        return NULL;
    }
    return srv;
}

void m2m_https_server_set_tls(struct m2m_https_server *srv, struct m2m_tls_ctx *ctx)
{
    if (srv != NULL && ctx != NULL)
        srv->cfg.tls = ctx;
}

void m2m_https_server_stop_accepting(struct m2m_https_server *srv)
{
    if (srv == NULL || srv->stopped)
        return;
    srv->stopped = true;
    if (srv->listener != NULL)
        evconnlistener_disable(srv->listener);
}

void m2m_https_server_free(struct m2m_https_server *srv)
{
    if (srv == NULL)
        return;
    srv->stopped = true;
    srv->track->srv = NULL;
    if (srv->http != NULL)
        evhttp_free(srv->http); /* frees the bound listener and every connection */
    else if (srv->listener != NULL)
        evconnlistener_free(srv->listener);
    track_release(srv->track);
    free(srv);
}

unsigned short m2m_https_server_port(const struct m2m_https_server *srv)
{
    return srv->port;
}

int m2m_https_server_connections(const struct m2m_https_server *srv)
{
    return srv->track->connections;
}
