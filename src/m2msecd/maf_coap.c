/* The MAF role on CoAPS: DTLS-PSK whose identity is a KeID or a KmID, then
 * POST /clientRegistration, handed to lib/role/maf as maf_service.c does over HTTPS.
 *
 * What libcoap allows for a PSK lookup that may wait on the network. libcoap 4.3.1 calls
 * the PSK lookup (validate_id) inside SSL_read on the thread running coap_io_process,
 * and has no way to suspend a handshake and resume it later. Measured:
 *   - a lookup that blocks holds every session of the context for the whole fetch
 *     (up to fetch_timeout_ms): the loop processes no datagram meanwhile;
 *   - with SSL_MODE_ASYNC the lookup runs inside an OpenSSL ASYNC_JOB and may pause it;
 *     SSL_read then returns SSL_ERROR_WANT_ASYNC, which libcoap treats as "nothing to
 *     do" (no event, no disconnect), and the next SSL_read on that session, made when the
 *     client repeats its last flight (its DTLS retransmission timer, 1 s then doubling),
 *     resumes the job where it paused. libcoap then sees the handshake finish as usual.
 * So each lookup runs on a thread of its own (m2m_keyfetch_lookup with its own store
 * connection: single flight, caching and refusals as over HTTPS). The handshake waits for
 * it at most LOOKUP_QUICK_MS on the loop (a cached key answers in well under a
 * millisecond), then pauses; other sessions keep being served. A first handshake whose Km
 * must be fetched from the MEF finishes at the client's next retransmission after the
 * fetch: about one second more than over TLS. */
#include <openssl/async.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <m2msec/keyfetch.h>
#include <m2msec/maf.h>

#include "log.h"
#include "service_util.h"
#include "maf_coap.h"

#define LOOKUP_QUICK_MS 30

struct maf_coap {
    const struct daemon_conf *conf;
    struct m2m_maf *maf;
    struct m2m_keyfetch *kf;
    struct m2m_secret *kek;  /* a copy: lookup threads open their own store with it */
    struct m2m_store *store; /* the loop's connection, for registrations */
    struct m2m_tls_config *tlscfg;
    atomic_int lookups; /* lookup threads running */
    struct coap_listener l;
};

/* One PSK lookup, shared by the handshake that waits for it and the thread that runs it;
 * the last of the two to let go frees it. */
struct lookup {
    atomic_int refs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    struct maf_coap *m;
    char identity[M2M_IDENTITY_MAX];
    uint16_t suite; /* of the handshake: a B-TID's key depends on it */
    int rc;
    struct m2m_secret *key;
    struct m2m_error err;
    struct m2m_keyfetch_info info;
};

static void lookup_release(struct lookup *l)
{
    if (atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    m2m_secret_free(l->key);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}

static void *lookup_main(void *arg)
{
    struct lookup *l = arg;
    struct maf_coap *m = l->m;
    struct m2m_store *store = m2m_store_open(m->conf->store, m->kek, &l->err);

    l->rc = store == NULL ? -1
                          : m2m_keyfetch_lookup_suite(m->kf, store, l->identity, l->suite, &l->key,
                                                      &l->info, &l->err);
    m2m_store_close(store);
    pthread_mutex_lock(&l->mu);
    l->done = true;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    atomic_fetch_sub(&m->lookups, 1);
    lookup_release(l);
    return NULL;
}

static int wait_done(struct lookup *l, int ms)
{
    struct timespec ts;
    bool done;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&l->mu);
    while (!l->done && pthread_cond_timedwait(&l->cv, &l->mu, &ts) == 0)
        ;
    done = l->done;
    pthread_mutex_unlock(&l->mu);
    return done;
}

static struct lookup *lookup_start(struct maf_coap *m, const char *identity, uint16_t suite,
                                   struct m2m_error *err)
{
    struct lookup *l = calloc(1, sizeof(*l));
    pthread_attr_t attr;
    pthread_t th;
    int rc;

    if (l == NULL)
        return m2m_error_set(err, M2M_E_NOMEM, "PSK lookup"), NULL;
    atomic_init(&l->refs, 2);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->m = m;
    snprintf(l->identity, sizeof(l->identity), "%s", identity);
    l->suite = suite;
    atomic_fetch_add(&m->lookups, 1);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&th, &attr, lookup_main, l);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        atomic_fetch_sub(&m->lookups, 1);
        atomic_store(&l->refs, 1);
        lookup_release(l);
        return m2m_error_set(err, M2M_E_INTERNAL, "cannot start a PSK lookup"), NULL;
    }
    return l;
}

/* The m2m_psk_lookup_fn of the CoAPS listener; see the top of the file. */
static int coap_psk_lookup(void *arg, const char *identity, uint16_t suite, struct m2m_secret **key,
                           struct m2m_error *err)
{
    struct maf_coap *m = arg;
    struct lookup *l = lookup_start(m, identity, suite, err);
    int rc = -1;

