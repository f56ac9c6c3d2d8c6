/* The USIM an Enrolee runs the GBA bootstrap with (SPEC.md section 8; 3GPP TS 33.220 4.5.2):
 * an interface a UICC driver can implement (the AUTHENTICATE command of TS 31.102 7.1.2.1 in
 * 3G context, and the IMPI of TS 23.003 13.3), and a software USIM kept in a JSON file.
 *
 * The software USIM implements TS 33.102 6.3.3 with Milenage (TS 35.206): it checks MAC-A
 * first (a mismatch is a MAC failure: the network is not authenticated), then the
 * freshness of SQN with a simplified TS 33.102 Annex C scheme [m2msec choice]: one counter
 * SQN_MS (the highest SQN accepted, no IND array, no age limit L), and an SQN is fresh iff
 * SQN_MS < SQN <= SQN_MS + M2M_USIM_SQN_WINDOW (the Delta of Annex C.2.1, 2^28 as C.3.2
 * suggests). A stale or too-distant SQN is a synchronisation failure answered with AUTS =
 * (SQN_MS xor AK*) || MAC-S, MAC-S = f1*(K, SQN_MS, RAND, AMF = 0x0000). An accepted SQN
 * becomes SQN_MS and the file is rewritten (temporary file, fsync, rename, fsync of the
 * directory) before RES leaves the USIM, so a replayed challenge is refused even after a
 * crash.
 *
 * The file, mode 0600 (anything readable or writable by group or others is refused):
 *   {"impi": "user@ims.example.com", "k": "<32 hex>", "opc": "<32 hex>", "sqn": 0,
 *    "amf": "0000"}
 * sqn is SQN_MS as a number (0 to 2^48 - 1); amf is informational (the MAC covers the AMF
 * the network sends). */
#ifndef M2MSEC_USIM_H
#define M2MSEC_USIM_H

#include <stdint.h>

#include <m2msec/common.h>
#include <m2msec/error.h>

#define M2M_USIM_SQN_WINDOW (1ULL << 28)

enum m2m_usim_outcome {
    M2M_USIM_OK = 0,           /* RES, CK and IK are valid */
    M2M_USIM_SYNC_FAILURE = 1, /* auts is valid */
    M2M_USIM_MAC_FAILURE = 2,  /* AUTN did not come from the home network */
};

struct m2m_usim_result {
    enum m2m_usim_outcome outcome;
    unsigned char res[16];
    size_t res_len;
    unsigned char ck[16];
    unsigned char ik[16];
    unsigned char auts[14];
};

struct m2m_usim_ops {
    /* The IMPI (ISIM EF_IMPI, or derived from the IMSI, TS 23.003 13.3). */
    int (*impi)(void *ctx, char *out, size_t outsz, struct m2m_error *err);
    /* AUTHENTICATE in 3G context: 0 whenever the USIM answered (out->outcome says how),
     * -1 when it could not (card absent, I/O). out holds keys: wipe it after use. */
    int (*authenticate)(void *ctx, const unsigned char rand[16], const unsigned char autn[16],
                        struct m2m_usim_result *out, struct m2m_error *err);
    void (*close)(void *ctx);
};

struct m2m_usim {
    const struct m2m_usim_ops *ops;
    void *ctx;
};

/* Opens the software USIM kept in path (format above). */
M2M_API M2M_MUST_CHECK int m2m_usim_file_open(const char *path, struct m2m_usim *out,
                                              struct m2m_error *err);
/* Releases any USIM (ops->close); a zeroed struct is a no-op. */
M2M_API void m2m_usim_close(struct m2m_usim *u);

/* The USIM side of TS 33.102 6.3.3 on given keys, for any implementation built on Milenage:
 * fills out from RAND and AUTN and reports in *accepted_sqn the SQN to record as SQN_MS
 * when out->outcome is M2M_USIM_OK. */
M2M_API M2M_MUST_CHECK int
m2m_usim_milenage_check(const unsigned char k[16], const unsigned char opc[16], uint64_t sqn_ms,
                        const unsigned char rand[16], const unsigned char autn[16],
                        struct m2m_usim_result *out, uint64_t *accepted_sqn, struct m2m_error *err);

/* SQN as the 6 bytes AUTN and AUTS carry (big-endian), and back. */
M2M_API void m2m_sqn_to_bytes(uint64_t sqn, unsigned char out[6]);
M2M_API uint64_t m2m_sqn_from_bytes(const unsigned char in[6]);

#endif
