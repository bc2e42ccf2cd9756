
/*
 * The PostgreSQL driver of ax_db: libpq, one PGconn.  Queries are prepared
 * once per connection (PQprepare, parameter types inferred by the server)
 * and cached by SQL text, then run with PQexecPrepared and text
 * parameters: on a Unix socket a one-row SELECT by key took about 30 us
 * that way, 60 us with PQexecParams (parse and plan every time).
 */

#define AX_DB_INTERNAL

#ifndef AX_DB_NO_PG

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "ax_db.h"


#define AX_DB_PG_CACHE  64


typedef struct {
    char            *sql;               /* NULL: a free entry */
    size_t           len;
    uint32_t         hash;
    unsigned long    used;              /* LRU clock of the last use */
    unsigned         id;                /* the statement is "ax_<id>" */
    unsigned         stale:1;           /* prepare again before use */
    unsigned         gone:1;            /* the server does not have it */
} ax_db_pg_stmt_t;


typedef struct {
    PGconn          *conn;
    int              timeout_ms;        /* the statement_timeout in force */
    int              conn_timeout_ms;   /* the one PQreset() restores */
    char            *buf;               /* parameter texts */
    size_t           size;
    const char     **values;
    int              nvalues;
    unsigned long    clock;
    unsigned         next_id;
    ax_db_pg_stmt_t  cache[AX_DB_PG_CACHE];
} ax_db_pg_t;


static int ax_db_pg_open(ax_db_t *db, const char *conninfo);
static void ax_db_pg_close(ax_db_t *db);
static int ax_db_pg_query(ax_db_t *db, const char *sql,
    const ax_db_param_t *params, int nparams, ax_db_res_t **res);
static int ax_db_pg_exec(ax_db_t *db, const char *sql);
static int ax_db_pg_begin(ax_db_t *db);
static int ax_db_pg_commit(ax_db_t *db);
static int ax_db_pg_rollback(ax_db_t *db);
static int ax_db_pg_ping(ax_db_t *db);
static int ax_db_pg_set_timeout(ax_db_t *db, int timeout_ms);


const ax_db_driver_t  ax_db_pg_driver = {
    AX_DB_POSTGRES,
    "postgresql",
    ax_db_pg_open,
    ax_db_pg_close,
    ax_db_pg_query,
    ax_db_pg_exec,
    ax_db_pg_begin,
    ax_db_pg_commit,
    ax_db_pg_rollback,
    ax_db_pg_ping,
    ax_db_pg_set_timeout
};


static void
ax_db_pg_notice(void *arg, const char *message)
{
    /* NOTICEs ("relation already exists, skipping") are not errors */
    (void) arg;
    (void) message;
}


/* copies a libpq message into db->errmsg as one line */

static int
ax_db_pg_set_message(ax_db_t *db, int rc, const char *prefix,
    const char *msg)
{
    char    *p;
    size_t   len;

    snprintf(db->errmsg, sizeof(db->errmsg), "%s%s", prefix,
             msg && msg[0] ? msg : "unknown error");

    for (p = db->errmsg; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }

    len = strlen(db->errmsg);

    while (len > 0 && db->errmsg[len - 1] == ' ') {
        db->errmsg[--len] = '\0';
    }

    return rc;
}


