/* m2msec enrol --gba: the GBA-based remote security provisioning framework on the Enrolee
 * (SPEC.md section 8; TS-0003 8.3.1): the USIM bootstraps with the MEF acting as BSF over Ub
 * (3GPP TS 33.220 4.5.2), giving Ke = Ks and KeID = B-TID; the Km (or Kpsa) shared with each
 * NAF is Ks_NAF, whose KmID is the B-TID (docs/gba.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/encoding.h>
#include <m2msec/id.h>
#include <m2msec/usim.h>

#include "cli.h"
#include "enrol.h"

/* TS-0003 10.2: the TLS-PSK suite of the PSK frameworks, TLS_PSK_WITH_AES_128_CBC_SHA256. The
 * Ua id binds Ks_NAF to it (TS 33.220 H.2), so the PSK client offers only this suite. */
#define GBA_UA_SUITE_TEXT "00ae" /* ENROL_GBA_SUITE */

/* --gba runs Ub instead of the Enrolment Exchange: no certificate, Kpm or MEF URL. */
int enrol_gba_check_opts(const struct enrol_opts *o)
{
    if (o->usim == NULL || o->bsf == NULL || o->mef_name == NULL || o->mef_root == NULL ||
        o->state == NULL)
        return cli_usage_error("enrol",
                               "--gba needs --usim, --bsf, --mef-name, --mef-root and --state");
    if (o->mef != NULL || o->cert != NULL || o->key != NULL || o->kpm_id != NULL || o->root ||
        o->remote_mgmt || o->cert_enrol || o->no_maf || o->id != NULL)
        return cli_usage_error("enrol", "--gba takes none of --mef, --cert, --key, --kpm-id, "
                                        "--id, --root-credential and the instruction flags");
    return 0;
}

/* The BSF is authenticated by its FQDN certificate, like the MEF it is. */
static struct m2m_tls_config *bsf_tls(const struct enrol_opts *o, struct m2m_error *err)
{
    struct m2m_tls_config *cfg = m2m_tls_config_new(err);
    struct m2m_trust *trust = o->mef_trust;
    enum m2m_flavour fl = M2M_FLAVOUR_FQDN;
    int ok = 0;

    if (cfg == NULL)
        return NULL;
    if (trust != NULL)
        m2m_trust_up_ref(trust);
    if ((o->mef_flavour == NULL || m2m_flavour_parse(o->mef_flavour, &fl, err) == 0) &&
        (trust != NULL || ((trust = m2m_trust_new(err)) != NULL &&
                           m2m_trust_add_anchors(trust, o->mef_root, err) == 0))) {
        m2m_tls_config_set_trust(cfg, trust);
        ok = m2m_tls_config_set_peer(cfg, fl, o->mef_name, err) == 0;
    }
    m2m_trust_free(trust);
    if (!ok) {
        m2m_tls_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id = FQDN || Ua id) (TS 33.220 B.3). */
static int derive_nafs(const struct enrol_opts *o, struct enrol_result *r, struct m2m_error *err)
{
    unsigned char ua[M2M_GBA_UA_ID_LEN];

    m2m_gba_ua_tls_psk(ENROL_GBA_SUITE, ua);
    for (size_t i = 0; i < o->n_naf; i++) {
        struct enrol_gba_naf *n = &r->naf[r->n_naf];
        if (m2m_fqdn_canonical(o->naf[i], n->fqdn, sizeof(n->fqdn), err) != 0 ||
            (n->ks_naf = m2m_gba_ks_naf(r->ub.ks, r->ub.rand, r->ub.impi, n->fqdn, ua, err)) ==
                NULL)
            return -1;
        n->suid = o->naf_suid[i] != 0 ? o->naf_suid[i] : M2M_SUID_REMOTE_MAF;
        r->n_naf++;
    }
    return 0;
}

int enrol_gba_run(const struct enrol_opts *o, struct enrol_result *r, struct m2m_error *err)
{
    struct m2m_usim usim = {0};
    struct m2m_tls_config *tls = NULL;
    struct m2m_ub_config ub;
    int rc = -1;

    r->gba = 1;
    if (m2m_usim_file_open(o->usim, &usim, err) != 0 || (tls = bsf_tls(o, err)) == NULL)
        goto out;
    memset(&ub, 0, sizeof(ub));
    ub.tls = tls;
    ub.bsf_url = o->bsf;
    ub.bsf_name = o->mef_name;
    ub.timeout_ms = o->timeout_s * 1000;
    if (m2m_ub_bootstrap(&ub, &usim, &r->ub, err) != 0 || derive_nafs(o, r, err) != 0)
        goto out;
    rc = 0;
out:
    m2m_usim_close(&usim);
    m2m_tls_config_free(tls);
    return rc;
}

/* ---- the credential store ---- */

static json_t *time_json(time_t t)
{
    char buf[32];

    return m2m_time_format(t, buf, sizeof(buf)) == 0 ? json_string(buf) : json_null();
}

static json_t *hex_json(const unsigned char *p, size_t n)
{
    char hex[2 * 32 + 1];

    if (n > 32 || m2m_hex_encode(p, n, hex, sizeof(hex), NULL) != 0)
        return NULL;
    return json_string(hex);
}

/* Ke = Ks under KeID = B-TID, shared with the BSF; RAND and IMPI are inputs of Ks_NAF. */
static json_t *ks_entry(const struct enrol_result *r)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:o, s:s}", "id", r->ub.btid, "type",
                     "Ke", "framework", "gba", "key", enrol_json_secret(r->ub.ks), "peer",
                     r->mef_name, "expires", time_json(r->ub.lifetime), "mef", r->mef_url, "rand",
                     hex_json(r->ub.rand, sizeof(r->ub.rand)), "impi", r->ub.impi);
}

