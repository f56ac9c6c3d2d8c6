/* GBA key derivation (3GPP TS 33.220 Annex B) and Ks_NAF for oneM2M (TS-0003 8.3.1 / 10.6). */
#include <string.h>

#include <m2msec/crypto.h>

#include "core/safety.h"
#include "crypto/hmac.h"

#define GBA_MAX_PARAMS 8

/* TS 33.220 B.2: S = FC || P0 || L0 || P1 || L1 ..., Li the 2-byte big-endian length of Pi. */
struct m2m_secret *m2m_gba_kdf(const struct m2m_secret *key, unsigned char fc,
                               const struct m2m_kdf_param *params, size_t n_params,
                               struct m2m_error *err)
{
    struct m2m_bytes parts[1 + 2 * GBA_MAX_PARAMS];
    unsigned char lens[GBA_MAX_PARAMS][2];
    size_t n = 0;

    if (key == NULL || (params == NULL && n_params > 0) || n_params > GBA_MAX_PARAMS) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "GBA KDF takes a key and at most %d parameters",
                      GBA_MAX_PARAMS);
        return NULL;
    }
    parts[n++] = (struct m2m_bytes){&fc, 1};
    for (size_t i = 0; i < n_params; i++) {
        if (params[i].len > 0xffff || (params[i].data == NULL && params[i].len > 0)) {
            m2m_error_set(err, M2M_E_INVALID_ARG, "GBA KDF parameter P%zu of %zu bytes", i,
                          params[i].len);
            return NULL;
        }
        lens[i][0] = (unsigned char)(params[i].len >> 8);
        lens[i][1] = (unsigned char)(params[i].len & 0xff);
        parts[n++] = (struct m2m_bytes){params[i].data, params[i].len};
        parts[n++] = (struct m2m_bytes){lens[i], 2};
    }
    return m2m_hmac_secret(key, parts, n, err);
}

/* TS 33.220 H.2: Ua security protocol identifier for "Shared key-based UE authentication with
 * certificate-based NAF authentication / TLS-PSK": (0x01, 0x00, 0x01, suite). */
void m2m_gba_ua_tls_psk(uint16_t suite, unsigned char out[M2M_GBA_UA_ID_LEN])
{
    out[0] = 0x01;
    out[1] = 0x00;
    out[2] = 0x01;
    out[3] = (unsigned char)(suite >> 8);
    out[4] = (unsigned char)(suite & 0xff);
}

/* TS 33.220 B.3: Ks_(ext)_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id), FC = 0x01. */
struct m2m_secret *m2m_gba_ks_naf(const struct m2m_secret *ks, const unsigned char rand[16],
                                  const char *impi, const char *naf_fqdn,
                                  const unsigned char ua_id[M2M_GBA_UA_ID_LEN],
                                  struct m2m_error *err)
{
    static const char p0[] = "gba-me";
    unsigned char naf_id[M2M_FQDN_MAX + M2M_GBA_UA_ID_LEN];
    size_t fqdn_len;

    if (ks == NULL || rand == NULL || impi == NULL || naf_fqdn == NULL || ua_id == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "Ks_NAF needs Ks, RAND, IMPI, NAF FQDN, Ua id");
        return NULL;
    }
    fqdn_len = strlen(naf_fqdn);
    if (fqdn_len == 0 || fqdn_len > M2M_FQDN_MAX) {
        m2m_error_set(err, M2M_E_FQDN_SYNTAX, "NAF FQDN of %zu bytes", fqdn_len);
        return NULL;
    }
    memcpy(naf_id, naf_fqdn, fqdn_len);
    memcpy(naf_id + fqdn_len, ua_id, M2M_GBA_UA_ID_LEN);
    {
        const struct m2m_kdf_param params[] = {
            {p0, sizeof(p0) - 1},
            {rand, 16},
            {impi, strlen(impi)},
            {naf_id, fqdn_len + M2M_GBA_UA_ID_LEN},
        };
        return m2m_gba_kdf(ks, 0x01, params, M2M_ARRAY_LEN(params), err);
    }
}
