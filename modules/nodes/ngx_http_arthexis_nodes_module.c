
/*
 * Nodes: the registry of arthexis instances (the seed's nodes app).
 * Routes: POST /nodes/register/, GET /nodes/list/.  Admin model: nodes.
 */

#include "ngx_http_arthexis.h"
#include "ngx_http_arthexis_admin.h"
#include "ax_nodes.h"
#include <ax_utf8.h>


/* GET /nodes/list/: the reply is written by the job into a buffer that the
 * handler took from the request pool (sized from the last replies), so
 * that it is sent as it is, with no malloc, copy or free per request */
typedef struct {
    u_char     *buf;
    size_t      size;
    size_t      len;        /* the reply in buf, or 0 */
} ngx_http_arthexis_nodes_list_t;


typedef struct {
    ngx_str_t   hostname;
    char        address[AX_ADDRESS_MAX + 1];
    ngx_int_t   port;
    u_char      now[24];
} ngx_http_arthexis_node_reg_t;


static char *ngx_http_arthexis_nodes_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_arthexis_nodes_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_arthexis_nodes_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_arthexis_nodes_register(ngx_http_request_t *r,
    json_t *input);
static void ngx_http_arthexis_nodes_register_run(
    ngx_http_arthexis_job_t *job, ax_db_t *db);
static ngx_int_t ngx_http_arthexis_nodes_list(ngx_http_request_t *r);
static void ngx_http_arthexis_nodes_list_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
static void ngx_http_arthexis_nodes_list_done(ngx_http_arthexis_job_t *job);
static const char *ngx_http_arthexis_nodes_check_hostname(
    ngx_http_request_t *r, ngx_http_arthexis_admin_value_t *v);
static const char *ngx_http_arthexis_nodes_check_address(
    ngx_http_request_t *r, ngx_http_arthexis_admin_value_t *v);


static ngx_command_t  ngx_http_arthexis_nodes_commands[] = {

    { ngx_string("nodes_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_arthexis_nodes_api,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_nodes_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_arthexis_nodes_init,          /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_arthexis_nodes_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_nodes_module_ctx,   /* module context */
    ngx_http_arthexis_nodes_commands,      /* module directives */
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
    ngx_http_arthexis_node_fields[] =
{
    { ngx_string("hostname"), "hostname", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_HOSTNAME_MAX, 0, 0, ngx_http_arthexis_nodes_check_hostname,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED|NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE },

    { ngx_string("address"), "address", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_ADDRESS_MAX, 0, 0, ngx_http_arthexis_nodes_check_address,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    { ngx_string("port"), "port", NGX_HTTP_ARTHEXIS_ADMIN_INT, NULL, 0,
      1, 65535, NULL, 0 },

    { ngx_string("last_seen"), "last_seen", NGX_HTTP_ARTHEXIS_ADMIN_TIME,
      NULL, 0, 0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_NOW_ON_CREATE },

    ngx_http_arthexis_admin_null_field
};


static const ngx_http_arthexis_admin_model_t  ngx_http_arthexis_node_model = {
    ngx_string("nodes"), "nodes_node", ngx_http_arthexis_node_fields,
    "hostname", NULL, NULL
};


static ngx_int_t
ngx_http_arthexis_nodes_init(ngx_conf_t *cf)
{
    return ngx_http_arthexis_admin_register(cf,
                                            &ngx_http_arthexis_node_model);
}


static const char *
ngx_http_arthexis_nodes_check_hostname(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, v->s.len);
    if (p == NULL) {
        return "cannot be checked";
    }

    ngx_memcpy(p, v->s.data, v->s.len);

    if (ax_hostname_normalize((char *) p, &v->s.len) != 0) {
        return "must be a valid host name (RFC 1123)";
    }

    v->s.data = p;

    return NULL;
}


static const char *
ngx_http_arthexis_nodes_check_address(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, AX_ADDRESS_MAX + 1);
    if (p == NULL) {
        return "cannot be checked";
    }

    if (ax_address_normalize((char *) v->s.data, v->s.len, (char *) p) != 0)
    {
        return "must be an IPv4 or IPv6 address";
    }

    v->s.data = p;
    v->s.len = ngx_strlen(p);

    return NULL;
}


static char *
ngx_http_arthexis_nodes_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_arthexis_nodes_handler;
    ngx_http_arthexis_json_errors(cf);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_arthexis_nodes_handler(ngx_http_request_t *r)
{
    u_char     *p, *end;
    ngx_int_t   rc;
    ngx_str_t   name;

    /* the last path segment, with or without a trailing slash */

    end = r->uri.data + r->uri.len;

    if (end > r->uri.data && end[-1] == '/') {
        end--;
    }

    for (p = end; p > r->uri.data && p[-1] != '/'; p--) {
        /* void */
    }

    name.data = p;
    name.len = end - p;

    if (name.len == 4 && ngx_strncmp(name.data, "list", 4) == 0) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            (void) ngx_http_discard_request_body(r);
            return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                                 "GET required");
        }

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_arthexis_nodes_list(r);
    }

    if (name.len == 8 && ngx_strncmp(name.data, "register", 8) == 0) {
        if (r->method != NGX_HTTP_POST) {
            (void) ngx_http_discard_request_body(r);
            return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                                 "POST required");
        }

        return ngx_http_arthexis_read_json(r,
                                           ngx_http_arthexis_nodes_register);
    }

    (void) ngx_http_discard_request_body(r);

    return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_FOUND, "not found");
}


