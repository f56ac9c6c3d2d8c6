/* GBA subscribers: the data a BSF gets from the HSS (3GPP TS 33.220 4.3, 4.4.1: the
 * authentication vector's inputs and the GBA user security settings). K and OPc are sealed
 * together, K || OPc, with the IMPI as AAD, so neither can be moved to another subscriber or
 * swapped with the other. The SQN of the home environment (TS 33.102 6.3.2) only moves
 * forward through a compare-and-set, so no SQN is ever issued twice. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/safety.h"
#include "store/store_internal.h"

#define SUB_COLS "impi, sqn, amf, enrolee_id, ke_lifetime, nafs, created"
#define NAFS_MAX (M2M_STORE_GBA_MAX_NAF * M2M_STORE_FQDN_MAX)

static void sub_clear(void *rec)
{
    (void)rec;
}

/* "a.example.com b.example.com" into the record's list. */
static int nafs_split(const char *text, struct m2m_store_gba_subscriber *r, struct m2m_error *err)
{
    const char *p = text;
    int rc = -1;

    r->n_naf = 0;
    while (*p != '\0') {
        size_t n = strcspn(p, " ");
        if (n > 0) {
            M2M_ENSURE(r->n_naf < M2M_STORE_GBA_MAX_NAF && n < M2M_STORE_FQDN_MAX, M2M_E_STORE,
                       "stored GBA user security settings are malformed");
            memcpy(r->naf[r->n_naf], p, n);
            r->naf[r->n_naf++][n] = '\0';
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    rc = 0;
out:
    return rc;
}

static int sub_decode(const struct store_val *c, void *rec, struct m2m_error *err)
{
    struct m2m_store_gba_subscriber *r = rec;
    char nafs[NAFS_MAX];
    int rc = -1;

    M2M_GUARD(store_col_text(&c[0], r->impi, sizeof(r->impi), err));
    r->sqn = (uint64_t)store_col_int(&c[1]);
    M2M_ENSURE(c[2].type == STORE_BLOB && c[2].len == sizeof(r->amf), M2M_E_STORE,
               "stored AMF is malformed");
    memcpy(r->amf, c[2].b, sizeof(r->amf));
    M2M_GUARD(store_col_text(&c[3], r->enrolee_id, sizeof(r->enrolee_id), err));
    r->ke_lifetime = store_col_int(&c[4]);
    M2M_GUARD(store_col_text(&c[5], nafs, sizeof(nafs), err));
    M2M_GUARD(nafs_split(nafs, r, err));
    r->created = store_col_int(&c[6]);
    rc = 0;
out:
    return rc;
}

static const struct store_rec_type sub_type = {sizeof(struct m2m_store_gba_subscriber), 7,
                                               sub_decode, sub_clear};

static int has_space(const char *s)
{
    for (; *s != '\0'; s++)
        if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
            return 1;
    return 0;
}

/* The NAF list as one column; each entry non-empty, without spaces, unique. */
static int nafs_join(const struct m2m_store_gba_subscriber *r, char *out, size_t outsz,
                     struct m2m_error *err)
{
    size_t len = 0;
    int rc = -1;

    out[0] = '\0';
    M2M_ENSURE(r->n_naf <= M2M_STORE_GBA_MAX_NAF, M2M_E_INVALID_ARG,
               "at most %d NAFs in the user security settings", M2M_STORE_GBA_MAX_NAF);
    for (size_t i = 0; i < r->n_naf; i++) {
        M2M_GUARD(store_check_text("NAF", r->naf[i], sizeof(r->naf[i]), 0, err));
        M2M_ENSURE(!has_space(r->naf[i]), M2M_E_INVALID_ARG, "NAF '%s' contains a space",
                   r->naf[i]);
        for (size_t j = 0; j < i; j++)
            M2M_ENSURE(strcmp(r->naf[i], r->naf[j]) != 0, M2M_E_INVALID_ARG,
                       "NAF '%s' is listed twice", r->naf[i]);
        len += (size_t)snprintf(out + len, outsz - len, "%s%s", i ? " " : "", r->naf[i]);
    }
    rc = 0;
out:
    return rc;
}

static int sub_check(const struct m2m_store_gba_subscriber *r, struct m2m_error *err)
{
    int rc = -1;

    M2M_GUARD(store_check_text("IMPI", r->impi, sizeof(r->impi), 0, err));
    M2M_ENSURE(!has_space(r->impi), M2M_E_INVALID_ARG, "IMPI contains a space or control");
    M2M_GUARD(store_check_text("enrolee id", r->enrolee_id, sizeof(r->enrolee_id), 0, err));
    M2M_GUARD(store_check_time("Ke lifetime", r->ke_lifetime, err));
    M2M_ENSURE(r->sqn <= M2M_STORE_SQN_MAX, M2M_E_INVALID_ARG, "SQN is a 48-bit number");
    rc = 0;
out:
    return rc;
}

/* K || OPc as one secret, sealed under the IMPI. */
static struct m2m_secret *k_opc_join(const struct m2m_secret *k, const struct m2m_secret *opc,
                                     struct m2m_error *err)
{
    struct m2m_secret *both = NULL;

    if (m2m_secret_len(k) != M2M_STORE_GBA_KEY_LEN ||
        m2m_secret_len(opc) != M2M_STORE_GBA_KEY_LEN) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "K and OPc are %d bytes each", M2M_STORE_GBA_KEY_LEN);
        return NULL;
    }
    if ((both = m2m_secret_new(2 * M2M_STORE_GBA_KEY_LEN, err)) == NULL)
        return NULL;
    memcpy(m2m_secret_data(both), m2m_secret_cdata(k), M2M_STORE_GBA_KEY_LEN);
    memcpy(m2m_secret_data(both) + M2M_STORE_GBA_KEY_LEN, m2m_secret_cdata(opc),
           M2M_STORE_GBA_KEY_LEN);
    return both;
}

