
/*
 * WebSocket sessions: the handshake, then raw reads and writes on the
 * connection, modelled on ngx_http_upstream_upgrade().
 *
 * The session takes the connection's read and write handlers (rather than
 * the request's), so that it sees c->close: nginx sets it on idle
 * connections at graceful shutdown (ngx_close_idle_connections(), hence
 * c->idle = 1) and on every connection when worker_shutdown_timeout
 * expires.  The first time, the session sends Close 1001 and waits for the
 * peer's Close; the second time, or when the closing timer fires, it ends.
 *
 * Two lives: while the request is held (r->main->count), the handlers find
 * the session in the request's ctx and the session ends by finalizing the
 * request.  With handler->release_request the request is freed as soon as
 * the 101 is out and the handshake's packet is read, as
 * ngx_http_set_keepalive() frees an idle keepalive request: c->data is
 * then the session (allocated from c->pool), other handlers take over, and
 * the session ends with ngx_http_close_connection().
 *
 * Input is read into one buffer per worker and parsed at once (the parser
 * keeps any partial frame), so an idle session holds no input buffer.
 * Output goes to a per-session queue that exists only while bytes are
 * waiting; the replies to one read event leave in one write.  A session
 * ends with a lingering close: our side is shut down after the last frame
 * and the peer's remaining bytes are read until it closes, so that no RST
 * can destroy the frames it has not read yet.
 */

#include "ngx_http_arthexis.h"
#include "ngx_http_arthexis_ws.h"


#define NGX_HTTP_ARTHEXIS_WS_RECV_SIZE      65536
#define NGX_HTTP_ARTHEXIS_WS_READ_BUDGET    (16 * 65536)
#define NGX_HTTP_ARTHEXIS_WS_OUT_MIN        1024
#define NGX_HTTP_ARTHEXIS_WS_SCRATCH_SIZE   65536
#define NGX_HTTP_ARTHEXIS_UPGRADE_REQUIRED  426


typedef ngx_int_t (*ngx_http_arthexis_ws_event_pt)(
    ngx_http_arthexis_ws_t *ws);


static ngx_int_t ngx_http_arthexis_ws_has_token(ngx_http_request_t *r,
    const char *name, size_t name_len, const char *token, size_t len);
static ngx_int_t ngx_http_arthexis_ws_send_101(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *protocol);
static void ngx_http_arthexis_ws_request_read(ngx_event_t *rev);
static void ngx_http_arthexis_ws_request_write(ngx_event_t *wev);
static void ngx_http_arthexis_ws_conn_read(ngx_event_t *rev);
static void ngx_http_arthexis_ws_conn_write(ngx_event_t *wev);
static ngx_int_t ngx_http_arthexis_ws_on_read(ngx_http_arthexis_ws_t *ws);
static ngx_int_t ngx_http_arthexis_ws_on_write(ngx_http_arthexis_ws_t *ws);
static void ngx_http_arthexis_ws_request_event(ngx_event_t *ev,
    ngx_http_arthexis_ws_event_pt handler);
static void ngx_http_arthexis_ws_release(ngx_http_arthexis_ws_t *ws);
static void ngx_http_arthexis_ws_read(ngx_http_arthexis_ws_t *ws);
static void ngx_http_arthexis_ws_process(ngx_http_arthexis_ws_t *ws,
    u_char *buf, size_t len);
static ngx_int_t ngx_http_arthexis_ws_room(ngx_http_arthexis_ws_t *ws,
    size_t len);
static ngx_int_t ngx_http_arthexis_ws_queue(ngx_http_arthexis_ws_t *ws,
    ngx_uint_t opcode, u_char *data, size_t len);
static ngx_int_t ngx_http_arthexis_ws_queue_close(ngx_http_arthexis_ws_t *ws,
    ngx_uint_t code, const char *reason);
static void ngx_http_arthexis_ws_flush(ngx_http_arthexis_ws_t *ws);
static ngx_int_t ngx_http_arthexis_ws_unscratch(ngx_http_arthexis_ws_t *ws);
static void ngx_http_arthexis_ws_out_free(ngx_http_arthexis_ws_t *ws);
static void ngx_http_arthexis_ws_defer(ngx_http_arthexis_ws_t *ws);
static ngx_int_t ngx_http_arthexis_ws_check_end(ngx_http_arthexis_ws_t *ws);
static void ngx_http_arthexis_ws_linger(ngx_http_arthexis_ws_t *ws);
static void ngx_http_arthexis_ws_end(ngx_http_arthexis_ws_t *ws);
static void ngx_http_arthexis_ws_ping_handler(ngx_event_t *ev);
static void ngx_http_arthexis_ws_close_handler(ngx_event_t *ev);
static void ngx_http_arthexis_ws_request_cleanup(void *data);
static void ngx_http_arthexis_ws_cleanup(ngx_http_arthexis_ws_t *ws);
static void *ngx_http_arthexis_ws_alloc(size_t size, void *ctx);
static void ngx_http_arthexis_ws_free(void *p, void *ctx);


static u_char      ngx_http_arthexis_ws_recv_buf[
                                          NGX_HTTP_ARTHEXIS_WS_RECV_SIZE];
static ngx_uint_t  ngx_http_arthexis_ws_next_id;

