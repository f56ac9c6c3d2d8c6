/* The oneM2M certificate verification table (TS-0003 V3 8.2.2.2, 10.1.1): every flavour
 * accepted with its right identity, and every failed check reported with its own code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <m2msec/pki.h>

#include "pki_testutil.h"

#define NOW_MINUS(days) (time(NULL) - (time_t)(days)*PKI_TEST_DAY)
#define NOW_PLUS(days)  (time(NULL) + (time_t)(days)*PKI_TEST_DAY)

/* Issuing CAs of the fixture. */
enum ca {
    CA_ROOT,       /* self-signed root */
    CA_INTER,      /* root -> service provider CA, nameConstraints sp.example.com, pathlen 0 */
    CA_MFR,        /* root -> manufacturer CA, no constraints, pathlen 0 */
    CA_SUB,        /* manufacturer -> sub CA (exceeds the manufacturer's pathlen) */
    CA_NOTCA,      /* root -> a "CA" without CA:TRUE */
    CA_OTHER_ROOT, /* a root nobody trusts */
    CA__COUNT
};

/* Leaves of the fixture: flavour, identity, issuer, and what is deliberately wrong. */
enum leaf {
    L_DEVICE_OID,
    L_DEVICE_URN,
    L_DEVICE_ARC2,
    L_NODE_OID,
    L_NODE_URI,
    L_CSE,
    L_AE,
    L_FQDN_DNS,
    L_FQDN_URI,
    L_SELF,
    L_SELF_OTHER,
    L_CN_ONLY,
    L_WILDCARD,
    L_UNKNOWN,
    L_EXPIRED,
    L_NOTYET,
    L_REVOKED,
    L_NOTCA,
    L_PATHLEN,
    L_AE_OUTSIDE,
    L_AE_NO_NC,
    L_RSA,
    L_P384,
    L_SHA1,
    L_NO_DIGSIG,
    L__COUNT
};

struct leaf_def {
    enum leaf id;
    enum ca issuer; /* CA__COUNT = self-signed */
    enum m2m_flavour flavour;
    const char *identity;
    void (*tweak)(struct m2m_cert_spec *s);
};

static void t_cn_only(struct m2m_cert_spec *s)
{
    s->insecure_cn_only = 1;
}
static void t_wildcard(struct m2m_cert_spec *s)
{
    s->insecure_wildcard = 1;
}
static void t_rsa(struct m2m_cert_spec *s)
{
    s->key_type = M2M_KEY_RSA2048;
}
static void t_p384(struct m2m_cert_spec *s)
{
    s->key_type = M2M_KEY_P384;
}
static void t_sha1(struct m2m_cert_spec *s)
{
    s->insecure_sha1 = 1;
}
static void t_no_digsig(struct m2m_cert_spec *s)
{
    s->insecure_no_digsig = 1;
}
static void t_arc2(struct m2m_cert_spec *s)
{
    s->device_arc = "1.3.6.1.4.1.99999.1";
}
static void t_expired(struct m2m_cert_spec *s)
{
    s->not_before = NOW_MINUS(10);
    s->not_after = NOW_MINUS(1);
}
static void t_notyet(struct m2m_cert_spec *s)
{
    s->not_before = NOW_PLUS(1);
    s->not_after = NOW_PLUS(10);
}

