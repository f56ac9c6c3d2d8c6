/* FQDNs, SP-IDs, CSE-IDs and AE-IDs: parsing, formatting, canonical forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <m2msec/id.h>

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

/* ---- FQDNs ---------------------------------------------------------------------------- */

struct fqdn_row {
    const char *in;
    const char *norm; /* NULL: must be rejected with msg */
    const char *msg;
};

#define L10 "abcdefghij"
#define L63 L10 L10 L10 L10 L10 L10 "abc"
#define L61 L10 L10 L10 L10 L10 L10 "a"

static const struct fqdn_row fqdn_rows[] = {
    {"example.com", "example.com", NULL},
    {"sp.example.com", "sp.example.com", NULL},
    {"a.b", "a.b", NULL},
    {"MAF1.Example.COM", "maf1.example.com", NULL},
    {"mef.example.com.", "mef.example.com", NULL},
    {"xn--bcher-kva.example", "xn--bcher-kva.example", NULL},
    {"1and1.com", "1and1.com", NULL},
    {"a-b.c-d.example", "a-b.c-d.example", NULL},
    {"192.0.2.example", "192.0.2.example", NULL},
    {L63 ".example.com", L63 ".example.com", NULL},
    {L63 "." L63 "." L63 "." L61, L63 "." L63 "." L63 "." L61, NULL}, /* 253 characters */
    {"", NULL, "empty name"},
    {"localhost", NULL, "single-label name"},
    {"abc..com", NULL, "empty label at offset 4"},
    {".example.com", NULL, "empty label at offset 0"},
    {"example.com..", NULL, "empty label at offset 12"},
    {".", NULL, "empty label at offset 0"},
    {"*.example.com", NULL, "wildcard not allowed"},
    {"a*b.example.com", NULL, "wildcard not allowed"},
    {"-a.example.com", NULL, "starts with a hyphen"},
    {"a-.example.com", NULL, "ends with a hyphen"},
    {"a_b.example.com", NULL, "'_' not allowed at offset 1"},
    {"a b.example.com", NULL, "space not allowed at offset 1"},
    {"user@example.com", NULL, "'@' not allowed at offset 4"},
    {"example.com:443", NULL, "':' not allowed"},
    {"exa/mple.com", NULL, "'/' not allowed"},
    {"b\xc3\xbc"
     "cher.example",
     NULL, "non-ASCII byte at offset 1"},
    {"192.0.2.1", NULL, "all-numeric top-level label"},
    {L63 "a.example.com", NULL, "64 characters"},
    {L63 "." L63 "." L63 "." L61 "b", NULL, "254 characters"},
};

static void test_fqdn_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fqdn_rows) / sizeof(fqdn_rows[0]); i++) {
        const struct fqdn_row *r = &fqdn_rows[i];
        struct m2m_error err;
        char out[M2M_FQDN_MAX + 1];
        int v, n;

        m2m_error_clear(&err);
        v = m2m_fqdn_validate(r->in, &err);
        if (r->norm == NULL) {
            check_error(v, &err, M2M_E_FQDN_SYNTAX, r->msg, r->in);
            n = m2m_fqdn_normalize(r->in, out, sizeof(out), &err);
            check_error(n, &err, M2M_E_FQDN_SYNTAX, r->msg, r->in);
            continue;
        }
        if (v != 0)
            fail_msg("'%s' rejected: %s", r->in, err.msg);
        assert_int_equal(m2m_fqdn_normalize(r->in, out, sizeof(out), &err), 0);
        assert_string_equal(out, r->norm);
    }
}

static void test_fqdn_normalize_buffer(void **state)
{
    struct m2m_error err;
    char small[11];

    (void)state;
    check_error(m2m_fqdn_normalize("sp.example.com", small, sizeof(small), &err), &err,
                M2M_E_BUFFER_TOO_SMALL, NULL, "sp.example.com");
    assert_int_equal(m2m_fqdn_normalize("example.co", small, sizeof(small), &err), 0);
    check_error(m2m_fqdn_validate(NULL, &err), &err, M2M_E_INVALID_ARG, NULL, "NULL");
}

