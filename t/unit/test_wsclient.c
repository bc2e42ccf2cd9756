
/*
 * cmocka tests for the WebSocket client connections (shared/ax_wsclient.c)
 * against a scripted server in the same process: a blocking socket that
 * reads the handshake and writes exactly the bytes a test wants, while the
 * client runs in its epoll loop.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "ax_ws.h"
#include "ax_wsclient.h"


typedef struct {
    int             opened;
    int             closed;
    int             messages;
    unsigned        last_opcode;
    char            last[256];
    size_t          last_len;
    int             free_on_message;
    int             free_in_closed;
    ax_wsc_t       *c;
} seen_t;


typedef struct {
    int                  ls;
    struct sockaddr_in   addr;
    ax_wsc_loop_t       *loop;
    ax_wsc_conf_t        conf;
    seen_t               seen;
    unsigned char        sbuf[70000];    /* the server's unparsed input */
    size_t               slen;
} fixture_t;


static void
on_open(ax_wsc_t *c)
{
    seen_t  *s = c->data;

    s->opened++;
}


static void
on_message(ax_wsc_t *c, unsigned opcode, unsigned char *data, size_t len)
{
    seen_t  *s = c->data;

    s->messages++;
    s->last_opcode = opcode;
    s->last_len = len;
    memcpy(s->last, data, len < sizeof(s->last) ? len : sizeof(s->last));

    if (s->free_on_message) {
        /* safe inside a handler: released at the end of the round */
        ax_wsc_free(c);
        s->c = NULL;
    }
}


static void
on_closed(ax_wsc_t *c)
{
    seen_t  *s = c->data;

    s->closed++;

    if (s->free_in_closed) {
        ax_wsc_free(c);
        s->c = NULL;
    }
}


static const ax_wsc_handler_t  handler = {
    on_open, on_message, NULL, on_closed
};


static int
setup(void **state)
{
    socklen_t   len;
    fixture_t  *f;

    f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);

    f->ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->ls >= 0);

    f->addr.sin_family = AF_INET;
    f->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->ls, (struct sockaddr *) &f->addr,
                          sizeof(f->addr)), 0);
    assert_int_equal(listen(f->ls, 16), 0);

    len = sizeof(f->addr);
    getsockname(f->ls, (struct sockaddr *) &f->addr, &len);

    f->loop = ax_wsc_loop_create();
    assert_non_null(f->loop);

    f->conf.addr = (struct sockaddr *) &f->addr;
    f->conf.addr_len = sizeof(f->addr);
    f->conf.host = "localhost";
    f->conf.path = "/ws/echo/";

    *state = f;

    return 0;
}


static int
teardown(void **state)
{
    fixture_t  *f = *state;

    if (f->seen.c) {
        ax_wsc_free(f->seen.c);
    }

    ax_wsc_loop_free(f->loop);
    close(f->ls);
    free(f);

    return 0;
}


/* runs the loop until cond (an expression on f) holds, or 2 seconds */
#define run_until(f, cond)                                                    \
    do {                                                                      \
        int  i_;                                                              \
        for (i_ = 0; i_ < 200 && !(cond); i_++) {                             \
            assert_true(ax_wsc_loop_run((f)->loop, 10) >= 0);                 \
        }                                                                     \
    } while (0)


/* the server side: accepts, reads the request head, returns the socket */
static int
accept_request(fixture_t *f, char *head, size_t size)
{
    int             s, i;
    size_t          n;
    ssize_t         r;
    struct pollfd   p;

    /* the client connects and writes from its loop */

    for (i = 0; i < 200; i++) {
        p.fd = f->ls;
        p.events = POLLIN;

        if (poll(&p, 1, 0) == 1) {
            break;
        }

        ax_wsc_loop_run(f->loop, 10);
    }

    s = accept(f->ls, NULL, NULL);
    assert_true(s >= 0);

    n = 0;

    for (i = 0; i < 200 && n < size - 1; i++) {
        ax_wsc_loop_run(f->loop, 0);

        p.fd = s;
        p.events = POLLIN;

        if (poll(&p, 1, 10) != 1) {
            continue;
        }

        r = read(s, head + n, size - 1 - n);
        assert_true(r > 0);
        n += r;
        head[n] = '\0';

        if (strstr(head, "\r\n\r\n")) {
            return s;
        }
    }

    fail_msg("no request from the client");
    return -1;
}


