
/*
 * A charge point's session: the handshake (charger id, subprotocol, the
 * charger's row), then every message: OCPP-J parsing, schema validation,
 * dispatch to the action, replies, and our own CALLs with their answers.
 *
 * Inbound CALLs of one charger are handled in order: while one is in the
 * database the next ones wait (real chargers send one at a time anyway).
 * Outbound CALLs: one outstanding per charger, the others queued.
 */

#include "ngx_http_arthexis_ocpp.h"


typedef struct {
    ngx_str_t                            id;
    ngx_flag_t                           autoregister;
    ngx_flag_t                           require_rfid_default;
    ngx_int_t                            found;
    ngx_int_t                            require_rfid;
} ngx_http_arthexis_ocpp_ensure_t;


static ngx_int_t ngx_http_arthexis_ocpp_charger_id(ngx_http_request_t *r,
    ngx_uint_t max, ngx_str_t *id);
static ngx_int_t ngx_http_arthexis_ocpp_protocol(ngx_http_request_t *r,
    ngx_str_t *offered, ngx_str_t *chosen);
static void ngx_http_arthexis_ocpp_ensure_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
static void ngx_http_arthexis_ocpp_ensure_done(ngx_http_arthexis_job_t *job);
static void ngx_http_arthexis_ocpp_message(ngx_http_arthexis_ws_t *ws,
    ngx_uint_t opcode, u_char *data, size_t len);
static void ngx_http_arthexis_ocpp_closed(ngx_http_arthexis_ws_t *ws);
static void ngx_http_arthexis_ocpp_process(
    ngx_http_arthexis_ocpp_session_t *s, u_char *data, size_t len);
static void ngx_http_arthexis_ocpp_answer(
    ngx_http_arthexis_ocpp_session_t *s, ax_ocpp_msg_t *msg);
static void ngx_http_arthexis_ocpp_send_text(
    ngx_http_arthexis_ocpp_session_t *s, char *text, size_t len);
static void ngx_http_arthexis_ocpp_call_next(
    ngx_http_arthexis_ocpp_session_t *s);
static void ngx_http_arthexis_ocpp_call_timeout(ngx_event_t *ev);
static void ngx_http_arthexis_ocpp_call_finish(
    ngx_http_arthexis_ocpp_call_t *call, ngx_uint_t status, json_t *reply);
static void ngx_http_arthexis_ocpp_drain(ngx_http_arthexis_ocpp_session_t *s);


/* the request is released after the 101: a session costs only what it
 * keeps in the connection's pool */
static const ngx_http_arthexis_ws_handler_t  ngx_http_arthexis_ocpp_ws = {
    ngx_http_arthexis_ocpp_protocol,
    ngx_http_arthexis_ocpp_message,
    ngx_http_arthexis_ocpp_closed,
    1
};


/* this worker's sessions by session id */
static ngx_rbtree_t       ngx_http_arthexis_ocpp_sessions;
static ngx_rbtree_node_t  ngx_http_arthexis_ocpp_sessions_sentinel;
static ngx_uint_t         ngx_http_arthexis_ocpp_sessions_init;


uint64_t
ngx_http_arthexis_ocpp_session_key(ngx_uint_t ws_id)
{
    /* unique across the workers: the zone records it as the owner */
    return ((uint64_t) ngx_pid << 32) | (ws_id & 0xffffffff);
}


ngx_http_arthexis_ocpp_session_t *
ngx_http_arthexis_ocpp_session_find(uint64_t session)
{
    ngx_rbtree_node_t  *node, *sentinel;

    if (!ngx_http_arthexis_ocpp_sessions_init) {
        return NULL;
    }

    node = ngx_http_arthexis_ocpp_sessions.root;
    sentinel = ngx_http_arthexis_ocpp_sessions.sentinel;

    while (node != sentinel) {

        if (session < node->key) {
            node = node->left;
            continue;
        }

        if (session > node->key) {
            node = node->right;
            continue;
        }

        return (ngx_http_arthexis_ocpp_session_t *) node;
    }

    return NULL;
}


