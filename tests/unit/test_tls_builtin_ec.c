/* m2m_tls_use_builtin_ec_keys: certificates decoded after it (as libssl decodes what a peer
 * sends) verify with exactly the outcome they had before, good and bad alike, and a mutual
 * TLS handshake with export works on top. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "pki_testutil.h"
#include "tls_helpers.h"

#define DEVICE "0.2.481.1.100.3030.10011"

struct pki {
    struct m2m_credential *root, *mfr, *rogue, *dev, *p384, *dev_rogue;
    struct m2m_trust *trust;
};

static struct pki make_pki(void)
{
    struct pki p;
    struct m2m_cert_spec s;
    struct m2m_error err;

    s = pki_test_spec(M2M_CERT_ROOT_CA, M2M_FLAVOUR_NONE, NULL);
    p.root = pki_test_cred(&s, NULL);
    p.rogue = pki_test_cred(&s, NULL);
    s = pki_test_spec(M2M_CERT_INTERMEDIATE_CA, M2M_FLAVOUR_NONE, NULL);
    p.mfr = pki_test_cred(&s, p.root);
    s = pki_test_spec(M2M_CERT_END_ENTITY, M2M_FLAVOUR_DEVICE, DEVICE);
    p.dev = pki_test_cred(&s, p.mfr);
    p.dev_rogue = pki_test_cred(&s, p.rogue);
    s.key_type = M2M_KEY_P384;
    p.p384 = pki_test_cred(&s, p.mfr);
    p.trust = m2m_trust_new(&err);
    assert_non_null(p.trust);
    assert_int_equal(m2m_trust_add_anchor_cert(p.trust, m2m_credential_cert(p.root), &err), 0);
    return p;
}

static void free_pki(struct pki *p)
{
    m2m_credential_free(p->root);
    m2m_credential_free(p->mfr);
    m2m_credential_free(p->rogue);
    m2m_credential_free(p->dev);
    m2m_credential_free(p->p384);
    m2m_credential_free(p->dev_rogue);
    m2m_trust_free(p->trust);
}

/* A certificate as a peer's bytes become one: DER, then d2i. */
static X509 *reparsed(X509 *x)
{
    unsigned char *der = NULL;
    const unsigned char *q;
    int n = i2d_X509(x, &der);
    X509 *y;

    assert_true(n > 0);
    q = der;
    y = d2i_X509(NULL, &q, n);
    assert_non_null(y);
    OPENSSL_free(der);
    return y;
}

/* The same leaf with one bit of its signature flipped. */
static X509 *tampered(X509 *x)
{
    unsigned char *der = NULL;
    const unsigned char *q;
    int n = i2d_X509(x, &der);
    X509 *y;

    assert_true(n > 0);
    der[n - 3] ^= 0x01; /* inside the ECDSA signature's last INTEGER */
    q = der;
    y = d2i_X509(NULL, &q, n);
    OPENSSL_free(der);
    return y;
}

/* The outcome of verifying leaf (reparsed) with the intermediate (reparsed). */
static enum m2m_errcode outcome(const struct pki *p, X509 *leaf_in, int tamper)
{
    X509 *leaf = tamper ? tampered(leaf_in) : reparsed(leaf_in);
    X509 *mfr = reparsed(m2m_credential_cert(p->mfr));
    STACK_OF(X509) *chain = pki_test_chain(mfr, NULL);
    struct m2m_verified v;
    struct m2m_error err;
    enum m2m_errcode code;

    if (leaf == NULL) { /* a tampered encoding that no longer parses */
        sk_X509_pop_free(chain, X509_free);
        X509_free(mfr);
        return M2M_E_CERT_LOAD;
    }
    code = m2m_verify_cert(p->trust, leaf, chain, M2M_FLAVOUR_DEVICE, DEVICE, &v, &err) == 0
               ? M2M_OK
               : err.code;
    if (code == M2M_OK)
        assert_string_equal(v.identity, DEVICE);
    sk_X509_pop_free(chain, X509_free);
    X509_free(mfr);
    X509_free(leaf);
    return code;
}

static void outcomes(const struct pki *p, enum m2m_errcode out[4])
{
    out[0] = outcome(p, m2m_credential_cert(p->dev), 0);
    out[1] = outcome(p, m2m_credential_cert(p->dev), 1);
    out[2] = outcome(p, m2m_credential_cert(p->p384), 0);
    out[3] = outcome(p, m2m_credential_cert(p->dev_rogue), 0);
}

