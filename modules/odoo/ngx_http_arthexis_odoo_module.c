
/*
 * The Odoo app (the seed's odoo): instances with their credentials, and
 * /odoo/test/<id>/, which checks that an instance authenticates.
 *
 * A test runs in three steps, none of which blocks the event loop:
 *
 *   1. a database job loads the instance on a pool thread and builds the
 *      two XML-RPC calls there (the password never leaves that job but
 *      inside the authenticate call);
 *   2. curl, driven by the event loop (ngx_http_arthexis_curl.c), posts
 *      version() to <url>/xmlrpc/2/common: a server that does not answer
 *      it as XML-RPC never sees the credentials;
 *   3. then authenticate(db, username, password, {}), as the seed did: a
 *      uid means success, false means invalid credentials.
 *
 * odoo_timeout bounds the whole exchange; odoo_allowed_hosts says which
 * addresses curl may connect to (public ones only by default).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_arthexis.h"
#include "ngx_http_arthexis_admin.h"
#include "ngx_http_arthexis_curl.h"
#include "ax_odoo.h"
#include <ax_xmlrpc.h>


#define NGX_HTTP_ARTHEXIS_ODOO_VERSION       0
#define NGX_HTTP_ARTHEXIS_ODOO_AUTHENTICATE  1

#define NGX_HTTP_ARTHEXIS_ODOO_DETAIL_MAX    400


typedef struct {
    ngx_msec_t                          timeout;
    ngx_http_arthexis_curl_allow_t     *allow;
} ngx_http_arthexis_odoo_loc_conf_t;


typedef struct {
    ngx_http_request_t                 *request;
    ngx_http_arthexis_odoo_loc_conf_t  *conf;
    long long                           id;
    ngx_http_arthexis_curl_t           *curl;
    ngx_msec_t                          deadline;
    ngx_uint_t                          step;
    char                               *server_version;   /* r->pool */

    /* written by the job on its thread (malloc), freed with the request */
    char                               *endpoint;
    char                               *version_call;
    size_t                              version_len;
    char                               *auth_call;
    size_t                              auth_len;
    char                               *password;
} ngx_http_arthexis_odoo_ctx_t;


static ngx_int_t ngx_http_arthexis_odoo_init(ngx_conf_t *cf);
static const char *ngx_http_arthexis_odoo_check_text(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v);
static const char *ngx_http_arthexis_odoo_check_url(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v);
static ngx_int_t ngx_http_arthexis_odoo_init_process(ngx_cycle_t *cycle);
static void ngx_http_arthexis_odoo_exit_process(ngx_cycle_t *cycle);
static void *ngx_http_arthexis_odoo_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_arthexis_odoo_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_arthexis_odoo_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_arthexis_odoo_check_timeout(ngx_conf_t *cf,
    void *post, void *data);
static ngx_int_t ngx_http_arthexis_odoo_route(ngx_http_request_t *r,
    long long *id);
