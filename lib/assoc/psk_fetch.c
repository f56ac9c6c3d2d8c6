/* Entity B's fetch-on-unknown-KeID (TS-0003 V3 8.3.1.2 steps 2-4 for an Enrolee B, SUID 22:
 * the MEF derives Kpsa with Enrolee-B-ID = this CSE's id; DESIGN.md section 3).
 *
 * The lookup itself is the key fetch a MAF uses (lib/role/keyfetch.c: cache, single flight,
 * mutual-TLS fetch); this file only runs it without freezing the listener. TLS 1.2's PSK
 * server callback is synchronous, so the listener sets SSL_MODE_ASYNC and the callback runs
 * inside an ASYNC_JOB (DESIGN.md section 6): it hands the lookup to a worker thread, puts
 * the read end of a socket pair in the job's ASYNC_WAIT_CTX and pauses the job. SSL_accept
 * returns SSL_ERROR_WANT_ASYNC; the listener (handshake.c) waits for that fd on its event
 * loop next to every other handshake, and resumes the job when the worker has written to
 * it. A worker has its own store connection (a store is one thread's at a time).
 *
 * Lifetimes: the task is shared by the paused job and the worker and freed by the last of
 * them. If the handshake is abandoned while the worker runs (timeout, listener freed), the
 * SSL's wait context calls wait_fd_cleanup, which drops the job's share; the worker's write
 * then fails quietly (MSG_NOSIGNAL). The config counts running workers and waits for them
 * when it is freed, since they use its key fetch. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/async.h>

#include <m2msec/keyfetch.h>
#include <m2msec/store.h>

#include "assoc/assoc_internal.h"
#include "core/safety.h"

#define FETCH_WORKERS_MAX 64 /* lookups in progress at once; more are refused, not queued */

struct assoc_fetch {
    struct m2m_keyfetch *kf;
    char *store_url;
    struct m2m_secret *kek;
    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when a worker ends */
    int workers;
};

struct fetch_task {
    struct assoc_fetch *f;
    char identity[M2M_KEYID_TEXT_MAX + 1];
    uint16_t suite; /* of the handshake: a B-TID's key depends on it */
    int fds[2];     /* [0] in the job's wait context, [1] the worker's */
    atomic_int refs;
    atomic_int done;
    int rc;
    struct m2m_secret *key;
    struct m2m_keyfetch_info info;
    struct m2m_error err;
};

/* Its address tags the fd in the job's wait context. */
static const char wait_key = 0;

static void task_release(struct fetch_task *t)
{
    if (atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    if (t->fds[0] >= 0)
        close(t->fds[0]);
    if (t->fds[1] >= 0)
        close(t->fds[1]);
    m2m_secret_free(t->key);
    free(t);
}

/* The lookup proper, on whichever thread runs the task. */
static void task_run(struct fetch_task *t)
{
    struct m2m_store *store = m2m_store_open(t->f->store_url, t->f->kek, &t->err);

    t->rc = -1;
    if (store == NULL)
        m2m_error_set(&t->err, M2M_E_TLS_PSK_UNKNOWN, "key cache unavailable: %s", t->err.msg);
    else
        t->rc = m2m_keyfetch_lookup_suite(t->f->kf, store, t->identity, t->suite, &t->key, &t->info,
                                          &t->err);
    m2m_store_close(store);
}

static void *worker_main(void *arg)
{
    struct fetch_task *t = arg;
    struct assoc_fetch *f = t->f;
    char b = 1;

    task_run(t);
    atomic_store(&t->done, 1);
    (void)!send(t->fds[1], &b, 1, MSG_NOSIGNAL);
    task_release(t);
    /* The last touch of the config: after this it may be freed. */
    pthread_mutex_lock(&f->mu);
    f->workers--;
    pthread_cond_broadcast(&f->idle);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void wait_fd_cleanup(ASYNC_WAIT_CTX *ctx, const void *key, OSSL_ASYNC_FD fd, void *arg)
{
    (void)ctx, (void)key, (void)fd;
    task_release(arg);
}

static int start_worker(struct fetch_task *t, struct m2m_error *err)
{
    struct assoc_fetch *f = t->f;
    pthread_attr_t attr;
    pthread_t th;
    int rc = -1;

    pthread_mutex_lock(&f->mu);
    if (f->workers >= FETCH_WORKERS_MAX) {
        pthread_mutex_unlock(&f->mu);
        return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "too many key lookups in progress (%d)",
                             FETCH_WORKERS_MAX);
    }
    f->workers++;
    atomic_fetch_add(&t->refs, 1); /* the worker's share */
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, worker_main, t) == 0) {
        rc = 0;
    } else {
        f->workers--;
        atomic_fetch_sub(&t->refs, 1);
        m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "cannot start a key lookup thread");
    }
    pthread_attr_destroy(&attr);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* DESIGN.md 6: the lookup on a worker while this handshake's job is paused. */
