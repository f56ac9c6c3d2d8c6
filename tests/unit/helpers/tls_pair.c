/* Loopback handshakes for the tls tests: the server end in a thread. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tls_helpers.h"

static const char *const allowed_ciphers[] = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-CCM8",
    "PSK-AES128-GCM-SHA256",         "PSK-AES128-CBC-SHA256",     "PSK-AES128-CCM8",
};

int tls_cipher_allowed(const char *name)
{
    for (size_t i = 0; i < sizeof(allowed_ciphers) / sizeof(allowed_ciphers[0]); i++)
        if (strcmp(name, allowed_ciphers[i]) == 0)
            return 1;
    return 0;
}

static int bound_socket(int type, struct sockaddr_in *addr)
{
    socklen_t len = sizeof(*addr);
    int fd = socket(AF_INET, type, 0);

    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int udp_pair(int *cfd, int *sfd)
{
    struct sockaddr_in ca, sa;

    *cfd = bound_socket(SOCK_DGRAM, &ca);
    *sfd = bound_socket(SOCK_DGRAM, &sa);
    if (*cfd < 0 || *sfd < 0 || connect(*cfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        connect(*sfd, (struct sockaddr *)&ca, sizeof(ca)) != 0)
        return -1;
    return 0;
}

static int tcp_pair(int *cfd, int *sfd)
{
    struct sockaddr_in la;
    int lfd = bound_socket(SOCK_STREAM, &la);
    int rc = -1;

    if (lfd < 0 || listen(lfd, 1) != 0)
        goto out;
    *cfd = socket(AF_INET, SOCK_STREAM, 0);
    /* The kernel completes the connection from the backlog; accept cannot block. */
    if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&la, sizeof(la)) != 0)
        goto out;
    *sfd = accept(lfd, NULL, NULL);
    rc = *sfd < 0 ? -1 : 0;
out:
    if (lfd >= 0)
        close(lfd);
    return rc;
}

int tls_socket_pair(enum m2m_transport t, int *client_fd, int *server_fd)
{
    *client_fd = *server_fd = -1;
    return t == M2M_TRANSPORT_DTLS ? udp_pair(client_fd, server_fd)
                                   : tcp_pair(client_fd, server_fd);
}

static void collect(SSL *ssl, struct tls_end *end)
{
    const struct m2m_error *cb = m2m_tls_ssl_error(ssl);
    struct m2m_error e;

    end->cb_code = cb != NULL ? cb->code : M2M_OK;
    end->peer_rc = m2m_tls_peer(ssl, &end->peer);
    end->is_psk = m2m_tls_is_psk(ssl);
    end->export_rc =
        m2m_tls_export(ssl, M2M_EXPORTER_BOOTSTRAP, end->exported, sizeof(end->exported), &e);
    if (end->rc == 0) {
        snprintf(end->cipher, sizeof(end->cipher), "%s", SSL_get_cipher_name(ssl));
        end->version = SSL_version(ssl);
    }
}

struct server_arg {
    struct m2m_tls_ctx *ctx;
    int fd;
    struct tls_end *end;
};

static void *server_main(void *p)
{
    struct server_arg *a = p;
    SSL *ssl = m2m_tls_ssl_new(a->ctx, NULL, &a->end->err);
    char buf[8];
    struct timeval tv = {.tv_sec = 2};

    a->end->rc = -1;
    if (ssl == NULL)
        return NULL;
    a->end->rc = m2m_tls_handshake_fd(ssl, a->fd, &a->end->err);
    collect(ssl, a->end);
    if (a->end->rc == 0) {
        setsockopt(a->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        a->end->app_data_ok = SSL_read(ssl, buf, sizeof(buf)) == 4 && memcmp(buf, "ping", 4) == 0;
    }
    SSL_free(ssl);
    return NULL;
}

static SSL *client_ssl(struct m2m_tls_ctx *cctx, SSL_CTX *raw, const char *sni, struct tls_end *end)
{
    SSL *ssl;

    if (cctx != NULL)
        return m2m_tls_ssl_new(cctx, sni, &end->err);
    ssl = SSL_new(raw);
    if (ssl != NULL) {
        SSL_set_connect_state(ssl);
        SSL_set_tlsext_host_name(ssl, sni);
        if (SSL_is_dtls(ssl))
            DTLS_set_link_mtu(ssl, 1280);
    }
    return ssl;
}

static void client_run(SSL *ssl, int fd, struct tls_end *end)
{
    end->rc = m2m_tls_handshake_fd(ssl, fd, &end->err);
    collect(ssl, end);
    if (end->rc == 0)
        end->app_data_ok = SSL_write(ssl, "ping", 4) == 4;
}

int tls_pair_run(struct m2m_tls_ctx *cctx, SSL_CTX *raw, struct m2m_tls_ctx *sctx,
                 enum m2m_transport t, const char *sni, struct tls_end *client,
                 struct tls_end *server)
{
    int cfd = -1, sfd = -1, rc = -1;
    pthread_t th;
    struct server_arg sa = {.ctx = sctx, .end = server};
    SSL *ssl = NULL;

    memset(client, 0, sizeof(*client));
    memset(server, 0, sizeof(*server));
    client->rc = server->rc = -1;
    if (tls_socket_pair(t, &cfd, &sfd) != 0)
        goto out;
    sa.fd = sfd;
    if (pthread_create(&th, NULL, server_main, &sa) != 0)
        goto out;
    ssl = client_ssl(cctx, raw, sni, client);
    if (ssl != NULL)
        client_run(ssl, cfd, client);
    /* The server notices a vanished client at once; shut our side so it never waits. */
    SSL_free(ssl);
    shutdown(cfd, SHUT_RDWR);
    pthread_join(th, NULL);
    rc = 0;
out:
    if (cfd >= 0)
        close(cfd);
    if (sfd >= 0)
        close(sfd);
    return rc;
}
