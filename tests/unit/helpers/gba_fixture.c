/* The GBA test fixture of gba_helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <m2msec/crypto.h>
#include <m2msec/digest.h>
#include <m2msec/encoding.h>

#include "gba_helpers.h"

static void add_target(struct m2m_store *st, const char *id)
{
    struct m2m_store_target t;
    struct m2m_error err;

    memset(&t, 0, sizeof(t));
    snprintf(t.target_id, sizeof(t.target_id), "%s", id);
    assert_int_equal(m2m_store_target_add(st, &t, NULL, &err), 0);
    assert_int_equal(m2m_store_auth_add(st, id, 21, M2M_STORE_ANY_ENROLEE, &err), 0);
}

static void add_subscriber(struct gba_fx *f, int64_t ke_lifetime)
{
    struct m2m_store_gba_subscriber *s = calloc(1, sizeof(*s));
    struct m2m_secret *k = m2m_secret_from_hex(GBA_K, NULL);
    struct m2m_secret *opc = m2m_secret_from_hex(GBA_OPC, NULL);
    struct m2m_error err;

    assert_non_null(s);
    snprintf(s->impi, sizeof(s->impi), GBA_IMPI);
    snprintf(s->enrolee_id, sizeof(s->enrolee_id), "//sp.example.com/CSE9");
    s->ke_lifetime = ke_lifetime;
    s->n_naf = 1;
    snprintf(s->naf[0], sizeof(s->naf[0]), "maf.example.com");
    if (m2m_store_gba_subscriber_add(f->st, s, k, opc, &err) != 0)
        fail_msg("subscriber: %s", err.msg);
    m2m_secret_free(k);
    m2m_secret_free(opc);
    free(s);
}

struct gba_fx *gba_fx_new(int64_t ke_lifetime, int64_t challenge_lifetime)
{
    struct gba_fx *f = calloc(1, sizeof(*f));
    struct m2m_mef_config cfg;
    struct m2m_error err;
    char url[128];

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-gba-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(url, sizeof(url), "sqlite:%s/mef.db", f->dir);
    f->kek = m2m_secret_new(32, &err);
    assert_int_equal(m2m_random(m2m_secret_data(f->kek), 32, &err), 0);
    f->st = m2m_store_open(url, f->kek, &err);
    assert_non_null(f->st);
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.fqdn, sizeof(cfg.fqdn), "MEF.Example.com");
    snprintf(cfg.sp_id, sizeof(cfg.sp_id), "//sp.example.com");
    snprintf(cfg.in_cse_id, sizeof(cfg.in_cse_id), "in-cse");
    cfg.gba_challenge_lifetime = challenge_lifetime;
    f->mef = m2m_mef_new(&cfg, &err);
    assert_non_null(f->mef);
    add_subscriber(f, ke_lifetime);
    add_target(f->st, "maf.example.com");
    add_target(f->st, "maf2.example.com");
    return f;
}

void gba_fx_free(struct gba_fx *f)
{
    char path[128];
    static const char *const suffix[] = {"", "-wal", "-shm"};

    if (f == NULL)
        return;
    m2m_store_close(f->st);
    m2m_mef_free(f->mef);
    m2m_secret_free(f->kek);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/mef.db%s", f->dir, suffix[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
}

void gba_ub(struct gba_fx *f, const char *authorization, struct m2m_mef_response *resp)
{
    struct m2m_mef_request req = {
        .method = "GET", .path = M2M_BSF_PATH, .authorization = authorization};
    struct m2m_error err;

    m2m_bsf_handle(f->mef, f->st, &req, resp);
    if (resp->write != NULL) {
        assert_int_equal(m2m_store_begin(f->st, &err), 0);
        if (m2m_mef_write_apply(resp->write, f->st, &err) != 0)
            fail_msg("write: %s", err.msg);
        assert_int_equal(m2m_store_commit(f->st, &err), 0);
    }
}

void gba_first_header(const char *impi, char *out, size_t outsz)
{
    snprintf(out, outsz,
             "Digest username=\"%s\", realm=\"" GBA_FQDN "\", nonce=\"\", uri=\"" M2M_BSF_PATH
             "\", response=\"\"",
             impi);
}

/* An impostor's RES: Milenage with its own K on the challenge it saw. */
static void impostor(const char *k_hex, const unsigned char rand[16], const unsigned char autn[16],
                     struct m2m_usim_result *u)
{
    unsigned char k[16], opc[16], sqn[6] = {0};
    struct m2m_milenage_out m;
    size_t n = 0;

    assert_int_equal(m2m_hex_decode(k_hex, k, 16, &n, NULL), 0);
    assert_int_equal(m2m_hex_decode(GBA_OPC, opc, 16, &n, NULL), 0);
    assert_int_equal(m2m_milenage(k, opc, rand, sqn, autn + 6, &m, NULL), 0);
    memset(u, 0, sizeof(*u));
    u->outcome = M2M_USIM_OK;
    memcpy(u->res, m.res, 8);
    u->res_len = 8;
}

