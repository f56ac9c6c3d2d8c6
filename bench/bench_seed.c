/* bench_seed: fills an MEF store for the benchmark. Registers one enrolee policy for a
 * whole class of device certificates (so thousands of devices need no rows of their own),
 * and adds N enrolment keys (TS-0003 10.3.1 form: "<32 hex>@<MEF FQDN>", a sealed random
 * Ke), 10,000 per transaction, so the enrolment rate can be measured against a large
 * store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include <m2msec/crypto.h>
#include <m2msec/pki.h>
#include <m2msec/store.h>

#define BATCH 10000

struct seed_opts {
    const char *store, *kek, *fqdn, *trust, *prefix, *tmpl, *sp_id;
    unsigned long keys;
};

static const char USAGE[] =
    "usage: bench_seed --store sqlite:PATH --kek FILE [--keys N] [--policy TRUST_SET]\n"
    "  --keys N            enrolment keys to add (0)\n"
    "  --policy SET        register policy 'bench' for device certificates under trust set\n"
    "                      SET, prefix --prefix (0.2.481.1.100.3030.), Enrolee-ID template\n"
    "                      --template (/CSE-{suffix})\n"
    "  --fqdn F            the MEF FQDN in KeIDs (mef.example.com)\n"
    "  --sp-id S           SP-ID of the seeded Enrolee-IDs (//sp.example.com)\n";

static int add_policy(struct m2m_store *s, const struct seed_opts *o, struct m2m_error *err)
{
    struct m2m_store_policy p;

    memset(&p, 0, sizeof(p));
    p.flavour = M2M_FLAVOUR_DEVICE;
    snprintf(p.name, sizeof(p.name), "bench");
    snprintf(p.trust_set, sizeof(p.trust_set), "%s", o->trust);
    snprintf(p.prefix, sizeof(p.prefix), "%s", o->prefix);
    snprintf(p.id_template, sizeof(p.id_template), "%s", o->tmpl);
    p.ke_lifetime = 86400;
    return m2m_store_policy_add(s, &p, err);
}

static int add_key(struct m2m_store *s, const struct seed_opts *o, unsigned long i, time_t now,
                   struct m2m_error *err)
{
    unsigned char raw[M2M_RELID_LEN + M2M_KEY_LEN];
    struct m2m_store_key k;
    struct m2m_secret *ke;
    int rc;

    memset(&k, 0, sizeof(k));
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return m2m_error_set(err, M2M_E_RANDOM, "RAND_bytes");
    for (size_t j = 0; j < M2M_RELID_LEN; j++)
        snprintf(k.keid + 2 * j, 3, "%02x", raw[j]);
    snprintf(k.keid + 2 * M2M_RELID_LEN, sizeof(k.keid) - 2 * M2M_RELID_LEN, "@%s", o->fqdn);
    snprintf(k.enrolee_id, sizeof(k.enrolee_id), "%s/CSE-seed%lu", o->sp_id, i);
    snprintf(k.framework, sizeof(k.framework), "cert");
    k.created = now;
    k.expires = now + 365 * 86400;
    if ((ke = m2m_secret_from(raw + M2M_RELID_LEN, M2M_KEY_LEN, err)) == NULL)
        return -1;
    rc = m2m_store_key_add(s, &k, ke, err);
    m2m_secret_free(ke);
    m2m_wipe(raw, sizeof(raw));
    return rc;
}

static int add_keys(struct m2m_store *s, const struct seed_opts *o, struct m2m_error *err)
{
    time_t now = time(NULL);

    for (unsigned long i = 0; i < o->keys; i += BATCH) {
        if (m2m_store_begin(s, err) != 0)
            return -1;
        for (unsigned long j = i; j < o->keys && j < i + BATCH; j++)
            if (add_key(s, o, j, now, err) != 0)
                return -1;
        if (m2m_store_commit(s, err) != 0)
            return -1;
    }
    return 0;
}

static int parse(int argc, char **argv, struct seed_opts *o)
{
    static const struct option lo[] = {
        {"store", 1, 0, 's'},    {"kek", 1, 0, 'k'},    {"keys", 1, 0, 'n'},
        {"fqdn", 1, 0, 'f'},     {"policy", 1, 0, 'p'}, {"prefix", 1, 0, 'x'},
        {"template", 1, 0, 't'}, {"sp-id", 1, 0, 'i'},  {0, 0, 0, 0}};
    int c;
    char *end;

    memset(o, 0, sizeof(*o));
    o->fqdn = "mef.example.com";
    o->prefix = "0.2.481.1.100.3030.";
    o->tmpl = "/CSE-{suffix}";
    o->sp_id = "//sp.example.com";
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's':
            o->store = optarg;
            break;
        case 'k':
            o->kek = optarg;
            break;
        case 'f':
            o->fqdn = optarg;
            break;
        case 'p':
            o->trust = optarg;
            break;
        case 'x':
            o->prefix = optarg;
            break;
        case 't':
            o->tmpl = optarg;
            break;
        case 'i':
            o->sp_id = optarg;
            break;
        case 'n':
            o->keys = strtoul(optarg, &end, 10);
            if (*end != '\0' || end == optarg)
                return -1;
            break;
        default:
            return -1;
        }
    }
    return optind == argc && o->store != NULL && o->kek != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct seed_opts o;
    struct m2m_error err;
    struct m2m_secret *kek = NULL;
    struct m2m_store *s = NULL;
    int rc = 1;

    m2m_error_clear(&err);
    if (parse(argc, argv, &o) != 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    if ((kek = m2m_kek_load(o.kek, &err)) == NULL ||
        (s = m2m_store_open(o.store, kek, &err)) == NULL)
        goto out;
    if (o.trust != NULL && add_policy(s, &o, &err) != 0)
        goto out;
    if (add_keys(s, &o, &err) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_seed: %s\n", err.msg);
    m2m_store_close(s);
    m2m_secret_free(kek);
    return rc;
}