/* POST /nodes/register/ {"hostname", "address", "port"?} */

static ngx_int_t
ngx_http_arthexis_nodes_register(ngx_http_request_t *r, json_t *input)
{
    size_t                         hlen, alen;
    json_t                        *port;
    long long                      n;
    const char                    *hostname, *address, *err;
    ngx_http_arthexis_node_reg_t  *reg;

    hostname = ax_json_get_str(input, "hostname", &hlen);
    address = ax_json_get_str(input, "address", &alen);

    if (hostname == NULL || address == NULL) {
        if (json_is_string(json_object_get(input, "hostname"))
            || json_is_null(json_object_get(input, "hostname"))
            || json_object_get(input, "hostname") == NULL)
        {
            err = json_is_string(json_object_get(input, "address"))
                  || json_is_null(json_object_get(input, "address"))
                  || json_object_get(input, "address") == NULL
                  ? "hostname and address required"
                  : "address must be a string";

        } else {
            err = "hostname must be a string";
        }

        json_decref(input);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST, err);
    }

    reg = ngx_pcalloc(r->pool, sizeof(ngx_http_arthexis_node_reg_t));
    if (reg == NULL) {
        json_decref(input);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    err = NULL;

    reg->hostname.len = hlen;
    reg->hostname.data = ngx_pnalloc(r->pool, hlen);

    if (reg->hostname.data == NULL) {
        json_decref(input);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(reg->hostname.data, hostname, hlen);

    if (ax_hostname_normalize((char *) reg->hostname.data,
                              &reg->hostname.len)
        != 0)
    {
        err = "hostname must be a valid host name (RFC 1123)";

    } else if (ax_address_normalize(address, alen, reg->address) != 0) {
        err = "address must be an IPv4 or IPv6 address";
    }

    reg->port = AX_NODE_PORT;
    port = json_object_get(input, "port");

    if (err == NULL && port != NULL && !json_is_null(port)
        && !(json_is_string(port) && json_string_length(port) == 0))
    {
        if (ax_json_get_int(input, "port", &n) != 0 || n < 1 || n > 65535) {
            err = "port must be an integer from 1 to 65535";

        } else {
            reg->port = (ngx_int_t) n;
        }
    }

    json_decref(input);

    if (err != NULL) {
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST, err);
    }

    *ngx_http_arthexis_admin_time(ngx_time(), reg->now) = '\0';

    return ngx_http_arthexis_job_request(r,
                                         ngx_http_arthexis_nodes_register_run,
                                         NULL, reg);
}


