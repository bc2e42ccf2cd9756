
/*
 * WebSocket sessions on nginx connections (RFC 6455), shared by the echo
 * endpoint and the OCPP central system.  The frame codec is shared/ax_ws.
 *
 * An app validates what it must, then calls ngx_http_arthexis_ws_upgrade()
 * from its content handler (or from a job's completion).  After the 101 the
 * session owns the connection: it reads frames and hands each complete
 * message to the app's message callback, answers pings, sends pings of its
 * own, enforces the idle timeout, queues output with a bounded send queue,
 * and runs the close handshake.  On graceful shutdown or reload each session
 * is closed with 1001 so clients reconnect to the new workers.
 *
 * The session never ends inside a call of the app (send, close): when a
 * write fails it ends from a posted event, after the app's code returned.
 * The closed callback is the last word; ws is freed after it.
 */

#ifndef _NGX_HTTP_ARTHEXIS_WS_H_INCLUDED_
#define _NGX_HTTP_ARTHEXIS_WS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ax_ws.h>


typedef struct ngx_http_arthexis_ws_s  ngx_http_arthexis_ws_t;


/* the location-level settings (websocket_* directives) */
typedef struct {
    size_t                          max_message_size;
    size_t                          send_buffer;
    ngx_msec_t                      ping_interval;   /* 0: no pings */
    ngx_msec_t                      idle_timeout;    /* 0: none */
    ngx_msec_t                      close_timeout;
} ngx_http_arthexis_ws_conf_t;


typedef struct {
    /*
     * Chooses a subprotocol from the offered Sec-WebSocket-Protocol list
     * (offered->len == 0 when the header is absent): set chosen (len 0:
     * none) and return NGX_OK, or return NGX_DECLINED to refuse the
     * handshake with 400.  NULL: no subprotocol is chosen.
     */
    ngx_int_t   (*protocol)(ngx_http_request_t *r, ngx_str_t *offered,
                            ngx_str_t *chosen);

    /*
     * A complete message (AX_WS_OP_TEXT or AX_WS_OP_BINARY).  data is
     * valid only during the call (it may point into a buffer shared by
     * every session of the worker): copy what must outlive it.  The
     * callback may send, and may close the session.
     */
    void        (*message)(ngx_http_arthexis_ws_t *ws, ngx_uint_t opcode,
                           u_char *data, size_t len);

    /* the session is over (any reason); the connection is going away */
    void        (*closed)(ngx_http_arthexis_ws_t *ws);

    /*
     * 1: the HTTP request is freed once the 101 is out and the bytes that
     * came with the handshake are read (the access log line, status 101,
     * is written then), and the session lives on the connection alone: a
     * few hundred bytes per idle session instead of the request's pool
     * (4-8 KiB).  ws->request is NULL from then on: keep what the session
     * needs in ws->pool (the connection's) or your own memory, never in
     * r->pool.  The NGX_DONE of ngx_http_arthexis_ws_upgrade() must be
     * passed on as documented there; while anything else holds the
     * request (r->main->count, blocked) it is not freed.
     * 0: the request and its pool live until the session ends, and the
     * access log line is written then.
     */
    ngx_uint_t    release_request;
} ngx_http_arthexis_ws_handler_t;


struct ngx_http_arthexis_ws_s {
    /* what every message touches comes first: one or two cache lines */

    ngx_connection_t                      *connection;
    const ngx_http_arthexis_ws_handler_t  *handler;
    ngx_http_arthexis_ws_conf_t           *conf;
    void                                  *data;     /* the app's */

    /* output not yet written: [out_pos, out_last) of a buffer of
     * out_size bytes: the worker's (out_scratch) until the event's write,
     * an ngx_alloc()'ed one while bytes wait, none once all is written */
    u_char                                *out;
    u_char                                *out_pos;
    u_char                                *out_last;
    size_t                                 out_size;
    ngx_msec_t                             last_active;  /* a frame came */

    unsigned                               batching:1;
    unsigned                               awaiting_pong:1;
    unsigned                               close_sent:1;
    unsigned                               close_received:1;
    unsigned                               finalize:1;  /* at the end of
                                                           this event */
    unsigned                               finalized:1;
    unsigned                               release:1;   /* pending */
    unsigned                               released:1;
    unsigned                               lingering:1;
    unsigned                               abort:1;     /* no lingering */
    unsigned                               eof:1;
    unsigned                               out_scratch:1;

    ax_ws_parser_t                         parser;

    ngx_http_request_t                    *request;  /* NULL once released */
    ngx_pool_t                            *pool;     /* lives as long as the
                                                        session: the
                                                        connection's */
    ngx_uint_t                             id;       /* unique per worker */
    ngx_msec_t                             send_timeout;

    ngx_event_t                            ping_ev;
    ngx_event_t                            close_ev;  /* closing, lingering */
    ngx_http_cleanup_t                    *cleanup;   /* in the request */
};


/*
 * Checks the handshake, sends 101 and starts the session; returns NGX_DONE
 * (the request is held: return it from a content handler, or pass it to
 * ngx_http_finalize_request()), or an HTTP status already answered with a
 * JSON error: 400, 426 (wrong Sec-WebSocket-Version) or 500.  *wsp, when
 * not NULL, receives the session.
 */
ngx_int_t ngx_http_arthexis_ws_upgrade(ngx_http_request_t *r,
    ngx_http_arthexis_ws_conf_t *conf,
    const ngx_http_arthexis_ws_handler_t *handler, void *data,
    ngx_http_arthexis_ws_t **wsp);

extern ngx_module_t  ngx_http_arthexis_ws_module;


/*
 * Checks a handshake without answering it: NGX_OK with the key and the
 * offered subprotocols (joined), or an HTTP status with *detail (NULL
 * detail: an internal error).  For apps that must look something up (e.g.
 * in the database) before they accept; ngx_http_arthexis_ws_upgrade()
 * checks again.
 */
ngx_int_t ngx_http_arthexis_ws_check(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *protocols, const char **detail);


/*
 * Queues a data frame (AX_WS_OP_TEXT or AX_WS_OP_BINARY) and writes it
 * now unless inside a read event, whose replies leave in one write.
 * NGX_OK; NGX_DECLINED when the session is closing (nothing is sent, e.g.
 * after a Close, or because the client does not read: more than
 * websocket_send_buffer bytes would wait, so the session is closed with
 * 1008; a single message larger than the buffer is still queued when
 * nothing else waits); NGX_ERROR when out of memory (the session ends).
 */
ngx_int_t ngx_http_arthexis_ws_send(ngx_http_arthexis_ws_t *ws,
    ngx_uint_t opcode, u_char *data, size_t len);

/*
 * Starts the close handshake with code and reason (NUL-terminated, at
 * most 123 bytes are sent): no data after it; the session ends when the
 * peer answers with its Close, or after websocket_close_timeout.
 */
void ngx_http_arthexis_ws_close(ngx_http_arthexis_ws_t *ws, ngx_uint_t code,
    const char *reason);

/* Reads a request header that nginx does not index (case-insensitive). */
ngx_table_elt_t *ngx_http_arthexis_header(ngx_http_request_t *r,
    const char *name, size_t len);

/* For the ws directives of apps: defaults and merging. */
void ngx_http_arthexis_ws_conf_init(ngx_http_arthexis_ws_conf_t *conf);
void ngx_http_arthexis_ws_conf_merge(ngx_http_arthexis_ws_conf_t *conf,
    ngx_http_arthexis_ws_conf_t *prev, size_t max_message_size,
    ngx_msec_t ping_interval);


#endif /* _NGX_HTTP_ARTHEXIS_WS_H_INCLUDED_ */
