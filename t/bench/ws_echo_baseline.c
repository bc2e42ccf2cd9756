
/*
 * A bare WebSocket echo server for t/bench: one process, one epoll loop,
 * the shared codec (shared/ax_ws).  It is the yardstick for the nginx echo
 * endpoint (what the same load costs without nginx), not a product: it
 * accepts any handshake that carries a Sec-WebSocket-Key, and answers a
 * read event's messages with one write, as the endpoint does.
 *
 *     ws_echo_baseline PORT
 */

#define _GNU_SOURCE

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "ax_ws.h"


#define RECV_SIZE  65536
#define MAX_EVENTS 512


typedef struct {
    int              fd;
    int              open;
    unsigned char   *head;        /* the handshake while it is read */
    size_t           head_len;
    unsigned char   *out;         /* unsent bytes */
    size_t           out_len;
    ax_ws_parser_t   parser;
} conn_t;


static unsigned char  in[RECV_SIZE];
static unsigned char  out[RECV_SIZE * 2];
static size_t         out_len;


static void
conn_close(int ep, conn_t *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    ax_ws_parser_free(&c->parser);
    free(c->head);
    free(c->out);
    free(c);
}


/* writes out[0..out_len) after what is pending; keeps the rest */

static int
conn_write(conn_t *c, unsigned char *data, size_t len)
{
    ssize_t         n;
    unsigned char  *p;

    if (c->out_len && len) {
        p = realloc(c->out, c->out_len + len);
        if (p == NULL) {
            return -1;
        }

        memcpy(p + c->out_len, data, len);
        c->out = p;
        c->out_len += len;
    }

    if (c->out_len) {
        data = c->out;
        len = c->out_len;
    }

    n = send(c->fd, data, len, MSG_NOSIGNAL);

    if (n == -1) {
        if (errno != EAGAIN) {
            return -1;
        }

        n = 0;
    }

    if ((size_t) n == len) {
        free(c->out);
        c->out = NULL;
        c->out_len = 0;
        return 0;
    }

    if (data != c->out) {
        c->out = malloc(len - n);
        if (c->out == NULL) {
            return -1;
        }

        memcpy(c->out, data + n, len - n);

    } else {
        memmove(c->out, c->out + n, len - n);
    }

    c->out_len = len - n;

    return 0;
}


static int
conn_handshake(conn_t *c, unsigned char *buf, size_t len, size_t *used)
{
    int             n;
    char           *end, *key, *e;
    unsigned char   accept[AX_WS_ACCEPT_LEN];
    char            resp[256];

    c->head = realloc(c->head, c->head_len + len + 1);
    memcpy(c->head + c->head_len, buf, len);
    c->head[c->head_len + len] = '\0';

    end = strstr((char *) c->head, "\r\n\r\n");
    if (end == NULL) {
        c->head_len += len;
        *used = len;
        return c->head_len > 8192 ? -1 : 0;
    }

    *used = (end + 4 - (char *) c->head) - c->head_len;

    key = strcasestr((char *) c->head, "\r\nSec-WebSocket-Key:");
    if (key == NULL) {
        return -1;
    }

    key += 20;
    while (*key == ' ') {
        key++;
    }

    e = strstr(key, "\r\n");
    ax_ws_accept_key((unsigned char *) key, e - key, accept);

    n = snprintf(resp, sizeof(resp),
                 "HTTP/1.1 101 Switching Protocols\r\n"
                 "Upgrade: websocket\r\nConnection: upgrade\r\n"
                 "Sec-WebSocket-Accept: %.28s\r\n\r\n", accept);

    free(c->head);
    c->head = NULL;
    c->open = 1;

    return conn_write(c, (unsigned char *) resp, n);
}


/* parses buf; the replies go to out */

