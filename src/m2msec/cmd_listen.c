/* m2msec listen: Entity B (TS-0003 V3 8.2.2.2). Accepts associations from the allowed
 * peers, each on the event loop so that none waits for another, prints the identity each
 * one bound, writes what peers send to stdout and sends stdin to every open association. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "assoc_cli.h"
#include "cli.h"

#define LISTEN_IDLE_DEFAULT_MS 300000

static const char help[] =
    "usage: m2msec listen --port PORT [--host HOST] [--dtls]\n"
    "                     (--cert FILE --key FILE [--chain FILE] | --psk-file FILE)\n"
    "                     (--peers FILE | --peer-id ID (--peer-root FILE [--peer-crl FILE]\n"
    "                      [--peer-flavour F] [--peer-name NAME] [--peer-credential-id C]\n"
    "                      | --psk-identity KPSAID|KMID))\n"
    "                     [--id OWN-ID] [--sp-id SP-ID] [--timeout MS] [--idle-timeout MS]\n"
    "                     [--once] [--echo]\n"
    "                     [--mef FQDN=URL ... --mef-root FILE --store URL --kek FILE\n"
    "                      [--fetch-suid N]]\n"
    "Entity B: accepts TLS 1.2 (or DTLS 1.2 with --dtls, with cookie exchange) associations\n"
    "from the allowed peers: those of --peers (JSON, see docs/association.md) and the one\n"
    "--peer-* options describe. Each peer must prove its own configured certificate name\n"
    "under its own root of trust, or its own PSK identity; anyone else is refused during\n"
    "the handshake. Each association prints 'bound peer <id> (<flavour>)'; what peers send\n"
    "goes to stdout and stdin goes to every open association (--echo: send it back).\n"
    "--timeout bounds each handshake (default 10000 ms), --idle-timeout each read\n"
    "(default 300000 ms). --once serves one association: prints one line from the peer,\n"
    "answers with one line of stdin and exits; a refused first peer exits 1.\n"
    "--mef (repeatable): a PSK identity that is no configured peer's is taken as a KeID and\n"
    "its key fetched from the MEF its FQDN names (GET /fetchCredentials/{KeID}/22, SUID of\n"
    "--fetch-suid, originator --id, mutual TLS with --cert/--key/--chain, the MEF checked\n"
    "against --mef-root); the key is cached sealed in --store under --kek and the peer is\n"
    "bound to the Enrolee-ID the MEF returned. Other handshakes go on during a fetch.\n";

struct lconn;

struct listen_state {
    const struct assoc_opts *o;
    struct event_base *base;
    struct lconn *conns;
    struct event *ev_stdin;
    int status;
    int idle_ms;
};

struct lconn {
    struct listen_state *s;
    struct m2m_assoc_conn *c;
    struct event *ev;
    struct lconn *prev, *next;
};

static void lconn_close(struct lconn *lc)
{
    if (lc->prev != NULL)
        lc->prev->next = lc->next;
    else
        lc->s->conns = lc->next;
    if (lc->next != NULL)
        lc->next->prev = lc->prev;
    event_free(lc->ev);
    m2m_assoc_conn_free(lc->c);
    free(lc);
}

/* Data from one peer: echoed, or written to stdout. 1 when the peer is gone. */
static int drain(struct lconn *lc)
{
    char buf[4096];
    struct m2m_error err;

    for (;;) {
        ssize_t n = m2m_assoc_conn_read(lc->c, buf, sizeof(buf), 0, &err);
        if (n == 0)
            return 1;
        if (n < 0) {
            if (err.code == M2M_E_TLS_WANT_IO)
                return 0;
            fprintf(stderr, "m2msec listen: %s: %s\n", m2m_assoc_conn_peer_id(lc->c), err.msg);
            return 1;
        }
        if (lc->s->o->echo) {
            if (m2m_assoc_conn_write(lc->c, buf, (size_t)n, -1, &err) != 0)
                return 1;
        } else if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) != 0) {
            return 1;
        }
    }
}

static void on_conn(evutil_socket_t fd, short what, void *arg)
{
    struct lconn *lc = arg;

    (void)fd;
    if ((what & EV_TIMEOUT) != 0) {
        fprintf(stderr, "m2msec listen: %s: timeout: idle for %d ms, closed\n",
                m2m_assoc_conn_peer_id(lc->c), lc->s->idle_ms);
        lconn_close(lc);
        return;
    }
    if (drain(lc) != 0)
        lconn_close(lc);
}

