/* Reads the INI configuration with libinih; every value is checked here, so a running
 * role never meets a malformed setting. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_coap.h"

struct parse_state {
    struct daemon_conf *c;
    char err[256];
};

int config_int(const char *v, long min, long max, long *out)
{
    char *end = NULL;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

int config_bool(const char *v, bool *out)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

/* "127.0.0.1:8443" or "[::1]:8443". */
int config_listen(const char *v, struct listen_conf *l)
{
    const char *colon = strrchr(v, ':');
    long port;
    size_t n;

    if (colon == NULL || config_int(colon + 1, 0, 65535, &port) != 0)
        return -1;
    n = (size_t)(colon - v);
    if (n >= 2 && v[0] == '[' && v[n - 1] == ']')
        v++, n -= 2;
    if (n == 0 || n >= sizeof(l->address))
        return -1;
    memcpy(l->address, v, n);
    l->address[n] = '\0';
    l->port = (unsigned short)port;
    return 0;
}

int config_copy(char *dst, size_t dstsz, const char *v)
{
    if (strlen(v) >= dstsz)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

int config_list(const char *v, char out[][M2M_TRUST_NAME_MAX], size_t max, size_t *n)
{
    char buf[1024], *save = NULL;

    if (config_copy(buf, sizeof(buf), v) != 0)
        return -1;
    *n = 0;
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (*n == max || config_copy(out[*n], M2M_TRUST_NAME_MAX, tok) != 0)
            return -1;
        (*n)++;
    }
    return 0;
}

static int on_daemon(struct daemon_conf *c, const char *name, const char *v)
{
    long n;

    if (strcmp(name, "store") == 0)
        return config_copy(c->store, sizeof(c->store), v);
    if (strcmp(name, "kek_file") == 0)
        return config_copy(c->kek_file, sizeof(c->kek_file), v);
    if (strcmp(name, "log_level") == 0)
        return config_copy(c->log_level, sizeof(c->log_level), v);
    if (strcmp(name, "user") == 0)
        return config_copy(c->user, sizeof(c->user), v);
    if (strcmp(name, "workers") == 0 && config_int(v, 1, 64, &n) == 0)
        return c->workers = (int)n, 0;
    if (strcmp(name, "timeout_ms") == 0 && config_int(v, 100, 600000, &n) == 0)
        return c->timeout_ms = (int)n, 0;
    if (strcmp(name, "max_connections") == 0 && config_int(v, 1, 1000000, &n) == 0)
        return c->max_connections = (int)n, 0;
    if (strcmp(name, "max_body") == 0 && config_int(v, 256, 1 << 20, &n) == 0)
        return c->max_body = (size_t)n, 0;
    if (strcmp(name, "builtin_ec_keys") == 0)
        return config_bool(v, &c->builtin_ec_keys);
    if (strcmp(name, "commit_delay_us") == 0 && config_int(v, 0, 100000, &n) == 0)
        return c->commit_delay_us = n, 0;
    return -1;
}

static int on_mef(struct daemon_conf *c, const char *name, const char *v, char *err, size_t errsz)
{
    struct mef_conf *m = &c->mef;
    long n;

    (void)err, (void)errsz;
    m->enabled = true;
    if (strcmp(name, "fqdn") == 0)
        return config_copy(m->fqdn, sizeof(m->fqdn), v);
    if (strcmp(name, "listen") == 0)
        return config_listen(v, &m->listen);
    if (strcmp(name, "coaps_listen") == 0)
        return config_coaps_listen(v, M2M_COAPS_PORT_MEF, &m->coaps);
    if (strcmp(name, "cert") == 0)
        return config_copy(m->cert, sizeof(m->cert), v);
    if (strcmp(name, "key") == 0)
        return config_copy(m->key, sizeof(m->key), v);
    if (strcmp(name, "chain") == 0)
        return config_copy(m->chain, sizeof(m->chain), v);
    if (strcmp(name, "sp_id") == 0)
        return config_copy(m->sp_id, sizeof(m->sp_id), v);
    if (strcmp(name, "in_cse_id") == 0)
        return config_copy(m->in_cse_id, sizeof(m->in_cse_id), v);
    if (strcmp(name, "psk") == 0)
        return config_bool(v, &m->psk);
    if (strcmp(name, "gba_listen") == 0)
        return m->gba = true, config_listen(v, &m->gba_listen);
    if (strcmp(name, "gba_challenge_lifetime") == 0 && config_int(v, 1, 3600, &n) == 0)
        return m->gba_challenge_lifetime = n, 0;
    if (strcmp(name, "trust") == 0)
        return config_list(v, m->trust, CONF_MAX_TRUST, &m->n_trust);
    if (strcmp(name, "ke_lifetime") == 0 && config_int(v, 60, 10L * 365 * 86400, &n) == 0)
        return m->ke_lifetime = n, 0;
    if (strcmp(name, "root_credential_lifetime") == 0 &&
        config_int(v, 60, 20L * 365 * 86400, &n) == 0)
        return m->root_credential_lifetime = n, 0;
    return -1;
}

static int on_trust(struct trust_conf *t, const char *name, const char *v, char *err, size_t errsz)
{
    if (strcmp(name, "anchors") == 0)
        return config_copy(t->anchors, sizeof(t->anchors), v);
    if (strcmp(name, "crls") == 0)
        return config_copy(t->crls, sizeof(t->crls), v);
    if (strcmp(name, "device_arc") == 0)
        return config_copy(t->device_arc, sizeof(t->device_arc), v);
    if (strcmp(name, "relax_profile") == 0)
        return config_bool(v, &t->relax_profile);
    if (strcmp(name, "flavours") == 0) {
        char names[CONF_MAX_FLAVOURS][M2M_TRUST_NAME_MAX];
        struct m2m_error e;
        if (config_list(v, names, CONF_MAX_FLAVOURS, &t->n_flavours) != 0)
            return -1;
        for (size_t i = 0; i < t->n_flavours; i++)
            if (m2m_flavour_parse(names[i], &t->flavours[i], &e) != 0) {
                snprintf(err, errsz, "unknown flavour '%s'", names[i]);
                return -1;
            }
        return 0;
    }
    return -1;
}

