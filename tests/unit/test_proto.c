/* proto: every message decoder against a table of good and bad bodies, and round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <m2msec/proto.h>

struct body_case {
    const char *body;
    enum m2m_errcode want; /* M2M_OK when the body must decode */
};

static void test_enrol_request_table(void **state)
{
    static const struct body_case cases[] = {
        {"{\"certEnrolment\":true,\"mafEnrolment\":true,\"remoteManagement\":false}", M2M_OK},
        {"{\"certEnrolment\":false,\"mafEnrolment\":false,\"remoteManagement\":false,"
         "\"extra\":1}",
         M2M_OK},
        {"{\"certEnrolment\":1,\"mafEnrolment\":true,\"remoteManagement\":false}",
         M2M_E_BAD_MESSAGE},
        {"{\"certEnrolment\":\"true\",\"mafEnrolment\":true,\"remoteManagement\":false}",
         M2M_E_BAD_MESSAGE},
        {"{\"mafEnrolment\":true,\"remoteManagement\":false}", M2M_E_BAD_MESSAGE},
        {"{\"certEnrolment\":true,\"certEnrolment\":false,\"mafEnrolment\":true,"
         "\"remoteManagement\":false}",
         M2M_E_BAD_MESSAGE},
        {"[true,true,false]", M2M_E_BAD_MESSAGE},
        {"{\"certEnrolment\":true", M2M_E_BAD_MESSAGE},
        {"", M2M_E_BAD_MESSAGE},
        {"null", M2M_E_BAD_MESSAGE},
        {"{\"certEnrolment\":true,\"mafEnrolment\":true,\"remoteManagement\":false} x",
         M2M_E_BAD_MESSAGE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_enrol_request r = {.cert_enrolment = true, .maf_enrolment = true};
        struct m2m_error err = {0};
        int rc = m2m_enrol_request_decode(cases[i].body, strlen(cases[i].body), &r, &err);
        if (cases[i].want == M2M_OK) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(err.code, cases[i].want);
            /* failure leaves the output untouched */
            assert_true(r.cert_enrolment && r.maf_enrolment && !r.remote_management);
        }
    }
}

static void test_body_limit(void **state)
{
    char *big = malloc(M2M_MAX_BODY + 2);
    struct m2m_enrol_request r;
    struct m2m_error err;
    (void)state;
    assert_non_null(big);
    memset(big, ' ', M2M_MAX_BODY + 1);
    big[0] = '{';
    big[M2M_MAX_BODY] = '}';
    big[M2M_MAX_BODY + 1] = '\0';
    assert_int_equal(m2m_enrol_request_decode(big, M2M_MAX_BODY + 1, &r, &err), -1);
    assert_int_equal(err.code, M2M_E_TOO_LARGE);
    free(big);
}

