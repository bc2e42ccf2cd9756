
/*
 * ax_db unit tests: SQLite in a temporary directory always, PostgreSQL too
 * when AX_TEST_PG_DSN is set (t/unit/pg_cluster.sh starts a throwaway
 * server).  Every test runs on a fresh database (SQLite file) or schema
 * (PostgreSQL).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <pthread.h>

#include <cmocka.h>

#include "ax_db.h"


typedef struct {
    ax_db_engine_e   engine;
    const char      *pg_dsn;
    char             dir[256];          /* SQLite: the temporary directory */
    char             dsn[512];          /* this test's database */
    char             schema[64];        /* PostgreSQL: this test's schema */
    int              n;
} eng_t;


#define assert_ok(db, expr)                                                  \
    do {                                                                     \
        int  rc_ = (expr);                                                   \
        if (rc_ != AX_DB_OK) {                                               \
            fail_msg("%s: rc %d: %s", #expr, rc_, ax_db_errmsg(db));         \
        }                                                                    \
    } while (0)

#define assert_rc(db, expr, want)                                            \
    do {                                                                     \
        int  rc_ = (expr);                                                   \
        if (rc_ != (want)) {                                                 \
            fail_msg("%s: rc %d, want %d: %s", #expr, rc_, (want),           \
                     ax_db_errmsg(db));                                      \
        }                                                                    \
    } while (0)


static double
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}


/* opens this test's database (PostgreSQL: in this test's schema) */

static ax_db_t *
db_open(eng_t *e, int timeout_ms)
{
    int       rc;
    char      err[256], sql[256];
    ax_db_t  *db;

    err[0] = '\0';
    rc = ax_db_open(&db, e->dsn, timeout_ms, err, sizeof(err));

    if (rc != AX_DB_OK) {
        fail_msg("ax_db_open(%s): %d %s", e->dsn, rc, err);
    }

    assert_non_null(db);

    if (e->engine == AX_DB_POSTGRES) {
        snprintf(sql, sizeof(sql), "SET search_path = %s", e->schema);
        assert_ok(db, ax_db_exec(db, sql));
    }

    return db;
}


static int
test_setup(void **state)
{
    eng_t    *e = *state;
    char      err[256], sql[256];
    ax_db_t  *db;

    e->n++;

    if (e->engine == AX_DB_SQLITE) {
        snprintf(e->dsn, sizeof(e->dsn), "sqlite:%s/t%d.db", e->dir, e->n);
        return 0;
    }

    snprintf(e->dsn, sizeof(e->dsn), "%s", e->pg_dsn);
    snprintf(e->schema, sizeof(e->schema), "ax_test_db_%d_%d",
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


static int
test_teardown(void **state)
{
    eng_t    *e = *state;
    char      err[256], sql[256];
    ax_db_t  *db;

    if (e->engine == AX_DB_POSTGRES) {
        if (ax_db_open(&db, e->dsn, 5000, err, sizeof(err)) == AX_DB_OK) {
            snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE",
                     e->schema);
            (void) ax_db_exec(db, sql);
            ax_db_close(db);
        }
    }

    return 0;
}


/* a query expected to return one value, "(null)" for NULL; the text is
 * valid until the next call */

static char *
query1(ax_db_t *db, const char *sql, const ax_db_param_t *p, int n)
{
    const char    *v;
    ax_db_res_t   *r;
    static char    buf[4096];

    assert_ok(db, ax_db_query(db, sql, p, n, &r));
    assert_int_equal(ax_db_res_rows(r), 1);

    v = ax_db_res_value(r, 0, 0, NULL);
    snprintf(buf, sizeof(buf), "%s", v ? v : "(null)");

    ax_db_res_free(r);

    return buf;
}


static long long
count(ax_db_t *db, const char *table)
{
    char          sql[128];
    long long     n;
    ax_db_res_t  *r;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);

    assert_ok(db, ax_db_query(db, sql, NULL, 0, &r));
    n = ax_db_res_int(r, 0, 0);
    ax_db_res_free(r);

    return n;
}


static void
test_open_bad_dsn(void **state)
{
    int          rc;
    char         err[256];
    ax_db_t     *db;
    size_t       i;

    static const struct {
        const char  *dsn;
        int          rc;
    } bad[] = {
        { "", AX_DB_ERROR },
        { "mysql://localhost/x", AX_DB_ERROR },
        { "/just/a/path", AX_DB_ERROR },
        { "sqlite:", AX_DB_ERROR },
        { "sqlite://", AX_DB_ERROR },
        { "sqlite:/nonexistent-ax-dir/sub/x.db", AX_DB_DOWN },
        { "nosuchoption=1", AX_DB_ERROR },
        { "postgresql://h/x?nosuchparam=1", AX_DB_ERROR },
        { "host=/nonexistent-ax-dir port=1 dbname=x", AX_DB_DOWN },
        { "postgresql://%2Fnonexistent-ax-dir:1/x", AX_DB_DOWN },
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        db = (ax_db_t *) &err;
        err[0] = '\0';

        rc = ax_db_open(&db, bad[i].dsn, 1000, err, sizeof(err));

        if (rc != bad[i].rc) {
            fail_msg("\"%s\": rc %d, want %d (%s)", bad[i].dsn, rc,
                     bad[i].rc, err);
        }

        assert_null(db);
        assert_true(err[0] != '\0');
    }

    /* err may be NULL */
    assert_int_equal(ax_db_open(&db, "", 1000, NULL, 0), AX_DB_ERROR);
    assert_null(db);

    ax_db_close(NULL);
    ax_db_res_free(NULL);
}


