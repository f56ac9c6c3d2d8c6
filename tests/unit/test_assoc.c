/* Entity A / Entity B associations over loopback (TS-0003 V3 8.2.2.2): every combination of
 * chain present/absent on either side, self-signed roots of trust, CSE-ID, AE-ID and
 * Credential-ID-mapped device certificates, PSK; each over TLS and DTLS. Then every refusal
 * the association must make, each leaving the listener's other associations working. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "assoc_helpers.h"

#define ID_A      ASSOC_SP "/CSEA"
#define ID_B      ASSOC_SP "/CSEB"
#define NAME_A    "csea.sp.example.com"
#define NAME_B    "cseb.sp.example.com"
#define ID_AE     ASSOC_SP "/CSEB/Cae1"
#define URI_AE    "onem2m://sp.example.com/CSEB/Cae1"
#define ID_DEV    ASSOC_SP "/CSED"
#define DEV_HWID  "0.2.481.1.100.3030.10011"
#define KPSA_ID   "00112233445566778899aabbccddeeff@sp.example.com"
#define KPSA_KEY  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define OTHER_KEY "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static struct assoc_ca root, sub, other;

static int setup(void **state)
{
    (void)state;
    if (assoc_ca_make(&root, NULL) != 0 || assoc_ca_make(&sub, &root) != 0 ||
        assoc_ca_make(&other, NULL) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assoc_ca_free(&root);
    assoc_ca_free(&sub);
    assoc_ca_free(&other);
    return 0;
}

static const enum m2m_transport transports[] = {M2M_TRANSPORT_TLS, M2M_TRANSPORT_DTLS};

static struct m2m_psk_store *psk_store(const char *identity, const char *hex, const char *peer)
{
    struct m2m_error err;
    struct m2m_psk_store *s = m2m_psk_store_new(&err);
    struct m2m_secret *k = m2m_secret_from_hex(hex, &err);

    assert_non_null(s);
    assert_non_null(k);
    assert_int_equal(m2m_psk_store_add(s, identity, k, peer, &err), 0);
    m2m_secret_free(k);
    return s;
}

/* ---- positive combinations ---- */
enum leaf_kind { LEAF_ROOT, LEAF_CHAIN, LEAF_SELF };

struct combo {
    const char *name;
    enum leaf_kind a, b;
    enum m2m_flavour a_flavour; /* CSE_ID, AE_ID, DEVICE (via Credential-ID); NONE = PSK */
};

static const struct combo combos[] = {
    {"no chain on either side", LEAF_ROOT, LEAF_ROOT, M2M_FLAVOUR_CSE_ID},
    {"A sends a chain, B none", LEAF_CHAIN, LEAF_ROOT, M2M_FLAVOUR_CSE_ID},
    {"B sends a chain, A none", LEAF_ROOT, LEAF_CHAIN, M2M_FLAVOUR_CSE_ID},
    {"both send chains", LEAF_CHAIN, LEAF_CHAIN, M2M_FLAVOUR_CSE_ID},
    {"both self-signed, root of trust = itself", LEAF_SELF, LEAF_SELF, M2M_FLAVOUR_CSE_ID},
    {"self-signed A, chained B", LEAF_SELF, LEAF_CHAIN, M2M_FLAVOUR_CSE_ID},
    {"AE-ID certificate at A", LEAF_ROOT, LEAF_ROOT, M2M_FLAVOUR_AE_ID},
    {"AE-ID certificate with chain at A", LEAF_CHAIN, LEAF_ROOT, M2M_FLAVOUR_AE_ID},
    {"device certificate mapped by Credential-ID", LEAF_CHAIN, LEAF_ROOT, M2M_FLAVOUR_DEVICE},
    {"PSK (KpsaID)", LEAF_ROOT, LEAF_ROOT, M2M_FLAVOUR_NONE},
};

static struct m2m_credential *make_leaf(enum leaf_kind k, enum m2m_flavour f, const char *id)
{
    struct m2m_credential *c = k == LEAF_ROOT    ? assoc_leaf(&root, NULL, f, id, ASSOC_LEAF_OK)
                               : k == LEAF_CHAIN ? assoc_leaf(&sub, &sub, f, id, ASSOC_LEAF_OK)
                                                 : assoc_leaf(NULL, NULL, f, id, ASSOC_LEAF_OK);
    assert_non_null(c);
    return c;
}