/* NFKC (TS-0003 10.3.2) before FQDN rules. */
static const struct fqdn_row nfkc_rows[] = {
    /* fullwidth "ｍａｆ１" */
    {"\xef\xbd\x8d\xef\xbd\x81\xef\xbd\x86\xef\xbc\x91.example.com", "maf1.example.com", NULL},
    /* fullwidth letters and fullwidth full stops */
    {"\xef\xbd\x8d\xef\xbd\x81\xef\xbd\x86\xef\xbc\x91\xef\xbc\x8e"
     "example\xef\xbc\x8e"
     "com",
     "maf1.example.com", NULL},
    /* U+FB01 LATIN SMALL LIGATURE FI */
    {"\xef\xac\x81le.example.com", "file.example.com", NULL},
    /* fullwidth uppercase, lowercased after NFKC */
    {"\xef\xbc\xad\xef\xbc\xa5\xef\xbc\xa6.example.com", "mef.example.com", NULL},
    /* U+212B ANGSTROM SIGN: NFKC gives U+00C5, still not ASCII */
    {"\xe2\x84\xab.example.com", NULL, "non-ASCII byte at offset 0"},
    /* U+00E9 stays non-ASCII: IDNs must come as A-labels */
    {"caf\xc3\xa9.example.com", NULL, "A-labels"},
};

static void test_fqdn_canonical_nfkc(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(nfkc_rows) / sizeof(nfkc_rows[0]); i++) {
        const struct fqdn_row *r = &nfkc_rows[i];
        struct m2m_error err;
        char out[M2M_FQDN_MAX + 1];
        int rc;

        /* Without NFKC none of these is an FQDN. */
        check_error(m2m_fqdn_validate(r->in, &err), &err, M2M_E_FQDN_SYNTAX, "non-ASCII", r->in);
        rc = m2m_fqdn_canonical(r->in, out, sizeof(out), &err);
        if (r->norm == NULL) {
            check_error(rc, &err, M2M_E_FQDN_SYNTAX, r->msg, r->in);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' rejected: %s", r->in, err.msg);
        assert_string_equal(out, r->norm);
    }
}

static void test_fqdn_canonical_bad_utf8(void **state)
{
    struct m2m_error err;
    char out[M2M_FQDN_MAX + 1];

    (void)state;
    check_error(m2m_fqdn_canonical("\xff.example.com", out, sizeof(out), &err), &err, M2M_E_UTF8,
                NULL, "\\xff.example.com");
}

/* ---- SP-IDs, CSE-IDs, AE-IDs ---------------------------------------------------------- */

struct id_row {
    const char *in;
    enum m2m_id_kind expect;
    enum m2m_id_kind kind; /* 0: must be rejected with msg */
    enum m2m_id_scope scope;
    const char *sp, *cse, *ae;
    const char *fmt; /* what m2m_id_format writes back, NULL: the input itself */
    const char *msg;
};

#define ABS    M2M_ID_ABSOLUTE
#define REL    M2M_ID_SP_RELATIVE
#define STEM   M2M_ID_STEM
#define SEG129 "/C" L63 L63 "ab"

