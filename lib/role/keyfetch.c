/* Fetch-on-unknown-KeID with a single flight per KeID (TS-0003 V3 8.3.1.2 steps 2-4).
 *
 * Why a single flight: an Enrolee that retries, or a fleet that starts at once, opens
 * several first handshakes with one KeID. Each would otherwise ask the MEF for the same key,
 * and every fetch is an issuance the MEF audits. The first lookup of a KeID leads the
 * flight; later ones wait for its outcome (bounded by the fetch timeout) and share it.
 *
 * Why the cache is read again under the lock before a flight starts: a lookup that missed
 * the cache may reach the lock just after a flight for the same KeID finished and left; the
 * key is in the store by then (the leader commits before it leaves), so it is read there
 * instead of being fetched twice. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <m2msec/id.h>
#include <m2msec/keyfetch.h>

#include "core/safety.h"

#define WAIT_MARGIN_MS 1000 /* the leader's store write after its fetch */

struct mef_entry {
    char fqdn[M2M_FQDN_MAX + 1];
    char url[M2M_URI_MAX];
};

/* One fetch in progress, shared by its leader and its waiters; freed by the last. */
struct flight {
    struct flight *next;
    char keid[M2M_STORE_KEYID_MAX]; /* the cache id the flight is for */
    int refs;
    int done;
    int rc;
    struct m2m_error err;
    struct m2m_secret *key;
    struct m2m_keyfetch_info info;
};

/* What one lookup asks for: the id the MEF knows (a KeID or a B-TID), the id the key is
 * cached under, and for a B-TID the Ua security protocol id. */
struct wanted {
    char keid[M2M_STORE_KEYID_MAX];
    char cache_id[M2M_STORE_KEYID_MAX];
    char fqdn[M2M_FQDN_MAX + 1]; /* of the MEF that issued it */
    char ua[M2M_FETCH_UA_HEX_LEN + 1];
    int gba;
};

struct m2m_keyfetch {
    struct m2m_keyfetch_config cfg;
    m2m_keyfetch_fn fetch;
    void *fetch_arg;
    struct mef_entry mefs[M2M_KEYFETCH_MAX_MEFS];
    size_t n_mefs;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast when any flight lands */
    struct flight *flights;
    unsigned long fetches;
};

/* Every refusal carries the one code the TLS layer turns into unknown_psk_identity. */
static int refuse(struct m2m_error *err, const char *what, const struct m2m_error *why)
{
    return m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN, "%s%s%s", what, why ? ": " : "",
                         why ? why->msg : "");
}

static void info_from_rec(struct m2m_keyfetch_info *info, const struct m2m_store_maf_key *r)
{
    snprintf(info->keid, sizeof(info->keid), "%s", r->keid);
    snprintf(info->kmid, sizeof(info->kmid), "%s", r->kmid);
    snprintf(info->enrolee_id, sizeof(info->enrolee_id), "%s", r->enrolee_id);
    info->expires = r->expires;
}

/* 0: a valid cached key; 1: nothing cached; -1: refused (expired, revoked, store error). */
static int from_cache(struct m2m_store *store, const char *id, struct m2m_secret **key,
                      struct m2m_keyfetch_info *info, struct m2m_error *err)
{
    struct m2m_store_maf_key rec;
    struct m2m_error e;

    memset(&rec, 0, sizeof(rec));
    m2m_error_clear(&e);
    if (m2m_store_maf_get(store, id, (int64_t)time(NULL), &rec, key, &e) == 0) {
        info_from_rec(info, &rec);
        return 0;
    }
    if (e.code == M2M_E_STORE_NOT_FOUND)
        return 1;
    if (e.code == M2M_E_STORE_REVOKED || e.code == M2M_E_STORE_EXPIRED)
        info_from_rec(info, &rec);
    /* Expired or revoked keys are refused, not refetched: TS-0003 10.3 keys derived from Ke
     * must not outlive it, and a revocation must hold. */
    refuse(err,
           e.code == M2M_E_STORE_REVOKED   ? "cached key revoked"
           : e.code == M2M_E_STORE_EXPIRED ? "cached key expired"
                                           : "key cache unavailable",
           &e);
    return -1;
}