/* Km = Ks_NAF with KmID = KeID = B-TID (SPEC.md 8); one entry per NAF. */
static json_t *naf_entry(const struct enrol_result *r, const struct enrol_gba_naf *n)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:i, s:s, s:s}", "id", r->ub.btid, "type",
                     "Km", "framework", "gba", "key", enrol_json_secret(n->ks_naf), "peer", n->fqdn,
                     "expires", time_json(r->ub.lifetime), "keId", r->ub.btid, "suid", (int)n->suid,
                     "uaSuite", GBA_UA_SUITE_TEXT, "mef", r->mef_url);
}

int enrol_gba_entries(json_t *keys, const struct enrol_result *r, struct m2m_error *err)
{
    if (enrol_store_add_entry(keys, ks_entry(r), err) != 0)
        return -1;
    for (size_t i = 0; i < r->n_naf; i++)
        if (enrol_store_add_entry(keys, naf_entry(r, &r->naf[i]), err) != 0)
            return -1;
    return 0;
}

/* ---- the summary: B-TID, lifetime, the NAFs; keys only with --reveal ---- */

json_t *enrol_gba_summary(const struct enrol_result *r, int reveal, const char *state_dir)
{
    json_t *nafs = json_array(), *o;

    for (size_t i = 0; nafs != NULL && i < r->n_naf; i++) {
        json_t *e = json_pack("{s:s, s:i, s:s}", "naf", r->naf[i].fqdn, "suid", (int)r->naf[i].suid,
                              "uaSuite", GBA_UA_SUITE_TEXT);
        if (e != NULL && reveal)
            json_object_set_new(e, "ksNaf", enrol_json_secret(r->naf[i].ks_naf));
        json_array_append_new(nafs, e);
    }
    o = json_pack("{s:s, s:o, s:s, s:s, s:o}", "btid", r->ub.btid, "lifetime",
                  time_json(r->ub.lifetime), "impi", r->ub.impi, "state", state_dir, "nafs", nafs);
    if (o != NULL && r->ub.resynchronised)
        json_object_set_new(o, "resynchronised", json_string("yes"));
    if (o != NULL && reveal)
        json_object_set_new(o, "ks", enrol_json_secret(r->ub.ks));
    return o;
}
