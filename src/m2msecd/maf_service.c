/* The MAF role on HTTPS over TLS-PSK (TS-0003 V3 8.3.1.2; DESIGN.md section 4).
 *
 * Why a pool of handshake threads. OpenSSL's TLS 1.2 PSK server callback is synchronous,
 * and a first handshake with an unknown KeID must wait for the MEF's answer inside it.
 * DESIGN.md section 6 suggests pausing an ASYNC_JOB and resuming the handshake later, but
 * libevent 2.1's evhttp cannot adopt an SSL whose handshake was driven elsewhere (its
 * bufferevent callback runs at accept time, before any handshake), and bufferevent_openssl
 * treats SSL_ERROR_WANT_ASYNC as fatal. So the MAF runs N threads, each with its own event
 * base, HTTPS server, TLS context and store connection, all accepting on ONE listening
 * socket. The PSK callback runs the lookup (lib/role/keyfetch.c) on its own thread: a fetch
 * blocks only that thread, bounded by fetch_timeout_ms, while the other threads keep
 * accepting and serving. A thread blocked in a fetch is not waiting in epoll, so it takes
 * no new connection meanwhile: the kernel hands them to the idle threads. Connections that
 * thread had already accepted wait at most the fetch timeout. Concurrent first handshakes
 * for one KeID, on any thread, share one fetch (the key fetch's single flight). Across
 * worker processes (workers > 1) the socket is bound with SO_REUSEPORT; each process has
 * its own single flight, and the MEF sees at most one fetch per KeID per process.
 *
 * The worker's own event base (the one main.c gives the role) runs none of this; it only
 * relays drain and connection counts, so a fetch never delays signals or other roles. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <m2msec/keyfetch.h>
#include <m2msec/maf.h>
#include <m2msec/net.h>
#include <m2msec/pki.h>
#include <m2msec/tls.h>

#include "log.h"
#include "maf_coap.h"
#include "service.h"
#include "service_util.h"

#define COUNT_TICK_MS 100

struct maf_service;

/* One handshake thread: everything it touches is its own, except the key fetch and the
 * MAF logic, which are thread-safe and immutable respectively. */
struct maf_thread {
    struct maf_service *svc;
    pthread_t th;
    bool running;
    struct event_base *base;
    struct event *tick;
    struct m2m_store *store;
    struct m2m_tls_config *tlscfg;
    struct m2m_tls_ctx *tls;
    struct m2m_https_server *https;
    atomic_int conns; /* published by the thread each tick, read by the worker's loop */
};

struct maf_service {
    const struct daemon_conf *conf;
    struct m2m_maf *maf;
    struct m2m_keyfetch *kf;
    int listen_fd;
    unsigned short port;
    int n;
    struct maf_thread *t;
    struct maf_coap *coap; /* client registration over CoAPS (maf_coap.c) */
};

/* ---- TLS ---- */

/* The suite matters for a B-TID: its key is Ks_NAF, bound to the suite (SPEC.md section 8). */
static int maf_psk_lookup(void *arg, const char *identity, uint16_t suite, struct m2m_secret **key,
                          struct m2m_error *err)
{
    struct maf_thread *t = arg;
    struct m2m_keyfetch_info info;

    if (m2m_keyfetch_lookup_suite(t->svc->kf, t->store, identity, suite, key, &info, err) != 0) {
        log_msg(LOG_WARN, "maf: PSK identity %s refused: %s", identity, err->msg);
        return -1;
    }
    if (info.fetched)
        log_msg(LOG_INFO, "maf: Km for %s (enrolee %s) fetched from %s, cached as %s", info.keid,
                info.enrolee_id, info.mef_fqdn, info.kmid);
    else
        log_msg(LOG_DEBUG, "maf: Km for %s from the %s", identity,
                info.waited ? "fetch in flight" : "cache");
    return 0;
}