ngx_int_t
ngx_http_arthexis_ocpp_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_str_t                           id, key, offered, chosen;
    const char                         *detail;
    ngx_http_arthexis_job_t            *job;
    ngx_http_arthexis_ocpp_ensure_t    *e;
    ngx_http_core_loc_conf_t           *clcf;
    ngx_http_arthexis_ocpp_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_arthexis_ocpp_module);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /* the id follows the location's prefix: "/ws/ocpp/" alone has none */

    if ((!clcf->exact_match
#if (NGX_PCRE)
         && clcf->regex == NULL
#endif
         && r->uri.len <= clcf->name.len)
        || ngx_http_arthexis_ocpp_charger_id(r, olcf->id_max_len, &id)
           != NGX_OK)
    {
        r->keepalive = 0;
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST,
                                             "invalid charger id");
    }

    /* refuse a bad handshake before the database hears of the charger */

    detail = NULL;
    rc = ngx_http_arthexis_ws_check(r, &key, &offered, &detail);

    if (rc != NGX_OK) {
        if (detail == NULL) {
            return rc;
        }

        r->keepalive = 0;
        return ngx_http_arthexis_send_detail(r, rc, detail);
    }

    if (ngx_http_arthexis_ocpp_protocol(r, &offered, &chosen) != NGX_OK) {
        r->keepalive = 0;
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "ocpp: charger \"%V\" offered \"%V\", not ocpp1.6",
                      &id, &offered);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST,
                   offered.len ? "subprotocol ocpp1.6 required"
                               : "Sec-WebSocket-Protocol: ocpp1.6 required");
    }

    /* the charger's row: found, or registered as in the seed */

    job = ngx_http_arthexis_job_create(r->pool, r->connection->log,
                                       ngx_http_arthexis_ocpp_ensure_run);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    e = ngx_pcalloc(r->pool, sizeof(ngx_http_arthexis_ocpp_ensure_t));
    if (e == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    e->id = id;
    e->autoregister = olcf->autoregister;
    e->require_rfid_default = olcf->require_rfid;

    job->request = r;
    job->data = e;
    job->done = ngx_http_arthexis_ocpp_ensure_done;

    if (ngx_http_arthexis_job_post(job) != NGX_OK) {
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                             "database busy");
    }

    return NGX_DONE;
}


/*
 * The charger id: the last path segment, percent-decoded, 1 to max
 * printable characters; "/ws/ocpp/CP1" and "/ws/ocpp/CP1/" are the same.
 */