static const struct id_row id_rows[] = {
    {"//sp.example.com", M2M_ID_ANY, M2M_ID_SP, ABS, "sp.example.com", "", "", NULL, NULL},
    {"//SP.Example.com", M2M_ID_SP, M2M_ID_SP, ABS, "sp.example.com", "", "", "//sp.example.com",
     NULL},
    {"/CSE1", M2M_ID_ANY, M2M_ID_CSE, REL, "", "CSE1", "", NULL, NULL},
    {"/CSE1", M2M_ID_CSE, M2M_ID_CSE, REL, "", "CSE1", "", NULL, NULL},
    {"//sp.example.com/CSE1", M2M_ID_CSE, M2M_ID_CSE, ABS, "sp.example.com", "CSE1", "", NULL,
     NULL},
    {"//myoperator.com/cse1", M2M_ID_ANY, M2M_ID_CSE, ABS, "myoperator.com", "cse1", "", NULL,
     NULL},
    {"/cse-1.a_b", M2M_ID_CSE, M2M_ID_CSE, REL, "", "cse-1.a_b", "", NULL, NULL},
    {"/0cse", M2M_ID_CSE, M2M_ID_CSE, REL, "", "0cse", "", NULL, NULL},
    {"/CSE1/Cabc", M2M_ID_ANY, M2M_ID_AE, REL, "", "CSE1", "Cabc", NULL, NULL},
    {"//sp.example.com/CSE1/Cabc", M2M_ID_AE, M2M_ID_AE, ABS, "sp.example.com", "CSE1", "Cabc",
     NULL, NULL},
    {"//myoperator.com/cse2/C3532ea3", M2M_ID_ANY, M2M_ID_AE, ABS, "myoperator.com", "cse2",
     "C3532ea3", NULL, NULL},
    {"/cse2/C3532ea3", M2M_ID_AE, M2M_ID_AE, REL, "", "cse2", "C3532ea3", NULL, NULL},
    {"//myoperator.com/S563423", M2M_ID_AE, M2M_ID_AE, ABS, "myoperator.com", "", "S563423", NULL,
     NULL},
    {"/Sabc", M2M_ID_AE, M2M_ID_AE, REL, "", "", "Sabc", NULL, NULL},
    /* TS-0004 6.2.3 ambiguity: without an expectation "/Sabc" is a CSE-ID */
    {"/Sabc", M2M_ID_ANY, M2M_ID_CSE, REL, "", "Sabc", "", NULL, NULL},
    {"Sabc", M2M_ID_AE, M2M_ID_AE, STEM, "", "", "Sabc", NULL, NULL},
    {"/CSE1/C0.x_y-z", M2M_ID_AE, M2M_ID_AE, REL, "", "CSE1", "C0.x_y-z", NULL, NULL},

    {"", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "empty identifier"},
    {"CSE1", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "must start with '/'"},
    {"Sabc", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "must start with '/'"},
    {"Cabc", M2M_ID_AE, 0, 0, NULL, NULL, NULL, NULL, "or be an S-type AE-ID-Stem"},
    {"/", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "empty CSE-ID at offset 1"},
    {"//", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "SP-ID: empty name"},
    {"///CSE1", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "SP-ID: empty name"},
    {"//sp.example.com/", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "empty CSE-ID at offset 17"},
    {"//sp..example.com/CSE1", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL,
     "SP-ID: empty label at offset 5"},
    {"//*.example.com/CSE1", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "wildcard not allowed"},
    {"//localhost/CSE1", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "single-label"},
    {"//sp.example.com./CSE1", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "empty label"},
    {"//sp.example.com:8080/CSE1", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL,
     "':' not allowed at offset 16"},
    {"/CSE1/", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "empty AE-ID-Stem at offset 6"},
    {"/CSE 1", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "space not allowed in CSE-ID at offset 4"},
    {"/CSE~1", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "'~' not allowed in CSE-ID"},
    {"/CS\xc3\x89", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "non-ASCII byte"},
    {"/-CSE", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "must start with a letter or digit"},
    {"/CSE1/Xabc", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "reserved"},
    {"/CSE1/cabc", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "reserved"},
    {"/Xabc", M2M_ID_AE, 0, 0, NULL, NULL, NULL, NULL, "reserved"},
    {"/CSE1/Sabc", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "cannot follow a CSE-ID"},
    {"/Cabc", M2M_ID_AE, 0, 0, NULL, NULL, NULL, NULL, "must follow its CSE-ID"},
    {"/CSE1/C", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "must be followed by a letter"},
    {"/CSE1/C-x", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "must be followed by a letter"},
    {"/CSE1/Cabc/x", M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "at most two segments"},
    {"/CSE1/Cabc", M2M_ID_CSE, 0, 0, NULL, NULL, NULL, NULL, "an AE-ID where a CSE-ID is expected"},
    {"/CSE1", M2M_ID_SP, 0, 0, NULL, NULL, NULL, NULL, "an SP-ID starts with '//'"},
    {"//sp.example.com/CSE1", M2M_ID_SP, 0, 0, NULL, NULL, NULL, NULL,
     "a CSE-ID where an SP-ID is expected"},
    {"//sp.example.com", M2M_ID_CSE, 0, 0, NULL, NULL, NULL, NULL,
     "an SP-ID where a CSE-ID is expected"},
    {SEG129, M2M_ID_ANY, 0, 0, NULL, NULL, NULL, NULL, "129 characters"},
};