static void
ngx_http_arthexis_nodes_register_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db)
{
    ngx_http_arthexis_node_reg_t  *reg = job->data;

    int             rc;
    ax_db_res_t    *res;
    ax_db_param_t   params[4];

    ax_db_set_text(&params[0], reg->hostname.len, reg->hostname.data);
    ax_db_set_text(&params[1], strlen(reg->address), reg->address);
    ax_db_set_int(&params[2], reg->port);
    ax_db_set_text(&params[3], 20, reg->now);

    /* an update when the node is known (no id is used up), else an
     * upsert, which also settles two first registrations racing */

    rc = ax_db_query(db,
             "UPDATE nodes_node SET address = $2, port = $3, last_seen = $4 "
             "WHERE hostname = $1 RETURNING id",
             params, 4, &res);

    if (rc == AX_DB_OK && ax_db_res_rows(res) == 0) {
        ax_db_res_free(res);

        rc = ax_db_query(db,
                 "INSERT INTO nodes_node (hostname, address, port, last_seen) "
                 "VALUES ($1, $2, $3, $4) "
                 "ON CONFLICT (hostname) DO UPDATE SET "
                 "address = excluded.address, port = excluded.port, "
                 "last_seen = excluded.last_seen "
                 "RETURNING id",
                 params, 4, &res);
    }

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    ngx_http_arthexis_job_reply(job, NGX_HTTP_OK,
        json_pack("{s:I}", "id", (json_int_t) ax_db_res_int(res, 0, 0)));

    ax_db_res_free(res);
}


/*
 * GET /nodes/list/.  The reply is written straight into one buffer: with
 * jansson (an object per node, then a dump) building the JSON cost several
 * times the query itself, and a malloc'd buffer per reply cost page faults
 * on the pool threads' heaps (see docs/benchmarks.md).
 */

/* the size of the last long reply, a hint for the next buffer (this
 * worker's event loop only) */
static size_t  ngx_http_arthexis_nodes_hint = 4096;


static ngx_int_t
ngx_http_arthexis_nodes_list(ngx_http_request_t *r)
{
    ngx_http_arthexis_job_t         *job;
    ngx_http_arthexis_nodes_list_t  *ctx;

    ctx = ngx_palloc(r->pool, sizeof(ngx_http_arthexis_nodes_list_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->size = ngx_http_arthexis_nodes_hint;
    ctx->len = 0;
    ctx->buf = ngx_pnalloc(r->pool, ctx->size);

    if (ctx->buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job = ngx_http_arthexis_job_create(r->pool, r->connection->log,
                                       ngx_http_arthexis_nodes_list_run);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->request = r;
    job->data = ctx;
    job->done = ngx_http_arthexis_nodes_list_done;
    job->batch = 1;

    return ngx_http_arthexis_job_post_request(job);
}


static void
ngx_http_arthexis_nodes_list_done(ngx_http_arthexis_job_t *job)
{
    ngx_http_arthexis_nodes_list_t  *ctx = job->data;

    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_http_request_t  *r;

    r = job->request;

    if (ctx->len == 0) {
        /* an error, or a reply that outgrew the buffer: job->body */

        if (job->body == NULL) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

        } else {
            if (job->status == NGX_HTTP_OK
                && job->body_len + 1 > ngx_http_arthexis_nodes_hint)
            {
                ngx_http_arthexis_nodes_hint = ngx_align(job->body_len + 1
                                                         + 1024, 1024);
            }

            rc = ngx_http_arthexis_send_json(r, job->status, job->body,
                                             job->body_len);
        }

        ngx_http_finalize_request(r, rc);
        return;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = ctx->len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    b->pos = ctx->buf;
    b->last = ctx->buf + ctx->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));
}


/* on the pool thread: the handler's buffer first, malloc past its end */

typedef struct {
    u_char     *data;
    size_t      len;
    size_t      size;
    ngx_uint_t  heap;
    ngx_uint_t  failed;
} ngx_http_arthexis_nodes_buf_t;


/* room for n more bytes; returns where they go, or NULL */

static u_char *
ngx_http_arthexis_nodes_room(ngx_http_arthexis_nodes_buf_t *b, size_t n)
{
    u_char  *p;
    size_t   size;

    if (b->failed) {
        return NULL;
    }

    if (b->len + n <= b->size) {
        return b->data + b->len;
    }

    size = ngx_max(b->size * 2, b->len + n + 4096);

    if (b->heap) {
        p = realloc(b->data, size);

    } else {
        p = malloc(size);

        if (p != NULL) {
            ngx_memcpy(p, b->data, b->len);
        }
    }

    if (p == NULL) {
        b->failed = 1;
        return NULL;
    }

    b->data = p;
    b->size = size;
    b->heap = 1;

    return b->data + b->len;
}


/*
 * Appends the literal t, then s as a JSON string: quotes, backslashes and
 * control characters escaped, in one pass; text that is not UTF-8 (which
 * only SQL written by hand can store) becomes null.
 */

static void
ngx_http_arthexis_nodes_put_str(ngx_http_arthexis_nodes_buf_t *b,
    const char *t, size_t tlen, const u_char *s, size_t len)
{
    u_char       c, *p, *start;
    size_t       i;
    ngx_uint_t   ascii;
    static char  hex[] = "0123456789abcdef";

    p = ngx_http_arthexis_nodes_room(b, tlen + 6 * len + 2);
    if (p == NULL) {
        return;
    }

    start = p;
    p = ngx_cpymem(p, t, tlen);

    if (s == NULL) {
        p = ngx_cpymem(p, "null", 4);
        b->len += p - start;
        return;
    }

    *p++ = '"';
    ascii = 1;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            ascii &= (c < 0x80);
            *p++ = c;
            continue;
        }

        *p++ = '\\';

        if (c == '"' || c == '\\') {
            *p++ = c;
            continue;
        }

        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = hex[c >> 4];
        *p++ = hex[c & 0xf];
    }

    if (!ascii && !ax_utf8_valid(s, len)) {
        p = ngx_cpymem(start + tlen, "null", 4);
        b->len += p - start;
        return;
    }

    *p++ = '"';
    b->len += p - start;
}


