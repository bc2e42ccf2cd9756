
/*
 * The SQLite driver of ax_db: one sqlite3 connection opened in multi-thread
 * mode (SQLITE_OPEN_NOMUTEX) and a small LRU cache of prepared statements
 * keyed by SQL text.
 */

#define AX_DB_INTERNAL

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ax_db.h"


#define AX_DB_SQLITE_CACHE  32


typedef struct {
    char            *sql;
    size_t           len;
    uint32_t         hash;
    unsigned long    used;              /* LRU clock of the last use */
    sqlite3_stmt    *stmt;
    int             *map;               /* index i + 1 binds $map[i] */
    int              nmap;
} ax_db_sqlite_stmt_t;


typedef struct {
    sqlite3               *handle;
    unsigned long          clock;
    int                    timeout_ms;
    struct timespec        busy_since;
    ax_db_sqlite_stmt_t    cache[AX_DB_SQLITE_CACHE];
} ax_db_sqlite_t;


static int ax_db_sqlite_busy(void *data, int count);


static int ax_db_sqlite_open(ax_db_t *db, const char *path);
static void ax_db_sqlite_close(ax_db_t *db);
static int ax_db_sqlite_query(ax_db_t *db, const char *sql,
    const ax_db_param_t *params, int nparams, ax_db_res_t **res);
static int ax_db_sqlite_exec(ax_db_t *db, const char *sql);
static int ax_db_sqlite_begin(ax_db_t *db);
static int ax_db_sqlite_commit(ax_db_t *db);
static int ax_db_sqlite_rollback(ax_db_t *db);
static int ax_db_sqlite_ping(ax_db_t *db);
static int ax_db_sqlite_set_timeout(ax_db_t *db, int timeout_ms);


const ax_db_driver_t  ax_db_sqlite_driver = {
    AX_DB_SQLITE,
    "sqlite",
    ax_db_sqlite_open,
    ax_db_sqlite_close,
    ax_db_sqlite_query,
    ax_db_sqlite_exec,
    ax_db_sqlite_begin,
    ax_db_sqlite_commit,
    ax_db_sqlite_rollback,
    ax_db_sqlite_ping,
    ax_db_sqlite_set_timeout
};


static int
ax_db_sqlite_rc(int rc)
{
    switch (rc & 0xff) {

    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return AX_DB_OK;

    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AX_DB_BUSY;

    case SQLITE_CONSTRAINT:
        return AX_DB_CONSTRAINT;

    case SQLITE_CANTOPEN:
        return AX_DB_DOWN;

    default:
        return AX_DB_ERROR;
    }
}


static int
ax_db_sqlite_error(ax_db_t *db, int rc)
{
    ax_db_sqlite_t  *s = db->conn;

    return ax_db_set_error(db, ax_db_sqlite_rc(rc), "%s",
                           s->handle ? sqlite3_errmsg(s->handle)
                                     : sqlite3_errstr(rc));
}


static int
ax_db_sqlite_open(ax_db_t *db, const char *path)
{
    int              rc, waited;
    char            *msg;
    ax_db_sqlite_t  *s;

    s = calloc(1, sizeof(ax_db_sqlite_t));
    if (s == NULL) {
        return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
    }

    db->conn = s;

    if (!sqlite3_threadsafe()) {
        return ax_db_set_error(db, AX_DB_ERROR,
                               "libsqlite3 is built without thread support");
    }

    rc = sqlite3_open_v2(path, &s->handle,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                         | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc != SQLITE_OK) {
        if (s->handle == NULL) {
            return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
        }

        return ax_db_set_error(db, ax_db_sqlite_rc(rc) == AX_DB_ERROR
                                   ? AX_DB_ERROR : AX_DB_DOWN,
                               "cannot open SQLite database \"%s\": %s",
                               path, sqlite3_errmsg(s->handle));
    }

    (void) sqlite3_extended_result_codes(s->handle, 1);

    s->timeout_ms = db->timeout_ms;
    (void) sqlite3_busy_handler(s->handle, ax_db_sqlite_busy, s);

    /*
     * Switching a new database to WAL needs an exclusive lock, and SQLite
     * may report SQLITE_BUSY at once, without its busy handler, when
     * another connection opens the same new database meanwhile: retry
     * until the timeout.  Once in WAL mode this is a no-op.
     */

    msg = NULL;

    for (waited = 0; /* void */; waited += 10) {
        rc = sqlite3_exec(s->handle,
                          "PRAGMA journal_mode = WAL;"
                          "PRAGMA synchronous = NORMAL;"
                          "PRAGMA foreign_keys = ON;"
                          "PRAGMA case_sensitive_like = ON;",
                          NULL, NULL, &msg);

        if (ax_db_sqlite_rc(rc) != AX_DB_BUSY || waited >= db->timeout_ms) {
            break;
        }

        sqlite3_free(msg);
        msg = NULL;

        (void) sqlite3_sleep(10);
    }

    if (rc != SQLITE_OK) {
        ax_db_set_error(db, ax_db_sqlite_rc(rc),
                        "cannot set up SQLite database \"%s\": %s", path,
                        msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return ax_db_sqlite_rc(rc) == AX_DB_BUSY ? AX_DB_BUSY : AX_DB_ERROR;
    }

    return AX_DB_OK;
}


static void
ax_db_sqlite_close(ax_db_t *db)
{
    int              i;
    ax_db_sqlite_t  *s = db->conn;

    if (s == NULL) {
        return;
    }

    for (i = 0; i < AX_DB_SQLITE_CACHE; i++) {
        if (s->cache[i].stmt) {
            sqlite3_finalize(s->cache[i].stmt);
        }

        free(s->cache[i].sql);
        free(s->cache[i].map);
    }

    /* an open transaction is rolled back */
    (void) sqlite3_close(s->handle);

    free(s);
    db->conn = NULL;
}


static uint32_t
ax_db_sqlite_hash(const char *p, size_t len)
{
    size_t    i;
    uint32_t  h;

    /* FNV-1a */

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) p[i];
        h *= 16777619u;
    }

    return h;
}


