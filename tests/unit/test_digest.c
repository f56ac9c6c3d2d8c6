/* The Digest AKA codec of Ub (RFC 3310, RFC 2617, 3GPP TS 24.109 5.2): tables of headers the
 * parsers accept and of every malformed form they must refuse, round trips through the
 * encoders, and the request-digest against values computed independently (Python hashlib). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <m2msec/digest.h>

#define NONCE "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" /* base64 of bytes 0..31 */
#define USER  "user@ims.example.com"
#define REALM "bsf.example.com"

/* ---- credentials: accepted ---- */

static void test_credentials_first_request(void **state)
{
    struct m2m_digest_credentials cr;
    struct m2m_error err;

    (void)state;
    assert_int_equal(m2m_digest_credentials_parse("Digest username=\"" USER "\", realm=\"" REALM
                                                  "\", nonce=\"\", "
                                                  "uri=\"/gba/bootstrap\", response=\"\"",
                                                  &cr, &err),
                     0);
    assert_string_equal(cr.username, USER);
    assert_string_equal(cr.realm, REALM);
    assert_string_equal(cr.nonce, "");
    assert_string_equal(cr.uri, "/gba/bootstrap");
    assert_string_equal(cr.response, "");
    assert_false(cr.has_qop);
    assert_false(cr.has_auts);
}

static void test_credentials_answer_forms(void **state)
{
    static const char *const good[] = {
        /* the canonical form */
        "Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"" NONCE "\", "
        "uri=\"/gba/bootstrap\", response=\"8c4e7dd409f48a4180eb291c078a7253\", "
        "algorithm=AKAv1-MD5, qop=auth-int, nc=00000001, cnonce=\"0a4f113b\", opaque=\"ab\"",
        /* quoted tokens, scheme and names in other cases, tabs and no space after commas */
        "digest USERNAME=\"" USER "\",realm=\"" REALM "\",\tnonce=\"" NONCE "\",uri=\"/gba/"
        "bootstrap\",response=\"8c4e7dd409f48a4180eb291c078a7253\",algorithm=\"akav1-md5\","
        "qop=\"auth-int\",nc=\"00000001\",cnonce=\"0a4f113b\",opaque=\"ab\"",
        /* an unknown parameter is ignored (RFC 2617 3.2.2), a quoted-pair is unescaped */
        "Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"" NONCE "\", "
        "uri=\"/gba/bootstrap\", response=\"8c4e7dd409f48a4180eb291c078a7253\", qop=auth-int, "
        "nc=00000001, cnonce=\"0a4f\\113b\", opaque=\"ab\", x-extra=\"whatever, really\"",
        /* whitespace around '=' (RFC 7235 BWS) */
        "Digest username = \"" USER "\" , realm=\"" REALM "\", nonce =\"" NONCE "\", "
        "uri= \"/gba/bootstrap\", response=\"8c4e7dd409f48a4180eb291c078a7253\", qop=auth-int, "
        "nc=00000001, cnonce=\"0a4f113b\", opaque=\"ab\"",
    };
    struct m2m_digest_credentials cr;
    struct m2m_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (m2m_digest_credentials_parse(good[i], &cr, &err) != 0)
            fail_msg("good[%zu] refused: %s", i, err.msg);
        assert_string_equal(cr.nonce, NONCE);
        assert_string_equal(cr.response, "8c4e7dd409f48a4180eb291c078a7253");
        assert_true(cr.has_qop);
        assert_string_equal(cr.nc, "00000001");
        assert_string_equal(cr.cnonce, "0a4f113b");
        assert_string_equal(cr.opaque, "ab");
    }
}

static void test_credentials_auts(void **state)
{
    struct m2m_digest_credentials cr;
    struct m2m_error err;
    unsigned char want[14];

    (void)state;
    for (int i = 0; i < 14; i++)
        want[i] = (unsigned char)i;
    assert_int_equal(
        m2m_digest_credentials_parse(
            "Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"" NONCE "\", uri=\"/gba/"
            "bootstrap\", response=\"b74c6faebb8baa60ca1e5077000dd8b0\", qop=auth-int, "
            "nc=00000001, cnonce=\"0a4f113b\", auts=\"AAECAwQFBgcICQoLDA0=\"",
            &cr, &err),
        0);
    assert_true(cr.has_auts);
    assert_memory_equal(cr.auts, want, 14);
}

