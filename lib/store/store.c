/* The store object: back-end selection by URL, transactions, and the statement runners
 * the record modules share. */
#include <stdlib.h>
#include <string.h>

#include <m2msec/crypto.h>
#include <m2msec/store.h>

#include "core/safety.h"
#include "store/store_internal.h"

/* Every back end this build has. A PostgreSQL back end joins this list; callers see no
 * difference. */
static const struct store_ops *const backends[] = {
    &m2m_store_sqlite_ops,
};

#define SAVEPOINT_NAME "m2m_atomic"

/* Names only the URL's scheme in errors: the rest may carry a password. */
static void unknown_scheme(const char *url, struct m2m_error *err)
{
    size_t n = strcspn(url, ":");

    if (n > 24 || url[n] != ':') {
        m2m_error_set(err, M2M_E_INVALID_ARG,
                      "store URL must look like sqlite:PATH (no scheme found)");
        return;
    }
    if ((n == 8 && strncmp(url, "postgres", n) == 0) ||
        (n == 10 && strncmp(url, "postgresql", n) == 0)) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "the PostgreSQL store is not part of this build");
        return;
    }
    m2m_error_set(err, M2M_E_INVALID_ARG, "unknown store URL scheme '%.*s:' (use sqlite:PATH)",
                  (int)n, url);
}

static const struct store_ops *find_backend(const char *url, const char **location)
{
    for (size_t i = 0; i < M2M_ARRAY_LEN(backends); i++) {
        size_t n = strlen(backends[i]->scheme);
        if (strncmp(url, backends[i]->scheme, n) == 0) {
            *location = url + n;
            return backends[i];
        }
    }
    return NULL;
}

struct m2m_store *m2m_store_open(const char *url, const struct m2m_secret *kek,
                                 struct m2m_error *err)
{
    struct m2m_store *s = NULL, *res = NULL;
    const char *location = NULL;

    M2M_ENSURE_ARG(url != NULL);
    M2M_ENSURE(kek == NULL || m2m_secret_len(kek) == 32, M2M_E_INVALID_ARG,
               "the key-encryption key must be 32 bytes");
    s = calloc(1, sizeof(*s));
    M2M_ENSURE(s != NULL, M2M_E_NOMEM, "store");
    s->ops = find_backend(url, &location);
    if (s->ops == NULL) {
        unknown_scheme(url, err);
        goto out;
    }
    M2M_ENSURE(location[0] != '\0', M2M_E_INVALID_ARG, "store URL names no database");
    if (kek != NULL)
        M2M_GUARD_PTR(s->kek = m2m_secret_from(m2m_secret_cdata(kek), 32, err));
    M2M_GUARD_PTR(s->be = s->ops->open(location, err));
    res = s;
    s = NULL;
out:
    m2m_store_close(s);
    return res;
}

void m2m_store_close(struct m2m_store *s)
{
    if (s == NULL)
        return;
    if (s->be != NULL)
        s->ops->close(s->be); /* an open transaction is rolled back */
    m2m_secret_free(s->kek);
    free(s);
}

int m2m_store_begin(struct m2m_store *s, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL);
    M2M_ENSURE(!s->in_tx, M2M_E_INVALID_ARG, "a transaction is already open");
    M2M_GUARD(s->ops->begin(s->be, err));
    s->in_tx = 1;
    rc = 0;
out:
    return rc;
}

int m2m_store_commit(struct m2m_store *s, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL);
    M2M_ENSURE(s->in_tx, M2M_E_INVALID_ARG, "no transaction is open");
    /* A failed commit leaves the transaction open so the caller can roll back. */
    M2M_GUARD(s->ops->commit(s->be, err));
    s->in_tx = 0;
    rc = 0;
out:
    return rc;
}

int m2m_store_rollback(struct m2m_store *s, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL);
    M2M_ENSURE(s->in_tx, M2M_E_INVALID_ARG, "no transaction is open");
    s->in_tx = 0;
    M2M_GUARD(s->ops->rollback(s->be, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_in_transaction(const struct m2m_store *s)
{
    return s != NULL && s->in_tx;
}

int store_exec(struct m2m_store *s, const char *sql, const struct store_val *params, size_t nparams,
               store_row_fn fn, void *arg, uint64_t *changes, struct m2m_error *err)
{
    return s->ops->exec(s->be, sql, params, nparams, fn, arg, changes, err);
}

int store_exec_one(struct m2m_store *s, const char *sql, const struct store_val *params,
                   size_t nparams, const char *what, const char *id, struct m2m_error *err)
{
    uint64_t changes = 0;
    int rc = -1;

    M2M_GUARD(store_exec(s, sql, params, nparams, NULL, NULL, &changes, err));
    M2M_ENSURE(changes > 0, M2M_E_STORE_NOT_FOUND, "%s '%s'", what, id);
    rc = 0;
out:
    return rc;
}

/* Inside a caller's transaction a savepoint, so undoing this call keeps the caller's
 * earlier work; outside, a write transaction of its own taken up front, so concurrent
 * writers queue on the busy timeout instead of failing on a stale snapshot. */
int store_atomic_begin(struct m2m_store *s, struct m2m_error *err)
{
    if (s->in_tx)
        return store_exec(s, "SAVEPOINT " SAVEPOINT_NAME, NULL, 0, NULL, NULL, NULL, err);
    return s->ops->begin(s->be, err);
}

int store_atomic_end(struct m2m_store *s, int ok, struct m2m_error *err)
{
    struct m2m_error tmp;
    struct m2m_error *e = ok == 0 ? err : &tmp; /* on failure keep the first error */
    int rc;

    if (!s->in_tx) {
        if (ok == 0 && s->ops->commit(s->be, err) == 0)
            return 0;
        (void)s->ops->rollback(s->be, &tmp); /* also after a failed commit */
        return -1;
    }
    if (ok != 0)
        (void)store_exec(s, "ROLLBACK TO " SAVEPOINT_NAME, NULL, 0, NULL, NULL, NULL, e);
    rc = store_exec(s, "RELEASE " SAVEPOINT_NAME, NULL, 0, NULL, NULL, NULL, e);
    return ok == 0 ? rc : -1;
}
