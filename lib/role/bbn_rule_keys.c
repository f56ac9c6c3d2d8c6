/* One key of a [rule.NAME] section: its syntax and range, checked once at load time so that
 * matching never meets a malformed rule (docs/briefing.md lists the keys). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include <m2msec/crypto.h>

#include "core/safety.h"
#include "role/bbn_internal.h"
#include "role/bbn_keys.h"

#define MAX_LIFETIME (10L * 365 * 86400)

/* Splits a list on commas and blanks; each item into out[i] of width w. */
static int split(const char *v, char *out, size_t w, size_t max, size_t *n, char *msg, size_t msgsz)
{
    char buf[1024], *save = NULL;

    *n = 0;
    if (strlen(v) >= sizeof(buf))
        return snprintf(msg, msgsz, "list too long"), -1;
    memcpy(buf, v, strlen(v) + 1);
    for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        if (*n == max)
            return snprintf(msg, msgsz, "more than %zu items", max), -1;
        if (strlen(t) >= w)
            return snprintf(msg, msgsz, "'%.40s' is longer than %zu characters", t, w - 1), -1;
        memcpy(out + *n * w, t, strlen(t) + 1);
        (*n)++;
    }
    if (*n == 0)
        return snprintf(msg, msgsz, "empty list"), -1;
    return 0;
}

static int copy(char *dst, size_t dstsz, const char *v, char *msg, size_t msgsz)
{
    if (v[0] == '\0')
        return snprintf(msg, msgsz, "empty value"), -1;
    if (strlen(v) >= dstsz)
        return snprintf(msg, msgsz, "longer than %zu characters", dstsz - 1), -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int parse_degrees(const char *v, double limit, double *out, char *msg, size_t msgsz)
{
    char *end = NULL;

    errno = 0;
    *out = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !isfinite(*out))
        return snprintf(msg, msgsz, "'%.40s' is not a number", v), -1;
    if (*out < -limit || *out > limit)
        return snprintf(msg, msgsz, "%g is outside [-%g, %g]", *out, limit, limit), -1;
    return 0;
}

static int parse_lifetime(const char *v, long *out, char *msg, size_t msgsz)
{
    char *end = NULL;

    errno = 0;
    *out = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0')
        return snprintf(msg, msgsz, "'%.40s' is not a whole number of seconds", v), -1;
    if (*out < 60 || *out > MAX_LIFETIME)
        return snprintf(msg, msgsz, "%ld is outside [60, %ld] seconds", *out, MAX_LIFETIME), -1;
    return 0;
}

/* A dotted OID arc such as 0.2.481.1.100: digits, no empty arc. */
static int parse_oid(const char *v, char *out, size_t outsz, char *msg, size_t msgsz)
{
    bool digit = false;

    for (const char *p = v; *p; p++) {
        if (*p == '.' && digit)
            digit = false;
        else if (*p >= '0' && *p <= '9')
            digit = true;
        else
            return snprintf(msg, msgsz, "'%.40s' is not a dotted OID arc", v), -1;
    }
    if (!digit)
        return snprintf(msg, msgsz, "'%.40s' is not a dotted OID arc", v), -1;
    return copy(out, outsz, v, msg, msgsz);
}

static int parse_flavours(struct bbn_rule *r, const char *v, char *msg, size_t msgsz)
{
    char names[M2M_FLAVOUR__COUNT][M2M_BBN_NAME_MAX];
    struct m2m_error e;

    if (split(v, names[0], M2M_BBN_NAME_MAX, M2M_FLAVOUR__COUNT, &r->n_flavours, msg, msgsz))
        return -1;
    for (size_t i = 0; i < r->n_flavours; i++)
        if (m2m_flavour_parse(names[i], &r->flavours[i], &e) != 0)
            return snprintf(msg, msgsz,
                            "unknown flavour '%s' (device, node-id, cse-id, ae-id, "
                            "fqdn)",
                            names[i]),
                   -1;
    return 0;
}

