/* store: every record kind round-trips; duplicates, unknown ids, expiry and revocation
 * give their own outcomes and change nothing; purges remove exactly the expired rows;
 * the target authorisation matrix; policy longest-prefix match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <m2msec/crypto.h>
#include <m2msec/error.h>
#include <m2msec/secret.h>
#include <m2msec/store.h>

#define DEVICE 1 /* flavour numbers are opaque to the store */
#define CSEID  3
#define T0     1700000000 /* a fixed "now": expiry decisions take the caller's clock */

struct fx {
    char dir[256];
    char path[320];
    struct m2m_secret *kek;
    struct m2m_store *s;
};

static struct m2m_secret *random_secret(size_t len)
{
    struct m2m_secret *k = m2m_secret_new(len, NULL);
    assert_non_null(k);
    assert_int_equal(m2m_random(m2m_secret_data(k), len, NULL), 0);
    return k;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    char url[340];
    struct m2m_error err;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "%s/m2m-store-XXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
    snprintf(url, sizeof(url), "sqlite:%s", f->path);
    f->kek = random_secret(32);
    f->s = m2m_store_open(url, f->kek, &err);
    if (f->s == NULL)
        fail_msg("open: %s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char name[400];

    m2m_store_close(f->s);
    m2m_secret_free(f->kek);
    for (size_t i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "%s%s", f->path, suffix[i]);
        unlink(name);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* One counting callback per record type (calling through a cast pointer is undefined). */
#define COUNTER(name, type)                                                                        \
    static int name(const type *rec, void *arg)                                                    \
    {                                                                                              \
        (void)rec;                                                                                 \
        (*(int *)arg)++;                                                                           \
        return 0;                                                                                  \
    }
COUNTER(count_enrolee, struct m2m_store_enrolee)
COUNTER(count_policy, struct m2m_store_policy)
COUNTER(count_psk, struct m2m_store_psk_enrolee)
COUNTER(count_target, struct m2m_store_target)
COUNTER(count_auth, struct m2m_store_auth)
COUNTER(count_key, struct m2m_store_key)
COUNTER(count_ack, struct m2m_store_ack)
COUNTER(count_maf, struct m2m_store_maf_key)
COUNTER(count_rootcred, struct m2m_store_rootcred)

/* ---- enrolees ---- */

static struct m2m_store_enrolee enrolee(const char *id, int flavour, const char *identity)
{
    struct m2m_store_enrolee e = {.flavour = flavour, .ke_lifetime = 86400, .created = T0};
    snprintf(e.enrolee_id, sizeof(e.enrolee_id), "%s", id);
    snprintf(e.identity, sizeof(e.identity), "%s", identity);
    snprintf(e.trust_set, sizeof(e.trust_set), "manufacturers");
    return e;
}

static int n_enrolees(struct m2m_store *s)
{
    int n = 0;
    assert_int_equal(m2m_store_enrolee_list(s, count_enrolee, &n, NULL), 0);
    return n;
}

static void test_enrolee_roundtrip(void **state)
{
    struct fx *f = *state;
    struct m2m_store_enrolee a = enrolee("//sp.example.com/CSE1", CSEID, "cse1.sp.example.com");
    struct m2m_store_enrolee b = enrolee("//sp.example.com/CSE2", DEVICE, "0.2.481.1.100.3030.1");
    struct m2m_store_enrolee got;
    struct m2m_error err;

    a.instructions = "[{\"type\":\"mafEnrolment\",\"mafId\":\"maf.example.com\"}]";
    assert_int_equal(m2m_store_enrolee_add(f->s, &a, &err), 0);
    assert_int_equal(m2m_store_enrolee_add(f->s, &b, &err), 0);

    assert_int_equal(m2m_store_enrolee_get(f->s, a.enrolee_id, &got, &err), 0);
    assert_string_equal(got.identity, a.identity);
    assert_string_equal(got.trust_set, "manufacturers");
    assert_int_equal(got.flavour, CSEID);
    assert_int_equal(got.ke_lifetime, 86400);
    assert_int_equal(got.created, T0);
    assert_string_equal(got.instructions, a.instructions);
    m2m_store_enrolee_clear(&got);
    assert_null(got.instructions);

    assert_int_equal(m2m_store_enrolee_find(f->s, DEVICE, b.identity, &got, &err), 0);
    assert_string_equal(got.enrolee_id, b.enrolee_id);
    assert_null(got.instructions); /* none given, none returned */
    m2m_store_enrolee_clear(&got);
    /* The identity alone is not enough: the flavour must match too. */
    assert_int_equal(m2m_store_enrolee_find(f->s, CSEID, b.identity, &got, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(n_enrolees(f->s), 2);

    assert_int_equal(m2m_store_enrolee_remove(f->s, a.enrolee_id, &err), 0);
    assert_int_equal(m2m_store_enrolee_get(f->s, a.enrolee_id, &got, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_enrolee_remove(f->s, a.enrolee_id, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(n_enrolees(f->s), 1);
    m2m_store_enrolee_clear(NULL);
}

struct enrolee_case {
    const char *id;
    int flavour;
    const char *identity;
    enum m2m_errcode code; /* M2M_OK: accepted */
};

static void test_enrolee_duplicates_and_bad_input(void **state)
{
    struct fx *f = *state;
    static const struct enrolee_case cases[] = {
        {"//sp/C1", DEVICE, "0.2.481.1.1", M2M_OK},
        {"//sp/C1", DEVICE, "0.2.481.1.2", M2M_E_STORE_EXISTS}, /* same Enrolee-ID */
        {"//sp/C2", DEVICE, "0.2.481.1.1", M2M_E_STORE_EXISTS}, /* same certificate */
        {"//sp/C2", CSEID, "0.2.481.1.1", M2M_OK},              /* same text, other flavour */
        {"", DEVICE, "0.2.481.1.3", M2M_E_INVALID_ARG},
        {"//sp/C3", DEVICE, "", M2M_E_INVALID_ARG},
    };
    struct m2m_store_enrolee got;
    struct m2m_error err;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_store_enrolee e = enrolee(cases[i].id, cases[i].flavour, cases[i].identity);
        int before = n_enrolees(f->s);
        int rc = m2m_store_enrolee_add(f->s, &e, &err);
        assert_int_equal(rc, cases[i].code == M2M_OK ? 0 : -1);
        if (rc != 0)
            assert_int_equal(err.code, cases[i].code);
        assert_int_equal(n_enrolees(f->s), before + (rc == 0));
    }
    /* The refused duplicate changed nothing in the original. */
    assert_int_equal(m2m_store_enrolee_get(f->s, "//sp/C1", &got, &err), 0);
    assert_string_equal(got.identity, "0.2.481.1.1");
    m2m_store_enrolee_clear(&got);

    /* An id filling its array without a NUL, and a zero lifetime, are refused. */
    struct m2m_store_enrolee e = enrolee("//sp/C4", DEVICE, "0.2.481.1.4");
    memset(e.enrolee_id, 'a', sizeof(e.enrolee_id));
    assert_int_equal(m2m_store_enrolee_add(f->s, &e, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    e = enrolee("//sp/C4", DEVICE, "0.2.481.1.4");
    e.ke_lifetime = 0;
    assert_int_equal(m2m_store_enrolee_add(f->s, &e, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_int_equal(n_enrolees(f->s), 2);
}

/* ---- policies ---- */

static void add_policy(struct m2m_store *s, const char *name, int flavour, const char *trust,
                       const char *prefix)
{
    struct m2m_store_policy p = {.flavour = flavour, .ke_lifetime = 3600};
    struct m2m_error err;
    snprintf(p.name, sizeof(p.name), "%s", name);
    snprintf(p.trust_set, sizeof(p.trust_set), "%s", trust);
    snprintf(p.prefix, sizeof(p.prefix), "%s", prefix);
    snprintf(p.id_template, sizeof(p.id_template), "//sp.example.com/C{serial}");
    p.instructions = "[]";
    if (m2m_store_policy_add(s, &p, &err) != 0)
        fail_msg("policy add %s: %s", name, err.msg);
}

struct match_case {
    int flavour;
    const char *trust;
    const char *identity;
    const char *expect; /* NULL: no policy */
};

static void test_policy_longest_prefix(void **state)
{
    struct fx *f = *state;
    static const struct match_case cases[] = {
        {DEVICE, "acme", "0.2.481.1.100.3030.10011", "model-3030"},
        {DEVICE, "acme", "0.2.481.1.100.4040.1", "acme-all"},
        {DEVICE, "acme", "0.2.481.1.200.1", "catch-all"},
        {DEVICE, "acme", "0.2.481.1.100.30301.1", "acme-all"}, /* "3030." is not "30301." */
        {DEVICE, "acme", "0.2.481.1.100.3030", "acme-all"},    /* shorter than the prefix */
        {DEVICE, "other", "0.2.481.1.100.3030.7", "other-3030"},
        {DEVICE, "other", "0.2.481.1.100.4040.7", NULL},
        {CSEID, "acme", "0.2.481.1.100.3030.10011", NULL},
        {DEVICE, "nobody", "0.2.481.1.100.3030.10011", NULL},
    };
    struct m2m_store_policy got;
    struct m2m_error err;
    int n = 0;

    /* Added shortest, longest, then middle: the order must not matter. */
    add_policy(f->s, "catch-all", DEVICE, "acme", "");
    add_policy(f->s, "model-3030", DEVICE, "acme", "0.2.481.1.100.3030.");
    add_policy(f->s, "acme-all", DEVICE, "acme", "0.2.481.1.100.");
    add_policy(f->s, "other-3030", DEVICE, "other", "0.2.481.1.100.3030.");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = m2m_store_policy_match(f->s, cases[i].flavour, cases[i].trust, cases[i].identity,
                                        &got, &err);
        if (cases[i].expect == NULL) {
            assert_int_equal(rc, -1);
            assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
            continue;
        }
        if (rc != 0)
            fail_msg("case %zu: %s", i, err.msg);
        assert_string_equal(got.name, cases[i].expect);
        m2m_store_policy_clear(&got);
    }

    /* Round trip of every field. */
    assert_int_equal(m2m_store_policy_get(f->s, "model-3030", &got, &err), 0);
    assert_int_equal(got.flavour, DEVICE);
    assert_string_equal(got.trust_set, "acme");
    assert_string_equal(got.prefix, "0.2.481.1.100.3030.");
    assert_string_equal(got.id_template, "//sp.example.com/C{serial}");
    assert_int_equal(got.ke_lifetime, 3600);
    assert_string_equal(got.instructions, "[]");
    m2m_store_policy_clear(&got);

    /* Duplicates by name, and by (flavour, trust set, prefix), are refused. */
    struct m2m_store_policy p = {.flavour = DEVICE,
                                 .trust_set = "acme",
                                 .prefix = "0.2.481.1.100.",
                                 .id_template = "x",
                                 .ke_lifetime = 1};
    snprintf(p.name, sizeof(p.name), "model-3030");
    snprintf(p.prefix, sizeof(p.prefix), "9.");
    assert_int_equal(m2m_store_policy_add(f->s, &p, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);
    snprintf(p.name, sizeof(p.name), "acme-all-again");
    snprintf(p.prefix, sizeof(p.prefix), "0.2.481.1.100.");
    assert_int_equal(m2m_store_policy_add(f->s, &p, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);
    assert_int_equal(m2m_store_policy_list(f->s, count_policy, &n, &err), 0);
    assert_int_equal(n, 4);

    /* Without the catch-all, an unknown model finds nothing. */
    assert_int_equal(m2m_store_policy_remove(f->s, "catch-all", &err), 0);
    assert_int_equal(m2m_store_policy_match(f->s, DEVICE, "acme", "0.2.481.1.200.1", &got, &err),
                     -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_policy_remove(f->s, "catch-all", &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_policy_get(f->s, "catch-all", &got, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
}

/* ---- PSK enrolees ---- */

static void test_psk_enrolee(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *kpm = random_secret(32), *other = random_secret(32), *got_kpm = NULL;
    struct m2m_store_psk_enrolee p = {.kpm_id = "kpm-0001",
                                      .enrolee_id = "//sp/Cdev1",
                                      .ke_lifetime = 600,
                                      .instructions = "[1]"};
    struct m2m_store_psk_enrolee got;
    struct m2m_error err;
    int n = 0;

    assert_int_equal(m2m_store_psk_enrolee_add(f->s, &p, kpm, &err), 0);
    assert_int_equal(m2m_store_psk_enrolee_get(f->s, "kpm-0001", &got, &got_kpm, &err), 0);
    assert_true(m2m_secret_equal(kpm, got_kpm));
    assert_string_equal(got.enrolee_id, "//sp/Cdev1");
    assert_int_equal(got.ke_lifetime, 600);
    assert_string_equal(got.instructions, "[1]");
    assert_true(got.created > 0); /* 0 on add means now */
    m2m_store_psk_enrolee_clear(&got);
    m2m_secret_free(got_kpm);
    got_kpm = NULL;

    /* A duplicate KpmID with another key is refused and the first Kpm stays. */
    assert_int_equal(m2m_store_psk_enrolee_add(f->s, &p, other, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);
    assert_int_equal(m2m_store_psk_enrolee_get(f->s, "kpm-0001", &got, &got_kpm, &err), 0);
    assert_true(m2m_secret_equal(kpm, got_kpm));
    assert_false(m2m_secret_equal(other, got_kpm));
    m2m_store_psk_enrolee_clear(&got);
    m2m_secret_free(got_kpm);

    assert_int_equal(m2m_store_psk_enrolee_list(f->s, count_psk, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(m2m_store_psk_enrolee_get(f->s, "kpm-9", &got, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_psk_enrolee_remove(f->s, "kpm-0001", &err), 0);
    assert_int_equal(m2m_store_psk_enrolee_remove(f->s, "kpm-0001", &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    m2m_secret_free(kpm);
    m2m_secret_free(other);
}

/* ---- targets and authorisations ---- */

static void test_target_psk(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *psk = random_secret(32), *psk2 = random_secret(16), *out = NULL;
    struct m2m_store_target a = {.target_id = "maf.example.com"};
    struct m2m_store_target b = {.target_id = "//sp.example.com/CSE9"};
    struct m2m_store_target got;
    struct m2m_error err;
    int n = 0;

    assert_int_equal(m2m_store_target_add(f->s, &a, psk, &err), 0);
    assert_int_equal(m2m_store_target_add(f->s, &b, NULL, &err), 0);
    assert_int_equal(m2m_store_target_add(f->s, &b, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);

    assert_int_equal(m2m_store_target_get(f->s, a.target_id, &got, &out, &err), 0);
    assert_true(got.has_psk);
    assert_true(m2m_secret_equal(psk, out));
    m2m_secret_free(out);
    assert_int_equal(m2m_store_target_get(f->s, b.target_id, &got, &out, &err), 0);
    assert_false(got.has_psk);
    assert_null(out);

    /* Replace, then remove, a PSK. */
    assert_int_equal(m2m_store_target_set_psk(f->s, b.target_id, psk2, &err), 0);
    assert_int_equal(m2m_store_target_get(f->s, b.target_id, &got, &out, &err), 0);
    assert_true(m2m_secret_equal(psk2, out));
    m2m_secret_free(out);
    assert_int_equal(m2m_store_target_set_psk(f->s, a.target_id, NULL, &err), 0);
    assert_int_equal(m2m_store_target_get(f->s, a.target_id, &got, &out, &err), 0);
    assert_false(got.has_psk);
    assert_null(out);
    assert_int_equal(m2m_store_target_set_psk(f->s, "nobody.example.com", psk, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);

    assert_int_equal(m2m_store_target_list(f->s, count_target, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(m2m_store_target_get(f->s, "nobody.example.com", &got, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    m2m_secret_free(psk);
    m2m_secret_free(psk2);
}

struct allow_case {
    const char *target;
    unsigned suid;
    const char *enrolee;
    int allowed;
};

static void test_target_authorisation_matrix(void **state)
{
    struct fx *f = *state;
    static const struct allow_case cases[] = {
        {"maf.example.com", 21, "//sp/C1", 1},     /* exact enrolee */
        {"maf.example.com", 21, "//sp/C2", 0},     /* another enrolee */
        {"maf.example.com", 22, "//sp/C1", 0},     /* wrong SUID */
        {"//sp/CSE9", 22, "//sp/C1", 1},           /* wildcard */
        {"//sp/CSE9", 22, "//sp/C7", 1},           /* wildcard, any enrolee */
        {"//sp/CSE9", 21, "//sp/C1", 0},           /* wildcard is per SUID */
        {"maf2.example.com", 21, "//sp/C1", 0},    /* target without rows */
        {"unknown.example.com", 21, "//sp/C1", 0}, /* unknown target */
        {"//sp/CSE9", 22, "*", 0},                 /* "*" asked about is no enrolee */
    };
    struct m2m_store_target t1 = {.target_id = "maf.example.com"};
    struct m2m_store_target t2 = {.target_id = "//sp/CSE9"};
    struct m2m_store_target t3 = {.target_id = "maf2.example.com"};
    struct m2m_error err;
    int n = 0;

    assert_int_equal(m2m_store_target_add(f->s, &t1, NULL, &err), 0);
    assert_int_equal(m2m_store_target_add(f->s, &t2, NULL, &err), 0);
    assert_int_equal(m2m_store_target_add(f->s, &t3, NULL, &err), 0);
    assert_int_equal(m2m_store_auth_add(f->s, t1.target_id, 21, "//sp/C1", &err), 0);
    assert_int_equal(m2m_store_auth_add(f->s, t2.target_id, 22, M2M_STORE_ANY_ENROLEE, &err), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int allowed = -1;
        assert_int_equal(m2m_store_target_allowed(f->s, cases[i].target, cases[i].suid,
                                                  cases[i].enrolee, &allowed, &err),
                         0);
        if (allowed != cases[i].allowed)
            fail_msg("case %zu: allowed %d", i, allowed);
    }

    /* Bad authorisations are refused and add nothing. */
    assert_int_equal(m2m_store_auth_add(f->s, t1.target_id, 21, "//sp/C1", &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);
    assert_int_equal(m2m_store_auth_add(f->s, "unknown.example.com", 21, "//sp/C1", &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_auth_add(f->s, t1.target_id, 99, "//sp/C1", &err), -1);
    assert_int_equal(err.code, M2M_E_SUID);
    assert_int_equal(m2m_store_auth_list(f->s, NULL, count_auth, &n, &err), 0);
    assert_int_equal(n, 2);

    /* Removing the row, or the target, withdraws the permission. */
    int allowed = -1;
    assert_int_equal(m2m_store_auth_remove(f->s, t1.target_id, 21, "//sp/C1", &err), 0);
    assert_int_equal(m2m_store_target_allowed(f->s, t1.target_id, 21, "//sp/C1", &allowed, &err),
                     0);
    assert_int_equal(allowed, 0);
    assert_int_equal(m2m_store_auth_remove(f->s, t1.target_id, 21, "//sp/C1", &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_target_remove(f->s, t2.target_id, &err), 0);
    assert_int_equal(m2m_store_target_allowed(f->s, t2.target_id, 22, "//sp/C1", &allowed, &err),
                     0);
    assert_int_equal(allowed, 0);
    n = 0;
    assert_int_equal(m2m_store_auth_list(f->s, NULL, count_auth, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(m2m_store_target_remove(f->s, t2.target_id, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
}

/* ---- enrolment keys and acknowledgements ---- */

static void add_key(struct m2m_store *s, const char *keid, const char *enrolee, int64_t created,
                    int64_t expires, const struct m2m_secret *ke)
{
    struct m2m_store_key k = {.created = created, .expires = expires};
    struct m2m_error err;
    snprintf(k.keid, sizeof(k.keid), "%s", keid);
    snprintf(k.enrolee_id, sizeof(k.enrolee_id), "%s", enrolee);
    snprintf(k.framework, sizeof(k.framework), "cert");
    if (m2m_store_key_add(s, &k, ke, &err) != 0)
        fail_msg("key add %s: %s", keid, err.msg);
}

struct keycase {
    const char *keid;
    int64_t now;
    enum m2m_errcode code;
};

static void test_key_outcomes(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *ke = random_secret(32), *other = random_secret(32);
    static const struct keycase cases[] = {
        {"a1@mef.example.com", T0, M2M_OK},
        {"a1@mef.example.com", T0 + 99, M2M_OK},
        {"a1@mef.example.com", T0 + 100, M2M_E_STORE_EXPIRED}, /* now == expires */
        {"a2@mef.example.com", T0, M2M_E_STORE_EXPIRED},
        {"a3@mef.example.com", T0, M2M_E_STORE_REVOKED},
        {"a3@mef.example.com", T0 + 1000, M2M_E_STORE_REVOKED}, /* revoked beats expired */
        {"zz@mef.example.com", T0, M2M_E_STORE_NOT_FOUND},
    };
    struct m2m_error err;

    add_key(f->s, "a1@mef.example.com", "//sp/C1", T0 - 10, T0 + 100, ke);
    add_key(f->s, "a2@mef.example.com", "//sp/C1", T0 - 10, T0 - 1, ke);
    add_key(f->s, "a3@mef.example.com", "//sp/C2", T0 - 10, T0 + 100, ke);
    assert_int_equal(m2m_store_key_revoke(f->s, "a3@mef.example.com", T0 - 5, &err), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_store_key rec;
        struct m2m_secret *out = NULL;
        int rc = m2m_store_key_get(f->s, cases[i].keid, cases[i].now, &rec, &out, &err);
        if (cases[i].code == M2M_OK) {
            assert_int_equal(rc, 0);
            assert_true(m2m_secret_equal(ke, out));
            assert_string_equal(rec.framework, "cert");
            assert_int_equal(rec.created, T0 - 10);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(err.code, cases[i].code);
            assert_null(out); /* no key material for a key that may not be used */
            if (cases[i].code != M2M_E_STORE_NOT_FOUND)
                assert_string_equal(rec.keid, cases[i].keid); /* but the record, for audit */
        }
        m2m_secret_free(out);
    }

    /* Revoking twice keeps the first time; unknown ids are reported. */
    struct m2m_store_key rec;
    assert_int_equal(m2m_store_key_revoke(f->s, "a3@mef.example.com", T0 + 50, &err), 0);
    assert_int_equal(m2m_store_key_get(f->s, "a3@mef.example.com", T0, &rec, NULL, &err), -1);
    assert_true(rec.revoked);
    assert_int_equal(rec.revoked_at, T0 - 5);
    assert_int_equal(m2m_store_key_revoke(f->s, "zz@mef.example.com", T0, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);

    /* A duplicate KeID is refused and the stored Ke is untouched. */
    struct m2m_store_key dup = {.keid = "a1@mef.example.com",
                                .enrolee_id = "//sp/C9",
                                .framework = "psk",
                                .expires = T0 + 500};
    struct m2m_secret *out = NULL;
    assert_int_equal(m2m_store_key_add(f->s, &dup, other, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);
    assert_int_equal(m2m_store_key_get(f->s, "a1@mef.example.com", T0, &rec, &out, &err), 0);
    assert_true(m2m_secret_equal(ke, out));
    assert_string_equal(rec.enrolee_id, "//sp/C1");
    m2m_secret_free(out);

    /* Unknown framework, missing expiry. */
    struct m2m_store_key bad = {
        .keid = "b1@mef.example.com", .enrolee_id = "//sp/C9", .framework = "ldap", .expires = T0};
    assert_int_equal(m2m_store_key_add(f->s, &bad, ke, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    snprintf(bad.framework, sizeof(bad.framework), "psk");
    bad.expires = 0;
    assert_int_equal(m2m_store_key_add(f->s, &bad, ke, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    m2m_secret_free(ke);
    m2m_secret_free(other);
}

static void test_key_reenrolment_and_gba(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *k1 = random_secret(32), *k2 = random_secret(32), *out = NULL;
    struct m2m_store_key g = {.keid = "b-tid-1@bsf.example.com",
                              .enrolee_id = "//sp/C3",
                              .framework = "gba",
                              .expires = T0 + 100,
                              .has_gba_rand = 1,
                              .gba_impi = "user@ims.example.com"};
    struct m2m_store_key rec;
    struct m2m_error err;
    int n = 0;

    /* Re-enrolment adds a key; the earlier one stays valid. */
    add_key(f->s, "c1@mef.example.com", "//sp/C1", T0, T0 + 100, k1);
    add_key(f->s, "c2@mef.example.com", "//sp/C1", T0 + 1, T0 + 100, k2);
    add_key(f->s, "c3@mef.example.com", "//sp/C2", T0, T0 + 100, k2);
    assert_int_equal(m2m_store_key_list(f->s, "//sp/C1", count_key, &n, &err), 0);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(m2m_store_key_list(f->s, NULL, count_key, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(m2m_store_key_get(f->s, "c1@mef.example.com", T0, NULL, &out, &err), 0);
    assert_true(m2m_secret_equal(k1, out));
    m2m_secret_free(out);

    memset(g.gba_rand, 0x5a, sizeof(g.gba_rand));
    assert_int_equal(m2m_store_key_add(f->s, &g, k1, &err), 0);
    assert_int_equal(m2m_store_key_get(f->s, g.keid, T0, &rec, NULL, &err), 0);
    assert_true(rec.has_gba_rand);
    assert_memory_equal(rec.gba_rand, g.gba_rand, sizeof(g.gba_rand));
    assert_string_equal(rec.gba_impi, "user@ims.example.com");
    assert_int_equal(m2m_store_key_get(f->s, "c1@mef.example.com", T0, &rec, NULL, &err), 0);
    assert_false(rec.has_gba_rand);
    assert_string_equal(rec.gba_impi, "");
    m2m_secret_free(k1);
    m2m_secret_free(k2);
}

static int keid_seen(struct m2m_store *s, const char *keid)
{
    struct m2m_error err;
    int rc = m2m_store_key_get(s, keid, 0, NULL, NULL, &err);
    return rc == 0 || err.code != M2M_E_STORE_NOT_FOUND;
}

static void test_key_purge_and_acks(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *ke = random_secret(32);
    struct m2m_store_ack ack = {
        .keid = "p1@mef.example.com", .instruction = "mafEnrolment", .acked = T0};
    struct m2m_error err;
    uint64_t count = 99;
    int n = 0;

    add_key(f->s, "p1@mef.example.com", "//sp/C1", T0 - 100, T0 - 10, ke); /* expired */
    add_key(f->s, "p2@mef.example.com", "//sp/C1", T0 - 100, T0, ke);      /* expires now */
    add_key(f->s, "p3@mef.example.com", "//sp/C1", T0 - 100, T0 + 1, ke);  /* still valid */
    add_key(f->s, "p4@mef.example.com", "//sp/C1", T0 - 100, T0 + 10, ke); /* revoked, valid */
    assert_int_equal(m2m_store_key_revoke(f->s, "p4@mef.example.com", T0, &err), 0);

    /* Acknowledgements: one per instruction, only for known keys. */
    assert_int_equal(m2m_store_ack_add(f->s, &ack, &err), 0);
    assert_int_equal(m2m_store_ack_add(f->s, &ack, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);
    snprintf(ack.instruction, sizeof(ack.instruction), "remoteManagement");
    assert_int_equal(m2m_store_ack_add(f->s, &ack, &err), 0);
    struct m2m_store_ack ack3 = {.keid = "p3@mef.example.com", .instruction = "mafEnrolment"};
    assert_int_equal(m2m_store_ack_add(f->s, &ack3, &err), 0);
    struct m2m_store_ack orphan = {.keid = "nope@mef.example.com", .instruction = "x"};
    assert_int_equal(m2m_store_ack_add(f->s, &orphan, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_ack_list(f->s, "p1@mef.example.com", count_ack, &n, &err), 0);
    assert_int_equal(n, 2);

    assert_int_equal(m2m_store_key_purge(f->s, T0, &count, &err), 0);
    assert_int_equal(count, 2);
    assert_false(keid_seen(f->s, "p1@mef.example.com"));
    assert_false(keid_seen(f->s, "p2@mef.example.com"));
    assert_true(keid_seen(f->s, "p3@mef.example.com"));
    assert_true(keid_seen(f->s, "p4@mef.example.com")); /* revoked stays until it expires */
    n = 0;
    assert_int_equal(m2m_store_ack_list(f->s, "p1@mef.example.com", count_ack, &n, &err), 0);
    assert_int_equal(n, 0); /* acknowledgements went with their key */
    n = 0;
    assert_int_equal(m2m_store_ack_list(f->s, "p3@mef.example.com", count_ack, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(m2m_store_key_purge(f->s, T0, &count, &err), 0);
    assert_int_equal(count, 0);
    assert_int_equal(m2m_store_key_purge(f->s, T0 + 10, NULL, &err), 0);
    assert_false(keid_seen(f->s, "p4@mef.example.com"));
    m2m_secret_free(ke);
}

/* ---- MAF cache ---- */

static void put_maf(struct m2m_store *s, const char *keid, const char *kmid, int64_t expires,
                    const struct m2m_secret *km)
{
    struct m2m_store_maf_key m = {.expires = expires, .created = T0};
    struct m2m_error err;
    snprintf(m.keid, sizeof(m.keid), "%s", keid);
    snprintf(m.kmid, sizeof(m.kmid), "%s", kmid);
    snprintf(m.enrolee_id, sizeof(m.enrolee_id), "//sp/C1");
    if (m2m_store_maf_put(s, &m, km, &err) != 0)
        fail_msg("maf put: %s", err.msg);
}

static void test_maf_cache(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *km = random_secret(32), *km2 = random_secret(32), *out = NULL;
    struct m2m_store_maf_key rec;
    struct m2m_error err;
    uint64_t count = 0;
    int n = 0;

    put_maf(f->s, "e1@mef.example.com", "m1@maf.example.com", T0 + 100, km);
    /* Both ids name the same Km and the same entry. */
    const char *ids[] = {"e1@mef.example.com", "m1@maf.example.com"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(m2m_store_maf_get(f->s, ids[i], T0, &rec, &out, &err), 0);
        assert_true(m2m_secret_equal(km, out));
        assert_string_equal(rec.key_id, ids[i]);
        assert_string_equal(rec.keid, "e1@mef.example.com");
        assert_string_equal(rec.kmid, "m1@maf.example.com");
        assert_string_equal(rec.enrolee_id, "//sp/C1");
        assert_int_equal(rec.expires, T0 + 100);
        m2m_secret_free(out);
    }
    assert_int_equal(m2m_store_maf_list(f->s, count_maf, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(m2m_store_maf_get(f->s, ids[0], T0 + 100, &rec, &out, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXPIRED);
    assert_null(out);

    /* Revoking by KmID revokes the KeID too. */
    assert_int_equal(m2m_store_maf_revoke(f->s, ids[1], T0, &err), 0);
    assert_int_equal(m2m_store_maf_get(f->s, ids[0], T0, &rec, &out, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_REVOKED);
    assert_int_equal(m2m_store_maf_revoke(f->s, "zz@maf.example.com", T0, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);

    /* A fresh fetch replaces the entry, and an old KmID of the same KeID goes. */
    put_maf(f->s, "e1@mef.example.com", "m2@maf.example.com", T0 + 200, km2);
    assert_int_equal(m2m_store_maf_get(f->s, ids[0], T0, &rec, &out, &err), 0);
    assert_true(m2m_secret_equal(km2, out));
    m2m_secret_free(out);
    assert_int_equal(m2m_store_maf_get(f->s, ids[1], T0, &rec, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);

    /* Purge counts keys, not rows. */
    put_maf(f->s, "e2@mef.example.com", "m3@maf.example.com", T0 - 1, km);
    put_maf(f->s, "e3@mef.example.com", "m4@maf.example.com", T0, km);
    assert_int_equal(m2m_store_maf_purge(f->s, T0, &count, &err), 0);
    assert_int_equal(count, 2);
    n = 0;
    assert_int_equal(m2m_store_maf_list(f->s, count_maf, &n, &err), 0);
    assert_int_equal(n, 2); /* e1 and m2 remain */

    struct m2m_store_maf_key same = {.keid = "x@h.example.com",
                                     .kmid = "x@h.example.com",
                                     .enrolee_id = "//sp/C1",
                                     .expires = T0};
    assert_int_equal(m2m_store_maf_put(f->s, &same, km, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_int_equal(m2m_store_maf_get(f->s, "none@maf.example.com", T0, &rec, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    m2m_secret_free(km);
    m2m_secret_free(km2);
}

/* ---- root credentials ---- */

static void test_rootcred(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *c = random_secret(32), *out = NULL;
    struct m2m_store_rootcred r1 = {
        .cred_id = "rc-1", .enrolee_id = "//sp/C1", .created = T0, .expires = T0 + 100};
    struct m2m_store_rootcred r2 = {
        .cred_id = "rc-2", .enrolee_id = "//sp/C2", .created = T0, .expires = T0};
    struct m2m_store_rootcred rec;
    struct m2m_error err;
    uint64_t count = 0;
    int n = 0;

    assert_int_equal(m2m_store_rootcred_add(f->s, &r1, c, &err), 0);
    assert_int_equal(m2m_store_rootcred_add(f->s, &r2, c, &err), 0);
    assert_int_equal(m2m_store_rootcred_add(f->s, &r1, c, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);
    assert_int_equal(m2m_store_rootcred_get(f->s, "rc-1", T0, &rec, &out, &err), 0);
    assert_true(m2m_secret_equal(c, out));
    assert_string_equal(rec.enrolee_id, "//sp/C1");
    assert_int_equal(rec.expires, T0 + 100);
    m2m_secret_free(out);
    out = NULL;
    assert_int_equal(m2m_store_rootcred_get(f->s, "rc-2", T0, &rec, &out, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXPIRED);
    assert_null(out);
    assert_int_equal(m2m_store_rootcred_get(f->s, "rc-3", T0, &rec, &out, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_rootcred_list(f->s, "//sp/C1", count_rootcred, &n, &err), 0);
    assert_int_equal(n, 1);

    assert_int_equal(m2m_store_rootcred_purge(f->s, T0, &count, &err), 0);
    assert_int_equal(count, 1);
    n = 0;
    assert_int_equal(m2m_store_rootcred_list(f->s, NULL, count_rootcred, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(m2m_store_rootcred_remove(f->s, "rc-1", &err), 0);
    assert_int_equal(m2m_store_rootcred_remove(f->s, "rc-1", &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    m2m_secret_free(c);
}

/* ---- audit log ---- */

struct audit_seen {
    int n;
    int64_t seq[8];
    struct m2m_store_audit first;
};

static int audit_cb(const struct m2m_store_audit *rec, void *arg)
{
    struct audit_seen *a = arg;
    if (a->n == 0)
        a->first = *rec;
    a->seq[a->n++] = rec->seq;
    return a->n == 8;
}

static void test_audit(void **state)
{
    struct fx *f = *state;
    struct m2m_error err;
    struct audit_seen seen = {0};

    for (int i = 0; i < 5; i++) {
        struct m2m_store_audit a = {
            .time = T0 + i, .event = "fetchCredentials", .target = "maf.example.com", .suid = 21};
        snprintf(a.keid, sizeof(a.keid), "%02d@mef.example.com", i);
        snprintf(a.outcome, sizeof(a.outcome), "%s", i % 2 ? "refused" : "issued");
        if (i % 2)
            snprintf(a.reason, sizeof(a.reason), "target not authorised for SUID 21");
        assert_int_equal(m2m_store_audit_append(f->s, &a, &err), 0);
    }
    assert_int_equal(m2m_store_audit_list(f->s, 3, audit_cb, &seen, &err), 0);
    assert_int_equal(seen.n, 3);
    assert_true(seen.seq[0] > seen.seq[1] && seen.seq[1] > seen.seq[2]); /* newest first */
    assert_string_equal(seen.first.keid, "04@mef.example.com");
    assert_int_equal(seen.first.time, T0 + 4);
    assert_string_equal(seen.first.outcome, "issued");
    assert_string_equal(seen.first.reason, "");
    assert_int_equal(seen.first.suid, 21);

    memset(&seen, 0, sizeof(seen));
    assert_int_equal(m2m_store_audit_list(f->s, 0, audit_cb, &seen, &err), 0);
    assert_int_equal(seen.n, 5);
    assert_string_equal(seen.first.target, "maf.example.com");

    /* An entry without event or outcome is refused, and nothing is added. */
    struct m2m_store_audit bad = {.event = "fetchCredentials"};
    assert_int_equal(m2m_store_audit_append(f->s, &bad, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    struct m2m_store_audit odd = {.event = "enrolment", .outcome = "maybe"};
    assert_int_equal(m2m_store_audit_append(f->s, &odd, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    struct m2m_store_audit minimal = {.event = "enrolment", .outcome = "refused"};
    assert_int_equal(m2m_store_audit_append(f->s, &minimal, &err), 0);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(m2m_store_audit_list(f->s, 0, audit_cb, &seen, &err), 0);
    assert_int_equal(seen.n, 6);
    assert_int_equal(seen.first.suid, 0);
    assert_string_equal(seen.first.keid, "");
    assert_true(seen.first.time > T0); /* 0 means now */
}

/* A callback's non-zero return stops the listing, which still succeeds. */
static int stop_after_one(const struct m2m_store_key *rec, void *arg)
{
    (void)rec;
    (*(int *)arg)++;
    return 1;
}

static void test_list_stops(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *ke = random_secret(32);
    struct m2m_error err;
    int n = 0;

    for (int i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof(id), "%02d@mef.example.com", i);
        add_key(f->s, id, "//sp/C1", T0, T0 + 1, ke);
    }
    assert_int_equal(m2m_store_key_list(f->s, NULL, stop_after_one, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(m2m_store_key_list(f->s, NULL, NULL, &n, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    m2m_secret_free(ke);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_enrolee_roundtrip),
        T(test_enrolee_duplicates_and_bad_input),
        T(test_policy_longest_prefix),
        T(test_psk_enrolee),
        T(test_target_psk),
        T(test_target_authorisation_matrix),
        T(test_key_outcomes),
        T(test_key_reenrolment_and_gba),
        T(test_key_purge_and_acks),
        T(test_maf_cache),
        T(test_rootcred),
        T(test_audit),
        T(test_list_stops),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
