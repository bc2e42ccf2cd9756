
/*
 * REST for operators (place it behind nginx's access control):
 *
 *   GET  .../chargers/              every charger: database + live state
 *   GET  .../chargers/<cid>/        one, with its log and transactions
 *   POST .../chargers/<cid>/action/ a remote action, answered with the
 *                                   charger's own answer
 *
 * Any worker may take an action: the worker that holds the charger's
 * socket sends the CALL (ngx_http_arthexis_ocpp_ipc.c when that is another
 * worker) and the charger's answer comes back to this request.
 */

#include "ngx_http_arthexis_ocpp.h"


typedef struct {
    ngx_str_t                            charger;     /* empty: all */
    json_t                              *rows;
} ngx_http_arthexis_ocpp_list_t;


typedef struct {
    const char                          *name;        /* REST */
    const char                          *action;      /* OCPP */
} ngx_http_arthexis_ocpp_remote_t;


static ngx_int_t ngx_http_arthexis_ocpp_api_path(ngx_http_request_t *r,
    ngx_str_t *charger, ngx_uint_t *action);
static ngx_int_t ngx_http_arthexis_ocpp_api_list(ngx_http_request_t *r,
    ngx_str_t *charger);
static void ngx_http_arthexis_ocpp_list_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
static void ngx_http_arthexis_ocpp_list_done(ngx_http_arthexis_job_t *job);
static ngx_int_t ngx_http_arthexis_ocpp_api_action(ngx_http_request_t *r,
    json_t *input);
static json_t *ngx_http_arthexis_ocpp_build(ngx_http_request_t *r,
    json_t *input, ngx_str_t *charger, const char **action,
    const char **detail, ngx_uint_t *status);
static void ngx_http_arthexis_ocpp_local_done(
    ngx_http_arthexis_ocpp_call_t *call, ngx_uint_t status, json_t *reply);


static ngx_http_arthexis_ocpp_remote_t  ngx_http_arthexis_ocpp_remotes[] = {
    { "remote_stop", "RemoteStopTransaction" },
    { "remote_start", "RemoteStartTransaction" },
    { "reset", "Reset" },
    { "unlock_connector", "UnlockConnector" },
    { "change_availability", "ChangeAvailability" },
    { "change_configuration", "ChangeConfiguration" },
    { "get_configuration", "GetConfiguration" },
    { "clear_cache", "ClearCache" },
    { "trigger_message", "TriggerMessage" },
    { "data_transfer", "DataTransfer" },
    { NULL, NULL }
};


ngx_int_t
ngx_http_arthexis_ocpp_api_handler(ngx_http_request_t *r)
{
    ngx_int_t   rc;
    ngx_str_t   charger;
    ngx_uint_t  action;

    if (ngx_http_arthexis_ocpp_api_path(r, &charger, &action) != NGX_OK) {
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_FOUND,
                                             "not found");
    }

    if (action) {
        if (r->method != NGX_HTTP_POST) {
            return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                                 "POST required");
        }

        return ngx_http_arthexis_read_json(r,
                                           ngx_http_arthexis_ocpp_api_action);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                             "GET required");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_arthexis_ocpp_api_list(r, &charger);
}


/* .../chargers/ , .../chargers/<cid>/ , .../chargers/<cid>/action/ (the
 * trailing slash is optional) */