/* The client side of the fetch: the MAF's FQDN certificate, and the anchors (and CRLs,
 * SPEC.md section 2: an MEF certificate is checked for revocation) that verify the MEF's
 * FQDN certificate for the name the MAF connects to. */
static struct m2m_tls_config *fetch_tls_config(const struct daemon_conf *c, struct m2m_error *err)
{
    struct m2m_tls_config *cfg = NULL;
    struct m2m_credential *cred = NULL;
    struct m2m_trust *trust = NULL;

    if ((cred = m2m_credential_load(c->maf.key, c->maf.cert, c->maf.chain[0] ? c->maf.chain : NULL,
                                    err)) == NULL ||
        (trust = service_load_trust(config_trust(c, c->maf.trust), err)) == NULL ||
        (cfg = m2m_tls_config_new(err)) == NULL)
        goto out;
    m2m_tls_config_set_credential(cfg, cred);
    m2m_tls_config_set_trust(cfg, trust);
    m2m_tls_config_set_timeout_ms(cfg, c->maf.fetch_timeout_ms);
out:
    m2m_credential_free(cred);
    m2m_trust_free(trust);
    return cfg;
}

/* The server side: TLS-PSK only (TS-0003 10.2 PSK suites), looked up on this thread. */
static int thread_tls(struct maf_thread *t, struct m2m_error *err)
{
    if ((t->tlscfg = m2m_tls_config_new(err)) == NULL)
        return -1;
    m2m_tls_config_set_psk_server_suite(t->tlscfg, maf_psk_lookup, t);
    m2m_tls_config_set_timeout_ms(t->tlscfg, t->svc->conf->timeout_ms);
    t->tls = m2m_tls_ctx_new(t->tlscfg, M2M_TLS_SERVER, M2M_TRANSPORT_TLS, err);
    return t->tls != NULL ? 0 : -1;
}

/* ---- requests ---- */

static void on_request(void *arg, struct m2m_https_exchange *x)
{
    struct maf_thread *t = arg;
    struct m2m_maf_session sess;
    struct m2m_maf_request req;
    struct m2m_maf_response resp;

    memset(&req, 0, sizeof(req));
    req.method = m2m_https_method(x);
    req.path = m2m_https_path(x);
    req.origin = m2m_https_header(x, M2M_HDR_ORIGIN);
    req.body = m2m_https_body(x, &req.body_len);
    req.session = service_maf_session(m2m_https_ssl(x), &sess) == 0 ? &sess : NULL;
    m2m_maf_handle(t->svc->maf, t->store, &req, &resp);
    log_msg(resp.http_status >= 400 ? LOG_WARN : LOG_INFO, "%s %s %s: %s", m2m_https_peer(x),
            req.method, req.path, resp.log);
    m2m_https_reply(x, resp.http_status, resp.rsc, resp.body, false);
    m2m_maf_response_clear(&resp);
}

/* ---- threads ---- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct maf_thread *t = arg;

    (void)fd, (void)what;
    atomic_store(&t->conns, m2m_https_server_connections(t->https));
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
    struct maf_thread *t = arg;

    (void)fd, (void)what;
    m2m_https_server_stop_accepting(t->https);
}

static void *thread_main(void *arg)
{
    struct maf_thread *t = arg;

    event_base_dispatch(t->base);
    return NULL;
}

static int thread_build(struct maf_thread *t, const struct m2m_secret *kek, struct m2m_error *err)
{
    const struct daemon_conf *c = t->svc->conf;
    struct timeval tv = {0, COUNT_TICK_MS * 1000};
    struct m2m_https_config hc;

    if ((t->base = event_base_new()) == NULL)
        return m2m_error_set(err, M2M_E_NOMEM, "event base");
    if ((t->store = m2m_store_open(c->store, kek, err)) == NULL || thread_tls(t, err) != 0)
        return -1;
    memset(&hc, 0, sizeof(hc));
    hc.address = c->maf.listen.address;
    hc.port = c->maf.listen.port;
    /* Every thread accepts on a duplicate of the one listening socket (see the top). */
    if ((hc.fd = fcntl(t->svc->listen_fd, F_DUPFD_CLOEXEC, 0)) < 0)
        return m2m_error_set_errno(err, M2M_E_IO, "dup");
    hc.tls = t->tls;
    hc.timeout_ms = c->timeout_ms;
    hc.max_body = c->max_body;
    hc.max_connections = c->max_connections;
    hc.handler = on_request;
    hc.handler_arg = t;
    if ((t->https = m2m_https_server_new(t->base, &hc, err)) == NULL) {
        close(hc.fd);
        return -1;
    }
    t->tick = event_new(t->base, -1, EV_PERSIST, on_tick, t);
    if (t->tick == NULL || event_add(t->tick, &tv) != 0)
        return m2m_error_set(err, M2M_E_NOMEM, "timer");
    return 0;
}

