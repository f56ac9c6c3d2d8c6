/* Shared by the Briefing Node's files: one operator rule as loaded. */
#ifndef M2M_ROLE_BBN_INTERNAL_H
#define M2M_ROLE_BBN_INTERNAL_H

#include <m2msec/bbn.h>

#define BBN_RULE_NAME_MAX 64

struct bbn_rule {
    char name[BBN_RULE_NAME_MAX];
    unsigned line; /* of its section header */
    unsigned seen; /* keys given, one bit each (a key given twice is an error) */
    /* conditions (all optional, AND-ed) */
    size_t n_trust;
    char trust[M2M_BBN_MAX_LIST][M2M_TRUST_NAME_MAX];
    size_t n_flavours;
    enum m2m_flavour flavours[M2M_FLAVOUR__COUNT];
    char device_prefix[128];
    char identity[M2M_IDENTITY_MAX]; /* fnmatch(3) glob */
    char site[M2M_BBN_SITE_MAX];
    double lat_min, lat_max, lon_min, lon_max;
    size_t n_transports;
    char transports[M2M_BBN_MAX_LIST][M2M_BBN_NAME_MAX];
    /* result; the mechanism is also a condition (the node must support it) */
    char mechanism[M2M_BBN_NAME_MAX];
    char target_id[M2M_FQDN_MAX + 1];
    char target_uri[M2M_URI_MAX];
    size_t n_anchors;
    char *anchors[M2M_MAX_ANCHORS]; /* PEM text read at load time */
    size_t n_targets;
    struct m2m_bbn_target targets[M2M_BBN_MAX_TARGETS];
    long lifetime; /* seconds */
};

struct m2m_bbn_rules {
    size_t n;
    struct bbn_rule *rules;
};

/* Key bits of struct bbn_rule.seen. */
enum bbn_key {
    BBN_K_TRUST = 1u << 0,
    BBN_K_FLAVOUR = 1u << 1,
    BBN_K_PREFIX = 1u << 2,
    BBN_K_IDENTITY = 1u << 3,
    BBN_K_SITE = 1u << 4,
    BBN_K_LAT_MIN = 1u << 5,
    BBN_K_LAT_MAX = 1u << 6,
    BBN_K_LON_MIN = 1u << 7,
    BBN_K_LON_MAX = 1u << 8,
    BBN_K_TRANSPORT = 1u << 9,
    BBN_K_MECHANISM = 1u << 10,
    BBN_K_TARGET_ID = 1u << 11,
    BBN_K_TARGET_URI = 1u << 12,
    BBN_K_ANCHORS = 1u << 13,
    BBN_K_TARGETS = 1u << 14,
    BBN_K_LIFETIME = 1u << 15,
};
#define BBN_K_BOX (BBN_K_LAT_MIN | BBN_K_LAT_MAX | BBN_K_LON_MIN | BBN_K_LON_MAX)

void bbn_rule_release(struct bbn_rule *r);

/* The first condition of r the peer and request fail, or NULL when all hold. */
const char *bbn_rule_mismatch(const struct bbn_rule *r, const struct m2m_verified *peer,
                              const struct m2m_bbn_request *req);

#endif
