/* The MEF as GBA BSF over a real SQLite store (3GPP TS 33.220 4.5.2, TS 24.109 5.2, RFC
 * 3310): a bootstrap gives a B-TID and stores Ks = CK || IK; a wrong K, a replayed or expired
 * nonce, an unknown IMPI and malformed requests are refused and store no key; a USIM ahead of
 * the HSS resynchronises with AUTS and then succeeds; a forged AUTS moves nothing. */
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

#include <m2msec/digest.h>
#include <m2msec/encoding.h>

#include "gba_helpers.h"

static int setup(void **state)
{
    *state = gba_fx_new(3600, 60);
    return 0;
}

static int teardown(void **state)
{
    gba_fx_free(*state);
    return 0;
}

static void assert_refused(const struct m2m_mef_response *r, int status, const char *why)
{
    if (r->http_status != status || r->body == NULL || strstr(r->body, why) == NULL)
        fail_msg("expected %d '%s', got %d %s", status, why, r->http_status,
                 r->body ? r->body : "(no body)");
    assert_null(r->www_authenticate);
}

static void test_bootstrap(void **state)
{
    struct gba_fx *f = *state;
    struct m2m_mef_response resp;
    struct m2m_store_key key;
    struct m2m_secret *ke = NULL;
    struct m2m_usim_result u;
    struct m2m_gba_bootstrap_info info;
    char h[M2M_DIGEST_HEADER_MAX], audit[512], want[M2M_BTID_MAX + 1];
    struct m2m_error err;
    time_t now = time(NULL);

    gba_first_header(GBA_IMPI, h, sizeof(h));
    gba_ub(f, h, &resp);
    assert_int_equal(resp.http_status, 401);
    assert_true(resp.wait_for_write); /* the SQN is spent before the challenge leaves */
    assert_non_null(strstr(resp.www_authenticate, "algorithm=AKAv1-MD5, qop=\"auth-int\""));
    assert_int_equal(gba_subscriber_sqn(f), 1);
    assert_int_equal(gba_count_challenges(f), 1);
    assert_int_equal(gba_count_keys(f), 0);
    gba_answer_header(f, resp.www_authenticate, GBA_K, h, sizeof(h), &u);
    m2m_mef_response_clear(&resp);
    assert_int_equal(u.outcome, M2M_USIM_OK);
    assert_int_equal(f->usim_sqn, 1);

    gba_ub(f, h, &resp);
    assert_int_equal(resp.http_status, 200);
    assert_true(resp.wait_for_write); /* Ke is durable before the B-TID leaves */
    assert_int_equal(m2m_gba_bootstrap_info_decode(resp.body, strlen(resp.body), &info, &err), 0);
    assert_true(info.lifetime >= now + 3600 && info.lifetime <= now + 3602);
    /* KeID = B-TID = base64(RAND)@BSF FQDN; Ke = Ks = CK || IK (TS 33.220 4.5.2). */
    {
        unsigned char rand[16], autn[16];
        struct m2m_digest_credentials cr;
        assert_int_equal(m2m_digest_credentials_parse(h, &cr, &err), 0);
        assert_int_equal(m2m_digest_nonce_split(cr.nonce, rand, autn, &err), 0);
        assert_int_equal(m2m_keyid_btid_format(rand, GBA_FQDN, want, sizeof(want), &err), 0);
        assert_string_equal(info.btid, want);
        memset(&key, 0, sizeof(key));
        assert_int_equal(m2m_store_key_get(f->st, info.btid, now, &key, &ke, &err), 0);
        assert_true(key.has_gba_rand);
        assert_memory_equal(key.gba_rand, rand, 16);
    }
    assert_string_equal(key.framework, "gba");
    assert_string_equal(key.gba_impi, GBA_IMPI);
    assert_string_equal(key.enrolee_id, "//sp.example.com/CSE9");
    assert_int_equal(m2m_secret_len(ke), 32);
    assert_memory_equal(m2m_secret_cdata(ke), u.ck, 16);
    assert_memory_equal(m2m_secret_cdata(ke) + 16, u.ik, 16);
    gba_last_audit(f, audit, sizeof(audit));
    assert_string_equal(audit, "gbaBootstrap/issued/");
    m2m_secret_free(ke);

    /* The same answer again: the challenge was answered once. */
    m2m_mef_response_clear(&resp);
    gba_ub(f, h, &resp);
    assert_refused(&resp, 403, "already answered");
    assert_int_equal(gba_count_keys(f), 1);
    m2m_mef_response_clear(&resp);
}