void gba_answer_header(struct gba_fx *f, const char *www, const char *k_hex, char *out,
                       size_t outsz, struct m2m_usim_result *u_out)
{
    struct m2m_digest_challenge ch;
    struct m2m_digest_credentials cr;
    struct m2m_usim_result u;
    unsigned char rand[16], autn[16], k[16], opc[16];
    uint64_t acc = 0;
    size_t n = 0;
    struct m2m_error err;

    assert_non_null(www);
    assert_int_equal(m2m_digest_challenge_parse(www, &ch, &err), 0);
    assert_int_equal(m2m_digest_nonce_split(ch.nonce, rand, autn, &err), 0);
    if (strcmp(k_hex, GBA_K) == 0) {
        assert_int_equal(m2m_hex_decode(GBA_K, k, 16, &n, NULL), 0);
        assert_int_equal(m2m_hex_decode(GBA_OPC, opc, 16, &n, NULL), 0);
        assert_int_equal(m2m_usim_milenage_check(k, opc, f->usim_sqn, rand, autn, &u, &acc, &err),
                         0);
        assert_int_not_equal(u.outcome, M2M_USIM_MAC_FAILURE);
        f->usim_sqn = acc;
    } else {
        impostor(k_hex, rand, autn, &u);
    }
    memset(&cr, 0, sizeof(cr));
    snprintf(cr.username, sizeof(cr.username), GBA_IMPI);
    snprintf(cr.realm, sizeof(cr.realm), "%s", ch.realm);
    snprintf(cr.nonce, sizeof(cr.nonce), "%s", ch.nonce);
    snprintf(cr.uri, sizeof(cr.uri), M2M_BSF_PATH);
    snprintf(cr.opaque, sizeof(cr.opaque), "%s", ch.opaque);
    snprintf(cr.nc, sizeof(cr.nc), "00000001");
    snprintf(cr.cnonce, sizeof(cr.cnonce), "6629fae49393a053");
    cr.has_qop = true;
    if (u.outcome == M2M_USIM_SYNC_FAILURE) {
        cr.has_auts = true;
        memcpy(cr.auts, u.auts, sizeof(cr.auts));
        assert_int_equal(m2m_digest_response(&cr, NULL, 0, "GET", NULL, 0, cr.response, &err), 0);
    } else {
        assert_int_equal(
            m2m_digest_response(&cr, u.res, u.res_len, "GET", NULL, 0, cr.response, &err), 0);
    }
    assert_int_equal(m2m_digest_credentials_format(&cr, out, outsz, &err), 0);
    if (u_out != NULL)
        *u_out = u;
}

void gba_bootstrap(struct gba_fx *f, char btid[M2M_BTID_MAX + 1], unsigned char ks[32],
                   unsigned char rand[16])
{
    struct m2m_mef_response resp;
    struct m2m_gba_bootstrap_info info;
    struct m2m_usim_result u;
    struct m2m_btid b;
    char h[M2M_DIGEST_HEADER_MAX];
    struct m2m_error err;

    gba_first_header(GBA_IMPI, h, sizeof(h));
    gba_ub(f, h, &resp);
    assert_int_equal(resp.http_status, 401);
    gba_answer_header(f, resp.www_authenticate, GBA_K, h, sizeof(h), &u);
    m2m_mef_response_clear(&resp);
    assert_int_equal(u.outcome, M2M_USIM_OK);
    gba_ub(f, h, &resp);
    if (resp.http_status != 200)
        fail_msg("bootstrap answered %d: %s", resp.http_status, resp.body);
    assert_int_equal(m2m_gba_bootstrap_info_decode(resp.body, strlen(resp.body), &info, &err), 0);
    memcpy(btid, info.btid, sizeof(info.btid));
    memcpy(ks, u.ck, 16);
    memcpy(ks + 16, u.ik, 16);
    assert_int_equal(m2m_keyid_btid_parse(info.btid, &b, &err), 0);
    memcpy(rand, b.rand, 16);
    m2m_mef_response_clear(&resp);
}

/* ---- counts ---- */

static int count_keys_cb(const struct m2m_store_key *k, void *arg)
{
    (void)k;
    (*(int *)arg)++;
    return 0;
}

int gba_count_keys(struct gba_fx *f)
{
    struct m2m_error err;
    int n = 0;

    assert_int_equal(m2m_store_key_list(f->st, NULL, count_keys_cb, &n, &err), 0);
    return n;
}

int gba_count_challenges(struct gba_fx *f)
{
    char path[128];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n;

    snprintf(path, sizeof(path), "%s/mef.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM gba_challenge", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

uint64_t gba_subscriber_sqn(struct gba_fx *f)
{
    struct m2m_store_gba_subscriber *s = calloc(1, sizeof(*s));
    struct m2m_error err;
    uint64_t sqn;

    assert_non_null(s);
    assert_int_equal(m2m_store_gba_subscriber_get(f->st, GBA_IMPI, s, NULL, NULL, &err), 0);
    sqn = s->sqn;
    free(s);
    return sqn;
}

static int last_audit_cb(const struct m2m_store_audit *a, void *arg)
{
    char **out = arg;

    snprintf(out[0], 512, "%s/%s/%s", a->event, a->outcome, a->reason);
    return 1;
}

void gba_last_audit(struct gba_fx *f, char *out, size_t outsz)
{
    char buf[512] = "";
    char *p[1] = {buf};
    struct m2m_error err;

    assert_int_equal(m2m_store_audit_list(f->st, 1, last_audit_cb, p, &err), 0);
    snprintf(out, outsz, "%s", buf);
}
