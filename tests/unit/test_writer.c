/* The store writer (lib/net/writer.c): every write is applied and reported on its loop,
 * a failing write does not sink its group, and the commit delay groups concurrent writes
 * without delaying a lone one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include <m2msec/net.h>
#include <m2msec/store.h>

#define BURST 200

struct job {
    char kpm_id[32];
    int fail;     /* the write refuses itself */
    int sleep_ms; /* the write takes this long (holds the writer busy) */
    int done;
    int rc;
};

struct fx {
    char dir[64];
    char url[128];
    struct m2m_secret *kek;
    struct m2m_writer *w;
    struct event_base *base;
    int pending;
};

static int apply(void *arg, struct m2m_store *store, struct m2m_error *err)
{
    struct job *j = arg;
    struct m2m_store_psk_enrolee rec;
    unsigned char k[16] = {1};
    struct m2m_secret *kpm;
    int rc;

    if (j->fail)
        return m2m_error_set(err, M2M_E_STORE_EXISTS, "refused by the test");
    if (j->sleep_ms > 0)
        usleep((useconds_t)j->sleep_ms * 1000);
    memset(&rec, 0, sizeof(rec));
    snprintf(rec.kpm_id, sizeof(rec.kpm_id), "%s", j->kpm_id);
    snprintf(rec.enrolee_id, sizeof(rec.enrolee_id), "//sp.example.com/C%s", j->kpm_id);
    rec.ke_lifetime = 3600;
    if ((kpm = m2m_secret_from(k, sizeof(k), err)) == NULL)
        return -1;
    rc = m2m_store_psk_enrolee_add(store, &rec, kpm, err);
    m2m_secret_free(kpm);
    return rc;
}

static struct fx *current;

static void done(void *arg, int rc, const struct m2m_error *err)
{
    struct job *j = arg;

    (void)err;
    j->done = 1;
    j->rc = rc;
    if (--current->pending == 0)
        event_base_loopbreak(current->base);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    unsigned char k[32] = {9};
    struct m2m_error err;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-writer-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->url, sizeof(f->url), "sqlite:%s/w.db", f->dir);
    assert_int_equal(m2m_net_init_threads(&err), 0);
    f->kek = m2m_secret_from(k, sizeof(k), &err);
    assert_non_null(f->kek);
    f->w = m2m_writer_new(f->url, f->kek, &err);
    assert_non_null(f->w);
    f->base = event_base_new();
    assert_non_null(f->base);
    current = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    m2m_writer_free(f->w);
    event_base_free(f->base);
    m2m_secret_free(f->kek);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    (void)!system(cmd);
    free(f);
    return 0;
}

static void give_up(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    event_base_loopbreak(arg);
}

/* Runs the loop until every submitted write is reported (bounded at 20 s): the writer's
 * reports arrive from its thread, so the loop needs an event of its own to stay up. */
static void run_loop(struct fx *f)
{
    struct timeval bound = {20, 0};
    struct event *ev = event_new(f->base, -1, EV_PERSIST, give_up, f->base);

    assert_non_null(ev);
    event_add(ev, &bound);
    if (f->pending > 0)
        event_base_dispatch(f->base);
    event_free(ev);
}

