/* enrol_load's run state, options and reports. */
#ifndef M2M_BENCH_ENROL_LOAD_H
#define M2M_BENCH_ENROL_LOAD_H

#include <pthread.h>
#include <stdatomic.h>

#include "bench.h"

struct load_result {
    uint64_t end_us; /* monotonic time the enrolment finished */
    uint32_t lat_us;
    uint8_t ok;
};

struct load_run;

struct load_worker {
    pthread_t thread;
    struct load_run *run;
    struct load_result *res;
    size_t n, cap;
    SSL **idle; /* --idle: the connections this thread holds */
    size_t n_idle;
    char first_err[512];
};

struct load_opts {
    const char *host, *port, *server_name, *ca_file;
    const char *pool_dir, *ca_key, *ca_cert, *id_prefix;
    unsigned long id_first;
    size_t gen_pool, threads, count, idle;
    double duration_s, warmup_s, hold_s;
    const char *path, *body, *label;
    int expect, timeout_ms, leaf_only;
    pid_t pids[BENCH_MAX_PIDS];
    size_t n_pids;
};

struct load_run {
    SSL_CTX *ctx;
    struct bench_pool pool;
    struct bench_target target;
    char *request;
    const char *label;
    int expect;
    size_t n_threads, count, idle;
    uint64_t duration_us, warmup_us, hold_us;
    uint64_t cli_cpu0_us, cli_cpu1_us; /* this process's CPU time at the window's ends */
    pid_t pids[BENCH_MAX_PIDS];
    size_t n_pids;
    struct load_worker *workers;
    atomic_size_t next_cred, started;
    atomic_int stop;
};

int load_parse_opts(int argc, char **argv, struct load_opts *o);
/* Builds the pool, the client context, the request and the workers. */
int load_prepare(struct load_run *run, const struct load_opts *o, char *errbuf, size_t errlen);
void load_cleanup(struct load_run *run);
/* CPU time this process has used (all threads). */
uint64_t load_client_cpu_us(void);

/* Prints the human report on stderr and one "LOAD key=value ..." line on stdout. Returns 0
 * when no enrolment failed. */
int load_report(const struct load_run *run, uint64_t t0, uint64_t t1,
                const struct bench_proc *before, const struct bench_proc *after);
void idle_report(const struct load_run *run, size_t opened, size_t alive,
                 const struct bench_proc *before, const struct bench_proc *after);

#endif
