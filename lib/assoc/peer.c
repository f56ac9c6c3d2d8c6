/* Peer expectations (TS-0003 V3 8.2.2.2 association configuration): validation of one
 * entry, Credential-ID mapping (TS-0003 10.4) and the names derived from a peer's id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assoc/assoc_internal.h"
#include "core/safety.h"

int assoc_canonical_id(const struct m2m_assoc_config *cfg, const char *id, char *out, size_t outsz,
                       struct m2m_error *err)
{
    int rc = -1;
    struct m2m_id parsed;

    M2M_ENSURE(id != NULL && id[0] != '\0', M2M_E_INVALID_ARG, "an entity id is required");
    /* DESIGN.md 3: identifiers are compared in one canonical absolute form. */
    M2M_GUARD(m2m_id_canonical(id, cfg->sp_id, out, outsz, err));
    M2M_GUARD(m2m_id_parse(out, M2M_ID_ANY, &parsed, err));
    M2M_ENSURE(parsed.kind == M2M_ID_CSE || parsed.kind == M2M_ID_AE, M2M_E_ID_SYNTAX,
               "'%s' is not a CSE-ID or AE-ID", id);
    rc = 0;
out:
    return rc;
}

static int id_kind(const char *canonical, enum m2m_id_kind *kind, char *sp, size_t spsz,
                   struct m2m_error *err)
{
    int rc = -1;
    struct m2m_id parsed;

    M2M_GUARD(m2m_id_parse(canonical, M2M_ID_ANY, &parsed, err));
    *kind = parsed.kind;
    snprintf(sp, spsz, "%s", parsed.sp);
    rc = 0;
out:
    return rc;
}

/* TS-0001 6.5.1.1: IN-CSE <IN-CSE-ID>.<SP domain>, MN/ASN <CSE-ID>.<IN public domain>. */
static int cse_domain(const char *cse_id, const char *in_cse_id, char *out, size_t outsz,
                      struct m2m_error *err)
{
    enum m2m_cse_type type = in_cse_id != NULL ? M2M_CSE_MN : M2M_CSE_IN;

    return m2m_id_cse_public_domain(type, cse_id, in_cse_id, NULL, out, outsz, err);
}

/* TS-0003 10.4 Credential-ID -> what the handshake must prove for this peer. */
static int apply_credid(const char *credid, struct m2m_assoc_peer *p, char *name, size_t namesz,
                        struct m2m_error *err)
{
    int rc = -1;
    struct m2m_credid c;

    M2M_GUARD(m2m_credid_parse(credid, &c, err));
    snprintf(name, namesz, "%s", c.value);
    switch (c.type) {
    case M2M_CREDID_DEVICE_CERT:
        p->flavour = M2M_FLAVOUR_DEVICE;
        p->cert_name = name;
        break;
    case M2M_CREDID_NODE_CERT:
        p->flavour = M2M_FLAVOUR_NODE_ID;
        p->cert_name = name;
        break;
    case M2M_CREDID_CSE_CERT:
        p->flavour = M2M_FLAVOUR_CSE_ID;
        p->cert_name = NULL; /* derived from the CSE-ID below */
        M2M_ENSURE(p->id != NULL, M2M_E_INVALID_ARG, "peer id missing");
        break;
    case M2M_CREDID_AE_CERT:
        p->flavour = M2M_FLAVOUR_AE_ID;
        p->cert_name = NULL;
        break;
    case M2M_CREDID_KPM:
    case M2M_CREDID_KM:
    case M2M_CREDID_KPSA:
        p->flavour = M2M_FLAVOUR_NONE;
        p->psk_identity = name;
        break;
    default:
        M2M_BAIL(M2M_E_INVALID_ARG, "Credential-ID type %d (%s) cannot authenticate a (D)TLS peer",
                 (int)c.type,
                 m2m_credid_type_name(c.type) ? m2m_credid_type_name(c.type) : "unknown");
    }
    rc = 0;
out:
    return rc;
}

static int derive_cert_name(const struct m2m_assoc_peer *in, const char *id, char *out,
                            size_t outsz, struct m2m_error *err)
{
    int rc = -1;

    if (in->cert_name != NULL) {
        M2M_ENSURE(strlen(in->cert_name) < outsz, M2M_E_INVALID_ARG, "certificate name too long");
        snprintf(out, outsz, "%s", in->cert_name);
    } else if (in->flavour == M2M_FLAVOUR_CSE_ID) {
        /* TS-0003 10.1.1.7: a CSE-ID certificate names the CSE's public domain name. */
        M2M_GUARD(cse_domain(id, in->in_cse_id, out, outsz, err));
    } else if (in->flavour == M2M_FLAVOUR_AE_ID) {
        /* TS-0003 10.1.1.5: the full URI of the Absolute AE-ID. */
        M2M_GUARD(m2m_id_ae_uri(id, NULL, out, outsz, err));
    } else {
        M2M_BAIL(M2M_E_INVALID_ARG, "a %s peer needs its certificate name",
                 m2m_flavour_name(in->flavour));
    }
    rc = 0;
out:
    return rc;
}

