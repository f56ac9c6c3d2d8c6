/* HTTP Digest AKA as the GBA bootstrap (Ub) uses it: 3GPP TS 24.109 5.2 over RFC 3310
 * (algorithm AKAv1-MD5, the AKA RES as the password) and RFC 2617 (qop auth-int). Encode and
 * decode of the WWW-Authenticate challenge and the Authorization credentials, and the
 * request-digest both ends compute.
 *
 * The parsers take hostile input: the header at most M2M_DIGEST_HEADER_MAX bytes, ASCII
 * only, "Digest" then comma-separated name=value pairs (token or quoted-string with
 * quoted-pairs), at most M2M_DIGEST_MAX_PARAMS of them, no name twice. Unknown names are
 * ignored (RFC 2617 3.2.2). Every known value is checked for its syntax and bound; a
 * violation is M2M_E_BAD_MESSAGE naming the parameter. */
#ifndef M2MSEC_DIGEST_H
#define M2MSEC_DIGEST_H

#include <stdbool.h>
#include <time.h>

#include <m2msec/common.h>
#include <m2msec/crypto.h>
#include <m2msec/error.h>
#include <m2msec/id.h>

#define M2M_DIGEST_HEADER_MAX 2048
#define M2M_DIGEST_MAX_PARAMS 16
#define M2M_DIGEST_ALGORITHM  "AKAv1-MD5"
#define M2M_DIGEST_QOP        "auth-int"
#define M2M_DIGEST_NONCE_MAX  64  /* characters with the NUL; base64(RAND || AUTN) has 44 */
#define M2M_DIGEST_VALUE_MAX  64  /* cnonce, opaque: characters with the NUL */
#define M2M_DIGEST_URI_MAX    256 /* characters with the NUL */
#define M2M_DIGEST_HEX_LEN    32  /* an MD5 request-digest in lowercase hex */
#define M2M_AKA_RAND_LEN      16
#define M2M_AKA_AUTN_LEN      16 /* SQN xor AK (6) || AMF (2) || MAC-A (8), TS 33.102 6.3.2 */
#define M2M_AKA_AUTS_LEN      14 /* SQN_MS xor AK* (6) || MAC-S (8), TS 33.102 6.3.3 */

/* WWW-Authenticate of a 401 (RFC 3310 3.2). */
struct m2m_digest_challenge {
    char realm[M2M_FQDN_MAX + 1];
    char nonce[M2M_DIGEST_NONCE_MAX]; /* base64(RAND || AUTN) */
    char opaque[M2M_DIGEST_VALUE_MAX];
    bool stale;
};

/* Authorization of a request (RFC 3310 3.3, 3.4; TS 24.109 5.2.1). The first request of a
 * bootstrap has an empty nonce and response and no qop; the answer to a challenge has all
 * of nonce, qop, nc, cnonce and response; a synchronisation failure adds auts. */
struct m2m_digest_credentials {
    char username[M2M_IMPI_MAX + 1]; /* the IMPI */
    char realm[M2M_FQDN_MAX + 1];
    char nonce[M2M_DIGEST_NONCE_MAX];
    char uri[M2M_DIGEST_URI_MAX];
    char response[M2M_DIGEST_HEX_LEN + 1];
    bool has_qop; /* qop=auth-int */
    char nc[9];   /* 8 hex digits */
    char cnonce[M2M_DIGEST_VALUE_MAX];
    char opaque[M2M_DIGEST_VALUE_MAX];
    bool has_auts;
    unsigned char auts[M2M_AKA_AUTS_LEN];
};

/* ---- the challenge ---- */
/* Always announces algorithm=AKAv1-MD5 and qop="auth-int". */
M2M_API M2M_MUST_CHECK int m2m_digest_challenge_format(const struct m2m_digest_challenge *ch,
                                                       char *out, size_t outsz,
                                                       struct m2m_error *err);
/* Requires realm and nonce, algorithm AKAv1-MD5, and auth-int among the qop options. */
M2M_API M2M_MUST_CHECK int m2m_digest_challenge_parse(const char *header,
                                                      struct m2m_digest_challenge *out,
                                                      struct m2m_error *err);

/* ---- the credentials ---- */
M2M_API M2M_MUST_CHECK int m2m_digest_credentials_format(const struct m2m_digest_credentials *cr,
                                                         char *out, size_t outsz,
                                                         struct m2m_error *err);
/* Requires username (an IMPI), realm, nonce (empty or base64 of RAND || AUTN), uri and
 * response (empty or 32 lowercase hex digits); algorithm, when given, AKAv1-MD5; qop, when
 * given, auth-int, and then nc and cnonce too; a non-empty response needs nonce and qop. */
M2M_API M2M_MUST_CHECK int m2m_digest_credentials_parse(const char *header,
                                                        struct m2m_digest_credentials *out,
                                                        struct m2m_error *err);

/* ---- computations ---- */
/* nonce = base64(RAND || AUTN) (RFC 3310 3.2). */
M2M_API M2M_MUST_CHECK int m2m_digest_nonce_make(const unsigned char rand[M2M_AKA_RAND_LEN],
                                                 const unsigned char autn[M2M_AKA_AUTN_LEN],
                                                 char out[M2M_DIGEST_NONCE_MAX],
                                                 struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_digest_nonce_split(const char *nonce,
                                                  unsigned char rand[M2M_AKA_RAND_LEN],
                                                  unsigned char autn[M2M_AKA_AUTN_LEN],
                                                  struct m2m_error *err);
/* The request-digest with qop=auth-int (RFC 2617 3.2.2.1): KD(H(A1), nonce:nc:cnonce:qop:
 * H(A2)), A1 = username:realm:password, A2 = method:uri:H(body), H = MD5 in lowercase hex.
 * The password is the AKA RES in binary (RFC 3310 3.3), or empty when the client reports a
 * synchronisation failure (RFC 3310 3.4). Uses username, realm, nonce, uri, nc, cnonce. */
M2M_API M2M_MUST_CHECK int m2m_digest_response(const struct m2m_digest_credentials *cr,
                                               const unsigned char *password, size_t password_len,
                                               const char *method, const void *body,
                                               size_t body_len, char out[M2M_DIGEST_HEX_LEN + 1],
                                               struct m2m_error *err);

/* ---- the answer to a successful bootstrap ----
 * {"btid": "<B-TID>", "lifetime": "<RFC 3339 expiry of Ks>"}: the JSON form of the
 * BootstrappingInfo of TS 24.109 5.2.1 [m2msec choice: JSON like every other body]. */
struct m2m_gba_bootstrap_info {
    char btid[M2M_BTID_MAX + 1];
    time_t lifetime;
};

M2M_API char *m2m_gba_bootstrap_info_encode(const struct m2m_gba_bootstrap_info *in,
                                            struct m2m_error *err);
/* The B-TID must be well-formed (m2m_keyid_btid_parse). */
M2M_API M2M_MUST_CHECK int m2m_gba_bootstrap_info_decode(const char *body, size_t len,
                                                         struct m2m_gba_bootstrap_info *out,
                                                         struct m2m_error *err);

#endif