static ngx_int_t
ngx_http_arthexis_ocpp_api_path(ngx_http_request_t *r, ngx_str_t *charger,
    ngx_uint_t *action)
{
    u_char  *p, *end, *slash;

    ngx_str_null(charger);
    *action = 0;

    p = ngx_strlcasestrn(r->uri.data, r->uri.data + r->uri.len,
                         (u_char *) "/chargers", 9 - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p += 9;
    end = r->uri.data + r->uri.len;

    if (p < end && *p == '/') {
        p++;
    }

    if (p < end && end[-1] == '/') {
        end--;
    }

    if (p >= end) {
        return NGX_OK;
    }

    slash = ngx_strlchr(p, end, '/');

    if (slash == NULL) {
        charger->data = p;
        charger->len = end - p;

    } else {
        charger->data = p;
        charger->len = slash - p;

        if (end - slash - 1 != 6 || ngx_strncmp(slash + 1, "action", 6) != 0)
        {
            return NGX_ERROR;
        }

        *action = 1;
    }

    if (charger->len == 0 || charger->len > NGX_HTTP_ARTHEXIS_OCPP_ID_MAX) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_arthexis_ocpp_api_list(ngx_http_request_t *r, ngx_str_t *charger)
{
    ngx_http_arthexis_job_t        *job;
    ngx_http_arthexis_ocpp_list_t  *l;

    l = ngx_pcalloc(r->pool, sizeof(ngx_http_arthexis_ocpp_list_t));
    if (l == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    l->charger = *charger;

    job = ngx_http_arthexis_job_create(r->pool, r->connection->log,
                                       ngx_http_arthexis_ocpp_list_run);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->request = r;
    job->data = l;
    job->done = ngx_http_arthexis_ocpp_list_done;

    if (ngx_http_arthexis_job_post(job) != NGX_OK) {
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                             "database busy");
    }

    return NGX_DONE;
}


static json_t *
ngx_http_arthexis_ocpp_col(ax_db_res_t *res, int row, int col)
{
    size_t       len;
    const char  *v;

    v = ax_db_res_value(res, row, col, &len);

    return v ? json_stringn(v, len) : json_null();
}


static void
ngx_http_arthexis_ocpp_list_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_ocpp_list_t  *l = job->data;

    int             rc, i, n;
    json_t         *rows, *o, *v, *txs;
    ax_db_res_t    *res, *tx;
    const char     *s;
    ax_db_param_t   p[1];

    ax_db_set_text(&p[0], l->charger.len, l->charger.data);

    rc = ax_db_query(db, l->charger.len
                     ? "SELECT charger_id, name, config, require_rfid, "
                       "last_heartbeat, last_meter_values, status, "
                       "diagnostics_status, firmware_status, created_at "
                       "FROM ocpp_charger WHERE charger_id = $1"
                     : "SELECT charger_id, name, config, require_rfid, "
                       "last_heartbeat, last_meter_values, status, "
                       "diagnostics_status, firmware_status, created_at "
                       "FROM ocpp_charger ORDER BY charger_id",
                     p, l->charger.len ? 1 : 0, &res);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    if (l->charger.len && ax_db_res_rows(res) == 0) {
        ax_db_res_free(res);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_NOT_FOUND, "not found");
        return;
    }

    rows = json_array();
    n = ax_db_res_rows(res);

    for (i = 0; rows && i < n; i++) {
        o = json_object();
        if (o == NULL) {
            break;
        }

        json_object_set_new(o, "charger_id",
                            ngx_http_arthexis_ocpp_col(res, i, 0));
        json_object_set_new(o, "name", ngx_http_arthexis_ocpp_col(res, i, 1));

        s = ax_db_res_value(res, i, 2, NULL);
        v = s ? json_loads(s, 0, NULL) : NULL;
        json_object_set_new(o, "config", v ? v : json_object());

        json_object_set_new(o, "require_rfid",
                            json_boolean(ax_db_res_int(res, i, 3)));
        json_object_set_new(o, "lastHeartbeat",
                            ngx_http_arthexis_ocpp_col(res, i, 4));

        s = ax_db_res_value(res, i, 5, NULL);
        v = s ? json_loads(s, 0, NULL) : NULL;
        json_object_set_new(o, "lastMeterValues", v ? v : json_null());

        json_object_set_new(o, "status", ngx_http_arthexis_ocpp_col(res, i, 6));
        json_object_set_new(o, "diagnosticsStatus",
                            ngx_http_arthexis_ocpp_col(res, i, 7));
        json_object_set_new(o, "firmwareStatus",
                            ngx_http_arthexis_ocpp_col(res, i, 8));
        json_object_set_new(o, "transaction", json_null());
        json_object_set_new(o, "connected", json_false());

        json_array_append_new(rows, o);
    }

    ax_db_res_free(res);

    if (rows == NULL) {
        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "out of memory");
        return;
    }

    /* the active transaction of each charger (the seed's "transaction") */

    rc = ax_db_query(db, l->charger.len
                     ? "SELECT charger_id, id, connector_id, id_tag, "
                       "meter_start, start_time FROM ocpp_transaction "
                       "WHERE stop_time IS NULL AND charger_id = $1 "
                       "ORDER BY id"
                     : "SELECT charger_id, id, connector_id, id_tag, "
                       "meter_start, start_time FROM ocpp_transaction "
                       "WHERE stop_time IS NULL ORDER BY id",
                     p, l->charger.len ? 1 : 0, &tx);
    if (rc != AX_DB_OK) {
        json_decref(rows);
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    n = ax_db_res_rows(tx);

    for (i = 0; i < n; i++) {
        size_t  k;

        s = ax_db_res_value(tx, i, 0, NULL);

        json_array_foreach(rows, k, o) {
            if (ngx_strcmp(json_string_value(json_object_get(o,
                                                             "charger_id")),
                           s) == 0)
            {
                json_object_set_new(o, "transaction",
                    json_pack("{s:I, s:I, s:o, s:I, s:o}",
                              "transactionId",
                              (json_int_t) ax_db_res_int(tx, i, 1),
                              "connectorId",
                              (json_int_t) ax_db_res_int(tx, i, 2),
                              "idTag", ngx_http_arthexis_ocpp_col(tx, i, 3),
                              "meterStart",
                              (json_int_t) ax_db_res_int(tx, i, 4),
                              "startTimestamp",
                              ngx_http_arthexis_ocpp_col(tx, i, 5)));
                break;
            }
        }
    }

    ax_db_res_free(tx);

    if (l->charger.len) {
        /* the detail: recent transactions, newest first */

        rc = ax_db_query(db, "SELECT id, connector_id, id_tag, meter_start, "
                             "meter_stop, start_time, stop_time, stop_reason "
                             "FROM ocpp_transaction WHERE charger_id = $1 "
                             "ORDER BY id DESC LIMIT 50", p, 1, &tx);
        if (rc != AX_DB_OK) {
            json_decref(rows);
            ngx_http_arthexis_job_db_error(job, db, rc);
            return;
        }

        txs = json_array();
        n = ax_db_res_rows(tx);

        for (i = 0; txs && i < n; i++) {
            json_array_append_new(txs,
                json_pack("{s:I, s:I, s:o, s:I, s:o, s:o, s:o, s:o}",
                          "transactionId",
                          (json_int_t) ax_db_res_int(tx, i, 0),
                          "connectorId",
                          (json_int_t) ax_db_res_int(tx, i, 1),
                          "idTag", ngx_http_arthexis_ocpp_col(tx, i, 2),
                          "meterStart",
                          (json_int_t) ax_db_res_int(tx, i, 3),
                          "meterStop",
                          ax_db_res_is_null(tx, i, 4)
                          ? json_null()
                          : json_integer(ax_db_res_int(tx, i, 4)),
                          "startTimestamp",
                          ngx_http_arthexis_ocpp_col(tx, i, 5),
                          "stopTimestamp",
                          ngx_http_arthexis_ocpp_col(tx, i, 6),
                          "stopReason",
                          ngx_http_arthexis_ocpp_col(tx, i, 7)));
        }

        ax_db_res_free(tx);

        json_object_set_new(json_array_get(rows, 0), "transactions",
                            txs ? txs : json_array());
    }

    l->rows = rows;
    job->status = NGX_HTTP_OK;
}


