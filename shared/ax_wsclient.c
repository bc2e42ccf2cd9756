
/*
 * WebSocket client connections over non-blocking sockets and one epoll
 * loop.  See ax_wsclient.h.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ax_wsclient.h"


#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT  24
#endif

#define AX_WSC_RECV_SIZE    (256 * 1024)
#define AX_WSC_EVENTS       512
#define AX_WSC_HEAD_MAX     8192
#define AX_WSC_OUT_MIN      256


struct ax_wsc_loop_s {
    int                  ep;
    int                  running;     /* inside ax_wsc_loop_run() */
    ax_wsc_t            *dirty;       /* connections with bytes to write */
    ax_wsc_t            *garbage;     /* freed during the run */
    uint64_t             rand;        /* xorshift state for masking keys */
    struct epoll_event   events[AX_WSC_EVENTS];
    unsigned char        buf[AX_WSC_RECV_SIZE];
};


static int ax_wsc_request(ax_wsc_t *c, const ax_wsc_conf_t *conf);
static int ax_wsc_reserve(ax_wsc_t *c, size_t need);
static void ax_wsc_mark_dirty(ax_wsc_t *c);
static void ax_wsc_flush_dirty(ax_wsc_loop_t *loop);
static int ax_wsc_write(ax_wsc_t *c);
static void ax_wsc_event(ax_wsc_t *c, uint32_t events);
static void ax_wsc_connected(ax_wsc_t *c);
static int ax_wsc_read(ax_wsc_t *c, int drain);
static int ax_wsc_head(ax_wsc_t *c, unsigned char *buf, size_t len,
    size_t *used);
static int ax_wsc_frames(ax_wsc_t *c, unsigned char *buf, size_t len);
static int ax_wsc_queue(ax_wsc_t *c, unsigned opcode, const void *data,
    size_t len);
static void ax_wsc_finish(ax_wsc_t *c, unsigned error, int err);
static const char *ax_wsc_header(const char *head, const char *name,
    size_t *len);
static uint64_t ax_wsc_random(ax_wsc_loop_t *loop);
static void ax_wsc_release(ax_wsc_t *c);


ax_wsc_loop_t *
ax_wsc_loop_create(void)
{
    ax_wsc_loop_t  *loop;

    loop = calloc(1, sizeof(ax_wsc_loop_t));
    if (loop == NULL) {
        return NULL;
    }

    loop->ep = epoll_create1(EPOLL_CLOEXEC);
    if (loop->ep == -1) {
        free(loop);
        return NULL;
    }

    if (getrandom(&loop->rand, sizeof(loop->rand), 0)
        != (ssize_t) sizeof(loop->rand))
    {
        loop->rand = ax_wsc_now() ^ ((uint64_t) getpid() << 32);
    }

    loop->rand |= 1;

    return loop;
}


void
ax_wsc_loop_free(ax_wsc_loop_t *loop)
{
    if (loop) {
        close(loop->ep);
        free(loop);
    }
}


int
ax_wsc_loop_run(ax_wsc_loop_t *loop, int timeout_ms)
{
    int        i, n, err;
    ax_wsc_t  *c;

    loop->running = 1;

    ax_wsc_flush_dirty(loop);

    n = epoll_wait(loop->ep, loop->events, AX_WSC_EVENTS,
                   loop->dirty ? 0 : timeout_ms);

    err = errno;

    for (i = 0; i < n; i++) {
        c = loop->events[i].data.ptr;
        ax_wsc_event(c, loop->events[i].events);
    }

    ax_wsc_flush_dirty(loop);

    loop->running = 0;

    /* connections freed meanwhile: later events of the batch named them */

    while (loop->garbage) {
        c = loop->garbage;
        loop->garbage = c->next_dirty;
        ax_wsc_release(c);
    }

    if (n == -1) {
        errno = err;
        return err == EINTR ? 0 : -1;
    }

    return n;
}


