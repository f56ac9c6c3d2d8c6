/* CSE public domain names (TS-0001 6.5.1.1) and AE-ID certificate URIs (TS-0003 10.1.1.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <m2msec/crypto.h>
#include <m2msec/id.h> /* after crypto.h: both define M2M_FQDN_MAX */

static void check_error(int rc, const struct m2m_error *err, enum m2m_errcode code,
                        const char *what, const char *input)
{
    if (rc != -1)
        fail_msg("'%s' was accepted", input);
    if (err->code != code)
        fail_msg("'%s': code %s, expected %s (%s)", input, m2m_errcode_name(err->code),
                 m2m_errcode_name(code), err->msg);
    if (what != NULL && strstr(err->msg, what) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", input, err->msg, what);
}

/* ---- CSE public domain names ---------------------------------------------------------- */

struct domain_row {
    enum m2m_cse_type type;
    const char *cse, *in_cse, *sp;
    const char *out; /* NULL: rejected with code and msg */
    enum m2m_errcode code;
    const char *msg;
};

#define L10 "abcdefghij"
#define L60 L10 L10 L10 L10 L10 L10

static const struct domain_row domain_rows[] = {
    {M2M_CSE_IN, "/IN-CSE", NULL, "m2m.myoperator.org", "in-cse.m2m.myoperator.org", 0, NULL},
    /* the example of TS-0001 6.5.1.1 */
    {M2M_CSE_MN, "/MN-CSEID", "/IN-CSEID", "m2m.myoperator.org",
     "mn-cseid.in-cseid.m2m.myoperator.org", 0, NULL},
    {M2M_CSE_ASN, "//m2m.myoperator.org/asn7", "/in1", NULL, "asn7.in1.m2m.myoperator.org", 0,
     NULL},
    {M2M_CSE_ASN, "/asn7", "//m2m.myoperator.org/in1", NULL, "asn7.in1.m2m.myoperator.org", 0,
     NULL},
    {M2M_CSE_IN, "//sp.example.com/CSE1", NULL, "SP.Example.com.", "cse1.sp.example.com", 0, NULL},
    {M2M_CSE_IN, "/CSE1", "/ignored", "sp.example.com", "cse1.sp.example.com", 0, NULL},
    {M2M_CSE_IN, "/1cse", NULL, "sp.example.com", "1cse.sp.example.com", 0, NULL},
    {M2M_CSE_MN, "/C" L60 "z", "/in", "sp.example.com", "c" L60 "z.in.sp.example.com", 0, NULL},

    {M2M_CSE_IN, "/CSE1", NULL, NULL, NULL, M2M_E_ID_SYNTAX, "no SP domain"},
    {M2M_CSE_MN, "/mn1", NULL, "sp.example.com", NULL, M2M_E_INVALID_ARG, "IN-CSE-ID"},
    {M2M_CSE_MN, "/mn1", "/in1", NULL, NULL, M2M_E_ID_SYNTAX, "no SP domain"},
    {M2M_CSE_IN, "/cse.1", NULL, "sp.example.com", NULL, M2M_E_ID_SYNTAX,
     "CSE-ID as a DNS label: '.' not allowed at offset 3"},
    {M2M_CSE_IN, "/cse_1", NULL, "sp.example.com", NULL, M2M_E_ID_SYNTAX, "'_' not allowed"},
    {M2M_CSE_IN, "/cse1-", NULL, "sp.example.com", NULL, M2M_E_ID_SYNTAX, "ends with a hyphen"},
    {M2M_CSE_MN, "/mn1", "/in_1", "sp.example.com", NULL, M2M_E_ID_SYNTAX,
     "IN-CSE-ID as a DNS label"},
    {M2M_CSE_IN, "/C" L60 "zzz", NULL, "sp.example.com", NULL, M2M_E_ID_SYNTAX, "64 characters"},
    {M2M_CSE_IN, "//a.example.com/CSE1", NULL, "b.example.com", NULL, M2M_E_ID_SYNTAX, "differs"},
    {M2M_CSE_MN, "/mn1", "//other.example/in", "sp.example.com", NULL, M2M_E_ID_SYNTAX, "differs"},
    {M2M_CSE_IN, "/CSE1/Cabc", NULL, "sp.example.com", NULL, M2M_E_ID_SYNTAX,
     "an AE-ID where a CSE-ID is expected"},
    {M2M_CSE_IN, "CSE1", NULL, "sp.example.com", NULL, M2M_E_ID_SYNTAX, "must start with '/'"},
    {M2M_CSE_IN, "/CSE1", NULL, "*.example.com", NULL, M2M_E_ID_SYNTAX, "wildcard"},
    {M2M_CSE_IN, "/C" L60 "a", NULL, L60 "." L60 "." L60 ".example.com", NULL, M2M_E_ID_SYNTAX,
     "at most 253"},
    {(enum m2m_cse_type)7, "/CSE1", NULL, "sp.example.com", NULL, M2M_E_INVALID_ARG, NULL},
};

static void test_cse_public_domain_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(domain_rows) / sizeof(domain_rows[0]); i++) {
        const struct domain_row *r = &domain_rows[i];
        struct m2m_error err;
        char out[M2M_FQDN_MAX + 1];
        int rc =
            m2m_id_cse_public_domain(r->type, r->cse, r->in_cse, r->sp, out, sizeof(out), &err);

        if (r->out == NULL) {
            check_error(rc, &err, r->code, r->msg, r->cse);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' rejected: %s", r->cse, err.msg);
        assert_string_equal(out, r->out);
        /* The name goes into a dNSName: it must itself be a valid, normalised FQDN. */
        assert_int_equal(m2m_fqdn_validate(out, &err), 0);
    }
}

