
/*
 * One database interface, two engines: SQLite (libsqlite3) and PostgreSQL
 * (libpq).  Plain C99, no nginx headers.
 *
 * Threads: an ax_db_t is one connection and must be used by one thread at a
 * time (normally: one connection per thread).  The library keeps no global
 * mutable state; SQLite connections are opened in multi-thread mode.
 *
 * Queries are parameterized, never built from input, and the same SQL text
 * runs on both engines.  Placeholders are $1, $2, ... on both engines ("?"
 * and ":name" are refused); a placeholder may appear more than once, and a
 * query must be given exactly as many parameters as its highest $N.  Every
 * value comes back as text: integers in decimal, NULL as a NULL pointer.
 *
 *
 * The portable SQL subset (what app migrations and queries may use):
 *
 * Types:    BIGINT, INTEGER, SMALLINT (booleans as 0/1), TEXT.  No REAL,
 *           NUMERIC, BOOLEAN, BLOB, SERIAL, DATE/TIMESTAMP, JSON types.
 *           Money and energy: BIGINT hundredths.  Times: TEXT in ISO 8601
 *           UTC 'YYYY-MM-DDTHH:MM:SSZ', written by the application (they
 *           sort and compare correctly as text); never CURRENT_TIMESTAMP,
 *           now(), datetime().
 * Keys:     "id {{id}}" for a surrogate key: ax_db_exec() turns {{id}} into
 *           INTEGER PRIMARY KEY AUTOINCREMENT (SQLite) or BIGSERIAL PRIMARY
 *           KEY (PostgreSQL).  Other columns: PRIMARY KEY (a, b), UNIQUE,
 *           NOT NULL, DEFAULT <literal>, CHECK, REFERENCES t(id) [ON DELETE
 *           CASCADE | SET NULL]; CREATE [UNIQUE] INDEX [IF NOT EXISTS].
 *           Schema changes: CREATE TABLE, CREATE INDEX, ALTER TABLE ... ADD
 *           COLUMN, DROP TABLE/INDEX.  (SQLite cannot ALTER/DROP COLUMN
 *           constraints: rebuild the table instead.)
 * Inserts:  INSERT ... RETURNING id to learn a new id; upserts with
 *           INSERT ... ON CONFLICT (cols) DO NOTHING | DO UPDATE SET
 *           c = excluded.c.  Not INSERT OR IGNORE/REPLACE, not REPLACE INTO.
 * Booleans: PostgreSQL returns comparisons and EXISTS() as "t"/"f", SQLite
 *           as "1"/"0": ax_db_res_int() reads both as 1/0, or select CASE
 *           WHEN ... THEN 1 ELSE 0 END.  Compare SMALLINT flags with 0/1,
 *           never TRUE/FALSE.
 * Parameters are sent as text on PostgreSQL and the server infers each
 *           one's type from where it stands (the column it is compared
 *           with or inserted into): write CAST($1 AS BIGINT) / CAST($1 AS
 *           TEXT) where the context does not tell ("SELECT $1 + $2", "$1
 *           IS NULL", a $N used as two different types, the same $N in
 *           two rows of a multi-row VALUES), never $1::type.  Types are
 *           strict on PostgreSQL: do not compare a TEXT column with an
 *           integer column or literal.
 * LIKE is case-sensitive on both engines (SQLite is opened with
 *           case_sensitive_like); lower() only folds ASCII on SQLite.
 * Also fine: JOIN, LEFT JOIN, GROUP BY/HAVING, ORDER BY ... LIMIT n
 *           OFFSET m, count/sum/min/max, coalesce, CASE, ||, IN (...),
 *           sub-selects, lower/upper/length/substr... with ASCII data.
 *           avg() and "/" on integers differ: avoid them or CAST.
 *           Without ORDER BY the row order is unspecified.
 * Name the columns you select: a cached PostgreSQL statement whose result
 *           changed shape after DDL ("SELECT *" after ADD COLUMN) is
 *           prepared again outside a transaction, but inside one it aborts
 *           it with AX_DB_BUSY.
 * Statements: ax_db_query() runs one statement; migrations and other DDL go
 *           through ax_db_exec() (several statements, no parameters).
 *           Transactions only through ax_db_begin/commit/rollback, never
 *           BEGIN/COMMIT in SQL text (the migration runner wraps each
 *           migration in its own transaction).
 */