/*
 * The output of one event (the replies to a read, a ping) is usually
 * written at once: it is queued in this per-worker buffer, lent to one
 * session at a time, and moves to memory of the session's own only when
 * the socket does not take it all.
 */
static u_char                   ngx_http_arthexis_ws_scratch[
                                    NGX_HTTP_ARTHEXIS_WS_SCRATCH_SIZE];
static ngx_http_arthexis_ws_t  *ngx_http_arthexis_ws_scratch_owner;


ngx_int_t
ngx_http_arthexis_ws_upgrade(ngx_http_request_t *r,
    ngx_http_arthexis_ws_conf_t *conf,
    const ngx_http_arthexis_ws_handler_t *handler, void *data,
    ngx_http_arthexis_ws_t **wsp)
{
    ngx_int_t                  rc;
    ngx_str_t                  key, offered, chosen;
    const char                *detail;
    ngx_connection_t          *c;
    ngx_http_cleanup_t        *hcln;
    ngx_http_arthexis_ws_t    *ws;
    ngx_http_core_loc_conf_t  *clcf;
    ax_ws_allocator_t          alloc;

    c = r->connection;

    detail = NULL;

    rc = ngx_http_arthexis_ws_check(r, &key, &offered, &detail);

    if (rc != NGX_OK) {
        if (detail == NULL) {
            return rc;
        }

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "websocket: handshake refused: %s", detail);

        /* frames may follow the refused handshake: they are no request */
        r->keepalive = 0;

        return ngx_http_arthexis_send_detail(r, rc, detail);
    }

    ngx_str_null(&chosen);

    if (handler->protocol) {
        rc = handler->protocol(r, &offered, &chosen);

        if (rc == NGX_DECLINED) {
            r->keepalive = 0;
            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "websocket: no acceptable subprotocol in \"%V\"",
                          &offered);
            return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST,
                                                 "no supported WebSocket "
                                                 "subprotocol offered");
        }

        if (rc != NGX_OK) {
            return rc;
        }
    }

    /* the session may outlive the request: it lives in c->pool */

    ws = ngx_pcalloc(c->pool, sizeof(ngx_http_arthexis_ws_t));
    if (ws == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    hcln = ngx_http_cleanup_add(r, 0);
    if (hcln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_arthexis_ws_send_101(r, &key, &chosen);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc == NGX_ERROR ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc;
    }

    ws->request = r;
    ws->connection = c;
    ws->pool = c->pool;
    ws->handler = handler;
    ws->conf = conf;
    ws->data = data;
    ws->id = ++ngx_http_arthexis_ws_next_id;
    ws->cleanup = hcln;
    ws->release = handler->release_request ? 1 : 0;

    alloc.alloc = ngx_http_arthexis_ws_alloc;
    alloc.resize = NULL;
    alloc.release = ngx_http_arthexis_ws_free;
    alloc.ctx = c->log;

    ax_ws_parser_init(&ws->parser, AX_WS_ROLE_SERVER, conf->max_message_size,
                      &alloc);

    hcln->handler = ngx_http_arthexis_ws_request_cleanup;
    hcln->data = ws;

    ngx_http_set_ctx(r, ws, ngx_http_arthexis_ws_module);

    ws->ping_ev.handler = ngx_http_arthexis_ws_ping_handler;
    ws->ping_ev.data = ws;
    ws->ping_ev.log = c->log;

    ws->close_ev.handler = ngx_http_arthexis_ws_close_handler;
    ws->close_ev.data = ws;
    ws->close_ev.log = c->log;

    /* the session holds the request until it ends or releases it */

    r->main->count++;

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    c->read->handler = ngx_http_arthexis_ws_request_read;
    c->write->handler = ngx_http_arthexis_ws_request_write;
    c->idle = 1;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    ws->last_active = ngx_current_msec;

    if (conf->idle_timeout) {
        ngx_add_timer(c->read, conf->idle_timeout);
    }

    if (conf->ping_interval) {
        ngx_add_timer(&ws->ping_ev, conf->ping_interval);
    }

    if (wsp) {
        *wsp = ws;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ws->send_timeout = clcf->send_timeout;

    if (clcf->tcp_nodelay && ngx_tcp_nodelay(c) != NGX_OK) {
        ws->finalize = 1;
        ws->abort = 1;
    }

    /*
     * The first read event processes the frames that came with the
     * handshake (r->header_in) and those that follow, and releases the
     * request; it runs after the caller returned NGX_DONE.
     */

    ngx_post_event(c->read, &ngx_posted_events);

    if (r->out || c->buffered) {
        /* the 101 is not out yet: the write handler finishes it */
        ngx_post_event(c->write, &ngx_posted_events);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "websocket: session #%ui started", ws->id);

    return NGX_DONE;
}


ngx_int_t
ngx_http_arthexis_ws_check(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *protocols, const char **detail)
{
    u_char           *p;
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *version;

    if (r != r->main) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

#if (NGX_HTTP_V2)
    if (r->stream) {
        *detail = "WebSocket needs HTTP/1.1: HTTP/2 cannot carry it here";
        return NGX_HTTP_BAD_REQUEST;
    }
#endif

    if (r->method != NGX_HTTP_GET) {
        *detail = "a WebSocket handshake must be a GET request";
        return NGX_HTTP_BAD_REQUEST;
    }

    if (r->http_version != NGX_HTTP_VERSION_11) {
        *detail = "a WebSocket handshake must use HTTP/1.1";
        return NGX_HTTP_BAD_REQUEST;
    }

    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
        *detail = "a WebSocket handshake has no body";
        return NGX_HTTP_BAD_REQUEST;
    }

    if (!ngx_http_arthexis_ws_has_token(r, "Upgrade", 7, "websocket", 9)) {
        *detail = "\"Upgrade: websocket\" header required";
        return NGX_HTTP_BAD_REQUEST;
    }

    /* nginx 1.22 parses Connection without keeping it in headers_in */

    if (!ngx_http_arthexis_ws_has_token(r, "Connection", 10, "upgrade", 7)) {
        *detail = "\"Connection: upgrade\" header required";
        return NGX_HTTP_BAD_REQUEST;
    }

    version = ngx_http_arthexis_header(r, "Sec-WebSocket-Version", 21);

    if (version == NULL || version->value.len != 2
        || ngx_strncmp(version->value.data, "13", 2) != 0)
    {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Sec-WebSocket-Version");
        ngx_str_set(&h->value, "13");

        /* nginx 1.22 has no reason phrase for 426 */
        ngx_str_set(&r->headers_out.status_line, "426 Upgrade Required");

        *detail = "\"Sec-WebSocket-Version: 13\" required";
        return NGX_HTTP_ARTHEXIS_UPGRADE_REQUIRED;
    }

    h = ngx_http_arthexis_header(r, "Sec-WebSocket-Key", 17);

    if (h == NULL || !ax_ws_key_valid(h->value.data, h->value.len)) {
        *detail = "\"Sec-WebSocket-Key\" must be base64 of 16 bytes";
        return NGX_HTTP_BAD_REQUEST;
    }

    *key = h->value;

    /* Sec-WebSocket-Protocol may come in several headers: join them */

    n = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == 22
            && ngx_strncasecmp(h[i].key.data,
                               (u_char *) "Sec-WebSocket-Protocol", 22) == 0)
        {
            n += h[i].value.len + 2;
        }
    }

    ngx_str_null(protocols);

    if (n == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, n);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    protocols->data = p;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == 22
            && ngx_strncasecmp(h[i].key.data,
                               (u_char *) "Sec-WebSocket-Protocol", 22) == 0)
        {
            if (p != protocols->data) {
                *p++ = ',';
                *p++ = ' ';
            }

            p = ngx_cpymem(p, h[i].value.data, h[i].value.len);
        }
    }

    protocols->len = p - protocols->data;

    return NGX_OK;
}