/* The SNI Entity A sends: the name the peer id routes to (TS-0003 V3 10.2). */
static int derive_sni(const struct m2m_assoc_peer *in, const struct assoc_peer *p, char *out,
                      size_t outsz, struct m2m_error *err)
{
    int rc = -1;
    enum m2m_id_kind kind;
    char sp[M2M_FQDN_MAX + 1];

    if (in->server_name != NULL) {
        M2M_GUARD(m2m_fqdn_normalize(in->server_name, out, outsz, err));
    } else if (p->flavour == M2M_FLAVOUR_CSE_ID || p->flavour == M2M_FLAVOUR_FQDN) {
        M2M_GUARD(m2m_fqdn_normalize(p->cert_name, out, outsz, err));
    } else {
        M2M_GUARD(id_kind(p->id, &kind, sp, sizeof(sp), err));
        if (kind == M2M_ID_CSE)
            M2M_GUARD(cse_domain(p->id, in->in_cse_id, out, outsz, err));
        else
            snprintf(out, outsz, "%s", sp);
    }
    rc = 0;
out:
    return rc;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

int assoc_peer_build(const struct m2m_assoc_config *cfg, const struct m2m_assoc_peer *in,
                     struct assoc_peer *out, struct m2m_error *err)
{
    int rc = -1;
    struct m2m_assoc_peer p = *in;
    char id[M2M_ID_MAX + 1], credname[M2M_CREDID_MAX + 1];
    char name[M2M_IDENTITY_MAX], sni[M2M_FQDN_MAX + 1];

    memset(out, 0, sizeof(*out));
    M2M_ENSURE_ARG(in != NULL);
    M2M_GUARD(assoc_canonical_id(cfg, in->id, id, sizeof(id), err));
    if (in->credential_id != NULL)
        M2M_GUARD(apply_credid(in->credential_id, &p, credname, sizeof(credname), err));
    out->flavour = p.flavour;
    M2M_ENSURE(p.flavour != M2M_FLAVOUR_NONE || p.psk_identity != NULL, M2M_E_INVALID_ARG,
               "peer %s needs a certificate flavour or a PSK identity", id);
    M2M_ENSURE(p.flavour == M2M_FLAVOUR_NONE || p.root != NULL, M2M_E_INVALID_ARG,
               "peer %s needs a root of trust", id);
    M2M_ENSURE(p.flavour == M2M_FLAVOUR_NONE || p.psk_identity == NULL, M2M_E_INVALID_ARG,
               "peer %s: a certificate and a PSK identity exclude each other", id);
    out->id = strdup(id);
    M2M_ENSURE(out->id != NULL, M2M_E_NOMEM, "peer id");
    if (p.flavour != M2M_FLAVOUR_NONE) {
        M2M_GUARD(derive_cert_name(&p, id, name, sizeof(name), err));
        out->cert_name = strdup(name);
        M2M_ENSURE(out->cert_name != NULL, M2M_E_NOMEM, "certificate name");
        m2m_trust_up_ref(p.root);
        out->root = p.root;
    } else {
        M2M_ENSURE(p.psk_identity[0] != '\0', M2M_E_INVALID_ARG, "empty PSK identity");
        out->psk_identity = dup_or_null(p.psk_identity);
        M2M_ENSURE(out->psk_identity != NULL, M2M_E_NOMEM, "PSK identity");
    }
    M2M_GUARD(derive_sni(&p, out, sni, sizeof(sni), err));
    out->server_name = strdup(sni);
    M2M_ENSURE(out->server_name != NULL, M2M_E_NOMEM, "server name");
    rc = 0;
out:
    if (rc != 0)
        assoc_peer_clear(out);
    return rc;
}

void assoc_peer_clear(struct assoc_peer *p)
{
    if (p == NULL)
        return;
    free(p->id);
    free(p->cert_name);
    free(p->psk_identity);
    free(p->server_name);
    m2m_trust_free(p->root);
    memset(p, 0, sizeof(*p));
}

const struct assoc_peer *assoc_find_peer_id(const struct m2m_assoc_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_peers; i++)
        if (strcmp(cfg->peers[i].id, id) == 0)
            return &cfg->peers[i];
    return NULL;
}

const struct assoc_peer *assoc_find_psk_peer(const struct m2m_assoc_config *cfg,
                                             const char *identity)
{
    for (size_t i = 0; i < cfg->n_peers; i++)
        if (cfg->peers[i].psk_identity != NULL && strcmp(cfg->peers[i].psk_identity, identity) == 0)
            return &cfg->peers[i];
    return NULL;
}
