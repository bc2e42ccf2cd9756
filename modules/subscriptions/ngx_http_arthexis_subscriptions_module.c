
/*
 * Subscriptions: products renewed every renewal_period days, and users'
 * subscriptions to them (the seed's subscriptions app).  Routes:
 * GET /subscriptions/products/, POST /subscriptions/subscribe/,
 * GET /subscriptions/list/?user_id=N.  Admin models: products,
 * subscriptions.
 */

#include "ngx_http_arthexis.h"
#include "ngx_http_arthexis_admin.h"
#include "ax_subscriptions.h"


typedef struct {
    long long   user_id;
    long long   product_id;
} ngx_http_arthexis_subscribe_t;


static char *ngx_http_arthexis_subscriptions_api(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_arthexis_subscriptions_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_arthexis_subscriptions_handler(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_arthexis_subscriptions_id_arg(
    ngx_http_request_t *r, long long *id);
static ngx_int_t ngx_http_arthexis_subscribe(ngx_http_request_t *r,
    json_t *input);
static void ngx_http_arthexis_subscribe_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
static void ngx_http_arthexis_products_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
static void ngx_http_arthexis_subscriptions_list_run(
    ngx_http_arthexis_job_t *job, ax_db_t *db);
static int ngx_http_arthexis_subscription_written(
    ngx_http_arthexis_job_t *job, ax_db_t *db, long long id,
    ngx_uint_t created);


static ngx_command_t  ngx_http_arthexis_subscriptions_commands[] = {

    { ngx_string("subscriptions_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_arthexis_subscriptions_api,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_subscriptions_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_arthexis_subscriptions_init,  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_arthexis_subscriptions_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_subscriptions_module_ctx, /* module context */
    ngx_http_arthexis_subscriptions_commands, /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static const ngx_http_arthexis_admin_field_t
    ngx_http_arthexis_product_fields[] =
{
    { ngx_string("name"), "name", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_PRODUCT_NAME_MAX, 0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    { ngx_string("description"), "description", NGX_HTTP_ARTHEXIS_ADMIN_TEXT,
      NULL, AX_PRODUCT_DESCRIPTION_MAX, 0, 0, NULL, 0 },

    { ngx_string("renewal_period"), "renewal_period",
      NGX_HTTP_ARTHEXIS_ADMIN_INT, NULL, 0, 1, AX_RENEWAL_PERIOD_MAX, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    ngx_http_arthexis_admin_null_field
};


static const ngx_http_arthexis_admin_model_t
    ngx_http_arthexis_product_model =
{
    ngx_string("products"), "subscriptions_product",
    ngx_http_arthexis_product_fields, "id", NULL, NULL
};


static const ngx_http_arthexis_admin_field_t
    ngx_http_arthexis_subscription_fields[] =
{
    { ngx_string("user"), "user_id", NGX_HTTP_ARTHEXIS_ADMIN_REF, "users",
      0, 0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    { ngx_string("product"), "product_id", NGX_HTTP_ARTHEXIS_ADMIN_REF,
      "products", 0, 0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    { ngx_string("start_date"), "start_date", NGX_HTTP_ARTHEXIS_ADMIN_DATE,
      NULL, 0, 0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_NOW_ON_CREATE },

    /* start_date + the product's renewal_period, kept by the hook */
    { ngx_string("next_renewal"), "next_renewal",
      NGX_HTTP_ARTHEXIS_ADMIN_DATE, NULL, 0, 0, 0, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY },

    ngx_http_arthexis_admin_null_field
};


static const ngx_http_arthexis_admin_model_t
    ngx_http_arthexis_subscription_model =
{
    ngx_string("subscriptions"), "subscriptions_subscription",
    ngx_http_arthexis_subscription_fields, "id",
    ngx_http_arthexis_subscription_written, NULL
};


static ngx_int_t
ngx_http_arthexis_subscriptions_init(ngx_conf_t *cf)
{
    if (ngx_http_arthexis_admin_register(cf,
                                         &ngx_http_arthexis_product_model)
        != NGX_OK
        || ngx_http_arthexis_admin_register(cf,
                                        &ngx_http_arthexis_subscription_model)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The admin writes start_date (today unless given); next_renewal follows
 * from it and the product, in the same transaction.
 */

static int
ngx_http_arthexis_subscription_written(ngx_http_arthexis_job_t *job,
    ax_db_t *db, long long id, ngx_uint_t created)
{
    int             rc;
    char            next[11];
    ax_db_res_t    *res;
    ax_db_param_t   params[2];

    ax_db_set_int(&params[0], id);

    rc = ax_db_query(db, "SELECT s.start_date, p.renewal_period "
                         "FROM subscriptions_subscription s "
                         "JOIN subscriptions_product p "
                         "ON p.id = s.product_id WHERE s.id = $1",
                     params, 1, &res);
    if (rc != AX_DB_OK) {
        return rc;
    }

    if (ax_db_res_rows(res) == 0
        || ax_date_add_days(ax_db_res_value(res, 0, 0, NULL),
                            ax_db_res_int(res, 0, 1), next)
           != 0)
    {
        ax_db_res_free(res);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_BAD_REQUEST,
                                     "start_date: the next renewal would "
                                     "be past 9999-12-31");
        return NGX_HTTP_ARTHEXIS_ADMIN_REJECT;
    }

    ax_db_res_free(res);

    ax_db_set_text(&params[0], 10, next);
    ax_db_set_int(&params[1], id);

    return ax_db_query(db, "UPDATE subscriptions_subscription "
                           "SET next_renewal = $1 WHERE id = $2",
                       params, 2, NULL);
}


static char *
ngx_http_arthexis_subscriptions_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_arthexis_subscriptions_handler;
    ngx_http_arthexis_json_errors(cf);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_arthexis_subscriptions_handler(ngx_http_request_t *r)
{
    u_char      *p, *end;
    ngx_int_t    rc;
    ngx_str_t    name;
    long long   *user_id;

    end = r->uri.data + r->uri.len;

    if (end > r->uri.data && end[-1] == '/') {
        end--;
    }

    for (p = end; p > r->uri.data && p[-1] != '/'; p--) {
        /* void */
    }

    name.data = p;
    name.len = end - p;

    if (name.len == 9 && ngx_strncmp(name.data, "subscribe", 9) == 0) {
        if (r->method != NGX_HTTP_POST) {
            (void) ngx_http_discard_request_body(r);
            return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                                 "POST required");
        }

        return ngx_http_arthexis_read_json(r, ngx_http_arthexis_subscribe);
    }

    if (!((name.len == 8 && ngx_strncmp(name.data, "products", 8) == 0)
          || (name.len == 4 && ngx_strncmp(name.data, "list", 4) == 0)))
    {
        (void) ngx_http_discard_request_body(r);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_FOUND,
                                             "not found");
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        (void) ngx_http_discard_request_body(r);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                             "GET required");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (name.len == 8) {
        return ngx_http_arthexis_job_request_batched(r,
                                             ngx_http_arthexis_products_run,
                                             NULL, NULL);
    }

    user_id = ngx_palloc(r->pool, sizeof(long long));
    if (user_id == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_arthexis_subscriptions_id_arg(r, user_id) != NGX_OK) {
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST,
                                             "user_id required");
    }

    return ngx_http_arthexis_job_request_batched(r,
                                     ngx_http_arthexis_subscriptions_list_run,
                                     NULL, user_id);
}


/* ?user_id=N: decimal digits only (after unescaping), at most 18 */

static ngx_int_t
ngx_http_arthexis_subscriptions_id_arg(ngx_http_request_t *r, long long *id)
{
    u_char     *dst, *src, *p, *end;
    u_char      buf[64];
    long long   n;
    ngx_str_t   value;

    if (ngx_http_arg(r, (u_char *) "user_id", 7, &value) != NGX_OK
        || value.len == 0 || value.len >= sizeof(buf))
    {
        return NGX_ERROR;
    }

    dst = buf;
    src = value.data;
    ngx_unescape_uri(&dst, &src, value.len, NGX_UNESCAPE_URI);

    end = dst;

    if (end == buf || end - buf > 18) {
        return NGX_ERROR;
    }

    n = 0;

    for (p = buf; p < end; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        n = n * 10 + (*p - '0');
    }

    *id = n;

    return NGX_OK;
}


/* GET /subscriptions/products/ */

static void
ngx_http_arthexis_products_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    int           rc, row, rows;
    size_t        nlen, dlen;
    json_t       *products, *p;
    ax_db_res_t  *res;
    const char   *name, *desc;

    rc = ax_db_query(db, "SELECT id, name, description, renewal_period "
                         "FROM subscriptions_product ORDER BY id",
                     NULL, 0, &res);

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    products = json_array();
    rows = ax_db_res_rows(res);

    for (row = 0; products != NULL && row < rows; row++) {
        name = ax_db_res_value(res, row, 1, &nlen);
        desc = ax_db_res_value(res, row, 2, &dlen);

        p = json_pack("{s:I, s:s%, s:s%, s:I}",
                      "id", (json_int_t) ax_db_res_int(res, row, 0),
                      "name", name, nlen,
                      "description", desc, dlen,
                      "renewal_period",
                      (json_int_t) ax_db_res_int(res, row, 3));

        if (p == NULL || json_array_append_new(products, p) != 0) {
            json_decref(products);
            products = NULL;
        }
    }

    ax_db_res_free(res);

    if (products == NULL) {
        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "out of memory");
        return;
    }

    ngx_http_arthexis_job_reply(job, NGX_HTTP_OK,
                                json_pack("{s:o}", "products", products));
}


/* POST /subscriptions/subscribe/ {"user_id", "product_id"} */

static ngx_int_t
ngx_http_arthexis_subscribe(ngx_http_request_t *r, json_t *input)
{
    ngx_http_arthexis_subscribe_t  *s;

    s = ngx_palloc(r->pool, sizeof(ngx_http_arthexis_subscribe_t));
    if (s == NULL) {
        json_decref(input);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ax_json_get_int(input, "user_id", &s->user_id) != 0
        || ax_json_get_int(input, "product_id", &s->product_id) != 0)
    {
        json_decref(input);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST,
                                           "user_id and product_id required");
    }

    json_decref(input);

    return ngx_http_arthexis_job_request(r, ngx_http_arthexis_subscribe_run,
                                         NULL, s);
}


static void
ngx_http_arthexis_subscribe_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_subscribe_t  *s = job->data;

    int             rc;
    char            start[11], next[11];
    long long       period, id;
    ax_db_res_t    *res;
    ax_db_param_t   params[4];

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    ax_db_set_int(&params[0], s->product_id);

    rc = ax_db_query(db, "SELECT renewal_period FROM subscriptions_product "
                         "WHERE id = $1", params, 1, &res);
    if (rc != AX_DB_OK) {
        goto failed;
    }

    if (ax_db_res_rows(res) == 0) {
        ax_db_res_free(res);
        (void) ax_db_rollback(db);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_NOT_FOUND,
                                     "invalid product");
        return;
    }

    period = ax_db_res_int(res, 0, 0);
    ax_db_res_free(res);

    ax_db_set_int(&params[0], s->user_id);

    rc = ax_db_query(db, "SELECT id FROM accounts_user WHERE id = $1",
                     params, 1, &res);
    if (rc != AX_DB_OK) {
        goto failed;
    }

    rc = ax_db_res_rows(res);
    ax_db_res_free(res);

    if (rc == 0) {
        (void) ax_db_rollback(db);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_NOT_FOUND,
                                     "invalid user");
        return;
    }

    if (ax_date_add_days(NULL, 0, start) != 0
        || ax_date_add_days(start, period, next) != 0)
    {
        (void) ax_db_rollback(db);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "invalid renewal period");
        return;
    }

    ax_db_set_int(&params[0], s->user_id);
    ax_db_set_int(&params[1], s->product_id);
    ax_db_set_text(&params[2], 10, start);
    ax_db_set_text(&params[3], 10, next);

    rc = ax_db_query(db, "INSERT INTO subscriptions_subscription "
                         "(user_id, product_id, start_date, next_renewal) "
                         "VALUES ($1, $2, $3, $4) RETURNING id",
                     params, 4, &res);
    if (rc != AX_DB_OK) {
        goto failed;
    }

    id = ax_db_res_int(res, 0, 0);
    ax_db_res_free(res);

    rc = ax_db_commit(db);
    if (rc != AX_DB_OK) {
        goto failed;
    }

    ngx_http_arthexis_job_reply(job, NGX_HTTP_OK,
                                json_pack("{s:I}", "id", (json_int_t) id));
    return;

failed:

    ngx_http_arthexis_job_db_error(job, db, rc);
    (void) ax_db_rollback(db);
}