/*
 * One of the request's headers called name (there may be several) holds
 * token in its comma-separated list; both compared case-insensitively.
 */

static ngx_int_t
ngx_http_arthexis_ws_has_token(ngx_http_request_t *r, const char *name,
    size_t name_len, const char *token, size_t len)
{
    u_char           *p, *last, *start, *end;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != name_len
            || ngx_strncasecmp(h[i].key.data, (u_char *) name, name_len)
               != 0)
        {
            continue;
        }

        p = h[i].value.data;
        last = p + h[i].value.len;

        while (p < last) {
            while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
                p++;
            }

            start = p;

            while (p < last && *p != ',') {
                p++;
            }

            end = p;

            while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
                end--;
            }

            if ((size_t) (end - start) == len
                && ngx_strncasecmp(start, (u_char *) token, len) == 0)
            {
                return 1;
            }
        }
    }
}


ngx_table_elt_t *
ngx_http_arthexis_header(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


static ngx_int_t
ngx_http_arthexis_ws_send_101(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *protocol)
{
    u_char           *accept;
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    accept = ngx_pnalloc(r->pool, AX_WS_ACCEPT_LEN);
    if (accept == NULL) {
        return NGX_ERROR;
    }

    ax_ws_accept_key(key->data, key->len, accept);

    r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;
    ngx_str_set(&r->headers_out.status_line, "101 Switching Protocols");
    r->headers_out.content_length_n = -1;
    ngx_str_null(&r->headers_out.content_type);
    r->headers_out.content_type_len = 0;
    r->keepalive = 0;
    r->header_only = 1;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Upgrade");
    ngx_str_set(&h->value, "websocket");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Sec-WebSocket-Accept");
    h->value.data = accept;
    h->value.len = AX_WS_ACCEPT_LEN;

    if (protocol->len) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Sec-WebSocket-Protocol");
        h->value = *protocol;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    return ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR
           ? NGX_ERROR : NGX_OK;
}


/* the handlers while the request is held: c->data is the request */

static void
ngx_http_arthexis_ws_request_read(ngx_event_t *rev)
{
    ngx_http_arthexis_ws_request_event(rev, ngx_http_arthexis_ws_on_read);
}


static void
ngx_http_arthexis_ws_request_write(ngx_event_t *wev)
{
    ngx_http_arthexis_ws_request_event(wev, ngx_http_arthexis_ws_on_write);
}


/*
 * Runs the session's handler for an event of the held request, then
 * releases the request when the session asked for it and goes on, or runs
 * what the request posted (its finalization when the session ended).
 */

static void
ngx_http_arthexis_ws_request_event(ngx_event_t *ev,
    ngx_http_arthexis_ws_event_pt handler)
{
    ngx_int_t                rc;
    ngx_connection_t        *c;
    ngx_http_request_t      *r;
    ngx_http_arthexis_ws_t  *ws;

    c = ev->data;
    r = c->data;
    ws = ngx_http_get_module_ctx(r, ngx_http_arthexis_ws_module);

    ngx_http_set_log_request(c->log, r);

    if (ws == NULL || ws->finalized) {
        ngx_http_run_posted_requests(c);
        return;
    }

    rc = handler(ws);

    if (rc != NGX_DONE && ws->release) {
        ngx_http_arthexis_ws_release(ws);

        if (ws->released) {
            return;
        }
    }

    ngx_http_run_posted_requests(c);
}


/* the handlers of a released session: c->data is the session */

static void
ngx_http_arthexis_ws_conn_read(ngx_event_t *rev)
{
    ngx_connection_t  *c;

    c = rev->data;

    (void) ngx_http_arthexis_ws_on_read(c->data);
}


static void
ngx_http_arthexis_ws_conn_write(ngx_event_t *wev)
{
    ngx_connection_t        *c;
    ngx_http_arthexis_ws_t  *ws;

    c = wev->data;
    ws = c->data;

    if (ws->out == NULL && !wev->timedout && !ws->finalize
        && !ws->close_sent)
    {
        /* nothing waits: epoll reports the socket writable with every
         * read event */
        return;
    }

    (void) ngx_http_arthexis_ws_on_write(ws);
}


/* NGX_DONE: the session ended (a released session is freed) */

static ngx_int_t
ngx_http_arthexis_ws_on_read(ngx_http_arthexis_ws_t *ws)
{
    ngx_msec_t         idle;
    ngx_event_t       *rev;
    ngx_connection_t  *c;

    c = ws->connection;
    rev = c->read;

    if (c->close) {
        /* graceful shutdown, or worker_shutdown_timeout */

        c->close = 0;

        if (ws->close_sent || ws->lingering || ngx_terminate || c->error) {
            ws->finalize = 1;
            ws->abort = 1;

        } else {
            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "websocket: closing session #%ui, worker is "
                          "shutting down", ws->id);
            ngx_http_arthexis_ws_close(ws, AX_WS_CLOSE_GOING_AWAY,
                                       "server shutting down");
        }

    } else if (ws->lingering) {
        ngx_http_arthexis_ws_linger(ws);

    } else if (rev->timedout) {
        rev->timedout = 0;

        /* the timer is set once per idle period: frames since then
         * count (see ngx_http_arthexis_ws_read()) */

        idle = ngx_current_msec - ws->last_active;

        if (idle < ws->conf->idle_timeout && !ws->close_sent) {
            ngx_add_timer(rev, ws->conf->idle_timeout - idle);
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "websocket: session #%ui idle for %M ms, closing",
                      ws->id, ws->conf->idle_timeout);

        if (ws->close_sent) {
            ws->finalize = 1;
            ws->abort = 1;

        } else {
            ngx_http_arthexis_ws_close(ws, AX_WS_CLOSE_NORMAL,
                                       "idle timeout");
        }

    } else if (!ws->finalize) {
        ngx_http_arthexis_ws_read(ws);
    }

    return ngx_http_arthexis_ws_check_end(ws);
}


