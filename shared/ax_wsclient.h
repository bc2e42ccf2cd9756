
/*
 * WebSocket client connections for the load tools (arthexis bench-echo,
 * the OCPP simulator and swarm): many non-blocking connections driven by
 * one epoll loop in one thread.  Plain C and Linux; no nginx headers.  The
 * frames are those of shared/ax_ws (client role: masked frames out,
 * unmasked frames in).
 *
 * A loop owns an epoll descriptor; each connection registers once, edge
 * triggered.  ax_wsc_loop_run() waits for events once, dispatches them to
 * the connections' handlers and writes what they queued: every frame a
 * connection queues during one round leaves in one write.
 *
 *     loop = ax_wsc_loop_create();
 *     c = ax_wsc_open(loop, &conf, &handler, data);
 *     for ( ;; ) { ax_wsc_loop_run(loop, 100); ... }
 *
 * Handlers run inside ax_wsc_loop_run().  They may call ax_wsc_send(),
 * ax_wsc_close(), ax_wsc_abort(), ax_wsc_open() and ax_wsc_free() on any
 * connection (a connection freed during a round is released at its end).
 */

#ifndef _AX_WSCLIENT_H_INCLUDED_
#define _AX_WSCLIENT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ax_ws.h"


/* the connection's state */
#define AX_WSC_CONNECTING   0     /* TCP connect in progress */
#define AX_WSC_HANDSHAKE    1     /* request sent, waiting for the 101 */
#define AX_WSC_OPEN         2     /* frames flow */
#define AX_WSC_CLOSING      3     /* a Close was sent or received */
#define AX_WSC_CLOSED       4     /* over: the socket is closed */

/* why it is over (c->error); AX_WSC_OK after a clean close handshake */
#define AX_WSC_OK           0
#define AX_WSC_ECONNECT     1     /* connect() failed: c->sys_errno */
#define AX_WSC_EHANDSHAKE   2     /* no 101, or a bad Sec-WebSocket-Accept */
#define AX_WSC_EPROTOCOL    3     /* the server broke RFC 6455 */
#define AX_WSC_EIO          4     /* read or write failed: c->sys_errno */
#define AX_WSC_EEOF         5     /* the socket closed without a Close */
#define AX_WSC_ENOMEM       6
#define AX_WSC_EABORT       7     /* ax_wsc_abort() */


typedef struct ax_wsc_loop_s  ax_wsc_loop_t;
typedef struct ax_wsc_s       ax_wsc_t;


typedef struct {
    /* the 101 was accepted: c->protocol holds the chosen subprotocol */
    void   (*open)(ax_wsc_t *c);

    /*
     * A whole message (AX_WS_OP_TEXT or AX_WS_OP_BINARY, text checked as
     * UTF-8); data is valid during the call only, and may be changed.
     */
    void   (*message)(ax_wsc_t *c, unsigned opcode, unsigned char *data,
                      size_t len);

    /* a Pong (payload as received); NULL: ignored.  Pings are answered. */
    void   (*pong)(ax_wsc_t *c, unsigned char *data, size_t len);

    /*
     * The connection is over and its socket closed: c->error says why,
     * c->close_code holds the server's close code (0: none received;
     * 1005: a Close without code), c->close_reason its reason.  Called
     * once per connection that was opened, also after a failed connect.
     */
    void   (*closed)(ax_wsc_t *c);
} ax_wsc_handler_t;


typedef struct {
    const struct sockaddr  *addr;           /* the server */
    socklen_t               addr_len;
    const struct sockaddr  *local;          /* source address, or NULL */
    socklen_t               local_len;

    const char             *host;           /* Host header */
    const char             *path;           /* "/ws/echo/" */
    const char             *protocol;       /* offered list, or NULL */
    const char             *headers;        /* extra "Name: value\r\n"
                                               lines, or NULL */
    size_t                  max_message_size;  /* 0: no limit */
    int                     rcvbuf;         /* SO_RCVBUF, 0: default */
    int                     sndbuf;         /* SO_SNDBUF, 0: default */
} ax_wsc_conf_t;