static int
ax_db_pg_open(ax_db_t *db, const char *conninfo)
{
    int                  i, secs;
    char                *errmsg;
    char                 timeout[16], options[1024];
    const char          *user_options;
    const char          *keywords[6], *values[6];
    ax_db_pg_t          *pg;
    PQconninfoOption    *opts, *o;

    pg = calloc(1, sizeof(ax_db_pg_t));
    if (pg == NULL) {
        return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
    }

    db->conn = pg;

    if (!PQisthreadsafe()) {
        return ax_db_set_error(db, AX_DB_ERROR,
                               "libpq is built without thread support");
    }

    errmsg = NULL;
    opts = PQconninfoParse(conninfo, &errmsg);

    if (opts == NULL) {
        ax_db_pg_set_message(db, AX_DB_ERROR,
                             "invalid PostgreSQL connection string: ",
                             errmsg ? errmsg : "out of memory");
        PQfreemem(errmsg);
        return AX_DB_ERROR;
    }

    /* our session settings go after the DSN's own "options" */

    user_options = "";

    for (o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "options") == 0 && o->val != NULL) {
            user_options = o->val;
        }
    }

    i = snprintf(options, sizeof(options),
                 "%s -c statement_timeout=%d -c TimeZone=UTC"
                 " -c standard_conforming_strings=on"
                 " -c client_min_messages=warning",
                 user_options, db->timeout_ms);

    PQconninfoFree(opts);

    if (i < 0 || (size_t) i >= sizeof(options)) {
        return ax_db_set_error(db, AX_DB_ERROR,
                               "PostgreSQL options are too long");
    }

    secs = (db->timeout_ms + 999) / 1000;
    if (secs < 2) {
        secs = 2;
    }

    snprintf(timeout, sizeof(timeout), "%d", secs);

    /* later keywords win: the DSN may set connect_timeout and
     * application_name, not the encoding nor our options */

    keywords[0] = "connect_timeout";
    values[0] = timeout;
    keywords[1] = "fallback_application_name";
    values[1] = "arthexis";
    keywords[2] = "dbname";
    values[2] = conninfo;
    keywords[3] = "client_encoding";
    values[3] = "UTF8";
    keywords[4] = "options";
    values[4] = options;
    keywords[5] = NULL;
    values[5] = NULL;

    pg->conn = PQconnectdbParams(keywords, values, 1);

    if (pg->conn == NULL) {
        return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
    }

    if (PQstatus(pg->conn) != CONNECTION_OK) {
        return ax_db_pg_set_message(db, AX_DB_DOWN,
                                    "cannot connect to PostgreSQL: ",
                                    PQerrorMessage(pg->conn));
    }

    (void) PQsetNoticeProcessor(pg->conn, ax_db_pg_notice, NULL);

    pg->timeout_ms = db->timeout_ms;
    pg->conn_timeout_ms = db->timeout_ms;

    return AX_DB_OK;
}


/* the server forgets prepared statements with the session */

static void
ax_db_pg_forget_all(ax_db_pg_t *pg)
{
    int  i;

    for (i = 0; i < AX_DB_PG_CACHE; i++) {
        free(pg->cache[i].sql);
        pg->cache[i].sql = NULL;
    }
}


static void
ax_db_pg_close(ax_db_t *db)
{
    ax_db_pg_t  *pg = db->conn;

    if (pg == NULL) {
        return;
    }

    if (pg->conn) {
        PQfinish(pg->conn);
    }

    ax_db_pg_forget_all(pg);

    free(pg->buf);
    free(pg->values);
    free(pg);

    db->conn = NULL;
}


/* maps a failed result (NULL: the connection) to an rc and db->errmsg */

