/* Entity configuration: peer entries (derived certificate names and SNI, Credential-ID
 * mapping, refusals), the PSK file (format, mode 0600) and the allowed-peers file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "assoc/assoc_internal.h"
#include "assoc_helpers.h"

static struct assoc_ca root;
static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/m2m-assoc-XXXXXX");
    return mkdtemp(dir) != NULL && assoc_ca_make(&root, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    assoc_ca_free(&root);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- peer entries ---- */
struct peer_case {
    const char *name;
    struct m2m_assoc_peer in; /* root filled in when with_root */
    int with_root;
    int ok;
    enum m2m_flavour flavour;
    const char *cert_name;
    const char *psk_identity;
    const char *sni;
    const char *id;
};

static const struct peer_case peer_cases[] = {
    {"IN-CSE: name and SNI from the CSE-ID",
     {.id = "//sp.example.com/CSE1", .flavour = M2M_FLAVOUR_CSE_ID},
     1,
     1,
     M2M_FLAVOUR_CSE_ID,
     "cse1.sp.example.com",
     NULL,
     "cse1.sp.example.com",
     "//sp.example.com/CSE1"},
    {"MN-CSE under an IN-CSE",
     {.id = "/MN7", .flavour = M2M_FLAVOUR_CSE_ID, .in_cse_id = "/IN1"},
     1,
     1,
     M2M_FLAVOUR_CSE_ID,
     "mn7.in1.sp.example.com",
     NULL,
     "mn7.in1.sp.example.com",
     "//sp.example.com/MN7"},
    {"AE-ID: onem2m URI, SNI the SP domain",
     {.id = "/CSE1/Cae9", .flavour = M2M_FLAVOUR_AE_ID},
     1,
     1,
     M2M_FLAVOUR_AE_ID,
     "onem2m://sp.example.com/CSE1/Cae9",
     NULL,
     "sp.example.com",
     "//sp.example.com/CSE1/Cae9"},
    {"explicit name and SNI",
     {.id = "/CSE1",
      .flavour = M2M_FLAVOUR_FQDN,
      .cert_name = "gw.example.com",
      .server_name = "Route.Example.com"},
     1,
     1,
     M2M_FLAVOUR_FQDN,
     "gw.example.com",
     NULL,
     "route.example.com",
     NULL},
    {"Credential-ID 31: device certificate",
     {.id = "/CSE2", .credential_id = "31-0.2.481.1.100.3030.10011"},
     1,
     1,
     M2M_FLAVOUR_DEVICE,
     "0.2.481.1.100.3030.10011",
     NULL,
     "cse2.sp.example.com",
     NULL},
    {"Credential-ID 34: Node-ID certificate",
     {.id = "/CSE3", .credential_id = "34-urn:dev:ops:acme-meter-17"},
     1,
     1,
     M2M_FLAVOUR_NODE_ID,
     "urn:dev:ops:acme-meter-17",
     NULL,
     NULL,
     NULL},
    {"Credential-ID 33: AE-ID certificate",
     {.id = "/CSE1/Cae1", .credential_id = "33-//sp.example.com/CSE1/Cae1"},
     1,
     1,
     M2M_FLAVOUR_AE_ID,
     "onem2m://sp.example.com/CSE1/Cae1",
     NULL,
     NULL,
     NULL},
    {"Credential-ID 12: KpsaID",
     {.id = "/CSE4", .credential_id = "12-00112233445566778899aabbccddeeff@sp.example.com"},
     0,
     1,
     M2M_FLAVOUR_NONE,
     NULL,
     "00112233445566778899aabbccddeeff@sp.example.com",
     "cse4.sp.example.com",
     NULL},
    {"Credential-ID 30 (raw key) refused",
     {.id = "/CSE5",
      .credential_id = "30-ni:///sha-256;UyaQV-Ev4rdLoHyJJWCi11OHfrYv9E1aGQAlMO2X_-Q"},
     .with_root = 1},
    {"no root of trust", {.id = "/CSE1", .flavour = M2M_FLAVOUR_CSE_ID}, .with_root = 0},
    {"neither flavour nor PSK", {.id = "/CSE1"}, .with_root = 1},
    {"certificate and PSK at once",
     {.id = "/CSE1", .flavour = M2M_FLAVOUR_CSE_ID, .psk_identity = "k@sp.example.com"},
     .with_root = 1},
    {"device peer without a name", {.id = "/CSE1", .flavour = M2M_FLAVOUR_DEVICE}, .with_root = 1},
    {"an SP-ID is no peer id",
     {.id = "//sp.example.com", .flavour = M2M_FLAVOUR_CSE_ID},
     .with_root = 1},
    {"malformed id", {.id = "CSE1", .flavour = M2M_FLAVOUR_CSE_ID}, .with_root = 1},
    {"wildcard SNI refused",
     {.id = "/CSE1", .flavour = M2M_FLAVOUR_CSE_ID, .server_name = "*.example.com"},
     .with_root = 1},
};

