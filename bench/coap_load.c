/* coap_load: the MEF's enrolment over CoAP with DTLS 1.2, as a load. N threads; each
 * enrolment is a new DTLS session (cookie exchange, full handshake with a device
 * certificate drawn round robin from a pool issued in memory), POST /enrolment with the
 * library's CoAPS client, the whole 2.01 answer, close. Prints one line
 *   LOAD label=L ok=N err=N rate=R srv_cpu_us=C per_cpu_s=E p50_ms=A p99_ms=B
 * where srv_cpu_us is the server's CPU time (all processes and threads under --pid) per
 * enrolment answered, and per_cpu_s = 1e6 / srv_cpu_us: enrolments per CPU-second of the
 * daemon. Benchmark code only; uses the public API. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <m2msec/coap.h>
#include <m2msec/pki.h>
#include <m2msec/tls.h>

#include "bench.h"

struct opts {
    const char *port, *server_name, *ca, *ca_key, *ca_cert, *label;
    size_t pool, threads;
    double duration_s, warmup_s;
    pid_t pid;
};

struct run {
    struct opts o;
    char url[64];
    struct m2m_tls_config **cfgs; /* one per pool credential */
    size_t n_cfgs;
    atomic_size_t next;
    atomic_ulong ok, err;
    uint64_t start_us, end_us;
    pthread_mutex_t mu;
    uint32_t *lat;
    size_t n_lat, cap_lat;
    char first_err[256];
};

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void record(struct run *r, uint64_t t0, uint64_t t1, int ok, const char *why)
{
    if (t1 < r->start_us || t1 > r->end_us)
        return; /* warm-up, or past the window */
    pthread_mutex_lock(&r->mu);
    if (ok && r->n_lat == r->cap_lat) {
        size_t cap = r->cap_lat ? r->cap_lat * 2 : 4096;
        uint32_t *g = realloc(r->lat, cap * sizeof(*g));
        if (g != NULL)
            r->lat = g, r->cap_lat = cap;
    }
    if (ok && r->n_lat < r->cap_lat)
        r->lat[r->n_lat++] = (uint32_t)(t1 - t0);
    if (!ok && r->first_err[0] == '\0')
        snprintf(r->first_err, sizeof(r->first_err), "%s", why);
    pthread_mutex_unlock(&r->mu);
    atomic_fetch_add(ok ? &r->ok : &r->err, 1);
}

static void one_enrolment(struct run *r)
{
    size_t i = atomic_fetch_add(&r->next, 1) % r->n_cfgs;
    struct m2m_error err;
    uint64_t t0 = now_us();
    struct m2m_coap_client *c = m2m_coap_client_new(r->cfgs[i], r->url, r->o.server_name, &err);
    int status = 0, rsc = 0, ok = 0;

    if (c != NULL && m2m_coap_client_request(c, "POST", "/enrolment", NULL,
                                             "{\"certEnrolment\":false,\"mafEnrolment\":true,"
                                             "\"remoteManagement\":false}",
                                             &status, &rsc, NULL, &err) == 0) {
        ok = status == 201;
        if (!ok)
            snprintf(err.msg, sizeof(err.msg), "status %d, RSC %d", status, rsc);
    }
    m2m_coap_client_free(c);
    record(r, t0, now_us(), ok, err.msg);
}

static void *worker(void *arg)
{
    struct run *r = arg;

    while (now_us() < r->end_us)
        one_enrolment(r);
    return NULL;
}

