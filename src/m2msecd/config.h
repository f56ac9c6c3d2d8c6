/* m2msecd configuration: an INI file (sample in conf/m2msecd.conf). */
#ifndef M2MSECD_CONFIG_H
#define M2MSECD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <m2msec/pki.h>

#define CONF_MAX_TRUST    16
#define CONF_MAX_FLAVOURS 5

struct trust_conf {
    char name[M2M_TRUST_NAME_MAX];
    char anchors[PATH_MAX];
    char crls[PATH_MAX];
    enum m2m_flavour flavours[CONF_MAX_FLAVOURS];
    size_t n_flavours;
    char device_arc[64];
    bool relax_profile;
};

struct listen_conf {
    char address[64];
    unsigned short port;
};

struct mef_conf {
    bool enabled;
    char fqdn[256];
    struct listen_conf listen;
    struct listen_conf coaps; /* coaps_listen; port 0: off */
    char cert[PATH_MAX], key[PATH_MAX], chain[PATH_MAX];
    char sp_id[260];
    char in_cse_id[130];
    int64_t ke_lifetime;
    int64_t root_credential_lifetime;
    bool psk; /* accept PSK enrolees and PSK targets */
    bool gba; /* serve Ub (GBA bootstrapping) on gba_listen */
    struct listen_conf gba_listen;
    int64_t gba_challenge_lifetime;
    char trust[CONF_MAX_TRUST][M2M_TRUST_NAME_MAX]; /* names of [trust.*] sets; empty: all */
    size_t n_trust;
};

#include "config_maf.h"
#include "config_bbn.h"

struct daemon_conf {
    char path[PATH_MAX];
    char store[PATH_MAX + 8];
    char kek_file[PATH_MAX];
    int workers;
    char log_level[16];
    char user[64];
    int timeout_ms;
    int max_connections;
    size_t max_body;
    long commit_delay_us; /* the writer's commit delay under concurrent writes */
    bool builtin_ec_keys; /* m2m_tls_use_builtin_ec_keys at start */
    struct trust_conf trust[CONF_MAX_TRUST];
    size_t n_trust;
    struct mef_conf mef;
    struct maf_conf maf;
    struct bbn_conf bbn;
};

/* A role's section: each key of [name] goes to entry (0 ok, -1 with an optional reason in
 * err); check validates the role once the whole file is read. */
struct role_section {
    const char *name;
    int (*entry)(struct daemon_conf *c, const char *key, const char *value, char *err,
                 size_t errsz);
    int (*check)(const struct daemon_conf *c, char *err, size_t errsz);
};

/* Value parsers shared by every section: 0 on success, -1 when the value is not valid. */
int config_int(const char *v, long min, long max, long *out);
int config_bool(const char *v, bool *out);
/* "127.0.0.1:8443" or "[::1]:8443". */
int config_listen(const char *v, struct listen_conf *l);
/* Copies v, refusing one that does not fit. */
int config_copy(char *dst, size_t dstsz, const char *v);
/* "a, b c": up to max names of at most M2M_TRUST_NAME_MAX - 1 characters. */
int config_list(const char *v, char out[][M2M_TRUST_NAME_MAX], size_t max, size_t *n);

/* Parses and checks the file; on failure writes one line naming the file, line and
 * problem into errbuf. */
int config_load(const char *path, struct daemon_conf *c, char *errbuf, size_t errsz);
const struct trust_conf *config_trust(const struct daemon_conf *c, const char *name);

#endif