static const struct mef_entry *mef_for(const struct m2m_keyfetch *kf, const char *fqdn)
{
    for (size_t i = 0; i < kf->n_mefs; i++)
        if (strcmp(kf->mefs[i].fqdn, fqdn) == 0)
            return &kf->mefs[i];
    return NULL;
}

/* The leader's work: ask the MEF, check the answer, cache it under both ids. */
static int fetch_and_cache(struct m2m_keyfetch *kf, struct m2m_store *store,
                           const struct mef_entry *mef, void *fetch_arg, const struct wanted *w,
                           struct flight *f)
{
    struct m2m_fetch_response resp;
    struct m2m_store_maf_key rec;
    struct m2m_error e;
    struct m2m_error *err = &f->err;
    int rc = -1;

    memset(&resp, 0, sizeof(resp));
    memset(&rec, 0, sizeof(rec));
    m2m_error_clear(&e);
    /* TS-0003 8.3.1.2 step 3: RETRIEVE /fetchCredentials/{KeID}/{SUID}, originator = own id. */
    if (kf->fetch(fetch_arg, mef->fqdn, mef->url, w->keid, kf->cfg.suid, w->gba ? w->ua : NULL,
                  kf->cfg.own_id, kf->cfg.fetch_timeout_ms, &resp, &e) != 0) {
        refuse(err, "fetch from the MEF failed", &e);
        goto out;
    }
    M2M_ENSURE(resp.credential_len >= 16 && resp.credential_len <= sizeof(resp.credential),
               M2M_E_TLS_PSK_UNKNOWN, "the MEF returned a %zu-byte key", resp.credential_len);
    M2M_ENSURE(resp.enrolee_id[0] != '\0', M2M_E_TLS_PSK_UNKNOWN, "the MEF returned no Enrolee-ID");
    M2M_ENSURE((int64_t)resp.lifetime > (int64_t)time(NULL), M2M_E_TLS_PSK_UNKNOWN,
               "the MEF returned a key that has already expired");
    if ((f->key = m2m_secret_from(resp.credential, resp.credential_len, &e)) == NULL) {
        refuse(err, "cannot hold the fetched key", &e);
        goto out;
    }
    /* TS-0003 8.3.1.2 step 4: later handshakes may present KmID or KeID. For GBA the KmID
     * is the B-TID itself (SPEC.md section 8), so the second row is the suite-bound one. */
    if (w->gba)
        snprintf(rec.kmid, sizeof(rec.kmid), "%s", w->cache_id);
    else if (m2m_derive_kmid(f->key, kf->cfg.key_id_fqdn, rec.kmid, &e) != 0) {
        refuse(err, "cannot derive the key id", &e);
        goto out;
    }
    snprintf(rec.keid, sizeof(rec.keid), "%s", w->keid);
    snprintf(rec.enrolee_id, sizeof(rec.enrolee_id), "%s", resp.enrolee_id);
    rec.expires = (int64_t)resp.lifetime;
    if (m2m_store_maf_put(store, &rec, f->key, &e) != 0) {
        refuse(err, "cannot cache the fetched key", &e);
        goto out;
    }
    info_from_rec(&f->info, &rec);
    rc = 0;
out:
    m2m_wipe(&resp, sizeof(resp));
    if (rc != 0) {
        m2m_secret_free(f->key);
        f->key = NULL;
    }
    return rc;
}

/* Copies a landed flight's outcome for one participant. Called with the lock held. */
static int take_outcome(const struct flight *f, struct m2m_secret **key,
                        struct m2m_keyfetch_info *info, struct m2m_error *err)
{
    *info = f->info;
    if (f->rc != 0) {
        *err = f->err;
        return -1;
    }
    *key = m2m_secret_from(m2m_secret_cdata(f->key), m2m_secret_len(f->key), err);
    return *key != NULL ? 0 : -1;
}

static void flight_release(struct m2m_keyfetch *kf, struct flight *f)
{
    if (--f->refs > 0)
        return;
    (void)kf;
    m2m_secret_free(f->key);
    free(f);
}

