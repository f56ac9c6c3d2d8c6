/* HTTPS client on libcurl whose TLS is ours: the tls layer's config is applied to the
 * SSL_CTX libcurl creates, so oneM2M peer verification (TS-0003 V3 8.2.2.2) and TLS-PSK
 * (RFC 4279), which libcurl has no option for, run inside libcurl's handshake (DESIGN.md
 * section 6). A client is pinned to the first connection it opens: the enrolment exchange
 * derives Ke from the session it runs on (TS-0003 V3 8.3.2.1, 10.3.1), so a request that
 * lands on a second session must fail rather than mix two sessions' keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>
#include <m2msec/net.h>

#include "core/safety.h"

#define HTTPS_DEFAULT_TIMEOUT_MS 10000
#define HTTPS_URL_MAX            2048

struct m2m_https_client {
    CURL *curl;
    struct m2m_tls_config *cfg;
    char origin[HTTPS_URL_MAX]; /* "https://<server name>:<port>" */
    struct curl_slist *connect_to;
    char errbuf[CURL_ERROR_SIZE];
    int timeout_ms;
    /* The pinned session: the SSL and local port of the first request's connection. */
    int pinned;
    int broken; /* a request failed after pinning; the session is no longer trusted */
    SSL *ssl;
    long local_port;
    int peer_ok;
    struct m2m_verified peer;
    /* Why the handshake or the pinning check failed, from inside libcurl's callbacks. */
    struct m2m_error tls_err;
    struct m2m_error setup_err;
    struct m2m_error pin_err;
    /* Per request. */
    char *body;
    size_t body_len;
    int too_large;
    int rsc;
    const char *want; /* a response header to keep, or NULL */
    char *want_value; /* its value, malloc'd */
    int want_too_large;
};

/* ---- Callbacks run by libcurl ---- */

/* Keeps the first reason our verification or PSK callback gave, and the alert a server
 * sent when it refused us, so the caller learns more than "handshake failed". */
static void info_cb(const SSL *ssl, int where, int ret)
{
    struct m2m_https_client *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const struct m2m_error *e;

    if (c == NULL || !(where & SSL_CB_ALERT) || c->tls_err.code != M2M_OK)
        return;
    if (where & SSL_CB_WRITE) {
        e = m2m_tls_ssl_error((SSL *)ssl);
        if (e != NULL && e->code != M2M_OK)
            c->tls_err = *e;
    } else if ((ret >> 8) == SSL3_AL_FATAL) {
        m2m_error_set(&c->tls_err, M2M_E_TLS_HANDSHAKE, "the server refused the session: %s",
                      SSL_alert_desc_string_long(ret));
    }
}

static CURLcode ssl_ctx_cb(CURL *curl, void *sslctx, void *arg)
{
    struct m2m_https_client *c = arg;
    SSL_CTX *sctx = sslctx;

    (void)curl;
    if (m2m_tls_setup_ssl_ctx(sctx, c->cfg, M2M_TLS_CLIENT, M2M_TRANSPORT_TLS, &c->setup_err) != 0)
        return CURLE_SSL_CERTPROBLEM;
    /* libcurl keeps no application data on its SSL_CTX; if it ever does, we only lose the
     * detailed reason of a failed handshake, never a check. */
    if (SSL_CTX_get_app_data(sctx) == NULL) {
        SSL_CTX_set_app_data(sctx, c);
        SSL_CTX_set_info_callback(sctx, info_cb);
    }
    return CURLE_OK;
}

static int pin_first(struct m2m_https_client *c, SSL *ssl, long local_port)
{
    c->pinned = 1;
    c->ssl = ssl;
    c->local_port = local_port;
    c->peer_ok = m2m_tls_peer(ssl, &c->peer) == 0;
    return CURL_PREREQFUNC_OK;
}

/* Runs once the connection is ready and before the request is sent: the place to refuse
 * a request that would travel on another session than the first. */
