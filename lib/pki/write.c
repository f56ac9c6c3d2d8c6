/* PEM writers. Files appear atomically (temp file in the same directory, fsync, rename) so
 * a crash never leaves a half-written key; keys are 0600, certificates and CRLs 0644. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The rename is durable only once the directory entry is on disk. */
static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    int fd;

    if (copy == NULL)
        return;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

int pki_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                     struct m2m_error *err)
{
    int rc = -1, fd = -1;
    char *tmp = NULL;

    M2M_ENSURE_ARG(path != NULL && data != NULL);
    M2M_ENSURE(asprintf(&tmp, "%s.tmpXXXXXX", path) >= 0, M2M_E_NOMEM, "%s", path);
    /* mkstemp creates the file 0600, so a key is never readable by others, not even briefly. */
    fd = mkstemp(tmp);
    if (fd < 0 || fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, len) != 0 ||
        fsync(fd) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "%s", path);
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        m2m_error_set_errno(err, M2M_E_IO, "%s", path);
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "%s", path);
        goto out;
    }
    sync_dir(path);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && tmp != NULL)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* Serialises through a memory BIO, then writes the bytes atomically. */
static int write_bio_file(const char *path, BIO *bio, unsigned mode, struct m2m_error *err)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);

    if (len <= 0)
        return m2m_error_set_ossl(err, M2M_E_CRYPTO, "%s: nothing to write", path);
    return pki_write_atomic(path, data, (size_t)len, mode, err);
}

int m2m_pki_write_key(const char *path, EVP_PKEY *key, struct m2m_error *err)
{
    int rc = -1;
    BIO *bio = BIO_new(BIO_s_secmem());

    M2M_ENSURE_ARG(path != NULL && key != NULL);
    M2M_ENSURE_OSSL(bio != NULL &&
                        PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1,
                    M2M_E_CRYPTO, "%s: encoding the key", path);
    M2M_GUARD(write_bio_file(path, bio, 0600, err));
    rc = 0;
out:
    BIO_free(bio); /* secure-heap memory is wiped on free */
    return rc;
}

int m2m_pki_write_cert(const char *path, X509 *cert, struct m2m_error *err)
{
    int rc = -1;
    BIO *bio = BIO_new(BIO_s_mem());

    M2M_ENSURE_ARG(path != NULL && cert != NULL);
    M2M_ENSURE_OSSL(bio != NULL && PEM_write_bio_X509(bio, cert) == 1, M2M_E_CRYPTO,
                    "%s: encoding the certificate", path);
    M2M_GUARD(write_bio_file(path, bio, 0644, err));
    rc = 0;
out:
    BIO_free(bio);
    return rc;
}

int m2m_pki_write_crl(const char *path, X509_CRL *crl, struct m2m_error *err)
{
    int rc = -1;
    BIO *bio = BIO_new(BIO_s_mem());

    M2M_ENSURE_ARG(path != NULL && crl != NULL);
    M2M_ENSURE_OSSL(bio != NULL && PEM_write_bio_X509_CRL(bio, crl) == 1, M2M_E_CRYPTO,
                    "%s: encoding the CRL", path);
    M2M_GUARD(write_bio_file(path, bio, 0644, err));
    rc = 0;
out:
    BIO_free(bio);
    return rc;
}
