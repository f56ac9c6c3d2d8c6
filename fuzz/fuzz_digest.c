/* The hostile inputs of the GBA framework: the Digest AKA headers of Ub (m2msec/digest.h),
 * the BSF's answer, and the KeID segment and ua query of a fetch. The first byte selects the
 * parser. Whatever a parser accepts must format back and parse to the same value; a decoded
 * KeID is in canonical form; an accepted ua is a TLS-PSK Ua id. */
#include <stdlib.h>
#include <string.h>

#include <m2msec/digest.h>
#include <m2msec/proto.h>

#include "fuzz.h"
#include "role/mef_internal.h"

/* RFC 3310, RFC 2617: parse(format(parse(x))) == parse(x). */
static void credentials(const char *s)
{
    struct m2m_digest_credentials a, b;
    char out[M2M_DIGEST_HEADER_MAX];

    if (m2m_digest_credentials_parse(s, &a, NULL) != 0)
        return;
    FUZZ_CHECK(m2m_digest_credentials_format(&a, out, sizeof(out), NULL) == 0);
    FUZZ_CHECK(m2m_digest_credentials_parse(out, &b, NULL) == 0);
    FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

static void challenge(const char *s)
{
    struct m2m_digest_challenge a, b;
    char out[M2M_DIGEST_HEADER_MAX];

    if (m2m_digest_challenge_parse(s, &a, NULL) != 0)
        return;
    FUZZ_CHECK(m2m_digest_challenge_format(&a, out, sizeof(out), NULL) == 0);
    FUZZ_CHECK(m2m_digest_challenge_parse(out, &b, NULL) == 0);
    FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

/* TS 24.109 5.2.1 (JSON form): decode(encode(decode(x))) gives the same fields. */
static void bootstrap_info(const char *s, size_t n)
{
    struct m2m_gba_bootstrap_info a, b;
    char *out;

    if (m2m_gba_bootstrap_info_decode(s, n, &a, NULL) != 0)
        return;
    out = m2m_gba_bootstrap_info_encode(&a, NULL);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(m2m_gba_bootstrap_info_decode(out, strlen(out), &b, NULL) == 0);
    FUZZ_CHECK(strcmp(a.btid, b.btid) == 0 && a.lifetime == b.lifetime);
    free(out);
}

/* RFC 3986 2.1: a fetch path's decoded KeID is a KeID or B-TID in its canonical spelling,
 * and encoding it again gives a path that decodes to the same. */
static void keyid_segment(const char *s)
{
    char decoded[M2M_STORE_KEYID_MAX], keid[M2M_STORE_KEYID_MAX], issuer[M2M_FQDN_MAX + 1];
    char again[M2M_STORE_KEYID_MAX], path[3 * M2M_STORE_KEYID_MAX + 40];
    char ua[M2M_FETCH_UA_HEX_LEN + 1], ua2[M2M_FETCH_UA_HEX_LEN + 1];
    unsigned suid = 0, suid2 = 0;
    struct m2m_btid b;
    const char *q = strchr(s, '?');
    char *p = strdup(s);

    if (p == NULL)
        return;
    if (q != NULL)
        p[q - s] = '\0';
    if (m2m_fetch_path_parse(p, q ? q + 1 : NULL, decoded, sizeof(decoded), &suid, ua, NULL) != 0) {
        free(p);
        return;
    }
    free(p);
    FUZZ_CHECK(m2m_fetch_path_format(decoded, suid, ua[0] ? ua : NULL, path, sizeof(path), NULL) ==
               0);
    q = strchr(path, '?');
    if (q != NULL)
        path[q - path] = '\0';
    FUZZ_CHECK(
        m2m_fetch_path_parse(path, q ? q + 1 : NULL, again, sizeof(again), &suid2, ua2, NULL) == 0);
    FUZZ_CHECK(strcmp(again, decoded) == 0 && suid2 == suid && strcmp(ua, ua2) == 0);
    if (mef_fetch_keyid(decoded, keid, sizeof(keid), issuer, sizeof(issuer), NULL) != 0)
        return;
    if (m2m_keyid_canonical(keid, again, sizeof(again), NULL) == 0) {
        FUZZ_CHECK(strcmp(again, keid) == 0);
        return;
    }
    FUZZ_CHECK(m2m_keyid_btid_parse(keid, &b, NULL) == 0);
    FUZZ_CHECK(m2m_keyid_btid_format(b.rand, b.fqdn, again, sizeof(again), NULL) == 0);
    FUZZ_CHECK(strcmp(again, keid) == 0 && strcmp(b.fqdn, issuer) == 0);
}

/* TS 33.220 Annex H: an accepted ua is 01 00 01 and a suite. */
static void ua_query(const char *s)
{
    unsigned char ua[M2M_GBA_UA_ID_LEN];
    bool has = false;

    if (mef_fetch_ua(s, ua, &has, NULL) != 0 || !has)
        return;
    FUZZ_CHECK(ua[0] == 0x01 && ua[1] == 0x00 && ua[2] == 0x01);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    if (size < 1)
        return 0;
    s = fuzz_cstr(data + 1, size - 1);
    switch (data[0] % 5) {
    case 0:
        credentials(s);
        break;
    case 1:
        challenge(s);
        break;
    case 2:
        bootstrap_info(s, size - 1);
        break;
    case 3:
        keyid_segment(s);
        break;
    default:
        ua_query(s);
        break;
    }
    free(s);
    return 0;
}
