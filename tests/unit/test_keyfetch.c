/* Fetch-on-unknown-KeID: the cache, every refusal (and that a refusal caches nothing),
 * the single flight across threads, and a real fetch over mutual TLS from an in-test MEF. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/event.h>

#include <m2msec/crypto.h>
#include <m2msec/keyfetch.h>
#include <m2msec/net.h>
#include <m2msec/store.h>

#include "tls_helpers.h"

#define KEID       "000102030405060708090a0b0c0d0e0f@mef.example.com"
#define KEID_UPPER "000102030405060708090A0B0C0D0E0F@MEF.example.com"
#define ENROLEE    "//sp.example.com/CSE1001"
#define THREADS    16

enum fake_mode { FAKE_OK, FAKE_REFUSE, FAKE_SHORT_KEY, FAKE_NO_ENROLEE, FAKE_EXPIRED };

/* The fake MEF: counts its calls, optionally slowly, and answers per mode. */
struct fake {
    pthread_mutex_t mu;
    enum fake_mode mode;
    int delay_ms;
    int calls;
    char last_keid[M2M_STORE_KEYID_MAX];
    char last_origin[M2M_STORE_ID_MAX];
    unsigned last_suid;
    char last_ua[16];
};

struct fx {
    char dir[64];
    char url[128];
    struct m2m_secret *kek;
    struct m2m_store *st;
    struct fake fake;
    struct m2m_keyfetch *kf;
};

static const unsigned char KM[32] = {0x4b, 0x6d, 1,  2,  3,  4,  5,  6,  7,  8,  9,
                                     10,   11,   12, 13, 14, 15, 16, 17, 18, 19, 20,
                                     21,   22,   23, 24, 25, 26, 27, 28, 29};

static int fake_fetch(void *arg, const char *mef_fqdn, const char *mef_url, const char *keid,
                      unsigned suid, const char *ua, const char *origin, int timeout_ms,
                      struct m2m_fetch_response *out, struct m2m_error *err)
{
    struct fake *f = arg;
    enum fake_mode mode;

    (void)mef_fqdn, (void)mef_url, (void)timeout_ms;
    pthread_mutex_lock(&f->mu);
    f->calls++;
    mode = f->mode;
    snprintf(f->last_keid, sizeof(f->last_keid), "%s", keid);
    snprintf(f->last_origin, sizeof(f->last_origin), "%s", origin);
    f->last_suid = suid;
    snprintf(f->last_ua, sizeof(f->last_ua), "%s", ua != NULL ? ua : "-");
    pthread_mutex_unlock(&f->mu);
    if (f->delay_ms > 0)
        usleep((useconds_t)f->delay_ms * 1000);
    if (mode == FAKE_REFUSE)
        return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "MEF refused (HTTP 403): revoked");
    memset(out, 0, sizeof(*out));
    out->credential_len = mode == FAKE_SHORT_KEY ? 8 : sizeof(KM);
    memcpy(out->credential, KM, sizeof(KM));
    snprintf(out->enrolee_id, sizeof(out->enrolee_id), "%s",
             mode == FAKE_NO_ENROLEE ? "" : ENROLEE);
    out->lifetime = time(NULL) + (mode == FAKE_EXPIRED ? -10 : 3600);
    return 0;
}

static struct m2m_keyfetch_config base_config(void)
{
    struct m2m_keyfetch_config c;

    memset(&c, 0, sizeof(c));
    snprintf(c.own_id, sizeof(c.own_id), "maf.example.com");
    snprintf(c.key_id_fqdn, sizeof(c.key_id_fqdn), "maf.example.com");
    c.suid = M2M_SUID_REMOTE_MAF;
    c.fetch_timeout_ms = 2000;
    return c;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct m2m_keyfetch_config c = base_config();
    unsigned char k[32] = {7};
    struct m2m_error err;

    snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-kf-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->url, sizeof(f->url), "sqlite:%s/maf.db", f->dir);
    f->kek = m2m_secret_from(k, sizeof(k), &err);
    f->st = m2m_store_open(f->url, f->kek, &err);
    assert_non_null(f->st);
    pthread_mutex_init(&f->fake.mu, NULL);
    f->kf = m2m_keyfetch_new_with(&c, fake_fetch, &f->fake, &err);
    assert_non_null(f->kf);
    assert_int_equal(m2m_keyfetch_add_mef(f->kf, "MEF.example.com", "https://127.0.0.1:1", &err),
                     0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    m2m_keyfetch_free(f->kf);
    m2m_store_close(f->st);
    m2m_secret_free(f->kek);
    pthread_mutex_destroy(&f->fake.mu);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void assert_km(const struct m2m_secret *k)
{
    assert_non_null(k);
    assert_int_equal(m2m_secret_len(k), sizeof(KM));
    assert_memory_equal(m2m_secret_cdata(k), KM, sizeof(KM));
}

static void test_fetch_then_cache(void **state)
{
    struct fx *f = *state;
    struct m2m_keyfetch_info info, info2;
    struct m2m_secret *k = NULL, *km = NULL;
    struct m2m_error err;
    char kmid[M2M_KEYID_MAX];

    /* An uppercase spelling names the same KeID: it is fetched and cached canonical. */
    assert_int_equal(m2m_keyfetch_lookup(f->kf, f->st, KEID_UPPER, &k, &info, &err), 0);
    assert_km(k);
    assert_int_equal(info.fetched, 1);
    assert_string_equal(info.keid, KEID);
    assert_string_equal(info.enrolee_id, ENROLEE);
    assert_string_equal(f->fake.last_keid, KEID);
    assert_string_equal(f->fake.last_origin, "maf.example.com");
    assert_int_equal(f->fake.last_suid, 21);
    km = m2m_secret_from(KM, sizeof(KM), &err);
    assert_int_equal(m2m_derive_kmid(km, "maf.example.com", kmid, &err), 0);
    assert_string_equal(info.kmid, kmid);
    m2m_secret_free(k);
    k = NULL;
    /* Later handshakes may present KmID or KeID (TS-0003 8.3.1.2): no second fetch, even
     * with the MEF refusing everything now. */
    f->fake.mode = FAKE_REFUSE;
    const char *ids[] = {KEID, kmid};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(m2m_keyfetch_lookup(f->kf, f->st, ids[i], &k, &info2, &err), 0);
        assert_km(k);
        assert_int_equal(info2.fetched, 0);
        assert_string_equal(info2.enrolee_id, ENROLEE);
        m2m_secret_free(k);
        k = NULL;
    }
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(m2m_keyfetch_fetch_count(f->kf), 1);
    m2m_secret_free(km);
}

/* A B-TID (SPEC.md section 8): fetched with the Ua id of the handshake's suite, cached per
 * suite, refused without a suite, and a revoked B-TID stays refused for every suite. */
#define BTID       "AAECAwQFBgcICQoLDA0ODw==@mef.example.com"
#define BTID_OTHER "AAECAwQFBgcICQoLDA0ODw==@bsf2.example.com"

