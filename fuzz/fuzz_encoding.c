/* Hex, base64 and NFKC (m2msec/encoding.h). The first byte selects the function; the rest is
 * the input. Decoders must invert the encoders, and NFKC must be idempotent (Unicode
 * normalisation stability, UAX #15). */
#include <ctype.h>

#include <m2msec/encoding.h>

#include "fuzz.h"

#define CAP 4096

/* Decoding accepts either case; encoding writes lowercase, so the round trip lowercases. */
static void hex_decode(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    unsigned char *bin = malloc(CAP);
    char *txt = malloc(2 * CAP + 1);
    size_t n = 0, len = strlen(s);

    FUZZ_CHECK(bin != NULL && txt != NULL);
    if (m2m_hex_decode(s, bin, CAP, &n, NULL) == 0) {
        FUZZ_CHECK(len % 2 == 0 && n == len / 2);
        FUZZ_CHECK(m2m_hex_encode(bin, n, txt, 2 * CAP + 1, NULL) == 0);
        for (size_t i = 0; i < len; i++)
            FUZZ_CHECK(txt[i] == (char)tolower((unsigned char)s[i]));
    }
    free(txt);
    free(bin);
    free(s);
}

/* RFC 4648 4: what decodes re-encodes to text that decodes to the same bytes. */
static void b64_decode(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    unsigned char *bin = malloc(CAP), *again = malloc(CAP);
    char *txt = malloc(M2M_B64_LEN(CAP));
    size_t n = 0, m = 0;

    FUZZ_CHECK(bin != NULL && again != NULL && txt != NULL);
    if (m2m_b64_decode(s, bin, CAP, &n, NULL) == 0) {
        FUZZ_CHECK(strlen(s) % 4 == 0 && n <= strlen(s) / 4 * 3);
        FUZZ_CHECK(m2m_b64_encode(bin, n, txt, M2M_B64_LEN(CAP), NULL) == 0);
        FUZZ_CHECK(m2m_b64_decode(txt, again, CAP, &m, NULL) == 0);
        FUZZ_CHECK(m == n && memcmp(bin, again, n) == 0);
    }
    free(txt);
    free(again);
    free(bin);
    free(s);
}

/* Arbitrary bytes: encode then decode gives them back, in both encodings. */
static void encode_raw(const uint8_t *data, size_t size)
{
    size_t len = size < CAP ? size : CAP, n = 0;
    char *txt = malloc(2 * CAP + 1);
    unsigned char *bin = malloc(CAP);

    FUZZ_CHECK(txt != NULL && bin != NULL);
    FUZZ_CHECK(m2m_hex_encode(data, len, txt, 2 * CAP + 1, NULL) == 0);
    FUZZ_CHECK(strlen(txt) == 2 * len);
    FUZZ_CHECK(m2m_hex_decode(txt, bin, CAP, &n, NULL) == 0);
    FUZZ_CHECK(n == len && (len == 0 || memcmp(bin, data, len) == 0));
    FUZZ_CHECK(m2m_b64_encode(data, len, txt, M2M_B64_LEN(CAP), NULL) == 0);
    FUZZ_CHECK(strlen(txt) == M2M_B64_LEN(len) - 1);
    FUZZ_CHECK(m2m_b64_decode(txt, bin, CAP, &n, NULL) == 0);
    FUZZ_CHECK(n == len && (len == 0 || memcmp(bin, data, len) == 0));
    free(bin);
    free(txt);
}

static void nfkc(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    char *a = m2m_nfkc(s, NULL), *b;

    if (a != NULL) {
        b = m2m_nfkc(a, NULL);
        FUZZ_CHECK(b != NULL && strcmp(a, b) == 0);
        free(b);
        free(a);
    }
    free(s);
}

typedef void (*target_fn)(const uint8_t *data, size_t size);

static const target_fn targets[] = {hex_decode, b64_decode, encode_raw, nfkc};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    targets[data[0] % (sizeof(targets) / sizeof(targets[0]))](data + 1, size - 1);
    return 0;
}
