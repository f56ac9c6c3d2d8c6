/* enrol_load: a load generator for the MEF's enrolment (TS-0003 V3 8.3.2.1) or any HTTPS
 * server terminating mutual TLS 1.2. N threads, each enrolment on a new TLS session with a
 * device certificate drawn round robin from a pool. Reports the rate, latency percentiles,
 * errors, and -- given the server's PIDs -- the server's CPU time per enrolment and memory,
 * read from /proc: on a small machine the client competes with the server for the cores,
 * so the rate alone says little about the server.
 *
 * --idle N instead opens N connections, completes their handshakes and holds them, to
 * measure the server's memory per idle connection. */
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "enrol_load.h"

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_until(uint64_t t)
{
    uint64_t n;

    while ((n = now_us()) < t) {
        struct timespec ts = {(time_t)((t - n) / 1000000u), (long)((t - n) % 1000000u) * 1000};
        nanosleep(&ts, NULL);
    }
}

static int push_result(struct load_worker *w, uint64_t end, uint32_t lat, int ok)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4096;
        struct load_result *r = realloc(w->res, cap * sizeof(*r));
        if (r == NULL)
            return -1;
        w->res = r;
        w->cap = cap;
    }
    w->res[w->n++] = (struct load_result){end, lat, (uint8_t)ok};
    return 0;
}

static void note_error(struct load_worker *w, const char *msg)
{
    if (w->first_err[0] == '\0')
        snprintf(w->first_err, sizeof(w->first_err), "%s", msg);
}

static int one_enrolment(struct load_worker *w)
{
    struct load_run *run = w->run;
    size_t i = atomic_fetch_add(&run->next_cred, 1) % run->pool.n;
    char err[512] = "";
    uint64_t t0 = now_us();
    int status = -1;
    SSL *ssl = bench_open(run->ctx, &run->target, &run->pool.creds[i], err, sizeof(err));

    if (ssl != NULL) {
        status = bench_exchange(ssl, &run->target, err, sizeof(err));
        bench_close(ssl);
        if (status >= 0 && status != run->expect && err[0] == '\0')
            snprintf(err, sizeof(err), "status %d, expected %d", status, run->expect);
    }
    if (status != run->expect)
        note_error(w, err);
    return push_result(w, now_us(), (uint32_t)(now_us() - t0), status == run->expect);
}

static void *load_thread(void *arg)
{
    struct load_worker *w = arg;
    struct load_run *run = w->run;

    while (!atomic_load(&run->stop)) {
        if (run->count > 0 && atomic_fetch_add(&run->started, 1) >= run->count)
            break;
        if (one_enrolment(w) != 0)
            break;
    }
    return NULL;
}

static void *idle_thread(void *arg)
{
    struct load_worker *w = arg;
    struct load_run *run = w->run;
    char err[512];

    for (size_t k = 0; k < w->n_idle; k++) {
        size_t i = atomic_fetch_add(&run->next_cred, 1) % run->pool.n;
        w->idle[k] = bench_open(run->ctx, &run->target, &run->pool.creds[i], err, sizeof(err));
        if (w->idle[k] == NULL)
            note_error(w, err);
    }
    return NULL;
}

static int start_threads(struct load_run *run, void *(*fn)(void *))
{
    for (size_t t = 0; t < run->n_threads; t++)
        if (pthread_create(&run->workers[t].thread, NULL, fn, &run->workers[t]) != 0) {
            fprintf(stderr, "enrol_load: cannot start thread %zu\n", t);
            atomic_store(&run->stop, 1);
            run->n_threads = t;
            return -1;
        }
    return 0;
}

static void join_threads(struct load_run *run)
{
    for (size_t t = 0; t < run->n_threads; t++)
        pthread_join(run->workers[t].thread, NULL);
}

static int run_load(struct load_run *run)
{
    struct bench_proc before, after;
    uint64_t t0, t1, start = now_us();

    if (run->count > 0) {
        bench_proc_sample(run->pids, run->n_pids, &before);
        run->cli_cpu0_us = load_client_cpu_us();
        t0 = now_us();
        if (start_threads(run, load_thread) != 0)
            return -1;
        join_threads(run);
        t1 = now_us();
        run->cli_cpu1_us = load_client_cpu_us();
        bench_proc_sample(run->pids, run->n_pids, &after);
    } else {
        if (start_threads(run, load_thread) != 0)
            return -1;
        /* The window excludes the warm-up, so both ends run at full load. */
        t0 = start + run->warmup_us;
        sleep_until(t0);
        bench_proc_sample(run->pids, run->n_pids, &before);
        run->cli_cpu0_us = load_client_cpu_us();
        t0 = now_us();
        sleep_until(t0 + run->duration_us);
        bench_proc_sample(run->pids, run->n_pids, &after);
        run->cli_cpu1_us = load_client_cpu_us();
        t1 = now_us();
        atomic_store(&run->stop, 1);
        join_threads(run);
    }
    return load_report(run, t0, t1, &before, &after);
}

static int run_idle(struct load_run *run)
{
    struct bench_proc before, after;
    size_t per = run->idle / run->n_threads, opened = 0, alive = 0;
    uint64_t t0;

    for (size_t t = 0; t < run->n_threads; t++) {
        struct load_worker *w = &run->workers[t];
        w->n_idle = per + (t < run->idle % run->n_threads ? 1 : 0);
        if ((w->idle = calloc(w->n_idle ? w->n_idle : 1, sizeof(SSL *))) == NULL)
            return -1;
    }
    bench_proc_sample(run->pids, run->n_pids, &before);
    t0 = now_us();
    if (start_threads(run, idle_thread) != 0)
        return -1;
    join_threads(run);
    fprintf(stderr, "enrol_load: opened in %.1f s; settling\n", (double)(now_us() - t0) / 1e6);
    sleep_until(now_us() + 2000000u);
    for (size_t t = 0; t < run->n_threads; t++)
        for (size_t k = 0; k < run->workers[t].n_idle; k++)
            if (run->workers[t].idle[k] != NULL) {
                opened++;
                alive += (size_t)bench_alive(run->workers[t].idle[k]);
            }
    bench_proc_sample(run->pids, run->n_pids, &after);
    idle_report(run, opened, alive, &before, &after);
    sleep_until(now_us() + run->hold_us);
    for (size_t t = 0; t < run->n_threads; t++)
        for (size_t k = 0; k < run->workers[t].n_idle; k++)
            bench_close(run->workers[t].idle[k]);
    return alive == run->idle ? 0 : 1;
}

static int resolve(struct bench_target *t, const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(host, port, &hints, &ai);

    if (rc != 0) {
        fprintf(stderr, "enrol_load: %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
    t->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

int main(int argc, char **argv)
{
    struct load_opts o;
    struct load_run run;
    char err[512] = "";
    int rc = 2;

    signal(SIGPIPE, SIG_IGN);
    memset(&run, 0, sizeof(run));
    if (load_parse_opts(argc, argv, &o) != 0)
        return 2;
    if (load_prepare(&run, &o, err, sizeof(err)) != 0 ||
        resolve(&run.target, o.host, o.port) != 0) {
        if (err[0])
            fprintf(stderr, "enrol_load: %s\n", err);
        goto out;
    }
    rc = o.idle > 0 ? run_idle(&run) : run_load(&run);
out:
    load_cleanup(&run);
    return rc;
}