/* --once: one line from the peer to stdout, one line of stdin back, then exit. */
static void serve_once(struct listen_state *s, struct m2m_assoc_conn *c)
{
    char line[4096];
    size_t got = 0;
    struct m2m_error err;

    s->status = 0;
    while (got + 1 < sizeof(line) && (got == 0 || line[got - 1] != '\n')) {
        ssize_t n = m2m_assoc_conn_read(c, line + got, sizeof(line) - 1 - got, -1, &err);
        if (n < 0)
            s->status = assoc_cli_fail("listen", &err);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    line[got] = '\0';
    fputs(line, stdout);
    fflush(stdout);
    if (s->status == 0 && fgets(line, sizeof(line), stdin) != NULL &&
        m2m_assoc_conn_write(c, line, strlen(line), -1, &err) != 0)
        s->status = assoc_cli_fail("listen", &err);
    m2m_assoc_conn_free(c);
    event_base_loopbreak(s->base);
}

static void on_accept(void *arg, struct m2m_assoc_conn *c)
{
    struct listen_state *s = arg;
    struct lconn *lc;
    struct timeval tv = {.tv_sec = s->idle_ms / 1000, .tv_usec = (s->idle_ms % 1000) * 1000};

    printf("bound peer %s (%s)\n", m2m_assoc_conn_peer_id(c),
           assoc_cli_flavour(m2m_assoc_conn_flavour(c)));
    fflush(stdout);
    if (s->o->once) {
        serve_once(s, c);
        return;
    }
    lc = calloc(1, sizeof(*lc));
    if (lc == NULL || (lc->ev = event_new(s->base, m2m_assoc_conn_fd(c), EV_READ | EV_PERSIST,
                                          on_conn, lc)) == NULL) {
        free(lc);
        m2m_assoc_conn_free(c);
        return;
    }
    lc->s = s;
    lc->c = c;
    lc->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = lc;
    s->conns = lc;
    event_add(lc->ev, &tv);
    /* The handshake may have brought application data along already. */
    if (drain(lc) != 0)
        lconn_close(lc);
}

static void on_reject(void *arg, const char *addr, const struct m2m_error *why)
{
    struct listen_state *s = arg;

    fprintf(stderr, "m2msec listen: refused %s: %s: %s\n", addr[0] ? addr : "peer",
            m2m_errcode_name(why->code), why->msg);
    if (s->o->once) {
        s->status = 1;
        event_base_loopbreak(s->base);
    }
}

/* stdin goes to every open association; at its end the listener keeps serving. */
static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
    struct listen_state *s = arg;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    struct m2m_error err;

    (void)what;
    if (n <= 0) {
        event_del(s->ev_stdin);
        return;
    }
    for (struct lconn *lc = s->conns; lc != NULL; lc = lc->next)
        if (m2m_assoc_conn_write(lc->c, buf, (size_t)n, -1, &err) != 0)
            fprintf(stderr, "m2msec listen: %s: %s\n", m2m_assoc_conn_peer_id(lc->c), err.msg);
}

static int stdin_pollable(void)
{
    struct stat st;

    return isatty(STDIN_FILENO) ||
           (fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)));
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

/* Each association holds a socket: allow as many as the hard limit permits. */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int serve(struct listen_state *s, struct m2m_assoc_config *cfg, struct m2m_error *err)
{
    const struct assoc_opts *o = s->o;
    struct m2m_assoc_listener *l;
    struct event *sigs[2] = {NULL, NULL};
    int rc = 1;

    l = m2m_assoc_listen(cfg, s->base, o->dtls ? M2M_TRANSPORT_DTLS : M2M_TRANSPORT_TLS, o->host,
                         o->port, on_accept, on_reject, s, err);
    if (l == NULL)
        return assoc_cli_fail("listen", err);
    sigs[0] = evsignal_new(s->base, SIGTERM, on_signal, s->base);
    sigs[1] = evsignal_new(s->base, SIGINT, on_signal, s->base);
    s->ev_stdin = event_new(s->base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, s);
    if (sigs[0] == NULL || sigs[1] == NULL || evsignal_add(sigs[0], NULL) != 0 ||
        evsignal_add(sigs[1], NULL) != 0) {
        fprintf(stderr, "m2msec listen: internal: event setup failed\n");
        goto out;
    }
    /* epoll refuses regular files and /dev/null: stdin is relayed only from a terminal, a
     * pipe or a socket. */
    if (!o->once && s->ev_stdin != NULL && stdin_pollable())
        (void)event_add(s->ev_stdin, NULL);
    fprintf(stderr, "m2msec listen: listening on %s:%d (%s)\n", o->host, m2m_assoc_listener_port(l),
            o->dtls ? "dtls" : "tls");
    event_base_dispatch(s->base);
    rc = s->status;
out:
    while (s->conns != NULL)
        lconn_close(s->conns);
    for (int i = 0; i < 2; i++)
        if (sigs[i] != NULL)
            event_free(sigs[i]);
    if (s->ev_stdin != NULL)
        event_free(s->ev_stdin);
    m2m_assoc_listener_free(l);
    return rc;
}

int cmd_listen(int argc, char **argv)
{
    struct assoc_opts o;
    struct listen_state s;
    struct m2m_assoc_config *cfg = NULL;
    struct m2m_error err;
    int rc = assoc_cli_parse("listen", help, 1, argc, argv, &o);

    if (rc != ASSOC_CLI_RUN)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    memset(&s, 0, sizeof(s));
    s.o = &o;
    s.idle_ms = o.idle_ms > 0 ? o.idle_ms : LISTEN_IDLE_DEFAULT_MS;
    if (o.idle_ms == 0)
        o.idle_ms = LISTEN_IDLE_DEFAULT_MS;
    m2m_error_clear(&err);
    if (assoc_cli_config(&o, 1, &cfg, &err) != 0)
        return assoc_cli_fail("listen", &err);
    s.base = event_base_new();
    if (s.base == NULL) {
        m2m_assoc_config_free(cfg);
        fprintf(stderr, "m2msec listen: internal: no event base\n");
        return 1;
    }
    rc = serve(&s, cfg, &err);
    event_base_free(s.base);
    m2m_assoc_config_free(cfg);
    return rc;
}
