/* Entity B's fetch-on-unknown-KeID does not freeze the listener (TS-0003 V3 8.3.1.2 steps
 * 2-4 for an Enrolee B; DESIGN.md section 6). Entity A presents a KeID B has never seen; the
 * MEF fetch behind it takes about two seconds. Meanwhile a configured PSK peer associates and
 * echoes within a second, while the fetch is provably still running. Then A's handshake
 * finishes with the fetch's outcome: bound to the Enrolee-ID the MEF returned, or refused
 * with unknown_psk_identity when the MEF refused. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <m2msec/crypto.h>
#include <m2msec/keyfetch.h>

#include "assoc_helpers.h"

#define ID_B       ASSOC_SP "/CSEB"
#define ID_P       ASSOC_SP "/CSEP"
#define KPSA_ID    "00112233445566778899aabbccddeeff@sp.example.com"
#define KPSA_KEY   "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEID       "000102030405060708090a0b0c0d0e0f@mef.example.com"
#define BTID       "AAECAwQFBgcICQoLDA0ODw==@mef.example.com"
#define ENROLEE    ASSOC_SP "/CSE1001"
#define FETCH_MS   2000 /* the slow MEF */
#define FAST_MS    1000 /* bound on the other peer's whole association and echo */
#define HS_MS      5000 /* handshake bound at both ends: above FETCH_MS */
#define KEY_HEX    "4b6d0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e"
#define STEP_NS    (5 * 1000 * 1000)
#define ENTER_WAIT 1000 /* ms to wait for the fetch to start */

/* The Kpsa the fake MEF hands out for KEID (KEY_HEX in binary). */
static const unsigned char KPSA_FETCHED[32] = {0x4b, 0x6d, 1,  2,  3,  4,  5,  6,  7,  8,  9,
                                               10,   11,   12, 13, 14, 15, 16, 17, 18, 19, 20,
                                               21,   22,   23, 24, 25, 26, 27, 28, 29, 30};

/* The fake MEF: sleeps, then answers or refuses; the flags show where it is. */
struct fake_mef {
    int refuse;
    atomic_int entered;
    atomic_int returned;
    char ua[16]; /* the Ua id the last fetch named, "-" for none */
};

static int fake_fetch(void *arg, const char *mef_fqdn, const char *mef_url, const char *keid,
                      unsigned suid, const char *ua, const char *origin, int timeout_ms,
                      struct m2m_fetch_response *out, struct m2m_error *err)
{
    struct fake_mef *m = arg;
    struct timespec nap = {FETCH_MS / 1000, (FETCH_MS % 1000) * 1000L * 1000L};
    int rc = 0;

    (void)mef_fqdn, (void)mef_url, (void)suid, (void)origin, (void)timeout_ms;
    snprintf(m->ua, sizeof(m->ua), "%s", ua != NULL ? ua : "-");
    atomic_store(&m->entered, 1);
    nanosleep(&nap, NULL);
    if (m->refuse || (strcmp(keid, KEID) != 0 && strcmp(keid, BTID) != 0)) {
        rc = m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "MEF refused (HTTP 403): unknown KeID");
    } else {
        memset(out, 0, sizeof(*out));
        memcpy(out->credential, KPSA_FETCHED, sizeof(KPSA_FETCHED));
        out->credential_len = sizeof(KPSA_FETCHED);
        snprintf(out->enrolee_id, sizeof(out->enrolee_id), "%s", ENROLEE);
        out->lifetime = time(NULL) + 3600;
    }
    atomic_store(&m->returned, 1);
    return rc;
}

/* ---- Entity B with one configured PSK peer and the fetch ---- */
struct world {
    char dir[64];
    char url[128];
    struct fake_mef mef;
    struct m2m_keyfetch *kf; /* until handed to bcfg */
    struct m2m_assoc_config *bcfg;
    struct assoc_server srv;
};

static struct m2m_psk_store *psk_store(const char *identity, const char *hex)
{
    struct m2m_error err;
    struct m2m_psk_store *s = m2m_psk_store_new(&err);
    struct m2m_secret *k = m2m_secret_from_hex(hex, &err);

    assert_non_null(s);
    assert_non_null(k);
    assert_int_equal(m2m_psk_store_add(s, identity, k, NULL, &err), 0);
    m2m_secret_free(k);
    return s;
}

