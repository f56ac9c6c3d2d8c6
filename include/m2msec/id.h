/* oneM2M identifiers: FQDNs, SP-IDs, CSE-IDs, AE-IDs (TS-0001 7.1, 7.2; TS-0004 6.2.3),
 * CSE public domain names (TS-0001 6.5.1.1), AE-ID certificate URIs (TS-0003 10.1.1.5),
 * key identifiers (TS-0003 10.3.4, 10.3.5, 10.5, 10.6), B-TIDs (3GPP TS 33.220) and
 * Credential-IDs (TS-0003 10.4, 12.3.2.1).
 *
 * Every parser is strict: it accepts only what the grammar allows and says what is wrong
 * ("empty label at offset 4", "wildcard not allowed", ...). Errors carry M2M_E_FQDN_SYNTAX,
 * M2M_E_ID_SYNTAX, M2M_E_KEYID_SYNTAX or M2M_E_CREDID_SYNTAX. Output buffers too small give
 * M2M_E_BUFFER_TOO_SMALL. */
#ifndef M2MSEC_ID_H
#define M2MSEC_ID_H

#include <m2msec/common.h>
#include <m2msec/error.h>

/* ---------------------------------------------------------------------------------------
 * FQDNs (RFC 1035 2.3.1, RFC 1123 2.1)
 *
 * Accepted: labels of 1..63 letters, digits and hyphens, neither starting nor ending with a
 * hyphen (a leading digit is allowed, RFC 1123), at most 253 characters in all, at least two
 * labels, a top-level label that is not all-numeric (so an IPv4 address is not taken for a
 * name). One trailing root dot is accepted and removed by normalisation.
 * Rejected: wildcards, empty labels, spaces, '@', '_', any other character, and non-ASCII
 * bytes: internationalised names must be given as A-labels ("xn--...").
 * [m2msec choice] Single-label names ("localhost") are rejected: a name that is resolved
 * through a search list does not identify one host, and TS-0003 uses FQDNs as identities
 * (MEF-FQDN, MAF-FQDN, certificate names). */
#define M2M_FQDN_MAX 253 /* characters, without the root dot */

M2M_API M2M_MUST_CHECK int m2m_fqdn_validate(const char *name, struct m2m_error *err);

/* Validates name and writes its normal form: lowercase, without the root dot. Domain names
 * compare case-insensitively, so this is the form to store and to compare. */
M2M_API M2M_MUST_CHECK int m2m_fqdn_normalize(const char *name, char *out, size_t outsz,
                                              struct m2m_error *err);

/* As m2m_fqdn_normalize after Unicode NFKC, for an FQDN entering a key derivation
 * (TS-0003 10.3.2, 10.3.7): fullwidth "ｍａｆ１．example.com" becomes "maf1.example.com".
 * Invalid UTF-8 is M2M_E_UTF8. */
M2M_API M2M_MUST_CHECK int m2m_fqdn_canonical(const char *name, char *out, size_t outsz,
                                              struct m2m_error *err);

/* ---------------------------------------------------------------------------------------
 * M2M-SP-ID, CSE-ID, AE-ID (TS-0004 6.2.3 ABNF, TS-0001 7.2)
 *
 *   M2M-SP-ID          = "//" FQDN                              //sp.example.com
 *   SP-relative-CSE-ID = "/" segment                            /CSE1
 *   absolute-CSE-ID    = M2M-SP-ID SP-relative-CSE-ID           //sp.example.com/CSE1
 *   SP-relative-AE-ID  = SP-relative-CSE-ID "/" C-stem          /CSE1/Cabc
 *                      / "/" S-stem                             /Sabc
 *   absolute-AE-ID     = M2M-SP-ID SP-relative-AE-ID            //sp.example.com/CSE1/Cabc
 *
 * A segment is a letter or digit followed by letters, digits, '-', '.', '_' (TS-0004 6.2.3
 * narrows RFC 3986 "unreserved": no '~'), at most M2M_ID_SEGMENT_MAX characters
 * [m2msec choice: the specifications set no bound]. An AE-ID-Stem is 'C' (assigned by the
 * registrar CSE) or 'S' (assigned by the M2M SP) followed by a segment; other first letters
 * are reserved and rejected. Identifiers are case-sensitive except their FQDN, which TS-0004
 * requires in lowercase: uppercase is accepted on input and lowercased.
 *
 * "/Sabc" matches both SP-relative-CSE-ID and SP-relative-AE-ID in the ABNF; it is read as a
 * CSE-ID unless the caller expects an AE-ID. A bare S-AE-ID-Stem ("Sabc", allowed by the ABNF)
 * is accepted only when an AE-ID is expected, so that an FQDN passed by mistake is never
 * taken for an AE-ID. */