static int prereq_cb(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    struct m2m_https_client *c = arg;
    struct curl_tlssessioninfo *tsi = NULL;
    long fresh = 0;
    SSL *ssl;

    (void)primary_ip, (void)local_ip, (void)primary_port;
    if (curl_easy_getinfo(c->curl, CURLINFO_TLS_SSL_PTR, &tsi) != CURLE_OK || tsi == NULL ||
        tsi->backend != CURLSSLBACKEND_OPENSSL || tsi->internals == NULL) {
        m2m_error_set(&c->pin_err, M2M_E_TLS, "libcurl gives no OpenSSL session");
        return CURL_PREREQFUNC_ABORT;
    }
    ssl = tsi->internals;
    if (!c->pinned)
        return pin_first(c, ssl, local_port);
    /* A reconnect shows as a new connection count, a new SSL or a new local port; any of
     * them means the server ended the session (DESIGN.md section 6). */
    (void)curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &fresh);
    if (fresh != 0 || ssl != c->ssl || local_port != c->local_port) {
        m2m_error_set(&c->pin_err, M2M_E_TLS,
                      "the server ended the TLS session; a new connection would be another "
                      "session");
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    struct m2m_https_client *c = arg;
    size_t n = size * nmemb;
    char *p;

    if (n > M2M_HTTPS_CLIENT_MAX_RESPONSE - c->body_len) {
        c->too_large = 1;
        return 0; /* libcurl aborts the transfer */
    }
    p = realloc(c->body, c->body_len + n + 1);
    if (p == NULL)
        return 0;
    memcpy(p + c->body_len, data, n);
    c->body = p;
    c->body_len += n;
    c->body[c->body_len] = '\0';
    return n;
}

#define WANT_HEADER_MAX 4096

/* The value of the wanted header, trimmed of surrounding whitespace and the line end. */
static void keep_wanted(struct m2m_https_client *c, const char *data, size_t n)
{
    size_t k = strlen(c->want), start = k + 1, end = n;

    if (c->want_value != NULL || n <= k || strncasecmp(data, c->want, k) != 0 || data[k] != ':')
        return;
    while (start < end && (data[start] == ' ' || data[start] == '\t'))
        start++;
    while (end > start && strchr(" \t\r\n", data[end - 1]) != NULL)
        end--;
    if (end - start > WANT_HEADER_MAX) {
        c->want_too_large = 1;
        return;
    }
    if ((c->want_value = malloc(end - start + 1)) == NULL)
        return;
    memcpy(c->want_value, data + start, end - start);
    c->want_value[end - start] = '\0';
}

/* oneM2M HTTP binding (TS-0009): the response status code travels in X-M2M-RSC. */
static size_t header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    struct m2m_https_client *c = arg;
    size_t n = size * nmemb, k = strlen(M2M_HDR_RSC);
    char val[16];
    size_t vl;

    /* A status line starts another response (an interim 1xx): only the last one counts. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        free(c->want_value);
        c->want_value = NULL;
    } else if (c->want != NULL) {
        keep_wanted(c, data, n);
    }
    if (n > k + 1 && strncasecmp(data, M2M_HDR_RSC, k) == 0 && data[k] == ':') {
        vl = n - k - 1 < sizeof(val) - 1 ? n - k - 1 : sizeof(val) - 1;
        memcpy(val, data + k + 1, vl);
        val[vl] = '\0';
        c->rsc = (int)strtol(val, NULL, 10);
    }
    return n;
}

/* ---- Construction ---- */

static int parse_base(struct m2m_https_client *c, const char *base_url, const char *server_name,
                      struct m2m_error *err)
{
    int rc = -1;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    const char *name;
    char entry[HTTPS_URL_MAX];

