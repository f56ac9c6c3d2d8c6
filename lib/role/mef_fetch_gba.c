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

int mef_fetch_keyid(const char *decoded, char *keid, size_t keidsz, char *issuer, size_t issuersz,
                    struct m2m_error *err)
{
    struct m2m_keyid k;
    struct m2m_btid b;
    int rc = -1;

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

int mef_fetch_ua(const char *hex, unsigned char ua[M2M_GBA_UA_ID_LEN], bool *has_ua,
                 struct m2m_error *err)
{
    size_t got = 0;
    int rc = -1;

    *has_ua = false;
    if (hex == NULL || hex[0] == '\0')
        return 0;
    M2M_ENSURE(m2m_hex_decode(hex, ua, M2M_GBA_UA_ID_LEN, &got, NULL) == 0 &&
                   got == M2M_GBA_UA_ID_LEN,
               M2M_E_BAD_MESSAGE, "ua '%.20s' is not a 5-byte Ua security protocol id", hex);
    /* TS 33.220 H.2 (TS-0003 10.2): oneM2M runs Ua over TLS-PSK only. */
    M2M_ENSURE(ua[0] == 0x01 && ua[1] == 0x00 && ua[2] == 0x01, M2M_E_BAD_MESSAGE,
               "ua %s is not a TLS-PSK Ua protocol (01 00 01 and the suite)", hex);
    *has_ua = true;
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
