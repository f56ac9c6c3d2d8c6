/* fetchCredentials for a GBA Ke (SPEC.md section 8; 3GPP TS 33.220 4.5.3, B.3): the MAF named
 * in the subscriber's user security settings gets Ks_NAF equal to the one the Enrolee derives
 * from Ks, RAND, IMPI and NAF_Id = FQDN || Ua id; the B-TID travels percent-encoded and is
 * decoded strictly; a NAF outside the settings, a missing or foreign Ua id, a B-TID of
 * another BSF and an expired B-TID are refused, each audited. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>
#include <m2msec/proto.h>

#include "gba_helpers.h"

struct ctx {
    struct gba_fx *f;
    char btid[M2M_BTID_MAX + 1];
    char enc[3 * M2M_BTID_MAX + 1]; /* the B-TID percent-encoded for a path segment */
    unsigned char ks[32], rand[16];
};

/* RFC 3986 2.1: everything but unreserved characters encoded. */
static void pct_encode(const char *in, char *out, size_t outsz)
{
    size_t n = 0;

    for (; *in != '\0' && n + 4 < outsz; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, outsz - n, "%%%02X", c);
    }
    out[n] = '\0';
}

static int setup_with(void **state, int64_t ke_lifetime)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    c->f = gba_fx_new(ke_lifetime, 60);
    gba_bootstrap(c->f, c->btid, c->ks, c->rand);
    pct_encode(c->btid, c->enc, sizeof(c->enc));
    *state = c;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, 3600);
}

static int teardown(void **state)
{
    struct ctx *c = *state;

    gba_fx_free(c->f);
    free(c);
    return 0;
}

/* A fetch by target on a session proved by its FQDN certificate, write committed. */
static void fetch(struct ctx *c, const char *target, const char *path, const char *query,
                  struct m2m_mef_response *resp)
{
    struct m2m_mef_session s;
    struct m2m_error err;

    memset(&s, 0, sizeof(s));
    s.cert.flavour = M2M_FLAVOUR_FQDN;
    snprintf(s.cert.identity, sizeof(s.cert.identity), "%s", target);
    snprintf(s.cert.trust_set, sizeof(s.cert.trust_set), "targets");
    {
        struct m2m_mef_request req = {
            .method = "GET", .path = path, .origin = target, .session = &s, .query = query};
        m2m_mef_handle(c->f->mef, c->f->st, &req, resp);
    }
    if (resp->write != NULL) {
        assert_int_equal(m2m_store_begin(c->f->st, &err), 0);
        assert_int_equal(m2m_mef_write_apply(resp->write, c->f->st, &err), 0);
        assert_int_equal(m2m_store_commit(c->f->st, &err), 0);
    }
}

static void path_for(const struct ctx *c, const char *segment, char *out, size_t outsz)
{
    snprintf(out, outsz, "/fetchCredentials/%s/21", segment ? segment : c->enc);
}

static void assert_refused(struct ctx *c, const struct m2m_mef_response *r, int status,
                           const char *why)
{
    char audit[512];

    if (r->http_status != status || strstr(r->body, why) == NULL)
        fail_msg("expected %d '%s', got %d %s", status, why, r->http_status, r->body);
    gba_last_audit(c->f, audit, sizeof(audit));
    if (strncmp(audit, "fetchCredentials/refused/", 25) != 0)
        fail_msg("no refusal audited: %s", audit);
}

/* The Enrolee's Ks_NAF and the MEF's are the same key (TS 33.220 B.3). */
static void test_ks_naf_equal(void **state)
{
    struct ctx *c = *state;
    struct m2m_mef_response resp;
    struct m2m_fetch_response fr;
    struct m2m_secret *ks = m2m_secret_from(c->ks, 32, NULL), *mine;
    unsigned char ua[M2M_GBA_UA_ID_LEN];
    char path[512], audit[512];
    struct m2m_error err;

    m2m_gba_ua_tls_psk(0x00ae, ua);
    mine = m2m_gba_ks_naf(ks, c->rand, GBA_IMPI, "maf.example.com", ua, &err);
    assert_non_null(mine);
    path_for(c, NULL, path, sizeof(path));
    fetch(c, "maf.example.com", path, "ua=01000100ae", &resp);
    if (resp.http_status != 200)
        fail_msg("fetch: %d %s", resp.http_status, resp.body);
    assert_true(resp.wait_for_write);
    assert_int_equal(m2m_fetch_response_decode(resp.body, strlen(resp.body), &fr, &err), 0);
    assert_int_equal(fr.credential_len, 32);
    assert_memory_equal(fr.credential, m2m_secret_cdata(mine), 32);
    assert_string_equal(fr.enrolee_id, "//sp.example.com/CSE9");
    gba_last_audit(c->f, audit, sizeof(audit));
    assert_string_equal(audit, "fetchCredentials/issued/");
    m2m_mef_response_clear(&resp);
    /* Another Ua suite (the DTLS one, CCM8) is another key; other parameters are ignored. */
    fetch(c, "maf.example.com", path, "x=1&ua=010001C0A8&y", &resp);
    assert_int_equal(resp.http_status, 200);
    assert_int_equal(m2m_fetch_response_decode(resp.body, strlen(resp.body), &fr, &err), 0);
    assert_memory_not_equal(fr.credential, m2m_secret_cdata(mine), 32);
    m2m_mef_response_clear(&resp);
    /* Only '/' must be encoded: '+' and '=' may travel as they are (RFC 3986 pchar). */
    {
        char seg[3 * M2M_BTID_MAX + 1];
        size_t n = 0;
        for (const char *p = c->btid; *p; p++)
            n += (size_t)(*p == '/' ? snprintf(seg + n, sizeof(seg) - n, "%%2f")
                                    : snprintf(seg + n, sizeof(seg) - n, "%c", *p));
        path_for(c, seg, path, sizeof(path));
    }
    fetch(c, "maf.example.com", path, "ua=01000100ae", &resp);
    assert_int_equal(resp.http_status, 200);
    assert_int_equal(m2m_fetch_response_decode(resp.body, strlen(resp.body), &fr, &err), 0);
    assert_memory_equal(fr.credential, m2m_secret_cdata(mine), 32);
    m2m_mef_response_clear(&resp);
    m2m_secret_free(ks);
    m2m_secret_free(mine);
}