ax_wsc_t *
ax_wsc_open(ax_wsc_loop_t *loop, const ax_wsc_conf_t *conf,
    const ax_wsc_handler_t *handler, void *data)
{
    int                 fd, one, err;
    ax_wsc_t           *c;
    struct epoll_event  ee;

    c = calloc(1, sizeof(ax_wsc_t));
    if (c == NULL) {
        return NULL;
    }

    c->loop = loop;
    c->handler = handler;
    c->data = data;
    c->fd = -1;
    c->state = AX_WSC_CONNECTING;

    ax_ws_parser_init(&c->parser, AX_WS_ROLE_CLIENT, conf->max_message_size,
                      NULL);

    if (ax_wsc_request(c, conf) != 0) {
        goto failed;
    }

    fd = socket(conf->addr->sa_family,
                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        goto failed;
    }

    c->fd = fd;

    one = 1;
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (conf->rcvbuf) {
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &conf->rcvbuf,
                          sizeof(int));
    }

    if (conf->sndbuf) {
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &conf->sndbuf,
                          sizeof(int));
    }

    if (conf->local) {
        /* the port is chosen at connect(), per destination */
        (void) setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                          sizeof(one));

        if (bind(fd, conf->local, conf->local_len) == -1) {
            goto failed;
        }
    }

    ee.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ee.data.ptr = c;

    if (epoll_ctl(loop->ep, EPOLL_CTL_ADD, fd, &ee) == -1) {
        goto failed;
    }

    if (connect(fd, conf->addr, conf->addr_len) == -1
        && errno != EINPROGRESS)
    {
        /* reported through closed() in the next round */
        c->error = AX_WSC_ECONNECT;
        c->sys_errno = errno;
        c->detail = "connect() failed";
        ax_wsc_mark_dirty(c);
    }

    return c;

failed:

    err = errno;
    ax_wsc_free(c);
    errno = err;

    return NULL;
}


/* the handshake request goes to the output queue */

static int
ax_wsc_request(ax_wsc_t *c, const ax_wsc_conf_t *conf)
{
    int            n;
    size_t         size;
    unsigned char  raw[16];
    char           key[AX_WS_KEY_LEN + 1];
    uint64_t       r;

    r = ax_wsc_random(c->loop);
    memcpy(raw, &r, 8);
    r = ax_wsc_random(c->loop);
    memcpy(raw + 8, &r, 8);

    ax_ws_base64_encode((unsigned char *) key, raw, 16);
    key[AX_WS_KEY_LEN] = '\0';

    ax_ws_accept_key((unsigned char *) key, AX_WS_KEY_LEN, c->accept);

    size = 160 + strlen(conf->path) + strlen(conf->host)
           + (conf->protocol ? strlen(conf->protocol) + 32 : 0)
           + (conf->headers ? strlen(conf->headers) : 0);

    if (ax_wsc_reserve(c, size) != 0) {
        return -1;
    }

    n = snprintf((char *) c->out, size,
                 "GET %s HTTP/1.1\r\n"
                 "Host: %s\r\n"
                 "Upgrade: websocket\r\n"
                 "Connection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\n"
                 "Sec-WebSocket-Version: 13\r\n"
                 "%s%s%s"
                 "%s\r\n",
                 conf->path, conf->host, key,
                 conf->protocol ? "Sec-WebSocket-Protocol: " : "",
                 conf->protocol ? conf->protocol : "",
                 conf->protocol ? "\r\n" : "",
                 conf->headers ? conf->headers : "");

    if (n < 0 || (size_t) n >= size) {
        errno = EINVAL;
        return -1;
    }

    c->out_pos = 0;
    c->out_last = n;

    return 0;
}


int
ax_wsc_send(ax_wsc_t *c, unsigned opcode, const void *data, size_t len)
{
    if (c->state != AX_WSC_OPEN) {
        return -1;
    }

    if (ax_wsc_queue(c, opcode, data, len) != 0) {
        ax_wsc_finish(c, AX_WSC_ENOMEM, 0);
        return -1;
    }

    return 0;
}