/* ---- credentials: every malformed form, each refused with a reason ---- */

static void test_credentials_malformed(void **state)
{
#define HEAD "Digest username=\"" USER "\", realm=\"" REALM "\", "
#define ANS                                                                                        \
    "uri=\"/gba/bootstrap\", response=\"8c4e7dd409f48a4180eb291c078a7253\", qop=auth-int, "        \
    "nc=00000001, cnonce=\"c\""
    static const struct {
        const char *header;
        const char *why; /* a fragment of the expected reason */
    } bad[] = {
        {"", "not a Digest header"},
        {"Basic dXNlcjpwYXNz", "not a Digest header"},
        {"Digest", "not a Digest header"},
        {"Digest ", "expected a parameter name"},
        {"Digestusername=\"a\"", "not a Digest header"},
        {HEAD "nonce=\"\", uri=\"/gba/bootstrap\"", "response is missing"},
        {"Digest realm=\"" REALM "\", nonce=\"\", uri=\"/x\", response=\"\"",
         "username is missing"},
        {"Digest username=\"" USER "\", nonce=\"\", uri=\"/x\", response=\"\"", "realm is missing"},
        {HEAD "uri=\"/x\", response=\"\"", "nonce is missing"},
        {HEAD "nonce=\"\", response=\"\"", "uri is missing"},
        {HEAD "nonce=\"\", uri=\"\", response=\"\"", "uri is empty"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"\", nonce=\"\"", "given twice"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"\", NONCE=\"\"", "given twice"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"\",", "expected a parameter name"},
        {HEAD "nonce=\"\", uri=\"/x\",, response=\"\"", "expected a parameter name"},
        {HEAD "nonce=\"\" uri=\"/x\", response=\"\"", "unexpected byte"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"\" ;", "unexpected byte"},
        {HEAD "nonce=\"\", uri=\"/x\", response", "expected '='"},
        {HEAD "nonce=\"\", uri=\"/x\", response=", "expected a value"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"", "not closed"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"\\", "not closed"},
        {HEAD "nonce=\"\", uri=\"/x\x01\", response=\"\"", "byte 0x01"},
        {HEAD "nonce=\"\", uri=\"/x\xc3\xa9\", response=\"\"", "byte 0xc3"},
        {HEAD "nonce=\"\", uri=\"/x y\", response=\"\"", "byte 0x20 not allowed in uri"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"\", opaque=\"a\\\"b\"", "not allowed in opaque"},
        {"Digest username=\"nobody\", realm=\"" REALM "\", nonce=\"\", uri=\"/x\", response=\"\"",
         "username"},
        {"Digest username=\"a\\\"b@ims.example.com\", realm=\"" REALM
         "\", nonce=\"\", uri=\"/x\", response=\"\"",
         "username"},
        {"Digest username=\"" USER "\", realm=\"bsf\", nonce=\"\", uri=\"/x\", response=\"\"",
         "not an FQDN"},
        {HEAD "nonce=\"AAAA\", " ANS, "nonce is not base64"},
        {HEAD "nonce=\"" NONCE "x\", " ANS, "nonce is not base64"},
        {HEAD "nonce=\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\", " ANS, "nonce is not base64"},
        {HEAD "nonce=\"" NONCE "\", uri=\"/x\", response=\"8C4E7DD409F48A4180EB291C078A7253\", "
              "qop=auth-int, nc=00000001, cnonce=\"c\"",
         "lowercase hex"},
        {HEAD "nonce=\"" NONCE "\", uri=\"/x\", response=\"8c4e\", qop=auth-int, nc=00000001, "
              "cnonce=\"c\"",
         "32 hex digits"},
        {HEAD "nonce=\"" NONCE "\", uri=\"/x\", response=\"8c4e7dd409f48a4180eb291c078a7253\"",
         "needs a nonce and qop"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"8c4e7dd409f48a4180eb291c078a7253\", "
              "qop=auth-int, nc=00000001, cnonce=\"c\"",
         "needs a nonce and qop"},
        {HEAD "nonce=\"" NONCE "\", " ANS ", algorithm=MD5", "is not AKAv1-MD5"},
        {HEAD "nonce=\"" NONCE "\", uri=\"/x\", response=\"8c4e7dd409f48a4180eb291c078a7253\", "
              "qop=auth, nc=00000001, cnonce=\"c\"",
         "is not auth-int"},
        {HEAD "nonce=\"" NONCE "\", uri=\"/x\", response=\"8c4e7dd409f48a4180eb291c078a7253\", "
              "qop=auth-int, cnonce=\"c\"",
         "nc is missing"},
        {HEAD "nonce=\"" NONCE "\", uri=\"/x\", response=\"8c4e7dd409f48a4180eb291c078a7253\", "
              "qop=auth-int, nc=00000001",
         "cnonce is missing"},
        {HEAD "nonce=\"" NONCE "\", uri=\"/x\", response=\"8c4e7dd409f48a4180eb291c078a7253\", "
              "qop=auth-int, nc=1, cnonce=\"c\"",
         "nc must be 8 hex digits"},
        {HEAD "nonce=\"" NONCE "\", " ANS ", auts=\"AAEC\"", "auts is not base64 of 14"},
        {HEAD "nonce=\"" NONCE "\", " ANS ", auts=\"AAECAwQFBgcICQoLDA0ODw==\"",
         "auts is not base64 of 14"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"\", auts=\"AAECAwQFBgcICQoLDA0=\"",
         "auts needs the nonce"},
        {HEAD "nonce=\"\", uri=\"/x\", response=\"\", a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, "
              "i=9, j=10, k=11, l=12",
         "more than 16 parameters"},
    };
    struct m2m_digest_credentials cr;
    struct m2m_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        if (m2m_digest_credentials_parse(bad[i].header, &cr, &err) == 0)
            fail_msg("bad[%zu] accepted: %s", i, bad[i].header);
        assert_int_equal(err.code, M2M_E_BAD_MESSAGE);
        if (strstr(err.msg, bad[i].why) == NULL)
            fail_msg("bad[%zu]: reason '%s' lacks '%s'", i, err.msg, bad[i].why);
        assert_string_equal(cr.username, ""); /* nothing half-filled */
    }