static ngx_int_t
ngx_http_arthexis_ws_on_write(ngx_http_arthexis_ws_t *ws)
{
    ngx_event_t       *wev;
    ngx_connection_t  *c;

    c = ws->connection;
    wev = c->write;

    if (wev->timedout) {
        wev->timedout = 0;
        c->timedout = 1;

        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "websocket: client timed out reading session #%ui",
                      ws->id);

        ws->finalize = 1;
        ws->abort = 1;

    } else if (!ws->lingering && !ws->finalize) {
        ngx_http_arthexis_ws_flush(ws);
    }

    return ngx_http_arthexis_ws_check_end(ws);
}


/*
 * Frees the request once the 101 is out and the bytes that came with the
 * handshake are read (see ngx_http_set_keepalive()); the session then
 * lives on the connection.
 */

static void
ngx_http_arthexis_ws_release(ngx_http_arthexis_ws_t *ws)
{
    ngx_buf_t              *b;
    ngx_chain_t            *cl;
    ngx_connection_t       *c;
    ngx_http_request_t     *r;
    ngx_http_connection_t  *hc;

    r = ws->request;
    c = ws->connection;

    if (ws->finalize || ws->finalized || ws->lingering
        || r->main->count != 1 || r->main->blocked
        || r->out || c->buffered
        || r->header_in->pos < r->header_in->last)
    {
        /* not yet */
        return;
    }

    hc = r->http_connection;

    /* the request's cleanup is not the session's end any more */

    ws->cleanup->handler = NULL;
    ws->cleanup = NULL;
    ws->release = 0;

    ngx_http_free_request(r, 0);

    c->destroyed = 0;
    c->data = ws;
    c->log->action = NULL;

    ws->request = NULL;
    ws->released = 1;

    c->read->handler = ngx_http_arthexis_ws_conn_read;
    c->write->handler = ngx_http_arthexis_ws_conn_write;

    /* the header buffers go, as for an idle keepalive connection */

    b = c->buffer;

    if (b != NULL && ngx_pfree(c->pool, b->start) == NGX_OK) {
        c->buffer = NULL;
    }

    for (cl = hc->busy; cl; cl = cl->next) {
        ngx_pfree(c->pool, cl->buf->start);
    }

    hc->busy = NULL;
    hc->nbusy = 0;

    for (cl = hc->free; cl; cl = cl->next) {
        ngx_pfree(c->pool, cl->buf->start);
    }

    hc->free = NULL;

#if (NGX_HTTP_SSL)
    if (c->ssl) {
        ngx_ssl_free_buffer(c);
    }
#endif

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "websocket: session #%ui released its request", ws->id);
}