static int
ax_db_pg_error(ax_db_t *db, PGresult *r)
{
    int          rc;
    char         buf[AX_DB_ERRLEN];
    const char  *state, *msg, *detail;
    ax_db_pg_t  *pg = db->conn;

    state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

    if (PQstatus(pg->conn) == CONNECTION_BAD) {
        rc = AX_DB_DOWN;

    } else if (state == NULL) {
        rc = r ? AX_DB_DOWN : AX_DB_ERROR;

    } else if (strncmp(state, "23", 2) == 0) {
        rc = AX_DB_CONSTRAINT;

    } else if (strcmp(state, "57014") == 0         /* query_canceled */
               || strcmp(state, "55P03") == 0      /* lock_not_available */
               || strcmp(state, "40001") == 0      /* serialization */
               || strcmp(state, "40P01") == 0)     /* deadlock_detected */
    {
        rc = AX_DB_BUSY;

    } else if ((strncmp(state, "08", 2) == 0        /* connection */
                && strcmp(state, "08P01") != 0)    /* protocol_violation */
               || strcmp(state, "57P01") == 0      /* admin_shutdown */
               || strcmp(state, "57P02") == 0      /* crash_shutdown */
               || strcmp(state, "57P03") == 0)     /* cannot_connect_now */
    {
        rc = AX_DB_DOWN;

    } else {
        rc = AX_DB_ERROR;
    }

    msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

    if (msg == NULL) {
        msg = r ? PQresultErrorMessage(r) : NULL;

        if (msg == NULL || msg[0] == '\0') {
            msg = PQerrorMessage(pg->conn);
        }

        if (r == NULL && PQstatus(pg->conn) != CONNECTION_BAD
            && (msg == NULL || msg[0] == '\0'))
        {
            msg = "out of memory";
        }
    }

    detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;

    snprintf(buf, sizeof(buf), "%s%s%s%s%s%s", msg ? msg : "",
             detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
             state ? " SQLSTATE " : "", state ? state : "");

    return ax_db_pg_set_message(db, rc, "", buf);
}


static int
ax_db_pg_apply_timeout(ax_db_t *db, int timeout_ms)
{
    int          rc;
    char         sql[64];
    PGresult    *r;
    ax_db_pg_t  *pg = db->conn;

    snprintf(sql, sizeof(sql), "SET statement_timeout = %d", timeout_ms);

    r = PQexec(pg->conn, sql);

    if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = ax_db_pg_error(db, r);
        PQclear(r);
        return rc;
    }

    PQclear(r);
    pg->timeout_ms = timeout_ms;

    return AX_DB_OK;
}


/* reconnects a connection known to be lost, outside transactions */

static int
ax_db_pg_reset(ax_db_t *db)
{
    ax_db_pg_t  *pg = db->conn;

    if (db->tx != AX_DB_TX_NONE) {
        return ax_db_set_error(db, AX_DB_DOWN,
                               "connection to PostgreSQL lost in a "
                               "transaction");
    }

    PQreset(pg->conn);
    ax_db_pg_forget_all(pg);

    if (PQstatus(pg->conn) != CONNECTION_OK) {
        return ax_db_pg_set_message(db, AX_DB_DOWN,
                                    "cannot reconnect to PostgreSQL: ",
                                    PQerrorMessage(pg->conn));
    }

    (void) PQsetNoticeProcessor(pg->conn, ax_db_pg_notice, NULL);

    pg->timeout_ms = pg->conn_timeout_ms;

    if (db->timeout_ms != pg->timeout_ms) {
        return ax_db_pg_apply_timeout(db, db->timeout_ms);
    }

    return AX_DB_OK;
}


static int
ax_db_pg_ready(ax_db_t *db)
{
    ax_db_pg_t  *pg = db->conn;

    if (PQstatus(pg->conn) == CONNECTION_OK) {
        return AX_DB_OK;
    }

    return ax_db_pg_reset(db);
}


/* the parameters as NUL-terminated texts in one reused buffer */

static int
ax_db_pg_params(ax_db_t *db, const ax_db_param_t *params, int nparams)
{
    int           i, n;
    char         *p;
    size_t        size;
    const char  **values;
    ax_db_pg_t   *pg = db->conn;

    if (nparams > pg->nvalues) {
        values = realloc(pg->values, nparams * sizeof(char *));
        if (values == NULL) {
            return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
        }

        pg->values = values;
        pg->nvalues = nparams;
    }

    size = 0;

    for (i = 0; i < nparams; i++) {
        switch (params[i].type) {

        case AX_DB_INT:
            size += 24;
            break;

        case AX_DB_TEXT:
            size += params[i].s.len + 1;
            break;

        default:
            break;
        }
    }

    if (size > pg->size) {
        p = realloc(pg->buf, size);
        if (p == NULL) {
            return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
        }

        pg->buf = p;
        pg->size = size;
    }

    p = pg->buf;

    for (i = 0; i < nparams; i++) {
        switch (params[i].type) {

        case AX_DB_INT:
            pg->values[i] = p;
            n = snprintf(p, 24, "%lld", params[i].i);
            p += n + 1;
            break;

        case AX_DB_TEXT:
            pg->values[i] = p;

            if (params[i].s.len) {
                memcpy(p, params[i].s.data, params[i].s.len);
            }

            p[params[i].s.len] = '\0';
            p += params[i].s.len + 1;
            break;

        default:
            pg->values[i] = NULL;
            break;
        }
    }

    return AX_DB_OK;
}