    if (l == NULL)
        return -1;
    if (!wait_done(l, LOOKUP_QUICK_MS)) {
        if (ASYNC_get_current_job() == NULL)
            (void)wait_done(l, m->conf->maf.fetch_timeout_ms + 1000);
        else
            while (!wait_done(l, 0))
                ASYNC_pause_job();
    }
    if (!wait_done(l, 0)) {
        m2m_error_set(err, M2M_E_TIMEOUT, "PSK lookup of %s did not finish", identity);
    } else if (l->rc != 0) {
        *err = l->err;
        log_msg(LOG_WARN, "maf coaps: PSK identity %s refused: %s", identity, err->msg);
    } else {
        if (l->info.fetched)
            log_msg(LOG_INFO, "maf coaps: Km for %s (enrolee %s) fetched from %s, cached as %s",
                    l->info.keid, l->info.enrolee_id, l->info.mef_fqdn, l->info.kmid);
        *key = l->key;
        l->key = NULL;
        rc = 0;
    }
    lookup_release(l);
    return rc;
}

static void on_request(void *arg, struct m2m_coap_exchange *x)
{
    struct maf_coap *m = arg;
    struct m2m_maf_session sess;
    struct m2m_maf_request req;
    struct m2m_maf_response resp;

    memset(&req, 0, sizeof(req));
    req.method = m2m_coap_method(x);
    req.path = m2m_coap_path(x);
    req.origin = m2m_coap_origin(x);
    req.body = m2m_coap_body(x, &req.body_len);
    req.session = service_maf_session(m2m_coap_ssl(x), &sess) == 0 ? &sess : NULL;
    m2m_maf_handle(m->maf, m->store, &req, &resp);
    log_msg(resp.http_status >= 400 ? LOG_WARN : LOG_INFO, "%s coaps %s %s: %s", m2m_coap_peer(x),
            req.method, req.path, resp.log);
    m2m_coap_reply(x, resp.http_status, resp.rsc, resp.body, false);
    m2m_maf_response_clear(&resp);
}

static int open_listener(struct maf_coap *m, struct event_base *base, int reuseport,
                         struct m2m_error *err)
{
    struct coap_listener_args la;

    if ((m->tlscfg = m2m_tls_config_new(err)) == NULL)
        return -1;
    /* TS-0003 10.2: the PSK suites only; the lookup may pause the handshake (ASYNC). */
    m2m_tls_config_set_psk_server_suite(m->tlscfg, coap_psk_lookup, m);
    memset(&la, 0, sizeof(la));
    la.role = "maf";
    la.listen = &m->conf->maf.coaps;
    la.tls = m->tlscfg;
    la.psk_suite_fn = coap_psk_lookup;
    la.psk_arg = m;
    la.handler = on_request;
    la.handler_arg = m;
    if (coap_listener_open(&m->l, base, m->conf, &la, reuseport, err) != 0)
        return -1;
    if (m->l.tls != NULL)
        SSL_CTX_set_mode(m2m_tls_ctx_ssl_ctx(m->l.tls), SSL_MODE_ASYNC);
    return 0;
}

struct maf_coap *maf_coap_new(const struct maf_coap_args *a, int reuseport, struct m2m_error *err)
{
    struct maf_coap *m = calloc(1, sizeof(*m));

    if (m == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "CoAPS listener");
        return NULL;
    }
    m->conf = a->conf;
    m->maf = a->maf;
    m->kf = a->kf;
    atomic_init(&m->lookups, 0);
    if (a->conf->maf.coaps.port == 0)
        return m; /* off */
    if ((m->kek = m2m_secret_from(m2m_secret_cdata(a->kek), m2m_secret_len(a->kek), err)) == NULL ||
        (m->store = m2m_store_open(a->conf->store, a->kek, err)) == NULL ||
        open_listener(m, a->base, reuseport, err) != 0) {
        maf_coap_free(m);
        return NULL;
    }
    return m;
}

void maf_coap_drain(struct maf_coap *m)
{
    if (m != NULL)
        coap_listener_drain(&m->l);
}

void maf_coap_describe(const struct maf_coap *m, char *buf, size_t bufsz)
{
    if (m != NULL)
        coap_listener_describe(&m->l, &m->conf->maf.coaps, buf, bufsz);
    else if (bufsz > 0)
        buf[0] = '\0';
}

/* Lookups still running use the key fetch, the KEK and the configuration: they end within
 * the fetch timeout, which is waited for before anything goes. */
void maf_coap_free(struct maf_coap *m)
{
    struct timespec tick = {0, 10 * 1000000L};
    int left;

    if (m == NULL)
        return;
    coap_listener_close(&m->l);
    for (left = m->conf->maf.fetch_timeout_ms + 2000; atomic_load(&m->lookups) > 0 && left > 0;
         left -= 10)
        nanosleep(&tick, NULL);
    m2m_tls_config_free(m->tlscfg);
    m2m_store_close(m->store);
    m2m_secret_free(m->kek);
    free(m);
}
