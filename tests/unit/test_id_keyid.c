/* Key identifiers (TS-0003 10.3.4-10.6), B-TIDs (TS 33.220) and Credential-IDs (TS-0003
 * 10.4, 12.3.2.1). */
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

static const unsigned char seq16[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

#define HEX16    "000102030405060708090a0b0c0d0e0f"
#define HEX16_UP "000102030405060708090A0B0C0D0E0F"
#define L10      "abcdefghij"
#define REL129   L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 "abcdefghi"

/* ---- key identifiers ------------------------------------------------------------------ */

struct keyid_row {
    const char *in;
    const char *canon; /* NULL: rejected with msg */
    int hex;           /* relative part is 16 bytes of hex */
    const char *msg;
};

static const struct keyid_row keyid_rows[] = {
    {HEX16 "@mef.example.com", HEX16 "@mef.example.com", 1, NULL},
    {HEX16_UP "@MEF.Example.com", HEX16 "@mef.example.com", 1, NULL},
    {HEX16 "@maf.example.com.", HEX16 "@maf.example.com", 1, NULL},
    {"my-key_name@maf.example.com", "my-key_name@maf.example.com", 0, NULL},
    {"firstname.lastname@issuer.example.org", "firstname.lastname@issuer.example.org", 0, NULL},
    {"1he83he@x.example", "1he83he@x.example", 0, NULL},
    {"MixedCase@MAF.example.com", "MixedCase@maf.example.com", 0, NULL},
    {"0a0b@mef.example.com", "0a0b@mef.example.com", 0, NULL},
    {"", NULL, 0, "missing '@'"},
    {HEX16, NULL, 0, "missing '@'"},
    {"@mef.example.com", NULL, 0, "empty relative part"},
    {"abc@", NULL, 0, "FQDN: empty name"},
    {"a@b@mef.example.com", NULL, 0, "second '@' at offset 3"},
    {"a b@mef.example.com", NULL, 0, "space not allowed in the relative part (offset 1)"},
    {"a/b@mef.example.com", NULL, 0, "'/' not allowed"},
    {"a:b@mef.example.com", NULL, 0, "':' not allowed"},
    {"k\xc3\xa9y@mef.example.com", NULL, 0, "byte 0xc3 not allowed"},
    {"abc@mef", NULL, 0, "single-label"},
    {"abc@*.example.com", NULL, 0, "wildcard not allowed"},
    {"abc@mef..example.com", NULL, 0, "empty label at offset 8"},
    {"abc@mef_1.example.com", NULL, 0, "'_' not allowed at offset 7"},
    {REL129 "@mef.example.com", NULL, 0, "129 characters"},
};

static void test_keyid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(keyid_rows) / sizeof(keyid_rows[0]); i++) {
        const struct keyid_row *r = &keyid_rows[i];
        struct m2m_error err;
        struct m2m_keyid k;
        char out[M2M_KEYID_TEXT_MAX + 1];
        int rc = m2m_keyid_parse(r->in, &k, &err);

        if (r->canon == NULL) {
            check_error(rc, &err, M2M_E_KEYID_SYNTAX, r->msg, r->in);
            check_error(m2m_keyid_canonical(r->in, out, sizeof(out), &err), &err,
                        M2M_E_KEYID_SYNTAX, r->msg, r->in);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' rejected: %s", r->in, err.msg);
        assert_int_equal(k.has_bin, r->hex);
        if (r->hex)
            assert_memory_equal(k.bin, seq16, 16);
        assert_int_equal(m2m_keyid_canonical(r->in, out, sizeof(out), &err), 0);
        assert_string_equal(out, r->canon);
    }
}

struct hex_row {
    const char *in;
    const char *msg; /* NULL: accepted */
};

static const struct hex_row hex_rows[] = {
    {HEX16 "@mef.example.com", NULL},
    {HEX16_UP "@mef.example.com", NULL},
    {"abc@mef.example.com", "relative part of 3 characters, expected 32 hex digits"},
    {"000102030405060708090a0b0c0d0e0@mef.example.com", "31 characters"},
    {HEX16 "0@mef.example.com", "33 characters"},
    {"000102030405060708090a0b0c0d0e0g@mef.example.com", "'g' at offset 31 is not a hex digit"},
    {"my-key_name@mef.example.com", "11 characters"},
    {HEX16 "@mef", "single-label"},
};