/* on the event loop: the live state from the zone joins the rows */

static void
ngx_http_arthexis_ocpp_list_done(ngx_http_arthexis_job_t *job)
{
    ngx_http_arthexis_ocpp_list_t  *l = job->data;

    size_t                               i;
    json_t                              *o, *live, *out, *log;
    ngx_int_t                            rc;
    ngx_str_t                            id;
    const char                          *s;
    ngx_http_request_t                  *r;
    ngx_http_arthexis_ocpp_charger_t    *ch;
    ngx_http_arthexis_ocpp_main_conf_t  *omcf;

    r = job->request;

    if (l->rows == NULL) {
        ngx_http_finalize_request(r,
                                  ngx_http_arthexis_send_json(r, job->status,
                                                              job->body,
                                                              job->body_len));
        return;
    }

    omcf = ngx_http_get_module_main_conf(r, ngx_http_arthexis_ocpp_module);

    ngx_http_arthexis_ocpp_zone_lock(omcf->zone);

    json_array_foreach(l->rows, i, o) {
        s = json_string_value(json_object_get(o, "charger_id"));
        id.data = (u_char *) s;
        id.len = ngx_strlen(s);

        ch = ngx_http_arthexis_ocpp_zone_lookup(omcf->zone, &id);
        if (ch == NULL) {
            json_object_set_new(o, "connectors", json_array());
            json_object_set_new(o, "boot", json_null());
            continue;
        }

        live = ngx_http_arthexis_ocpp_zone_charger_json(ch);

        if (live != NULL) {
            /* the live values are newer than the database's */
            if (json_is_null(json_object_get(live, "lastHeartbeat"))) {
                json_object_del(live, "lastHeartbeat");
            }

            if (json_is_null(json_object_get(live, "lastMeterValues"))) {
                json_object_del(live, "lastMeterValues");
            }

            if (json_is_null(json_object_get(live, "status"))) {
                json_object_del(live, "status");
            }

            json_object_update(o, live);
            json_decref(live);
        }

        if (l->charger.len) {
            log = ngx_http_arthexis_ocpp_zone_log_json(omcf->zone, ch);
            json_object_set_new(o, "log", log ? log : json_array());
        }
    }

    ngx_http_arthexis_ocpp_zone_unlock(omcf->zone);

    if (l->charger.len) {
        o = json_array_get(l->rows, 0);

        if (json_object_get(o, "log") == NULL) {
            json_object_set_new(o, "log", json_array());
        }

        out = json_incref(o);

    } else {
        out = json_pack("{s:O}", "chargers", l->rows);
    }

    json_decref(l->rows);
    l->rows = NULL;

    rc = ngx_http_arthexis_send_value(r, NGX_HTTP_OK, out);
    json_decref(out);

    ngx_http_finalize_request(r, rc);
}