static const char PEM[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

static void test_enrol_response_roundtrip(void **state)
{
    struct m2m_enrol_response r, back;
    struct m2m_error err;
    char *s;
    (void)state;
    memset(&r, 0, sizeof(r));
    strcpy(r.keid, "000102030405060708090a0b0c0d0e0f@mef.example.com");
    strcpy(r.enrolee_id, "//sp.example.com/CSE1");
    r.expires = 1795000000;
    r.n_instructions = 2;
    r.instructions[0].type = M2M_INSTR_MAF_ENROLMENT;
    strcpy(r.instructions[0].credential_type, "symmetric");
    strcpy(r.instructions[0].maf_id, "maf.example.com");
    strcpy(r.instructions[0].maf_uri, "https://maf.example.com:8444");
    strcpy(r.instructions[0].client_registration_uri,
           "https://maf.example.com:8444/clientRegistration");
    r.instructions[0].suid = 21;
    r.instructions[0].lifetime = 86400;
    r.instructions[0].n_anchors = 1;
    r.instructions[0].trust_anchors[0] = (char *)PEM;
    r.instructions[1].type = M2M_INSTR_REMOTE_MANAGEMENT;
    strcpy(r.instructions[1].uri, "coaps://dm.example.com");
    s = m2m_enrol_response_encode(&r, &err);
    assert_non_null(s);
    assert_non_null(strstr(s, "\"expires\":\"2026-11-18T"));
    assert_int_equal(m2m_enrol_response_decode(s, strlen(s), &back, &err), 0);
    assert_string_equal(back.keid, r.keid);
    assert_string_equal(back.enrolee_id, r.enrolee_id);
    assert_int_equal(back.expires, r.expires);
    assert_int_equal(back.n_instructions, 2);
    assert_int_equal(back.instructions[0].suid, 21);
    assert_int_equal(back.instructions[0].lifetime, 86400);
    assert_string_equal(back.instructions[0].maf_id, "maf.example.com");
    assert_string_equal(back.instructions[0].trust_anchors[0], PEM);
    assert_string_equal(back.instructions[1].uri, "coaps://dm.example.com");
    m2m_enrol_response_clear(&back);
    free(s);
}

static void test_instructions_table(void **state)
{
    static const struct body_case cases[] = {
        {"[]", M2M_OK},
        {"[{\"type\":\"mafEnrolment\",\"credentialType\":\"symmetric\","
         "\"mafId\":\"maf.example.com\"}]",
         M2M_OK},
        {"[{\"type\":\"certificateEnrolment\",\"uri\":\"https://ca.example.com\"}]", M2M_OK},
        {"[{\"type\":\"mafEnrolment\",\"credentialType\":\"magic\","
         "\"mafId\":\"maf.example.com\"}]",
         M2M_E_BAD_MESSAGE},
        {"[{\"type\":\"mafEnrolment\",\"credentialType\":\"symmetric\","
         "\"mafId\":\"*.example.com\"}]",
         M2M_E_FQDN_SYNTAX},
        {"[{\"type\":\"mafEnrolment\",\"credentialType\":\"symmetric\","
         "\"mafId\":\"maf.example.com\",\"suid\":99}]",
         M2M_E_BAD_MESSAGE},
        {"[{\"type\":\"mafEnrolment\",\"credentialType\":\"symmetric\","
         "\"mafId\":\"maf.example.com\",\"trustAnchors\":[\"not pem\"]}]",
         M2M_E_BAD_MESSAGE},
        {"[{\"type\":\"teleport\",\"uri\":\"x\"}]", M2M_E_BAD_MESSAGE},
        {"[{\"type\":\"remoteManagement\"}]", M2M_E_BAD_MESSAGE},
        {"[1]", M2M_E_BAD_MESSAGE},
        {"{}", M2M_E_BAD_MESSAGE},
        {"[{},{},{},{},{},{},{},{},{}]", M2M_E_TOO_LARGE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_enrol_response r;
        struct m2m_error err = {0};
        int rc;
        memset(&r, 0, sizeof(r));
        rc = m2m_instructions_decode(cases[i].body, strlen(cases[i].body), &r, &err);
        if (cases[i].want == M2M_OK) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(err.code, cases[i].want);
            assert_int_equal(r.n_instructions, 0);
        }
        m2m_enrol_response_clear(&r);
    }
}

static void test_complete(void **state)
{
    struct m2m_enrol_complete c = {.n_acks = 2,
                                   .acks = {M2M_INSTR_MAF_ENROLMENT, M2M_INSTR_CERT_ENROLMENT}},
                              back;
    struct m2m_error err;
    char *s;
    static const char *bad[] = {
        "{\"keId\":\"a@b.c\"}",
        "{\"keId\":\"a@b.c\",\"acknowledged\":[\"dance\"]}",
        "{\"keId\":5,\"acknowledged\":[]}",
        "{\"keId\":\"a@b.c\",\"acknowledged\":\"mafEnrolment\"}",
    };
    (void)state;
    strcpy(c.keid, "00@mef.example.com");
    s = m2m_enrol_complete_encode(&c, &err);
    assert_non_null(s);
    assert_int_equal(m2m_enrol_complete_decode(s, strlen(s), &back, &err), 0);
    assert_int_equal(back.n_acks, 2);
    assert_int_equal(back.acks[1], M2M_INSTR_CERT_ENROLMENT);
    free(s);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(m2m_enrol_complete_decode(bad[i], strlen(bad[i]), &back, &err), -1);
        assert_int_equal(err.code, M2M_E_BAD_MESSAGE);
    }
}

static void test_fetch_response(void **state)
{
    struct m2m_fetch_response r, back;
    struct m2m_error err;
    char *s;
    static const char *bad[] = {
        "{\"status\":false,\"errorString\":\"no\"}",
        "{\"status\":true,\"credential\":\"!!!!\",\"lifetime\":\"2026-01-01T00:00:00Z\"}",
        "{\"status\":true,\"credential\":\"AAAA\",\"lifetime\":\"tomorrow\"}",
        "{\"status\":true,\"lifetime\":\"2026-01-01T00:00:00Z\"}",
    };
    (void)state;
    memset(&r, 0, sizeof(r));
    memset(r.credential, 0xab, 32);
    r.credential_len = 32;
    strcpy(r.enrolee_id, "//sp.example.com/CSE1");
    r.lifetime = 1800000000;
    s = m2m_fetch_response_encode(&r, &err);
    assert_non_null(s);
    assert_int_equal(m2m_fetch_response_decode(s, strlen(s), &back, &err), 0);
    assert_int_equal(back.credential_len, 32);
    assert_memory_equal(back.credential, r.credential, 32);
    assert_int_equal(back.lifetime, r.lifetime);
    free(s);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(m2m_fetch_response_decode(bad[i], strlen(bad[i]), &back, &err), -1);
}

