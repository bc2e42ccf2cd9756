
/*
 * The engine-independent part of ax_db: DSN dispatch, parameter checks,
 * transaction state, {{id}} substitution and results.
 */

#define AX_DB_INTERNAL

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include "ax_db.h"


static int ax_db_check_params(ax_db_t *db, const ax_db_param_t *params,
    int nparams);
static int ax_db_utf8_valid(const unsigned char *p, size_t len);
static char *ax_db_subst(ax_db_t *db, const char *sql);
static ax_db_cell_t *ax_db_res_cell(ax_db_res_t *r, int row, int col);


static void
ax_db_copy_err(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "%s", msg);
    }
}


int
ax_db_open(ax_db_t **dbp, const char *dsn, int timeout_ms, char *err,
    size_t errlen)
{
    int                    rc;
    ax_db_t               *db;
    const char            *conninfo;
    const ax_db_driver_t  *driver;

    *dbp = NULL;

    if (dsn == NULL || dsn[0] == '\0') {
        ax_db_copy_err(err, errlen, "empty database DSN");
        return AX_DB_ERROR;
    }

    if (strncmp(dsn, "sqlite://", 9) == 0) {
        driver = &ax_db_sqlite_driver;
        conninfo = dsn + 9;

    } else if (strncmp(dsn, "sqlite:", 7) == 0) {
        driver = &ax_db_sqlite_driver;
        conninfo = dsn + 7;

    } else if (strncmp(dsn, "postgresql://", 13) == 0
               || strncmp(dsn, "postgres://", 11) == 0
               || strchr(dsn, '=') != NULL)
    {
#ifndef AX_DB_NO_PG
        driver = &ax_db_pg_driver;
        conninfo = dsn;
#else
        ax_db_copy_err(err, errlen, "built without PostgreSQL support");
        return AX_DB_ERROR;
#endif

    } else {
        ax_db_copy_err(err, errlen,
                       "unknown database DSN: expected \"sqlite:PATH\", "
                       "\"postgresql://...\" or libpq \"key=value ...\"");
        return AX_DB_ERROR;
    }

    if (driver == &ax_db_sqlite_driver && conninfo[0] == '\0') {
        ax_db_copy_err(err, errlen, "no path in SQLite DSN");
        return AX_DB_ERROR;
    }

    db = calloc(1, sizeof(ax_db_t));
    if (db == NULL) {
        ax_db_copy_err(err, errlen, "out of memory");
        return AX_DB_ERROR;
    }

    db->driver = driver;
    db->timeout_ms = timeout_ms > 0 ? timeout_ms : AX_DB_DEFAULT_TIMEOUT_MS;

    rc = driver->open(db, conninfo);

    if (rc != AX_DB_OK) {
        ax_db_copy_err(err, errlen, db->errmsg);
        driver->close(db);
        free(db);
        return rc;
    }

    db->errmsg[0] = '\0';
    *dbp = db;

    return AX_DB_OK;
}


void
ax_db_close(ax_db_t *db)
{
    if (db == NULL) {
        return;
    }

    db->driver->close(db);
    free(db);
}


ax_db_engine_e
ax_db_engine(ax_db_t *db)
{
    return db->driver->engine;
}


const char *
ax_db_errmsg(ax_db_t *db)
{
    return db == NULL ? "no database connection" : db->errmsg;
}


int
ax_db_set_error(ax_db_t *db, int rc, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, args);
    va_end(args);

    return rc;
}


static int
ax_db_tx_check(ax_db_t *db)
{
    if (db->tx == AX_DB_TX_FAILED) {
        return ax_db_set_error(db, AX_DB_ERROR,
                               "current transaction is aborted by an "
                               "earlier error, commands ignored until "
                               "rollback");
    }

    return AX_DB_OK;
}


static int
ax_db_tx_result(ax_db_t *db, int rc)
{
    if (rc != AX_DB_OK && db->tx == AX_DB_TX_ACTIVE) {
        db->tx = AX_DB_TX_FAILED;
    }

    return rc;
}


