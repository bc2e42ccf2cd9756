
/*
 * The admin JSON API, on the event loop: the registry of models, the
 * arthexis_admin_api directive, routing, input parsing and validation, and
 * the SQL each request needs.  ngx_http_arthexis_admin.c runs that SQL on
 * the pool thread.
 *
 * (The module is called model_admin, as Django's ModelAdmin, because the
 * .so takes its name from the first module in the list: the file must sort
 * after ngx_http_arthexis_core_module.c.)
 */

#include "ngx_http_arthexis_admin_int.h"
#include <ax_utf8.h>


static void *ngx_http_arthexis_admin_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_arthexis_admin_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_arthexis_admin_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_arthexis_admin_postconf(ngx_conf_t *cf);
static ngx_int_t ngx_http_arthexis_json_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_arthexis_json_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static char *ngx_http_arthexis_admin_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_arthexis_admin_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_arthexis_admin_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_arthexis_admin_body(ngx_http_request_t *r,
    json_t *input);
static ngx_int_t ngx_http_arthexis_admin_index(ngx_http_request_t *r);
static ngx_int_t ngx_http_arthexis_admin_list(ngx_http_request_t *r,
    ngx_http_arthexis_admin_ctx_t *ctx);
static ngx_int_t ngx_http_arthexis_admin_write(ngx_http_request_t *r,
    ngx_http_arthexis_admin_ctx_t *ctx, json_t *input);
static ngx_int_t ngx_http_arthexis_admin_not_allowed(ngx_http_request_t *r,
    const char *allow, const char *detail);
static ngx_int_t ngx_http_arthexis_admin_field_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *field, size_t len, const char *msg);
static const char *ngx_http_arthexis_admin_parse(ngx_http_request_t *r,
    const ngx_http_arthexis_admin_field_t *f, json_t *v, ngx_uint_t query,
    ngx_http_arthexis_admin_value_t *val);
static const char *ngx_http_arthexis_admin_parse_decimal(const char *p,
    size_t len, long long *out);
static const char *ngx_http_arthexis_admin_parse_time(ngx_http_request_t *r,
    const char *p, size_t len, ngx_http_arthexis_admin_value_t *val);
static const char *ngx_http_arthexis_admin_parse_date(const char *p,
    size_t len);
static ngx_int_t ngx_http_arthexis_admin_parse_id(u_char *p, size_t len,
    long long *id);
static ngx_int_t ngx_http_arthexis_admin_parse_int(const char *p, size_t len,
    long long *out);
static void ngx_http_arthexis_admin_set_param(ax_db_param_t *p,
    const ngx_http_arthexis_admin_field_t *f,
    ngx_http_arthexis_admin_value_t *val);
static u_char *ngx_http_arthexis_admin_columns(ngx_http_request_t *r,
    const ngx_http_arthexis_admin_model_t *m, size_t *len);
static ngx_int_t ngx_http_arthexis_admin_post(ngx_http_request_t *r,
    ngx_http_arthexis_job_run_pt run, json_t *input);
static void ngx_http_arthexis_admin_done(ngx_http_arthexis_job_t *job);


typedef struct {
    ngx_flag_t                    json_errors;
} ngx_http_arthexis_admin_loc_conf_t;


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_command_t  ngx_http_arthexis_admin_commands[] = {

    { ngx_string("arthexis_admin_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_arthexis_admin_api,
      0,
      0,
      NULL },

    { ngx_string("arthexis_json_errors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_admin_loc_conf_t, json_errors),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_model_admin_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_arthexis_admin_postconf,      /* postconfiguration */

    ngx_http_arthexis_admin_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_arthexis_admin_create_loc_conf, /* create location configuration */
    ngx_http_arthexis_admin_merge_loc_conf /* merge location configuration */
};


ngx_module_t  ngx_http_arthexis_model_admin_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_model_admin_module_ctx, /* module context */
    ngx_http_arthexis_admin_commands,      /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_arthexis_admin_init_module,   /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static const char  *ngx_http_arthexis_admin_type_names[] = {
    "", "text", "int", "bool", "decimal2", "time", "date", "ref", "json"
};


static void *
ngx_http_arthexis_admin_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_arthexis_admin_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_arthexis_admin_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&amcf->models, cf->pool, 8,
                       sizeof(ngx_http_arthexis_admin_model_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return amcf;
}


static void *
ngx_http_arthexis_admin_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_arthexis_admin_loc_conf_t  *alcf;

    alcf = ngx_palloc(cf->pool, sizeof(ngx_http_arthexis_admin_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    alcf->json_errors = NGX_CONF_UNSET;

    return alcf;
}


static char *
ngx_http_arthexis_admin_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_arthexis_admin_loc_conf_t  *prev = parent;
    ngx_http_arthexis_admin_loc_conf_t  *conf = child;

    ngx_conf_merge_value(conf->json_errors, prev->json_errors, 0);

    return NGX_CONF_OK;
}


void
ngx_http_arthexis_json_errors(ngx_conf_t *cf)
{
    ngx_http_arthexis_admin_loc_conf_t  *alcf;

    alcf = ngx_http_conf_get_module_loc_conf(cf,
                                        ngx_http_arthexis_model_admin_module);

    if (alcf->json_errors == NGX_CONF_UNSET) {
        alcf->json_errors = 1;
    }
}


static ngx_int_t
ngx_http_arthexis_admin_postconf(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_arthexis_json_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_arthexis_json_body_filter;

    return NGX_OK;
}


/*
 * nginx's own error pages (413 for a body over client_max_body_size, 500,
 * 503 ...) become {"detail": "..."} in JSON locations, as every other
 * error there.
 */

static ngx_int_t
ngx_http_arthexis_json_header_filter(ngx_http_request_t *r)
{
    ngx_http_arthexis_admin_ctx_t       *ctx;
    ngx_http_arthexis_admin_loc_conf_t  *alcf;

    if (r->err_status < NGX_HTTP_BAD_REQUEST || r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    alcf = ngx_http_get_module_loc_conf(r,
                                        ngx_http_arthexis_model_admin_module);

    if (!alcf->json_errors
        || r->headers_out.content_type.len != sizeof("text/html") - 1
        || ngx_strncmp(r->headers_out.content_type.data, "text/html",
                       sizeof("text/html") - 1) != 0)
    {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_arthexis_model_admin_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_arthexis_admin_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_arthexis_model_admin_module);
    }

    ctx->json_error = 1;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;
    r->headers_out.content_length_n =
        ngx_http_arthexis_json_error_body(r->err_status, NULL);

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_arthexis_json_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                          len;
    ngx_buf_t                      *b;
    ngx_chain_t                    *cl, out;
    ngx_http_arthexis_admin_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_arthexis_model_admin_module);

    if (ctx == NULL || !ctx->json_error) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->json_sent) {
        return NGX_OK;
    }

    ctx->json_sent = 1;

    len = ngx_http_arthexis_json_error_body(r->err_status, NULL);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last += ngx_http_arthexis_json_error_body(r->err_status, b->pos);
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


/* {"detail":"..."} and a newline for an error status; its length, and
 * written to p unless p is NULL */

size_t
ngx_http_arthexis_json_error_body(ngx_uint_t status, u_char *p)
{
    u_char      *start;
    const char  *detail;
    u_char       buf[128];

    switch (status) {
    case NGX_HTTP_BAD_REQUEST:
        detail = "bad request";
        break;
    case NGX_HTTP_UNAUTHORIZED:
        detail = "authentication required";
        break;
    case NGX_HTTP_FORBIDDEN:
        detail = "forbidden";
        break;
    case NGX_HTTP_NOT_FOUND:
        detail = "not found";
        break;
    case NGX_HTTP_NOT_ALLOWED:
        detail = "method not allowed";
        break;
    case NGX_HTTP_REQUEST_TIME_OUT:
        detail = "request timeout";
        break;
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        detail = "request body too large";
        break;
    case NGX_HTTP_SERVICE_UNAVAILABLE:
        detail = "service unavailable";
        break;
    default:
        detail = status >= NGX_HTTP_INTERNAL_SERVER_ERROR
                 ? "internal server error" : "request refused";
    }

    start = (p != NULL) ? p : buf;

    return ngx_sprintf(start, "{\"detail\":\"%s\"}\n", detail) - start;
}


ngx_int_t
ngx_http_arthexis_admin_register(ngx_conf_t *cf,
    const ngx_http_arthexis_admin_model_t *model)
{
    ngx_uint_t                               i;
    const ngx_http_arthexis_admin_field_t   *f;
    const ngx_http_arthexis_admin_model_t  **mp;
    ngx_http_arthexis_admin_main_conf_t     *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf,
                                        ngx_http_arthexis_model_admin_module);

    if (model->name.len == 0 || model->table == NULL
        || model->fields == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid admin model \"%V\"", &model->name);
        return NGX_ERROR;
    }

    mp = amcf->models.elts;

    for (i = 0; i < amcf->models.nelts; i++) {
        if (mp[i]->name.len == model->name.len
            && ngx_strncmp(mp[i]->name.data, model->name.data,
                           model->name.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate admin model \"%V\"", &model->name);
            return NGX_ERROR;
        }
    }

    for (f = model->fields; f->name.len; f++) {
        if (f->column == NULL
            || f->type < NGX_HTTP_ARTHEXIS_ADMIN_TEXT
            || f->type > NGX_HTTP_ARTHEXIS_ADMIN_JSON
            || (f->type == NGX_HTTP_ARTHEXIS_ADMIN_REF && f->ref == NULL)
            || ((f->flags & NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY)
                && (f->flags & (NGX_HTTP_ARTHEXIS_ADMIN_WRITE_ONLY
                                |NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED
                                |NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE))))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid field \"%V\" in admin model \"%V\"",
                               &f->name, &model->name);
            return NGX_ERROR;
        }
    }

    mp = ngx_array_push(&amcf->models);
    if (mp == NULL) {
        return NGX_ERROR;
    }

    *mp = model;

    return NGX_OK;
}