static int run_paused(ASYNC_JOB *job, struct fetch_task *t, struct m2m_error *err)
{
    ASYNC_WAIT_CTX *wctx = ASYNC_get_wait_ctx(job);

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, t->fds) != 0) {
        t->fds[0] = t->fds[1] = -1;
        return m2m_error_set_errno(err, M2M_E_IO, "socketpair");
    }
    /* The wait context holds a share until it is freed or the fd is cleared below. */
    atomic_fetch_add(&t->refs, 1);
    if (wctx == NULL ||
        ASYNC_WAIT_CTX_set_wait_fd(wctx, &wait_key, t->fds[0], t, wait_fd_cleanup) != 1) {
        atomic_fetch_sub(&t->refs, 1);
        return m2m_error_set(err, M2M_E_INTERNAL, "async wait context");
    }
    if (start_worker(t, err) != 0) {
        (void)ASYNC_WAIT_CTX_clear_fd(wctx, &wait_key);
        atomic_fetch_sub(&t->refs, 1);
        return -1;
    }
    /* Resumed when the fd fires, or early (a DTLS timer): pause again until done. */
    while (!atomic_load(&t->done))
        if (ASYNC_pause_job() != 1)
            break;
    (void)ASYNC_WAIT_CTX_clear_fd(wctx, &wait_key);
    atomic_fetch_sub(&t->refs, 1); /* the wait context's share; the caller still holds one */
    if (!atomic_load(&t->done))
        return m2m_error_set(err, M2M_E_INTERNAL, "cannot pause the handshake");
    return 0;
}

int assoc_fetch_psk(struct assoc_hs_auth *auth, const char *identity, uint16_t suite,
                    struct m2m_secret **key, struct m2m_error *err)
{
    struct assoc_fetch *f = auth->cfg->fetch;
    struct fetch_task *t = NULL;
    ASYNC_JOB *job = ASYNC_get_current_job();
    int rc = -1;

    *key = NULL;
    M2M_ENSURE(f != NULL, M2M_E_TLS_PSK_UNKNOWN, "'%s' is no allowed peer's PSK identity",
               identity);
    M2M_ENSURE(strlen(identity) <= M2M_KEYID_TEXT_MAX, M2M_E_TLS_PSK_UNKNOWN,
               "PSK identity too long");
    t = calloc(1, sizeof(*t));
    M2M_ENSURE(t != NULL, M2M_E_NOMEM, "key lookup");
    t->f = f;
    t->fds[0] = t->fds[1] = -1;
    atomic_init(&t->refs, 1);
    snprintf(t->identity, sizeof(t->identity), "%s", identity);
    t->suite = suite;
    if (job != NULL) {
        M2M_GUARD(run_paused(job, t, err));
    } else {
        /* Outside a job (SSL_MODE_ASYNC off) the lookup blocks this thread, bounded by the
         * key fetch's timeout. */
        task_run(t);
    }
    if (t->rc != 0) {
        *err = t->err;
        goto out;
    }
    /* TS-0003 V3 8.2.2.2: B binds the association to the Enrolee-ID the key belongs to. */
    M2M_GUARD(assoc_canonical_id(auth->cfg, t->info.enrolee_id, auth->fetched_id,
                                 sizeof(auth->fetched_id), err));
    snprintf(auth->fetched_identity, sizeof(auth->fetched_identity), "%s", identity);
    memset(&auth->fetched, 0, sizeof(auth->fetched));
    auth->fetched.id = auth->fetched_id;
    auth->fetched.flavour = M2M_FLAVOUR_NONE;
    auth->fetched.psk_identity = auth->fetched_identity;
    *key = t->key;
    t->key = NULL;
    rc = 0;
out:
    if (t != NULL)
        task_release(t);
    return rc;
}

void assoc_fetch_free(struct assoc_fetch *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->mu);
    while (f->workers > 0)
        pthread_cond_wait(&f->idle, &f->mu);
    pthread_mutex_unlock(&f->mu);
    pthread_cond_destroy(&f->idle);
    pthread_mutex_destroy(&f->mu);
    m2m_keyfetch_free(f->kf);
    m2m_secret_free(f->kek);
    free(f->store_url);
    free(f);
}

int m2m_assoc_config_set_keyfetch(struct m2m_assoc_config *cfg, struct m2m_keyfetch *kf,
                                  const char *store_url, const struct m2m_secret *kek,
                                  struct m2m_error *err)
{
    struct assoc_fetch *f = NULL;
    int rc = -1;

    M2M_ENSURE_ARG(cfg != NULL && kf != NULL && store_url != NULL && kek != NULL);
    M2M_ENSURE(cfg->fetch == NULL, M2M_E_INVALID_ARG, "a key fetch is already configured");
    f = calloc(1, sizeof(*f));
    M2M_ENSURE(f != NULL, M2M_E_NOMEM, "key fetch");
    f->store_url = strdup(store_url);
    M2M_ENSURE(f->store_url != NULL, M2M_E_NOMEM, "store URL");
    M2M_GUARD_PTR(f->kek = m2m_secret_from(m2m_secret_cdata(kek), m2m_secret_len(kek), err));
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->idle, NULL);
    f->kf = kf;
    cfg->fetch = f;
    f = NULL;
    rc = 0;
out:
    if (f != NULL) {
        m2m_secret_free(f->kek);
        free(f->store_url);
        free(f);
    }
    return rc;
}