int m2m_store_gba_subscriber_add(struct m2m_store *s, const struct m2m_store_gba_subscriber *rec,
                                 const struct m2m_secret *k, const struct m2m_secret *opc,
                                 struct m2m_error *err)
{
    struct m2m_secret *both = NULL;
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    char nafs[NAFS_MAX];
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && rec != NULL && k != NULL && opc != NULL);
    M2M_GUARD(sub_check(rec, err));
    M2M_GUARD(nafs_join(rec, nafs, sizeof(nafs), err));
    M2M_GUARD_PTR(both = k_opc_join(k, opc, err));
    M2M_GUARD(store_seal(s, rec->impi, both, &sealed, &sealed_len, err));
    const struct store_val p[] = {
        SV_TEXT(rec->impi),
        SV_BLOB(sealed, sealed_len),
        SV_INT(rec->sqn),
        SV_BLOB(rec->amf, 2),
        SV_TEXT(rec->enrolee_id),
        SV_INT(rec->ke_lifetime),
        SV_TEXT(nafs),
        SV_INT(store_created(rec->created)),
    };
    if (store_exec(s,
                   "INSERT INTO gba_subscriber (impi, k_opc, sqn, amf, enrolee_id, ke_lifetime,"
                   " nafs, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   p, M2M_ARRAY_LEN(p), NULL, NULL, NULL, err) != 0) {
        store_exists_msg(err, "IMPI '%s' is already a subscriber", rec->impi);
        goto out;
    }
    rc = 0;
out:
    m2m_secret_free(both);
    store_sealed_free(sealed, sealed_len);
    return rc;
}

/* Splits the opened K || OPc into the caller's two secrets. */
static int k_opc_split(struct m2m_secret *both, struct m2m_secret **k_out,
                       struct m2m_secret **opc_out, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE(m2m_secret_len(both) == 2 * M2M_STORE_GBA_KEY_LEN, M2M_E_STORE,
               "stored K and OPc have the wrong length");
    M2M_GUARD_PTR(*k_out = m2m_secret_from(m2m_secret_cdata(both), M2M_STORE_GBA_KEY_LEN, err));
    M2M_GUARD_PTR(*opc_out = m2m_secret_from(m2m_secret_cdata(both) + M2M_STORE_GBA_KEY_LEN,
                                             M2M_STORE_GBA_KEY_LEN, err));
    rc = 0;
out:
    if (rc != 0) {
        m2m_secret_free(*k_out);
        *k_out = NULL;
    }
    return rc;
}

