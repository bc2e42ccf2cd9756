
/*
 * ax_migrate unit tests: SQLite in a temporary directory always,
 * PostgreSQL too when AX_TEST_PG_DSN is set.  Every test runs on a fresh
 * database (SQLite file) or schema (PostgreSQL).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <pthread.h>

#include <cmocka.h>

#include "ax_db.h"
#include "ax_migrate.h"


typedef struct {
    ax_db_engine_e   engine;
    const char      *pg_dsn;
    char             dir[256];
    char             dsn[512];
    char             schema[64];
    int              n;
} eng_t;


#define assert_ok(db, expr)                                                  \
    do {                                                                     \
        int  rc_ = (expr);                                                   \
        if (rc_ != AX_DB_OK) {                                               \
            fail_msg("%s: rc %d: %s", #expr, rc_, ax_db_errmsg(db));         \
        }                                                                    \
    } while (0)


static const ax_migration_t  migs[] = {
    { "core", "0001_initial",
      "CREATE TABLE m_log (app TEXT NOT NULL, name TEXT NOT NULL);\n"
      "CREATE TABLE m_item (\n"
      "    id {{id}},\n"
      "    name TEXT NOT NULL UNIQUE,\n"
      "    created_at TEXT NOT NULL\n"
      ");\n"
      "INSERT INTO m_log (app, name) VALUES ('core', '0001_initial');\n" },

    { "core", "0002_seed",
      "INSERT INTO m_item (name, created_at)"
      " VALUES ('first', '2024-01-01T00:00:00Z');\n"
      "INSERT INTO m_log (app, name) VALUES ('core', '0002_seed');\n" },

    { "ocpp", "0001_initial",
      "CREATE TABLE m_charger (\n"
      "    id {{id}},\n"
      "    item_id BIGINT REFERENCES m_item(id),\n"
      "    serial TEXT NOT NULL,\n"
      "    enabled SMALLINT NOT NULL DEFAULT 1\n"
      ");\n"
      "CREATE INDEX m_charger_serial ON m_charger (serial);\n"
      "INSERT INTO m_log (app, name) VALUES ('ocpp', '0001_initial');\n" },

    { "ocpp", "0002_add_column",
      "ALTER TABLE m_charger ADD COLUMN note TEXT;\n"
      "INSERT INTO m_charger (item_id, serial, note)"
      " SELECT id, 'S-' || name, 'it''s; -- not a comment' FROM m_item;\n"
      "INSERT INTO m_log (app, name) VALUES ('ocpp', '0002_add_column');\n" },

    { "nodes", "0001_initial",
      "CREATE TABLE m_node (id {{id}}, hostname TEXT NOT NULL);\n"
      "INSERT INTO m_log (app, name) VALUES ('nodes', '0001_initial');\n" },
};

#define NMIGS  (sizeof(migs) / sizeof(migs[0]))


static ax_db_t *
db_open(eng_t *e)
{
    int       rc;
    char      err[256], sql[256];
    ax_db_t  *db;

    err[0] = '\0';
    rc = ax_db_open(&db, e->dsn, 5000, err, sizeof(err));

    if (rc != AX_DB_OK) {
        fail_msg("ax_db_open(%s): %d %s", e->dsn, rc, err);
    }

    if (e->engine == AX_DB_POSTGRES) {
        snprintf(sql, sizeof(sql), "SET search_path = %s", e->schema);
        assert_ok(db, ax_db_exec(db, sql));
    }

    return db;
}


/* a fresh database for each test, and for each round of a test */

static int
fresh(eng_t *e)
{
    char      err[256], sql[256];
    ax_db_t  *db;

    e->n++;

    if (e->engine == AX_DB_SQLITE) {
        snprintf(e->dsn, sizeof(e->dsn), "sqlite:%s/m%d.db", e->dir, e->n);
        return 0;
    }

    snprintf(e->dsn, sizeof(e->dsn), "%s", e->pg_dsn);
    snprintf(e->schema, sizeof(e->schema), "ax_test_mig_%d_%d",
             (int) getpid(), e->n);

    if (ax_db_open(&db, e->dsn, 5000, err, sizeof(err)) != AX_DB_OK) {
        fprintf(stderr, "cannot connect to PostgreSQL: %s\n", err);
        return -1;
    }

    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE;"
             "CREATE SCHEMA %s", e->schema, e->schema);

    if (ax_db_exec(db, sql) != AX_DB_OK) {
        fprintf(stderr, "%s\n", ax_db_errmsg(db));
        ax_db_close(db);
        return -1;
    }

    ax_db_close(db);

    return 0;
}