static void
test_open_forms(void **state)
{
    eng_t    *e = *state;
    char      dsn[600], err[256];
    ax_db_t  *db;

    if (e->engine != AX_DB_SQLITE) {
        skip();
    }

    /* sqlite:///abs/path is the same file as sqlite:/abs/path */

    snprintf(dsn, sizeof(dsn), "sqlite://%s/forms.db", e->dir);
    assert_int_equal(ax_db_open(&db, dsn, 0, err, sizeof(err)), AX_DB_OK);
    assert_int_equal(ax_db_engine(db), AX_DB_SQLITE);
    assert_int_equal(ax_db_timeout(db), AX_DB_DEFAULT_TIMEOUT_MS);
    assert_ok(db, ax_db_exec(db, "CREATE TABLE f (x INTEGER)"));
    ax_db_close(db);

    snprintf(dsn, sizeof(dsn), "sqlite:%s/forms.db", e->dir);
    assert_int_equal(ax_db_open(&db, dsn, 1000, err, sizeof(err)), AX_DB_OK);
    assert_int_equal(count(db, "f"), 0);

    /* WAL and foreign keys are on */
    assert_string_equal(query1(db, "PRAGMA journal_mode", NULL, 0), "wal");
    assert_string_equal(query1(db, "PRAGMA foreign_keys", NULL, 0), "1");
    ax_db_close(db);

    assert_int_equal(ax_db_open(&db, "sqlite::memory:", 1000, err,
                                sizeof(err)), AX_DB_OK);
    ax_db_close(db);
}


/* PostgreSQL: the DSN's own options are kept, ours are added */

static void
test_pg_dsn(void **state)
{
    eng_t    *e = *state;
    char      dsn[800], err[256];
    ax_db_t  *db;

    if (e->engine != AX_DB_POSTGRES
        || strncmp(e->pg_dsn, "postgres", 8) == 0)
    {
        skip();
    }

    snprintf(dsn, sizeof(dsn), "%s options='-c search_path=%s'"
             " application_name=ax_test", e->pg_dsn, e->schema);

    if (ax_db_open(&db, dsn, 1500, err, sizeof(err)) != AX_DB_OK) {
        fail_msg("%s: %s", dsn, err);
    }

    assert_int_equal(ax_db_engine(db), AX_DB_POSTGRES);
    assert_string_equal(query1(db, "SHOW search_path", NULL, 0), e->schema);
    assert_string_equal(query1(db, "SHOW statement_timeout", NULL, 0),
                        "1500ms");
    assert_string_equal(query1(db, "SHOW TimeZone", NULL, 0), "UTC");
    assert_string_equal(query1(db, "SHOW application_name", NULL, 0),
                        "ax_test");
    assert_string_equal(query1(db, "SHOW standard_conforming_strings", NULL,
                               0), "on");

    /* tables land in the schema */
    assert_ok(db, ax_db_exec(db, "CREATE TABLE in_schema (x INTEGER)"));
    assert_string_equal(query1(db, "SELECT schemaname FROM pg_tables"
                               " WHERE tablename = 'in_schema'", NULL, 0),
                        e->schema);

    ax_db_close(db);
}


static void
test_params(void **state)
{
    eng_t          *e = *state;
    size_t          len;
    ax_db_t        *db;
    const char     *v;
    ax_db_res_t    *r;
    static const char  utf8[] = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x94\x8c";

    ax_db_param_t   p[5] = {
        ax_db_int(42),
        ax_db_text(sizeof(utf8) - 1, utf8),
        ax_db_null(),
        ax_db_text(0, NULL),
        ax_db_cstr("plain")
    };

    db = db_open(e, 2000);

    assert_ok(db, ax_db_exec(db,
                             "CREATE TABLE t (id {{id}}, i BIGINT,"
                             " s TEXT, n TEXT, e TEXT NOT NULL, c TEXT)"));

    assert_ok(db, ax_db_query(db,
                              "INSERT INTO t (i, s, n, e, c)"
                              " VALUES ($1, $2, $3, $4, $5)",
                              p, 5, NULL));
    assert_int_equal(ax_db_changes(db), 1);

    assert_ok(db, ax_db_query(db, "SELECT i, s, n, e, c, id FROM t", NULL, 0,
                              &r));
    assert_int_equal(ax_db_res_rows(r), 1);
    assert_int_equal(ax_db_res_cols(r), 6);
    assert_string_equal(ax_db_res_name(r, 0), "i");
    assert_string_equal(ax_db_res_name(r, 5), "id");
    assert_null(ax_db_res_name(r, 6));
    assert_int_equal(ax_db_res_col(r, "e"), 3);
    assert_int_equal(ax_db_res_col(r, "nope"), -1);

    v = ax_db_res_value(r, 0, 0, &len);
    assert_string_equal(v, "42");
    assert_int_equal(len, 2);
    assert_int_equal(ax_db_res_int(r, 0, 0), 42);

    v = ax_db_res_value(r, 0, 1, &len);
    assert_string_equal(v, utf8);
    assert_int_equal(len, sizeof(utf8) - 1);

    len = 99;
    assert_null(ax_db_res_value(r, 0, 2, &len));
    assert_int_equal(len, 0);
    assert_true(ax_db_res_is_null(r, 0, 2));
    assert_int_equal(ax_db_res_int(r, 0, 2), 0);

    v = ax_db_res_value(r, 0, 3, &len);
    assert_non_null(v);
    assert_string_equal(v, "");
    assert_false(ax_db_res_is_null(r, 0, 3));

    assert_string_equal(ax_db_res_value(r, 0, 4, NULL), "plain");
    assert_int_equal(ax_db_res_int(r, 0, 5), 1);

    /* out of range */
    assert_null(ax_db_res_value(r, 1, 0, NULL));
    assert_null(ax_db_res_value(r, 0, -1, NULL));
    assert_true(ax_db_res_is_null(r, 5, 5));

    ax_db_res_free(r);

    /* integers at the edges, selected straight back */

    ax_db_set_int(&p[0], LLONG_MAX);
    ax_db_set_int(&p[1], LLONG_MIN);
    ax_db_set_int(&p[2], -1);
    ax_db_set_null(&p[3]);

    assert_ok(db, ax_db_query(db,
                              "INSERT INTO t (i, s, n, e)"
                              " VALUES ($1, $2, $3, 'x')",
                              p, 3, NULL));
    assert_ok(db, ax_db_query(db,
                              "INSERT INTO t (i, s, n, e)"
                              " VALUES ($2, $1, $3, 'y')",
                              p, 3, NULL));
    assert_ok(db, ax_db_query(db,
                              "INSERT INTO t (i, s, n, e)"
                              " VALUES ($1, $2, $2, 'z')",
                              &p[2], 2, NULL));
    assert_int_equal(ax_db_changes(db), 1);

    assert_ok(db, ax_db_query(db, "SELECT i, s FROM t WHERE id > 1"
                              " ORDER BY id", NULL, 0, &r));
    assert_int_equal(ax_db_res_rows(r), 3);
    assert_string_equal(ax_db_res_value(r, 0, 0, NULL),
                        "9223372036854775807");
    assert_string_equal(ax_db_res_value(r, 0, 1, NULL),
                        "-9223372036854775808");
    assert_int_equal(ax_db_res_int(r, 0, 0), LLONG_MAX);
    assert_int_equal(ax_db_res_int(r, 1, 0), LLONG_MIN);
    assert_int_equal(ax_db_res_int(r, 2, 0), -1);
    assert_true(ax_db_res_is_null(r, 2, 1));
    ax_db_res_free(r);

    /* a text parameter compared with a BIGINT column, an int with TEXT */

    ax_db_set_text(&p[0], 2, "-1");
    assert_string_equal(query1(db, "SELECT count(*) FROM t WHERE i = $1",
                               p, 1), "1");

    ax_db_set_int(&p[0], 42);
    assert_ok(db, ax_db_query(db, "UPDATE t SET c = $1 WHERE id = 1", p, 1,
                              NULL));
    assert_string_equal(query1(db, "SELECT c FROM t WHERE id = 1", NULL, 0),
                        "42");

    ax_db_close(db);
}


