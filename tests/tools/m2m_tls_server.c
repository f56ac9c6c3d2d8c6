/* A one-connection (D)TLS server on the library's server context, for interoperability
 * tests with clients nobody here wrote (openssl s_client). It listens on 127.0.0.1 on a
 * free port, prints "port N", accepts one connection, prints the RFC 5705 export with the
 * oneM2M bootstrap label, the cipher and the proven peer, and exits (0 on success). */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <m2msec/encoding.h>
#include <m2msec/tls.h>

struct opts {
    enum m2m_transport transport;
    const char *cert, *key, *chain, *ca, *peer, *psk_identity, *psk_hex;
    enum m2m_flavour flavour;
    int no_client_cert;
    int timeout_ms;
};

struct psk_table {
    const char *identity;
    const char *hex;
};

static int psk_lookup(void *arg, const char *identity, struct m2m_secret **key,
                      struct m2m_error *err)
{
    const struct psk_table *t = arg;

    if (strcmp(identity, t->identity) != 0)
        return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "'%s' is not configured", identity);
    *key = m2m_secret_from_hex(t->hex, err);
    return *key != NULL ? 0 : -1;
}

static int die(const char *what, const struct m2m_error *err)
{
    fprintf(stderr, "error: %s: %s\n", what, err != NULL ? err->msg : "failed");
    return -1;
}

static int configure_certs(struct m2m_tls_config *cfg, const struct opts *o, struct m2m_error *err)
{
    struct m2m_credential *cred;
    struct m2m_trust *trust;

    if (o->cert == NULL)
        return 0;
    cred = m2m_credential_load(o->key, o->cert, o->chain, err);
    if (cred == NULL)
        return die("credential", err);
    m2m_tls_config_set_credential(cfg, cred);
    m2m_credential_free(cred);
    if (o->ca == NULL)
        return 0;
    trust = m2m_trust_new(err);
    if (trust == NULL || m2m_trust_add_anchors(trust, o->ca, err) != 0) {
        m2m_trust_free(trust);
        return die("trust anchors", err);
    }
    m2m_tls_config_set_trust(cfg, trust);
    m2m_trust_free(trust);
    if (m2m_tls_config_set_peer(cfg, o->flavour, o->peer, err) != 0)
        return die("peer", err);
    if (o->no_client_cert)
        m2m_tls_config_insecure_no_client_cert(cfg);
    return 0;
}

static struct m2m_tls_ctx *make_ctx(const struct opts *o, struct psk_table *psk,
                                    struct m2m_error *err)
{
    struct m2m_tls_config *cfg = m2m_tls_config_new(err);
    struct m2m_tls_ctx *ctx = NULL;

    if (cfg == NULL)
        return NULL;
    m2m_tls_config_set_timeout_ms(cfg, o->timeout_ms);
    if (psk->identity != NULL)
        m2m_tls_config_set_psk_server(cfg, psk_lookup, psk);
    if (configure_certs(cfg, o, err) == 0) {
        ctx = m2m_tls_ctx_new(cfg, M2M_TLS_SERVER, o->transport, err);
        if (ctx == NULL)
            die("context", err);
    }
    m2m_tls_config_free(cfg);
    return ctx;
}

static int listen_socket(const struct opts *o)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int tcp = o->transport == M2M_TRANSPORT_TLS;
    int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || (tcp && listen(fd, 1) != 0) ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("error: socket");
        return -1;
    }
    printf("port %u\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

static int accept_tcp(int lfd, int timeout_ms)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};

    if (poll(&p, 1, timeout_ms) != 1) {
        fprintf(stderr, "error: no connection within %d ms\n", timeout_ms);
        return -1;
    }
    return accept(lfd, NULL, NULL);
}

/* RFC 6347 4.2.1: answer with a cookie before keeping state, then bind the socket to the
 * client that proved its address. */
static int listen_dtls(SSL *ssl, int fd, int timeout_ms)
{
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
    BIO_ADDR *peer = BIO_ADDR_new();
    struct sockaddr_in sa = {.sin_family = AF_INET};
    size_t alen = sizeof(sa.sin_addr);
    int rc = -1;

    if (bio == NULL || peer == NULL)
        goto out;
    SSL_set_bio(ssl, bio, bio);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    for (int i = 0; i < 10 && rc != 0; i++)
        if (DTLSv1_listen(ssl, peer) > 0)
            rc = 0;
    if (rc != 0 || BIO_ADDR_family(peer) != AF_INET ||
        !BIO_ADDR_rawaddress(peer, &sa.sin_addr, &alen)) {
        fprintf(stderr, "error: no DTLS client proved its address\n");
        rc = -1;
        goto out;
    }
    sa.sin_port = BIO_ADDR_rawport(peer);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        BIO_ctrl_set_connected(bio, peer) != 1)
        rc = -1;
