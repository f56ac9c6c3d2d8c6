/* store: GBA subscribers and pending challenges (3GPP TS 33.220 4.3; RFC 3310). Round trips,
 * K and OPc sealed (another KEK cannot open them), duplicates and unknown ids, the SQN's
 * compare-and-set, single use of a challenge, expiry, purge and the cascade on removal;
 * every refusal leaves the store as it was. */
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
#include <m2msec/secret.h>
#include <m2msec/store.h>

#define T0   1700000000
#define IMPI "001010000000001@ims.example.com"

struct fx {
    char dir[64], url[128];
    struct m2m_secret *kek;
    struct m2m_store *s;
    struct m2m_store_gba_subscriber sub;
};

static struct m2m_secret *bytes(unsigned char fill, size_t n)
{
    struct m2m_secret *k = m2m_secret_new(n, NULL);

    assert_non_null(k);
    memset(m2m_secret_data(k), fill, n);
    return k;
}

static void add_sub(struct fx *f, const char *impi, int expect)
{
    struct m2m_secret *k = bytes(0x11, 16), *opc = bytes(0x22, 16);
    struct m2m_error err;

    snprintf(f->sub.impi, sizeof(f->sub.impi), "%s", impi);
    assert_int_equal(m2m_store_gba_subscriber_add(f->s, &f->sub, k, opc, &err), expect);
    m2m_secret_free(k);
    m2m_secret_free(opc);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct m2m_error err;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-sgba-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->url, sizeof(f->url), "sqlite:%s/s.db", f->dir);
    f->kek = bytes(0x5a, 32);
    f->s = m2m_store_open(f->url, f->kek, &err);
    assert_non_null(f->s);
    snprintf(f->sub.enrolee_id, sizeof(f->sub.enrolee_id), "//sp.example.com/CSE9");
    f->sub.sqn = 41;
    f->sub.amf[0] = 0x80;
    f->sub.ke_lifetime = 600;
    f->sub.n_naf = 2;
    snprintf(f->sub.naf[0], sizeof(f->sub.naf[0]), "maf.example.com");
    snprintf(f->sub.naf[1], sizeof(f->sub.naf[1]), "cse7.in-cse.sp.example.com");
    f->sub.created = T0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char path[160];
    static const char *const sfx[] = {"", "-wal", "-shm"};

    m2m_store_close(f->s);
    m2m_secret_free(f->kek);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/s.db%s", f->dir, sfx[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_subscriber_round_trip(void **state)
{
    struct fx *f = *state;
    struct m2m_store_gba_subscriber *got = calloc(1, sizeof(*got));
    struct m2m_secret *k = NULL, *opc = NULL;
    struct m2m_store *other;
    struct m2m_secret *kek2 = bytes(0x6b, 32);
    struct m2m_error err;

    add_sub(f, IMPI, 0);
    assert_int_equal(m2m_store_gba_subscriber_get(f->s, IMPI, got, &k, &opc, &err), 0);
    assert_string_equal(got->impi, IMPI);
    assert_int_equal(got->sqn, 41);
    assert_int_equal(got->amf[0], 0x80);
    assert_int_equal(got->ke_lifetime, 600);
    assert_int_equal(got->n_naf, 2);
    assert_string_equal(got->naf[1], "cse7.in-cse.sp.example.com");
    assert_true(m2m_store_gba_naf_allowed(got, "maf.example.com"));
    assert_false(m2m_store_gba_naf_allowed(got, "maf2.example.com"));
    assert_int_equal(m2m_secret_cdata(k)[0], 0x11);
    assert_int_equal(m2m_secret_cdata(opc)[15], 0x22);
    m2m_secret_free(k);
    m2m_secret_free(opc);
    k = opc = NULL;
    /* Another KEK reads the record but cannot open K and OPc. */
    other = m2m_store_open(f->url, kek2, &err);
    assert_non_null(other);
    assert_int_equal(m2m_store_gba_subscriber_get(other, IMPI, got, NULL, NULL, &err), 0);
    assert_int_equal(m2m_store_gba_subscriber_get(other, IMPI, got, &k, &opc, &err), -1);
    assert_int_equal(err.code, M2M_E_SEAL_OPEN);
    assert_null(k);
    m2m_store_close(other);
    m2m_secret_free(kek2);
    free(got);
}