static void test_gba_btid(void **state)
{
    struct fx *f = *state;
    struct m2m_keyfetch_info info;
    struct m2m_secret *k = NULL;
    struct m2m_error err;

    assert_int_not_equal(m2m_keyfetch_lookup(f->kf, f->st, BTID, &k, &info, &err), 0);
    assert_int_equal(err.code, M2M_E_TLS_PSK_UNKNOWN);
    assert_non_null(strstr(err.msg, "needs a TS-0003 TLS-PSK suite"));
    assert_int_not_equal(m2m_keyfetch_lookup_suite(f->kf, f->st, BTID, 0xC02B, &k, &info, &err), 0);
    assert_int_not_equal(
        m2m_keyfetch_lookup_suite(f->kf, f->st, BTID_OTHER, 0x00AE, &k, &info, &err), 0);
    assert_non_null(strstr(err.msg, "no MEF is configured for B-TIDs of bsf2.example.com"));
    assert_int_equal(f->fake.calls, 0);

    assert_int_equal(m2m_keyfetch_lookup_suite(f->kf, f->st, BTID, 0x00AE, &k, &info, &err), 0);
    assert_km(k);
    m2m_secret_free(k);
    k = NULL;
    assert_int_equal(info.fetched, 1);
    assert_string_equal(f->fake.last_keid, BTID);
    assert_string_equal(f->fake.last_ua, "01000100ae");
    assert_string_equal(info.keid, BTID);
    assert_string_equal(info.kmid, BTID "#ua=01000100ae");
    /* The same suite again: from the cache. */
    assert_int_equal(m2m_keyfetch_lookup_suite(f->kf, f->st, BTID, 0x00AE, &k, &info, &err), 0);
    m2m_secret_free(k);
    k = NULL;
    assert_int_equal(f->fake.calls, 1);
    /* Another suite is another Ks_NAF: fetched with its own Ua id. */
    assert_int_equal(m2m_keyfetch_lookup_suite(f->kf, f->st, BTID, 0xC0A8, &k, &info, &err), 0);
    m2m_secret_free(k);
    k = NULL;
    assert_int_equal(f->fake.calls, 2);
    assert_string_equal(f->fake.last_ua, "010001c0a8");
    /* Revoked by its B-TID: refused for every suite, never refetched. */
    assert_int_equal(m2m_store_maf_revoke(f->st, BTID, time(NULL), &err), 0);
    assert_int_not_equal(m2m_keyfetch_lookup_suite(f->kf, f->st, BTID, 0xC0A8, &k, &info, &err), 0);
    assert_non_null(strstr(err.msg, "revoked"));
    assert_int_not_equal(m2m_keyfetch_lookup_suite(f->kf, f->st, BTID, 0x00AE, &k, &info, &err), 0);
    assert_non_null(strstr(err.msg, "revoked"));
    assert_null(k);
    assert_int_equal(f->fake.calls, 2);
}

struct refusal_case {
    const char *name;
    const char *identity;
    enum fake_mode mode;
    int calls; /* fetches expected */
    const char *reason;
};

static const struct refusal_case refusals[] = {
    {"not a key id", "no-at-sign", FAKE_OK, 0, "not a key identifier"},
    {"empty", "", FAKE_OK, 0, "not a key identifier"},
    {"KeID of another MEF", "000102030405060708090a0b0c0d0e0f@mef2.example.com", FAKE_OK, 0,
     "no MEF is configured for KeIDs of mef2.example.com"},
    {"uncached KmID", "000102030405060708090a0b0c0d0e0f@maf.example.com", FAKE_OK, 0,
     "unknown key id"},
    {"MEF refuses", KEID, FAKE_REFUSE, 1, "revoked"},
    {"short key", KEID, FAKE_SHORT_KEY, 1, "8-byte key"},
    {"no Enrolee-ID", KEID, FAKE_NO_ENROLEE, 1, "no Enrolee-ID"},
    {"expired at the MEF", KEID, FAKE_EXPIRED, 1, "already expired"},
};

static void test_refusals(void **state)
{
    struct fx *f = *state;

    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        const struct refusal_case *c = &refusals[i];
        struct m2m_secret *k = NULL;
        struct m2m_store_maf_key rec;
        struct m2m_error err, e2;
        int before = f->fake.calls;

        f->fake.mode = c->mode;
        if (m2m_keyfetch_lookup(f->kf, f->st, c->identity, &k, NULL, &err) == 0)
            fail_msg("%s: accepted", c->name);
        assert_null(k);
        if (err.code != M2M_E_TLS_PSK_UNKNOWN || strstr(err.msg, c->reason) == NULL)
            fail_msg("%s: %s (%d)", c->name, err.msg, err.code);
        assert_int_equal(f->fake.calls - before, c->calls);
        /* A refusal caches nothing. */
        assert_int_not_equal(m2m_store_maf_get(f->st, KEID, time(NULL), &rec, NULL, &e2), 0);
        assert_int_equal(e2.code, M2M_E_STORE_NOT_FOUND);
    }
    /* The MEF answering again, the same KeID is fetched. */
    f->fake.mode = FAKE_OK;
    struct m2m_secret *k = NULL;
    struct m2m_error err;
    assert_int_equal(m2m_keyfetch_lookup(f->kf, f->st, KEID, &k, NULL, &err), 0);
    assert_km(k);
    m2m_secret_free(k);
}

