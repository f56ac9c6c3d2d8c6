/* The SQLite schema, as a list of migrations applied in order and recorded in
 * schema_version. A migration is never edited once released; a change is a new one. */
#include <stddef.h>
#include <stdio.h>

#include "core/safety.h"
#include "store/sqlite_schema.h"

/* Version 1. Secret columns (ke, km, kpm, psk, credential) hold only m2m_seal output.
 * Enrolee ids of keys are plain text, not foreign keys: keys are also issued to PSK
 * enrolees and to enrolees admitted by a policy, who have no row in `enrolee`. The audit
 * log references nothing, so purging keys never erases history. */
static const char migration_1[] =
    "CREATE TABLE enrolee ("
    " enrolee_id TEXT PRIMARY KEY NOT NULL,"
    " flavour INTEGER NOT NULL,"
    " identity TEXT NOT NULL,"
    " trust_set TEXT NOT NULL,"
    " ke_lifetime INTEGER NOT NULL CHECK (ke_lifetime > 0),"
    " instructions TEXT,"
    " created INTEGER NOT NULL,"
    " UNIQUE (flavour, identity));"
    "CREATE TABLE enrolee_policy ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " flavour INTEGER NOT NULL,"
    " trust_set TEXT NOT NULL,"
    " prefix TEXT NOT NULL,"
    " id_template TEXT NOT NULL,"
    " ke_lifetime INTEGER NOT NULL CHECK (ke_lifetime > 0),"
    " instructions TEXT,"
    " created INTEGER NOT NULL,"
    " UNIQUE (flavour, trust_set, prefix));"
    "CREATE TABLE psk_enrolee ("
    " kpm_id TEXT PRIMARY KEY NOT NULL,"
    " kpm BLOB NOT NULL,"
    " enrolee_id TEXT NOT NULL,"
    " ke_lifetime INTEGER NOT NULL CHECK (ke_lifetime > 0),"
    " instructions TEXT,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE target ("
    " target_id TEXT PRIMARY KEY NOT NULL,"
    " psk BLOB,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE target_auth ("
    " target_id TEXT NOT NULL REFERENCES target (target_id) ON DELETE CASCADE,"
    " suid INTEGER NOT NULL,"
    " enrolee_id TEXT NOT NULL,"
    " PRIMARY KEY (target_id, suid, enrolee_id));"
    "CREATE TABLE enrolment_key ("
    " keid TEXT PRIMARY KEY NOT NULL,"
    " ke BLOB NOT NULL,"
    " enrolee_id TEXT NOT NULL,"
    " framework TEXT NOT NULL CHECK (framework IN ('cert', 'psk', 'gba')),"
    " created INTEGER NOT NULL,"
    " expires INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0,"
    " revoked_at INTEGER,"
    " gba_rand BLOB,"
    " gba_impi TEXT);"
    "CREATE INDEX enrolment_key_enrolee ON enrolment_key (enrolee_id);"
    "CREATE INDEX enrolment_key_expires ON enrolment_key (expires);"
    "CREATE TABLE enrolment_ack ("
    " keid TEXT NOT NULL REFERENCES enrolment_key (keid) ON DELETE CASCADE,"
    " instruction TEXT NOT NULL,"
    " acked INTEGER NOT NULL,"
    " PRIMARY KEY (keid, instruction));"
    "CREATE TABLE maf_key ("
    " key_id TEXT PRIMARY KEY NOT NULL,"
    " km BLOB NOT NULL,"
    " keid TEXT NOT NULL,"
    " kmid TEXT NOT NULL,"
    " enrolee_id TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " expires INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0,"
    " revoked_at INTEGER);"
    "CREATE INDEX maf_key_keid ON maf_key (keid);"
    "CREATE INDEX maf_key_expires ON maf_key (expires);"
    "CREATE TABLE root_credential ("
    " cred_id TEXT PRIMARY KEY NOT NULL,"
    " credential BLOB NOT NULL,"
    " enrolee_id TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " expires INTEGER NOT NULL);"
    "CREATE INDEX root_credential_enrolee ON root_credential (enrolee_id);"
    "CREATE TABLE audit ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time INTEGER NOT NULL,"
    " event TEXT NOT NULL,"
    " keid TEXT,"
    " target TEXT,"
    " suid INTEGER,"
    " outcome TEXT NOT NULL,"
    " reason TEXT);";