static void test_root_credential(void **state)
{
    struct m2m_root_credential r, back;
    struct m2m_error err;
    char *s;
    (void)state;
    memset(&r, 0, sizeof(r));
    memset(r.wrapped, 0x11, 40);
    r.wrapped_len = 40;
    strcpy(r.credential_id, "rc-1");
    r.expires = 1800000000;
    r.parameters_json = strdup("{\"inCseId\":\"/in-cse\"}");
    s = m2m_root_credential_encode(&r, &err);
    assert_non_null(s);
    assert_int_equal(m2m_root_credential_decode(s, strlen(s), &back, &err), 0);
    assert_int_equal(back.wrapped_len, 40);
    assert_string_equal(back.parameters_json, "{\"inCseId\":\"/in-cse\"}");
    m2m_root_credential_clear(&back);
    m2m_root_credential_clear(&r);
    free(s);
}

static void test_error_body(void **state)
{
    char *s = m2m_error_body_encode("unknown KeID \"x\"");
    char reason[64];
    (void)state;
    assert_non_null(s);
    assert_string_equal(s, "{\"status\":false,\"errorString\":\"unknown KeID \\\"x\\\"\"}");
    m2m_error_body_decode(s, strlen(s), reason, sizeof(reason));
    assert_string_equal(reason, "unknown KeID \"x\"");
    m2m_error_body_decode("junk", 4, reason, sizeof(reason));
    assert_string_equal(reason, "");
    free(s);
}

static void test_time(void **state)
{
    static const struct {
        const char *s;
        long long t; /* -1: rejected */
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2026-11-23T10:55:11Z", 1795431311},
        {"2026-11-23T10:55:11.123Z", 1795431311},
        {"2026-11-23T12:55:11+02:00", 1795431311},
        {"2026-11-23T08:55:11-02:00", 1795431311},
        {"2026-11-23T10:55:11", -1},
        {"2026-11-23 10:55:11Z", -1},
        {"2026-11-23T10:55:11Zjunk", -1},
        {"2026-13-23T10:55:11Z", -1},
        {"yesterday", -1},
        {"", -1},
        /* found by fuzz_proto: one-digit fields, signed or spaced offsets, bad days */
        {"2026-11-23T1:2:3.000000Z", -1},
        {"6-1-2T0:1:1.2999999Z", -1},
        {"0026-11-23T0:55:1.123+05:30", -1},
        {"2026-11-23T10:55:11+-1:30", -1},
        {"2026-11-23T10:55:11++1:32", -1},
        {"2026-11-23T10:55:11+ 1:30", -1},
        {"2026-02-31T00:00:00Z", -1},
        {"2026-11-23T24:00:00Z", -1},
        {"2026-11-23T10:55:11.Z", -1},
        {"2026-11-23t10:55:11z", 1795431311},
    };
    struct m2m_error err;
    char buf[32];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        time_t t = 42;
        int rc = m2m_time_parse(cases[i].s, &t, &err);
        if (cases[i].t < 0) {
            assert_int_equal(rc, -1);
            assert_int_equal(t, 42);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal((long long)t, cases[i].t);
        }
    }
    assert_int_equal(m2m_time_format(1795431311, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2026-11-23T10:55:11Z");
    /* Years before 1000 keep four digits, so the output parses again (fuzz_proto). */
    {
        time_t t = 0;
        assert_int_equal(m2m_time_parse("0026-11-23T10:55:11Z", &t, &err), 0);
        assert_int_equal((long long)t, -61318472689LL);
    }
    assert_int_equal(m2m_time_format(-61318472689LL, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "0026-11-23T10:55:11Z");
    assert_int_equal(m2m_time_format((time_t)253402300800LL, buf, sizeof(buf)), -1); /* 10000 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enrol_request_table),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_enrol_response_roundtrip),
        cmocka_unit_test(test_instructions_table),
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_fetch_response),
        cmocka_unit_test(test_root_credential),
        cmocka_unit_test(test_error_body),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