/* Revoked and expired cached keys are refused and never refetched. */
static void test_revoked_and_expired(void **state)
{
    struct fx *f = *state;
    struct m2m_store_maf_key rec;
    struct m2m_secret *k = NULL, *km;
    struct m2m_error err;
    const char *expired = "ffeeddccbbaa99887766554433221100@mef.example.com";

    assert_int_equal(m2m_keyfetch_lookup(f->kf, f->st, KEID, &k, NULL, &err), 0);
    m2m_secret_free(k);
    k = NULL;
    assert_int_equal(m2m_store_maf_revoke(f->st, KEID, time(NULL), &err), 0);
    assert_int_not_equal(m2m_keyfetch_lookup(f->kf, f->st, KEID, &k, NULL, &err), 0);
    assert_int_equal(err.code, M2M_E_TLS_PSK_UNKNOWN);
    assert_non_null(strstr(err.msg, "revoked"));
    /* An expired row, put directly as a past fetch left it. */
    memset(&rec, 0, sizeof(rec));
    snprintf(rec.keid, sizeof(rec.keid), "%s", expired);
    snprintf(rec.kmid, sizeof(rec.kmid), "%s", "ffeeddccbbaa99887766554433221100@maf.example.com");
    snprintf(rec.enrolee_id, sizeof(rec.enrolee_id), ENROLEE);
    rec.created = time(NULL) - 100;
    rec.expires = time(NULL) - 1;
    km = m2m_secret_from(KM, sizeof(KM), &err);
    assert_int_equal(m2m_store_maf_put(f->st, &rec, km, &err), 0);
    m2m_secret_free(km);
    assert_int_not_equal(m2m_keyfetch_lookup(f->kf, f->st, expired, &k, NULL, &err), 0);
    assert_non_null(strstr(err.msg, "expired"));
    assert_null(k);
    assert_int_equal(f->fake.calls, 1);
}

struct racer {
    struct fx *f;
    pthread_t th;
    int rc;
    struct m2m_error err;
    struct m2m_keyfetch_info info;
    unsigned char key[32];
};

static void *race(void *p)
{
    struct racer *r = p;
    struct m2m_store *st = m2m_store_open(r->f->url, r->f->kek, &r->err);
    struct m2m_secret *k = NULL;

    r->rc = -1;
    if (st == NULL)
        return NULL;
    r->rc = m2m_keyfetch_lookup(r->f->kf, st, KEID, &k, &r->info, &r->err);
    if (r->rc == 0)
        memcpy(r->key, m2m_secret_cdata(k), sizeof(r->key));
    m2m_secret_free(k);
    m2m_store_close(st);
    return NULL;
}