/* One client configuration per device: its credential, the root, the MEF's FQDN. */
static int build_configs(struct run *r, const struct bench_pool *p)
{
    struct m2m_error err;
    struct m2m_trust *trust = m2m_trust_new(&err);

    if (trust == NULL || m2m_trust_add_anchors(trust, r->o.ca, &err) != 0 ||
        (r->cfgs = calloc(p->n, sizeof(*r->cfgs))) == NULL)
        return fprintf(stderr, "coap_load: %s\n", err.msg), -1;
    for (size_t i = 0; i < p->n; i++) {
        struct m2m_credential *cred;
        cred = m2m_credential_new(p->creds[i].key, p->creds[i].cert, p->creds[i].chain, &err);
        if (cred == NULL || (r->cfgs[i] = m2m_tls_config_new(&err)) == NULL)
            return fprintf(stderr, "coap_load: %s\n", err.msg), -1;
        m2m_tls_config_set_credential(r->cfgs[i], cred);
        m2m_tls_config_set_trust(r->cfgs[i], trust);
        m2m_credential_free(cred);
        r->n_cfgs++;
    }
    m2m_trust_free(trust);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"port", required_argument, NULL, 'p'},
        {"server-name", required_argument, NULL, 'n'},
        {"ca", required_argument, NULL, 'a'},
        {"ca-key", required_argument, NULL, 'k'},
        {"ca-cert", required_argument, NULL, 'c'},
        {"gen-pool", required_argument, NULL, 'g'},
        {"threads", required_argument, NULL, 't'},
        {"duration", required_argument, NULL, 'd'},
        {"pid", required_argument, NULL, 'P'},
        {"label", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    *o = (struct opts){.server_name = "mef.example.com",
                       .label = "coaps",
                       .pool = 200,
                       .threads = 8,
                       .duration_s = 10,
                       .warmup_s = 1};
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'p':
            o->port = optarg;
            break;
        case 'n':
            o->server_name = optarg;
            break;
        case 'a':
            o->ca = optarg;
            break;
        case 'k':
            o->ca_key = optarg;
            break;
        case 'c':
            o->ca_cert = optarg;
            break;
        case 'g':
            o->pool = strtoul(optarg, NULL, 10);
            break;
        case 't':
            o->threads = strtoul(optarg, NULL, 10);
            break;
        case 'd':
            o->duration_s = strtod(optarg, NULL);
            break;
        case 'P':
            o->pid = (pid_t)strtol(optarg, NULL, 10);
            break;
        case 'l':
            o->label = optarg;
            break;
        default:
            return -1;
        }
    }
    if (!o->port || !o->ca || !o->ca_key || !o->ca_cert || o->pool == 0 || o->threads == 0 ||
        o->threads > 256 || o->pid <= 0) {
        fprintf(stderr, "usage: coap_load --port P --ca ROOT --ca-key K --ca-cert C --pid PID "
                        "[--gen-pool N] [--threads T] [--duration S] [--server-name N] "
                        "[--label L]\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct run r;
    struct bench_pool pool = {0};
    struct bench_proc p0, p1;
    pthread_t th[256];
    char errbuf[256];
    double secs, cpu_us = 0;
    unsigned long ok;

    memset(&r, 0, sizeof(r));
    if (parse(argc, argv, &r.o) != 0)
        return 2;
    snprintf(r.url, sizeof(r.url), "coaps://127.0.0.1:%s", r.o.port);
    pthread_mutex_init(&r.mu, NULL);
    if (bench_pool_generate(&pool, r.o.pool, r.o.ca_key, r.o.ca_cert, "0.2.481.1.100.3030.", 500000,
                            errbuf, sizeof(errbuf)) != 0)
        return fprintf(stderr, "coap_load: %s\n", errbuf), 1;
    if (build_configs(&r, &pool) != 0)
        return 1;
    r.start_us = now_us() + (uint64_t)(r.o.warmup_s * 1e6);
    r.end_us = r.start_us + (uint64_t)(r.o.duration_s * 1e6);
    for (size_t i = 0; i < r.o.threads; i++)
        pthread_create(&th[i], NULL, worker, &r);
    while (now_us() < r.start_us)
        usleep(1000);
    bench_proc_sample(&r.o.pid, 1, &p0);
    while (now_us() < r.end_us)
        usleep(1000);
    bench_proc_sample(&r.o.pid, 1, &p1);
    for (size_t i = 0; i < r.o.threads; i++)
        pthread_join(th[i], NULL);
    ok = atomic_load(&r.ok);
    secs = (double)(r.end_us - r.start_us) / 1e6;
    if (ok > 0)
        cpu_us = (double)(p1.cpu_us - p0.cpu_us) / (double)ok;
    qsort(r.lat, r.n_lat, sizeof(*r.lat), cmp_u32);
    printf("LOAD label=%s ok=%lu err=%lu rate=%.1f srv_cpu_us=%.0f per_cpu_s=%.0f p50_ms=%.2f "
           "p99_ms=%.2f\n",
           r.o.label, ok, atomic_load(&r.err), (double)ok / secs, cpu_us,
           cpu_us > 0 ? 1e6 / cpu_us : 0.0, r.n_lat ? r.lat[r.n_lat / 2] / 1000.0 : 0.0,
           r.n_lat ? r.lat[r.n_lat * 99 / 100] / 1000.0 : 0.0);
    if (r.first_err[0])
        fprintf(stderr, "coap_load: first error: %s\n", r.first_err);
    return ok > 0 ? 0 : 1;
}
