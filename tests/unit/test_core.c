/* core: errors, secret buffers, hex, base64, NFKC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <m2msec/encoding.h>
#include <m2msec/error.h>
#include <m2msec/secret.h>

static void test_error_table(void **state)
{
    (void)state;
    /* Every code has a distinct name and a category; unknown codes read as internal. */
    for (int a = 0; a < M2M_E__COUNT; a++) {
        assert_non_null(m2m_errcode_name(a));
        assert_non_null(m2m_errcode_text(a));
        for (int b = a + 1; b < M2M_E__COUNT; b++)
            assert_string_not_equal(m2m_errcode_name(a), m2m_errcode_name(b));
    }
    assert_string_equal(m2m_errcode_name((enum m2m_errcode)9999), "internal");
    assert_int_equal(m2m_errcode_category(M2M_E_CERT_EXPIRED), M2M_CAT_VERIFY);
    assert_int_equal(m2m_errcode_category(M2M_E_HEX), M2M_CAT_USAGE);
}

static void test_error_set(void **state)
{
    struct m2m_error err;
    (void)state;
    m2m_error_clear(&err);
    assert_int_equal(err.code, M2M_OK);
    assert_int_equal(m2m_error_set(&err, M2M_E_HEX, "offset %d", 3), -1);
    assert_int_equal(err.code, M2M_E_HEX);
    assert_string_equal(err.msg, "malformed hex: offset 3");
    assert_int_equal(m2m_error_category(&err), M2M_CAT_USAGE);
    assert_int_equal(m2m_error_set(NULL, M2M_E_HEX, "x"), -1); /* NULL err is allowed */
}

struct hexcase {
    const char *in;
    int ok;
    size_t len;
};

static void test_hex_table(void **state)
{
    static const struct hexcase cases[] = {
        {"", 1, 0},     {"00", 1, 1},     {"aBcD", 1, 2},       {"0", 0, 0},
        {"0g", 0, 0},   {"zz", 0, 0},     {" 00", 0, 0},        {"00 ", 0, 0},
        {"0x00", 0, 0}, {"000102", 1, 3}, {"0001020304", 0, 0}, /* exceeds the 4-byte output
                                                                   capacity */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char out[4];
        size_t n = 99;
        struct m2m_error err;
        int rc = m2m_hex_decode(cases[i].in, out, sizeof(out), &n, &err);
        assert_int_equal(rc, cases[i].ok ? 0 : -1);
        if (cases[i].ok)
            assert_int_equal(n, cases[i].len);
        else
            assert_int_equal(n, 99); /* failure changes nothing */
    }
}

static void test_hex_roundtrip(void **state)
{
    unsigned char in[3] = {0x00, 0xab, 0xff}, back[3];
    char hex[7], small[6];
    size_t n;
    struct m2m_error err;
    (void)state;
    assert_int_equal(m2m_hex_encode(in, 3, hex, sizeof(hex), &err), 0);
    assert_string_equal(hex, "00abff");
    assert_int_equal(m2m_hex_encode(in, 3, small, sizeof(small), &err), -1);
    assert_int_equal(err.code, M2M_E_BUFFER_TOO_SMALL);
    assert_int_equal(m2m_hex_decode("00ABFF", back, 3, &n, &err), 0);
    assert_memory_equal(back, in, 3);
}

static void test_b64_table(void **state)
{
    static const struct {
        const char *b64;
        const char *plain; /* NULL: must be rejected */
    } cases[] = {
        {"", ""},       {"Zg==", "f"},  {"Zm8=", "fo"}, {"Zm9v", "foo"},  {"Zm9vYg==", "foob"},
        {"Zg=", NULL},  {"Zg", NULL},   {"Z===", NULL}, {"Zm9v\n", NULL}, {"Zm 9", NULL},
        {"Zm9-", NULL}, {"=Zm9", NULL}, {"Zm=v", NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char out[16];
        size_t n = 0;
        struct m2m_error err;
        int rc = m2m_b64_decode(cases[i].b64, out, sizeof(out), &n, &err);
        if (cases[i].plain == NULL) {
            assert_int_equal(rc, -1);
            assert_int_equal(err.code, M2M_E_BASE64);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(n, strlen(cases[i].plain));
        assert_memory_equal(out, cases[i].plain, n);
        {
            char enc[32];
            assert_int_equal(m2m_b64_encode(cases[i].plain, n, enc, sizeof(enc), &err), 0);
            assert_string_equal(enc, cases[i].b64);
        }
    }
}

static void test_b64_capacity(void **state)
{
    unsigned char out[2];
    size_t n = 0;
    struct m2m_error err;
    (void)state;
    assert_int_equal(m2m_b64_decode("Zm9v", out, sizeof(out), &n, &err), -1);
    assert_int_equal(err.code, M2M_E_BUFFER_TOO_SMALL);
}

static void test_nfkc(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"maf.example.com", "maf.example.com"},
        {"\xef\xbd\x8d\xef\xbd\x81\xef\xbd\x86\xef\xbc\x91.example.com", "maf1.example.com"},
        {"\xe2\x84\xab-cse", "\xc3\x85-cse"}, /* U+212B ANGSTROM SIGN -> U+00C5 */
        {"A\xcc\x8a", "\xc3\x85"},            /* decomposed A + ring composes */
        {"\xef\xac\x81le", "file"},           /* U+FB01 ligature fi */
        {"", ""},
    };
    struct m2m_error err;
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *n = m2m_nfkc(cases[i].in, &err);
        assert_non_null(n);
        assert_string_equal(n, cases[i].out);
        free(n);
    }
    assert_null(m2m_nfkc("\xff\xfe", &err));
    assert_int_equal(err.code, M2M_E_UTF8);
    assert_null(m2m_nfkc("\xc3", &err)); /* truncated sequence */
    assert_null(m2m_nfkc(NULL, &err));
}

static void test_secret(void **state)
{
    struct m2m_error err;
    struct m2m_secret *a = m2m_secret_from("abcd", 4, &err);
    struct m2m_secret *b = m2m_secret_from_hex("61626364", &err);
    struct m2m_secret *c = m2m_secret_from("abce", 4, &err);
    struct m2m_secret *z = m2m_secret_new(0, &err);
    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(z);
    assert_true(m2m_secret_equal(a, b));
    assert_false(m2m_secret_equal(a, c));
    assert_false(m2m_secret_equal(a, z));
    assert_false(m2m_secret_equal(a, NULL));
    assert_int_equal(m2m_secret_len(z), 0);
    assert_null(m2m_secret_from_hex("6162636", &err));
    assert_int_equal(err.code, M2M_E_HEX);
    assert_null(m2m_secret_from(NULL, 3, &err));
    m2m_secret_free(a);
    m2m_secret_free(b);
    m2m_secret_free(c);
    m2m_secret_free(z);
    m2m_secret_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_table), cmocka_unit_test(test_error_set),
        cmocka_unit_test(test_hex_table),   cmocka_unit_test(test_hex_roundtrip),
        cmocka_unit_test(test_b64_table),   cmocka_unit_test(test_b64_capacity),
        cmocka_unit_test(test_nfkc),        cmocka_unit_test(test_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