static void
ngx_http_arthexis_ws_read(ngx_http_arthexis_ws_t *ws)
{
    u_char              *p;
    size_t               len, total;
    ssize_t              n;
    ngx_event_t         *rev;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    c = ws->connection;
    r = ws->request;
    rev = c->read;

    ws->batching = 1;

    total = 0;

    if (r && r->header_in->pos < r->header_in->last) {
        /* frames sent in the same packet as the handshake */
        p = r->header_in->pos;
        len = r->header_in->last - p;
        r->header_in->pos = r->header_in->last;
        total = len;

        ngx_http_arthexis_ws_process(ws, p, len);
    }

    while (rev->ready && !ws->finalize && !ws->close_received) {

        if (total >= NGX_HTTP_ARTHEXIS_WS_READ_BUDGET) {
            /* the other connections' turn: go on later */
            ngx_post_event(rev, &ngx_posted_events);
            break;
        }

        n = c->recv(c, ngx_http_arthexis_ws_recv_buf,
                    NGX_HTTP_ARTHEXIS_WS_RECV_SIZE);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                           "websocket: session #%ui: peer went away",
                           ws->id);
            c->error = (n == NGX_ERROR);
            ws->eof = 1;
            ws->finalize = 1;
            ws->abort = 1;
            break;
        }

        total += n;

        ngx_http_arthexis_ws_process(ws, ngx_http_arthexis_ws_recv_buf, n);
    }

    ws->batching = 0;

    if (ws->finalize) {
        return;
    }

    ngx_http_arthexis_ws_flush(ws);

    if (ws->finalize) {
        return;
    }

    /* an idle session keeps no big reassembly buffer */
    ax_ws_parser_trim(&ws->parser);

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ws->finalize = 1;
        ws->abort = 1;
        return;
    }

    /*
     * Any frame is a sign of life.  The idle timer is not moved on every
     * read (an rbtree update per message): when it fires, it looks at
     * this time and waits for the rest of the period if need be.
     */

    if (total) {
        ws->last_active = ngx_current_msec;
    }
}


static void
ngx_http_arthexis_ws_process(ngx_http_arthexis_ws_t *ws, u_char *buf,
    size_t len)
{
    size_t          n;
    ax_ws_event_t   ev;

    while (len && !ws->finalize && !ws->close_received) {

        n = ax_ws_parse(&ws->parser, buf, len, &ev);
        buf += n;
        len -= n;

        switch (ev.type) {

        case AX_WS_EV_NONE:
            break;

        case AX_WS_EV_TEXT:
        case AX_WS_EV_BINARY:
            if (!ws->close_sent) {
                ws->handler->message(ws, ev.type, ev.payload.data,
                                     ev.payload.len);
            }
            break;

        case AX_WS_EV_PING:
            if (!ws->close_sent
                && ngx_http_arthexis_ws_room(ws, ev.payload.len) == NGX_OK
                && ngx_http_arthexis_ws_queue(ws, AX_WS_OP_PONG,
                                              ev.payload.data,
                                              ev.payload.len)
                   != NGX_OK)
            {
                ws->finalize = 1;
                ws->abort = 1;
            }
            break;

        case AX_WS_EV_PONG:
            ws->awaiting_pong = 0;
            break;

        case AX_WS_EV_CLOSE:
            ws->close_received = 1;

            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ws->connection->log, 0,
                           "websocket: session #%ui: close %ui received",
                           ws->id, (ngx_uint_t) ev.close_code);

            if (!ws->close_sent) {
                /* echo the code; the server then closes the TCP side */
                if (ngx_http_arthexis_ws_queue_close(ws, ev.close_code, "")
                    != NGX_OK)
                {
                    ws->finalize = 1;
                    ws->abort = 1;
                }
            }
            break;

        default: /* AX_WS_EV_ERROR */
            ngx_log_error(NGX_LOG_INFO, ws->connection->log, 0,
                          "websocket: session #%ui: %s, closing with %ui",
                          ws->id, ev.reason.data,
                          (ngx_uint_t) ev.close_code);

            if (!ws->close_sent
                && ngx_http_arthexis_ws_queue_close(ws, ev.close_code,
                                                  (char *) ev.reason.data)
                   != NGX_OK)
            {
                ws->finalize = 1;
                ws->abort = 1;
            }

            /* no more input is read: the peer broke the protocol */
            ws->close_received = 1;
            return;
        }
    }
}


ngx_int_t
ngx_http_arthexis_ws_send(ngx_http_arthexis_ws_t *ws, ngx_uint_t opcode,
    u_char *data, size_t len)
{
    ngx_int_t  rc;

    if (ws->close_sent || ws->finalize || ws->finalized || ws->lingering) {
        return NGX_DECLINED;
    }

    rc = ngx_http_arthexis_ws_room(ws, len);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_arthexis_ws_queue(ws, opcode, data, len) != NGX_OK) {
        ws->finalize = 1;
        ws->abort = 1;
        ngx_http_arthexis_ws_defer(ws);
        return NGX_ERROR;
    }

    if (!ws->batching) {
        ngx_http_arthexis_ws_flush(ws);

        if (ws->finalize) {
            ngx_http_arthexis_ws_defer(ws);
        }
    }

    return NGX_OK;
}


