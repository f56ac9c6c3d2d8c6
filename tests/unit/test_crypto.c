/* crypto: negative cases and properties beyond the vectors (sealing, KEK files, wrap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>

static struct m2m_secret *key32(unsigned char fill)
{
    unsigned char b[32];
    struct m2m_error err;
    memset(b, fill, sizeof(b));
    return m2m_secret_from(b, sizeof(b), &err);
}

static void test_split_rejects(void **state)
{
    unsigned char exp[M2M_EXPORT_LEN] = {0};
    char keyid[M2M_KEYID_MAX] = "unchanged";
    struct m2m_secret *ke = NULL;
    struct m2m_error err;
    static const char *bad[] = {"", "mef@example.com", "mef example.com",
                                "m\xc3\xa9"
                                "f.com"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(m2m_export_split(exp, bad[i], &ke, keyid, &err), -1);
        assert_int_equal(err.code, M2M_E_FQDN_SYNTAX);
        assert_null(ke);
    }
    assert_int_equal(m2m_export_split(exp, NULL, &ke, keyid, &err), -1);
    /* An upper-case FQDN yields the same KeID as its lower-case form. */
    assert_int_equal(m2m_export_split(exp, "MEF.Example.COM", NULL, keyid, &err), 0);
    assert_string_equal(keyid, "00000000000000000000000000000000@mef.example.com");
}

static void test_derive_rejects(void **state)
{
    struct m2m_secret *ke = key32(1);
    struct m2m_error err;
    (void)state;
    assert_null(m2m_derive_km(NULL, "maf.example.com", &err));
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_null(m2m_derive_km(ke, NULL, &err));
    assert_null(m2m_derive_kpsa(ke, "\xff", &err));
    assert_int_equal(err.code, M2M_E_UTF8);
    assert_null(m2m_derive_usage_key(ke, 99, "maf.example.com", &err));
    assert_int_equal(err.code, M2M_E_SUID);
    assert_null(m2m_derive_usage_key(ke, 0, "maf.example.com", &err));
    m2m_secret_free(ke);
}

static void test_derivations_differ(void **state)
{
    /* Km and Kpsa of the same id differ (distinct labels), and NFKC-equal ids agree. */
    struct m2m_secret *ke = key32(7);
    struct m2m_error err;
    struct m2m_secret *km = m2m_derive_km(ke, "x.example.com", &err);
    struct m2m_secret *kpsa = m2m_derive_kpsa(ke, "x.example.com", &err);
    struct m2m_secret *km2 = m2m_derive_km(ke, "\xef\xbd\x98.example.com", &err);
    (void)state;
    assert_false(m2m_secret_equal(km, kpsa));
    assert_true(m2m_secret_equal(km, km2));
    m2m_secret_free(km);
    m2m_secret_free(km2);
    m2m_secret_free(kpsa);
    m2m_secret_free(ke);
}

