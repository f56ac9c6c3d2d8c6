/* The UE side of the GBA bootstrap over Ub (3GPP TS 24.109 5.2.1, TS 33.220 4.5.2, RFC 3310
 * 3.3-3.4): HTTP Digest AKA against the BSF with the USIM doing the AKA part. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <m2msec/bsf.h>
#include <m2msec/digest.h>
#include <m2msec/encoding.h>
#include <m2msec/net.h>

#include "core/safety.h"

#define UB_NC "00000001" /* one request per nonce */

/* One request on a fresh session; the answer's WWW-Authenticate comes back with it. */
static int ub_get(const struct m2m_ub_config *cfg, const char *authorization,
                  struct m2m_https_response *rs, struct m2m_error *err)
{
    const struct m2m_http_header h = {"Authorization", authorization};
    const struct m2m_https_request rq = {.method = "GET",
                                         .path = M2M_BSF_PATH,
                                         .headers = &h,
                                         .n_headers = 1,
                                         .want_header = "WWW-Authenticate"};
    struct m2m_https_client *c = m2m_https_client_new(cfg->tls, cfg->bsf_url, cfg->bsf_name, err);
    int rc = -1;

    if (c == NULL)
        return -1;
    if (cfg->timeout_ms > 0)
        m2m_https_client_set_timeout_ms(c, cfg->timeout_ms);
    M2M_GUARD(m2m_https_client_send(c, &rq, rs, err));
    rc = 0;
out:
    m2m_https_client_free(c);
    return rc;
}

/* Anything but the status expected is a failure naming the BSF's reason. */
static int expect(const struct m2m_https_response *rs, int want, const char *what,
                  struct m2m_error *err)
{
    char reason[256];

    if (rs->status == want && (want != 401 || rs->header != NULL))
        return 0;
    m2m_error_body_decode(rs->body, strlen(rs->body), reason, sizeof(reason));
    return m2m_error_set(err, M2M_E_BAD_MESSAGE, "the BSF refused %s: HTTP %d, RSC %d: %s", what,
                         rs->status, rs->rsc,
                         reason[0]            ? reason
                         : rs->status == want ? "(no WWW-Authenticate)"
                                              : "(no reason given)");
}

/* The challenge of a 401, from the BSF this run talks to (its realm is the BSF's FQDN). */
static int take_challenge(const struct m2m_ub_config *cfg, const struct m2m_https_response *rs,
                          struct m2m_digest_challenge *ch, struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(expect(rs, 401, "the bootstrap", err));
    M2M_GUARD(m2m_digest_challenge_parse(rs->header, ch, err));
    M2M_ENSURE(strcasecmp(ch->realm, cfg->bsf_name) == 0, M2M_E_BAD_MESSAGE,
               "the challenge's realm %s is not the BSF %s", ch->realm, cfg->bsf_name);
    rc = 0;
out:
    return rc;
}

/* The Authorization answering ch, with password RES (or empty, with auts). */
static int answer_header(const struct m2m_digest_credentials *first,
                         const struct m2m_digest_challenge *ch, const unsigned char *pw,
                         size_t pwlen, const unsigned char *auts, char *out, size_t outsz,
                         struct m2m_error *err)
{
    struct m2m_digest_credentials cr = *first;
    unsigned char rnd[16];
    int rc = -1;

    snprintf(cr.realm, sizeof(cr.realm), "%s", ch->realm);
    snprintf(cr.nonce, sizeof(cr.nonce), "%s", ch->nonce);
    snprintf(cr.opaque, sizeof(cr.opaque), "%s", ch->opaque);
    cr.has_qop = true;
    snprintf(cr.nc, sizeof(cr.nc), UB_NC);
    M2M_GUARD(m2m_random(rnd, sizeof(rnd), err));
    M2M_GUARD(m2m_hex_encode(rnd, sizeof(rnd), cr.cnonce, sizeof(cr.cnonce), err));
    if (auts != NULL) {
        cr.has_auts = true;
        memcpy(cr.auts, auts, sizeof(cr.auts));
    }
    M2M_GUARD(m2m_digest_response(&cr, pw, pwlen, "GET", NULL, 0, cr.response, err));
    M2M_GUARD(m2m_digest_credentials_format(&cr, out, outsz, err));
    rc = 0;
out:
    m2m_wipe(&cr, sizeof(cr));
    return rc;
}

/* The 200: a B-TID naming this RAND at this BSF; Ks = CK || IK (TS 33.220 4.5.2). */
static int finish(const struct m2m_ub_config *cfg, const struct m2m_https_response *rs,
                  const unsigned char rand[16], const struct m2m_usim_result *u,
                  struct m2m_ub_result *out, struct m2m_error *err)
{
    struct m2m_gba_bootstrap_info info;
    struct m2m_btid b;
    char name[M2M_FQDN_MAX + 1];
    int rc = -1;