static void
test_bad_params(void **state)
{
    eng_t          *e = *state;
    ax_db_t        *db;
    ax_db_res_t    *r;
    ax_db_param_t   p[3];

    db = db_open(e, 2000);

    assert_ok(db, ax_db_exec(db, "CREATE TABLE t (s TEXT)"));

    /* text with a NUL byte is refused on both engines */

    ax_db_set_text(&p[0], 5, "ab\0cd");
    r = (ax_db_res_t *) p;
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($1)", p, 1, &r),
              AX_DB_ERROR);
    assert_null(r);
    assert_non_null(strstr(ax_db_errmsg(db), "NUL byte in text parameter"));

    /* so is invalid UTF-8: overlong, surrogate, truncated, stray */

    ax_db_set_text(&p[0], 2, "\xc0\xaf");
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($1)", p, 1,
                              NULL), AX_DB_ERROR);
    assert_non_null(strstr(ax_db_errmsg(db), "UTF-8"));

    ax_db_set_text(&p[0], 3, "\xed\xa0\x80");
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($1)", p, 1,
                              NULL), AX_DB_ERROR);

    ax_db_set_text(&p[0], 2, "\xe2\x82");
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($1)", p, 1,
                              NULL), AX_DB_ERROR);

    ax_db_set_text(&p[0], 1, "\x80");
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($1)", p, 1,
                              NULL), AX_DB_ERROR);

    ax_db_set_text(&p[0], 4, "\xf4\x90\x80\x80");
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($1)", p, 1,
                              NULL), AX_DB_ERROR);

    /* nothing was stored */
    assert_int_equal(count(db, "t"), 0);

    /* the parameter count must match the highest $N */

    ax_db_set_text(&p[0], 1, "a");
    ax_db_set_text(&p[1], 1, "b");

    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($1)", p, 2,
                              NULL), AX_DB_ERROR);
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($2)", p, 1,
                              NULL), AX_DB_ERROR);
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($1)", p, 0,
                              NULL), AX_DB_ERROR);

    /* only $N placeholders, also the second time (a cached statement) */
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES (?)", p, 1,
                              NULL), AX_DB_ERROR);
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES (?)", p, 1,
                              NULL), AX_DB_ERROR);

    /* one statement per query */
    assert_rc(db, ax_db_query(db, "INSERT INTO t (s) VALUES ('x');"
                              " INSERT INTO t (s) VALUES ('y')",
                              NULL, 0, NULL), AX_DB_ERROR);
    assert_int_equal(count(db, "t"), 0);

    /* a trailing ';' and comment are fine */
    assert_ok(db, ax_db_query(db, "INSERT INTO t (s) VALUES ($1); -- done",
                              p, 1, NULL));

    /* repeated and out-of-order placeholders, bound again from the
     * cached statement with other values and with too few */
    assert_string_equal(query1(db, "SELECT $2 || $1 || $2", p, 2), "bab");
    ax_db_set_text(&p[0], 1, "c");
    assert_string_equal(query1(db, "SELECT $2 || $1 || $2", p, 2), "bcb");
    assert_rc(db, ax_db_query(db, "SELECT $2 || $1 || $2", p, 1, NULL),
              AX_DB_ERROR);
    assert_string_equal(query1(db, "SELECT $2 || $1 || $2", p, 2), "bcb");

    ax_db_close(db);
}


static void
test_verbatim(void **state)
{
    eng_t          *e = *state;
    size_t          i;
    ax_db_t        *db;
    ax_db_res_t    *r;
    ax_db_param_t   p[2];

    static const char  *evil[] = {
        "'); DROP TABLE t; --",
        "\" OR 1=1 --",
        "$1",
        "{{id}}",
        "a'b''c\\'d\\\\",
        "%s%n%d",
        "line1\nline2\r\n\ttab",
        "; DELETE FROM t WHERE 1=1; SELECT '"
    };

    db = db_open(e, 2000);

    assert_ok(db, ax_db_exec(db, "CREATE TABLE t (id INTEGER, s TEXT)"));

    for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        ax_db_set_int(&p[0], i);
        ax_db_set_text(&p[1], strlen(evil[i]), evil[i]);
        assert_ok(db, ax_db_query(db, "INSERT INTO t (id, s) VALUES ($1, $2)",
                                  p, 2, NULL));
    }

    assert_ok(db, ax_db_query(db, "SELECT s FROM t ORDER BY id", NULL, 0,
                              &r));
    assert_int_equal(ax_db_res_rows(r), sizeof(evil) / sizeof(evil[0]));

    for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        assert_string_equal(ax_db_res_value(r, i, 0, NULL), evil[i]);
    }

    ax_db_res_free(r);

    /* and found by equality */
    ax_db_set_text(&p[0], strlen(evil[0]), evil[0]);
    assert_string_equal(query1(db, "SELECT id FROM t WHERE s = $1", p, 1),
                        "0");

    ax_db_close(db);
}