static void check_id_row(const struct id_row *r)
{
    struct m2m_error err;
    struct m2m_id id;
    char out[M2M_ID_MAX + 1];
    int rc = m2m_id_parse(r->in, r->expect, &id, &err);

    if (r->kind == 0) {
        check_error(rc, &err, M2M_E_ID_SYNTAX, r->msg, r->in);
        return;
    }
    if (rc != 0)
        fail_msg("'%s' rejected: %s", r->in, err.msg);
    assert_int_equal(id.kind, r->kind);
    assert_int_equal(id.scope, r->scope);
    assert_string_equal(id.sp, r->sp);
    assert_string_equal(id.cse, r->cse);
    assert_string_equal(id.ae, r->ae);
    assert_int_equal(m2m_id_format(&id, out, sizeof(out), &err), 0);
    assert_string_equal(out, r->fmt != NULL ? r->fmt : r->in);
}

static void test_id_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(id_rows) / sizeof(id_rows[0]); i++)
        check_id_row(&id_rows[i]);
}

static void test_id_format_rejects_bad_struct(void **state)
{
    struct m2m_error err;
    struct m2m_id id;
    char out[M2M_ID_MAX + 1], small[8];

    (void)state;
    memset(&id, 0, sizeof(id));
    id.kind = M2M_ID_CSE;
    id.scope = M2M_ID_ABSOLUTE; /* but no SP */
    strcpy(id.cse, "CSE1");
    check_error(m2m_id_format(&id, out, sizeof(out), &err), &err, M2M_E_ID_SYNTAX, NULL,
                "absolute CSE-ID without SP");
    id.scope = M2M_ID_SP_RELATIVE;
    strcpy(id.cse, "CSE/1");
    check_error(m2m_id_format(&id, out, sizeof(out), &err), &err, M2M_E_ID_SYNTAX, NULL,
                "CSE-ID with '/'");
    strcpy(id.cse, "CSE1");
    id.kind = M2M_ID_AE;
    strcpy(id.ae, "Xabc");
    check_error(m2m_id_format(&id, out, sizeof(out), &err), &err, M2M_E_ID_SYNTAX, "reserved",
                "reserved stem");
    strcpy(id.ae, "Cabc");
    check_error(m2m_id_format(&id, small, sizeof(small), &err), &err, M2M_E_BUFFER_TOO_SMALL, NULL,
                "small buffer");
    assert_int_equal(m2m_id_format(&id, out, sizeof(out), &err), 0);
    assert_string_equal(out, "/CSE1/Cabc");
    /* An uppercase FQDN in the struct comes out lowercase. */
    id.scope = M2M_ID_ABSOLUTE;
    strcpy(id.sp, "SP.Example.com");
    assert_int_equal(m2m_id_format(&id, out, sizeof(out), &err), 0);
    assert_string_equal(out, "//sp.example.com/CSE1/Cabc");
    /* A field without its terminator is never read past its end. */
    memset(id.ae, 'C', sizeof(id.ae));
    check_error(m2m_id_format(&id, out, sizeof(out), &err), &err, M2M_E_ID_SYNTAX, "129 characters",
                "unterminated stem");
    memset(&id, 0, sizeof(id));
    id.kind = (enum m2m_id_kind)9;
    check_error(m2m_id_format(&id, out, sizeof(out), &err), &err, M2M_E_INVALID_ARG, NULL,
                "bad kind");
}

