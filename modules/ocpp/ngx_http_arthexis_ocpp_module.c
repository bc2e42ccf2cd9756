
/*
 * The OCPP module: directives, configuration and worker start-up.
 */

#include "ngx_http_arthexis_ocpp.h"
#include "ngx_http_arthexis_admin.h"


extern const unsigned char  ngx_http_arthexis_ocpp_schemas_json[];
extern const size_t         ngx_http_arthexis_ocpp_schemas_json_len;


static void *ngx_http_arthexis_ocpp_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_arthexis_ocpp_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_http_arthexis_ocpp_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_arthexis_ocpp_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_arthexis_ocpp_charge_point(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_arthexis_ocpp_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_arthexis_ocpp_init_process(ngx_cycle_t *cycle);
static void ngx_http_arthexis_ocpp_exit_process(ngx_cycle_t *cycle);
static void ngx_http_arthexis_ocpp_free_schemas(void *data);
static ngx_int_t ngx_http_arthexis_ocpp_postconfiguration(ngx_conf_t *cf);
static const char *ngx_http_arthexis_ocpp_check_id(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *value);


/* chargers in the admin API (the seed's Django admin) */

static const ngx_http_arthexis_admin_field_t  ngx_http_arthexis_ocpp_fields[] =
{
    { ngx_string("charger_id"), "charger_id", NGX_HTTP_ARTHEXIS_ADMIN_TEXT,
      NULL, NGX_HTTP_ARTHEXIS_OCPP_ID_MAX, 0, 0,
      ngx_http_arthexis_ocpp_check_id,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED|NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE },
    { ngx_string("name"), "name", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL, 200,
      0, 0, NULL, 0 },
    { ngx_string("config"), "config", NGX_HTTP_ARTHEXIS_ADMIN_JSON, NULL, 0,
      0, 0, NULL, 0 },
    { ngx_string("require_rfid"), "require_rfid",
      NGX_HTTP_ARTHEXIS_ADMIN_BOOL, NULL, 0, 0, 0, NULL, 0 },
    { ngx_string("last_heartbeat"), "last_heartbeat",
      NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL, 0, 0, 0, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY },
    { ngx_string("vendor"), "vendor", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL, 0,
      0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY },
    { ngx_string("model"), "model", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL, 0,
      0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY },
    { ngx_string("firmware_version"), "firmware_version",
      NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL, 0, 0, 0, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY },
    { ngx_string("status"), "status", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL, 0,
      0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY },
    { ngx_string("created_at"), "created_at", NGX_HTTP_ARTHEXIS_ADMIN_TIME,
      NULL, 0, 0, 0, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_NOW_ON_CREATE
      |NGX_HTTP_ARTHEXIS_ADMIN_CREATE_ONLY },
    ngx_http_arthexis_admin_null_field
};


static const ngx_http_arthexis_admin_model_t  ngx_http_arthexis_ocpp_admin = {
    ngx_string("chargers"), "ocpp_charger", ngx_http_arthexis_ocpp_fields,
    "charger_id", NULL, NULL
};


static ngx_conf_enum_t  ngx_http_arthexis_ocpp_dt_status[] = {
    { ngx_string("Accepted"), 1 },
    { ngx_string("Rejected"), 2 },
    { ngx_string("UnknownMessageId"), 3 },
    { ngx_string("UnknownVendorId"), 4 },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_arthexis_ocpp_commands[] = {

    { ngx_string("ocpp_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE23,
      ngx_http_arthexis_ocpp_zone_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ocpp_debug_force_ipc"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_main_conf_t, force_ipc),
      NULL },

    { ngx_string("ocpp_charge_point"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_arthexis_ocpp_charge_point,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ocpp_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_arthexis_ocpp_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ocpp_heartbeat_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, heartbeat_interval),
      NULL },

    { ngx_string("ocpp_ping_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, ping_interval),
      NULL },

    { ngx_string("ocpp_call_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, call_timeout),
      NULL },

    { ngx_string("ocpp_max_message_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, max_message_size),
      NULL },

    { ngx_string("ocpp_charger_id_max_length"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, id_max_len),
      NULL },

    { ngx_string("ocpp_require_subprotocol"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, require_subprotocol),
      NULL },

    { ngx_string("ocpp_autoregister"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, autoregister),
      NULL },

    { ngx_string("ocpp_require_rfid"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, require_rfid),
      NULL },

    { ngx_string("ocpp_lenient_time"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, lenient_time),
      NULL },

    { ngx_string("ocpp_lenient_numeric_value"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, lenient_numeric_value),
      NULL },

    { ngx_string("ocpp_lenient_celsius"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, lenient_celsius),
      NULL },

    { ngx_string("ocpp_lenient_hertz"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, lenient_hertz),
      NULL },

    { ngx_string("ocpp_lenient_null_payload"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, lenient_null_payload),
      NULL },

    { ngx_string("ocpp_data_transfer_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_arthexis_ocpp_loc_conf_t, data_transfer_status),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_ocpp_module_ctx = {
    NULL,                                     /* preconfiguration */
    ngx_http_arthexis_ocpp_postconfiguration, /* postconfiguration */

    ngx_http_arthexis_ocpp_create_main_conf,  /* create main configuration */
    ngx_http_arthexis_ocpp_init_main_conf,    /* init main configuration */

    NULL,                                     /* create server configuration */
    NULL,                                     /* merge server configuration */

    ngx_http_arthexis_ocpp_create_loc_conf,   /* create location config */
    ngx_http_arthexis_ocpp_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_arthexis_ocpp_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_ocpp_module_ctx,    /* module context */
    ngx_http_arthexis_ocpp_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_arthexis_ocpp_init_process,   /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_arthexis_ocpp_exit_process,   /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_arthexis_ocpp_postconfiguration(ngx_conf_t *cf)
{
    return ngx_http_arthexis_admin_register(cf,
                                            &ngx_http_arthexis_ocpp_admin);
}


/* the charger ids the WebSocket endpoint accepts: printable ASCII */

static const char *
ngx_http_arthexis_ocpp_check_id(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *value)
{
    u_char  *p;

    if (value->s.len == 0) {
        return "must not be empty";
    }

    for (p = value->s.data; p < value->s.data + value->s.len; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            return "must be printable ASCII";
        }
    }

    return NULL;
}


static void *
ngx_http_arthexis_ocpp_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_arthexis_ocpp_main_conf_t  *omcf;

    omcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_arthexis_ocpp_main_conf_t));
    if (omcf == NULL) {
        return NULL;
    }

    omcf->force_ipc = NGX_CONF_UNSET;

    return omcf;
}


static char *
ngx_http_arthexis_ocpp_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_arthexis_ocpp_main_conf_t  *omcf = conf;

    char                 err[256];
    ngx_pool_cleanup_t  *cln;

    ngx_conf_init_value(omcf->force_ipc, 0);

    /* the official schemas, embedded at build time */

    omcf->schemas = ax_ocpp_schemas_load(
                        (const char *) ngx_http_arthexis_ocpp_schemas_json,
                        ngx_http_arthexis_ocpp_schemas_json_len,
                        err, sizeof(err));

    if (omcf->schemas == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cannot load the OCPP 1.6 schemas: %s", err);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ax_ocpp_schemas_free(omcf->schemas);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_arthexis_ocpp_free_schemas;
    cln->data = omcf->schemas;

    return NGX_CONF_OK;
}


static void
ngx_http_arthexis_ocpp_free_schemas(void *data)
{
    ax_ocpp_schemas_free(data);
}


static void *
ngx_http_arthexis_ocpp_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_arthexis_ocpp_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_arthexis_ocpp_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    ngx_http_arthexis_ws_conf_init(&conf->ws);

    conf->heartbeat_interval = NGX_CONF_UNSET_MSEC;
    conf->ping_interval = NGX_CONF_UNSET_MSEC;
    conf->call_timeout = NGX_CONF_UNSET_MSEC;
    conf->max_message_size = NGX_CONF_UNSET_SIZE;
    conf->id_max_len = NGX_CONF_UNSET_UINT;
    conf->require_subprotocol = NGX_CONF_UNSET;
    conf->autoregister = NGX_CONF_UNSET;
    conf->require_rfid = NGX_CONF_UNSET;
    conf->lenient_time = NGX_CONF_UNSET;
    conf->lenient_numeric_value = NGX_CONF_UNSET;
    conf->lenient_celsius = NGX_CONF_UNSET;
    conf->lenient_hertz = NGX_CONF_UNSET;
    conf->lenient_null_payload = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_arthexis_ocpp_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_arthexis_ocpp_loc_conf_t  *prev = parent;
    ngx_http_arthexis_ocpp_loc_conf_t  *conf = child;

    ngx_uint_t                    i;
    ngx_http_arthexis_ws_conf_t  *wscf;

    ngx_conf_merge_msec_value(conf->heartbeat_interval,
                              prev->heartbeat_interval, 300000);
    ngx_conf_merge_msec_value(conf->ping_interval, prev->ping_interval,
                              60000);
    ngx_conf_merge_msec_value(conf->call_timeout, prev->call_timeout, 30000);
    ngx_conf_merge_size_value(conf->max_message_size, prev->max_message_size,
                              1024 * 1024);
    ngx_conf_merge_uint_value(conf->id_max_len, prev->id_max_len,
                              NGX_HTTP_ARTHEXIS_OCPP_ID_MAX);
    ngx_conf_merge_value(conf->require_subprotocol,
                         prev->require_subprotocol, 0);
    ngx_conf_merge_value(conf->autoregister, prev->autoregister, 1);
    ngx_conf_merge_value(conf->require_rfid, prev->require_rfid, 0);
    ngx_conf_merge_value(conf->lenient_time, prev->lenient_time, 1);
    ngx_conf_merge_value(conf->lenient_numeric_value,
                         prev->lenient_numeric_value, 1);
    ngx_conf_merge_value(conf->lenient_celsius, prev->lenient_celsius, 1);
    ngx_conf_merge_value(conf->lenient_hertz, prev->lenient_hertz, 1);
    ngx_conf_merge_value(conf->lenient_null_payload,
                         prev->lenient_null_payload, 1);
    ngx_conf_merge_str_value(conf->data_transfer_status,
                             prev->data_transfer_status, "UnknownVendorId");

    if (conf->id_max_len == 0
        || conf->id_max_len > NGX_HTTP_ARTHEXIS_OCPP_ID_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ocpp_charger_id_max_length\" must be 1 to %d",
                           NGX_HTTP_ARTHEXIS_OCPP_ID_MAX);
        return NGX_CONF_ERROR;
    }

    if (conf->heartbeat_interval < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ocpp_heartbeat_interval\" must be at least "
                           "1s");
        return NGX_CONF_ERROR;
    }

    for (i = 0; ngx_http_arthexis_ocpp_dt_status[i].name.len; i++) {
        if (conf->data_transfer_status.len
            == ngx_http_arthexis_ocpp_dt_status[i].name.len
            && ngx_strncmp(conf->data_transfer_status.data,
                           ngx_http_arthexis_ocpp_dt_status[i].name.data,
                           conf->data_transfer_status.len) == 0)
        {
            break;
        }
    }

    if (ngx_http_arthexis_ocpp_dt_status[i].name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" for "
                           "\"ocpp_data_transfer_status\": Accepted, "
                           "Rejected, UnknownMessageId or UnknownVendorId",
                           &conf->data_transfer_status);
        return NGX_CONF_ERROR;
    }

    conf->lenient = (conf->lenient_time ? AX_OCPP_LENIENT_TIME_NO_OFFSET : 0)
                    | (conf->lenient_numeric_value
                       ? AX_OCPP_LENIENT_NUMERIC_VALUE : 0)
                    | (conf->lenient_celsius ? AX_OCPP_LENIENT_CELSIUS : 0)
                    | (conf->lenient_hertz ? AX_OCPP_LENIENT_HERTZ : 0)
                    | (conf->lenient_null_payload
                       ? AX_OCPP_LENIENT_NULL_PAYLOAD : 0);

    /*
     * The WebSocket settings: the websocket_* directives of this location,
     * with OCPP's message size and liveness: a ping every interval, and a
     * charger silent for two intervals is closed.
     */

    wscf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_arthexis_ws_module);

    conf->ws = *wscf;
    conf->ws.max_message_size = conf->max_message_size;
    conf->ws.ping_interval = conf->ping_interval;
    conf->ws.idle_timeout = conf->ping_interval ? 2 * conf->ping_interval
                                                : wscf->idle_timeout;

    if (conf->ws.send_buffer < conf->max_message_size + 16) {
        conf->ws.send_buffer = conf->max_message_size + 16;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_arthexis_ocpp_charge_point(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_arthexis_ocpp_loc_conf_t  *olcf = conf;

    ngx_http_core_loc_conf_t            *clcf;
    ngx_http_arthexis_ocpp_main_conf_t  *omcf;

    if (olcf->endpoint) {
        return "is duplicate";
    }

    omcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_arthexis_ocpp_module);

    if (omcf->zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ocpp_charge_point\" needs an \"ocpp_zone\" "
                           "at the http level, before the servers");
        return NGX_CONF_ERROR;
    }

    olcf->endpoint = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_arthexis_ocpp_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_arthexis_ocpp_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t            *clcf;
    ngx_http_arthexis_ocpp_main_conf_t  *omcf;

    omcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_arthexis_ocpp_module);

    if (omcf->zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ocpp_api\" needs an \"ocpp_zone\" at the http "
                           "level, before the servers");
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_arthexis_ocpp_api_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_arthexis_ocpp_init_process(ngx_cycle_t *cycle)
{
    ngx_http_arthexis_ocpp_main_conf_t  *omcf;

    omcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_arthexis_ocpp_module);

    if (omcf == NULL || omcf->zone == NULL) {
        return NGX_OK;
    }

    ngx_http_arthexis_ocpp_zone_init_worker(cycle, omcf->zone);

    return ngx_http_arthexis_ocpp_ipc_init_worker(cycle);
}


static void
ngx_http_arthexis_ocpp_exit_process(ngx_cycle_t *cycle)
{
    /* heartbeats not yet written: now, on a connection of our own */
    ngx_http_arthexis_ocpp_flush_heartbeats(1);

    ngx_http_arthexis_ocpp_ipc_exit_worker();
}