/*
 * Returns the cached statement for sql, preparing it on a miss; *stmt is
 * NULL for SQL without a statement, *entry NULL when it is not cached.
 */

static int
ax_db_sqlite_prepare(ax_db_t *db, const char *sql, sqlite3_stmt **stmt,
    ax_db_sqlite_stmt_t **entry)
{
    int                   i, rc, lru;
    char                 *copy;
    size_t                len;
    uint32_t              hash;
    const char           *tail;
    sqlite3_stmt         *st;
    ax_db_sqlite_t       *s = db->conn;
    ax_db_sqlite_stmt_t  *e;

    len = strlen(sql);
    hash = ax_db_sqlite_hash(sql, len);

    *entry = NULL;
    lru = 0;

    for (i = 0; i < AX_DB_SQLITE_CACHE; i++) {
        e = &s->cache[i];

        if (e->stmt != NULL && e->hash == hash && e->len == len
            && memcmp(e->sql, sql, len) == 0)
        {
            e->used = ++s->clock;
            *stmt = e->stmt;
            *entry = e;
            return AX_DB_OK;
        }

        if (e->used < s->cache[lru].used) {
            lru = i;
        }
    }

    st = NULL;
    tail = NULL;

    rc = sqlite3_prepare_v3(s->handle, sql, (int) len + 1,
                            SQLITE_PREPARE_PERSISTENT, &st, &tail);

    if (rc != SQLITE_OK) {
        return ax_db_sqlite_error(db, rc);
    }

    if (tail != NULL && !ax_db_sql_blank(tail)) {
        sqlite3_finalize(st);
        return ax_db_set_error(db, AX_DB_ERROR,
                               "cannot run several statements in one "
                               "query");
    }

    *stmt = st;

    if (st == NULL) {
        return AX_DB_OK;
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        /* run it uncached: the caller finalizes what it does not find */
        return AX_DB_OK;
    }

    memcpy(copy, sql, len + 1);

    e = &s->cache[lru];

    if (e->stmt) {
        sqlite3_finalize(e->stmt);
    }

    free(e->sql);
    free(e->map);

    e->sql = copy;
    e->len = len;
    e->hash = hash;
    e->used = ++s->clock;
    e->stmt = st;
    e->map = NULL;
    e->nmap = -1;

    *entry = e;

    return AX_DB_OK;
}


/*
 * Which $N each of the statement's parameters is (SQLite numbers named
 * parameters in order of first appearance).  Computed once per prepared
 * statement: sqlite3_bind_parameter_name() walks a list, so asking it at
 * every bind costs O(n^2) for a statement of many rows.
 */