static ax_db_res_t *
ax_db_pg_result(PGresult *pr)
{
    int           rows, cols, i, j;
    size_t        size;
    const char   *name;
    ax_db_res_t  *r;

    rows = PQntuples(pr);
    cols = PQnfields(pr);

    size = 0;

    for (j = 0; j < cols; j++) {
        size += strlen(PQfname(pr, j)) + 1;
    }

    for (i = 0; i < rows; i++) {
        for (j = 0; j < cols; j++) {
            if (!PQgetisnull(pr, i, j)) {
                size += (size_t) PQgetlength(pr, i, j) + 1;
            }
        }
    }

    r = ax_db_res_new(cols, (size_t) (rows + 1) * cols, size, 1);
    if (r == NULL) {
        return NULL;
    }

    for (j = 0; j < cols; j++) {
        name = PQfname(pr, j);

        if (ax_db_res_add(r, name, strlen(name)) != 0) {
            goto failed;
        }
    }

    for (i = 0; i < rows; i++) {
        for (j = 0; j < cols; j++) {
            if (PQgetisnull(pr, i, j)) {
                if (ax_db_res_add_null(r) != 0) {
                    goto failed;
                }

            } else if (ax_db_res_add(r, PQgetvalue(pr, i, j),
                                     (size_t) PQgetlength(pr, i, j))
                       != 0)
            {
                goto failed;
            }
        }
    }

    return r;

failed:

    ax_db_res_free(r);

    return NULL;
}


/* the outcome of a statement: changes, rows, errors */

static int
ax_db_pg_outcome(ax_db_t *db, PGresult *pr, ax_db_res_t **res)
{
    int          rc;
    const char  *n;

    if (pr == NULL) {
        return ax_db_pg_error(db, NULL);
    }

    switch (PQresultStatus(pr)) {

    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
        n = PQcmdTuples(pr);
        db->changes = (n && n[0]) ? strtoll(n, NULL, 10) : 0;

        if (res) {
            *res = ax_db_pg_result(pr);

            if (*res == NULL) {
                PQclear(pr);
                return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
            }
        }

        rc = AX_DB_OK;
        break;

    case PGRES_BAD_RESPONSE:
    case PGRES_NONFATAL_ERROR:
    case PGRES_FATAL_ERROR:
        rc = ax_db_pg_error(db, pr);
        break;

    default:
        /* COPY and the like */
        rc = ax_db_set_error(db, AX_DB_ERROR, "unsupported statement (%s)",
                             PQresStatus(PQresultStatus(pr)));
        break;
    }

    PQclear(pr);

    return rc;
}


static uint32_t
ax_db_pg_hash(const char *p, size_t len)
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


/* the cached prepared statement for sql, preparing it on a miss */

