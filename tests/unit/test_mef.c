/* The MEF role, transport aside: a real SQLite store, sessions described directly, an
 * exporter that returns fixed bytes. Every refusal is checked for its status, its reason
 * and for leaving the store unchanged. */
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

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>
#include <m2msec/mef.h>
#include <m2msec/proto.h>
#include <m2msec/store.h>

struct fx {
    char dir[64];
    struct m2m_store *st;
    struct m2m_secret *kek;
    struct m2m_mef *mef;
    unsigned char export48[48];
};

static const char INSTR[] = "[{\"type\":\"mafEnrolment\",\"credentialType\":\"symmetric\","
                            "\"mafId\":\"maf.example.com\",\"suid\":21},"
                            "{\"type\":\"remoteManagement\",\"uri\":\"coaps://dm.example.com\"}]";
static const char DEVICE[] = "0.2.481.1.100.3030.10011";

static int fake_export(void *ctx, const char *label, unsigned char *out, size_t len,
                       struct m2m_error *err)
{
    struct fx *f = ctx;
    unsigned char tweak = strcmp(label, "EXPORTER-oneM2M-Bootstrap") == 0 ? 0 : 0x5a;
    (void)err;
    /* Another label gives other bytes, as RFC 5705 does. */
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)(f->export48[i % 48] ^ tweak);
    return 0;
}

static void cert_session(struct fx *f, struct m2m_mef_session *s, enum m2m_flavour fl,
                         const char *identity, const char *trust)
{
    memset(s, 0, sizeof(*s));
    s->cert.flavour = fl;
    snprintf(s->cert.identity, sizeof(s->cert.identity), "%s", identity);
    snprintf(s->cert.trust_set, sizeof(s->cert.trust_set), "%s", trust);
    s->exporter = fake_export;
    s->exporter_ctx = f;
}

static void psk_session(struct fx *f, struct m2m_mef_session *s, const char *identity)
{
    memset(s, 0, sizeof(*s));
    s->is_psk = true;
    snprintf(s->psk_identity, sizeof(s->psk_identity), "%s", identity);
    s->exporter = fake_export;
    s->exporter_ctx = f;
}

/* Runs one request and commits its write as the daemon's writer would. */
static void run(struct fx *f, const char *method, const char *path, const char *origin,
                const char *body, const struct m2m_mef_session *s, struct m2m_mef_response *resp)
{
    struct m2m_mef_request req = {.method = method,
                                  .path = path,
                                  .origin = origin,
                                  .body = body,
                                  .body_len = body ? strlen(body) : 0,
                                  .session = s};
    struct m2m_error err;

    m2m_mef_handle(f->mef, f->st, &req, resp);
    if (resp->write != NULL) {
        assert_int_equal(m2m_store_begin(f->st, &err), 0);
        assert_int_equal(m2m_mef_write_apply(resp->write, f->st, &err), 0);
        assert_int_equal(m2m_store_commit(f->st, &err), 0);
    }
}

static int count_keys_cb(const struct m2m_store_key *k, void *arg)
{
    (void)k;
    (*(int *)arg)++;
    return 0;
}