/* Version 2: the GBA framework (3GPP TS 33.220). The BSF's subscriber data stands in for the
 * HSS: k_opc holds m2m_seal(K || OPc) with the IMPI as AAD, nafs the user security settings
 * as space-separated FQDNs. Pending Digest AKA challenges live here so that whichever worker
 * receives the answer can check it; vector holds m2m_seal(XRES || CK || IK) with the nonce
 * as AAD. */
static const char migration_2[] =
    "CREATE TABLE gba_subscriber ("
    " impi TEXT PRIMARY KEY NOT NULL,"
    " k_opc BLOB NOT NULL,"
    " sqn INTEGER NOT NULL CHECK (sqn >= 0 AND sqn <= 281474976710655),"
    " amf BLOB NOT NULL CHECK (length(amf) = 2),"
    " enrolee_id TEXT NOT NULL,"
    " ke_lifetime INTEGER NOT NULL CHECK (ke_lifetime > 0),"
    " nafs TEXT NOT NULL,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE gba_challenge ("
    " nonce TEXT PRIMARY KEY NOT NULL,"
    " impi TEXT NOT NULL REFERENCES gba_subscriber (impi) ON DELETE CASCADE,"
    " opaque TEXT NOT NULL,"
    " rand BLOB NOT NULL CHECK (length(rand) = 16),"
    " sqn INTEGER NOT NULL,"
    " vector BLOB NOT NULL,"
    " created INTEGER NOT NULL,"
    " expires INTEGER NOT NULL,"
    " used INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX gba_challenge_impi ON gba_challenge (impi);"
    "CREATE INDEX gba_challenge_expires ON gba_challenge (expires);";

static const char *const migrations[M2M_STORE_SCHEMA_VERSION] = {
    migration_1,
    migration_2,
};

static int run(sqlite3 *db, const char *sql, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, M2M_E_STORE, "schema: %s",
               sqlite3_errmsg(db));
    rc = 0;
out:
    return rc;
}

int m2m_sqlite_schema_version(sqlite3 *db, int *version, struct m2m_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    *version = 0;
    M2M_ENSURE(sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &st, NULL) ==
                   SQLITE_OK,
               M2M_E_STORE, "schema version: %s", sqlite3_errmsg(db));
    step = sqlite3_step(st);
    M2M_ENSURE(step == SQLITE_ROW, M2M_E_STORE, "schema version: %s", sqlite3_errmsg(db));
    *version = sqlite3_column_int(st, 0); /* NULL (no row yet) reads as 0 */
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static int apply(sqlite3 *db, int version, struct m2m_error *err)
{
    char sql[128];
    int rc = -1;

    M2M_GUARD(run(db, migrations[version - 1], err));
    snprintf(sql, sizeof(sql),
             "INSERT INTO schema_version (version, applied)"
             " VALUES (%d, CAST(strftime('%%s', 'now') AS INTEGER))",
             version);
    M2M_GUARD(run(db, sql, err));
    rc = 0;
out:
    return rc;
}

int m2m_sqlite_migrate(sqlite3 *db, struct m2m_error *err)
{
    int version = 0, rc = -1, open_tx = 0;

    /* IMMEDIATE: the write lock first, so two processes opening a new file at once do not
     * both decide to create the tables. */
    M2M_GUARD(run(db, "BEGIN IMMEDIATE", err));
    open_tx = 1;
    M2M_GUARD(run(db,
                  "CREATE TABLE IF NOT EXISTS schema_version ("
                  " version INTEGER PRIMARY KEY NOT NULL, applied INTEGER NOT NULL)",
                  err));
    M2M_GUARD(m2m_sqlite_schema_version(db, &version, err));
    M2M_ENSURE(version <= M2M_STORE_SCHEMA_VERSION, M2M_E_STORE,
               "database schema version %d is newer than this program's (%d)", version,
               M2M_STORE_SCHEMA_VERSION);
    for (int v = version + 1; v <= M2M_STORE_SCHEMA_VERSION; v++)
        M2M_GUARD(apply(db, v, err));
    M2M_GUARD(run(db, "COMMIT", err));
    open_tx = 0;
    rc = 0;
out:
    if (open_tx)
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
