/* The [maf] section of m2msecd's configuration (docs/maf.md). Included by config.h after
 * struct listen_conf. */
#ifndef M2MSECD_CONFIG_MAF_H
#define M2MSECD_CONFIG_MAF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <m2msec/pki.h>

#define MAF_MAX_MEFS 16
#define MAF_URL_MAX  512

struct daemon_conf;

/* One "mef = FQDN URL" line: the MEF issuing KeIDs ending in @FQDN, reached at URL. */
struct maf_mef_conf {
    char fqdn[256];
    char url[MAF_URL_MAX];
};

struct maf_conf {
    bool enabled;
    char fqdn[256];            /* the MAF-ID: its FQDN certificate's name, the KmID suffix */
    struct listen_conf listen; /* default 127.0.0.1:8444 (DESIGN.md section 3) */
    struct listen_conf coaps;  /* coaps_listen; port 0: off */
    char cert[PATH_MAX], key[PATH_MAX], chain[PATH_MAX]; /* FQDN certificate, for the fetch */
    char trust[M2M_TRUST_NAME_MAX]; /* [trust.NAME] set whose anchors (and CRLs) verify MEFs */
    struct maf_mef_conf mefs[MAF_MAX_MEFS];
    size_t n_mefs;
    int threads;                   /* handshake threads (default 4) */
    int fetch_timeout_ms;          /* bound on one fetch from an MEF (default 5000) */
    int64_t registration_lifetime; /* seconds a client registration lasts (default 86400) */
};

int on_maf(struct daemon_conf *c, const char *name, const char *value, char *err, size_t errsz);
int check_maf(const struct daemon_conf *c, char *err, size_t errsz);

#endif