#ifndef _AX_DB_H_INCLUDED_
#define _AX_DB_H_INCLUDED_


#include <stddef.h>
#include <string.h>


#ifndef AX_STR_T_DEFINED
#define AX_STR_T_DEFINED
/* the layout of ngx_str_t, so nginx code can cast */
typedef struct {
    size_t            len;
    unsigned char    *data;
} ax_str_t;
#endif


typedef enum {
    AX_DB_SQLITE = 1,
    AX_DB_POSTGRES = 2
} ax_db_engine_e;


typedef enum {
    AX_DB_OK = 0,
    AX_DB_ERROR = -1,       /* anything else: SQL error, bad parameter ... */
    AX_DB_BUSY = -2,        /* lock/busy/statement timeout, deadlock,
                               serialization failure: retry later */
    AX_DB_CONSTRAINT = -3,  /* unique/foreign key/check/not null violation */
    AX_DB_DOWN = -4         /* cannot connect / connection lost */
} ax_db_rc_e;


typedef enum {
    AX_DB_NULL = 0,
    AX_DB_TEXT,
    AX_DB_INT
} ax_db_type_e;


/*
 * A query parameter.  AX_DB_TEXT: s (data may be NULL when len is 0, which
 * is the empty string, not NULL); the text must be valid UTF-8 without NUL
 * bytes, else the query fails with AX_DB_ERROR on both engines.
 * AX_DB_INT: i.  AX_DB_NULL: SQL NULL.
 */
typedef struct {
    ax_db_type_e      type;
    long long         i;
    ax_str_t          s;
} ax_db_param_t;


/* initializers: ax_db_param_t p[] = { ax_db_int(id), ax_db_cstr(name) }; */
#define ax_db_null()        { AX_DB_NULL, 0, { 0, NULL } }
#define ax_db_int(v)        { AX_DB_INT, (long long) (v), { 0, NULL } }
#define ax_db_text(l, p)    { AX_DB_TEXT, 0, { (l), (unsigned char *) (p) } }
#define ax_db_cstr(p)                                                        \
    { (p) ? AX_DB_TEXT : AX_DB_NULL, 0,                                      \
      { (p) ? strlen(p) : 0, (unsigned char *) (p) } }

/* assignments: ax_db_set_int(&p[0], id); */
#define ax_db_set_null(p)                                                    \
    ((p)->type = AX_DB_NULL, (p)->i = 0, (p)->s.len = 0, (p)->s.data = NULL)
#define ax_db_set_int(p, v)                                                  \
    ((p)->type = AX_DB_INT, (p)->i = (long long) (v), (p)->s.len = 0,        \
     (p)->s.data = NULL)
#define ax_db_set_text(p, l, d)                                              \
    ((p)->type = AX_DB_TEXT, (p)->i = 0, (p)->s.len = (l),                   \
     (p)->s.data = (unsigned char *) (d))
/* a C string, NULL as SQL NULL (d is evaluated more than once) */
#define ax_db_set_cstr(p, d)                                                 \
    ((d) ? ax_db_set_text(p, strlen(d), d) : ax_db_set_null(p))


typedef struct ax_db_s      ax_db_t;        /* one connection, ONE thread */
typedef struct ax_db_res_s  ax_db_res_t;    /* a fully buffered result */


/* the timeout used when ax_db_open() is given timeout_ms <= 0 */
#define AX_DB_DEFAULT_TIMEOUT_MS  5000


/*
 * Opens a connection.  dsn:
 *   "sqlite:PATH" or "sqlite://PATH" ("sqlite:///abs/path" is /abs/path;
 *   "sqlite::memory:" is a private in-memory database);
 *   "postgresql://..." or "postgres://..." (a libpq URI), or a libpq
 *   key=value string ("host=/tmp port=5432 dbname=x").
 *
 * timeout_ms bounds every wait: SQLite's busy timeout; PostgreSQL's
 * statement_timeout and (rounded up to seconds, at least 2) its
 * connect_timeout.  SQLite is set to journal_mode=WAL, synchronous=NORMAL,
 * foreign_keys=ON, case_sensitive_like=ON; PostgreSQL to client_encoding
 * UTF8 and TimeZone UTC.
 *
 * Returns AX_DB_OK and *db, or AX_DB_ERROR (bad DSN, bad setting) or
 * AX_DB_DOWN (cannot open or connect) with *db = NULL and a message in
 * err (which may be NULL).
 */
