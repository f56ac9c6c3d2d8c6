/* Entity B serving many peers at once: 200 associations from distinct CSE-ID
 * certificates, made from several threads at the same time and all held open together,
 * each bound to its own IdA (B's greeting names it) and each still carrying its own data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "assoc_helpers.h"

#define N_PEERS   200
#define N_THREADS 8

static struct assoc_ca root;
static struct m2m_credential *b_cred;
static struct m2m_credential *creds[N_PEERS];

struct peer_run {
    enum m2m_transport t;
    int port;
    size_t first, step;
    struct m2m_assoc_config *cfg[N_PEERS];
    struct m2m_assoc_conn *conn[N_PEERS];
    char greeting[N_PEERS][128];
    int failures;
};

static void peer_id(size_t i, char *out, size_t outsz)
{
    snprintf(out, outsz, ASSOC_SP "/CSE%03zu", i);
}

static int setup(void **state)
{
    (void)state;
    if (assoc_ca_make(&root, NULL) != 0)
        return -1;
    b_cred = assoc_leaf(&root, NULL, M2M_FLAVOUR_CSE_ID, "cseb.sp.example.com", ASSOC_LEAF_OK);
    for (size_t i = 0; i < N_PEERS; i++) {
        char name[64];
        snprintf(name, sizeof(name), "cse%03zu.sp.example.com", i);
        creds[i] = assoc_leaf(&root, NULL, M2M_FLAVOUR_CSE_ID, name, ASSOC_LEAF_OK);
        if (creds[i] == NULL)
            return -1;
    }
    return b_cred != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_PEERS; i++)
        m2m_credential_free(creds[i]);
    m2m_credential_free(b_cred);
    assoc_ca_free(&root);
    return 0;
}

static struct m2m_assoc_config *b_config(void)
{
    struct m2m_error err;
    struct m2m_assoc_config *cfg = m2m_assoc_config_new(&err);

    assert_int_equal(m2m_assoc_config_set_id(cfg, ASSOC_SP "/CSEB", &err), 0);
    m2m_assoc_config_set_credential(cfg, b_cred);
    for (size_t i = 0; i < N_PEERS; i++) {
        char id[64];
        struct m2m_assoc_peer p = {.id = id, .flavour = M2M_FLAVOUR_CSE_ID, .root = root.trust};
        peer_id(i, id, sizeof(id));
        assert_int_equal(m2m_assoc_config_add_peer(cfg, &p, &err), 0);
    }
    return cfg;
}

static struct m2m_assoc_config *a_config(size_t i)
{
    struct m2m_error err;
    struct m2m_assoc_config *cfg = m2m_assoc_config_new(&err);
    struct m2m_assoc_peer p = {
        .id = ASSOC_SP "/CSEB", .flavour = M2M_FLAVOUR_CSE_ID, .root = root.trust};
    char id[64];

    peer_id(i, id, sizeof(id));
    if (cfg == NULL || m2m_assoc_config_set_id(cfg, id, &err) != 0 ||
        m2m_assoc_config_add_peer(cfg, &p, &err) != 0) {
        m2m_assoc_config_free(cfg);
        return NULL;
    }
    m2m_assoc_config_set_credential(cfg, creds[i]);
    return cfg;
}

struct worker {
    struct peer_run *run;
    size_t first;
};

static void *connect_some(void *arg)
{
    struct worker *w = arg;
    struct peer_run *r = w->run;
    struct m2m_error err;

    for (size_t i = w->first; i < N_PEERS; i += N_THREADS) {
        r->cfg[i] = a_config(i);
        if (r->cfg[i] == NULL ||
            assoc_client(r->cfg[i], r->t, r->port, ASSOC_SP "/CSEB", &r->conn[i], r->greeting[i],
                         sizeof(r->greeting[i]), &err) != 0) {
            fprintf(stderr, "peer %zu: %s\n", i, err.msg);
            __atomic_add_fetch(&r->failures, 1, __ATOMIC_SEQ_CST);
        }
    }
    return NULL;
}

static void run_many(enum m2m_transport t)
{
    static struct peer_run r;
    struct assoc_server srv;
    struct m2m_assoc_config *bcfg = b_config();
    pthread_t th[N_THREADS];
    struct worker w[N_THREADS];

    memset(&r, 0, sizeof(r));
    r.t = t;
    assert_int_equal(assoc_server_start(&srv, bcfg, t), 0);
    r.port = srv.port;
    for (size_t i = 0; i < N_THREADS; i++) {
        w[i] = (struct worker){.run = &r, .first = i};
        assert_int_equal(pthread_create(&th[i], NULL, connect_some, &w[i]), 0);
    }
    for (size_t i = 0; i < N_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(r.failures, 0);
    /* All associations are open at once, on B's side too. */
    assert_int_equal(assoc_server_accepted(&srv), N_PEERS);
    assert_int_equal(assoc_server_rejected(&srv), 0);
    for (size_t i = 0; i < N_PEERS; i++) {
        char want[128], line[64];
        peer_id(i, line, sizeof(line));
        snprintf(want, sizeof(want), "bound %s cse-id\n", line);
        assert_string_equal(r.greeting[i], want);
        snprintf(line, sizeof(line), "data of peer %zu\n", i);
        assert_int_equal(assoc_echo(r.conn[i], line), 0);
    }
    for (size_t i = 0; i < N_PEERS; i++) {
        m2m_assoc_conn_free(r.conn[i]);
        m2m_assoc_config_free(r.cfg[i]);
    }
    assoc_server_stop(&srv);
    m2m_assoc_config_free(bcfg);
}

static void test_many_tls(void **state)
{
    (void)state;
    run_many(M2M_TRANSPORT_TLS);
}

static void test_many_dtls(void **state)
{
    (void)state;
    run_many(M2M_TRANSPORT_DTLS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_tls),
        cmocka_unit_test(test_many_dtls),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