static void thread_free(struct maf_thread *t)
{
    if (t->running) {
        event_base_loopbreak(t->base);
        pthread_join(t->th, NULL);
    }
    if (t->tick)
        event_free(t->tick);
    m2m_https_server_free(t->https);
    m2m_tls_ctx_free(t->tls);
    m2m_tls_config_free(t->tlscfg);
    m2m_store_close(t->store);
    if (t->base)
        event_base_free(t->base);
}

/* ---- the service ---- */

/* One listening socket for all threads; SO_REUSEPORT too when several worker processes
 * share the port. Non-blocking: the threads race for each connection. */
static int open_listener(const struct listen_conf *l, int reuseport, struct m2m_error *err)
{
    struct addrinfo hints, *ai = NULL;
    char port[8];
    int fd = -1, one = 1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%u", l->port);
    if (getaddrinfo(l->address, port, &hints, &ai) != 0) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "listen address '%s'", l->address);
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "listen on %s:%u", l->address, l->port);
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static struct m2m_keyfetch *build_keyfetch(const struct daemon_conf *c, struct m2m_error *err)
{
    struct m2m_keyfetch_config kc;
    struct m2m_keyfetch *kf = NULL;

    memset(&kc, 0, sizeof(kc));
    snprintf(kc.own_id, sizeof(kc.own_id), "%s", c->maf.fqdn);
    snprintf(kc.key_id_fqdn, sizeof(kc.key_id_fqdn), "%s", c->maf.fqdn);
    kc.suid = M2M_SUID_REMOTE_MAF; /* TS-0003 8.3.1.2: a MAF fetches Km, SUID 21 */
    kc.fetch_timeout_ms = c->maf.fetch_timeout_ms;
    if ((kc.tls = fetch_tls_config(c, err)) == NULL)
        return NULL;
    kf = m2m_keyfetch_new(&kc, err);
    m2m_tls_config_free(kc.tls);
    for (size_t i = 0; kf != NULL && i < c->maf.n_mefs; i++)
        if (m2m_keyfetch_add_mef(kf, c->maf.mefs[i].fqdn, c->maf.mefs[i].url, err) != 0) {
            m2m_keyfetch_free(kf);
            kf = NULL;
        }
    return kf;
}

static void maf_service_free(struct maf_service *s)
{
    if (s == NULL)
        return;
    for (int i = 0; s->t != NULL && i < s->n; i++)
        thread_free(&s->t[i]);
    maf_coap_free(s->coap);
    free(s->t);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    m2m_keyfetch_free(s->kf); /* after the threads: no lookup runs any more */
    m2m_maf_free(s->maf);
    free(s);
}

static int start_threads(struct maf_service *s, const struct m2m_secret *kek, struct m2m_error *err)
{
    if ((s->t = calloc((size_t)s->n, sizeof(*s->t))) == NULL)
        return m2m_error_set(err, M2M_E_NOMEM, "threads");
    for (int i = 0; i < s->n; i++) {
        s->t[i].svc = s;
        if (thread_build(&s->t[i], kek, err) != 0)
            return -1;
    }
    for (int i = 0; i < s->n; i++) {
        if (pthread_create(&s->t[i].th, NULL, thread_main, &s->t[i]) != 0)
            return m2m_error_set(err, M2M_E_INTERNAL, "cannot start thread %d", i);
        s->t[i].running = true;
    }
    return 0;
}