static void
send_101(int s, const char *head, const char *extra)
{
    char            resp[512];
    const char     *key;
    unsigned char   accept[AX_WS_ACCEPT_LEN];

    key = strstr(head, "Sec-WebSocket-Key: ");
    assert_non_null(key);
    key += 19;

    ax_ws_accept_key((const unsigned char *) key, AX_WS_KEY_LEN, accept);

    snprintf(resp, sizeof(resp),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Connection: upgrade\r\nSec-WebSocket-Accept: %.28s\r\n%s\r\n",
             accept, extra ? extra : "");

    assert_int_equal(write(s, resp, strlen(resp)), (ssize_t) strlen(resp));
}


/* reads one masked client frame from the server side */
static size_t
read_frame(fixture_t *f, int s, unsigned *opcode, unsigned char *out,
    size_t size)
{
    int             i;
    size_t          n, len;
    ssize_t         r;
    struct pollfd   p;
    ax_ws_parser_t  ps;
    ax_ws_event_t   ev;

    for (i = 0; i < 300; i++) {

        if (f->slen) {
            ax_ws_parser_init(&ps, AX_WS_ROLE_SERVER, 0, NULL);
            n = ax_ws_parse(&ps, f->sbuf, f->slen, &ev);

            if (ev.type != AX_WS_EV_NONE) {
                assert_true(ev.type != AX_WS_EV_ERROR);
                *opcode = ev.type;
                len = ev.payload.len;
                memcpy(out, ev.payload.data, len < size ? len : size);
                ax_ws_parser_free(&ps);

                memmove(f->sbuf, f->sbuf + n, f->slen - n);
                f->slen -= n;

                return len;
            }

            /* not complete yet */
            ax_ws_parser_free(&ps);
        }

        ax_wsc_loop_run(f->loop, 0);

        p.fd = s;
        p.events = POLLIN;

        if (poll(&p, 1, 10) != 1) {
            continue;
        }

        r = read(s, f->sbuf + f->slen, sizeof(f->sbuf) - f->slen);
        assert_true(r > 0);
        f->slen += r;
    }

    fail_msg("no frame from the client");
    return 0;
}


static void
test_parse_url(void **state)
{
    int        tls;
    char      *host, *path;
    unsigned   port;

    assert_int_equal(ax_wsc_parse_url("ws://127.0.0.1:8000/ws/echo/", &host,
                                      &port, &path, &tls), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8000);
    assert_string_equal(path, "/ws/echo/");
    assert_int_equal(tls, 0);
    free(host);
    free(path);

    assert_int_equal(ax_wsc_parse_url("wss://example.org", &host, &port,
                                      &path, &tls), 0);
    assert_string_equal(host, "example.org");
    assert_int_equal(port, 443);
    assert_string_equal(path, "/");
    assert_int_equal(tls, 1);
    free(host);
    free(path);

    assert_int_equal(ax_wsc_parse_url("ws://[::1]:9/x?y=1", &host, &port,
                                      &path, &tls), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 9);
    assert_string_equal(path, "/x?y=1");
    free(host);
    free(path);

    assert_int_equal(ax_wsc_parse_url("ws://h?q", &host, &port, &path,
                                      &tls), 0);
    assert_string_equal(path, "/?q");
    free(host);
    free(path);

    assert_int_equal(ax_wsc_parse_url("http://h/", &host, &port, &path,
                                      &tls), -1);
    assert_int_equal(ax_wsc_parse_url("ws://:80/", &host, &port, &path,
                                      &tls), -1);
    assert_int_equal(ax_wsc_parse_url("ws://h:0/", &host, &port, &path,
                                      &tls), -1);
    assert_int_equal(ax_wsc_parse_url("ws://h:70000/", &host, &port, &path,
                                      &tls), -1);
    assert_int_equal(ax_wsc_parse_url("ws://h:8x/", &host, &port, &path,
                                      &tls), -1);
}