static const struct leaf_def leaf_defs[L__COUNT] = {
    {L_DEVICE_OID, CA_MFR, M2M_FLAVOUR_DEVICE, "0.2.481.1.100.3030.10011", NULL},
    {L_DEVICE_URN, CA_MFR, M2M_FLAVOUR_DEVICE, "urn:dev:ops:001122-Sensor-1234", NULL},
    {L_DEVICE_ARC2, CA_MFR, M2M_FLAVOUR_DEVICE, "1.3.6.1.4.1.99999.1.7.8.9", t_arc2},
    {L_NODE_OID, CA_MFR, M2M_FLAVOUR_NODE_ID, "0.2.481.1.200.1.7", NULL},
    {L_NODE_URI, CA_MFR, M2M_FLAVOUR_NODE_ID, "urn:gsma:imei:90420156-025763-0", NULL},
    {L_CSE, CA_INTER, M2M_FLAVOUR_CSE_ID, "in-cse.sp.example.com", NULL},
    {L_AE, CA_INTER, M2M_FLAVOUR_AE_ID, "https://sp.example.com/CSE1/Cabc", NULL},
    {L_FQDN_DNS, CA_INTER, M2M_FLAVOUR_FQDN, "mef.sp.example.com", NULL},
    {L_FQDN_URI, CA_INTER, M2M_FLAVOUR_FQDN, "https://maf.sp.example.com", NULL},
    {L_SELF, CA__COUNT, M2M_FLAVOUR_FQDN, "self.example.com", NULL},
    {L_SELF_OTHER, CA__COUNT, M2M_FLAVOUR_FQDN, "self.example.com", NULL},
    {L_CN_ONLY, CA_INTER, M2M_FLAVOUR_CSE_ID, "cn.sp.example.com", t_cn_only},
    {L_WILDCARD, CA_INTER, M2M_FLAVOUR_CSE_ID, "*.sp.example.com", t_wildcard},
    {L_UNKNOWN, CA_OTHER_ROOT, M2M_FLAVOUR_FQDN, "mef.sp.example.com", NULL},
    {L_EXPIRED, CA_INTER, M2M_FLAVOUR_FQDN, "mef.sp.example.com", t_expired},
    {L_NOTYET, CA_INTER, M2M_FLAVOUR_FQDN, "mef.sp.example.com", t_notyet},
    {L_REVOKED, CA_MFR, M2M_FLAVOUR_DEVICE, "0.2.481.1.100.3030.666", NULL},
    {L_NOTCA, CA_NOTCA, M2M_FLAVOUR_FQDN, "mef.sp.example.com", NULL},
    {L_PATHLEN, CA_SUB, M2M_FLAVOUR_DEVICE, "0.2.481.1.100.3030.1", NULL},
    {L_AE_OUTSIDE, CA_INTER, M2M_FLAVOUR_AE_ID, "https://evil.example.org/CSE1/Cabc", NULL},
    {L_AE_NO_NC, CA_MFR, M2M_FLAVOUR_AE_ID, "https://sp.example.com/CSE1/Cabc", NULL},
    {L_RSA, CA_INTER, M2M_FLAVOUR_FQDN, "mef.sp.example.com", t_rsa},
    {L_P384, CA_INTER, M2M_FLAVOUR_FQDN, "mef.sp.example.com", t_p384},
    {L_SHA1, CA_INTER, M2M_FLAVOUR_FQDN, "mef.sp.example.com", t_sha1},
    {L_NO_DIGSIG, CA_INTER, M2M_FLAVOUR_FQDN, "mef.sp.example.com", t_no_digsig},
};

/* Trust sets of the fixture. */
enum trust {
    T_ROOT,        /* root */
    T_INTER,       /* the SP intermediate only: a non-self-signed anchor */
    T_SELF,        /* the self-signed leaf L_SELF itself */
    T_CRL,         /* root + CRLs of root and manufacturer (L_REVOKED listed) */
    T_CRL_PARTIAL, /* root + the root's CRL only: the manufacturer CA has none */
    T_RELAXED,     /* root, profile relaxed */
    T_PAST,        /* root, verifying 5 days ago */
    T_ARC2,        /* root, device arc 1.3.6.1.4.1.99999.1 */
    T__COUNT
};

/* Untrusted certificates the peer sends with its leaf. */
enum chain { C_NONE, C_INTER, C_MFR, C_SUB, C_NOTCA, C_OTHER, C__COUNT };

struct fixture {
    struct m2m_credential *ca[CA__COUNT];
    struct m2m_credential *leaf[L__COUNT];
    struct m2m_trust *trust[T__COUNT];
    STACK_OF(X509) *chain[C__COUNT];
};

static X509 *ca_cert(struct fixture *f, enum ca c)
{
    return m2m_credential_cert(f->ca[c]);
}

