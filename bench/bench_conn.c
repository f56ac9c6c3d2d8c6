/* One enrolment as a device performs it: TCP connect, a full TLS 1.2 handshake with a
 * device certificate (no session resumption), one HTTP/1.1 request, the whole response. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>

#include "bench.h"

#define RESPONSE_MAX 65536

static void ossl_reason(char *errbuf, size_t errlen, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char r[256] = "";

    if (e != 0)
        ERR_error_string_n(e, r, sizeof(r));
    snprintf(errbuf, errlen, "%s: %s", what, e ? r : strerror(errno));
    ERR_clear_error();
}

/* The same offer a oneM2M device makes (TS-0003 V3 10.2): TLS 1.2, ECDHE-ECDSA with
 * P-256 certificates; no tickets, so every connection is a full handshake. */
SSL_CTX *bench_client_ctx(const char *ca_file, char *errbuf, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256") !=
            1 ||
        SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1 ||
        SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256") != 1)
        goto fail;
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (ca_file != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)
            goto fail;
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
fail:
    ossl_reason(errbuf, errlen, "client context");
    SSL_CTX_free(ctx);
    return NULL;
}

static int tcp_connect(const struct bench_target *t)
{
    struct timeval tv = {t->timeout_ms / 1000, (t->timeout_ms % 1000) * 1000};
    int one = 1, fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    /* Blocking I/O bounded by socket timeouts: a stuck server fails the enrolment, never
     * the run. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

SSL *bench_open(SSL_CTX *ctx, const struct bench_target *t, const struct bench_cred *cred,
                char *errbuf, size_t errlen)
{
    SSL *ssl = NULL;
    int fd = tcp_connect(t);

    if (fd < 0) {
        snprintf(errbuf, errlen, "connect: %s", strerror(errno));
        return NULL;
    }
    if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
        SSL_set_tlsext_host_name(ssl, t->server_name) != 1 ||
        SSL_set1_host(ssl, t->server_name) != 1 ||
        SSL_use_cert_and_key(ssl, cred->cert, cred->key, cred->chain, 1) != 1) {
        ossl_reason(errbuf, errlen, "client setup");
        goto fail;
    }
    if (SSL_connect(ssl) != 1) {
        ossl_reason(errbuf, errlen, "handshake");
        goto fail;
    }
    return ssl;
fail:
    SSL_free(ssl);
    close(fd);
    return NULL;
}

/* Content-Length of a header block, or -1 when absent. */
static long content_length(const char *hdr, size_t len)
{
    static const char name[] = "\r\ncontent-length:";
    size_t nlen = sizeof(name) - 1;

    for (size_t i = 0; i + nlen < len; i++)
        if (strncasecmp(hdr + i, name, nlen) == 0)
            return strtol(hdr + i + nlen, NULL, 10);
    return -1;
}

static char *header_end(char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return buf + i + 4;
    return NULL;
}

/* Reads until the header block and Content-Length bytes of body are in; without a length,
 * until the server closes. */
static int read_response(SSL *ssl, char *buf, size_t cap, char *errbuf, size_t errlen)
{
    size_t len = 0;
    long want = -1;
    char *body = NULL;

    for (;;) {
        int n = SSL_read(ssl, buf + len, (int)(cap - 1 - len));
        if (n <= 0) {
            if (body != NULL && want < 0)
                break;
            ossl_reason(errbuf, errlen, len ? "response cut short" : "no response");
            return -1;
        }
        len += (size_t)n;
        buf[len] = '\0';
        if (body == NULL && (body = header_end(buf, len)) != NULL)
            want = content_length(buf, (size_t)(body - buf));
        if (body != NULL && want >= 0 && len - (size_t)(body - buf) >= (size_t)want)
            break;
        if (len == cap - 1) {
            snprintf(errbuf, errlen, "response larger than %zu bytes", cap);
            return -1;
        }
    }
    return 0;
}

int bench_exchange(SSL *ssl, const struct bench_target *t, char *errbuf, size_t errlen)
{
    char *buf = malloc(RESPONSE_MAX);
    int status = -1;

    if (buf == NULL)
        return -1;
    if (SSL_write(ssl, t->request, (int)t->request_len) != (int)t->request_len) {
        ossl_reason(errbuf, errlen, "request");
        goto out;
    }
    if (read_response(ssl, buf, RESPONSE_MAX, errbuf, errlen) != 0)
        goto out;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
        snprintf(errbuf, errlen, "not an HTTP response");
        status = -1;
        goto out;
    }
    if (status < 200 || status > 299)
        snprintf(errbuf, errlen, "status %d: %.200s", status,
                 header_end(buf, strlen(buf)) ? header_end(buf, strlen(buf)) : "");
out:
    free(buf);
    return status;
}

int bench_alive(SSL *ssl)
{
    struct pollfd p = {SSL_get_fd(ssl), POLLIN | POLLRDHUP, 0};

    /* An idle server sends nothing: any readable event means it closed the connection. */
    return poll(&p, 1, 0) == 0;
}

void bench_close(SSL *ssl)
{
    int fd;

    if (ssl == NULL)
        return;
    fd = SSL_get_fd(ssl);
    SSL_shutdown(ssl);
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
}