#undef HEAD
#undef ANS
}

static void test_header_bounds(void **state)
{
    char *big = malloc(M2M_DIGEST_HEADER_MAX + 64), *p;
    struct m2m_digest_credentials cr;
    struct m2m_error err;

    (void)state;
    assert_non_null(big);
    /* One byte over the header bound. */
    p = big + sprintf(big, "Digest username=\"" USER "\", x=\"");
    memset(p, 'a', (size_t)(big + M2M_DIGEST_HEADER_MAX + 1 - p));
    big[M2M_DIGEST_HEADER_MAX + 1] = '\0';
    assert_int_equal(m2m_digest_credentials_parse(big, &cr, &err), -1);
    assert_non_null(strstr(err.msg, "over 2048"));
    /* A value over its bound inside a header that fits. */
    p = big + sprintf(big, "Digest username=\"" USER "\", x=\"");
    memset(p, 'a', 300);
    strcpy(p + 300, "\"");
    assert_int_equal(m2m_digest_credentials_parse(big, &cr, &err), -1);
    assert_non_null(strstr(err.msg, "too long"));
    assert_int_equal(m2m_digest_credentials_parse(NULL, &cr, &err), -1);
    free(big);
}

/* ---- round trips ---- */

static void test_credentials_round_trip(void **state)
{
    struct m2m_digest_credentials cr, back;
    char header[M2M_DIGEST_HEADER_MAX];
    struct m2m_error err;

    (void)state;
    memset(&cr, 0, sizeof(cr));
    snprintf(cr.username, sizeof(cr.username), USER);
    snprintf(cr.realm, sizeof(cr.realm), REALM);
    snprintf(cr.uri, sizeof(cr.uri), "/gba/bootstrap");
    assert_int_equal(m2m_digest_credentials_format(&cr, header, sizeof(header), &err), 0);
    assert_string_equal(header, "Digest username=\"" USER "\", realm=\"" REALM
                                "\", nonce=\"\", uri=\"/gba/bootstrap\", response=\"\"");
    snprintf(cr.nonce, sizeof(cr.nonce), NONCE);
    snprintf(cr.opaque, sizeof(cr.opaque), "0123abcd");
    snprintf(cr.nc, sizeof(cr.nc), "00000001");
    snprintf(cr.cnonce, sizeof(cr.cnonce), "0a4f113b");
    cr.has_qop = true;
    cr.has_auts = true;
    for (int i = 0; i < 14; i++)
        cr.auts[i] = (unsigned char)(0xf0 + i);
    assert_int_equal(m2m_digest_response(&cr, NULL, 0, "GET", NULL, 0, cr.response, &err), 0);
    assert_int_equal(m2m_digest_credentials_format(&cr, header, sizeof(header), &err), 0);
    assert_int_equal(m2m_digest_credentials_parse(header, &back, &err), 0);
    assert_memory_equal(&back, &cr, sizeof(cr));
    /* A value the encoder would have to escape is refused rather than written. */
    snprintf(cr.cnonce, sizeof(cr.cnonce), "a\"b");
    assert_int_equal(m2m_digest_credentials_format(&cr, header, sizeof(header), &err), -1);
    snprintf(cr.cnonce, sizeof(cr.cnonce), "0a4f113b");
    assert_int_equal(m2m_digest_credentials_format(&cr, header, 40, &err), -1);
    assert_int_equal(err.code, M2M_E_BUFFER_TOO_SMALL);
}