static int
ax_db_pg_prepare(ax_db_t *db, const char *sql, ax_db_pg_stmt_t **stmt)
{
    int               i, victim, rc;
    char              name[32], dealloc[48];
    char             *copy;
    size_t            len;
    uint32_t          hash;
    PGresult         *pr;
    ax_db_pg_t       *pg = db->conn;
    ax_db_pg_stmt_t  *e;

    len = strlen(sql);
    hash = ax_db_pg_hash(sql, len);

    victim = -1;

    for (i = 0; i < AX_DB_PG_CACHE; i++) {
        e = &pg->cache[i];

        if (e->sql == NULL) {
            if (victim < 0 || pg->cache[victim].sql != NULL) {
                victim = i;
            }

            continue;
        }

        if (e->hash == hash && e->len == len
            && memcmp(e->sql, sql, len) == 0)
        {
            if (!e->stale) {
                e->used = ++pg->clock;
                *stmt = e;
                return AX_DB_OK;
            }

            victim = i;
            break;
        }

        if (victim < 0
            || (pg->cache[victim].sql != NULL
                && e->used < pg->cache[victim].used))
        {
            victim = i;
        }
    }

    e = &pg->cache[victim];

    if (e->sql != NULL) {
        free(e->sql);
        e->sql = NULL;

        if (!e->gone) {
            snprintf(dealloc, sizeof(dealloc), "DEALLOCATE ax_%u", e->id);

            pr = PQexec(pg->conn, dealloc);

            if (pr == NULL || PQresultStatus(pr) != PGRES_COMMAND_OK) {
                rc = ax_db_pg_error(db, pr);
                PQclear(pr);
                return rc;
            }

            PQclear(pr);
        }
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        return ax_db_set_error(db, AX_DB_ERROR, "out of memory");
    }

    memcpy(copy, sql, len + 1);

    e->id = pg->next_id++;
    snprintf(name, sizeof(name), "ax_%u", e->id);

    pr = PQprepare(pg->conn, name, sql, 0, NULL);

    if (pr == NULL || PQresultStatus(pr) != PGRES_COMMAND_OK) {
        free(copy);
        rc = ax_db_pg_error(db, pr);
        PQclear(pr);
        return rc;
    }

    PQclear(pr);

    e->sql = copy;
    e->len = len;
    e->hash = hash;
    e->used = ++pg->clock;
    e->stale = 0;
    e->gone = 0;

    *stmt = e;

    return AX_DB_OK;
}


static PGresult *
ax_db_pg_exec_prepared(ax_db_pg_t *pg, ax_db_pg_stmt_t *e, int nparams)
{
    char  name[32];

    snprintf(name, sizeof(name), "ax_%u", e->id);

    return PQexecPrepared(pg->conn, name, nparams,
                          (const char * const *) pg->values, NULL, NULL, 0);
}


static int
ax_db_pg_query(ax_db_t *db, const char *sql, const ax_db_param_t *params,
    int nparams, ax_db_res_t **res)
{
    int               rc, retry;
    const char       *state;
    PGresult         *pr;
    ax_db_pg_t       *pg = db->conn;
    ax_db_pg_stmt_t  *e;

    rc = ax_db_pg_ready(db);
    if (rc != AX_DB_OK) {
        return rc;
    }

    rc = ax_db_pg_params(db, params, nparams);
    if (rc != AX_DB_OK) {
        return rc;
    }

    rc = ax_db_pg_prepare(db, sql, &e);
    if (rc != AX_DB_OK) {
        return rc;
    }

    pr = ax_db_pg_exec_prepared(pg, e, nparams);
    retry = 0;

    state = (pr != NULL && PQresultStatus(pr) == PGRES_FATAL_ERROR)
            ? PQresultErrorField(pr, PG_DIAG_SQLSTATE) : NULL;

    /*
     * The statement is gone (26000: e.g. a pooler switched sessions) or
     * its result changed shape after DDL (0A000 "cached plan must not
     * change result type"): nothing ran, so outside a transaction prepare
     * it again and retry once; inside, the error aborted the transaction
     * (AX_DB_BUSY: retry it) and the next use prepares it again.
     */

    if (state != NULL
        && (strcmp(state, "26000") == 0 || strcmp(state, "0A000") == 0))
    {
        e->stale = 1;
        e->gone = (strcmp(state, "26000") == 0);

        if (db->tx == AX_DB_TX_NONE) {
            PQclear(pr);

            rc = ax_db_pg_prepare(db, sql, &e);
            if (rc != AX_DB_OK) {
                return rc;
            }

            pr = ax_db_pg_exec_prepared(pg, e, nparams);

        } else {
            /* worth retrying the transaction */
            retry = 1;
        }
    }

    rc = ax_db_pg_outcome(db, pr, res);

    return (retry && rc == AX_DB_ERROR) ? AX_DB_BUSY : rc;
}


