/* The USIM side of AKA (3GPP TS 33.102 6.3.3) on the TS 35.208 test set 1 vector: a fresh SQN
 * gives RES, CK and IK; a forged MAC is a MAC failure; a replayed, old or too distant SQN is a
 * synchronisation failure whose AUTS the BSF opens to SQN_MS; the software USIM file keeps
 * SQN_MS across restarts and refuses loose modes and malformed contents. */
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

#include <m2msec/encoding.h>
#include <m2msec/secret.h>
#include <m2msec/usim.h>

#include "role/bsf_internal.h"

/* TS 35.208 test set 1 */
#define K_HEX   "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC_HEX "cd63cb71954a9f4e48a5994e37a02baf"
#define SQN     0xff9bb4d0b607ULL
static const unsigned char RAND[16] = {0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d,
                                       0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf, 0x35};
/* SQN xor AK (aa689c648370) || AMF b9b9 || MAC-A 4a9ffac354dfafb3 */
static const unsigned char AUTN[16] = {0x55, 0xf3, 0x28, 0xb4, 0x35, 0x77, 0xb9, 0xb9,
                                       0x4a, 0x9f, 0xfa, 0xc3, 0x54, 0xdf, 0xaf, 0xb3};

static void hex(const char *h, unsigned char *out, size_t n)
{
    size_t got = 0;
    assert_int_equal(m2m_hex_decode(h, out, n, &got, NULL), 0);
    assert_int_equal(got, n);
}

static int check(uint64_t sqn_ms, const unsigned char *autn, struct m2m_usim_result *out,
                 uint64_t *accepted)
{
    unsigned char k[16], opc[16];
    struct m2m_error err;

    hex(K_HEX, k, 16);
    hex(OPC_HEX, opc, 16);
    assert_int_equal(m2m_usim_milenage_check(k, opc, sqn_ms, RAND, autn, out, accepted, &err), 0);
    return out->outcome;
}

static void test_fresh_sqn(void **state)
{
    struct m2m_usim_result r;
    unsigned char want[16];
    uint64_t acc = 0;

    (void)state;
    assert_int_equal(check(SQN - 1, AUTN, &r, &acc), M2M_USIM_OK);
    assert_int_equal(acc, SQN);
    assert_int_equal(r.res_len, 8);
    hex("a54211d5e3ba50bf", want, 8);
    assert_memory_equal(r.res, want, 8);
    hex("b40ba9a3c58b2a05bbf0d987b21bf8cb", want, 16);
    assert_memory_equal(r.ck, want, 16);
    hex("f769bcd751044604127672711c6d3441", want, 16);
    assert_memory_equal(r.ik, want, 16);
    /* From a fresh USIM too, as long as SQN is within the window of SQN_MS = 0. */
    assert_int_equal(check(SQN - M2M_USIM_SQN_WINDOW, AUTN, &r, &acc), M2M_USIM_OK);
}

static void test_mac_failure(void **state)
{
    unsigned char autn[16];
    struct m2m_usim_result r;
    uint64_t acc = 7;

    (void)state;
    for (int byte = 0; byte < 16; byte++) {
        memcpy(autn, AUTN, 16);
        autn[byte] ^= 0x01; /* SQN, AMF or MAC: each is covered by MAC-A */
        assert_int_equal(check(SQN - 1, autn, &r, &acc), M2M_USIM_MAC_FAILURE);
        assert_int_equal(r.res_len, 0);
        assert_int_equal(acc, SQN - 1); /* nothing accepted */
    }
}

/* The AUTS of a refused SQN must open, at the BSF, to the USIM's SQN_MS. */
static void assert_auts(const struct m2m_usim_result *r, uint64_t sqn_ms)
{
    struct m2m_secret *k = m2m_secret_from_hex(K_HEX, NULL);
    struct m2m_secret *opc = m2m_secret_from_hex(OPC_HEX, NULL);
    unsigned char conc[6], ak_star[6], bad[14];
    uint64_t got = 0;
    int ok = 0;

    /* Conc(SQN_MS) = SQN_MS xor f5*(RAND), f5* = 451e8beca43b (TS 35.208). */
    hex("451e8beca43b", ak_star, 6);
    m2m_sqn_to_bytes(sqn_ms, conc);
    for (int i = 0; i < 6; i++)
        assert_int_equal(r->auts[i], conc[i] ^ ak_star[i]);
    assert_int_equal(bsf_auts_open(k, opc, RAND, r->auts, &got, &ok, NULL), 0);
    assert_true(ok);
    assert_int_equal(got, sqn_ms);
    memcpy(bad, r->auts, 14);
    bad[13] ^= 0x80; /* a forged MAC-S */
    assert_int_equal(bsf_auts_open(k, opc, RAND, bad, &got, &ok, NULL), 0);
    assert_false(ok);
    m2m_secret_free(k);
    m2m_secret_free(opc);
}

static void test_sync_failures(void **state)
{
    struct m2m_usim_result r;
    uint64_t acc = 0;

    (void)state;
    /* Replay: the SQN already accepted. */
    assert_int_equal(check(SQN, AUTN, &r, &acc), M2M_USIM_SYNC_FAILURE);
    assert_int_equal(acc, SQN);
    assert_int_equal(r.res_len, 0);
    assert_auts(&r, SQN);
    /* Older than the highest accepted. */
    assert_int_equal(check(SQN + 5, AUTN, &r, &acc), M2M_USIM_SYNC_FAILURE);
    assert_auts(&r, SQN + 5);
    /* Ahead by more than the window (TS 33.102 C.2.1 Delta). */
    assert_int_equal(check(SQN - M2M_USIM_SQN_WINDOW - 1, AUTN, &r, &acc), M2M_USIM_SYNC_FAILURE);
    assert_auts(&r, SQN - M2M_USIM_SQN_WINDOW - 1);
}