void
ngx_http_arthexis_ws_close(ngx_http_arthexis_ws_t *ws, ngx_uint_t code,
    const char *reason)
{
    if (ws->close_sent || ws->finalize || ws->finalized || ws->lingering) {
        return;
    }

    if (ngx_http_arthexis_ws_queue_close(ws, code, reason) != NGX_OK) {
        ws->finalize = 1;
        ws->abort = 1;
        ngx_http_arthexis_ws_defer(ws);
        return;
    }

    if (!ws->batching) {
        ngx_http_arthexis_ws_flush(ws);

        /* the peer may have closed already: an event sees to the end */
        ngx_http_arthexis_ws_defer(ws);
    }
}


/*
 * Room for a frame of len bytes: NGX_OK, or NGX_DECLINED when the client
 * does not read (more than websocket_send_buffer bytes would wait after
 * writing what the socket takes): the session is then closed with 1008.
 * A frame larger than the buffer passes when nothing else waits.
 */

static ngx_int_t
ngx_http_arthexis_ws_room(ngx_http_arthexis_ws_t *ws, size_t len)
{
    size_t  queued;

    queued = ws->out_last - ws->out_pos;

    if (queued == 0 || queued + len <= ws->conf->send_buffer) {
        return NGX_OK;
    }

    ngx_http_arthexis_ws_flush(ws);

    if (ws->finalize) {
        ngx_http_arthexis_ws_defer(ws);
        return NGX_ERROR;
    }

    queued = ws->out_last - ws->out_pos;

    if (queued == 0 || queued + len <= ws->conf->send_buffer) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_WARN, ws->connection->log, 0,
                  "websocket: session #%ui: client does not read, "
                  "%uz bytes queued, closing", ws->id, queued);

    ngx_http_arthexis_ws_close(ws, AX_WS_CLOSE_POLICY, "client too slow");

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_arthexis_ws_queue(ngx_http_arthexis_ws_t *ws, ngx_uint_t opcode,
    u_char *data, size_t len)
{
    u_char  *p;
    size_t   used, need, size, hlen;

    hlen = ax_ws_header_len(len, 0);
    used = ws->out_last - ws->out_pos;
    need = used + hlen + len;

    if (ws->out == NULL
        && ngx_http_arthexis_ws_scratch_owner == NULL
        && need <= NGX_HTTP_ARTHEXIS_WS_SCRATCH_SIZE)
    {
        /* borrow the worker's buffer until the next write */
        ngx_http_arthexis_ws_scratch_owner = ws;
        ws->out_scratch = 1;
        ws->out = ngx_http_arthexis_ws_scratch;
        ws->out_pos = ws->out;
        ws->out_last = ws->out;
        ws->out_size = NGX_HTTP_ARTHEXIS_WS_SCRATCH_SIZE;
    }

    if (ws->out == NULL
        || (size_t) (ws->out + ws->out_size - ws->out_last) < hlen + len)
    {
        if (ws->out != NULL && need <= ws->out_size) {
            /* room at the front */
            ngx_memmove(ws->out, ws->out_pos, used);

        } else {
            size = ngx_max(need, NGX_HTTP_ARTHEXIS_WS_OUT_MIN);

            if (size < ws->out_size * 2) {
                size = ws->out_size * 2;
            }

            p = ngx_alloc(size, ws->connection->log);
            if (p == NULL) {
                return NGX_ERROR;
            }

            if (used) {
                ngx_memcpy(p, ws->out_pos, used);
            }

            ngx_http_arthexis_ws_out_free(ws);

            ws->out = p;
            ws->out_size = size;
        }

        ws->out_pos = ws->out;
        ws->out_last = ws->out + used;
    }

    ws->out_last += ax_ws_frame_header(ws->out_last, opcode, 1, len, NULL);

    if (len) {
        ws->out_last = ngx_cpymem(ws->out_last, data, len);
    }

    return NGX_OK;
}


/* our Close: the last frame; the peer's Close, or a timer, ends it */

static ngx_int_t
ngx_http_arthexis_ws_queue_close(ngx_http_arthexis_ws_t *ws, ngx_uint_t code,
    const char *reason)
{
    u_char  payload[AX_WS_MAX_CONTROL_LEN];
    size_t  len;

    len = ax_ws_close_payload(payload, code, (const u_char *) reason,
                              ngx_strlen(reason));

    ws->close_sent = 1;

    if (ws->ping_ev.timer_set) {
        ngx_del_timer(&ws->ping_ev);
    }

    if (!ws->close_ev.timer_set) {
        ngx_add_timer(&ws->close_ev, ws->conf->close_timeout);
    }

    return ngx_http_arthexis_ws_queue(ws, AX_WS_OP_CLOSE, payload, len);
}


