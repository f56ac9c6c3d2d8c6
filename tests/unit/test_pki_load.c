/* Loading keys, certificates, chains, CRLs and anchor sets (PEM and DER, clear errors for
 * bad input), credentials, the writers, and issuance argument checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <openssl/pem.h>

#include <m2msec/pki.h>

#include "pki_testutil.h"

struct lfix {
    char *dir;
    struct m2m_credential *ca, *leaf, *other;
    char *ca_pem, *leaf_key, *leaf_cert, *other_key;
};

static char *path_in(const char *dir, const char *name)
{
    char *p = NULL;

    assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

static int setup(void **state)
{
    struct lfix *f = calloc(1, sizeof(*f));
    struct m2m_error err = {0};
    struct m2m_cert_spec s = pki_test_spec(M2M_CERT_ROOT_CA, M2M_FLAVOUR_NONE, NULL);

    f->dir = pki_test_tmpdir();
    f->ca = pki_test_cred(&s, NULL);
    s = pki_test_spec(M2M_CERT_END_ENTITY, M2M_FLAVOUR_FQDN, "mef.example.com");
    f->leaf = pki_test_cred(&s, f->ca);
    f->other = pki_test_cred(&s, f->ca);
    f->ca_pem = path_in(f->dir, "ca.cert.pem");
    f->leaf_key = path_in(f->dir, "leaf.key.pem");
    f->leaf_cert = path_in(f->dir, "leaf.cert.pem");
    f->other_key = path_in(f->dir, "other.key.pem");
    assert_int_equal(m2m_pki_write_cert(f->ca_pem, m2m_credential_cert(f->ca), &err), 0);
    assert_int_equal(m2m_pki_write_key(f->leaf_key, m2m_credential_key(f->leaf), &err), 0);
    assert_int_equal(m2m_pki_write_cert(f->leaf_cert, m2m_credential_cert(f->leaf), &err), 0);
    assert_int_equal(m2m_pki_write_key(f->other_key, m2m_credential_key(f->other), &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct lfix *f = *state;

    m2m_credential_free(f->ca);
    m2m_credential_free(f->leaf);
    m2m_credential_free(f->other);
    free(f->ca_pem);
    free(f->leaf_key);
    free(f->leaf_cert);
    free(f->other_key);
    pki_test_rmdir(f->dir);
    free(f);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = calloc(1, 65536);

    assert_non_null(fp);
    *len = fread(buf, 1, 65535, fp);
    fclose(fp);
    return buf;
}

enum what { W_KEY, W_CERTS, W_CRL };

struct lcase {
    const char *name;
    const char *content; /* NULL: built by the case's id below */
    int special;         /* 1 truncated cert PEM, 2 DER cert, 3 DER key, 4 cert as key */
    enum what what;
    enum m2m_errcode want;
};

static const struct lcase lcases[] = {
    {"empty file as cert", "", 0, W_CERTS, M2M_E_PEM},
    {"empty file as key", "", 0, W_KEY, M2M_E_PEM},
    {"garbage text as cert", "hello, not a certificate\n", 0, W_CERTS, M2M_E_PEM},
    {"garbage text as CRL", "hello\n", 0, W_CRL, M2M_E_PEM},
    {"garbage DER-looking bytes", "\x30\x03\x02\x01", 0, W_CERTS, M2M_E_PEM},
    {"truncated PEM certificate", NULL, 1, W_CERTS, M2M_E_PEM},
    {"PEM with bad base64", "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", 0,
     W_CERTS, M2M_E_PEM},
    {"PEM block holding garbage DER",
     "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n", 0, W_CERTS,
     M2M_E_CERT_LOAD},
    {"certificate given as key", NULL, 4, W_KEY, M2M_E_KEY_LOAD},
    {"encrypted key refused",
     "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAMCAQE=\n-----END ENCRYPTED PRIVATE KEY-----\n", 0,
     W_KEY, M2M_E_KEY_LOAD},
    {"DER certificate accepted", NULL, 2, W_CERTS, M2M_OK},
    {"DER key accepted", NULL, 3, W_KEY, M2M_OK},
};

static void write_case(struct lfix *f, const struct lcase *c, const char *path)
{
    size_t len = 0;
    char *buf = NULL;
    unsigned char *der = NULL;
    int n = 0;
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    switch (c->special) {
    case 0:
        fwrite(c->content, 1, strlen(c->content), fp);
        break;
    case 1:
    case 4:
        buf = slurp(f->leaf_cert, &len);
        fwrite(buf, 1, c->special == 1 ? len / 2 : len, fp);
        break;
    case 2:
        n = i2d_X509(m2m_credential_cert(f->leaf), &der);
        fwrite(der, 1, (size_t)n, fp);
        break;
    case 3:
        n = i2d_PrivateKey(m2m_credential_key(f->leaf), &der);
        fwrite(der, 1, (size_t)n, fp);
        break;
    }
    fclose(fp);
    free(buf);
    OPENSSL_free(der);
}