out:
    BIO_ADDR_free(peer);
    return rc;
}

static void report(SSL *ssl)
{
    unsigned char km[48];
    char hex[2 * sizeof(km) + 1];
    struct m2m_verified v;
    struct m2m_error err;

    if (m2m_tls_export(ssl, M2M_EXPORTER_BOOTSTRAP, km, sizeof(km), &err) == 0 &&
        m2m_hex_encode(km, sizeof(km), hex, sizeof(hex), &err) == 0)
        printf("export %s\n", hex);
    else
        die("export", &err);
    printf("cipher %s\n", SSL_get_cipher_name(ssl));
    if (m2m_tls_peer(ssl, &v) == 0)
        printf("peer %s %s\n", m2m_tls_is_psk(ssl) ? "psk" : m2m_flavour_name(v.flavour),
               v.identity);
    else
        printf("peer none\n");
    printf("sni %s\n", m2m_tls_server_name(ssl) ? m2m_tls_server_name(ssl) : "-");
    fflush(stdout);
}

/* Wait (bounded) for the client to close, so it can read everything we sent. */
static void drain(SSL *ssl, int fd)
{
    struct timeval tv = {.tv_sec = 2};
    char buf[256];

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (SSL_read(ssl, buf, sizeof(buf)) > 0)
        ;
    SSL_shutdown(ssl);
}

static int serve(struct m2m_tls_ctx *ctx, const struct opts *o)
{
    struct m2m_error err;
    int lfd = listen_socket(o), fd = -1, rc = -1;
    SSL *ssl = NULL;

    if (lfd < 0)
        return -1;
    ssl = m2m_tls_ssl_new(ctx, NULL, &err);
    if (ssl == NULL) {
        die("ssl", &err);
        goto out;
    }
    if (o->transport == M2M_TRANSPORT_TLS)
        fd = accept_tcp(lfd, o->timeout_ms);
    else if (listen_dtls(ssl, lfd, o->timeout_ms) == 0)
        fd = lfd;
    if (fd < 0)
        goto out;
    if (m2m_tls_handshake_fd(ssl, fd, &err) != 0) {
        die("handshake", &err);
        goto out;
    }
    report(ssl);
    drain(ssl, fd);
    rc = 0;
out:
    SSL_free(ssl);
    if (fd >= 0 && fd != lfd)
        close(fd);
    close(lfd);
    return rc;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {{"dtls", no_argument, NULL, 'd'},
                                       {"cert", required_argument, NULL, 'c'},
                                       {"key", required_argument, NULL, 'k'},
                                       {"chain", required_argument, NULL, 'C'},
                                       {"ca", required_argument, NULL, 'a'},
                                       {"flavour", required_argument, NULL, 'f'},
                                       {"peer", required_argument, NULL, 'p'},
                                       {"no-client-cert", no_argument, NULL, 'n'},
                                       {"psk-identity", required_argument, NULL, 'i'},
                                       {"psk-hex", required_argument, NULL, 'x'},
                                       {"timeout-ms", required_argument, NULL, 't'},
                                       {NULL, 0, NULL, 0}};
    struct m2m_error err;
    int c;

    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->transport = M2M_TRANSPORT_DTLS;
            break;
        case 'c':
            o->cert = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'C':
            o->chain = optarg;
            break;
        case 'a':
            o->ca = optarg;
            break;
        case 'p':
            o->peer = optarg;
            break;
        case 'n':
            o->no_client_cert = 1;
            break;
        case 'i':
            o->psk_identity = optarg;
            break;
        case 'x':
            o->psk_hex = optarg;
            break;
        case 't':
            o->timeout_ms = (int)strtol(optarg, NULL, 10);
            break;
        case 'f':
            if (m2m_flavour_parse(optarg, &o->flavour, &err) != 0)
                return die("--flavour", &err);
            break;
        default:
            return -1;
        }
    }
    if ((o->cert == NULL) != (o->key == NULL) || (o->psk_identity == NULL) != (o->psk_hex == NULL))
        return die("usage: --cert with --key, --psk-identity with --psk-hex", NULL);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {
        .transport = M2M_TRANSPORT_TLS, .flavour = M2M_FLAVOUR_CSE_ID, .timeout_ms = 5000};
    struct psk_table psk = {0};
    struct m2m_tls_ctx *ctx;
    struct m2m_error err;
    int rc;

    if (parse(argc, argv, &o) != 0)
        return 2;
    psk.identity = o.psk_identity;
    psk.hex = o.psk_hex;
    ctx = make_ctx(&o, &psk, &err);
    if (ctx == NULL)
        return 1;
    rc = serve(ctx, &o);
    m2m_tls_ctx_free(ctx);
    return rc == 0 ? 0 : 1;
}
