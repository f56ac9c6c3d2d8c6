/* store: opening, files and modes, schema migration, transactions, durability, and the
 * protection of secret columns at rest. Record kinds are in test_store_records.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sys/wait.h>
#include <sqlite3.h>

#include <m2msec/crypto.h>
#include <m2msec/error.h>
#include <m2msec/secret.h>
#include <m2msec/store.h>

struct fx {
    char dir[256];
    char path[320];
    char url[340];
    struct m2m_secret *kek;
    struct m2m_store *s;
};

static struct m2m_secret *random_secret(size_t len)
{
    struct m2m_secret *k = m2m_secret_new(len, NULL);
    assert_non_null(k);
    assert_int_equal(m2m_random(m2m_secret_data(k), len, NULL), 0);
    return k;
}

/* A secret whose bytes are easy to search for in the file. */
static struct m2m_secret *marker_secret(char c)
{
    unsigned char buf[32];
    memset(buf, c, sizeof(buf));
    return m2m_secret_from(buf, sizeof(buf), NULL);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    struct m2m_error err;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "%s/m2m-store-XXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
    snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
    f->kek = random_secret(32);
    f->s = m2m_store_open(f->url, f->kek, &err);
    if (f->s == NULL)
        fail_msg("open: %s", err.msg);
    *state = f;
    return 0;
}

static void remove_files(const struct fx *f)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char name[400];
    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(name, sizeof(name), "%s%s", f->path, suffix[i]);
        unlink(name);
    }
}