int
ax_db_query(ax_db_t *db, const char *sql, const ax_db_param_t *params,
    int nparams, ax_db_res_t **res)
{
    int  rc;

    if (res != NULL) {
        *res = NULL;
    }

    if (sql == NULL) {
        return ax_db_set_error(db, AX_DB_ERROR, "no SQL");
    }

    rc = ax_db_tx_check(db);
    if (rc != AX_DB_OK) {
        return rc;
    }

    rc = ax_db_check_params(db, params, nparams);

    if (rc == AX_DB_OK) {
        rc = db->driver->query(db, sql, params, nparams, res);
    }

    return ax_db_tx_result(db, rc);
}


long long
ax_db_changes(ax_db_t *db)
{
    return db->changes;
}


int
ax_db_exec(ax_db_t *db, const char *sql)
{
    int    rc;
    char  *copy;

    if (sql == NULL) {
        return ax_db_set_error(db, AX_DB_ERROR, "no SQL");
    }

    rc = ax_db_tx_check(db);
    if (rc != AX_DB_OK) {
        return rc;
    }

    copy = NULL;

    if (strstr(sql, "{{") != NULL) {
        copy = ax_db_subst(db, sql);
        if (copy == NULL) {
            return ax_db_tx_result(db, ax_db_set_error(db, AX_DB_ERROR,
                                                       "out of memory"));
        }

        sql = copy;
    }

    rc = db->driver->exec(db, sql);

    free(copy);

    return ax_db_tx_result(db, rc);
}


int
ax_db_begin(ax_db_t *db)
{
    int        rc;
    long long  changes;

    if (db->group) {
        /* a unit of a group: it runs in the group's transaction */
        return ax_db_tx_check(db);
    }

    if (db->tx != AX_DB_TX_NONE) {
        return ax_db_set_error(db, AX_DB_ERROR,
                               "a transaction is already in progress");
    }

    changes = db->changes;
    rc = db->driver->begin(db);
    db->changes = changes;

    if (rc == AX_DB_OK) {
        db->tx = AX_DB_TX_ACTIVE;
    }

    return rc;
}


int
ax_db_commit(ax_db_t *db)
{
    int        rc;
    long long  changes;

    if (db->group) {
        /* committed with the group */
        return ax_db_tx_check(db);
    }

    switch (db->tx) {

    case AX_DB_TX_NONE:
        return ax_db_set_error(db, AX_DB_ERROR, "no transaction in progress");

    case AX_DB_TX_FAILED:
        /* keep the error that aborted the transaction */
        (void) db->driver->rollback(db);
        db->tx = AX_DB_TX_NONE;
        return ax_db_set_error(db, AX_DB_ERROR,
                               "transaction aborted by an earlier error, "
                               "rolled back");

    default:
        break;
    }

    /* the driver rolls back when COMMIT fails */

    changes = db->changes;
    rc = db->driver->commit(db);
    db->changes = changes;
    db->tx = AX_DB_TX_NONE;

    return rc;
}


int
ax_db_rollback(ax_db_t *db)
{
    int        rc;
    long long  changes;

    if (db->tx == AX_DB_TX_NONE) {
        return AX_DB_OK;
    }

    if (db->group) {
        /* one unit cannot be undone alone: the whole group will be */
        db->tx = AX_DB_TX_FAILED;
        return AX_DB_OK;
    }

    changes = db->changes;
    rc = db->driver->rollback(db);
    db->changes = changes;
    db->tx = AX_DB_TX_NONE;

    return rc;
}


int
ax_db_in_transaction(ax_db_t *db)
{
    return db->tx != AX_DB_TX_NONE;
}


int
ax_db_group_begin(ax_db_t *db)
{
    int  rc;

    rc = ax_db_begin(db);

    if (rc == AX_DB_OK) {
        db->group = 1;
    }

    return rc;
}