static void run_racers(struct fx *f, struct racer *r)
{
    for (int i = 0; i < THREADS; i++) {
        r[i].f = f;
        assert_int_equal(pthread_create(&r[i].th, NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(r[i].th, NULL);
}

/* Many first handshakes at once, one fetch; success and refusal are both shared. */
static void test_single_flight(void **state)
{
    struct fx *f = *state;
    struct racer r[THREADS];
    int fetched = 0;

    memset(r, 0, sizeof(r));
    f->fake.delay_ms = 300;
    f->fake.mode = FAKE_REFUSE;
    run_racers(f, r);
    assert_int_equal(f->fake.calls, 1);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(r[i].rc, -1);
        assert_int_equal(r[i].err.code, M2M_E_TLS_PSK_UNKNOWN);
        assert_non_null(strstr(r[i].err.msg, "revoked"));
    }
    memset(r, 0, sizeof(r));
    f->fake.mode = FAKE_OK;
    run_racers(f, r);
    assert_int_equal(f->fake.calls, 2);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(r[i].rc, 0);
        assert_memory_equal(r[i].key, KM, sizeof(KM));
        assert_string_equal(r[i].info.enrolee_id, ENROLEE);
        fetched += r[i].info.fetched;
    }
    assert_int_equal(fetched, 1);
}

/* A waiter gives up after the fetch timeout (plus the store margin), cleanly. */
static void test_wait_bounded(void **state)
{
    struct fx *f = *state;
    struct m2m_keyfetch_config c = base_config();
    struct racer r[2];
    struct m2m_error err;
    struct m2m_keyfetch *slow;

    c.fetch_timeout_ms = 100;
    slow = m2m_keyfetch_new_with(&c, fake_fetch, &f->fake, &err);
    assert_non_null(slow);
    assert_int_equal(m2m_keyfetch_add_mef(slow, "mef.example.com", "https://127.0.0.1:1", &err), 0);
    m2m_keyfetch_free(f->kf);
    f->kf = slow;
    f->fake.delay_ms = 1600;
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 2; i++) {
        r[i].f = f;
        assert_int_equal(pthread_create(&r[i].th, NULL, race, &r[i]), 0);
        usleep(50000);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(r[i].th, NULL);
    assert_int_equal(f->fake.calls, 1);
    assert_int_equal(r[0].rc, 0); /* the leader's own (slow) fetch still lands */
    assert_int_equal(r[1].rc, -1);
    assert_non_null(strstr(r[1].err.msg, "gave up waiting"));
}

static void test_bad_config(void **state)
{
    struct fx *f = *state;
    struct m2m_keyfetch_config c = base_config();
    struct m2m_error err;

    assert_null(m2m_keyfetch_new_with(NULL, fake_fetch, NULL, &err));
    assert_null(m2m_keyfetch_new_with(&c, NULL, NULL, &err));
    c.suid = 99;
    assert_null(m2m_keyfetch_new_with(&c, fake_fetch, NULL, &err));
    c = base_config();
    snprintf(c.key_id_fqdn, sizeof(c.key_id_fqdn), "not a name");
    assert_null(m2m_keyfetch_new_with(&c, fake_fetch, NULL, &err));
    c = base_config();
    assert_null(m2m_keyfetch_new(&c, &err)); /* no TLS configuration */
    assert_int_not_equal(m2m_keyfetch_add_mef(f->kf, "mef.example.com", "https://x:1", &err), 0);
    assert_int_not_equal(m2m_keyfetch_add_mef(f->kf, "mef3.example.com", "http://x:1", &err), 0);
    assert_int_not_equal(m2m_keyfetch_add_mef(f->kf, "*.example.com", "https://x:1", &err), 0);
    m2m_keyfetch_free(NULL);
}

/* ---- a real fetch: an in-test MEF over mutual TLS ---- */
struct mini_mef {
    struct event_base *base;
    struct m2m_tls_config *cfg;
    struct m2m_tls_ctx *ctx;
    struct m2m_https_server *srv;
    pthread_t th;
    unsigned short port;
};

static void mini_handler(void *arg, struct m2m_https_exchange *x)
{
    static const char want[] = "/fetchCredentials/" KEID "/21";
    struct m2m_fetch_response r;
    struct m2m_verified v;
    const char *origin = m2m_https_header(x, M2M_HDR_ORIGIN);
    struct m2m_error err;
    char *body;

    (void)arg;
    /* The originator must be the identity the client certificate proved. */
    if (m2m_tls_peer(m2m_https_ssl(x), &v) != 0 || origin == NULL ||
        strcmp(origin, v.identity) != 0) {
        m2m_https_reply_error(x, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not this target");
        return;
    }
    if (strcmp(m2m_https_path(x), want) != 0) {
        m2m_https_reply_error(x, 404, M2M_RSC_NOT_FOUND, "unknown KeID");
        return;
    }
    memset(&r, 0, sizeof(r));
    memcpy(r.credential, KM, sizeof(KM));
    r.credential_len = sizeof(KM);
    snprintf(r.enrolee_id, sizeof(r.enrolee_id), ENROLEE);
    r.lifetime = time(NULL) + 600;
    body = m2m_fetch_response_encode(&r, &err);
    m2m_https_reply(x, 200, M2M_RSC_OK, body, false);
    free(body);
}

static void *mini_run(void *p)
{
    struct mini_mef *m = p;

    event_base_dispatch(m->base);
    return NULL;
}

/* A bound listening socket on a free port (the server takes it over). */
static int listen_any(void)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 64), 0);
    return fd;
}