static void test_keyid_parse_hex(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(hex_rows) / sizeof(hex_rows[0]); i++) {
        const struct hex_row *r = &hex_rows[i];
        struct m2m_error err;
        struct m2m_keyid k;
        int rc = m2m_keyid_parse_hex(r->in, &k, &err);

        if (r->msg != NULL) {
            check_error(rc, &err, M2M_E_KEYID_SYNTAX, r->msg, r->in);
            assert_int_equal(k.has_bin, 0);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' rejected: %s", r->in, err.msg);
        assert_memory_equal(k.bin, seq16, 16);
        assert_string_equal(k.rel, HEX16);
        assert_string_equal(k.fqdn, "mef.example.com");
    }
}

static void test_keyid_format(void **state)
{
    struct m2m_error err;
    struct m2m_keyid k;
    char out[M2M_KEYID_TEXT_MAX + 1], small[40];

    (void)state;
    /* TS-0003 10.3.4 and the example of SPEC section 4 */
    assert_int_equal(m2m_keyid_format(seq16, "MEF.example.com.", out, sizeof(out), &err), 0);
    assert_string_equal(out, HEX16 "@mef.example.com");
    assert_int_equal(m2m_keyid_parse_hex(out, &k, &err), 0);
    assert_memory_equal(k.bin, seq16, 16);
    check_error(m2m_keyid_format(seq16, "mef", out, sizeof(out), &err), &err, M2M_E_FQDN_SYNTAX,
                "single-label", "mef");
    check_error(m2m_keyid_format(seq16, "mef.example.com", small, sizeof(small), &err), &err,
                M2M_E_BUFFER_TOO_SMALL, NULL, "small buffer");
    /* A struct filled by hand is re-validated. */
    memset(&k, 0, sizeof(k));
    strcpy(k.rel, "bad rel");
    strcpy(k.fqdn, "mef.example.com");
    check_error(m2m_keyid_to_string(&k, out, sizeof(out), &err), &err, M2M_E_KEYID_SYNTAX, "space",
                "bad rel");
    strcpy(k.rel, "good");
    strcpy(k.fqdn, "MEF.Example.com");
    assert_int_equal(m2m_keyid_to_string(&k, out, sizeof(out), &err), 0);
    assert_string_equal(out, "good@mef.example.com");
    memset(k.rel, 'a', sizeof(k.rel)); /* no terminator */
    check_error(m2m_keyid_to_string(&k, out, sizeof(out), &err), &err, M2M_E_KEYID_SYNTAX,
                "129 characters", "unterminated rel");
}

/* ---- B-TID ---------------------------------------------------------------------------- */

#define RAND_B64 "AAECAwQFBgcICQoLDA0ODw=="

struct btid_row {
    const char *in;
    const char *fqdn; /* NULL: rejected with msg */
    const char *msg;
};

static const struct btid_row btid_rows[] = {
    {RAND_B64 "@bsf.example.com", "bsf.example.com", NULL},
    {RAND_B64 "@BSF.Example.com.", "bsf.example.com", NULL},
    {"AAECAwQFBgcICQoLDA0ODw=@bsf.example.com", NULL, "23 characters, expected 24"},
    {"AAECAwQFBgcICQoLDA0ODwAA@bsf.example.com", NULL, "not base64 of 16 bytes"},
    {"AAECAwQFBgcICQoLDA0ODx==@bsf.example.com", NULL, "not in canonical base64"},
    {"AAECAwQFBgcICQoLDA0OD!==@bsf.example.com", NULL, "not base64"},
    {RAND_B64, NULL, "B-TID: missing '@'"},
    {RAND_B64 "@bsf@example.com", NULL, "B-TID: second '@'"},
    {RAND_B64 "@bsf", NULL, "B-TID BSF FQDN: single-label"},
    {RAND_B64 "@bsf_1.example.com", NULL, "'_' not allowed"},
};

static void test_btid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(btid_rows) / sizeof(btid_rows[0]); i++) {
        const struct btid_row *r = &btid_rows[i];
        struct m2m_error err;
        struct m2m_btid b;
        int rc = m2m_keyid_btid_parse(r->in, &b, &err);

        if (r->fqdn == NULL) {
            check_error(rc, &err, M2M_E_KEYID_SYNTAX, r->msg, r->in);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' rejected: %s", r->in, err.msg);
        assert_memory_equal(b.rand, seq16, 16);
        assert_string_equal(b.fqdn, r->fqdn);
    }
}