#define M2M_ID_SEGMENT_MAX 128
#define M2M_ID_MAX         (2 + M2M_FQDN_MAX + 2 * (1 + M2M_ID_SEGMENT_MAX)) /* characters */

enum m2m_id_kind {
    M2M_ID_ANY = 0, /* only as the expected kind of m2m_id_parse */
    M2M_ID_SP,
    M2M_ID_CSE,
    M2M_ID_AE,
};

enum m2m_id_scope {
    M2M_ID_ABSOLUTE = 1, /* starts with the SP-ID */
    M2M_ID_SP_RELATIVE,  /* starts with one '/' */
    M2M_ID_STEM,         /* a bare S-AE-ID-Stem */
};

struct m2m_id {
    enum m2m_id_kind kind;
    enum m2m_id_scope scope;
    char sp[M2M_FQDN_MAX + 1];        /* SP-ID FQDN, lowercase; "" unless absolute */
    char cse[M2M_ID_SEGMENT_MAX + 1]; /* CSE-ID without its '/'; "" for SP-IDs, S-type AE-IDs */
    char ae[M2M_ID_SEGMENT_MAX + 1];  /* AE-ID-Stem; "" unless kind is M2M_ID_AE */
};

/* Parses an SP-ID, CSE-ID or AE-ID. expect is M2M_ID_ANY or the kind the caller requires;
 * an identifier of another kind is an error. No NFKC here: input must be ASCII. */
M2M_API M2M_MUST_CHECK int m2m_id_parse(const char *s, enum m2m_id_kind expect, struct m2m_id *out,
                                        struct m2m_error *err);

/* Writes id in its own scope (the inverse of m2m_id_parse); the result is re-validated. */
M2M_API M2M_MUST_CHECK int m2m_id_format(const struct m2m_id *id, char *out, size_t outsz,
                                         struct m2m_error *err);

/* Makes id absolute with the configured SP-ID sp_id ("//sp.example.com" or
 * "sp.example.com"). An absolute id is left as is. */
M2M_API M2M_MUST_CHECK int m2m_id_make_absolute(struct m2m_id *id, const char *sp_id,
                                                struct m2m_error *err);

/* The canonical form of an identifier entering a key derivation or an authorisation check
 * (TS-0003 10.3.3; DESIGN "Identifiers entering a derivation"): Unicode NFKC first, then
 * parse, then an SP-relative CSE-ID or AE-ID is completed with sp_id (which may be NULL when
 * id is already absolute), then written in absolute form with a lowercase FQDN.
 * "/CSE1" with "//sp.example.com" gives "//sp.example.com/CSE1". Invalid UTF-8 is
 * M2M_E_UTF8. */
M2M_API M2M_MUST_CHECK int m2m_id_canonical(const char *id, const char *sp_id, char *out,
                                            size_t outsz, struct m2m_error *err);