/* "id:suid, id:suid" (TS-0003 V3 8.3.2.1: the targets the node enrols for, by SUID). */
static int parse_targets(struct bbn_rule *r, const char *v, char *msg, size_t msgsz)
{
    char items[M2M_BBN_MAX_TARGETS][M2M_ID_MAX + 8];

    if (split(v, items[0], sizeof(items[0]), M2M_BBN_MAX_TARGETS, &r->n_targets, msg, msgsz))
        return -1;
    for (size_t i = 0; i < r->n_targets; i++) {
        char *colon = strrchr(items[i], ':'), *end = NULL;
        unsigned long suid;
        if (colon == NULL || colon == items[i])
            return snprintf(msg, msgsz, "'%.60s' is not ID:SUID", items[i]), -1;
        *colon = '\0';
        errno = 0;
        suid = strtoul(colon + 1, &end, 10);
        if (errno != 0 || end == colon + 1 || *end != '\0' || suid > 99 ||
            !m2m_suid_valid((unsigned)suid))
            return snprintf(msg, msgsz, "'%.20s' is not a defined SUID", colon + 1), -1;
        if (strlen(items[i]) > M2M_ID_MAX)
            return snprintf(msg, msgsz, "target id too long"), -1;
        memcpy(r->targets[i].id, items[i], strlen(items[i]) + 1);
        r->targets[i].suid = (unsigned)suid;
    }
    return 0;
}

static int uri_ok(const char *v)
{
    return (strncmp(v, "https://", 8) == 0 && v[8] != '\0' && v[8] != '/') ||
           (strncmp(v, "coaps://", 8) == 0 && v[8] != '\0' && v[8] != '/');
}

static int add_anchor(struct bbn_rule *r, X509 *x, char *msg, size_t msgsz)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len;
    int rc = -1;

    if (r->n_anchors == M2M_MAX_ANCHORS)
        snprintf(msg, msgsz, "more than %d trust anchors", M2M_MAX_ANCHORS);
    else if (bio == NULL || PEM_write_bio_X509(bio, x) != 1 ||
             (len = BIO_get_mem_data(bio, &data)) <= 0 || len >= M2M_PEM_MAX)
        snprintf(msg, msgsz, "cannot encode a trust anchor as PEM");
    else if ((r->anchors[r->n_anchors] = strndup(data, (size_t)len)) == NULL)
        snprintf(msg, msgsz, "out of memory");
    else
        r->n_anchors++, rc = 0;
    BIO_free(bio);
    return rc;
}

/* The anchors are read now and embedded: the instruction carries PEM, and a file that
 * goes missing later cannot break a running node. */
static int parse_anchors(struct bbn_rule *r, const char *dir, const char *v, char *msg,
                         size_t msgsz)
{
    char files[M2M_MAX_ANCHORS][PATH_MAX / 4];
    size_t n;

    if (split(v, files[0], sizeof(files[0]), M2M_MAX_ANCHORS, &n, msg, msgsz))
        return -1;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct m2m_error e;
        STACK_OF(X509) *certs;
        int bad = 0;
        snprintf(path, sizeof(path), "%s%s", files[i][0] == '/' ? "" : dir, files[i]);
        if ((certs = m2m_pki_load_certs(path, &e)) == NULL)
            return snprintf(msg, msgsz, "trust anchors '%.100s': %.120s", files[i], e.msg), -1;
        for (int k = 0; !bad && k < sk_X509_num(certs); k++)
            bad = add_anchor(r, sk_X509_value(certs, k), msg, msgsz) != 0;
        sk_X509_pop_free(certs, X509_free);
        if (bad)
            return -1;
    }
    return 0;
}

