/* The SQLite back end: "sqlite:PATH". One connection per store object, opened without
 * SQLite's own mutexes (the store is used by one thread at a time), WAL journal with full
 * synchronous commits so an acknowledged enrolment survives a crash or power loss
 * (DESIGN.md section 5), and prepared statements kept for the life of the connection. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/safety.h"
#include "store/sqlite_schema.h"
#include "store/store_internal.h"

#define BUSY_TIMEOUT_MS 5000
#define STMT_CACHE      64
#define MAX_COLS        16
#define FILE_MODE       0600

struct stmt_slot {
    const char *sql; /* identity of the statement: the record modules' constant strings */
    sqlite3_stmt *st;
    int busy; /* in use by an outer exec (a nested call prepares its own) */
};

struct sqlite_be {
    sqlite3 *db;
    struct stmt_slot cache[STMT_CACHE];
    size_t ncache;
};

/* Creates the file 0600 before SQLite sees it (SQLite gives the -wal and -shm files the
 * database file's mode), and narrows the mode of an existing file: it holds sealed keys,
 * enrolee lists and the audit log.
 * An existing file is never opened here: closing any descriptor of a file drops every POSIX
 * lock this process holds on it, including those of SQLite connections already open on the
 * same database (a second store in this process, e.g. the writer's), after which another
 * process could take the database for unused and remove its WAL. */
static int prepare_file(const char *path, struct m2m_error *err)
{
    struct stat st;
    int fd;

    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, FILE_MODE);
    if (fd >= 0) {
        /* New and empty: no connection of this process can hold a lock on it yet. */
        if (fchmod(fd, FILE_MODE) != 0) {
            m2m_error_set_errno(err, M2M_E_FILE_MODE, "chmod 600 %s", path);
            close(fd);
            return -1;
        }
        close(fd);
        return 0;
    }
    if (errno != EEXIST)
        return m2m_error_set_errno(err, M2M_E_IO, "store %s", path);
    if (lstat(path, &st) != 0)
        return m2m_error_set_errno(err, M2M_E_IO, "stat %s", path);
    if (!S_ISREG(st.st_mode))
        return m2m_error_set(err, M2M_E_IO, "store %s is not a regular file", path);
    if ((st.st_mode & 07777) != FILE_MODE && chmod(path, FILE_MODE) != 0)
        return m2m_error_set_errno(err, M2M_E_FILE_MODE, "chmod 600 %s", path);
    return 0;
}

/* The -wal and -shm files may predate this process with another mode. */
static int narrow_companions(const char *path, struct m2m_error *err)
{
    static const char *const suffix[] = {"-wal", "-shm"};
    char name[4096];
    int rc = -1;

    for (size_t i = 0; i < M2M_ARRAY_LEN(suffix); i++) {
        int n = snprintf(name, sizeof(name), "%s%s", path, suffix[i]);
        M2M_ENSURE(n > 0 && (size_t)n < sizeof(name), M2M_E_INVALID_ARG, "store path too long");
        if (chmod(name, FILE_MODE) != 0 && errno != ENOENT) {
            m2m_error_set_errno(err, M2M_E_FILE_MODE, "chmod 600 %s", name);
            goto out;
        }
    }
    rc = 0;
out:
    return rc;
}

