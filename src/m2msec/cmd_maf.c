/* m2msec maf: administration of a MAF's cache of Km (TS-0003 8.3.1.2 steps 2-4). Each cached
 * key is stored under its KeID and its KmID; listings show it once, with both. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin_util.h"
#include "cli.h"

struct maf_rows {
    json_t *rows;
    int64_t now;
};

static int maf_cb(const struct m2m_store_maf_key *r, void *arg)
{
    struct maf_rows *l = arg;

    if (strcmp(r->key_id, r->keid) != 0) /* the KmID row of a key listed under its KeID */
        return 0;
    json_array_append_new(l->rows,
                          json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "keId", r->keid, "kmId",
                                    r->kmid, "enroleeId", r->enrolee_id, "created",
                                    admin_time(r->created), "expires", admin_time(r->expires),
                                    "status", admin_key_status(r->revoked, r->expires, l->now),
                                    "revokedAt", admin_time(r->revoked ? r->revoked_at : 0)));
    return 0;
}

static int maf_keys_list(struct admin_ctx *c)
{
    static const struct admin_col cols[] = {
        {"keId", "KEID"},       {"kmId", "KMID"},       {"enroleeId", "ENROLEE-ID"},
        {"created", "CREATED"}, {"expires", "EXPIRES"}, {"status", "STATUS"}};
    struct maf_rows l = {json_array(), (int64_t)time(NULL)};

    if (m2m_store_maf_list(c->store, maf_cb, &l, &c->err) != 0) {
        json_decref(l.rows);
        return admin_fail(c);
    }
    admin_print(c, cols, ADMIN_ARRAY_LEN(cols), l.rows);
    return 0;
}

static int maf_keys_revoke(struct admin_ctx *c)
{
    char id[M2M_STORE_KEYID_MAX];

    if (admin_keyid(c, c->o->keyid, id, sizeof(id)) != 0 ||
        m2m_store_maf_revoke(c->store, id, (int64_t)time(NULL), &c->err) != 0)
        return admin_fail(c);
    printf("cached key %s revoked\n", id);
    return 0;
}

static int maf_keys_purge(struct admin_ctx *c)
{
    uint64_t n = 0;

    if (m2m_store_maf_purge(c->store, (int64_t)time(NULL), &n, &c->err) != 0)
        return admin_fail(c);
    printf("%" PRIu64 " expired cached key%s purged\n", n, n == 1 ? "" : "s");
    return 0;
}

static const struct admin_action maf_actions[] = {
    {"keys", "list", 0, 0, 0, maf_keys_list, "[--json]",
     "Lists cached keys by KeID and KmID, with expiry and status; Km is never shown."},
    {"keys", "revoke", AO_KEYID, AO_KEYID, 0, maf_keys_revoke, "--key-id KEID|KMID",
     "Revokes a cached key, named by its KeID or its KmID."},
    {"keys", "purge", 0, 0, 0, maf_keys_purge, "", "Deletes every expired cached key."},
};

static const struct admin_command maf_command = {
    "maf",
    "Manages the key cache of an M2M Authentication Function.\n",
    maf_actions,
    ADMIN_ARRAY_LEN(maf_actions),
};

int cmd_maf(int argc, char **argv)
{
    return admin_main(&maf_command, argc, argv);
}