static void
drop(eng_t *e)
{
    char      err[256], sql[256];
    ax_db_t  *db;

    if (e->engine != AX_DB_POSTGRES) {
        return;
    }

    if (ax_db_open(&db, e->dsn, 5000, err, sizeof(err)) == AX_DB_OK) {
        snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE",
                 e->schema);
        (void) ax_db_exec(db, sql);
        ax_db_close(db);
    }
}


static int
test_setup(void **state)
{
    return fresh(*state);
}


static int
test_teardown(void **state)
{
    drop(*state);
    return 0;
}


static long long
count(ax_db_t *db, const char *sql)
{
    long long     n;
    ax_db_res_t  *r;

    assert_ok(db, ax_db_query(db, sql, NULL, 0, &r));
    n = ax_db_res_int(r, 0, 0);
    ax_db_res_free(r);

    return n;
}


/* every migration of migs[0 .. n-1] ran exactly once */

static void
assert_applied_once(ax_db_t *db, size_t n)
{
    int             rows;
    size_t          i;
    ax_db_res_t    *r;
    ax_db_param_t   p[2];

    assert_int_equal(count(db, "SELECT count(*) FROM schema_migrations"), n);
    assert_int_equal(count(db, "SELECT count(*) FROM m_log"), n);

    for (i = 0; i < n; i++) {
        ax_db_set_text(&p[0], strlen(migs[i].app), migs[i].app);
        ax_db_set_text(&p[1], strlen(migs[i].name), migs[i].name);

        assert_ok(db, ax_db_query(db, "SELECT count(*) FROM m_log"
                                  " WHERE app = $1 AND name = $2",
                                  p, 2, &r));
        rows = (int) ax_db_res_int(r, 0, 0);
        ax_db_res_free(r);

        if (rows != 1) {
            fail_msg("%s/%s ran %d times", migs[i].app, migs[i].name, rows);
        }
    }
}


static void
test_apply_once(void **state)
{
    int                    applied, rc;
    char                   err[256];
    size_t                 i;
    ax_db_t               *db;
    ax_db_res_t           *r;
    ax_migration_state_t   st[NMIGS];

    db = db_open(*state);

    /* nothing applied yet, and status changes nothing */

    st[0].applied = 7;
    assert_ok(db, ax_migrate_status(db, migs, NMIGS, st, err, sizeof(err)));

    for (i = 0; i < NMIGS; i++) {
        assert_false(st[i].applied);
        assert_string_equal(st[i].applied_at, "");
    }

    assert_int_not_equal(ax_db_query(db, "SELECT 1 FROM schema_migrations",
                                     NULL, 0, NULL), AX_DB_OK);

    /* apply all */

    applied = -1;
    rc = ax_migrate_apply(db, migs, NMIGS, &applied, err, sizeof(err));
    if (rc != AX_DB_OK) {
        fail_msg("ax_migrate_apply: %d %s", rc, err);
    }

    assert_int_equal(applied, NMIGS);
    assert_applied_once(db, NMIGS);
    assert_int_equal(ax_db_timeout(db), 5000);

    /* {{id}} made an integer key that counts from 1 */
    assert_int_equal(count(db, "SELECT id FROM m_item"), 1);

    assert_ok(db, ax_db_query(db, "SELECT serial, note, enabled"
                              " FROM m_charger", NULL, 0, &r));
    assert_int_equal(ax_db_res_rows(r), 1);
    assert_string_equal(ax_db_res_value(r, 0, 0, NULL), "S-first");
    assert_string_equal(ax_db_res_value(r, 0, 1, NULL),
                        "it's; -- not a comment");
    assert_int_equal(ax_db_res_int(r, 0, 2), 1);
    ax_db_res_free(r);

    /* again: nothing to do */

    applied = -1;
    assert_ok(db, ax_migrate_apply(db, migs, NMIGS, &applied, err,
                                   sizeof(err)));
    assert_int_equal(applied, 0);
    assert_applied_once(db, NMIGS);

    assert_ok(db, ax_migrate_apply(db, migs, NMIGS, NULL, NULL, 0));

    /* status: all applied, with a time */

    assert_ok(db, ax_migrate_status(db, migs, NMIGS, st, err, sizeof(err)));

    for (i = 0; i < NMIGS; i++) {
        assert_true(st[i].applied);
        assert_int_equal(strlen(st[i].applied_at), 20);
        assert_int_equal(st[i].applied_at[10], 'T');
        assert_int_equal(st[i].applied_at[19], 'Z');
    }

    ax_db_close(db);

    /* another connection sees them applied */

    db = db_open(*state);
    assert_ok(db, ax_migrate_apply(db, migs, NMIGS, &applied, err,
                                   sizeof(err)));
    assert_int_equal(applied, 0);
    ax_db_close(db);
}