static struct m2m_trust *trust_of(enum leaf_kind k, const struct m2m_credential *c)
{
    struct m2m_trust *t;

    if (k == LEAF_SELF)
        return assoc_self_trust(c);
    t = root.trust;
    m2m_trust_up_ref(t);
    return t;
}

static const char *a_id(const struct combo *c)
{
    return c->a_flavour == M2M_FLAVOUR_AE_ID    ? ID_AE
           : c->a_flavour == M2M_FLAVOUR_DEVICE ? ID_DEV
                                                : ID_A;
}

static const char *a_identity(const struct combo *c)
{
    return c->a_flavour == M2M_FLAVOUR_AE_ID    ? URI_AE
           : c->a_flavour == M2M_FLAVOUR_DEVICE ? DEV_HWID
                                                : NAME_A;
}

/* The configs of A and B for one combination. */
static void configure(const struct combo *c, struct m2m_assoc_config **acfg,
                      struct m2m_assoc_config **bcfg)
{
    struct m2m_error err;
    struct m2m_credential *ca = NULL, *cb = NULL;
    struct m2m_trust *ta = NULL, *tb = NULL;
    struct m2m_assoc_peer pa = {.id = a_id(c)}, pb = {.id = ID_B};

    *acfg = m2m_assoc_config_new(&err);
    *bcfg = m2m_assoc_config_new(&err);
    assert_int_equal(m2m_assoc_config_set_id(*acfg, a_id(c), &err), 0);
    assert_int_equal(m2m_assoc_config_set_id(*bcfg, ID_B, &err), 0);
    if (c->a_flavour == M2M_FLAVOUR_NONE) {
        pa.psk_identity = pb.psk_identity = KPSA_ID;
        m2m_assoc_config_set_psk_store(*acfg, psk_store(KPSA_ID, KPSA_KEY, ID_B));
        m2m_assoc_config_set_psk_store(*bcfg, psk_store(KPSA_ID, KPSA_KEY, ID_A));
    } else {
        ca = make_leaf(c->a, c->a_flavour, a_identity(c));
        cb = make_leaf(c->b, M2M_FLAVOUR_CSE_ID, NAME_B);
        ta = trust_of(c->a, ca);
        tb = trust_of(c->b, cb);
        m2m_assoc_config_set_credential(*acfg, ca);
        m2m_assoc_config_set_credential(*bcfg, cb);
        /* A is told IdB, CertNameB (derived from IdB), RootOfTrustB. */
        pb.flavour = M2M_FLAVOUR_CSE_ID;
        pb.root = tb;
        /* B is told IdA, CertNameA, RootOfTrustA. */
        pa.root = ta;
        if (c->a_flavour == M2M_FLAVOUR_DEVICE)
            pa.credential_id = "31-" DEV_HWID;
        else
            pa.flavour = c->a_flavour;
    }
    assert_int_equal(m2m_assoc_config_add_peer(*acfg, &pb, &err), 0);
    assert_int_equal(m2m_assoc_config_add_peer(*bcfg, &pa, &err), 0);
    m2m_credential_free(ca);
    m2m_credential_free(cb);
    m2m_trust_free(ta);
    m2m_trust_free(tb);
}

static void test_combinations(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
        for (size_t t = 0; t < 2; t++) {
            const struct combo *c = &combos[i];
            struct m2m_assoc_config *acfg, *bcfg;
            struct assoc_server srv;
            struct m2m_assoc_conn *conn = NULL;
            struct m2m_error err;
            char greeting[600], want[600];
            const char *fl =
                c->a_flavour == M2M_FLAVOUR_NONE ? "psk" : m2m_flavour_name(c->a_flavour);

            print_message("%s over %s\n", c->name, t ? "DTLS" : "TLS");
            configure(c, &acfg, &bcfg);
            assert_int_equal(assoc_server_start(&srv, bcfg, transports[t]), 0);
            if (assoc_client(acfg, transports[t], srv.port, ID_B, &conn, greeting, sizeof(greeting),
                             &err) != 0)
                fail_msg("%s: %s (server: %s)", c->name, err.msg,
                         srv.n_rejects ? srv.reject_msg[0] : "-");
            /* A bound IdB; B bound IdA (its greeting says so). */
            assert_string_equal(m2m_assoc_conn_peer_id(conn), ID_B);
            assert_int_equal(m2m_assoc_conn_flavour(conn), c->a_flavour == M2M_FLAVOUR_NONE
                                                               ? M2M_FLAVOUR_NONE
                                                               : M2M_FLAVOUR_CSE_ID);
            snprintf(want, sizeof(want), "bound %s %s\n", a_id(c), fl);
            assert_string_equal(greeting, want);
            assert_int_equal(assoc_echo(conn, "hello B\n"), 0);
            m2m_assoc_conn_free(conn);
            assoc_server_stop(&srv);
            m2m_assoc_config_free(acfg);
            m2m_assoc_config_free(bcfg);
        }
    }
}

