/* oneM2M and GBA key derivations, AES key wrap, and sealing of secrets at rest
 * (TS-0003 V3 10.3, 10.5, 10.6; 3GPP TS 33.220 Annex B; RFC 3394, RFC 5649). */
#ifndef M2MSEC_CRYPTO_H
#define M2MSEC_CRYPTO_H

#include <m2msec/common.h>
#include <m2msec/error.h>
#include <m2msec/secret.h>

#define M2M_EXPORT_LEN 48 /* TS-0003 10.3.1: exporter output length */
#define M2M_RELID_LEN  16 /* RelativeKeID: the first 16 bytes */
#define M2M_KEY_LEN    32 /* Ke, Km, Kpsa, Kc: the last 32 bytes, or an HMAC-SHA-256 */
#define M2M_FQDN_MAX   253
/* "<32 hex>@<fqdn>" plus NUL */
#define M2M_KEYID_MAX (2 * M2M_RELID_LEN + 1 + M2M_FQDN_MAX + 1)

/* Splits a 48-byte exporter output (label EXPORTER-oneM2M-Bootstrap, or
 * EXPORTER-oneM2M-Connection for Kc/KcID) into the key (last 32 bytes) and the key id
 * "<lowercase hex of the first 16 bytes>@<fqdn>" (TS-0003 10.3.1, 10.3.2). fqdn must be
 * a valid FQDN; it is lowercased. key_out may be NULL when only the id is wanted. */
M2M_API M2M_MUST_CHECK int m2m_export_split(const unsigned char export48[M2M_EXPORT_LEN],
                                            const char *fqdn, struct m2m_secret **key_out,
                                            char keyid[M2M_KEYID_MAX], struct m2m_error *err);

/* Km = HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Master Credential derivation" || MAF-ID)
 * (TS-0003 10.3.4). Identifiers are NFKC-normalised here, so callers pass them as given. */
M2M_API struct m2m_secret *m2m_derive_km(const struct m2m_secret *ke, const char *maf_id,
                                         struct m2m_error *err);
/* Kpsa = HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Provisioned Secure Connection Key
 * derivation" || Enrolee-B-ID) (TS-0003 10.3.5). */
M2M_API struct m2m_secret *m2m_derive_kpsa(const struct m2m_secret *ke, const char *enrolee_b_id,
                                           struct m2m_error *err);
/* HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation" ||
 * SUID || Enrolment-Target-ID), SUID as decimal ASCII digits (TS-0003 10.3.7; DESIGN.md 3). */
M2M_API struct m2m_secret *m2m_derive_usage_key(const struct m2m_secret *ke, unsigned suid,
                                                const char *target_id, struct m2m_error *err);
/* KmID = lowercase hex of the first 16 bytes of HMAC-SHA-256(Km, "m2msec KmID") "@" MAF FQDN
 * (DESIGN.md section 3). */
M2M_API M2M_MUST_CHECK int m2m_derive_kmid(const struct m2m_secret *km, const char *maf_fqdn,
                                           char kmid[M2M_KEYID_MAX], struct m2m_error *err);

/* Security Usage Identifiers (TS-0003 V3 Table 8.3.2-1 / SPEC.md section 4). */
enum m2m_suid {
    M2M_SUID_PREPROV_MEF = 10,
    M2M_SUID_PREPROV_MAF = 11,
    M2M_SUID_PREPROV_SAEF = 12,
    M2M_SUID_PREPROV_E2E_PRIMITIVE = 13,
    M2M_SUID_PREPROV_E2E_DATA1 = 14,
    M2M_SUID_PREPROV_E2E_DATA2 = 15,
    M2M_SUID_REMOTE_MAF = 21,
    M2M_SUID_REMOTE_SAEF = 22,
    M2M_SUID_MAF_SAEF = 32,
};
/* 1 if suid is one the specification defines (10-15, 21, 22, 32, 40-45). */
M2M_API int m2m_suid_valid(unsigned suid);

/* ---- GBA (3GPP TS 33.220 Annex B) ---- */
struct m2m_kdf_param {
    const void *data;
    size_t len; /* at most 65535 */
};
/* KDF(Key, S) = HMAC-SHA-256(Key, FC || P0 || L0 || ... || Pn || Ln). */
M2M_API struct m2m_secret *m2m_gba_kdf(const struct m2m_secret *key, unsigned char fc,
                                       const struct m2m_kdf_param *params, size_t n_params,
                                       struct m2m_error *err);