static int set_result(struct bbn_rule *r, const char *dir, const char *key, const char *v,
                      char *msg, size_t msgsz)
{
    struct m2m_error e;

    if (strcmp(key, "mechanism") == 0) {
        if (!m2m_bbn_mechanism_valid(v))
            return snprintf(msg, msgsz, "unknown mechanism '%.40s' (certificate, pki, psk, gba)",
                            v),
                   -1;
        return copy(r->mechanism, sizeof(r->mechanism), v, msg, msgsz);
    }
    if (strcmp(key, "target_id") == 0) {
        if (m2m_fqdn_validate(v, &e) != 0)
            return snprintf(msg, msgsz, "'%.60s' is not an FQDN", v), -1;
        return copy(r->target_id, sizeof(r->target_id), v, msg, msgsz);
    }
    if (strcmp(key, "target_uri") == 0) {
        if (!uri_ok(v))
            return snprintf(msg, msgsz, "'%.60s' is not an https:// or coaps:// URI", v), -1;
        return copy(r->target_uri, sizeof(r->target_uri), v, msg, msgsz);
    }
    if (strcmp(key, "trust_anchors") == 0)
        return parse_anchors(r, dir, v, msg, msgsz);
    if (strcmp(key, "enrolment_targets") == 0)
        return parse_targets(r, v, msg, msgsz);
    return parse_lifetime(v, &r->lifetime, msg, msgsz);
}

static int set_condition(struct bbn_rule *r, const char *key, const char *v, char *msg,
                         size_t msgsz)
{
    double *deg;

    if (strcmp(key, "trust") == 0)
        return split(v, r->trust[0], M2M_TRUST_NAME_MAX, M2M_BBN_MAX_LIST, &r->n_trust, msg, msgsz);
    if (strcmp(key, "flavour") == 0)
        return parse_flavours(r, v, msg, msgsz);
    if (strcmp(key, "device_prefix") == 0)
        return parse_oid(v, r->device_prefix, sizeof(r->device_prefix), msg, msgsz);
    if (strcmp(key, "identity") == 0)
        return copy(r->identity, sizeof(r->identity), v, msg, msgsz);
    if (strcmp(key, "site") == 0)
        return copy(r->site, sizeof(r->site), v, msg, msgsz);
    if (strcmp(key, "transport") == 0)
        return split(v, r->transports[0], M2M_BBN_NAME_MAX, M2M_BBN_MAX_LIST, &r->n_transports, msg,
                     msgsz);
    /* lat_min, lat_max, lon_min, lon_max: the caller only passes known keys */
    deg = strcmp(key, "lat_min") == 0   ? &r->lat_min
          : strcmp(key, "lat_max") == 0 ? &r->lat_max
          : strcmp(key, "lon_min") == 0 ? &r->lon_min
                                        : &r->lon_max;
    return parse_degrees(v, strncmp(key, "lat", 3) == 0 ? 90.0 : 180.0, deg, msg, msgsz);
}

static const struct {
    const char *name;
    unsigned bit;
    bool result;
} keys[] = {
    {"trust", BBN_K_TRUST, false},
    {"flavour", BBN_K_FLAVOUR, false},
    {"device_prefix", BBN_K_PREFIX, false},
    {"identity", BBN_K_IDENTITY, false},
    {"site", BBN_K_SITE, false},
    {"lat_min", BBN_K_LAT_MIN, false},
    {"lat_max", BBN_K_LAT_MAX, false},
    {"lon_min", BBN_K_LON_MIN, false},
    {"lon_max", BBN_K_LON_MAX, false},
    {"transport", BBN_K_TRANSPORT, false},
    {"mechanism", BBN_K_MECHANISM, true},
    {"target_id", BBN_K_TARGET_ID, true},
    {"target_uri", BBN_K_TARGET_URI, true},
    {"trust_anchors", BBN_K_ANCHORS, true},
    {"enrolment_targets", BBN_K_TARGETS, true},
    {"lifetime", BBN_K_LIFETIME, true},
};

int bbn_rule_set(struct bbn_rule *r, const char *dir, const char *key, const char *value, char *msg,
                 size_t msgsz)
{
    for (size_t i = 0; i < M2M_ARRAY_LEN(keys); i++) {
        if (strcmp(key, keys[i].name) != 0)
            continue;
        if (r->seen & keys[i].bit)
            return snprintf(msg, msgsz, "'%s' given twice in rule '%s'", key, r->name), -1;
        r->seen |= keys[i].bit;
        if (value[0] == '\0')
            return snprintf(msg, msgsz, "'%s' has an empty value", key), -1;
        return keys[i].result ? set_result(r, dir, key, value, msg, msgsz)
                              : set_condition(r, key, value, msg, msgsz);
    }
    return snprintf(msg, msgsz, "unknown key '%.60s'", key), -1;
}
