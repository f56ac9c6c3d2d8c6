/* Internal state of the pki layer shared by its files. */
#ifndef M2M_PKI_INTERNAL_H
#define M2M_PKI_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <m2msec/pki.h>

#define PKI_ARC_MAX 128

struct m2m_credential {
    atomic_int refs;
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) *chain; /* may be NULL */
};

struct m2m_trust {
    atomic_int refs;
    X509_STORE *store; /* only the configured anchors and CRLs, never default paths */
    size_t n_crls;
    int relax_profile;
    time_t at;
    char device_arc[PKI_ARC_MAX];  /* dotted M2M Device Indication arc */
    char name[M2M_TRUST_NAME_MAX]; /* the operator's name for this set, reported on success */
};

/* ---- load.c ---- */
enum pki_kind { PKI_KIND_KEY, PKI_KIND_CERT, PKI_KIND_CRL };

/* Reads a whole file (bounded) into a new buffer the caller frees with OPENSSL_free. */
int pki_read_file(const char *path, unsigned char **data, size_t *len, struct m2m_error *err);
/* Every CRL of a PEM file, or the single CRL of a DER file. */
STACK_OF(X509_CRL) *pki_load_crls(const char *path, struct m2m_error *err);
/* Calls fn on every regular, non-hidden file of dir (sorted by name), or on path itself
 * when it is not a directory. Stops at the first failure. */
int pki_for_each_file(const char *path,
                      int (*fn)(void *arg, const char *file, struct m2m_error *err), void *arg,
                      struct m2m_error *err);

/* ---- identity.c ---- */
/* 1 when s contains '*' (a wildcard never matches, TS-0003 10.1.1.5-10.1.1.8). */
int pki_has_wildcard(const char *s);
/* ASCII case-insensitive equality (DNS names, RFC 4343). */
int pki_ascii_caseeq(const char *a, const char *b);
/* 1 when the dotted OID text oid equals arc or lies below it. */
int pki_oid_under_arc(const char *oid, const char *arc);
/* 1 when s is a dotted-decimal OID ("0.2.481.1.100"). */
int pki_is_dotted_oid(const char *s);
/* 1 when s starts with "urn:dev:" (RFC 9039; scheme and NID are case-insensitive). */
int pki_is_urn_dev(const char *s);
/* The identity check of m2m_verify_cert. */
int pki_check_identity(X509 *leaf, enum m2m_flavour flavour, const char *arc, const char *expected,
                       struct m2m_verified *out, struct m2m_error *err);

/* ---- profile.c ---- */
/* The TS-0003 10.1.1 profile on every certificate of a validated path (leaf first). */
int pki_check_profile(STACK_OF(X509) *path, struct m2m_error *err);
/* TS-0003 10.1.1.5: the AE-ID certificate's signer carries nameConstraints covering the
 * host of its AE-ID URI. */
int pki_check_ae_constraints(STACK_OF(X509) *path, const char *ae_uri, struct m2m_error *err);
/* The host of a "scheme://host[:port][/...]" URI into buf; -1 when there is none. */
int pki_uri_host(const char *uri, char *buf, size_t size);

/* ---- write.c ---- */
/* Writes data to path with mode: temp file in the same directory, fsync, rename. */
int pki_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                     struct m2m_error *err);

/* ---- issue_ext.c ---- */
int pki_add_san(X509 *x, const struct m2m_cert_spec *spec, struct m2m_error *err);
int pki_add_name_constraints(X509 *x, const struct m2m_cert_spec *spec, struct m2m_error *err);

#endif