void
ax_wsc_close(ax_wsc_t *c, unsigned code, const char *reason)
{
    unsigned char  payload[AX_WS_MAX_CONTROL_LEN];
    size_t         n;

    if (c->state >= AX_WSC_CLOSED || c->close_sent) {
        return;
    }

    if (c->state < AX_WSC_OPEN) {
        ax_wsc_abort(c);
        return;
    }

    n = ax_ws_close_payload(payload, code, (const unsigned char *) reason,
                            reason ? strlen(reason) : 0);

    if (ax_wsc_queue(c, AX_WS_OP_CLOSE, payload, n) != 0) {
        ax_wsc_finish(c, AX_WSC_ENOMEM, 0);
        return;
    }

    c->close_sent = 1;
    c->state = AX_WSC_CLOSING;
}


void
ax_wsc_abort(ax_wsc_t *c)
{
    if (c->state < AX_WSC_CLOSED) {
        c->detail = "aborted";
        ax_wsc_finish(c, AX_WSC_EABORT, 0);
    }
}


void
ax_wsc_free(ax_wsc_t *c)
{
    ax_wsc_t  **pp;

    if (c == NULL || c->freed) {
        return;
    }

    if (c->fd != -1) {
        (void) epoll_ctl(c->loop->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }

    if (c->dirty) {
        for (pp = &c->loop->dirty; *pp; pp = &(*pp)->next_dirty) {
            if (*pp == c) {
                *pp = c->next_dirty;
                break;
            }
        }

        c->dirty = 0;
    }

    c->state = AX_WSC_CLOSED;

    if (c->loop->running) {
        /* an event of this round may still name it: free it after */
        c->freed = 1;
        c->next_dirty = c->loop->garbage;
        c->loop->garbage = c;
        return;
    }

    ax_wsc_release(c);
}


static void
ax_wsc_release(ax_wsc_t *c)
{
    ax_ws_parser_free(&c->parser);
    free(c->out);
    free(c->head);
    free(c->protocol);
    free(c);
}


size_t
ax_wsc_pending(ax_wsc_t *c)
{
    return c->out_last - c->out_pos;
}


const char *
ax_wsc_strerror(unsigned error)
{
    static const char  *text[] = {
        "ok", "connect failed", "handshake refused", "protocol error",
        "I/O error", "closed without a Close frame", "out of memory",
        "aborted"
    };

    return error < sizeof(text) / sizeof(text[0]) ? text[error] : "?";
}


static int
ax_wsc_reserve(ax_wsc_t *c, size_t need)
{
    size_t          used, size;
    unsigned char  *p;

    if (c->out_size - c->out_last >= need) {
        return 0;
    }

    used = c->out_last - c->out_pos;

    if (c->out_pos && c->out_size - used >= need) {
        memmove(c->out, c->out + c->out_pos, used);

    } else {
        size = c->out_size ? c->out_size : AX_WSC_OUT_MIN;

        while (size - used < need) {
            size *= 2;
        }

        p = malloc(size);
        if (p == NULL) {
            return -1;
        }

        if (used) {
            memcpy(p, c->out + c->out_pos, used);
        }

        free(c->out);
        c->out = p;
        c->out_size = size;
    }

    c->out_pos = 0;
    c->out_last = used;

    return 0;
}


static int
ax_wsc_queue(ax_wsc_t *c, unsigned opcode, const void *data, size_t len)
{
    uint64_t  r;

    if (ax_wsc_reserve(c, AX_WS_MAX_HEADER_LEN + len) != 0) {
        return -1;
    }

    r = ax_wsc_random(c->loop);

    c->out_last += ax_ws_frame(c->out + c->out_last, opcode, 1, data, len,
                               (unsigned char *) &r);

    ax_wsc_mark_dirty(c);

    return 0;
}


static void
ax_wsc_mark_dirty(ax_wsc_t *c)
{
    if (!c->dirty) {
        c->dirty = 1;
        c->next_dirty = c->loop->dirty;
        c->loop->dirty = c;
    }
}


static void
ax_wsc_flush_dirty(ax_wsc_loop_t *loop)
{
    ax_wsc_t  *c;

    while (loop->dirty) {
        c = loop->dirty;
        loop->dirty = c->next_dirty;
        c->dirty = 0;
        c->next_dirty = NULL;

        if (c->error == AX_WSC_ECONNECT && c->state == AX_WSC_CONNECTING) {
            /* connect() failed at once */
            ax_wsc_finish(c, AX_WSC_ECONNECT, c->sys_errno);
            continue;
        }

        if (c->state >= AX_WSC_CLOSED || !c->writable) {
            continue;
        }

        (void) ax_wsc_write(c);
    }
}


/* writes the queue; -1 when the connection failed */

static int
ax_wsc_write(ax_wsc_t *c)
{
    ssize_t  n;

    while (c->out_pos < c->out_last) {
        n = send(c->fd, c->out + c->out_pos, c->out_last - c->out_pos,
                 MSG_NOSIGNAL);

        if (n == -1) {
            if (errno == EAGAIN) {
                /* EPOLLOUT (edge) says when there is room again */
                c->writable = 0;
                return 0;
            }

            if (errno == EINTR) {
                continue;
            }

            c->detail = "send() failed";
            ax_wsc_finish(c, AX_WSC_EIO, errno);
            return -1;
        }

        c->out_pos += n;
    }

    c->out_pos = 0;
    c->out_last = 0;

    /* a big queue is not kept once written */

    if (c->out_size > 65536) {
        free(c->out);
        c->out = NULL;
        c->out_size = 0;
    }

    return 0;
}


static void
ax_wsc_event(ax_wsc_t *c, uint32_t events)
{
    int        err;
    socklen_t  len;

    if (c->state >= AX_WSC_CLOSED) {
        return;
    }

    if (c->state == AX_WSC_CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            return;
        }

        err = 0;
        len = sizeof(err);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
            err = errno;
        }

        if (err) {
            c->detail = "connect() failed";
            ax_wsc_finish(c, AX_WSC_ECONNECT, err);
            return;
        }

        ax_wsc_connected(c);

        if (c->state >= AX_WSC_CLOSED) {
            return;
        }
    }

    if (events & EPOLLOUT) {
        c->writable = 1;

        if (c->out_pos < c->out_last) {
            if (ax_wsc_write(c) != 0) {
                return;
            }
        }
    }

    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        (void) ax_wsc_read(c, (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                              != 0);
    }
}