static void
ngx_http_arthexis_ws_flush(ngx_http_arthexis_ws_t *ws)
{
    ssize_t              n;
    ngx_int_t            rc;
    ngx_uint_t           sent;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    c = ws->connection;
    r = ws->request;
    sent = 0;

    if (r && (r->out || c->buffered)) {
        /* the rest of the 101 goes first */
        rc = ngx_http_output_filter(r, NULL);

        if (rc == NGX_ERROR) {
            ws->finalize = 1;
            ws->abort = 1;
            return;
        }

        if (r->out || c->buffered) {
            goto again;
        }
    }

    while (ws->out_pos < ws->out_last) {

        n = c->send(c, ws->out_pos, ws->out_last - ws->out_pos);

        if (n == NGX_AGAIN) {
            goto again;
        }

        if (n == NGX_ERROR) {
            c->error = 1;
            ws->finalize = 1;
            ws->abort = 1;
            return;
        }

        ws->out_pos += n;
        sent = 1;
    }

    /* all written: an idle session keeps no output buffer */

    ngx_http_arthexis_ws_out_free(ws);

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    return;

again:

    /* what waits moves out of the worker's buffer */

    if (ngx_http_arthexis_ws_unscratch(ws) != NGX_OK) {
        ws->finalize = 1;
        ws->abort = 1;
        return;
    }

    /* send_timeout counts from the last byte the client took */

    if (sent || !c->write->timer_set) {
        ngx_add_timer(c->write, ws->send_timeout);
    }

    if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
        ws->finalize = 1;
        ws->abort = 1;
    }
}


/* the output queue moves from the worker's buffer to the session's own */

static ngx_int_t
ngx_http_arthexis_ws_unscratch(ngx_http_arthexis_ws_t *ws)
{
    u_char  *p;
    size_t   used, size;

    if (!ws->out_scratch) {
        return NGX_OK;
    }

    used = ws->out_last - ws->out_pos;

    if (used == 0) {
        ngx_http_arthexis_ws_out_free(ws);
        return NGX_OK;
    }

    size = ngx_max(used, NGX_HTTP_ARTHEXIS_WS_OUT_MIN);

    p = ngx_alloc(size, ws->connection->log);
    if (p == NULL) {
        ngx_http_arthexis_ws_out_free(ws);
        return NGX_ERROR;
    }

    ngx_memcpy(p, ws->out_pos, used);

    ngx_http_arthexis_ws_out_free(ws);

    ws->out = p;
    ws->out_pos = p;
    ws->out_last = p + used;
    ws->out_size = size;

    return NGX_OK;
}


/* drops the output buffer: the session's, or the worker's it borrowed */

static void
ngx_http_arthexis_ws_out_free(ngx_http_arthexis_ws_t *ws)
{
    if (ws->out_scratch) {
        ws->out_scratch = 0;
        ngx_http_arthexis_ws_scratch_owner = NULL;

    } else if (ws->out) {
        ngx_free(ws->out);
    }

    ws->out = NULL;
    ws->out_pos = NULL;
    ws->out_last = NULL;
    ws->out_size = 0;
}


/* a session that must end outside an event: a posted event ends it */

static void
ngx_http_arthexis_ws_defer(ngx_http_arthexis_ws_t *ws)
{
    ngx_post_event(ws->connection->write, &ngx_posted_events);
}


/*
 * Called at the end of every event: ends the session when it is over, or
 * starts the lingering close once the close handshake is done.  NGX_DONE
 * when the session ended.
 */

static ngx_int_t
ngx_http_arthexis_ws_check_end(ngx_http_arthexis_ws_t *ws)
{
    ngx_connection_t  *c;

    if (ws->finalized) {
        return NGX_DONE;
    }

    c = ws->connection;

    if (!ws->finalize) {

        if (ws->lingering
            || !(ws->close_sent && ws->close_received)
            || ws->out_pos < ws->out_last)
        {
            /* on with it, or the Close is still on its way */
            return NGX_OK;
        }

        /*
         * The close handshake is done: shut our side down and read what
         * the peer still sends until it closes, so that no RST can
         * destroy the frames it has not read yet.
         */

        if (!ws->eof && !c->error
#if (NGX_HTTP_SSL)
            && c->ssl == NULL
#endif
            && ngx_shutdown_socket(c->fd, NGX_WRITE_SHUTDOWN) == 0)
        {
            ws->lingering = 1;

            if (ws->ping_ev.timer_set) {
                ngx_del_timer(&ws->ping_ev);
            }

            if (c->read->timer_set) {
                ngx_del_timer(c->read);
            }

            if (c->write->timer_set) {
                ngx_del_timer(c->write);
            }

            if (ws->close_ev.timer_set) {
                ngx_del_timer(&ws->close_ev);
            }

            ngx_add_timer(&ws->close_ev, ws->conf->close_timeout);

            ngx_http_arthexis_ws_linger(ws);

            if (!ws->finalize) {
                return NGX_OK;
            }
        }
    }

    ngx_http_arthexis_ws_end(ws);

    return NGX_DONE;
}


/* lingering: the peer's bytes are read and dropped until it closes */

static void
ngx_http_arthexis_ws_linger(ngx_http_arthexis_ws_t *ws)
{
    size_t             total;
    ssize_t            n;
    ngx_connection_t  *c;

    c = ws->connection;
    total = 0;

    for ( ;; ) {

        if (total >= NGX_HTTP_ARTHEXIS_WS_READ_BUDGET) {
            ngx_post_event(c->read, &ngx_posted_events);
            return;
        }

        n = c->recv(c, ngx_http_arthexis_ws_recv_buf,
                    NGX_HTTP_ARTHEXIS_WS_RECV_SIZE);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ws->eof = 1;
            ws->finalize = 1;
            return;
        }

        total += n;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ws->finalize = 1;
    }
}