static int teardown(void **state)
{
    struct fx *f = *state;
    m2m_store_close(f->s);
    m2m_secret_free(f->kek);
    remove_files(f);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void reopen(struct fx *f, const struct m2m_secret *kek)
{
    struct m2m_error err;
    m2m_store_close(f->s);
    f->s = m2m_store_open(f->url, kek, &err);
    if (f->s == NULL)
        fail_msg("reopen: %s", err.msg);
}

static void add_key(struct fx *f, const char *keid, int64_t expires, const struct m2m_secret *ke)
{
    struct m2m_store_key k = {0};
    struct m2m_error err;
    snprintf(k.keid, sizeof(k.keid), "%s", keid);
    snprintf(k.enrolee_id, sizeof(k.enrolee_id), "//sp.example.com/CSE1");
    snprintf(k.framework, sizeof(k.framework), "cert");
    k.expires = expires;
    if (m2m_store_key_add(f->s, &k, ke, &err) != 0)
        fail_msg("key add: %s", err.msg);
}

/* Runs raw SQL on the file through a separate connection, as an attacker with file
 * access (or an operator with the sqlite3 shell) would. */
static void raw_sql(const struct fx *f, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("raw sql: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

static int raw_count(const struct fx *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

struct urlcase {
    const char *url;
    int kek_len; /* -1: no KEK */
    enum m2m_errcode code;
};

static void test_open_rejects(void **state)
{
    struct fx *f = *state;
    char bad_dir[400];
    const struct urlcase cases[] = {
        {"", 32, M2M_E_INVALID_ARG},
        {"sqlite:", 32, M2M_E_INVALID_ARG},
        {"sqlite::memory:", 32, M2M_E_INVALID_ARG},
        {"nocolon", 32, M2M_E_INVALID_ARG},
        {"mysql://db/m2m", 32, M2M_E_INVALID_ARG},
        {"postgresql://admin:hunter2@db/m2m", 32, M2M_E_INVALID_ARG},
        {f->url, 16, M2M_E_INVALID_ARG},
        {bad_dir, 32, M2M_E_IO},
    };
    snprintf(bad_dir, sizeof(bad_dir), "sqlite:%s/missing/store.db", f->dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_secret *kek = cases[i].kek_len < 0 ? NULL : random_secret(cases[i].kek_len);
        struct m2m_error err;
        m2m_error_clear(&err);
        struct m2m_store *s = m2m_store_open(cases[i].url, kek, &err);
        assert_null(s);
        assert_int_equal(err.code, cases[i].code);
        assert_null(strstr(err.msg, "hunter2")); /* a URL's password never reaches a message */
        m2m_secret_free(kek);
    }
    assert_null(m2m_store_open(NULL, f->kek, NULL));
    m2m_store_close(NULL);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        fail_msg("stat %s", path);
    return st.st_mode & 07777;
}

static void test_file_modes(void **state)
{
    struct fx *f = *state;
    char name[400];
    struct m2m_secret *ke = random_secret(32);

    add_key(f, "00@mef.example.com", time(NULL) + 60, ke); /* makes the WAL non-empty */
    assert_int_equal(mode_of(f->path), 0600);
    snprintf(name, sizeof(name), "%s-wal", f->path);
    assert_int_equal(mode_of(name), 0600);
    snprintf(name, sizeof(name), "%s-shm", f->path);
    assert_int_equal(mode_of(name), 0600);

    /* An existing file with a loose mode is narrowed, whatever the umask. */
    m2m_store_close(f->s);
    f->s = NULL;
    assert_int_equal(chmod(f->path, 0644), 0);
    mode_t old = umask(0);
    reopen(f, f->kek);
    umask(old);
    assert_int_equal(mode_of(f->path), 0600);
    m2m_secret_free(ke);
}

static void test_schema_migration_idempotent(void **state)
{
    struct fx *f = *state;
    struct m2m_error err;

    reopen(f, f->kek);
    reopen(f, f->kek);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM schema_version"), 2);
    assert_int_equal(raw_count(f, "SELECT max(version) FROM schema_version"), 2);
    assert_int_equal(
        raw_count(f, "SELECT count(*) FROM pragma_journal_mode() WHERE journal_mode = 'wal'"), 1);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                  " AND name IN ('enrolee', 'enrolment_key', 'maf_key', 'audit',"
                                  " 'gba_subscriber', 'gba_challenge')"),
                     6);

    /* A file written by a newer program is refused, not misread. */
    m2m_store_close(f->s);
    f->s = NULL;
    raw_sql(f, "INSERT INTO schema_version (version, applied) VALUES (99, 0)");
    assert_null(m2m_store_open(f->url, f->kek, &err));
    assert_int_equal(err.code, M2M_E_STORE);
    assert_non_null(strstr(err.msg, "newer"));
    raw_sql(f, "DELETE FROM schema_version WHERE version = 99");
    reopen(f, f->kek);
}

static void test_durability_reopen(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *ke = random_secret(32), *back = NULL;
    struct m2m_store_key rec;
    struct m2m_error err;
    int64_t now = time(NULL);

    add_key(f, "0a@mef.example.com", now + 3600, ke);
    reopen(f, f->kek);
    assert_int_equal(m2m_store_key_get(f->s, "0a@mef.example.com", now, &rec, &back, &err), 0);
    assert_true(m2m_secret_equal(ke, back));
    assert_string_equal(rec.enrolee_id, "//sp.example.com/CSE1");
    assert_int_equal(rec.expires, now + 3600);
    m2m_secret_free(back);
    m2m_secret_free(ke);
}

static void test_transactions(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *ke = random_secret(32);
    struct m2m_store_target t = {.target_id = "maf.example.com"};
    struct m2m_store_target got;
    struct m2m_error err;
    int64_t now = time(NULL);

    /* Misuse is refused. */
    assert_int_equal(m2m_store_commit(f->s, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_int_equal(m2m_store_rollback(f->s, &err), -1);

    /* Rollback leaves nothing, including both rows of a MAF cache entry. */
    assert_int_equal(m2m_store_begin(f->s, &err), 0);
    assert_true(m2m_store_in_transaction(f->s));
    assert_int_equal(m2m_store_begin(f->s, &err), -1);
    add_key(f, "01@mef.example.com", now + 60, ke);
    assert_int_equal(m2m_store_target_add(f->s, &t, NULL, &err), 0);
    struct m2m_store_maf_key m = {.keid = "01@mef.example.com",
                                  .kmid = "02@maf.example.com",
                                  .enrolee_id = "//sp.example.com/CSE1",
                                  .expires = now + 60};
    assert_int_equal(m2m_store_maf_put(f->s, &m, ke, &err), 0);
    assert_int_equal(m2m_store_rollback(f->s, &err), 0);
    assert_false(m2m_store_in_transaction(f->s));
    assert_int_equal(m2m_store_key_get(f->s, "01@mef.example.com", now, NULL, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_target_get(f->s, t.target_id, &got, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    assert_int_equal(m2m_store_maf_get(f->s, "02@maf.example.com", now, NULL, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);

    /* A failing statement inside a transaction undoes only itself; commit keeps the rest
     * and survives a reopen. */
    assert_int_equal(m2m_store_begin(f->s, &err), 0);
    add_key(f, "03@mef.example.com", now + 60, ke);
    assert_int_equal(m2m_store_target_add(f->s, &t, NULL, &err), 0);
    assert_int_equal(m2m_store_target_add(f->s, &t, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_EXISTS);
    assert_int_equal(m2m_store_commit(f->s, &err), 0);
    reopen(f, f->kek);
    assert_int_equal(m2m_store_key_get(f->s, "03@mef.example.com", now, NULL, NULL, &err), 0);
    assert_int_equal(m2m_store_target_get(f->s, t.target_id, &got, NULL, &err), 0);

    /* Closing with an open transaction rolls it back. */
    assert_int_equal(m2m_store_begin(f->s, &err), 0);
    add_key(f, "04@mef.example.com", now + 60, ke);
    reopen(f, f->kek);
    assert_int_equal(m2m_store_key_get(f->s, "04@mef.example.com", now, NULL, NULL, &err), -1);
    assert_int_equal(err.code, M2M_E_STORE_NOT_FOUND);
    m2m_secret_free(ke);
}

static int file_contains(const char *path, const void *needle, size_t len)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf;
    long n;
    int found;

    if (fp == NULL)
        return 0;
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    found = memmem(buf, (size_t)n, needle, len) != NULL;
    free(buf);
    return found;
}

static int any_file_contains(const struct fx *f, const void *needle, size_t len)
{
    char wal[400];
    snprintf(wal, sizeof(wal), "%s-wal", f->path);
    return file_contains(f->path, needle, len) || file_contains(wal, needle, len);
}

static void test_secrets_sealed_in_file(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *sec[5];
    struct m2m_error err;
    int64_t now = time(NULL);

    for (int i = 0; i < 5; i++)
        sec[i] = marker_secret((char)('A' + i));
    add_key(f, "05@mef.example.com", now + 60, sec[0]);
    struct m2m_store_psk_enrolee p = {
        .kpm_id = "kpm-0001", .enrolee_id = "//sp/C1", .ke_lifetime = 60};
    assert_int_equal(m2m_store_psk_enrolee_add(f->s, &p, sec[1], &err), 0);
    struct m2m_store_target t = {.target_id = "maf.example.com"};
    assert_int_equal(m2m_store_target_add(f->s, &t, sec[2], &err), 0);
    struct m2m_store_maf_key m = {.keid = "05@mef.example.com",
                                  .kmid = "06@maf.example.com",
                                  .enrolee_id = "//sp/C1",
                                  .expires = now + 60};
    assert_int_equal(m2m_store_maf_put(f->s, &m, sec[3], &err), 0);
    struct m2m_store_rootcred r = {.cred_id = "rc-1", .enrolee_id = "//sp/C1", .expires = now + 60};
    assert_int_equal(m2m_store_rootcred_add(f->s, &r, sec[4], &err), 0);

    /* Control: non-secret columns are visible, so the search does find what is there. */
    assert_true(any_file_contains(f, "kpm-0001", 8));
    for (int i = 0; i < 5; i++) {
        /* 8 bytes of the secret are enough to tell; ciphertext contains no run like it. */
        assert_false(any_file_contains(f, m2m_secret_cdata(sec[i]), 8));
    }
    m2m_store_close(f->s); /* checkpoint: everything moves into the main file */
    f->s = NULL;
    assert_true(file_contains(f->path, "kpm-0001", 8));
    for (int i = 0; i < 5; i++) {
        assert_false(file_contains(f->path, m2m_secret_cdata(sec[i]), 8));
        m2m_secret_free(sec[i]);
    }
    reopen(f, f->kek);
}

/* A sealed value copied onto another id does not open: the id is the AAD. */
struct swapcase {
    const char *setup_sql;
    int (*read)(struct m2m_store *s, struct m2m_secret **out, struct m2m_error *err);
};

static int read_key2(struct m2m_store *s, struct m2m_secret **out, struct m2m_error *err)
{
    return m2m_store_key_get(s, "k2@mef.example.com", time(NULL), NULL, out, err);
}

static int read_kmid(struct m2m_store *s, struct m2m_secret **out, struct m2m_error *err)
{
    return m2m_store_maf_get(s, "m1@maf.example.com", time(NULL), NULL, out, err);
}

static int read_psk2(struct m2m_store *s, struct m2m_secret **out, struct m2m_error *err)
{
    struct m2m_store_psk_enrolee rec;
    int rc = m2m_store_psk_enrolee_get(s, "kpm-2", &rec, out, err);
    m2m_store_psk_enrolee_clear(&rec);
    return rc;
}

static int read_target2(struct m2m_store *s, struct m2m_secret **out, struct m2m_error *err)
{
    struct m2m_store_target rec;
    return m2m_store_target_get(s, "t2.example.com", &rec, out, err);
}

static int read_rc2(struct m2m_store *s, struct m2m_secret **out, struct m2m_error *err)
{
    return m2m_store_rootcred_get(s, "rc-2", time(NULL), NULL, out, err);
}

static void fill_two_of_each(struct fx *f)
{
    struct m2m_secret *a = random_secret(32), *b = random_secret(32);
    struct m2m_error err;
    int64_t exp = time(NULL) + 600;

    add_key(f, "k1@mef.example.com", exp, a);
    add_key(f, "k2@mef.example.com", exp, b);
    struct m2m_store_maf_key m = {.keid = "k1@mef.example.com",
                                  .kmid = "m1@maf.example.com",
                                  .enrolee_id = "//sp/C1",
                                  .expires = exp};
    assert_int_equal(m2m_store_maf_put(f->s, &m, a, &err), 0);
    struct m2m_store_psk_enrolee p1 = {
        .kpm_id = "kpm-1", .enrolee_id = "//sp/C1", .ke_lifetime = 60};
    struct m2m_store_psk_enrolee p2 = {
        .kpm_id = "kpm-2", .enrolee_id = "//sp/C2", .ke_lifetime = 60};
    assert_int_equal(m2m_store_psk_enrolee_add(f->s, &p1, a, &err), 0);
    assert_int_equal(m2m_store_psk_enrolee_add(f->s, &p2, b, &err), 0);
    struct m2m_store_target t1 = {.target_id = "t1.example.com"};
    struct m2m_store_target t2 = {.target_id = "t2.example.com"};
    assert_int_equal(m2m_store_target_add(f->s, &t1, a, &err), 0);
    assert_int_equal(m2m_store_target_add(f->s, &t2, b, &err), 0);
    struct m2m_store_rootcred r1 = {.cred_id = "rc-1", .enrolee_id = "//sp/C1", .expires = exp};
    struct m2m_store_rootcred r2 = {.cred_id = "rc-2", .enrolee_id = "//sp/C2", .expires = exp};
    assert_int_equal(m2m_store_rootcred_add(f->s, &r1, a, &err), 0);
    assert_int_equal(m2m_store_rootcred_add(f->s, &r2, b, &err), 0);
    m2m_secret_free(a);
    m2m_secret_free(b);
}

static void test_sealed_row_moved(void **state)
{
    struct fx *f = *state;
    const struct swapcase cases[] = {
        {"UPDATE enrolment_key SET ke = (SELECT ke FROM enrolment_key WHERE keid ="
         " 'k1@mef.example.com') WHERE keid = 'k2@mef.example.com'",
         read_key2},
        /* Same Km under both ids, yet each row only opens under its own id. */
        {"UPDATE maf_key SET km = (SELECT km FROM maf_key WHERE key_id = 'k1@mef.example.com')"
         " WHERE key_id = 'm1@maf.example.com'",
         read_kmid},
        {"UPDATE psk_enrolee SET kpm = (SELECT kpm FROM psk_enrolee WHERE kpm_id = 'kpm-1')"
         " WHERE kpm_id = 'kpm-2'",
         read_psk2},
        {"UPDATE target SET psk = (SELECT psk FROM target WHERE target_id = 't1.example.com')"
         " WHERE target_id = 't2.example.com'",
         read_target2},
        {"UPDATE root_credential SET credential = (SELECT credential FROM root_credential"
         " WHERE cred_id = 'rc-1') WHERE cred_id = 'rc-2'",
         read_rc2},
    };

    fill_two_of_each(f);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct m2m_secret *out = NULL;
        struct m2m_error err;
        /* Before the move the row opens: the failure below is caused by the move. */
        assert_int_equal(cases[i].read(f->s, &out, &err), 0);
        assert_non_null(out);
        m2m_secret_free(out);
        out = NULL;
        raw_sql(f, cases[i].setup_sql);
        assert_int_equal(cases[i].read(f->s, &out, &err), -1);
        assert_int_equal(err.code, M2M_E_SEAL_OPEN);
        assert_null(out);
    }
}

static void test_wrong_or_no_kek(void **state)
{
    struct fx *f = *state;
    struct m2m_secret *other = random_secret(32), *out = NULL, *ke = random_secret(32);
    struct m2m_store_key rec;
    struct m2m_error err;
    int64_t now = time(NULL);

    fill_two_of_each(f);
    reopen(f, other);
    assert_int_equal(m2m_store_key_get(f->s, "k1@mef.example.com", now, &rec, &out, &err), -1);
    assert_int_equal(err.code, M2M_E_SEAL_OPEN);
    assert_null(out);
    assert_int_equal(read_kmid(f->s, &out, &err), -1);
    assert_int_equal(err.code, M2M_E_SEAL_OPEN);
    assert_int_equal(read_psk2(f->s, &out, &err), -1);
    assert_int_equal(err.code, M2M_E_SEAL_OPEN);
    /* The record itself stays readable: an operator can still list keys. */
    assert_int_equal(m2m_store_key_get(f->s, "k1@mef.example.com", now, &rec, NULL, &err), 0);
    assert_string_equal(rec.enrolee_id, "//sp.example.com/CSE1");

    /* Without a KEK, secrets can be neither written nor read. */
    reopen(f, NULL);
    assert_int_equal(m2m_store_key_get(f->s, "k1@mef.example.com", now, &rec, NULL, &err), 0);
    assert_int_equal(m2m_store_key_get(f->s, "k1@mef.example.com", now, &rec, &out, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    struct m2m_store_key k = {.keid = "k9@mef.example.com",
                              .enrolee_id = "//sp/C9",
                              .framework = "psk",
                              .expires = now + 60};
    assert_int_equal(m2m_store_key_add(f->s, &k, ke, &err), -1);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    m2m_secret_free(other);
    m2m_secret_free(ke);
}

/* A value altered in the file to something no add would write is an error, not an
 * overflow. */
static void test_tampered_text(void **state)
{
    struct fx *f = *state;
    struct m2m_store_key rec;
    struct m2m_error err;

    fill_two_of_each(f);
    raw_sql(f, "UPDATE enrolment_key SET enrolee_id = printf('%.2000c', 'x')"
               " WHERE keid = 'k1@mef.example.com'");
    assert_int_equal(m2m_store_key_get(f->s, "k1@mef.example.com", time(NULL), &rec, NULL, &err),
                     -1);
    assert_int_equal(err.code, M2M_E_STORE);
}

static void test_error_codes(void **state)
{
    const enum m2m_errcode codes[] = {M2M_E_STORE, M2M_E_STORE_NOT_FOUND, M2M_E_STORE_EXISTS,
                                      M2M_E_STORE_EXPIRED, M2M_E_STORE_REVOKED};
    const char *names[] = {"store", "store-not-found", "store-exists", "store-expired",
                           "store-revoked"};
    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        assert_string_equal(m2m_errcode_name(codes[i]), names[i]);
    assert_int_equal(m2m_errcode_category(M2M_E_STORE_REVOKED), M2M_CAT_VERIFY);
    assert_int_equal(m2m_errcode_category(M2M_E_STORE), M2M_CAT_IO);
}

/* Two stores on one database in one process (a daemon's reader and writer), then another
 * process opens and closes it: the first two must still hold their locks, so that process
 * must not take itself for the last user and remove the WAL under them. */
static void test_second_store_keeps_locks(void **state)
{
    struct fx *f = *state;
    struct m2m_error err;
    struct m2m_store *second = m2m_store_open(f->url, f->kek, &err);
    struct m2m_store_target t = {.target_id = "maf.example.com"};
    char wal[400];
    struct stat st;
    pid_t pid;
    int status;

    assert_non_null(second);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *db = NULL;
        int ok = sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
                 sqlite3_exec(db, "INSERT INTO target VALUES('x.example.com', NULL, 0)", NULL, NULL,
                              NULL) == SQLITE_OK;
        sqlite3_close(db);
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(wal, sizeof(wal), "%s-wal", f->path);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(m2m_store_target_add(second, &t, NULL, &err), 0);
    assert_int_equal(m2m_store_target_get(f->s, "maf.example.com", &t, NULL, &err), 0);
    assert_int_equal(m2m_store_target_get(f->s, "x.example.com", &t, NULL, &err), 0);
    m2m_store_close(second);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_migration_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durability_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_sealed_in_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_row_moved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_or_no_kek, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_store_keeps_locks, setup, teardown),
        cmocka_unit_test(test_error_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