static void
ax_wsc_connected(ax_wsc_t *c)
{
    c->state = AX_WSC_HANDSHAKE;
    c->writable = 1;

    (void) ax_wsc_write(c);
}


/*
 * Reads until EAGAIN, or until a short read when the peer has not shut
 * down (edge triggering reports the next bytes); drain: read to the end.
 */

static int
ax_wsc_read(ax_wsc_t *c, int drain)
{
    size_t          used;
    ssize_t         n;
    unsigned char  *buf;

    buf = c->loop->buf;

    while (c->state < AX_WSC_CLOSED) {

        n = recv(c->fd, buf, AX_WSC_RECV_SIZE, 0);

        if (n == -1) {
            if (errno == EAGAIN) {
                return 0;
            }

            if (errno == EINTR) {
                continue;
            }

            c->detail = "recv() failed";
            ax_wsc_finish(c, AX_WSC_EIO, errno);
            return -1;
        }

        if (n == 0) {
            if (c->close_sent && c->close_code) {
                /* the close handshake is complete */
                ax_wsc_finish(c, AX_WSC_OK, 0);

            } else {
                c->detail = "connection closed without a Close frame";
                ax_wsc_finish(c, AX_WSC_EEOF, 0);
            }

            return -1;
        }

        used = 0;

        if (c->state == AX_WSC_HANDSHAKE) {
            if (ax_wsc_head(c, buf, n, &used) != 0) {
                return -1;
            }
        }

        if (used < (size_t) n && c->state >= AX_WSC_OPEN) {
            if (ax_wsc_frames(c, buf + used, n - used) != 0) {
                return -1;
            }
        }

        if (n < AX_WSC_RECV_SIZE && !drain) {
            return 0;
        }
    }

    return -1;
}


/* the handshake response; *used: bytes of buf that belong to it */