static void flight_unlink(struct m2m_keyfetch *kf, struct flight *f)
{
    for (struct flight **p = &kf->flights; *p != NULL; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            return;
        }
}

static struct flight *flight_find(struct m2m_keyfetch *kf, const char *keid)
{
    for (struct flight *f = kf->flights; f != NULL; f = f->next)
        if (strcmp(f->keid, keid) == 0)
            return f;
    return NULL;
}

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* A waiter: until the flight lands or the deadline passes. Called with the lock held. */
static int wait_flight(struct m2m_keyfetch *kf, struct flight *f, struct m2m_secret **key,
                       struct m2m_keyfetch_info *info, struct m2m_error *err)
{
    struct timespec deadline;
    int rc = -1, w = 0;

    f->refs++;
    deadline_after(&deadline, kf->cfg.fetch_timeout_ms + WAIT_MARGIN_MS);
    while (!f->done && w != ETIMEDOUT)
        w = pthread_cond_timedwait(&kf->cv, &kf->mu, &deadline);
    if (f->done) {
        rc = take_outcome(f, key, info, err);
        info->fetched = 0;
        info->waited = 1;
    } else {
        m2m_error_set(err, M2M_E_TLS_PSK_UNKNOWN,
                      "gave up waiting for the MEF's answer about %s after %d ms", f->keid,
                      kf->cfg.fetch_timeout_ms + WAIT_MARGIN_MS);
    }
    flight_release(kf, f);
    return rc;
}

/* The leader: fetch without the lock, then land the flight for everyone. */
static int lead_flight(struct m2m_keyfetch *kf, struct m2m_store *store,
                       const struct mef_entry *mef, const struct wanted *w, struct m2m_secret **key,
                       struct m2m_keyfetch_info *info, struct m2m_error *err)
{
    struct flight *f = calloc(1, sizeof(*f));
    struct m2m_tls_config *tls = kf->cfg.tls;
    int rc;

    if (f == NULL)
        return m2m_error_set(err, M2M_E_NOMEM, "out of memory");
    snprintf(f->keid, sizeof(f->keid), "%s", w->cache_id);
    snprintf(f->info.mef_fqdn, sizeof(f->info.mef_fqdn), "%s", mef->fqdn);
    f->refs = 1;
    f->next = kf->flights;
    kf->flights = f;
    kf->fetches++;
    /* The TLS configuration of this fetch stays alive even if a reload replaces it. */
    if (tls != NULL)
        m2m_tls_config_up_ref(tls);
    pthread_mutex_unlock(&kf->mu);
    f->rc = fetch_and_cache(kf, store, mef, kf->fetch_arg != NULL ? kf->fetch_arg : tls, w, f);
    m2m_tls_config_free(tls);
    pthread_mutex_lock(&kf->mu);
    f->done = 1;
    flight_unlink(kf, f);
    pthread_cond_broadcast(&kf->cv);
    rc = take_outcome(f, key, info, err);
    info->fetched = 1;
    flight_release(kf, f);
    return rc;
}

/* A KeID nobody has cached: join its flight or lead a new one. */
static int fetch_single_flight(struct m2m_keyfetch *kf, struct m2m_store *store,
                               const struct mef_entry *mef, const struct wanted *w,
                               struct m2m_secret **key, struct m2m_keyfetch_info *info,
                               struct m2m_error *err)
{
    struct flight *f;
    int rc;

    pthread_mutex_lock(&kf->mu);
    if ((f = flight_find(kf, w->cache_id)) != NULL)
        rc = wait_flight(kf, f, key, info, err);
    else if ((rc = from_cache(store, w->cache_id, key, info, err)) == 1)
        rc = lead_flight(kf, store, mef, w, key, info, err);
    pthread_mutex_unlock(&kf->mu);
    return rc;
}

/* A B-TID (SPEC.md section 8): the key depends on the suite, which must be a TS-0003 PSK
 * suite. */