static int
ax_db_sqlite_map(ax_db_t *db, sqlite3_stmt *stmt, int **mapp, int *np)
{
    int          i, n, k, *map;
    const char  *name, *p;

    n = sqlite3_bind_parameter_count(stmt);
    map = NULL;

    if (n > 0) {
        map = malloc(n * sizeof(int));
        if (map == NULL) {
            return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
        }
    }

    for (i = 1; i <= n; i++) {
        name = sqlite3_bind_parameter_name(stmt, i);

        if (name == NULL || name[0] != '$' || name[1] < '1' || name[1] > '9')
        {
            free(map);
            return ax_db_set_error(db, AX_DB_ERROR,
                                   "only $1, $2 ... placeholders are "
                                   "portable, not \"%s\" (write "
                                   "CAST($1 AS type), not $1::type)",
                                   name ? name : "?");
        }

        k = 0;

        for (p = name + 1; *p >= '0' && *p <= '9' && k < 100000; p++) {
            k = k * 10 + (*p - '0');
        }

        if (*p != '\0') {
            free(map);
            return ax_db_set_error(db, AX_DB_ERROR,
                                   "bad placeholder \"%s\" (write "
                                   "CAST($1 AS type), not $1::type)", name);
        }

        map[i - 1] = k;
    }

    *mapp = map;
    *np = n;

    return AX_DB_OK;
}


static int
ax_db_sqlite_bind(ax_db_t *db, sqlite3_stmt *stmt, const int *map, int n,
    const ax_db_param_t *params, int nparams)
{
    int                   i, k, rc;
    const ax_db_param_t  *v;

    for (i = 1; i <= n; i++) {
        k = map[i - 1];

        if (k > nparams) {
            return ax_db_set_error(db, AX_DB_ERROR,
                                   "no value for parameter $%d: %d given",
                                   k, nparams);
        }

        v = &params[k - 1];

        switch (v->type) {

        case AX_DB_INT:
            rc = sqlite3_bind_int64(stmt, i, v->i);
            break;

        case AX_DB_TEXT:
            rc = sqlite3_bind_text(stmt, i,
                                   v->s.len ? (const char *) v->s.data : "",
                                   (int) v->s.len, SQLITE_STATIC);
            break;

        default:
            rc = sqlite3_bind_null(stmt, i);
            break;
        }

        if (rc != SQLITE_OK) {
            return ax_db_sqlite_error(db, rc);
        }
    }

    /* each $N has one index: n distinct $N all <= nparams */

    if (n != nparams) {
        return ax_db_set_error(db, AX_DB_ERROR,
                               "the statement takes %d parameter(s), "
                               "%d given", n, nparams);
    }

    return AX_DB_OK;
}


static int
ax_db_sqlite_query(ax_db_t *db, const char *sql, const ax_db_param_t *params,
    int nparams, ax_db_res_t **res)
{
    int                   rc, i, cols, *map, nmap;
    long long             rows;
    const char           *text;
    sqlite3_int64         total;
    ax_db_res_t          *r;
    sqlite3_stmt         *stmt;
    ax_db_sqlite_t       *s = db->conn;
    ax_db_sqlite_stmt_t  *e;

    for (i = 0; i < nparams; i++) {
        if (params[i].type == AX_DB_TEXT && params[i].s.len > INT_MAX) {
            return ax_db_set_error(db, AX_DB_ERROR,
                                   "text parameter $%d is too long", i + 1);
        }
    }

    stmt = NULL;

    rc = ax_db_sqlite_prepare(db, sql, &stmt, &e);
    if (rc != AX_DB_OK) {
        return rc;
    }

    r = NULL;
    map = NULL;
    nmap = 0;

    if (stmt == NULL) {
        db->changes = 0;

        if (res) {
            *res = ax_db_res_new(0, 0, 0, 1);
            if (*res == NULL) {
                return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
            }
        }

        return AX_DB_OK;
    }

    if (e != NULL && e->nmap >= 0) {
        map = e->map;
        nmap = e->nmap;

    } else {
        rc = ax_db_sqlite_map(db, stmt, &map, &nmap);
        if (rc != AX_DB_OK) {
            goto done;
        }

        if (e != NULL) {
            e->map = map;
            e->nmap = nmap;
        }
    }

    rc = ax_db_sqlite_bind(db, stmt, map, nmap, params, nparams);
    if (rc != AX_DB_OK) {
        goto done;
    }

    total = sqlite3_total_changes64(s->handle);
    rows = 0;

    /* the columns are known after the first step: it prepares the
     * statement again if the schema changed since it was cached */

    rc = sqlite3_step(stmt);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = ax_db_sqlite_error(db, rc);
        goto done;
    }

    cols = sqlite3_column_count(stmt);

    if (res) {
        r = ax_db_res_new(cols, 0, 0, 0);
        if (r == NULL) {
            rc = ax_db_set_error(db, AX_DB_ERROR, "out of memory");
            goto done;
        }

        for (i = 0; i < cols; i++) {
            text = sqlite3_column_name(stmt, i);

            if (text == NULL || ax_db_res_add(r, text, strlen(text)) != 0) {
                rc = ax_db_set_error(db, AX_DB_ERROR, "out of memory");
                goto done;
            }
        }
    }

    while (rc == SQLITE_ROW) {
        rows++;

        for (i = 0; r != NULL && i < cols; i++) {
            if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
                rc = ax_db_res_add_null(r);

            } else {
                text = (const char *) sqlite3_column_text(stmt, i);

                rc = text ? ax_db_res_add(r, text,
                                          sqlite3_column_bytes(stmt, i))
                          : -1;
            }

            if (rc != 0) {
                rc = ax_db_set_error(db, AX_DB_ERROR, "out of memory");
                goto done;
            }
        }

        rc = sqlite3_step(stmt);
    }

    if (rc != SQLITE_DONE) {
        rc = ax_db_sqlite_error(db, rc);
        goto done;
    }

    rc = AX_DB_OK;

    if (sqlite3_stmt_readonly(stmt)) {
        db->changes = rows;

    } else {
        db->changes = (sqlite3_total_changes64(s->handle) == total)
                      ? 0 : sqlite3_changes64(s->handle);
    }

