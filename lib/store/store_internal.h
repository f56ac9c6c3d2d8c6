/* What the record modules and the back ends share. The record modules speak a small,
 * portable SQL (positional "?" parameters, no back-end-specific functions); a back end
 * executes it. Sealing happens above the back end, so a back end only ever sees
 * ciphertext. */
#ifndef M2M_STORE_INTERNAL_H
#define M2M_STORE_INTERNAL_H

#include <stdint.h>

#include <m2msec/store.h>

enum store_type {
    STORE_NULL = 0,
    STORE_INT,
    STORE_TEXT,
    STORE_BLOB,
};

/* A parameter or a result column. Pointers are borrowed: for results, valid only during
 * the row callback. */
struct store_val {
    enum store_type type;
    int64_t i;
    const char *s;
    const unsigned char *b;
    size_t len; /* bytes of s or b */
};

#define SV_NULL       ((struct store_val){.type = STORE_NULL})
#define SV_INT(x)     ((struct store_val){.type = STORE_INT, .i = (int64_t)(x)})
#define SV_TEXT(x)    ((struct store_val){.type = STORE_TEXT, .s = (x)})
#define SV_BLOB(p, n) ((struct store_val){.type = STORE_BLOB, .b = (p), .len = (n)})
/* NULL when the string is NULL or empty: optional text columns. */
#define SV_OPT_TEXT(x) ((x) != NULL && (x)[0] != '\0' ? SV_TEXT(x) : SV_NULL)

/* Called once per result row: 0 to go on, 1 to stop, -1 (err set) to fail. */
typedef int (*store_row_fn)(void *arg, const struct store_val *cols, size_t ncols,
                            struct m2m_error *err);

/* A back end. Constraint violations are reported as M2M_E_STORE_EXISTS (unique or primary
 * key) and M2M_E_STORE_NOT_FOUND (a foreign key naming a missing row); a failed statement
 * changes nothing, also inside an open transaction. */
struct store_ops {
    const char *scheme; /* URL prefix including the colon, "sqlite:" */
    void *(*open)(const char *location, struct m2m_error *err);
    void (*close)(void *be);
    int (*exec)(void *be, const char *sql, const struct store_val *params, size_t nparams,
                store_row_fn fn, void *arg, uint64_t *changes, struct m2m_error *err);
    int (*begin)(void *be, struct m2m_error *err);
    int (*commit)(void *be, struct m2m_error *err);
    int (*rollback)(void *be, struct m2m_error *err);
};

extern const struct store_ops m2m_store_sqlite_ops;

struct m2m_store {
    const struct store_ops *ops;
    void *be;
    struct m2m_secret *kek; /* NULL: secrets unavailable */
    int in_tx;
};

/* Runs sql; fn may be NULL for statements without results; changes may be NULL. */
int store_exec(struct m2m_store *s, const char *sql, const struct store_val *params, size_t nparams,
               store_row_fn fn, void *arg, uint64_t *changes, struct m2m_error *err);
/* As store_exec, failing with NOT_FOUND "<what> '<id>'" when no row changed. */
int store_exec_one(struct m2m_store *s, const char *sql, const struct store_val *params,
                   size_t nparams, const char *what, const char *id, struct m2m_error *err);

/* Groups several statements of one call atomically, inside or outside a caller's
 * transaction (a SAVEPOINT). store_atomic_end commits when ok is 0, else undoes, and
 * keeps the first error. */
int store_atomic_begin(struct m2m_store *s, struct m2m_error *err);
int store_atomic_end(struct m2m_store *s, int ok, struct m2m_error *err);

/* Input checks: s non-NULL, shorter than max (so it fits the record arrays with the NUL),
 * non-empty unless allowed. */
int store_check_text(const char *field, const char *s, size_t max, int allow_empty,
                     struct m2m_error *err);
int store_check_time(const char *field, int64_t t, struct m2m_error *err);
int64_t store_now(void);
int64_t store_created(int64_t given);

/* Result decoding: a NULL column reads as "" (or NULL, or 0); a value that does not fit
 * means the file was altered and is an M2M_E_STORE error. */
int store_col_text(const struct store_val *v, char *dst, size_t dstsz, struct m2m_error *err);
int store_col_dup(const struct store_val *v, char **dst, struct m2m_error *err);
int64_t store_col_int(const struct store_val *v);

/* Seals secret under the KEK with key_id as AAD into a malloc'd buffer. */
int store_seal(struct m2m_store *s, const char *key_id, const struct m2m_secret *secret,
               unsigned char **out, size_t *out_len, struct m2m_error *err);
/* Opens a sealed value; M2M_E_SEAL_OPEN if it is absent or does not authenticate under
 * key_id (wrong KEK, or a value moved from another row). */
struct m2m_secret *store_unseal(struct m2m_store *s, const char *key_id,
                                const unsigned char *sealed, size_t len, struct m2m_error *err);
/* Frees a buffer from store_seal. */
void store_sealed_free(unsigned char *p, size_t len);

/* How a record module reads its rows: decode fills rec from the columns (ignoring any
 * trailing ones), clear frees what decode allocated. */
struct store_rec_type {
    size_t size;
    size_t ncols; /* columns decode needs */
    int (*decode)(const struct store_val *cols, void *rec, struct m2m_error *err);
    void (*clear)(void *rec);
};

/* What a single-record query found. With want_sealed, the last column (a sealed secret,
 * or NULL) is copied out, to be opened once the caller has judged the record. */
struct store_got {
    int found;
    unsigned char *sealed;
    size_t sealed_len;
};

/* Reads the first row of sql into out (which is cleared first); got->found says whether
 * there was one. */
int store_get_rec(struct m2m_store *s, const struct store_rec_type *type, const char *sql,
                  const struct store_val *params, size_t nparams, void *out, int want_sealed,
                  struct store_got *got, struct m2m_error *err);
void store_got_free(struct store_got *got);

/* Calls deliver once per row with a decoded record; a non-zero return stops the listing. */
typedef int (*store_deliver_fn)(const void *rec, void *ctx);
int store_list_rec(struct m2m_store *s, const struct store_rec_type *type, const char *sql,
                   const struct store_val *params, size_t nparams, store_deliver_fn deliver,
                   void *ctx, struct m2m_error *err);

/* Rewrites an M2M_E_STORE_EXISTS from the back end into "<what>" for the caller. */
void store_exists_msg(struct m2m_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A row callback that stores 1 in *(int *)arg: "at least one row". */
int store_row_exists(void *arg, const struct store_val *cols, size_t ncols, struct m2m_error *err);
/* A row callback that reads column 0 as an integer into *(int64_t *)arg. */
int store_row_int(void *arg, const struct store_val *cols, size_t ncols, struct m2m_error *err);

/* Runs delete_sql ("DELETE ... WHERE expires <= ? RETURNING <0 or 1>") with now, and sets
 * *count (may be NULL) to the sum of the returned column. */
int store_purge(struct m2m_store *s, const char *delete_sql, int64_t now, uint64_t *count,
                struct m2m_error *err);

#endif
