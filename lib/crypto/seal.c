/* Secrets at rest: AES-256-GCM under a key-encryption key, the record's key id as AAD
 * (DESIGN.md section 3), and the KEK file loader that refuses loose permissions. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>

#include "core/safety.h"

#define SEAL_VERSION 0x01
#define NONCE_LEN    12
#define TAG_LEN      16

int m2m_random(void *buf, size_t len, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE(len <= 0x7fffffff, M2M_E_INVALID_ARG, "random request too large");
    M2M_ENSURE_OSSL(RAND_bytes(buf, (int)len) == 1, M2M_E_RANDOM, "%zu bytes", len);
    rc = 0;
out:
    return rc;
}

static int gcm_init(EVP_CIPHER_CTX **ctx, const struct m2m_secret *kek, const unsigned char *nonce,
                    int enc, const char *key_id, struct m2m_error *err)
{
    int n = 0;
    int rc = -1;

    M2M_ENSURE(m2m_secret_len(kek) == 32, M2M_E_INVALID_ARG, "KEK must be 32 bytes");
    M2M_ENSURE(strlen(key_id) <= 0x7fffffff, M2M_E_INVALID_ARG, "key id too long");
    *ctx = EVP_CIPHER_CTX_new();
    M2M_ENSURE(*ctx != NULL, M2M_E_NOMEM, "cipher context");
    M2M_ENSURE_OSSL(
        EVP_CipherInit_ex(*ctx, EVP_aes_256_gcm(), NULL, m2m_secret_cdata(kek), nonce, enc) == 1,
        M2M_E_CRYPTO, "GCM init");
    M2M_ENSURE_OSSL(
        EVP_CipherUpdate(*ctx, NULL, &n, (const unsigned char *)key_id, (int)strlen(key_id)) == 1,
        M2M_E_CRYPTO, "GCM AAD");
    rc = 0;
out:
    return rc;
}

int m2m_seal(const struct m2m_secret *kek, const char *key_id, const struct m2m_secret *plain,
             unsigned char *out, size_t outcap, size_t *out_len, struct m2m_error *err)
{
    EVP_CIPHER_CTX *ctx = NULL;
    size_t plen;
    int n = 0, fin = 0;
    int rc = -1;

    M2M_ENSURE_ARG(kek != NULL && key_id != NULL && plain != NULL && out != NULL &&
                   out_len != NULL);
    plen = m2m_secret_len(plain);
    M2M_ENSURE(plen <= 0x7fff0000, M2M_E_INVALID_ARG, "secret too long");
    M2M_ENSURE(outcap >= plen + M2M_SEAL_OVERHEAD, M2M_E_BUFFER_TOO_SMALL, "seal needs %zu",
               plen + M2M_SEAL_OVERHEAD);
    out[0] = SEAL_VERSION;
    M2M_GUARD(m2m_random(out + 1, NONCE_LEN, err)); /* random 96-bit nonce per record */
    M2M_GUARD(gcm_init(&ctx, kek, out + 1, 1, key_id, err));
    M2M_ENSURE_OSSL(
        EVP_CipherUpdate(ctx, out + 1 + NONCE_LEN, &n, m2m_secret_cdata(plain), (int)plen) == 1 &&
            EVP_CipherFinal_ex(ctx, out + 1 + NONCE_LEN + n, &fin) == 1,
        M2M_E_CRYPTO, "GCM encrypt");
    M2M_ENSURE_OSSL(
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + 1 + NONCE_LEN + plen) == 1,
        M2M_E_CRYPTO, "GCM tag");
    *out_len = plen + M2M_SEAL_OVERHEAD;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

struct m2m_secret *m2m_open(const struct m2m_secret *kek, const char *key_id,
                            const unsigned char *sealed, size_t sealed_len, struct m2m_error *err)
{
    EVP_CIPHER_CTX *ctx = NULL;
    struct m2m_secret *plain = NULL, *res = NULL;
    size_t clen;
    int n = 0, fin = 0;

    if (kek == NULL || key_id == NULL || sealed == NULL || sealed_len < M2M_SEAL_OVERHEAD ||
        sealed[0] != SEAL_VERSION) {
        m2m_error_set(err, M2M_E_SEAL_OPEN, "not a sealed record");
        return NULL;
    }
    clen = sealed_len - M2M_SEAL_OVERHEAD;
    if ((plain = m2m_secret_new(clen + 16, err)) == NULL)
        return NULL;
    if (gcm_init(&ctx, kek, sealed + 1, 0, key_id, err) != 0)
        goto out;
    if (EVP_CipherUpdate(ctx, m2m_secret_data(plain), &n, sealed + 1 + NONCE_LEN, (int)clen) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                            (void *)(sealed + sealed_len - TAG_LEN)) != 1 ||
        EVP_CipherFinal_ex(ctx, m2m_secret_data(plain) + n, &fin) != 1) {
        /* Wrong KEK, a record moved to another id, or tampering: all look the same. */
        m2m_error_set_ossl(err, M2M_E_SEAL_OPEN, "record for '%s' does not authenticate", key_id);
        goto out;
    }
    res = m2m_secret_from(m2m_secret_cdata(plain), (size_t)n + (size_t)fin, err);
out:
    EVP_CIPHER_CTX_free(ctx);
    m2m_secret_free(plain);
    return res;
}

static int check_kek_file(int fd, const char *path, struct m2m_error *err)
{
    struct stat st;
    int rc = -1;

    if (fstat(fd, &st) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "stat %s", path);
        goto out;
    }
    M2M_ENSURE(S_ISREG(st.st_mode), M2M_E_FILE_MODE, "%s is not a regular file", path);
    M2M_ENSURE((st.st_mode & (S_IRWXG | S_IRWXO)) == 0, M2M_E_FILE_MODE,
               "%s is accessible by group or others (mode %03o); chmod 600 it", path,
               (unsigned)(st.st_mode & 0777));
    rc = 0;
out:
    return rc;
}

struct m2m_secret *m2m_kek_load(const char *path, struct m2m_error *err)
{
    unsigned char buf[130];
    struct m2m_secret *kek = NULL;
    ssize_t n = 0;
    int fd = -1;

    if (path == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "NULL KEK path");
        return NULL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        m2m_error_set_errno(err, M2M_E_IO, "open %s", path);
        return NULL;
    }
    if (check_kek_file(fd, path, err) != 0)
        goto out;
    do
        n = read(fd, buf, sizeof(buf) - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        m2m_error_set_errno(err, M2M_E_IO, "read %s", path);
        goto out;
    }
    if (n == 32) {
        kek = m2m_secret_from(buf, 32, err);
        goto out;
    }
    /* 64 hex digits, optionally followed by one newline. */
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    if (n != 64) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "%s must hold 32 raw bytes or 64 hex digits", path);
        goto out;
    }
    kek = m2m_secret_from_hex((const char *)buf, err);
out:
    m2m_wipe(buf, sizeof(buf));
    close(fd);
    return kek;
}
