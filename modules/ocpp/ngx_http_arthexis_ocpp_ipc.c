
/*
 * Commands between workers: each worker binds a Unix datagram socket in
 * the abstract namespace, named after its pid, when it starts (no guessing
 * of process slots, and it works across reloads and without a master).
 * A worker that takes a REST action for a charger whose socket another
 * worker holds sends it the command; the owner sends the CALL and sends the
 * charger's answer back.  Datagrams carry the zone's random token, so that
 * no other local process can drive the chargers.
 *
 *   command: header + {"charger":..., "action":..., "payload":{...}}
 *   reply:   header (status) + {"sent":"<frame>", "response":...}
 *   close:   header (session): a newer connection replaced the charger's
 */

#include "ngx_http_arthexis_ocpp.h"

#include <sys/socket.h>
#include <sys/un.h>


#define NGX_HTTP_ARTHEXIS_OCPP_IPC_MAGIC    0x3150584f   /* "OXP1" */
#define NGX_HTTP_ARTHEXIS_OCPP_IPC_MAX      65000
#define NGX_HTTP_ARTHEXIS_OCPP_IPC_COMMAND  1
#define NGX_HTTP_ARTHEXIS_OCPP_IPC_REPLY    2
#define NGX_HTTP_ARTHEXIS_OCPP_IPC_CLOSE    3


typedef struct {
    uint32_t                             magic;
    uint32_t                             type;
    u_char                               token[16];
    int32_t                              from;        /* pid */
    uint32_t                             status;
    uint64_t                             request;     /* the sender's id */
    uint64_t                             session;
} ngx_http_arthexis_ocpp_ipc_hdr_t;


/* a REST request waiting for another worker's answer */
typedef struct {
    ngx_rbtree_node_t                    node;        /* key: request id */
    ngx_http_request_t                  *request;
    ngx_event_t                          timer;
} ngx_http_arthexis_ocpp_ipc_wait_t;


/* the owner's side of a command: where the answer goes */
typedef struct {
    ngx_pid_t                            from;
    uint64_t                             request;
} ngx_http_arthexis_ocpp_ipc_origin_t;


static void ngx_http_arthexis_ocpp_ipc_read(ngx_event_t *ev);
static void ngx_http_arthexis_ocpp_ipc_handle(u_char *buf, size_t len);
static void ngx_http_arthexis_ocpp_ipc_command_in(
    ngx_http_arthexis_ocpp_ipc_hdr_t *h, u_char *body, size_t len);
static void ngx_http_arthexis_ocpp_ipc_reply_in(
    ngx_http_arthexis_ocpp_ipc_hdr_t *h, u_char *body, size_t len);
static void ngx_http_arthexis_ocpp_ipc_call_done(
    ngx_http_arthexis_ocpp_call_t *call, ngx_uint_t status, json_t *reply);
static ngx_int_t ngx_http_arthexis_ocpp_ipc_send(ngx_pid_t to,
    ngx_http_arthexis_ocpp_ipc_hdr_t *h, const char *body, size_t len);
static void ngx_http_arthexis_ocpp_ipc_timeout(ngx_event_t *ev);
static void ngx_http_arthexis_ocpp_ipc_cleanup(void *data);
static socklen_t ngx_http_arthexis_ocpp_ipc_addr(ngx_pid_t pid,
    struct sockaddr_un *sa);


static ngx_connection_t   *ngx_http_arthexis_ocpp_ipc_conn;
static ngx_socket_t        ngx_http_arthexis_ocpp_ipc_fd = -1;
static u_char             *ngx_http_arthexis_ocpp_ipc_token;
static uint64_t            ngx_http_arthexis_ocpp_ipc_next;
static ngx_rbtree_t        ngx_http_arthexis_ocpp_ipc_waits;
static ngx_rbtree_node_t   ngx_http_arthexis_ocpp_ipc_sentinel;
static u_char              ngx_http_arthexis_ocpp_ipc_buf[
                                        NGX_HTTP_ARTHEXIS_OCPP_IPC_MAX + 64];


static socklen_t
ngx_http_arthexis_ocpp_ipc_addr(ngx_pid_t pid, struct sockaddr_un *sa)
{
    u_char  *p;

    ngx_memzero(sa, sizeof(struct sockaddr_un));
    sa->sun_family = AF_UNIX;

    /* abstract namespace: sun_path[0] is NUL */
    p = ngx_sprintf((u_char *) sa->sun_path + 1, "arthexis-ocpp-%P", pid);

    return offsetof(struct sockaddr_un, sun_path) + (p - (u_char *)
                                                     sa->sun_path);
}