static ngx_int_t
ngx_http_arthexis_ocpp_charger_id(ngx_http_request_t *r, ngx_uint_t max,
    ngx_str_t *id)
{
    u_char  *p, *end, *start, *dst, *src;

    p = r->unparsed_uri.data;
    end = p + r->unparsed_uri.len;

    start = ngx_strlchr(p, end, '?');
    if (start) {
        end = start;
    }

    if (end > p && end[-1] == '/') {
        end--;
    }

    start = end;

    while (start > p && start[-1] != '/') {
        start--;
    }

    if (start == end) {
        return NGX_ERROR;
    }

    dst = ngx_pnalloc(r->pool, end - start);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    id->data = dst;
    src = start;

    ngx_unescape_uri(&dst, &src, end - start, 0);

    if (src != end) {
        return NGX_ERROR;
    }

    id->len = dst - id->data;

    if (id->len == 0 || id->len > max) {
        return NGX_ERROR;
    }

    for (p = id->data; p < id->data + id->len; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* ocpp1.6 from the offered list; none offered is fine unless required */

static ngx_int_t
ngx_http_arthexis_ocpp_protocol(ngx_http_request_t *r, ngx_str_t *offered,
    ngx_str_t *chosen)
{
    u_char                             *p, *last, *start;
    ngx_http_arthexis_ocpp_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_arthexis_ocpp_module);

    ngx_str_null(chosen);

    if (offered->len == 0) {
        return olcf->require_subprotocol ? NGX_DECLINED : NGX_OK;
    }

    p = offered->data;
    last = p + offered->len;

    while (p < last) {
        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        start = p;

        while (p < last && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        if (p - start == 7 && ngx_strncmp(start, "ocpp1.6", 7) == 0) {
            ngx_str_set(chosen, "ocpp1.6");
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


static void
ngx_http_arthexis_ocpp_ensure_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_ocpp_ensure_t  *e = job->data;

    int             rc;
    char            now[32];
    ax_db_res_t    *res;
    ax_db_param_t   p[3];

    ax_db_set_text(&p[0], e->id.len, e->id.data);

    if (e->autoregister) {
        ngx_http_arthexis_ocpp_iso_time(ngx_http_arthexis_ocpp_now_ms(), now);
        ax_db_set_int(&p[1], e->require_rfid_default ? 1 : 0);
        ax_db_set_text(&p[2], ngx_strlen(now), now);

        rc = ax_db_query(db, "INSERT INTO ocpp_charger "
                             "(charger_id, require_rfid, created_at) "
                             "VALUES ($1, $2, $3) "
                             "ON CONFLICT (charger_id) DO NOTHING",
                         p, 3, NULL);
        if (rc != AX_DB_OK) {
            ngx_http_arthexis_job_db_error(job, db, rc);
            return;
        }
    }

    rc = ax_db_query(db, "SELECT require_rfid FROM ocpp_charger "
                         "WHERE charger_id = $1", p, 1, &res);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    e->found = ax_db_res_rows(res) > 0;
    e->require_rfid = e->found && ax_db_res_int(res, 0, 0);

    ax_db_res_free(res);

    if (!e->found) {
        ngx_http_arthexis_job_detail(job, NGX_HTTP_NOT_FOUND,
                                     "unknown charger");
        return;
    }

    job->status = NGX_HTTP_OK;
}


static void
ngx_http_arthexis_ocpp_ensure_done(ngx_http_arthexis_job_t *job)
{
    ngx_http_arthexis_ocpp_ensure_t  *e = job->data;

    uint64_t                             prev_session;
    ngx_int_t                            rc;
    ngx_pid_t                            prev_pid;
    ngx_http_request_t                  *r;
    ngx_http_arthexis_ws_t              *ws;
    ngx_http_arthexis_ocpp_session_t    *s, *old;
    ngx_http_arthexis_ocpp_loc_conf_t   *olcf;
    ngx_http_arthexis_ocpp_main_conf_t  *omcf;

    r = job->request;

    if (job->status != NGX_HTTP_OK) {
        if (job->status == NGX_HTTP_NOT_FOUND) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "ocpp: unknown charger \"%V\" refused "
                          "(ocpp_autoregister off)", &e->id);
        }

        r->keepalive = 0;
        ngx_http_finalize_request(r,
                                  ngx_http_arthexis_send_json(r, job->status,
                                                              job->body,
                                                              job->body_len));
        return;
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_arthexis_ocpp_module);
    omcf = ngx_http_get_module_main_conf(r, ngx_http_arthexis_ocpp_module);

    /* the session outlives the request: the connection's pool */

    s = ngx_pcalloc(r->connection->pool,
                    sizeof(ngx_http_arthexis_ocpp_session_t));
    if (s == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    s->conf = olcf;
    s->mcf = omcf;
    s->id.len = e->id.len;
    s->id.data = ngx_pstrdup(r->connection->pool, &e->id);
    s->log = r->connection->log;

    if (s->id.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
    ngx_queue_init(&s->pending);
    ngx_queue_init(&s->calls);

    rc = ngx_http_arthexis_ws_upgrade(r, &olcf->ws, &ngx_http_arthexis_ocpp_ws,
                                      s, &ws);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    s->ws = ws;
    s->session = ngx_http_arthexis_ocpp_session_key(ws->id);
    s->node.key = s->session;

    if (!ngx_http_arthexis_ocpp_sessions_init) {
        ngx_rbtree_init(&ngx_http_arthexis_ocpp_sessions,
                        &ngx_http_arthexis_ocpp_sessions_sentinel,
                        ngx_rbtree_insert_value);
        ngx_http_arthexis_ocpp_sessions_init = 1;
    }

    ngx_rbtree_insert(&ngx_http_arthexis_ocpp_sessions, &s->node);

    if (ngx_http_arthexis_ocpp_zone_attach(omcf->zone, &s->id, s->session,
                                           e->require_rfid, &prev_pid,
                                           &prev_session, s->log)
        != NGX_OK)
    {
        ngx_http_arthexis_ws_close(ws, AX_WS_CLOSE_TRY_AGAIN_LATER,
                                   "central system full");

    } else if (prev_pid) {
        /* the same charger again: the new socket takes over */

        ngx_log_error(NGX_LOG_NOTICE, s->log, 0,
                      "ocpp: charger \"%V\" connected again, closing its "
                      "previous session", &s->id);

        if (prev_pid == ngx_pid) {
            old = ngx_http_arthexis_ocpp_session_find(prev_session);

            if (old != NULL && old != s) {
                ngx_http_arthexis_ocpp_session_close(old,
                                                     "replaced by a new "
                                                     "connection");
            }

        } else {
            (void) ngx_http_arthexis_ocpp_ipc_close(prev_pid, prev_session);
        }

    } else {
        ngx_log_error(NGX_LOG_INFO, s->log, 0,
                      "ocpp: charger \"%V\" connected", &s->id);
    }

    ngx_http_finalize_request(r, NGX_DONE);
}


void
ngx_http_arthexis_ocpp_session_close(ngx_http_arthexis_ocpp_session_t *s,
    const char *why)
{
    if (s->closed) {
        return;
    }

    ngx_log_error(NGX_LOG_INFO, s->log, 0,
                  "ocpp: closing the session of charger \"%V\": %s",
                  &s->id, why);

    ngx_http_arthexis_ws_close(s->ws, AX_WS_CLOSE_POLICY, why);
}


static void
ngx_http_arthexis_ocpp_message(ngx_http_arthexis_ws_t *ws, ngx_uint_t opcode,
    u_char *data, size_t len)
{
    ngx_http_arthexis_ocpp_session_t  *s = ws->data;

    ngx_http_arthexis_ocpp_pending_t  *p;

    if (s->closed) {
        return;
    }

    if (opcode != AX_WS_OP_TEXT) {
        ngx_http_arthexis_ws_close(ws, AX_WS_CLOSE_UNSUPPORTED,
                                   "OCPP-J messages are text");
        return;
    }

    ngx_http_arthexis_ocpp_zone_log(s->mcf->zone, &s->zref, &s->id, '>', data,
                                    len);

    if (s->jobs == 0 && ngx_queue_empty(&s->pending)) {
        ngx_http_arthexis_ocpp_process(s, data, len);
        return;
    }

    /* an earlier message is in the database: this one waits its turn */

    if (s->npending >= NGX_HTTP_ARTHEXIS_OCPP_PENDING_MAX) {
        ngx_log_error(NGX_LOG_WARN, s->log, 0,
                      "ocpp: charger \"%V\" sent more than %d messages "
                      "without waiting for answers", &s->id,
                      NGX_HTTP_ARTHEXIS_OCPP_PENDING_MAX);
        ngx_http_arthexis_ws_close(ws, AX_WS_CLOSE_POLICY,
                                   "too many messages in flight");
        return;
    }

    p = ngx_alloc(sizeof(ngx_http_arthexis_ocpp_pending_t) + len, s->log);
    if (p == NULL) {
        ngx_http_arthexis_ws_close(ws, AX_WS_CLOSE_INTERNAL_ERROR,
                                   "out of memory");
        return;
    }

    p->len = len;
    ngx_memcpy(p->text, data, len);
    ngx_queue_insert_tail(&s->pending, &p->queue);
    s->npending++;
}


static void
ngx_http_arthexis_ocpp_process(ngx_http_arthexis_ocpp_session_t *s,
    u_char *data, size_t len)
{
    int               rc;
    char              problem[200];
    ax_ocpp_msg_t     msg;
    ax_ocpp_error_t   err;

    ngx_memzero(&msg, sizeof(ax_ocpp_msg_t));

    /* a plain Heartbeat needs neither the parser nor the schema */

    if (ax_ocpp_match_heartbeat(data, len, &msg.id, &msg.id_len)) {
        msg.type = AX_OCPP_CALL;
        msg.action = "Heartbeat";
        msg.action_len = sizeof("Heartbeat") - 1;

        (void) ngx_http_arthexis_ocpp_dispatch(s, &msg);
        return;
    }

    ngx_memzero(&err, sizeof(ax_ocpp_error_t));

    if (ax_ocpp_parse(data, len, &msg, &err) != 0) {
        ngx_log_error(NGX_LOG_INFO, s->log, 0,
                      "ocpp: charger \"%V\": %s: %s", &s->id, err.code,
                      err.description);

        /* a broken answer is not answered: only calls get CALLERRORs */
        if (err.type != AX_OCPP_CALLRESULT && err.type != AX_OCPP_CALLERROR) {
            ngx_http_arthexis_ocpp_session_error(s, err.id,
                                                 ngx_strlen(err.id),
                                                 err.code, err.description);
        }

        return;
    }

    if (msg.type != AX_OCPP_CALL) {
        ngx_http_arthexis_ocpp_answer(s, &msg);
        ax_ocpp_msg_free(&msg);
        return;
    }

    if ((msg.action_len == 11
         && ngx_strncmp(msg.action, "MeterValues", 11) == 0)
        || (msg.action_len == 15
            && ngx_strncmp(msg.action, "StopTransaction", 15) == 0))
    {
        /* one bad sampled value does not cost the good ones */
        rc = ax_ocpp_filter_sampled_values(s->mcf->schemas, msg.action,
                                           msg.payload, s->conf->lenient,
                                           problem, sizeof(problem));
        if (rc > 0) {
            ngx_log_error(NGX_LOG_WARN, s->log, 0,
                          "ocpp: charger \"%V\": %d sampled value(s) "
                          "dropped from %s: %s", &s->id, rc, msg.action,
                          problem);
        }
    }

    if (ax_ocpp_validate(s->mcf->schemas, msg.action, msg.action_len, 0,
                         &msg.payload, s->conf->lenient, &err)
        != 0)
    {
        ngx_log_error(NGX_LOG_INFO, s->log, 0,
                      "ocpp: charger \"%V\": %*s: %s: %s", &s->id,
                      msg.action_len, msg.action, err.code, err.description);
        ngx_http_arthexis_ocpp_session_error(s, msg.id, msg.id_len, err.code,
                                             err.description);
        ax_ocpp_msg_free(&msg);
        return;
    }

    /* the action takes the message (and frees it) */

    (void) ngx_http_arthexis_ocpp_dispatch(s, &msg);
}


/* the charger answers one of our CALLs */

static void
ngx_http_arthexis_ocpp_answer(ngx_http_arthexis_ocpp_session_t *s,
    ax_ocpp_msg_t *msg)
{
    json_t                         *reply;
    ax_ocpp_error_t                 err;
    ngx_http_arthexis_ocpp_call_t  *call;

    call = s->outstanding;

    if (call == NULL || msg->id_len != ngx_strlen(call->id)
        || ngx_strncmp(msg->id, call->id, msg->id_len) != 0)
    {
        ngx_log_error(NGX_LOG_WARN, s->log, 0,
                      "ocpp: charger \"%V\" answered \"%*s\", which is no "
                      "call of ours in flight: ignored", &s->id,
                      msg->id_len, msg->id);
        return;
    }

    s->outstanding = NULL;

    if (msg->type == AX_OCPP_CALLERROR) {
        reply = json_pack("{s:s, s:s, s:O}",
                          "errorCode", msg->error_code,
                          "errorDescription", msg->error_description,
                          "errorDetails", msg->payload ? msg->payload
                                                       : json_object());
        ngx_http_arthexis_ocpp_call_finish(call, NGX_HTTP_BAD_GATEWAY, reply);

    } else {
        /* the answer is checked against the official schema, as a call */

        if (ax_ocpp_validate(s->mcf->schemas, call->action,
                             ngx_strlen(call->action), 1, &msg->payload,
                             s->conf->lenient, &err)
            != 0)
        {
            ngx_log_error(NGX_LOG_WARN, s->log, 0,
                          "ocpp: charger \"%V\" answered %s with an invalid "
                          "payload: %s", &s->id, call->action,
                          err.description);
        }

        reply = json_incref(msg->payload);
        ngx_http_arthexis_ocpp_call_finish(call, NGX_HTTP_OK, reply);
    }

    ngx_http_arthexis_ocpp_call_next(s);
}


void
ngx_http_arthexis_ocpp_session_reply(ngx_http_arthexis_ocpp_session_t *s,
    const char *id, size_t id_len, json_t *payload)
{
    char    *text;
    size_t   len;

    text = ax_ocpp_write_result(id, id_len, payload, &len);

    if (text == NULL) {
        ngx_http_arthexis_ocpp_session_error(s, id, id_len, "InternalError",
                                             "cannot write the reply");
        return;
    }

    ngx_http_arthexis_ocpp_send_text(s, text, len);
    free(text);
}


void
ngx_http_arthexis_ocpp_session_error(ngx_http_arthexis_ocpp_session_t *s,
    const char *id, size_t id_len, const char *code, const char *description)
{
    char    *text;
    size_t   len;

    text = ax_ocpp_write_error(id, id_len, code, description, NULL, &len);

    if (text == NULL) {
        return;
    }

    ngx_http_arthexis_ocpp_send_text(s, text, len);
    free(text);
}


static void
ngx_http_arthexis_ocpp_send_text(ngx_http_arthexis_ocpp_session_t *s,
    char *text, size_t len)
{
    if (s->closed) {
        return;
    }

    ngx_http_arthexis_ocpp_zone_log(s->mcf->zone, &s->zref, &s->id, '<',
                                    (u_char *) text, len);

    (void) ngx_http_arthexis_ws_send(s->ws, AX_WS_OP_TEXT, (u_char *) text,
                                     len);
}


/* a job of this session is over: the next waiting message goes */

void
ngx_http_arthexis_ocpp_session_job_done(ngx_http_arthexis_ocpp_session_t *s)
{
    if (s->jobs) {
        s->jobs--;
    }

    ngx_http_arthexis_ocpp_drain(s);
}


static void
ngx_http_arthexis_ocpp_drain(ngx_http_arthexis_ocpp_session_t *s)
{
    ngx_queue_t                       *q;
    ngx_http_arthexis_ocpp_pending_t  *p;

    while (!s->closed && s->jobs == 0 && !ngx_queue_empty(&s->pending)) {
        q = ngx_queue_head(&s->pending);
        ngx_queue_remove(q);
        s->npending--;

        p = ngx_queue_data(q, ngx_http_arthexis_ocpp_pending_t, queue);

        ngx_http_arthexis_ocpp_process(s, p->text, p->len);

        ngx_free(p);
    }
}


/*
 * Our CALL to the charger: sent now when none is outstanding, else queued.
 * done(call, status, reply) runs exactly once: 200 with the charger's
 * payload, 502 with its CALLERROR, 504 on timeout, 404 when the charger
 * went away.  Returns NGX_ERROR (and does not call done) when the queue is
 * full or memory is short.
 */

ngx_int_t
ngx_http_arthexis_ocpp_session_call(ngx_http_arthexis_ocpp_session_t *s,
    const char *action, json_t *payload,
    ngx_http_arthexis_ocpp_call_done_pt done, void *data)
{
    ngx_http_arthexis_ocpp_call_t  *call;

    if (s->closed || s->ncalls >= NGX_HTTP_ARTHEXIS_OCPP_CALLS_MAX) {
        return NGX_ERROR;
    }

    call = ngx_calloc(sizeof(ngx_http_arthexis_ocpp_call_t), s->log);
    if (call == NULL) {
        return NGX_ERROR;
    }

    /* ids unique per session, and across sessions for the logs */
    ngx_sprintf((u_char *) call->id, "%uL-%ui%Z", s->session & 0xffffffff,
                ++s->next_call_id);

    call->frame = ax_ocpp_write_call(call->id, action, payload,
                                     &call->frame_len);
    if (call->frame == NULL) {
        ngx_free(call);
        return NGX_ERROR;
    }

    call->action = action;
    call->done = done;
    call->data = data;
    call->session = s;

    call->timer.handler = ngx_http_arthexis_ocpp_call_timeout;
    call->timer.data = call;
    call->timer.log = ngx_cycle->log;

    ngx_queue_insert_tail(&s->calls, &call->queue);
    s->ncalls++;

    if (s->outstanding == NULL) {
        ngx_http_arthexis_ocpp_call_next(s);
    }

    return NGX_OK;
}


/* the frame of a call, for the REST reply's "sent" */

static void
ngx_http_arthexis_ocpp_call_next(ngx_http_arthexis_ocpp_session_t *s)
{
    ngx_queue_t                    *q;
    ngx_http_arthexis_ocpp_call_t  *call;

    if (s->outstanding || ngx_queue_empty(&s->calls) || s->closed) {
        return;
    }

    q = ngx_queue_head(&s->calls);
    ngx_queue_remove(q);
    s->ncalls--;

    call = ngx_queue_data(q, ngx_http_arthexis_ocpp_call_t, queue);

    s->outstanding = call;

    ngx_add_timer(&call->timer, s->conf->call_timeout);

    ngx_http_arthexis_ocpp_send_text(s, call->frame, call->frame_len);
}


static void
ngx_http_arthexis_ocpp_call_timeout(ngx_event_t *ev)
{
    ngx_http_arthexis_ocpp_call_t     *call = ev->data;
    ngx_http_arthexis_ocpp_session_t  *s;

    s = call->session;

    ngx_log_error(NGX_LOG_WARN, s->log, 0,
                  "ocpp: charger \"%V\" did not answer %s \"%s\" in time",
                  &s->id, call->action, call->id);

    s->outstanding = NULL;

    ngx_http_arthexis_ocpp_call_finish(call, NGX_HTTP_GATEWAY_TIME_OUT,
                                       NULL);

    ngx_http_arthexis_ocpp_call_next(s);
}


static void
ngx_http_arthexis_ocpp_call_finish(ngx_http_arthexis_ocpp_call_t *call,
    ngx_uint_t status, json_t *reply)
{
    if (call->timer.timer_set) {
        ngx_del_timer(&call->timer);
    }

    call->done(call, status, reply);

    json_decref(reply);
    free(call->frame);
    ngx_free(call);
}


static void
ngx_http_arthexis_ocpp_closed(ngx_http_arthexis_ws_t *ws)
{
    ngx_http_arthexis_ocpp_session_t  *s = ws->data;

    ngx_queue_t                       *q;
    ngx_http_arthexis_ocpp_call_t     *call;
    ngx_http_arthexis_ocpp_pending_t  *p;

    if (s == NULL || s->ws == NULL || s->closed) {
        return;
    }

    s->closed = 1;

    ngx_rbtree_delete(&ngx_http_arthexis_ocpp_sessions, &s->node);

    ngx_http_arthexis_ocpp_zone_detach(s->mcf->zone, &s->id, s->session);

    ngx_log_error(NGX_LOG_INFO, s->log, 0,
                  "ocpp: charger \"%V\" disconnected", &s->id);

    while (!ngx_queue_empty(&s->pending)) {
        q = ngx_queue_head(&s->pending);
        ngx_queue_remove(q);
        p = ngx_queue_data(q, ngx_http_arthexis_ocpp_pending_t, queue);
        ngx_free(p);
    }

    s->npending = 0;

    /* our calls will get no answer now */

    if (s->outstanding) {
        call = s->outstanding;
        s->outstanding = NULL;
        ngx_http_arthexis_ocpp_call_finish(call, NGX_HTTP_NOT_FOUND, NULL);
    }

    while (!ngx_queue_empty(&s->calls)) {
        q = ngx_queue_head(&s->calls);
        ngx_queue_remove(q);
        call = ngx_queue_data(q, ngx_http_arthexis_ocpp_call_t, queue);
        ngx_http_arthexis_ocpp_call_finish(call, NGX_HTTP_NOT_FOUND, NULL);
    }

    s->ncalls = 0;
}