/* GET /subscriptions/list/?user_id=N */

static void
ngx_http_arthexis_subscriptions_list_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db)
{
    long long  *user_id = job->data;

    int             rc, row, rows;
    size_t          nlen, dlen;
    json_t         *subs, *s;
    ax_db_res_t    *res;
    const char     *name, *next;
    ax_db_param_t   params[1];

    ax_db_set_int(&params[0], *user_id);

    rc = ax_db_query(db, "SELECT s.id, p.name, s.next_renewal "
                         "FROM subscriptions_subscription s "
                         "JOIN subscriptions_product p "
                         "ON p.id = s.product_id "
                         "WHERE s.user_id = $1 ORDER BY s.id",
                     params, 1, &res);

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    subs = json_array();
    rows = ax_db_res_rows(res);

    for (row = 0; subs != NULL && row < rows; row++) {
        name = ax_db_res_value(res, row, 1, &nlen);
        next = ax_db_res_value(res, row, 2, &dlen);

        s = json_pack("{s:I, s:s%, s:s%}",
                      "id", (json_int_t) ax_db_res_int(res, row, 0),
                      "product__name", name, nlen,
                      "next_renewal", next, dlen);

        if (s == NULL || json_array_append_new(subs, s) != 0) {
            json_decref(subs);
            subs = NULL;
        }
    }

    ax_db_res_free(res);

    if (subs == NULL) {
        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "out of memory");
        return;
    }

    ngx_http_arthexis_job_reply(job, NGX_HTTP_OK,
                                json_pack("{s:o}", "subscriptions", subs));
}