static void test_same_outcomes(void **state)
{
    struct pki p = make_pki();
    enum m2m_errcode before[4], after[4];
    struct m2m_error err;

    (void)state;
    assert_false(m2m_tls_builtin_ec_keys_active());
    outcomes(&p, before);
    assert_int_equal(before[0], M2M_OK);
    assert_int_not_equal(before[1], M2M_OK);
    assert_int_equal(before[2], M2M_E_CERT_PROFILE_KEY);
    assert_int_equal(before[3], M2M_E_CERT_UNTRUSTED);
    assert_int_equal(m2m_tls_use_builtin_ec_keys(&err), 0);
    assert_int_equal(m2m_tls_use_builtin_ec_keys(&err), 0); /* again: a no-op */
    assert_true(m2m_tls_builtin_ec_keys_active());
    outcomes(&p, after);
    for (int i = 0; i < 4; i++)
        if (before[i] != after[i])
            fail_msg("case %d: %d before, %d with the built-in EC method", i, before[i], after[i]);
    free_pki(&p);
}

/* A mutual-TLS handshake with the built-in method: the client's certificate and the
 * server's are decoded by it; both ends export the same keying material. */
static void test_handshake(void **state)
{
    struct tls_pki p;
    struct m2m_error err;
    struct m2m_tls_config *cc = m2m_tls_config_new(&err), *sc = m2m_tls_config_new(&err);
    struct m2m_tls_ctx *cctx, *sctx;
    struct tls_end ce, se;

    (void)state;
    assert_int_equal(m2m_tls_use_builtin_ec_keys(&err), 0);
    assert_int_equal(tls_pki_make(&p), 0);
    m2m_tls_config_set_credential(cc, p.client);
    m2m_tls_config_set_trust(cc, p.trust);
    m2m_tls_config_set_credential(sc, p.server);
    m2m_tls_config_set_trust(sc, p.trust);
    assert_int_equal(m2m_tls_config_set_peer(sc, M2M_FLAVOUR_CSE_ID, TLS_TEST_CLIENT_CSE, &err), 0);
    cctx = m2m_tls_ctx_new(cc, M2M_TLS_CLIENT, M2M_TRANSPORT_TLS, &err);
    sctx = m2m_tls_ctx_new(sc, M2M_TLS_SERVER, M2M_TRANSPORT_TLS, &err);
    assert_non_null(cctx);
    assert_non_null(sctx);
    assert_int_equal(
        tls_pair_run(cctx, NULL, sctx, M2M_TRANSPORT_TLS, TLS_TEST_SERVER_FQDN, &ce, &se), 0);
    if (ce.rc != 0 || se.rc != 0)
        fail_msg("client '%s', server '%s'", ce.rc ? ce.err.msg : "ok", se.rc ? se.err.msg : "ok");
    assert_int_equal(se.peer_rc, 0);
    assert_string_equal(se.peer.identity, TLS_TEST_CLIENT_CSE);
    assert_memory_equal(ce.exported, se.exported, TLS_TEST_EXPORT_LEN);
    /* A client that offers P-256 only for ECDHE: the server generates its share with the
     * built-in method too. */
    SSL_CTX *raw = SSL_CTX_new(TLS_client_method());
    assert_non_null(raw);
    assert_int_equal(SSL_CTX_set1_groups_list(raw, "P-256"), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(raw, TLS1_2_VERSION), 1);
    SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, NULL);
    assert_int_equal(SSL_CTX_use_certificate(raw, m2m_credential_cert(p.client)), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(raw, m2m_credential_key(p.client)), 1);
    assert_int_equal(
        tls_pair_run(NULL, raw, sctx, M2M_TRANSPORT_TLS, TLS_TEST_SERVER_FQDN, &ce, &se), 0);
    if (ce.rc != 0 || se.rc != 0)
        fail_msg("P-256 client '%s', server '%s'", ce.rc ? ce.err.msg : "ok",
                 se.rc ? se.err.msg : "ok");
    assert_string_equal(se.peer.identity, TLS_TEST_CLIENT_CSE);
    assert_memory_equal(ce.exported, se.exported, TLS_TEST_EXPORT_LEN);
    SSL_CTX_free(raw);
    m2m_tls_ctx_free(cctx);
    m2m_tls_ctx_free(sctx);
    m2m_tls_config_free(cc);
    m2m_tls_config_free(sc);
    tls_pki_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_outcomes),
        cmocka_unit_test(test_handshake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
