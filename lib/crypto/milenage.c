/* Milenage f1, f1*, f2, f3, f4, f5, f5* (3GPP TS 35.206 section 4), AES-128 through EVP. */
#include <string.h>

#include <openssl/evp.h>

#include <m2msec/crypto.h>

#include "core/safety.h"

/* One AES-128 block encryption: the kernel function E_K of TS 35.206. */
static int aes_block(EVP_CIPHER_CTX *ctx, const unsigned char in[16], unsigned char out[16],
                     struct m2m_error *err)
{
    int n = 0;
    int rc = -1;

    M2M_ENSURE_OSSL(EVP_EncryptUpdate(ctx, out, &n, in, 16) == 1 && n == 16, M2M_E_CRYPTO,
                    "AES block");
    rc = 0;
out:
    return rc;
}

static EVP_CIPHER_CTX *aes_ctx(const unsigned char k[16], struct m2m_error *err)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

    if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, k, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        m2m_error_set_ossl(err, M2M_E_CRYPTO, "AES-128 for Milenage");
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void xor16(unsigned char *dst, const unsigned char *a, const unsigned char *b)
{
    for (int i = 0; i < 16; i++)
        dst[i] = a[i] ^ b[i];
}

int m2m_milenage_opc(const unsigned char k[16], const unsigned char op[16], unsigned char opc[16],
                     struct m2m_error *err)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char e[16];
    int rc = -1;

    M2M_ENSURE_ARG(k != NULL && op != NULL && opc != NULL);
    M2M_GUARD_PTR(ctx = aes_ctx(k, err));
    M2M_GUARD(aes_block(ctx, op, e, err));
    xor16(opc, e, op);
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    m2m_wipe(e, sizeof(e));
    return rc;
}

/* OUTi = E_K(rot(x XOR OPc, r) XOR c) XOR OPc, with rotation r in whole bytes and the
 * constant c having the single bit c_last set in its last byte (TS 35.206 4.1). */
static int out_fn(EVP_CIPHER_CTX *ctx, const unsigned char x[16], const unsigned char opc[16],
                  int r_bytes, unsigned char c_last, unsigned char res[16], struct m2m_error *err)
{
    unsigned char t[16], rot[16];
    int rc = -1;

    xor16(t, x, opc);
    for (int i = 0; i < 16; i++)
        rot[i] = t[(i + r_bytes) % 16];
    rot[15] ^= c_last;
    M2M_GUARD(aes_block(ctx, rot, res, err));
    xor16(res, res, opc);
    rc = 0;
out:
    m2m_wipe(t, sizeof(t));
    m2m_wipe(rot, sizeof(rot));
    return rc;
}

int m2m_milenage(const unsigned char k[16], const unsigned char opc[16],
                 const unsigned char rand[16], const unsigned char sqn[6],
                 const unsigned char amf[2], struct m2m_milenage_out *o, struct m2m_error *err)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char temp[16], in1[16], x[16], outb[16];
    int rc = -1;

    M2M_ENSURE_ARG(k && opc && rand && sqn && amf && o);
    M2M_GUARD_PTR(ctx = aes_ctx(k, err));
    xor16(x, rand, opc);
    M2M_GUARD(aes_block(ctx, x, temp, err)); /* TEMP = E_K(RAND XOR OPc) */
    memcpy(in1, sqn, 6);                     /* IN1 = SQN || AMF || SQN || AMF */
    memcpy(in1 + 6, amf, 2);
    memcpy(in1 + 8, in1, 8);
    /* OUT1 = E_K(TEMP XOR rot(IN1 XOR OPc, r1)) XOR OPc, r1 = 64, c1 = 0 */
    xor16(x, in1, opc);
    for (int i = 0; i < 16; i++)
        outb[i] = temp[i] ^ x[(i + 8) % 16];
    M2M_GUARD(aes_block(ctx, outb, outb, err));
    xor16(outb, outb, opc);
    memcpy(o->mac_a, outb, 8);
    memcpy(o->mac_s, outb + 8, 8);
    /* OUT2..OUT5 take TEMP as input: r2 = 0, r3 = 32, r4 = 64, r5 = 96; c = 1, 2, 4, 8. */
    M2M_GUARD(out_fn(ctx, temp, opc, 0, 0x01, outb, err));
    memcpy(o->ak, outb, 6);
    memcpy(o->res, outb + 8, 8);
    M2M_GUARD(out_fn(ctx, temp, opc, 4, 0x02, o->ck, err));
    M2M_GUARD(out_fn(ctx, temp, opc, 8, 0x04, o->ik, err));
    M2M_GUARD(out_fn(ctx, temp, opc, 12, 0x08, outb, err));
    memcpy(o->ak_star, outb, 6);
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    m2m_wipe(temp, sizeof(temp));
    m2m_wipe(x, sizeof(x));
    m2m_wipe(outb, sizeof(outb));
    if (rc != 0 && o != NULL)
        m2m_wipe(o, sizeof(*o));
    return rc;
}
