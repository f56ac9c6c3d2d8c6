/* Keys that come from enrolment, for `m2msec connect` and `m2msec listen` (TS-0003 V3
 * 8.2.3, 8.3.1.2 applied to an Enrolee B):
 *   connect --from-enrolment DIR --peer-id ID: Entity A presents its KeID with
 *     Kpsa = m2m_derive_kpsa(Ke, canonical ID) (TS-0003 10.3.5; DESIGN.md section 3);
 *   listen --mef FQDN=URL ...: Entity B, meeting a KeID it does not hold, fetches that Kpsa
 *     from the MEF the KeID names (GET /fetchCredentials/{KeID}/22, originator = its own
 *     CSE-ID, mutual TLS with its CSE-ID certificate) through the key fetch a MAF uses. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <m2msec/crypto.h>
#include <m2msec/id.h>
#include <m2msec/keyfetch.h>
#include <m2msec/pki.h>
#include <m2msec/store.h>
#include <m2msec/tls.h>

#include "assoc_cli.h"

#define FETCH_SUID_DEFAULT 22 /* TS-0003 V3 Table 8.3.1.2-1: SAEF with Enrolee B */

/* The KeID of DIR/credentials.json (the "Ke" entry enrolment writes). */
static int enrolment_keid(const char *path, char *keid, size_t sz, struct m2m_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je), *it;
    size_t i;
    int rc = -1;

    if (root == NULL)
        return m2m_error_set(err, M2M_E_BAD_MESSAGE, "%s: %s", path, je.text);
    json_array_foreach(json_object_get(root, "keys"), i, it)
    {
        const char *type = json_string_value(json_object_get(it, "type"));
        const char *id = json_string_value(json_object_get(it, "id"));
        json_t *k = json_object_get(it, "key");

        if (rc != 0 && type != NULL && strcmp(type, "Ke") == 0 && id != NULL && strlen(id) < sz) {
            snprintf(keid, sz, "%s", id);
            rc = 0;
        }
        /* jansson frees without wiping: the hex keys are overwritten first. */
        if (json_is_string(k))
            m2m_wipe((void *)json_string_value(k), json_string_length(k));
    }
    json_decref(root);
    if (rc != 0)
        m2m_error_set(err, M2M_E_STORE_NOT_FOUND, "%s holds no Ke (enrol first)", path);
    return rc;
}

int assoc_cli_enrolment_peer(const struct assoc_opts *o, struct m2m_assoc_config *cfg,
                             struct m2m_error *err)
{
    char path[4096], keid[M2M_KEYID_TEXT_MAX + 1], peer[M2M_ID_MAX + 1];
    struct m2m_psk_store *file = NULL, *psk = NULL;
    struct m2m_secret *ke = NULL, *kpsa = NULL;
    struct m2m_assoc_peer p;
    int rc = -1;

    snprintf(path, sizeof(path), "%s/credentials.json", o->from_enrolment);
    /* The store loader refuses a loose file mode and an expired Ke (TS-0003 10.3: Kpsa must
     * not outlive Ke). */
    if (enrolment_keid(path, keid, sizeof(keid), err) != 0 ||
        (file = m2m_psk_store_load(path, err)) == NULL ||
        m2m_psk_store_get(file, keid, &ke, NULL, err) != 0 ||
        m2m_id_canonical(o->peer_id, o->sp_id, peer, sizeof(peer), err) != 0 ||
        (kpsa = m2m_derive_kpsa(ke, peer, err)) == NULL || (psk = m2m_psk_store_new(err)) == NULL ||
        m2m_psk_store_add(psk, keid, kpsa, peer, err) != 0)
        goto out;
    m2m_assoc_config_set_psk_store(cfg, psk);
    psk = NULL;
    memset(&p, 0, sizeof(p));
    p.id = peer;
    p.flavour = M2M_FLAVOUR_NONE;
    p.psk_identity = keid;
    p.server_name = o->server_name;
    rc = m2m_assoc_config_add_peer(cfg, &p, err);
out:
    m2m_psk_store_free(psk);
    m2m_psk_store_free(file);
    m2m_secret_free(kpsa);
    m2m_secret_free(ke);
    return rc;
}