static void *maf_create(struct event_base *base, const struct daemon_conf *conf,
                        const struct m2m_secret *kek, int reuseport, char *errbuf, size_t errsz)
{
    struct maf_service *s = calloc(1, sizeof(*s));
    struct m2m_maf_config mc;
    struct m2m_error err;

    if (s == NULL) {
        snprintf(errbuf, errsz, "maf: out of memory");
        return NULL;
    }
    s->conf = conf;
    s->listen_fd = -1;
    s->n = conf->maf.threads;
    m2m_error_clear(&err);
    memset(&mc, 0, sizeof(mc));
    snprintf(mc.fqdn, sizeof(mc.fqdn), "%s", conf->maf.fqdn);
    mc.registration_lifetime = conf->maf.registration_lifetime;
    if ((s->maf = m2m_maf_new(&mc, &err)) == NULL || (s->kf = build_keyfetch(conf, &err)) == NULL ||
        (s->listen_fd = open_listener(&conf->maf.listen, reuseport, &err)) < 0 ||
        start_threads(s, kek, &err) != 0 ||
        (s->coap = maf_coap_new(&(struct maf_coap_args){base, conf, s->maf, s->kf, kek}, reuseport,
                                &err)) == NULL) {
        snprintf(errbuf, errsz, "maf: %s", err.msg);
        maf_service_free(s);
        return NULL;
    }
    s->port = m2m_https_server_port(s->t[0].https);
    return s;
}

/* SIGHUP: the anchors and CRLs that verify MEFs, for the fetches that start from now. */
static int maf_reload(void *svc, char *errbuf, size_t errsz)
{
    struct maf_service *s = svc;
    struct m2m_tls_config *cfg;
    struct m2m_error err;

    if ((cfg = fetch_tls_config(s->conf, &err)) == NULL) {
        snprintf(errbuf, errsz, "maf reload: %s (keeping the previous anchors)", err.msg);
        return -1;
    }
    m2m_keyfetch_set_tls(s->kf, cfg);
    m2m_tls_config_free(cfg);
    return 0;
}

static void maf_drain(void *svc)
{
    struct maf_service *s = svc;
    struct timeval now = {0, 0};

    /* Each server is stopped on its own loop; libevent's locking makes this hand-off safe. */
    for (int i = 0; i < s->n; i++)
        event_base_once(s->t[i].base, -1, EV_TIMEOUT, on_drain, &s->t[i], &now);
    maf_coap_drain(s->coap);
}

static int maf_connections(void *svc)
{
    struct maf_service *s = svc;
    int n = 0;

    for (int i = 0; i < s->n; i++)
        n += atomic_load(&s->t[i].conns);
    return n;
}

static void maf_describe(void *svc, char *buf, size_t bufsz)
{
    struct maf_service *s = svc;
    char coap[96];

    maf_coap_describe(s->coap, coap, sizeof(coap));
    snprintf(buf, bufsz, "maf %s listening on %s:%u (TLS-PSK, %d handshake threads, %zu MEFs)%s",
             s->conf->maf.fqdn, s->conf->maf.listen.address, s->port, s->n, s->conf->maf.n_mefs,
             coap);
}

static bool maf_enabled(const struct daemon_conf *conf)
{
    return conf->maf.enabled;
}

static void maf_destroy(void *svc)
{
    maf_service_free(svc);
}

const struct service_ops maf_service_ops = {
    .name = "maf",
    .enabled = maf_enabled,
    .create = maf_create,
    .reload = maf_reload,
    .drain = maf_drain,
    .connections = maf_connections,
    .describe = maf_describe,
    .destroy = maf_destroy,
};