static ngx_int_t ngx_http_arthexis_odoo_handler(ngx_http_request_t *r);
static void ngx_http_arthexis_odoo_cleanup(void *data);
static void ngx_http_arthexis_odoo_load(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
static void ngx_http_arthexis_odoo_loaded(ngx_http_arthexis_job_t *job);
static ngx_int_t ngx_http_arthexis_odoo_call(
    ngx_http_arthexis_odoo_ctx_t *ctx);
static void ngx_http_arthexis_odoo_answered(ngx_http_arthexis_curl_t *t);
static ngx_int_t ngx_http_arthexis_odoo_transport(
    ngx_http_arthexis_odoo_ctx_t *ctx, ngx_http_arthexis_curl_t *t,
    u_char *detail, size_t size, ngx_uint_t *status);
static void ngx_http_arthexis_odoo_fault(json_t *fault,
    const char *password, u_char *detail, size_t size);
static void ngx_http_arthexis_odoo_finish(ngx_http_arthexis_odoo_ctx_t *ctx,
    ngx_uint_t status, u_char *detail, long long uid);
static u_char *ngx_http_arthexis_odoo_scrub(u_char *dst, u_char *last,
    const u_char *src, size_t len, const char *secret);


static ngx_conf_post_handler_pt  ngx_http_arthexis_odoo_timeout_post =
    ngx_http_arthexis_odoo_check_timeout;


static ngx_command_t  ngx_http_arthexis_odoo_commands[] = {

    { ngx_string("odoo_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_arthexis_odoo_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("odoo_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_odoo_loc_conf_t, timeout),
      &ngx_http_arthexis_odoo_timeout_post },

    { ngx_string("odoo_allowed_hosts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_arthexis_curl_allow_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_odoo_loc_conf_t, allow),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_odoo_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_arthexis_odoo_init,           /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_arthexis_odoo_create_loc_conf,  /* create location conf */
    ngx_http_arthexis_odoo_merge_loc_conf    /* merge location conf */
};


ngx_module_t  ngx_http_arthexis_odoo_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_odoo_module_ctx,    /* module context */
    ngx_http_arthexis_odoo_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_arthexis_odoo_init_process,   /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_arthexis_odoo_exit_process,   /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the admin model: /admin/api/odoo_instances/, the password write-only */

static const ngx_http_arthexis_admin_field_t
    ngx_http_arthexis_odoo_fields[] =
{
    { ngx_string("name"), "name", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_ODOO_NAME_MAX, 0, 0, ngx_http_arthexis_odoo_check_text,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    { ngx_string("url"), "url", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_ODOO_URL_MAX, 0, 0, ngx_http_arthexis_odoo_check_url,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    { ngx_string("database"), "database", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_ODOO_DATABASE_MAX, 0, 0, ngx_http_arthexis_odoo_check_text,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    { ngx_string("username"), "username", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_ODOO_USERNAME_MAX, 0, 0, ngx_http_arthexis_odoo_check_text,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    { ngx_string("password"), "password", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_ODOO_PASSWORD_MAX, 0, 0, ngx_http_arthexis_odoo_check_text,
      NGX_HTTP_ARTHEXIS_ADMIN_WRITE_ONLY },

    ngx_http_arthexis_admin_null_field
};


static const ngx_http_arthexis_admin_model_t  ngx_http_arthexis_odoo_model = {
    ngx_string("odoo_instances"), "odoo_instances",
    ngx_http_arthexis_odoo_fields, "name", NULL, NULL
};


static ngx_int_t
ngx_http_arthexis_odoo_init(ngx_conf_t *cf)
{
    return ngx_http_arthexis_admin_register(cf,
                                            &ngx_http_arthexis_odoo_model);
}


static const char *
ngx_http_arthexis_odoo_check_text(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v)
{
    u_char  *p, *last;

    last = v->s.data + v->s.len;

    for (p = v->s.data; p < last; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return "must not contain control characters";
        }
    }

    return NULL;
}


static const char *
ngx_http_arthexis_odoo_check_url(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v)
{
    char    *url, *msg;
    char     err[160];
    size_t   len;

    url = ngx_pnalloc(r->pool, v->s.len + 1);
    if (url == NULL) {
        return "cannot be checked";
    }

    ngx_memcpy(url, v->s.data, v->s.len);
    url[v->s.len] = '\0';

    /* the admin API hands over no NUL bytes */

    if (ax_xmlrpc_check_url(url, err, sizeof(err)) == 0) {
        return NULL;
    }

    len = ngx_strlen(err);

    msg = ngx_pnalloc(r->pool, len + 1);
    if (msg == NULL) {
        return "is not a valid URL";
    }

    ngx_memcpy(msg, err, len + 1);

    return msg;
}


static ngx_int_t
ngx_http_arthexis_odoo_init_process(ngx_cycle_t *cycle)
{
    return ngx_http_arthexis_curl_init_process(cycle);
}


static void
ngx_http_arthexis_odoo_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_arthexis_curl_exit_process(cycle);
}


static void *
ngx_http_arthexis_odoo_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_arthexis_odoo_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_arthexis_odoo_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->timeout = NGX_CONF_UNSET_MSEC;
    conf->allow = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_arthexis_odoo_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_arthexis_odoo_loc_conf_t  *prev = parent;
    ngx_http_arthexis_odoo_loc_conf_t  *conf = child;

    ngx_conf_merge_msec_value(conf->timeout, prev->timeout, 10000);
    ngx_conf_merge_ptr_value(conf->allow, prev->allow,
                             &ngx_http_arthexis_curl_allow_public);

    return NGX_CONF_OK;
}


static char *
ngx_http_arthexis_odoo_check_timeout(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *timeout = data;

    if (*timeout == 0) {
        return "must be more than 0";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_arthexis_odoo_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_arthexis_odoo_handler;

    return NGX_CONF_OK;
}


/*
 * The route: what follows the location's prefix must be "test/<id>/"
 * (the final slash optional); under a regex location, the URI must end
 * with "/test/<id>/".
 */

static ngx_int_t
ngx_http_arthexis_odoo_route(ngx_http_request_t *r, long long *id)
{
    u_char                    *p, *last, *digits;
    ngx_int_t                  n;
    ngx_http_core_loc_conf_t  *clcf;

    p = r->uri.data;
    last = p + r->uri.len;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->name.len && r->uri.len >= clcf->name.len
#if (NGX_PCRE)
        && clcf->regex == NULL
#endif
        && ngx_strncmp(p, clcf->name.data, clcf->name.len) == 0)
    {
        p += clcf->name.len;

        if (p < last && *p == '/') {
            p++;
        }

    } else {
        /* the last "/test/" */
        for (n = (ngx_int_t) r->uri.len - 6; n >= 0; n--) {
            if (ngx_strncmp(p + n, "/test/", 6) == 0) {
                break;
            }
        }

        if (n < 0) {
            return NGX_DECLINED;
        }

        p += n + 1;
    }

    if (last - p < 6 || ngx_strncmp(p, "test/", 5) != 0) {
        return NGX_DECLINED;
    }

    p += 5;

    if (last[-1] == '/') {
        last--;
    }

    for (digits = p; digits < last; digits++) {
        if (*digits < '0' || *digits > '9') {
            return NGX_DECLINED;
        }
    }

    if (last - p == 0 || last - p > 18) {
        return NGX_DECLINED;
    }

    n = ngx_atoof(p, last - p);

    if (n <= 0) {
        return NGX_DECLINED;
    }

    *id = (long long) n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_arthexis_odoo_handler(ngx_http_request_t *r)
{
    long long                       id;
    ngx_int_t                       rc;
    ngx_pool_cleanup_t             *cln;
    ngx_http_arthexis_job_t        *job;
    ngx_http_arthexis_odoo_ctx_t   *ctx;

    if (ngx_http_arthexis_odoo_route(r, &id) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_FOUND,
                                             "not found");
    }

    /* the seed's view answered GET as well as POST */

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_POST))) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                             "GET or POST required");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_arthexis_odoo_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_arthexis_odoo_cleanup;
    cln->data = ctx;

    ctx->request = r;
    ctx->conf = ngx_http_get_module_loc_conf(r,
                                             ngx_http_arthexis_odoo_module);
    ctx->id = id;

    job = ngx_http_arthexis_job_create(r->pool, r->connection->log,
                                       ngx_http_arthexis_odoo_load);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->request = r;
    job->data = ctx;
    job->done = ngx_http_arthexis_odoo_loaded;

    rc = ngx_http_arthexis_job_post_request(job);
    if (rc != NGX_DONE) {
        return rc;
    }

    /* a client that goes away ends the request, and with it the transfer
     * (unless the body is still being discarded: that handler sees it) */

    if (!r->discard_body) {
        r->read_event_handler = ngx_http_test_reading;
    }

    return NGX_DONE;
}