struct ax_wsc_s {
    void                    *data;          /* the caller's */
    int                      fd;
    unsigned                 state;         /* AX_WSC_CONNECTING... */
    unsigned                 error;         /* AX_WSC_OK... */
    int                      sys_errno;     /* with ECONNECT and EIO */
    unsigned                 status;        /* HTTP status of the answer */
    unsigned                 close_code;    /* the server's */
    char                     close_reason[AX_WS_MAX_REASON_LEN + 1];
    char                    *protocol;      /* chosen subprotocol or NULL */
    const char              *detail;        /* static text on errors */

    /* private */
    ax_wsc_loop_t           *loop;
    const ax_wsc_handler_t  *handler;
    ax_wsc_t                *next_dirty;
    unsigned char           *out;           /* queued bytes [pos, last) */
    size_t                   out_pos;
    size_t                   out_last;
    size_t                   out_size;
    unsigned char           *head;          /* the 101 being read */
    size_t                   head_len;
    unsigned char            accept[AX_WS_ACCEPT_LEN];
    unsigned                 dirty:1;
    unsigned                 writable:1;
    unsigned                 close_sent:1;
    unsigned                 freed:1;
    ax_ws_parser_t           parser;
};


ax_wsc_loop_t *ax_wsc_loop_create(void);

/* Closes the epoll descriptor; free the connections first. */
void ax_wsc_loop_free(ax_wsc_loop_t *loop);

/*
 * One round: writes what is queued, waits up to timeout_ms (-1: no limit,
 * 0: not at all) for events, dispatches them and writes again.  Returns
 * the number of events, 0 on timeout, -1 on an epoll error (errno).
 */
int ax_wsc_loop_run(ax_wsc_loop_t *loop, int timeout_ms);

/*
 * Starts a connection: a non-blocking socket, connect(), and the handshake
 * once connected.  conf is copied (its strings and addresses too).
 * Returns NULL when out of memory or descriptors (errno); a refused
 * connection is reported later through closed().
 */
ax_wsc_t *ax_wsc_open(ax_wsc_loop_t *loop, const ax_wsc_conf_t *conf,
    const ax_wsc_handler_t *handler, void *data);

/*
 * Queues a data frame (AX_WS_OP_TEXT, AX_WS_OP_BINARY) or a Ping or Pong;
 * it leaves with the round's write.  Returns 0, or -1 when the connection
 * is not open (or no memory: the connection is then aborted).
 */
int ax_wsc_send(ax_wsc_t *c, unsigned opcode, const void *data, size_t len);

/* Starts the close handshake (code 0: a Close without code). */
void ax_wsc_close(ax_wsc_t *c, unsigned code, const char *reason);

/* Closes the socket now; closed() follows with AX_WSC_EABORT. */
void ax_wsc_abort(ax_wsc_t *c);

/*
 * Releases a connection, closing its socket without a handler call; safe
 * anywhere, also in its own handlers (then the memory goes at the end of
 * the round, and nothing of c may be used after the call).
 */
void ax_wsc_free(ax_wsc_t *c);

/* bytes queued and not yet written */
size_t ax_wsc_pending(ax_wsc_t *c);

/* a short text for c->error */
const char *ax_wsc_strerror(unsigned error);

/*
 * Splits "ws://host[:port]/path" (also wss://, then *tls = 1): host and
 * path are malloc()ed; *port defaults to 80 (443 for wss).  Returns 0, or
 * -1 if the URL is malformed.
 */
int ax_wsc_parse_url(const char *url, char **host, unsigned *port,
    char **path, int *tls);

/* getaddrinfo() for a numeric or named host; 0 or -1 */
int ax_wsc_resolve(const char *host, unsigned port,
    struct sockaddr_storage *addr, socklen_t *len);

/* monotonic clock in nanoseconds */
uint64_t ax_wsc_now(void);


#endif /* _AX_WSCLIENT_H_INCLUDED_ */