static void
test_returning(void **state)
{
    eng_t          *e = *state;
    ax_db_t        *db;
    ax_db_res_t    *r;
    ax_db_param_t   p[1];

    db = db_open(e, 2000);

    assert_ok(db, ax_db_exec(db,
                             "CREATE TABLE acct (id {{id}},"
                             " name TEXT NOT NULL UNIQUE,"
                             " balance BIGINT NOT NULL DEFAULT 0);"
                             "CREATE TABLE tag (id {{id}},"
                             " acct_id BIGINT NOT NULL REFERENCES acct(id),"
                             " v SMALLINT NOT NULL DEFAULT 0"
                             " CHECK (v IN (0, 1)))"));

    ax_db_set_text(&p[0], 5, "alice");
    assert_ok(db, ax_db_query(db, "INSERT INTO acct (name) VALUES ($1)"
                              " RETURNING id", p, 1, &r));
    assert_int_equal(ax_db_res_rows(r), 1);
    assert_string_equal(ax_db_res_name(r, 0), "id");
    assert_int_equal(ax_db_res_int(r, 0, 0), 1);
    assert_int_equal(ax_db_changes(db), 1);
    ax_db_res_free(r);

    ax_db_set_text(&p[0], 3, "bob");
    assert_ok(db, ax_db_query(db, "INSERT INTO acct (name) VALUES ($1)"
                              " RETURNING id, name, balance", p, 1, &r));
    assert_int_equal(ax_db_res_int(r, 0, 0), 2);
    assert_string_equal(ax_db_res_value(r, 0, 1, NULL), "bob");
    assert_string_equal(ax_db_res_value(r, 0, 2, NULL), "0");
    ax_db_res_free(r);

    /* constraint violations */

    r = (ax_db_res_t *) p;
    assert_rc(db, ax_db_query(db, "INSERT INTO acct (name) VALUES ($1)"
                              " RETURNING id", p, 1, &r),
              AX_DB_CONSTRAINT);
    assert_null(r);

    assert_rc(db, ax_db_query(db, "INSERT INTO acct (name) VALUES (NULL)",
                              NULL, 0, NULL), AX_DB_CONSTRAINT);
    assert_rc(db, ax_db_query(db, "INSERT INTO tag (acct_id) VALUES (99)",
                              NULL, 0, NULL), AX_DB_CONSTRAINT);
    assert_rc(db, ax_db_query(db, "INSERT INTO tag (acct_id, v)"
                              " VALUES (1, 2)", NULL, 0, NULL),
              AX_DB_CONSTRAINT);

    /* an upsert instead */
    assert_ok(db, ax_db_query(db, "INSERT INTO acct (name) VALUES ($1)"
                              " ON CONFLICT (name) DO UPDATE"
                              " SET balance = acct.balance + 5"
                              " RETURNING id, balance", p, 1, &r));
    assert_int_equal(ax_db_res_int(r, 0, 0), 2);
    assert_int_equal(ax_db_res_int(r, 0, 1), 5);
    ax_db_res_free(r);

    assert_ok(db, ax_db_query(db, "INSERT INTO acct (name) VALUES ($1)"
                              " ON CONFLICT DO NOTHING RETURNING id",
                              p, 1, &r));
    assert_int_equal(ax_db_res_rows(r), 0);
    assert_int_equal(ax_db_changes(db), 0);
    ax_db_res_free(r);

    /* the next id is 3 on both engines (a failed insert may use one up on
     * PostgreSQL: only check it grows) */
    ax_db_set_text(&p[0], 5, "carol");
    assert_ok(db, ax_db_query(db, "INSERT INTO acct (name) VALUES ($1)"
                              " RETURNING id", p, 1, &r));
    assert_true(ax_db_res_int(r, 0, 0) >= 3);
    ax_db_res_free(r);

    /* changes */
    assert_ok(db, ax_db_query(db, "UPDATE acct SET balance = balance + 1",
                              NULL, 0, NULL));
    assert_int_equal(ax_db_changes(db), 3);
    assert_ok(db, ax_db_query(db, "SELECT id FROM acct WHERE id < 3", NULL, 0,
                              &r));
    assert_int_equal(ax_db_changes(db), 2);
    ax_db_res_free(r);

    /* a result of a statement without rows */
    assert_ok(db, ax_db_query(db, "DELETE FROM acct WHERE name = 'nobody'",
                              NULL, 0, &r));
    assert_int_equal(ax_db_res_rows(r), 0);
    assert_int_equal(ax_db_res_cols(r), 0);
    assert_int_equal(ax_db_changes(db), 0);
    ax_db_res_free(r);

    ax_db_close(db);
}