#define M2M_GBA_UA_ID_LEN 5
/* Ua security protocol identifier for TLS-PSK with a given cipher suite (TS 33.220 H.2):
 * 0x01 0x00 0x01, then the two suite bytes. */
M2M_API void m2m_gba_ua_tls_psk(uint16_t suite, unsigned char out[M2M_GBA_UA_ID_LEN]);
/* Ks_NAF = KDF(Ks, 0x01, "gba-me", RAND, IMPI, NAF_Id), NAF_Id = NAF FQDN || Ua id. */
M2M_API struct m2m_secret *m2m_gba_ks_naf(const struct m2m_secret *ks, const unsigned char rand[16],
                                          const char *impi, const char *naf_fqdn,
                                          const unsigned char ua_id[M2M_GBA_UA_ID_LEN],
                                          struct m2m_error *err);

/* ---- Milenage (3GPP TS 35.206), the USIM algorithm set the GBA framework runs on ---- */
struct m2m_milenage_out {
    unsigned char mac_a[8];   /* f1 */
    unsigned char mac_s[8];   /* f1* */
    unsigned char res[8];     /* f2 */
    unsigned char ck[16];     /* f3 */
    unsigned char ik[16];     /* f4 */
    unsigned char ak[6];      /* f5 */
    unsigned char ak_star[6]; /* f5* */
};
/* OPc = E_K(OP) XOR OP. */
M2M_API M2M_MUST_CHECK int m2m_milenage_opc(const unsigned char k[16], const unsigned char op[16],
                                            unsigned char opc[16], struct m2m_error *err);
/* All functions at once; out holds key material: wipe it with m2m_wipe after use. */
M2M_API M2M_MUST_CHECK int m2m_milenage(const unsigned char k[16], const unsigned char opc[16],
                                        const unsigned char rand[16], const unsigned char sqn[6],
                                        const unsigned char amf[2], struct m2m_milenage_out *out,
                                        struct m2m_error *err);

/* ---- AES key wrap through OpenSSL's EVP wrap ciphers ---- */
/* RFC 3394 (pad = 0: input a multiple of 8, at least 16 bytes) or RFC 5649 (pad = 1).
 * kek is 16, 24 or 32 bytes. out needs in_len + 8 (+7 for padding) bytes. */
M2M_API M2M_MUST_CHECK int m2m_aes_wrap(const struct m2m_secret *kek, int pad,
                                        const unsigned char *in, size_t in_len, unsigned char *out,
                                        size_t outcap, size_t *out_len, struct m2m_error *err);
/* The inverse; an integrity failure is M2M_E_UNWRAP and yields nothing. */
M2M_API struct m2m_secret *m2m_aes_unwrap(const struct m2m_secret *kek, int pad,
                                          const unsigned char *in, size_t in_len,
                                          struct m2m_error *err);

/* ---- Secrets at rest (DESIGN.md section 3) ---- */
/* Sealed form: version byte 0x01 || 12-byte nonce || ciphertext || 16-byte GCM tag, under
 * AES-256-GCM with the record's key id as AAD, so a row moved to another id fails to open. */
#define M2M_SEAL_OVERHEAD (1 + 12 + 16)
M2M_API M2M_MUST_CHECK int m2m_seal(const struct m2m_secret *kek, const char *key_id,
                                    const struct m2m_secret *plain, unsigned char *out,
                                    size_t outcap, size_t *out_len, struct m2m_error *err);
M2M_API struct m2m_secret *m2m_open(const struct m2m_secret *kek, const char *key_id,
                                    const unsigned char *sealed, size_t sealed_len,
                                    struct m2m_error *err);
/* Reads a 32-byte key-encryption key (raw or 64 hex digits) from a file that must be a
 * regular file not readable or writable by group or others. */
M2M_API struct m2m_secret *m2m_kek_load(const char *path, struct m2m_error *err);

M2M_API M2M_MUST_CHECK int m2m_random(void *buf, size_t len, struct m2m_error *err);

#endif
