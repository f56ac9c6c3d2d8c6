/* Helpers every record module uses: input checks, column decoding, sealing of secret
 * columns (DESIGN.md section 3) and expiry purges. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <m2msec/crypto.h>

#include "core/safety.h"
#include "store/store_internal.h"

int store_check_text(const char *field, const char *s, size_t max, int allow_empty,
                     struct m2m_error *err)
{
    int rc = -1;
    size_t n;

    M2M_ENSURE(s != NULL, M2M_E_INVALID_ARG, "%s is missing", field);
    n = strnlen(s, max);
    M2M_ENSURE(n < max, M2M_E_INVALID_ARG, "%s is longer than %zu bytes", field, max - 1);
    M2M_ENSURE(allow_empty || n > 0, M2M_E_INVALID_ARG, "%s is empty", field);
    rc = 0;
out:
    return rc;
}

int store_check_time(const char *field, int64_t t, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE(t > 0, M2M_E_INVALID_ARG, "%s must be a positive number of seconds", field);
    rc = 0;
out:
    return rc;
}

int64_t store_now(void)
{
    return (int64_t)time(NULL);
}

int64_t store_created(int64_t given)
{
    return given != 0 ? given : store_now();
}

int store_col_text(const struct store_val *v, char *dst, size_t dstsz, struct m2m_error *err)
{
    int rc = -1;

    dst[0] = '\0';
    if (v->type == STORE_NULL)
        return 0;
    M2M_ENSURE(v->type == STORE_TEXT && v->len < dstsz && memchr(v->s, '\0', v->len) == NULL,
               M2M_E_STORE, "a stored text value is malformed or too long");
    memcpy(dst, v->s, v->len);
    dst[v->len] = '\0';
    rc = 0;
out:
    return rc;
}

int store_col_dup(const struct store_val *v, char **dst, struct m2m_error *err)
{
    int rc = -1;

    *dst = NULL;
    if (v->type == STORE_NULL)
        return 0;
    M2M_ENSURE(v->type == STORE_TEXT, M2M_E_STORE, "a stored text value is malformed");
    *dst = malloc(v->len + 1);
    M2M_ENSURE(*dst != NULL, M2M_E_NOMEM, "text column");
    memcpy(*dst, v->s, v->len);
    (*dst)[v->len] = '\0';
    rc = 0;
out:
    return rc;
}

int64_t store_col_int(const struct store_val *v)
{
    return v->type == STORE_INT ? v->i : 0;
}

static int need_kek(const struct m2m_store *s, struct m2m_error *err)
{
    if (s->kek != NULL)
        return 0;
    return m2m_error_set(err, M2M_E_INVALID_ARG,
                         "the store was opened without a key-encryption key");
}

int store_seal(struct m2m_store *s, const char *key_id, const struct m2m_secret *secret,
               unsigned char **out, size_t *out_len, struct m2m_error *err)
{
    size_t cap;
    int rc = -1;

    *out = NULL;
    *out_len = 0;
    M2M_GUARD(need_kek(s, err));
    M2M_ENSURE(secret != NULL && m2m_secret_len(secret) > 0, M2M_E_INVALID_ARG,
               "secret for '%s' is missing or empty", key_id);
    cap = m2m_secret_len(secret) + M2M_SEAL_OVERHEAD;
    *out = malloc(cap);
    M2M_ENSURE(*out != NULL, M2M_E_NOMEM, "sealed secret");
    M2M_GUARD(m2m_seal(s->kek, key_id, secret, *out, cap, out_len, err));
    rc = 0;
out:
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

struct m2m_secret *store_unseal(struct m2m_store *s, const char *key_id,
                                const unsigned char *sealed, size_t len, struct m2m_error *err)
{
    if (need_kek(s, err) != 0)
        return NULL;
    if (sealed == NULL) {
        m2m_error_set(err, M2M_E_SEAL_OPEN, "no sealed value stored for '%s'", key_id);
        return NULL;
    }
    return m2m_open(s->kek, key_id, sealed, len, err);
}

void store_sealed_free(unsigned char *p, size_t len)
{
    m2m_wipe(p, len);
    free(p);
}

int store_row_exists(void *arg, const struct store_val *cols, size_t ncols, struct m2m_error *err)
{
    (void)cols;
    (void)ncols;
    (void)err;
    *(int *)arg = 1;
    return 1;
}

int store_row_int(void *arg, const struct store_val *cols, size_t ncols, struct m2m_error *err)
{
    (void)err;
    *(int64_t *)arg = ncols > 0 ? store_col_int(&cols[0]) : 0;
    return 1;
}

/* Adds the integer column 0 of every row: DELETE ... RETURNING <0 or 1>. */
static int row_sum(void *arg, const struct store_val *cols, size_t ncols, struct m2m_error *err)
{
    (void)err;
    if (ncols > 0)
        *(uint64_t *)arg += (uint64_t)store_col_int(&cols[0]);
    return 0;
}

/* One statement, so the count is exactly what went, with no window between a count and
 * a delete. */
int store_purge(struct m2m_store *s, const char *delete_sql, int64_t now, uint64_t *count,
                struct m2m_error *err)
{
    const struct store_val p[] = {SV_INT(now)};
    uint64_t n = 0;
    int rc = -1;

    M2M_GUARD(store_exec(s, delete_sql, p, M2M_ARRAY_LEN(p), row_sum, &n, NULL, err));
    if (count != NULL)
        *count = n;
    rc = 0;
out:
    return rc;
}