static void mini_start(struct mini_mef *m, struct m2m_credential *cred, struct m2m_trust *trust)
{
    struct m2m_https_config hc;
    struct m2m_error err;

    memset(m, 0, sizeof(*m));
    assert_int_equal(m2m_net_init_threads(&err), 0);
    m->base = event_base_new();
    m->cfg = m2m_tls_config_new(&err);
    m2m_tls_config_set_credential(m->cfg, cred);
    m2m_tls_config_set_trust(m->cfg, trust);
    assert_int_equal(m2m_tls_config_set_peer(m->cfg, M2M_FLAVOUR_CSE_ID, NULL, &err), 0);
    m->ctx = m2m_tls_ctx_new(m->cfg, M2M_TLS_SERVER, M2M_TRANSPORT_TLS, &err);
    assert_non_null(m->ctx);
    memset(&hc, 0, sizeof(hc));
    hc.address = "127.0.0.1";
    hc.fd = listen_any();
    hc.tls = m->ctx;
    hc.timeout_ms = 3000;
    hc.handler = mini_handler;
    m->srv = m2m_https_server_new(m->base, &hc, &err);
    if (m->srv == NULL)
        fail_msg("server: %s", err.msg);
    m->port = m2m_https_server_port(m->srv);
    assert_int_equal(pthread_create(&m->th, NULL, mini_run, m), 0);
}

static void mini_stop(struct mini_mef *m)
{
    event_base_loopbreak(m->base);
    pthread_join(m->th, NULL);
    m2m_https_server_free(m->srv);
    m2m_tls_ctx_free(m->ctx);
    m2m_tls_config_free(m->cfg);
    event_base_free(m->base);
}

static struct m2m_keyfetch *real_keyfetch(struct tls_pki *pki, unsigned short port)
{
    struct m2m_keyfetch_config c = base_config();
    struct m2m_error err;
    struct m2m_keyfetch *kf;
    char url[64];

    snprintf(c.own_id, sizeof(c.own_id), TLS_TEST_CLIENT_CSE);
    c.tls = m2m_tls_config_new(&err);
    m2m_tls_config_set_credential(c.tls, pki->client);
    m2m_tls_config_set_trust(c.tls, pki->trust);
    kf = m2m_keyfetch_new(&c, &err);
    m2m_tls_config_free(c.tls); /* the key fetch holds its own reference */
    assert_non_null(kf);
    snprintf(url, sizeof(url), "https://127.0.0.1:%u", port);
    assert_int_equal(m2m_keyfetch_add_mef(kf, TLS_TEST_SERVER_FQDN, url, &err), 0);
    return kf;
}

static void test_real_fetch(void **state)
{
    struct fx *f = *state;
    struct tls_pki pki;
    struct mini_mef m, rogue;
    struct m2m_keyfetch *kf;
    struct m2m_secret *k = NULL;
    struct m2m_error err;

    assert_int_equal(tls_pki_make(&pki), 0);
    mini_start(&m, pki.server, pki.trust);
    kf = real_keyfetch(&pki, m.port);
    /* A KeID the MEF does not know: its refusal, with its reason. */
    assert_int_not_equal(m2m_keyfetch_lookup(kf, f->st,
                                             "ffffffffffffffffffffffffffffffff@mef.example.com", &k,
                                             NULL, &err),
                         0);
    assert_int_equal(err.code, M2M_E_TLS_PSK_UNKNOWN);
    assert_non_null(strstr(err.msg, "unknown KeID"));
    assert_int_equal(m2m_keyfetch_lookup(kf, f->st, KEID, &k, NULL, &err), 0);
    assert_km(k);
    m2m_secret_free(k);
    k = NULL;
    m2m_keyfetch_free(kf);
    mini_stop(&m);
    /* An MEF whose certificate does not chain to the anchors is never believed. */
    mini_start(&rogue, pki.rogue_server, pki.trust);
    kf = real_keyfetch(&pki, rogue.port);
    assert_int_not_equal(m2m_keyfetch_lookup(kf, f->st,
                                             "0f0e0d0c0b0a09080706050403020100@mef.example.com", &k,
                                             NULL, &err),
                         0);
    assert_int_equal(err.code, M2M_E_TLS_PSK_UNKNOWN);
    assert_null(k);
    m2m_keyfetch_free(kf);
    mini_stop(&rogue);
    tls_pki_free(&pki);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fetch_then_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gba_btid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_and_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_fetch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