static void attach_fetch(struct world *w)
{
    struct m2m_keyfetch_config kc;
    unsigned char kek_bytes[32];
    struct m2m_secret *kek;
    struct m2m_error err;

    memset(&kc, 0, sizeof(kc));
    snprintf(kc.own_id, sizeof(kc.own_id), "%s", ID_B);
    snprintf(kc.key_id_fqdn, sizeof(kc.key_id_fqdn), "cseb.sp.example.com");
    kc.suid = M2M_SUID_REMOTE_SAEF; /* 22: Kpsa for an Enrolee B */
    kc.fetch_timeout_ms = HS_MS - 1000;
    w->kf = m2m_keyfetch_new_with(&kc, fake_fetch, &w->mef, &err);
    assert_non_null(w->kf);
    assert_int_equal(m2m_keyfetch_add_mef(w->kf, "mef.example.com", "https://127.0.0.1:1", &err),
                     0);
    assert_int_equal(m2m_random(kek_bytes, sizeof(kek_bytes), &err), 0);
    kek = m2m_secret_from(kek_bytes, sizeof(kek_bytes), &err);
    assert_non_null(kek);
    if (m2m_assoc_config_set_keyfetch(w->bcfg, w->kf, w->url, kek, &err) != 0)
        fail_msg("set_keyfetch: %s", err.msg);
    w->kf = NULL; /* the config owns it now */
    m2m_secret_free(kek);
}