/* The client side of the fetch: the CSE-ID certificate, and the anchors of the MEFs. */
static struct m2m_tls_config *fetch_tls(const struct assoc_opts *o, struct m2m_error *err)
{
    struct m2m_credential *cred = NULL;
    struct m2m_trust *trust = NULL;
    struct m2m_tls_config *tls = NULL;

    if ((cred = m2m_credential_load(o->key, o->cert, o->chain, err)) == NULL ||
        (trust = m2m_trust_new(err)) == NULL ||
        m2m_trust_add_anchors(trust, o->mef_root, err) != 0 ||
        (tls = m2m_tls_config_new(err)) == NULL)
        goto out;
    m2m_tls_config_set_credential(tls, cred);
    m2m_tls_config_set_trust(tls, trust);
out:
    m2m_credential_free(cred);
    m2m_trust_free(trust);
    return tls;
}

/* own id (canonical CSE-ID), and the SP domain as the FQDN of the cache's second id. */
static int fetch_config(const struct assoc_opts *o, struct m2m_keyfetch_config *kc,
                        struct m2m_error *err)
{
    const char *dom;
    size_t n;

    memset(kc, 0, sizeof(*kc));
    if (m2m_id_canonical(o->id, o->sp_id, kc->own_id, sizeof(kc->own_id), err) != 0)
        return -1;
    dom = kc->own_id + 2;
    n = strcspn(dom, "/");
    if (strncmp(kc->own_id, "//", 2) != 0 || n == 0 || n > M2M_FQDN_MAX)
        return m2m_error_set(err, M2M_E_INVALID_ARG, "--id %s is not a CSE-ID", o->id);
    memcpy(kc->key_id_fqdn, dom, n);
    kc->suid = o->fetch_suid > 0 ? (unsigned)o->fetch_suid : FETCH_SUID_DEFAULT;
    /* A fetch must end well within the handshake it pauses. */
    kc->fetch_timeout_ms = (o->timeout_ms > 0 ? o->timeout_ms : M2M_ASSOC_DEFAULT_HANDSHAKE_MS) / 2;
    return 0;
}

static int add_mefs(const struct assoc_opts *o, struct m2m_keyfetch *kf, struct m2m_error *err)
{
    for (int i = 0; i < o->n_mefs; i++) {
        char fqdn[M2M_FQDN_MAX + 1];
        const char *eq = strchr(o->mefs[i], '=');
        size_t n = eq != NULL ? (size_t)(eq - o->mefs[i]) : 0;

        if (n == 0 || n > M2M_FQDN_MAX)
            return m2m_error_set(err, M2M_E_INVALID_ARG, "--mef '%s' is not FQDN=URL", o->mefs[i]);
        memcpy(fqdn, o->mefs[i], n);
        fqdn[n] = '\0';
        if (m2m_keyfetch_add_mef(kf, fqdn, eq + 1, err) != 0)
            return -1;
    }
    return 0;
}

/* Opened once now (creating the schema), so a bad --store fails at start, not at the
 * first handshake; each lookup opens its own connection later. */
static int check_store(const char *url, const struct m2m_secret *kek, struct m2m_error *err)
{
    struct m2m_store *s = m2m_store_open(url, kek, err);

    m2m_store_close(s);
    return s != NULL ? 0 : -1;
}

int assoc_cli_keyfetch(const struct assoc_opts *o, struct m2m_assoc_config *cfg,
                       struct m2m_error *err)
{
    struct m2m_keyfetch_config kc;
    struct m2m_keyfetch *kf = NULL;
    struct m2m_secret *kek = NULL;
    int rc = -1;

    if (fetch_config(o, &kc, err) != 0 || (kc.tls = fetch_tls(o, err)) == NULL ||
        (kf = m2m_keyfetch_new(&kc, err)) == NULL || add_mefs(o, kf, err) != 0 ||
        (kek = m2m_kek_load(o->kek, err)) == NULL || check_store(o->store, kek, err) != 0 ||
        m2m_assoc_config_set_keyfetch(cfg, kf, o->store, kek, err) != 0)
        goto out;
    kf = NULL; /* the config's now */
    rc = 0;
out:
    m2m_keyfetch_free(kf);
    m2m_secret_free(kek);
    m2m_tls_config_free(kc.tls);
    return rc;
}