static void build_cas(struct fixture *f)
{
    struct m2m_cert_spec s = pki_test_spec(M2M_CERT_ROOT_CA, M2M_FLAVOUR_NONE, NULL);

    s.common_name = "Test Root";
    f->ca[CA_ROOT] = pki_test_cred(&s, NULL);
    s.common_name = "Other Root";
    f->ca[CA_OTHER_ROOT] = pki_test_cred(&s, NULL);
    s = pki_test_spec(M2M_CERT_INTERMEDIATE_CA, M2M_FLAVOUR_NONE, NULL);
    s.common_name = "SP CA";
    s.path_len = 0;
    s.permitted_dns[0] = "sp.example.com";
    f->ca[CA_INTER] = pki_test_cred(&s, f->ca[CA_ROOT]);
    s.permitted_dns[0] = NULL;
    s.common_name = "Manufacturer CA";
    f->ca[CA_MFR] = pki_test_cred(&s, f->ca[CA_ROOT]);
    s.common_name = "Sub CA";
    s.path_len = -1;
    f->ca[CA_SUB] = pki_test_cred(&s, f->ca[CA_MFR]);
    s.common_name = "Not a CA";
    s.insecure_not_ca = 1;
    f->ca[CA_NOTCA] = pki_test_cred(&s, f->ca[CA_ROOT]);
}

static void build_leaves(struct fixture *f)
{
    for (int i = 0; i < L__COUNT; i++) {
        const struct leaf_def *d = &leaf_defs[i];
        struct m2m_cert_spec s = pki_test_spec(M2M_CERT_END_ENTITY, d->flavour, d->identity);

        assert_int_equal(d->id, i);
        if (d->tweak != NULL)
            d->tweak(&s);
        f->leaf[i] = pki_test_cred(&s, d->issuer == CA__COUNT ? NULL : f->ca[d->issuer]);
    }
}

static void add_crl(struct m2m_trust *t, struct m2m_credential *issuer, X509 *revoked)
{
    struct m2m_error err = {0};
    X509_CRL *crl = NULL;

    assert_int_equal(m2m_pki_make_crl(issuer, &revoked, revoked != NULL, 7, &crl, &err), 0);
    assert_int_equal(m2m_trust_add_crl(t, crl, &err), 0);
    X509_CRL_free(crl);
}

static struct m2m_trust *trust_with(X509 *anchor)
{
    struct m2m_error err = {0};
    struct m2m_trust *t = m2m_trust_new(&err);

    assert_non_null(t);
    assert_int_equal(m2m_trust_add_anchor_cert(t, anchor, &err), 0);
    return t;
}

static void build_trusts(struct fixture *f)
{
    struct m2m_error err = {0};
    X509 *root = ca_cert(f, CA_ROOT);

    for (int i = 0; i < T__COUNT; i++)
        f->trust[i] = trust_with(root);
    m2m_trust_free(f->trust[T_INTER]);
    f->trust[T_INTER] = trust_with(ca_cert(f, CA_INTER));
    m2m_trust_free(f->trust[T_SELF]);
    f->trust[T_SELF] = trust_with(m2m_credential_cert(f->leaf[L_SELF]));
    add_crl(f->trust[T_CRL], f->ca[CA_ROOT], NULL);
    add_crl(f->trust[T_CRL], f->ca[CA_MFR], m2m_credential_cert(f->leaf[L_REVOKED]));
    add_crl(f->trust[T_CRL_PARTIAL], f->ca[CA_ROOT], NULL);
    m2m_trust_insecure_relax_profile(f->trust[T_RELAXED]);
    m2m_trust_set_time(f->trust[T_PAST], NOW_MINUS(5));
    assert_int_equal(m2m_trust_set_device_arc(f->trust[T_ARC2], "1.3.6.1.4.1.99999.1", &err), 0);
}