int ax_db_open(ax_db_t **db, const char *dsn, int timeout_ms, char *err,
    size_t errlen);

/* Closes the connection (rolling back an open transaction); NULL is ok. */
void ax_db_close(ax_db_t *db);

ax_db_engine_e ax_db_engine(ax_db_t *db);

/*
 * Runs one statement with parameters $1..$nparams.  When res is not NULL,
 * *res receives the result (also for statements without rows: then 0 rows,
 * 0 columns), to be freed with ax_db_res_free(); on failure *res is NULL.
 * Returns an ax_db_rc_e; ax_db_errmsg() tells what failed.
 *
 * Inside a transaction, a failed statement aborts it on both engines: every
 * later statement fails with AX_DB_ERROR until ax_db_rollback() (and
 * ax_db_commit() rolls back and fails).  Use ON CONFLICT rather than
 * catching a constraint violation inside a transaction.
 *
 * Statements are prepared once per connection and cached by SQL text (the
 * text, not the pointer, is the key: building SQL in a reused buffer is
 * fine, but SQL text must never carry input).  PostgreSQL therefore needs a
 * direct connection or session pooling (not PgBouncer transaction pooling).
 *
 * PostgreSQL: when the connection was found lost (AX_DB_DOWN), the next
 * call outside a transaction reconnects first.  A statement that failed
 * with AX_DB_DOWN may or may not have been executed.
 */
int ax_db_query(ax_db_t *db, const char *sql, const ax_db_param_t *params,
    int nparams, ax_db_res_t **res);

/* Rows changed by the last successful INSERT/UPDATE/DELETE that
 * ax_db_query() ran (rows returned, for a SELECT). */
long long ax_db_changes(ax_db_t *db);

/*
 * Runs SQL without parameters; it may hold several statements separated by
 * ';'.  For migrations and other DDL: {{id}} is replaced first (see the
 * portable subset above); other {{...}} are left as they are.
 */
int ax_db_exec(ax_db_t *db, const char *sql);

/*
 * Transactions.  ax_db_begin(): SQLite BEGIN IMMEDIATE (takes the write
 * lock, waiting up to the timeout: AX_DB_BUSY), PostgreSQL BEGIN.  Fails
 * with AX_DB_ERROR when a transaction is already open.
 *
 * ax_db_commit(): AX_DB_OK when committed.  On any failure the transaction
 * is rolled back and no transaction is open afterwards (AX_DB_DOWN from
 * PostgreSQL: the outcome is unknown).  AX_DB_ERROR without a transaction.
 *
 * ax_db_rollback(): always leaves no transaction open; AX_DB_OK also when
 * none was open or the connection was lost (the server rolled it back).
 */
int ax_db_begin(ax_db_t *db);
int ax_db_commit(ax_db_t *db);
int ax_db_rollback(ax_db_t *db);

/* 1 inside ax_db_begin() .. ax_db_commit()/ax_db_rollback() */
int ax_db_in_transaction(ax_db_t *db);

/*
 * Group commit: one transaction for several units of work that were each
 * written for a transaction of their own.  ax_db_group_begin() opens it
 * (as ax_db_begin()); until ax_db_group_commit(), the units'
 * ax_db_begin() and ax_db_commit() do nothing (they fail once the group
 * failed), and ax_db_rollback() cannot undo one unit alone: it marks the
 * group failed, as a failed statement does.  ax_db_group_failed() tells
 * whether the group is still good; ax_db_group_commit() commits it all,
 * or rolls it all back and fails when a unit failed.  The caller then
 * runs each unit again in its own transaction.
 */
int ax_db_group_begin(ax_db_t *db);
int ax_db_group_commit(ax_db_t *db);
int ax_db_group_failed(ax_db_t *db);

/* The message of the last failure, never NULL ("" before any). */
const char *ax_db_errmsg(ax_db_t *db);

/*
 * Health check, e.g. before handing an idle connection to a job.
 * PostgreSQL: reconnects (PQreset) when the connection is known bad, else
 * runs a trivial query (one round trip) and reconnects once if that finds
 * the connection lost; inside a transaction it only checks.  SQLite: runs
 * a trivial query.  Returns AX_DB_OK or AX_DB_DOWN (or another rc).
 */
int ax_db_ping(ax_db_t *db);

/*
 * Changes the timeout of an open connection (SQLite busy timeout,
 * PostgreSQL statement_timeout; 0 means none); used by the migration
 * runner around long migrations.  Outside transactions only.
 */
