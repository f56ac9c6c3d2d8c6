/* The allowed-peers file of an entity (docs/association.md): a JSON object whose "peers"
 * array holds one m2m_assoc_peer each, roots of trust and CRLs named by file. Entries that
 * name the same root and CRL files share one trust set, so a thousand peers under one CA
 * load that CA once. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "assoc/assoc_internal.h"
#include "core/safety.h"

struct trust_cache {
    struct {
        char *root;
        char *crl;
        struct m2m_trust *t;
    } e[64];
    size_t n;
};

static void cache_free(struct trust_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].root);
        free(c->e[i].crl);
        m2m_trust_free(c->e[i].t);
    }
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A path in the file is relative to the file's directory. */
static int resolve(const char *dir, const char *p, char *out, size_t outsz, struct m2m_error *err)
{
    int n = p[0] == '/' ? snprintf(out, outsz, "%s", p) : snprintf(out, outsz, "%s/%s", dir, p);

    if (n < 0 || (size_t)n >= outsz)
        return m2m_error_set(err, M2M_E_INVALID_ARG, "path too long: %s", p);
    return 0;
}

static struct m2m_trust *trust_for(struct trust_cache *c, const char *dir, const char *root,
                                   const char *crl, struct m2m_error *err)
{
    struct m2m_trust *t = NULL;
    char path[PATH_MAX];
    int rc = -1;

    for (size_t i = 0; i < c->n; i++)
        if (same(c->e[i].root, root) && same(c->e[i].crl, crl))
            return c->e[i].t;
    M2M_ENSURE(c->n < M2M_ARRAY_LEN(c->e), M2M_E_TOO_LARGE, "more than %zu distinct roots",
               M2M_ARRAY_LEN(c->e));
    M2M_GUARD_PTR(t = m2m_trust_new(err));
    M2M_GUARD(resolve(dir, root, path, sizeof(path), err));
    M2M_GUARD(m2m_trust_add_anchors(t, path, err));
    if (crl != NULL) {
        M2M_GUARD(resolve(dir, crl, path, sizeof(path), err));
        M2M_GUARD(m2m_trust_add_crls(t, path, err));
    }
    c->e[c->n].root = strdup(root);
    c->e[c->n].crl = crl != NULL ? strdup(crl) : NULL;
    c->e[c->n].t = t;
    M2M_ENSURE(c->e[c->n].root != NULL && (crl == NULL || c->e[c->n].crl != NULL), M2M_E_NOMEM,
               "trust cache");
    c->n++;
    rc = 0;
out:
    if (rc != 0) {
        if (c->n < M2M_ARRAY_LEN(c->e) && c->e[c->n].t == t) {
            free(c->e[c->n].root);
            free(c->e[c->n].crl);
            memset(&c->e[c->n], 0, sizeof(c->e[c->n]));
        }
        m2m_trust_free(t);
        t = NULL;
    }
    return t;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *const known_keys[] = {"id",  "credentialId", "flavour", "name",      "root",
                                         "crl", "pskIdentity",  "inCseId", "serverName"};

static int check_keys(json_t *o, size_t i, struct m2m_error *err)
{
    const char *key;
    json_t *v;

    json_object_foreach(o, key, v)
    {
        size_t k = 0;
        while (k < M2M_ARRAY_LEN(known_keys) && strcmp(known_keys[k], key) != 0)
            k++;
        if (k == M2M_ARRAY_LEN(known_keys) || !json_is_string(v))
            return m2m_error_set(err, M2M_E_BAD_MESSAGE, "peers[%zu]: %s member \"%s\"", i,
                                 k == M2M_ARRAY_LEN(known_keys) ? "unknown" : "non-string", key);
    }
    return 0;
}

static int add_entry(struct m2m_assoc_config *cfg, struct trust_cache *c, const char *dir,
                     json_t *o, size_t i, struct m2m_error *err)
{
    int rc = -1;
    struct m2m_assoc_peer p = {0};
    struct m2m_error e;

    M2M_ENSURE(json_is_object(o), M2M_E_BAD_MESSAGE, "peers[%zu] is not an object", i);
    M2M_GUARD(check_keys(o, i, err));
    p.id = str(o, "id");
    p.credential_id = str(o, "credentialId");
    p.cert_name = str(o, "name");
    p.psk_identity = str(o, "pskIdentity");
    p.in_cse_id = str(o, "inCseId");
    p.server_name = str(o, "serverName");
    if (str(o, "flavour") != NULL)
        M2M_GUARD(m2m_flavour_parse(str(o, "flavour"), &p.flavour, err));
    if (str(o, "root") != NULL)
        M2M_GUARD_PTR(p.root = trust_for(c, dir, str(o, "root"), str(o, "crl"), err));
    if (m2m_assoc_config_add_peer(cfg, &p, &e) != 0)
        M2M_BAIL(e.code, "peers[%zu]: %s", i, e.msg);
    rc = 0;
out:
    return rc;
}

int m2m_assoc_config_load_peers(struct m2m_assoc_config *cfg, const char *path,
                                struct m2m_error *err)
{
    int rc = -1;
    json_t *root = NULL, *peers, *it;
    json_error_t je;
    struct trust_cache cache = {.n = 0};
    char dirbuf[PATH_MAX];
    size_t i;

    M2M_ENSURE_ARG(cfg != NULL && path != NULL && strlen(path) < sizeof(dirbuf));
    snprintf(dirbuf, sizeof(dirbuf), "%s", path);
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    M2M_ENSURE(root != NULL, M2M_E_BAD_MESSAGE, "%s:%d: %s", path, je.line, je.text);
    peers = json_object_get(root, "peers");
    M2M_ENSURE(json_is_array(peers), M2M_E_BAD_MESSAGE, "%s: \"peers\" must be an array", path);
    json_array_foreach(peers, i, it) M2M_GUARD(add_entry(cfg, &cache, dirname(dirbuf), it, i, err));
    rc = 0;
out:
    cache_free(&cache);
    json_decref(root);
    return rc;
}
