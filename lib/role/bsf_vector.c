/* The BSF's side of AKA (3GPP TS 33.102 6.3.2, 6.3.5) on Milenage: authentication vectors
 * for a challenge, the check of an AUTS, and the durable writes both need. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>
#include <m2msec/usim.h>

#include "core/safety.h"
#include "role/bsf_internal.h"

/* TS 33.102 6.3.2: AUTN = SQN xor AK || AMF || MAC-A; the BSF keeps XRES || CK || IK. */
static int make_vector(const struct m2m_secret *k, const struct m2m_secret *opc,
                       const unsigned char amf[2], uint64_t sqn, unsigned char rand[16],
                       unsigned char autn[16], struct m2m_secret **vector, struct m2m_error *err)
{
    struct m2m_milenage_out m;
    unsigned char sqnb[6];
    unsigned char *v;
    int rc = -1;

    *vector = NULL;
    M2M_GUARD(m2m_random(rand, 16, err));
    m2m_sqn_to_bytes(sqn, sqnb);
    M2M_GUARD(m2m_milenage(m2m_secret_cdata(k), m2m_secret_cdata(opc), rand, sqnb, amf, &m, err));
    for (int i = 0; i < 6; i++)
        autn[i] = sqnb[i] ^ m.ak[i];
    memcpy(autn + 6, amf, 2);
    memcpy(autn + 8, m.mac_a, 8);
    M2M_GUARD_PTR(*vector = m2m_secret_new(BSF_VECTOR_LEN, err));
    v = m2m_secret_data(*vector);
    memcpy(v, m.res, BSF_RES_LEN);
    memcpy(v + BSF_RES_LEN, m.ck, 16);
    memcpy(v + BSF_RES_LEN + 16, m.ik, 16);
    rc = 0;
out:
    m2m_wipe(&m, sizeof(m));
    return rc;
}

int bsf_auts_open(const struct m2m_secret *k, const struct m2m_secret *opc,
                  const unsigned char rand[16], const unsigned char auts[M2M_AKA_AUTS_LEN],
                  uint64_t *sqn_ms, int *ok, struct m2m_error *err)
{
    static const unsigned char amf0[2] = {0, 0}; /* the dummy AMF of MAC-S (6.3.3) */
    struct m2m_milenage_out m;
    unsigned char sqn[6];
    int rc = -1;

    *ok = 0;
    /* f5* does not depend on SQN: a first pass gives AK* to unconceal SQN_MS. */
    memset(sqn, 0, sizeof(sqn));
    M2M_GUARD(m2m_milenage(m2m_secret_cdata(k), m2m_secret_cdata(opc), rand, sqn, amf0, &m, err));
    for (int i = 0; i < 6; i++)
        sqn[i] = auts[i] ^ m.ak_star[i];
    M2M_GUARD(m2m_milenage(m2m_secret_cdata(k), m2m_secret_cdata(opc), rand, sqn, amf0, &m, err));
    *ok = m2m_ct_memcmp(m.mac_s, auts + 6, 8) == 0;
    *sqn_ms = m2m_sqn_from_bytes(sqn);
    rc = 0;
out:
    m2m_wipe(&m, sizeof(m));
    return rc;
}

/* The write: SQN moved, challenge recorded, the old nonce burnt, one audit row. */
static struct m2m_mef_write *challenge_write(struct ub *u,
                                             const struct m2m_store_gba_subscriber *sub,
                                             uint64_t sqn_to, const char *nonce, const char *opaque,
                                             const unsigned char rand[16],
                                             struct m2m_secret *vector, const char *event, int burn)
{
    char reason[64];
    struct m2m_mef_write *w;