static void test_challenge(void **state)
{
    struct m2m_digest_challenge ch, back;
    char header[512];
    struct m2m_error err;
    static const char *const bad[] = {
        "Digest nonce=\"" NONCE "\", algorithm=AKAv1-MD5, qop=\"auth-int\"",
        "Digest realm=\"" REALM "\", algorithm=AKAv1-MD5, qop=\"auth-int\"",
        "Digest realm=\"" REALM "\", nonce=\"" NONCE "\", qop=\"auth-int\"",
        "Digest realm=\"" REALM "\", nonce=\"" NONCE "\", algorithm=MD5, qop=\"auth-int\"",
        "Digest realm=\"" REALM "\", nonce=\"" NONCE "\", algorithm=AKAv1-MD5",
        "Digest realm=\"" REALM "\", nonce=\"" NONCE "\", algorithm=AKAv1-MD5, qop=\"auth\"",
        "Digest realm=\"" REALM "\", nonce=\"\", algorithm=AKAv1-MD5, qop=\"auth-int\"",
        "Digest realm=\"x\", nonce=\"" NONCE "\", algorithm=AKAv1-MD5, qop=\"auth-int\"",
        "Basic realm=\"" REALM "\"",
    };

    (void)state;
    memset(&ch, 0, sizeof(ch));
    snprintf(ch.realm, sizeof(ch.realm), REALM);
    snprintf(ch.nonce, sizeof(ch.nonce), NONCE);
    snprintf(ch.opaque, sizeof(ch.opaque), "5ccc069c403ebaf9");
    assert_int_equal(m2m_digest_challenge_format(&ch, header, sizeof(header), &err), 0);
    assert_string_equal(header, "Digest realm=\"" REALM "\", nonce=\"" NONCE
                                "\", algorithm=AKAv1-MD5, qop=\"auth-int\", "
                                "opaque=\"5ccc069c403ebaf9\"");
    assert_int_equal(m2m_digest_challenge_parse(header, &back, &err), 0);
    assert_memory_equal(&back, &ch, sizeof(ch));
    /* Several qop options, stale, an unknown directive. */
    assert_int_equal(m2m_digest_challenge_parse("Digest realm=\"" REALM "\", nonce=\"" NONCE
                                                "\", algorithm=AKAv1-MD5, qop=\"auth,auth-int\", "
                                                "stale=TRUE, domain=\"/\"",
                                                &back, &err),
                     0);
    assert_true(back.stale);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (m2m_digest_challenge_parse(bad[i], &back, &err) == 0)
            fail_msg("challenge bad[%zu] accepted", i);
}

/* ---- nonce and request-digest ---- */

