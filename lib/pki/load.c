/* Loading keys, certificates and CRLs from PEM or DER files. The format is detected from
 * the content; empty, garbage and truncated input each get a clear error. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

/* Keys, certificates and CRL files are small; anything larger is not one of them. */
#define PKI_FILE_MAX (16u * 1024u * 1024u)

int pki_read_file(const char *path, unsigned char **data, size_t *len, struct m2m_error *err)
{
    int rc = -1;
    unsigned char *buf = NULL;
    size_t n = 0;
    struct stat st;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        m2m_error_set_errno(err, M2M_E_IO, "%s", path);
        goto out;
    }
    if (fstat(fileno(f), &st) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "%s", path);
        goto out;
    }
    M2M_ENSURE(!S_ISDIR(st.st_mode), M2M_E_IO, "%s: is a directory", path);
    M2M_ENSURE(st.st_size <= (off_t)PKI_FILE_MAX, M2M_E_PEM, "%s: file too large", path);
    buf = OPENSSL_malloc((size_t)st.st_size + 1);
    M2M_ENSURE(buf != NULL, M2M_E_NOMEM, "%s", path);
    n = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f)) {
        m2m_error_set_errno(err, M2M_E_IO, "%s", path);
        goto out;
    }
    M2M_ENSURE(n > 0, M2M_E_PEM, "%s: empty file", path);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    OPENSSL_free(buf);
    if (f != NULL)
        fclose(f);
    return rc;
}

static int is_pem(const unsigned char *d, size_t len)
{
    static const char marker[] = "-----BEGIN ";
    size_t m = sizeof(marker) - 1;

    for (size_t i = 0; i + m <= len; i++)
        if (memcmp(d + i, marker, m) == 0)
            return 1;
    return 0;
}

/* PEM block names each kind accepts. */
static int pem_name_is(enum pki_kind kind, const char *name)
{
    switch (kind) {
    case PKI_KIND_KEY:
        return strcmp(name, "PRIVATE KEY") == 0 || strcmp(name, "EC PRIVATE KEY") == 0 ||
               strcmp(name, "RSA PRIVATE KEY") == 0;
    case PKI_KIND_CERT:
        return strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
    case PKI_KIND_CRL:
        return strcmp(name, "X509 CRL") == 0;
    }
    return 0;
}

static const char *kind_text(enum pki_kind kind)
{
    return kind == PKI_KIND_KEY ? "private key" : kind == PKI_KIND_CERT ? "certificate" : "CRL";
}

static enum m2m_errcode kind_error(enum pki_kind kind)
{
    return kind == PKI_KIND_KEY    ? M2M_E_KEY_LOAD
           : kind == PKI_KIND_CERT ? M2M_E_CERT_LOAD
                                   : M2M_E_CRL_LOAD;
}

/* Decodes one DER object of kind, which must use all of der; NULL when it does not parse. */
static void *decode_der(enum pki_kind kind, const unsigned char *der, long len)
{
    const unsigned char *p = der;
    void *obj = NULL;

    if (kind == PKI_KIND_KEY)
        obj = d2i_AutoPrivateKey(NULL, &p, len);
    else if (kind == PKI_KIND_CERT)
        obj = d2i_X509(NULL, &p, len);
    else
        obj = d2i_X509_CRL(NULL, &p, len);
    if (obj != NULL && p != der + len) {
        if (kind == PKI_KIND_KEY)
            EVP_PKEY_free(obj);
        else if (kind == PKI_KIND_CERT)
            X509_free(obj);
        else
            X509_CRL_free(obj);
        obj = NULL;
    }
    return obj;
}

typedef int (*collect_fn)(void *acc, void *obj);

/* Walks every PEM block: blocks of kind are decoded and handed to collect; other blocks
 * (e.g. a key beside a certificate) are skipped. A block cut short is an error. */