static int count_keys(struct fx *f)
{
    int n = 0;
    struct m2m_error err;
    assert_int_equal(m2m_store_key_list(f->st, NULL, count_keys_cb, &n, &err), 0);
    return n;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char url[128];
    struct m2m_error err;
    struct m2m_mef_config cfg = {0};
    struct m2m_store_enrolee e = {0};
    struct m2m_store_target t = {0};
    struct m2m_store_psk_enrolee pe = {0};
    struct m2m_secret *kpm;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-mef-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(url, sizeof(url), "sqlite:%s/mef.db", f->dir);
    f->kek = m2m_secret_new(32, &err);
    assert_int_equal(m2m_random(m2m_secret_data(f->kek), 32, &err), 0);
    f->st = m2m_store_open(url, f->kek, &err);
    assert_non_null(f->st);
    for (int i = 0; i < 48; i++)
        f->export48[i] = (unsigned char)(i * 7 + 1);
    snprintf(cfg.fqdn, sizeof(cfg.fqdn), "MEF.example.com");
    snprintf(cfg.sp_id, sizeof(cfg.sp_id), "//sp.example.com");
    snprintf(cfg.in_cse_id, sizeof(cfg.in_cse_id), "in-cse");
    f->mef = m2m_mef_new(&cfg, &err);
    assert_non_null(f->mef);
    /* A device registered individually, a PSK enrolee, a MAF and a CSE as targets. */
    snprintf(e.enrolee_id, sizeof(e.enrolee_id), "//sp.example.com/CSE1001");
    e.flavour = M2M_FLAVOUR_DEVICE;
    snprintf(e.identity, sizeof(e.identity), "%s", DEVICE);
    snprintf(e.trust_set, sizeof(e.trust_set), "devices");
    e.ke_lifetime = 3600;
    e.instructions = (char *)INSTR;
    assert_int_equal(m2m_store_enrolee_add(f->st, &e, &err), 0);
    snprintf(pe.kpm_id, sizeof(pe.kpm_id), "kpm-01@mef.example.com");
    snprintf(pe.enrolee_id, sizeof(pe.enrolee_id), "//sp.example.com/CSE2002");
    pe.ke_lifetime = 3600;
    kpm = m2m_secret_from("0123456789abcdef", 16, &err);
    assert_int_equal(m2m_store_psk_enrolee_add(f->st, &pe, kpm, &err), 0);
    m2m_secret_free(kpm);
    snprintf(t.target_id, sizeof(t.target_id), "maf.example.com");
    assert_int_equal(m2m_store_target_add(f->st, &t, NULL, &err), 0);
    assert_int_equal(m2m_store_auth_add(f->st, "maf.example.com", 21, "*", &err), 0);
    snprintf(t.target_id, sizeof(t.target_id), "//sp.example.com/CSE7");
    assert_int_equal(m2m_store_target_add(f->st, &t, NULL, &err), 0);
    assert_int_equal(
        m2m_store_auth_add(f->st, "//sp.example.com/CSE7", 22, "//sp.example.com/CSE1001", &err),
        0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    m2m_mef_free(f->mef);
    m2m_store_close(f->st);
    m2m_secret_free(f->kek);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static const char REQ[] =
    "{\"certEnrolment\":false,\"mafEnrolment\":true,\"remoteManagement\":false}";

/* Enrols the device; returns its KeID in keid. */
static void enrol_device(struct fx *f, char *keid, size_t keidsz)
{
    struct m2m_mef_session s;
    struct m2m_mef_response r;
    struct m2m_enrol_response er;
    struct m2m_error err;
    char want[M2M_KEYID_MAX];

    cert_session(f, &s, M2M_FLAVOUR_DEVICE, DEVICE, "devices");
    run(f, "POST", "/enrolment", DEVICE, REQ, &s, &r);
    assert_int_equal(r.http_status, 201);
    assert_int_equal(r.rsc, M2M_RSC_CREATED);
    assert_true(r.wait_for_write);
    assert_int_equal(m2m_enrol_response_decode(r.body, strlen(r.body), &er, &err), 0);
    /* KeID = hex(first 16 exported bytes) @ the MEF FQDN, lowercased (TS-0003 10.3.1). */
    assert_int_equal(m2m_export_split(f->export48, "mef.example.com", NULL, want, &err), 0);
    assert_string_equal(er.keid, want);
    assert_string_equal(er.enrolee_id, "//sp.example.com/CSE1001");
    /* Only the instruction the enrolee is prepared for; lifetime bounded by Ke's. */
    assert_int_equal(er.n_instructions, 1);
    assert_int_equal(er.instructions[0].type, M2M_INSTR_MAF_ENROLMENT);
    assert_true(er.instructions[0].lifetime > 0 && er.instructions[0].lifetime <= 3600);
    snprintf(keid, keidsz, "%s", er.keid);
    m2m_enrol_response_clear(&er);
    m2m_mef_response_clear(&r);
}

static void test_enrol_and_fetch_km(void **state)
{
    struct fx *f = *state;
    struct m2m_mef_session maf;
    struct m2m_mef_response r;
    struct m2m_fetch_response fr;
    struct m2m_secret *ke, *km;
    struct m2m_error err;
    char keid[M2M_KEYID_MAX], path[400];

    enrol_device(f, keid, sizeof(keid));
    assert_int_equal(count_keys(f), 1);
    cert_session(f, &maf, M2M_FLAVOUR_FQDN, "maf.example.com", "targets");
    snprintf(path, sizeof(path), "/fetchCredentials/%s/21", keid);
    run(f, "GET", path, "maf.example.com", NULL, &maf, &r);
    assert_int_equal(r.http_status, 200);
    assert_int_equal(m2m_fetch_response_decode(r.body, strlen(r.body), &fr, &err), 0);
    /* The credential is Km = HMAC(Ke, label || MAF-ID), Ke from this very export. */
    ke = m2m_secret_from(f->export48 + 16, 32, &err);
    km = m2m_derive_km(ke, "maf.example.com", &err);
    assert_int_equal(fr.credential_len, 32);
    assert_memory_equal(fr.credential, m2m_secret_cdata(km), 32);
    assert_string_equal(fr.enrolee_id, "//sp.example.com/CSE1001");
    assert_true(fr.lifetime > time(NULL) && fr.lifetime <= time(NULL) + 3600);
    m2m_secret_free(ke);
    m2m_secret_free(km);
    m2m_mef_response_clear(&r);
}

static void test_fetch_kpsa_for_cse(void **state)
{
    struct fx *f = *state;
    struct m2m_mef_session cse;
    struct m2m_mef_response r;
    struct m2m_fetch_response fr;
    struct m2m_secret *ke, *kpsa;
    struct m2m_error err;
    char keid[M2M_KEYID_MAX], path[400];

    enrol_device(f, keid, sizeof(keid));
    /* CSE7 under IN-CSE in-cse: its certificate names cse7.in-cse.sp.example.com. */
    cert_session(f, &cse, M2M_FLAVOUR_CSE_ID, "cse7.in-cse.sp.example.com", "targets");
    snprintf(path, sizeof(path), "/fetchCredentials/%s/22", keid);
    run(f, "GET", path, "/CSE7", NULL, &cse, &r); /* SP-relative originator */
    assert_int_equal(r.http_status, 200);
    assert_int_equal(m2m_fetch_response_decode(r.body, strlen(r.body), &fr, &err), 0);
    ke = m2m_secret_from(f->export48 + 16, 32, &err);
    kpsa = m2m_derive_kpsa(ke, "//sp.example.com/CSE7", &err);
    assert_memory_equal(fr.credential, m2m_secret_cdata(kpsa), 32);
    m2m_secret_free(ke);
    m2m_secret_free(kpsa);
    m2m_mef_response_clear(&r);
}

struct refusal {
    const char *name;
    const char *origin;
    enum m2m_flavour fl;
    const char *identity;
    const char *suffix; /* after the KeID in the path, or a whole path when it starts with / */
    int status;
    const char *reason;
};

static void test_fetch_refusals(void **state)
{
    static const struct refusal cases[] = {
        {"target not authorised for SUID", "maf.example.com", M2M_FLAVOUR_FQDN, "maf.example.com",
         "/22", 403, "may not fetch SUID 22"},
        {"CSE not authorised for SUID 21", "//sp.example.com/CSE7", M2M_FLAVOUR_CSE_ID,
         "cse7.in-cse.sp.example.com", "/21", 403, "may not fetch"},
        {"originator differs from certificate", "other.example.com", M2M_FLAVOUR_FQDN,
         "maf.example.com", "/21", 403, "is not the identity this session proved"},
        {"wrong flavour for originator", "maf.example.com", M2M_FLAVOUR_AE_ID, "maf.example.com",
         "/21", 403, "is not the identity"},
        {"AE certificate for a CSE originator", "//sp.example.com/CSE7", M2M_FLAVOUR_AE_ID,
         "cse7.in-cse.sp.example.com", "/22", 403, "is not the identity"},
        {"unregistered target", "rogue.example.com", M2M_FLAVOUR_FQDN, "rogue.example.com", "/21",
         403, "may not fetch"},
        {"no originator", NULL, M2M_FLAVOUR_FQDN, "maf.example.com", "/21", 400,
         "missing X-M2M-Origin"},
        {"undefined SUID", "maf.example.com", M2M_FLAVOUR_FQDN, "maf.example.com", "/99", 400,
         "not a defined SUID"},
        {"non-numeric SUID", "maf.example.com", M2M_FLAVOUR_FQDN, "maf.example.com", "/x", 400,
         "is not a SUID"},
        {"unknown KeID", "maf.example.com", M2M_FLAVOUR_FQDN, "maf.example.com",
         "/fetchCredentials/000102030405060708090a0b0c0d0e0f@mef.example.com/21", 404,
         "no such record"},
        {"KeID of another MEF", "maf.example.com", M2M_FLAVOUR_FQDN, "maf.example.com",
         "/fetchCredentials/000102030405060708090a0b0c0d0e0f@mef.other.com/21", 404,
         "was not issued by mef.example.com"},
        {"malformed KeID", "maf.example.com", M2M_FLAVOUR_FQDN, "maf.example.com",
         "/fetchCredentials/not-a-keid/21", 400, ""},
        {"missing SUID", "maf.example.com", M2M_FLAVOUR_FQDN, "maf.example.com",
         "/fetchCredentials/abc", 400, "path must be"},
    };
    struct fx *f = *state;
    char keid[M2M_KEYID_MAX], path[500];
    struct m2m_error err;

    enrol_device(f, keid, sizeof(keid));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_mef_session s;
        struct m2m_mef_response r;
        uint64_t n = 0;
        if (cases[i].suffix[0] == '/' && strncmp(cases[i].suffix, "/fetch", 6) == 0)
            snprintf(path, sizeof(path), "%s", cases[i].suffix);
        else
            snprintf(path, sizeof(path), "/fetchCredentials/%s%s", keid, cases[i].suffix);
        cert_session(f, &s, cases[i].fl, cases[i].identity, "targets");
        run(f, "GET", path, cases[i].origin, NULL, &s, &r);
        if (r.http_status != cases[i].status || strstr(r.body, cases[i].reason) == NULL)
            fail_msg("%s: got %d %s", cases[i].name, r.http_status, r.body);
        assert_non_null(strstr(r.body, "\"status\":false"));
        assert_false(r.wait_for_write); /* a refusal is answered at once ... */
        assert_non_null(r.write);       /* ... and audited */
        m2m_mef_response_clear(&r);
        (void)n;
    }
    assert_int_equal(count_keys(f), 1);
    (void)err;
}

static void test_fetch_revoked_and_expired(void **state)
{
    struct fx *f = *state;
    struct m2m_mef_session maf;
    struct m2m_mef_response r;
    struct m2m_store_key k = {0};
    struct m2m_secret *ke;
    struct m2m_error err;
    char keid[M2M_KEYID_MAX], path[400];

    enrol_device(f, keid, sizeof(keid));
    cert_session(f, &maf, M2M_FLAVOUR_FQDN, "maf.example.com", "targets");
    assert_int_equal(m2m_store_key_revoke(f->st, keid, time(NULL), &err), 0);
    snprintf(path, sizeof(path), "/fetchCredentials/%s/21", keid);
    run(f, "GET", path, "maf.example.com", NULL, &maf, &r);
    assert_int_equal(r.http_status, 403);
    assert_non_null(strstr(r.body, "revoked"));
    m2m_mef_response_clear(&r);
    /* An expired key, added directly. */
    snprintf(k.keid, sizeof(k.keid), "ffffffffffffffffffffffffffffffff@mef.example.com");
    snprintf(k.enrolee_id, sizeof(k.enrolee_id), "//sp.example.com/CSE1001");
    snprintf(k.framework, sizeof(k.framework), "cert");
    k.created = time(NULL) - 100;
    k.expires = time(NULL) - 1;
    ke = m2m_secret_from(f->export48, 32, &err);
    assert_int_equal(m2m_store_key_add(f->st, &k, ke, &err), 0);
    m2m_secret_free(ke);
    snprintf(path, sizeof(path), "/fetchCredentials/%s/21", k.keid);
    run(f, "GET", path, "maf.example.com", NULL, &maf, &r);
    assert_int_equal(r.http_status, 403);
    assert_non_null(strstr(r.body, "expired"));
    m2m_mef_response_clear(&r);
}

static void test_enrol_refusals(void **state)
{
    struct fx *f = *state;
    struct m2m_mef_session s;
    struct m2m_mef_response r;
    static const struct {
        const char *body;
        int status;
        const char *reason;
    } bodies[] = {
        {"{", 400, "invalid JSON"},
        {"{\"certEnrolment\":\"yes\",\"mafEnrolment\":true,\"remoteManagement\":false}", 400,
         "must be a boolean"},
        {"{\"mafEnrolment\":true}", 400, "missing member"},
        {"[]", 400, "not a JSON object"},
    };

    cert_session(f, &s, M2M_FLAVOUR_DEVICE, DEVICE, "devices");
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        run(f, "POST", "/enrolment", NULL, bodies[i].body, &s, &r);
        assert_int_equal(r.http_status, bodies[i].status);
        assert_non_null(strstr(r.body, bodies[i].reason));
        m2m_mef_response_clear(&r);
    }
    /* An unregistered device, a device under the wrong trust set, an unknown KpmID. */
    cert_session(f, &s, M2M_FLAVOUR_DEVICE, "0.2.481.1.100.3030.99999", "devices");
    run(f, "POST", "/enrolment", NULL, REQ, &s, &r);
    assert_int_equal(r.http_status, 403);
    assert_non_null(strstr(r.body, "not a registered enrolee"));
    m2m_mef_response_clear(&r);
    cert_session(f, &s, M2M_FLAVOUR_DEVICE, DEVICE, "enterprise-x");
    run(f, "POST", "/enrolment", NULL, REQ, &s, &r);
    assert_int_equal(r.http_status, 403);
    m2m_mef_response_clear(&r);
    psk_session(f, &s, "kpm-unknown@mef.example.com");
    run(f, "POST", "/enrolment", NULL, REQ, &s, &r);
    assert_int_equal(r.http_status, 403);
    m2m_mef_response_clear(&r);
    /* No session at all; unknown path; wrong method. */
    run(f, "POST", "/enrolment", NULL, REQ, NULL, &r);
    assert_int_equal(r.http_status, 403);
    m2m_mef_response_clear(&r);
    cert_session(f, &s, M2M_FLAVOUR_DEVICE, DEVICE, "devices");
    run(f, "POST", "/nowhere", NULL, REQ, &s, &r);
    assert_int_equal(r.http_status, 404);
    m2m_mef_response_clear(&r);
    run(f, "GET", "/enrolment", NULL, NULL, &s, &r);
    assert_int_equal(r.http_status, 405);
    m2m_mef_response_clear(&r);
    assert_int_equal(count_keys(f), 0); /* nothing refused left a key behind */
}