static void build_chains(struct fixture *f)
{
    f->chain[C_NONE] = NULL;
    f->chain[C_INTER] = pki_test_chain(ca_cert(f, CA_INTER), NULL);
    f->chain[C_MFR] = pki_test_chain(ca_cert(f, CA_MFR), NULL);
    f->chain[C_SUB] = pki_test_chain(ca_cert(f, CA_SUB), ca_cert(f, CA_MFR), NULL);
    f->chain[C_NOTCA] = pki_test_chain(ca_cert(f, CA_NOTCA), NULL);
    f->chain[C_OTHER] = pki_test_chain(ca_cert(f, CA_OTHER_ROOT), NULL);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    build_cas(f);
    build_leaves(f);
    build_trusts(f);
    build_chains(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    for (int i = 0; i < CA__COUNT; i++)
        m2m_credential_free(f->ca[i]);
    for (int i = 0; i < L__COUNT; i++)
        m2m_credential_free(f->leaf[i]);
    for (int i = 0; i < T__COUNT; i++)
        m2m_trust_free(f->trust[i]);
    for (int i = 0; i < C__COUNT; i++)
        sk_X509_pop_free(f->chain[i], X509_free);
    free(f);
    return 0;
}

struct vcase {
    const char *name;
    enum leaf leaf;
    enum chain chain;
    enum trust trust;
    enum m2m_flavour flavour;
    const char *expected;
    enum m2m_errcode want;
    const char *want_identity; /* success rows: the reported identity */
};

#define DEV    M2M_FLAVOUR_DEVICE
#define NODE   M2M_FLAVOUR_NODE_ID
#define CSE    M2M_FLAVOUR_CSE_ID
#define AE     M2M_FLAVOUR_AE_ID
#define FQDN   M2M_FLAVOUR_FQDN
#define AE_URI "https://sp.example.com/CSE1/Cabc"
#define DEV_ID "0.2.481.1.100.3030.10011"

static const struct vcase cases[] = {
    /* accepted, each flavour with its identity */
    {"device otherName", L_DEVICE_OID, C_MFR, T_ROOT, DEV, DEV_ID, M2M_OK, DEV_ID},
    {"device any identity", L_DEVICE_OID, C_MFR, T_ROOT, DEV, NULL, M2M_OK, DEV_ID},
    {"device urn:dev", L_DEVICE_URN, C_MFR, T_ROOT, DEV, "urn:dev:ops:001122-Sensor-1234", M2M_OK,
     "urn:dev:ops:001122-Sensor-1234"},
    {"device under a configured arc", L_DEVICE_ARC2, C_MFR, T_ARC2, DEV,
     "1.3.6.1.4.1.99999.1.7.8.9", M2M_OK, "1.3.6.1.4.1.99999.1.7.8.9"},
    {"Node-ID as OID", L_NODE_OID, C_MFR, T_ROOT, NODE, "0.2.481.1.200.1.7", M2M_OK,
     "0.2.481.1.200.1.7"},
    {"Node-ID as URI", L_NODE_URI, C_MFR, T_ROOT, NODE, "urn:gsma:imei:90420156-025763-0", M2M_OK,
     "urn:gsma:imei:90420156-025763-0"},
    {"CSE-ID", L_CSE, C_INTER, T_ROOT, CSE, "in-cse.sp.example.com", M2M_OK,
     "in-cse.sp.example.com"},
    {"CSE-ID DNS case-insensitive", L_CSE, C_INTER, T_ROOT, CSE, "IN-CSE.SP.Example.COM", M2M_OK,
     "in-cse.sp.example.com"},
    {"AE-ID", L_AE, C_INTER, T_ROOT, AE, AE_URI, M2M_OK, AE_URI},
    {"FQDN dNSName", L_FQDN_DNS, C_INTER, T_ROOT, FQDN, "mef.sp.example.com", M2M_OK,
     "mef.sp.example.com"},
    {"FQDN URI", L_FQDN_URI, C_INTER, T_ROOT, FQDN, "https://maf.sp.example.com", M2M_OK,
     "https://maf.sp.example.com"},
    {"leaf only, intermediate anchor", L_CSE, C_NONE, T_INTER, CSE, "in-cse.sp.example.com", M2M_OK,
     "in-cse.sp.example.com"},
    {"AE-ID under intermediate anchor", L_AE, C_NONE, T_INTER, AE, AE_URI, M2M_OK, AE_URI},
    {"self-signed leaf is the anchor", L_SELF, C_NONE, T_SELF, FQDN, "self.example.com", M2M_OK,
     "self.example.com"},
    {"revocation checked, not revoked", L_DEVICE_OID, C_MFR, T_CRL, DEV, DEV_ID, M2M_OK, DEV_ID},
    {"expired leaf at a past time", L_EXPIRED, C_INTER, T_PAST, FQDN, "mef.sp.example.com", M2M_OK,
     "mef.sp.example.com"},
    /* identity failures */
    {"wrong name", L_CSE, C_INTER, T_ROOT, CSE, "mn-cse.sp.example.com", M2M_E_CERT_NAME, NULL},
    {"name only in CN", L_CN_ONLY, C_INTER, T_ROOT, CSE, "cn.sp.example.com", M2M_E_CERT_NAME,
     NULL},
    {"wildcard in SAN", L_WILDCARD, C_INTER, T_ROOT, CSE, "a.sp.example.com", M2M_E_CERT_WILDCARD,
     NULL},
    {"wildcard configured", L_CSE, C_INTER, T_ROOT, CSE, "*.sp.example.com", M2M_E_CERT_WILDCARD,
     NULL},
    {"CSE-ID present only as URI", L_FQDN_URI, C_INTER, T_ROOT, CSE, "https://maf.sp.example.com",
     M2M_E_CERT_NAME, NULL},
    {"AE-ID URI checked as CSE-ID", L_AE, C_INTER, T_ROOT, CSE, AE_URI, M2M_E_CERT_NAME, NULL},
    {"device id checked as AE-ID", L_DEVICE_OID, C_MFR, T_ROOT, AE, DEV_ID, M2M_E_CERT_NAME, NULL},
    {"FQDN dNSName checked as AE-ID", L_FQDN_DNS, C_INTER, T_ROOT, AE, "mef.sp.example.com",
     M2M_E_CERT_NAME, NULL},
    {"device URI case differs", L_DEVICE_URN, C_MFR, T_ROOT, DEV, "urn:dev:ops:001122-SENSOR-1234",
     M2M_E_CERT_NAME, NULL},
    {"device arc not configured", L_DEVICE_ARC2, C_MFR, T_ROOT, DEV, "1.3.6.1.4.1.99999.1.7.8.9",
     M2M_E_CERT_NAME, NULL},
    /* path failures */
    {"unknown root", L_UNKNOWN, C_OTHER, T_ROOT, FQDN, "mef.sp.example.com", M2M_E_CERT_UNTRUSTED,
     NULL},
    {"missing intermediate", L_CSE, C_NONE, T_ROOT, CSE, "in-cse.sp.example.com",
     M2M_E_CERT_UNTRUSTED, NULL},
    {"self-signed, not an anchor", L_SELF_OTHER, C_NONE, T_SELF, FQDN, "self.example.com",
     M2M_E_CERT_UNTRUSTED, NULL},
    {"expired", L_EXPIRED, C_INTER, T_ROOT, FQDN, "mef.sp.example.com", M2M_E_CERT_EXPIRED, NULL},
    {"not yet valid", L_NOTYET, C_INTER, T_ROOT, FQDN, "mef.sp.example.com",
     M2M_E_CERT_NOT_YET_VALID, NULL},
    {"valid at a past time too", L_CSE, C_INTER, T_PAST, CSE, "in-cse.sp.example.com", M2M_OK,
     "in-cse.sp.example.com"},
    {"revoked by CRL", L_REVOKED, C_MFR, T_CRL, DEV, "0.2.481.1.100.3030.666", M2M_E_CERT_REVOKED,
     NULL},
    {"issuer without CRL", L_DEVICE_OID, C_MFR, T_CRL_PARTIAL, DEV, DEV_ID, M2M_E_CERT_CRL, NULL},
    {"issuer without CA:TRUE", L_NOTCA, C_NOTCA, T_ROOT, FQDN, "mef.sp.example.com",
     M2M_E_CERT_NOT_CA, NULL},
    {"path length exceeded", L_PATHLEN, C_SUB, T_ROOT, DEV, "0.2.481.1.100.3030.1",
     M2M_E_CERT_PATHLEN, NULL},
    {"AE-ID host outside constraints", L_AE_OUTSIDE, C_INTER, T_ROOT, AE,
     "https://evil.example.org/CSE1/Cabc", M2M_E_CERT_NAME_CONSTRAINTS, NULL},
    {"AE-ID issuer without constraints", L_AE_NO_NC, C_MFR, T_ROOT, AE, AE_URI,
     M2M_E_CERT_NAME_CONSTRAINTS, NULL},
    /* profile failures, and the relaxed profile accepting them */
    {"RSA key", L_RSA, C_INTER, T_ROOT, FQDN, "mef.sp.example.com", M2M_E_CERT_PROFILE_KEY, NULL},
    {"P-384 key", L_P384, C_INTER, T_ROOT, FQDN, "mef.sp.example.com", M2M_E_CERT_PROFILE_KEY,
     NULL},
    {"SHA-1 signature", L_SHA1, C_INTER, T_ROOT, FQDN, "mef.sp.example.com", M2M_E_CERT_PROFILE_SIG,
     NULL},
    {"keyUsage without digitalSignature", L_NO_DIGSIG, C_INTER, T_ROOT, FQDN, "mef.sp.example.com",
     M2M_E_CERT_PROFILE_KU, NULL},
    {"relaxed: RSA key", L_RSA, C_INTER, T_RELAXED, FQDN, "mef.sp.example.com", M2M_OK,
     "mef.sp.example.com"},
    {"relaxed: P-384 key", L_P384, C_INTER, T_RELAXED, FQDN, "mef.sp.example.com", M2M_OK,
     "mef.sp.example.com"},
    {"relaxed: SHA-1", L_SHA1, C_INTER, T_RELAXED, FQDN, "mef.sp.example.com", M2M_OK,
     "mef.sp.example.com"},
    {"relaxed: still checks the name", L_RSA, C_INTER, T_RELAXED, FQDN, "maf.sp.example.com",
     M2M_E_CERT_NAME, NULL},
    {"relaxed: still checks the path", L_UNKNOWN, C_OTHER, T_RELAXED, FQDN, "mef.sp.example.com",
     M2M_E_CERT_UNTRUSTED, NULL},
};

static void test_verify_table(void **state)
{
    struct fixture *f = *state;
    int failures = 0;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct vcase *c = &cases[i];
        struct m2m_error err = {0};
        struct m2m_verified v;
        int rc;

        memset(&v, 0, sizeof(v));
        rc = m2m_verify_cert(f->trust[c->trust], m2m_credential_cert(f->leaf[c->leaf]),
                             f->chain[c->chain], c->flavour, c->expected, &v, &err);
        if (c->want == M2M_OK &&
            (rc != 0 || v.flavour != c->flavour || strcmp(v.identity, c->want_identity) != 0)) {
            print_error("FAIL %s: rc=%d %s identity '%s'\n", c->name, rc, err.msg, v.identity);
            failures++;
        } else if (c->want != M2M_OK && (rc != -1 || err.code != c->want)) {
            print_error("FAIL %s: want %s, got rc=%d %s (%s)\n", c->name, m2m_errcode_name(c->want),
                        rc, m2m_errcode_name(err.code), err.msg);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_table_size(void **state)
{
    (void)state;
    assert_true(sizeof(cases) / sizeof(cases[0]) >= 30);
}

static void test_verify_args(void **state)
{
    struct fixture *f = *state;
    struct m2m_error err = {0};
    X509 *leaf = m2m_credential_cert(f->leaf[L_CSE]);

    assert_int_equal(m2m_verify_cert(NULL, leaf, NULL, CSE, NULL, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_int_equal(
        m2m_verify_cert(f->trust[T_INTER], leaf, NULL, M2M_FLAVOUR_NONE, NULL, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    /* out may be NULL */
    assert_int_equal(m2m_verify_cert(f->trust[T_INTER], leaf, NULL, CSE, NULL, NULL, &err), 0);
}

static void test_identities(void **state)
{
    struct fixture *f = *state;
    struct m2m_error err = {0};
    char **ids = NULL;

    assert_int_equal(m2m_cert_identities(m2m_credential_cert(f->leaf[L_DEVICE_OID]),
                                         M2M_FLAVOUR_DEVICE, &ids, &err),
                     1);
    assert_string_equal(ids[0], DEV_ID);
    free(ids[0]);
    free(ids);
    assert_int_equal(m2m_cert_identities(m2m_credential_cert(f->leaf[L_DEVICE_OID]),
                                         M2M_FLAVOUR_CSE_ID, &ids, &err),
                     0);
    free(ids);
    assert_int_equal(m2m_cert_identities(m2m_credential_cert(f->leaf[L_WILDCARD]),
                                         M2M_FLAVOUR_CSE_ID, &ids, &err),
                     0);
    free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_size),
        cmocka_unit_test(test_verify_table),
        cmocka_unit_test(test_verify_args),
        cmocka_unit_test(test_identities),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