static void test_wrong_k(void **state)
{
    struct gba_fx *f = *state;
    struct m2m_mef_response resp;
    char h[M2M_DIGEST_HEADER_MAX], right[M2M_DIGEST_HEADER_MAX], audit[512];

    gba_first_header(GBA_IMPI, h, sizeof(h));
    gba_ub(f, h, &resp);
    assert_int_equal(resp.http_status, 401);
    /* An impostor answers with RES from its own K; the real USIM's answer is kept aside. */
    gba_answer_header(f, resp.www_authenticate, GBA_OTHER, h, sizeof(h), NULL);
    gba_answer_header(f, resp.www_authenticate, GBA_K, right, sizeof(right), NULL);
    m2m_mef_response_clear(&resp);
    gba_ub(f, h, &resp);
    assert_refused(&resp, 403, "does not verify (wrong RES)");
    assert_int_equal(resp.rsc, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
    assert_true(resp.wait_for_write); /* the burn is durable before the refusal */
    assert_int_equal(gba_count_keys(f), 0);
    gba_last_audit(f, audit, sizeof(audit));
    assert_non_null(strstr(audit, "gbaBootstrap/refused/"));
    m2m_mef_response_clear(&resp);
    /* The challenge is spent: even the right RES no longer gets a B-TID on it. */
    gba_ub(f, right, &resp);
    assert_refused(&resp, 403, "already answered");
    assert_int_equal(gba_count_keys(f), 0);
    m2m_mef_response_clear(&resp);
}

static void test_expired_nonce(void **state)
{
    struct gba_fx *f = gba_fx_new(3600, 1);
    struct m2m_mef_response resp;
    char h[M2M_DIGEST_HEADER_MAX];

    (void)state;
    gba_first_header(GBA_IMPI, h, sizeof(h));
    gba_ub(f, h, &resp);
    assert_int_equal(resp.http_status, 401);
    gba_answer_header(f, resp.www_authenticate, GBA_K, h, sizeof(h), NULL);
    m2m_mef_response_clear(&resp);
    sleep(2);
    gba_ub(f, h, &resp);
    assert_refused(&resp, 403, "nonce expired");
    assert_int_equal(gba_count_keys(f), 0);
    m2m_mef_response_clear(&resp);
    /* A new challenge purges the expired one. */
    gba_first_header(GBA_IMPI, h, sizeof(h));
    gba_ub(f, h, &resp);
    assert_int_equal(resp.http_status, 401);
    m2m_mef_response_clear(&resp);
    assert_int_equal(gba_count_challenges(f), 1);
    gba_fx_free(f);
}

static void test_resync(void **state)
{
    struct gba_fx *f = *state;
    struct m2m_mef_response resp;
    struct m2m_usim_result u;
    char h[M2M_DIGEST_HEADER_MAX], forged[M2M_DIGEST_HEADER_MAX], btid[M2M_BTID_MAX + 1];
    unsigned char ks[32], rand[16];

    /* The USIM is ahead of the HSS (another network element used SQNs up to 1000). */
    f->usim_sqn = 1000;
    gba_first_header(GBA_IMPI, h, sizeof(h));
    gba_ub(f, h, &resp);
    assert_int_equal(resp.http_status, 401);
    gba_answer_header(f, resp.www_authenticate, GBA_K, h, sizeof(h), &u);
    m2m_mef_response_clear(&resp);
    assert_int_equal(u.outcome, M2M_USIM_SYNC_FAILURE);
    assert_non_null(strstr(h, "auts=\""));

    /* A forged AUTS (MAC-S flipped) moves nothing. */
    {
        struct m2m_digest_credentials cr;
        struct m2m_error err;
        assert_int_equal(m2m_digest_credentials_parse(h, &cr, &err), 0);
        cr.auts[13] ^= 1;
        assert_int_equal(m2m_digest_credentials_format(&cr, forged, sizeof(forged), &err), 0);
    }
    gba_ub(f, forged, &resp);
    assert_refused(&resp, 403, "does not verify (MAC-S)");
    assert_int_equal(gba_subscriber_sqn(f), 1);
    m2m_mef_response_clear(&resp);

    /* The genuine AUTS is refused too now: the forged report burnt that challenge. */
    gba_ub(f, h, &resp);
    assert_refused(&resp, 403, "already answered");
    m2m_mef_response_clear(&resp);

    /* Again, with the genuine AUTS: the HSS continues after SQN_MS. */
    gba_first_header(GBA_IMPI, h, sizeof(h));
    gba_ub(f, h, &resp);
    gba_answer_header(f, resp.www_authenticate, GBA_K, h, sizeof(h), &u);
    m2m_mef_response_clear(&resp);
    assert_int_equal(u.outcome, M2M_USIM_SYNC_FAILURE);
    gba_ub(f, h, &resp);
    assert_int_equal(resp.http_status, 401);
    assert_non_null(resp.www_authenticate);
    assert_int_equal(gba_subscriber_sqn(f), 1001);
    gba_answer_header(f, resp.www_authenticate, GBA_K, h, sizeof(h), &u);
    m2m_mef_response_clear(&resp);
    assert_int_equal(u.outcome, M2M_USIM_OK);
    assert_int_equal(f->usim_sqn, 1001);
    gba_ub(f, h, &resp);
    assert_int_equal(resp.http_status, 200);
    m2m_mef_response_clear(&resp);
    assert_int_equal(gba_count_keys(f), 1);
    /* And the next bootstrap runs without resynchronisation. */
    gba_bootstrap(f, btid, ks, rand);
    assert_int_equal(gba_subscriber_sqn(f), 1002);
    assert_int_equal(gba_count_keys(f), 2);
}

static void test_unknown_impi(void **state)
{
    struct gba_fx *f = *state;
    struct m2m_mef_response resp;
    char h[M2M_DIGEST_HEADER_MAX], audit[512];

    gba_first_header("999990000000001@ims.example.com", h, sizeof(h));
    gba_ub(f, h, &resp);
    assert_refused(&resp, 404, "is not a subscriber of this BSF");
    assert_int_equal(gba_count_challenges(f), 0);
    assert_int_equal(gba_subscriber_sqn(f), 0);
    gba_last_audit(f, audit, sizeof(audit));
    assert_non_null(strstr(audit, "gbaBootstrap/refused/IMPI 999990000000001@ims.example.com"));
    m2m_mef_response_clear(&resp);
}

static void test_malformed_requests(void **state)
{
    struct gba_fx *f = *state;
    struct m2m_mef_response resp;
    struct m2m_error err;
    static const struct {
        const char *method, *path, *auth;
        int status;
        const char *why;
    } bad[] = {
        {"GET", M2M_BSF_PATH, NULL, 400, "needs Authorization"},
        {"GET", M2M_BSF_PATH, "Basic Zm9vOmJhcg==", 400, "not a Digest header"},
        {"GET", M2M_BSF_PATH, "Digest username=\"" GBA_IMPI "\"", 400, "realm is missing"},
        {"GET", M2M_BSF_PATH,
         "Digest username=\"" GBA_IMPI "\", realm=\"other.example.com\", nonce=\"\", "
         "uri=\"" M2M_BSF_PATH "\", response=\"\"",
         400, "is not this BSF"},
        {"GET", M2M_BSF_PATH,
         "Digest username=\"" GBA_IMPI "\", realm=\"" GBA_FQDN "\", nonce=\"\", "
         "uri=\"/elsewhere\", response=\"\"",
         400, "is not /gba/bootstrap"},
        {"GET", M2M_BSF_PATH,
         "Digest username=\"" GBA_IMPI "\", realm=\"" GBA_FQDN
         "\", nonce=\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\", uri=\"" M2M_BSF_PATH
         "\", response=\"8c4e7dd409f48a4180eb291c078a7253\", qop=auth-int, nc=00000001, "
         "cnonce=\"c\"",
         403, "nonce unknown"},
        {"POST", M2M_BSF_PATH, NULL, 405, "not allowed"},
        {"GET", "/enrolment", NULL, 404, "no resource"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct m2m_mef_request req = {
            .method = bad[i].method, .path = bad[i].path, .authorization = bad[i].auth};
        m2m_bsf_handle(f->mef, f->st, &req, &resp);
        if (resp.http_status != bad[i].status || strstr(resp.body, bad[i].why) == NULL)
            fail_msg("bad[%zu]: %d %s", i, resp.http_status, resp.body);
        if (resp.write != NULL) {
            assert_int_equal(m2m_store_begin(f->st, &err), 0);
            assert_int_equal(m2m_mef_write_apply(resp.write, f->st, &err), 0);
            assert_int_equal(m2m_store_commit(f->st, &err), 0);
        }
        m2m_mef_response_clear(&resp);
    }
    assert_int_equal(gba_count_challenges(f), 0);
    assert_int_equal(gba_subscriber_sqn(f), 0);
    assert_int_equal(gba_count_keys(f), 0);
}

/* Ub is not served on the mutual-TLS listener. */
static void test_not_on_the_mef_listener(void **state)
{
    struct gba_fx *f = *state;
    struct m2m_mef_session s;
    struct m2m_mef_response resp;
    char h[M2M_DIGEST_HEADER_MAX];

    gba_first_header(GBA_IMPI, h, sizeof(h));
    memset(&s, 0, sizeof(s));
    s.cert.flavour = M2M_FLAVOUR_DEVICE;
    snprintf(s.cert.identity, sizeof(s.cert.identity), "0.2.481.1.1");
    {
        struct m2m_mef_request req = {
            .method = "GET", .path = M2M_BSF_PATH, .session = &s, .authorization = h};
        m2m_mef_handle(f->mef, f->st, &req, &resp);
    }
    assert_refused(&resp, 404, "GBA listener");
    assert_null(resp.write);
    assert_int_equal(gba_count_challenges(f), 0);
    m2m_mef_response_clear(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bootstrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_k, setup, teardown),
        cmocka_unit_test(test_expired_nonce),
        cmocka_unit_test_setup_teardown(test_resync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_impi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_on_the_mef_listener, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