static void test_psk_enrolment_and_lookup(void **state)
{
    struct fx *f = *state;
    struct m2m_mef_session s;
    struct m2m_mef_response r;
    struct m2m_secret *key = NULL;
    struct m2m_error err;

    assert_int_equal(m2m_mef_psk_lookup(f->st, "kpm-01@mef.example.com", &key, &err), 0);
    assert_int_equal(m2m_secret_len(key), 16);
    m2m_secret_free(key);
    assert_int_equal(m2m_mef_psk_lookup(f->st, "nobody", &key, &err), -1);
    assert_int_equal(err.code, M2M_E_TLS_PSK_UNKNOWN);
    /* A target without a PSK cannot use one. */
    assert_int_equal(m2m_mef_psk_lookup(f->st, "maf.example.com", &key, &err), -1);
    psk_session(f, &s, "kpm-01@mef.example.com");
    run(f, "POST", "/enrolment", NULL, REQ, &s, &r);
    assert_int_equal(r.http_status, 201);
    assert_non_null(strstr(r.body, "//sp.example.com/CSE2002"));
    m2m_mef_response_clear(&r);
}

static void test_complete_binds_session(void **state)
{
    struct fx *f = *state;
    struct m2m_mef_session s;
    struct m2m_mef_response r;
    char keid[M2M_KEYID_MAX], body[600];

    enrol_device(f, keid, sizeof(keid));
    cert_session(f, &s, M2M_FLAVOUR_DEVICE, DEVICE, "devices");
    snprintf(body, sizeof(body), "{\"keId\":\"%s\",\"acknowledged\":[\"mafEnrolment\"]}", keid);
    run(f, "POST", "/enrolment/complete", NULL, body, &s, &r);
    assert_int_equal(r.http_status, 200);
    assert_true(r.close);
    m2m_mef_response_clear(&r);
    /* The same acknowledgement from another session (different export) is refused. */
    f->export48[0] ^= 0xff;
    run(f, "POST", "/enrolment/complete", NULL, body, &s, &r);
    assert_int_equal(r.http_status, 403);
    assert_non_null(strstr(r.body, "not enrolled on this session"));
    m2m_mef_response_clear(&r);
}

