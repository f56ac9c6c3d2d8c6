/* The configuration of one entity (TS-0003 V3 8.2.2.2 "credential configuration" and
 * "association configuration"): own id and credential or PSK store, the peers it may
 * associate with, and the timeouts every handshake and read is bound by. */
#include <stdlib.h>
#include <string.h>

#include "assoc/assoc_internal.h"
#include "core/safety.h"

struct m2m_assoc_config *m2m_assoc_config_new(struct m2m_error *err)
{
    struct m2m_assoc_config *cfg = calloc(1, sizeof(*cfg));

    if (cfg == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "association config");
        return NULL;
    }
    cfg->handshake_ms = M2M_ASSOC_DEFAULT_HANDSHAKE_MS;
    cfg->io_ms = M2M_ASSOC_DEFAULT_READ_MS;
    return cfg;
}

void m2m_assoc_config_free(struct m2m_assoc_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n_peers; i++)
        assoc_peer_clear(&cfg->peers[i]);
    free(cfg->peers);
    free(cfg->sp_id);
    free(cfg->id);
    m2m_credential_free(cfg->cred);
    m2m_psk_store_free(cfg->psk);
    assoc_fetch_free(cfg->fetch);
    free(cfg);
}

int m2m_assoc_config_set_sp_id(struct m2m_assoc_config *cfg, const char *sp_id,
                               struct m2m_error *err)
{
    int rc = -1;
    char *copy = NULL;
    struct m2m_id parsed;

    M2M_ENSURE_ARG(cfg != NULL && sp_id != NULL);
    if (strncmp(sp_id, "//", 2) == 0)
        M2M_GUARD(m2m_id_parse(sp_id, M2M_ID_SP, &parsed, err));
    else
        M2M_GUARD(m2m_fqdn_validate(sp_id, err));
    copy = strdup(sp_id);
    M2M_ENSURE(copy != NULL, M2M_E_NOMEM, "SP-ID");
    free(cfg->sp_id);
    cfg->sp_id = copy;
    rc = 0;
out:
    return rc;
}

int m2m_assoc_config_set_id(struct m2m_assoc_config *cfg, const char *id, struct m2m_error *err)
{
    int rc = -1;
    char canon[M2M_ID_MAX + 1];
    char *copy;

    M2M_ENSURE_ARG(cfg != NULL);
    M2M_GUARD(assoc_canonical_id(cfg, id, canon, sizeof(canon), err));
    copy = strdup(canon);
    M2M_ENSURE(copy != NULL, M2M_E_NOMEM, "own id");
    free(cfg->id);
    cfg->id = copy;
    rc = 0;
out:
    return rc;
}

const char *m2m_assoc_config_id(const struct m2m_assoc_config *cfg)
{
    return cfg != NULL ? cfg->id : NULL;
}

void m2m_assoc_config_set_credential(struct m2m_assoc_config *cfg, struct m2m_credential *cred)
{
    if (cfg == NULL)
        return;
    if (cred != NULL)
        m2m_credential_up_ref(cred);
    m2m_credential_free(cfg->cred);
    cfg->cred = cred;
}

void m2m_assoc_config_set_psk_store(struct m2m_assoc_config *cfg, struct m2m_psk_store *store)
{
    if (cfg == NULL) {
        m2m_psk_store_free(store);
        return;
    }
    m2m_psk_store_free(cfg->psk);
    cfg->psk = store;
}

/* Two entries that the same handshake could prove would make the binding ambiguous. */
static int check_unique(const struct m2m_assoc_config *cfg, const struct assoc_peer *p,
                        struct m2m_error *err)
{
    int rc = -1;

    for (size_t i = 0; i < cfg->n_peers; i++) {
        const struct assoc_peer *q = &cfg->peers[i];
        if (p->psk_identity != NULL)
            M2M_ENSURE(q->psk_identity == NULL || strcmp(q->psk_identity, p->psk_identity) != 0,
                       M2M_E_INVALID_ARG, "PSK identity '%s' is configured for %s already",
                       p->psk_identity, q->id);
        else
            M2M_ENSURE(q->flavour != p->flavour || strcmp(q->cert_name, p->cert_name) != 0,
                       M2M_E_INVALID_ARG, "%s certificate name '%s' is configured for %s already",
                       m2m_flavour_name(p->flavour), p->cert_name, q->id);
    }
    rc = 0;
out:
    return rc;
}

int m2m_assoc_config_add_peer(struct m2m_assoc_config *cfg, const struct m2m_assoc_peer *peer,
                              struct m2m_error *err)
{
    int rc = -1;
    struct assoc_peer p = {0};
    struct assoc_peer *grown;

    M2M_ENSURE_ARG(cfg != NULL && peer != NULL);
    M2M_GUARD(assoc_peer_build(cfg, peer, &p, err));
    M2M_GUARD(check_unique(cfg, &p, err));
    grown = realloc(cfg->peers, (cfg->n_peers + 1) * sizeof(*grown));
    M2M_ENSURE(grown != NULL, M2M_E_NOMEM, "peer list");
    cfg->peers = grown;
    cfg->peers[cfg->n_peers++] = p;
    memset(&p, 0, sizeof(p));
    rc = 0;
out:
    assoc_peer_clear(&p);
    return rc;
}

size_t m2m_assoc_config_peer_count(const struct m2m_assoc_config *cfg)
{
    return cfg != NULL ? cfg->n_peers : 0;
}

void m2m_assoc_config_set_timeouts(struct m2m_assoc_config *cfg, int handshake_ms, int io_ms)
{
    if (cfg == NULL)
        return;
    if (handshake_ms > 0)
        cfg->handshake_ms = handshake_ms;
    if (io_ms > 0)
        cfg->io_ms = io_ms;
}
