/* The [bbn] section of m2msecd's configuration. Included by config.h (after struct
 * listen_conf and CONF_MAX_TRUST), not on its own. */
#ifndef M2MSECD_CONFIG_BBN_H
#define M2MSECD_CONFIG_BBN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <m2msec/bbn.h>

struct daemon_conf;

struct bbn_conf {
    bool enabled;
    char fqdn[256]; /* the Briefing Node's own FQDN certificate identity */
    struct listen_conf listen;
    struct listen_conf coaps; /* coaps_listen; port 0: off */
    char cert[PATH_MAX], key[PATH_MAX], chain[PATH_MAX];
    char rules[PATH_MAX];                           /* operator rule file, reloaded on SIGHUP */
    char trust[CONF_MAX_TRUST][M2M_TRUST_NAME_MAX]; /* [trust.*] sets of nodes; empty: all */
    size_t n_trust;
};

int on_bbn(struct daemon_conf *c, const char *key, const char *value, char *err, size_t errsz);
int check_bbn(const struct daemon_conf *c, char *err, size_t errsz);

/* Reads a rule file with libinih; NULL with "FILE:LINE: problem" (the first error and the
 * count) in errbuf. */
struct m2m_bbn_rules *bbn_rules_load(const char *path, char *errbuf, size_t errsz);

#endif