static void
test_new_migrations(void **state)
{
    int                    applied;
    char                   err[256];
    ax_db_t               *db;
    ax_migration_state_t   st[NMIGS];

    db = db_open(*state);

    assert_ok(db, ax_migrate_apply(db, migs, 2, &applied, err, sizeof(err)));
    assert_int_equal(applied, 2);

    assert_ok(db, ax_migrate_status(db, migs, NMIGS, st, err, sizeof(err)));
    assert_true(st[0].applied);
    assert_true(st[1].applied);
    assert_false(st[2].applied);
    assert_false(st[4].applied);

    /* a release adds three */
    assert_ok(db, ax_migrate_apply(db, migs, NMIGS, &applied, err,
                                   sizeof(err)));
    assert_int_equal(applied, NMIGS - 2);
    assert_applied_once(db, NMIGS);

    /* no migrations at all */
    assert_ok(db, ax_migrate_apply(db, migs, 0, &applied, err, sizeof(err)));
    assert_int_equal(applied, 0);

    ax_db_close(db);
}


static void
test_failing(void **state)
{
    int                    rc, applied;
    char                   err[256];
    ax_db_t               *db;
    ax_migration_state_t   st[3];

    ax_migration_t  bad[3];

    bad[0] = migs[0];
    bad[1].app = "core";
    bad[1].name = "0002_broken";
    bad[1].sql = "CREATE TABLE m_half (x INTEGER);\n"
                 "INSERT INTO m_log (app, name) VALUES ('core', 'broken');\n"
                 "INSERT INTO m_nonexistent (x) VALUES (1);\n";
    bad[2] = migs[1];

    db = db_open(*state);

    err[0] = '\0';
    applied = -1;
    rc = ax_migrate_apply(db, bad, 3, &applied, err, sizeof(err));

    assert_int_equal(rc, AX_DB_ERROR);
    assert_int_equal(applied, 1);
    print_message("failed as expected: %s\n", err);
    assert_non_null(strstr(err, "core/0002_broken"));
    assert_non_null(strstr(err, "m_nonexistent"));
    assert_false(ax_db_in_transaction(db));
    assert_int_equal(ax_db_timeout(db), 5000);

    /* the broken migration left nothing behind, the next did not run */

    assert_int_not_equal(ax_db_query(db, "SELECT x FROM m_half", NULL, 0,
                                     NULL), AX_DB_OK);
    assert_int_equal(count(db, "SELECT count(*) FROM m_log"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM m_item"), 0);

    assert_ok(db, ax_migrate_status(db, bad, 3, st, err, sizeof(err)));
    assert_true(st[0].applied);
    assert_false(st[1].applied);
    assert_false(st[2].applied);

    /* it fails the same way again */
    rc = ax_migrate_apply(db, bad, 3, &applied, err, sizeof(err));
    assert_int_equal(rc, AX_DB_ERROR);
    assert_int_equal(applied, 0);

    /* fixed: the rest applies */

    bad[1].sql = "CREATE TABLE m_half (x INTEGER);\n"
                 "INSERT INTO m_log (app, name) VALUES ('core', 'fixed');\n";

    assert_ok(db, ax_migrate_apply(db, bad, 3, &applied, err, sizeof(err)));
    assert_int_equal(applied, 2);
    assert_int_equal(count(db, "SELECT count(*) FROM m_log"), 3);
    assert_int_equal(count(db, "SELECT count(*) FROM m_half"), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM m_item"), 1);

    /* a constraint violation is reported as such */

    bad[2].app = "core";
    bad[2].name = "0003_dup";
    bad[2].sql = "INSERT INTO m_item (name, created_at)"
                 " VALUES ('first', '2024-01-01T00:00:00Z');";

    rc = ax_migrate_apply(db, bad, 3, &applied, err, sizeof(err));
    assert_int_equal(rc, AX_DB_CONSTRAINT);
    assert_non_null(strstr(err, "core/0003_dup"));

    ax_db_close(db);
}


static void
test_in_transaction(void **state)
{
    int       applied;
    char      err[256];
    ax_db_t  *db;

    db = db_open(*state);

    assert_ok(db, ax_db_begin(db));
    assert_int_equal(ax_migrate_apply(db, migs, NMIGS, &applied, err,
                                      sizeof(err)), AX_DB_ERROR);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(err, "transaction"));
    assert_ok(db, ax_db_rollback(db));

    ax_db_close(db);
}


/* threads (each its own connection, as processes or nodes would) */

#define NTHREADS  4

typedef struct {
    eng_t               *e;
    pthread_barrier_t   *start;
    int                  rc;
    int                  applied;
    char                 err[256];
} migrator_t;


static void *
migrator(void *arg)
{
    char         sql[256];
    ax_db_t     *db;
    migrator_t  *m = arg;

    m->applied = 0;

    m->rc = ax_db_open(&db, m->e->dsn, 2000, m->err, sizeof(m->err));

    if (m->rc == AX_DB_OK && m->e->engine == AX_DB_POSTGRES) {
        snprintf(sql, sizeof(sql), "SET search_path = %s", m->e->schema);
        m->rc = ax_db_exec(db, sql);
    }

    pthread_barrier_wait(m->start);

    if (m->rc != AX_DB_OK) {
        return NULL;
    }

    m->rc = ax_migrate_apply(db, migs, NMIGS, &m->applied, m->err,
                             sizeof(m->err));

    ax_db_close(db);

    return NULL;
}


static void
test_concurrent(void **state)
{
    int                 i, round, total;
    eng_t              *e = *state;
    ax_db_t            *db;
    pthread_t           tid[NTHREADS];
    migrator_t          m[NTHREADS];
    pthread_barrier_t   start;

    for (round = 0; round < 5; round++) {
        if (round > 0) {
            drop(e);
            assert_int_equal(fresh(e), 0);
        }

        pthread_barrier_init(&start, NULL, NTHREADS);

        for (i = 0; i < NTHREADS; i++) {
            m[i].e = e;
            m[i].start = &start;
            m[i].err[0] = '\0';
            assert_int_equal(pthread_create(&tid[i], NULL, migrator, &m[i]),
                             0);
        }

        total = 0;

        for (i = 0; i < NTHREADS; i++) {
            pthread_join(tid[i], NULL);
        }

        pthread_barrier_destroy(&start);

        for (i = 0; i < NTHREADS; i++) {
            if (m[i].rc != AX_DB_OK) {
                fail_msg("round %d thread %d: rc %d: %s", round, i, m[i].rc,
                         m[i].err);
            }

            total += m[i].applied;
        }

        assert_int_equal(total, NMIGS);

        db = db_open(e);
        assert_applied_once(db, NMIGS);
        ax_db_close(db);
    }
}


static int
sqlite_dir_create(eng_t *e)
{
    snprintf(e->dir, sizeof(e->dir), "%s/ax_test_migrate.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");

    if (mkdtemp(e->dir) == NULL) {
        perror("mkdtemp");
        return -1;
    }

    return 0;
}


static void
sqlite_dir_remove(eng_t *e)
{
    char            path[600];
    DIR            *d;
    struct dirent  *de;

    d = opendir(e->dir);

    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] != '.') {
                snprintf(path, sizeof(path), "%s/%s", e->dir, de->d_name);
                unlink(path);
            }
        }

        closedir(d);
    }

    rmdir(e->dir);
}