    M2M_ENSURE(u != NULL, M2M_E_NOMEM, "URL");
    M2M_ENSURE(curl_url_set(u, CURLUPART_URL, base_url, 0) == CURLUE_OK &&
                   curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
                   curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
                   curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
                   curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK,
               M2M_E_INVALID_ARG, "not a URL: '%s'", base_url);
    M2M_ENSURE(strcasecmp(scheme, "https") == 0, M2M_E_INVALID_ARG, "'%s' is not an https URL",
               base_url);
    M2M_ENSURE(strcmp(path, "/") == 0 || path[0] == '\0', M2M_E_INVALID_ARG,
               "'%s': give the server's base URL, without a path", base_url);
    name = server_name != NULL ? server_name : host;
    M2M_ENSURE(name[0] != '\0' && strpbrk(name, ":/@[] \t\r\n") == NULL, M2M_E_INVALID_ARG,
               "bad server name '%s'", name);
    M2M_ENSURE(snprintf(c->origin, sizeof(c->origin), "https://%s:%s", name, port) <
                   (int)sizeof(c->origin),
               M2M_E_INVALID_ARG, "URL too long");
    /* The URL names the server (SNI, Host, our certificate check) while the socket goes
     * to the address the base URL gives. */
    if (strcasecmp(name, host) != 0) {
        snprintf(entry, sizeof(entry), "%s:%s:%s:%s", name, port, host, port);
        c->connect_to = curl_slist_append(NULL, entry);
        M2M_ENSURE(c->connect_to != NULL, M2M_E_NOMEM, "connect-to");
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

#define SETOPT(opt, val) ok = ok && curl_easy_setopt(c->curl, (opt), (val)) == CURLE_OK

static int set_fixed_options(struct m2m_https_client *c, struct m2m_error *err)
{
    int rc = -1, ok = 1;

    /* Our verification replaces libcurl's: m2m_tls_setup_ssl_ctx installs the oneM2M
     * check (configured anchors only, the configured flavour and name, never a CN), which
     * the handshake cannot pass without. libcurl's own checks would consult its CA bundle
     * and fail every PSK session, which has no certificate at all. */
    SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
    SETOPT(CURLOPT_CAINFO, NULL);
    SETOPT(CURLOPT_CAPATH, NULL);
    SETOPT(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
    SETOPT(CURLOPT_SSL_CTX_DATA, c);
    /* TS-0003 V3 10.2: TLS 1.2 only. */
    SETOPT(CURLOPT_SSLVERSION, (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
    /* A resumed session would skip our verification and break the pinning. */
    SETOPT(CURLOPT_SSL_SESSIONID_CACHE, 0L);
    SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SETOPT(CURLOPT_PROTOCOLS_STR, "https");
    SETOPT(CURLOPT_PROXY, ""); /* never through a proxy from the environment */
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_MAXCONNECTS, 1L);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_ERRORBUFFER, c->errbuf);
    SETOPT(CURLOPT_PREREQFUNCTION, prereq_cb);
    SETOPT(CURLOPT_PREREQDATA, c);
    SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
    SETOPT(CURLOPT_WRITEDATA, c);
    SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
    SETOPT(CURLOPT_HEADERDATA, c);
    if (c->connect_to != NULL)
        SETOPT(CURLOPT_CONNECT_TO, c->connect_to);
    M2M_ENSURE(ok, M2M_E_INTERNAL, "libcurl lacks a required option (OpenSSL backend, 7.85+)");
    rc = 0;
out:
    return rc;
}

struct m2m_https_client *m2m_https_client_new(struct m2m_tls_config *cfg, const char *base_url,
                                              const char *server_name, struct m2m_error *err)
{
    struct m2m_https_client *c = NULL;
    int rc = -1;

    M2M_ENSURE_ARG(cfg != NULL && base_url != NULL);
    M2M_ENSURE(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK, M2M_E_INTERNAL,
               "libcurl initialisation");
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        curl_global_cleanup();
        M2M_BAIL(M2M_E_NOMEM, "https client");
    }
    m2m_tls_config_up_ref(cfg);
    c->cfg = cfg;
    c->timeout_ms = HTTPS_DEFAULT_TIMEOUT_MS;
    c->curl = curl_easy_init();
    M2M_ENSURE(c->curl != NULL, M2M_E_NOMEM, "libcurl handle");
    M2M_GUARD(parse_base(c, base_url, server_name, err));
    M2M_GUARD(set_fixed_options(c, err));
    rc = 0;
out:
    if (rc != 0) {
        m2m_https_client_free(c);
        c = NULL;
    }
    return c;
}

void m2m_https_client_free(struct m2m_https_client *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl); /* closes the connection and frees its SSL */
    curl_slist_free_all(c->connect_to);
    m2m_tls_config_free(c->cfg);
    free(c->body);
    free(c->want_value);
    free(c);
    curl_global_cleanup();
}

void m2m_https_client_set_timeout_ms(struct m2m_https_client *c, int ms)
{
    if (c != NULL && ms > 0)
        c->timeout_ms = ms;
}

/* ---- Session queries ---- */

int m2m_https_client_connected(struct m2m_https_client *c)
{
    curl_socket_t s = CURL_SOCKET_BAD;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    long port;

    if (c == NULL || !c->pinned || c->broken)
        return 0;
    /* libcurl answers with the socket of the last connection only while it is still in its
     * cache; it is ours when its local port is the one pinned. */
    if (curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK || s == CURL_SOCKET_BAD ||
        getsockname(s, (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        return 0;
    return port == c->local_port;
}

int m2m_https_client_export(struct m2m_https_client *c, const char *label, unsigned char *out,
                            size_t len, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(c != NULL && label != NULL && out != NULL && len > 0);
    M2M_ENSURE(m2m_https_client_connected(c), M2M_E_TLS_EXPORT,
               "no open session (none yet, or the server closed it)");
    M2M_GUARD(m2m_tls_export(c->ssl, label, out, len, err));
    rc = 0;
out:
    return rc;
}

int m2m_https_client_peer(const struct m2m_https_client *c, struct m2m_verified *out)
{
    if (c == NULL || out == NULL || !c->peer_ok)
        return -1;
    *out = c->peer;
    return 0;
}

/* ---- Requests ---- */

static int method_ok(const char *m)
{
    size_t n = strlen(m);

    return n > 0 && n < 16 && strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

/* Header values and paths are ours to keep on one line: no CR, LF or other controls. */
static int text_ok(const char *s, size_t max)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++)
        if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
            return 0;
    return n < max;
}

static struct curl_slist *add_header(struct curl_slist *h, const char *name, const char *value)
{
    char line[4 * M2M_URI_MAX + 80]; /* the longest value extra_ok lets through, and its name */
    struct curl_slist *n;

    if (h == NULL)
        return NULL;
    snprintf(line, sizeof(line), "%s: %s", name, value);
    n = curl_slist_append(h, line);
    if (n == NULL)
        curl_slist_free_all(h);
    return n;
}

/* A caller's header: a token name the client does not set itself, a one-line value. */
static int extra_ok(const struct m2m_http_header *h)
{
    static const char *const ours[] = {"Expect",   "Accept", "Content-Type",  M2M_HDR_ORIGIN,
                                       M2M_HDR_RI, "Host",   "Content-Length"};
    size_t n = h->name != NULL ? strlen(h->name) : 0;

    if (n == 0 || n > 64 || h->value == NULL || !text_ok(h->value, M2M_URI_MAX * 4))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)h->name[i];
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch) != NULL)
            return 0;
    }
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        if (strcasecmp(h->name, ours[i]) == 0)
            return 0;
    return 1;
}