static void
ngx_http_arthexis_ws_end(ngx_http_arthexis_ws_t *ws)
{
    ngx_connection_t  *c;

    c = ws->connection;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "websocket: session #%ui ends", ws->id);

    if (ws->released) {
        ngx_http_arthexis_ws_cleanup(ws);
        ngx_http_close_connection(c);
        return;
    }

    ws->finalized = 1;

    /* the request's cleanup releases the session's resources */
    ngx_http_finalize_request(ws->request, NGX_HTTP_CLOSE);
}


static void
ngx_http_arthexis_ws_ping_handler(ngx_event_t *ev)
{
    ngx_uint_t               held;
    ngx_connection_t        *c;
    ngx_http_arthexis_ws_t  *ws;

    ws = ev->data;
    c = ws->connection;
    held = !ws->released;

    if (ws->finalized) {
        return;
    }

    if (ws->awaiting_pong) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "websocket: session #%ui did not answer a ping, "
                      "closing", ws->id);

        /* the peer looks dead: a last Close, then the socket goes */
        if (ngx_http_arthexis_ws_queue_close(ws, AX_WS_CLOSE_GOING_AWAY,
                                             "ping timeout")
            == NGX_OK)
        {
            ngx_http_arthexis_ws_flush(ws);
        }

        ws->finalize = 1;
        ws->abort = 1;

    } else {
        ws->awaiting_pong = 1;

        if (ngx_http_arthexis_ws_queue(ws, AX_WS_OP_PING, NULL, 0)
            != NGX_OK)
        {
            ws->finalize = 1;
            ws->abort = 1;

        } else {
            ngx_http_arthexis_ws_flush(ws);
            ngx_add_timer(&ws->ping_ev, ws->conf->ping_interval);
        }
    }

    (void) ngx_http_arthexis_ws_check_end(ws);

    if (held) {
        ngx_http_run_posted_requests(c);
    }
}


static void
ngx_http_arthexis_ws_close_handler(ngx_event_t *ev)
{
    ngx_uint_t               held;
    ngx_connection_t        *c;
    ngx_http_arthexis_ws_t  *ws;

    ws = ev->data;
    c = ws->connection;
    held = !ws->released;

    if (ws->finalized) {
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "websocket: session #%ui: %s timer expired", ws->id,
                   ws->lingering ? "lingering" : "closing");

    ws->finalize = 1;
    ws->abort = 1;

    (void) ngx_http_arthexis_ws_check_end(ws);

    if (held) {
        ngx_http_run_posted_requests(c);
    }
}


static void
ngx_http_arthexis_ws_request_cleanup(void *data)
{
    ngx_http_arthexis_ws_t  *ws = data;

    ngx_http_arthexis_ws_cleanup(ws);
}


/* releases what the session holds besides its memory; then closed() */

static void
ngx_http_arthexis_ws_cleanup(ngx_http_arthexis_ws_t *ws)
{
    ws->finalized = 1;

    if (ws->ping_ev.timer_set) {
        ngx_del_timer(&ws->ping_ev);
    }

    if (ws->close_ev.timer_set) {
        ngx_del_timer(&ws->close_ev);
    }

    if (ws->ping_ev.posted) {
        ngx_delete_posted_event(&ws->ping_ev);
    }

    if (ws->close_ev.posted) {
        ngx_delete_posted_event(&ws->close_ev);
    }

    ax_ws_parser_free(&ws->parser);

    ngx_http_arthexis_ws_out_free(ws);

    if (ws->handler->closed) {
        ws->handler->closed(ws);
    }
}


static void *
ngx_http_arthexis_ws_alloc(size_t size, void *ctx)
{
    return ngx_alloc(size, ctx);
}


static void
ngx_http_arthexis_ws_free(void *p, void *ctx)
{
    ngx_free(p);
}


void
ngx_http_arthexis_ws_conf_init(ngx_http_arthexis_ws_conf_t *conf)
{
    conf->max_message_size = NGX_CONF_UNSET_SIZE;
    conf->send_buffer = NGX_CONF_UNSET_SIZE;
    conf->ping_interval = NGX_CONF_UNSET_MSEC;
    conf->idle_timeout = NGX_CONF_UNSET_MSEC;
    conf->close_timeout = NGX_CONF_UNSET_MSEC;
}


void
ngx_http_arthexis_ws_conf_merge(ngx_http_arthexis_ws_conf_t *conf,
    ngx_http_arthexis_ws_conf_t *prev, size_t max_message_size,
    ngx_msec_t ping_interval)
{
    ngx_conf_merge_size_value(conf->max_message_size, prev->max_message_size,
                              max_message_size);
    ngx_conf_merge_size_value(conf->send_buffer, prev->send_buffer,
                              1024 * 1024);
    ngx_conf_merge_msec_value(conf->ping_interval, prev->ping_interval,
                              ping_interval);
    ngx_conf_merge_msec_value(conf->idle_timeout, prev->idle_timeout,
                              600000);
    ngx_conf_merge_msec_value(conf->close_timeout, prev->close_timeout,
                              5000);
}
