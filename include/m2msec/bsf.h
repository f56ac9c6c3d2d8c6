/* The MEF as the Bootstrapping Server Function of the GBA framework (SPEC.md section 8;
 * TS-0003 8.3.1; 3GPP TS 33.220 4.5.2; Ub per TS 24.109 5.2 over HTTP Digest AKA, RFC 3310):
 * protocol logic only, on the MEF's object, store and durable-write pipeline
 * (m2msec/mef.h). docs/gba.md gives the wire format.
 *
 *   GET /gba/bootstrap, Authorization: Digest username="<IMPI>", realm="<BSF FQDN>",
 *       nonce="", uri="/gba/bootstrap", response=""
 *     -> 401, WWW-Authenticate: Digest realm, nonce = base64(RAND || AUTN),
 *        algorithm=AKAv1-MD5, qop="auth-int", opaque. The subscriber's SQN is moved and
 *        the challenge recorded durably before the answer leaves.
 *   GET /gba/bootstrap with the request-digest of RES (qop=auth-int, nc, cnonce, opaque)
 *     -> 200 {"btid", "lifetime"}: Ke = Ks = CK || IK, KeID = B-TID = base64(RAND)@FQDN,
 *        committed durably before the answer.
 *   GET /gba/bootstrap with auts (synchronisation failure, RFC 3310 3.4)
 *     -> MAC-S checked with f1*, the SQN set from SQN_MS, and a fresh 401 challenge.
 * A challenge is answered once (a wrong RES burns it too), within the configured lifetime. */
#ifndef M2MSEC_BSF_H
#define M2MSEC_BSF_H

#include <m2msec/common.h>
#include <m2msec/digest.h>
#include <m2msec/mef.h>

#define M2M_BSF_PATH "/gba/bootstrap"

/* Handles one Ub request (req->session is not used: the Ub session authenticates only the
 * BSF). Always fills resp; resp->www_authenticate carries a challenge; release with
 * m2m_mef_response_clear, commit resp->write as for m2m_mef_handle. */
M2M_API void m2m_bsf_handle(struct m2m_mef *mef, struct m2m_store *store,
                            const struct m2m_mef_request *req, struct m2m_mef_response *resp);

#endif
