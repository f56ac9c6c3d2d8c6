/* oneM2M key derivations from the Enrolment Key Ke (TS-0003 V3 10.3). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>

#include "core/safety.h"
#include "crypto/hmac.h"

/* TS-0003 10.3.4, 10.3.5, 10.3.7: the constant strings prefixed to the HMAC input. */
static const char LABEL_KM[] = "oneM2M Enrolment Key to Master Credential derivation";
static const char LABEL_KPSA[] =
    "oneM2M Enrolment Key to Provisioned Secure Connection Key derivation";
static const char LABEL_USAGE[] =
    "oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation";
/* DESIGN.md section 3: KmID computable from Km alone. */
static const char LABEL_KMID[] = "m2msec KmID";

/* A light sanity check; full FQDN validation belongs to the id layer. This one only keeps
 * a key id unambiguous: one '@', printable ASCII, bounded. */
static int fqdn_for_keyid(const char *fqdn, char *lower, struct m2m_error *err)
{
    size_t n;
    int rc = -1;

    M2M_ENSURE(fqdn != NULL, M2M_E_INVALID_ARG, "NULL FQDN");
    n = strlen(fqdn);
    M2M_ENSURE(n > 0 && n <= M2M_FQDN_MAX, M2M_E_FQDN_SYNTAX, "length %zu", n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)fqdn[i];
        M2M_ENSURE(c > 0x20 && c < 0x7f && c != '@', M2M_E_FQDN_SYNTAX,
                   "character 0x%02x at offset %zu", c, i);
        lower[i] = (char)tolower(c);
    }
    lower[n] = '\0';
    rc = 0;
out:
    return rc;
}

/* "<lowercase hex of a 16-byte relative id>@<fqdn>" (TS-0003 10.3.1). */
static int format_keyid(const unsigned char rel[M2M_RELID_LEN], const char *fqdn,
                        char keyid[M2M_KEYID_MAX], struct m2m_error *err)
{
    char lower[M2M_FQDN_MAX + 1];
    char hex[2 * M2M_RELID_LEN + 1];
    int rc = -1;

    M2M_GUARD(fqdn_for_keyid(fqdn, lower, err));
    M2M_GUARD(m2m_hex_encode(rel, M2M_RELID_LEN, hex, sizeof(hex), err));
    snprintf(keyid, M2M_KEYID_MAX, "%s@%s", hex, lower);
    rc = 0;
out:
    return rc;
}

/* TS-0003 10.3.1 (Ke/KeID) and 10.3.2 (Kc/KcID): the most significant 16 bytes name the key,
 * the least significant 32 bytes are the key. */
int m2m_export_split(const unsigned char export48[M2M_EXPORT_LEN], const char *fqdn,
                     struct m2m_secret **key_out, char keyid[M2M_KEYID_MAX], struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(export48 != NULL && keyid != NULL);
    M2M_GUARD(format_keyid(export48, fqdn, keyid, err));
    if (key_out != NULL)
        M2M_GUARD_PTR(*key_out = m2m_secret_from(export48 + M2M_RELID_LEN, M2M_KEY_LEN, err));
    rc = 0;
out:
    return rc;
}

/* HMAC-SHA-256(Ke, label || [suid digits] || NFKC(id)). */
static struct m2m_secret *derive(const struct m2m_secret *ke, const char *label, const char *suid,
                                 const char *id, struct m2m_error *err)
{
    struct m2m_secret *res = NULL;
    char *norm = NULL;

    if (ke == NULL || id == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "NULL Ke or identifier");
        return NULL;
    }
    norm = m2m_nfkc(id, err); /* TS-0003 10.3: identifiers enter as NFKC UTF-8 */
    if (norm == NULL)
        return NULL;
    {
        struct m2m_bytes parts[] = {
            {label, strlen(label)},
            {suid ? suid : "", suid ? strlen(suid) : 0},
            {norm, strlen(norm)},
        };
        res = m2m_hmac_secret(ke, parts, M2M_ARRAY_LEN(parts), err);
    }
    free(norm);
    return res;
}

struct m2m_secret *m2m_derive_km(const struct m2m_secret *ke, const char *maf_id,
                                 struct m2m_error *err)
{
    return derive(ke, LABEL_KM, NULL, maf_id, err);
}

struct m2m_secret *m2m_derive_kpsa(const struct m2m_secret *ke, const char *enrolee_b_id,
                                   struct m2m_error *err)
{
    return derive(ke, LABEL_KPSA, NULL, enrolee_b_id, err);
}

struct m2m_secret *m2m_derive_usage_key(const struct m2m_secret *ke, unsigned suid,
                                        const char *target_id, struct m2m_error *err)
{
    char digits[16];

    if (!m2m_suid_valid(suid)) {
        m2m_error_set(err, M2M_E_SUID, "%u", suid);
        return NULL;
    }
    snprintf(digits, sizeof(digits), "%u", suid); /* DESIGN.md 3: decimal ASCII digits */
    return derive(ke, LABEL_USAGE, digits, target_id, err);
}

int m2m_derive_kmid(const struct m2m_secret *km, const char *maf_fqdn, char kmid[M2M_KEYID_MAX],
                    struct m2m_error *err)
{
    struct m2m_bytes part = {LABEL_KMID, sizeof(LABEL_KMID) - 1};
    struct m2m_secret *mac = NULL;
    int rc = -1;

    M2M_ENSURE_ARG(km != NULL && kmid != NULL);
    M2M_GUARD_PTR(mac = m2m_hmac_secret(km, &part, 1, err));
    rc = format_keyid(m2m_secret_cdata(mac), maf_fqdn, kmid, err);
out:
    m2m_secret_free(mac);
    return rc;
}

int m2m_suid_valid(unsigned suid)
{
    return (suid >= 10 && suid <= 15) || suid == 21 || suid == 22 || suid == 32 ||
           (suid >= 40 && suid <= 45);
}