static int wanted_gba(const char *identity, uint16_t suite, struct wanted *w, struct m2m_error *err)
{
    struct m2m_btid bt;
    int rc = -1;

    M2M_GUARD(m2m_keyid_btid_parse(identity, &bt, err));
    M2M_ENSURE(m2m_tls_psk_suite_name(suite) != NULL, M2M_E_INVALID_ARG,
               "a B-TID needs a TS-0003 TLS-PSK suite, not 0x%04x", (unsigned)suite);
    w->gba = 1;
    snprintf(w->keid, sizeof(w->keid), "%s", identity);
    snprintf(w->fqdn, sizeof(w->fqdn), "%s", bt.fqdn);
    /* TS 33.220 Annex H: (0x01,0x00,0x01,yy,zz), yy zz the TLS-PSK suite (TS 33.222). */
    snprintf(w->ua, sizeof(w->ua), "010001%04x", (unsigned)suite);
    M2M_ENSURE(snprintf(w->cache_id, sizeof(w->cache_id), "%s#ua=%s", identity, w->ua) <
                   (int)sizeof(w->cache_id),
               M2M_E_INVALID_ARG, "B-TID too long");
    rc = 0;
out:
    return rc;
}

static int wanted_for(const char *identity, uint16_t suite, struct wanted *w, struct m2m_error *err)
{
    struct m2m_keyid kid;
    struct m2m_btid bt;
    struct m2m_error e;

    memset(w, 0, sizeof(*w));
    /* A B-TID's RAND part is 24 base64 characters ending in "==": never a KeID's hex. */
    if (m2m_keyid_btid_parse(identity, &bt, &e) == 0)
        return wanted_gba(identity, suite, w, err);
    if (m2m_keyid_canonical(identity, w->keid, sizeof(w->keid), err) != 0 ||
        m2m_keyid_parse(w->keid, &kid, err) != 0)
        return -1;
    snprintf(w->cache_id, sizeof(w->cache_id), "%s", w->keid);
    snprintf(w->fqdn, sizeof(w->fqdn), "%s", kid.fqdn);
    return 0;
}

/* A GBA key missing for this suite: a revoked or expired B-TID stays refused (the row
 * under the B-TID itself is read without unsealing its key). */
static int gba_row_usable(struct m2m_store *store, const struct wanted *w,
                          struct m2m_keyfetch_info *info, struct m2m_error *err)
{
    int c = from_cache(store, w->keid, NULL, info, err);

    memset(info, 0, sizeof(*info));
    return c < 0 ? -1 : 0;
}

int m2m_keyfetch_lookup_suite(struct m2m_keyfetch *kf, struct m2m_store *store,
                              const char *identity, uint16_t suite, struct m2m_secret **key,
                              struct m2m_keyfetch_info *info, struct m2m_error *err)
{
    struct m2m_keyfetch_info local;
    struct wanted w;
    const struct mef_entry *mef;
    struct m2m_error e;
    int rc = -1, c;

    if (info == NULL)
        info = &local;
    memset(info, 0, sizeof(*info));
    m2m_error_clear(&e);
    M2M_ENSURE_ARG(kf != NULL && store != NULL && identity != NULL && key != NULL);
    *key = NULL;
    if (wanted_for(identity, suite, &w, &e) != 0) {
        refuse(err, "not a key identifier", &e);
        goto out;
    }
    /* TS-0003 8.3.1.2 step 2: a key already held authenticates at once. */
    if ((c = from_cache(store, w.cache_id, key, info, err)) <= 0) {
        rc = c;
        goto out;
    }
    if (w.gba && gba_row_usable(store, &w, info, err) != 0)
        goto out;
    /* Step 3: only a KeID can be fetched, from the MEF its FQDN names. */
    mef = mef_for(kf, w.fqdn);
    M2M_ENSURE(w.gba || strcmp(w.fqdn, kf->cfg.key_id_fqdn) != 0 || mef != NULL,
               M2M_E_TLS_PSK_UNKNOWN, "unknown key id %s (a KmID is only known once cached)",
               w.keid);
    M2M_ENSURE(mef != NULL, M2M_E_TLS_PSK_UNKNOWN, "no MEF is configured for %s of %s",
               w.gba ? "B-TIDs" : "KeIDs", w.fqdn);
    snprintf(info->mef_fqdn, sizeof(info->mef_fqdn), "%s", mef->fqdn);
    rc = fetch_single_flight(kf, store, mef, &w, key, info, err);
out:
    return rc;
}

