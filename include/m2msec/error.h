/* Errors: a code from one table, a category callers branch on, a message. */
#ifndef M2MSEC_ERROR_H
#define M2MSEC_ERROR_H

#include <m2msec/common.h>

/* Categories a caller can branch on (s2n_error_get_type style). */
enum m2m_errcat {
    M2M_CAT_OK = 0,
    M2M_CAT_USAGE,    /* the caller passed bad input (malformed id, hex, argument) */
    M2M_CAT_IO,       /* a file or socket failed; saved_errno holds errno */
    M2M_CAT_CRYPTO,   /* a cryptographic operation failed or did not verify */
    M2M_CAT_VERIFY,   /* a peer certificate or identity was rejected */
    M2M_CAT_PROTOCOL, /* a peer broke the protocol (TLS, messages) */
    M2M_CAT_NOMEM,
    M2M_CAT_INTERNAL,
};

/* Every error the library reports. Messages live in lib/core/errors.c. */
enum m2m_errcode {
    M2M_OK = 0,
    /* usage */
    M2M_E_INVALID_ARG,
    M2M_E_BUFFER_TOO_SMALL,
    M2M_E_HEX,
    M2M_E_BASE64,
    M2M_E_UTF8,
    M2M_E_ID_SYNTAX,
    M2M_E_FQDN_SYNTAX,
    M2M_E_KEYID_SYNTAX,
    M2M_E_CREDID_SYNTAX,
    M2M_E_SUID,
    /* io */
    M2M_E_IO,
    M2M_E_FILE_MODE,
    /* crypto */
    M2M_E_CRYPTO,
    M2M_E_UNWRAP,
    M2M_E_SEAL_OPEN,
    M2M_E_RANDOM,
    /* pki loading */
    M2M_E_PEM,
    M2M_E_KEY_LOAD,
    M2M_E_CERT_LOAD,
    M2M_E_CRL_LOAD,
    M2M_E_KEY_MISMATCH,
    /* verification, one code per check so callers and tests can tell them apart */
    M2M_E_CERT_NAME,      /* configured identity not equal to any SAN entry of the flavour */
    M2M_E_CERT_WILDCARD,  /* a wildcard name was offered or configured */
    M2M_E_CERT_UNTRUSTED, /* no path to a configured anchor */
    M2M_E_CERT_EXPIRED,
    M2M_E_CERT_NOT_YET_VALID,
    M2M_E_CERT_REVOKED,
    M2M_E_CERT_CRL,    /* CRL missing, expired or unverifiable */
    M2M_E_CERT_NOT_CA, /* an issuer lacks basicConstraints CA:TRUE */
    M2M_E_CERT_PATHLEN,
    M2M_E_CERT_NAME_CONSTRAINTS,
    M2M_E_CERT_PROFILE_KEY, /* key is not ECDSA P-256 */
    M2M_E_CERT_PROFILE_SIG, /* signature is not ECDSA with SHA-256 */
    M2M_E_CERT_PROFILE_KU,  /* keyUsage lacks digitalSignature */
    M2M_E_CERT_CHAIN,       /* any other RFC 5280 path failure */
    /* tls */
    M2M_E_TLS,
    M2M_E_TLS_HANDSHAKE,
    M2M_E_TLS_PSK_UNKNOWN,
    M2M_E_TLS_EXPORT,
    M2M_E_TLS_WANT_IO, /* not an error: the non-blocking operation must be retried */
    M2M_E_TIMEOUT,
    /* messages */
    M2M_E_BAD_MESSAGE, /* malformed JSON, wrong member types, out-of-range values */
    M2M_E_TOO_LARGE,   /* a body or field over its limit */
    /* store */
    M2M_E_STORE,           /* the database failed (I/O, corruption, busy, schema) */
    M2M_E_STORE_NOT_FOUND, /* no record with that id */
    M2M_E_STORE_EXISTS,    /* a record with that id (or unique key) already exists */
    M2M_E_STORE_EXPIRED,   /* the key exists but its lifetime is over */
    M2M_E_STORE_REVOKED,   /* the key exists but was revoked */
    /* generic */
    M2M_E_NOMEM,
    M2M_E_INTERNAL,
    M2M_E__COUNT
};

#define M2M_ERROR_MSG_MAX 256

struct m2m_error {
    enum m2m_errcode code;
    int saved_errno;
    char msg[M2M_ERROR_MSG_MAX];
};

/* Clears an error object to the success state. */
M2M_API void m2m_error_clear(struct m2m_error *err);

/* Records code and a formatted detail; the message reads "<table text>: <detail>".
 * err may be NULL, for callers that only want the return value. Always returns -1. */
M2M_API int m2m_error_set(struct m2m_error *err, enum m2m_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As m2m_error_set, also saving errno (category IO) and appending strerror. */
M2M_API int m2m_error_set_errno(struct m2m_error *err, enum m2m_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As m2m_error_set, appending the newest OpenSSL error queue entry and clearing the queue. */
M2M_API int m2m_error_set_ossl(struct m2m_error *err, enum m2m_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

M2M_API enum m2m_errcat m2m_error_category(const struct m2m_error *err);
M2M_API enum m2m_errcat m2m_errcode_category(enum m2m_errcode code);
/* Short stable name of a code ("cert-expired"), for logs, JSON and tests. */
M2M_API const char *m2m_errcode_name(enum m2m_errcode code);
/* The table's text for a code. */
M2M_API const char *m2m_errcode_text(enum m2m_errcode code);

#endif
