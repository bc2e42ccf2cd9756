
/*
 * Database jobs on an nginx thread pool.
 *
 * A handler creates a job, posts it and returns NGX_DONE.  The job's run
 * function executes on a pool thread with that thread's own database
 * connection (opened on first use, after fork, with pending migrations
 * applied under the engine's lock); its completion handler then runs on the
 * event loop and, by default, sends the JSON reply that run prepared.
 */

#include "ngx_http_arthexis.h"
#include <ax_migrate.h>


extern const ax_migration_t  ax_migrations[];
extern const size_t          ax_migrations_n;


/* batchable jobs posted together as one thread task */
typedef struct {
    ngx_thread_task_t         *task;
    ngx_http_arthexis_job_t   *first;
    ngx_http_arthexis_job_t  **last;
    ngx_uint_t                 n;
    ngx_atomic_t               lock;      /* first, last, n, started */
    ngx_uint_t                 started;   /* a thread has taken it */
} ngx_http_arthexis_batch_t;


static ax_db_t *ngx_http_arthexis_thread_db(ngx_http_arthexis_job_t *job);
static void ngx_http_arthexis_job_thread_handler(void *data, ngx_log_t *log);
static void ngx_http_arthexis_job_event_handler(ngx_event_t *ev);
static void ngx_http_arthexis_job_complete(ngx_http_arthexis_job_t *job);
static ngx_int_t ngx_http_arthexis_job_request_as(ngx_http_request_t *r,
    ngx_http_arthexis_job_run_pt run, json_t *input, void *data,
    ngx_uint_t batch);
static ngx_int_t ngx_http_arthexis_job_post_batch(
    ngx_http_arthexis_job_t *job);
static void ngx_http_arthexis_batch_thread_handler(void *data,
    ngx_log_t *log);
static ngx_int_t ngx_http_arthexis_batch_run_group(
    ngx_http_arthexis_batch_t *b, ngx_log_t *log);
static void ngx_http_arthexis_job_reset(ngx_http_arthexis_job_t *job);
static void ngx_http_arthexis_batch_event_handler(ngx_event_t *ev);


/* the batch queued last and not yet taken by a thread (event loop only) */
static ngx_http_arthexis_batch_t  *ngx_http_arthexis_open_batch;
static void ngx_http_arthexis_warmup_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
static void ngx_http_arthexis_warmup_done(ngx_http_arthexis_job_t *job);


/* set in the worker before any job runs, read by the pool threads */
static char                *ngx_http_arthexis_dsn;
static char                *ngx_http_arthexis_dsn_redacted;
static int                  ngx_http_arthexis_timeout;
static ngx_thread_pool_t   *ngx_http_arthexis_pool;

/* each pool thread's connection */
static __thread ax_db_t    *ngx_http_arthexis_db;
static __thread time_t      ngx_http_arthexis_db_retry;


void
ngx_http_arthexis_job_init_worker(ngx_cycle_t *cycle)
{
    ngx_pool_t                     *pool;
    ngx_http_arthexis_job_t        *job;
    ngx_http_arthexis_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_arthexis_core_module);
    if (amcf == NULL || amcf->thread_pool == NULL) {
        return;
    }

    ngx_http_arthexis_dsn = amcf->dsn;
    ngx_http_arthexis_dsn_redacted = amcf->dsn_redacted;
    ngx_http_arthexis_timeout = (int) amcf->database_timeout;
    ngx_http_arthexis_pool = amcf->thread_pool;

    /* connect and migrate now rather than on the first request */

    pool = cycle->pool;

    job = ngx_http_arthexis_job_create(pool, cycle->log,
                                       ngx_http_arthexis_warmup_run);
    if (job == NULL) {
        return;
    }

    job->done = ngx_http_arthexis_warmup_done;

    (void) ngx_http_arthexis_job_post(job);
}


static void
ngx_http_arthexis_warmup_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    (void) job;
    (void) db;
}


static void
ngx_http_arthexis_warmup_done(ngx_http_arthexis_job_t *job)
{
    if (job->err[0] == '\0') {
        ngx_log_error(NGX_LOG_INFO, job->log, 0,
                      "arthexis: database \"%s\" ready",
                      ngx_http_arthexis_dsn_redacted);
    }
}


ngx_http_arthexis_job_t *
ngx_http_arthexis_job_create(ngx_pool_t *pool, ngx_log_t *log,
    ngx_http_arthexis_job_run_pt run)
{
    ngx_thread_task_t        *task;
    ngx_http_arthexis_job_t  *job;

    task = ngx_thread_task_alloc(pool, sizeof(ngx_http_arthexis_job_t));
    if (task == NULL) {
        return NULL;
    }

    job = task->ctx;
    job->run = run;
    job->log = log;
    job->err_level = NGX_LOG_ERR;

    task->handler = ngx_http_arthexis_job_thread_handler;
    task->event.handler = ngx_http_arthexis_job_event_handler;
    task->event.data = job;

    return job;
}