static void test_cse_public_domain_buffer(void **state)
{
    struct m2m_error err;
    char small[8];

    (void)state;
    check_error(m2m_id_cse_public_domain(M2M_CSE_IN, "/CSE1", NULL, "sp.example.com", small,
                                         sizeof(small), &err),
                &err, M2M_E_BUFFER_TOO_SMALL, NULL, "small buffer");
}

/* ---- AE-ID certificate URIs ----------------------------------------------------------- */

struct uri_row {
    const char *ae, *sp_id;
    const char *uri; /* NULL: rejected with msg */
    const char *msg;
};

static const struct uri_row uri_rows[] = {
    {"/CSE1/Cabc", "//sp.example.com", "onem2m://sp.example.com/CSE1/Cabc", NULL},
    {"//sp.example.com/CSE1/Cabc", NULL, "onem2m://sp.example.com/CSE1/Cabc", NULL},
    {"//SP.example.COM/Sabc", NULL, "onem2m://sp.example.com/Sabc", NULL},
    {"/Sabc", "sp.example.com", "onem2m://sp.example.com/Sabc", NULL},
    {"Sabc", "sp.example.com", "onem2m://sp.example.com/Sabc", NULL},
    {"//myoperator.com/cse2/C3532ea3", "//sp.example.com", "onem2m://myoperator.com/cse2/C3532ea3",
     NULL},
    /* fullwidth "／ＣＳＥ１／Ｃａｂｃ" */
    {"\xef\xbc\x8f\xef\xbc\xa3\xef\xbc\xb3\xef\xbc\xa5\xef\xbc\x91\xef\xbc\x8f\xef\xbc\xa3"
     "\xef\xbd\x81\xef\xbd\x82\xef\xbd\x83",
     "sp.example.com", "onem2m://sp.example.com/CSE1/Cabc", NULL},
    {"/CSE1", "sp.example.com", NULL, "must follow its CSE-ID"},
    {"/CSE1/Cabc", NULL, NULL, "needs the configured SP-ID"},
    {"/CSE1/Xabc", "sp.example.com", NULL, "reserved"},
    {"//sp.example.com", NULL, NULL, "an SP-ID where an AE-ID is expected"},
};

