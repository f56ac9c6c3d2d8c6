/* The fetchCredentials request path (DESIGN.md section 4; SPEC.md section 8 for B-TIDs):
 * encode and decode agree, and every malformed path is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <m2msec/proto.h>

static const struct {
    const char *keid;
    unsigned suid;
    const char *ua;
    const char *path; /* the formatted path including its query */
} good[] = {
    {"000102030405060708090a0b0c0d0e0f@mef.example.com", 21, NULL,
     "/fetchCredentials/000102030405060708090a0b0c0d0e0f@mef.example.com/21"},
    {"ab/+cd==@mef.example.com", 22, "01000100ae",
     "/fetchCredentials/ab%2F%2Bcd%3D%3D@mef.example.com/22?ua=01000100ae"},
    {"k%@mef.example.com", 7, "010001c0a8",
     "/fetchCredentials/k%25@mef.example.com/7?ua=010001c0a8"},
};

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char path[512], keid[400], ua[M2M_FETCH_UA_HEX_LEN + 1];
        unsigned suid = 0;
        struct m2m_error err;
        char *q;

        assert_int_equal(
            m2m_fetch_path_format(good[i].keid, good[i].suid, good[i].ua, path, sizeof(path), &err),
            0);
        assert_string_equal(path, good[i].path);
        q = strchr(path, '?');
        if (q != NULL)
            *q++ = '\0';
        assert_int_equal(m2m_fetch_path_parse(path, q, keid, sizeof(keid), &suid, ua, &err), 0);
        assert_string_equal(keid, good[i].keid);
        assert_int_equal(suid, good[i].suid);
        assert_string_equal(ua, good[i].ua ? good[i].ua : "");
    }
}

static const struct {
    const char *name;
    const char *path;
    const char *query;
} bad[] = {
    {"other resource", "/enrolment/abc/21", NULL},
    {"no SUID", "/fetchCredentials/abc@mef.example.com", NULL},
    {"extra segment", "/fetchCredentials/ab/cd@mef.example.com/21", NULL},
    {"empty KeID", "/fetchCredentials//21", NULL},
    {"empty SUID", "/fetchCredentials/abc@mef.example.com/", NULL},
    {"SUID not digits", "/fetchCredentials/abc@mef.example.com/2x", NULL},
    {"SUID too long", "/fetchCredentials/abc@mef.example.com/0021", NULL},
    {"truncated escape", "/fetchCredentials/abc%2/21", NULL},
    {"bad escape", "/fetchCredentials/abc%zz/21", NULL},
    {"escaped NUL", "/fetchCredentials/abc%00x/21", NULL},
    {"escaped newline", "/fetchCredentials/abc%0A/21", NULL},
    {"escaped space", "/fetchCredentials/a%20b/21", NULL},
    {"non-ASCII byte", "/fetchCredentials/a%C3%A9b/21", NULL},
    {"unescaped space", "/fetchCredentials/a b@mef.example.com/21", NULL},
    {"unescaped quote", "/fetchCredentials/a\"b@mef.example.com/21", NULL},
    {"short ua", "/fetchCredentials/abc@mef.example.com/21", "ua=010001"},
    {"ua not hex", "/fetchCredentials/abc@mef.example.com/21", "ua=01000100xz"},
    {"ua without value", "/fetchCredentials/abc@mef.example.com/21", "x=1&ua"},
    {"ua twice", "/fetchCredentials/abc@mef.example.com/21", "ua=01000100ae&ua=01000100ae"},
};

static void test_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char keid[400], ua[M2M_FETCH_UA_HEX_LEN + 1];
        unsigned suid = 0;
        struct m2m_error err;

        if (m2m_fetch_path_parse(bad[i].path, bad[i].query, keid, sizeof(keid), &suid, ua, &err) ==
            0)
            fail_msg("%s: accepted", bad[i].name);
        assert_true(err.code == M2M_E_BAD_MESSAGE || err.code == M2M_E_SUID);
    }
}

/* Unescaped sub-delimiters are pchars; other query parameters are ignored; ua is
 * normalised to lowercase. */
static void test_lenient_forms(void **state)
{
    char keid[400], ua[M2M_FETCH_UA_HEX_LEN + 1];
    unsigned suid = 0;
    struct m2m_error err;

    (void)state;
    assert_int_equal(m2m_fetch_path_parse("/fetchCredentials/ab+c==@mef.example.com/22",
                                          "x=1&ua=01000100AE", keid, sizeof(keid), &suid, ua, &err),
                     0);
    assert_string_equal(keid, "ab+c==@mef.example.com");
    assert_int_equal(suid, 22);
    assert_string_equal(ua, "01000100ae");
}

static void test_format_refused(void **state)
{
    char path[64], big[300];
    struct m2m_error err;

    (void)state;
    assert_int_not_equal(m2m_fetch_path_format("", 21, NULL, path, sizeof(path), &err), 0);
    assert_int_not_equal(m2m_fetch_path_format("k@m.example", 21, "0100", path, sizeof(path), &err),
                         0);
    memset(big, '/', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    /* Each '/' takes three characters: refused, not truncated. */
    assert_int_not_equal(m2m_fetch_path_format(big, 21, NULL, path, sizeof(path), &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_lenient_forms),
        cmocka_unit_test(test_format_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