/* POST .../chargers/<cid>/action/ {"action": "reset", ...} */

static ngx_int_t
ngx_http_arthexis_ocpp_api_action(ngx_http_request_t *r, json_t *input)
{
    json_t                              *payload;
    ngx_int_t                            rc;
    ngx_str_t                            charger;
    ngx_uint_t                           is_action, status;
    uint64_t                             session;
    ngx_pid_t                            owner;
    const char                          *action, *detail;
    ax_ocpp_error_t                      err;
    ngx_http_arthexis_ocpp_charger_t    *ch;
    ngx_http_arthexis_ocpp_session_t    *s;
    ngx_http_arthexis_ocpp_main_conf_t  *omcf;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_arthexis_ocpp_module);

    (void) ngx_http_arthexis_ocpp_api_path(r, &charger, &is_action);

    detail = NULL;
    action = NULL;
    status = NGX_HTTP_BAD_REQUEST;

    payload = ngx_http_arthexis_ocpp_build(r, input, &charger, &action,
                                           &detail, &status);
    json_decref(input);

    if (payload == NULL) {
        return ngx_http_arthexis_send_detail(r, status,
                                             detail ? detail
                                                    : "out of memory");
    }

    /* what we send is what the official schema allows */

    if (ax_ocpp_validate(omcf->schemas, action, ngx_strlen(action), 0,
                         &payload, 0, &err)
        != 0)
    {
        json_decref(payload);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST,
                                             err.description);
    }

    ngx_http_arthexis_ocpp_zone_lock(omcf->zone);

    ch = ngx_http_arthexis_ocpp_zone_lookup(omcf->zone, &charger);

    owner = 0;
    session = 0;

    if (ch != NULL && ch->connected) {
        owner = ch->owner_pid;
        session = ch->session;
    }

    ngx_http_arthexis_ocpp_zone_unlock(omcf->zone);

    if (owner == 0) {
        json_decref(payload);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_FOUND,
                                             "no connection");
    }

    if (owner != ngx_pid || omcf->force_ipc) {
        rc = ngx_http_arthexis_ocpp_ipc_command(r, owner, session, &charger,
                                                action, payload);
        json_decref(payload);
        return rc;
    }

    s = ngx_http_arthexis_ocpp_session_find(session);

    if (s == NULL || s->closed) {
        json_decref(payload);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_FOUND,
                                             "no connection");
    }

    if (ngx_http_arthexis_ocpp_session_call(s, action, payload,
                                            ngx_http_arthexis_ocpp_local_done,
                                            r)
        != NGX_OK)
    {
        json_decref(payload);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                             "too many calls queued for "
                                             "this charger");
    }

    json_decref(payload);

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_arthexis_ocpp_local_done(ngx_http_arthexis_ocpp_call_t *call,
    ngx_uint_t status, json_t *reply)
{
    ngx_http_request_t  *r = call->data;

    ngx_http_finalize_request(r,
        ngx_http_arthexis_ocpp_api_respond(r, status, call->frame,
                                           call->frame_len, reply));
}