    snprintf(reason, sizeof(reason), "SQN %llu", (unsigned long long)sqn_to);
    if ((w = mef_audit(event, "", sub->impi, 0, "issued", reason)) == NULL)
        return NULL;
    w->has_sqn = true;
    snprintf(w->sqn_impi, sizeof(w->sqn_impi), "%s", sub->impi);
    w->sqn_from = sub->sqn;
    w->sqn_to = sqn_to;
    w->has_challenge = true;
    snprintf(w->challenge.nonce, sizeof(w->challenge.nonce), "%s", nonce);
    snprintf(w->challenge.opaque, sizeof(w->challenge.opaque), "%s", opaque);
    snprintf(w->challenge.impi, sizeof(w->challenge.impi), "%s", sub->impi);
    memcpy(w->challenge.rand, rand, sizeof(w->challenge.rand));
    w->challenge.sqn = sqn_to;
    w->challenge.created = u->now;
    w->challenge.expires = u->now + u->mef->cfg.gba_challenge_lifetime;
    w->vector = vector;
    if (burn) {
        w->has_used_nonce = true;
        snprintf(w->used_nonce, sizeof(w->used_nonce), "%s", u->cr.nonce);
    }
    return w;
}

static int make_opaque(char out[M2M_DIGEST_VALUE_MAX], struct m2m_error *err)
{
    unsigned char rnd[16];
    int rc = -1;

    M2M_GUARD(m2m_random(rnd, sizeof(rnd), err));
    M2M_GUARD(m2m_hex_encode(rnd, sizeof(rnd), out, M2M_DIGEST_VALUE_MAX, err));
    rc = 0;
out:
    return rc;
}

void bsf_challenge(struct ub *u, const struct m2m_store_gba_subscriber *sub,
                   const struct m2m_secret *k, const struct m2m_secret *opc, uint64_t sqn_to,
                   const char *event, int burn)
{
    struct m2m_digest_challenge ch;
    struct m2m_secret *vector = NULL;
    unsigned char rand[16], autn[16];
    char header[M2M_DIGEST_HEADER_MAX];
    struct m2m_error err;

    memset(&ch, 0, sizeof(ch));
    snprintf(ch.realm, sizeof(ch.realm), "%s", u->mef->cfg.fqdn);
    if (sqn_to > M2M_STORE_SQN_MAX) {
        bsf_refuse(u, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, burn,
                   "the SQN of %.200s is exhausted", sub->impi);
        return;
    }
    if (make_vector(k, opc, sub->amf, sqn_to, rand, autn, &vector, &err) != 0 ||
        m2m_digest_nonce_make(rand, autn, ch.nonce, &err) != 0 || make_opaque(ch.opaque, &err) ||
        m2m_digest_challenge_format(&ch, header, sizeof(header), &err) != 0) {
        m2m_secret_free(vector);
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "challenge: %s", err.msg);
        return;
    }
    u->resp->write =
        challenge_write(u, sub, sqn_to, ch.nonce, ch.opaque, rand, vector, event, burn);
    u->resp->www_authenticate = strdup(header);
    u->resp->body = m2m_error_body_encode("authenticate with Digest AKA (RFC 3310): answer the "
                                          "challenge in WWW-Authenticate");
    if (u->resp->write == NULL || u->resp->www_authenticate == NULL || u->resp->body == NULL) {
        if (u->resp->write == NULL)
            m2m_secret_free(vector);
        bsf_refuse(u, 500, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "out of memory");
        return;
    }
    /* TS 33.102 6.3.2: the SQN is spent before the challenge leaves, even after a crash. */
    u->resp->wait_for_write = true;
    u->resp->http_status = 401;
    u->resp->rsc = M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED;
    snprintf(u->resp->log, sizeof(u->resp->log), "%s: challenge to %.200s with SQN %llu", event,
             sub->impi, (unsigned long long)sqn_to);
}

/* ---- the writes, in the writer's transaction ---- */

int mef_write_apply_gba(struct m2m_mef_write *w, struct m2m_store *store, struct m2m_error *err)
{
    int rc = -1;

    /* The burn first: a challenge answered twice at once fails one of the two writes. */
    if (w->has_used_nonce)
        M2M_GUARD(m2m_store_gba_challenge_use(store, w->used_nonce, err));
    if (w->has_sqn)
        M2M_GUARD(m2m_store_gba_sqn_set(store, w->sqn_impi, w->sqn_from, w->sqn_to, err));
    if (w->has_challenge) {
        /* Expired challenges are useless now; a replay of one finds nothing and is refused. */
        M2M_GUARD(m2m_store_gba_challenge_purge(store, w->challenge.created, NULL, err));
        M2M_GUARD(m2m_store_gba_challenge_add(store, &w->challenge, w->vector, err));
    }
    rc = 0;
out:
    return rc;
}
