/* m2msecd: the m2msec daemon. One or more roles per process, INI configuration, logs on
 * stderr, SIGTERM drains and exits, SIGHUP reloads trust anchors and CRLs. With workers > 1
 * the parent forks that many workers sharing the listening port (SO_REUSEPORT), restarts a
 * worker that dies, and relays signals. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <m2msec/crypto.h>
#include <m2msec/net.h>
#include <m2msec/tls.h>

#include "config.h"
#include "log.h"
#include "service.h"

#define DRAIN_MAX_MS 10000

#define MAX_SERVICES 8

struct running {
    const struct service_ops *ops;
    void *svc;
};

struct worker {
    struct event_base *base;
    struct running run[MAX_SERVICES];
    size_t n_run;
    const struct daemon_conf *conf;
    struct event *sigterm, *sigint, *sighup, *drain_tick;
    int drain_left_ms;
};

static const char USAGE[] =
    "usage: m2msecd -c FILE [--log-format text|json] [--check]\n"
    "  -c, --config FILE   INI configuration (see conf/m2msecd.conf)\n"
    "  --log-format F      text (default) or json lines on stderr\n"
    "  --check             validate the configuration, the files it names and that its ports\n"
    "                      are free, then exit\n";

static int open_connections(const struct worker *w)
{
    int n = 0;

    for (size_t i = 0; i < w->n_run; i++)
        n += w->run[i].ops->connections(w->run[i].svc);
    return n;
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct timeval tv = {0, 100000};

    (void)fd, (void)what;
    w->drain_left_ms -= 100;
    if (open_connections(w) == 0 || w->drain_left_ms <= 0) {
        event_base_loopexit(w->base, NULL);
        return;
    }
    evtimer_add(w->drain_tick, &tv);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
    struct worker *w = arg;
    struct timeval tv = {0, 0};

    (void)what;
    if (w->drain_tick != NULL && evtimer_pending(w->drain_tick, NULL))
        return;
    for (size_t i = 0; i < w->n_run; i++)
        w->run[i].ops->drain(w->run[i].svc);
    log_msg(LOG_INFO, "signal %d: draining %d connections", (int)sig, open_connections(w));
    w->drain_left_ms = DRAIN_MAX_MS;
    w->drain_tick = evtimer_new(w->base, on_drain_tick, w);
    evtimer_add(w->drain_tick, &tv);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    struct worker *w = arg;
    char errbuf[512];

    (void)sig, (void)what;
    for (size_t i = 0; i < w->n_run; i++) {
        if (w->run[i].ops->reload(w->run[i].svc, errbuf, sizeof(errbuf)) != 0)
            log_msg(LOG_ERROR, "%s", errbuf);
        else
            log_msg(LOG_INFO, "%s: reloaded", w->run[i].ops->name);
    }
}

/* Optional: run as an unprivileged user once keys, files and sockets are open. */
static int drop_privileges(const char *user)
{
    struct passwd *pw;

    if (user[0] == '\0' || getuid() != 0)
        return 0;
    pw = getpwnam(user);
    if (pw == NULL || setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        log_msg(LOG_ERROR, "cannot switch to user '%s'", user);
        return -1;
    }
    return 0;
}

static void stop_services(struct worker *w)
{
    while (w->n_run > 0) {
        struct running *r = &w->run[--w->n_run];
        r->ops->destroy(r->svc);
    }
}

/* Every role the configuration enables, on this worker's loop. */
static int start_services(struct worker *w, const struct m2m_secret *kek, int reuseport,
                          char *errbuf, size_t errsz)
{
    for (size_t i = 0; m2msecd_services[i] != NULL; i++) {
        const struct service_ops *ops = m2msecd_services[i];
        void *svc;

        if (!ops->enabled(w->conf) || w->n_run == MAX_SERVICES)
            continue;
        svc = ops->create(w->base, w->conf, kek, reuseport, errbuf, errsz);
        if (svc == NULL) {
            stop_services(w);
            return -1;
        }
        w->run[w->n_run++] = (struct running){ops, svc};
    }
    return 0;
}