static void
test_portable(void **state)
{
    eng_t          *e = *state;
    ax_db_t        *db;
    ax_db_res_t    *r;

    db = db_open(e, 2000);

    /* {{id}} and other {{...}} kept as they are */

    assert_ok(db, ax_db_exec(db,
                             "CREATE TABLE p (id {{id}}, s TEXT);\n"
                             "INSERT INTO p (s) VALUES ('{{keep}}');\n"
                             "INSERT INTO p (s) VALUES ('{{');\n"
                             "INSERT INTO p (s) VALUES ('}}{{id');"));

    assert_ok(db, ax_db_query(db, "SELECT id, s FROM p ORDER BY id", NULL, 0,
                              &r));
    assert_int_equal(ax_db_res_rows(r), 3);
    assert_int_equal(ax_db_res_int(r, 0, 0), 1);
    assert_int_equal(ax_db_res_int(r, 2, 0), 3);
    assert_string_equal(ax_db_res_value(r, 0, 1, NULL), "{{keep}}");
    assert_string_equal(ax_db_res_value(r, 1, 1, NULL), "{{");
    assert_string_equal(ax_db_res_value(r, 2, 1, NULL), "}}{{id");
    ax_db_res_free(r);

    /* the id is an integer key: a fixed id can be inserted, then more */
    assert_ok(db, ax_db_query(db, "INSERT INTO p (id, s) VALUES (10, 'x')",
                              NULL, 0, NULL));

    /* booleans read as 1/0 on both */
    assert_ok(db, ax_db_query(db, "SELECT 1 = 1, 1 = 2,"
                              " EXISTS (SELECT 1 FROM p WHERE id = 10)",
                              NULL, 0, &r));
    assert_int_equal(ax_db_res_int(r, 0, 0), 1);
    assert_int_equal(ax_db_res_int(r, 0, 1), 0);
    assert_int_equal(ax_db_res_int(r, 0, 2), 1);
    ax_db_res_free(r);

    /* LIKE is case-sensitive on both */
    assert_string_equal(query1(db, "SELECT CASE WHEN 'Abc' LIKE 'a%'"
                               " THEN 1 ELSE 0 END", NULL, 0), "0");
    assert_string_equal(query1(db, "SELECT CASE WHEN 'Abc' LIKE 'A%'"
                               " THEN 1 ELSE 0 END", NULL, 0), "1");

    /* backslashes are plain characters in literals */
    assert_string_equal(query1(db, "SELECT 'a\\nb'", NULL, 0), "a\\nb");

    /* ISO 8601 UTC times compare as text */
    assert_string_equal(query1(db, "SELECT CASE WHEN '2024-01-02T00:00:00Z'"
                               " > '2023-12-31T23:59:59Z' THEN 1 ELSE 0 END",
                               NULL, 0), "1");

    /* an empty query */
    assert_ok(db, ax_db_query(db, "  ; -- nothing", NULL, 0, &r));
    assert_int_equal(ax_db_res_rows(r), 0);
    ax_db_res_free(r);

    /* exec errors */
    assert_rc(db, ax_db_exec(db, "CREATE TABLE p (x INTEGER)"), AX_DB_ERROR);
    assert_rc(db, ax_db_exec(db, "INSERT INTO p (id) VALUES (10)"),
              AX_DB_CONSTRAINT);
    assert_rc(db, ax_db_exec(db, "SELEC 1"), AX_DB_ERROR);
    assert_true(ax_db_errmsg(db)[0] != '\0');

    ax_db_close(db);
}


static void
test_transactions(void **state)
{
    eng_t          *e = *state;
    ax_db_t        *db;
    ax_db_param_t   p[1];

    db = db_open(e, 2000);

    assert_ok(db, ax_db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY)"));

    assert_false(ax_db_in_transaction(db));
    assert_rc(db, ax_db_commit(db), AX_DB_ERROR);
    assert_ok(db, ax_db_rollback(db));

    /* rollback */

    assert_ok(db, ax_db_begin(db));
    assert_true(ax_db_in_transaction(db));
    assert_rc(db, ax_db_begin(db), AX_DB_ERROR);
    assert_true(ax_db_in_transaction(db));
    assert_ok(db, ax_db_query(db, "INSERT INTO t (id) VALUES (1)", NULL, 0,
                              NULL));
    assert_int_equal(count(db, "t"), 1);
    assert_ok(db, ax_db_rollback(db));
    assert_false(ax_db_in_transaction(db));
    assert_int_equal(count(db, "t"), 0);

    /* commit */

    assert_ok(db, ax_db_begin(db));
    assert_ok(db, ax_db_query(db, "INSERT INTO t (id) VALUES (1)", NULL, 0,
                              NULL));
    assert_ok(db, ax_db_query(db, "INSERT INTO t (id) VALUES (2)", NULL, 0,
                              NULL));
    assert_ok(db, ax_db_commit(db));
    assert_false(ax_db_in_transaction(db));
    assert_int_equal(count(db, "t"), 2);

    /* a failed statement aborts the transaction on both engines */

    ax_db_set_int(&p[0], 3);
    assert_ok(db, ax_db_begin(db));
    assert_ok(db, ax_db_query(db, "INSERT INTO t (id) VALUES ($1)", p, 1,
                              NULL));
    assert_rc(db, ax_db_query(db, "INSERT INTO t (id) VALUES (1)", NULL, 0,
                              NULL), AX_DB_CONSTRAINT);
    assert_rc(db, ax_db_query(db, "SELECT 1", NULL, 0, NULL), AX_DB_ERROR);
    assert_rc(db, ax_db_exec(db, "SELECT 1"), AX_DB_ERROR);
    assert_rc(db, ax_db_commit(db), AX_DB_ERROR);
    assert_false(ax_db_in_transaction(db));
    assert_int_equal(count(db, "t"), 2);

    /* and rollback after it is fine */

    assert_ok(db, ax_db_begin(db));
    assert_ok(db, ax_db_query(db, "INSERT INTO t (id) VALUES ($1)", p, 1,
                              NULL));
    assert_rc(db, ax_db_query(db, "SELEC", NULL, 0, NULL), AX_DB_ERROR);
    assert_ok(db, ax_db_rollback(db));
    assert_int_equal(count(db, "t"), 2);

    /* DDL is transactional on both */

    assert_ok(db, ax_db_begin(db));
    assert_ok(db, ax_db_exec(db, "CREATE TABLE u (x INTEGER);"
                             "INSERT INTO u (x) VALUES (1)"));
    assert_ok(db, ax_db_rollback(db));
    assert_rc(db, ax_db_query(db, "SELECT x FROM u", NULL, 0, NULL),
              AX_DB_ERROR);

    /* closing with an open transaction rolls it back */

    assert_ok(db, ax_db_begin(db));
    assert_ok(db, ax_db_query(db, "INSERT INTO t (id) VALUES (9)", NULL, 0,
                              NULL));
    ax_db_close(db);

    db = db_open(e, 2000);
    assert_int_equal(count(db, "t"), 2);
    ax_db_close(db);
}


/* a unit of work written for a transaction of its own */

