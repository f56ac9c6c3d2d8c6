/* fetchCredentials for the GBA framework (SPEC.md section 8; TS-0003 8.3.1; 3GPP TS 33.220
 * 4.5.3, 4.4.6): the KeID is a B-TID, which base64 may fill with '/', '+' and '=', so the
 * path carries it percent-encoded (RFC 3986 2.1); the query names the Ua security protocol
 * (TS 33.220 Annex H) whose NAF_Id the key is derived for; the GBA user security settings
 * say which NAFs may have Ks_NAF at all. */
#include <stdio.h>
#include <string.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>
#include <m2msec/id.h>

#include "core/safety.h"
#include "role/mef_internal.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 3986 3.3 pchar, less '%' which starts an escape. */
static int pchar_plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("-._~!$&'()*+,;=:@", c) != NULL);
}

/* Percent-decodes one path segment: every '%' must start two hex digits, only pchars may
 * appear unescaped, and no escape may yield a control byte. */
static int segment_decode(const char *raw, size_t len, char *out, size_t outsz,
                          struct m2m_error *err)
{
    size_t n = 0;
    int rc = -1;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c == '%') {
            int hi = i + 2 < len ? hex_digit(raw[i + 1]) : -1;
            int lo = hi >= 0 ? hex_digit(raw[i + 2]) : -1;
            M2M_ENSURE(hi >= 0 && lo >= 0, M2M_E_BAD_MESSAGE,
                       "malformed percent-encoding at offset %zu of the KeID", i);
            c = (unsigned char)(hi << 4 | lo);
            M2M_ENSURE(c >= 0x20 && c != 0x7f, M2M_E_BAD_MESSAGE,
                       "percent-encoded control byte 0x%02x in the KeID", c);
            i += 2;
        } else {
            M2M_ENSURE(pchar_plain(c), M2M_E_BAD_MESSAGE,
                       "byte 0x%02x must be percent-encoded in the KeID", c);
        }
        M2M_ENSURE(n + 1 < outsz, M2M_E_BAD_MESSAGE, "KeID too long");
        out[n++] = (char)c;
    }
    out[n] = '\0';
    rc = 0;
out:
    return rc;
}

int mef_fetch_keyid(const char *raw, size_t len, char *keid, size_t keidsz, char *issuer,
                    size_t issuersz, struct m2m_error *err)
{
    char decoded[M2M_STORE_KEYID_MAX];
    struct m2m_keyid k;
    struct m2m_btid b;
    int rc = -1;

    M2M_GUARD(segment_decode(raw, len, decoded, sizeof(decoded), err));
    if (m2m_keyid_parse(decoded, &k, NULL) == 0) {
        M2M_GUARD(m2m_keyid_to_string(&k, keid, keidsz, err));
        snprintf(issuer, issuersz, "%s", k.fqdn);
    } else if (m2m_keyid_btid_parse(decoded, &b, NULL) == 0) {
        /* GBA: KeID = B-TID (TS-0003 Annex A), in its one canonical spelling. */
        M2M_GUARD(m2m_keyid_btid_format(b.rand, b.fqdn, keid, keidsz, err));
        snprintf(issuer, issuersz, "%s", b.fqdn);
    } else {
        M2M_GUARD(m2m_keyid_parse(decoded, &k, err)); /* the KeID's own complaint */
    }
    rc = 0;
out:
    return rc;
}

int mef_fetch_ua(const char *query, unsigned char ua[M2M_GBA_UA_ID_LEN], bool *has_ua,
                 struct m2m_error *err)
{
    const char *p = query;
    int rc = -1;

    *has_ua = false;
    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, "&");
        if (n > 3 && strncmp(p, "ua=", 3) == 0) {
            size_t got = 0;
            char hex[2 * M2M_GBA_UA_ID_LEN + 1];
            M2M_ENSURE(!*has_ua, M2M_E_BAD_MESSAGE, "ua given twice");
            M2M_ENSURE(n - 3 == 2 * M2M_GBA_UA_ID_LEN, M2M_E_BAD_MESSAGE,
                       "ua must be %d hex digits (5-byte Ua security protocol id)",
                       2 * M2M_GBA_UA_ID_LEN);
            memcpy(hex, p + 3, n - 3);
            hex[n - 3] = '\0';
            M2M_ENSURE(m2m_hex_decode(hex, ua, M2M_GBA_UA_ID_LEN, &got, NULL) == 0 &&
                           got == M2M_GBA_UA_ID_LEN,
                       M2M_E_BAD_MESSAGE, "ua '%s' is not hex", hex);
            /* TS 33.220 H.2 (TS-0003 10.2): oneM2M runs Ua over TLS-PSK only. */
            M2M_ENSURE(ua[0] == 0x01 && ua[1] == 0x00 && ua[2] == 0x01, M2M_E_BAD_MESSAGE,
                       "ua %s is not a TLS-PSK Ua protocol (01 00 01 and the suite)", hex);
            *has_ua = true;
        } else {
            M2M_ENSURE(strncmp(p, "ua", 2) != 0 || (n > 2 && p[2] != '='), M2M_E_BAD_MESSAGE,
                       "ua needs a value");
        }
        p += n;
        if (*p == '&')
            p++;
    }
    rc = 0;
out:
    return rc;
}

struct m2m_secret *mef_fetch_gba(struct m2m_mef_response *resp, struct m2m_store *store,
                                 const struct m2m_store_key *key, const struct m2m_secret *ks,
                                 const char *naf_fqdn, const unsigned char *ua)
{
    struct m2m_store_gba_subscriber sub;
    struct m2m_secret *k = NULL;
    struct m2m_error err;

    if (ua == NULL) {
        mef_fail(resp, 400, M2M_RSC_BAD_REQUEST,
                 "a GBA key needs ?ua=<Ua security protocol id, 10 hex digits>");
        return NULL;
    }
    if (naf_fqdn[0] == '\0') {
        mef_fail(resp, 400, M2M_RSC_BAD_REQUEST,
                 "Ks_NAF is derived for a NAF FQDN; this target has none");
        return NULL;
    }
    if (!key->has_gba_rand || key->gba_impi[0] == '\0') {
        mef_fail(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "GBA key without RAND or IMPI");
        return NULL;
    }
    /* TS 33.220 4.4.6: the user security settings decide which NAFs get a key. */
    if (m2m_store_gba_subscriber_get(store, key->gba_impi, &sub, NULL, NULL, &err) != 0) {
        if (err.code == M2M_E_STORE_NOT_FOUND)
            mef_fail(resp, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
                     "subscriber %.200s of this B-TID no longer exists", key->gba_impi);
        else
            mef_fail_err(resp, "GBA subscriber", &err);
        return NULL;
    }
    if (!m2m_store_gba_naf_allowed(&sub, naf_fqdn)) {
        mef_fail(resp, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
                 "NAF %.200s is not in the GBA user security settings of %.200s", naf_fqdn,
                 key->gba_impi);
        return NULL;
    }
    /* TS 33.220 B.3: Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id = FQDN || Ua id). */
    if ((k = m2m_gba_ks_naf(ks, key->gba_rand, key->gba_impi, naf_fqdn, ua, &err)) == NULL)
        mef_fail_err(resp, "Ks_NAF", &err);
    return k;
}