static int
conn_frames(conn_t *c, unsigned char *buf, size_t len)
{
    size_t         n;
    ax_ws_event_t  ev;

    while (len) {
        n = ax_ws_parse(&c->parser, buf, len, &ev);
        buf += n;
        len -= n;

        if (ev.type == AX_WS_EV_NONE) {
            continue;
        }

        if (ev.type == AX_WS_EV_ERROR || ev.type == AX_WS_EV_CLOSE) {
            out_len += ax_ws_close_frame(out + out_len, ev.close_code, NULL,
                                         0, NULL);
            return -1;
        }

        if (ev.type == AX_WS_EV_PONG) {
            continue;
        }

        if (out_len + ev.payload.len + AX_WS_MAX_HEADER_LEN > sizeof(out)) {
            if (conn_write(c, out, out_len) != 0) {
                return -2;
            }

            out_len = 0;
        }

        if (ev.payload.len + AX_WS_MAX_HEADER_LEN > sizeof(out)) {
            /* a big message: straight to the queue */
            unsigned char  h[AX_WS_MAX_HEADER_LEN];

            n = ax_ws_frame_header(h, ev.type == AX_WS_EV_PING
                                      ? AX_WS_OP_PONG : ev.type,
                                   1, ev.payload.len, NULL);
            if (conn_write(c, h, n) != 0
                || conn_write(c, ev.payload.data, ev.payload.len) != 0)
            {
                return -2;
            }

            continue;
        }

        out_len += ax_ws_frame(out + out_len,
                               ev.type == AX_WS_EV_PING ? AX_WS_OP_PONG
                                                        : ev.type,
                               1, ev.payload.data, ev.payload.len, NULL);
    }

    return 0;
}


static void
conn_read(int ep, conn_t *c, int drain)
{
    int      rc;
    size_t   used;
    ssize_t  n;

    out_len = 0;

    for ( ;; ) {
        n = recv(c->fd, in, RECV_SIZE, 0);

        if (n == -1 && errno == EAGAIN) {
            break;
        }

        if (n <= 0) {
            conn_close(ep, c);
            return;
        }

        used = 0;

        if (!c->open) {
            if (conn_handshake(c, in, n, &used) != 0) {
                conn_close(ep, c);
                return;
            }
        }

        if (c->open && used < (size_t) n) {
            rc = conn_frames(c, in + used, n - used);

            if (rc != 0) {
                if (rc == -1) {
                    (void) conn_write(c, out, out_len);
                }

                conn_close(ep, c);
                return;
            }
        }

        if (n < RECV_SIZE && !drain) {
            break;
        }
    }

    if (out_len && conn_write(c, out, out_len) != 0) {
        conn_close(ep, c);
    }
}


int
main(int argc, char **argv)
{
    int                  ls, ep, fd, one, n, i;
    conn_t              *c;
    struct sockaddr_in   sin;
    struct epoll_event   ee, events[MAX_EVENTS];

    if (argc != 2) {
        fprintf(stderr, "usage: ws_echo_baseline PORT\n");
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);

    ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(atoi(argv[1]));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (bind(ls, (struct sockaddr *) &sin, sizeof(sin)) == -1
        || listen(ls, 4096) == -1)
    {
        perror("ws_echo_baseline: bind/listen");
        return 1;
    }

    ep = epoll_create1(0);
    ee.events = EPOLLIN;
    ee.data.ptr = NULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ee);

    for ( ;; ) {
        n = epoll_wait(ep, events, MAX_EVENTS, -1);

        for (i = 0; i < n; i++) {
            c = events[i].data.ptr;

            if (c == NULL) {
                while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) != -1) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
                               sizeof(one));
                    c = calloc(1, sizeof(conn_t));
                    c->fd = fd;
                    ax_ws_parser_init(&c->parser, AX_WS_ROLE_SERVER,
                                      16 * 1024 * 1024, NULL);
                    ee.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
                    ee.data.ptr = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee);
                }

                continue;
            }

            if ((events[i].events & EPOLLOUT) && c->out_len) {
                if (conn_write(c, NULL, 0) != 0) {
                    conn_close(ep, c);
                    continue;
                }
            }

            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP
                                    | EPOLLERR))
            {
                conn_read(ep, c, (events[i].events
                                  & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
            }
        }
    }

    return 0;
}