static void
ngx_http_arthexis_nodes_put(ngx_http_arthexis_nodes_buf_t *b, const char *t,
    size_t len)
{
    u_char  *p;

    p = ngx_http_arthexis_nodes_room(b, len);
    if (p == NULL) {
        return;
    }

    ngx_memcpy(p, t, len);
    b->len += len;
}


static void
ngx_http_arthexis_nodes_list_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_nodes_list_t  *ctx = job->data;

    int                             rc, row, rows;
    size_t                          len;
    ax_db_res_t                    *res;
    const char                     *v;
    ngx_http_arthexis_nodes_buf_t   b;

    rc = ax_db_query(db, "SELECT hostname, address, port, last_seen "
                         "FROM nodes_node ORDER BY id", NULL, 0, &res);

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    rows = ax_db_res_rows(res);

    b.data = ctx->buf;
    b.len = 0;
    b.size = ctx->size;
    b.heap = 0;
    b.failed = 0;

    ngx_http_arthexis_nodes_put(&b, "{\"nodes\":[", sizeof("{\"nodes\":[") - 1);

    for (row = 0; row < rows; row++) {
        v = ax_db_res_value(res, row, 0, &len);
        ngx_http_arthexis_nodes_put_str(&b, row ? ",{\"hostname\":"
                                                : "{\"hostname\":",
                                        row ? 13 : 12, (u_char *) v, len);

        v = ax_db_res_value(res, row, 1, &len);
        ngx_http_arthexis_nodes_put_str(&b, ",\"address\":", 11,
                                        (u_char *) v, len);

        /* an INTEGER column: the driver gives its decimal text */
        v = ax_db_res_value(res, row, 2, &len);
        ngx_http_arthexis_nodes_put(&b, ",\"port\":", 8);

        if (v != NULL && len > 0 && len <= NGX_INT64_LEN
            && ngx_atoi((u_char *) v, len) != NGX_ERROR)
        {
            ngx_http_arthexis_nodes_put(&b, v, len);

        } else {
            ngx_http_arthexis_nodes_put(&b, "null", 4);
        }

        v = ax_db_res_value(res, row, 3, &len);
        ngx_http_arthexis_nodes_put_str(&b, ",\"last_seen\":", 13,
                                        (u_char *) v, len);

        ngx_http_arthexis_nodes_put(&b, "}", 1);
    }

    /* the newline that ngx_http_arthexis_send_json() adds to every reply */
    ngx_http_arthexis_nodes_put(&b, "]}\n", 3);

    ax_db_res_free(res);

    if (b.failed) {
        if (b.heap) {
            free(b.data);
        }

        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "out of memory");
        return;
    }

    job->status = NGX_HTTP_OK;

    if (!b.heap) {
        ctx->len = b.len;
        return;
    }

    /* did not fit: sent by the completion from job->body (which gets its
     * newline there), and the next buffers are larger */

    free(job->body);
    job->body = (char *) b.data;
    job->body_len = b.len - 1;
}
