/* The writer: one thread with its own store connection that applies queued writes in
 * groups, one durable commit per group (SQLite WAL, synchronous=FULL), then tells each
 * submitter on its own event loop. A write that fails alone is not allowed to sink the
 * others of its group: on any failure the group is rolled back and replayed one write per
 * transaction.
 *
 * Commit delay: a durable commit costs the same for one write as for a hundred (one WAL
 * fdatasync). When the previous group held more than one write, requests are evidently
 * arriving concurrently, so the writer waits up to delay_us for more before committing
 * (as PostgreSQL's commit_delay with commit_siblings does). A lone write, the common case
 * under light load, is never delayed. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

#include <m2msec/net.h>

#include "core/safety.h"

#define WRITER_MAX_GROUP 256

struct write_job {
    struct write_job *next;
    struct event_base *base;
    m2m_write_apply_fn apply;
    m2m_write_done_fn done;
    void *arg;
    int rc;
    struct m2m_error err;
};

struct m2m_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct write_job *head, *tail;
    bool stopping;
    struct m2m_store *store;
    unsigned long commits, writes;
    size_t queued;
    size_t last_group;
    long delay_us;
};

static void job_done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct write_job *j = arg;

    (void)fd, (void)what;
    j->done(j->arg, j->rc, &j->err);
    free(j);
}

static void deliver(struct write_job *j)
{
    struct timeval zero = {0, 0};

    /* event_base_once is safe from another thread once libevent locking is on. */
    if (event_base_once(j->base, -1, EV_TIMEOUT, job_done_cb, j, &zero) != 0) {
        /* The loop is gone (shutdown): nobody is waiting for this answer. */
        free(j);
    }
}

/* Rollback failures are not reported: the submitter already gets the write's own error,
 * and SQLite discards an unfinished transaction when the connection next begins one. */
static void rollback(struct m2m_writer *w)
{
    struct m2m_error err;
    int ignored = m2m_store_rollback(w->store, &err);

    (void)ignored;
}

static int apply_group(struct m2m_writer *w, struct write_job **jobs, size_t n)
{
    struct m2m_error err;

    if (m2m_store_begin(w->store, &err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (jobs[i]->apply(jobs[i]->arg, w->store, &jobs[i]->err) != 0) {
            rollback(w);
            return -1;
        }
    if (m2m_store_commit(w->store, &err) != 0) {
        rollback(w);
        return -1;
    }
    return 0;
}

static void apply_one(struct m2m_writer *w, struct write_job *j)
{
    j->rc = -1;
    if (m2m_store_begin(w->store, &j->err) != 0)
        return;
    if (j->apply(j->arg, w->store, &j->err) != 0) {
        rollback(w);
        return;
    }
    if (m2m_store_commit(w->store, &j->err) != 0) {
        rollback(w);
        return;
    }
    j->rc = 0;
}

static void run_group(struct m2m_writer *w, struct write_job **jobs, size_t n)
{
    if (apply_group(w, jobs, n) == 0) {
        for (size_t i = 0; i < n; i++)
            jobs[i]->rc = 0;
        w->commits++;
    } else {
        for (size_t i = 0; i < n; i++) {
            m2m_error_clear(&jobs[i]->err);
            apply_one(w, jobs[i]);
            w->commits++;
        }
    }
    w->writes += n;
    for (size_t i = 0; i < n; i++)
        deliver(jobs[i]);
}

/* Called with the lock held and at least one write queued. */
static void commit_delay(struct m2m_writer *w)
{
    struct timespec until;

    if (w->delay_us <= 0 || w->last_group < 2)
        return;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += w->delay_us * 1000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    while (!w->stopping && w->queued < WRITER_MAX_GROUP)
        if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
            break;
}

static void *writer_main(void *arg)
{
    struct m2m_writer *w = arg;
    struct write_job *jobs[WRITER_MAX_GROUP];

    pthread_mutex_lock(&w->lock);
    for (;;) {
        size_t n = 0;

        while (w->head == NULL && !w->stopping)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->head == NULL && w->stopping)
            break;
        commit_delay(w);
        while (w->head != NULL && n < WRITER_MAX_GROUP) {
            jobs[n++] = w->head;
            w->head = w->head->next;
        }
        w->queued -= n;
        w->last_group = n;
        if (w->head == NULL)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        run_group(w, jobs, n);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct m2m_writer *m2m_writer_new(const char *store_url, const struct m2m_secret *kek,
                                  struct m2m_error *err)
{
    struct m2m_writer *w = calloc(1, sizeof(*w));
    pthread_condattr_t ca;

    if (w == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "writer");
        return NULL;
    }
    w->store = m2m_store_open(store_url, kek, err);
    if (w->store == NULL) {
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    /* The commit delay is measured on the monotonic clock, immune to clock changes. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        m2m_error_set_errno(err, M2M_E_INTERNAL, "writer thread");
        m2m_store_close(w->store);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        return NULL;
    }
    return w;
}

void m2m_writer_free(struct m2m_writer *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    m2m_store_close(w->store);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}

int m2m_writer_submit(struct m2m_writer *w, struct event_base *base, m2m_write_apply_fn apply,
                      m2m_write_done_fn done, void *arg, struct m2m_error *err)
{
    struct write_job *j;
    int rc = -1;

    M2M_ENSURE_ARG(w != NULL && base != NULL && apply != NULL && done != NULL);
    j = calloc(1, sizeof(*j));
    M2M_ENSURE(j != NULL, M2M_E_NOMEM, "write job");
    j->base = base;
    j->apply = apply;
    j->done = done;
    j->arg = arg;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        free(j);
        M2M_BAIL(M2M_E_INTERNAL, "writer is stopping");
    }
    if (w->tail != NULL)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    w->queued++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    rc = 0;
out:
    return rc;
}

void m2m_writer_set_commit_delay_us(struct m2m_writer *w, long us)
{
    if (w == NULL || us < 0)
        return;
    pthread_mutex_lock(&w->lock);
    w->delay_us = us;
    pthread_mutex_unlock(&w->lock);
}

void m2m_writer_stats(struct m2m_writer *w, unsigned long *commits, unsigned long *writes)
{
    pthread_mutex_lock(&w->lock);
    *commits = w->commits;
    *writes = w->writes;
    pthread_mutex_unlock(&w->lock);
}
