/* m2msec bootstrap, Bootstrap-Execution: the instruction's mechanism as an enrolment, and
 * the client registration with each MAF afterwards (SPEC.md section 7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <m2msec/coap.h>
#include <m2msec/id.h>
#include <m2msec/maf.h>
#include <m2msec/net.h>

#include "bootstrap.h"

/* The path of a URI ("https://h:p/x/y" -> "/x/y"), or fallback when it has none. */
static const char *uri_path(const char *uri, const char *fallback)
{
    const char *p = strstr(uri, "://");

    p = p ? strchr(p + 3, '/') : NULL;
    return p && p[1] ? p : fallback;
}

/* One client registration (TS-0003 V3 8.8.2.3) on a TLS-PSK session with identity and key
 * (bound to suite when non-zero); the MAF must assign want_kmid, and the Enrolee-ID it
 * names must be want_enrolee when that is known. */
struct psk_registration {
    const char *maf_id, *uri, *path;
    const char *identity;
    const struct m2m_secret *key;
    uint16_t suite;
    const char *origin; /* NULL: none sent */
    const char *want_kmid, *want_enrolee;
};

static int register_psk(const struct psk_registration *q, int timeout_s,
                        struct m2m_client_registration *reg, struct m2m_error *err)
{
    struct m2m_tls_config *cfg = m2m_tls_config_new(err);
    struct m2m_client *c = NULL;
    char *body = NULL, reason[256];
    int status = 0, rsc = 0, rc = -1;

    if (cfg == NULL || m2m_tls_config_set_psk_client(cfg, q->identity, q->key, err) != 0 ||
        (q->suite != 0 && m2m_tls_config_set_psk_suite(cfg, q->suite, err) != 0))
        goto out;
    if (q->uri[0] == '\0') {
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "no URI for the MAF %s", q->maf_id);
        goto out;
    }
    if ((c = m2m_client_new(cfg, q->uri, q->maf_id, err)) == NULL)
        goto out;
    if (timeout_s > 0)
        m2m_client_set_timeout_ms(c, timeout_s * 1000);
    if (m2m_client_request(c, "POST", q->path, q->origin, "{}", &status, &rsc, &body, err) != 0)
        goto out;
    if (status != 200 && status != 201) {
        m2m_error_body_decode(body, strlen(body), reason, sizeof(reason));
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "the MAF answered HTTP %d: %s", status,
                      reason[0] ? reason : "(no reason given)");
        goto out;
    }
    if (m2m_client_registration_decode(body, strlen(body), reg, err) != 0)
        goto out;
    /* DESIGN.md section 3: the KmID the MAF assigns is the one the Enrolee computed. */
    if (strcmp(reg->assigned_symm_key_id, q->want_kmid) != 0 ||
        (q->want_enrolee != NULL && strcmp(reg->enrolee_id, q->want_enrolee) != 0)) {
        m2m_error_set(err, M2M_E_BAD_MESSAGE,
                      "the MAF assigned %s to %s; this node expected %s for %s",
                      reg->assigned_symm_key_id, reg->enrolee_id, q->want_kmid,
                      q->want_enrolee ? q->want_enrolee : "its enrolee");
        goto out;
    }
    rc = 0;
out:
    free(body);
    m2m_client_free(c);
    m2m_tls_config_free(cfg);
    return rc;
}

/* The client registration with one MAF (V3 8.8.2.3): a TLS-PSK session whose identity is the
 * KeID and whose key is Km; the MAF fetches Km from the MEF if it has never seen the KeID,
 * and must assign the KmID both ends derive. */
int boot_register_maf(const struct enrol_result *r, const struct enrol_maf *m, int timeout_s,
                      char *reg_id, size_t reg_sz, struct m2m_error *err)
{
    struct m2m_client_registration reg;
    struct psk_registration q = {
        .maf_id = m->in->maf_id,
        .uri = m->in->maf_uri[0] ? m->in->maf_uri : m->in->client_registration_uri,
        .path = uri_path(m->in->client_registration_uri, "/clientRegistration"),
        .identity = r->resp.keid,
        .key = m->km,
        .origin = r->resp.enrolee_id,
        .want_kmid = m->kmid,
        .want_enrolee = r->resp.enrolee_id,
    };

    if (register_psk(&q, timeout_s, &reg, err) != 0)
        return -1;
    snprintf(reg_id, reg_sz, "%s", reg.client_reg_id);
    return 0;
}