static int
ax_wsc_head(ax_wsc_t *c, unsigned char *buf, size_t len, size_t *used)
{
    size_t          n, vlen;
    unsigned char  *end, *p;
    const char     *v;

    n = len;

    if (c->head_len + n > AX_WSC_HEAD_MAX) {
        n = AX_WSC_HEAD_MAX - c->head_len;
    }

    if (c->head == NULL) {
        c->head = malloc(AX_WSC_HEAD_MAX + 1);
        if (c->head == NULL) {
            ax_wsc_finish(c, AX_WSC_ENOMEM, 0);
            return -1;
        }
    }

    memcpy(c->head + c->head_len, buf, n);
    c->head[c->head_len + n] = '\0';

    end = (unsigned char *) strstr((char *) c->head, "\r\n\r\n");

    if (end == NULL) {
        c->head_len += n;

        if (c->head_len == AX_WSC_HEAD_MAX) {
            c->detail = "handshake response too long";
            ax_wsc_finish(c, AX_WSC_EHANDSHAKE, 0);
            return -1;
        }

        *used = len;
        return 0;
    }

    end += 4;
    *used = (end - c->head) - c->head_len;
    end[-2] = '\0';

    p = c->head;

    if (strncmp((char *) p, "HTTP/1.1 ", 9) != 0
        || !isdigit(p[9]) || !isdigit(p[10]) || !isdigit(p[11]))
    {
        c->detail = "not an HTTP/1.1 response";
        ax_wsc_finish(c, AX_WSC_EHANDSHAKE, 0);
        return -1;
    }

    c->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');

    if (c->status != 101) {
        c->detail = "the server refused the upgrade";
        ax_wsc_finish(c, AX_WSC_EHANDSHAKE, 0);
        return -1;
    }

    v = ax_wsc_header((char *) p, "Sec-WebSocket-Accept", &vlen);

    if (v == NULL || vlen != AX_WS_ACCEPT_LEN
        || memcmp(v, c->accept, AX_WS_ACCEPT_LEN) != 0)
    {
        c->detail = "wrong Sec-WebSocket-Accept";
        ax_wsc_finish(c, AX_WSC_EHANDSHAKE, 0);
        return -1;
    }

    v = ax_wsc_header((char *) p, "Sec-WebSocket-Protocol", &vlen);

    if (v != NULL) {
        c->protocol = strndup(v, vlen);
    }

    free(c->head);
    c->head = NULL;
    c->head_len = 0;

    c->state = AX_WSC_OPEN;

    if (c->handler->open) {
        c->handler->open(c);
    }

    return c->state >= AX_WSC_CLOSED ? -1 : 0;
}


/* a header's value in a response head (names compared case-insensitively) */

static const char *
ax_wsc_header(const char *head, const char *name, size_t *len)
{
    size_t       n;
    const char  *p, *e;

    n = strlen(name);
    p = strstr(head, "\r\n");

    while (p != NULL && p[2] != '\0') {
        p += 2;

        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;

            while (*p == ' ' || *p == '\t') {
                p++;
            }

            e = strstr(p, "\r\n");
            if (e == NULL) {
                e = p + strlen(p);
            }

            while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
                e--;
            }

            *len = e - p;
            return p;
        }

        p = strstr(p, "\r\n");
    }

    return NULL;
}


