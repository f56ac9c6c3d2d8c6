/* Keys, certificates, trust-anchor sets and CRLs, and oneM2M certificate
 * verification by flavour (TS-0003 V3 8.1.2.1, 10.1.1; SPEC.md section 2). */
#ifndef M2MSEC_PKI_H
#define M2MSEC_PKI_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <m2msec/common.h>
#include <m2msec/error.h>

/* Certificate flavours (SPEC.md section 2). The identity string of each:
 *   DEVICE  - "<type-id OID>.<value>" from an otherName whose type-id is the M2M Device
 *             Indication arc and whose value is a UTF8String (e.g. "0.2.481.1.100.3030.10011"),
 *             or a "urn:dev:..." URI (RFC 9039) from a URI entry
 *   NODE_ID - the M2M-Node-ID
 *   CSE_ID  - the CSE's public domain name, from a dNSName entry
 *   AE_ID   - the full URI of the Absolute AE-ID, from a URI entry
 *   FQDN    - an MEF's or MAF's FQDN, from a dNSName or URI entry
 *
 * How each identity is carried [m2m choices where TS-0003 10.1.1 leaves it open]:
 *   DEVICE  - otherName: type-id = the Device Indication arc or an arc below it, value =
 *             UTF8String of the remaining arcs ("100.3030.10011"); the identity is the two
 *             joined by '.'. Or a URI entry starting with "urn:dev:".
 *   NODE_ID - TS-0003 10.1.1.8 says only "the Node-ID as defined in TS-0001"; TS-0001 7.1.5
 *             gives OIDs (annex H) and IMEIs as examples. An OID-based M2M-Node-ID under the
 *             Device Indication arc is carried as the device otherName above; any other
 *             Node-ID is carried as a URI entry (e.g. "urn:dev:...", "urn:gsma:imei:...").
 *   CSE_ID  - dNSName only.
 *   AE_ID   - URI only, with an authority ("onem2m://sp.example.com/CSE1/Cabc", the form
 *             m2m_id_ae_uri writes), since the issuing CA's nameConstraints must cover its host
 * (TS-0003 10.1.1.5): unless the profile is relaxed, the certificate that signed an AE-ID
 * certificate must carry nameConstraints with a permitted dNSName or URI subtree covering that
 * host. FQDN    - dNSName, or a URI entry (then the identity is the whole URI). Comparison is exact
 * and case-sensitive, except dNSName entries (ASCII case-insensitive). A configured identity
 * containing '*' is refused (M2M_E_CERT_WILDCARD); a SAN entry containing '*' never matches, and
 * when only such entries could have matched the error is M2M_E_CERT_WILDCARD. The subject CN is
 * never consulted. */
enum m2m_flavour {
    M2M_FLAVOUR_NONE = 0,
    M2M_FLAVOUR_DEVICE,
    M2M_FLAVOUR_NODE_ID,
    M2M_FLAVOUR_CSE_ID,
    M2M_FLAVOUR_AE_ID,
    M2M_FLAVOUR_FQDN,
    M2M_FLAVOUR__COUNT
};

/* "device", "node-id", "cse-id", "ae-id", "fqdn". */
M2M_API const char *m2m_flavour_name(enum m2m_flavour f);
M2M_API M2M_MUST_CHECK int m2m_flavour_parse(const char *name, enum m2m_flavour *out,
                                             struct m2m_error *err);

#define M2M_IDENTITY_MAX 512

/* The M2M Device Indication arc of TS-0001 annex H.3 (0 2 481 1). */
#define M2M_DEVICE_ARC_DEFAULT "0.2.481.1"

#define M2M_TRUST_NAME_MAX 64

/* What a successful verification proved. */
struct m2m_verified {
    enum m2m_flavour flavour;
    char identity[M2M_IDENTITY_MAX];
    char trust_set[M2M_TRUST_NAME_MAX]; /* name of the trust set it chained to ("" unnamed) */
};

/* ---- Own credential: private key, certificate, optional chain ---- */
struct m2m_credential;

