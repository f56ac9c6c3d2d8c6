/* The MAF role, transport aside: client registration on a session described directly,
 * against a real SQLite key cache; every refusal with its status and reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <m2msec/maf.h>
#include <m2msec/store.h>

#define KEID    "000102030405060708090a0b0c0d0e0f@mef.example.com"
#define KMID    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf@maf.example.com"
#define KEID2   "101112131415161718191a1b1c1d1e1f@mef.example.com"
#define KMID2   "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf@maf.example.com"
#define KEID3   "202122232425262728292a2b2c2d2e2f@mef.example.com"
#define KMID3   "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf@maf.example.com"
#define ENROLEE "//sp.example.com/CSE1001"

struct fx {
    char dir[64];
    struct m2m_secret *kek;
    struct m2m_store *st;
    struct m2m_maf *maf;
    int64_t km_expires;
};

static void put(struct fx *f, const char *keid, const char *kmid, int64_t expires)
{
    struct m2m_store_maf_key r;
    unsigned char km[32] = {1, 2, 3};
    struct m2m_secret *k;
    struct m2m_error err;

    memset(&r, 0, sizeof(r));
    snprintf(r.keid, sizeof(r.keid), "%s", keid);
    snprintf(r.kmid, sizeof(r.kmid), "%s", kmid);
    snprintf(r.enrolee_id, sizeof(r.enrolee_id), ENROLEE);
    r.created = time(NULL) - 10;
    r.expires = expires;
    k = m2m_secret_from(km, sizeof(km), &err);
    assert_int_equal(m2m_store_maf_put(f->st, &r, k, &err), 0);
    m2m_secret_free(k);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct m2m_maf_config mc;
    unsigned char kek[32] = {9};
    struct m2m_error err;
    char url[128];

    snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-maf-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(url, sizeof(url), "sqlite:%s/maf.db", f->dir);
    f->kek = m2m_secret_from(kek, sizeof(kek), &err);
    f->st = m2m_store_open(url, f->kek, &err);
    assert_non_null(f->st);
    memset(&mc, 0, sizeof(mc));
    snprintf(mc.fqdn, sizeof(mc.fqdn), "MAF.example.com");
    mc.registration_lifetime = 600;
    f->maf = m2m_maf_new(&mc, &err);
    assert_non_null(f->maf);
    f->km_expires = time(NULL) + 3600;
    put(f, KEID, KMID, f->km_expires);
    put(f, KEID2, KMID2, time(NULL) + 60); /* expires before a registration would */
    put(f, KEID3, KMID3, time(NULL) + 3600);
    assert_int_equal(m2m_store_maf_revoke(f->st, KEID3, time(NULL), &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    m2m_maf_free(f->maf);
    m2m_store_close(f->st);
    m2m_secret_free(f->kek);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void handle(struct fx *f, const char *method, const char *path, const char *origin,
                   const char *body, const struct m2m_maf_session *s, struct m2m_maf_response *resp)
{
    struct m2m_maf_request req = {method, path, origin, body, body ? strlen(body) : 0, s};

    m2m_maf_handle(f->maf, f->st, &req, resp);
}

static struct m2m_maf_session psk(const char *id)
{
    struct m2m_maf_session s;

    memset(&s, 0, sizeof(s));
    s.is_psk = true;
    snprintf(s.psk_identity, sizeof(s.psk_identity), "%s", id);
    return s;
}

static void test_registration(void **state)
{
    struct fx *f = *state;
    /* KeID, KmID, an uppercase spelling, with and without the originator: one binding. */
    const struct {
        const char *id, *origin, *body;
    } ok[] = {
        {KEID, ENROLEE, "{}"},
        {KMID, NULL, NULL},
        {"000102030405060708090A0B0C0D0E0F@MEF.EXAMPLE.COM", "", "{\"x\":1}"},
    };
    char first[64] = "";

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct m2m_maf_session s = psk(ok[i].id);
        struct m2m_maf_response r;
        struct m2m_client_registration reg;
        struct m2m_error err;
        time_t now = time(NULL);

        handle(f, "POST", "/clientRegistration", ok[i].origin, ok[i].body, &s, &r);
        if (r.http_status != 201)
            fail_msg("case %zu: %d %s", i, r.http_status, r.body);
        assert_int_equal(r.rsc, M2M_RSC_CREATED);
        assert_string_equal(r.enrolee_id, ENROLEE);
        assert_int_equal(m2m_client_registration_decode(r.body, strlen(r.body), &reg, &err), 0);
        assert_string_equal(reg.assigned_symm_key_id, KMID);
        assert_string_equal(reg.enrolee_id, ENROLEE);
        assert_true(reg.expires >= now + 599 && reg.expires <= now + 601);
        assert_true(strncmp(reg.client_reg_id, "reg-", 4) == 0);
        assert_string_not_equal(reg.client_reg_id, first); /* a fresh id each time */
        snprintf(first, sizeof(first), "%s", reg.client_reg_id);
        m2m_maf_response_clear(&r);
    }
}

/* A registration never outlives the key it was made with. */
static void test_expiry_capped(void **state)
{
    struct fx *f = *state;
    struct m2m_maf_session s = psk(KEID2);
    struct m2m_maf_response r;
    struct m2m_client_registration reg;
    struct m2m_error err;

    handle(f, "POST", "/clientRegistration", NULL, "{}", &s, &r);
    assert_int_equal(r.http_status, 201);
    assert_int_equal(m2m_client_registration_decode(r.body, strlen(r.body), &reg, &err), 0);
    assert_true(reg.expires <= time(NULL) + 60);
    m2m_maf_response_clear(&r);
}

struct refusal {
    const char *name, *method, *path, *origin, *body;
    int is_psk; /* -1: no session */
    const char *identity;
    int status;
    enum m2m_rsc rsc;
    const char *reason;
};

static const struct refusal refusals[] = {
    {"no session", "POST", "/clientRegistration", NULL, "{}", -1, "", 403,
     M2M_RSC_SECURITY_ASSOCIATION_REQUIRED, "unauthenticated"},
    {"certificate session", "POST", "/clientRegistration", NULL, "{}", 0, "", 403,
     M2M_RSC_SECURITY_ASSOCIATION_REQUIRED, "TLS-PSK"},
    {"unknown resource", "POST", "/enrolment", NULL, "{}", 1, KEID, 404, M2M_RSC_NOT_FOUND,
     "no resource"},
    {"wrong method", "GET", "/clientRegistration", NULL, NULL, 1, KEID, 405,
     M2M_RSC_OPERATION_NOT_ALLOWED, "not allowed"},
    {"key not cached", "POST", "/clientRegistration", NULL, "{}", 1,
     "ffffffffffffffffffffffffffffffff@mef.example.com", 403, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
     "session's key"},
    {"key revoked since the handshake", "POST", "/clientRegistration", NULL, "{}", 1, KMID3, 403,
     M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, "revoked"},
    {"originator claims another entity", "POST", "/clientRegistration", "//sp.example.com/CSE9",
     "{}", 1, KEID, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not the session's enrolee"},
    {"body not JSON", "POST", "/clientRegistration", NULL, "{nope", 1, KEID, 400,
     M2M_RSC_BAD_REQUEST, ""},
    {"body not an object", "POST", "/clientRegistration", NULL, "[1]", 1, KEID, 400,
     M2M_RSC_BAD_REQUEST, ""},
};

static void test_refusals(void **state)
{
    struct fx *f = *state;

    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        const struct refusal *c = &refusals[i];
        struct m2m_maf_session s = psk(c->identity);
        struct m2m_maf_response r;
        char reason[256];

        s.is_psk = c->is_psk == 1;
        handle(f, c->method, c->path, c->origin, c->body, c->is_psk < 0 ? NULL : &s, &r);
        if (r.http_status != c->status || r.rsc != c->rsc)
            fail_msg("%s: %d/%d %s", c->name, r.http_status, r.rsc, r.body);
        assert_non_null(r.body);
        m2m_error_body_decode(r.body, strlen(r.body), reason, sizeof(reason));
        if (strstr(reason, c->reason) == NULL || reason[0] == '\0')
            fail_msg("%s: reason '%s'", c->name, reason);
        assert_null(strstr(r.body, "assignedSymmKeyId"));
        m2m_maf_response_clear(&r);
    }
}

static void test_codec(void **state)
{
    struct m2m_client_registration a, b;
    struct m2m_error err;
    char *body;
    const char *bad[] = {
        "{}",
        "{\"clientRegId\":\"r\",\"assignedSymmKeyId\":\"k\",\"enroleeId\":\"e\"}",
        "{\"clientRegId\":1,\"assignedSymmKeyId\":\"k\",\"enroleeId\":\"e\","
        "\"expires\":\"2030-01-01T00:00:00Z\"}",
        "{\"clientRegId\":\"r\",\"assignedSymmKeyId\":\"k\",\"enroleeId\":\"e\","
        "\"expires\":\"tomorrow\"}",
        "not json",
    };
    struct m2m_maf_config mc;

    (void)state;
    memset(&a, 0, sizeof(a));
    snprintf(a.client_reg_id, sizeof(a.client_reg_id), "reg-1");
    snprintf(a.assigned_symm_key_id, sizeof(a.assigned_symm_key_id), KMID);
    snprintf(a.enrolee_id, sizeof(a.enrolee_id), ENROLEE);
    a.expires = 1900000000;
    body = m2m_client_registration_encode(&a, &err);
    assert_non_null(body);
    assert_int_equal(m2m_client_registration_decode(body, strlen(body), &b, &err), 0);
    assert_memory_equal(&a, &b, sizeof(a));
    free(body);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (m2m_client_registration_decode(bad[i], strlen(bad[i]), &b, &err) == 0)
            fail_msg("accepted %s", bad[i]);
    memset(&mc, 0, sizeof(mc));
    snprintf(mc.fqdn, sizeof(mc.fqdn), "*.example.com");
    assert_null(m2m_maf_new(&mc, &err));
    assert_null(m2m_maf_new(NULL, &err));
    snprintf(mc.fqdn, sizeof(mc.fqdn), "maf.example.com");
    mc.registration_lifetime = -1;
    assert_null(m2m_maf_new(&mc, &err));
    m2m_maf_free(NULL);
    m2m_maf_response_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test(test_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
