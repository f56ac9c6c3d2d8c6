/* Parses and checks the [maf] section. Defaults are applied by the first key of the section,
 * so a configuration without [maf] leaves the role off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/id.h>

#include "config.h"
#include "config_coap.h"

/* "mef.example.com https://10.0.0.5:8443": one MEF per line, the line may repeat. */
static int maf_mef(struct maf_conf *m, const char *v, char *err, size_t errsz)
{
    struct maf_mef_conf *e;
    struct m2m_error e2;
    const char *sp = strchr(v, ' ');
    char fqdn[256];

    if (m->n_mefs == MAF_MAX_MEFS)
        return snprintf(err, errsz, "[maf] at most %d mef lines", MAF_MAX_MEFS), -1;
    if (sp == NULL || (size_t)(sp - v) >= sizeof(fqdn))
        return snprintf(err, errsz, "[maf] mef = FQDN URL"), -1;
    memcpy(fqdn, v, (size_t)(sp - v));
    fqdn[sp - v] = '\0';
    while (*sp == ' ')
        sp++;
    e = &m->mefs[m->n_mefs];
    if (m2m_fqdn_normalize(fqdn, e->fqdn, sizeof(e->fqdn), &e2) != 0)
        return snprintf(err, errsz, "[maf] mef FQDN '%.100s': %s", fqdn, e2.msg), -1;
    if (strncmp(sp, "https://", 8) != 0 || strchr(sp, ' ') != NULL ||
        config_copy(e->url, sizeof(e->url), sp) != 0)
        return snprintf(err, errsz, "[maf] mef URL '%.100s' is not https://HOST:PORT", sp), -1;
    for (size_t i = 0; i < m->n_mefs; i++)
        if (strcmp(m->mefs[i].fqdn, e->fqdn) == 0)
            return snprintf(err, errsz, "[maf] mef %s given twice", e->fqdn), -1;
    m->n_mefs++;
    return 0;
}

static void maf_defaults(struct maf_conf *m)
{
    m->enabled = true;
    snprintf(m->listen.address, sizeof(m->listen.address), "127.0.0.1");
    m->listen.port = 8444;
    m->threads = 4;
    m->fetch_timeout_ms = 5000;
    m->registration_lifetime = 86400;
}

int on_maf(struct daemon_conf *c, const char *name, const char *v, char *err, size_t errsz)
{
    struct maf_conf *m = &c->maf;
    long n;

    if (!m->enabled)
        maf_defaults(m);
    if (strcmp(name, "fqdn") == 0)
        return config_copy(m->fqdn, sizeof(m->fqdn), v);
    if (strcmp(name, "listen") == 0)
        return config_listen(v, &m->listen);
    if (strcmp(name, "coaps_listen") == 0)
        return config_coaps_listen(v, M2M_COAPS_PORT_MAF, &m->coaps);
    if (strcmp(name, "cert") == 0)
        return config_copy(m->cert, sizeof(m->cert), v);
    if (strcmp(name, "key") == 0)
        return config_copy(m->key, sizeof(m->key), v);
    if (strcmp(name, "chain") == 0)
        return config_copy(m->chain, sizeof(m->chain), v);
    if (strcmp(name, "trust") == 0)
        return config_copy(m->trust, sizeof(m->trust), v);
    if (strcmp(name, "mef") == 0)
        return maf_mef(m, v, err, errsz);
    if (strcmp(name, "threads") == 0 && config_int(v, 1, 256, &n) == 0)
        return m->threads = (int)n, 0;
    if (strcmp(name, "fetch_timeout_ms") == 0 && config_int(v, 100, 60000, &n) == 0)
        return m->fetch_timeout_ms = (int)n, 0;
    if (strcmp(name, "registration_lifetime") == 0 && config_int(v, 60, 365L * 86400, &n) == 0)
        return m->registration_lifetime = n, 0;
    return -1;
}

int check_maf(const struct daemon_conf *c, char *err, size_t errsz)
{
    const struct maf_conf *m = &c->maf;
    struct m2m_error e;

    if (!m->enabled)
        return 0;
    if (m->fqdn[0] == '\0' || m->cert[0] == '\0' || m->key[0] == '\0' || m->trust[0] == '\0')
        return snprintf(err, errsz, "[maf] needs fqdn, cert, key and trust"), -1;
    if (m2m_fqdn_validate(m->fqdn, &e) != 0)
        return snprintf(err, errsz, "[maf] fqdn: %s", e.msg), -1;
    if (m->n_mefs == 0)
        return snprintf(err, errsz, "[maf] needs at least one mef = FQDN URL"), -1;
    if (config_trust(c, m->trust) == NULL)
        return snprintf(err, errsz, "[maf] trust names unknown set '%s'", m->trust), -1;
    if (c->mef.enabled && c->mef.listen.port == m->listen.port &&
        strcmp(c->mef.listen.address, m->listen.address) == 0)
        return snprintf(err, errsz, "[maf] listen is the [mef] address"), -1;
    return config_coaps_check(c, &m->coaps, "maf", err, errsz);
}