static int load_pem(const char *path, const unsigned char *d, size_t len, enum pki_kind kind,
                    collect_fn collect, void *acc, struct m2m_error *err)
{
    int rc = -1, found = 0, blocks = 0;
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    BIO *bio = BIO_new_mem_buf(d, (int)len);

    M2M_ENSURE_OSSL(bio != NULL, M2M_E_NOMEM, "%s", path);
    for (;;) {
        ERR_set_mark();
        if (!PEM_read_bio(bio, &name, &header, &der, &der_len)) {
            int reason = ERR_GET_REASON(ERR_peek_last_error());

            ERR_pop_to_mark();
            /* No further BEGIN line after complete blocks is the normal end. */
            M2M_ENSURE(reason == PEM_R_NO_START_LINE && blocks > 0, M2M_E_PEM,
                       "%s: truncated or malformed PEM", path);
            break;
        }
        ERR_clear_last_mark();
        blocks++;
        M2M_ENSURE(kind != PKI_KIND_KEY || strcmp(name, "ENCRYPTED PRIVATE KEY") != 0,
                   M2M_E_KEY_LOAD, "%s: encrypted private keys are not supported", path);
        if (pem_name_is(kind, name)) {
            void *obj = decode_der(kind, der, der_len);

            M2M_ENSURE_OSSL(obj != NULL, kind_error(kind), "%s: malformed %s in PEM block", path,
                            kind_text(kind));
            M2M_ENSURE(collect(acc, obj) == 0, M2M_E_NOMEM, "%s", path);
            found++;
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        name = header = NULL;
        der = NULL;
    }
    /* Well-formed PEM of other kinds only (e.g. a certificate given as the key). */
    M2M_ENSURE(found > 0, kind_error(kind), "%s: no %s found", path, kind_text(kind));
    rc = 0;
out:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    BIO_free(bio);
    return rc;
}

/* Reads path and hands each object of kind to collect (PEM: every block; DER: one). */
static int load_objects(const char *path, enum pki_kind kind, collect_fn collect, void *acc,
                        struct m2m_error *err)
{
    int rc = -1;
    unsigned char *d = NULL;
    size_t len = 0;

    M2M_ENSURE_ARG(path != NULL);
    M2M_GUARD(pki_read_file(path, &d, &len, err));
    if (is_pem(d, len)) {
        M2M_GUARD(load_pem(path, d, len, kind, collect, acc, err));
    } else {
        void *obj = NULL;

        /* DER: one SEQUENCE; anything else is neither format. */
        M2M_ENSURE(d[0] == 0x30, M2M_E_PEM, "%s: neither PEM nor DER", path);
        obj = decode_der(kind, d, (long)len);
        M2M_ENSURE_OSSL(obj != NULL, M2M_E_PEM, "%s: not a DER %s", path, kind_text(kind));
        M2M_ENSURE(collect(acc, obj) == 0, M2M_E_NOMEM, "%s", path);
    }
    rc = 0;
out:
    OPENSSL_clear_free(d, len);
    return rc;
}

static int collect_first_key(void *acc, void *obj)
{
    EVP_PKEY **slot = acc;

    if (*slot == NULL)
        *slot = obj;
    else
        EVP_PKEY_free(obj);
    return 0;
}

EVP_PKEY *m2m_pki_load_key(const char *path, struct m2m_error *err)
{
    EVP_PKEY *key = NULL;

    if (load_objects(path, PKI_KIND_KEY, collect_first_key, &key, err) != 0) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

static int collect_cert(void *acc, void *obj)
{
    if (sk_X509_push(acc, obj) <= 0) {
        X509_free(obj);
        return -1;
    }
    return 0;
}

STACK_OF(X509) *m2m_pki_load_certs(const char *path, struct m2m_error *err)
{
    STACK_OF(X509) *certs = sk_X509_new_null();

    if (certs == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "certificate list");
        return NULL;
    }
    if (load_objects(path, PKI_KIND_CERT, collect_cert, certs, err) != 0) {
        sk_X509_pop_free(certs, X509_free);
        return NULL;
    }
    return certs;
}

static int collect_crl(void *acc, void *obj)
{
    if (sk_X509_CRL_push(acc, obj) <= 0) {
        X509_CRL_free(obj);
        return -1;
    }
    return 0;
}

STACK_OF(X509_CRL) *pki_load_crls(const char *path, struct m2m_error *err)
{
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();

    if (crls == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "CRL list");
        return NULL;
    }
    if (load_objects(path, PKI_KIND_CRL, collect_crl, crls, err) != 0) {
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
        return NULL;
    }
    return crls;
}

X509_CRL *m2m_pki_load_crl(const char *path, struct m2m_error *err)
{
    X509_CRL *crl = NULL;
    STACK_OF(X509_CRL) *crls = pki_load_crls(path, err);

    if (crls != NULL)
        crl = sk_X509_CRL_shift(crls);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    return crl;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Regular, non-hidden entries of dir, sorted so loading order is reproducible. */
static int list_dir(const char *dir, char ***out, size_t *count, struct m2m_error *err)
{
    int rc = -1;
    size_t n = 0;
    char **names = NULL;
    struct dirent *de;
    DIR *d = opendir(dir);

    if (d == NULL) {
        m2m_error_set_errno(err, M2M_E_IO, "%s", dir);
        goto out;
    }
    while ((de = readdir(d)) != NULL) {
        char **grown;
        if (de->d_name[0] == '.')
            continue;
        grown = realloc(names, (n + 1) * sizeof(*names));
        M2M_ENSURE(grown != NULL, M2M_E_NOMEM, "%s", dir);
        names = grown;
        names[n] = NULL;
        M2M_ENSURE(asprintf(&names[n], "%s/%s", dir, de->d_name) >= 0, M2M_E_NOMEM, "%s", dir);
        n++;
    }
    qsort(names, n, sizeof(*names), cmp_names);
    *out = names;
    *count = n;
    names = NULL;
    rc = 0;
out:
    if (names != NULL)
        free_names(names, n);
    if (d != NULL)
        closedir(d);
    return rc;
}

int pki_for_each_file(const char *path,
                      int (*fn)(void *arg, const char *file, struct m2m_error *err), void *arg,
                      struct m2m_error *err)
{
    int rc = -1;
    char **names = NULL;
    size_t n = 0;
    struct stat st;

    if (stat(path, &st) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "%s", path);
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = fn(arg, path, err);
        goto out;
    }
    M2M_GUARD(list_dir(path, &names, &n, err));
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        M2M_GUARD(fn(arg, names[i], err));
    }
    rc = 0;
out:
    if (names != NULL)
        free_names(names, n);
    return rc;
}
