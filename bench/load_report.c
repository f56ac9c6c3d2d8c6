/* enrol_load's reports: the window's rate, latency percentiles and errors, the server's
 * CPU time per successful enrolment, and the client's own CPU time for comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "enrol_load.h"

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double pct_ms(const uint32_t *v, size_t n, double p)
{
    size_t k;

    if (n == 0)
        return 0;
    k = (size_t)(p / 100.0 * (double)n + 0.999999);
    return (double)v[(k ? k : 1) - 1] / 1000.0;
}

uint64_t load_client_cpu_us(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static const char *first_error(const struct load_run *run)
{
    for (size_t t = 0; t < run->n_threads; t++)
        if (run->workers[t].first_err[0])
            return run->workers[t].first_err;
    return NULL;
}

int load_report(const struct load_run *run, uint64_t t0, uint64_t t1,
                const struct bench_proc *before, const struct bench_proc *after)
{
    size_t ok = 0, bad = 0, total = 0;
    uint32_t *lat;
    double secs = (double)(t1 - t0) / 1e6, rate, cpu = 0, util = 0;
    const char *e = first_error(run);

    for (size_t t = 0; t < run->n_threads; t++)
        total += run->workers[t].n;
    if ((lat = malloc((total ? total : 1) * sizeof(*lat))) == NULL)
        return -1;
    for (size_t t = 0; t < run->n_threads; t++)
        for (size_t i = 0; i < run->workers[t].n; i++) {
            const struct load_result *r = &run->workers[t].res[i];
            if (r->end_us < t0 || r->end_us > t1)
                continue;
            if (r->ok)
                lat[ok++] = r->lat_us;
            else
                bad++;
        }
    qsort(lat, ok, sizeof(*lat), cmp_u32);
    rate = secs > 0 ? (double)ok / secs : 0;
    if (run->n_pids > 0 && ok > 0) {
        cpu = (double)(after->cpu_us - before->cpu_us) / (double)ok;
        util = (double)(after->cpu_us - before->cpu_us) / ((double)(t1 - t0));
    }
    fprintf(stderr,
            "%s: %zu ok, %zu errors in %.2f s: %.1f enrolments/s, latency p50 %.2f ms "
            "p99 %.2f ms\n",
            run->label, ok, bad, secs, rate, pct_ms(lat, ok, 50), pct_ms(lat, ok, 99));
    if (run->n_pids > 0)
        fprintf(stderr,
                "%s: server (%zu processes) CPU %.0f us per enrolment, %.2f cores busy, "
                "RSS %llu KB, peak %llu KB\n",
                run->label, after->n_pids, cpu, util, (unsigned long long)after->rss_kb,
                (unsigned long long)after->hwm_kb);
    if (e != NULL)
        fprintf(stderr, "%s: first error: %s\n", run->label, e);
    printf("LOAD label=%s ok=%zu err=%zu secs=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f "
           "srv_cpu_us=%.0f srv_cores=%.2f srv_rss_kb=%llu srv_peak_kb=%llu cli_cpu_us=%.0f\n",
           run->label, ok, bad, secs, rate, pct_ms(lat, ok, 50), pct_ms(lat, ok, 99), cpu, util,
           (unsigned long long)after->rss_kb, (unsigned long long)after->hwm_kb,
           ok ? (double)(run->cli_cpu1_us - run->cli_cpu0_us) / (double)(ok + bad) : 0.0);
    fflush(stdout);
    free(lat);
    return bad == 0 && ok > 0 ? 0 : 1;
}

void idle_report(const struct load_run *run, size_t opened, size_t alive,
                 const struct bench_proc *before, const struct bench_proc *after)
{
    long long grown = (long long)after->rss_kb - (long long)before->rss_kb;
    double per = alive ? (double)grown / (double)alive : 0;
    const char *e = first_error(run);

    fprintf(stderr,
            "%s: %zu of %zu connections open and alive; server RSS %llu -> %llu KB "
            "(%.1f KB per connection)\n",
            run->label, alive, run->idle, (unsigned long long)before->rss_kb,
            (unsigned long long)after->rss_kb, per);
    if (e != NULL)
        fprintf(stderr, "%s: first error: %s\n", run->label, e);
    printf("IDLE label=%s conns=%zu opened=%zu alive=%zu rss_before_kb=%llu rss_after_kb=%llu "
           "kb_per_conn=%.1f\n",
           run->label, run->idle, opened, alive, (unsigned long long)before->rss_kb,
           (unsigned long long)after->rss_kb, per);
    fflush(stdout);
}