int ax_db_set_timeout(ax_db_t *db, int timeout_ms);

/* the timeout in force, in milliseconds (0: none) */
int ax_db_timeout(ax_db_t *db);


/*
 * Results.  Rows and columns count from 0.  Out-of-range indexes give NULL
 * values, names and 0.  Values are NUL-terminated text valid until
 * ax_db_res_free(); len (may be NULL) receives the length.
 */
int ax_db_res_rows(ax_db_res_t *r);
int ax_db_res_cols(ax_db_res_t *r);
const char *ax_db_res_name(ax_db_res_t *r, int col);

/* the index of the column named name, or -1 */
int ax_db_res_col(ax_db_res_t *r, const char *name);

/* the text of a value; NULL for SQL NULL (with *len = 0) */
const char *ax_db_res_value(ax_db_res_t *r, int row, int col, size_t *len);

int ax_db_res_is_null(ax_db_res_t *r, int row, int col);

/* a value read as a decimal integer: NULL and non-numbers read as 0,
 * PostgreSQL booleans "t"/"f" as 1/0 */
long long ax_db_res_int(ax_db_res_t *r, int row, int col);

/* NULL is ok */
void ax_db_res_free(ax_db_res_t *r);


#ifdef AX_DB_INTERNAL

/* The driver interface: ax_db.c checks arguments and transaction state,
 * then calls the engine's driver (ax_db_sqlite.c, ax_db_pg.c). */

#define AX_DB_ERRLEN  512

typedef enum {
    AX_DB_TX_NONE = 0,
    AX_DB_TX_ACTIVE,
    AX_DB_TX_FAILED
} ax_db_tx_e;


typedef struct {
    ax_db_engine_e    engine;
    const char       *name;

    /* conninfo: the DSN without the engine prefix for SQLite */
    int   (*open)(ax_db_t *db, const char *conninfo);
    void  (*close)(ax_db_t *db);
    int   (*query)(ax_db_t *db, const char *sql, const ax_db_param_t *params,
                   int nparams, ax_db_res_t **res);
    int   (*exec)(ax_db_t *db, const char *sql);
    int   (*begin)(ax_db_t *db);
    int   (*commit)(ax_db_t *db);
    int   (*rollback)(ax_db_t *db);
    int   (*ping)(ax_db_t *db);
    int   (*set_timeout)(ax_db_t *db, int timeout_ms);
} ax_db_driver_t;


struct ax_db_s {
    const ax_db_driver_t  *driver;
    void                  *conn;        /* the driver's state */
    int                    timeout_ms;
    ax_db_tx_e             tx;
    unsigned               group:1;     /* inside ax_db_group_begin() */
    long long              changes;
    char                   errmsg[AX_DB_ERRLEN];
};


typedef struct {
    size_t            off;
    size_t            len;              /* AX_DB_RES_NULL for SQL NULL */
} ax_db_cell_t;

#define AX_DB_RES_NULL  ((size_t) -1)


/*
 * cells[0 .. cols-1] are the column names, then row r, column c is
 * cells[(r + 1) * cols + c]; every text is NUL-terminated in data.
 */
struct ax_db_res_s {
    int               rows;
    int               cols;
    size_t            ncells;           /* allocated */
    size_t            nused;            /* filled */
    ax_db_cell_t     *cells;
    char             *data;
    size_t            used;
    size_t            size;             /* allocated */
    unsigned          block:1;          /* cells and data follow the struct */
};


extern const ax_db_driver_t  ax_db_sqlite_driver;
#ifndef AX_DB_NO_PG
extern const ax_db_driver_t  ax_db_pg_driver;
#endif

int ax_db_set_error(ax_db_t *db, int rc, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * Result building: names first, then rows, cell by cell.  exact: ncells
 * and size (text bytes including each NUL) are known and all goes in one
 * block that cannot grow; else they are hints for a growing result.
 */
ax_db_res_t *ax_db_res_new(int cols, size_t ncells, size_t size, int exact);
int ax_db_res_add(ax_db_res_t *r, const char *p, size_t len);
int ax_db_res_add_null(ax_db_res_t *r);

/* 1 when nothing but blanks, ';' and comments is in p */
int ax_db_sql_blank(const char *p);

#endif /* AX_DB_INTERNAL */


#endif /* _AX_DB_H_INCLUDED_ */