/* ---- refusals ---- */
enum neg {
    NEG_WRONG_NAME_AT_A,
    NEG_WRONG_ROOT_AT_B,
    NEG_REVOKED,
    NEG_EXPIRED,
    NEG_NOT_ALLOWED,
    NEG_PSK_WRONG_KEY,
    NEG_PSK_UNKNOWN,
};

struct neg_case {
    const char *name;
    enum neg kind;
    enum m2m_errcode a_code;      /* what A reports (M2M_OK: any failure) */
    enum m2m_errcode b_code;      /* what B reports (M2M_OK: B may not see it) */
    const char *b_msg;            /* a substring of B's message, or NULL */
    enum m2m_errcode b_code_dtls; /* when DTLS differs */
};

static const struct neg_case negs[] = {
    {"wrong CertNameB at A", NEG_WRONG_NAME_AT_A, M2M_E_CERT_NAME, M2M_OK, NULL, M2M_OK},
    {"wrong RootOfTrustA at B", NEG_WRONG_ROOT_AT_B, M2M_OK, M2M_E_CERT_UNTRUSTED, NULL, M2M_OK},
    {"revoked peer", NEG_REVOKED, M2M_OK, M2M_E_CERT_REVOKED, NULL, M2M_OK},
    {"expired peer", NEG_EXPIRED, M2M_OK, M2M_E_CERT_EXPIRED, NULL, M2M_OK},
    {"peer not in B's allowed list", NEG_NOT_ALLOWED, M2M_OK, M2M_E_CERT_NAME, "allowed list",
     M2M_OK},
    {"PSK with a wrong key", NEG_PSK_WRONG_KEY, M2M_OK, M2M_E_TLS_HANDSHAKE, "wrong key",
     /* RFC 6347 4.1.2.7: a bad MAC is dropped silently, so DTLS times out */
     M2M_E_TIMEOUT},
    {"unknown PSK identity", NEG_PSK_UNKNOWN, M2M_OK, M2M_E_TLS_PSK_UNKNOWN, NULL, M2M_OK},
};

#define ID_R "//sp.example.com/CSER"
#define ID_P "//sp.example.com/CSEP"

/* B allows A (CSE-ID under root), R (under root, with the root's CRL revoking R's
 * certificate) and P (PSK). */
struct neg_world {
    struct m2m_credential *a, *b, *r;
    X509_CRL *crl;
    struct m2m_trust *crl_trust;
    struct m2m_assoc_config *bcfg;
};

static void world_make(struct neg_world *w)
{
    struct m2m_error err;
    X509 *revoked[1];
    struct m2m_assoc_peer pa = {.id = ID_A, .flavour = M2M_FLAVOUR_CSE_ID, .root = root.trust};
    struct m2m_assoc_peer pr = {.id = ID_R, .flavour = M2M_FLAVOUR_CSE_ID};
    struct m2m_assoc_peer pp = {.id = ID_P, .psk_identity = KPSA_ID};

    memset(w, 0, sizeof(*w));
    w->a = make_leaf(LEAF_ROOT, M2M_FLAVOUR_CSE_ID, NAME_A);
    w->b = make_leaf(LEAF_ROOT, M2M_FLAVOUR_CSE_ID, NAME_B);
    w->r = make_leaf(LEAF_ROOT, M2M_FLAVOUR_CSE_ID, "cser.sp.example.com");
    revoked[0] = m2m_credential_cert(w->r);
    assert_int_equal(m2m_pki_make_crl(root.cred, revoked, 1, 30, &w->crl, &err), 0);
    w->crl_trust = assoc_self_trust(root.cred);
    assert_int_equal(m2m_trust_add_crl(w->crl_trust, w->crl, &err), 0);
    pr.root = w->crl_trust;
    w->bcfg = m2m_assoc_config_new(&err);
    assert_int_equal(m2m_assoc_config_set_id(w->bcfg, ID_B, &err), 0);
    m2m_assoc_config_set_credential(w->bcfg, w->b);
    m2m_assoc_config_set_psk_store(w->bcfg, psk_store(KPSA_ID, KPSA_KEY, NULL));
    assert_int_equal(m2m_assoc_config_add_peer(w->bcfg, &pa, &err), 0);
    assert_int_equal(m2m_assoc_config_add_peer(w->bcfg, &pr, &err), 0);
    assert_int_equal(m2m_assoc_config_add_peer(w->bcfg, &pp, &err), 0);
}

