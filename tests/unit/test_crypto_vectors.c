/* Every vector of tests/vectors/keys.json (an independent implementation's output),
 * reproduced exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>

static json_t *vectors;

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    assert_non_null(s);
    return s;
}

static json_t *group(const char *name)
{
    json_t *a = json_object_get(vectors, name);
    assert_true(json_is_array(a));
    assert_true(json_array_size(a) > 0);
    return a;
}

static struct m2m_secret *hexsecret(json_t *obj, const char *key)
{
    struct m2m_error err;
    struct m2m_secret *s = m2m_secret_from_hex(str(obj, key), &err);
    assert_non_null(s);
    return s;
}

static size_t unhex(json_t *obj, const char *key, unsigned char *out, size_t cap)
{
    struct m2m_error err;
    size_t n = 0;
    assert_int_equal(m2m_hex_decode(str(obj, key), out, cap, &n, &err), 0);
    return n;
}

static void assert_secret_hex(const struct m2m_secret *s, const char *want)
{
    char hex[256];
    struct m2m_error err;
    assert_non_null(s);
    assert_int_equal(m2m_hex_encode(m2m_secret_cdata(s), m2m_secret_len(s), hex, sizeof(hex), &err),
                     0);
    assert_string_equal(hex, want);
}

static void test_exporter_split(void **state)
{
    json_t *v;
    size_t i;
    (void)state;
    json_array_foreach(group("exporter_split"), i, v)
    {
        unsigned char exp[M2M_EXPORT_LEN];
        char keyid[M2M_KEYID_MAX];
        struct m2m_secret *ke = NULL;
        struct m2m_error err;

        assert_string_equal(str(v, "label_text"), "EXPORTER-oneM2M-Bootstrap");
        assert_int_equal(unhex(v, "export48", exp, sizeof(exp)), M2M_EXPORT_LEN);
        assert_int_equal(m2m_export_split(exp, str(v, "mef_fqdn_text"), &ke, keyid, &err), 0);
        assert_string_equal(keyid, str(v, "keid_text"));
        assert_secret_hex(ke, str(v, "ke"));
        assert_int_equal(strncmp(keyid, str(v, "relative_keid"), 32), 0);
        m2m_secret_free(ke);
    }
}

typedef struct m2m_secret *(*derive_fn)(const struct m2m_secret *, const char *,
                                        struct m2m_error *);

static void check_id_derivation(const char *grp, const char *id_key, const char *nfkc_key,
                                const char *out_key, derive_fn fn)
{
    json_t *v;
    size_t i;
    json_array_foreach(group(grp), i, v)
    {
        struct m2m_error err;
        struct m2m_secret *ke = hexsecret(v, "ke");
        struct m2m_secret *k = fn(ke, str(v, id_key), &err);
        char *norm = m2m_nfkc(str(v, id_key), &err);
        char normhex[512];

        /* The normalised identifier is what the vector says entered the HMAC. */
        assert_non_null(norm);
        assert_int_equal(m2m_hex_encode(norm, strlen(norm), normhex, sizeof(normhex), &err), 0);
        assert_string_equal(normhex, str(v, nfkc_key));
        assert_secret_hex(k, str(v, out_key));
        free(norm);
        m2m_secret_free(k);
        m2m_secret_free(ke);
    }
}

static void test_km(void **state)
{
    (void)state;
    check_id_derivation("km", "maf_id_text", "maf_id_nfkc", "km", m2m_derive_km);
}

static void test_kpsa(void **state)
{
    (void)state;
    check_id_derivation("kpsa", "enrolee_b_id_text", "enrolee_b_id_nfkc", "kpsa", m2m_derive_kpsa);
}

static void test_usage_constrained(void **state)
{
    json_t *v;
    size_t i;
    (void)state;
    json_array_foreach(group("usage_constrained"), i, v)
    {
        struct m2m_error err;
        struct m2m_secret *ke = hexsecret(v, "ke");
        unsigned suid = (unsigned)strtoul(str(v, "suid_text"), NULL, 10);
        struct m2m_secret *k = m2m_derive_usage_key(ke, suid, str(v, "target_id_text"), &err);
        assert_secret_hex(k, str(v, "key"));
        m2m_secret_free(k);
        m2m_secret_free(ke);
    }
}

static void test_kmid(void **state)
{
    json_t *v;
    size_t i;
    (void)state;
    json_array_foreach(group("kmid"), i, v)
    {
        struct m2m_error err;
        struct m2m_secret *km = hexsecret(v, "km");
        char kmid[M2M_KEYID_MAX];
        assert_int_equal(m2m_derive_kmid(km, str(v, "maf_fqdn_text"), kmid, &err), 0);
        assert_string_equal(kmid, str(v, "kmid_text"));
        m2m_secret_free(km);
    }
}

