/* Packing of DTLS handshake records into datagrams (RFC 6347 4.1.1 lets one datagram carry
 * several records). libssl packs a flight the first time it sends it, but OpenSSL 3.0
 * retransmits a flight one message per datagram; over a path that loses a quarter of its
 * datagrams a five-message flight then arrives whole one time in four, against three in four
 * when it is one datagram. This filter sits between the SSL and its datagram BIO: while the
 * handshake runs it collects what libssl writes and sends it, as few datagrams as fit the
 * link MTU, when libssl next reads (it always reads after sending a flight) or when the
 * association layer flushes it explicitly. After the handshake every flush sends at once.
 * The filter only regroups whole writes, each a whole record, so records are never split. */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>

#include "assoc/assoc_internal.h"
#include "core/safety.h"

/* IPv6 minimum link MTU less IPv6 and UDP headers: what one datagram may carry. */
#define PACK_MAX (1280 - 40 - 8)

struct pack {
    SSL *ssl;
    size_t len;
    unsigned char buf[PACK_MAX];
};

/* Set once per process by CRYPTO_THREAD_run_once, then only read: an immutable method table,
 * like libssl's own. */
static BIO_METHOD *pack_method;
static int pack_type;
static CRYPTO_ONCE pack_once = CRYPTO_ONCE_STATIC_INIT;

static void pack_send(BIO *b, struct pack *p)
{
    if (p->len > 0 && BIO_next(b) != NULL)
        /* A datagram the kernel refuses is a lost datagram; the DTLS timer resends it. */
        (void)BIO_write(BIO_next(b), p->buf, (int)p->len);
    p->len = 0;
}

static int pack_write(BIO *b, const char *in, int inl)
{
    struct pack *p = BIO_get_data(b);

    BIO_clear_retry_flags(b);
    if (p == NULL || inl <= 0)
        return inl <= 0 ? 0 : -1;
    if (p->len + (size_t)inl > sizeof(p->buf))
        pack_send(b, p);
    if ((size_t)inl > sizeof(p->buf))
        return BIO_write(BIO_next(b), in, inl) > 0 ? inl : -1;
    memcpy(p->buf + p->len, in, (size_t)inl);
    p->len += (size_t)inl;
    if (!SSL_in_init(p->ssl))
        pack_send(b, p);
    return inl;
}

static int pack_read(BIO *b, char *out, int outl)
{
    struct pack *p = BIO_get_data(b);
    int n;

    if (p != NULL)
        pack_send(b, p); /* libssl reads once a flight is out: send it first */
    if (BIO_next(b) == NULL)
        return -1;
    n = BIO_read(BIO_next(b), out, outl);
    BIO_clear_retry_flags(b);
    BIO_copy_next_retry(b);
    return n;
}

static long pack_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct pack *p = BIO_get_data(b);

    switch (cmd) {
    case BIO_CTRL_FLUSH:
        /* During the handshake libssl flushes after every retransmitted message; keep
         * collecting until it reads. */
        if (p != NULL && !SSL_in_init(p->ssl))
            pack_send(b, p);
        return BIO_next(b) != NULL ? BIO_ctrl(BIO_next(b), cmd, num, ptr) : 1;
    case BIO_CTRL_WPENDING:
        /* libssl sizes the next fragment to fit what is left of this datagram. */
        return (long)(p != NULL ? p->len : 0);
    default:
        return BIO_next(b) != NULL ? BIO_ctrl(BIO_next(b), cmd, num, ptr) : 0;
    }
}

static int pack_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int pack_destroy(BIO *b)
{
    struct pack *p = BIO_get_data(b);

    OPENSSL_free(p);
    BIO_set_data(b, NULL);
    return 1;
}

static void pack_method_init(void)
{
    int type = BIO_get_new_index() | BIO_TYPE_FILTER;
    BIO_METHOD *m = BIO_meth_new(type, "m2msec DTLS packing");

    if (m != NULL && BIO_meth_set_write(m, pack_write) && BIO_meth_set_read(m, pack_read) &&
        BIO_meth_set_ctrl(m, pack_ctrl) && BIO_meth_set_create(m, pack_create) &&
        BIO_meth_set_destroy(m, pack_destroy)) {
        pack_method = m;
        pack_type = type;
    } else {
        BIO_meth_free(m);
    }
}

int assoc_dtls_pack(SSL *ssl, BIO *dgram, struct m2m_error *err)
{
    int rc = -1;
    BIO *b = NULL;
    struct pack *p = NULL;

    M2M_ENSURE(CRYPTO_THREAD_run_once(&pack_once, pack_method_init) && pack_method != NULL,
               M2M_E_NOMEM, "DTLS packing BIO method");
    b = BIO_new(pack_method);
    p = OPENSSL_zalloc(sizeof(*p));
    M2M_ENSURE(b != NULL && p != NULL, M2M_E_NOMEM, "DTLS packing BIO");
    p->ssl = ssl;
    BIO_set_data(b, p);
    p = NULL;
    BIO_push(b, dgram); /* b takes over the caller's reference to dgram */
    SSL_set_bio(ssl, b, b);
    b = NULL;
    rc = 0;
out:
    OPENSSL_free(p);
    BIO_free(b);
    return rc;
}

void assoc_dtls_flush(SSL *ssl)
{
    BIO *b = ssl != NULL ? SSL_get_wbio(ssl) : NULL;
    struct pack *p;

    if (b == NULL || !CRYPTO_THREAD_run_once(&pack_once, pack_method_init) || pack_method == NULL ||
        BIO_method_type(b) != pack_type)
        return;
    if ((p = BIO_get_data(b)) != NULL)
        pack_send(b, p);
}