static int
ax_wsc_frames(ax_wsc_t *c, unsigned char *buf, size_t len)
{
    size_t         n, rlen;
    ax_ws_event_t  ev;

    while (len && c->state < AX_WSC_CLOSED) {

        n = ax_ws_parse(&c->parser, buf, len, &ev);
        buf += n;
        len -= n;

        switch (ev.type) {

        case AX_WS_EV_NONE:
            break;

        case AX_WS_EV_TEXT:
        case AX_WS_EV_BINARY:
            if (c->handler->message && !c->close_sent) {
                c->handler->message(c, ev.type, ev.payload.data,
                                    ev.payload.len);
            }
            break;

        case AX_WS_EV_PING:
            if (!c->close_sent
                && ax_wsc_queue(c, AX_WS_OP_PONG, ev.payload.data,
                                ev.payload.len) != 0)
            {
                ax_wsc_finish(c, AX_WSC_ENOMEM, 0);
                return -1;
            }
            break;

        case AX_WS_EV_PONG:
            if (c->handler->pong) {
                c->handler->pong(c, ev.payload.data, ev.payload.len);
            }
            break;

        case AX_WS_EV_CLOSE:
            c->close_code = ev.close_code;
            rlen = ev.reason.len;
            memcpy(c->close_reason, ev.reason.data, rlen);
            c->close_reason[rlen] = '\0';

            if (!c->close_sent) {
                /* echo the code; the server closes the socket */
                ax_wsc_close(c, ev.close_code == AX_WS_CLOSE_NO_STATUS
                                ? 0 : ev.close_code, NULL);
            }

            c->state = AX_WSC_CLOSING;
            return 0;

        default: /* AX_WS_EV_ERROR */
            c->detail = (const char *) ev.reason.data;

            if (!c->close_sent) {
                ax_wsc_close(c, ev.close_code, (char *) ev.reason.data);
                (void) ax_wsc_write(c);
            }

            ax_wsc_finish(c, AX_WSC_EPROTOCOL, 0);
            return -1;
        }
    }

    return c->state >= AX_WSC_CLOSED ? -1 : 0;
}


/* the connection is over: close the socket and tell the handler */

static void
ax_wsc_finish(ax_wsc_t *c, unsigned error, int err)
{
    if (c->state >= AX_WSC_CLOSED) {
        return;
    }

    c->state = AX_WSC_CLOSED;
    c->error = error;
    c->sys_errno = err;

    if (c->fd != -1) {
        (void) epoll_ctl(c->loop->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }

    if (c->handler->closed) {
        c->handler->closed(c);
    }
}


int
ax_wsc_parse_url(const char *url, char **host, unsigned *port, char **path,
    int *tls)
{
    size_t       n;
    const char  *p, *h, *e;
    char        *end;
    long         v;

    if (strncmp(url, "ws://", 5) == 0) {
        *tls = 0;
        *port = 80;
        p = url + 5;

    } else if (strncmp(url, "wss://", 6) == 0) {
        *tls = 1;
        *port = 443;
        p = url + 6;

    } else {
        return -1;
    }

    h = p;
    e = p + strcspn(p, "/?");

    if (*h == '[') {
        /* [IPv6]:port */
        p = memchr(h, ']', e - h);
        if (p == NULL) {
            return -1;
        }

        n = p - h - 1;
        h++;
        p++;

    } else {
        p = memchr(h, ':', e - h);
        n = (p ? p : e) - h;
        if (p == NULL) {
            p = e;
        }
    }

    if (n == 0) {
        return -1;
    }

    if (p < e) {
        if (*p != ':') {
            return -1;
        }

        v = strtol(p + 1, &end, 10);

        if (end != e || v < 1 || v > 65535) {
            return -1;
        }

        *port = (unsigned) v;
    }

    *host = strndup(h, n);

    if (*e == '/') {
        *path = strdup(e);

    } else {
        /* "ws://host" or "ws://host?query" */
        *path = malloc(strlen(e) + 2);

        if (*path) {
            (*path)[0] = '/';
            strcpy(*path + 1, e);
        }
    }

    if (*host == NULL || *path == NULL) {
        free(*host);
        free(*path);
        return -1;
    }

    return 0;
}


int
ax_wsc_resolve(const char *host, unsigned port, struct sockaddr_storage *addr,
    socklen_t *len)
{
    char              service[8];
    struct addrinfo   hints, *res;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    snprintf(service, sizeof(service), "%u", port);

    if (getaddrinfo(host, service, &hints, &res) != 0 || res == NULL) {
        return -1;
    }

    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;

    freeaddrinfo(res);

    return 0;
}


uint64_t
ax_wsc_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/* xorshift64*: masking keys need not be secret for a load tool */

static uint64_t
ax_wsc_random(ax_wsc_loop_t *loop)
{
    uint64_t  x;

    x = loop->rand;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    loop->rand = x;

    return x * 0x2545F4914F6CDD1DULL;
}
