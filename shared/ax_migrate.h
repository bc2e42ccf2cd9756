
/*
 * Schema migrations: every app's modules/<app>/migrations/NNNN_name.sql,
 * embedded in app order by the build, applied once per database and
 * recorded in schema_migrations(app, name, applied_at).
 *
 * Migrations are written in the portable subset of ax_db.h and run with
 * ax_db_exec() ({{id}} is substituted); each runs in its own transaction
 * together with its schema_migrations row, so it must not hold BEGIN or
 * COMMIT itself.
 *
 * Concurrency: processes, threads and nodes may start together.  SQLite:
 * each migration's transaction is BEGIN IMMEDIATE (the database write
 * lock) and whether it is still pending is checked inside it.  PostgreSQL:
 * the whole run holds pg_advisory_lock(AX_MIGRATE_PG_LOCK), and pending
 * migrations are read inside it.  While migrating, the connection's timeout
 * is raised to AX_MIGRATE_TIMEOUT_MS (waiting for another node's run, long
 * DDL), then restored.
 */

#ifndef _AX_MIGRATE_H_INCLUDED_
#define _AX_MIGRATE_H_INCLUDED_


#include <stddef.h>

#include "ax_db.h"


typedef struct {
    const char      *app;
    const char      *name;              /* "0001_initial" */
    const char      *sql;
} ax_migration_t;


typedef struct {
    int              applied;
    char             applied_at[32];    /* "YYYY-MM-DDTHH:MM:SSZ" or "" */
} ax_migration_state_t;


/* the pg_advisory_lock() key ("AXMIGR" in ASCII) */
#define AX_MIGRATE_PG_LOCK     0x41584d494752LL

/* the timeout while migrating: 10 minutes */
#define AX_MIGRATE_TIMEOUT_MS  600000


/*
 * Applies every pending migration of m[0 .. n-1] in order, outside any
 * transaction of the caller.  *applied (may be NULL) receives how many this
 * call applied.  When nothing is pending it costs a single SELECT.
 *
 * Returns AX_DB_OK, or an ax_db_rc_e with a message in err naming the
 * failing migration ("core/0002_x: ..."); the failing migration is rolled
 * back and those after it are not tried, those before it stay applied.
 */
int ax_migrate_apply(ax_db_t *db, const ax_migration_t *m, size_t n,
    int *applied, char *err, size_t errlen);

/*
 * For "arthexis migrate --list": fills st[0 .. n-1] (applied or not, and
 * when) without changing anything; a database without schema_migrations
 * has nothing applied.  Returns AX_DB_OK or an ax_db_rc_e with err set.
 */
int ax_migrate_status(ax_db_t *db, const ax_migration_t *m, size_t n,
    ax_migration_state_t *st, char *err, size_t errlen);


#endif /* _AX_MIGRATE_H_INCLUDED_ */
