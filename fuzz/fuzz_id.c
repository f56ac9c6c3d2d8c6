/* The identifier parsers of m2msec/id.h: FQDNs, SP-/CSE-/AE-IDs, key identifiers, B-TIDs,
 * Credential-IDs and AE-ID certificate URIs. The first byte selects the parser (and, for
 * some, a variant); the rest is the text. Every canonical form must be a fixed point:
 * canonical(canonical(x)) == canonical(x), and what a formatter writes parses back to the
 * same value. */
#include <m2msec/id.h>

#include "fuzz.h"

#define BUF 1024

static const char sp_id[] = "//sp.example.com";

/* RFC 1035: the normal form is valid and normalises to itself. */
static void fqdn(const char *s, unsigned variant)
{
    char a[BUF], b[BUF];
    int valid = m2m_fqdn_validate(s, NULL) == 0;

    (void)variant;
    FUZZ_CHECK(valid == (m2m_fqdn_normalize(s, a, sizeof(a), NULL) == 0));
    if (!valid)
        return;
    FUZZ_CHECK(strlen(a) <= M2M_FQDN_MAX);
    FUZZ_CHECK(m2m_fqdn_validate(a, NULL) == 0);
    FUZZ_CHECK(m2m_fqdn_normalize(a, b, sizeof(b), NULL) == 0 && strcmp(a, b) == 0);
}

/* TS-0003 10.3.2: NFKC then normalise, idempotent. */
static void fqdn_canonical(const char *s, unsigned variant)
{
    char a[BUF], b[BUF];

    (void)variant;
    if (m2m_fqdn_canonical(s, a, sizeof(a), NULL) != 0)
        return;
    FUZZ_CHECK(m2m_fqdn_canonical(a, b, sizeof(b), NULL) == 0 && strcmp(a, b) == 0);
}

static void same_id(const struct m2m_id *x, const struct m2m_id *y)
{
    FUZZ_CHECK(x->kind == y->kind && x->scope == y->scope);
    FUZZ_CHECK(strcmp(x->sp, y->sp) == 0 && strcmp(x->cse, y->cse) == 0);
    FUZZ_CHECK(strcmp(x->ae, y->ae) == 0);
}

/* TS-0004 6.2.3: format is the inverse of parse. */
static void id_parse(const char *s, unsigned variant)
{
    enum m2m_id_kind expect = (enum m2m_id_kind)(variant % 4);
    struct m2m_id a, b;
    char txt[BUF];

    if (m2m_id_parse(s, expect, &a, NULL) != 0)
        return;
    FUZZ_CHECK(expect == M2M_ID_ANY || a.kind == expect);
    FUZZ_CHECK(m2m_id_format(&a, txt, sizeof(txt), NULL) == 0);
    FUZZ_CHECK(m2m_id_parse(txt, a.kind, &b, NULL) == 0);
    same_id(&a, &b);
}

/* TS-0003 10.3.3: the canonical form is absolute and a fixed point. */
static void id_canonical(const char *s, unsigned variant)
{
    const char *sp = (variant & 1) ? sp_id : NULL;
    char a[BUF], b[BUF];
    struct m2m_id id;

    if (m2m_id_canonical(s, sp, a, sizeof(a), NULL) != 0)
        return;
    FUZZ_CHECK(m2m_id_canonical(a, NULL, b, sizeof(b), NULL) == 0 && strcmp(a, b) == 0);
    FUZZ_CHECK(m2m_id_canonical(a, sp_id, b, sizeof(b), NULL) == 0 && strcmp(a, b) == 0);
    FUZZ_CHECK(m2m_id_parse(a, M2M_ID_ANY, &id, NULL) == 0 && id.scope == M2M_ID_ABSOLUTE);
}

/* TS-0003 10.3.4: parse, write, and canonical agree and are idempotent. */
static void keyid(const char *s, unsigned variant)
{
    struct m2m_keyid k, h;
    char a[BUF], b[BUF];
    int hex_ok = m2m_keyid_parse_hex(s, &h, NULL) == 0;

    (void)variant;
    if (m2m_keyid_parse(s, &k, NULL) != 0) {
        FUZZ_CHECK(!hex_ok);
        return;
    }
    FUZZ_CHECK(!hex_ok || k.has_bin);
    FUZZ_CHECK(m2m_keyid_to_string(&k, a, sizeof(a), NULL) == 0);
    FUZZ_CHECK(m2m_keyid_canonical(s, b, sizeof(b), NULL) == 0 && strcmp(a, b) == 0);
    FUZZ_CHECK(m2m_keyid_canonical(a, b, sizeof(b), NULL) == 0 && strcmp(a, b) == 0);
}

/* 3GPP TS 33.220 4.5.2: format(parse(x)) parses back to the same RAND and FQDN. */
static void btid(const char *s, unsigned variant)
{
    struct m2m_btid a, b;
    char txt[BUF];

    (void)variant;
    if (m2m_keyid_btid_parse(s, &a, NULL) != 0)
        return;
    FUZZ_CHECK(m2m_keyid_btid_format(a.rand, a.fqdn, txt, sizeof(txt), NULL) == 0);
    FUZZ_CHECK(m2m_keyid_btid_parse(txt, &b, NULL) == 0);
    FUZZ_CHECK(memcmp(a.rand, b.rand, sizeof(a.rand)) == 0 && strcmp(a.fqdn, b.fqdn) == 0);
}

/* TS-0003 10.4: "<type>-<value>" written from a parse parses back unchanged. */
static void credid(const char *s, unsigned variant)
{
    struct m2m_credid a, b;
    char txt[BUF];

    (void)variant;
    if (m2m_credid_parse(s, &a, NULL) != 0)
        return;
    FUZZ_CHECK(m2m_credid_type_name(a.type) != NULL);
    FUZZ_CHECK(m2m_credid_format(a.type, a.value, txt, sizeof(txt), NULL) == 0);
    FUZZ_CHECK(m2m_credid_parse(txt, &b, NULL) == 0);
    FUZZ_CHECK(a.type == b.type && strcmp(a.value, b.value) == 0);
}

/* TS-0003 10.1.1.5: the URI rebuilt from the parsed AE-ID parses to the same AE-ID. */
static void ae_uri(const char *s, unsigned variant)
{
    struct m2m_id a, b;
    char abs_id[BUF], uri[BUF];

    (void)variant;
    if (m2m_id_ae_uri_parse(s, &a, NULL) != 0)
        return;
    FUZZ_CHECK(a.kind == M2M_ID_AE && a.scope == M2M_ID_ABSOLUTE);
    FUZZ_CHECK(m2m_id_format(&a, abs_id, sizeof(abs_id), NULL) == 0);
    FUZZ_CHECK(m2m_id_ae_uri(abs_id, NULL, uri, sizeof(uri), NULL) == 0);
    FUZZ_CHECK(m2m_id_ae_uri_parse(uri, &b, NULL) == 0);
    same_id(&a, &b);
}

typedef void (*target_fn)(const char *s, unsigned variant);

static const target_fn targets[] = {
    fqdn, fqdn_canonical, id_parse, id_canonical, keyid, btid, credid, ae_uri,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = sizeof(targets) / sizeof(targets[0]);
    char *s;

    if (size < 1)
        return 0;
    s = fuzz_cstr(data + 1, size - 1);
    targets[data[0] % n](s, data[0] / n);
    free(s);
    return 0;
}
