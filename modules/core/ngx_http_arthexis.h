
/*
 * The core of arthexis-nginx: what every app module uses.
 *
 *   - the database: a job runs SQL on a thread of an nginx thread pool,
 *     with one connection per thread; its completion handler answers the
 *     request on the event loop;
 *   - JSON requests and responses in the seed's shapes.
 */

#ifndef _NGX_HTTP_ARTHEXIS_H_INCLUDED_
#define _NGX_HTTP_ARTHEXIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <ax_db.h>
#include <ax_json.h>


typedef struct {
    ngx_str_t                  database;
    ngx_msec_t                 database_timeout;
    ngx_str_t                  thread_pool_name;
    ngx_thread_pool_t         *thread_pool;
    char                      *dsn;             /* resolved, for ax_db */
    char                      *dsn_redacted;    /* for logs */
} ngx_http_arthexis_main_conf_t;


typedef struct ngx_http_arthexis_job_s  ngx_http_arthexis_job_t;

/* runs on a pool thread: may use db, malloc and jansson, never pools,
 * never shared memory locks, never the request */
typedef void (*ngx_http_arthexis_job_run_pt)(ngx_http_arthexis_job_t *job,
    ax_db_t *db);

/* runs on the event loop once the job is done; for a request it must
 * finalize it; body and input are released after it returns */
typedef void (*ngx_http_arthexis_job_done_pt)(ngx_http_arthexis_job_t *job);


struct ngx_http_arthexis_job_s {
    ngx_http_request_t             *request;   /* NULL: not for a request */
    ngx_http_arthexis_job_run_pt    run;
    ngx_http_arthexis_job_done_pt   done;      /* NULL: send the reply */
    void                           *data;
    json_t                         *input;     /* released after done */
    ngx_log_t                      *log;

    /* the reply, set by run */
    ngx_uint_t                      status;
    char                           *body;      /* malloc'd, freed after done */
    size_t                          body_len;

    /* a failure to log on the event loop, set by run */
    ngx_uint_t                      err_level;
    char                            err[256];

    /* may share a pool thread's turn with other such jobs when the
     * threads are busy (see ngx_http_arthexis_job_request_batched) */
    unsigned                        batch:1;

    /* with batch: also shares one database transaction with the other
     * group jobs of its batch (group commit, ax_db_group_begin()).  When
     * that transaction fails, run is called again, alone: it must set
     * its whole outcome each time, and its own transaction (if any) is
     * ax_db_begin() .. ax_db_commit() as usual */
    unsigned                        group:1;
    ngx_http_arthexis_job_t        *next;
};


extern ngx_module_t  ngx_http_arthexis_core_module;


/* jobs (ngx_http_arthexis_job.c) */

ngx_http_arthexis_job_t *ngx_http_arthexis_job_create(ngx_pool_t *pool,
    ngx_log_t *log, ngx_http_arthexis_job_run_pt run);
ngx_int_t ngx_http_arthexis_job_post(ngx_http_arthexis_job_t *job);
/* the same for a job with job->request set: NGX_DONE, or the 503
 * "database busy" already sent when the queue is full */
ngx_int_t ngx_http_arthexis_job_post_request(ngx_http_arthexis_job_t *job);
ngx_int_t ngx_http_arthexis_job_request(ngx_http_request_t *r,
    ngx_http_arthexis_job_run_pt run, json_t *input, void *data);
/*
 * The same for short jobs (a few queries, no waiting on anything else):
 * while every pool thread is busy, such jobs join the one queued before
 * them, up to NGX_HTTP_ARTHEXIS_BATCH_MAX, and a thread runs them in turn,
 * so that a loaded worker pays one hand-off (mutex, wake-up, eventfd) for
 * several requests.  Set job->batch before ngx_http_arthexis_job_post()
 * for the same with a job of one's own.
 */
ngx_int_t ngx_http_arthexis_job_request_batched(ngx_http_request_t *r,
    ngx_http_arthexis_job_run_pt run, json_t *input, void *data);

#define NGX_HTTP_ARTHEXIS_BATCH_MAX  16
void ngx_http_arthexis_job_init_worker(ngx_cycle_t *cycle);
ax_db_t *ngx_http_arthexis_db_open_sync(ngx_log_t *log);

/* on the pool thread: the reply, taking ownership of body */
void ngx_http_arthexis_job_reply(ngx_http_arthexis_job_t *job,
    ngx_uint_t status, json_t *body);
void ngx_http_arthexis_job_detail(ngx_http_arthexis_job_t *job,
    ngx_uint_t status, const char *detail);
/* a failed ax_db call: 503 when busy or down, 409 on a constraint, else
 * 500; the driver's message goes to the error log, not to the client */
void ngx_http_arthexis_job_db_error(ngx_http_arthexis_job_t *job,
    ax_db_t *db, int rc);


/* JSON over HTTP (ngx_http_arthexis_json.c) */

ngx_int_t ngx_http_arthexis_send_json(ngx_http_request_t *r,
    ngx_uint_t status, const char *body, size_t len);
ngx_int_t ngx_http_arthexis_send_detail(ngx_http_request_t *r,
    ngx_uint_t status, const char *detail);
ngx_int_t ngx_http_arthexis_send_value(ngx_http_request_t *r,
    ngx_uint_t status, json_t *value);

/*
 * Reads the body (JSON, or form data as in the seed), then calls handler
 * with the parsed object.  Returns what a content handler returns.  Bad
 * bodies are answered here (400, 413, 415).
 */
typedef ngx_int_t (*ngx_http_arthexis_body_pt)(ngx_http_request_t *r,
    json_t *input);

ngx_int_t ngx_http_arthexis_read_json(ngx_http_request_t *r,
    ngx_http_arthexis_body_pt handler);

/* a query string argument as a NUL-terminated, unescaped string */
char *ngx_http_arthexis_arg(ngx_http_request_t *r, const char *name,
    size_t len);


#endif /* _NGX_HTTP_ARTHEXIS_H_INCLUDED_ */