static ngx_thread_task_t *
ngx_http_arthexis_job_task(ngx_http_arthexis_job_t *job)
{
    /* ngx_thread_task_alloc() placed the job right after its task */
    return (ngx_thread_task_t *) ((u_char *) job - sizeof(ngx_thread_task_t));
}


ngx_int_t
ngx_http_arthexis_job_post(ngx_http_arthexis_job_t *job)
{
    ngx_thread_task_t  *task;

    if (ngx_http_arthexis_pool == NULL) {
        ngx_log_error(NGX_LOG_ALERT, job->log, 0,
                      "arthexis: no database thread pool in this worker");
        return NGX_ERROR;
    }

    if (job->batch) {
        return ngx_http_arthexis_job_post_batch(job);
    }

    task = ngx_http_arthexis_job_task(job);

    if (ngx_thread_task_post(ngx_http_arthexis_pool, task) != NGX_OK) {
        return NGX_ERROR;
    }

    if (job->request) {
        job->request->main->blocked++;
        job->request->main->count++;
    }

    return NGX_OK;
}


/*
 * The usual way in: runs `run` for the request, whose reply it sends.
 * Returns NGX_DONE, or the reply already sent when the pool is full.
 */

ngx_int_t
ngx_http_arthexis_job_request(ngx_http_request_t *r,
    ngx_http_arthexis_job_run_pt run, json_t *input, void *data)
{
    return ngx_http_arthexis_job_request_as(r, run, input, data, 0);
}


ngx_int_t
ngx_http_arthexis_job_request_batched(ngx_http_request_t *r,
    ngx_http_arthexis_job_run_pt run, json_t *input, void *data)
{
    return ngx_http_arthexis_job_request_as(r, run, input, data, 1);
}


static ngx_int_t
ngx_http_arthexis_job_request_as(ngx_http_request_t *r,
    ngx_http_arthexis_job_run_pt run, json_t *input, void *data,
    ngx_uint_t batch)
{
    ngx_http_arthexis_job_t  *job;

    job = ngx_http_arthexis_job_create(r->pool, r->connection->log, run);
    if (job == NULL) {
        json_decref(input);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->request = r;
    job->input = input;
    job->data = data;
    job->batch = batch;

    return ngx_http_arthexis_job_post_request(job);
}


/*
 * Posts a job made for job->request: NGX_DONE, or, when the queue is full,
 * what sending 503 {"detail":"database busy"} returned (the input is
 * released then).
 */

ngx_int_t
ngx_http_arthexis_job_post_request(ngx_http_arthexis_job_t *job)
{
    ngx_http_request_t  *r = job->request;

    if (ngx_http_arthexis_job_post(job) == NGX_OK) {
        return NGX_DONE;
    }

    json_decref(job->input);
    job->input = NULL;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "arthexis: database queue is full");

    return ngx_http_arthexis_send_detail(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "database busy");
}


static ax_db_t *
ngx_http_arthexis_thread_db(ngx_http_arthexis_job_t *job)
{
    int      rc, applied;
    time_t   now;
    char     err[200];
    ax_db_t  *db;

    if (ngx_http_arthexis_db != NULL) {
        return ngx_http_arthexis_db;
    }

    now = time(NULL);

    if (now < ngx_http_arthexis_db_retry) {
        ngx_snprintf((u_char *) job->err, sizeof(job->err) - 1,
                     "database \"%s\" unavailable, retrying soon%Z",
                     ngx_http_arthexis_dsn_redacted);
        return NULL;
    }

    err[0] = '\0';

    if (ax_db_open(&db, ngx_http_arthexis_dsn, ngx_http_arthexis_timeout,
                   err, sizeof(err))
        != AX_DB_OK)
    {
        ngx_http_arthexis_db_retry = now + 1;
        ngx_snprintf((u_char *) job->err, sizeof(job->err) - 1,
                     "cannot open database \"%s\": %s%Z",
                     ngx_http_arthexis_dsn_redacted, err);
        return NULL;
    }

    applied = 0;
    rc = ax_migrate_apply(db, ax_migrations, ax_migrations_n, &applied,
                          err, sizeof(err));

    if (rc != AX_DB_OK) {
        ax_db_close(db);
        ngx_http_arthexis_db_retry = now + 1;
        ngx_snprintf((u_char *) job->err, sizeof(job->err) - 1,
                     "migrations failed on \"%s\": %s%Z",
                     ngx_http_arthexis_dsn_redacted, err);
        return NULL;
    }

    if (applied) {
        job->err_level = NGX_LOG_NOTICE;
        ngx_snprintf((u_char *) job->err, sizeof(job->err) - 1,
                     "applied %d migration(s) to \"%s\"%Z",
                     applied, ngx_http_arthexis_dsn_redacted);
    }

    ngx_http_arthexis_db = db;

    return db;
}