static void test_nonce(void **state)
{
    unsigned char rand[16], autn[16], r2[16], a2[16];
    char nonce[M2M_DIGEST_NONCE_MAX];
    struct m2m_error err;

    (void)state;
    for (int i = 0; i < 16; i++)
        rand[i] = (unsigned char)i, autn[i] = (unsigned char)(16 + i);
    assert_int_equal(m2m_digest_nonce_make(rand, autn, nonce, &err), 0);
    assert_string_equal(nonce, NONCE);
    assert_int_equal(m2m_digest_nonce_split(nonce, r2, a2, &err), 0);
    assert_memory_equal(r2, rand, 16);
    assert_memory_equal(a2, autn, 16);
    assert_int_equal(
        m2m_digest_nonce_split("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A", r2, a2, &err), -1);
    assert_int_equal(m2m_digest_nonce_split("", r2, a2, &err), -1);
}

static void test_response_known_answers(void **state)
{
    static const unsigned char res[8] = {0xa5, 0x42, 0x11, 0xd5, 0xe3, 0xba, 0x50, 0xbf};
    struct m2m_digest_credentials cr;
    char out[M2M_DIGEST_HEX_LEN + 1];
    struct m2m_error err;

    (void)state;
    memset(&cr, 0, sizeof(cr));
    snprintf(cr.username, sizeof(cr.username), USER);
    snprintf(cr.realm, sizeof(cr.realm), REALM);
    snprintf(cr.nonce, sizeof(cr.nonce), NONCE);
    snprintf(cr.uri, sizeof(cr.uri), "/gba/bootstrap");
    snprintf(cr.nc, sizeof(cr.nc), "00000001");
    snprintf(cr.cnonce, sizeof(cr.cnonce), "0a4f113b");
    /* RES as the password (RFC 3310 3.3), an empty body (auth-int hashes it). */
    assert_int_equal(m2m_digest_response(&cr, res, sizeof(res), "GET", NULL, 0, out, &err), 0);
    assert_string_equal(out, "8c4e7dd409f48a4180eb291c078a7253");
    /* The empty password of a synchronisation failure (RFC 3310 3.4). */
    assert_int_equal(m2m_digest_response(&cr, NULL, 0, "GET", NULL, 0, out, &err), 0);
    assert_string_equal(out, "b74c6faebb8baa60ca1e5077000dd8b0");
    /* auth-int covers the body. */
    assert_int_equal(m2m_digest_response(&cr, res, sizeof(res), "POST", "{\"a\":1}", 7, out, &err),
                     0);
    assert_string_equal(out, "0be9de5ea72fd1080a512e2bdd529367");
}

static void test_bootstrap_info(void **state)
{
    struct m2m_gba_bootstrap_info in = {0}, back;
    struct m2m_error err;
    char *body;

    (void)state;
    snprintf(in.btid, sizeof(in.btid), "AAECAwQFBgcICQoLDA0ODw==@bsf.example.com");
    in.lifetime = 1800000000;
    body = m2m_gba_bootstrap_info_encode(&in, &err);
    assert_non_null(body);
    assert_string_equal(body, "{\"btid\":\"AAECAwQFBgcICQoLDA0ODw==@bsf.example.com\","
                              "\"lifetime\":\"2027-01-15T08:00:00Z\"}");
    assert_int_equal(m2m_gba_bootstrap_info_decode(body, strlen(body), &back, &err), 0);
    assert_string_equal(back.btid, in.btid);
    assert_int_equal(back.lifetime, in.lifetime);
    free(body);
    assert_int_equal(m2m_gba_bootstrap_info_decode("{\"btid\":\"abc@bsf.example.com\","
                                                   "\"lifetime\":\"2027-01-15T08:00:00Z\"}",
                                                   60, &back, &err),
                     -1);
    assert_int_equal(err.code, M2M_E_BAD_MESSAGE);
    assert_int_equal(
        m2m_gba_bootstrap_info_decode("{\"btid\":\"AAECAwQFBgcICQoLDA0ODw==@bsf.example.com\"}", 53,
                                      &back, &err),
        -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credentials_first_request),
        cmocka_unit_test(test_credentials_answer_forms),
        cmocka_unit_test(test_credentials_auts),
        cmocka_unit_test(test_credentials_malformed),
        cmocka_unit_test(test_header_bounds),
        cmocka_unit_test(test_credentials_round_trip),
        cmocka_unit_test(test_challenge),
        cmocka_unit_test(test_nonce),
        cmocka_unit_test(test_response_known_answers),
        cmocka_unit_test(test_bootstrap_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