/* ---------------------------------------------------------------------------------------
 * CSE public domain names (TS-0001 6.5.1.1; used in CSE-ID certificates, TS-0003 10.1.1.7)
 *
 *   IN-CSE:      <IN-CSE-ID>.<M2M SP domain name>
 *   MN/ASN-CSE:  <CSE-ID>.<IN-CSE public domain name> = <CSE-ID>.<IN-CSE-ID>.<SP domain>
 *
 * CSE-IDs are given SP-relative ("/CSE1") or absolute ("//sp.example.com/CSE1"); sp_domain
 * may be NULL when cse_id is absolute, and must name the same SP when both are given. Each
 * CSE-ID must be usable as a DNS label (letters, digits, inner hyphens, at most 63): '.' or
 * '_' in a CSE-ID is an error. The result is lowercase, so CSE-IDs differing only in case
 * (TS-0004 6.2.3 allows that) share one public domain name. in_cse_id is required for MN and
 * ASN CSEs and ignored for the IN-CSE. */
/* Values of m2m:cseTypeID (TS-0004 6.3.4.2.2). */
enum m2m_cse_type {
    M2M_CSE_IN = 1,
    M2M_CSE_MN = 2,
    M2M_CSE_ASN = 3,
};

M2M_API M2M_MUST_CHECK int m2m_id_cse_public_domain(enum m2m_cse_type type, const char *cse_id,
                                                    const char *in_cse_id, const char *sp_domain,
                                                    char *out, size_t outsz, struct m2m_error *err);

/* ---------------------------------------------------------------------------------------
 * AE-ID certificate URI (TS-0003 10.1.1.5, 8.1.2.5)
 *
 * TS-0003 requires "the full URI representation of the AE-ID" as a URI subjectAltName, an
 * "exact match for the Absolute AE-ID", under a CA whose nameConstraints are satisfied by
 * the URI's host. It names no scheme. RFC 5280 4.2.1.6 forbids relative URIs, and URI name
 * constraints (RFC 5280 4.2.1.10) need a host after "scheme://", so the Absolute AE-ID alone
 * ("//sp.example.com/CSE1/Cabc", a network-path reference) cannot be used as it is.
 * [m2msec choice] The URI is "onem2m:" followed by the Absolute AE-ID:
 *     onem2m://sp.example.com/CSE1/Cabc      onem2m://sp.example.com/Sabc
 * so its host is the SP-ID FQDN and everything after the scheme is the Absolute AE-ID
 * verbatim. AE-IDs hold only unreserved characters, so no percent-encoding ever occurs. */
#define M2M_AE_URI_SCHEME "onem2m"
#define M2M_AE_URI_MAX    (sizeof(M2M_AE_URI_SCHEME) + M2M_ID_MAX) /* characters */

/* Canonicalises ae_id as m2m_id_canonical does (it must be an AE-ID; sp_id completes an
 * SP-relative one) and writes its certificate URI. */
M2M_API M2M_MUST_CHECK int m2m_id_ae_uri(const char *ae_id, const char *sp_id, char *out,
                                         size_t outsz, struct m2m_error *err);

/* The inverse: accepts only "onem2m://<FQDN>/..." holding an absolute AE-ID (scheme
 * case-insensitive per RFC 3986 3.1); no port, userinfo, query, fragment or '%'. */
M2M_API M2M_MUST_CHECK int m2m_id_ae_uri_parse(const char *uri, struct m2m_id *out,
                                               struct m2m_error *err);

/* ---------------------------------------------------------------------------------------
 * Key identifiers: KeID (10.3.4), MAF Key Identifier/KcID (10.3.5), KpsaID (10.5), KmID
 * (10.6): <relative>@<FQDN>, the relative part made of letters, digits, '.', '_', '-'
 * (sec:relKeyID, TS-0003 12.2), at most M2M_KEYID_REL_MAX characters [m2msec choice].
 * A relative part of exactly 32 hex digits (hexBinary of 16 bytes, as every identifier
 * m2msec derives) is decoded into bin and kept in lowercase, whatever case it came in; other
 * relative parts are kept as given. The FQDN is normalised. Compare key identifiers in the
 * form m2m_keyid_canonical writes. (TS-0003 10.6 makes KmID relative parts case-insensitive;
 * m2msec's are hex, so lowercasing them is that rule.) */
