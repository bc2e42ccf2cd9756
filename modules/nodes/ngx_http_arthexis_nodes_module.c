
/*
 * Nodes: the registry of arthexis instances (the seed's nodes app).
 * Routes: POST /nodes/register/, GET /nodes/list/.  Admin model: nodes.
 */

#include "ngx_http_arthexis.h"
#include "ngx_http_arthexis_admin.h"
#include "ax_nodes.h"
#include <ax_utf8.h>


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
static void ngx_http_arthexis_nodes_list_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
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

        return ngx_http_arthexis_job_request(r,
                                             ngx_http_arthexis_nodes_list_run,
                                             NULL, NULL);
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
 * times the query itself (see docs/benchmarks.md).
 */

typedef struct {
    char       *data;
    size_t      len;
    size_t      size;
    ngx_uint_t  failed;
} ngx_http_arthexis_nodes_buf_t;


static void
ngx_http_arthexis_nodes_put(ngx_http_arthexis_nodes_buf_t *b, const char *p,
    size_t len)
{
    char    *n;
    size_t   size;

    if (b->failed) {
        return;
    }

    if (b->len + len > b->size) {
        size = ngx_max(b->size * 2, b->len + len + 256);
        n = realloc(b->data, size);

        if (n == NULL) {
            b->failed = 1;
            return;
        }

        b->data = n;
        b->size = size;
    }

    ngx_memcpy(b->data + b->len, p, len);
    b->len += len;
}


/* a JSON string: quotes, backslashes and control characters escaped; the
 * database only holds UTF-8 (else null) */

static void
ngx_http_arthexis_nodes_put_str(ngx_http_arthexis_nodes_buf_t *b,
    const char *s, size_t len)
{
    size_t       i, start;
    u_char       c;
    char         esc[8];
    static char  hex[] = "0123456789abcdef";

    if (s == NULL || !ax_utf8_valid((const unsigned char *) s, len)) {
        ngx_http_arthexis_nodes_put(b, "null", 4);
        return;
    }

    ngx_http_arthexis_nodes_put(b, "\"", 1);

    start = 0;

    for (i = 0; i < len; i++) {
        c = (u_char) s[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }

        ngx_http_arthexis_nodes_put(b, s + start, i - start);
        start = i + 1;

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char) c;
            ngx_http_arthexis_nodes_put(b, esc, 2);
            continue;
        }

        esc[0] = '\\';
        esc[1] = 'u';
        esc[2] = '0';
        esc[3] = '0';
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 0xf];
        ngx_http_arthexis_nodes_put(b, esc, 6);
    }

    ngx_http_arthexis_nodes_put(b, s + start, len - start);
    ngx_http_arthexis_nodes_put(b, "\"", 1);
}


static void
ngx_http_arthexis_nodes_list_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    int                             rc, row, rows;
    size_t                          len;
    u_char                          num[NGX_INT64_LEN];
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

    ngx_memzero(&b, sizeof(ngx_http_arthexis_nodes_buf_t));
    b.size = 64 + (size_t) rows * 128;
    b.data = malloc(b.size);
    b.failed = (b.data == NULL);

    ngx_http_arthexis_nodes_put(&b, "{\"nodes\":[", sizeof("{\"nodes\":[") - 1);

    for (row = 0; row < rows; row++) {
        ngx_http_arthexis_nodes_put(&b, row ? ",{\"hostname\":"
                                            : "{\"hostname\":",
                                    row ? 13 : 12);
        v = ax_db_res_value(res, row, 0, &len);
        ngx_http_arthexis_nodes_put_str(&b, v, len);

        ngx_http_arthexis_nodes_put(&b, ",\"address\":", 11);
        v = ax_db_res_value(res, row, 1, &len);
        ngx_http_arthexis_nodes_put_str(&b, v, len);

        ngx_http_arthexis_nodes_put(&b, ",\"port\":", 8);
        len = ngx_sprintf(num, "%L", (int64_t) ax_db_res_int(res, row, 2))
              - num;
        ngx_http_arthexis_nodes_put(&b, (char *) num, len);

        ngx_http_arthexis_nodes_put(&b, ",\"last_seen\":", 13);
        v = ax_db_res_value(res, row, 3, &len);
        ngx_http_arthexis_nodes_put_str(&b, v, len);

        ngx_http_arthexis_nodes_put(&b, "}", 1);
    }

    ngx_http_arthexis_nodes_put(&b, "]}", 2);

    ax_db_res_free(res);

    if (b.failed) {
        free(b.data);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "out of memory");
        return;
    }

    /* what ngx_http_arthexis_job_reply() does with a dumped value */

    free(job->body);
    job->status = NGX_HTTP_OK;
    job->body = b.data;
    job->body_len = b.len;
}