static void test_sqn_bytes(void **state)
{
    unsigned char b[6];

    (void)state;
    m2m_sqn_to_bytes(0xff9bb4d0b607ULL, b);
    assert_int_equal(b[0], 0xff);
    assert_int_equal(b[5], 0x07);
    assert_int_equal(m2m_sqn_from_bytes(b), 0xff9bb4d0b607ULL);
    m2m_sqn_to_bytes(0, b);
    assert_int_equal(m2m_sqn_from_bytes(b), 0);
}

/* ---- the software USIM file ---- */

struct fx {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-usim-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/usim.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const struct fx *f, const char *text, mode_t mode)
{
    FILE *fp = fopen(f->path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    assert_int_equal(chmod(f->path, mode), 0);
}

static void usim_text(char *buf, size_t sz, uint64_t sqn)
{
    snprintf(buf, sz,
             "{\"impi\": \"001010000000001@ims.example.com\", \"k\": \"" K_HEX "\", "
             "\"opc\": \"" OPC_HEX "\", \"sqn\": %llu, \"amf\": \"b9b9\"}",
             (unsigned long long)sqn);
}

static void test_file_keeps_sqn(void **state)
{
    struct fx *f = *state;
    struct m2m_usim u;
    struct m2m_usim_result r;
    struct m2m_error err;
    char text[512], impi[M2M_IMPI_MAX + 1];
    struct stat st;

    usim_text(text, sizeof(text), SQN - 1);
    write_file(f, text, 0600);
    assert_int_equal(m2m_usim_file_open(f->path, &u, &err), 0);
    assert_int_equal(u.ops->impi(u.ctx, impi, sizeof(impi), &err), 0);
    assert_string_equal(impi, "001010000000001@ims.example.com");
    assert_int_equal(u.ops->authenticate(u.ctx, RAND, AUTN, &r, &err), 0);
    assert_int_equal(r.outcome, M2M_USIM_OK);
    /* The same challenge again, in this run and after a restart: refused. */
    assert_int_equal(u.ops->authenticate(u.ctx, RAND, AUTN, &r, &err), 0);
    assert_int_equal(r.outcome, M2M_USIM_SYNC_FAILURE);
    m2m_usim_close(&u);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(m2m_usim_file_open(f->path, &u, &err), 0);
    assert_int_equal(u.ops->authenticate(u.ctx, RAND, AUTN, &r, &err), 0);
    assert_int_equal(r.outcome, M2M_USIM_SYNC_FAILURE);
    assert_auts(&r, SQN);
    m2m_usim_close(&u);
    m2m_usim_close(&u); /* a closed USIM closes again harmlessly */
}

static void test_file_refused(void **state)
{
    struct fx *f = *state;
    struct m2m_usim u;
    struct m2m_error err;
    char text[512];
    static const char *const bad[] = {
        "{\"k\": \"" K_HEX "\", \"opc\": \"" OPC_HEX "\", \"sqn\": 0}",
        "{\"impi\": \"nobody\", \"k\": \"" K_HEX "\", \"opc\": \"" OPC_HEX "\", \"sqn\": 0}",
        "{\"impi\": \"a@ims.example.com\", \"opc\": \"" OPC_HEX "\", \"sqn\": 0}",
        "{\"impi\": \"a@ims.example.com\", \"k\": \"465b\", \"opc\": \"" OPC_HEX "\", \"sqn\": 0}",
        "{\"impi\": \"a@ims.example.com\", \"k\": \"" K_HEX "\", \"opc\": \"zz\", \"sqn\": 0}",
        "{\"impi\": \"a@ims.example.com\", \"k\": \"" K_HEX "\", \"opc\": \"" OPC_HEX "\"}",
        "{\"impi\": \"a@ims.example.com\", \"k\": \"" K_HEX "\", \"opc\": \"" OPC_HEX
        "\", \"sqn\": 281474976710656}",
        "{\"impi\": \"a@ims.example.com\", \"k\": \"" K_HEX "\", \"opc\": \"" OPC_HEX
        "\", \"sqn\": 0, \"amf\": \"b9\"}",
        "not json",
    };

    usim_text(text, sizeof(text), 0);
    write_file(f, text, 0644);
    assert_int_equal(m2m_usim_file_open(f->path, &u, &err), -1);
    assert_int_equal(err.code, M2M_E_FILE_MODE);
    assert_null(u.ops);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(f, bad[i], 0600);
        if (m2m_usim_file_open(f->path, &u, &err) == 0)
            fail_msg("bad[%zu] accepted", i);
    }
    unlink(f->path);
    assert_int_equal(m2m_usim_file_open(f->path, &u, &err), -1);
    assert_int_equal(err.code, M2M_E_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_sqn),
        cmocka_unit_test(test_mac_failure),
        cmocka_unit_test(test_sync_failures),
        cmocka_unit_test(test_sqn_bytes),
        cmocka_unit_test_setup_teardown(test_file_keeps_sqn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
