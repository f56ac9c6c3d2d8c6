/* Entity B on a thread for the association tests: greets each association with the id it
 * was bound to and echoes what it receives, so the client side can check both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "assoc_helpers.h"

struct assoc_server_conn {
    struct assoc_server *s;
    struct m2m_assoc_conn *c;
    struct event *ev;
};

static void echo_cb(evutil_socket_t fd, short what, void *arg)
{
    struct assoc_server_conn *sc = arg;
    char buf[512];
    struct m2m_error err;

    (void)fd;
    (void)what;
    for (;;) {
        ssize_t n = m2m_assoc_conn_read(sc->c, buf, sizeof(buf), 0, &err);
        if (n > 0 && m2m_assoc_conn_write(sc->c, buf, (size_t)n, 2000, &err) == 0)
            continue;
        if (n < 0 && err.code == M2M_E_TLS_WANT_IO)
            return;
        event_del(sc->ev); /* closed or failed: stop watching, freed at stop */
        return;
    }
}

static void on_accept(void *arg, struct m2m_assoc_conn *c)
{
    struct assoc_server *s = arg;
    struct assoc_server_conn *sc = calloc(1, sizeof(*sc));
    char line[600];
    struct m2m_error err;

    pthread_mutex_lock(&s->mu);
    if (sc == NULL || s->n_conns >= ASSOC_SERVER_MAX) {
        pthread_mutex_unlock(&s->mu);
        free(sc);
        m2m_assoc_conn_free(c);
        return;
    }
    sc->s = s;
    sc->c = c;
    s->conns[s->n_conns++] = sc;
    pthread_mutex_unlock(&s->mu);
    snprintf(line, sizeof(line), "bound %s %s\n", m2m_assoc_conn_peer_id(c),
             m2m_assoc_conn_flavour(c) == M2M_FLAVOUR_NONE
                 ? "psk"
                 : m2m_flavour_name(m2m_assoc_conn_flavour(c)));
    if (m2m_assoc_conn_write(c, line, strlen(line), 2000, &err) != 0)
        fprintf(stderr, "assoc_server: greeting: %s\n", err.msg);
    sc->ev = event_new(s->base, m2m_assoc_conn_fd(c), EV_READ | EV_PERSIST, echo_cb, sc);
    if (sc->ev != NULL)
        event_add(sc->ev, NULL);
}

static void on_reject(void *arg, const char *addr, const struct m2m_error *why)
{
    struct assoc_server *s = arg;

    (void)addr;
    pthread_mutex_lock(&s->mu);
    if (s->n_rejects < ASSOC_REJECT_MAX) {
        s->reject_code[s->n_rejects] = why->code;
        snprintf(s->reject_msg[s->n_rejects], M2M_ERROR_MSG_MAX, "%s", why->msg);
    }
    s->n_rejects++;
    pthread_mutex_unlock(&s->mu);
}

static void *run(void *arg)
{
    struct assoc_server *s = arg;

    event_base_dispatch(s->base);
    return NULL;
}

int assoc_server_start(struct assoc_server *s, struct m2m_assoc_config *cfg, enum m2m_transport t)
{
    struct m2m_error err;

    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    s->base = event_base_new();
    if (s->base == NULL)
        return -1;
    s->l = m2m_assoc_listen(cfg, s->base, t, "127.0.0.1", "0", on_accept, on_reject, s, &err);
    if (s->l == NULL) {
        fprintf(stderr, "assoc_server: %s\n", err.msg);
        event_base_free(s->base);
        s->base = NULL;
        return -1;
    }
    s->port = m2m_assoc_listener_port(s->l);
    return pthread_create(&s->thread, NULL, run, s) == 0 ? 0 : -1;
}

void assoc_server_stop(struct assoc_server *s)
{
    if (s->base == NULL)
        return;
    m2m_assoc_listener_stop(s->l);
    pthread_join(s->thread, NULL);
    for (size_t i = 0; i < s->n_conns; i++) {
        if (s->conns[i]->ev != NULL)
            event_free(s->conns[i]->ev);
        m2m_assoc_conn_free(s->conns[i]->c);
        free(s->conns[i]);
    }
    m2m_assoc_listener_free(s->l);
    event_base_free(s->base);
    pthread_mutex_destroy(&s->mu);
    memset(s, 0, sizeof(*s));
}

size_t assoc_server_accepted(struct assoc_server *s)
{
    size_t n;

    pthread_mutex_lock(&s->mu);
    n = s->n_conns;
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t assoc_server_rejected(struct assoc_server *s)
{
    size_t n;

    pthread_mutex_lock(&s->mu);
    n = s->n_rejects;
    pthread_mutex_unlock(&s->mu);
    return n;
}

enum m2m_errcode assoc_server_wait_reject(struct assoc_server *s, size_t n, int ms)
{
    enum m2m_errcode code = M2M_OK;
    struct timespec nap = {0, 5 * 1000 * 1000};

    for (int waited = 0; waited <= ms; waited += 5) {
        pthread_mutex_lock(&s->mu);
        if (s->n_rejects >= n && n > 0 && n <= ASSOC_REJECT_MAX)
            code = s->reject_code[n - 1];
        pthread_mutex_unlock(&s->mu);
        if (code != M2M_OK)
            return code;
        nanosleep(&nap, NULL);
    }
    return M2M_OK;
}

int assoc_client(struct m2m_assoc_config *cfg, enum m2m_transport t, int port, const char *peer_id,
                 struct m2m_assoc_conn **conn, char *greeting, size_t gsz, struct m2m_error *err)
{
    char p[16];
    size_t got = 0;

    snprintf(p, sizeof(p), "%d", port);
    if (m2m_assoc_connect(cfg, t, "127.0.0.1", p, peer_id, conn, err) != 0)
        return -1;
    while (got + 1 < gsz && (got == 0 || greeting[got - 1] != '\n')) {
        ssize_t n = m2m_assoc_conn_read(*conn, greeting + got, gsz - 1 - got, 3000, err);
        if (n <= 0) {
            m2m_assoc_conn_free(*conn);
            *conn = NULL;
            return -1;
        }
        got += (size_t)n;
    }
    greeting[got] = '\0';
    return 0;
}

int assoc_echo(struct m2m_assoc_conn *c, const char *text)
{
    char buf[512];
    size_t len = strlen(text), got = 0;
    struct m2m_error err;

    if (m2m_assoc_conn_write(c, text, len, 2000, &err) != 0)
        return -1;
    while (got < len) {
        ssize_t n = m2m_assoc_conn_read(c, buf + got, sizeof(buf) - got, 3000, &err);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return got == len && memcmp(buf, text, len) == 0 ? 0 : -1;
}