/*
 * A connection of its own, opened here and now: only for a worker that is
 * exiting (its thread pool is gone and nothing else is served any more).
 */

ax_db_t *
ngx_http_arthexis_db_open_sync(ngx_log_t *log)
{
    char      err[200];
    ax_db_t  *db;

    if (ngx_http_arthexis_dsn == NULL) {
        return NULL;
    }

    if (ax_db_open(&db, ngx_http_arthexis_dsn, ngx_http_arthexis_timeout,
                   err, sizeof(err))
        != AX_DB_OK)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "arthexis: cannot open database \"%s\": %s",
                      ngx_http_arthexis_dsn_redacted, err);
        return NULL;
    }

    return db;
}


static void
ngx_http_arthexis_job_thread_handler(void *data, ngx_log_t *log)
{
    ngx_http_arthexis_job_t  *job = data;

    ax_db_t  *db;

    db = ngx_http_arthexis_thread_db(job);

    if (db == NULL) {
        job->err_level = NGX_LOG_ERR;
        ngx_http_arthexis_job_detail(job, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     "database unavailable");
        return;
    }

    job->run(job, db);

    if (job->status == 0) {
        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "no reply");
    }
}


void
ngx_http_arthexis_job_reply(ngx_http_arthexis_job_t *job, ngx_uint_t status,
    json_t *body)
{
    free(job->body);

    job->status = status;
    job->body = ax_json_dump(body, &job->body_len);

    json_decref(body);

    if (job->body == NULL) {
        job->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        job->body_len = 0;
    }
}


void
ngx_http_arthexis_job_detail(ngx_http_arthexis_job_t *job, ngx_uint_t status,
    const char *detail)
{
    free(job->body);

    job->status = status;
    job->body = ax_json_detail(detail, &job->body_len);

    if (job->body == NULL) {
        job->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        job->body_len = 0;
    }
}


void
ngx_http_arthexis_job_db_error(ngx_http_arthexis_job_t *job, ax_db_t *db,
    int rc)
{
    job->err_level = NGX_LOG_ERR;
    ngx_snprintf((u_char *) job->err, sizeof(job->err) - 1, "database: %s%Z",
                 ax_db_errmsg(db));

    switch (rc) {

    case AX_DB_BUSY:
        ngx_http_arthexis_job_detail(job, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     "database busy");
        break;

    case AX_DB_DOWN:
        /* reconnect on the next job */
        ax_db_close(db);
        ngx_http_arthexis_db = NULL;
        ngx_http_arthexis_job_detail(job, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     "database unavailable");
        break;

    case AX_DB_CONSTRAINT:
        job->err_level = NGX_LOG_INFO;
        ngx_http_arthexis_job_detail(job, NGX_HTTP_CONFLICT,
                                     "conflicts with an existing record");
        break;

    default:
        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "database error");
    }
}


static void
ngx_http_arthexis_job_event_handler(ngx_event_t *ev)
{
    ngx_http_arthexis_job_complete(ev->data);
}


static void
ngx_http_arthexis_job_complete(ngx_http_arthexis_job_t *job)
{
    char                *body;
    json_t              *input;
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    if (job->err[0] != '\0') {
        ngx_log_error(job->err_level, job->log, 0, "arthexis: %s", job->err);
    }

    /* the job lives in the request's pool: keep what must be released
     * after the request may have been finalized */

    body = job->body;
    input = job->input;
    r = job->request;

    if (r == NULL) {
        if (job->done) {
            job->done(job);
        }

        free(body);
        json_decref(input);
        return;
    }

    c = r->connection;
    r->main->blocked--;

    if (job->done) {
        job->done(job);

    } else {
        if (body == NULL) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

        } else {
            rc = ngx_http_arthexis_send_json(r, job->status, body,
                                             job->body_len);
        }

        ngx_http_finalize_request(r, rc);
    }

    free(body);
    json_decref(input);

    ngx_http_run_posted_requests(c);
}


/*
 * Batches: while the batch queued last has not been taken by a thread
 * (every thread is busy), a batchable job joins it instead of queueing a
 * task of its own; the thread that takes it runs its jobs in turn, and one
 * completion finishes them all.  The event loop appends and the thread
 * takes under the batch's spinlock; everything else about a batch (the
 * open batch pointer, its memory) belongs to the event loop.
 */