static void world_make(struct world *w, int refuse)
{
    struct m2m_error err;
    struct m2m_assoc_peer pp = {.id = ID_P, .psk_identity = KPSA_ID};

    memset(w, 0, sizeof(*w));
    w->mef.refuse = refuse;
    atomic_init(&w->mef.entered, 0);
    atomic_init(&w->mef.returned, 0);
    snprintf(w->dir, sizeof(w->dir), "/tmp/m2m-assoc-fetch-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    snprintf(w->url, sizeof(w->url), "sqlite:%s/cache.db", w->dir);
    w->bcfg = m2m_assoc_config_new(&err);
    assert_non_null(w->bcfg);
    assert_int_equal(m2m_assoc_config_set_id(w->bcfg, ID_B, &err), 0);
    m2m_assoc_config_set_psk_store(w->bcfg, psk_store(KPSA_ID, KPSA_KEY));
    assert_int_equal(m2m_assoc_config_add_peer(w->bcfg, &pp, &err), 0);
    m2m_assoc_config_set_timeouts(w->bcfg, HS_MS, 3000);
    attach_fetch(w);
    assert_int_equal(assoc_server_start(&w->srv, w->bcfg, M2M_TRANSPORT_TLS), 0);
}

static void world_free(struct world *w)
{
    char cmd[128];

    assoc_server_stop(&w->srv);
    m2m_assoc_config_free(w->bcfg); /* waits for a lookup still running */
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- Entity A ---- */
static struct m2m_assoc_config *a_config(const char *psk_id, const char *psk_key)
{
    struct m2m_error err;
    struct m2m_assoc_config *cfg = m2m_assoc_config_new(&err);
    struct m2m_assoc_peer pb = {.id = ID_B, .psk_identity = psk_id};

    assert_non_null(cfg);
    m2m_assoc_config_set_psk_store(cfg, psk_store(psk_id, psk_key));
    assert_int_equal(m2m_assoc_config_add_peer(cfg, &pb, &err), 0);
    m2m_assoc_config_set_timeouts(cfg, HS_MS, 3000);
    return cfg;
}

/* The KeID client, run on its own thread. */
struct slow_client {
    struct m2m_assoc_config *cfg;
    int port;
    int rc;
    struct m2m_assoc_conn *conn;
    char greeting[600];
    struct m2m_error err;
};

static void *slow_client_main(void *arg)
{
    struct slow_client *c = arg;

    m2m_error_clear(&c->err);
    c->rc = assoc_client(c->cfg, M2M_TRANSPORT_TLS, c->port, ID_B, &c->conn, c->greeting,
                         sizeof(c->greeting), &c->err);
    return NULL;
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bounded wait until the fake MEF has been entered. */
static void wait_entered(struct fake_mef *m)
{
    struct timespec nap = {0, STEP_NS};

    for (int waited = 0; waited < ENTER_WAIT && !atomic_load(&m->entered); waited += 5)
        nanosleep(&nap, NULL);
    assert_true(atomic_load(&m->entered));
}

/* The configured peer associates and echoes within FAST_MS while the fetch still sleeps. */
static void fast_peer(struct world *w, struct m2m_assoc_conn **conn)
{
    struct m2m_assoc_config *cfg = a_config(KPSA_ID, KPSA_KEY);
    struct m2m_error err;
    char greeting[600];
    long t0 = now_ms(), elapsed;

    if (assoc_client(cfg, M2M_TRANSPORT_TLS, w->srv.port, ID_B, conn, greeting, sizeof(greeting),
                     &err) != 0)
        fail_msg("configured peer: %s", err.msg);
    assert_string_equal(greeting, "bound " ID_P " psk\n");
    assert_int_equal(assoc_echo(*conn, "not frozen\n"), 0);
    elapsed = now_ms() - t0;
    print_message("configured peer served in %ld ms\n", elapsed);
    /* Both flags read after the echo: the whole exchange fell inside the fetch. */
    assert_true(atomic_load(&w->mef.entered));
    if (atomic_load(&w->mef.returned))
        fail_msg("the fetch returned before the configured peer was served (%ld ms)", elapsed);
    if (elapsed > FAST_MS)
        fail_msg("the configured peer took %ld ms while a fetch was pending", elapsed);
    m2m_assoc_config_free(cfg);
}

struct fetch_case {
    const char *name;
    int refuse;           /* the MEF refuses the KeID */
    const char *identity; /* A's PSK identity */
    const char *ua;       /* the Ua id the fetch must name ("-": none) */
};

static const struct fetch_case cases[] = {
    {"MEF answers after a delay", 0, KEID, "-"},
    {"MEF refuses after a delay", 1, KEID, "-"},
    /* GBA (SPEC.md section 8): the fetch names the Ua id of the suite B chose (B prefers
     * PSK-AES128-GCM-SHA256, 0x00A8), since Ks_NAF is bound to it. */
    {"B-TID: MEF answers Ks_NAF for the suite", 0, BTID, "01000100a8"},
};

static void run_case(const struct fetch_case *fc)
{
    struct world w;
    struct slow_client slow;
    struct m2m_assoc_conn *fast = NULL;
    pthread_t th;

    print_message("%s\n", fc->name);
    world_make(&w, fc->refuse);
    memset(&slow, 0, sizeof(slow));
    slow.cfg = a_config(fc->identity, KEY_HEX);
    slow.port = w.srv.port;
    assert_int_equal(pthread_create(&th, NULL, slow_client_main, &slow), 0);
    wait_entered(&w.mef);
    fast_peer(&w, &fast);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(atomic_load(&w.mef.returned));
    assert_string_equal(w.mef.ua, fc->ua);
    if (fc->refuse) {
        assert_int_not_equal(slow.rc, 0);
        assert_null(slow.conn);
        assert_int_equal(assoc_server_wait_reject(&w.srv, 1, 3000), M2M_E_TLS_PSK_UNKNOWN);
        assert_int_equal(assoc_server_accepted(&w.srv), 1);
    } else {
        if (slow.rc != 0)
            fail_msg("KeID client: %s (server: %s)", slow.err.msg,
                     w.srv.n_rejects ? w.srv.reject_msg[0] : "-");
        /* TS-0003 V3 8.2.2.2: bound to the Enrolee-ID the MEF returned, not to the KeID. */
        assert_string_equal(slow.greeting, "bound " ENROLEE " psk\n");
        assert_int_equal(assoc_echo(slow.conn, "fetched\n"), 0);
        assert_int_equal(assoc_server_accepted(&w.srv), 2);
        assert_int_equal(assoc_server_rejected(&w.srv), 0);
    }
    /* The configured peer's association outlived the other's outcome. */
    assert_int_equal(assoc_echo(fast, "still here\n"), 0);
    m2m_assoc_conn_free(fast);
    m2m_assoc_conn_free(slow.conn);
    world_free(&w);
    m2m_assoc_config_free(slow.cfg);
}

static void test_fetch_does_not_freeze(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_does_not_freeze),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
