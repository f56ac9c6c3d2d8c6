/* The USIM's check of an AKA challenge (3GPP TS 33.102 6.3.3) on Milenage (TS 35.206), with
 * the simplified freshness rule of m2msec/usim.h (TS 33.102 Annex C). */
#include <string.h>

#include <m2msec/crypto.h>
#include <m2msec/usim.h>

#include "core/safety.h"

void m2m_sqn_to_bytes(uint64_t sqn, unsigned char out[6])
{
    for (int i = 5; i >= 0; i--, sqn >>= 8)
        out[i] = (unsigned char)(sqn & 0xff);
}

uint64_t m2m_sqn_from_bytes(const unsigned char in[6])
{
    uint64_t v = 0;

    for (int i = 0; i < 6; i++)
        v = (v << 8) | in[i];
    return v;
}

/* Annex C.2.1 with one SQN_MS: newer than anything accepted, and not absurdly far ahead. */
static int sqn_fresh(uint64_t sqn, uint64_t sqn_ms)
{
    return sqn > sqn_ms && sqn - sqn_ms <= M2M_USIM_SQN_WINDOW;
}

/* TS 33.102 6.3.3: AUTS = Conc(SQN_MS) || MAC-S, Conc(SQN_MS) = SQN_MS xor f5*(RAND),
 * MAC-S = f1*(SQN_MS || RAND || AMF*) with the dummy AMF* = 0x0000. */
static int make_auts(const unsigned char k[16], const unsigned char opc[16], uint64_t sqn_ms,
                     const unsigned char rand[16], unsigned char auts[14], struct m2m_error *err)
{
    static const unsigned char amf0[2] = {0, 0};
    struct m2m_milenage_out m;
    unsigned char sqn[6];
    int rc = -1;

    m2m_sqn_to_bytes(sqn_ms, sqn);
    M2M_GUARD(m2m_milenage(k, opc, rand, sqn, amf0, &m, err));
    for (int i = 0; i < 6; i++)
        auts[i] = sqn[i] ^ m.ak_star[i];
    memcpy(auts + 6, m.mac_s, 8);
    rc = 0;
out:
    m2m_wipe(&m, sizeof(m));
    return rc;
}

int m2m_usim_milenage_check(const unsigned char k[16], const unsigned char opc[16], uint64_t sqn_ms,
                            const unsigned char rand[16], const unsigned char autn[16],
                            struct m2m_usim_result *out, uint64_t *accepted_sqn,
                            struct m2m_error *err)
{
    static const unsigned char zero6[6] = {0};
    struct m2m_milenage_out m;
    unsigned char sqn[6];
    uint64_t v;
    int rc = -1;

    M2M_ENSURE_ARG(k != NULL && opc != NULL && rand != NULL && autn != NULL && out != NULL &&
                   accepted_sqn != NULL);
    memset(out, 0, sizeof(*out));
    *accepted_sqn = sqn_ms;
    /* f5 does not depend on SQN or AMF: one pass gives AK, to unconceal SQN. */
    M2M_GUARD(m2m_milenage(k, opc, rand, zero6, autn + 6, &m, err));
    for (int i = 0; i < 6; i++)
        sqn[i] = autn[i] ^ m.ak[i];
    M2M_GUARD(m2m_milenage(k, opc, rand, sqn, autn + 6, &m, err));
    /* MAC-A first: a challenge the home network did not make must reveal nothing. */
    if (m2m_ct_memcmp(m.mac_a, autn + 8, 8) != 0) {
        out->outcome = M2M_USIM_MAC_FAILURE;
        rc = 0;
        goto out;
    }
    v = m2m_sqn_from_bytes(sqn);
    if (!sqn_fresh(v, sqn_ms)) {
        out->outcome = M2M_USIM_SYNC_FAILURE;
        M2M_GUARD(make_auts(k, opc, sqn_ms, rand, out->auts, err));
        rc = 0;
        goto out;
    }
    out->outcome = M2M_USIM_OK;
    memcpy(out->res, m.res, sizeof(m.res));
    out->res_len = sizeof(m.res);
    memcpy(out->ck, m.ck, sizeof(out->ck));
    memcpy(out->ik, m.ik, sizeof(out->ik));
    *accepted_sqn = v;
    rc = 0;
out:
    m2m_wipe(&m, sizeof(m));
    if (rc != 0)
        m2m_wipe(out, sizeof(*out));
    return rc;
}

void m2m_usim_close(struct m2m_usim *u)
{
    if (u == NULL || u->ops == NULL)
        return;
    if (u->ops->close != NULL)
        u->ops->close(u->ctx);
    u->ops = NULL;
    u->ctx = NULL;
}