done:

    /* an idle statement holds no lock nor WAL snapshot */

    (void) sqlite3_reset(stmt);
    (void) sqlite3_clear_bindings(stmt);

    if (e == NULL) {
        sqlite3_finalize(stmt);
        free(map);
    }

    if (rc != AX_DB_OK) {
        ax_db_res_free(r);
        return rc;
    }

    if (res) {
        *res = r;
    }

    return AX_DB_OK;
}


static int
ax_db_sqlite_exec(ax_db_t *db, const char *sql)
{
    int              rc;
    char            *msg;
    ax_db_sqlite_t  *s = db->conn;

    msg = NULL;

    rc = sqlite3_exec(s->handle, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        ax_db_set_error(db, ax_db_sqlite_rc(rc), "%s",
                        msg ? msg : sqlite3_errmsg(s->handle));
        sqlite3_free(msg);
        return ax_db_sqlite_rc(rc);
    }

    db->changes = 0;

    return AX_DB_OK;
}


static int
ax_db_sqlite_begin(ax_db_t *db)
{
    return ax_db_sqlite_query(db, "BEGIN IMMEDIATE", NULL, 0, NULL);
}


static int
ax_db_sqlite_commit(ax_db_t *db)
{
    int              rc;
    ax_db_sqlite_t  *s = db->conn;

    rc = ax_db_sqlite_query(db, "COMMIT", NULL, 0, NULL);

    if (rc != AX_DB_OK && !sqlite3_get_autocommit(s->handle)) {
        /* keep the COMMIT error */
        (void) sqlite3_exec(s->handle, "ROLLBACK", NULL, NULL, NULL);
    }

    return rc;
}


static int
ax_db_sqlite_rollback(ax_db_t *db)
{
    ax_db_sqlite_t  *s = db->conn;

    if (sqlite3_get_autocommit(s->handle)) {
        /* an error already rolled it back */
        return AX_DB_OK;
    }

    return ax_db_sqlite_query(db, "ROLLBACK", NULL, 0, NULL);
}


static int
ax_db_sqlite_ping(ax_db_t *db)
{
    return ax_db_sqlite_query(db, "SELECT 1", NULL, 0, NULL);
}


static int
ax_db_sqlite_set_timeout(ax_db_t *db, int timeout_ms)
{
    ax_db_sqlite_t  *s = db->conn;

    s->timeout_ms = timeout_ms > 0 ? timeout_ms : INT_MAX;

    return AX_DB_OK;
}


/*
 * Waits for a lock another connection holds, up to the timeout.  SQLite's
 * own busy handler sleeps 1 ms and more from the first retry, but writers
 * here hold the lock for tens of microseconds (many threads and workers
 * share one file): short sleeps first keep the throughput.
 */

static int
ax_db_sqlite_busy(void *data, int count)
{
    ax_db_sqlite_t  *s = data;

    long             waited;
    struct timespec  now;

    (void) clock_gettime(CLOCK_MONOTONIC, &now);

    if (count == 0) {
        s->busy_since = now;
    }

    waited = (now.tv_sec - s->busy_since.tv_sec) * 1000
             + (now.tv_nsec - s->busy_since.tv_nsec) / 1000000;

    if (waited >= s->timeout_ms) {
        return 0;
    }

    (void) usleep(count < 20 ? 50 : (count < 100 ? 200 : 1000));

    return 1;
}
