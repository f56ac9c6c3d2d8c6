/* The single table of error codes, their categories, names and messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include <m2msec/error.h>

#include "core/safety.h"

struct errdef {
    enum m2m_errcat cat;
    const char *name;
    const char *text;
};

static const struct errdef errtab[M2M_E__COUNT] = {
    [M2M_OK] = {M2M_CAT_OK, "ok", "success"},
    [M2M_E_INVALID_ARG] = {M2M_CAT_USAGE, "invalid-argument", "invalid argument"},
    [M2M_E_BUFFER_TOO_SMALL] = {M2M_CAT_USAGE, "buffer-too-small", "output buffer too small"},
    [M2M_E_HEX] = {M2M_CAT_USAGE, "bad-hex", "malformed hex"},
    [M2M_E_BASE64] = {M2M_CAT_USAGE, "bad-base64", "malformed base64"},
    [M2M_E_UTF8] = {M2M_CAT_USAGE, "bad-utf8", "invalid UTF-8"},
    [M2M_E_ID_SYNTAX] = {M2M_CAT_USAGE, "bad-id", "malformed oneM2M identifier"},
    [M2M_E_FQDN_SYNTAX] = {M2M_CAT_USAGE, "bad-fqdn", "malformed FQDN"},
    [M2M_E_KEYID_SYNTAX] = {M2M_CAT_USAGE, "bad-keyid", "malformed key identifier"},
    [M2M_E_CREDID_SYNTAX] = {M2M_CAT_USAGE, "bad-credential-id", "malformed Credential-ID"},
    [M2M_E_SUID] = {M2M_CAT_USAGE, "bad-suid", "invalid Security Usage Identifier"},
    [M2M_E_IO] = {M2M_CAT_IO, "io", "I/O error"},
    [M2M_E_FILE_MODE] = {M2M_CAT_IO, "file-mode", "file permissions too open"},
    [M2M_E_CRYPTO] = {M2M_CAT_CRYPTO, "crypto", "cryptographic operation failed"},
    [M2M_E_UNWRAP] = {M2M_CAT_CRYPTO, "unwrap", "key unwrap failed integrity check"},
    [M2M_E_SEAL_OPEN] = {M2M_CAT_CRYPTO, "seal-open", "sealed secret failed to open"},
    [M2M_E_RANDOM] = {M2M_CAT_CRYPTO, "random", "random generator failed"},
    [M2M_E_PEM] = {M2M_CAT_USAGE, "bad-pem", "no valid PEM or DER object"},
    [M2M_E_KEY_LOAD] = {M2M_CAT_USAGE, "key-load", "cannot load private key"},
    [M2M_E_CERT_LOAD] = {M2M_CAT_USAGE, "cert-load", "cannot load certificate"},
    [M2M_E_CRL_LOAD] = {M2M_CAT_USAGE, "crl-load", "cannot load CRL"},
    [M2M_E_KEY_MISMATCH] = {M2M_CAT_USAGE, "key-mismatch",
                            "private key does not match certificate"},
    [M2M_E_CERT_NAME] = {M2M_CAT_VERIFY, "cert-name",
                         "certificate does not carry the expected identity"},
    [M2M_E_CERT_WILDCARD] = {M2M_CAT_VERIFY, "cert-wildcard", "wildcard names are not allowed"},
    [M2M_E_CERT_UNTRUSTED] = {M2M_CAT_VERIFY, "cert-untrusted",
                              "certificate does not chain to a configured trust anchor"},
    [M2M_E_CERT_EXPIRED] = {M2M_CAT_VERIFY, "cert-expired", "certificate has expired"},
    [M2M_E_CERT_NOT_YET_VALID] = {M2M_CAT_VERIFY, "cert-not-yet-valid",
                                  "certificate is not yet valid"},
    [M2M_E_CERT_REVOKED] = {M2M_CAT_VERIFY, "cert-revoked", "certificate is revoked"},
    [M2M_E_CERT_CRL] = {M2M_CAT_VERIFY, "cert-crl", "CRL check failed"},
    [M2M_E_CERT_NOT_CA] = {M2M_CAT_VERIFY, "cert-not-ca", "issuer is not a CA"},
    [M2M_E_CERT_PATHLEN] = {M2M_CAT_VERIFY, "cert-pathlen", "path length constraint exceeded"},
    [M2M_E_CERT_NAME_CONSTRAINTS] = {M2M_CAT_VERIFY, "cert-name-constraints",
                                     "name constraints violated"},
    [M2M_E_CERT_PROFILE_KEY] = {M2M_CAT_VERIFY, "cert-profile-key", "key is not ECDSA P-256"},
    [M2M_E_CERT_PROFILE_SIG] = {M2M_CAT_VERIFY, "cert-profile-sig",
                                "signature is not ECDSA with SHA-256"},
    [M2M_E_CERT_PROFILE_KU] = {M2M_CAT_VERIFY, "cert-profile-keyusage",
                               "keyUsage lacks digitalSignature"},
    [M2M_E_CERT_CHAIN] = {M2M_CAT_VERIFY, "cert-chain", "certificate path validation failed"},
    [M2M_E_TLS] = {M2M_CAT_PROTOCOL, "tls", "TLS error"},
    [M2M_E_TLS_HANDSHAKE] = {M2M_CAT_PROTOCOL, "tls-handshake", "TLS handshake failed"},
    [M2M_E_TLS_PSK_UNKNOWN] = {M2M_CAT_VERIFY, "psk-unknown", "unknown PSK identity"},
    [M2M_E_TLS_EXPORT] = {M2M_CAT_CRYPTO, "tls-export", "keying material export failed"},
    [M2M_E_TLS_WANT_IO] = {M2M_CAT_OK, "want-io", "operation would block"},
    [M2M_E_TIMEOUT] = {M2M_CAT_IO, "timeout", "timed out"},
    [M2M_E_BAD_MESSAGE] = {M2M_CAT_PROTOCOL, "bad-message", "malformed message"},
    [M2M_E_TOO_LARGE] = {M2M_CAT_PROTOCOL, "too-large", "message too large"},
    [M2M_E_STORE] = {M2M_CAT_IO, "store", "store error"},
    [M2M_E_STORE_NOT_FOUND] = {M2M_CAT_USAGE, "store-not-found", "no such record"},
    [M2M_E_STORE_EXISTS] = {M2M_CAT_USAGE, "store-exists", "record already exists"},
    [M2M_E_STORE_EXPIRED] = {M2M_CAT_VERIFY, "store-expired", "key has expired"},
    [M2M_E_STORE_REVOKED] = {M2M_CAT_VERIFY, "store-revoked", "key has been revoked"},
    [M2M_E_NOMEM] = {M2M_CAT_NOMEM, "nomem", "out of memory"},
    [M2M_E_INTERNAL] = {M2M_CAT_INTERNAL, "internal", "internal error"},
};

static const struct errdef *lookup(enum m2m_errcode code)
{
    if ((unsigned)code >= M2M_E__COUNT || errtab[code].name == NULL)
        return &errtab[M2M_E_INTERNAL];
    return &errtab[code];
}

void m2m_error_clear(struct m2m_error *err)
{
    if (err == NULL)
        return;
    err->code = M2M_OK;
    err->saved_errno = 0;
    err->msg[0] = '\0';
}

static void vset(struct m2m_error *err, enum m2m_errcode code, const char *suffix, const char *fmt,
                 va_list ap)
{
    char detail[M2M_ERROR_MSG_MAX];

    err->code = code;
    vsnprintf(detail, sizeof(detail), fmt, ap);
    if (detail[0] == '\0')
        snprintf(err->msg, sizeof(err->msg), "%s%s", lookup(code)->text, suffix);
    else
        snprintf(err->msg, sizeof(err->msg), "%s: %s%s", lookup(code)->text, detail, suffix);
}

int m2m_error_set(struct m2m_error *err, enum m2m_errcode code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    err->saved_errno = 0;
    va_start(ap, fmt);
    vset(err, code, "", fmt, ap);
    va_end(ap);
    return -1;
}

int m2m_error_set_errno(struct m2m_error *err, enum m2m_errcode code, const char *fmt, ...)
{
    char suffix[128];
    int saved = errno;
    va_list ap;

    if (err == NULL)
        return -1;
    snprintf(suffix, sizeof(suffix), " (%s)", strerror(saved));
    va_start(ap, fmt);
    vset(err, code, suffix, fmt, ap);
    va_end(ap);
    err->saved_errno = saved;
    return -1;
}

int m2m_error_set_ossl(struct m2m_error *err, enum m2m_errcode code, const char *fmt, ...)
{
    char suffix[160] = "";
    unsigned long e = ERR_peek_last_error();
    va_list ap;

    if (e != 0) {
        const char *reason = ERR_reason_error_string(e);
        snprintf(suffix, sizeof(suffix), " (%s)", reason ? reason : "openssl error");
    }
    ERR_clear_error();
    if (err == NULL)
        return -1;
    err->saved_errno = 0;
    va_start(ap, fmt);
    vset(err, code, suffix, fmt, ap);
    va_end(ap);
    return -1;
}

enum m2m_errcat m2m_errcode_category(enum m2m_errcode code)
{
    return lookup(code)->cat;
}

enum m2m_errcat m2m_error_category(const struct m2m_error *err)
{
    return err == NULL ? M2M_CAT_INTERNAL : lookup(err->code)->cat;
}

const char *m2m_errcode_name(enum m2m_errcode code)
{
    return lookup(code)->name;
}

const char *m2m_errcode_text(enum m2m_errcode code)
{
    return lookup(code)->text;
}