ngx_int_t
ngx_http_arthexis_ocpp_ipc_init_worker(ngx_cycle_t *cycle)
{
    socklen_t                            len;
    ngx_socket_t                         fd;
    ngx_connection_t                    *c;
    struct sockaddr_un                   sa;
    ngx_http_arthexis_ocpp_main_conf_t  *omcf;

    omcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_arthexis_ocpp_module);

    ngx_http_arthexis_ocpp_ipc_token = omcf->zone->sh->token;

    ngx_rbtree_init(&ngx_http_arthexis_ocpp_ipc_waits,
                    &ngx_http_arthexis_ocpp_ipc_sentinel,
                    ngx_rbtree_insert_value);

    fd = socket(AF_UNIX, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      "ocpp: socket(AF_UNIX) failed");
        return NGX_ERROR;
    }

    len = ngx_http_arthexis_ocpp_ipc_addr(ngx_pid, &sa);

    if (bind(fd, (struct sockaddr *) &sa, len) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      "ocpp: bind() of the worker's command socket failed");
        close(fd);
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, cycle->log);
    if (c == NULL) {
        close(fd);
        return NGX_ERROR;
    }

    c->read->handler = ngx_http_arthexis_ocpp_ipc_read;
    c->read->log = cycle->log;
    c->data = NULL;

    if (ngx_add_event(c->read, NGX_READ_EVENT, 0) != NGX_OK) {
        ngx_free_connection(c);
        close(fd);
        return NGX_ERROR;
    }

    ngx_http_arthexis_ocpp_ipc_conn = c;
    ngx_http_arthexis_ocpp_ipc_fd = fd;

    return NGX_OK;
}


void
ngx_http_arthexis_ocpp_ipc_exit_worker(void)
{
    if (ngx_http_arthexis_ocpp_ipc_conn) {
        ngx_close_connection(ngx_http_arthexis_ocpp_ipc_conn);
        ngx_http_arthexis_ocpp_ipc_conn = NULL;
        ngx_http_arthexis_ocpp_ipc_fd = -1;
    }
}


static void
ngx_http_arthexis_ocpp_ipc_read(ngx_event_t *ev)
{
    ssize_t  n;

    for ( ;; ) {
        n = recv(ngx_http_arthexis_ocpp_ipc_fd, ngx_http_arthexis_ocpp_ipc_buf,
                 sizeof(ngx_http_arthexis_ocpp_ipc_buf), 0);

        if (n == -1) {
            if (ngx_socket_errno != NGX_EAGAIN) {
                ngx_log_error(NGX_LOG_ALERT, ev->log, ngx_socket_errno,
                              "ocpp: recv() on the command socket failed");
            }

            return;
        }

        ngx_http_arthexis_ocpp_ipc_handle(ngx_http_arthexis_ocpp_ipc_buf, n);
    }
}


static void
ngx_http_arthexis_ocpp_ipc_handle(u_char *buf, size_t len)
{
    ngx_http_arthexis_ocpp_ipc_hdr_t   h;
    ngx_http_arthexis_ocpp_session_t  *s;

    if (len < sizeof(h)) {
        return;
    }

    ngx_memcpy(&h, buf, sizeof(h));

    if (h.magic != NGX_HTTP_ARTHEXIS_OCPP_IPC_MAGIC
        || ngx_memcmp(h.token, ngx_http_arthexis_ocpp_ipc_token, 16) != 0)
    {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "ocpp: a datagram without our token was ignored");
        return;
    }

    buf += sizeof(h);
    len -= sizeof(h);

    switch (h.type) {

    case NGX_HTTP_ARTHEXIS_OCPP_IPC_COMMAND:
        ngx_http_arthexis_ocpp_ipc_command_in(&h, buf, len);
        break;

    case NGX_HTTP_ARTHEXIS_OCPP_IPC_REPLY:
        ngx_http_arthexis_ocpp_ipc_reply_in(&h, buf, len);
        break;

    case NGX_HTTP_ARTHEXIS_OCPP_IPC_CLOSE:
        s = ngx_http_arthexis_ocpp_session_find(h.session);

        if (s != NULL) {
            ngx_http_arthexis_ocpp_session_close(s, "replaced by a new "
                                                 "connection");
        }

        break;
    }
}


/* the REST side: sends the command and waits (the request is held) */