int
ax_db_group_commit(ax_db_t *db)
{
    if (!db->group) {
        return ax_db_set_error(db, AX_DB_ERROR, "no group in progress");
    }

    db->group = 0;

    return ax_db_commit(db);
}


int
ax_db_group_failed(ax_db_t *db)
{
    return db->group && db->tx == AX_DB_TX_FAILED;
}


int
ax_db_ping(ax_db_t *db)
{
    int        rc;
    long long  changes;

    changes = db->changes;
    rc = db->driver->ping(db);
    db->changes = changes;

    return rc;
}


int
ax_db_set_timeout(ax_db_t *db, int timeout_ms)
{
    int  rc;

    if (db->tx != AX_DB_TX_NONE) {
        return ax_db_set_error(db, AX_DB_ERROR,
                               "cannot change the timeout in a transaction");
    }

    if (timeout_ms < 0) {
        timeout_ms = 0;
    }

    rc = db->driver->set_timeout(db, timeout_ms);

    if (rc == AX_DB_OK) {
        db->timeout_ms = timeout_ms;
    }

    return rc;
}


int
ax_db_timeout(ax_db_t *db)
{
    return db->timeout_ms;
}


static int
ax_db_check_params(ax_db_t *db, const ax_db_param_t *params, int nparams)
{
    int                   i;
    const ax_db_param_t  *p;

    if (nparams < 0 || (nparams > 0 && params == NULL)) {
        return ax_db_set_error(db, AX_DB_ERROR, "bad parameter count %d",
                               nparams);
    }

    for (i = 0; i < nparams; i++) {
        p = &params[i];

        switch (p->type) {

        case AX_DB_NULL:
        case AX_DB_INT:
            break;

        case AX_DB_TEXT:
            if (p->s.len == 0) {
                break;
            }

            if (p->s.data == NULL) {
                return ax_db_set_error(db, AX_DB_ERROR,
                                       "NULL data in text parameter $%d",
                                       i + 1);
            }

            if (memchr(p->s.data, '\0', p->s.len) != NULL) {
                return ax_db_set_error(db, AX_DB_ERROR,
                                       "NUL byte in text parameter $%d",
                                       i + 1);
            }

            if (!ax_db_utf8_valid(p->s.data, p->s.len)) {
                return ax_db_set_error(db, AX_DB_ERROR,
                                       "invalid UTF-8 in text parameter $%d",
                                       i + 1);
            }

            break;

        default:
            return ax_db_set_error(db, AX_DB_ERROR,
                                   "unknown type %d of parameter $%d",
                                   (int) p->type, i + 1);
        }
    }

    return AX_DB_OK;
}


/* RFC 3629: no overlong forms, surrogates or code points above U+10FFFF */

static int
ax_db_utf8_valid(const unsigned char *p, size_t len)
{
    unsigned char         c;
    const unsigned char  *end;

    end = p + len;

    while (p < end) {
        c = *p++;

        if (c < 0x80) {
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            if (end - p < 1 || (p[0] & 0xc0) != 0x80) {
                return 0;
            }

            p += 1;

        } else if (c >= 0xe0 && c <= 0xef) {
            if (end - p < 2
                || (p[0] & 0xc0) != 0x80 || (p[1] & 0xc0) != 0x80
                || (c == 0xe0 && p[0] < 0xa0)
                || (c == 0xed && p[0] > 0x9f))
            {
                return 0;
            }

            p += 2;

        } else if (c >= 0xf0 && c <= 0xf4) {
            if (end - p < 3
                || (p[0] & 0xc0) != 0x80 || (p[1] & 0xc0) != 0x80
                || (p[2] & 0xc0) != 0x80
                || (c == 0xf0 && p[0] < 0x90)
                || (c == 0xf4 && p[0] > 0x8f))
            {
                return 0;
            }

            p += 3;

        } else {
            return 0;
        }
    }

    return 1;
}


/* the portable DDL tokens */