    M2M_GUARD(expect(rs, 200, "the answer to its challenge", err));
    M2M_GUARD(m2m_gba_bootstrap_info_decode(rs->body, strlen(rs->body), &info, err));
    M2M_GUARD(m2m_keyid_btid_parse(info.btid, &b, err));
    M2M_GUARD(m2m_fqdn_normalize(cfg->bsf_name, name, sizeof(name), err));
    M2M_ENSURE(memcmp(b.rand, rand, 16) == 0 && strcmp(b.fqdn, name) == 0, M2M_E_BAD_MESSAGE,
               "B-TID %s does not name this bootstrap's RAND at %s", info.btid, name);
    M2M_GUARD_PTR(out->ks = m2m_secret_new(32, err));
    memcpy(m2m_secret_data(out->ks), u->ck, 16);
    memcpy(m2m_secret_data(out->ks) + 16, u->ik, 16);
    snprintf(out->btid, sizeof(out->btid), "%s", info.btid);
    out->lifetime = info.lifetime;
    memcpy(out->rand, rand, 16);
    rc = 0;
out:
    return rc;
}

/* One challenge through the USIM: a result, or a synchronisation failure to report. */
static int run_usim(struct m2m_usim *usim, const struct m2m_digest_challenge *ch,
                    unsigned char rand[16], struct m2m_usim_result *u, struct m2m_error *err)
{
    unsigned char autn[16];
    int rc = -1;

    M2M_GUARD(m2m_digest_nonce_split(ch->nonce, rand, autn, err));
    M2M_GUARD(usim->ops->authenticate(usim->ctx, rand, autn, u, err));
    /* TS 33.102 6.3.3: nothing is answered to a challenge the home network did not make. */
    M2M_ENSURE(u->outcome != M2M_USIM_MAC_FAILURE, M2M_E_CRYPTO,
               "the USIM refused the challenge: MAC failure (the BSF does not hold this "
               "USIM's K)");
    rc = 0;
out:
    return rc;
}

int m2m_ub_bootstrap(const struct m2m_ub_config *cfg, struct m2m_usim *usim,
                     struct m2m_ub_result *out, struct m2m_error *err)
{
    struct m2m_digest_credentials first;
    struct m2m_digest_challenge ch;
    struct m2m_https_response rs = {0};
    struct m2m_usim_result u;
    unsigned char rand[16];
    char header[M2M_DIGEST_HEADER_MAX];
    int rc = -1;

    M2M_ENSURE_ARG(cfg != NULL && cfg->tls != NULL && cfg->bsf_url != NULL &&
                   cfg->bsf_name != NULL && usim != NULL && usim->ops != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    memset(&u, 0, sizeof(u));
    memset(&first, 0, sizeof(first));
    M2M_GUARD(usim->ops->impi(usim->ctx, first.username, sizeof(first.username), err));
    snprintf(out->impi, sizeof(out->impi), "%s", first.username);
    snprintf(first.realm, sizeof(first.realm), "%s", cfg->bsf_name);
    snprintf(first.uri, sizeof(first.uri), "%s", M2M_BSF_PATH);
    /* TS 24.109 5.2.1: the first request names the IMPI, with an empty nonce and response. */
    M2M_GUARD(m2m_digest_credentials_format(&first, header, sizeof(header), err));
    M2M_GUARD(ub_get(cfg, header, &rs, err));
    M2M_GUARD(take_challenge(cfg, &rs, &ch, err));
    M2M_GUARD(run_usim(usim, &ch, rand, &u, err));
    if (u.outcome == M2M_USIM_SYNC_FAILURE) {
        /* RFC 3310 3.4: AUTS with an empty password; the BSF answers a fresh challenge. */
        M2M_GUARD(answer_header(&first, &ch, NULL, 0, u.auts, header, sizeof(header), err));
        m2m_https_response_clear(&rs);
        M2M_GUARD(ub_get(cfg, header, &rs, err));
        M2M_GUARD(take_challenge(cfg, &rs, &ch, err));
        M2M_GUARD(run_usim(usim, &ch, rand, &u, err));
        M2M_ENSURE(u.outcome == M2M_USIM_OK, M2M_E_CRYPTO,
                   "the USIM refused the SQN again after resynchronisation");
        out->resynchronised = 1;
    }
    M2M_GUARD(answer_header(&first, &ch, u.res, u.res_len, NULL, header, sizeof(header), err));
    m2m_https_response_clear(&rs);
    M2M_GUARD(ub_get(cfg, header, &rs, err));
    M2M_GUARD(finish(cfg, &rs, rand, &u, out, err));
    rc = 0;
out:
    m2m_wipe(&u, sizeof(u));
    m2m_https_response_clear(&rs);
    if (rc != 0)
        m2m_ub_result_clear(out);
    return rc;
}

void m2m_ub_result_clear(struct m2m_ub_result *r)
{
    if (r == NULL)
        return;
    m2m_secret_free(r->ks);
    m2m_wipe(r, sizeof(*r));
}