int m2m_store_gba_subscriber_get(struct m2m_store *s, const char *impi,
                                 struct m2m_store_gba_subscriber *out, struct m2m_secret **k_out,
                                 struct m2m_secret **opc_out, struct m2m_error *err)
{
    struct store_got got = {0};
    struct m2m_secret *both = NULL;
    int want = k_out != NULL;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && impi != NULL && out != NULL &&
                   (k_out == NULL) == (opc_out == NULL));
    if (want)
        *k_out = *opc_out = NULL;
    const struct store_val p[] = {SV_TEXT(impi)};
    M2M_GUARD(store_get_rec(s, &sub_type,
                            "SELECT " SUB_COLS ", k_opc FROM gba_subscriber WHERE impi = ?", p,
                            M2M_ARRAY_LEN(p), out, want, &got, err));
    M2M_ENSURE(got.found, M2M_E_STORE_NOT_FOUND, "no GBA subscriber '%s'", impi);
    if (want) {
        M2M_GUARD_PTR(both = store_unseal(s, impi, got.sealed, got.sealed_len, err));
        M2M_GUARD(k_opc_split(both, k_out, opc_out, err));
    }
    rc = 0;
out:
    m2m_secret_free(both);
    store_got_free(&got);
    return rc;
}

struct sub_ctx {
    m2m_store_gba_subscriber_cb cb;
    void *arg;
};

static int sub_deliver(const void *rec, void *ctx)
{
    const struct sub_ctx *c = ctx;
    return c->cb(rec, c->arg);
}

int m2m_store_gba_subscriber_list(struct m2m_store *s, m2m_store_gba_subscriber_cb cb, void *arg,
                                  struct m2m_error *err)
{
    struct sub_ctx c = {cb, arg};
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && cb != NULL);
    M2M_GUARD(store_list_rec(s, &sub_type, "SELECT " SUB_COLS " FROM gba_subscriber ORDER BY impi",
                             NULL, 0, sub_deliver, &c, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_gba_subscriber_remove(struct m2m_store *s, const char *impi, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && impi != NULL);
    const struct store_val p[] = {SV_TEXT(impi)};
    /* Pending challenges go with it (ON DELETE CASCADE). */
    M2M_GUARD(store_exec_one(s, "DELETE FROM gba_subscriber WHERE impi = ?", p, M2M_ARRAY_LEN(p),
                             "GBA subscriber", impi, err));
    rc = 0;
out:
    return rc;
}

int m2m_store_gba_naf_allowed(const struct m2m_store_gba_subscriber *rec, const char *naf_fqdn)
{
    if (rec == NULL || naf_fqdn == NULL)
        return 0;
    for (size_t i = 0; i < rec->n_naf && i < M2M_STORE_GBA_MAX_NAF; i++)
        if (strcmp(rec->naf[i], naf_fqdn) == 0)
            return 1;
    return 0;
}

int m2m_store_gba_sqn_set(struct m2m_store *s, const char *impi, uint64_t expect, uint64_t next,
                          struct m2m_error *err)
{
    uint64_t changes = 0;
    int found = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && impi != NULL);
    M2M_ENSURE(next <= M2M_STORE_SQN_MAX, M2M_E_INVALID_ARG,
               "SQN of subscriber '%s' would pass 2^48 - 1", impi);
    const struct store_val p[] = {SV_INT(next), SV_TEXT(impi), SV_INT(expect)};
    M2M_GUARD(store_exec(s, "UPDATE gba_subscriber SET sqn = ? WHERE impi = ? AND sqn = ?", p,
                         M2M_ARRAY_LEN(p), NULL, NULL, &changes, err));
    if (changes == 0) {
        const struct store_val q[] = {SV_TEXT(impi)};
        M2M_GUARD(store_exec(s, "SELECT 1 FROM gba_subscriber WHERE impi = ?", q, M2M_ARRAY_LEN(q),
                             store_row_exists, &found, NULL, err));
        M2M_ENSURE(found, M2M_E_STORE_NOT_FOUND, "no GBA subscriber '%s'", impi);
        M2M_BAIL(M2M_E_STORE, "the SQN of '%s' moved meanwhile (another request); retry", impi);
    }
    rc = 0;
out:
    return rc;
}