typedef struct {
    const char  *token;
    const char  *sqlite;
    const char  *pg;
} ax_db_token_t;


static const ax_db_token_t  ax_db_tokens[] = {
    { "{{id}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY" },
    { NULL, NULL, NULL }
};


static char *
ax_db_subst(ax_db_t *db, const char *sql)
{
    char                 *out, *o;
    size_t                len, tlen, size;
    const char           *p, *rep;
    const ax_db_token_t  *t;

    /* the longest replacement is longer than any token */

    size = strlen(sql) + 1;

    for (p = strstr(sql, "{{"); p != NULL; p = strstr(p + 2, "{{")) {
        size += 64;
    }

    out = malloc(size);
    if (out == NULL) {
        return NULL;
    }

    o = out;
    p = sql;

    for ( ;; ) {
        const char  *q;

        q = strstr(p, "{{");

        if (q == NULL) {
            len = strlen(p);
            memcpy(o, p, len + 1);
            break;
        }

        memcpy(o, p, q - p);
        o += q - p;
        p = q;

        rep = NULL;
        tlen = 2;

        for (t = ax_db_tokens; t->token != NULL; t++) {
            tlen = strlen(t->token);

            if (strncmp(p, t->token, tlen) == 0) {
                rep = (db->driver->engine == AX_DB_SQLITE) ? t->sqlite
                                                           : t->pg;
                break;
            }
        }

        if (rep == NULL) {
            /* not a token: keep "{{" */
            *o++ = *p++;
            *o++ = *p++;
            continue;
        }

        len = strlen(rep);
        memcpy(o, rep, len);
        o += len;
        p += tlen;
    }

    return out;
}


/* 1 when nothing but blanks, ';' and comments is in p */

int
ax_db_sql_blank(const char *p)
{
    for ( ;; ) {
        while (*p == ';' || isspace((unsigned char) *p)) {
            p++;
        }

        if (p[0] == '-' && p[1] == '-') {
            while (*p != '\0' && *p != '\n') {
                p++;
            }

            continue;
        }

        if (p[0] == '/' && p[1] == '*') {
            p = strstr(p + 2, "*/");

            if (p == NULL) {
                return 1;
            }

            p += 2;
            continue;
        }

        return *p == '\0';
    }
}


/* results */

ax_db_res_t *
ax_db_res_new(int cols, size_t ncells, size_t size, int exact)
{
    ax_db_res_t  *r;

    if (ncells < (size_t) cols) {
        ncells = cols;
    }

    if (exact) {
        /* one block: the struct, the cells, the texts */

        if (size == 0) {
            size = 1;
        }

        r = malloc(sizeof(ax_db_res_t) + ncells * sizeof(ax_db_cell_t)
                   + size);
        if (r == NULL) {
            return NULL;
        }

        memset(r, 0, sizeof(ax_db_res_t));
        r->cells = (ax_db_cell_t *) (r + 1);
        r->data = (char *) (r->cells + ncells);
        r->block = 1;

    } else {
        if (ncells < 16) {
            ncells = 16;
        }

        if (size < 256) {
            size = 256;
        }

        r = calloc(1, sizeof(ax_db_res_t));
        if (r == NULL) {
            return NULL;
        }

        r->cells = malloc(ncells * sizeof(ax_db_cell_t));
        r->data = malloc(size);

        if (r->cells == NULL || r->data == NULL) {
            free(r->cells);
            free(r->data);
            free(r);
            return NULL;
        }
    }

    r->cols = cols;
    r->ncells = ncells;
    r->size = size;

    return r;
}


/* room for one more cell and need bytes of text */