static int
unit(ax_db_t *db, int id, int fail)
{
    int            rc;
    ax_db_param_t  p[1];

    ax_db_set_int(&p[0], id);

    rc = ax_db_begin(db);

    if (rc == AX_DB_OK) {
        rc = ax_db_query(db, "INSERT INTO t (id) VALUES ($1)", p, 1, NULL);
    }

    if (rc == AX_DB_OK && fail) {
        (void) ax_db_rollback(db);
        return AX_DB_ERROR;
    }

    if (rc == AX_DB_OK) {
        rc = ax_db_commit(db);
    }

    return rc;
}


static void
test_group(void **state)
{
    eng_t    *e = *state;
    ax_db_t  *db, *other;

    db = db_open(e, 2000);
    other = db_open(e, 2000);

    assert_ok(db, ax_db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY)"));
    assert_rc(db, ax_db_group_commit(db), AX_DB_ERROR);

    /* units' begin and commit nest: nothing is visible before the end */

    assert_ok(db, ax_db_group_begin(db));
    assert_true(ax_db_in_transaction(db));
    assert_ok(db, unit(db, 1, 0));
    assert_ok(db, unit(db, 2, 0));
    assert_true(ax_db_in_transaction(db));
    assert_false(ax_db_group_failed(db));
    assert_int_equal(count(other, "t"), 0);
    assert_ok(db, ax_db_group_commit(db));
    assert_false(ax_db_in_transaction(db));
    assert_int_equal(count(other, "t"), 2);

    /* a unit that rolls back fails the group: all of it is undone */

    assert_ok(db, ax_db_group_begin(db));
    assert_ok(db, unit(db, 3, 0));
    assert_rc(db, unit(db, 4, 1), AX_DB_ERROR);
    assert_true(ax_db_group_failed(db));
    assert_rc(db, unit(db, 5, 0), AX_DB_ERROR);
    assert_rc(db, ax_db_group_commit(db), AX_DB_ERROR);
    assert_false(ax_db_in_transaction(db));
    assert_false(ax_db_group_failed(db));
    assert_int_equal(count(db, "t"), 2);

    /* so does a failed statement (a duplicate key here) */

    assert_ok(db, ax_db_group_begin(db));
    assert_ok(db, unit(db, 6, 0));
    assert_rc(db, unit(db, 1, 0), AX_DB_CONSTRAINT);
    assert_true(ax_db_group_failed(db));
    assert_rc(db, ax_db_group_commit(db), AX_DB_ERROR);
    assert_int_equal(count(db, "t"), 2);

    /* and the units run again alone, each in its own transaction */

    assert_ok(db, unit(db, 6, 0));
    assert_rc(db, unit(db, 1, 0), AX_DB_CONSTRAINT);
    assert_ok(db, ax_db_rollback(db));
    assert_false(ax_db_in_transaction(db));
    assert_int_equal(count(other, "t"), 3);

    /* a group cannot start inside a transaction */

    assert_ok(db, ax_db_begin(db));
    assert_rc(db, ax_db_group_begin(db), AX_DB_ERROR);
    assert_ok(db, ax_db_rollback(db));

    ax_db_close(other);
    ax_db_close(db);
}


static void
test_busy(void **state)
{
    eng_t     *e = *state;
    int        rc;
    double     t0, t;
    ax_db_t   *a, *b;

    a = db_open(e, 300);
    b = db_open(e, 300);

    assert_ok(a, ax_db_exec(a, "CREATE TABLE t (id INTEGER PRIMARY KEY,"
                            " v INTEGER);"
                            "INSERT INTO t (id, v) VALUES (1, 0)"));

    /* b holds the write lock (SQLite) or the row lock (PostgreSQL) */

    assert_ok(b, ax_db_begin(b));
    assert_ok(b, ax_db_query(b, "UPDATE t SET v = 1 WHERE id = 1", NULL, 0,
                             NULL));

    t0 = now_ms();
    rc = ax_db_query(a, "UPDATE t SET v = 2 WHERE id = 1", NULL, 0, NULL);
    t = now_ms() - t0;

    assert_rc(a, rc, AX_DB_BUSY);
    print_message("busy after %.0f ms (timeout 300): %s\n", t,
                  ax_db_errmsg(a));
    assert_true(t >= 250);
    assert_true(t < 3000);

    if (e->engine == AX_DB_SQLITE) {
        /* BEGIN IMMEDIATE waits for the lock too */
        t0 = now_ms();
        assert_rc(a, ax_db_begin(a), AX_DB_BUSY);
        t = now_ms() - t0;
        assert_true(t >= 250);
        assert_true(t < 3000);
        assert_false(ax_db_in_transaction(a));

    } else {
        /* in a transaction the timeout aborts it */
        assert_ok(a, ax_db_begin(a));
        assert_rc(a, ax_db_query(a, "UPDATE t SET v = 2 WHERE id = 1", NULL,
                                 0, NULL), AX_DB_BUSY);
        assert_rc(a, ax_db_commit(a), AX_DB_ERROR);
    }

    /* readers are not blocked (WAL / MVCC) */
    assert_string_equal(query1(a, "SELECT v FROM t", NULL, 0), "0");

    assert_ok(b, ax_db_commit(b));

    assert_ok(a, ax_db_query(a, "UPDATE t SET v = 2 WHERE id = 1", NULL, 0,
                             NULL));
    assert_string_equal(query1(b, "SELECT v FROM t", NULL, 0), "2");

    /* a longer timeout waits for the lock instead */

    assert_ok(a, ax_db_set_timeout(a, 5000));
    assert_int_equal(ax_db_timeout(a), 5000);

    ax_db_close(a);
    ax_db_close(b);
}


/* many statements: the SQLite statement cache evicts and reprepares */

