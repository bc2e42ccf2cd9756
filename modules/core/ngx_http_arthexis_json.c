
/*
 * JSON requests and responses.
 */

#include "ngx_http_arthexis.h"


typedef struct {
    ngx_http_arthexis_body_pt  handler;
} ngx_http_arthexis_body_ctx_t;


static void ngx_http_arthexis_body_handler(ngx_http_request_t *r);
static u_char *ngx_http_arthexis_body_copy(ngx_http_request_t *r,
    size_t *len);


ngx_int_t
ngx_http_arthexis_send_json(ngx_http_request_t *r, ngx_uint_t status,
    const char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len + 1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    /* the body is ours: drop what an earlier phase may have announced */
    ngx_http_clear_last_modified(r);
    ngx_http_clear_accept_ranges(r);

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->pos, body, len);
    *b->last++ = '\n';
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_arthexis_send_detail(ngx_http_request_t *r, ngx_uint_t status,
    const char *detail)
{
    char       *s;
    size_t      len;
    ngx_int_t   rc;

    s = ax_json_detail(detail, &len);
    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_arthexis_send_json(r, status, s, len);
    free(s);

    return rc;
}


ngx_int_t
ngx_http_arthexis_send_value(ngx_http_request_t *r, ngx_uint_t status,
    json_t *value)
{
    char       *s;
    size_t      len;
    ngx_int_t   rc;

    s = ax_json_dump(value, &len);
    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_arthexis_send_json(r, status, s, len);
    free(s);

    return rc;
}


ngx_int_t
ngx_http_arthexis_read_json(ngx_http_request_t *r,
    ngx_http_arthexis_body_pt handler)
{
    ngx_int_t                      rc;
    ngx_http_arthexis_body_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_arthexis_body_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->handler = handler;
    ngx_http_set_ctx(r, ctx, ngx_http_arthexis_core_module);

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_arthexis_body_handler);

    if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return ngx_http_arthexis_send_detail(r, rc,
                                             "request body too large");
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_arthexis_body_handler(ngx_http_request_t *r)
{
    int                            status;
    size_t                         len;
    json_t                        *input;
    u_char                        *body;
    ngx_int_t                      rc;
    const char                    *detail, *ctype;
    ngx_http_arthexis_body_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_arthexis_core_module);

    body = ngx_http_arthexis_body_copy(r, &len);
    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctype = NULL;
    status = 0;
    detail = NULL;

    if (r->headers_in.content_type != NULL) {
        ctype = (const char *) r->headers_in.content_type->value.data;
    }

    input = ax_json_parse_body(ctype,
                               ctype ? r->headers_in.content_type->value.len
                                     : 0,
                               body, len, &status, &detail);

    if (input == NULL) {
        if (detail == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        ngx_http_finalize_request(r,
                                  ngx_http_arthexis_send_detail(r, status,
                                                                detail));
        return;
    }

    rc = ctx->handler(r, input);

    ngx_http_finalize_request(r, rc);
}


static u_char *
ngx_http_arthexis_body_copy(ngx_http_request_t *r, size_t *len)
{
    off_t         size;
    u_char       *p, *body;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        *len = 0;
        return (u_char *) "";
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    body = ngx_pnalloc(r->pool, size + 1);
    if (body == NULL) {
        return NULL;
    }

    p = body;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            /* a body past client_body_buffer_size: the file was just
             * written, so this read is served from the page cache */
            n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                              b->file_pos);
            if (n == NGX_ERROR) {
                return NULL;
            }

            p += n;
            continue;
        }

        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    *p = '\0';
    *len = p - body;

    return body;
}


char *
ngx_http_arthexis_arg(ngx_http_request_t *r, const char *name, size_t len)
{
    u_char     *dst, *src, *s;
    ngx_str_t   value;

    if (ngx_http_arg(r, (u_char *) name, len, &value) != NGX_OK) {
        return NULL;
    }

    s = ngx_pnalloc(r->pool, value.len + 1);
    if (s == NULL) {
        return NULL;
    }

    dst = s;
    src = value.data;
    ngx_unescape_uri(&dst, &src, value.len, NGX_UNESCAPE_URI);
    *dst = '\0';

    return (char *) s;
}