static int run_worker(const struct daemon_conf *conf, const struct m2m_secret *kek, int reuseport)
{
    struct worker w;
    char errbuf[512];
    int rc = 1;

    memset(&w, 0, sizeof(w));
    w.conf = conf;
    w.base = event_base_new();
    if (w.base == NULL) {
        log_msg(LOG_ERROR, "event base");
        return 1;
    }
    if (start_services(&w, kek, reuseport, errbuf, sizeof(errbuf)) != 0) {
        log_msg(LOG_ERROR, "%s", errbuf);
        goto out;
    }
    if (drop_privileges(conf->user) != 0)
        goto out;
    w.sigterm = evsignal_new(w.base, SIGTERM, on_term, &w);
    w.sigint = evsignal_new(w.base, SIGINT, on_term, &w);
    w.sighup = evsignal_new(w.base, SIGHUP, on_hup, &w);
    evsignal_add(w.sigterm, NULL);
    evsignal_add(w.sigint, NULL);
    evsignal_add(w.sighup, NULL);
    for (size_t i = 0; i < w.n_run; i++) {
        w.run[i].ops->describe(w.run[i].svc, errbuf, sizeof(errbuf));
        log_msg(LOG_INFO, "%s", errbuf);
    }
    event_base_dispatch(w.base);
    log_msg(LOG_INFO, "stopped");
    rc = 0;
out:
    stop_services(&w);
    if (w.sigterm)
        event_free(w.sigterm);
    if (w.sigint)
        event_free(w.sigint);
    if (w.sighup)
        event_free(w.sighup);
    if (w.drain_tick)
        event_free(w.drain_tick);
    event_base_free(w.base);
    return rc;
}

/* ---- the parent of several workers ---- */

/* The parent keeps SIGTERM, SIGINT, SIGHUP and SIGCHLD blocked and takes them one at a time
 * with sigwaitinfo, so a signal that arrives while it is busy (forking a replacement, say)
 * waits for it instead of being lost between two system calls. */
static void parent_signals(sigset_t *set, sigset_t *old)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGCHLD);
    sigprocmask(SIG_BLOCK, set, old);
}

static pid_t spawn(const struct daemon_conf *conf, const struct m2m_secret *kek,
                   const sigset_t *worker_mask)
{
    pid_t pid = fork();

    if (pid == 0) {
        /* The worker takes its signals through its event loop. */
        sigprocmask(SIG_SETMASK, worker_mask, NULL);
        _exit(run_worker(conf, kek, 1));
    }
    return pid;
}

static int slot_of(const pid_t *pids, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (pids[i] == pid)
            return i;
    return -1;
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The earliest pending restart, as a timeout from now; -1 when none is pending. */
static long next_restart(const long *restart_at, int n)
{
    long next = -1, now = now_ms();

    for (int i = 0; i < n; i++)
        if (restart_at[i] > 0 && (next < 0 || restart_at[i] - now < next))
            next = restart_at[i] - now < 0 ? 0 : restart_at[i] - now;
    return next;
}

/* One signal, or none (-1) once timeout_ms (>= 0) has passed. */
static int wait_signal(const sigset_t *set, long timeout_ms)
{
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};

    return timeout_ms < 0 ? sigwaitinfo(set, NULL) : sigtimedwait(set, NULL, &ts);
}

