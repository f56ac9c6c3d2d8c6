/* The PEM/DER loaders of m2msec/pki.h (keys, certificates, CRLs) and the subjectAltName
 * reader m2m_cert_identities. The loaders take a path, so the input is written to an
 * anonymous memory file and read back through /proc/self/fd. The first byte selects the
 * loader. A loaded certificate must re-encode to DER that decodes to an equal certificate. */
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/x509.h>

#include <m2msec/pki.h>

#include "fuzz.h"

/* A path naming a memory file that holds the input; fd is closed by the caller. */
static int memfile(const uint8_t *data, size_t size, char *path, size_t pathsz)
{
    int fd = memfd_create("m2m-fuzz", MFD_CLOEXEC);
    size_t off = 0;

    FUZZ_CHECK(fd >= 0);
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        FUZZ_CHECK(w > 0);
        off += (size_t)w;
    }
    snprintf(path, pathsz, "/proc/self/fd/%d", fd);
    return fd;
}

static void load_key(const char *path)
{
    EVP_PKEY *k = m2m_pki_load_key(path, NULL);

    EVP_PKEY_free(k);
}

static void identities(X509 *cert)
{
    for (int f = M2M_FLAVOUR_DEVICE; f < M2M_FLAVOUR__COUNT; f++) {
        char **ids = NULL;
        int n = m2m_cert_identities(cert, (enum m2m_flavour)f, &ids, NULL);

        for (int i = 0; i < n; i++) {
            FUZZ_CHECK(ids[i] != NULL && strchr(ids[i], '*') == NULL);
            free(ids[i]);
        }
        free(ids);
    }
}

static void reencode(X509 *cert)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    int len = i2d_X509(cert, &der);
    X509 *again;

    FUZZ_CHECK(len > 0);
    p = der;
    again = d2i_X509(NULL, &p, len);
    FUZZ_CHECK(again != NULL && p == der + len && X509_cmp(cert, again) == 0);
    X509_free(again);
    OPENSSL_free(der);
}

static void load_certs(const char *path)
{
    STACK_OF(X509) *certs = m2m_pki_load_certs(path, NULL);

    if (certs == NULL)
        return;
    FUZZ_CHECK(sk_X509_num(certs) > 0);
    for (int i = 0; i < sk_X509_num(certs); i++) {
        reencode(sk_X509_value(certs, i));
        identities(sk_X509_value(certs, i));
    }
    sk_X509_pop_free(certs, X509_free);
}

static void load_crl(const char *path)
{
    X509_CRL_free(m2m_pki_load_crl(path, NULL));
}

typedef void (*target_fn)(const char *path);

static const target_fn targets[] = {load_key, load_certs, load_crl};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd;

    if (size < 1)
        return 0;
    fd = memfile(data + 1, size - 1, path, sizeof(path));
    targets[data[0] % (sizeof(targets) / sizeof(targets[0]))](path);
    close(fd);
    return 0;
}