static void test_gba_ks_naf(void **state)
{
    json_t *v;
    size_t i;
    (void)state;
    json_array_foreach(group("gba_ks_naf"), i, v)
    {
        struct m2m_error err;
        unsigned char ck[16], ik[16], ksb[32], rnd[16], ua[M2M_GBA_UA_ID_LEN], want_ua[8];
        unsigned char fc[1];
        struct m2m_secret *ks, *naf;
        uint16_t suite;

        assert_int_equal(unhex(v, "ck", ck, sizeof(ck)), 16);
        assert_int_equal(unhex(v, "ik", ik, sizeof(ik)), 16);
        assert_int_equal(unhex(v, "ks", ksb, sizeof(ksb)), 32);
        /* Ks = CK || IK (TS 33.220 4.5.2) */
        assert_memory_equal(ksb, ck, 16);
        assert_memory_equal(ksb + 16, ik, 16);
        assert_int_equal(unhex(v, "rand", rnd, sizeof(rnd)), 16);
        assert_int_equal(unhex(v, "fc", fc, sizeof(fc)), 1);
        assert_int_equal(fc[0], 0x01);
        assert_string_equal(str(v, "p0_text"), "gba-me");
        assert_int_equal(unhex(v, "ua_protocol_id", want_ua, sizeof(want_ua)), 5);
        suite = (uint16_t)(want_ua[3] << 8 | want_ua[4]);
        m2m_gba_ua_tls_psk(suite, ua);
        assert_memory_equal(ua, want_ua, 5);
        ks = m2m_secret_from(ksb, 32, &err);
        naf = m2m_gba_ks_naf(ks, rnd, str(v, "impi_text"), str(v, "naf_fqdn_text"), ua, &err);
        assert_secret_hex(naf, str(v, "ks_naf"));
        m2m_secret_free(naf);
        m2m_secret_free(ks);
    }
}

static void check_wrap(const char *grp, int pad)
{
    json_t *v;
    size_t i;
    json_array_foreach(group(grp), i, v)
    {
        struct m2m_error err;
        unsigned char pt[64], want[80], got[80];
        size_t ptlen = unhex(v, "plaintext", pt, sizeof(pt));
        size_t wlen = unhex(v, "wrapped", want, sizeof(want));
        size_t glen = 0;
        struct m2m_secret *kek = hexsecret(v, "kek");
        struct m2m_secret *back;

        assert_int_equal(m2m_aes_wrap(kek, pad, pt, ptlen, got, sizeof(got), &glen, &err), 0);
        assert_int_equal(glen, wlen);
        assert_memory_equal(got, want, wlen);
        back = m2m_aes_unwrap(kek, pad, want, wlen, &err);
        assert_non_null(back);
        assert_int_equal(m2m_secret_len(back), ptlen);
        assert_memory_equal(m2m_secret_cdata(back), pt, ptlen);
        m2m_secret_free(back);
        m2m_secret_free(kek);
    }
}

static void test_aes_key_wrap(void **state)
{
    (void)state;
    check_wrap("aes_key_wrap", 0);
}

static void test_aes_key_wrap_pad(void **state)
{
    (void)state;
    check_wrap("aes_key_wrap_pad", 1);
}

static void test_milenage(void **state)
{
    json_t *v;
    size_t i;
    (void)state;
    json_array_foreach(group("milenage"), i, v)
    {
        struct m2m_error err;
        unsigned char k[16], op[16], opc[16], want_opc[16], rnd[16], sqn[6], amf[2];
        struct m2m_milenage_out o;
        char hex[64];

        assert_int_equal(unhex(v, "k", k, 16), 16);
        assert_int_equal(unhex(v, "op", op, 16), 16);
        assert_int_equal(unhex(v, "opc", want_opc, 16), 16);
        assert_int_equal(unhex(v, "rand", rnd, 16), 16);
        assert_int_equal(unhex(v, "sqn", sqn, 6), 6);
        assert_int_equal(unhex(v, "amf", amf, 2), 2);
        assert_int_equal(m2m_milenage_opc(k, op, opc, &err), 0);
        assert_memory_equal(opc, want_opc, 16);
        assert_int_equal(m2m_milenage(k, opc, rnd, sqn, amf, &o, &err), 0);
#define CHECK(field, key)                                                                          \
    assert_int_equal(m2m_hex_encode(o.field, sizeof(o.field), hex, sizeof(hex), &err), 0);         \
    assert_string_equal(hex, str(v, key))
        CHECK(mac_a, "f1_mac_a");
        CHECK(mac_s, "f1star_mac_s");
        CHECK(res, "f2_res");
        CHECK(ck, "f3_ck");
        CHECK(ik, "f4_ik");
        CHECK(ak, "f5_ak");
        CHECK(ak_star, "f5star_ak");
#undef CHECK
    }
}

static int setup(void **state)
{
    char path[4096];
    const char *dir = getenv("M2M_VECTORS");
    json_error_t jerr;
    (void)state;
    snprintf(path, sizeof(path), "%s/keys.json", dir ? dir : "tests/vectors");
    vectors = json_load_file(path, 0, &jerr);
    if (vectors == NULL)
        fprintf(stderr, "cannot load %s: %s\n", path, jerr.text);
    return vectors == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(vectors);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exporter_split), cmocka_unit_test(test_km),
        cmocka_unit_test(test_kpsa),           cmocka_unit_test(test_usage_constrained),
        cmocka_unit_test(test_kmid),           cmocka_unit_test(test_gba_ks_naf),
        cmocka_unit_test(test_aes_key_wrap),   cmocka_unit_test(test_aes_key_wrap_pad),
        cmocka_unit_test(test_milenage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