static int pragma(sqlite3 *db, const char *sql, const char *expect, struct m2m_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    M2M_ENSURE(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, M2M_E_STORE, "%s: %s", sql,
               sqlite3_errmsg(db));
    step = sqlite3_step(st);
    M2M_ENSURE(step == SQLITE_ROW || step == SQLITE_DONE, M2M_E_STORE, "%s: %s", sql,
               sqlite3_errmsg(db));
    if (expect != NULL) {
        const unsigned char *v = step == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
        M2M_ENSURE(v != NULL && strcmp((const char *)v, expect) == 0, M2M_E_STORE,
                   "%s: the database refused (got %s)", sql, v ? (const char *)v : "nothing");
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static int configure(sqlite3 *db, const char *path, struct m2m_error *err)
{
    int rc = -1;

    sqlite3_extended_result_codes(db, 1);
    M2M_ENSURE(sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS) == SQLITE_OK, M2M_E_STORE, "busy timeout");
    M2M_GUARD(pragma(db, "PRAGMA journal_mode=WAL", "wal", err));
    M2M_GUARD(pragma(db, "PRAGMA synchronous=FULL", NULL, err));
    M2M_GUARD(pragma(db, "PRAGMA foreign_keys=ON", NULL, err));
    /* The schema is ours; nothing in it needs functions with side effects. */
    M2M_GUARD(pragma(db, "PRAGMA trusted_schema=OFF", NULL, err));
    M2M_GUARD(narrow_companions(path, err));
    rc = 0;
out:
    return rc;
}

static void sq_close(void *bev)
{
    struct sqlite_be *be = bev;

    if (be == NULL)
        return;
    for (size_t i = 0; i < be->ncache; i++)
        sqlite3_finalize(be->cache[i].st);
    sqlite3_close_v2(be->db); /* rolls back an open transaction */
    free(be);
}

static void *sq_open(const char *path, struct m2m_error *err)
{
    struct sqlite_be *be = NULL, *res = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

    M2M_ENSURE(strcmp(path, ":memory:") != 0 && path[0] != '\0', M2M_E_INVALID_ARG,
               "the SQLite store must be a file: nothing in memory survives a restart");
    M2M_GUARD(prepare_file(path, err));
    be = calloc(1, sizeof(*be));
    M2M_ENSURE(be != NULL, M2M_E_NOMEM, "store");
    if (sqlite3_open_v2(path, &be->db, flags, NULL) != SQLITE_OK) {
        M2M_BAIL(M2M_E_STORE, "open %s: %s", path,
                 be->db ? sqlite3_errmsg(be->db) : "out of memory");
    }
    M2M_GUARD(configure(be->db, path, err));
    M2M_GUARD(m2m_sqlite_migrate(be->db, err));
    res = be;
    be = NULL;
out:
    sq_close(be);
    return res;
}

/* Constraint failures become the store's outcome codes; the statement has been undone. */
static int sq_fail(sqlite3 *db, struct m2m_error *err)
{
    int code = sqlite3_extended_errcode(db);
    const char *msg = sqlite3_errmsg(db);

    switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return m2m_error_set(err, M2M_E_STORE_EXISTS, "%s", msg);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return m2m_error_set(err, M2M_E_STORE_NOT_FOUND, "a referenced record does not exist");
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
        return m2m_error_set(err, M2M_E_INVALID_ARG, "%s", msg);
    default:
        return m2m_error_set(err, M2M_E_STORE, "sqlite: %s", msg);
    }
}

/* A cached statement for sql, or a fresh one (*slot NULL) when the cache is full or the
 * cached one is in use by an outer call. */
static int get_stmt(struct sqlite_be *be, const char *sql, struct stmt_slot **slot,
                    sqlite3_stmt **st, struct m2m_error *err)
{
    struct stmt_slot *free_slot = NULL;
    int rc = -1;

    *slot = NULL;
    *st = NULL;
    for (size_t i = 0; i < be->ncache; i++) {
        if (be->cache[i].sql == sql && !be->cache[i].busy) {
            *slot = &be->cache[i];
            *st = be->cache[i].st;
            return 0;
        }
    }
    if (be->ncache < STMT_CACHE)
        free_slot = &be->cache[be->ncache];
    if (sqlite3_prepare_v3(be->db, sql, -1, free_slot ? SQLITE_PREPARE_PERSISTENT : 0, st, NULL) !=
        SQLITE_OK)
        M2M_BAIL(M2M_E_STORE, "prepare: %s", sqlite3_errmsg(be->db));
    if (free_slot != NULL) {
        *free_slot = (struct stmt_slot){.sql = sql, .st = *st};
        be->ncache++;
        *slot = free_slot;
    }
    rc = 0;
out:
    return rc;
}

