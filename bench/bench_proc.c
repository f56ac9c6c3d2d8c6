/* The server's cost read from /proc: CPU time (utime + stime, every thread) and resident
 * memory of a set of processes and all their descendants (the daemon's forked workers,
 * nginx's master and workers). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* Fields 14 and 15 of /proc/PID/stat, counted after the ')' closing the command name,
 * which may itself hold spaces or parentheses. */
static int read_cpu_ticks(pid_t pid, uint64_t *ticks)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    size_t len;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    if ((p = strrchr(buf, ')')) == NULL)
        return -1;
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    *ticks = ut + st;
    return 0;
}

static void read_status(pid_t pid, uint64_t *rss_kb, uint64_t *hwm_kb)
{
    char path[64], line[256];
    unsigned long long v;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmRSS: %llu", &v) == 1)
            *rss_kb += v;
        else if (sscanf(line, "VmHWM: %llu", &v) == 1)
            *hwm_kb += v;
    }
    fclose(f);
}

static int seen(const pid_t *pids, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return 1;
    return 0;
}

/* Appends the children of every thread of pid (/proc/PID/task/TID/children). */
static void add_children(pid_t pid, pid_t *pids, size_t *n)
{
    char path[64];
    struct dirent *d;
    DIR *dir;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if ((dir = opendir(path)) == NULL)
        return;
    while ((d = readdir(dir)) != NULL) {
        char cpath[320];
        long child;
        FILE *f;
        if (d->d_name[0] == '.')
            continue;
        snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid, d->d_name);
        if ((f = fopen(cpath, "r")) == NULL)
            continue;
        while (*n < BENCH_MAX_PIDS && fscanf(f, "%ld", &child) == 1)
            if (!seen(pids, *n, (pid_t)child))
                pids[(*n)++] = (pid_t)child;
        fclose(f);
    }
    closedir(dir);
}

int bench_proc_sample(const pid_t *roots, size_t n, struct bench_proc *out)
{
    pid_t pids[BENCH_MAX_PIDS];
    size_t np = 0;
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t ticks = 0;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n && np < BENCH_MAX_PIDS; i++)
        if (!seen(pids, np, roots[i]))
            pids[np++] = roots[i];
    for (size_t i = 0; i < np; i++) /* np grows as descendants are found */
        add_children(pids[i], pids, &np);
    for (size_t i = 0; i < np; i++) {
        uint64_t t = 0;
        if (read_cpu_ticks(pids[i], &t) != 0)
            continue;
        ticks += t;
        read_status(pids[i], &out->rss_kb, &out->hwm_kb);
        out->n_pids++;
    }
    out->cpu_us = hz > 0 ? ticks * 1000000u / (uint64_t)hz : 0;
    return out->n_pids > 0 ? 0 : -1;
}