static struct curl_slist *build_headers(const char *origin, int has_body, struct m2m_error *err)
{
    unsigned char rnd[8];
    char ri[2 * sizeof(rnd) + 1];
    struct curl_slist *h;

    if (m2m_random(rnd, sizeof(rnd), err) != 0 ||
        m2m_hex_encode(rnd, sizeof(rnd), ri, sizeof(ri), err) != 0)
        return NULL;
    /* "Expect:" keeps libcurl from waiting for a 100-continue the server never sends. */
    h = curl_slist_append(NULL, "Expect:");
    h = add_header(h, "Accept", "application/json");
    if (has_body)
        h = add_header(h, "Content-Type", "application/json");
    if (origin != NULL)
        h = add_header(h, M2M_HDR_ORIGIN, origin);
    h = add_header(h, M2M_HDR_RI, ri); /* TS-0009: every request carries a request id */
    if (h == NULL)
        m2m_error_set(err, M2M_E_NOMEM, "request headers");
    return h;
}

static int set_request(struct m2m_https_client *c, const char *method, const char *url,
                       const char *body, struct curl_slist *hdrs)
{
    int ok = 1;

    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_HTTPHEADER, hdrs);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    if (body != NULL) {
        SETOPT(CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        SETOPT(CURLOPT_POSTFIELDS, body);
    } else {
        SETOPT(CURLOPT_HTTPGET, 1L);
    }
    SETOPT(CURLOPT_CUSTOMREQUEST,
           strcmp(method, body != NULL ? "POST" : "GET") == 0 ? NULL : method);
    return ok ? 0 : -1;
}

static void reset_request(struct m2m_https_client *c)
{
    free(c->body);
    c->body = NULL;
    c->body_len = 0;
    c->too_large = 0;
    c->rsc = 0;
    free(c->want_value);
    c->want_value = NULL;
    c->want_too_large = 0;
    c->want = NULL;
    c->errbuf[0] = '\0';
    m2m_error_clear(&c->tls_err);
    m2m_error_clear(&c->setup_err);
    m2m_error_clear(&c->pin_err);
}

/* The most specific reason first: our own checks, then libcurl's classes of failure. */
static void map_failure(struct m2m_https_client *c, CURLcode cc, const char *url,
                        struct m2m_error *err)
{
    const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);

    if (c->pin_err.code != M2M_OK)
        *err = c->pin_err;
    else if (c->too_large)
        m2m_error_set(err, M2M_E_TOO_LARGE, "response body over %d bytes",
                      M2M_HTTPS_CLIENT_MAX_RESPONSE);
    else if (c->setup_err.code != M2M_OK)
        *err = c->setup_err;
    else if (c->tls_err.code != M2M_OK)
        *err = c->tls_err;
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        m2m_error_set(err, M2M_E_TIMEOUT, "%s: %s", url, why);
    else if (cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION)
        m2m_error_set(err, M2M_E_TLS_HANDSHAKE, "%s: %s", url, why);
    else
        m2m_error_set(err, M2M_E_IO, "%s: %s", url, why);
}