static int load_as(enum what w, const char *path, struct m2m_error *err)
{
    EVP_PKEY *k;
    STACK_OF(X509) *certs;
    X509_CRL *crl;

    switch (w) {
    case W_KEY:
        k = m2m_pki_load_key(path, err);
        EVP_PKEY_free(k);
        return k != NULL ? 0 : -1;
    case W_CERTS:
        certs = m2m_pki_load_certs(path, err);
        sk_X509_pop_free(certs, X509_free);
        return certs != NULL ? 0 : -1;
    case W_CRL:
        crl = m2m_pki_load_crl(path, err);
        X509_CRL_free(crl);
        return crl != NULL ? 0 : -1;
    }
    return -1;
}

static void test_loader_table(void **state)
{
    struct lfix *f = *state;
    int failures = 0;

    for (size_t i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++) {
        const struct lcase *c = &lcases[i];
        struct m2m_error err = {0};
        char *path = path_in(f->dir, "case.bin");
        int rc;

        write_case(f, c, path);
        rc = load_as(c->what, path, &err);
        if ((c->want == M2M_OK) != (rc == 0) || (rc != 0 && err.code != c->want)) {
            print_error("FAIL %s: want %s, got %s (%s)\n", c->name, m2m_errcode_name(c->want),
                        m2m_errcode_name(err.code), err.msg);
            failures++;
        }
        free(path);
    }
    assert_int_equal(failures, 0);
}

static void test_missing_file(void **state)
{
    struct lfix *f = *state;
    struct m2m_error err = {0};
    char *p = path_in(f->dir, "does-not-exist.pem");

    assert_null(m2m_pki_load_certs(p, &err));
    assert_int_equal(err.code, M2M_E_IO);
    free(p);
}

static void test_credential(void **state)
{
    struct lfix *f = *state;
    struct m2m_error err = {0};
    struct m2m_credential *c = m2m_credential_load(f->leaf_key, f->leaf_cert, f->ca_pem, &err);

    assert_non_null(c);
    assert_int_equal(sk_X509_num(m2m_credential_chain(c)), 1);
    m2m_credential_up_ref(c);
    m2m_credential_free(c);
    assert_non_null(m2m_credential_key(c));
    m2m_credential_free(c);
    m2m_credential_free(NULL);
    /* key not matching the certificate */
    assert_null(m2m_credential_load(f->other_key, f->leaf_cert, NULL, &err));
    assert_int_equal(err.code, M2M_E_KEY_MISMATCH);
    assert_null(
        m2m_credential_new(m2m_credential_key(f->other), m2m_credential_cert(f->leaf), NULL, &err));
    assert_int_equal(err.code, M2M_E_KEY_MISMATCH);
}

static void test_chain_in_cert_file(void **state)
{
    struct lfix *f = *state;
    struct m2m_error err = {0};
    size_t a = 0, b = 0;
    char *leaf = slurp(f->leaf_cert, &a), *ca = slurp(f->ca_pem, &b);
    char *both = malloc(a + b);
    char *p;
    struct m2m_credential *c;

    memcpy(both, leaf, a);
    memcpy(both + a, ca, b);
    p = pki_test_write(f->dir, "fullchain.pem", both, a + b);
    c = m2m_credential_load(f->leaf_key, p, NULL, &err);
    assert_non_null(c);
    assert_int_equal(sk_X509_num(m2m_credential_chain(c)), 1);
    m2m_credential_free(c);
    free(p);
    free(both);
    free(leaf);
    free(ca);
}