static void test_btid_format(void **state)
{
    struct m2m_error err;
    char out[M2M_BTID_MAX + 1], small[24];

    (void)state;
    assert_int_equal(m2m_keyid_btid_format(seq16, "BSF.example.com", out, sizeof(out), &err), 0);
    assert_string_equal(out, RAND_B64 "@bsf.example.com");
    check_error(m2m_keyid_btid_format(seq16, "bsf", out, sizeof(out), &err), &err,
                M2M_E_FQDN_SYNTAX, NULL, "bsf");
    check_error(m2m_keyid_btid_format(seq16, "bsf.example.com", small, sizeof(small), &err), &err,
                M2M_E_BUFFER_TOO_SMALL, NULL, "small buffer");
}

/* ---- Credential-IDs ------------------------------------------------------------------- */

#define A20 "AAAAAAAAAAAAAAAAAAAA"
#define A22 A20 "AA"
#define A43 A20 A20 "AAA"

struct credid_row {
    const char *in;
    enum m2m_credid_type type;
    const char *value; /* canonical value; NULL: rejected with msg */
    const char *msg;
};

static const struct credid_row credid_rows[] = {
    /* the example of TS-0003 12.2 */
    {"10-thiskey@mymef.com", M2M_CREDID_KPM, "thiskey@mymef.com", NULL},
    {"11-" HEX16_UP "@MAF.example.com", M2M_CREDID_KM, HEX16 "@maf.example.com", NULL},
    {"12-psk.1@issuer.example.com", M2M_CREDID_KPSA, "psk.1@issuer.example.com", NULL},
    {"13-pairwise.key_1", M2M_CREDID_ESPRIM_KEY, "pairwise.key_1", NULL},
    {"16-k@x", M2M_CREDID_ESDATA_HMAC_KEY, "k@x", NULL},
    {"30-ni:///sha-256;" A43, M2M_CREDID_RAW_KEY, "ni:///sha-256;" A43, NULL},
    {"30-ni://example.com/sha-256-128;" A22, M2M_CREDID_RAW_KEY,
     "ni://example.com/sha-256-128;" A22, NULL},
    {"51-ni:///sha-256-120;" A20 "", M2M_CREDID_SIG_RAW_KEY, "ni:///sha-256-120;" A20, NULL},
    {"30-ni:///sha-256;" A20 A20 "_-w", M2M_CREDID_RAW_KEY, "ni:///sha-256;" A20 A20 "_-w", NULL},
    {"31-0.2.481.1.100.3030.10011", M2M_CREDID_DEVICE_CERT, "0.2.481.1.100.3030.10011", NULL},
    {"31-urn:dev:mac:0024befffe804ff1", M2M_CREDID_DEVICE_CERT, "urn:dev:mac:0024befffe804ff1",
     NULL},
    {"32-//sp.example.com/CSE1", M2M_CREDID_CSE_CERT, "//sp.example.com/CSE1", NULL},
    {"32-/CSE1", M2M_CREDID_CSE_CERT, "/CSE1", NULL},
    {"33-//SP.example.com/CSE1/Cabc", M2M_CREDID_AE_CERT, "//sp.example.com/CSE1/Cabc", NULL},
    {"33-Sabc", M2M_CREDID_AE_CERT, "Sabc", NULL},
    {"34-urn:gsma:imei:90420156-025763-0", M2M_CREDID_NODE_CERT, "urn:gsma:imei:90420156-025763-0",
     NULL},
    {"43-/CSE1", M2M_CREDID_ENC_CSE_CERT, "/CSE1", NULL},
    {"55-node.1", M2M_CREDID_SIG_NODE_CERT, "node.1", NULL},

    {"", 0, NULL, "must start with a numeric type"},
    {"thiskey@mymef.com", 0, NULL, "must start with a numeric type"},
    {"-10-thiskey@mymef.com", 0, NULL, "must start with a numeric type"},
    {"10thiskey@mymef.com", 0, NULL, "missing '-' after the type at offset 2"},
    {"10_thiskey@mymef.com", 0, NULL, "missing '-'"},
    {"10-", 0, NULL, "empty value"},
    {"010-thiskey@mymef.com", 0, NULL, "leading zero"},
    {"99-abc", 0, NULL, "unknown type 99"},
    {"20-abc", 0, NULL, "unknown type 20"},
    {"0-abc", 0, NULL, "leading zero"},
    {"10-thiskey", 0, NULL, "value: missing '@'"},
    {"11-a b@maf.example.com", 0, NULL, "value: space not allowed"},
    {"12-k@localhost", 0, NULL, "single-label"},
    {"13-a/b", 0, NULL, "'/' not allowed at offset 1"},
    {"13-a:b", 0, NULL, "':' not allowed"},
    {"30-ni:///md5;AAAA", 0, NULL, "algorithm must be"},
    {"30-ni:///sha-256;AAAA", 0, NULL, "digest of 4 characters, expected 43"},
    {"30-ni:///sha-256;" A20 A20 "AAB", 0, NULL, "not in canonical base64url"},
    {"30-ni:///sha-256;" A20 A20 "AA=", 0, NULL, "is not base64url"},
    {"30-ni:///sha-256", 0, NULL, "missing ';'"},
    {"30-sha-256;" A43, 0, NULL, "must be an RFC 6920 'ni://' URI"},
    {"30-ni://bad_host.example/sha-256;" A43, 0, NULL, "authority: '_' not allowed"},
    {"31-3.1.2", 0, NULL, "the first 0, 1 or 2"},
    {"31-1", 0, NULL, "at least two arcs"},
    {"31-0..1", 0, NULL, "bad OID arc at offset 2"},
    {"31-0.02.1", 0, NULL, "bad OID arc at offset 2"},
    {"31-0.2.", 0, NULL, "bad OID arc at offset 4"},
    {"31-abc", 0, NULL, "expected an OID"},
    {"31-urn:dev:foo:1", 0, NULL, "subtype must be"},
    {"31-urn:dev:mac:", 0, NULL, "subtype must be"},
    {"32-CSE1", 0, NULL, "must start with '/'"},
    {"32-/CSE1/Cabc", 0, NULL, "an AE-ID where a CSE-ID is expected"},
    {"33-/CSE1/Xabc", 0, NULL, "reserved"},
    {"33-//localhost/Sabc", 0, NULL, "single-label"},
    {"34-node/1", 0, NULL, "'/' not allowed"},
};