static void test_peer_entries(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(peer_cases) / sizeof(peer_cases[0]); i++) {
        const struct peer_case *c = &peer_cases[i];
        struct m2m_error err;
        struct m2m_assoc_config *cfg = m2m_assoc_config_new(&err);
        struct m2m_assoc_peer in = c->in;
        int rc;

        print_message("%s\n", c->name);
        assert_int_equal(m2m_assoc_config_set_sp_id(cfg, "//sp.example.com", &err), 0);
        if (c->with_root)
            in.root = root.trust;
        rc = m2m_assoc_config_add_peer(cfg, &in, &err);
        if (!c->ok) {
            assert_int_equal(rc, -1);
            assert_int_equal(m2m_assoc_config_peer_count(cfg), 0);
            m2m_assoc_config_free(cfg);
            continue;
        }
        if (rc != 0)
            fail_msg("%s: %s", c->name, err.msg);
        assert_int_equal(cfg->peers[0].flavour, c->flavour);
        if (c->cert_name)
            assert_string_equal(cfg->peers[0].cert_name, c->cert_name);
        if (c->psk_identity)
            assert_string_equal(cfg->peers[0].psk_identity, c->psk_identity);
        if (c->sni)
            assert_string_equal(cfg->peers[0].server_name, c->sni);
        if (c->id)
            assert_string_equal(cfg->peers[0].id, c->id);
        m2m_assoc_config_free(cfg);
    }
}

static void test_duplicates_and_relative_ids(void **state)
{
    struct m2m_error err;
    struct m2m_assoc_config *cfg = m2m_assoc_config_new(&err);
    struct m2m_assoc_peer a = {
        .id = "//sp.example.com/CSE1", .flavour = M2M_FLAVOUR_CSE_ID, .root = root.trust};
    struct m2m_assoc_peer b = a, p = {.id = "//sp.example.com/CSE2", .psk_identity = "k@x.example"};

    (void)state;
    /* Without an SP-ID an SP-relative id cannot be made absolute. */
    assert_int_equal(m2m_assoc_config_set_id(cfg, "/CSE9", &err), -1);
    assert_int_equal(m2m_assoc_config_set_id(cfg, "//sp.example.com/CSE9", &err), 0);
    assert_string_equal(m2m_assoc_config_id(cfg), "//sp.example.com/CSE9");
    assert_int_equal(m2m_assoc_config_add_peer(cfg, &a, &err), 0);
    /* The same certificate name under another id would make the binding ambiguous. */
    b.id = "//sp.example.com/CSE7";
    b.cert_name = "cse1.sp.example.com";
    assert_int_equal(m2m_assoc_config_add_peer(cfg, &b, &err), -1);
    assert_int_equal(m2m_assoc_config_add_peer(cfg, &p, &err), 0);
    p.id = "//sp.example.com/CSE3";
    assert_int_equal(m2m_assoc_config_add_peer(cfg, &p, &err), -1);
    assert_int_equal(m2m_assoc_config_peer_count(cfg), 2);
    m2m_assoc_config_free(cfg);
    m2m_assoc_config_free(NULL);
}