static int
ax_db_pg_simple(ax_db_t *db, const char *sql)
{
    ax_db_pg_t  *pg = db->conn;

    return ax_db_pg_outcome(db, PQexec(pg->conn, sql), NULL);
}


static int
ax_db_pg_exec(ax_db_t *db, const char *sql)
{
    int  rc;

    rc = ax_db_pg_ready(db);
    if (rc != AX_DB_OK) {
        return rc;
    }

    rc = ax_db_pg_simple(db, sql);

    if (rc == AX_DB_OK) {
        db->changes = 0;
    }

    return rc;
}


static int
ax_db_pg_begin(ax_db_t *db)
{
    int  rc;

    rc = ax_db_pg_ready(db);
    if (rc != AX_DB_OK) {
        return rc;
    }

    return ax_db_pg_simple(db, "BEGIN");
}


static int
ax_db_pg_commit(ax_db_t *db)
{
    int          rc;
    PGresult    *pr;
    ax_db_pg_t  *pg = db->conn;

    if (PQstatus(pg->conn) != CONNECTION_OK) {
        return ax_db_set_error(db, AX_DB_DOWN,
                               "connection to PostgreSQL lost in a "
                               "transaction");
    }

    pr = PQexec(pg->conn, "COMMIT");

    if (pr != NULL && PQresultStatus(pr) == PGRES_COMMAND_OK
        && strcmp(PQcmdStatus(pr), "ROLLBACK") == 0)
    {
        /* COMMIT of a failed transaction */
        PQclear(pr);
        return ax_db_set_error(db, AX_DB_ERROR,
                               "transaction aborted, rolled back");
    }

    rc = ax_db_pg_outcome(db, pr, NULL);

    if (rc != AX_DB_OK && PQstatus(pg->conn) == CONNECTION_OK
        && PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
    {
        PQclear(PQexec(pg->conn, "ROLLBACK"));
    }

    return rc;
}


static int
ax_db_pg_rollback(ax_db_t *db)
{
    int          rc;
    char         msg[AX_DB_ERRLEN];
    ax_db_pg_t  *pg = db->conn;

    if (PQstatus(pg->conn) != CONNECTION_OK
        || PQtransactionStatus(pg->conn) == PQTRANS_IDLE)
    {
        return AX_DB_OK;
    }

    /* keep the message of the error that led here */

    memcpy(msg, db->errmsg, sizeof(msg));

    rc = ax_db_pg_simple(db, "ROLLBACK");

    if (rc == AX_DB_DOWN) {
        /* the server rolls back a lost session's transaction */
        rc = AX_DB_OK;
    }

    if (rc == AX_DB_OK) {
        memcpy(db->errmsg, msg, sizeof(msg));
    }

    return rc;
}


static int
ax_db_pg_ping(ax_db_t *db)
{
    int          rc;
    ax_db_pg_t  *pg = db->conn;

    if (PQstatus(pg->conn) != CONNECTION_OK) {
        return ax_db_pg_reset(db);
    }

    rc = ax_db_pg_simple(db, "SELECT 1");

    if (rc == AX_DB_DOWN && db->tx == AX_DB_TX_NONE) {
        if (PQstatus(pg->conn) == CONNECTION_OK) {
            /* e.g. 57P01 on a live socket: the server is going away */
            return rc;
        }

        rc = ax_db_pg_reset(db);
    }

    return rc;
}


static int
ax_db_pg_set_timeout(ax_db_t *db, int timeout_ms)
{
    int  rc;

    rc = ax_db_pg_ready(db);
    if (rc != AX_DB_OK) {
        return rc;
    }

    return ax_db_pg_apply_timeout(db, timeout_ms);
}


#endif /* AX_DB_NO_PG */