static void test_file_modes(void **state)
{
    struct lfix *f = *state;
    struct stat st;

    assert_int_equal(stat(f->leaf_key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(f->leaf_cert, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_anchor_dir(void **state)
{
    struct lfix *f = *state;
    struct m2m_error err = {0};
    char *dir = pki_test_tmpdir();
    char *p = path_in(dir, "root.pem");
    struct m2m_trust *t = m2m_trust_new(&err);
    char *bad;

    assert_int_equal(m2m_pki_write_cert(p, m2m_credential_cert(f->ca), &err), 0);
    free(p);
    p = path_in(dir, "leaf.pem");
    assert_int_equal(m2m_pki_write_cert(p, m2m_credential_cert(f->leaf), &err), 0);
    free(p);
    assert_int_equal(m2m_trust_add_anchors(t, dir, &err), 0);
    assert_int_equal(m2m_trust_anchor_count(t), 2);
    /* a single file works too, and a duplicate is not counted twice */
    assert_int_equal(m2m_trust_add_anchors(t, f->ca_pem, &err), 0);
    assert_int_equal(m2m_trust_anchor_count(t), 2);
    bad = pki_test_write(dir, "zz-garbage.pem", "junk\n", 5);
    assert_int_equal(m2m_trust_add_anchors(t, dir, &err), -1);
    assert_int_equal(err.code, M2M_E_PEM);
    assert_non_null(strstr(err.msg, "zz-garbage.pem"));
    free(bad);
    m2m_trust_free(t);
    m2m_trust_free(NULL);
    pki_test_rmdir(dir);
}

static void test_crl_roundtrip(void **state)
{
    struct lfix *f = *state;
    struct m2m_error err = {0};
    X509 *revoked = m2m_credential_cert(f->leaf);
    X509_CRL *crl = NULL, *back = NULL;
    char *p = path_in(f->dir, "ca.crl.pem");
    struct m2m_trust *t = m2m_trust_new(&err);

    assert_int_equal(m2m_pki_make_crl(f->ca, &revoked, 1, 30, &crl, &err), 0);
    assert_int_equal(m2m_pki_write_crl(p, crl, &err), 0);
    back = m2m_pki_load_crl(p, &err);
    assert_non_null(back);
    assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(back)), 1);
    assert_int_equal(m2m_trust_add_anchor_cert(t, m2m_credential_cert(f->ca), &err), 0);
    assert_int_equal(m2m_trust_add_crls(t, p, &err), 0);
    assert_int_equal(
        m2m_verify_cert(t, revoked, NULL, M2M_FLAVOUR_FQDN, "mef.example.com", NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_CERT_REVOKED);
    /* a CRL only lists certificates of its own issuer */
    assert_int_equal(m2m_pki_make_crl(f->leaf, &revoked, 1, 30, &crl, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_int_equal(m2m_pki_make_crl(f->ca, NULL, 0, 0, &crl, &err), -1);
    m2m_trust_free(t);
    X509_CRL_free(crl);
    X509_CRL_free(back);
    free(p);
}

struct icase {
    const char *name;
    enum m2m_cert_kind kind;
    enum m2m_flavour flavour;
    const char *identity;
    int with_issuer;
    enum m2m_errcode want;
};

static const struct icase icases[] = {
    {"wildcard identity refused", M2M_CERT_END_ENTITY, M2M_FLAVOUR_CSE_ID, "*.example.com", 1,
     M2M_E_CERT_WILDCARD},
    {"device id outside the arc", M2M_CERT_END_ENTITY, M2M_FLAVOUR_DEVICE, "1.2.3.4", 1,
     M2M_E_ID_SYNTAX},
    {"device id is the bare arc", M2M_CERT_END_ENTITY, M2M_FLAVOUR_DEVICE, "0.2.481.1", 1,
     M2M_E_ID_SYNTAX},
    {"AE-ID without a host", M2M_CERT_END_ENTITY, M2M_FLAVOUR_AE_ID, "//sp.example.com/C1/Ca", 1,
     M2M_E_ID_SYNTAX},
    {"CSE-ID not a domain", M2M_CERT_END_ENTITY, M2M_FLAVOUR_CSE_ID, "in cse", 1,
     M2M_E_FQDN_SYNTAX},
    {"Node-ID neither OID nor URI", M2M_CERT_END_ENTITY, M2M_FLAVOUR_NODE_ID, "node7", 1,
     M2M_E_ID_SYNTAX},
    {"end entity without flavour", M2M_CERT_END_ENTITY, M2M_FLAVOUR_NONE, "x.example.com", 1,
     M2M_E_INVALID_ARG},
    {"root with an issuer", M2M_CERT_ROOT_CA, M2M_FLAVOUR_NONE, NULL, 1, M2M_E_INVALID_ARG},
    {"intermediate without issuer", M2M_CERT_INTERMEDIATE_CA, M2M_FLAVOUR_NONE, NULL, 0,
     M2M_E_INVALID_ARG},
    {"end entity ok", M2M_CERT_END_ENTITY, M2M_FLAVOUR_NODE_ID, "urn:dev:mac:0024befffe804ff1", 1,
     M2M_OK},
};

static void test_issue_table(void **state)
{
    struct lfix *f = *state;
    int failures = 0;

    for (size_t i = 0; i < sizeof(icases) / sizeof(icases[0]); i++) {
        const struct icase *c = &icases[i];
        struct m2m_cert_spec s = pki_test_spec(c->kind, c->flavour, c->identity);
        struct m2m_error err = {0};
        EVP_PKEY *k = NULL;
        X509 *x = NULL;
        int rc = m2m_pki_issue(&s, c->with_issuer ? f->ca : NULL, &k, &x, &err);

        if ((c->want == M2M_OK) != (rc == 0) || (rc != 0 && err.code != c->want)) {
            print_error("FAIL %s: want %s, got %s (%s)\n", c->name, m2m_errcode_name(c->want),
                        m2m_errcode_name(err.code), err.msg);
            failures++;
        }
        EVP_PKEY_free(k);
        X509_free(x);
    }
    assert_int_equal(failures, 0);
}

static void test_flavour_names(void **state)
{
    struct m2m_error err = {0};
    enum m2m_flavour fl;

    (void)state;
    for (int i = M2M_FLAVOUR_DEVICE; i < M2M_FLAVOUR__COUNT; i++) {
        assert_int_equal(m2m_flavour_parse(m2m_flavour_name((enum m2m_flavour)i), &fl, &err), 0);
        assert_int_equal(fl, i);
    }
    assert_int_equal(m2m_flavour_parse("Device", &fl, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_table),  cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_credential),    cmocka_unit_test(test_chain_in_cert_file),
        cmocka_unit_test(test_file_modes),    cmocka_unit_test(test_anchor_dir),
        cmocka_unit_test(test_crl_roundtrip), cmocka_unit_test(test_issue_table),
        cmocka_unit_test(test_flavour_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