static void test_root_credential(void **state)
{
    struct fx *f = *state;
    struct m2m_mef_session s;
    struct m2m_mef_response r;
    struct m2m_root_credential rc;
    struct m2m_secret *kek, *cred;
    unsigned char wk[32];
    struct m2m_error err;

    cert_session(f, &s, M2M_FLAVOUR_DEVICE, DEVICE, "devices");
    run(f, "POST", "/rootCredential", NULL, "{}", &s, &r);
    assert_int_equal(r.http_status, 201);
    assert_int_equal(m2m_root_credential_decode(r.body, strlen(r.body), &rc, &err), 0);
    /* The enrolee unwraps with its own export of the wrap label. */
    assert_int_equal(fake_export(f, "EXPORTER-m2msec-root-credential-wrap", wk, 32, &err), 0);
    kek = m2m_secret_from(wk, 32, &err);
    cred = m2m_aes_unwrap(kek, 0, rc.wrapped, rc.wrapped_len, &err);
    assert_non_null(cred);
    assert_int_equal(m2m_secret_len(cred), 32);
    m2m_secret_free(cred);
    m2m_secret_free(kek);
    m2m_root_credential_clear(&rc);
    m2m_mef_response_clear(&r);
    psk_session(f, &s, "kpm-01@mef.example.com");
    run(f, "POST", "/rootCredential", NULL, "{}", &s, &r);
    assert_int_equal(r.http_status, 403);
    m2m_mef_response_clear(&r);
}

static void test_template(void **state)
{
    char out[64];
    struct m2m_error err;
    (void)state;
    assert_int_equal(m2m_mef_expand_template("/CSE-{suffix}", "0.2.481.1.100.7", "0.2.481.1.", out,
                                             sizeof(out), &err),
                     0);
    assert_string_equal(out, "/CSE-100.7");
    assert_int_equal(m2m_mef_expand_template("{identity}", "abc", "", out, sizeof(out), &err), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(m2m_mef_expand_template("{identity}{identity}{identity}",
                                             "0123456789012345678901234", "", out, sizeof(out),
                                             &err),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enrol_and_fetch_km, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_kpsa_for_cse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_revoked_and_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enrol_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psk_enrolment_and_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_binds_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_credential, setup, teardown),
        cmocka_unit_test(test_template),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
