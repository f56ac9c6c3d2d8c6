/* Secret buffers: the only place key bytes live; wiped before their memory is freed. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <m2msec/encoding.h>
#include <m2msec/secret.h>

#include "core/safety.h"

struct m2m_secret {
    size_t len;
    unsigned char *data;
};

void m2m_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

int m2m_ct_memcmp(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len);
}

struct m2m_secret *m2m_secret_new(size_t len, struct m2m_error *err)
{
    struct m2m_secret *s = calloc(1, sizeof(*s));

    if (s == NULL)
        goto nomem;
    /* One extra byte so a zero-length secret still has a valid pointer. */
    s->data = calloc(1, len + 1);
    if (s->data == NULL)
        goto nomem;
    s->len = len;
    return s;
nomem:
    free(s);
    m2m_error_set(err, M2M_E_NOMEM, "secret of %zu bytes", len);
    return NULL;
}

struct m2m_secret *m2m_secret_from(const void *data, size_t len, struct m2m_error *err)
{
    struct m2m_secret *s;

    if (data == NULL && len > 0) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "NULL secret data");
        return NULL;
    }
    s = m2m_secret_new(len, err);
    if (s != NULL && len > 0)
        memcpy(s->data, data, len);
    return s;
}

struct m2m_secret *m2m_secret_from_hex(const char *hex, struct m2m_error *err)
{
    struct m2m_secret *s;
    size_t n;

    if (hex == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "NULL hex");
        return NULL;
    }
    s = m2m_secret_new(strlen(hex) / 2, err);
    if (s == NULL)
        return NULL;
    if (m2m_hex_decode(hex, s->data, s->len, &n, err) != 0) {
        m2m_secret_free(s);
        return NULL;
    }
    return s;
}

void m2m_secret_free(struct m2m_secret *s)
{
    if (s == NULL)
        return;
    m2m_wipe(s->data, s->len + 1);
    free(s->data);
    free(s);
}

unsigned char *m2m_secret_data(struct m2m_secret *s)
{
    return s->data;
}

const unsigned char *m2m_secret_cdata(const struct m2m_secret *s)
{
    return s->data;
}

size_t m2m_secret_len(const struct m2m_secret *s)
{
    return s->len;
}

int m2m_secret_equal(const struct m2m_secret *a, const struct m2m_secret *b)
{
    if (a == NULL || b == NULL || a->len != b->len)
        return 0;
    return CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}