static int bind_one(sqlite3_stmt *st, int i, const struct store_val *v)
{
    switch (v->type) {
    case STORE_INT:
        return sqlite3_bind_int64(st, i, v->i);
    case STORE_TEXT:
        return sqlite3_bind_text(st, i, v->s, -1, SQLITE_STATIC);
    case STORE_BLOB:
        return sqlite3_bind_blob64(st, i, v->b, v->len, SQLITE_STATIC);
    case STORE_NULL:
    default:
        return sqlite3_bind_null(st, i);
    }
}

static void read_col(sqlite3_stmt *st, int i, struct store_val *v)
{
    *v = SV_NULL;
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        *v = SV_INT(sqlite3_column_int64(st, i));
        break;
    case SQLITE_TEXT:
        v->type = STORE_TEXT;
        v->s = (const char *)sqlite3_column_text(st, i);
        v->len = (size_t)sqlite3_column_bytes(st, i);
        break;
    case SQLITE_BLOB:
        v->type = STORE_BLOB;
        v->b = sqlite3_column_blob(st, i);
        v->len = (size_t)sqlite3_column_bytes(st, i);
        break;
    default:
        break;
    }
}

static int step_all(sqlite3 *db, sqlite3_stmt *st, store_row_fn fn, void *arg,
                    struct m2m_error *err)
{
    struct store_val cols[MAX_COLS];
    int ncols = sqlite3_column_count(st);

    if (ncols > MAX_COLS)
        return m2m_error_set(err, M2M_E_INTERNAL, "statement returns too many columns");
    for (;;) {
        int step = sqlite3_step(st), r;
        if (step == SQLITE_DONE)
            return 0;
        if (step != SQLITE_ROW)
            return sq_fail(db, err);
        if (fn == NULL)
            continue;
        for (int i = 0; i < ncols; i++)
            read_col(st, i, &cols[i]);
        r = fn(arg, cols, (size_t)ncols, err);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
}

static int sq_exec(void *bev, const char *sql, const struct store_val *params, size_t nparams,
                   store_row_fn fn, void *arg, uint64_t *changes, struct m2m_error *err)
{
    struct sqlite_be *be = bev;
    struct stmt_slot *slot = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    M2M_GUARD(get_stmt(be, sql, &slot, &st, err));
    if (slot != NULL)
        slot->busy = 1;
    for (size_t i = 0; i < nparams; i++)
        M2M_ENSURE(bind_one(st, (int)i + 1, &params[i]) == SQLITE_OK, M2M_E_STORE, "bind: %s",
                   sqlite3_errmsg(be->db));
    M2M_GUARD(step_all(be->db, st, fn, arg, err));
    if (changes != NULL)
        *changes = (uint64_t)sqlite3_changes64(be->db);
    rc = 0;
out:
    if (slot != NULL) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st); /* drop borrowed pointers to the caller's buffers */
        slot->busy = 0;
    } else {
        sqlite3_finalize(st);
    }
    return rc;
}

static int sq_run(void *bev, const char *sql, struct m2m_error *err)
{
    return sq_exec(bev, sql, NULL, 0, NULL, NULL, NULL, err);
}

/* IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a transaction
 * that reads before it writes cannot fail later on a snapshot another writer moved. */
static int sq_begin(void *bev, struct m2m_error *err)
{
    return sq_run(bev, "BEGIN IMMEDIATE", err);
}

static int sq_commit(void *bev, struct m2m_error *err)
{
    return sq_run(bev, "COMMIT", err);
}

static int sq_rollback(void *bev, struct m2m_error *err)
{
    struct sqlite_be *be = bev;

    /* SQLite may already have rolled back on its own (e.g. after SQLITE_FULL). */
    if (sqlite3_get_autocommit(be->db))
        return 0;
    return sq_run(bev, "ROLLBACK", err);
}

const struct store_ops m2m_store_sqlite_ops = {
    .scheme = "sqlite:",
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
};