/*
 * The REST reply for a remote action: 200 {"sent": frame, "response":
 * payload} whatever the charger decided, 502 with its CALLERROR, 504 when
 * it did not answer in time, 404 when it went away.
 */

ngx_int_t
ngx_http_arthexis_ocpp_api_respond(ngx_http_request_t *r, ngx_uint_t status,
    const char *frame, size_t frame_len, json_t *reply)
{
    json_t     *out, *sent;
    ngx_int_t   rc;

    sent = frame ? json_loadb(frame, frame_len, 0, NULL) : NULL;

    switch (status) {

    case NGX_HTTP_OK:
        out = json_pack("{s:o, s:O}", "sent", sent ? sent : json_null(),
                        "response", reply ? reply : json_null());
        break;

    case NGX_HTTP_BAD_GATEWAY:
        out = json_pack("{s:s, s:o, s:O}",
                        "detail", "the charger answered with a CALLERROR",
                        "sent", sent ? sent : json_null(),
                        "error", reply ? reply : json_null());
        break;

    case NGX_HTTP_GATEWAY_TIME_OUT:
        out = json_pack("{s:s, s:o}",
                        "detail", "the charger did not answer in time",
                        "sent", sent ? sent : json_null());
        break;

    case NGX_HTTP_NOT_FOUND:
        json_decref(sent);
        out = json_pack("{s:s}", "detail", "no connection");
        break;

    default:
        json_decref(sent);
        out = json_pack("{s:s}", "detail",
                        "the command could not be delivered");
    }

    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_arthexis_send_value(r, status, out);
    json_decref(out);

    return rc;
}


/* our static spelling of an OCPP action we send, or NULL */

const char *
ngx_http_arthexis_ocpp_action_name(const char *action)
{
    ngx_uint_t  i;

    for (i = 0; action && ngx_http_arthexis_ocpp_remotes[i].name; i++) {
        if (ngx_strcmp(action, ngx_http_arthexis_ocpp_remotes[i].action)
            == 0)
        {
            return ngx_http_arthexis_ocpp_remotes[i].action;
        }
    }

    return NULL;
}


/* the OCPP payload for a REST action; NULL with a detail on bad input */