static void test_credid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(credid_rows) / sizeof(credid_rows[0]); i++) {
        const struct credid_row *r = &credid_rows[i];
        struct m2m_error err;
        struct m2m_credid c;
        char out[M2M_CREDID_MAX + 1], again[M2M_CREDID_MAX + 1];
        int rc = m2m_credid_parse(r->in, &c, &err);

        if (r->value == NULL) {
            check_error(rc, &err, M2M_E_CREDID_SYNTAX, r->msg, r->in);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' rejected: %s", r->in, err.msg);
        assert_int_equal(c.type, r->type);
        assert_string_equal(c.value, r->value);
        /* format writes "<type>-<canonical value>", which parses back to itself */
        assert_int_equal(m2m_credid_format(c.type, c.value, out, sizeof(out), &err), 0);
        assert_int_equal(m2m_credid_parse(out, &c, &err), 0);
        assert_int_equal(m2m_credid_format(c.type, c.value, again, sizeof(again), &err), 0);
        assert_string_equal(out, again);
        assert_non_null(m2m_credid_type_name(c.type));
    }
}

static void test_credid_format(void **state)
{
    struct m2m_error err;
    char out[M2M_CREDID_MAX + 1], small[8];

    (void)state;
    assert_int_equal(
        m2m_credid_format(M2M_CREDID_KM, "ABC@MAF.example.com", out, sizeof(out), &err), 0);
    assert_string_equal(out, "11-ABC@maf.example.com");
    check_error(m2m_credid_format((enum m2m_credid_type)17, "x", out, sizeof(out), &err), &err,
                M2M_E_CREDID_SYNTAX, "unknown type 17", "17");
    check_error(m2m_credid_format(M2M_CREDID_CSE_CERT, "CSE1", out, sizeof(out), &err), &err,
                M2M_E_CREDID_SYNTAX, "must start with '/'", "CSE1");
    check_error(m2m_credid_format(M2M_CREDID_KPM, "k@mef.example.com", small, sizeof(small), &err),
                &err, M2M_E_BUFFER_TOO_SMALL, NULL, "small buffer");
    assert_string_equal(m2m_credid_type_name(M2M_CREDID_KM), "KmID");
    assert_null(m2m_credid_type_name((enum m2m_credid_type)99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyid_table),   cmocka_unit_test(test_keyid_parse_hex),
        cmocka_unit_test(test_keyid_format),  cmocka_unit_test(test_btid_table),
        cmocka_unit_test(test_btid_format),   cmocka_unit_test(test_credid_table),
        cmocka_unit_test(test_credid_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