/* ---- PSK file ---- */
static void write_file(const char *name, mode_t mode, const char *text, char *path, size_t sz)
{
    FILE *f;

    snprintf(path, sz, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

struct psk_file_case {
    const char *name;
    mode_t mode;
    const char *text;
    enum m2m_errcode code; /* M2M_OK: loads */
};

#define GOOD_PSK                                                                                   \
    "{\"version\": 1, \"keys\": [{\"id\": \"00112233445566778899aabbccddeeff@maf.example."         \
    "com\", \"key\": \"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\", "       \
    "\"peer\": \"//sp.example.com/CSE1\"}, {\"id\": \"k2@sp.example.com\", \"key\": "              \
    "\"aabb\"}]}"

static const struct psk_file_case psk_files[] = {
    {"good, 0600", 0600, GOOD_PSK, M2M_OK},
    {"good, 0400", 0400, GOOD_PSK, M2M_OK},
    {"group-readable", 0640, GOOD_PSK, M2M_E_FILE_MODE},
    {"world-readable", 0644, GOOD_PSK, M2M_E_FILE_MODE},
    {"group-writable", 0620, GOOD_PSK, M2M_E_FILE_MODE},
    {"not JSON", 0600, "identity=key", M2M_E_BAD_MESSAGE},
    {"no version", 0600, "{\"keys\": []}", M2M_E_BAD_MESSAGE},
    {"key not hex", 0600, "{\"version\":1,\"keys\":[{\"id\":\"a@b.example\",\"key\":\"xyz\"}]}",
     M2M_E_HEX},
    {"identity twice", 0600,
     "{\"version\":1,\"keys\":[{\"id\":\"a@b.example\",\"key\":\"00\"},"
     "{\"id\":\"a@b.example\",\"key\":\"01\"}]}",
     M2M_E_INVALID_ARG},
    {"bad expiry", 0600,
     "{\"version\":1,\"keys\":[{\"id\":\"a@b.example\",\"key\":\"00\",\"expires\":\"soon\"}]}",
     M2M_E_BAD_MESSAGE},
    {"peer not a string", 0600,
     "{\"version\":1,\"keys\":[{\"id\":\"a@b.example\",\"key\":\"00\",\"peer\":1}]}",
     M2M_E_BAD_MESSAGE},
};

static void test_psk_file(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(psk_files) / sizeof(psk_files[0]); i++) {
        const struct psk_file_case *c = &psk_files[i];
        char path[128], name[32];
        struct m2m_error err;
        struct m2m_psk_store *s;

        print_message("%s\n", c->name);
        snprintf(name, sizeof(name), "psk%zu.json", i);
        write_file(name, c->mode, c->text, path, sizeof(path));
        s = m2m_psk_store_load(path, &err);
        if (c->code != M2M_OK) {
            assert_null(s);
            if (err.code != c->code)
                fail_msg("%s: %s", c->name, err.msg);
            continue;
        }
        if (s == NULL)
            fail_msg("%s: %s", c->name, err.msg);
        {
            struct m2m_secret *k = NULL;
            const char *peer = NULL;
            assert_int_equal(m2m_psk_store_get(s,
                                               "00112233445566778899aabbccddeeff@maf.example.com",
                                               &k, &peer, &err),
                             0);
            assert_int_equal(m2m_secret_len(k), 32);
            assert_int_equal(m2m_secret_cdata(k)[31], 0x1f);
            assert_string_equal(peer, "//sp.example.com/CSE1");
            m2m_secret_free(k);
            assert_int_equal(m2m_psk_store_get(s, "k2@sp.example.com", &k, &peer, &err), 0);
            assert_null(peer);
            m2m_secret_free(k);
            assert_int_equal(m2m_psk_store_get(s, "nope@sp.example.com", &k, NULL, &err), -1);
            assert_int_equal(err.code, M2M_E_TLS_PSK_UNKNOWN);
            assert_null(k);
        }
        m2m_psk_store_free(s);
    }
    {
        struct m2m_error err;
        assert_null(m2m_psk_store_load("/nonexistent/psk.json", &err));
        assert_int_equal(err.code, M2M_E_IO);
    }
}

/* Entries past their lifetime are refused; the enrolment store's other members are ignored. */
static void test_psk_expiry(void **state)
{
    char path[128];
    struct m2m_error err;
    struct m2m_psk_store *s;
    struct m2m_secret *k = NULL;

    (void)state;
    write_file("expiry.json", 0600,
               "{\"version\": 1, \"keys\": ["
               "{\"id\": \"old@maf.example.com\", \"type\": \"Km\", \"key\": \"0011\","
               " \"peer\": \"maf.example.com\", \"expires\": \"2001-01-01T00:00:00Z\"},"
               "{\"id\": \"new@maf.example.com\", \"type\": \"Km\", \"key\": \"2233\","
               " \"expires\": \"2999-01-01T00:00:00Z\", \"instructions\": []}]}",
               path, sizeof(path));
    s = m2m_psk_store_load(path, &err);
    if (s == NULL)
        fail_msg("%s", err.msg);
    assert_int_equal(m2m_psk_store_get(s, "old@maf.example.com", &k, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXPIRED);
    assert_null(k);
    assert_int_equal(m2m_psk_store_get(s, "new@maf.example.com", &k, NULL, &err), 0);
    assert_int_equal(m2m_secret_cdata(k)[1], 0x33);
    m2m_secret_free(k);
    m2m_psk_store_free(s);
}

/* ---- allowed-peers file ---- */
static void test_peers_file(void **state)
{
    char path[128], rootpath[128], text[1024];
    struct m2m_error err;
    struct m2m_assoc_config *cfg;

    (void)state;
    snprintf(rootpath, sizeof(rootpath), "%s/root.pem", dir);
    assert_int_equal(m2m_pki_write_cert(rootpath, m2m_credential_cert(root.cred), &err), 0);
    snprintf(text, sizeof(text),
             "{\"peers\": ["
             "{\"id\": \"//sp.example.com/CSE1\", \"flavour\": \"cse-id\", \"root\": \"root.pem\"},"
             "{\"id\": \"//sp.example.com/CSE2\", \"flavour\": \"cse-id\", \"root\": \"%s\"},"
             "{\"id\": \"//sp.example.com/CSE3\", \"credentialId\": \"31-0.2.481.1.7\","
             " \"root\": \"root.pem\"},"
             "{\"id\": \"//sp.example.com/CSE4\", \"pskIdentity\": \"k@sp.example.com\"}]}",
             rootpath);
    write_file("peers.json", 0644, text, path, sizeof(path));
    cfg = m2m_assoc_config_new(&err);
    if (m2m_assoc_config_load_peers(cfg, path, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(m2m_assoc_config_peer_count(cfg), 4);
    /* Same root file, one trust set. */
    assert_ptr_equal(cfg->peers[0].root, cfg->peers[2].root);
    assert_string_equal(cfg->peers[2].cert_name, "0.2.481.1.7");
    m2m_assoc_config_free(cfg);

    static const char *const bad[] = {
        "{\"peers\": [{\"id\": \"//sp.example.com/CSE1\", \"flavor\": \"cse-id\"}]}",
        "{\"peers\": [{\"id\": \"//sp.example.com/CSE1\", \"flavour\": \"cse-id\","
        " \"root\": \"missing.pem\"}]}",
        "{\"peers\": [{\"id\": \"//sp.example.com/CSE1\", \"flavour\": \"bogus\"}]}",
        "{\"peers\": {}}",
        "[1, 2",
        "{\"peers\": [{\"id\": 7}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file("bad.json", 0644, bad[i], path, sizeof(path));
        cfg = m2m_assoc_config_new(&err);
        assert_int_equal(m2m_assoc_config_load_peers(cfg, path, &err), -1);
        assert_true(err.msg[0] != '\0');
        m2m_assoc_config_free(cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peer_entries), cmocka_unit_test(test_duplicates_and_relative_ids),
        cmocka_unit_test(test_psk_file),     cmocka_unit_test(test_psk_expiry),
        cmocka_unit_test(test_peers_file),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
