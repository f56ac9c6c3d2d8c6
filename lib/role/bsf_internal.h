/* Shared by the BSF's files. */
#ifndef M2M_ROLE_BSF_INTERNAL_H
#define M2M_ROLE_BSF_INTERNAL_H

#include <m2msec/bsf.h>

#include "role/mef_internal.h"

#define BSF_RES_LEN 8 /* Milenage f2 */
/* XRES || CK || IK, the part of the authentication vector the BSF keeps. */
#define BSF_VECTOR_LEN (BSF_RES_LEN + 16 + 16)

/* One Ub request being answered. */
struct ub {
    struct m2m_mef *mef;
    struct m2m_store *store;
    const struct m2m_mef_request *req;
    struct m2m_mef_response *resp;
    struct m2m_digest_credentials cr;
    int64_t now;
};

/* A refusal: error answer, log line, audit row (event gbaBootstrap). With burn, the
 * request's nonce is marked answered in the same durable write, before the answer. */
void bsf_refuse(struct ub *u, int http_status, enum m2m_rsc rsc, int burn, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A 401 with a fresh challenge for the subscriber sub (keys k, opc), whose SQN moves from
 * sub->sqn to sqn_to. event names the audit row; burn marks the request's nonce answered. */
void bsf_challenge(struct ub *u, const struct m2m_store_gba_subscriber *sub,
                   const struct m2m_secret *k, const struct m2m_secret *opc, uint64_t sqn_to,
                   const char *event, int burn);
/* TS 33.102 6.3.5: the SQN_MS an AUTS conceals, if its MAC-S verifies (*ok). */
int bsf_auts_open(const struct m2m_secret *k, const struct m2m_secret *opc,
                  const unsigned char rand[16], const unsigned char auts[M2M_AKA_AUTS_LEN],
                  uint64_t *sqn_ms, int *ok, struct m2m_error *err);

#endif