static int check_mef(const struct daemon_conf *c, char *err, size_t errsz)
{
    if (!c->mef.enabled)
        return 0;
    if (c->mef.fqdn[0] == '\0' || c->mef.cert[0] == '\0' || c->mef.key[0] == '\0')
        return snprintf(err, errsz, "[mef] needs fqdn, cert and key"), -1;
    for (size_t i = 0; i < c->mef.n_trust; i++)
        if (config_trust(c, c->mef.trust[i]) == NULL)
            return snprintf(err, errsz, "[mef] trust names unknown set '%s'", c->mef.trust[i]), -1;
    /* Ub is server-authenticated only: it must never share the mutual-TLS listener. */
    if (c->mef.gba && c->mef.gba_listen.port != 0 && c->mef.gba_listen.port == c->mef.listen.port &&
        strcmp(c->mef.gba_listen.address, c->mef.listen.address) == 0)
        return snprintf(err, errsz, "[mef] gba_listen must differ from listen"), -1;
    return config_coaps_check(c, &c->mef.coaps, "mef", err, errsz);
}

/* Role sections: [mef] here; other roles' parsers live in their own files. */
static const struct role_section roles[] = {
    {"mef", on_mef, check_mef},
    {"maf", on_maf, check_maf},
    {"bbn", on_bbn, check_bbn},
};

static const struct role_section *role_section(const char *section)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strcmp(roles[i].name, section) == 0)
            return &roles[i];
    return NULL;
}

static struct trust_conf *trust_section(struct daemon_conf *c, const char *name)
{
    for (size_t i = 0; i < c->n_trust; i++)
        if (strcmp(c->trust[i].name, name) == 0)
            return &c->trust[i];
    if (c->n_trust == CONF_MAX_TRUST || strlen(name) >= M2M_TRUST_NAME_MAX || name[0] == '\0')
        return NULL;
    snprintf(c->trust[c->n_trust].name, M2M_TRUST_NAME_MAX, "%s", name);
    return &c->trust[c->n_trust++];
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    struct daemon_conf *c = st->c;
    const struct role_section *role;
    int rc = -1;

    if (strcmp(section, "daemon") == 0) {
        rc = on_daemon(c, name, value);
    } else if ((role = role_section(section)) != NULL) {
        rc = role->entry(c, name, value, st->err, sizeof(st->err));
    } else if (strncmp(section, "trust.", 6) == 0) {
        struct trust_conf *t = trust_section(c, section + 6);
        rc = t ? on_trust(t, name, value, st->err, sizeof(st->err)) : -1;
    } else {
        snprintf(st->err, sizeof(st->err), "unknown section [%s]", section);
        return 0;
    }
    if (rc != 0 && st->err[0] == '\0')
        snprintf(st->err, sizeof(st->err), "[%s] %s = '%.100s' is not valid", section, name, value);
    return rc == 0;
}

static int check(struct daemon_conf *c, char *err, size_t errsz)
{
    bool any = c->mef.enabled || c->maf.enabled || c->bbn.enabled;

    if (c->store[0] == '\0' || c->kek_file[0] == '\0')
        return snprintf(err, errsz, "[daemon] needs store and kek_file"), -1;
    if (strncmp(c->store, "sqlite:", 7) != 0)
        return snprintf(err, errsz, "[daemon] store must be sqlite:PATH"), -1;
    for (size_t i = 0; i < c->n_trust; i++)
        if (c->trust[i].anchors[0] == '\0' || c->trust[i].n_flavours == 0)
            return snprintf(err, errsz, "[trust.%s] needs anchors and flavours", c->trust[i].name),
                   -1;
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (roles[i].check(c, err, errsz) != 0)
            return -1;
    if (!any)
        return snprintf(err, errsz, "no role configured (add a [mef], [maf] or [bbn] section)"), -1;
    return 0;
}

int config_load(const char *path, struct daemon_conf *c, char *errbuf, size_t errsz)
{
    struct parse_state st = {.c = c};
    int line;

    memset(c, 0, sizeof(*c));
    snprintf(c->path, sizeof(c->path), "%s", path);
    c->workers = 1;
    c->timeout_ms = 10000;
    c->commit_delay_us = 1000;
    c->builtin_ec_keys = true;
    c->max_connections = 10000;
    snprintf(c->log_level, sizeof(c->log_level), "info");
    snprintf(c->mef.listen.address, sizeof(c->mef.listen.address), "127.0.0.1");
    c->mef.listen.port = 8443;
    line = ini_parse(path, on_entry, &st);
    if (line < 0) {
        snprintf(errbuf, errsz, "%s: cannot read (%s)", path, strerror(errno));
        return -1;
    }
    if (line > 0) {
        snprintf(errbuf, errsz, "%s:%d: %s", path, line, st.err[0] ? st.err : "syntax error");
        return -1;
    }
    if (check(c, st.err, sizeof(st.err)) != 0) {
        snprintf(errbuf, errsz, "%s: %s", path, st.err);
        return -1;
    }
    return 0;
}

const struct trust_conf *config_trust(const struct daemon_conf *c, const char *name)
{
    for (size_t i = 0; i < c->n_trust; i++)
        if (strcmp(c->trust[i].name, name) == 0)
            return &c->trust[i];
    return NULL;
}
