/* The [bbn] section and the rule-file reader of the Briefing Node role. */
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_coap.h"

int on_bbn(struct daemon_conf *c, const char *key, const char *v, char *err, size_t errsz)
{
    struct bbn_conf *b = &c->bbn;

    (void)err, (void)errsz;
    b->enabled = true;
    if (strcmp(key, "fqdn") == 0)
        return config_copy(b->fqdn, sizeof(b->fqdn), v);
    if (strcmp(key, "listen") == 0)
        return config_listen(v, &b->listen);
    if (strcmp(key, "coaps_listen") == 0)
        return config_coaps_listen(v, M2M_COAPS_PORT_BBN, &b->coaps);
    if (strcmp(key, "cert") == 0)
        return config_copy(b->cert, sizeof(b->cert), v);
    if (strcmp(key, "key") == 0)
        return config_copy(b->key, sizeof(b->key), v);
    if (strcmp(key, "chain") == 0)
        return config_copy(b->chain, sizeof(b->chain), v);
    if (strcmp(key, "rules") == 0)
        return config_copy(b->rules, sizeof(b->rules), v);
    if (strcmp(key, "trust") == 0)
        return config_list(v, b->trust, CONF_MAX_TRUST, &b->n_trust);
    return -1;
}

int check_bbn(const struct daemon_conf *c, char *err, size_t errsz)
{
    const struct bbn_conf *b = &c->bbn;

    if (!b->enabled)
        return 0;
    if (!b->fqdn[0] || !b->cert[0] || !b->key[0] || !b->rules[0] || !b->listen.address[0])
        return snprintf(err, errsz, "[bbn] needs fqdn, listen, cert, key and rules"), -1;
    for (size_t i = 0; i < b->n_trust; i++)
        if (config_trust(c, b->trust[i]) == NULL)
            return snprintf(err, errsz, "[bbn] trust names unknown set '%s'", b->trust[i]), -1;
    if (c->n_trust == 0)
        return snprintf(err, errsz, "[bbn] needs at least one [trust.NAME] set for nodes"), -1;
    return config_coaps_check(c, &b->coaps, "bbn", err, errsz);
}

struct m2m_bbn_rules *bbn_rules_load(const char *path, char *errbuf, size_t errsz)
{
    struct m2m_error err;
    struct m2m_bbn_rules_builder *b = m2m_bbn_rules_builder_new(path, &err);
    struct m2m_bbn_rules *r = NULL;

    if (b == NULL) {
        snprintf(errbuf, errsz, "%s", err.msg);
        return NULL;
    }
    (void)ini_parse_stream(m2m_bbn_rules_reader, b, m2m_bbn_rules_handler, b);
    r = m2m_bbn_rules_builder_finish(b, &err);
    if (r == NULL)
        snprintf(errbuf, errsz, "%s:%s (%zu error(s) in all)", path,
                 m2m_bbn_rules_builder_error(b, 0) ? m2m_bbn_rules_builder_error(b, 0) : err.msg,
                 m2m_bbn_rules_builder_error_count(b));
    m2m_bbn_rules_builder_free(b);
    return r;
}