static void test_subscriber_refusals(void **state)
{
    struct fx *f = *state;
    struct m2m_store_gba_subscriber *got = calloc(1, sizeof(*got));
    struct m2m_secret *k = bytes(1, 16), *opc = bytes(2, 16), *short_k = bytes(1, 15);
    struct m2m_error err;

    add_sub(f, IMPI, 0);
    add_sub(f, IMPI, -1); /* duplicate */
    assert_int_equal(m2m_store_gba_subscriber_get(f->s, "x@ims.example.com", got, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_gba_subscriber_remove(f->s, "x@ims.example.com", &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    snprintf(f->sub.impi, sizeof(f->sub.impi), "y@ims.example.com");
    assert_int_equal(m2m_store_gba_subscriber_add(f->s, &f->sub, short_k, opc, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    snprintf(f->sub.naf[1], sizeof(f->sub.naf[1]), "maf.example.com"); /* listed twice */
    assert_int_equal(m2m_store_gba_subscriber_add(f->s, &f->sub, k, opc, &err), -1);
    snprintf(f->sub.naf[1], sizeof(f->sub.naf[1]), "a b.example.com");
    assert_int_equal(m2m_store_gba_subscriber_add(f->s, &f->sub, k, opc, &err), -1);
    f->sub.n_naf = 1;
    f->sub.sqn = M2M_STORE_SQN_MAX + 1;
    assert_int_equal(m2m_store_gba_subscriber_add(f->s, &f->sub, k, opc, &err), -1);
    f->sub.sqn = 0;
    f->sub.ke_lifetime = 0;
    assert_int_equal(m2m_store_gba_subscriber_add(f->s, &f->sub, k, opc, &err), -1);
    assert_int_equal(m2m_store_gba_subscriber_get(f->s, "y@ims.example.com", got, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    m2m_secret_free(k);
    m2m_secret_free(opc);
    m2m_secret_free(short_k);
    free(got);
}

static void test_sqn_compare_and_set(void **state)
{
    struct fx *f = *state;
    struct m2m_store_gba_subscriber *got = calloc(1, sizeof(*got));
    struct m2m_error err;

    add_sub(f, IMPI, 0);
    assert_int_equal(m2m_store_gba_sqn_set(f->s, IMPI, 41, 42, &err), 0);
    /* A second writer that read 41 too loses and changes nothing. */
    assert_int_equal(m2m_store_gba_sqn_set(f->s, IMPI, 41, 42, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE);
    assert_int_equal(m2m_store_gba_sqn_set(f->s, "x@ims.example.com", 0, 1, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_gba_sqn_set(f->s, IMPI, 42, M2M_STORE_SQN_MAX + 1, &err), -1);
    assert_int_equal(m2m_store_gba_subscriber_get(f->s, IMPI, got, NULL, NULL, &err), 0);
    assert_int_equal(got->sqn, 42);
    free(got);
}

static void test_challenges(void **state)
{
    struct fx *f = *state;
    struct m2m_store_gba_challenge ch, got;
    struct m2m_secret *v = bytes(0x33, 40), *back = NULL;
    struct m2m_error err;
    uint64_t n = 0;

    memset(&ch, 0, sizeof(ch));
    snprintf(ch.nonce, sizeof(ch.nonce), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    snprintf(ch.opaque, sizeof(ch.opaque), "op");
    snprintf(ch.impi, sizeof(ch.impi), IMPI);
    ch.sqn = 42;
    ch.created = T0;
    ch.expires = T0 + 60;
    /* The subscriber must exist. */
    assert_int_equal(m2m_store_gba_challenge_add(f->s, &ch, v, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    add_sub(f, IMPI, 0);
    assert_int_equal(m2m_store_gba_challenge_add(f->s, &ch, v, &err), 0);
    assert_int_equal(m2m_store_gba_challenge_add(f->s, &ch, v, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);
    assert_int_equal(m2m_store_gba_challenge_get(f->s, ch.nonce, T0 + 59, &got, &back, &err), 0);
    assert_int_equal(got.sqn, 42);
    assert_string_equal(got.opaque, "op");
    assert_true(m2m_secret_equal(back, v));
    m2m_secret_free(back);
    back = NULL;
    assert_int_equal(m2m_store_gba_challenge_get(f->s, ch.nonce, T0 + 60, &got, &back, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXPIRED);
    assert_null(back);
    assert_int_equal(m2m_store_gba_challenge_get(f->s, "nope", T0, &got, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    /* Answered once. */
    assert_int_equal(m2m_store_gba_challenge_use(f->s, ch.nonce, &err), 0);
    assert_int_equal(m2m_store_gba_challenge_use(f->s, ch.nonce, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_REVOKED);
    assert_int_equal(m2m_store_gba_challenge_get(f->s, ch.nonce, T0, &got, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_REVOKED);
    assert_int_equal(m2m_store_gba_challenge_use(f->s, "nope", &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    /* Purge takes exactly the expired. */
    assert_int_equal(m2m_store_gba_challenge_purge(f->s, T0 + 59, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(m2m_store_gba_challenge_purge(f->s, T0 + 60, &n, &err), 0);
    assert_int_equal(n, 1);
    /* Removing the subscriber takes its challenges. */
    snprintf(ch.nonce, sizeof(ch.nonce), "second");
    assert_int_equal(m2m_store_gba_challenge_add(f->s, &ch, v, &err), 0);
    assert_int_equal(m2m_store_gba_subscriber_remove(f->s, IMPI, &err), 0);
    assert_int_equal(m2m_store_gba_challenge_get(f->s, "second", T0, &got, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    m2m_secret_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subscriber_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscriber_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqn_compare_and_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_challenges, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
