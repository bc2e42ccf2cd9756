
/*
 * The admin JSON API's internals, shared by the module (event loop) and
 * ngx_http_arthexis_admin.c (the jobs on the pool thread).
 */

#ifndef _NGX_HTTP_ARTHEXIS_ADMIN_INT_H_INCLUDED_
#define _NGX_HTTP_ARTHEXIS_ADMIN_INT_H_INCLUDED_


#include "ngx_http_arthexis_admin.h"


#define NGX_HTTP_ARTHEXIS_ADMIN_MAX_LEN      65535
#define NGX_HTTP_ARTHEXIS_ADMIN_PAGE_SIZE    50
#define NGX_HTTP_ARTHEXIS_ADMIN_MAX_PAGE     1000
/* hundredths: 10^13 kWh or currency units is plenty */
#define NGX_HTTP_ARTHEXIS_ADMIN_MAX_DECIMAL  999999999999999LL


typedef enum {
    NGX_HTTP_ARTHEXIS_ADMIN_OP_LIST = 1,
    NGX_HTTP_ARTHEXIS_ADMIN_OP_CREATE,
    NGX_HTTP_ARTHEXIS_ADMIN_OP_GET,
    NGX_HTTP_ARTHEXIS_ADMIN_OP_PUT,
    NGX_HTTP_ARTHEXIS_ADMIN_OP_PATCH,
    NGX_HTTP_ARTHEXIS_ADMIN_OP_DELETE
} ngx_http_arthexis_admin_op_e;


typedef enum {
    NGX_HTTP_ARTHEXIS_ADMIN_CHECK_NONE = 0,
    NGX_HTTP_ARTHEXIS_ADMIN_CHECK_UNIQUE,    /* no other row has it: 409 */
    NGX_HTTP_ARTHEXIS_ADMIN_CHECK_REF,       /* the row exists: 400 */
    NGX_HTTP_ARTHEXIS_ADMIN_CHECK_SAME       /* create-only unchanged: 400 */
} ngx_http_arthexis_admin_check_e;


typedef struct {
    ngx_http_arthexis_admin_check_e          kind;
    const ngx_http_arthexis_admin_field_t   *field;
    ax_db_param_t                            param;
    char                                    *sql;
} ngx_http_arthexis_admin_check_t;


typedef struct {
    ngx_array_t                              models;
} ngx_http_arthexis_admin_main_conf_t;


/* what the handler prepared for the job; in the request pool */
typedef struct {
    ngx_http_arthexis_admin_main_conf_t     *amcf;
    const ngx_http_arthexis_admin_model_t   *model;
    ngx_http_arthexis_admin_op_e             op;
    long long                                id;

    ngx_uint_t                              *given;     /* per field */
    ax_db_param_t                           *params;
    ngx_uint_t                               nparams;
    ngx_http_arthexis_admin_check_t         *checks;    /* kind 0 ends */

    char                                    *write_sql;   /* or NULL */
    char                                    *select_sql;  /* by id */
    char                                    *list_sql;
    char                                    *count_sql;
    long long                                page;
    long long                                page_size;

    /* the JSON error pages filter (any JSON location, not only admin) */
    unsigned                                 json_error:1;
    unsigned                                 json_sent:1;
} ngx_http_arthexis_admin_ctx_t;


const ngx_http_arthexis_admin_model_t *ngx_http_arthexis_admin_find(
    ngx_http_arthexis_admin_main_conf_t *amcf, u_char *name, size_t len);
char *ngx_http_arthexis_admin_select_sql(ngx_http_request_t *r,
    const ngx_http_arthexis_admin_model_t *m);

size_t ngx_http_arthexis_json_error_body(ngx_uint_t status, u_char *p);

/* jobs (ngx_http_arthexis_admin.c) */
void ngx_http_arthexis_admin_list_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
void ngx_http_arthexis_admin_get_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
void ngx_http_arthexis_admin_write_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
void ngx_http_arthexis_admin_delete_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);


#endif /* _NGX_HTTP_ARTHEXIS_ADMIN_INT_H_INCLUDED_ */