static void
test_stmt_cache(void **state)
{
    eng_t          *e = *state;
    int             i, round;
    char            sql[128], want[32];
    ax_db_t        *db;
    ax_db_res_t    *r;
    ax_db_param_t   p[1];

    db = db_open(e, 2000);

    for (round = 0; round < 3; round++) {
        for (i = 0; i < 80; i++) {
            /* the same buffer with new text each time */
            snprintf(sql, sizeof(sql), "SELECT %d + $1", i);
            snprintf(want, sizeof(want), "%d", i + round);
            ax_db_set_int(&p[0], round);

            assert_ok(db, ax_db_query(db, sql, p, 1, &r));
            assert_string_equal(ax_db_res_value(r, 0, 0, NULL), want);
            ax_db_res_free(r);
        }
    }

    /* a cached statement sees schema changes */

    assert_ok(db, ax_db_exec(db, "CREATE TABLE t (a INTEGER)"));
    assert_ok(db, ax_db_query(db, "SELECT * FROM t", NULL, 0, &r));
    assert_int_equal(ax_db_res_cols(r), 1);
    ax_db_res_free(r);

    assert_ok(db, ax_db_exec(db, "ALTER TABLE t ADD COLUMN b TEXT"));
    assert_ok(db, ax_db_query(db, "SELECT * FROM t", NULL, 0, &r));
    assert_int_equal(ax_db_res_cols(r), 2);
    ax_db_res_free(r);

    /* in a transaction: SQLite prepares it again, PostgreSQL aborts the
     * transaction with AX_DB_BUSY ("cached plan must not change result
     * type"), and it works when retried */

    assert_ok(db, ax_db_begin(db));
    assert_ok(db, ax_db_exec(db, "ALTER TABLE t ADD COLUMN c TEXT"));

    if (e->engine == AX_DB_POSTGRES) {
        assert_rc(db, ax_db_query(db, "SELECT * FROM t", NULL, 0, &r),
                  AX_DB_BUSY);
        assert_ok(db, ax_db_rollback(db));
        assert_ok(db, ax_db_begin(db));
        assert_ok(db, ax_db_exec(db, "ALTER TABLE t ADD COLUMN c TEXT"));
    }

    assert_ok(db, ax_db_query(db, "SELECT * FROM t", NULL, 0, &r));
    assert_int_equal(ax_db_res_cols(r), 3);
    ax_db_res_free(r);
    assert_ok(db, ax_db_commit(db));

    /* a statement that failed to prepare is not cached */
    assert_rc(db, ax_db_query(db, "SELECT nope FROM t", NULL, 0, NULL),
              AX_DB_ERROR);
    assert_ok(db, ax_db_exec(db, "ALTER TABLE t ADD COLUMN nope TEXT"));
    assert_ok(db, ax_db_query(db, "SELECT nope FROM t", NULL, 0, NULL));

    ax_db_close(db);
}


static void
test_big_result(void **state)
{
    eng_t          *e = *state;
    int             i;
    char            want[2100];
    size_t          len;
    ax_db_t        *db;
    ax_db_res_t    *r;
    ax_db_param_t   p[2];

    db = db_open(e, 5000);

    assert_ok(db, ax_db_exec(db, "CREATE TABLE t (id INTEGER, s TEXT)"));

    memset(want, 'x', sizeof(want) - 1);
    want[sizeof(want) - 1] = '\0';

    assert_ok(db, ax_db_begin(db));

    for (i = 0; i < 1000; i++) {
        ax_db_set_int(&p[0], i);

        if (i % 7 == 0) {
            ax_db_set_null(&p[1]);

        } else {
            ax_db_set_text(&p[1], i % 2000, want);
        }

        assert_ok(db, ax_db_query(db, "INSERT INTO t (id, s) VALUES ($1, $2)",
                                  p, 2, NULL));
    }

    assert_ok(db, ax_db_commit(db));

    assert_ok(db, ax_db_query(db, "SELECT id, s FROM t ORDER BY id", NULL, 0,
                              &r));
    assert_int_equal(ax_db_res_rows(r), 1000);
    assert_int_equal(ax_db_changes(db), 1000);

    for (i = 0; i < 1000; i++) {
        assert_int_equal(ax_db_res_int(r, i, 0), i);

        if (i % 7 == 0) {
            assert_true(ax_db_res_is_null(r, i, 1));
            continue;
        }

        assert_non_null(ax_db_res_value(r, i, 1, &len));
        assert_int_equal(len, (size_t) (i % 2000));
        assert_memory_equal(ax_db_res_value(r, i, 1, NULL), want, len);
        assert_int_equal(ax_db_res_value(r, i, 1, NULL)[len], '\0');
    }

    ax_db_res_free(r);
    ax_db_close(db);
}


/* threads, each with its own connection, writing the same database */

typedef struct {
    eng_t   *e;
    int      id;
    int      ok;
    int      busy;
} writer_t;


static void *
writer(void *arg)
{
    int             i, rc;
    char            err[256];
    ax_db_t        *db;
    writer_t       *w = arg;
    ax_db_param_t   p[2];

    if (ax_db_open(&db, w->e->dsn, 10000, err, sizeof(err)) != AX_DB_OK) {
        return NULL;
    }

    if (w->e->engine == AX_DB_POSTGRES) {
        char  sql[128];

        snprintf(sql, sizeof(sql), "SET search_path = %s", w->e->schema);
        (void) ax_db_exec(db, sql);
    }

    for (i = 0; i < 50; i++) {
        ax_db_set_int(&p[0], w->id);
        ax_db_set_int(&p[1], i);

        rc = ax_db_begin(db);

        if (rc == AX_DB_OK) {
            rc = ax_db_query(db, "INSERT INTO w (t, i) VALUES ($1, $2)", p, 2,
                             NULL);
            if (rc == AX_DB_OK) {
                rc = ax_db_query(db, "UPDATE c SET n = n + 1", NULL, 0,
                                 NULL);
            }

            if (rc == AX_DB_OK) {
                rc = ax_db_commit(db);

            } else {
                (void) ax_db_rollback(db);
            }
        }

        if (rc == AX_DB_OK) {
            w->ok++;

        } else if (rc == AX_DB_BUSY) {
            w->busy++;
        }
    }

    ax_db_close(db);

    return NULL;
}