static ngx_int_t
ngx_http_arthexis_admin_init_module(ngx_cycle_t *cycle)
{
    ngx_uint_t                               i;
    const ngx_http_arthexis_admin_field_t   *f;
    const ngx_http_arthexis_admin_model_t  **mp;
    ngx_http_arthexis_admin_main_conf_t     *amcf;

    if (cycle->conf_ctx[ngx_http_module.index] == NULL) {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                        ngx_http_arthexis_model_admin_module);
    if (amcf == NULL) {
        return NGX_OK;
    }

    mp = amcf->models.elts;

    for (i = 0; i < amcf->models.nelts; i++) {
        for (f = mp[i]->fields; f->name.len; f++) {
            if (f->type != NGX_HTTP_ARTHEXIS_ADMIN_REF) {
                continue;
            }

            if (ngx_http_arthexis_admin_find(amcf, (u_char *) f->ref,
                                             ngx_strlen(f->ref))
                == NULL)
            {
                ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                              "admin model \"%V\": field \"%V\" refers to "
                              "the unknown model \"%s\"",
                              &mp[i]->name, &f->name, f->ref);
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


const ngx_http_arthexis_admin_model_t *
ngx_http_arthexis_admin_find(ngx_http_arthexis_admin_main_conf_t *amcf,
    u_char *name, size_t len)
{
    ngx_uint_t                               i;
    const ngx_http_arthexis_admin_model_t  **mp;

    mp = amcf->models.elts;

    for (i = 0; i < amcf->models.nelts; i++) {
        if (mp[i]->name.len == len
            && ngx_strncmp(mp[i]->name.data, name, len) == 0)
        {
            return mp[i];
        }
    }

    return NULL;
}


static char *
ngx_http_arthexis_admin_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

#if (NGX_PCRE)
    if (clcf->regex) {
        return "cannot be used in a regex location";
    }
#endif

    if (clcf->handler != NULL) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_arthexis_admin_handler;
    ngx_http_arthexis_json_errors(cf);

    return NGX_CONF_OK;
}


/* routing */

static ngx_int_t
ngx_http_arthexis_admin_handler(ngx_http_request_t *r)
{
    u_char                               *p, *end, *seg;
    ngx_int_t                             rc;
    ngx_http_core_loc_conf_t             *clcf;
    ngx_http_arthexis_admin_ctx_t        *ctx;
    ngx_http_arthexis_admin_main_conf_t  *amcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    amcf = ngx_http_get_module_main_conf(r,
                                        ngx_http_arthexis_model_admin_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_arthexis_admin_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_arthexis_model_admin_module);

    ctx->amcf = amcf;

    /* the path after the location's prefix: "", "M", "M/", "M/ID[/]" */

    p = r->uri.data;
    end = r->uri.data + r->uri.len;

    if (clcf->name.len <= r->uri.len
        && ngx_strncmp(p, clcf->name.data, clcf->name.len) == 0)
    {
        p += clcf->name.len;
    }

    while (p < end && *p == '/') {
        p++;
    }

    if (p == end) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return ngx_http_arthexis_admin_not_allowed(r, "GET, HEAD",
                                                       "GET required");
        }

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_arthexis_admin_index(r);
    }

    seg = p;

    while (p < end && *p != '/') {
        p++;
    }

    ctx->model = ngx_http_arthexis_admin_find(amcf, seg, p - seg);

    if (ctx->model == NULL) {
        (void) ngx_http_discard_request_body(r);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_FOUND,
                                             "unknown model");
    }

    if (p < end) {
        p++;
    }

    if (p == end) {
        ctx->op = NGX_HTTP_ARTHEXIS_ADMIN_OP_LIST;

        if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }

            return ngx_http_arthexis_admin_list(r, ctx);
        }

        if (r->method != NGX_HTTP_POST) {
            return ngx_http_arthexis_admin_not_allowed(r, "GET, HEAD, POST",
                                                  "GET or POST required");
        }

        ctx->op = NGX_HTTP_ARTHEXIS_ADMIN_OP_CREATE;

        return ngx_http_arthexis_read_json(r, ngx_http_arthexis_admin_body);
    }

    seg = p;

    while (p < end && *p != '/') {
        p++;
    }

    if (ngx_http_arthexis_admin_parse_id(seg, p - seg, &ctx->id) != NGX_OK
        || (p < end && p + 1 != end))
    {
        (void) ngx_http_discard_request_body(r);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_FOUND,
                                             "not found");
    }

    switch (r->method) {

    case NGX_HTTP_GET:
    case NGX_HTTP_HEAD:
    case NGX_HTTP_DELETE:
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->op = (r->method == NGX_HTTP_DELETE)
                  ? NGX_HTTP_ARTHEXIS_ADMIN_OP_DELETE
                  : NGX_HTTP_ARTHEXIS_ADMIN_OP_GET;

        ctx->select_sql = ngx_http_arthexis_admin_select_sql(r, ctx->model);
        if (ctx->select_sql == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ctx->op == NGX_HTTP_ARTHEXIS_ADMIN_OP_GET) {
            return ngx_http_arthexis_admin_post(r,
                                       ngx_http_arthexis_admin_get_run, NULL);
        }

        ctx->write_sql = ngx_pnalloc(r->pool,
                                     ngx_strlen(ctx->model->table)
                                     + sizeof("DELETE FROM  WHERE id = $1"));
        if (ctx->write_sql == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        (void) ngx_sprintf((u_char *) ctx->write_sql,
                           "DELETE FROM %s WHERE id = $1%Z",
                           ctx->model->table);

        return ngx_http_arthexis_admin_post(r,
                                    ngx_http_arthexis_admin_delete_run, NULL);

    case NGX_HTTP_PUT:
        ctx->op = NGX_HTTP_ARTHEXIS_ADMIN_OP_PUT;
        return ngx_http_arthexis_read_json(r, ngx_http_arthexis_admin_body);

    case NGX_HTTP_PATCH:
        ctx->op = NGX_HTTP_ARTHEXIS_ADMIN_OP_PATCH;
        return ngx_http_arthexis_read_json(r, ngx_http_arthexis_admin_body);

    default:
        return ngx_http_arthexis_admin_not_allowed(r,
                                  "GET, HEAD, PUT, PATCH, DELETE",
                                  "GET, PUT, PATCH or DELETE required");
    }
}