int boot_maf_uri(const char *map, const char *fqdn, char *out, size_t outsz, struct m2m_error *err)
{
    size_t flen = strlen(fqdn);

    for (const char *e = map; e != NULL && *e != '\0';) {
        size_t n = strcspn(e, ",");

        if (n > flen + 1 && strncasecmp(e, fqdn, flen) == 0 && e[flen] == '=') {
            if (n - flen - 1 >= outsz || strncmp(e + flen + 1, "https://", 8) != 0)
                return m2m_error_set(err, M2M_E_INVALID_ARG, "--maf-uri for %s is not https://",
                                     fqdn);
            memcpy(out, e + flen + 1, n - flen - 1);
            out[n - flen - 1] = '\0';
            return 0;
        }
        e += n;
        if (*e == ',')
            e++;
    }
    if (snprintf(out, outsz, "https://%s:8444", fqdn) >= (int)outsz)
        return m2m_error_set(err, M2M_E_INVALID_ARG, "MAF FQDN too long");
    return 0;
}

/* GBA (SPEC.md section 8): identity B-TID, key Ks_NAF, which is bound to the TLS-PSK suite
 * through the Ua id, so the node offers that suite only; KmID = B-TID. The Enrolee-ID is
 * what the MAF learnt from the MEF (the Ub answer does not carry it). */
int boot_register_gba(const struct enrol_result *r, const struct enrol_gba_naf *n, const char *uri,
                      int timeout_s, char *reg_id, size_t reg_sz, char *enrolee_id,
                      size_t enrolee_sz, struct m2m_error *err)
{
    struct m2m_client_registration reg;
    struct psk_registration q = {
        .maf_id = n->fqdn,
        .uri = uri,
        .path = uri_path(uri, "/clientRegistration"),
        .identity = r->ub.btid,
        .key = n->ks_naf,
        .suite = ENROL_GBA_SUITE,
        .want_kmid = r->ub.btid,
    };

    if (register_psk(&q, timeout_s, &reg, err) != 0)
        return -1;
    snprintf(reg_id, reg_sz, "%s", reg.client_reg_id);
    snprintf(enrolee_id, enrolee_sz, "%s", reg.enrolee_id);
    return 0;
}

/* GBA (docs/gba.md): Ub with the USIM against the instruction's target, the BSF, verified
 * with the instruction's anchors; Ks_NAF for each enrolment target named by an FQDN. */
static int plan_gba(const struct boot_opts *o, const struct instruction *in, struct enrol_opts *eo,
                    struct m2m_error *err)
{
    if (!o->usim[0])
        return m2m_error_set(err, M2M_E_INVALID_ARG,
                             "the gba mechanism needs --usim (or usim in "
                             "the [bootstrap] section)");
    eo->gba = 1;
    eo->usim = o->usim;
    eo->bsf = in->msg.target_uri;
    eo->mef = NULL;
    for (size_t i = 0; i < in->msg.n_targets && eo->n_naf < ENROL_MAX_NAF; i++) {
        if (m2m_fqdn_validate(in->msg.targets[i].id, NULL) != 0)
            continue; /* a NAF_Id is an FQDN (TS 33.220 B.3) */
        eo->naf[eo->n_naf] = in->msg.targets[i].id;
        eo->naf_suid[eo->n_naf++] = in->msg.targets[i].suid;
    }
    return 0;
}

int boot_plan(const struct boot_opts *o, const struct instruction *in, struct enrol_opts *eo,
              struct m2m_error *err)
{
    memset(eo, 0, sizeof(*eo));
    eo->mef = in->msg.target_uri;
    eo->mef_name = in->msg.target_id;
    eo->mef_trust = in->anchors;
    eo->state = o->state;
    eo->timeout_s = o->timeout_s;
    if (strcmp(in->msg.mechanism, "certificate") == 0 || strcmp(in->msg.mechanism, "pki") == 0) {
        eo->cert = o->cert;
        eo->key = o->key;
        eo->chain = o->chain[0] ? o->chain : NULL;
        eo->root = strcmp(in->msg.mechanism, "pki") == 0;
        return 0;
    }
    if (strcmp(in->msg.mechanism, "psk") == 0) {
        if (!o->kpm_id[0] || (!o->kpm_hex[0] && !o->kpm_file[0]))
            return m2m_error_set(err, M2M_E_INVALID_ARG,
                                 "the psk mechanism needs --kpm-id and --kpm-hex or --kpm-file");
        eo->kpm_id = o->kpm_id;
        eo->kpm_hex = o->kpm_hex[0] ? o->kpm_hex : NULL;
        eo->kpm_file = o->kpm_file[0] ? o->kpm_file : NULL;
        return 0;
    }
    if (strcmp(in->msg.mechanism, "gba") == 0)
        return plan_gba(o, in, eo, err);
    return m2m_error_set(err, M2M_E_INVALID_ARG, "mechanism '%s' is not supported by this node",
                         in->msg.mechanism);
}