static void submit(struct fx *f, struct job *j)
{
    struct m2m_error err;

    f->pending++;
    assert_int_equal(m2m_writer_submit(f->w, f->base, apply, done, j, &err), 0);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int stored(struct fx *f, const char *kpm_id)
{
    struct m2m_error err;
    struct m2m_store *s = m2m_store_open(f->url, f->kek, &err);
    struct m2m_store_psk_enrolee rec;
    int rc;

    assert_non_null(s);
    rc = m2m_store_psk_enrolee_get(s, kpm_id, &rec, NULL, &err) == 0;
    if (rc)
        m2m_store_psk_enrolee_clear(&rec);
    m2m_store_close(s);
    return rc;
}

static void test_lone_write_not_delayed(void **state)
{
    struct fx *f = *state;
    struct job j = {.kpm_id = "lone"};
    double t0;

    /* A delay far longer than the test may take: a lone write must not wait for it. */
    m2m_writer_set_commit_delay_us(f->w, 30L * 1000 * 1000);
    t0 = now_s();
    submit(f, &j);
    run_loop(f);
    assert_true(j.done);
    assert_int_equal(j.rc, 0);
    assert_true(now_s() - t0 < 15.0);
    assert_true(stored(f, "lone"));
}

static void test_burst_grouped(void **state)
{
    struct fx *f = *state;
    struct job *jobs = calloc(BURST, sizeof(*jobs));
    unsigned long commits, writes;

    assert_non_null(jobs);
    m2m_writer_set_commit_delay_us(f->w, 2000);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < BURST / 2; i++) {
            struct job *j = &jobs[round * (BURST / 2) + i];

            snprintf(j->kpm_id, sizeof(j->kpm_id), "k%d", round * (BURST / 2) + i);
            /* In the second round one write refuses itself: only it fails, although its
             * group is rolled back and replayed one write at a time. */
            j->fail = round == 1 && i == 17;
            submit(f, j);
        }
        run_loop(f);
        if (round == 0) {
            m2m_writer_stats(f->w, &commits, &writes);
            assert_int_equal(writes, BURST / 2);
            /* Grouped: far fewer durable commits than writes. */
            assert_true(commits < writes / 2);
        }
    }
    for (int i = 0; i < BURST; i++) {
        assert_true(jobs[i].done);
        if (jobs[i].fail) {
            assert_int_not_equal(jobs[i].rc, 0);
            assert_false(stored(f, jobs[i].kpm_id));
        } else {
            assert_int_equal(jobs[i].rc, 0);
        }
    }
    assert_true(stored(f, "k0"));
    assert_true(stored(f, "k199"));
    m2m_writer_stats(f->w, &commits, &writes);
    assert_int_equal(writes, BURST);
    free(jobs);
}

struct late {
    struct fx *f;
    struct job *j;
};

static void submit_late(evutil_socket_t fd, short what, void *arg)
{
    struct late *l = arg;

    (void)fd, (void)what;
    submit(l->f, l->j);
}

/* After a group of two, a write that arrives 50 ms after another joins its commit: the
 * writer waited (commit delay 1 s) instead of committing the first alone. */
static void test_delay_joins_late_write(void **state)
{
    struct fx *f = *state;
    struct job busy = {.kpm_id = "busy", .sleep_ms = 300};
    struct job a = {.kpm_id = "a"}, b = {.kpm_id = "b"}, c = {.kpm_id = "c"}, d = {.kpm_id = "d"};
    struct late l = {f, &d};
    struct timeval fifty = {0, 50 * 1000};
    unsigned long c0, c1, w;

    m2m_writer_set_commit_delay_us(f->w, 1000L * 1000);
    /* a and b queue while busy holds the writer: they make one group of two. */
    submit(f, &busy);
    usleep(100 * 1000);
    submit(f, &a);
    submit(f, &b);
    run_loop(f);
    m2m_writer_stats(f->w, &c0, &w);
    assert_int_equal(w, 3);
    assert_int_equal(c0, 2);
    /* c now, d 50 ms later: one commit for both. */
    submit(f, &c);
    assert_int_equal(event_base_once(f->base, -1, EV_TIMEOUT, submit_late, &l, &fifty), 0);
    run_loop(f); /* the timer's submit of d counts d as pending before c can be done */
    m2m_writer_stats(f->w, &c1, &w);
    assert_true(c.done && d.done);
    assert_int_equal(c.rc, 0);
    assert_int_equal(d.rc, 0);
    assert_int_equal(w, 5);
    assert_int_equal(c1 - c0, 1);
    assert_true(stored(f, "c"));
    assert_true(stored(f, "d"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lone_write_not_delayed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_grouped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_joins_late_write, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