#define T(f)  cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

static const struct CMUnitTest  tests[] = {
    T(test_apply_once),
    T(test_new_migrations),
    T(test_failing),
    T(test_in_transaction),
    T(test_concurrent),
};

#define NTESTS  (sizeof(tests) / sizeof(tests[0]))


static int
run(const char *name, eng_t *e)
{
    size_t             i;
    struct CMUnitTest  t[NTESTS];

    for (i = 0; i < NTESTS; i++) {
        t[i] = tests[i];
        t[i].initial_state = e;
    }

    return _cmocka_run_group_tests(name, t, NTESTS, NULL, NULL);
}


int
main(void)
{
    int    failed;
    eng_t  sqlite, pg;

    memset(&sqlite, 0, sizeof(sqlite));
    sqlite.engine = AX_DB_SQLITE;

    if (sqlite_dir_create(&sqlite) != 0) {
        return 1;
    }

    failed = run("ax_migrate sqlite", &sqlite);

    sqlite_dir_remove(&sqlite);

    memset(&pg, 0, sizeof(pg));
    pg.engine = AX_DB_POSTGRES;
    pg.pg_dsn = getenv("AX_TEST_PG_DSN");

    if (pg.pg_dsn == NULL || pg.pg_dsn[0] == '\0') {
        printf("skipping PostgreSQL: AX_TEST_PG_DSN not set\n");
        return failed ? 1 : 0;
    }

    failed += run("ax_migrate postgresql", &pg);

    return failed ? 1 : 0;
}