static void
test_exchange(void **state)
{
    fixture_t      *f = *state;
    int             s;
    char            head[4096];
    size_t          n;
    unsigned        op;
    unsigned char   out[256], buf[256];

    f->conf.protocol = "chat, superchat";
    f->conf.headers = "Authorization: Basic eDp5\r\n";
    f->seen.c = ax_wsc_open(f->loop, &f->conf, &handler, &f->seen);
    assert_non_null(f->seen.c);

    s = accept_request(f, head, sizeof(head));

    assert_non_null(strstr(head, "GET /ws/echo/ HTTP/1.1\r\n"));
    assert_non_null(strstr(head, "\r\nHost: localhost\r\n"));
    assert_non_null(strstr(head, "\r\nUpgrade: websocket\r\n"));
    assert_non_null(strstr(head, "\r\nSec-WebSocket-Version: 13\r\n"));
    assert_non_null(strstr(head,
                           "\r\nSec-WebSocket-Protocol: chat, superchat\r\n"));
    assert_non_null(strstr(head, "\r\nAuthorization: Basic eDp5\r\n"));

    /* the 101 and a first frame in one write */
    send_101(s, head, "Sec-WebSocket-Protocol: chat\r\n");
    n = ax_ws_frame(out, AX_WS_OP_TEXT, 1, (unsigned char *) "hi", 2, NULL);
    assert_int_equal(write(s, out, n), (ssize_t) n);

    run_until(f, f->seen.messages == 1);

    assert_int_equal(f->seen.opened, 1);
    assert_int_equal(f->seen.c->state, AX_WSC_OPEN);
    assert_int_equal(f->seen.c->status, 101);
    assert_string_equal(f->seen.c->protocol, "chat");
    assert_int_equal(f->seen.last_opcode, AX_WS_OP_TEXT);
    assert_int_equal(f->seen.last_len, 2);
    assert_memory_equal(f->seen.last, "hi", 2);

    /* two sends in one round leave in one write; masked */
    assert_int_equal(ax_wsc_send(f->seen.c, AX_WS_OP_BINARY, "\x01\x02", 2),
                     0);
    assert_int_equal(ax_wsc_send(f->seen.c, AX_WS_OP_TEXT, "yo", 2), 0);
    assert_true(ax_wsc_pending(f->seen.c) > 0);

    assert_int_equal(read_frame(f, s, &op, buf, sizeof(buf)), 2);
    assert_int_equal(op, AX_WS_OP_BINARY);
    assert_memory_equal(buf, "\x01\x02", 2);
    assert_int_equal(read_frame(f, s, &op, buf, sizeof(buf)), 2);
    assert_int_equal(op, AX_WS_OP_TEXT);

    /* a ping gets its pong */
    n = ax_ws_frame(out, AX_WS_OP_PING, 1, (unsigned char *) "p?", 2, NULL);
    assert_int_equal(write(s, out, n), (ssize_t) n);
    assert_int_equal(read_frame(f, s, &op, buf, sizeof(buf)), 2);
    assert_int_equal(op, AX_WS_OP_PONG);
    assert_memory_equal(buf, "p?", 2);

    /* the server closes: the client echoes the code, then the end */
    n = ax_ws_close_frame(out, 4001, (unsigned char *) "bye", 3, NULL);
    assert_int_equal(write(s, out, n), (ssize_t) n);
    assert_int_equal(read_frame(f, s, &op, buf, sizeof(buf)), 2);
    assert_int_equal(op, AX_WS_OP_CLOSE);
    assert_int_equal(buf[0] * 256 + buf[1], 4001);
    assert_int_equal(ax_wsc_send(f->seen.c, AX_WS_OP_TEXT, "late", 4), -1);

    close(s);
    run_until(f, f->seen.closed == 1);

    assert_int_equal(f->seen.c->error, AX_WSC_OK);
    assert_int_equal(f->seen.c->close_code, 4001);
    assert_string_equal(f->seen.c->close_reason, "bye");
}


static void
test_client_close(void **state)
{
    fixture_t      *f = *state;
    int             s;
    char            head[4096];
    size_t          n;
    unsigned        op;
    unsigned char   out[256], buf[256];

    f->seen.c = ax_wsc_open(f->loop, &f->conf, &handler, &f->seen);
    s = accept_request(f, head, sizeof(head));
    send_101(s, head, NULL);
    run_until(f, f->seen.opened == 1);

    ax_wsc_close(f->seen.c, 1000, "done");
    assert_int_equal(f->seen.c->state, AX_WSC_CLOSING);

    assert_int_equal(read_frame(f, s, &op, buf, sizeof(buf)), 6);
    assert_int_equal(op, AX_WS_OP_CLOSE);
    assert_memory_equal(buf + 2, "done", 4);

    n = ax_ws_close_frame(out, 1000, NULL, 0, NULL);
    assert_int_equal(write(s, out, n), (ssize_t) n);
    close(s);

    run_until(f, f->seen.closed == 1);
    assert_int_equal(f->seen.c->error, AX_WSC_OK);
    assert_int_equal(f->seen.c->close_code, 1000);
}