int m2m_keyfetch_lookup(struct m2m_keyfetch *kf, struct m2m_store *store, const char *identity,
                        struct m2m_secret **key, struct m2m_keyfetch_info *info,
                        struct m2m_error *err)
{
    return m2m_keyfetch_lookup_suite(kf, store, identity, 0, key, info, err);
}

struct m2m_keyfetch *m2m_keyfetch_new_with(const struct m2m_keyfetch_config *cfg,
                                           m2m_keyfetch_fn fetch, void *fetch_arg,
                                           struct m2m_error *err)
{
    struct m2m_keyfetch *kf = NULL;
    pthread_condattr_t ca;
    struct m2m_error e;

    if (cfg == NULL || fetch == NULL || cfg->own_id[0] == '\0' || !m2m_suid_valid(cfg->suid) ||
        cfg->fetch_timeout_ms < 0) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "key fetch needs own id, a fetch and a SUID");
        return NULL;
    }
    if (m2m_fqdn_validate(cfg->key_id_fqdn, &e) != 0) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "key id FQDN: %s", e.msg);
        return NULL;
    }
    if ((kf = calloc(1, sizeof(*kf))) == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "out of memory");
        return NULL;
    }
    kf->cfg = *cfg;
    if (kf->cfg.fetch_timeout_ms == 0)
        kf->cfg.fetch_timeout_ms = M2M_KEYFETCH_DEFAULT_TIMEOUT_MS;
    if (kf->cfg.tls != NULL)
        m2m_tls_config_up_ref(kf->cfg.tls);
    kf->fetch = fetch;
    kf->fetch_arg = fetch_arg;
    /* Waiters measure their bound on the monotonic clock, immune to clock changes. */
    pthread_mutex_init(&kf->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&kf->cv, &ca);
    pthread_condattr_destroy(&ca);
    return kf;
}

void m2m_keyfetch_free(struct m2m_keyfetch *kf)
{
    if (kf == NULL)
        return;
    pthread_cond_destroy(&kf->cv);
    pthread_mutex_destroy(&kf->mu);
    m2m_tls_config_free(kf->cfg.tls);
    free(kf);
}

int m2m_keyfetch_add_mef(struct m2m_keyfetch *kf, const char *fqdn, const char *url,
                         struct m2m_error *err)
{
    struct mef_entry *m;
    int rc = -1;

    M2M_ENSURE_ARG(kf != NULL && fqdn != NULL && url != NULL);
    M2M_ENSURE(kf->n_mefs < M2M_KEYFETCH_MAX_MEFS, M2M_E_INVALID_ARG, "too many MEFs");
    M2M_ENSURE(strncmp(url, "https://", 8) == 0 && strlen(url) < M2M_URI_MAX, M2M_E_INVALID_ARG,
               "MEF URL '%s' is not https://HOST:PORT", url);
    m = &kf->mefs[kf->n_mefs];
    M2M_GUARD(m2m_fqdn_normalize(fqdn, m->fqdn, sizeof(m->fqdn), err));
    M2M_ENSURE(mef_for(kf, m->fqdn) == NULL, M2M_E_INVALID_ARG, "MEF %s configured twice", m->fqdn);
    snprintf(m->url, sizeof(m->url), "%s", url);
    kf->n_mefs++;
    rc = 0;
out:
    return rc;
}

void m2m_keyfetch_set_tls(struct m2m_keyfetch *kf, struct m2m_tls_config *tls)
{
    struct m2m_tls_config *old;

    if (tls != NULL)
        m2m_tls_config_up_ref(tls);
    pthread_mutex_lock(&kf->mu);
    old = kf->cfg.tls;
    kf->cfg.tls = tls;
    pthread_mutex_unlock(&kf->mu);
    m2m_tls_config_free(old);
}

unsigned long m2m_keyfetch_fetch_count(struct m2m_keyfetch *kf)
{
    unsigned long n;

    pthread_mutex_lock(&kf->mu);
    n = kf->fetches;
    pthread_mutex_unlock(&kf->mu);
    return n;
}
