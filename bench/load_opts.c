/* enrol_load's command line and set-up. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrol_load.h"

static const char USAGE[] =
    "usage: enrol_load --port N (--pool-dir DIR | --gen-pool N --ca-key F --ca-cert F) [opts]\n"
    "  --host H            server address (127.0.0.1)\n"
    "  --port N            server port\n"
    "  --server-name S     SNI and expected certificate name (mef.example.com)\n"
    "  --ca FILE           verify the server against these anchors (default: no check)\n"
    "  --pool-dir DIR      device credentials NAME.key.pem + NAME.cert.pem (leaf, then chain)\n"
    "  --gen-pool N        issue N device certificates in memory under --ca-key/--ca-cert,\n"
    "                      identities <--id-prefix><--id-first + i>\n"
    "  --id-prefix P       (0.2.481.1.100.3030.)   --id-first F (100000)\n"
    "  --threads N         concurrent clients (4)\n"
    "  --duration S        measure for S seconds after --warmup S (1) (default 10)\n"
    "  --count N           run exactly N enrolments instead of a duration\n"
    "  --path P --body B   request (POST /enrolment with a default enrolment request)\n"
    "  --expect CODE       the status that counts as success (201)\n"
    "  --pid PID           a server process; its descendants are included (repeatable)\n"
    "  --idle N            open N connections, hold them --hold S (5) seconds, report memory\n"
    "  --leaf-only         send only the device certificate, no chain\n"
    "  --label L           name on the LOAD / IDLE summary line\n"
    "  --timeout-ms N      socket timeout per operation (10000)\n";

enum {
    O_HOST = 1,
    O_PORT,
    O_SNI,
    O_CA,
    O_POOL,
    O_GEN,
    O_CAKEY,
    O_CACERT,
    O_PREFIX,
    O_FIRST,
    O_THREADS,
    O_DURATION,
    O_WARMUP,
    O_COUNT,
    O_PATH,
    O_BODY,
    O_EXPECT,
    O_PID,
    O_IDLE,
    O_HOLD,
    O_LABEL,
    O_TIMEOUT,
    O_LEAF
};

static const struct option longopts[] = {{"host", 1, 0, O_HOST},
                                         {"port", 1, 0, O_PORT},
                                         {"server-name", 1, 0, O_SNI},
                                         {"ca", 1, 0, O_CA},
                                         {"pool-dir", 1, 0, O_POOL},
                                         {"gen-pool", 1, 0, O_GEN},
                                         {"ca-key", 1, 0, O_CAKEY},
                                         {"ca-cert", 1, 0, O_CACERT},
                                         {"id-prefix", 1, 0, O_PREFIX},
                                         {"id-first", 1, 0, O_FIRST},
                                         {"threads", 1, 0, O_THREADS},
                                         {"duration", 1, 0, O_DURATION},
                                         {"warmup", 1, 0, O_WARMUP},
                                         {"count", 1, 0, O_COUNT},
                                         {"path", 1, 0, O_PATH},
                                         {"body", 1, 0, O_BODY},
                                         {"expect", 1, 0, O_EXPECT},
                                         {"pid", 1, 0, O_PID},
                                         {"idle", 1, 0, O_IDLE},
                                         {"hold", 1, 0, O_HOLD},
                                         {"label", 1, 0, O_LABEL},
                                         {"timeout-ms", 1, 0, O_TIMEOUT},
                                         {"help", 0, 0, 'h'},
                                         {"leaf-only", 0, 0, O_LEAF},
                                         {0, 0, 0, 0}};

static int num(const char *v, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(v, &end);

    if (end == v || *end != '\0' || d < lo || d > hi) {
        fprintf(stderr, "enrol_load: bad number '%s'\n%s", v, USAGE);
        return -1;
    }
    *out = d;
    return 0;
}

static int set_opt(struct load_opts *o, int c, const char *v)
{
    double d = 0;
    int r = 0;

    switch (c) {
    case O_HOST:
        o->host = v;
        break;
    case O_PORT:
        o->port = v;
        break;
    case O_SNI:
        o->server_name = v;
        break;
    case O_CA:
        o->ca_file = v;
        break;
    case O_POOL:
        o->pool_dir = v;
        break;
    case O_CAKEY:
        o->ca_key = v;
        break;
    case O_CACERT:
        o->ca_cert = v;
        break;
    case O_PREFIX:
        o->id_prefix = v;
        break;
    case O_PATH:
        o->path = v;
        break;
    case O_BODY:
        o->body = v;
        break;
    case O_LABEL:
        o->label = v;
        break;
    case O_LEAF:
        o->leaf_only = 1;
        break;
    case O_GEN:
        r = num(v, 1, 1e7, &d);
        o->gen_pool = (size_t)d;
        break;
    case O_FIRST:
        r = num(v, 0, 1e15, &d);
        o->id_first = (unsigned long)d;
        break;
    case O_THREADS:
        r = num(v, 1, 4096, &d);
        o->threads = (size_t)d;
        break;
    case O_COUNT:
        r = num(v, 1, 1e12, &d);
        o->count = (size_t)d;
        break;
    case O_IDLE:
        r = num(v, 1, 1e7, &d);
        o->idle = (size_t)d;
        break;
    case O_DURATION:
        r = num(v, 0.1, 86400, &o->duration_s);
        break;
    case O_WARMUP:
        r = num(v, 0, 3600, &o->warmup_s);
        break;
    case O_HOLD:
        r = num(v, 0, 86400, &o->hold_s);
        break;
    case O_EXPECT:
        r = num(v, 100, 599, &d);
        o->expect = (int)d;
        break;
    case O_TIMEOUT:
        r = num(v, 1, 3600000, &d);
        o->timeout_ms = (int)d;
        break;
    case O_PID:
        r = num(v, 1, 1e9, &d);
        if (r == 0 && o->n_pids < BENCH_MAX_PIDS)
            o->pids[o->n_pids++] = (pid_t)d;
        break;
    default:
        fputs(USAGE, c == 'h' ? stdout : stderr);
        return -1;
    }
    return r;
}

int load_parse_opts(int argc, char **argv, struct load_opts *o)
{
    int c;

    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->server_name = "mef.example.com";
    o->id_prefix = "0.2.481.1.100.3030.";
    o->id_first = 100000;
    o->threads = 4;
    o->duration_s = 10;
    o->warmup_s = 1;
    o->hold_s = 5;
    o->path = "/enrolment";
    o->body = "{\"certEnrolment\":false,\"mafEnrolment\":true,\"remoteManagement\":false}";
    o->label = "load";
    o->expect = 201;
    o->timeout_ms = 10000;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
        if (set_opt(o, c, optarg) != 0)
            return -1;
    if (optind != argc || o->port == NULL ||
        (o->pool_dir == NULL && (o->gen_pool == 0 || !o->ca_key || !o->ca_cert))) {
        fputs(USAGE, stderr);
        return -1;
    }
    return 0;
}

static char *build_request(const struct load_opts *o, size_t *len)
{
    static const char fmt[] = "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                              "X-M2M-Origin: enrolee\r\nX-M2M-RI: 1\r\nContent-Length: %zu\r\n"
                              "Connection: close\r\n\r\n%s";
    size_t blen = strlen(o->body);
    int n = snprintf(NULL, 0, fmt, o->path, o->server_name, blen, o->body);
    char *r = n > 0 ? malloc((size_t)n + 1) : NULL;

    if (r != NULL)
        snprintf(r, (size_t)n + 1, fmt, o->path, o->server_name, blen, o->body);
    *len = n > 0 ? (size_t)n : 0;
    return r;
}

int load_prepare(struct load_run *run, const struct load_opts *o, char *errbuf, size_t errlen)
{
    int r = o->pool_dir ? bench_pool_load_dir(&run->pool, o->pool_dir, errbuf, errlen)
                        : bench_pool_generate(&run->pool, o->gen_pool, o->ca_key, o->ca_cert,
                                              o->id_prefix, o->id_first, errbuf, errlen);

    if (r != 0 || (run->ctx = bench_client_ctx(o->ca_file, errbuf, errlen)) == NULL)
        return -1;
    if ((run->request = build_request(o, &run->target.request_len)) == NULL ||
        (run->workers = calloc(o->threads, sizeof(*run->workers))) == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    /* Devices that send only their leaf spare the server parsing one certificate; the
     * server then needs the issuing CA among its anchors (DESIGN.md section 6). */
    for (size_t i = 0; o->leaf_only && i < run->pool.n; i++)
        while (sk_X509_num(run->pool.creds[i].chain) > 0)
            X509_free(sk_X509_pop(run->pool.creds[i].chain));
    run->target.request = run->request;
    run->target.server_name = o->server_name;
    run->target.timeout_ms = o->timeout_ms;
    run->label = o->label;
    run->expect = o->expect;
    run->n_threads = o->threads;
    run->count = o->count;
    run->idle = o->idle;
    run->duration_us = (uint64_t)(o->duration_s * 1e6);
    run->warmup_us = (uint64_t)(o->warmup_s * 1e6);
    run->hold_us = (uint64_t)(o->hold_s * 1e6);
    memcpy(run->pids, o->pids, sizeof(run->pids));
    run->n_pids = o->n_pids;
    for (size_t t = 0; t < o->threads; t++)
        run->workers[t].run = run;
    fprintf(stderr, "enrol_load: %zu device credentials, %zu threads\n", run->pool.n, o->threads);
    return 0;
}

void load_cleanup(struct load_run *run)
{
    for (size_t t = 0; run->workers != NULL && t < run->n_threads; t++) {
        free(run->workers[t].res);
        free(run->workers[t].idle);
    }
    free(run->workers);
    free(run->request);
    SSL_CTX_free(run->ctx);
    bench_pool_free(&run->pool);
}