static void
ngx_http_arthexis_odoo_cleanup(void *data)
{
    ngx_http_arthexis_odoo_ctx_t  *ctx = data;

    /* registered before the transfer's cleanup, so it runs after it: curl
     * no longer reads the calls */

    if (ctx->auth_call) {
        ngx_explicit_memzero(ctx->auth_call, ctx->auth_len);
        free(ctx->auth_call);
        ctx->auth_call = NULL;
    }

    if (ctx->password) {
        ngx_explicit_memzero(ctx->password, ngx_strlen(ctx->password));
        free(ctx->password);
        ctx->password = NULL;
    }

    free(ctx->version_call);
    free(ctx->endpoint);
    ctx->version_call = NULL;
    ctx->endpoint = NULL;
}


/* on a pool thread: the instance, and the calls to make */

static void
ngx_http_arthexis_odoo_load(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_odoo_ctx_t  *ctx = job->data;

    int             rc;
    char            err[128];
    json_t         *params;
    ax_db_res_t    *res;
    const char     *url, *database, *username, *password;
    ax_db_param_t   p[1];

    ax_db_set_int(&p[0], ctx->id);

    rc = ax_db_query(db, "SELECT url, database, username, password "
                         "FROM odoo_instances WHERE id = $1", p, 1, &res);

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    if (ax_db_res_rows(res) == 0) {
        ax_db_res_free(res);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_NOT_FOUND, "not found");
        return;
    }

    url = ax_db_res_value(res, 0, 0, NULL);
    database = ax_db_res_value(res, 0, 1, NULL);
    username = ax_db_res_value(res, 0, 2, NULL);
    password = ax_db_res_value(res, 0, 3, NULL);

    if (ax_xmlrpc_check_url(url, err, sizeof(err)) != 0) {
        ax_db_res_free(res);
        job->err_level = NGX_LOG_WARN;
        ngx_snprintf((u_char *) job->err, sizeof(job->err) - 1,
                     "odoo: instance %L has an invalid url: %s%Z",
                     ctx->id, err);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_BAD_GATEWAY,
                                     "the instance's url is not valid");
        return;
    }

    params = json_pack("[s, s, s, {}]", database, username, password);

    ctx->endpoint = ax_xmlrpc_endpoint(url, AX_ODOO_COMMON_PATH);
    ctx->password = strdup(password);

    if (params != NULL) {
        ctx->auth_call = ax_xmlrpc_call("authenticate", params,
                                        &ctx->auth_len, err, sizeof(err));
        json_decref(params);
    }

    ctx->version_call = ax_xmlrpc_call("version", NULL, &ctx->version_len,
                                       err, sizeof(err));

    ax_db_res_free(res);

    if (ctx->endpoint == NULL || ctx->password == NULL
        || ctx->auth_call == NULL || ctx->version_call == NULL)
    {
        /* stored fields hold no control characters: out of memory */
        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "cannot prepare the test");
        return;
    }

    job->status = NGX_HTTP_OK;
}