static void world_free(struct neg_world *w)
{
    m2m_credential_free(w->a);
    m2m_credential_free(w->b);
    m2m_credential_free(w->r);
    X509_CRL_free(w->crl);
    m2m_trust_free(w->crl_trust);
    m2m_assoc_config_free(w->bcfg);
}

/* An Entity A config with credential cred (or the PSK identity/key) towards B. */
static struct m2m_assoc_config *a_config(struct m2m_credential *cred, const char *b_name,
                                         const char *psk_id, const char *psk_key)
{
    struct m2m_error err;
    struct m2m_assoc_config *cfg = m2m_assoc_config_new(&err);
    struct m2m_assoc_peer pb = {.id = ID_B};

    assert_non_null(cfg);
    if (psk_id != NULL) {
        pb.psk_identity = psk_id;
        m2m_assoc_config_set_psk_store(cfg, psk_store(psk_id, psk_key, NULL));
    } else {
        pb.flavour = M2M_FLAVOUR_CSE_ID;
        pb.cert_name = b_name;
        pb.root = root.trust;
        m2m_assoc_config_set_credential(cfg, cred);
    }
    assert_int_equal(m2m_assoc_config_add_peer(cfg, &pb, &err), 0);
    m2m_assoc_config_set_timeouts(cfg, 1000, 3000);
    return cfg;
}

static struct m2m_assoc_config *bad_client(const struct neg_case *n, struct neg_world *w,
                                           struct m2m_credential **extra)
{
    *extra = NULL;
    switch (n->kind) {
    case NEG_WRONG_NAME_AT_A:
        return a_config(w->a, "wrong.sp.example.com", NULL, NULL);
    case NEG_WRONG_ROOT_AT_B:
        *extra = assoc_leaf(&other, NULL, M2M_FLAVOUR_CSE_ID, NAME_A, ASSOC_LEAF_OK);
        return a_config(*extra, NAME_B, NULL, NULL);
    case NEG_REVOKED:
        return a_config(w->r, NAME_B, NULL, NULL);
    case NEG_EXPIRED:
        *extra = assoc_leaf(&root, NULL, M2M_FLAVOUR_CSE_ID, NAME_A, ASSOC_LEAF_EXPIRED);
        return a_config(*extra, NAME_B, NULL, NULL);
    case NEG_NOT_ALLOWED:
        *extra = assoc_leaf(&root, NULL, M2M_FLAVOUR_CSE_ID, "csex.sp.example.com", ASSOC_LEAF_OK);
        return a_config(*extra, NAME_B, NULL, NULL);
    case NEG_PSK_WRONG_KEY:
        return a_config(NULL, NULL, KPSA_ID, OTHER_KEY);
    case NEG_PSK_UNKNOWN:
        return a_config(NULL, NULL, "ffeeddccbbaa99887766554433221100@sp.example.com", KPSA_KEY);
    default:
        fail();
    }
    return NULL;
}

static void good_association(struct assoc_server *srv, struct m2m_assoc_config *cfg,
                             enum m2m_transport t, const char *want_greeting,
                             struct m2m_assoc_conn **conn)
{
    struct m2m_error err;
    char greeting[600];

    if (assoc_client(cfg, t, srv->port, ID_B, conn, greeting, sizeof(greeting), &err) != 0)
        fail_msg("good association: %s", err.msg);
    assert_string_equal(greeting, want_greeting);
}