#define M2M_KEYID_REL_MAX 128
#define M2M_KEYID_BIN_LEN 16
/* Characters of any key identifier; M2M_KEYID_MAX (m2msec/crypto.h) is the buffer for the
 * 32-hex-digit ones. */
#define M2M_KEYID_TEXT_MAX (M2M_KEYID_REL_MAX + 1 + M2M_FQDN_MAX)

struct m2m_keyid {
    char rel[M2M_KEYID_REL_MAX + 1];
    char fqdn[M2M_FQDN_MAX + 1];
    int has_bin; /* rel is 32 hex digits, decoded in bin */
    unsigned char bin[M2M_KEYID_BIN_LEN];
};

M2M_API M2M_MUST_CHECK int m2m_keyid_parse(const char *s, struct m2m_keyid *out,
                                           struct m2m_error *err);
/* As m2m_keyid_parse, requiring a 32-hex-digit relative part (KeID, KcID, m2msec KmIDs). */
M2M_API M2M_MUST_CHECK int m2m_keyid_parse_hex(const char *s, struct m2m_keyid *out,
                                               struct m2m_error *err);
/* Lowercase hex of rel, '@', the normalised fqdn. */
M2M_API M2M_MUST_CHECK int m2m_keyid_format(const unsigned char rel[M2M_KEYID_BIN_LEN],
                                            const char *fqdn, char *out, size_t outsz,
                                            struct m2m_error *err);
/* Writes k (re-validated). */
M2M_API M2M_MUST_CHECK int m2m_keyid_to_string(const struct m2m_keyid *k, char *out, size_t outsz,
                                               struct m2m_error *err);
/* Parse then write: the form to store and compare. */
M2M_API M2M_MUST_CHECK int m2m_keyid_canonical(const char *s, char *out, size_t outsz,
                                               struct m2m_error *err);

/* B-TID (3GPP TS 33.220 4.5.2): base64(RAND) "@" BSF FQDN, RAND 16 bytes, standard base64
 * with padding in its one canonical spelling. In oneM2M's GBA framework KeID = B-TID
 * (TS-0003 Annex A). */
#define M2M_BTID_RAND_LEN 16
#define M2M_BTID_MAX      (24 + 1 + M2M_FQDN_MAX) /* characters */

struct m2m_btid {
    unsigned char rand[M2M_BTID_RAND_LEN];
    char fqdn[M2M_FQDN_MAX + 1];
};