static json_t *
ngx_http_arthexis_ocpp_build(ngx_http_request_t *r, json_t *input,
    ngx_str_t *charger, const char **action, const char **detail,
    ngx_uint_t *status)
{
    json_t                              *p, *v;
    ngx_uint_t                           i;
    long long                            n;
    const char                          *name, *s;
    ngx_http_arthexis_ocpp_charger_t    *ch;
    ngx_http_arthexis_ocpp_main_conf_t  *omcf;

    name = json_string_value(json_object_get(input, "action"));

    if (name == NULL) {
        *detail = "action required";
        return NULL;
    }

    for (i = 0; ngx_http_arthexis_ocpp_remotes[i].name; i++) {
        if (ngx_strcmp(name, ngx_http_arthexis_ocpp_remotes[i].name) == 0) {
            break;
        }
    }

    if (ngx_http_arthexis_ocpp_remotes[i].name == NULL) {
        *detail = "unknown action";
        return NULL;
    }

    *action = ngx_http_arthexis_ocpp_remotes[i].action;

    p = json_object();
    if (p == NULL) {
        return NULL;
    }

#define ax_int_arg(key, required)                                            \
    v = json_object_get(input, key);                                         \
    if (v != NULL && !json_is_null(v)) {                                     \
        if (ax_json_get_int(input, key, &n) != 0) {                          \
            *detail = key " must be an integer";                             \
            goto failed;                                                     \
        }                                                                    \
        json_object_set_new(p, key, json_integer(n));                        \
    } else if (required) {                                                   \
        *detail = key " required";                                           \
        goto failed;                                                         \
    }

#define ax_str_arg(key, required)                                            \
    v = json_object_get(input, key);                                         \
    if (v != NULL && !json_is_null(v)) {                                     \
        if (!json_is_string(v)) {                                            \
            *detail = key " must be a string";                               \
            goto failed;                                                     \
        }                                                                    \
        json_object_set(p, key, v);                                          \
    } else if (required) {                                                   \
        *detail = key " required";                                           \
        goto failed;                                                         \
    }

    switch (i) {

    case 0: /* remote_stop */
        ax_int_arg("transactionId", 0);

        if (json_object_get(p, "transactionId") == NULL) {
            /* the charger's active transaction */
            omcf = ngx_http_get_module_main_conf(r,
                                                ngx_http_arthexis_ocpp_module);
            n = 0;

            ngx_http_arthexis_ocpp_zone_lock(omcf->zone);

            ch = ngx_http_arthexis_ocpp_zone_lookup(omcf->zone, charger);

            for (i = 0; ch && i < NGX_HTTP_ARTHEXIS_OCPP_CONNECTORS; i++) {
                if (ch->connectors[i].transaction_id) {
                    n = ch->connectors[i].transaction_id;
                    break;
                }
            }

            ngx_http_arthexis_ocpp_zone_unlock(omcf->zone);

            if (n == 0) {
                *status = NGX_HTTP_NOT_FOUND;
                *detail = "no transaction";
                goto failed;
            }

            json_object_set_new(p, "transactionId", json_integer(n));
        }

        break;

    case 1: /* remote_start */
        ax_str_arg("idTag", 1);
        ax_int_arg("connectorId", 0);
        break;

    case 2: /* reset */
        s = json_string_value(json_object_get(input, "type"));

        if (json_object_get(input, "type") != NULL
            && (s == NULL
                || (ngx_strcmp(s, "Soft") != 0 && ngx_strcmp(s, "Hard") != 0)))
        {
            *detail = "type must be Soft or Hard";
            goto failed;
        }

        json_object_set_new(p, "type", json_string(s ? s : "Soft"));
        break;

    case 3: /* unlock_connector */
        ax_int_arg("connectorId", 1);
        break;

    case 4: /* change_availability */
        ax_int_arg("connectorId", 1);
        ax_str_arg("type", 1);
        break;

    case 5: /* change_configuration */
        ax_str_arg("key", 1);
        ax_str_arg("value", 1);
        break;

    case 6: /* get_configuration */
        v = json_object_get(input, "key");

        if (v != NULL && !json_is_null(v)) {
            if (json_is_string(v)) {
                json_object_set_new(p, "key", json_pack("[O]", v));

            } else {
                json_object_set(p, "key", v);
            }
        }

        break;

    case 7: /* clear_cache */
        break;

    case 8: /* trigger_message */
        ax_str_arg("requestedMessage", 1);
        ax_int_arg("connectorId", 0);
        break;

    default: /* data_transfer */
        ax_str_arg("vendorId", 1);
        ax_str_arg("messageId", 0);

        v = json_object_get(input, "data");

        if (v != NULL && !json_is_null(v)) {
            if (json_is_string(v)) {
                json_object_set(p, "data", v);

            } else {
                /* DataTransfer's data is a string: JSON goes as text */
                s = json_dumps(v, JSON_COMPACT);
                if (s == NULL) {
                    goto failed;
                }

                json_object_set_new(p, "data", json_string(s));
                free((void *) s);
            }
        }
    }

#undef ax_int_arg
#undef ax_str_arg

    return p;

failed:

    json_decref(p);
    return NULL;
}