static struct curl_slist *add_extra(struct curl_slist *h, const struct m2m_https_request *rq,
                                    struct m2m_error *err)
{
    for (size_t i = 0; h != NULL && i < rq->n_headers; i++) {
        if (!extra_ok(&rq->headers[i])) {
            m2m_error_set(err, M2M_E_INVALID_ARG, "request header %zu is not allowed or malformed",
                          i);
            curl_slist_free_all(h);
            return NULL;
        }
        if ((h = add_header(h, rq->headers[i].name, rq->headers[i].value)) == NULL)
            m2m_error_set(err, M2M_E_NOMEM, "request headers");
    }
    return h;
}

static int check_request(const struct m2m_https_client *c, const struct m2m_https_request *rq,
                         struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(c != NULL && rq != NULL && rq->method != NULL && rq->path != NULL);
    M2M_ENSURE_ARG(method_ok(rq->method) && rq->path[0] == '/' && text_ok(rq->path, M2M_URI_MAX));
    M2M_ENSURE_ARG(rq->origin == NULL || text_ok(rq->origin, M2M_URI_MAX));
    M2M_ENSURE_ARG(rq->headers != NULL || rq->n_headers == 0);
    M2M_ENSURE(!c->broken, M2M_E_TLS, "the session of this client already failed");
    rc = 0;
out:
    return rc;
}

/* What the answer left: status, RSC, body and the wanted header move to rs. */
static int take_answer(struct m2m_https_client *c, struct m2m_https_response *rs,
                       struct m2m_error *err)
{
    long code = 0;
    int rc = -1;

    M2M_ENSURE(!c->want_too_large, M2M_E_TOO_LARGE, "response header %s over %d bytes", c->want,
               WANT_HEADER_MAX);
    (void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
    rs->status = (int)code;
    rs->rsc = c->rsc;
    rs->body = c->body != NULL ? c->body : strdup("");
    M2M_ENSURE(rs->body != NULL, M2M_E_NOMEM, "response body");
    c->body = NULL;
    rs->header = c->want_value;
    c->want_value = NULL;
    rc = 0;
out:
    return rc;
}

int m2m_https_client_send(struct m2m_https_client *c, const struct m2m_https_request *rq,
                          struct m2m_https_response *rs, struct m2m_error *err)
{
    int rc = -1;
    char url[HTTPS_URL_MAX];
    struct curl_slist *hdrs = NULL;
    CURLcode cc;

    M2M_ENSURE_ARG(rs != NULL);
    memset(rs, 0, sizeof(*rs));
    M2M_GUARD(check_request(c, rq, err));
    M2M_ENSURE(snprintf(url, sizeof(url), "%s%s", c->origin, rq->path) < (int)sizeof(url),
               M2M_E_INVALID_ARG, "URL too long");
    M2M_GUARD_PTR(hdrs = build_headers(rq->origin, rq->body != NULL, err));
    M2M_GUARD_PTR(hdrs = add_extra(hdrs, rq, err));
    reset_request(c);
    c->want = rq->want_header;
    M2M_ENSURE(set_request(c, rq->method, url, rq->body, hdrs) == 0, M2M_E_INTERNAL,
               "libcurl options");
    cc = curl_easy_perform(c->curl);
    if (cc != CURLE_OK) {
        c->broken = c->pinned; /* whatever happened, that session is not to be used again */
        map_failure(c, cc, url, err);
        goto out;
    }
    M2M_GUARD(take_answer(c, rs, err));
    rc = 0;
out:
    /* The handle must not keep pointers to our request's memory. */
    if (c != NULL) {
        (void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
        (void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
        c->want = NULL;
    }
    if (rc != 0)
        m2m_https_response_clear(rs);
    curl_slist_free_all(hdrs);
    return rc;
}

void m2m_https_response_clear(struct m2m_https_response *rs)
{
    if (rs == NULL)
        return;
    free(rs->body);
    free(rs->header);
    memset(rs, 0, sizeof(*rs));
}

int m2m_https_client_request(struct m2m_https_client *c, const char *method, const char *path,
                             const char *origin, const char *body, int *status, int *rsc,
                             char **resp_body, struct m2m_error *err)
{
    struct m2m_https_request rq = {.method = method, .path = path, .origin = origin, .body = body};
    struct m2m_https_response rs;
    int rc = -1;

    M2M_ENSURE_ARG(status != NULL);
    M2M_GUARD(m2m_https_client_send(c, &rq, &rs, err));
    *status = rs.status;
    if (rsc != NULL)
        *rsc = rs.rsc;
    if (resp_body != NULL) {
        *resp_body = rs.body;
        rs.body = NULL;
    }
    m2m_https_response_clear(&rs);
    rc = 0;
out:
    return rc;
}
