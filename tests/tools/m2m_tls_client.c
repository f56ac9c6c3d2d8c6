/* A one-connection (D)TLS client on the library's client context, for interoperability
 * tests against servers nobody here wrote (openssl s_server). It connects to 127.0.0.1
 * on the given port, sends SNI, runs the handshake, prints the RFC 5705 export with the
 * oneM2M bootstrap label, the cipher and the proven peer, and exits (0 on success). */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <m2msec/encoding.h>
#include <m2msec/tls.h>

struct opts {
    enum m2m_transport transport;
    int port;
    const char *sni, *cert, *key, *ca, *peer, *psk_identity, *psk_hex;
    enum m2m_flavour flavour;
    int timeout_ms;
};

static int die(const char *what, const struct m2m_error *err)
{
    fprintf(stderr, "error: %s: %s\n", what, err != NULL ? err->msg : "failed");
    return -1;
}

static int configure(struct m2m_tls_config *cfg, const struct opts *o, struct m2m_error *err)
{
    struct m2m_credential *cred = NULL;
    struct m2m_trust *trust = NULL;
    struct m2m_secret *psk = NULL;
    int rc = -1;

    if (o->cert != NULL && (cred = m2m_credential_load(o->key, o->cert, NULL, err)) == NULL)
        return die("credential", err);
    m2m_tls_config_set_credential(cfg, cred);
    if (o->ca != NULL) {
        trust = m2m_trust_new(err);
        if (trust == NULL || m2m_trust_add_anchors(trust, o->ca, err) != 0) {
            die("trust anchors", err);
            goto out;
        }
        m2m_tls_config_set_trust(cfg, trust);
    }
    if (o->flavour != M2M_FLAVOUR_NONE &&
        m2m_tls_config_set_peer(cfg, o->flavour, o->peer, err) != 0) {
        die("peer", err);
        goto out;
    }
    if (o->psk_identity != NULL &&
        ((psk = m2m_secret_from_hex(o->psk_hex, err)) == NULL ||
         m2m_tls_config_set_psk_client(cfg, o->psk_identity, psk, err) != 0)) {
        die("psk", err);
        goto out;
    }
    rc = 0;
out:
    m2m_credential_free(cred);
    m2m_trust_free(trust);
    m2m_secret_free(psk);
    return rc;
}

static int connect_socket(const struct opts *o)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((unsigned short)o->port)};
    int tcp = o->transport == M2M_TRANSPORT_TLS;
    int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);

    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("error: connect");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
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
    fflush(stdout);
}

static int run(const struct opts *o)
{
    struct m2m_error err;
    struct m2m_tls_config *cfg = m2m_tls_config_new(&err);
    struct m2m_tls_ctx *ctx = NULL;
    SSL *ssl = NULL;
    int fd = -1, rc = -1;

    if (cfg == NULL || configure(cfg, o, &err) != 0)
        goto out;
    m2m_tls_config_set_timeout_ms(cfg, o->timeout_ms);
    if ((ctx = m2m_tls_ctx_new(cfg, M2M_TLS_CLIENT, o->transport, &err)) == NULL ||
        (ssl = m2m_tls_ssl_new(ctx, o->sni, &err)) == NULL) {
        die("context", &err);
        goto out;
    }
    if ((fd = connect_socket(o)) < 0)
        goto out;
    if (m2m_tls_handshake_fd(ssl, fd, &err) != 0) {
        die("handshake", &err);
        goto out;
    }
    report(ssl);
    SSL_shutdown(ssl);
    rc = 0;
out:
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    m2m_tls_ctx_free(ctx);
    m2m_tls_config_free(cfg);
    return rc;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {{"dtls", no_argument, NULL, 'd'},
                                       {"port", required_argument, NULL, 'P'},
                                       {"sni", required_argument, NULL, 's'},
                                       {"cert", required_argument, NULL, 'c'},
                                       {"key", required_argument, NULL, 'k'},
                                       {"ca", required_argument, NULL, 'a'},
                                       {"flavour", required_argument, NULL, 'f'},
                                       {"peer", required_argument, NULL, 'p'},
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
        case 'P':
            o->port = (int)strtol(optarg, NULL, 10);
            break;
        case 's':
            o->sni = optarg;
            break;
        case 'c':
            o->cert = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'a':
            o->ca = optarg;
            break;
        case 'p':
            o->peer = optarg;
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
    if (o->port <= 0 || o->port > 65535 || (o->cert == NULL) != (o->key == NULL) ||
        (o->psk_identity == NULL) != (o->psk_hex == NULL))
        return die("usage: --port N, --cert with --key, --psk-identity with --psk-hex", NULL);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {.transport = M2M_TRANSPORT_TLS, .sni = "mef.example.com", .timeout_ms = 5000};

    if (parse(argc, argv, &o) != 0)
        return 2;
    return run(&o) == 0 ? 0 : 1;
}