static void test_refusals(void **state)
{
    struct neg_world w;

    (void)state;
    world_make(&w);
    m2m_assoc_config_set_timeouts(w.bcfg, 1000, 3000);
    for (size_t t = 0; t < 2; t++) {
        struct assoc_server srv;
        struct m2m_assoc_config *good = a_config(w.a, NAME_B, NULL, NULL);
        struct m2m_assoc_config *good_psk = a_config(NULL, NULL, KPSA_ID, KPSA_KEY);
        struct m2m_assoc_conn *kept = NULL, *psk_kept = NULL;

        assert_int_equal(assoc_server_start(&srv, w.bcfg, transports[t]), 0);
        good_association(&srv, good, transports[t], "bound " ID_A " cse-id\n", &kept);
        good_association(&srv, good_psk, transports[t], "bound " ID_P " psk\n", &psk_kept);
        for (size_t i = 0; i < sizeof(negs) / sizeof(negs[0]); i++) {
            const struct neg_case *n = &negs[i];
            struct m2m_credential *extra;
            struct m2m_assoc_config *bad = bad_client(n, &w, &extra);
            struct m2m_assoc_conn *conn = NULL, *fresh = NULL;
            struct m2m_error err;
            char greeting[600];
            size_t before = assoc_server_rejected(&srv);

            print_message("%s over %s\n", n->name, t ? "DTLS" : "TLS");
            m2m_error_clear(&err);
            assert_int_not_equal(assoc_client(bad, transports[t], srv.port, ID_B, &conn, greeting,
                                              sizeof(greeting), &err),
                                 0);
            assert_null(conn);
            if (n->a_code != M2M_OK && err.code != n->a_code)
                fail_msg("%s: A reported %s: %s", n->name, m2m_errcode_name(err.code), err.msg);
            if (n->b_code != M2M_OK) {
                enum m2m_errcode want = t && n->b_code_dtls ? n->b_code_dtls : n->b_code;
                enum m2m_errcode got = assoc_server_wait_reject(&srv, before + 1, 3000);
                if (got != want)
                    fail_msg("%s: B reported %s: %s", n->name, m2m_errcode_name(got),
                             srv.reject_msg[before]);
                if (n->b_msg != NULL && strstr(srv.reject_msg[before], n->b_msg) == NULL)
                    fail_msg("%s: B said '%s'", n->name, srv.reject_msg[before]);
            }
            /* The failed handshake touched no other association, and B still accepts. */
            assert_int_equal(assoc_echo(kept, "still here\n"), 0);
            assert_int_equal(assoc_echo(psk_kept, "psk still here\n"), 0);
            good_association(&srv, good, transports[t], "bound " ID_A " cse-id\n", &fresh);
            m2m_assoc_conn_free(fresh);
            m2m_assoc_config_free(bad);
            m2m_credential_free(extra);
        }
        m2m_assoc_conn_free(kept);
        m2m_assoc_conn_free(psk_kept);
        assoc_server_stop(&srv);
        m2m_assoc_config_free(good);
        m2m_assoc_config_free(good_psk);
    }
    world_free(&w);
}

/* A peer that connects and then says nothing neither delays others nor lives forever. */
static void test_silent_peer(void **state)
{
    struct neg_world w;
    struct assoc_server srv;
    struct m2m_assoc_config *good;
    struct m2m_assoc_conn *conn = NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    int fd;

    (void)state;
    world_make(&w);
    m2m_assoc_config_set_timeouts(w.bcfg, 500, 0);
    good = a_config(w.a, NAME_B, NULL, NULL);
    assert_int_equal(assoc_server_start(&srv, w.bcfg, M2M_TRANSPORT_TLS), 0);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_port = htons((uint16_t)srv.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    good_association(&srv, good, M2M_TRANSPORT_TLS, "bound " ID_A " cse-id\n", &conn);
    /* The good one finished while the silent one was still pending. */
    assert_int_equal(assoc_server_rejected(&srv), 0);
    assert_int_equal(assoc_server_wait_reject(&srv, 1, 3000), M2M_E_TIMEOUT);
    assert_int_equal(assoc_echo(conn, "after timeout\n"), 0);
    close(fd);
    m2m_assoc_conn_free(conn);
    assoc_server_stop(&srv);
    m2m_assoc_config_free(good);
    world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_combinations),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_silent_peer),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