/* on the event loop: the instance is loaded, the exchange begins */

static void
ngx_http_arthexis_odoo_loaded(ngx_http_arthexis_job_t *job)
{
    ngx_http_arthexis_odoo_ctx_t  *ctx = job->data;

    ngx_int_t                  rc;
    ngx_http_request_t        *r;
    ngx_http_arthexis_curl_t  *t;

    r = job->request;

    if (r->connection->error) {
        /* the client went away while the job ran */
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    if (job->status != NGX_HTTP_OK) {
        rc = job->body ? ngx_http_arthexis_send_json(r, job->status,
                                                     job->body,
                                                     job->body_len)
                       : NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_http_finalize_request(r, rc);
        return;
    }

    t = ngx_http_arthexis_curl_create(r->pool, r->connection->log);
    if (t == NULL) {
        goto failed;
    }

    t->done = ngx_http_arthexis_odoo_answered;
    t->data = ctx;
    t->allow = ctx->conf->allow;
    t->headers = curl_slist_append(NULL, "Content-Type: text/xml");

    if (t->headers == NULL
        || curl_easy_setopt(t->easy, CURLOPT_URL, ctx->endpoint) != CURLE_OK)
    {
        goto failed;
    }

    ctx->curl = t;
    ctx->deadline = ngx_current_msec + ctx->conf->timeout;
    ctx->step = NGX_HTTP_ARTHEXIS_ODOO_VERSION;

    if (ngx_http_arthexis_odoo_call(ctx) != NGX_OK) {
        goto failed;
    }

    /* the job's reference to the request now waits for curl */

    return;

failed:

    ngx_http_finalize_request(r,
        ngx_http_arthexis_send_detail(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot start the test"));
}


/* NGX_DECLINED: no time left */

static ngx_int_t
ngx_http_arthexis_odoo_call(ngx_http_arthexis_odoo_ctx_t *ctx)
{
    char                      *body;
    size_t                     len;
    ngx_msec_int_t             left;
    ngx_http_arthexis_curl_t  *t;

    t = ctx->curl;

    if (ctx->step == NGX_HTTP_ARTHEXIS_ODOO_VERSION) {
        body = ctx->version_call;
        len = ctx->version_len;

    } else {
        body = ctx->auth_call;
        len = ctx->auth_len;
    }

    left = (ngx_msec_int_t) (ctx->deadline - ngx_current_msec);

    if (left <= 0) {
        return NGX_DECLINED;
    }

    if (curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long) len)
           != CURLE_OK
        || curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, body) != CURLE_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_arthexis_curl_start(t, (ngx_msec_t) left);
}


static void
ngx_http_arthexis_odoo_answered(ngx_http_arthexis_curl_t *t)
{
    ngx_http_arthexis_odoo_ctx_t  *ctx = t->data;

    int          rc;
    char         err[160];
    json_t      *v, *sv;
    u_char       detail[NGX_HTTP_ARTHEXIS_ODOO_DETAIL_MAX];
    ngx_int_t    n;
    ngx_uint_t   status;
    long long    uid;

    status = NGX_HTTP_BAD_GATEWAY;
    uid = 0;

    if (ngx_http_arthexis_odoo_transport(ctx, t, detail, sizeof(detail),
                                         &status)
        != NGX_OK)
    {
        goto done;
    }

    err[0] = '\0';
    rc = ax_xmlrpc_parse_response((char *) t->body, t->len, &v, err,
                                  sizeof(err));

    if (rc == AX_XMLRPC_ERROR) {
        ngx_snprintf(detail, sizeof(detail) - 1,
                     "malformed XML-RPC answer: %s%Z", err);
        goto done;
    }

    if (rc == AX_XMLRPC_FAULT) {
        ngx_http_arthexis_odoo_fault(v, ctx->password, detail,
                                     sizeof(detail));
        json_decref(v);
        goto done;
    }

    if (ctx->step == NGX_HTTP_ARTHEXIS_ODOO_VERSION) {

        if (!json_is_object(v)) {
            json_decref(v);
            ngx_snprintf(detail, sizeof(detail) - 1,
                         "unexpected answer to version()%Z");
            goto done;
        }

        sv = json_object_get(v, "server_version");

        if (json_is_string(sv)) {
            ctx->server_version = ngx_pnalloc(ctx->request->pool,
                                              json_string_length(sv) + 1);
            if (ctx->server_version == NULL) {
                json_decref(v);
                status = NGX_HTTP_INTERNAL_SERVER_ERROR;
                ngx_snprintf(detail, sizeof(detail) - 1, "out of memory%Z");
                goto done;
            }

            ngx_memcpy(ctx->server_version, json_string_value(sv),
                       json_string_length(sv) + 1);
        }

        json_decref(v);

        ctx->step = NGX_HTTP_ARTHEXIS_ODOO_AUTHENTICATE;

        n = ngx_http_arthexis_odoo_call(ctx);

        if (n == NGX_OK) {
            return;
        }

        if (n == NGX_DECLINED) {
            ngx_snprintf(detail, sizeof(detail) - 1,
                         "no answer from Odoo within %M ms%Z",
                         ctx->conf->timeout);

        } else {
            status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            ngx_snprintf(detail, sizeof(detail) - 1,
                         "cannot continue the test%Z");
        }

        goto done;
    }

    /* authenticate: a uid, or false (Python's truth, as the seed) */

    if (json_is_integer(v) && json_integer_value(v) != 0) {
        uid = (long long) json_integer_value(v);
        status = NGX_HTTP_OK;

    } else if (json_is_false(v) || json_is_null(v)
               || (json_is_integer(v) && json_integer_value(v) == 0)
               || (json_is_string(v) && json_string_length(v) == 0))
    {
        status = NGX_HTTP_UNAUTHORIZED;
        ngx_snprintf(detail, sizeof(detail) - 1, "invalid credentials%Z");

    } else {
        ngx_snprintf(detail, sizeof(detail) - 1,
                     "unexpected answer to authenticate()%Z");
    }

    json_decref(v);

done:

    ngx_http_arthexis_odoo_finish(ctx, status, detail, uid);
}


/* NGX_OK: an HTTP 200 answer to parse; else the detail of what failed */

static ngx_int_t
ngx_http_arthexis_odoo_transport(ngx_http_arthexis_odoo_ctx_t *ctx,
    ngx_http_arthexis_curl_t *t, u_char *detail, size_t size,
    ngx_uint_t *status)
{
    const char  *what;

    what = t->error[0] ? t->error : curl_easy_strerror(t->result);

    if (t->result != CURLE_OK && t->refused[0]) {
        /* at connect, or on a cached connection before the request */
        *status = NGX_HTTP_FORBIDDEN;
        ngx_snprintf(detail, size - 1, "connections to %s are not allowed "
                     "(odoo_allowed_hosts)%Z", t->refused);
        return NGX_ERROR;
    }

    switch (t->result) {

    case CURLE_OK:
        if (t->status == 200) {
            return NGX_OK;
        }

        ngx_snprintf(detail, size - 1, "Odoo answered HTTP %l%Z", t->status);
        break;

    case CURLE_OPERATION_TIMEDOUT:
        ngx_snprintf(detail, size - 1, "no answer from Odoo within %M ms%Z",
                     ctx->conf->timeout);
        break;

    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        ngx_snprintf(detail, size - 1, "cannot connect to Odoo: %s%Z", what);
        break;

    case CURLE_FILESIZE_EXCEEDED:
        ngx_snprintf(detail, size - 1, "Odoo's answer is larger than %uz "
                     "bytes%Z", t->max_size);
        break;

    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
        ngx_snprintf(detail, size - 1, "TLS failure: %s%Z", what);
        break;

    default:
        ngx_snprintf(detail, size - 1, "cannot talk to Odoo: %s%Z", what);
        break;
    }

    return NGX_ERROR;
}


/*
 * "Odoo fault 3: Access Denied".  Odoo puts whole tracebacks in
 * faultString: the last line says what went wrong.  The password is
 * hidden before the line is cut short, so that no part of it shows.
 */

static void
ngx_http_arthexis_odoo_fault(json_t *fault, const char *password,
    u_char *detail, size_t size)
{
    u_char      *p, *last;
    long long    code;
    const char  *text, *q, *start, *end;

    ax_xmlrpc_fault(fault, &code, &text);

    start = text;
    end = text + ngx_strlen(text);

    while (end > start && (end[-1] == '\n' || end[-1] == '\r'
                           || end[-1] == ' ' || end[-1] == '\t'))
    {
        end--;
    }

    for (q = start; q < end; q++) {
        if (*q == '\n') {
            start = q + 1;
        }
    }

    while (start < end && (*start == ' ' || *start == '\t')) {
        start++;
    }

    if (code) {
        p = ngx_snprintf(detail, size - 1, "Odoo fault %L: ", code);

    } else {
        p = ngx_snprintf(detail, size - 1, "Odoo fault: ");
    }

    last = ngx_min(p + 200, detail + size - 1);

    last = ngx_http_arthexis_odoo_scrub(p, last, (const u_char *) start,
                                        end - start, password);

    /* not in the middle of a UTF-8 sequence */

    if (last > p && (last[-1] & 0x80)) {
        q = (const char *) last - 1;

        while ((u_char *) q > p && (*q & 0xc0) == 0x80) {
            q--;
        }

        if (((u_char) *q >= 0xf0 && last - (u_char *) q < 4)
            || ((u_char) *q >= 0xe0 && last - (u_char *) q < 3)
            || ((u_char) *q >= 0xc0 && last - (u_char *) q < 2))
        {
            last = (u_char *) q;
        }
    }

    *last = '\0';
}


static void
ngx_http_arthexis_odoo_finish(ngx_http_arthexis_odoo_ctx_t *ctx,
    ngx_uint_t status, u_char *detail, long long uid)
{
    u_char              *p;
    u_char               scrubbed[NGX_HTTP_ARTHEXIS_ODOO_DETAIL_MAX];
    json_t              *body;
    ngx_int_t            rc;
    ngx_uint_t           level;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;

    if (status == NGX_HTTP_OK) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "odoo: instance %L authenticated, uid %L",
                       ctx->id, uid);

        body = json_pack("{s:s, s:I, s:s?}", "detail", "success",
                         "uid", (json_int_t) uid,
                         "server_version", ctx->server_version);

        rc = body ? ngx_http_arthexis_send_value(r, NGX_HTTP_OK, body)
                  : NGX_HTTP_INTERNAL_SERVER_ERROR;
        json_decref(body);

        goto done;
    }

    /* what went wrong never carries the password, even if the server
     * echoed it; nor control characters */

    p = ngx_http_arthexis_odoo_scrub(scrubbed,
                                     scrubbed + sizeof(scrubbed) - 1,
                                     detail, ngx_strlen(detail),
                                     ctx->password);
    *p = '\0';
    detail = scrubbed;

    for (p = detail; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            *p = ' ';
        }
    }

    level = (status == NGX_HTTP_UNAUTHORIZED) ? NGX_LOG_INFO : NGX_LOG_WARN;

    ngx_log_error(level, c->log, 0, "odoo: test of instance %L: %s",
                  ctx->id, detail);

    rc = ngx_http_arthexis_send_detail(r, status, (char *) detail);

done:

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/*
 * Copies src to dst (up to last) with every occurrence of secret replaced
 * by "***"; matches are looked for in the whole of src, so a secret cut
 * by last is hidden too.  Returns the end of the copy.
 */

static u_char *
ngx_http_arthexis_odoo_scrub(u_char *dst, u_char *last, const u_char *src,
    size_t len, const char *secret)
{
    size_t  slen, n;

    slen = (secret != NULL) ? ngx_strlen(secret) : 0;

    while (len && dst < last) {

        if (slen && len >= slen && ngx_memcmp(src, secret, slen) == 0) {
            n = ngx_min((size_t) 3, (size_t) (last - dst));
            dst = ngx_cpymem(dst, "***", n);
            src += slen;
            len -= slen;
            continue;
        }

        *dst++ = *src++;
        len--;
    }

    return dst;
}