static void test_suid_valid(void **state)
{
    static const unsigned ok[] = {10, 11, 12, 13, 14, 15, 21, 22, 32, 40, 45};
    static const unsigned bad[] = {0, 9, 16, 20, 23, 31, 33, 39, 46, 1021};
    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_true(m2m_suid_valid(ok[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(m2m_suid_valid(bad[i]));
}

static void test_gba_kdf_limits(void **state)
{
    struct m2m_secret *k = key32(3);
    struct m2m_error err;
    struct m2m_kdf_param big = {"x", 70000};
    struct m2m_kdf_param p = {"abc", 3};
    struct m2m_secret *a, *b;
    (void)state;
    assert_null(m2m_gba_kdf(k, 1, &big, 1, &err));
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    /* FC separates derivations. */
    a = m2m_gba_kdf(k, 1, &p, 1, &err);
    b = m2m_gba_kdf(k, 2, &p, 1, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_false(m2m_secret_equal(a, b));
    m2m_secret_free(a);
    m2m_secret_free(b);
    m2m_secret_free(k);
}

static void test_wrap_rejects(void **state)
{
    struct m2m_secret *kek = key32(9), *other = key32(10), *bad_kek;
    unsigned char pt[32], wrapped[48];
    size_t n = 0;
    struct m2m_error err;
    (void)state;
    memset(pt, 0x42, sizeof(pt));
    assert_int_equal(m2m_aes_wrap(kek, 0, pt, 12, wrapped, sizeof(wrapped), &n, &err), -1);
    assert_int_equal(m2m_aes_wrap(kek, 0, pt, 8, wrapped, sizeof(wrapped), &n, &err), -1);
    assert_int_equal(m2m_aes_wrap(kek, 0, pt, 32, wrapped, 39, &n, &err), -1);
    assert_int_equal(err.code, M2M_E_BUFFER_TOO_SMALL);
    bad_kek = m2m_secret_from(pt, 20, &err);
    assert_int_equal(m2m_aes_wrap(bad_kek, 0, pt, 32, wrapped, sizeof(wrapped), &n, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_int_equal(m2m_aes_wrap(kek, 0, pt, 32, wrapped, sizeof(wrapped), &n, &err), 0);
    assert_int_equal(n, 40);
    /* Wrong KEK, a flipped bit, truncation: all fail the RFC 3394 integrity check. */
    assert_null(m2m_aes_unwrap(other, 0, wrapped, n, &err));
    assert_int_equal(err.code, M2M_E_UNWRAP);
    wrapped[5] ^= 1;
    assert_null(m2m_aes_unwrap(kek, 0, wrapped, n, &err));
    assert_int_equal(err.code, M2M_E_UNWRAP);
    wrapped[5] ^= 1;
    assert_null(m2m_aes_unwrap(kek, 0, wrapped, n - 8 - 1, &err));
    assert_null(m2m_aes_unwrap(kek, 1, wrapped, n, &err)); /* RFC 5649 ICV differs */
    m2m_secret_free(bad_kek);
    m2m_secret_free(kek);
    m2m_secret_free(other);
}

static void test_seal_roundtrip_and_binding(void **state)
{
    struct m2m_secret *kek = key32(1), *kek2 = key32(2), *ke = key32(0x5a), *back;
    unsigned char sealed[32 + M2M_SEAL_OVERHEAD], sealed2[32 + M2M_SEAL_OVERHEAD];
    size_t n = 0, n2 = 0;
    struct m2m_error err;
    const char *id = "000102@mef.example.com";
    (void)state;
    assert_int_equal(m2m_seal(kek, id, ke, sealed, sizeof(sealed), &n, &err), 0);
    assert_int_equal(n, sizeof(sealed));
    assert_null(memmem(sealed, n, m2m_secret_cdata(ke), 8)); /* no plaintext at rest */
    back = m2m_open(kek, id, sealed, n, &err);
    assert_non_null(back);
    assert_true(m2m_secret_equal(back, ke));
    m2m_secret_free(back);
    /* Fresh nonce every time. */
    assert_int_equal(m2m_seal(kek, id, ke, sealed2, sizeof(sealed2), &n2, &err), 0);
    assert_memory_not_equal(sealed, sealed2, n);
    /* Moved to another id, another KEK, tampered, truncated, wrong version: refused. */
    assert_null(m2m_open(kek, "ffff@mef.example.com", sealed, n, &err));
    assert_int_equal(err.code, M2M_E_SEAL_OPEN);
    assert_null(m2m_open(kek2, id, sealed, n, &err));
    sealed[20] ^= 0x80;
    assert_null(m2m_open(kek, id, sealed, n, &err));
    sealed[20] ^= 0x80;
    assert_null(m2m_open(kek, id, sealed, M2M_SEAL_OVERHEAD - 1, &err));
    sealed[0] = 2;
    assert_null(m2m_open(kek, id, sealed, n, &err));
    assert_int_equal(m2m_seal(kek, id, ke, sealed, sizeof(sealed) - 1, &n, &err), -1);
    m2m_secret_free(kek);
    m2m_secret_free(kek2);
    m2m_secret_free(ke);
}

static void write_file(const char *path, const char *data, size_t len, mode_t mode)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_kek_load(void **state)
{
    char dir[] = "/tmp/m2m-kek-XXXXXX";
    char path[256];
    struct m2m_error err;
    struct m2m_secret *k;
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/kek", dir);
    write_file(path, hex, strlen(hex), 0600);
    k = m2m_kek_load(path, &err);
    assert_non_null(k);
    assert_int_equal(m2m_secret_len(k), 32);
    assert_int_equal(m2m_secret_cdata(k)[31], 0x1f);
    m2m_secret_free(k);
    assert_int_equal(chmod(path, 0640), 0); /* group-readable: refused */
    assert_null(m2m_kek_load(path, &err));
    assert_int_equal(err.code, M2M_E_FILE_MODE);
    assert_int_equal(chmod(path, 0604), 0); /* world-readable: refused */
    assert_null(m2m_kek_load(path, &err));
    write_file(path, "abcd", 4, 0600); /* wrong size */
    assert_null(m2m_kek_load(path, &err));
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    write_file(path, "0123456789abcdef0123456789abcdef", 32, 0600); /* 32 raw bytes */
    k = m2m_kek_load(path, &err);
    assert_non_null(k);
    m2m_secret_free(k);
    assert_null(m2m_kek_load(dir, &err)); /* a directory */
    unlink(path);
    assert_null(m2m_kek_load(path, &err)); /* missing */
    assert_int_equal(err.code, M2M_E_IO);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_rejects),
        cmocka_unit_test(test_derive_rejects),
        cmocka_unit_test(test_derivations_differ),
        cmocka_unit_test(test_suid_valid),
        cmocka_unit_test(test_gba_kdf_limits),
        cmocka_unit_test(test_wrap_rejects),
        cmocka_unit_test(test_seal_roundtrip_and_binding),
        cmocka_unit_test(test_kek_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
