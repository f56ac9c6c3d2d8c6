/* Reading records: one row into the caller's record, or every row through a callback.
 * Shared by all record modules so each only says how its columns map to its struct. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/safety.h"
#include "store/store_internal.h"

struct get_ctx {
    const struct store_rec_type *type;
    void *out;
    int want_sealed;
    struct store_got *got;
};

static int copy_sealed(const struct store_val *v, struct store_got *got, struct m2m_error *err)
{
    int rc = -1;

    if (v->type == STORE_NULL)
        return 0;
    M2M_ENSURE(v->type == STORE_BLOB && v->len > 0, M2M_E_STORE, "a sealed value is malformed");
    got->sealed = malloc(v->len);
    M2M_ENSURE(got->sealed != NULL, M2M_E_NOMEM, "sealed value");
    memcpy(got->sealed, v->b, v->len);
    got->sealed_len = v->len;
    rc = 0;
out:
    return rc;
}

static int get_row(void *arg, const struct store_val *cols, size_t ncols, struct m2m_error *err)
{
    struct get_ctx *c = arg;
    size_t need = c->type->ncols + (c->want_sealed ? 1 : 0);
    int rc = -1;

    M2M_ENSURE(ncols >= need, M2M_E_INTERNAL, "query returns %zu columns, need %zu", ncols, need);
    M2M_GUARD(c->type->decode(cols, c->out, err));
    if (c->want_sealed && copy_sealed(&cols[ncols - 1], c->got, err) != 0) {
        c->type->clear(c->out);
        goto out;
    }
    c->got->found = 1;
    rc = 1; /* one row is all a get wants */
out:
    return rc;
}

int store_get_rec(struct m2m_store *s, const struct store_rec_type *type, const char *sql,
                  const struct store_val *params, size_t nparams, void *out, int want_sealed,
                  struct store_got *got, struct m2m_error *err)
{
    struct get_ctx c = {type, out, want_sealed, got};

    memset(got, 0, sizeof(*got));
    memset(out, 0, type->size);
    return store_exec(s, sql, params, nparams, get_row, &c, NULL, err);
}

void store_got_free(struct store_got *got)
{
    if (got == NULL)
        return;
    if (got->sealed != NULL)
        store_sealed_free(got->sealed, got->sealed_len);
    memset(got, 0, sizeof(*got));
}

struct list_ctx {
    const struct store_rec_type *type;
    void *rec;
    store_deliver_fn deliver;
    void *ctx;
};

static int list_row(void *arg, const struct store_val *cols, size_t ncols, struct m2m_error *err)
{
    struct list_ctx *c = arg;
    int stop;

    if (ncols < c->type->ncols)
        return m2m_error_set(err, M2M_E_INTERNAL, "query returns %zu columns", ncols);
    memset(c->rec, 0, c->type->size);
    if (c->type->decode(cols, c->rec, err) != 0)
        return -1;
    stop = c->deliver(c->rec, c->ctx);
    c->type->clear(c->rec);
    return stop != 0 ? 1 : 0;
}

int store_list_rec(struct m2m_store *s, const struct store_rec_type *type, const char *sql,
                   const struct store_val *params, size_t nparams, store_deliver_fn deliver,
                   void *ctx, struct m2m_error *err)
{
    struct list_ctx c = {type, NULL, deliver, ctx};
    int rc = -1;

    M2M_ENSURE_ARG(deliver != NULL);
    c.rec = calloc(1, type->size); /* records are large; keep them off the stack */
    M2M_ENSURE(c.rec != NULL, M2M_E_NOMEM, "record");
    M2M_GUARD(store_exec(s, sql, params, nparams, list_row, &c, NULL, err));
    rc = 0;
out:
    free(c.rec);
    return rc;
}

void store_exists_msg(struct m2m_error *err, const char *fmt, ...)
{
    char detail[M2M_ERROR_MSG_MAX];
    va_list ap;

    if (err == NULL || err->code != M2M_E_STORE_EXISTS)
        return;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    m2m_error_set(err, M2M_E_STORE_EXISTS, "%s", detail);
}
