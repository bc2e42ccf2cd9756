
/*
 * The core module: which database, the thread pool that talks to it, and
 * the status route.
 */

#include "ngx_http_arthexis.h"
#include <ax_dsn.h>


static void *ngx_http_arthexis_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_arthexis_init_main_conf(ngx_conf_t *cf, void *conf);
static char *ngx_http_arthexis_database(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_arthexis_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_arthexis_status_handler(ngx_http_request_t *r);
static void ngx_http_arthexis_status_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
static ngx_int_t ngx_http_arthexis_init_process(ngx_cycle_t *cycle);
static void ngx_http_arthexis_cleanup_dsn(void *data);


static ngx_command_t  ngx_http_arthexis_core_commands[] = {

    { ngx_string("arthexis_database"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_arthexis_database,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("arthexis_database_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_arthexis_main_conf_t, database_timeout),
      NULL },

    { ngx_string("arthexis_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_arthexis_main_conf_t, thread_pool_name),
      NULL },

    { ngx_string("arthexis_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_arthexis_status,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_core_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_arthexis_create_main_conf,    /* create main configuration */
    ngx_http_arthexis_init_main_conf,      /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_arthexis_core_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_core_module_ctx,    /* module context */
    ngx_http_arthexis_core_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_arthexis_init_process,        /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_arthexis_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_arthexis_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_arthexis_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->database = { 0, NULL };
     *     amcf->thread_pool_name = { 0, NULL };
     *     amcf->thread_pool = NULL;
     *     amcf->dsn = NULL;
     */

    amcf->database_timeout = NGX_CONF_UNSET_MSEC;

    return amcf;
}


static char *
ngx_http_arthexis_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_arthexis_main_conf_t  *amcf = conf;

    char                *dsn, *value, *prefix;
    char                 err[256];
    ngx_pool_cleanup_t  *cln;

    ngx_conf_init_msec_value(amcf->database_timeout, 5000);

    if (amcf->thread_pool_name.len == 0) {
        ngx_str_set(&amcf->thread_pool_name, "default");
    }

    amcf->thread_pool = ngx_thread_pool_add(cf, &amcf->thread_pool_name);
    if (amcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    value = NULL;

    if (amcf->database.len) {
        value = ngx_pnalloc(cf->pool, amcf->database.len + 1);
        if (value == NULL) {
            return NGX_CONF_ERROR;
        }

        (void) ngx_cpystrn((u_char *) value, amcf->database.data,
                           amcf->database.len + 1);
    }

    prefix = ngx_pnalloc(cf->pool, cf->cycle->prefix.len + 1);
    if (prefix == NULL) {
        return NGX_CONF_ERROR;
    }

    (void) ngx_cpystrn((u_char *) prefix, cf->cycle->prefix.data,
                       cf->cycle->prefix.len + 1);

    dsn = ax_dsn_resolve(value, prefix, err, sizeof(err));

    if (dsn == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid arthexis_database \"%V\": %s",
                           &amcf->database, err);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        free(dsn);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_arthexis_cleanup_dsn;
    cln->data = dsn;
    amcf->dsn = dsn;

    amcf->dsn_redacted = ax_dsn_redact(dsn);
    if (amcf->dsn_redacted == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        free(amcf->dsn_redacted);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_arthexis_cleanup_dsn;
    cln->data = amcf->dsn_redacted;

    return NGX_CONF_OK;
}


static void
ngx_http_arthexis_cleanup_dsn(void *data)
{
    free(data);
}


static char *
ngx_http_arthexis_database(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_arthexis_main_conf_t  *amcf = conf;

    char       *dsn, *value;
    char        err[256];
    ngx_str_t  *args;

    if (amcf->database.data) {
        return "is duplicate";
    }

    args = cf->args->elts;

    if (args[1].len == 0 || ngx_strlchr(args[1].data,
                                        args[1].data + args[1].len, '\0'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\"", &args[1]);
        return NGX_CONF_ERROR;
    }

    /* check the form now, so that nginx -t names the file and line */

    value = (char *) args[1].data;
    dsn = ax_dsn_resolve(value, "/", err, sizeof(err));

    if (dsn == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": %s", &args[1], err);
        return NGX_CONF_ERROR;
    }

    free(dsn);

    amcf->database = args[1];

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_arthexis_init_process(ngx_cycle_t *cycle)
{
    json_object_seed(0);

    ngx_http_arthexis_job_init_worker(cycle);

    return NGX_OK;
}


/* the status route: GET -> {"status":"ok","database":...,"migrations":N} */

static char *
ngx_http_arthexis_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_arthexis_status_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_arthexis_status_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                             "GET required");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_arthexis_job_request(r, ngx_http_arthexis_status_run,
                                         NULL, NULL);
}


static void
ngx_http_arthexis_status_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    int             rc;
    char            now[sizeof("2026-01-01T00:00:00Z")];
    time_t          t;
    struct tm       tm;
    ax_db_res_t    *res;
    ax_db_param_t   params[1];

    t = time(NULL);
    (void) gmtime_r(&t, &tm);
    (void) strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);

    ax_db_set_text(&params[0], ngx_strlen(now), now);

    /* a write and a read: the database is reachable and takes writes */

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    rc = ax_db_query(db, "UPDATE arthexis_health SET checked_at = $1 "
                         "WHERE id = 1", params, 1, NULL);

    if (rc == AX_DB_OK) {
        rc = ax_db_query(db, "SELECT count(*) FROM schema_migrations",
                         NULL, 0, &res);
    }

    if (rc == AX_DB_OK) {
        rc = ax_db_commit(db);

        if (rc != AX_DB_OK) {
            ax_db_res_free(res);
        }
    }

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        (void) ax_db_rollback(db);
        return;
    }

    ngx_http_arthexis_job_reply(job, NGX_HTTP_OK,
        json_pack("{s:s, s:s, s:I, s:s}",
                  "status", "ok",
                  "database", ax_db_engine(db) == AX_DB_SQLITE
                              ? "sqlite" : "postgresql",
                  "migrations", (json_int_t) ax_db_res_int(res, 0, 0),
                  "checked_at", now));

    ax_db_res_free(res);
}