static int
ax_db_res_room(ax_db_res_t *r, size_t need)
{
    char          *data;
    size_t         n;
    ax_db_cell_t  *cells;

    if (r->nused == r->ncells) {
        if (r->block || r->ncells > ((size_t) -1 / 2) / sizeof(ax_db_cell_t))
        {
            return -1;
        }

        n = r->ncells * 2;

        cells = realloc(r->cells, n * sizeof(ax_db_cell_t));
        if (cells == NULL) {
            return -1;
        }

        r->cells = cells;
        r->ncells = n;
    }

    if (need >= (size_t) -1 / 4 - r->used) {
        return -1;
    }

    if (r->used + need > r->size) {
        if (r->block) {
            return -1;
        }

        n = r->size * 2;

        if (n < r->used + need) {
            n = r->used + need;
        }

        data = realloc(r->data, n);
        if (data == NULL) {
            return -1;
        }

        r->data = data;
        r->size = n;
    }

    return 0;
}


int
ax_db_res_add(ax_db_res_t *r, const char *p, size_t len)
{
    if (ax_db_res_room(r, len + 1) != 0) {
        return -1;
    }

    if (len) {
        memcpy(r->data + r->used, p, len);
    }

    r->data[r->used + len] = '\0';

    r->cells[r->nused].off = r->used;
    r->cells[r->nused].len = len;
    r->used += len + 1;
    r->nused++;

    if (r->cols && r->nused % r->cols == 0) {
        r->rows = (int) (r->nused / r->cols) - 1;
    }

    return 0;
}


int
ax_db_res_add_null(ax_db_res_t *r)
{
    if (ax_db_res_room(r, 0) != 0) {
        return -1;
    }

    r->cells[r->nused].off = 0;
    r->cells[r->nused].len = AX_DB_RES_NULL;
    r->nused++;

    if (r->cols && r->nused % r->cols == 0) {
        r->rows = (int) (r->nused / r->cols) - 1;
    }

    return 0;
}


void
ax_db_res_free(ax_db_res_t *r)
{
    if (r == NULL) {
        return;
    }

    if (!r->block) {
        free(r->cells);
        free(r->data);
    }

    free(r);
}


int
ax_db_res_rows(ax_db_res_t *r)
{
    return r == NULL ? 0 : r->rows;
}


int
ax_db_res_cols(ax_db_res_t *r)
{
    return r == NULL ? 0 : r->cols;
}


const char *
ax_db_res_name(ax_db_res_t *r, int col)
{
    if (r == NULL || col < 0 || col >= r->cols) {
        return NULL;
    }

    return r->data + r->cells[col].off;
}


int
ax_db_res_col(ax_db_res_t *r, const char *name)
{
    int  col;

    if (r == NULL) {
        return -1;
    }

    for (col = 0; col < r->cols; col++) {
        if (strcmp(r->data + r->cells[col].off, name) == 0) {
            return col;
        }
    }

    return -1;
}


static ax_db_cell_t *
ax_db_res_cell(ax_db_res_t *r, int row, int col)
{
    ax_db_cell_t  *c;

    if (r == NULL || row < 0 || row >= r->rows || col < 0 || col >= r->cols)
    {
        return NULL;
    }

    c = &r->cells[(size_t) (row + 1) * r->cols + col];

    return c->len == AX_DB_RES_NULL ? NULL : c;
}


const char *
ax_db_res_value(ax_db_res_t *r, int row, int col, size_t *len)
{
    ax_db_cell_t  *c;

    c = ax_db_res_cell(r, row, col);

    if (len != NULL) {
        *len = c ? c->len : 0;
    }

    return c ? r->data + c->off : NULL;
}


int
ax_db_res_is_null(ax_db_res_t *r, int row, int col)
{
    return ax_db_res_cell(r, row, col) == NULL;
}


long long
ax_db_res_int(ax_db_res_t *r, int row, int col)
{
    const char    *p;
    ax_db_cell_t  *c;

    c = ax_db_res_cell(r, row, col);
    if (c == NULL) {
        return 0;
    }

    p = r->data + c->off;

    if (c->len == 1 && (p[0] == 't' || p[0] == 'f')) {
        return p[0] == 't';
    }

    return strtoll(p, NULL, 10);
}