/* Loads PEM or DER files. chain_path may be NULL. The key must match the certificate. */
M2M_API struct m2m_credential *m2m_credential_load(const char *key_path, const char *cert_path,
                                                   const char *chain_path, struct m2m_error *err);
/* Takes references to key, cert and chain (chain may be NULL). */
M2M_API struct m2m_credential *m2m_credential_new(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
                                                  struct m2m_error *err);
M2M_API void m2m_credential_free(struct m2m_credential *c);
M2M_API void m2m_credential_up_ref(struct m2m_credential *c);
M2M_API EVP_PKEY *m2m_credential_key(const struct m2m_credential *c);
M2M_API X509 *m2m_credential_cert(const struct m2m_credential *c);
M2M_API STACK_OF(X509) *m2m_credential_chain(const struct m2m_credential *c); /* may be NULL */

/* ---- Trust-anchor set with its CRLs and policy ---- */
struct m2m_trust;

M2M_API struct m2m_trust *m2m_trust_new(struct m2m_error *err);
M2M_API void m2m_trust_free(struct m2m_trust *t); /* drops one reference */
M2M_API void m2m_trust_up_ref(struct m2m_trust *t);
/* Adds every certificate in a PEM/DER file, or in every file of a directory, as an anchor.
 * An anchor need not be self-signed (TS-0003: any CA the certificate chains to). */