static ngx_int_t
ngx_http_arthexis_job_post_batch(ngx_http_arthexis_job_t *job)
{
    ngx_uint_t                  joined;
    ngx_thread_task_t          *task;
    ngx_http_arthexis_batch_t  *b;

    job->next = NULL;
    b = ngx_http_arthexis_open_batch;

    if (b != NULL && b->n < NGX_HTTP_ARTHEXIS_BATCH_MAX) {
        ngx_spinlock(&b->lock, 1, 2048);

        joined = !b->started;

        if (joined) {
            *b->last = job;
            b->last = &job->next;
            b->n++;
        }

        ngx_memory_barrier();
        ngx_unlock(&b->lock);

        if (joined) {
            goto posted;
        }
    }

    task = ngx_calloc(sizeof(ngx_thread_task_t)
                      + sizeof(ngx_http_arthexis_batch_t), job->log);
    if (task == NULL) {
        return NGX_ERROR;
    }

    b = (ngx_http_arthexis_batch_t *) (task + 1);
    b->task = task;
    b->first = job;
    b->last = &job->next;
    b->n = 1;

    task->ctx = b;
    task->handler = ngx_http_arthexis_batch_thread_handler;
    task->event.handler = ngx_http_arthexis_batch_event_handler;
    task->event.data = b;

    if (ngx_thread_task_post(ngx_http_arthexis_pool, task) != NGX_OK) {
        ngx_free(task);
        return NGX_ERROR;
    }

    ngx_http_arthexis_open_batch = b;

posted:

    if (job->request) {
        job->request->main->blocked++;
        job->request->main->count++;
    }

    return NGX_OK;
}


static void
ngx_http_arthexis_batch_thread_handler(void *data, ngx_log_t *log)
{
    ngx_http_arthexis_batch_t  *b = data;

    ngx_uint_t                grouped;
    ngx_http_arthexis_job_t  *job;

    ngx_spinlock(&b->lock, 1, 2048);
    b->started = 1;
    ngx_memory_barrier();
    ngx_unlock(&b->lock);

    grouped = (ngx_http_arthexis_batch_run_group(b, log) == NGX_OK);

    for (job = b->first; job; job = job->next) {
        if (!(grouped && job->group)) {
            ngx_http_arthexis_job_thread_handler(job, log);
        }
    }
}


/*
 * Group commit: the batch's group jobs in one transaction, so that one
 * COMMIT (one fsync) serves them all.  NGX_DECLINED when there is no
 * group, or when it failed and was rolled back: then each job runs alone.
 */

static ngx_int_t
ngx_http_arthexis_batch_run_group(ngx_http_arthexis_batch_t *b,
    ngx_log_t *log)
{
    int                       rc;
    char                      why[128];
    ax_db_t                  *db;
    ngx_uint_t                n;
    ngx_http_arthexis_job_t  *job, *first;

    n = 0;
    first = NULL;

    for (job = b->first; job; job = job->next) {
        if (job->group) {
            first = first ? first : job;
            n++;
        }
    }

    if (n < 2) {
        return NGX_DECLINED;
    }

    db = ngx_http_arthexis_thread_db(first);

    if (db == NULL || ax_db_group_begin(db) != AX_DB_OK) {
        return NGX_DECLINED;
    }

    why[0] = '\0';

    for (job = b->first; job; job = job->next) {
        if (!job->group) {
            continue;
        }

        job->run(job, db);

        if (ax_db_group_failed(db)) {
            ngx_cpystrn((u_char *) why, (u_char *) ax_db_errmsg(db),
                        sizeof(why));
            break;
        }
    }

    rc = ax_db_group_commit(db);

    if (rc != AX_DB_OK) {
        /* the pool threads may log, as nginx's own do */
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "arthexis: %ui jobs that shared a transaction run "
                      "again one by one: %s", n,
                      why[0] ? why : ax_db_errmsg(db));

        for (job = b->first; job; job = job->next) {
            if (job->group) {
                ngx_http_arthexis_job_reset(job);
            }
        }

        return NGX_DECLINED;
    }

    for (job = b->first; job; job = job->next) {
        if (job->group && job->status == 0) {
            ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                         "no reply");
        }
    }

    return NGX_OK;
}


/* a group job's outcome is forgotten before it runs again */

static void
ngx_http_arthexis_job_reset(ngx_http_arthexis_job_t *job)
{
    free(job->body);

    job->body = NULL;
    job->body_len = 0;
    job->status = 0;
    job->err_level = NGX_LOG_ERR;
    job->err[0] = '\0';
}


static void
ngx_http_arthexis_batch_event_handler(ngx_event_t *ev)
{
    ngx_http_arthexis_batch_t  *b = ev->data;

    ngx_http_arthexis_job_t  *job, *next;

    if (ngx_http_arthexis_open_batch == b) {
        ngx_http_arthexis_open_batch = NULL;
    }

    /* a job lives in its request's pool: take the next one first */

    for (job = b->first; job; job = next) {
        next = job->next;
        ngx_http_arthexis_job_complete(job);
    }

    ngx_free(b->task);
}