static int supervise(const struct daemon_conf *conf, const struct m2m_secret *kek)
{
    pid_t pids[64];
    long restart_at[64] = {0}; /* a crashed worker's slot: when to start its replacement */
    int n = conf->workers, alive = 0;
    bool stopping = false;
    sigset_t set, old;

    parent_signals(&set, &old);
    for (int i = 0; i < n; i++)
        if ((pids[i] = spawn(conf, kek, &old)) > 0)
            alive++;
    while (alive > 0 || (!stopping && next_restart(restart_at, n) >= 0)) {
        int status, i, sig = wait_signal(&set, next_restart(restart_at, n));
        pid_t pid;

        if (sig > 0 && sig != SIGCHLD) {
            stopping = stopping || sig == SIGTERM || sig == SIGINT;
            for (i = 0; i < n; i++)
                if (pids[i] > 0)
                    kill(pids[i], sig);
        }
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if ((i = slot_of(pids, n, pid)) < 0)
                continue;
            pids[i] = -1;
            alive--;
            if (stopping || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
                continue;
            /* A crashed worker is replaced after a second (so a worker that cannot start
             * does not spin); the others keep serving, and signals are still taken. */
            log_msg(LOG_WARN, "worker %d ended (status %d); restarting", (int)pid, status);
            restart_at[i] = now_ms() + 1000;
        }
        for (i = 0; i < n && !stopping; i++)
            if (restart_at[i] > 0 && restart_at[i] <= now_ms()) {
                restart_at[i] = 0;
                if ((pids[i] = spawn(conf, kek, &old)) > 0)
                    alive++;
            }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"log-format", required_argument, NULL, 'f'},
        {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct daemon_conf *conf = calloc(1, sizeof(*conf));
    const char *path = NULL;
    struct m2m_secret *kek = NULL;
    struct m2m_error err;
    enum log_level level = LOG_INFO;
    char errbuf[600];
    int json = 0, check_only = 0, c, rc = 1;

    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr, "m2msecd: --log-format is text or json\n");
                return 2;
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case 'k':
            check_only = 1;
            break;
        case 'h':
            fputs(USAGE, stdout);
            free(conf);
            return 0;
        default:
            fputs(USAGE, stderr);
            free(conf);
            return 2;
        }
    }
    if (path == NULL || optind != argc || conf == NULL) {
        fputs(USAGE, stderr);
        free(conf);
        return 2;
    }
    if (config_load(path, conf, errbuf, sizeof(errbuf)) != 0) {
        fprintf(stderr, "m2msecd: %s\n", errbuf);
        goto out;
    }
    if (log_level_parse(conf->log_level, &level) != 0) {
        fprintf(stderr, "m2msecd: %s: log_level must be error, warn, info or debug\n", path);
        goto out;
    }
    log_setup("m2msecd", level, json);
    if ((kek = m2m_kek_load(conf->kek_file, &err)) == NULL) {
        log_msg(LOG_ERROR, "key-encryption key: %s", err.msg);
        goto out;
    }
    /* Before any thread or worker exists: the registration is process-wide. */
    if (conf->builtin_ec_keys && m2m_tls_use_builtin_ec_keys(&err) != 0) {
        log_msg(LOG_ERROR, "%s", err.msg);
        goto out;
    }
    if (m2m_net_init_threads(&err) != 0) {
        log_msg(LOG_ERROR, "%s", err.msg);
        goto out;
    }
    if (check_only) {
        /* Builds every role once (files, keys, anchors, store, listeners), then stops. The
         * ports are bound without SO_REUSEPORT, so a check never takes connections from a
         * running daemon: it reports the port as busy instead. */
        struct worker w = {.conf = conf, .base = event_base_new()};
        rc = w.base == NULL || start_services(&w, kek, 0, errbuf, sizeof(errbuf)) != 0;
        if (rc != 0)
            log_msg(LOG_ERROR, "%s", w.base ? errbuf : "event base");
        else
            printf("m2msecd: %s is valid\n", path);
        stop_services(&w);
        if (w.base)
            event_base_free(w.base);
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    rc = conf->workers > 1 ? supervise(conf, kek) : run_worker(conf, kek, 0);
out:
    m2m_secret_free(kek);
    free(conf);
    return rc;
}