M2M_API M2M_MUST_CHECK int m2m_trust_add_anchors(struct m2m_trust *t, const char *path,
                                                 struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_trust_add_anchor_cert(struct m2m_trust *t, X509 *cert,
                                                     struct m2m_error *err);
/* Adds CRLs (file or directory, PEM/DER). Once any CRL is configured, every certificate
 * of the path must be covered by a valid CRL of its issuer. */
M2M_API M2M_MUST_CHECK int m2m_trust_add_crls(struct m2m_trust *t, const char *path,
                                              struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_trust_add_crl(struct m2m_trust *t, X509_CRL *crl,
                                             struct m2m_error *err);
/* The oneM2M profile checks (P-256 keys, ECDSA-SHA256 signatures, keyUsage with
 * digitalSignature) are on by default; this turns them off for this set only. */
M2M_API void m2m_trust_insecure_relax_profile(struct m2m_trust *t);
/* The Device Indication arc device (and OID Node-ID) otherNames must lie under; the
 * default is M2M_DEVICE_ARC_DEFAULT. arc is a dotted OID. */
M2M_API M2M_MUST_CHECK int m2m_trust_set_device_arc(struct m2m_trust *t, const char *arc,
                                                    struct m2m_error *err);
/* Names the set (e.g. "manufacturer-acme", "enterprise-x"), so that a verification can say
 * which of several sets a certificate chained to (SPEC.md section 6). */
M2M_API M2M_MUST_CHECK int m2m_trust_set_name(struct m2m_trust *t, const char *name,
                                              struct m2m_error *err);
M2M_API const char *m2m_trust_name(const struct m2m_trust *t);
/* Verify at a fixed time instead of now (0 = now). */
M2M_API void m2m_trust_set_time(struct m2m_trust *t, time_t at);
M2M_API size_t m2m_trust_anchor_count(const struct m2m_trust *t);

/* oneM2M verification of a peer certificate (SPEC.md section 2):
 * RFC 5280 path validation from leaf through the untrusted certificates to an anchor of t
 * (only those anchors; a self-signed leaf passes only if it is itself an anchor), CRLs when
 * configured, the profile unless relaxed, then the identity check: when expected is not
 * NULL it must exactly equal a subjectAltName entry of the type the flavour uses (never a
 * CN, never a wildcard); when expected is NULL the first such entry is reported.
 * On success fills out. On failure err names the failed check (M2M_E_CERT_*). */
M2M_API M2M_MUST_CHECK int m2m_verify_cert(const struct m2m_trust *t, X509 *leaf,
                                           STACK_OF(X509) *untrusted, enum m2m_flavour flavour,
                                           const char *expected, struct m2m_verified *out,
                                           struct m2m_error *err);

/* Every identity of the flavour a certificate carries (no verification; otherNames under
 * M2M_DEVICE_ARC_DEFAULT; wildcard entries left out); the caller frees the array and each
 * string with free(). Returns the count, or -1 with err set. */
M2M_API int m2m_cert_identities(X509 *cert, enum m2m_flavour flavour, char ***ids,
                                struct m2m_error *err);

/* ---- Loading helpers ---- */
M2M_API EVP_PKEY *m2m_pki_load_key(const char *path, struct m2m_error *err);
/* Every certificate in a PEM file, or the single certificate of a DER file. */
M2M_API STACK_OF(X509) *m2m_pki_load_certs(const char *path, struct m2m_error *err);
M2M_API X509_CRL *m2m_pki_load_crl(const char *path, struct m2m_error *err);

/* ---- Issuance (m2msec pki, tests, demo) ---- */
enum m2m_cert_kind { M2M_CERT_ROOT_CA, M2M_CERT_INTERMEDIATE_CA, M2M_CERT_END_ENTITY };

/* Key types; only P-256 is allowed by the profile, the others exist for negative tests. */
enum m2m_key_type { M2M_KEY_P256 = 0, M2M_KEY_P384, M2M_KEY_RSA2048 };

#define M2M_MAX_CONSTRAINTS 8

struct m2m_cert_spec {
    enum m2m_cert_kind kind;
    enum m2m_flavour flavour; /* end entities: which SAN entry identity becomes */
    const char *identity;     /* end entities: the identity, in the form documented above */
    const char *common_name;  /* subject CN (never used for matching) */
    time_t not_before;        /* 0 = now */
    time_t not_after;         /* 0 = not_before + 365 days */
    int path_len;             /* CAs: pathLenConstraint, -1 = none */
    /* CAs: permitted subtrees (dNSName / URI host); empty = no nameConstraints */
    const char *permitted_dns[M2M_MAX_CONSTRAINTS];
    enum m2m_key_type key_type;
    /* Deliberately broken certificates for negative tests. */
    int insecure_sha1;      /* sign with ECDSA-SHA1 / RSA-SHA1 */
    int insecure_no_digsig; /* keyUsage without digitalSignature */
    int insecure_not_ca;    /* a "CA" without basicConstraints CA:TRUE */
    int insecure_cn_only;   /* identity only in the subject CN, no SAN */
    /* Device / OID Node-ID identities: the otherName type-id arc (NULL = default). */
    const char *device_arc;
    int insecure_wildcard; /* allow '*' in the identity */
};

/* Creates a key of spec->key_type and a certificate signed by issuer (NULL = self-signed).
 * Serial numbers are random 128-bit. CAs get basicConstraints CA:TRUE (critical, with the
 * path length), keyUsage keyCertSign, cRLSign and digitalSignature (critical; TS-0003
 * 10.1.1.1 asks digitalSignature of every certificate), and for each permitted_dns entry a
 * permitted dNSName subtree plus the URI subtrees "host" and ".host" (the same names, since a
 * URI constraint without a leading dot matches that host only). Note that OpenSSL refuses
 * URIs without "scheme://" (urn:dev:...) below a CA with URI constraints. End entities get
 * keyUsage digitalSignature (critical), extendedKeyUsage serverAuth and clientAuth, and the
 * SAN entry of their flavour. */
M2M_API M2M_MUST_CHECK int m2m_pki_issue(const struct m2m_cert_spec *spec,
                                         const struct m2m_credential *issuer, EVP_PKEY **key_out,
                                         X509 **cert_out, struct m2m_error *err);
/* A CRL by issuer listing the given certificates as revoked, valid for `days`. */
M2M_API M2M_MUST_CHECK int m2m_pki_make_crl(const struct m2m_credential *issuer,
                                            X509 *const *revoked, size_t n_revoked, int days,
                                            X509_CRL **crl_out, struct m2m_error *err);
/* PEM writers; keys are written mode 0600 (atomically: temp file, fsync, rename). */
M2M_API M2M_MUST_CHECK int m2m_pki_write_key(const char *path, EVP_PKEY *key,
                                             struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_pki_write_cert(const char *path, X509 *cert, struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_pki_write_crl(const char *path, X509_CRL *crl,
                                             struct m2m_error *err);

#endif
