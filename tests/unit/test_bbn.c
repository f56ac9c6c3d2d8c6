/* Briefing Node: rule file errors by line, every match condition both ways, first-match
 * order, location box edges, mechanism intersection, request hostility, instruction shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <m2msec/bbn.h>

static char dir[] = "/tmp/m2m-bbn-unit.XXXXXX";

/* A small stand-in for libinih (not linked to unit tests): the builder's reader counts
 * lines and sees headers; key = value lines go to the handler. */
static struct m2m_bbn_rules_builder *load(const char *text, struct m2m_bbn_rules **out)
{
    char path[128], buf[256], section[64] = "";
    struct m2m_error err;
    struct m2m_bbn_rules_builder *b;
    FILE *f;

    snprintf(path, sizeof(path), "%s/rules.conf", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
    assert_non_null(b = m2m_bbn_rules_builder_new(path, &err));
    while (m2m_bbn_rules_reader(buf, 200, b) != NULL) {
        char *eq = strchr(buf, '='), *k = buf, *v, *e;
        buf[strcspn(buf, "\n")] = '\0';
        if (buf[0] == '[') {
            snprintf(section, sizeof(section), "%.*s", (int)strcspn(buf + 1, "]"), buf + 1);
            continue;
        }
        if (buf[0] == ';' || buf[0] == ' ' || eq == NULL)
            continue;
        *eq = '\0';
        for (e = eq - 1; e > k && *e == ' '; e--)
            *e = '\0';
        for (v = eq + 1; *v == ' '; v++)
            ;
        m2m_bbn_rules_handler(b, section, k, v);
    }
    *out = m2m_bbn_rules_builder_finish(b, &err);
    return b;
}

static int setup(void **state)
{
    char path[128];
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    /* an anchor file: a fresh self-signed CA */
    struct m2m_cert_spec spec = {
        .kind = M2M_CERT_ROOT_CA, .common_name = "Unit Root", .path_len = -1};
    struct m2m_error err;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    snprintf(path, sizeof(path), "%s/a.pem", dir);
    assert_int_equal(m2m_pki_issue(&spec, NULL, &key, &cert, &err), 0);
    assert_int_equal(m2m_pki_write_cert(path, cert, &err), 0);
    EVP_PKEY_free(key);
    X509_free(cert);
    (void)f;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

#define RESULT                                                                                     \
    "mechanism = psk\ntarget_id = mef.example.com\ntarget_uri = https://mef.example.com\n"         \
    "trust_anchors = a.pem\n"

static void test_rule_errors(void **state)
{
    static const struct {
        const char *text;
        const char *error; /* the first error, "LINE: ..." prefix; NULL: valid */
    } cases[] = {
        {"[rule.ok]\n" RESULT, NULL},
        {"[rule.ok]\n" RESULT "lat_min = -90\nlat_max = 90\nlon_min = -180\nlon_max = 180\n", NULL},
        {"[rule.a]\ncolour = red\n" RESULT, "2: unknown key 'colour'"},
        {"[rule.a]\n" RESULT "lat_min = 90.5\n", "6: 90.5 is outside"},
        {"[rule.a]\n" RESULT "lon_max = east\n", "6: 'east' is not a number"},
        {"[rule.a]\n" RESULT "lifetime = 5\n", "6: 5 is outside"},
        {"[rule.a]\n" RESULT "[rule.a]\n" RESULT, "6: rule 'a' already defined at line 1"},
        {"[rule.a]\nsite = x\n", "1: rule 'a' has no complete result"},
        {"[rule.a]\n" RESULT "lat_min = 1\n", "1: rule 'a': a location box needs"},
        {"[rule.a]\n" RESULT "lat_min = 2\nlat_max = 1\nlon_min = 0\nlon_max = 1\n",
         "1: rule 'a': location box minimum"},
        {"[rule.a]\nmechanism = psk\ntarget_id = mef.example.com\n"
         "target_uri = https://mef.example.com\ntrust_anchors = missing.pem\n",
         "5: trust anchors 'missing.pem'"},
        {"[rule.a]\n" RESULT "mechanism = gba\n", "6: 'mechanism' given twice"},
        {"[rule.a]\nmechanism = teleport\n", "2: unknown mechanism"},
        {"[rule.a]\n" RESULT "device_prefix = 0.2..1\n", "6: '0.2..1' is not a dotted OID"},
        {"[rule.a]\n" RESULT "enrolment_targets = maf.example.com:7\n", "6: '7' is not a defined"},
        {"[rule.a]\n" RESULT "flavour = robot\n", "6: unknown flavour 'robot'"},
        {"[rule.a]\n" RESULT "target_uri = http://x\n", "6: 'target_uri' given twice"},
        {"[rule.a]\nmechanism = psk\ntarget_id = mef.example.com\ntarget_uri = ftp://x\n",
         "4: 'ftp://x' is not an https"},
        {"[rules]\n" RESULT, "1: unknown section [rules]"},
        {"[rule.a b]\n" RESULT, "1: rule name 'a b'"},
        {"; nothing\n", "0: no [rule.NAME] section"},
        {"[rule.a]\n" RESULT "just words\n", "6: expected [rule.NAME] or key = value"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_bbn_rules *r = NULL;
        struct m2m_bbn_rules_builder *b = load(cases[i].text, &r);
        const char *e = m2m_bbn_rules_builder_error(b, 0);
        if (cases[i].error == NULL) {
            if (r == NULL)
                fail_msg("case %zu: unexpected error %s", i, e);
        } else {
            if (r != NULL || e == NULL || strncmp(e, cases[i].error, strlen(cases[i].error)))
                fail_msg("case %zu: got '%s', want '%s'", i, e ? e : "(none)", cases[i].error);
        }
        m2m_bbn_rules_free(r);
        m2m_bbn_rules_builder_free(b);
    }
}

static const char RULES[] =
    "[rule.box]\ntrust = acme\nlat_min = 10\nlat_max = 20\nlon_min = -5\nlon_max = 5\n"
    "mechanism = certificate\ntarget_id = box.example.com\ntarget_uri = https://box.example.com\n"
    "trust_anchors = a.pem\nenrolment_targets = maf.example.com:21\nlifetime = 600\n"
    "[rule.site]\nsite = plant-7\nflavour = device\nmechanism = psk\ntarget_id = site.example.com\n"
    "target_uri = https://site.example.com\ntrust_anchors = a.pem\n"
    "[rule.prefix]\ndevice_prefix = 0.2.481.1.100\nmechanism = psk\n"
    "target_id = prefix.example.com\ntarget_uri = https://prefix.example.com\ntrust_anchors = "
    "a.pem\n"
    "[rule.glob]\nidentity = urn:dev:ops:gw-*\ntransport = coaps\nmechanism = gba\n"
    "target_id = glob.example.com\ntarget_uri = coaps://glob.example.com\ntrust_anchors = a.pem\n";

static void request(struct m2m_bbn_request *q, const char *site, int loc, double lat, double lon,
                    const char *mech, const char *transport)
{
    memset(q, 0, sizeof(*q));
    if (site) {
        q->has_site = true;
        snprintf(q->site, sizeof(q->site), "%s", site);
    }
    q->has_location = loc, q->lat = lat, q->lon = lon;
    q->n_mechanisms = 1;
    snprintf(q->mechanisms[0], sizeof(q->mechanisms[0]), "%s", mech);
    q->n_transports = 1;
    snprintf(q->transports[0], sizeof(q->transports[0]), "%s", transport);
}

static void test_matching(void **state)
{
    static const struct {
        const char *set, *id;
        enum m2m_flavour f;
        const char *site;
        int loc;
        double lat, lon;
        const char *mech, *transport, *want; /* want: rule name or NULL (no match) */
    } cases[] = {
        /* location box: inside, every edge, just outside; and the trust condition */
        {"acme", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, NULL, 1, 15, 0, "certificate", "https", "box"},
        {"acme", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, NULL, 1, 10, -5, "certificate", "https", "box"},
        {"acme", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, NULL, 1, 20, 5, "certificate", "https", "box"},
        {"acme", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, NULL, 1, 20.0001, 0, "certificate", "https",
         NULL},
        {"acme", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, NULL, 1, 15, -5.0001, "certificate", "https",
         NULL},
        {"acme", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, NULL, 0, 0, 0, "certificate", "https", NULL},
        {"other", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, NULL, 1, 15, 0, "certificate", "https", NULL},
        /* mechanism intersection: the box rule needs certificate; then site rule (psk) */
        {"acme", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, "plant-7", 1, 15, 0, "psk", "https", "site"},
        /* site exact, flavour */
        {"x", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, "plant-7", 0, 0, 0, "psk", "https", "site"},
        {"x", "0.2.481.1.9", M2M_FLAVOUR_DEVICE, "plant-70", 0, 0, 0, "psk", "https", NULL},
        {"x", "urn:dev:ops:a", M2M_FLAVOUR_NODE_ID, "plant-7", 0, 0, 0, "psk", "https", NULL},
        /* device prefix: whole arcs only */
        {"x", "0.2.481.1.100.3030", M2M_FLAVOUR_DEVICE, NULL, 0, 0, 0, "psk", "https", "prefix"},
        {"x", "0.2.481.1.100", M2M_FLAVOUR_DEVICE, NULL, 0, 0, 0, "psk", "https", "prefix"},
        {"x", "0.2.481.1.1000", M2M_FLAVOUR_DEVICE, NULL, 0, 0, 0, "psk", "https", NULL},
        {"x", "0.2.481.1.100.1", M2M_FLAVOUR_FQDN, NULL, 0, 0, 0, "psk", "https", NULL},
        /* identity glob and transport */
        {"x", "urn:dev:ops:gw-1", M2M_FLAVOUR_NODE_ID, NULL, 0, 0, 0, "gba", "coaps", "glob"},
        {"x", "urn:dev:ops:sensor-1", M2M_FLAVOUR_NODE_ID, NULL, 0, 0, 0, "gba", "coaps", NULL},
        {"x", "urn:dev:ops:gw-1", M2M_FLAVOUR_NODE_ID, NULL, 0, 0, 0, "gba", "https", NULL},
        {"x", "urn:dev:ops:gw-1", M2M_FLAVOUR_NODE_ID, NULL, 0, 0, 0, "psk", "coaps", NULL},
    };
    struct m2m_bbn_rules *r = NULL;
    struct m2m_bbn_rules_builder *b = load(RULES, &r);

    (void)state;
    assert_non_null(r);
    assert_int_equal(m2m_bbn_rules_count(r), 4);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_verified v = {.flavour = cases[i].f};
        struct m2m_bbn_request q;
        struct m2m_bbn_instruction in;
        struct m2m_error err;
        char why[300];
        int rc;
        snprintf(v.identity, sizeof(v.identity), "%s", cases[i].id);
        snprintf(v.trust_set, sizeof(v.trust_set), "%s", cases[i].set);
        request(&q, cases[i].site, cases[i].loc, cases[i].lat, cases[i].lon, cases[i].mech,
                cases[i].transport);
        rc = m2m_bbn_brief(r, &v, &q, 1000, &in, why, sizeof(why), &err);
        if (cases[i].want == NULL) {
            if (rc != 1)
                fail_msg("case %zu: matched rule '%s'", i, in.rule);
            assert_non_null(strstr(why, "rule 'box'"));
        } else {
            if (rc != 0 || strcmp(in.rule, cases[i].want) != 0)
                fail_msg("case %zu: rc %d rule '%s' (%s)", i, rc, rc == 0 ? in.rule : "", why);
            m2m_bbn_instruction_clear(&in);
        }
    }
    m2m_bbn_rules_free(r);
    m2m_bbn_rules_builder_free(b);
}

static void test_request_decode(void **state)
{
    static const struct {
        const char *body;
        int ok;
    } cases[] = {
        {"{\"mechanisms\":[\"psk\"],\"transports\":[\"https\"]}", 1},
        {"{\"mechanisms\":[\"psk\"],\"transports\":[\"https\"],\"site\":\"s\","
         "\"location\":{\"lat\":-90,\"lon\":180}}",
         1},
        {"{\"mechanisms\":[],\"transports\":[\"https\"]}", 0},
        {"{\"mechanisms\":[\"psk\"]}", 0},
        {"{\"mechanisms\":[1],\"transports\":[\"https\"]}", 0},
        {"{\"mechanisms\":[\"\"],\"transports\":[\"https\"]}", 0},
        {"{\"mechanisms\":[\"psk\"],\"transports\":[\"https\"],\"site\":\"\"}", 0},
        {"{\"mechanisms\":[\"psk\"],\"transports\":[\"https\"],\"location\":{\"lat\":\"1\","
         "\"lon\":0}}",
         0},
        {"{\"mechanisms\":[\"psk\"],\"transports\":[\"https\"],\"location\":{\"lat\":0}}", 0},
        {"{\"mechanisms\":[\"psk\"],\"transports\":[\"https\"],\"location\":{\"lat\":-90.1,"
         "\"lon\":0}}",
         0},
        {"{\"mechanisms\":[\"psk\"],\"transports\":[\"https\"],\"location\":{\"lat\":0,"
         "\"lon\":180.1}}",
         0},
        {"{\"mechanisms\":[\"psk\"],\"mechanisms\":[\"gba\"],\"transports\":[\"https\"]}", 0},
        {"[]", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_bbn_request q;
        struct m2m_error err;
        int rc = m2m_bbn_request_decode(cases[i].body, strlen(cases[i].body), &q, &err);
        if ((rc == 0) != cases[i].ok)
            fail_msg("case %zu: rc %d", i, rc);
    }
}

static void test_handle_and_shape(void **state)
{
    static const char body[] = "{\"mechanisms\":[\"certificate\"],\"transports\":[\"https\"],"
                               "\"location\":{\"lat\":12.5,\"lon\":0}}";
    struct m2m_bbn_rules *r = NULL;
    struct m2m_bbn_rules_builder *b = load(RULES, &r);
    struct m2m_verified v = {.flavour = M2M_FLAVOUR_DEVICE};
    struct m2m_bbn_response resp;
    struct m2m_bbn_instruction in;
    struct m2m_error err;

    (void)state;
    snprintf(v.identity, sizeof(v.identity), "0.2.481.1.9");
    snprintf(v.trust_set, sizeof(v.trust_set), "acme");
    m2m_bbn_handle(r, "POST", "/briefing", body, strlen(body), &v, 1000, &resp);
    assert_int_equal(resp.http_status, 200);
    assert_int_equal(m2m_bbn_instruction_decode(resp.body, strlen(resp.body), &in, &err), 0);
    assert_string_equal(in.mechanism, "certificate");
    assert_string_equal(in.target_id, "box.example.com");
    assert_string_equal(in.target_uri, "https://box.example.com");
    assert_int_equal(in.n_anchors, 1);
    assert_non_null(strstr(in.trust_anchors[0], "BEGIN CERTIFICATE"));
    assert_int_equal(in.n_targets, 1);
    assert_string_equal(in.targets[0].id, "maf.example.com");
    assert_int_equal(in.targets[0].suid, 21);
    assert_int_equal(in.expires, 1600);
    m2m_bbn_instruction_clear(&in);
    m2m_bbn_response_clear(&resp);

    v.trust_set[0] = 'z'; /* no rule */
    m2m_bbn_handle(r, "POST", "/briefing", body, strlen(body), &v, 1000, &resp);
    assert_int_equal(resp.http_status, 403);
    assert_non_null(strstr(resp.body, "no rule matches: device '0.2.481.1.9'"));
    m2m_bbn_response_clear(&resp);
    m2m_bbn_handle(r, "POST", "/briefing", "{", 1, &v, 1000, &resp);
    assert_int_equal(resp.http_status, 400);
    m2m_bbn_response_clear(&resp);
    m2m_bbn_handle(r, "GET", "/briefing", NULL, 0, &v, 1000, &resp);
    assert_int_equal(resp.http_status, 405);
    m2m_bbn_response_clear(&resp);
    m2m_bbn_handle(r, "POST", "/other", NULL, 0, &v, 1000, &resp);
    assert_int_equal(resp.http_status, 404);
    m2m_bbn_response_clear(&resp);
    m2m_bbn_handle(r, "POST", "/briefing", body, strlen(body), NULL, 1000, &resp);
    assert_int_equal(resp.http_status, 403);
    m2m_bbn_response_clear(&resp);
    m2m_bbn_rules_free(r);
    m2m_bbn_rules_builder_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_errors),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_request_decode),
        cmocka_unit_test(test_handle_and_shape),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