ngx_int_t
ngx_http_arthexis_ocpp_ipc_command(ngx_http_request_t *r, ngx_pid_t pid,
    uint64_t session, ngx_str_t *id, const char *action, json_t *payload)
{
    char                               *body;
    size_t                              len;
    json_t                             *msg;
    ngx_int_t                           rc;
    ngx_http_cleanup_t                 *cln;
    ngx_http_arthexis_ocpp_ipc_hdr_t    h;
    ngx_http_arthexis_ocpp_ipc_wait_t  *w;
    ngx_http_arthexis_ocpp_loc_conf_t  *olcf;

    msg = json_pack("{s:s%, s:s, s:O}", "charger", id->data, id->len,
                    "action", action, "payload", payload);
    if (msg == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body = ax_json_dump(msg, &len);
    json_decref(msg);

    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    w = ngx_pcalloc(r->pool, sizeof(ngx_http_arthexis_ocpp_ipc_wait_t));
    cln = ngx_http_cleanup_add(r, 0);

    if (w == NULL || cln == NULL) {
        free(body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&h, sizeof(h));
    h.type = NGX_HTTP_ARTHEXIS_OCPP_IPC_COMMAND;
    h.request = ++ngx_http_arthexis_ocpp_ipc_next;
    h.session = session;

    rc = ngx_http_arthexis_ocpp_ipc_send(pid, &h, body, len);
    free(body);

    if (rc != NGX_OK) {
        /* the owner is gone (or swamped): no connection to command */
        return ngx_http_arthexis_send_detail(r, rc == NGX_DECLINED
                                                ? NGX_HTTP_NOT_FOUND
                                                : NGX_HTTP_SERVICE_UNAVAILABLE,
                                             rc == NGX_DECLINED
                                                ? "no connection"
                                                : "worker busy, retry");
    }

    w->node.key = h.request;
    w->request = r;
    w->timer.handler = ngx_http_arthexis_ocpp_ipc_timeout;
    w->timer.data = w;
    w->timer.log = r->connection->log;

    ngx_rbtree_insert(&ngx_http_arthexis_ocpp_ipc_waits, &w->node);

    cln->handler = ngx_http_arthexis_ocpp_ipc_cleanup;
    cln->data = w;

    /* the owner answers within its call timeout; a margin for the queue */
    olcf = ngx_http_get_module_loc_conf(r, ngx_http_arthexis_ocpp_module);
    ngx_add_timer(&w->timer, olcf->call_timeout * 2 + 1000);

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_arthexis_ocpp_ipc_finish(ngx_http_arthexis_ocpp_ipc_wait_t *w,
    ngx_uint_t status, const char *frame, size_t frame_len, json_t *reply)
{
    ngx_http_request_t  *r;

    r = w->request;

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    ngx_rbtree_delete(&ngx_http_arthexis_ocpp_ipc_waits, &w->node);
    w->request = NULL;

    ngx_http_finalize_request(r,
        ngx_http_arthexis_ocpp_api_respond(r, status, frame, frame_len,
                                           reply));

    ngx_http_run_posted_requests(r->connection);
}


static void
ngx_http_arthexis_ocpp_ipc_timeout(ngx_event_t *ev)
{
    ngx_http_arthexis_ocpp_ipc_wait_t  *w = ev->data;

    ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                  "ocpp: no answer from the worker holding the charger");

    ngx_http_arthexis_ocpp_ipc_finish(w, NGX_HTTP_GATEWAY_TIME_OUT, NULL, 0,
                                      NULL);
}


static void
ngx_http_arthexis_ocpp_ipc_cleanup(void *data)
{
    ngx_http_arthexis_ocpp_ipc_wait_t  *w = data;

    if (w->request == NULL) {
        return;
    }

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    ngx_rbtree_delete(&ngx_http_arthexis_ocpp_ipc_waits, &w->node);
    w->request = NULL;
}


static void
ngx_http_arthexis_ocpp_ipc_reply_in(ngx_http_arthexis_ocpp_ipc_hdr_t *h,
    u_char *body, size_t len)
{
    json_t                             *msg;
    const char                         *frame;
    ngx_rbtree_node_t                  *node, *sentinel;
    ngx_http_arthexis_ocpp_ipc_wait_t  *w;

    node = ngx_http_arthexis_ocpp_ipc_waits.root;
    sentinel = ngx_http_arthexis_ocpp_ipc_waits.sentinel;
    w = NULL;

    while (node != sentinel) {
        if (h->request < node->key) {
            node = node->left;

        } else if (h->request > node->key) {
            node = node->right;

        } else {
            w = (ngx_http_arthexis_ocpp_ipc_wait_t *) node;
            break;
        }
    }

    if (w == NULL || w->request == NULL) {
        /* too late: the request is gone or timed out */
        return;
    }

    msg = json_loadb((char *) body, len, 0, NULL);
    frame = json_string_value(json_object_get(msg, "sent"));

    ngx_http_arthexis_ocpp_ipc_finish(w, h->status, frame,
                                      frame ? ngx_strlen(frame) : 0,
                                      json_object_get(msg, "response"));

    json_decref(msg);
}


/* the owner's side */

static void
ngx_http_arthexis_ocpp_ipc_command_in(ngx_http_arthexis_ocpp_ipc_hdr_t *h,
    u_char *body, size_t len)
{
    json_t                               *msg;
    const char                           *action;
    ngx_uint_t                            status;
    ngx_http_arthexis_ocpp_ipc_hdr_t      r;
    ngx_http_arthexis_ocpp_session_t     *s;
    ngx_http_arthexis_ocpp_ipc_origin_t  *o;

    status = NGX_HTTP_NOT_FOUND;

    msg = json_loadb((char *) body, len, 0, NULL);
    action = json_string_value(json_object_get(msg, "action"));
    s = ngx_http_arthexis_ocpp_session_find(h->session);

    action = ngx_http_arthexis_ocpp_action_name(action);

    if (msg != NULL && action != NULL && s != NULL && !s->closed) {

        o = ngx_alloc(sizeof(ngx_http_arthexis_ocpp_ipc_origin_t),
                      ngx_cycle->log);

        if (o != NULL) {
            o->from = h->from;
            o->request = h->request;

            /* the action is kept as a pointer: our static spelling */
            if (ngx_http_arthexis_ocpp_session_call(s, action,
                    json_object_get(msg, "payload"),
                    ngx_http_arthexis_ocpp_ipc_call_done, o)
                == NGX_OK)
            {
                json_decref(msg);
                return;
            }

            ngx_free(o);
            status = NGX_HTTP_SERVICE_UNAVAILABLE;
        }
    }

    json_decref(msg);

    ngx_memzero(&r, sizeof(r));
    r.type = NGX_HTTP_ARTHEXIS_OCPP_IPC_REPLY;
    r.status = status;
    r.request = h->request;

    (void) ngx_http_arthexis_ocpp_ipc_send(h->from, &r, "{}", 2);
}


static void
ngx_http_arthexis_ocpp_ipc_call_done(ngx_http_arthexis_ocpp_call_t *call,
    ngx_uint_t status, json_t *reply)
{
    ngx_http_arthexis_ocpp_ipc_origin_t  *o = call->data;

    char                              *body;
    size_t                             len;
    json_t                            *msg;
    ngx_http_arthexis_ocpp_ipc_hdr_t   h;

    msg = json_pack("{s:s%, s:O?}", "sent", call->frame, call->frame_len,
                    "response", reply);

    body = msg ? ax_json_dump(msg, &len) : NULL;
    json_decref(msg);

    ngx_memzero(&h, sizeof(h));
    h.type = NGX_HTTP_ARTHEXIS_OCPP_IPC_REPLY;
    h.status = status;
    h.request = o->request;

    if (body == NULL || len > NGX_HTTP_ARTHEXIS_OCPP_IPC_MAX) {
        h.status = NGX_HTTP_BAD_GATEWAY;
        free(body);
        body = NULL;
        (void) ngx_http_arthexis_ocpp_ipc_send(o->from, &h,
                                               "{\"response\":\"the answer "
                                               "is too large to pass "
                                               "between workers\"}", 60);
    } else {
        (void) ngx_http_arthexis_ocpp_ipc_send(o->from, &h, body, len);
    }

    free(body);
    ngx_free(o);
}


/* NGX_DECLINED: no such worker; NGX_ERROR: could not send now */

static ngx_int_t
ngx_http_arthexis_ocpp_ipc_send(ngx_pid_t to,
    ngx_http_arthexis_ocpp_ipc_hdr_t *h, const char *body, size_t len)
{
    u_char              *buf;
    ssize_t              n;
    socklen_t            salen;
    ngx_err_t            err;
    struct sockaddr_un   sa;

    if (len > NGX_HTTP_ARTHEXIS_OCPP_IPC_MAX
        || ngx_http_arthexis_ocpp_ipc_fd == -1)
    {
        return NGX_ERROR;
    }

    h->magic = NGX_HTTP_ARTHEXIS_OCPP_IPC_MAGIC;
    h->from = ngx_pid;
    ngx_memcpy(h->token, ngx_http_arthexis_ocpp_ipc_token, 16);

    buf = ngx_alloc(sizeof(*h) + len, ngx_cycle->log);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(buf, h, sizeof(*h));
    ngx_memcpy(buf + sizeof(*h), body, len);

    salen = ngx_http_arthexis_ocpp_ipc_addr(to, &sa);

    n = sendto(ngx_http_arthexis_ocpp_ipc_fd, buf, sizeof(*h) + len, 0,
               (struct sockaddr *) &sa, salen);
    err = ngx_socket_errno;

    ngx_free(buf);

    if (n == -1) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, err,
                      "ocpp: sendto() worker %P failed", to);

        return (err == ECONNREFUSED || err == ENOENT) ? NGX_DECLINED
                                                      : NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_arthexis_ocpp_ipc_close(ngx_pid_t pid, uint64_t session)
{
    ngx_http_arthexis_ocpp_ipc_hdr_t  h;

    ngx_memzero(&h, sizeof(h));
    h.type = NGX_HTTP_ARTHEXIS_OCPP_IPC_CLOSE;
    h.session = session;

    return ngx_http_arthexis_ocpp_ipc_send(pid, &h, "", 0);
}