static void
test_refused_upgrade(void **state)
{
    fixture_t   *f = *state;
    int          s;
    char         head[4096];
    const char  *resp;

    f->seen.c = ax_wsc_open(f->loop, &f->conf, &handler, &f->seen);
    s = accept_request(f, head, sizeof(head));

    resp = "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
           "Content-Length: 2\r\n\r\n{}";
    assert_int_equal(write(s, resp, strlen(resp)), (ssize_t) strlen(resp));

    run_until(f, f->seen.closed == 1);
    assert_int_equal(f->seen.opened, 0);
    assert_int_equal(f->seen.c->error, AX_WSC_EHANDSHAKE);
    assert_int_equal(f->seen.c->status, 426);

    close(s);
}


static void
test_wrong_accept(void **state)
{
    fixture_t   *f = *state;
    int          s;
    char         head[4096];
    const char  *resp;

    f->seen.c = ax_wsc_open(f->loop, &f->conf, &handler, &f->seen);
    s = accept_request(f, head, sizeof(head));

    resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
           "Connection: upgrade\r\n"
           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    assert_int_equal(write(s, resp, strlen(resp)), (ssize_t) strlen(resp));

    run_until(f, f->seen.closed == 1);
    assert_int_equal(f->seen.opened, 0);
    assert_int_equal(f->seen.c->error, AX_WSC_EHANDSHAKE);
    assert_string_equal(f->seen.c->detail, "wrong Sec-WebSocket-Accept");

    close(s);
}


static void
test_masked_server_frame(void **state)
{
    fixture_t      *f = *state;
    int             s;
    char            head[4096];
    size_t          n;
    unsigned        op;
    unsigned char   out[64], buf[256];

    f->seen.c = ax_wsc_open(f->loop, &f->conf, &handler, &f->seen);
    s = accept_request(f, head, sizeof(head));
    send_101(s, head, NULL);

    n = ax_ws_frame(out, AX_WS_OP_TEXT, 1, (unsigned char *) "x", 1,
                    (unsigned char *) "abcd");
    assert_int_equal(write(s, out, n), (ssize_t) n);

    assert_int_equal(read_frame(f, s, &op, buf, sizeof(buf)), 21);
    assert_int_equal(op, AX_WS_OP_CLOSE);
    assert_int_equal(buf[0] * 256 + buf[1], 1002);

    run_until(f, f->seen.closed == 1);
    assert_int_equal(f->seen.c->error, AX_WSC_EPROTOCOL);
    assert_int_equal(f->seen.messages, 0);

    close(s);
}


static void
test_eof_without_close(void **state)
{
    fixture_t  *f = *state;
    int         s;
    char        head[4096];

    f->seen.c = ax_wsc_open(f->loop, &f->conf, &handler, &f->seen);
    s = accept_request(f, head, sizeof(head));
    send_101(s, head, NULL);
    run_until(f, f->seen.opened == 1);

    close(s);

    run_until(f, f->seen.closed == 1);
    assert_int_equal(f->seen.c->error, AX_WSC_EEOF);
    assert_int_equal(f->seen.c->close_code, 0);
}


static void
test_connect_refused(void **state)
{
    fixture_t  *f = *state;

    /* nothing listens there any more */
    close(f->ls);
    f->ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->ls >= 0);

    f->seen.free_in_closed = 1;
    f->seen.c = ax_wsc_open(f->loop, &f->conf, &handler, &f->seen);
    assert_non_null(f->seen.c);

    run_until(f, f->seen.closed == 1);
    assert_int_equal(f->seen.opened, 0);
    assert_null(f->seen.c);
}


static void
test_free_in_handler(void **state)
{
    fixture_t      *f = *state;
    int             s;
    char            head[4096];
    size_t          n;
    unsigned char   out[64];

    f->seen.free_on_message = 1;
    f->seen.c = ax_wsc_open(f->loop, &f->conf, &handler, &f->seen);
    s = accept_request(f, head, sizeof(head));
    send_101(s, head, NULL);

    /* two messages in one read: the first frees the connection */
    n = ax_ws_frame(out, AX_WS_OP_TEXT, 1, (unsigned char *) "a", 1, NULL);
    n += ax_ws_frame(out + n, AX_WS_OP_TEXT, 1, (unsigned char *) "b", 1,
                     NULL);
    assert_int_equal(write(s, out, n), (ssize_t) n);

    run_until(f, f->seen.messages == 1);
    ax_wsc_loop_run(f->loop, 10);

    assert_int_equal(f->seen.messages, 1);
    assert_int_equal(f->seen.closed, 0);
    assert_null(f->seen.c);

    close(s);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test_setup_teardown(test_exchange, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_upgrade, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wrong_accept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_masked_server_frame, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_eof_without_close, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_free_in_handler, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
