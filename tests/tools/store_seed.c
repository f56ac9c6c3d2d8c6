/* store_seed: adds enrolment keys (an MEF store) or cached keys (a MAF store) with a chosen
 * expiry, so the administration commands can be tested before any daemon has issued one.
 *
 *   store_seed STORE-URL KEK-FILE mef|maf|audit COUNT EXPIRES-IN ENROLEE-ID [FIRST]
 *
 * "audit" appends COUNT audit entries (fetchCredentials, alternately issued and refused)
 * naming KeIDs FIRST.. instead.
 * EXPIRES-IN is seconds from now (negative: already expired). Key ids are
 * <32 hex digits of FIRST+i>@mef.example.com (and @maf.example.com for KmIDs); each KeID is
 * printed on its own line. Uses only the public API. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <m2msec/crypto.h>
#include <m2msec/secret.h>
#include <m2msec/store.h>

static int add_audit(struct m2m_store *s, unsigned long n, struct m2m_error *err)
{
    struct m2m_store_audit a;

    memset(&a, 0, sizeof(a));
    snprintf(a.event, sizeof(a.event), "fetchCredentials");
    snprintf(a.keid, sizeof(a.keid), "%032lx@mef.example.com", n);
    snprintf(a.target, sizeof(a.target), "maf.example.com");
    a.suid = 21;
    snprintf(a.outcome, sizeof(a.outcome), "%s", n % 2 ? "issued" : "refused");
    snprintf(a.reason, sizeof(a.reason), "%s", n % 2 ? "" : "not authorised");
    return m2m_store_audit_append(s, &a, err);
}

static int add_one(struct m2m_store *s, int maf, unsigned long n, int64_t expires,
                   const char *enrolee, const struct m2m_secret *key, struct m2m_error *err)
{
    int64_t now = (int64_t)time(NULL);
    int64_t created = (expires < now ? expires : now) - 60;

    if (!maf) {
        struct m2m_store_key k;
        memset(&k, 0, sizeof(k));
        snprintf(k.keid, sizeof(k.keid), "%032lx@mef.example.com", n);
        snprintf(k.enrolee_id, sizeof(k.enrolee_id), "%s", enrolee);
        snprintf(k.framework, sizeof(k.framework), "cert");
        k.created = created;
        k.expires = expires;
        printf("%s\n", k.keid);
        return m2m_store_key_add(s, &k, key, err);
    }
    struct m2m_store_maf_key m;
    memset(&m, 0, sizeof(m));
    snprintf(m.keid, sizeof(m.keid), "%032lx@mef.example.com", n);
    snprintf(m.kmid, sizeof(m.kmid), "%032lx@maf.example.com", n);
    snprintf(m.enrolee_id, sizeof(m.enrolee_id), "%s", enrolee);
    m.created = created;
    m.expires = expires;
    printf("%s %s\n", m.keid, m.kmid);
    return m2m_store_maf_put(s, &m, key, err);
}

int main(int argc, char **argv)
{
    struct m2m_error err;
    struct m2m_secret *kek = NULL, *key = NULL;
    struct m2m_store *s = NULL;
    unsigned long count, first;
    int64_t expires;
    int rc = 1, maf;

    if (argc < 7 || argc > 8) {
        fprintf(stderr, "usage: store_seed STORE-URL KEK-FILE mef|maf|audit COUNT EXPIRES-IN "
                        "ENROLEE-ID [FIRST]\n");
        return 2;
    }
    maf = strcmp(argv[3], "maf") == 0;
    count = strtoul(argv[4], NULL, 10);
    expires = (int64_t)time(NULL) + strtoll(argv[5], NULL, 10);
    first = argc == 8 ? strtoul(argv[7], NULL, 10) : 1;
    if ((kek = m2m_kek_load(argv[2], &err)) == NULL ||
        (s = m2m_store_open(argv[1], kek, &err)) == NULL ||
        (key = m2m_secret_new(32, &err)) == NULL || m2m_random(m2m_secret_data(key), 32, &err) != 0)
        goto out;
    for (unsigned long i = 0; i < count; i++)
        if (strcmp(argv[3], "audit") == 0
                ? add_audit(s, first + i, &err) != 0
                : add_one(s, maf, first + i, expires, argv[6], key, &err) != 0)
            goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "store_seed: %s\n", err.msg);
    m2m_secret_free(key);
    m2m_secret_free(kek);
    m2m_store_close(s);
    return rc;
}