static void test_naf_not_in_settings(void **state)
{
    struct ctx *c = *state;
    struct m2m_mef_response resp;
    char path[512];

    /* maf2 may fetch SUID 21 (target authorisation) but is not in the user's settings. */
    path_for(c, NULL, path, sizeof(path));
    fetch(c, "maf2.example.com", path, "ua=01000100ae", &resp);
    assert_refused(c, &resp, 403, "not in the GBA user security settings");
    assert_int_equal(resp.rsc, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
    m2m_mef_response_clear(&resp);
}

static void test_bad_ua(void **state)
{
    struct ctx *c = *state;
    struct m2m_mef_response resp;
    static const struct {
        const char *query, *why;
    } bad[] = {
        {NULL, "needs ?ua="},
        {"", "needs ?ua="},
        {"other=1", "needs ?ua="},
        {"ua=", "ua needs a value"},
        {"ua", "ua needs a value"},
        {"ua=01000100a", "10 hex digits"},
        {"ua=01000100aeff", "10 hex digits"},
        {"ua=0100010zae", "is not hex"},
        {"ua=0100000002", "not a TLS-PSK Ua protocol"},
        {"ua=01000100ae&ua=01000100ae", "ua given twice"},
    };
    char path[512];

    path_for(c, NULL, path, sizeof(path));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fetch(c, "maf.example.com", path, bad[i].query, &resp);
        if (resp.http_status != 400 || strstr(resp.body, bad[i].why) == NULL)
            fail_msg("bad[%zu]: %d %s", i, resp.http_status, resp.body);
        m2m_mef_response_clear(&resp);
    }
}

static void test_bad_escapes(void **state)
{
    struct ctx *c = *state;
    struct m2m_mef_response resp;
    char path[512], seg[512];
    static const char *const bad[] = {"%", "%2", "%zz", "%00", "%0a", "a b", "a\"b", "%7f"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(seg, sizeof(seg), "%s%s", c->enc, bad[i]);
        path_for(c, seg, path, sizeof(path));
        fetch(c, "maf.example.com", path, "ua=01000100ae", &resp);
        if (resp.http_status != 400)
            fail_msg("bad[%zu] '%s': %d %s", i, bad[i], resp.http_status, resp.body);
        m2m_mef_response_clear(&resp);
    }
}

static void test_foreign_btid(void **state)
{
    struct ctx *c = *state;
    struct m2m_mef_response resp;
    char other[M2M_BTID_MAX + 1], enc[3 * M2M_BTID_MAX + 1], path[512];
    struct m2m_error err;

    assert_int_equal(
        m2m_keyid_btid_format(c->rand, "bsf.other.example.com", other, sizeof(other), &err), 0);
    pct_encode(other, enc, sizeof(enc));
    path_for(c, enc, path, sizeof(path));
    fetch(c, "maf.example.com", path, "ua=01000100ae", &resp);
    assert_refused(c, &resp, 404, "was not issued by mef.example.com");
    m2m_mef_response_clear(&resp);
    /* A B-TID of ours that was never issued. */
    other[0] = other[0] == 'A' ? 'B' : 'A';
    pct_encode(other, enc, sizeof(enc));
    {
        char mine[M2M_BTID_MAX + 1];
        struct m2m_btid b;
        assert_int_equal(m2m_keyid_btid_parse(other, &b, &err), 0);
        assert_int_equal(m2m_keyid_btid_format(b.rand, GBA_FQDN, mine, sizeof(mine), &err), 0);
        pct_encode(mine, enc, sizeof(enc));
    }
    path_for(c, enc, path, sizeof(path));
    fetch(c, "maf.example.com", path, "ua=01000100ae", &resp);
    assert_refused(c, &resp, 404, "KeID");
    m2m_mef_response_clear(&resp);
}

static void test_expired_btid(void **state)
{
    struct ctx *c;
    struct m2m_mef_response resp;
    char path[512];

    setup_with(state, 1);
    c = *state;
    sleep(2);
    path_for(c, NULL, path, sizeof(path));
    fetch(c, "maf.example.com", path, "ua=01000100ae", &resp);
    assert_refused(c, &resp, 403, "expired");
    m2m_mef_response_clear(&resp);
    teardown(state);
}

/* The subscriber removed after the bootstrap: its user security settings are gone too. */
static void test_subscriber_removed(void **state)
{
    struct ctx *c = *state;
    struct m2m_mef_response resp;
    struct m2m_error err;
    char path[512];

    assert_int_equal(m2m_store_gba_subscriber_remove(c->f->st, GBA_IMPI, &err), 0);
    path_for(c, NULL, path, sizeof(path));
    fetch(c, "maf.example.com", path, "ua=01000100ae", &resp);
    assert_refused(c, &resp, 403, "no longer exists");
    m2m_mef_response_clear(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ks_naf_equal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_naf_not_in_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_ua, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_btid, setup, teardown),
        cmocka_unit_test(test_expired_btid),
        cmocka_unit_test_setup_teardown(test_subscriber_removed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
