/* m2msec connect: Entity A (TS-0003 V3 8.2.2.2). Associates with one peer, prints the
 * identity the handshake bound, then relays stdin to the peer and the peer to stdout. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "assoc_cli.h"
#include "cli.h"

static const char help[] =
    "usage: m2msec connect --peer-id ID --port PORT [--host HOST] [--dtls]\n"
    "                      (--cert FILE --key FILE [--chain FILE] | --psk-file FILE\n"
    "                       --psk-identity KPSAID|KMID | --from-enrolment DIR)\n"
    "                      [--peer-root FILE [--peer-crl FILE]] [--peer-flavour F]\n"
    "                      [--peer-name NAME] [--peer-credential-id CREDID]\n"
    "                      [--peer-in-cse IN-CSE-ID] [--server-name SNI]\n"
    "                      [--id OWN-ID] [--sp-id SP-ID] [--timeout MS] [--idle-timeout MS]\n"
    "                      [--once]\n"
    "Entity A: connects over TLS 1.2 (or DTLS 1.2 with --dtls) to Entity B, which must prove\n"
    "the peer id: a certificate of --peer-flavour (default cse-id) naming --peer-name\n"
    "(derived from --peer-id for cse-id and ae-id) that chains to --peer-root, or the PSK\n"
    "--psk-identity from --psk-file (mode 0600). The SNI is the peer's public domain name.\n"
    "--from-enrolment DIR presents the KeID of DIR/credentials.json (m2msec enrol or\n"
    "bootstrap) with Kpsa derived from Ke for --peer-id (TS-0003 10.3.5); the peer, an\n"
    "Enrolee B, fetches the same Kpsa from the MEF. The key is never printed.\n"
    "On success prints 'bound peer <id> (<flavour>)', then relays stdin and stdout.\n"
    "--once sends one line of stdin, prints one line of reply, and exits.\n"
    "On failure prints one line naming the failed check and exits 1.\n";

/* Reads one line of the peer's reply (or what arrives before it closes). */
static int read_line(struct m2m_assoc_conn *c, char *buf, size_t sz, struct m2m_error *err)
{
    size_t got = 0;

    while (got + 1 < sz && (got == 0 || buf[got - 1] != '\n')) {
        ssize_t n = m2m_assoc_conn_read(c, buf + got, sz - 1 - got, -1, err);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return 0;
}

static int exchange_once(struct m2m_assoc_conn *c, struct m2m_error *err)
{
    char line[4096];

    if (fgets(line, sizeof(line), stdin) != NULL &&
        m2m_assoc_conn_write(c, line, strlen(line), -1, err) != 0)
        return -1;
    if (read_line(c, line, sizeof(line), err) != 0)
        return -1;
    fputs(line, stdout);
    fflush(stdout);
    return 0;
}

/* Drains what the association holds, to stdout. 1 when the peer closed. */
static int peer_to_stdout(struct m2m_assoc_conn *c, struct m2m_error *err)
{
    char buf[4096];

    for (;;) {
        ssize_t n = m2m_assoc_conn_read(c, buf, sizeof(buf), 0, err);
        if (n == 0)
            return 1;
        if (n < 0)
            return err->code == M2M_E_TLS_WANT_IO ? 0 : -1;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) != 0)
            return -1;
    }
}

static int relay(struct m2m_assoc_conn *c, struct m2m_error *err)
{
    struct pollfd pfd[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                            {.fd = m2m_assoc_conn_fd(c), .events = POLLIN}};
    char buf[4096];

    for (;;) {
        int r = peer_to_stdout(c, err);
        if (r != 0)
            return r < 0 ? -1 : 0;
        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            return m2m_error_set_errno(err, M2M_E_IO, "poll");
        if (pfd[0].revents != 0) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n <= 0)
                return 0; /* stdin closed: end the association, as s_client does */
            if (m2m_assoc_conn_write(c, buf, (size_t)n, -1, err) != 0)
                return -1;
        }
    }
}

int cmd_connect(int argc, char **argv)
{
    struct assoc_opts o;
    struct m2m_assoc_config *cfg = NULL;
    struct m2m_assoc_conn *conn = NULL;
    struct m2m_error err;
    int rc = assoc_cli_parse("connect", help, 0, argc, argv, &o);

    if (rc != ASSOC_CLI_RUN)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    m2m_error_clear(&err);
    if (assoc_cli_config(&o, 0, &cfg, &err) != 0 ||
        m2m_assoc_connect(cfg, o.dtls ? M2M_TRANSPORT_DTLS : M2M_TRANSPORT_TLS, o.host, o.port,
                          o.peer_id, &conn, &err) != 0) {
        rc = assoc_cli_fail("connect", &err);
        goto out;
    }
    printf("bound peer %s (%s)\n", m2m_assoc_conn_peer_id(conn),
           assoc_cli_flavour(m2m_assoc_conn_flavour(conn)));
    fflush(stdout);
    if ((o.once ? exchange_once(conn, &err) : relay(conn, &err)) != 0)
        rc = assoc_cli_fail("connect", &err);
    else
        rc = 0;
out:
    m2m_assoc_conn_free(conn);
    m2m_assoc_config_free(cfg);
    return rc;
}