static void
test_threads(void **state)
{
    eng_t      *e = *state;
    int         i, ok;
    ax_db_t    *db;
    writer_t    w[4];
    pthread_t   tid[4];

    db = db_open(e, 2000);

    assert_ok(db, ax_db_exec(db, "CREATE TABLE w (t INTEGER, i INTEGER,"
                             " PRIMARY KEY (t, i));"
                             "CREATE TABLE c (n BIGINT);"
                             "INSERT INTO c (n) VALUES (0)"));

    for (i = 0; i < 4; i++) {
        w[i].e = e;
        w[i].id = i;
        w[i].ok = 0;
        w[i].busy = 0;
        assert_int_equal(pthread_create(&tid[i], NULL, writer, &w[i]), 0);
    }

    ok = 0;

    for (i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        ok += w[i].ok;
    }

    assert_int_equal(ok, 200);
    assert_int_equal(count(db, "w"), 200);
    assert_string_equal(query1(db, "SELECT n FROM c", NULL, 0), "200");

    ax_db_close(db);
}


/* PostgreSQL: a lost connection is reported, then reconnected */

static void
test_reconnect(void **state)
{
    eng_t          *e = *state;
    char           *pid;
    ax_db_t        *a, *b;
    ax_db_param_t   p[1];

    a = db_open(e, 2000);
    b = db_open(e, 2000);

    assert_ok(a, ax_db_ping(a));

    if (e->engine != AX_DB_POSTGRES) {
        ax_db_close(a);
        ax_db_close(b);
        skip();
    }

    /* killed between statements: AX_DB_DOWN, then the next call
     * reconnects */

    pid = strdup(query1(a, "SELECT pg_backend_pid()", NULL, 0));
    ax_db_set_text(&p[0], strlen(pid), pid);
    assert_string_equal(query1(b, "SELECT pg_terminate_backend($1)", p, 1),
                        "t");
    free(pid);
    usleep(100000);

    assert_rc(a, ax_db_query(a, "SELECT 1", NULL, 0, NULL), AX_DB_DOWN);
    print_message("lost: %s\n", ax_db_errmsg(a));
    assert_string_equal(query1(a, "SELECT 2", NULL, 0), "2");

    /* the timeout survives the reconnection */

    assert_ok(a, ax_db_set_timeout(a, 1234));
    pid = strdup(query1(a, "SELECT pg_backend_pid()", NULL, 0));
    ax_db_set_text(&p[0], strlen(pid), pid);
    assert_string_equal(query1(b, "SELECT pg_terminate_backend($1)", p, 1),
                        "t");
    free(pid);
    usleep(100000);

    /* ax_db_ping finds it out and reconnects */
    assert_ok(a, ax_db_ping(a));
    assert_string_equal(query1(a, "SHOW statement_timeout", NULL, 0),
                        "1234ms");
    assert_string_equal(query1(a, "SHOW TimeZone", NULL, 0), "UTC");
    assert_string_equal(query1(a, "SHOW client_encoding", NULL, 0), "UTF8");

    /* killed in a transaction: the transaction is lost, not silently
     * replaced by autocommit */

    assert_ok(a, ax_db_begin(a));
    pid = strdup(query1(a, "SELECT pg_backend_pid()", NULL, 0));
    ax_db_set_text(&p[0], strlen(pid), pid);
    assert_string_equal(query1(b, "SELECT pg_terminate_backend($1)", p, 1),
                        "t");
    free(pid);
    usleep(100000);

    assert_rc(a, ax_db_query(a, "SELECT 1", NULL, 0, NULL), AX_DB_DOWN);
    assert_rc(a, ax_db_query(a, "SELECT 1", NULL, 0, NULL), AX_DB_ERROR);
    assert_rc(a, ax_db_commit(a), AX_DB_ERROR);
    assert_false(ax_db_in_transaction(a));
    assert_string_equal(query1(a, "SELECT 3", NULL, 0), "3");

    assert_ok(a, ax_db_begin(a));
    pid = strdup(query1(a, "SELECT pg_backend_pid()", NULL, 0));
    ax_db_set_text(&p[0], strlen(pid), pid);
    assert_string_equal(query1(b, "SELECT pg_terminate_backend($1)", p, 1),
                        "t");
    free(pid);
    usleep(100000);

    assert_rc(a, ax_db_commit(a), AX_DB_DOWN);
    assert_false(ax_db_in_transaction(a));
    assert_ok(a, ax_db_ping(a));

    ax_db_close(a);
    ax_db_close(b);
}


static int
sqlite_dir_create(eng_t *e)
{
    snprintf(e->dir, sizeof(e->dir), "%s/ax_test_db.XXXXXX",
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
    T(test_open_bad_dsn),
    T(test_open_forms),
    T(test_pg_dsn),
    T(test_params),
    T(test_bad_params),
    T(test_verbatim),
    T(test_returning),
    T(test_portable),
    T(test_transactions),
    T(test_group),
    T(test_busy),
    T(test_stmt_cache),
    T(test_big_result),
    T(test_threads),
    T(test_reconnect),
};


int
main(void)
{
    int    failed;
    eng_t  sqlite, pg;

    memset(&sqlite, 0, sizeof(sqlite));
    sqlite.engine = AX_DB_SQLITE;

    failed = 0;

    if (sqlite_dir_create(&sqlite) != 0) {
        return 1;
    }

    {
        struct CMUnitTest  t[sizeof(tests) / sizeof(tests[0])];
        size_t             i;

        for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
            t[i] = tests[i];
            t[i].initial_state = &sqlite;
        }

        failed += _cmocka_run_group_tests("ax_db sqlite", t,
                                          sizeof(t) / sizeof(t[0]),
                                          NULL, NULL);
    }

    sqlite_dir_remove(&sqlite);

    memset(&pg, 0, sizeof(pg));
    pg.engine = AX_DB_POSTGRES;
    pg.pg_dsn = getenv("AX_TEST_PG_DSN");

    if (pg.pg_dsn == NULL || pg.pg_dsn[0] == '\0') {
        printf("skipping PostgreSQL: AX_TEST_PG_DSN not set\n");
        return failed ? 1 : 0;
    }

    {
        struct CMUnitTest  t[sizeof(tests) / sizeof(tests[0])];
        size_t             i;

        for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
            t[i] = tests[i];
            t[i].initial_state = &pg;
        }

        failed += _cmocka_run_group_tests("ax_db postgresql", t,
                                          sizeof(t) / sizeof(t[0]),
                                          NULL, NULL);
    }

    return failed ? 1 : 0;
}