static void test_ae_uri_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(uri_rows) / sizeof(uri_rows[0]); i++) {
        const struct uri_row *r = &uri_rows[i];
        struct m2m_error err;
        struct m2m_id id;
        char uri[M2M_AE_URI_MAX + 1], abs[M2M_ID_MAX + 1];
        int rc = m2m_id_ae_uri(r->ae, r->sp_id, uri, sizeof(uri), &err);

        if (r->uri == NULL) {
            check_error(rc, &err, M2M_E_ID_SYNTAX, r->msg, r->ae);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' rejected: %s", r->ae, err.msg);
        assert_string_equal(uri, r->uri);
        /* Round trip: the URI parses back to the absolute AE-ID it was made from. */
        assert_int_equal(m2m_id_ae_uri_parse(uri, &id, &err), 0);
        assert_int_equal(id.kind, M2M_ID_AE);
        assert_int_equal(id.scope, M2M_ID_ABSOLUTE);
        assert_int_equal(m2m_id_format(&id, abs, sizeof(abs), &err), 0);
        assert_string_equal(abs, r->uri + strlen(M2M_AE_URI_SCHEME ":"));
        /* The same string as the canonical id, except for a bare stem, which
         * m2m_id_canonical refuses without the AE-ID expectation. */
        rc = m2m_id_canonical(r->ae, r->sp_id, abs, sizeof(abs), &err);
        if (r->ae[0] != 'S') {
            assert_int_equal(rc, 0);
            assert_string_equal(abs, r->uri + strlen(M2M_AE_URI_SCHEME ":"));
        } else {
            check_error(rc, &err, M2M_E_ID_SYNTAX, "must start with '/'", r->ae);
        }
    }
}

struct uri_parse_row {
    const char *uri;
    const char *abs; /* NULL: rejected with msg */
    const char *msg;
};

static const struct uri_parse_row uri_parse_rows[] = {
    {"onem2m://sp.example.com/CSE1/Cabc", "//sp.example.com/CSE1/Cabc", NULL},
    {"ONEM2M://SP.example.com/Sabc", "//sp.example.com/Sabc", NULL},
    {"oneM2M://sp.example.com/cse-2/C0", "//sp.example.com/cse-2/C0", NULL},
    {"https://sp.example.com/CSE1/Cabc", NULL, "must start with 'onem2m://'"},
    {"onem2m", NULL, "must start with 'onem2m://'"},
    {"onem2m:", NULL, "must be 'onem2m://<SP FQDN>/...'"},
    {"onem2m:/CSE1/Cabc", NULL, "must be 'onem2m://<SP FQDN>/...'"},
    {"onem2m://sp.example.com:443/CSE1/Cabc", NULL, "a port is not allowed"},
    {"onem2m://user@sp.example.com/Sabc", NULL, "userinfo is not allowed"},
    {"onem2m://sp.example.com/CSE1/Cabc?x=1", NULL, "a query is not allowed"},
    {"onem2m://sp.example.com/CSE1/Cabc#f", NULL, "a fragment is not allowed"},
    {"onem2m://sp.example.com/CSE1/C%41bc", NULL, "percent-encoding is not allowed"},
    {"onem2m://sp.example.com/CSE1", NULL, "must follow its CSE-ID"},
    {"onem2m://sp.example.com", NULL, "an SP-ID where an AE-ID is expected"},
    {"onem2m://sp.example.com/CSE1/Cabc/x", NULL, "at most two segments"},
    {"onem2m://*.example.com/Sabc", NULL, "wildcard"},
    {"onem2m:///Sabc", NULL, "empty name"},
};

static void test_ae_uri_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(uri_parse_rows) / sizeof(uri_parse_rows[0]); i++) {
        const struct uri_parse_row *r = &uri_parse_rows[i];
        struct m2m_error err;
        struct m2m_id id;
        char abs[M2M_ID_MAX + 1];
        int rc = m2m_id_ae_uri_parse(r->uri, &id, &err);

        if (r->abs == NULL) {
            check_error(rc, &err, M2M_E_ID_SYNTAX, r->msg, r->uri);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' rejected: %s", r->uri, err.msg);
        assert_int_equal(m2m_id_format(&id, abs, sizeof(abs), &err), 0);
        assert_string_equal(abs, r->abs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cse_public_domain_table),
        cmocka_unit_test(test_cse_public_domain_buffer),
        cmocka_unit_test(test_ae_uri_table),
        cmocka_unit_test(test_ae_uri_parse_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