M2M_API M2M_MUST_CHECK int m2m_keyid_btid_parse(const char *s, struct m2m_btid *out,
                                                struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_keyid_btid_format(const unsigned char rand[M2M_BTID_RAND_LEN],
                                                 const char *bsf_fqdn, char *out, size_t outsz,
                                                 struct m2m_error *err);

/* IMPI, the IMS private user identity a GBA bootstrap authenticates (3GPP TS 23.003 13.3,
 * TS 33.220 4.3): a NAI "user@realm" (RFC 4282), e.g.
 * "234150999999999@ims.mnc015.mcc234.3gppnetwork.org". [m2msec choice] The user part is 1 to
 * 128 printable ASCII characters other than '@', '"', '\\', ',' and space (so that it travels
 * unescaped in a Digest quoted-string, RFC 2617), the realm an FQDN, one '@' in all. It is
 * kept as given: it enters Ks_NAF byte for byte (TS 33.220 B.3). */
#define M2M_IMPI_MAX 255 /* characters */

M2M_API M2M_MUST_CHECK int m2m_impi_validate(const char *impi, struct m2m_error *err);

/* ---------------------------------------------------------------------------------------
 * Credential-IDs (TS-0003 10.4, 12.2 sec:credentialID, 12.3.2.1 sec:credIDTypeID):
 * "<type>-<value>", e.g. "10-thiskey@mymef.com".
 *
 * TS-0003 10.4 limits the value to letters, digits, '.', '_', '-', '@', while 12.2 types it
 * xs:anyURI and 12.3.2.1 puts CSE-IDs, AE-IDs and RFC 6920 key identifiers in it, which need
 * '/', ':' and ';'. The value is therefore checked per type:
 *   10 KpmID, 11 KmID, 12 KpsaID/KcID      a key identifier (m2m_keyid_parse), canonicalised
 *   13-16 other symmetric key identifiers  the 10.4 character set
 *   30, 41, 51 raw public key              "ni://[FQDN]/<alg>;<base64url digest>" (RFC 6920)
 *                                          with alg sha-256, sha-256-128 or sha-256-120
 *                                          (TS-0003 10.1.2), exact digest length, no query
 *   31, 42, 52 device hardware id          a dotted-decimal OID (the M2M Device ID of
 *                                          TS-0001 Annex H) or an RFC 9039 "urn:dev:" URN
 *   32, 43, 53 CSE-ID certificate          a CSE-ID (SP-relative or absolute), canonicalised
 *   33, 44, 54 AE-ID certificate           an AE-ID (any form), canonicalised
 *   34, 45, 55 Node-ID certificate         the 10.4 character set plus ':' (Node-IDs are
 *                                          xs:anyURI in TS-0004, often URNs)
 * Other type numbers are rejected. */
enum m2m_credid_type {
    M2M_CREDID_KPM = 10,
    M2M_CREDID_KM = 11,
    M2M_CREDID_KPSA = 12, /* also KcID */
    M2M_CREDID_ESPRIM_KEY = 13,
    M2M_CREDID_ESDATA_ENC_KEY = 14,
    M2M_CREDID_ESDATA_WRAP_KEY = 15,
    M2M_CREDID_ESDATA_HMAC_KEY = 16,
    M2M_CREDID_RAW_KEY = 30,
    M2M_CREDID_DEVICE_CERT = 31,
    M2M_CREDID_CSE_CERT = 32,
    M2M_CREDID_AE_CERT = 33,
    M2M_CREDID_NODE_CERT = 34,
    M2M_CREDID_ENC_RAW_KEY = 41,
    M2M_CREDID_ENC_DEVICE_CERT = 42,
    M2M_CREDID_ENC_CSE_CERT = 43,
    M2M_CREDID_ENC_AE_CERT = 44,
    M2M_CREDID_ENC_NODE_CERT = 45,
    M2M_CREDID_SIG_RAW_KEY = 51,
    M2M_CREDID_SIG_DEVICE_CERT = 52,
    M2M_CREDID_SIG_CSE_CERT = 53,
    M2M_CREDID_SIG_AE_CERT = 54,
    M2M_CREDID_SIG_NODE_CERT = 55,
};

#define M2M_CREDID_VALUE_MAX M2M_ID_MAX                 /* characters */
#define M2M_CREDID_MAX       (3 + M2M_CREDID_VALUE_MAX) /* characters */

struct m2m_credid {
    enum m2m_credid_type type;
    char value[M2M_CREDID_VALUE_MAX + 1]; /* canonical form where the type has one */
};

M2M_API M2M_MUST_CHECK int m2m_credid_parse(const char *s, struct m2m_credid *out,
                                            struct m2m_error *err);
/* Validates value for type and writes "<type>-<canonical value>". */
M2M_API M2M_MUST_CHECK int m2m_credid_format(enum m2m_credid_type type, const char *value,
                                             char *out, size_t outsz, struct m2m_error *err);
/* Short name of a type ("KmID", "AE-ID certificate"), NULL for an unknown number. */
M2M_API const char *m2m_credid_type_name(enum m2m_credid_type type);

#endif