/* ---- canonical form (DESIGN 3, TS-0003 10.3.3) ---------------------------------------- */

struct canon_row {
    const char *id, *sp_id;
    const char *out; /* NULL: rejected with msg */
    const char *msg;
};

static const struct canon_row canon_rows[] = {
    {"/CSE1", "//sp.example.com", "//sp.example.com/CSE1", NULL},
    {"/CSE1", "sp.example.com", "//sp.example.com/CSE1", NULL},
    {"/cse1", "sp.example.com", "//sp.example.com/cse1", NULL}, /* ids stay case-sensitive */
    {"/CSE1/Cabc", "//SP.Example.com", "//sp.example.com/CSE1/Cabc", NULL},
    {"/Sabc", "//sp.example.com", "//sp.example.com/Sabc", NULL},
    {"//other.example.net/CSE2", "//sp.example.com", "//other.example.net/CSE2", NULL},
    {"//Other.Example.NET/CSE2", NULL, "//other.example.net/CSE2", NULL},
    {"//sp.example.com", NULL, "//sp.example.com", NULL},
    /* fullwidth "／ＣＳＥ１" */
    {"\xef\xbc\x8f\xef\xbc\xa3\xef\xbc\xb3\xef\xbc\xa5\xef\xbc\x91", "sp.example.com",
     "//sp.example.com/CSE1", NULL},
    /* fullwidth "ｓｐ" in the SP-ID part of the id */
    {"//\xef\xbd\x93\xef\xbd\x90.example.com/CSE1/C\xef\xbd\x81\xef\xbd\x82", NULL,
     "//sp.example.com/CSE1/Cab", NULL},
    /* NFKC applies to the configured SP-ID too: "ｓｐ．example．com" */
    {"/CSE1",
     "//\xef\xbd\x93\xef\xbd\x90\xef\xbc\x8e"
     "example\xef\xbc\x8e"
     "com",
     "//sp.example.com/CSE1", NULL},
    /* U+2460 CIRCLED DIGIT ONE becomes "1" */
    {"/CSE\xe2\x91\xa0", "sp.example.com", "//sp.example.com/CSE1", NULL},
    /* U+212B ANGSTROM SIGN becomes U+00C5, which no identifier may hold */
    {"/CSE\xe2\x84\xab", "sp.example.com", NULL, "non-ASCII byte"},
    {"/CSE1", NULL, NULL, "needs the configured SP-ID"},
    {"/CSE1", "//localhost", NULL, "single-label"},
    {"/CSE1", "sp_x.example.com", NULL, "'_' not allowed"},
    {"/CSE1", "//sp.example.com/CSE9", NULL, "a CSE-ID where an SP-ID is expected"},
    {"Sabc", "sp.example.com", NULL, "must start with '/'"},
    {"sp.example.com", "sp.example.com", NULL, "must start with '/'"},
};

static void test_id_canonical_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(canon_rows) / sizeof(canon_rows[0]); i++) {
        const struct canon_row *r = &canon_rows[i];
        struct m2m_error err;
        char out[M2M_ID_MAX + 1];
        int rc = m2m_id_canonical(r->id, r->sp_id, out, sizeof(out), &err);

        if (r->out == NULL) {
            check_error(rc, &err, M2M_E_ID_SYNTAX, r->msg, r->id);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' rejected: %s", r->id, err.msg);
        assert_string_equal(out, r->out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fqdn_table),
        cmocka_unit_test(test_fqdn_normalize_buffer),
        cmocka_unit_test(test_fqdn_canonical_nfkc),
        cmocka_unit_test(test_fqdn_canonical_bad_utf8),
        cmocka_unit_test(test_id_table),
        cmocka_unit_test(test_id_format_rejects_bad_struct),
        cmocka_unit_test(test_id_canonical_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
