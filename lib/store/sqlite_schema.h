/* Schema creation and migration of the SQLite back end. */
#ifndef M2M_STORE_SQLITE_SCHEMA_H
#define M2M_STORE_SQLITE_SCHEMA_H

#include <sqlite3.h>

#include <m2msec/error.h>

/* The schema version this build writes. */
#define M2M_STORE_SCHEMA_VERSION 2

/* Brings the database to M2M_STORE_SCHEMA_VERSION in one write transaction, applying only
 * the migrations it lacks, so concurrent and repeated opens are harmless. A database from a
 * newer build is refused rather than misread. */
int m2m_sqlite_migrate(sqlite3 *db, struct m2m_error *err);

/* The version recorded in the database (0 for a new file), for tests and diagnostics. */
int m2m_sqlite_schema_version(sqlite3 *db, int *version, struct m2m_error *err);

#endif
