
/*
 * The migration runner: see ax_migrate.h.
 */

#if !defined _GNU_SOURCE && !defined _POSIX_C_SOURCE
#define _POSIX_C_SOURCE  200809L                      /* gmtime_r() */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ax_migrate.h"


static const char  ax_migrate_create[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " app TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL,"
    " PRIMARY KEY (app, name))";


static void
ax_migrate_err(char *err, size_t errlen, const ax_migration_t *m,
    const char *what, const char *msg)
{
    if (err == NULL || errlen == 0) {
        return;
    }

    if (m != NULL) {
        snprintf(err, errlen, "%s/%s: %s", m->app, m->name, msg);

    } else {
        snprintf(err, errlen, "%s: %s", what ? what : "migrations", msg);
    }
}


/* the row of r (app, name, ...) for migration m, or -1 */

static int
ax_migrate_find(ax_db_res_t *r, const ax_migration_t *m)
{
    int          i, rows;
    const char  *app, *name;

    rows = ax_db_res_rows(r);

    for (i = 0; i < rows; i++) {
        app = ax_db_res_value(r, i, 0, NULL);
        name = ax_db_res_value(r, i, 1, NULL);

        if (app && name && strcmp(app, m->app) == 0
            && strcmp(name, m->name) == 0)
        {
            return i;
        }
    }

    return -1;
}


static void
ax_migrate_now(char *buf, size_t size)
{
    time_t     now;
    struct tm  tm;

    now = time(NULL);

    if (gmtime_r(&now, &tm) == NULL
        || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        snprintf(buf, size, "1970-01-01T00:00:00Z");
    }
}


/* applies m if still pending, in a transaction holding the write lock */

static int
ax_migrate_one(ax_db_t *db, const ax_migration_t *m, int *done)
{
    int             rc;
    char            now[32];
    ax_db_res_t    *r;
    ax_db_param_t   p[3];

    *done = 0;

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        return rc;
    }

    ax_db_set_text(&p[0], strlen(m->app), m->app);
    ax_db_set_text(&p[1], strlen(m->name), m->name);

    rc = ax_db_query(db,
                     "SELECT 1 FROM schema_migrations"
                     " WHERE app = $1 AND name = $2",
                     p, 2, &r);
    if (rc != AX_DB_OK) {
        goto failed;
    }

    if (ax_db_res_rows(r) > 0) {
        /* another process applied it meanwhile */
        ax_db_res_free(r);
        return ax_db_commit(db);
    }

    ax_db_res_free(r);

    rc = ax_db_exec(db, m->sql);
    if (rc != AX_DB_OK) {
        goto failed;
    }

    ax_migrate_now(now, sizeof(now));
    ax_db_set_text(&p[2], strlen(now), now);

    rc = ax_db_query(db,
                     "INSERT INTO schema_migrations (app, name, applied_at)"
                     " VALUES ($1, $2, $3)",
                     p, 3, NULL);
    if (rc != AX_DB_OK) {
        goto failed;
    }

    rc = ax_db_commit(db);

    if (rc == AX_DB_OK) {
        *done = 1;
    }

    return rc;

failed:

    (void) ax_db_rollback(db);

    return rc;
}


static int
ax_migrate_lock(ax_db_t *db, int lock)
{
    ax_db_param_t  p[1];

    if (ax_db_engine(db) != AX_DB_POSTGRES) {
        /* SQLite: each migration's BEGIN IMMEDIATE is the lock */
        return AX_DB_OK;
    }

    ax_db_set_int(&p[0], AX_MIGRATE_PG_LOCK);

    return ax_db_query(db, lock
                           ? "SELECT pg_advisory_lock(CAST($1 AS BIGINT))"
                           : "SELECT pg_advisory_unlock(CAST($1 AS BIGINT))",
                       p, 1, NULL);
}


