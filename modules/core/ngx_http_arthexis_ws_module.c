
/*
 * The websocket_* directives: the settings of every WebSocket location
 * (echo; OCPP starts from them and adds its own).
 */

#include "ngx_http_arthexis.h"
#include "ngx_http_arthexis_ws.h"


static void *ngx_http_arthexis_ws_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_arthexis_ws_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);


static ngx_command_t  ngx_http_arthexis_ws_commands[] = {

    { ngx_string("websocket_max_message_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ws_conf_t, max_message_size),
      NULL },

    { ngx_string("websocket_send_buffer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ws_conf_t, send_buffer),
      NULL },

    { ngx_string("websocket_ping_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ws_conf_t, ping_interval),
      NULL },

    { ngx_string("websocket_idle_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ws_conf_t, idle_timeout),
      NULL },

    { ngx_string("websocket_close_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ws_conf_t, close_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_ws_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_arthexis_ws_create_loc_conf,  /* create location configuration */
    ngx_http_arthexis_ws_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_arthexis_ws_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_ws_module_ctx,      /* module context */
    ngx_http_arthexis_ws_commands,         /* module directives */
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


static void *
ngx_http_arthexis_ws_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_arthexis_ws_conf_t  *conf;

    conf = ngx_palloc(cf->pool, sizeof(ngx_http_arthexis_ws_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    ngx_http_arthexis_ws_conf_init(conf);

    return conf;
}


static char *
ngx_http_arthexis_ws_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_arthexis_ws_conf_t  *prev = parent;
    ngx_http_arthexis_ws_conf_t  *conf = child;

    ngx_http_arthexis_ws_conf_merge(conf, prev, 64 * 1024, 30000);

    if (conf->max_message_size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"websocket_max_message_size\" must be more "
                           "than 0");
        return NGX_CONF_ERROR;
    }

    if (conf->close_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"websocket_close_timeout\" must be more "
                           "than 0");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
