
/*
 * The echo endpoint (the seed's chat app): every text and binary message
 * comes back unchanged.
 */

#include "ngx_http_arthexis.h"
#include "ngx_http_arthexis_ws.h"


static char *ngx_http_arthexis_echo(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_arthexis_echo_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_arthexis_echo_protocol(ngx_http_request_t *r,
    ngx_str_t *offered, ngx_str_t *chosen);
static void ngx_http_arthexis_echo_message(ngx_http_arthexis_ws_t *ws,
    ngx_uint_t opcode, u_char *data, size_t len);


static ngx_command_t  ngx_http_arthexis_echo_commands[] = {

    { ngx_string("websocket_echo"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_arthexis_echo,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_echo_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_arthexis_echo_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_echo_module_ctx,    /* module context */
    ngx_http_arthexis_echo_commands,       /* module directives */
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


/* echo keeps nothing of the request: it is released after the 101 */

static const ngx_http_arthexis_ws_handler_t  ngx_http_arthexis_echo_ws = {
    ngx_http_arthexis_echo_protocol,
    ngx_http_arthexis_echo_message,
    NULL,
    1
};


static char *
ngx_http_arthexis_echo(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_arthexis_echo_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_arthexis_echo_handler(ngx_http_request_t *r)
{
    ngx_http_arthexis_ws_conf_t  *wscf;

    wscf = ngx_http_get_module_loc_conf(r, ngx_http_arthexis_ws_module);

    return ngx_http_arthexis_ws_upgrade(r, wscf, &ngx_http_arthexis_echo_ws,
                                        NULL, NULL);
}


/* echo takes no subprotocol, or the first one offered */

static ngx_int_t
ngx_http_arthexis_echo_protocol(ngx_http_request_t *r, ngx_str_t *offered,
    ngx_str_t *chosen)
{
    u_char  *p, *last;

    p = offered->data;
    last = p + offered->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    chosen->data = p;

    while (p < last && *p != ',' && *p != ' ' && *p != '\t') {
        p++;
    }

    chosen->len = p - chosen->data;

    return NGX_OK;
}


static void
ngx_http_arthexis_echo_message(ngx_http_arthexis_ws_t *ws, ngx_uint_t opcode,
    u_char *data, size_t len)
{
    (void) ngx_http_arthexis_ws_send(ws, opcode, data, len);
}