int
ax_migrate_apply(ax_db_t *db, const ax_migration_t *m, size_t n,
    int *applied, char *err, size_t errlen)
{
    int           rc, done, count, timeout, locked;
    size_t        i;
    ax_db_res_t  *r;

    if (applied) {
        *applied = 0;
    }

    if (err && errlen) {
        err[0] = '\0';
    }

    if (ax_db_in_transaction(db)) {
        ax_migrate_err(err, errlen, NULL, "migrations",
                       "cannot run inside a transaction");
        return AX_DB_ERROR;
    }

    /* the fast path: everything applied */

    rc = ax_db_query(db, "SELECT app, name FROM schema_migrations", NULL, 0,
                     &r);

    if (rc == AX_DB_OK) {
        for (i = 0; i < n; i++) {
            if (ax_migrate_find(r, &m[i]) < 0) {
                break;
            }
        }

        ax_db_res_free(r);

        if (i == n) {
            return AX_DB_OK;
        }

    } else if (rc == AX_DB_DOWN) {
        ax_migrate_err(err, errlen, NULL, "migrations", ax_db_errmsg(db));
        return rc;
    }

    /* something is pending (or schema_migrations is missing) */

    timeout = ax_db_timeout(db);

    rc = ax_db_set_timeout(db, AX_MIGRATE_TIMEOUT_MS);
    if (rc != AX_DB_OK) {
        ax_migrate_err(err, errlen, NULL, "migrations", ax_db_errmsg(db));
        return rc;
    }

    locked = 0;
    count = 0;

    rc = ax_migrate_lock(db, 1);
    if (rc != AX_DB_OK) {
        ax_migrate_err(err, errlen, NULL, "migration lock", ax_db_errmsg(db));
        goto done;
    }

    locked = 1;

    rc = ax_db_begin(db);

    if (rc == AX_DB_OK) {
        rc = ax_db_exec(db, ax_migrate_create);

        if (rc == AX_DB_OK) {
            rc = ax_db_commit(db);

        } else {
            (void) ax_db_rollback(db);
        }
    }

    if (rc != AX_DB_OK) {
        ax_migrate_err(err, errlen, NULL, "schema_migrations",
                       ax_db_errmsg(db));
        goto done;
    }

    /* what is pending now (SQLite checks each again under its lock) */

    rc = ax_db_query(db, "SELECT app, name FROM schema_migrations", NULL, 0,
                     &r);
    if (rc != AX_DB_OK) {
        ax_migrate_err(err, errlen, NULL, "schema_migrations",
                       ax_db_errmsg(db));
        goto done;
    }

    for (i = 0; i < n; i++) {
        if (ax_migrate_find(r, &m[i]) >= 0) {
            continue;
        }

        rc = ax_migrate_one(db, &m[i], &done);

        if (rc != AX_DB_OK) {
            ax_migrate_err(err, errlen, &m[i], NULL, ax_db_errmsg(db));
            break;
        }

        count += done;
    }

    ax_db_res_free(r);

done:

    if (locked) {
        (void) ax_migrate_lock(db, 0);
    }

    (void) ax_db_set_timeout(db, timeout);

    if (applied) {
        *applied = count;
    }

    return rc;
}


int
ax_migrate_status(ax_db_t *db, const ax_migration_t *m, size_t n,
    ax_migration_state_t *st, char *err, size_t errlen)
{
    int           rc, row;
    size_t        i;
    const char   *at;
    ax_db_res_t  *r;

    if (err && errlen) {
        err[0] = '\0';
    }

    for (i = 0; i < n; i++) {
        st[i].applied = 0;
        st[i].applied_at[0] = '\0';
    }

    rc = ax_db_query(db, ax_db_engine(db) == AX_DB_POSTGRES
                         ? "SELECT CASE WHEN to_regclass('schema_migrations')"
                           " IS NULL THEN 0 ELSE 1 END"
                         : "SELECT count(*) FROM sqlite_master"
                           " WHERE type = 'table'"
                           " AND name = 'schema_migrations'",
                     NULL, 0, &r);
    if (rc != AX_DB_OK) {
        ax_migrate_err(err, errlen, NULL, "schema_migrations",
                       ax_db_errmsg(db));
        return rc;
    }

    row = (int) ax_db_res_int(r, 0, 0);
    ax_db_res_free(r);

    if (row == 0) {
        return AX_DB_OK;
    }

    rc = ax_db_query(db,
                     "SELECT app, name, applied_at FROM schema_migrations",
                     NULL, 0, &r);
    if (rc != AX_DB_OK) {
        ax_migrate_err(err, errlen, NULL, "schema_migrations",
                       ax_db_errmsg(db));
        return rc;
    }

    for (i = 0; i < n; i++) {
        row = ax_migrate_find(r, &m[i]);

        if (row < 0) {
            continue;
        }

        st[i].applied = 1;

        at = ax_db_res_value(r, row, 2, NULL);
        snprintf(st[i].applied_at, sizeof(st[i].applied_at), "%s",
                 at ? at : "");
    }

    ax_db_res_free(r);

    return AX_DB_OK;
}