static ngx_int_t
ngx_http_arthexis_admin_not_allowed(ngx_http_request_t *r, const char *allow,
    const char *detail)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value.data = (u_char *) allow;
    h->value.len = ngx_strlen(allow);

    (void) ngx_http_discard_request_body(r);

    return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED, detail);
}


static ngx_int_t
ngx_http_arthexis_admin_parse_id(u_char *p, size_t len, long long *id)
{
    long long  n;
    size_t     i;

    if (len == 0 || len > 18 || p[0] == '0') {
        return NGX_ERROR;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NGX_ERROR;
        }

        n = n * 10 + (p[i] - '0');
    }

    *id = n;

    return NGX_OK;
}


/* GET /admin/api/: the models and their fields */

static ngx_int_t
ngx_http_arthexis_admin_index(ngx_http_request_t *r)
{
    json_t                                  *models, *m, *fields, *fd;
    ngx_int_t                                rc;
    ngx_uint_t                               i;
    const ngx_http_arthexis_admin_field_t   *f;
    const ngx_http_arthexis_admin_model_t  **mp;
    ngx_http_arthexis_admin_main_conf_t     *amcf;

    amcf = ngx_http_get_module_main_conf(r,
                                        ngx_http_arthexis_model_admin_module);

    models = json_array();
    if (models == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    mp = amcf->models.elts;

    for (i = 0; i < amcf->models.nelts; i++) {
        fields = json_array();
        m = json_pack("{s:s%, s:o}", "name", mp[i]->name.data,
                      mp[i]->name.len, "fields", fields);

        if (m == NULL || json_array_append_new(models, m) != 0) {
            json_decref(models);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        for (f = mp[i]->fields; f->name.len; f++) {
            fd = json_pack("{s:s%, s:s, s:b, s:b, s:b, s:b, s:b}",
                           "name", f->name.data, f->name.len,
                           "type", ngx_http_arthexis_admin_type_names[f->type],
                           "required",
                           f->flags & NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED,
                           "unique", f->flags & NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE,
                           "nullable",
                           f->flags & NGX_HTTP_ARTHEXIS_ADMIN_NULLABLE,
                           "read_only",
                           f->flags & NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY,
                           "write_only",
                           f->flags & NGX_HTTP_ARTHEXIS_ADMIN_WRITE_ONLY);

            if (fd == NULL) {
                json_decref(models);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (f->type == NGX_HTTP_ARTHEXIS_ADMIN_REF) {
                json_object_set_new(fd, "ref", json_string(f->ref));
            }

            if (f->type == NGX_HTTP_ARTHEXIS_ADMIN_TEXT) {
                json_object_set_new(fd, "max_len",
                    json_integer(f->max_len ? f->max_len
                                 : NGX_HTTP_ARTHEXIS_ADMIN_MAX_LEN));
            }

            if (f->min < f->max) {
                json_object_set_new(fd, "min", json_integer(f->min));
                json_object_set_new(fd, "max", json_integer(f->max));
            }

            if (json_array_append_new(fields, fd) != 0) {
                json_decref(models);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    m = json_pack("{s:o}", "models", models);
    if (m == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_arthexis_send_value(r, NGX_HTTP_OK, m);
    json_decref(m);

    return rc;
}


/* the column list of SELECTs: id, then each field (has_* for write-only) */

static u_char *
ngx_http_arthexis_admin_columns(ngx_http_request_t *r,
    const ngx_http_arthexis_admin_model_t *m, size_t *len)
{
    u_char                                 *s, *p;
    size_t                                  n;
    const ngx_http_arthexis_admin_field_t  *f;

    n = sizeof("id") - 1;

    for (f = m->fields; f->name.len; f++) {
        n += sizeof(", CASE WHEN () IS NULL OR () = '' THEN 0 ELSE 1 END")
             + 2 * ngx_strlen(f->column) + sizeof("()");
    }

    s = ngx_pnalloc(r->pool, n + 1);
    if (s == NULL) {
        return NULL;
    }

    p = ngx_cpymem(s, "id", 2);

    for (f = m->fields; f->name.len; f++) {
        if (f->flags & NGX_HTTP_ARTHEXIS_ADMIN_WRITE_ONLY) {
            p = ngx_sprintf(p, ", CASE WHEN %s IS NULL OR %s = '' "
                               "THEN 0 ELSE 1 END", f->column, f->column);

        } else if (f->flags & NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY) {
            p = ngx_sprintf(p, ", (%s)", f->column);

        } else {
            p = ngx_sprintf(p, ", %s", f->column);
        }
    }

    *p = '\0';
    *len = p - s;

    return s;
}


char *
ngx_http_arthexis_admin_select_sql(ngx_http_request_t *r,
    const ngx_http_arthexis_admin_model_t *m)
{
    u_char  *cols, *s;
    size_t   len;

    cols = ngx_http_arthexis_admin_columns(r, m, &len);
    if (cols == NULL) {
        return NULL;
    }

    s = ngx_pnalloc(r->pool, len + ngx_strlen(m->table)
                             + sizeof("SELECT  FROM  WHERE id = $1"));
    if (s == NULL) {
        return NULL;
    }

    (void) ngx_sprintf(s, "SELECT %s FROM %s WHERE id = $1%Z", cols,
                       m->table);

    return (char *) s;
}


/* GET /admin/api/M/?page=&page_size=&FIELD=VALUE */

static ngx_int_t
ngx_http_arthexis_admin_list(ngx_http_request_t *r,
    ngx_http_arthexis_admin_ctx_t *ctx)
{
    u_char                                 *cols, *s, *where, *w;
    size_t                                  len, cols_len, wlen;
    json_t                                 *args, *v;
    ngx_int_t                               rc;
    ngx_uint_t                              n;
    long long                               page, page_size;
    const char                             *key, *err, *order;
    ax_db_param_t                          *params;
    const ngx_http_arthexis_admin_field_t  *f;
    const ngx_http_arthexis_admin_model_t  *m;
    ngx_http_arthexis_admin_value_t         val;

    m = ctx->model;
    page = 1;
    page_size = NGX_HTTP_ARTHEXIS_ADMIN_PAGE_SIZE;

    args = ax_json_from_form(r->args.data, r->args.len);
    if (args == NULL) {
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST,
                                             "malformed query string");
    }

    n = json_object_size(args);

    params = ngx_pcalloc(r->pool, (n + 2) * sizeof(ax_db_param_t));
    if (params == NULL) {
        json_decref(args);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    wlen = 0;

    for (f = m->fields; f->name.len; f++) {
        wlen += ngx_strlen(f->column) + sizeof(" AND () = $1000");
    }

    where = ngx_pnalloc(r->pool, wlen + sizeof(" WHERE "));
    if (where == NULL) {
        json_decref(args);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    w = where;
    n = 0;

    json_object_foreach(args, key, v) {

        if (ngx_strcmp(key, "page") == 0
            || ngx_strcmp(key, "page_size") == 0)
        {
            long long  x;

            if (ax_json_get_int(args, key, &x) != 0 || x < 1
                || (key[4] == '\0' && x > 1000000)
                || (key[4] != '\0' && x > NGX_HTTP_ARTHEXIS_ADMIN_MAX_PAGE))
            {
                rc = ngx_http_arthexis_admin_field_error(r,
                         NGX_HTTP_BAD_REQUEST, key, ngx_strlen(key),
                         key[4] == '\0'
                         ? "must be a positive integer"
                         : "must be an integer between 1 and 1000");
                json_decref(args);
                return rc;
            }

            if (key[4] == '\0') {
                page = x;

            } else {
                page_size = x;
            }

            continue;
        }

        for (f = m->fields; f->name.len; f++) {
            if (!(f->flags & NGX_HTTP_ARTHEXIS_ADMIN_WRITE_ONLY)
                && f->type != NGX_HTTP_ARTHEXIS_ADMIN_JSON
                && ngx_strlen(key) == f->name.len
                && ngx_strncmp(key, f->name.data, f->name.len) == 0)
            {
                break;
            }
        }

        if (f->name.len == 0) {
            rc = ngx_http_arthexis_admin_field_error(r, NGX_HTTP_BAD_REQUEST,
                                   key, ngx_strlen(key), "unknown filter");
            json_decref(args);
            return rc;
        }

        if (json_string_length(v) == 0
            && (f->flags & NGX_HTTP_ARTHEXIS_ADMIN_NULLABLE)
            && f->type != NGX_HTTP_ARTHEXIS_ADMIN_TEXT)
        {
            /* ?user= : rows without one */
            w = ngx_sprintf(w, "%s (%s) IS NULL",
                            w > where ? " AND" : " WHERE", f->column);
            continue;
        }

        err = ngx_http_arthexis_admin_parse(r, f, v, 1, &val);

        if (err == NULL && f->validate && !val.null
            && !(f->flags & NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY))
        {
            err = f->validate(r, &val);
        }

        if (err != NULL) {
            rc = ngx_http_arthexis_admin_field_error(r, NGX_HTTP_BAD_REQUEST,
                              (char *) f->name.data, f->name.len, err);
            json_decref(args);
            return rc;
        }

        ngx_http_arthexis_admin_set_param(&params[n], f, &val);
        n++;

        w = ngx_sprintf(w, "%s (%s) = $%ui", w > where ? " AND" : " WHERE",
                        f->column, n);
    }

    /* the values point into args: it lives until the job is done */

    *w = '\0';

    ctx->nparams = n;
    ctx->page = page;
    ctx->page_size = page_size;
    ax_db_set_int(&params[n], page_size);
    ax_db_set_int(&params[n + 1], (page - 1) * page_size);
    ctx->params = params;

    cols = ngx_http_arthexis_admin_columns(r, m, &cols_len);
    if (cols == NULL) {
        json_decref(args);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    order = m->order ? m->order : "id";
    len = cols_len + (w - where) + ngx_strlen(m->table) + ngx_strlen(order)
          + sizeof("SELECT , count(*) OVER () FROM  ORDER BY , id "
                   "LIMIT $1000 OFFSET $1000");

    s = ngx_pnalloc(r->pool, len);
    if (s == NULL) {
        json_decref(args);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    (void) ngx_sprintf(s, "SELECT %s, count(*) OVER () FROM %s%s "
                          "ORDER BY %s%s LIMIT $%ui OFFSET $%ui%Z",
                       cols, m->table, where, order,
                       ngx_strcmp(order, "id") == 0 ? "" : ", id",
                       n + 1, n + 2);

    ctx->list_sql = (char *) s;

    s = ngx_pnalloc(r->pool, (w - where) + ngx_strlen(m->table)
                             + sizeof("SELECT count(*) FROM "));
    if (s == NULL) {
        json_decref(args);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    (void) ngx_sprintf(s, "SELECT count(*) FROM %s%s%Z", m->table, where);

    ctx->count_sql = (char *) s;

    return ngx_http_arthexis_admin_post(r, ngx_http_arthexis_admin_list_run,
                                        args);
}


/* POST, PUT, PATCH: the body was read and parsed */

static ngx_int_t
ngx_http_arthexis_admin_body(ngx_http_request_t *r, json_t *input)
{
    ngx_http_arthexis_admin_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_arthexis_model_admin_module);

    return ngx_http_arthexis_admin_write(r, ctx, input);
}


static ngx_int_t
ngx_http_arthexis_admin_write(ngx_http_request_t *r,
    ngx_http_arthexis_admin_ctx_t *ctx, json_t *input)
{
    u_char                                 *s, *p;
    size_t                                  len, klen;
    json_t                                 *v;
    ngx_int_t                               rc;
    ngx_uint_t                              n, i, nfields, create;
    const char                             *key, *err;
    ax_db_param_t                          *params;
    ngx_http_arthexis_admin_check_t        *chk;
    const ngx_http_arthexis_admin_field_t  *f;
    const ngx_http_arthexis_admin_model_t  *m, *ref;
    ngx_http_arthexis_admin_value_t        *vals;
    u_char                                  now[32];

    m = ctx->model;
    create = (ctx->op == NGX_HTTP_ARTHEXIS_ADMIN_OP_CREATE);

    nfields = 0;
    for (f = m->fields; f->name.len; f++) {
        nfields++;
    }

    vals = ngx_pcalloc(r->pool,
                       nfields * sizeof(ngx_http_arthexis_admin_value_t));
    ctx->given = ngx_pcalloc(r->pool, nfields * sizeof(ngx_uint_t));

    if (vals == NULL || ctx->given == NULL) {
        json_decref(input);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* every member: a known, writable field with a valid value */

    json_object_foreach(input, key, v) {

        klen = ngx_strlen(key);

        if (ngx_strcmp(key, "id") == 0) {
            continue;
        }

        for (f = m->fields, i = 0; f->name.len; f++, i++) {
            if (klen == f->name.len
                && ngx_strncmp(key, f->name.data, klen) == 0)
            {
                break;
            }

            if ((f->flags & NGX_HTTP_ARTHEXIS_ADMIN_WRITE_ONLY)
                && klen == f->name.len + 4
                && ngx_strncmp(key, "has_", 4) == 0
                && ngx_strncmp(key + 4, f->name.data, f->name.len) == 0)
            {
                break;
            }
        }

        if (f->name.len == 0) {
            rc = ngx_http_arthexis_admin_field_error(r, NGX_HTTP_BAD_REQUEST,
                                                     key, klen,
                                                     "unknown field");
            json_decref(input);
            return rc;
        }

        if (klen != f->name.len
            || (f->flags & NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY))
        {
            /* has_<name>, or read-only: as returned by GET, ignored */
            continue;
        }

        err = ngx_http_arthexis_admin_parse(r, f, v, 0, &vals[i]);

        if (err == NULL && f->validate && !vals[i].null) {
            err = f->validate(r, &vals[i]);
        }

        if (err != NULL) {
            rc = ngx_http_arthexis_admin_field_error(r, NGX_HTTP_BAD_REQUEST,
                              (char *) f->name.data, f->name.len, err);
            json_decref(input);
            return rc;
        }

        ctx->given[i] = 1;
    }

    /* values point into input: it lives until the job is done */

    /* required fields, defaults */

    (void) ngx_http_arthexis_admin_time(ngx_time(), now);

    for (f = m->fields, i = 0; f->name.len; f++, i++) {

        if (ctx->given[i]) {
            continue;
        }

        if (create && (f->flags & NGX_HTTP_ARTHEXIS_ADMIN_NOW_ON_CREATE)) {
            vals[i].null = 0;
            vals[i].s.data = ngx_pnalloc(r->pool, 20);
            if (vals[i].s.data == NULL) {
                json_decref(input);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            vals[i].s.len = (f->type == NGX_HTTP_ARTHEXIS_ADMIN_DATE)
                            ? 10 : 20;
            ngx_memcpy(vals[i].s.data, now, vals[i].s.len);
            ctx->given[i] = 1;
            continue;
        }

        if ((f->flags & NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED)
            && ctx->op != NGX_HTTP_ARTHEXIS_ADMIN_OP_PATCH)
        {
            json_decref(input);
            return ngx_http_arthexis_admin_field_error(r,
                       NGX_HTTP_BAD_REQUEST, (char *) f->name.data,
                       f->name.len, "this field is required");
        }
    }

    /* the statement, its parameters and the checks that precede it */

    params = ngx_pcalloc(r->pool, (nfields + 1) * sizeof(ax_db_param_t));
    ctx->checks = ngx_pcalloc(r->pool,
                              (3 * nfields + 1)
                              * sizeof(ngx_http_arthexis_admin_check_t));

    len = ngx_strlen(m->table) + sizeof("INSERT INTO  () VALUES () "
                                        "RETURNING id DEFAULT VALUES");

    for (f = m->fields; f->name.len; f++) {
        len += ngx_strlen(f->column) + sizeof(", $1000 = $1000, ");
    }

    s = ngx_pnalloc(r->pool, len);

    if (params == NULL || ctx->checks == NULL || s == NULL) {
        json_decref(input);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = 0;
    chk = ctx->checks;

    for (f = m->fields, i = 0; f->name.len; f++, i++) {
        if (!ctx->given[i]) {
            continue;
        }

        ngx_http_arthexis_admin_set_param(&params[n], f, &vals[i]);
        n++;

        if (vals[i].null) {
            continue;
        }

        if (!create && (f->flags & NGX_HTTP_ARTHEXIS_ADMIN_CREATE_ONLY)) {
            chk->kind = NGX_HTTP_ARTHEXIS_ADMIN_CHECK_SAME;
            chk->field = f;
            chk->param = params[n - 1];
            chk->sql = ngx_pnalloc(r->pool, ngx_strlen(m->table)
                                   + ngx_strlen(f->column)
                                   + sizeof("SELECT id FROM  WHERE id = $2 "
                                            "AND  = $1"));
            if (chk->sql == NULL) {
                json_decref(input);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            (void) ngx_sprintf((u_char *) chk->sql,
                               "SELECT id FROM %s WHERE id = $2 AND %s = $1%Z",
                               m->table, f->column);
            chk++;
        }

        if (f->flags & NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE) {
            chk->kind = NGX_HTTP_ARTHEXIS_ADMIN_CHECK_UNIQUE;
            chk->field = f;
            chk->param = params[n - 1];
            chk->sql = ngx_pnalloc(r->pool, ngx_strlen(m->table)
                                   + ngx_strlen(f->column)
                                   + sizeof("SELECT id FROM  WHERE  = $1 "
                                            "AND id <> $2"));
            if (chk->sql == NULL) {
                json_decref(input);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            (void) ngx_sprintf((u_char *) chk->sql,
                               create ? "SELECT id FROM %s WHERE %s = $1%Z"
                                      : "SELECT id FROM %s WHERE %s = $1 "
                                        "AND id <> $2%Z",
                               m->table, f->column);
            chk++;
        }

        if (f->type == NGX_HTTP_ARTHEXIS_ADMIN_REF) {
            ref = ngx_http_arthexis_admin_find(ctx->amcf, (u_char *) f->ref,
                                               ngx_strlen(f->ref));
            if (ref == NULL) {
                json_decref(input);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            chk->kind = NGX_HTTP_ARTHEXIS_ADMIN_CHECK_REF;
            chk->field = f;
            chk->param = params[n - 1];
            chk->sql = ngx_pnalloc(r->pool, ngx_strlen(ref->table)
                                   + sizeof("SELECT id FROM  WHERE id = $1"));
            if (chk->sql == NULL) {
                json_decref(input);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            (void) ngx_sprintf((u_char *) chk->sql,
                               "SELECT id FROM %s WHERE id = $1%Z",
                               ref->table);
            chk++;
        }

    }

    ctx->params = params;
    ctx->nparams = n;

    if (create) {
        if (n == 0) {
            p = ngx_sprintf(s, "INSERT INTO %s DEFAULT VALUES RETURNING id",
                            m->table);

        } else {
            p = ngx_sprintf(s, "INSERT INTO %s (", m->table);
            n = 0;

            for (f = m->fields, i = 0; f->name.len; f++, i++) {
                if (ctx->given[i]) {
                    p = ngx_sprintf(p, "%s%s", n++ ? ", " : "", f->column);
                }
            }

            p = ngx_cpymem(p, ") VALUES (", sizeof(") VALUES (") - 1);

            for (i = 1; i <= n; i++) {
                p = ngx_sprintf(p, "%s$%ui", i > 1 ? ", " : "", i);
            }

            p = ngx_cpymem(p, ") RETURNING id", sizeof(") RETURNING id") - 1);
        }

        *p = '\0';
        ctx->write_sql = (char *) s;

    } else if (n) {
        p = ngx_sprintf(s, "UPDATE %s SET ", m->table);
        n = 0;

        for (f = m->fields, i = 0; f->name.len; f++, i++) {
            if (ctx->given[i]) {
                n++;
                p = ngx_sprintf(p, "%s%s = $%ui", n > 1 ? ", " : "",
                                f->column, n);
            }
        }

        p = ngx_sprintf(p, " WHERE id = $%ui%Z", n + 1);
        ax_db_set_int(&params[n], ctx->id);
        ctx->write_sql = (char *) s;
    }

    ctx->select_sql = ngx_http_arthexis_admin_select_sql(r, m);
    if (ctx->select_sql == NULL) {
        json_decref(input);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_arthexis_admin_post(r, ngx_http_arthexis_admin_write_run,
                                        input);
}


static void
ngx_http_arthexis_admin_set_param(ax_db_param_t *p,
    const ngx_http_arthexis_admin_field_t *f,
    ngx_http_arthexis_admin_value_t *val)
{
    if (val->null) {
        ax_db_set_null(p);
        return;
    }

    switch (f->type) {

    case NGX_HTTP_ARTHEXIS_ADMIN_INT:
    case NGX_HTTP_ARTHEXIS_ADMIN_BOOL:
    case NGX_HTTP_ARTHEXIS_ADMIN_DECIMAL2:
    case NGX_HTTP_ARTHEXIS_ADMIN_REF:
        ax_db_set_int(p, val->i);
        break;

    default:
        ax_db_set_text(p, val->s.len, val->s.data);
    }
}


/*
 * A value of a field's type, from JSON (or, with query set, from a query
 * string, where everything is a string).  Returns NULL or an error.
 */

static const char *
ngx_http_arthexis_admin_parse(ngx_http_request_t *r,
    const ngx_http_arthexis_admin_field_t *f, json_t *v, ngx_uint_t query,
    ngx_http_arthexis_admin_value_t *val)
{
    char         *js;
    size_t        len, max, chars, i;
    u_char       *q;
    double        d;
    long long     x;
    const char   *s, *err;

    ngx_memzero(val, sizeof(ngx_http_arthexis_admin_value_t));

    if (json_is_null(v)) {
        if (!(f->flags & NGX_HTTP_ARTHEXIS_ADMIN_NULLABLE)) {
            return "may not be null";
        }

        val->null = 1;
        return NULL;
    }

    s = json_is_string(v) ? json_string_value(v) : NULL;
    len = json_is_string(v) ? json_string_length(v) : 0;

    switch (f->type) {

    case NGX_HTTP_ARTHEXIS_ADMIN_TEXT:
        if (s == NULL) {
            return "must be a string";
        }

        /* jansson refuses \u0000 and bad UTF-8, the form decoder %00:
         * checked again, as the database needs both */

        if (ngx_strlchr((u_char *) s, (u_char *) s + len, '\0') != NULL
            || !ax_utf8_valid((const unsigned char *) s, len))
        {
            return "must not contain NUL bytes";
        }

        max = f->max_len ? f->max_len : NGX_HTTP_ARTHEXIS_ADMIN_MAX_LEN;
        chars = 0;

        for (i = 0; i < len; i++) {
            if ((s[i] & 0xc0) != 0x80) {
                chars++;
            }
        }

        if (chars > max) {
            js = ngx_pnalloc(r->pool, sizeof("must be at most  characters")
                                      + NGX_SIZE_T_LEN);
            if (js == NULL) {
                return "is too long";
            }

            (void) ngx_sprintf((u_char *) js,
                               "must be at most %uz characters%Z", max);
            return js;
        }

        val->s.data = (u_char *) s;
        val->s.len = len;
        break;

    case NGX_HTTP_ARTHEXIS_ADMIN_INT:
    case NGX_HTTP_ARTHEXIS_ADMIN_REF:
        if (json_is_integer(v)) {
            x = json_integer_value(v);

        } else if (s != NULL) {
            if (ngx_http_arthexis_admin_parse_int(s, len, &x) != NGX_OK) {
                return "must be an integer";
            }

        } else {
            return "must be an integer";
        }

        if (f->type == NGX_HTTP_ARTHEXIS_ADMIN_REF && x < 1) {
            return "must be a positive integer (an id)";
        }

        if (f->min < f->max && (x < f->min || x > f->max)) {
            js = ngx_pnalloc(r->pool, sizeof("must be between  and ")
                                      + 2 * NGX_INT64_LEN);
            if (js == NULL) {
                return "is out of range";
            }

            (void) ngx_sprintf((u_char *) js, "must be between %L and %L%Z",
                               (int64_t) f->min, (int64_t) f->max);
            return js;
        }

        val->i = x;
        break;

    case NGX_HTTP_ARTHEXIS_ADMIN_BOOL:
        if (json_is_boolean(v)) {
            val->i = json_is_true(v);

        } else if (json_is_integer(v)
                   && (json_integer_value(v) == 0
                       || json_integer_value(v) == 1))
        {
            val->i = json_integer_value(v);

        } else if (s != NULL
                   && (ngx_strcasecmp((u_char *) s, (u_char *) "true") == 0
                       || ngx_strcmp(s, "1") == 0
                       || ngx_strcasecmp((u_char *) s, (u_char *) "on") == 0))
        {
            val->i = 1;

        } else if (s != NULL
                   && (ngx_strcasecmp((u_char *) s, (u_char *) "false") == 0
                       || ngx_strcmp(s, "0") == 0
                       || ngx_strcasecmp((u_char *) s, (u_char *) "off") == 0))
        {
            val->i = 0;

        } else {
            return "must be true or false";
        }

        break;

    case NGX_HTTP_ARTHEXIS_ADMIN_DECIMAL2:
        if (json_is_integer(v)) {
            x = json_integer_value(v);

            if (x > NGX_HTTP_ARTHEXIS_ADMIN_MAX_DECIMAL / 100
                || x < -NGX_HTTP_ARTHEXIS_ADMIN_MAX_DECIMAL / 100)
            {
                return "is out of range";
            }

            x *= 100;

        } else if (json_is_real(v)) {
            d = json_real_value(v) * 100.0;

            if (d > (double) NGX_HTTP_ARTHEXIS_ADMIN_MAX_DECIMAL
                || d < -(double) NGX_HTTP_ARTHEXIS_ADMIN_MAX_DECIMAL)
            {
                return "is out of range";
            }

            x = (long long) (d < 0 ? d - 0.5 : d + 0.5);

            if (d - (double) x > 1e-6 || (double) x - d > 1e-6) {
                return "must have at most 2 decimal places";
            }

        } else if (s != NULL) {
            err = ngx_http_arthexis_admin_parse_decimal(s, len, &x);
            if (err != NULL) {
                return err;
            }

        } else {
            return "must be a decimal number";
        }

        if (f->min < f->max && (x < f->min || x > f->max)) {
            js = ngx_pnalloc(r->pool, sizeof("must be between  and ") + 48);
            if (js == NULL) {
                return "is out of range";
            }

            q = ngx_cpymem(js, "must be between ",
                           sizeof("must be between ") - 1);
            q = ngx_http_arthexis_admin_decimal2(f->min, q);
            q = ngx_cpymem(q, " and ", 5);
            q = ngx_http_arthexis_admin_decimal2(f->max, q);
            *q = '\0';

            return js;
        }

        val->i = x;
        break;

    case NGX_HTTP_ARTHEXIS_ADMIN_TIME:
        if (s == NULL) {
            return "must be a time (YYYY-MM-DDTHH:MM:SSZ)";
        }

        return ngx_http_arthexis_admin_parse_time(r, s, len, val);

    case NGX_HTTP_ARTHEXIS_ADMIN_DATE:
        if (s == NULL) {
            return "must be a date (YYYY-MM-DD)";
        }

        err = ngx_http_arthexis_admin_parse_date(s, len);
        if (err != NULL) {
            return err;
        }

        val->s.data = (u_char *) s;
        val->s.len = len;
        break;

    case NGX_HTTP_ARTHEXIS_ADMIN_JSON:
        if (query) {
            return "cannot be filtered on";
        }

        js = json_dumps(v, JSON_COMPACT|JSON_ENCODE_ANY);
        if (js == NULL) {
            return "must be JSON";
        }

        len = ngx_strlen(js);
        max = f->max_len ? f->max_len : NGX_HTTP_ARTHEXIS_ADMIN_MAX_LEN;

        if (len > max) {
            free(js);
            return "is too long";
        }

        val->s.data = ngx_pnalloc(r->pool, len);
        if (val->s.data == NULL) {
            free(js);
            return "is too long";
        }

        ngx_memcpy(val->s.data, js, len);
        val->s.len = len;
        free(js);
        break;

    default:
        return "has an unknown type";
    }

    return NULL;
}


static ngx_int_t
ngx_http_arthexis_admin_parse_int(const char *p, size_t len, long long *out)
{
    size_t     i;
    long long  n;
    ngx_int_t  neg;

    neg = (len > 0 && p[0] == '-');
    i = neg;

    if (len == i || len - i > 18) {
        return NGX_ERROR;
    }

    n = 0;

    for ( /* void */ ; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NGX_ERROR;
        }

        n = n * 10 + (p[i] - '0');
    }

    *out = neg ? -n : n;

    return NGX_OK;
}


/* "12", "-3.5", "0.25" -> hundredths */

static const char *
ngx_http_arthexis_admin_parse_decimal(const char *p, size_t len,
    long long *out)
{
    size_t     i, digits, frac;
    long long  n;
    ngx_int_t  neg, dot;

    neg = (len > 0 && (p[0] == '-' || p[0] == '+'));
    neg = neg && p[0] == '-';
    i = (len > 0 && (p[0] == '-' || p[0] == '+')) ? 1 : 0;

    n = 0;
    digits = 0;
    frac = 0;
    dot = 0;

    for ( /* void */ ; i < len; i++) {
        if (p[i] == '.' && !dot) {
            dot = 1;
            continue;
        }

        if (p[i] < '0' || p[i] > '9') {
            return "must be a decimal number";
        }

        if (dot && ++frac > 2) {
            return "must have at most 2 decimal places";
        }

        if (++digits > 16) {
            return "is out of range";
        }

        n = n * 10 + (p[i] - '0');
    }

    if (digits == 0) {
        return "must be a decimal number";
    }

    for ( /* void */ ; frac < 2; frac++) {
        n *= 10;
    }

    if (n > NGX_HTTP_ARTHEXIS_ADMIN_MAX_DECIMAL) {
        return "is out of range";
    }

    *out = neg ? -n : n;

    return NULL;
}


static ngx_int_t
ngx_http_arthexis_admin_digits(const char *p, size_t n, ngx_int_t *out)
{
    size_t     i;
    ngx_int_t  v;

    v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NGX_ERROR;
        }

        v = v * 10 + (p[i] - '0');
    }

    *out = v;

    return NGX_OK;
}


static ngx_int_t
ngx_http_arthexis_admin_days_in_month(ngx_int_t y, ngx_int_t m)
{
    static const ngx_int_t  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }

    return days[m - 1];
}


static const char *
ngx_http_arthexis_admin_parse_date(const char *p, size_t len)
{
    ngx_int_t  y, m, d;

    if (len != 10 || p[4] != '-' || p[7] != '-'
        || ngx_http_arthexis_admin_digits(p, 4, &y) != NGX_OK
        || ngx_http_arthexis_admin_digits(p + 5, 2, &m) != NGX_OK
        || ngx_http_arthexis_admin_digits(p + 8, 2, &d) != NGX_OK
        || y < 1 || m < 1 || m > 12 || d < 1
        || d > ngx_http_arthexis_admin_days_in_month(y, m))
    {
        return "must be a date (YYYY-MM-DD)";
    }

    return NULL;
}


/* days since 1970-01-01 of a civil date (H. Hinnant's algorithm) */

static long long
ngx_http_arthexis_admin_days(ngx_int_t y, ngx_int_t m, ngx_int_t d)
{
    long long  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


static const char *
ngx_http_arthexis_admin_parse_time(ngx_http_request_t *r, const char *p,
    size_t len, ngx_http_arthexis_admin_value_t *val)
{
    size_t      i;
    time_t      t;
    ngx_int_t   y, mo, d, h, mi, s, oh, om;
    long long   secs;
    const char *bad = "must be a time (YYYY-MM-DDTHH:MM:SSZ)";

    if (len < 20 || p[4] != '-' || p[7] != '-'
        || (p[10] != 'T' && p[10] != 't' && p[10] != ' ')
        || p[13] != ':' || p[16] != ':'
        || ngx_http_arthexis_admin_digits(p, 4, &y) != NGX_OK
        || ngx_http_arthexis_admin_digits(p + 5, 2, &mo) != NGX_OK
        || ngx_http_arthexis_admin_digits(p + 8, 2, &d) != NGX_OK
        || ngx_http_arthexis_admin_digits(p + 11, 2, &h) != NGX_OK
        || ngx_http_arthexis_admin_digits(p + 14, 2, &mi) != NGX_OK
        || ngx_http_arthexis_admin_digits(p + 17, 2, &s) != NGX_OK
        || y < 1 || mo < 1 || mo > 12 || d < 1
        || d > ngx_http_arthexis_admin_days_in_month(y, mo)
        || h > 23 || mi > 59 || s > 59)
    {
        return bad;
    }

    i = 19;

    if (p[i] == '.') {
        /* fractions of a second are dropped */
        for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
            /* void */
        }

        if (i == 20) {
            return bad;
        }
    }

    oh = 0;
    om = 0;

    if (i + 1 == len && (p[i] == 'Z' || p[i] == 'z')) {
        /* UTC */

    } else if (i + 6 == len && (p[i] == '+' || p[i] == '-')
               && p[i + 3] == ':'
               && ngx_http_arthexis_admin_digits(p + i + 1, 2, &oh) == NGX_OK
               && ngx_http_arthexis_admin_digits(p + i + 4, 2, &om) == NGX_OK
               && oh < 24 && om < 60)
    {
        if (p[i] == '-') {
            oh = -oh;
            om = -om;
        }

    } else {
        return bad;
    }

    secs = ngx_http_arthexis_admin_days(y, mo, d) * 86400
           + h * 3600 + mi * 60 + s - oh * 3600 - om * 60;

    /* 0001-01-01 .. 9999-12-31 after the shift to UTC */
    if (secs < -62135596800LL || secs > 253402300799LL) {
        return bad;
    }

    t = (time_t) secs;

    val->s.data = ngx_pnalloc(r->pool, 20);
    if (val->s.data == NULL) {
        return bad;
    }

    val->s.len = ngx_http_arthexis_admin_time(t, val->s.data)
                 - val->s.data;

    return NULL;
}


u_char *
ngx_http_arthexis_admin_time(time_t t, u_char *buf)
{
    ngx_tm_t  tm;

    ngx_gmtime(t, &tm);

    return ngx_sprintf(buf, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                       tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
}


u_char *
ngx_http_arthexis_admin_decimal2(long long v, u_char *buf)
{
    unsigned long long  u;

    if (v < 0) {
        *buf++ = '-';
        u = (unsigned long long) (-(v + 1)) + 1;

    } else {
        u = (unsigned long long) v;
    }

    return ngx_sprintf(buf, "%uL.%02uL", (uint64_t) (u / 100),
                       (uint64_t) (u % 100));
}


static ngx_int_t
ngx_http_arthexis_admin_field_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *field, size_t len, const char *msg)
{
    json_t     *v;
    ngx_int_t   rc;
    u_char      detail[256];
    u_char     *p;

    /* a long unknown name is cut short in the message */

    if (len > 64) {
        len = 64;
    }

    p = ngx_snprintf(detail, sizeof(detail) - 1, "%*s: %s",
                     len, field, msg);
    *p = '\0';

    v = json_pack("{s:s, s:s%}", "detail", (char *) detail,
                  "field", field, len);

    if (v == NULL) {
        /* a name that is not UTF-8 after the cut */
        return ngx_http_arthexis_send_detail(r, status, msg);
    }

    rc = ngx_http_arthexis_send_value(r, status, v);
    json_decref(v);

    return rc;
}


/* posts the request's job; its completion sends the reply (or a 204) */

static ngx_int_t
ngx_http_arthexis_admin_post(ngx_http_request_t *r,
    ngx_http_arthexis_job_run_pt run, json_t *input)
{
    ngx_http_arthexis_job_t  *job;

    job = ngx_http_arthexis_job_create(r->pool, r->connection->log, run);
    if (job == NULL) {
        json_decref(input);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->request = r;
    job->input = input;
    job->data = ngx_http_get_module_ctx(r,
                                        ngx_http_arthexis_model_admin_module);
    job->done = ngx_http_arthexis_admin_done;

    return ngx_http_arthexis_job_post_request(job);
}


static void
ngx_http_arthexis_admin_done(ngx_http_arthexis_job_t *job)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = job->request;

    if (job->status == NGX_HTTP_NO_CONTENT) {
        r->headers_out.status = NGX_HTTP_NO_CONTENT;
        r->headers_out.content_length_n = 0;
        r->header_only = 1;

        rc = ngx_http_send_header(r);

    } else if (job->body == NULL) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    } else {
        rc = ngx_http_arthexis_send_json(r, job->status, job->body,
                                         job->body_len);
    }

    ngx_http_finalize_request(r, rc);
}
