
/*
 * cmocka tests for the RFC 6455 codec (shared/ax_ws.c), its incremental
 * UTF-8 validator (shared/ax_utf8.c) and SHA-1 (shared/ax_sha1.c).
 *
 * Every parser test stream goes through parse_all(): in one piece, one byte
 * at a time and in pseudo-random chunkings, each chunk in its own heap
 * block (so ASan sees reads past a chunk); all must give the same events.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include "ax_ws.h"
#include "ax_utf8.h"
#include "ax_sha1.h"


#define MAXEV       64

#define F_MIN       0       /* minimal length encoding */
#define F_16        1       /* 16-bit length whatever the size */
#define F_64        2       /* 64-bit length whatever the size */
#define F_64MSB     3       /* 64-bit length with the MSB set */

#define FIN         0x80
#define RSV1        0x40
#define RSV2        0x20
#define RSV3        0x10

#define SERVER      AX_WS_ROLE_SERVER
#define CLIENT      AX_WS_ROLE_CLIENT

#define MODE_ONE    0
#define MODE_BYTE   1
#define MODE_RAND   2


typedef struct {
    int             type;
    unsigned        code;
    size_t          len;
    unsigned char  *data;
    size_t          reason_len;
    unsigned char   reason[128];
} rec_t;


typedef struct {
    size_t          n;
    rec_t           ev[MAXEV];
} recs_t;


typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          size;
} stream_t;


static size_t    allocs, reallocs, frees, live;
static int       fail_alloc;
static unsigned  key_counter;


static void *
t_alloc(size_t size, void *ctx)
{
    assert_ptr_equal(ctx, &allocs);

    if (fail_alloc) {
        return NULL;
    }

    allocs++;
    live++;

    return malloc(size);
}


static void *
t_realloc(void *ptr, size_t size, void *ctx)
{
    assert_ptr_equal(ctx, &allocs);

    if (fail_alloc) {
        return NULL;
    }

    reallocs++;

    return realloc(ptr, size);
}


static void
t_free(void *ptr, void *ctx)
{
    assert_ptr_equal(ctx, &allocs);
    assert_non_null(ptr);

    frees++;
    live--;

    free(ptr);
}


static const ax_ws_allocator_t  t_allocator = {
    t_alloc, t_realloc, t_free, &allocs
};

static const ax_ws_allocator_t  t_allocator_norealloc = {
    t_alloc, NULL, t_free, &allocs
};


static void
reset_counters(void)
{
    allocs = 0;
    reallocs = 0;
    frees = 0;
    live = 0;
    fail_alloc = 0;
}


/* streams */

static void
s_put(stream_t *s, const void *p, size_t n)
{
    if (s->len + n > s->size) {
        s->size = (s->len + n) * 2 + 64;
        s->data = realloc(s->data, s->size);
        assert_non_null(s->data);
    }

    if (n) {
        memcpy(s->data + s->len, p, n);
    }

    s->len += n;
}


static void
s_free(stream_t *s)
{
    free(s->data);
    s->data = NULL;
    s->len = 0;
    s->size = 0;
}


/* a frame built by hand, independent of the writer under test */

static void
s_frame(stream_t *s, unsigned b0, int masked, int form, const void *payload,
    size_t n)
{
    size_t          i, h, off;
    unsigned char   hdr[14], key[4];
    uint64_t        len;

    h = 0;
    len = n;
    hdr[h++] = (unsigned char) b0;

    if (form == F_MIN && n < 126) {
        hdr[h++] = (unsigned char) n;

    } else if ((form == F_MIN && n < 65536) || form == F_16) {
        hdr[h++] = 126;
        hdr[h++] = (unsigned char) (len >> 8);
        hdr[h++] = (unsigned char) len;

    } else {
        hdr[h++] = 127;

        for (i = 0; i < 8; i++) {
            hdr[h++] = (unsigned char) (len >> (56 - 8 * i));
        }

        if (form == F_64MSB) {
            hdr[2] |= 0x80;
        }
    }

    if (masked) {
        hdr[1] |= 0x80;
        key_counter++;
        key[0] = (unsigned char) (0x37 + key_counter);
        key[1] = (unsigned char) (0xfa ^ key_counter);
        key[2] = (unsigned char) (0x21 * key_counter);
        key[3] = (unsigned char) (0x3d - key_counter);
        memcpy(hdr + h, key, 4);
        h += 4;
    }

    s_put(s, hdr, h);

    off = s->len;
    s_put(s, payload, n);

    if (masked) {
        for (i = 0; i < n; i++) {
            s->data[off + i] ^= key[i % 4];
        }
    }
}


/* a masked (client) frame, minimal length */

static void
cf(stream_t *s, unsigned b0, const void *payload, size_t n)
{
    s_frame(s, b0, 1, F_MIN, payload, n);
}


static void
cfs(stream_t *s, unsigned b0, const char *str)
{
    s_frame(s, b0, 1, F_MIN, str, strlen(str));
}


/* a close frame with code and reason */

static void
cclose(stream_t *s, unsigned code, const char *reason, size_t rlen)
{
    unsigned char  b[256];

    b[0] = (unsigned char) (code >> 8);
    b[1] = (unsigned char) code;
    memcpy(b + 2, reason, rlen);
    cf(s, FIN | AX_WS_OP_CLOSE, b, 2 + rlen);
}


/* feeding */

static size_t
chunk_size(uint64_t *seed)
{
    uint64_t  x;

    x = *seed;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *seed = x;

    switch (x % 8) {
    case 0:
    case 1:
    case 2:
        return 1 + (size_t) ((x >> 8) % 4);
    case 3:
    case 4:
        return 1 + (size_t) ((x >> 8) % 20);
    case 5:
    case 6:
        return 1 + (size_t) ((x >> 8) % 300);
    default:
        return 1 + (size_t) ((x >> 8) % 70000);
    }
}


static void
record(recs_t *r, const ax_ws_event_t *ev)
{
    rec_t  *e;

    assert_true(r->n < MAXEV);

    e = &r->ev[r->n++];
    e->type = ev->type;
    e->code = ev->close_code;
    e->len = ev->payload.len;
    e->data = malloc(ev->payload.len + 1);
    assert_non_null(e->data);

    assert_non_null(ev->payload.data);
    memcpy(e->data, ev->payload.data, ev->payload.len);

    assert_true(ev->reason.len < sizeof(e->reason));
    assert_true(ev->reason.len == 0 || ev->reason.data != NULL);
    e->reason_len = ev->reason.len;
    memcpy(e->reason, ev->reason.data, ev->reason.len);
}


static void
recs_free(recs_t *r)
{
    size_t  i;

    for (i = 0; i < r->n; i++) {
        free(r->ev[i].data);
    }

    r->n = 0;
}


static void
feed(unsigned role, size_t max, const stream_t *s, int mode, uint64_t seed,
    recs_t *r)
{
    int              stop;
    size_t           off, clen, pos, n;
    ax_ws_parser_t   p;
    ax_ws_event_t    ev;
    unsigned char   *chunk;

    reset_counters();
    r->n = 0;
    stop = 0;
    seed = seed * 0x9e3779b97f4a7c15ULL + 1;

    ax_ws_parser_init(&p, role, max, &t_allocator);

    for (off = 0; off < s->len && !stop; off += clen) {

        if (mode == MODE_ONE) {
            clen = s->len;

        } else if (mode == MODE_BYTE) {
            clen = 1;

        } else {
            clen = chunk_size(&seed);
        }

        if (clen > s->len - off) {
            clen = s->len - off;
        }

        chunk = malloc(clen);
        assert_non_null(chunk);
        memcpy(chunk, s->data + off, clen);

        for (pos = 0; pos < clen; pos += n) {
            n = ax_ws_parse(&p, chunk + pos, clen - pos, &ev);

            assert_true(n <= clen - pos);

            if (ev.type == AX_WS_EV_NONE) {
                assert_int_equal(n, clen - pos);
                continue;
            }

            if (ev.in_buf) {
                assert_true(ev.payload.data >= chunk + pos);
                assert_true(ev.payload.data + ev.payload.len
                            <= chunk + pos + n);
            }

            record(r, &ev);

            if (ev.type == AX_WS_EV_ERROR || ev.type == AX_WS_EV_CLOSE) {
                stop = 1;
                break;
            }
        }

        free(chunk);
    }

    ax_ws_parser_free(&p);

    assert_int_equal(live, 0);
}


static void
recs_compare(const recs_t *a, const recs_t *b)
{
    size_t  i;

    assert_int_equal(a->n, b->n);

    for (i = 0; i < a->n; i++) {
        assert_int_equal(a->ev[i].type, b->ev[i].type);
        assert_int_equal(a->ev[i].code, b->ev[i].code);
        assert_int_equal(a->ev[i].len, b->ev[i].len);
        assert_memory_equal(a->ev[i].data, b->ev[i].data, a->ev[i].len);
        assert_int_equal(a->ev[i].reason_len, b->ev[i].reason_len);
        assert_memory_equal(a->ev[i].reason, b->ev[i].reason,
                            a->ev[i].reason_len);
    }
}


static void
parse_all(unsigned role, size_t max, const stream_t *s, recs_t *r)
{
    uint64_t  seed;
    recs_t   *other;

    other = malloc(sizeof(recs_t));
    assert_non_null(other);

    feed(role, max, s, MODE_ONE, 0, r);

    feed(role, max, s, MODE_BYTE, 0, other);
    recs_compare(r, other);
    recs_free(other);

    for (seed = 1; seed <= 24; seed++) {
        feed(role, max, s, MODE_RAND, seed, other);
        recs_compare(r, other);
        recs_free(other);
    }

    free(other);
}


/* expectations */

static void
expect_ev(const recs_t *r, size_t i, int type, const void *data, size_t len)
{
    assert_true(i < r->n);
    assert_int_equal(r->ev[i].type, type);
    assert_int_equal(r->ev[i].len, len);
    assert_memory_equal(r->ev[i].data, data, len);
}


static void
expect_str(const recs_t *r, size_t i, int type, const char *str)
{
    expect_ev(r, i, type, str, strlen(str));
}


static void
expect_error(const recs_t *r, size_t i, unsigned code)
{
    assert_true(i < r->n);
    assert_int_equal(r->ev[i].type, AX_WS_EV_ERROR);
    assert_int_equal(r->ev[i].code, code);
    assert_int_equal(r->ev[i].len, 0);
    assert_true(r->ev[i].reason_len > 0);
    assert_true(r->ev[i].reason_len <= AX_WS_MAX_REASON_LEN);
}


/* parse s, expect exactly one error event with code */

static void
expect_only_error(unsigned role, size_t max, const stream_t *s,
    unsigned code)
{
    recs_t  *r;

    r = malloc(sizeof(recs_t));
    assert_non_null(r);

    parse_all(role, max, s, r);
    assert_int_equal(r->n, 1);
    expect_error(r, 0, code);

    recs_free(r);
    free(r);
}


static void
expect_close(const recs_t *r, size_t i, unsigned code, const char *reason)
{
    assert_true(i < r->n);
    assert_int_equal(r->ev[i].type, AX_WS_EV_CLOSE);
    assert_int_equal(r->ev[i].code, code);
    assert_int_equal(r->ev[i].reason_len, strlen(reason));
    assert_memory_equal(r->ev[i].reason, reason, strlen(reason));
}


static recs_t *
new_recs(void)
{
    recs_t  *r;

    r = calloc(1, sizeof(recs_t));
    assert_non_null(r);

    return r;
}


static void
done(recs_t *r, stream_t *s)
{
    recs_free(r);
    free(r);
    s_free(s);
}


/* opcodes */

static void
test_opcode_text(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    r = new_recs();
    cfs(&s, FIN | AX_WS_OP_TEXT, "Hello");
    cfs(&s, FIN | AX_WS_OP_TEXT, "");
    cfs(&s, FIN | AX_WS_OP_TEXT, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 3);
    expect_str(r, 0, AX_WS_EV_TEXT, "Hello");
    expect_str(r, 1, AX_WS_EV_TEXT, "");
    expect_str(r, 2, AX_WS_EV_TEXT,
               "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    done(r, &s);
}


static void
test_opcode_binary(void **state)
{
    size_t          i;
    recs_t         *r;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   b[256];

    (void) state;

    for (i = 0; i < sizeof(b); i++) {
        b[i] = (unsigned char) (255 - i);       /* not UTF-8, not checked */
    }

    r = new_recs();
    cf(&s, FIN | AX_WS_OP_BINARY, b, sizeof(b));
    cf(&s, FIN | AX_WS_OP_BINARY, b, 0);
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 2);
    expect_ev(r, 0, AX_WS_EV_BINARY, b, sizeof(b));
    expect_ev(r, 1, AX_WS_EV_BINARY, b, 0);
    done(r, &s);
}


static void
test_opcode_ping_pong(void **state)
{
    recs_t         *r;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   big[125];

    (void) state;

    memset(big, 0xff, sizeof(big));     /* payloads are not UTF-8 checked */

    r = new_recs();
    cfs(&s, FIN | AX_WS_OP_PING, "ping!");
    cfs(&s, FIN | AX_WS_OP_PONG, "pong!");
    cfs(&s, FIN | AX_WS_OP_PING, "");
    cfs(&s, FIN | AX_WS_OP_PONG, "");
    cf(&s, FIN | AX_WS_OP_PING, big, sizeof(big));
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 5);
    expect_str(r, 0, AX_WS_EV_PING, "ping!");
    expect_str(r, 1, AX_WS_EV_PONG, "pong!");
    expect_str(r, 2, AX_WS_EV_PING, "");
    expect_str(r, 3, AX_WS_EV_PONG, "");
    expect_ev(r, 4, AX_WS_EV_PING, big, sizeof(big));
    done(r, &s);
}


static void
test_opcode_close(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    r = new_recs();
    cclose(&s, 1000, "bye", 3);
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 1);
    expect_close(r, 0, 1000, "bye");
    expect_ev(r, 0, AX_WS_EV_CLOSE, "\x03\xe8" "bye", 5);
    done(r, &s);
}


static void
test_opcode_reserved(void **state)
{
    unsigned   op;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    for (op = 3; op <= 15; op++) {

        if (op >= AX_WS_OP_CLOSE && op <= AX_WS_OP_PONG) {
            continue;
        }

        cfs(&s, FIN | op, "x");
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
        s_free(&s);

        /* also inside a fragmented message */

        cfs(&s, AX_WS_OP_TEXT, "a");
        cfs(&s, FIN | op, "x");
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
        s_free(&s);
    }
}


/* RFC 6455 section 5.7, byte for byte */

static void
test_rfc_examples(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    static const unsigned char  unmasked_hello[] = {
        0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f
    };
    static const unsigned char  masked_hello[] = {
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
    };
    static const unsigned char  fragmented[] = {
        0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f
    };
    static const unsigned char  ping[] = {
        0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f
    };
    static const unsigned char  masked_pong[] = {
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
    };
    static const unsigned char  len256[] = { 0x82, 0x7e, 0x01, 0x00 };
    static const unsigned char  len64k[] = {
        0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00
    };
    unsigned char  *zeros;

    (void) state;

    zeros = calloc(1, 65536);
    assert_non_null(zeros);

    /* server frames as a client sees them */

    r = new_recs();
    s_put(&s, unmasked_hello, sizeof(unmasked_hello));
    s_put(&s, fragmented, sizeof(fragmented));
    s_put(&s, ping, sizeof(ping));
    s_put(&s, len256, sizeof(len256));
    s_put(&s, zeros, 256);
    s_put(&s, len64k, sizeof(len64k));
    s_put(&s, zeros, 65536);
    parse_all(CLIENT, 0, &s, r);

    assert_int_equal(r->n, 5);
    expect_str(r, 0, AX_WS_EV_TEXT, "Hello");
    expect_str(r, 1, AX_WS_EV_TEXT, "Hello");
    expect_str(r, 2, AX_WS_EV_PING, "Hello");
    expect_ev(r, 3, AX_WS_EV_BINARY, zeros, 256);
    expect_ev(r, 4, AX_WS_EV_BINARY, zeros, 65536);
    done(r, &s);

    /* client frames as a server sees them */

    r = new_recs();
    s_put(&s, masked_hello, sizeof(masked_hello));
    s_put(&s, masked_pong, sizeof(masked_pong));
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 2);
    expect_str(r, 0, AX_WS_EV_TEXT, "Hello");
    expect_str(r, 1, AX_WS_EV_PONG, "Hello");
    done(r, &s);

    free(zeros);
}


/* masking */

static void
test_server_requires_mask(void **state)
{
    stream_t  s = { NULL, 0, 0 };

    (void) state;

    s_frame(&s, FIN | AX_WS_OP_TEXT, 0, F_MIN, "Hello", 5);
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    s_frame(&s, FIN | AX_WS_OP_PING, 0, F_MIN, "", 0);
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    /* a good frame, then an unmasked continuation */

    cfs(&s, AX_WS_OP_BINARY, "ab");
    s_frame(&s, FIN | AX_WS_OP_CONT, 0, F_MIN, "cd", 2);
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);
}


static void
test_client_rejects_mask(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    s_frame(&s, FIN | AX_WS_OP_TEXT, 1, F_MIN, "Hello", 5);
    expect_only_error(CLIENT, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    r = new_recs();
    s_frame(&s, FIN | AX_WS_OP_TEXT, 0, F_MIN, "Hello", 5);
    s_frame(&s, FIN | AX_WS_OP_PING, 1, F_MIN, "x", 1);
    parse_all(CLIENT, 0, &s, r);

    assert_int_equal(r->n, 2);
    expect_str(r, 0, AX_WS_EV_TEXT, "Hello");
    expect_error(r, 1, AX_WS_CLOSE_PROTOCOL_ERROR);
    done(r, &s);
}


static void
test_rsv_bits(void **state)
{
    size_t     i, j;
    stream_t   s = { NULL, 0, 0 };

    static const unsigned  rsv[] = {
        RSV1, RSV2, RSV3, RSV1 | RSV2 | RSV3
    };
    static const unsigned  op[] = {
        FIN | AX_WS_OP_TEXT, FIN | AX_WS_OP_BINARY, FIN | AX_WS_OP_PING,
        FIN | AX_WS_OP_PONG, FIN | AX_WS_OP_CLOSE
    };

    (void) state;

    for (i = 0; i < sizeof(rsv) / sizeof(rsv[0]); i++) {
        for (j = 0; j < sizeof(op) / sizeof(op[0]); j++) {
            cfs(&s, op[j] | rsv[i], "");
            expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
            s_free(&s);
        }

        /* on a continuation frame */

        cfs(&s, AX_WS_OP_TEXT, "a");
        cfs(&s, FIN | AX_WS_OP_CONT | rsv[i], "b");
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
        s_free(&s);

        /* the client side too */

        s_frame(&s, FIN | AX_WS_OP_TEXT | rsv[i], 0, F_MIN, "a", 1);
        expect_only_error(CLIENT, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
        s_free(&s);
    }
}


/* lengths */

static void
check_lengths(const size_t *lens, size_t nlens, int form)
{
    size_t          i, j;
    recs_t         *r;
    stream_t        s = { NULL, 0, 0 };
    unsigned char  *b;

    b = malloc(70000);
    assert_non_null(b);

    for (j = 0; j < 70000; j++) {
        b[j] = (unsigned char) ('a' + j % 26);
    }

    for (i = 0; i < nlens; i++) {
        r = new_recs();
        s_frame(&s, FIN | AX_WS_OP_TEXT, 1, form, b, lens[i]);
        s_frame(&s, FIN | AX_WS_OP_BINARY, 1, form, b, lens[i]);
        parse_all(SERVER, 0, &s, r);

        assert_int_equal(r->n, 2);
        expect_ev(r, 0, AX_WS_EV_TEXT, b, lens[i]);
        expect_ev(r, 1, AX_WS_EV_BINARY, b, lens[i]);
        done(r, &s);
    }

    free(b);
}


static void
test_length_7bit(void **state)
{
    static const size_t  lens[] = { 0, 1, 2, 124, 125 };

    (void) state;

    check_lengths(lens, sizeof(lens) / sizeof(lens[0]), F_MIN);
}


static void
test_length_16bit(void **state)
{
    static const size_t  lens[] = { 126, 127, 1000, 65535 };

    (void) state;

    check_lengths(lens, sizeof(lens) / sizeof(lens[0]), F_MIN);
}


static void
test_length_64bit(void **state)
{
    static const size_t  lens[] = { 65536, 65537, 70000 };

    (void) state;

    check_lengths(lens, sizeof(lens) / sizeof(lens[0]), F_MIN);
}


static void
test_length_nonminimal(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    static const size_t  lens[] = { 0, 5, 125, 126, 65535 };

    (void) state;

    check_lengths(lens, 3, F_16);
    check_lengths(lens, sizeof(lens) / sizeof(lens[0]), F_64);

    /* control frames with a non-minimal length of at most 125 are fine */

    r = new_recs();
    s_frame(&s, FIN | AX_WS_OP_PING, 1, F_16, "abc", 3);
    s_frame(&s, FIN | AX_WS_OP_PONG, 1, F_64, "def", 3);
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 2);
    expect_str(r, 0, AX_WS_EV_PING, "abc");
    expect_str(r, 1, AX_WS_EV_PONG, "def");
    done(r, &s);
}


static void
test_length_64bit_msb(void **state)
{
    stream_t  s = { NULL, 0, 0 };

    (void) state;

    s_frame(&s, FIN | AX_WS_OP_BINARY, 1, F_64MSB, "abc", 3);
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    s_frame(&s, FIN | AX_WS_OP_BINARY, 0, F_64MSB, "abc", 3);
    expect_only_error(CLIENT, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);
}


static void
test_length_huge_declared(void **state)
{
    stream_t       s = { NULL, 0, 0 };
    unsigned char  h[] = {
        0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        1, 2, 3, 4
    };

    (void) state;

    /* 2^63 - 1 bytes declared, no limit configured: still refused, 1009 */

    s_put(&s, h, sizeof(h));
    s_put(&s, "abcdef", 6);

    if (sizeof(size_t) < 8) {
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_TOO_BIG);

    } else {
        expect_only_error(SERVER, 1 << 20, &s, AX_WS_CLOSE_TOO_BIG);
    }

    s_free(&s);
}


/* fragmentation */

static void
test_fragmentation(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    r = new_recs();
    cfs(&s, AX_WS_OP_TEXT, "Hel");
    cfs(&s, AX_WS_OP_CONT, "");
    cfs(&s, AX_WS_OP_CONT, "lo, ");
    cfs(&s, FIN | AX_WS_OP_CONT, "world");
    cfs(&s, AX_WS_OP_BINARY, "");
    cf(&s, FIN | AX_WS_OP_CONT, "\xff\x00\xfe", 3);
    cfs(&s, AX_WS_OP_BINARY, "");
    cfs(&s, FIN | AX_WS_OP_CONT, "");
    cfs(&s, FIN | AX_WS_OP_TEXT, "after");
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 4);
    expect_str(r, 0, AX_WS_EV_TEXT, "Hello, world");
    expect_ev(r, 1, AX_WS_EV_BINARY, "\xff\x00\xfe", 3);
    expect_ev(r, 2, AX_WS_EV_BINARY, "", 0);
    expect_str(r, 3, AX_WS_EV_TEXT, "after");
    done(r, &s);
}


static void
test_fragmentation_interleaved_control(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    r = new_recs();
    cfs(&s, AX_WS_OP_TEXT, "frag1 ");
    cfs(&s, FIN | AX_WS_OP_PING, "p1");
    cfs(&s, AX_WS_OP_CONT, "frag2 ");
    cfs(&s, FIN | AX_WS_OP_PONG, "p2");
    cfs(&s, FIN | AX_WS_OP_PING, "p3");
    cfs(&s, FIN | AX_WS_OP_CONT, "frag3");
    cfs(&s, AX_WS_OP_TEXT, "x");
    cclose(&s, 1001, "going", 5);
    cfs(&s, FIN | AX_WS_OP_CONT, "never seen");
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 5);
    expect_str(r, 0, AX_WS_EV_PING, "p1");
    expect_str(r, 1, AX_WS_EV_PONG, "p2");
    expect_str(r, 2, AX_WS_EV_PING, "p3");
    expect_str(r, 3, AX_WS_EV_TEXT, "frag1 frag2 frag3");
    expect_close(r, 4, 1001, "going");
    done(r, &s);
}


static void
test_continuation_without_start(void **state)
{
    stream_t  s = { NULL, 0, 0 };

    (void) state;

    cfs(&s, FIN | AX_WS_OP_CONT, "x");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    cfs(&s, AX_WS_OP_CONT, "x");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);
}


static void
test_continuation_after_message(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    r = new_recs();
    cfs(&s, AX_WS_OP_TEXT, "a");
    cfs(&s, FIN | AX_WS_OP_CONT, "b");
    cfs(&s, FIN | AX_WS_OP_CONT, "c");
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 2);
    expect_str(r, 0, AX_WS_EV_TEXT, "ab");
    expect_error(r, 1, AX_WS_CLOSE_PROTOCOL_ERROR);
    done(r, &s);
}


static void
test_new_message_during_fragmented(void **state)
{
    stream_t  s = { NULL, 0, 0 };

    (void) state;

    cfs(&s, AX_WS_OP_TEXT, "a");
    cfs(&s, FIN | AX_WS_OP_TEXT, "b");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    cfs(&s, AX_WS_OP_TEXT, "a");
    cfs(&s, AX_WS_OP_BINARY, "b");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    cfs(&s, AX_WS_OP_BINARY, "a");
    cfs(&s, AX_WS_OP_CONT, "b");
    cfs(&s, FIN | AX_WS_OP_BINARY, "c");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);
}


/* control frames */

static void
test_control_too_long(void **state)
{
    unsigned        i;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   b[200];

    static const unsigned  op[] = {
        AX_WS_OP_PING, AX_WS_OP_PONG, AX_WS_OP_CLOSE
    };

    (void) state;

    memset(b, 'x', sizeof(b));
    b[0] = 0x03;
    b[1] = 0xe8;

    for (i = 0; i < 3; i++) {
        cf(&s, FIN | op[i], b, 126);
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
        s_free(&s);

        s_frame(&s, FIN | op[i], 1, F_64, b, 200);
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
        s_free(&s);

        /* the error comes from the header alone */

        cf(&s, FIN | op[i], b, 126);
        s.len = 8;
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
        s_free(&s);
    }
}


static void
test_control_not_fin(void **state)
{
    stream_t  s = { NULL, 0, 0 };

    (void) state;

    cfs(&s, AX_WS_OP_PING, "x");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    cfs(&s, AX_WS_OP_PONG, "x");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    cfs(&s, AX_WS_OP_CLOSE, "");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);

    cfs(&s, AX_WS_OP_TEXT, "a");
    cfs(&s, AX_WS_OP_PING, "x");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);
}


/* close frames */

static void
test_close_codes_valid(void **state)
{
    size_t     i;
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    static const unsigned  codes[] = {
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013,
        1014, 3000, 3999, 4000, 4999
    };

    (void) state;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_true(ax_ws_close_code_valid(codes[i]));

        r = new_recs();
        cclose(&s, codes[i], "", 0);
        parse_all(SERVER, 0, &s, r);

        assert_int_equal(r->n, 1);
        expect_close(r, 0, codes[i], "");
        done(r, &s);
    }
}


static void
test_close_codes_invalid(void **state)
{
    size_t     i;
    stream_t   s = { NULL, 0, 0 };

    static const unsigned  codes[] = {
        0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000,
        65535
    };

    (void) state;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_false(ax_ws_close_code_valid(codes[i]));

        cclose(&s, codes[i], "why", 3);
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
        s_free(&s);
    }
}


static void
test_close_empty(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    r = new_recs();
    cfs(&s, FIN | AX_WS_OP_CLOSE, "");
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 1);
    expect_close(r, 0, AX_WS_CLOSE_NO_STATUS, "");
    assert_int_equal(r->ev[0].len, 0);
    done(r, &s);
}


static void
test_close_one_byte(void **state)
{
    stream_t  s = { NULL, 0, 0 };

    (void) state;

    cf(&s, FIN | AX_WS_OP_CLOSE, "\x03", 1);
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_PROTOCOL_ERROR);
    s_free(&s);
}


static void
test_close_reason_utf8(void **state)
{
    recs_t         *r;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   reason[123];

    (void) state;

    r = new_recs();
    cclose(&s, 1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11);
    parse_all(SERVER, 0, &s, r);
    assert_int_equal(r->n, 1);
    expect_close(r, 0, 1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
    done(r, &s);

    /* the longest reason */

    memset(reason, 'r', sizeof(reason));
    r = new_recs();
    cclose(&s, 4000, (char *) reason, sizeof(reason));
    parse_all(SERVER, 0, &s, r);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->ev[0].reason_len, 123);
    done(r, &s);

    cclose(&s, 1000, "bad \xc0\xaf", 6);
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
    s_free(&s);

    cclose(&s, 1000, "cut \xe2\x82", 6);
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
    s_free(&s);

    cclose(&s, 1000, "\xed\xa0\x80", 3);
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
    s_free(&s);
}


static void
test_after_close_ignored(void **state)
{
    size_t          n;
    ax_ws_parser_t  p;
    ax_ws_event_t   ev;
    stream_t        s = { NULL, 0, 0 };

    (void) state;

    cclose(&s, 1000, "", 0);
    cfs(&s, FIN | AX_WS_OP_TEXT, "late");
    cfs(&s, FIN | 0x3, "bad");

    ax_ws_parser_init(&p, SERVER, 0, NULL);

    n = ax_ws_parse(&p, s.data, s.len, &ev);
    assert_int_equal(ev.type, AX_WS_EV_CLOSE);
    assert_int_equal(ev.close_code, 1000);
    assert_int_equal(n, 8);

    n = ax_ws_parse(&p, s.data + n, s.len - n, &ev);
    assert_int_equal(ev.type, AX_WS_EV_NONE);
    assert_int_equal(n, s.len - 8);

    ax_ws_parser_free(&p);
    s_free(&s);
}


/* UTF-8 in text messages */

static void
test_utf8_single_frame(void **state)
{
    size_t     i;
    stream_t   s = { NULL, 0, 0 };

    static const char  *bad[] = {
        "\x80", "\xbf", "a\xc3", "\xc3\x28", "\xa0\xa1", "\xe2\x28\xa1",
        "\xe2\x82\x28", "\xf0\x28\x8c\xbc", "\xf0\x90\x28\xbc",
        "\xf0\x28\x8c\x28", "\xfe", "\xff", "\xfe\xfe\xff\xff",
        "0123456789abcdef\x80", "0123456789abcdef\xe2\x82"
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfs(&s, FIN | AX_WS_OP_TEXT, bad[i]);
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
        s_free(&s);

        s_frame(&s, FIN | AX_WS_OP_TEXT, 0, F_MIN, bad[i], strlen(bad[i]));
        expect_only_error(CLIENT, 0, &s, AX_WS_CLOSE_INVALID_DATA);
        s_free(&s);
    }
}


static void
test_utf8_across_fragments(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    /* U+20AC and U+1F600 split over fragments, with an empty fragment */

    r = new_recs();
    cfs(&s, AX_WS_OP_TEXT, "\xe2");
    cfs(&s, AX_WS_OP_CONT, "\x82");
    cfs(&s, FIN | AX_WS_OP_PING, "");
    cfs(&s, AX_WS_OP_CONT, "");
    cfs(&s, AX_WS_OP_CONT, "\xac\xf0\x9f");
    cfs(&s, FIN | AX_WS_OP_CONT, "\x98\x80");
    parse_all(SERVER, 0, &s, r);

    assert_int_equal(r->n, 2);
    expect_str(r, 0, AX_WS_EV_PING, "");
    expect_str(r, 1, AX_WS_EV_TEXT, "\xe2\x82\xac\xf0\x9f\x98\x80");
    done(r, &s);

    /* invalid once joined: a surrogate split over fragments */

    cfs(&s, AX_WS_OP_TEXT, "ok \xed");
    cfs(&s, FIN | AX_WS_OP_CONT, "\xa0\x80");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
    s_free(&s);

    /* a sequence cut by the final fragment */

    cfs(&s, AX_WS_OP_TEXT, "ok");
    cfs(&s, FIN | AX_WS_OP_CONT, "\xf0\x9f\x98");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
    s_free(&s);

    /* a sequence cut at the end of a single frame */

    cfs(&s, FIN | AX_WS_OP_TEXT, "\xe2\x82");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
    s_free(&s);
}


static void
test_utf8_fail_fast(void **state)
{
    size_t          n;
    ax_ws_parser_t  p;
    ax_ws_event_t   ev;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   big[1000];

    (void) state;

    /* the first fragment is bad; the message never ends */

    cfs(&s, AX_WS_OP_TEXT, "valid so far \xc0\xaf");
    expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
    s_free(&s);

    /* within a frame that has not fully arrived: fail on the bad byte */

    memset(big, 'a', sizeof(big));
    big[10] = 0xff;
    cf(&s, FIN | AX_WS_OP_TEXT, big, sizeof(big));

    ax_ws_parser_init(&p, SERVER, 0, NULL);
    n = ax_ws_parse(&p, s.data, 4 + 4 + 20, &ev);
    assert_int_equal(ev.type, AX_WS_EV_ERROR);
    assert_int_equal(ev.close_code, AX_WS_CLOSE_INVALID_DATA);
    assert_true(n <= 28);

    /* sticky */

    n = ax_ws_parse(&p, s.data + 28, 10, &ev);
    assert_int_equal(n, 10);
    assert_int_equal(ev.type, AX_WS_EV_ERROR);
    assert_int_equal(ev.close_code, AX_WS_CLOSE_INVALID_DATA);

    ax_ws_parser_free(&p);
    s_free(&s);
}


static void
test_utf8_overlong(void **state)
{
    size_t     i;
    stream_t   s = { NULL, 0, 0 };

    static const char  *bad[] = {
        "\xc0\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x80\xaf",
        "\xe0\x9f\xbf", "\xf0\x80\x80\x80", "\xf0\x80\x80\xaf",
        "\xf0\x8f\xbf\xbf", "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80"
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfs(&s, FIN | AX_WS_OP_TEXT, bad[i]);
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
        s_free(&s);
    }
}


static void
test_utf8_surrogates(void **state)
{
    size_t     i;
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    static const char  *bad[] = {
        "\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf",
        "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf",
        "\xed\xa0\x80\xed\xb0\x80"
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfs(&s, FIN | AX_WS_OP_TEXT, bad[i]);
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
        s_free(&s);
    }

    /* the neighbours U+D7FF and U+E000 are fine */

    r = new_recs();
    cfs(&s, FIN | AX_WS_OP_TEXT, "\xed\x9f\xbf\xee\x80\x80");
    parse_all(SERVER, 0, &s, r);
    assert_int_equal(r->n, 1);
    expect_str(r, 0, AX_WS_EV_TEXT, "\xed\x9f\xbf\xee\x80\x80");
    done(r, &s);
}


static void
test_utf8_above_max(void **state)
{
    size_t     i;
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    static const char  *bad[] = {
        "\xf4\x90\x80\x80", "\xf4\xbf\xbf\xbf", "\xf5\x80\x80\x80",
        "\xf7\xbf\xbf\xbf"
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfs(&s, FIN | AX_WS_OP_TEXT, bad[i]);
        expect_only_error(SERVER, 0, &s, AX_WS_CLOSE_INVALID_DATA);
        s_free(&s);
    }

    /* U+10FFFF, U+FFFF, U+FFFE (non-characters are valid UTF-8) */

    r = new_recs();
    cfs(&s, FIN | AX_WS_OP_TEXT, "\xf4\x8f\xbf\xbf\xef\xbf\xbf\xef\xbf\xbe");
    parse_all(SERVER, 0, &s, r);
    assert_int_equal(r->n, 1);
    expect_str(r, 0, AX_WS_EV_TEXT,
               "\xf4\x8f\xbf\xbf\xef\xbf\xbf\xef\xbf\xbe");
    done(r, &s);
}


/* a plain decoder, as reference for the DFA */

static int
ref_utf8(const unsigned char *s, size_t n)
{
    size_t    i, k, len;
    uint32_t  cp, min;

    for (i = 0; i < n; i += len) {

        if (s[i] < 0x80) {
            len = 1;
            continue;

        } else if ((s[i] & 0xe0) == 0xc0) {
            len = 2;
            min = 0x80;
            cp = s[i] & 0x1f;

        } else if ((s[i] & 0xf0) == 0xe0) {
            len = 3;
            min = 0x800;
            cp = s[i] & 0x0f;

        } else if ((s[i] & 0xf8) == 0xf0) {
            len = 4;
            min = 0x10000;
            cp = s[i] & 0x07;

        } else {
            return 0;
        }

        if (i + len > n) {
            return 0;
        }

        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (s[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
    }

    return 1;
}


/* 1 if s[0..n) can be completed to valid UTF-8 */

static int
ref_prefix(const unsigned char *s, size_t n)
{
    size_t          i, j, k;
    unsigned char   b[8];

    static const unsigned char  rep[] = {
        0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf
    };

    if (ref_utf8(s, n)) {
        return 1;
    }

    memcpy(b, s, n);

    for (i = 0; i < 6; i++) {
        b[n] = rep[i];

        if (ref_utf8(b, n + 1)) {
            return 1;
        }

        for (j = 0; j < 6; j++) {
            b[n + 1] = rep[j];

            if (ref_utf8(b, n + 2)) {
                return 1;
            }

            for (k = 0; k < 6; k++) {
                b[n + 2] = rep[k];

                if (ref_utf8(b, n + 3)) {
                    return 1;
                }
            }
        }
    }

    return 0;
}


static void
test_utf8_dfa_exhaustive(void **state)
{
    size_t          i;
    uint32_t        st, a, b, c;
    uint64_t        x;
    unsigned char   s[24];

    (void) state;

    /* all 1 and 2-byte strings; fail fast on every prefix */

    for (a = 0; a < 256; a++) {
        s[0] = (unsigned char) a;
        assert_int_equal(ax_utf8_valid(s, 1), ref_utf8(s, 1));
        st = ax_utf8_feed(AX_UTF8_ACCEPT, s, 1);
        assert_int_equal(st != AX_UTF8_REJECT, ref_prefix(s, 1));

        for (b = 0; b < 256; b++) {
            s[1] = (unsigned char) b;
            assert_int_equal(ax_utf8_valid(s, 2), ref_utf8(s, 2));
            assert_int_equal(ax_utf8_feed(st, s + 1, 1) != AX_UTF8_REJECT,
                             ref_prefix(s, 2));
        }
    }

    /* all 3-byte strings starting with a lead byte */

    for (a = 0xc0; a < 256; a++) {
        for (b = 0; b < 256; b++) {
            for (c = 0; c < 256; c++) {
                s[0] = (unsigned char) a;
                s[1] = (unsigned char) b;
                s[2] = (unsigned char) c;

                if (ax_utf8_valid(s, 3) != ref_utf8(s, 3)) {
                    fail_msg("%02x %02x %02x", a, b, c);
                }
            }
        }
    }

    /* random strings biased to UTF-8 bytes, split at every point */

    x = 88172645463325252ULL;

    for (i = 0; i < 200000; i++) {
        size_t  n, k, cut;

        n = 1 + i % sizeof(s);

        for (k = 0; k < n; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;

            switch (x % 5) {
            case 0:
                s[k] = (unsigned char) ('a' + (x >> 8) % 26);
                break;
            case 1:
                s[k] = (unsigned char) (0x80 + (x >> 8) % 64);
                break;
            case 2:
                s[k] = (unsigned char) (0xc0 + (x >> 8) % 64);
                break;
            default:
                s[k] = (unsigned char) (x >> 8);
            }
        }

        assert_int_equal(ax_utf8_valid(s, n), ref_utf8(s, n));

        cut = (size_t) (x >> 32) % (n + 1);
        st = ax_utf8_feed(AX_UTF8_ACCEPT, s, cut);
        st = ax_utf8_feed(st, s + cut, n - cut);
        assert_int_equal(st == AX_UTF8_ACCEPT, ref_utf8(s, n));
    }
}


static void
test_utf8_ascii_fast_path(void **state)
{
    size_t          pre, post;
    unsigned char   s[64];

    (void) state;

    /* a multi-byte or a bad byte at every offset around the 8-byte steps */

    for (pre = 0; pre < 20; pre++) {
        for (post = 0; post < 20; post++) {
            memset(s, 'x', sizeof(s));
            memcpy(s + pre, "\xe2\x82\xac", 3);
            assert_true(ax_utf8_valid(s, pre + 3 + post));
            assert_false(ax_utf8_valid(s, pre + 2));

            s[pre] = 0x80;
            assert_false(ax_utf8_valid(s, pre + 3 + post));
        }
    }

    assert_true(ax_utf8_valid(s, 0));
    assert_int_equal(ax_utf8_feed(AX_UTF8_REJECT, s, 0), AX_UTF8_REJECT);
    assert_int_equal(ax_utf8_feed(AX_UTF8_REJECT, (unsigned char *) "a", 1),
                     AX_UTF8_REJECT);
}


static void
test_binary_not_validated(void **state)
{
    recs_t    *r;
    stream_t   s = { NULL, 0, 0 };

    (void) state;

    r = new_recs();
    cfs(&s, AX_WS_OP_BINARY, "\xc0");
    cfs(&s, FIN | AX_WS_OP_CONT, "\xed\xa0\x80");
    parse_all(SERVER, 0, &s, r);
    assert_int_equal(r->n, 1);
    expect_ev(r, 0, AX_WS_EV_BINARY, "\xc0\xed\xa0\x80", 4);
    done(r, &s);
}


/* maximum message size */

static void
test_max_size_single_frame(void **state)
{
    recs_t         *r;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   b[1001];

    (void) state;

    memset(b, 'm', sizeof(b));

    r = new_recs();
    cf(&s, FIN | AX_WS_OP_TEXT, b, 1000);
    cf(&s, FIN | AX_WS_OP_BINARY, b, 1000);
    cf(&s, FIN | AX_WS_OP_BINARY, b, 1001);
    parse_all(SERVER, 1000, &s, r);

    assert_int_equal(r->n, 3);
    expect_ev(r, 0, AX_WS_EV_TEXT, b, 1000);
    expect_ev(r, 1, AX_WS_EV_BINARY, b, 1000);
    expect_error(r, 2, AX_WS_CLOSE_TOO_BIG);
    done(r, &s);

    /* refused from the header: no payload byte needed */

    cf(&s, FIN | AX_WS_OP_BINARY, b, 1001);
    s.len = 8;
    expect_only_error(SERVER, 1000, &s, AX_WS_CLOSE_TOO_BIG);
    s_free(&s);

    /* control frames are not counted against a small limit */

    r = new_recs();
    cf(&s, FIN | AX_WS_OP_PING, b, 125);
    cf(&s, FIN | AX_WS_OP_TEXT, b, 10);
    parse_all(SERVER, 10, &s, r);
    assert_int_equal(r->n, 2);
    expect_ev(r, 0, AX_WS_EV_PING, b, 125);
    expect_ev(r, 1, AX_WS_EV_TEXT, b, 10);
    done(r, &s);
}


static void
test_max_size_fragments(void **state)
{
    recs_t         *r;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   b[1000];

    (void) state;

    memset(b, 'f', sizeof(b));

    r = new_recs();
    cf(&s, AX_WS_OP_TEXT, b, 400);
    cf(&s, FIN | AX_WS_OP_PING, b, 100);
    cf(&s, AX_WS_OP_CONT, b, 400);
    cf(&s, FIN | AX_WS_OP_CONT, b, 200);
    cf(&s, AX_WS_OP_BINARY, b, 600);
    cf(&s, AX_WS_OP_CONT, b, 400);
    cf(&s, FIN | AX_WS_OP_CONT, b, 1);
    parse_all(SERVER, 1000, &s, r);

    assert_int_equal(r->n, 3);
    expect_ev(r, 0, AX_WS_EV_PING, b, 100);
    expect_ev(r, 1, AX_WS_EV_TEXT, b, 1000);
    expect_error(r, 2, AX_WS_CLOSE_TOO_BIG);
    done(r, &s);
}


static void
test_max_size_buffer_released(void **state)
{
    size_t          i, n, off;
    ax_ws_parser_t  p;
    ax_ws_event_t   ev;
    stream_t        s = { NULL, 0, 0 };
    unsigned char  *b;

    (void) state;

    b = malloc(100000);
    assert_non_null(b);
    memset(b, 'z', 100000);

    cf(&s, AX_WS_OP_BINARY, b, 50000);
    cf(&s, FIN | AX_WS_OP_CONT, b, 50000);
    cf(&s, AX_WS_OP_BINARY, b, 10);
    cf(&s, FIN | AX_WS_OP_CONT, b, 10);
    cf(&s, AX_WS_OP_BINARY, b, 10);
    cf(&s, FIN | AX_WS_OP_CONT, b, 10);
    cf(&s, AX_WS_OP_TEXT, b, 9000);
    cf(&s, FIN | AX_WS_OP_CONT, b, 1);
    cf(&s, AX_WS_OP_BINARY, b, 10);
    cf(&s, FIN | AX_WS_OP_CONT, b, 10);

    reset_counters();
    ax_ws_parser_init(&p, SERVER, 200000, &t_allocator);

    /* the big message */

    n = ax_ws_parse(&p, s.data, s.len, &ev);
    assert_int_equal(ev.type, AX_WS_EV_BINARY);
    assert_int_equal(ev.payload.len, 100000);
    assert_int_equal(ev.in_buf, 0);
    assert_memory_equal(ev.payload.data, b, 100000);
    assert_int_equal(live, 1);
    off = n;

    /* trimmed at once on request */

    ax_ws_parser_trim(&p);
    assert_int_equal(frees, 1);
    assert_int_equal(live, 0);

    n = ax_ws_parse(&p, s.data + off, s.len - off, &ev);
    assert_int_equal(ev.type, AX_WS_EV_BINARY);
    assert_int_equal(ev.payload.len, 20);
    assert_int_equal(frees, 1);
    assert_int_equal(live, 1);
    off += n;

    /* small buffers are kept */

    ax_ws_parser_trim(&p);
    assert_int_equal(live, 1);

    i = allocs + reallocs;
    n = ax_ws_parse(&p, s.data + off, s.len - off, &ev);
    assert_int_equal(ev.type, AX_WS_EV_BINARY);
    assert_int_equal(ev.payload.len, 20);
    assert_int_equal(allocs + reallocs, i);
    assert_int_equal(frees, 1);
    off += n;

    /* a message over keep_size: the next parse call drops the buffer */

    n = ax_ws_parse(&p, s.data + off, s.len - off, &ev);
    assert_int_equal(ev.type, AX_WS_EV_TEXT);
    assert_int_equal(ev.payload.len, 9001);
    assert_int_equal(frees, 1);
    off += n;

    n = ax_ws_parse(&p, s.data + off, s.len - off, &ev);
    assert_int_equal(ev.type, AX_WS_EV_BINARY);
    assert_int_equal(ev.payload.len, 20);
    assert_int_equal(n, s.len - off);
    assert_int_equal(frees, 2);
    assert_int_equal(live, 1);

    ax_ws_parser_free(&p);
    assert_int_equal(live, 0);
    s_free(&s);

    /* a 1009 frees the buffer at once */

    cf(&s, AX_WS_OP_BINARY, b, 5000);
    cf(&s, FIN | AX_WS_OP_CONT, b, 6000);

    reset_counters();
    ax_ws_parser_init(&p, SERVER, 10000, &t_allocator);
    n = ax_ws_parse(&p, s.data, s.len, &ev);
    assert_int_equal(ev.type, AX_WS_EV_ERROR);
    assert_int_equal(ev.close_code, AX_WS_CLOSE_TOO_BIG);
    assert_int_equal(allocs, 1);
    assert_int_equal(live, 0);
    ax_ws_parser_free(&p);
    s_free(&s);

    free(b);
}


/* zero copy and allocation */

static void
test_zero_copy(void **state)
{
    size_t          i, n, off;
    ax_ws_parser_t  p;
    ax_ws_event_t   ev;
    stream_t        s = { NULL, 0, 0 };

    (void) state;

    for (i = 0; i < 1000; i++) {
        cfs(&s, FIN | AX_WS_OP_TEXT, "[2,\"1\",\"Heartbeat\",{}]");
        cfs(&s, FIN | AX_WS_OP_PING, "p");
    }

    reset_counters();
    ax_ws_parser_init(&p, SERVER, 65536, &t_allocator);

    for (i = 0, off = 0; off < s.len; off += n, i++) {
        n = ax_ws_parse(&p, s.data + off, s.len - off, &ev);
        assert_int_equal(ev.in_buf, 1);
        assert_true(ev.payload.data > s.data + off);
        assert_true(ev.payload.data + ev.payload.len == s.data + off + n);

        if (i % 2) {
            assert_int_equal(ev.type, AX_WS_EV_PING);
            assert_memory_equal(ev.payload.data, "p", 1);

        } else {
            assert_int_equal(ev.type, AX_WS_EV_TEXT);
            assert_int_equal(ev.payload.len, 22);
            assert_memory_equal(ev.payload.data,
                                "[2,\"1\",\"Heartbeat\",{}]", 22);
        }
    }

    assert_int_equal(i, 2000);
    assert_int_equal(allocs + reallocs, 0);

    /* a header split from its payload: still no copy */

    s_free(&s);
    cfs(&s, FIN | AX_WS_OP_TEXT, "split header");
    n = ax_ws_parse(&p, s.data, 3, &ev);
    assert_int_equal(n, 3);
    assert_int_equal(ev.type, AX_WS_EV_NONE);
    n = ax_ws_parse(&p, s.data + 3, 3, &ev);
    assert_int_equal(n, 3);
    assert_int_equal(ev.type, AX_WS_EV_NONE);
    n = ax_ws_parse(&p, s.data + 6, s.len - 6, &ev);
    assert_int_equal(n, s.len - 6);
    assert_int_equal(ev.type, AX_WS_EV_TEXT);
    assert_int_equal(ev.in_buf, 1);
    assert_ptr_equal(ev.payload.data, s.data + 6);
    assert_memory_equal(ev.payload.data, "split header", 12);
    assert_int_equal(allocs + reallocs, 0);

    /* empty input */

    n = ax_ws_parse(&p, s.data, 0, &ev);
    assert_int_equal(n, 0);
    assert_int_equal(ev.type, AX_WS_EV_NONE);

    ax_ws_parser_free(&p);
    s_free(&s);
}


static void
test_alloc_failure(void **state)
{
    ax_ws_parser_t  p;
    ax_ws_event_t   ev;
    stream_t        s = { NULL, 0, 0 };

    (void) state;

    cfs(&s, AX_WS_OP_TEXT, "needs a buffer");
    cfs(&s, FIN | AX_WS_OP_CONT, "!");

    reset_counters();
    fail_alloc = 1;
    ax_ws_parser_init(&p, SERVER, 0, &t_allocator);
    ax_ws_parse(&p, s.data, s.len, &ev);
    assert_int_equal(ev.type, AX_WS_EV_ERROR);
    assert_int_equal(ev.close_code, AX_WS_CLOSE_INTERNAL_ERROR);
    ax_ws_parser_free(&p);
    assert_int_equal(live, 0);
    s_free(&s);
}


static void
test_allocator_without_realloc(void **state)
{
    size_t          n;
    ax_ws_parser_t  p;
    ax_ws_event_t   ev;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   b[5000];
    unsigned char   want[15000];

    (void) state;

    memset(b, 'a', sizeof(b));
    memset(want, 'a', sizeof(want));
    b[0] = 'X';
    want[0] = 'X';
    want[5000] = 'X';
    want[10000] = 'X';

    cf(&s, AX_WS_OP_TEXT, b, 5000);
    cf(&s, AX_WS_OP_CONT, b, 5000);
    cf(&s, FIN | AX_WS_OP_CONT, b, 5000);

    reset_counters();
    ax_ws_parser_init(&p, SERVER, 0, &t_allocator_norealloc);
    n = ax_ws_parse(&p, s.data, s.len, &ev);
    assert_int_equal(n, s.len);
    assert_int_equal(ev.type, AX_WS_EV_TEXT);
    assert_int_equal(ev.payload.len, 15000);
    assert_memory_equal(ev.payload.data, want, 15000);
    assert_true(allocs > 1);
    assert_int_equal(reallocs, 0);
    assert_int_equal(live, 1);
    ax_ws_parser_free(&p);
    assert_int_equal(live, 0);
    s_free(&s);
}


/* a mixed stream: every chunking must give the same events */

static void
test_chunking_mixed_stream(void **state)
{
    size_t          i;
    recs_t         *r;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   b[3000];

    (void) state;

    for (i = 0; i < sizeof(b); i++) {
        b[i] = (unsigned char) ("\xe2\x82\xac" "a\xc3\xa9"[i % 6]);
    }

    r = new_recs();
    cf(&s, FIN | AX_WS_OP_TEXT, b, 3000);
    cf(&s, AX_WS_OP_TEXT, b, 1000);
    cf(&s, FIN | AX_WS_OP_PING, b + 3, 100);
    s_frame(&s, AX_WS_OP_CONT, 1, F_64, b + 1000, 1000);
    s_frame(&s, FIN | AX_WS_OP_CONT, 1, F_16, b + 2000, 1000);
    s_frame(&s, FIN | AX_WS_OP_BINARY, 1, F_64, b, 7);
    cf(&s, FIN | AX_WS_OP_PONG, "", 0);
    cclose(&s, 1000, "done", 4);
    parse_all(SERVER, 4096, &s, r);

    assert_int_equal(r->n, 6);
    expect_ev(r, 0, AX_WS_EV_TEXT, b, 3000);
    expect_ev(r, 1, AX_WS_EV_PING, b + 3, 100);
    expect_ev(r, 2, AX_WS_EV_TEXT, b, 3000);
    expect_ev(r, 3, AX_WS_EV_BINARY, b, 7);
    expect_ev(r, 4, AX_WS_EV_PONG, "", 0);
    expect_close(r, 5, 1000, "done");
    done(r, &s);
}


/* writer */

static void
test_writer_header(void **state)
{
    size_t          i, n;
    unsigned char   h[AX_WS_MAX_HEADER_LEN];

    static const unsigned char  key[4] = { 1, 2, 3, 4 };
    static const struct {
        uint64_t  len;
        size_t    size;
    } v[] = {
        { 0, 2 }, { 125, 2 }, { 126, 4 }, { 65535, 4 }, { 65536, 10 },
        { 0x100000000ULL, 10 }, { 0x7fffffffffffffffULL, 10 }
    };

    (void) state;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_int_equal(ax_ws_header_len(v[i].len, 0), v[i].size);
        assert_int_equal(ax_ws_header_len(v[i].len, 1), v[i].size + 4);

        n = ax_ws_frame_header(h, AX_WS_OP_BINARY, 1, v[i].len, NULL);
        assert_int_equal(n, v[i].size);
        assert_int_equal(h[0], 0x82);
        assert_int_equal(h[1] & 0x80, 0);

        n = ax_ws_frame_header(h, AX_WS_OP_CONT, 0, v[i].len, key);
        assert_int_equal(n, v[i].size + 4);
        assert_int_equal(h[0], 0x00);
        assert_int_equal(h[1] & 0x80, 0x80);
        assert_memory_equal(h + n - 4, key, 4);
    }

    n = ax_ws_frame_header(h, AX_WS_OP_TEXT, 1, 5, NULL);
    assert_int_equal(n, 2);
    assert_memory_equal(h, "\x81\x05", 2);

    n = ax_ws_frame_header(h, AX_WS_OP_BINARY, 1, 256, NULL);
    assert_memory_equal(h, "\x82\x7e\x01\x00", 4);

    n = ax_ws_frame_header(h, AX_WS_OP_BINARY, 1, 65536, NULL);
    assert_memory_equal(h, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);

    n = ax_ws_frame(h, AX_WS_OP_TEXT, 1, (unsigned char *) "Hello", 5,
                    (unsigned char *) "\x37\xfa\x21\x3d");
    assert_int_equal(n, 11);
    assert_memory_equal(h, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
                        11);
}


static void
test_writer_mask_pieces(void **state)
{
    size_t          i, cut;
    unsigned char   a[100], b[100], src[100];

    static const unsigned char  key[4] = { 0xde, 0xad, 0xbe, 0xef };

    (void) state;

    for (i = 0; i < sizeof(src); i++) {
        src[i] = (unsigned char) (i * 7);
    }

    ax_ws_mask(a, src, sizeof(src), key, 0);

    for (i = 0; i < sizeof(src); i++) {
        assert_int_equal(a[i], src[i] ^ key[i % 4]);
    }

    for (cut = 0; cut <= sizeof(src); cut++) {
        ax_ws_mask(b, src, cut, key, 0);
        ax_ws_mask(b + cut, src + cut, sizeof(src) - cut, key, cut);
        assert_memory_equal(a, b, sizeof(src));
    }

    /* in place, twice: back to the start */

    memcpy(b, src, sizeof(src));
    ax_ws_mask(b, b, sizeof(b), key, 0);
    ax_ws_mask(b, b, sizeof(b), key, 0);
    assert_memory_equal(b, src, sizeof(src));
}


static void
roundtrip(unsigned parser_role, const unsigned char *key)
{
    size_t           i, j, n;
    recs_t          *r;
    stream_t         s = { NULL, 0, 0 };
    unsigned char   *b, *f;

    static const size_t  lens[] = { 0, 1, 125, 126, 65535, 65536, 100000 };

    b = malloc(100000);
    f = malloc(100000 + AX_WS_MAX_HEADER_LEN);
    assert_non_null(b);
    assert_non_null(f);

    for (i = 0; i < 100000; i++) {
        b[i] = (unsigned char) ('A' + i % 50);
    }

    r = new_recs();

    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        n = ax_ws_frame(f, AX_WS_OP_TEXT, 1, b, lens[i], key);
        assert_int_equal(n, ax_ws_header_len(lens[i], key != NULL) + lens[i]);
        s_put(&s, f, n);
        n = ax_ws_frame(f, AX_WS_OP_BINARY, 1, b, lens[i], key);
        s_put(&s, f, n);
    }

    /* a fragmented message in three pieces, with a ping between */

    n = ax_ws_frame(f, AX_WS_OP_TEXT, 0, b, 10, key);
    s_put(&s, f, n);
    n = ax_ws_frame(f, AX_WS_OP_PING, 1, b, 125, key);
    s_put(&s, f, n);
    n = ax_ws_frame(f, AX_WS_OP_CONT, 0, b + 10, 20, key);
    s_put(&s, f, n);
    n = ax_ws_frame(f, AX_WS_OP_CONT, 1, b + 30, 70000, key);
    s_put(&s, f, n);
    n = ax_ws_frame(f, AX_WS_OP_PONG, 1, b, 0, key);
    s_put(&s, f, n);

    n = ax_ws_close_frame(f, 1001, (unsigned char *) "bye", 3, key);
    assert_true(n <= AX_WS_MAX_CLOSE_FRAME);
    s_put(&s, f, n);

    parse_all(parser_role, 0, &s, r);

    j = 0;

    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        expect_ev(r, j++, AX_WS_EV_TEXT, b, lens[i]);
        expect_ev(r, j++, AX_WS_EV_BINARY, b, lens[i]);
    }

    expect_ev(r, j++, AX_WS_EV_PING, b, 125);
    expect_ev(r, j++, AX_WS_EV_TEXT, b, 70030);
    expect_ev(r, j++, AX_WS_EV_PONG, b, 0);
    expect_close(r, j++, 1001, "bye");
    assert_int_equal(r->n, j);

    done(r, &s);
    free(b);
    free(f);
}


static void
test_writer_roundtrip_client_to_server(void **state)
{
    static const unsigned char  key[4] = { 0x12, 0x34, 0x56, 0x78 };

    (void) state;

    roundtrip(SERVER, key);
}


static void
test_writer_roundtrip_server_to_client(void **state)
{
    (void) state;

    roundtrip(CLIENT, NULL);
}


static void
test_writer_close(void **state)
{
    size_t          n, i;
    recs_t         *r;
    stream_t        s = { NULL, 0, 0 };
    unsigned char   out[AX_WS_MAX_CLOSE_FRAME], reason[200];

    (void) state;

    /* no code: empty payload */

    n = ax_ws_close_frame(out, 0, (unsigned char *) "x", 1, NULL);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "\x88\x00", 2);

    n = ax_ws_close_frame(out, AX_WS_CLOSE_NO_STATUS, NULL, 0, NULL);
    assert_int_equal(n, 2);

    n = ax_ws_close_frame(out, 1000, NULL, 0, NULL);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "\x88\x02\x03\xe8", 4);

    n = ax_ws_close_payload(out, 1009, (unsigned char *) "big", 3);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "\x03\xf1" "big", 5);

    /* a long reason is cut at a character boundary: 61 x 2 bytes = 122 */

    for (i = 0; i < sizeof(reason); i += 2) {
        reason[i] = 0xc3;
        reason[i + 1] = 0xa9;
    }

    n = ax_ws_close_payload(out, 1000, reason, sizeof(reason));
    assert_int_equal(n, 2 + 122);
    assert_true(ax_utf8_valid(out + 2, n - 2));

    memset(reason, 'a', sizeof(reason));
    n = ax_ws_close_payload(out, 1000, reason, sizeof(reason));
    assert_int_equal(n, 2 + 123);

    /* masked, the longest: parses back */

    r = new_recs();
    n = ax_ws_close_frame(out, 4999, reason, sizeof(reason),
                          (unsigned char *) "abcd");
    assert_int_equal(n, AX_WS_MAX_CLOSE_FRAME);
    s_put(&s, out, n);
    parse_all(SERVER, 0, &s, r);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->ev[0].code, 4999);
    assert_int_equal(r->ev[0].reason_len, 123);
    done(r, &s);
}


/* handshake */

static void
test_accept_key(void **state)
{
    unsigned char  out[AX_WS_ACCEPT_LEN];

    (void) state;

    ax_ws_accept_key((unsigned char *) "dGhlIHNhbXBsZSBub25jZQ==", 24, out);
    assert_memory_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28);

    ax_ws_accept_key((unsigned char *) "x3JJHMbDL1EzLkh9GBhXDw==", 24, out);
    assert_memory_equal(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=", 28);
}


static void
test_key_valid(void **state)
{
    size_t          n;
    unsigned char   key[AX_WS_KEY_LEN];

    (void) state;

    assert_true(ax_ws_key_valid((unsigned char *)
                                "dGhlIHNhbXBsZSBub25jZQ==", 24));
    assert_true(ax_ws_key_valid((unsigned char *)
                                "x3JJHMbDL1EzLkh9GBhXDw==", 24));
    assert_true(ax_ws_key_valid((unsigned char *)
                                "AAAAAAAAAAAAAAAAAAAAAA==", 24));
    assert_true(ax_ws_key_valid((unsigned char *)
                                "+/+/+/+/+/+/+/+/+/+/+w==", 24));

    assert_false(ax_ws_key_valid(NULL, 0));
    assert_false(ax_ws_key_valid((unsigned char *) "", 0));
    assert_false(ax_ws_key_valid((unsigned char *)
                                 "dGhlIHNhbXBsZSBub25jZQ=", 23));
    assert_false(ax_ws_key_valid((unsigned char *)
                                 "dGhlIHNhbXBsZSBub25jZQ===", 25));
    assert_false(ax_ws_key_valid((unsigned char *)
                                 "dGhlIHNhbXBsZSBub25jZQ=x", 24));
    assert_false(ax_ws_key_valid((unsigned char *)
                                 "dGhlIHNhbXBsZSBub25jZ===", 24));
    assert_false(ax_ws_key_valid((unsigned char *)
                                 "dGhlIHNhbXBsZSBub25j-Q==", 24));
    assert_false(ax_ws_key_valid((unsigned char *)
                                 "dGhlIHNhbXBsZSBub25j Q==", 24));
    assert_false(ax_ws_key_valid((unsigned char *)
                                 "dGhlIHNhbXBsZSBub25jZQ\0\0", 24));
    assert_false(ax_ws_key_valid((unsigned char *)
                                 "dGhlIHNhbXBsZSBub25jZQ2s", 24));

    /* base64 of 16 bytes is a valid key */

    n = ax_ws_base64_encode(key, (unsigned char *) "0123456789abcdef", 16);
    assert_int_equal(n, AX_WS_KEY_LEN);
    assert_true(ax_ws_key_valid(key, n));
}


static void
test_base64(void **state)
{
    size_t          n;
    unsigned char   out[16];

    (void) state;

    n = ax_ws_base64_encode(out, (unsigned char *) "", 0);
    assert_int_equal(n, 0);
    n = ax_ws_base64_encode(out, (unsigned char *) "f", 1);
    assert_memory_equal(out, "Zg==", n);
    n = ax_ws_base64_encode(out, (unsigned char *) "fo", 2);
    assert_memory_equal(out, "Zm8=", n);
    n = ax_ws_base64_encode(out, (unsigned char *) "foo", 3);
    assert_memory_equal(out, "Zm9v", n);
    n = ax_ws_base64_encode(out, (unsigned char *) "foob", 4);
    assert_memory_equal(out, "Zm9vYg==", n);
    n = ax_ws_base64_encode(out, (unsigned char *) "fooba", 5);
    assert_memory_equal(out, "Zm9vYmE=", n);
    n = ax_ws_base64_encode(out, (unsigned char *) "foobar", 6);
    assert_int_equal(n, 8);
    assert_memory_equal(out, "Zm9vYmFy", n);
    n = ax_ws_base64_encode(out, (unsigned char *) "\xff\xfe\xfd", 3);
    assert_memory_equal(out, "//79", n);
}


static void
sha1_hex(const void *data, size_t len, size_t step, char hex[41])
{
    size_t          i, n;
    ax_sha1_t       ctx;
    unsigned char   d[AX_SHA1_DIGEST_LEN];

    ax_sha1_init(&ctx);

    for (i = 0; i < len; i += n) {
        n = (len - i < step) ? len - i : step;
        ax_sha1_update(&ctx, (const unsigned char *) data + i, n);
    }

    ax_sha1_final(d, &ctx);

    for (i = 0; i < AX_SHA1_DIGEST_LEN; i++) {
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
}


static void
test_sha1(void **state)
{
    size_t   step;
    char     hex[41], *m;

    static const char  *s448 =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    (void) state;

    sha1_hex("", 0, 1, hex);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");

    for (step = 1; step <= 65; step++) {
        sha1_hex("abc", 3, step, hex);
        assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");

        sha1_hex(s448, strlen(s448), step, hex);
        assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    }

    m = malloc(1000000);
    assert_non_null(m);
    memset(m, 'a', 1000000);
    sha1_hex(m, 1000000, 4096, hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    sha1_hex(m, 1000000, 1000000, hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    free(m);

    /* 55, 56, 63, 64 bytes: the padding edges */

    sha1_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 55, 7,
             hex);
    assert_string_equal(hex, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    sha1_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 56,
             64, hex);
    assert_string_equal(hex, "c2db330f6083854c99d4b5bfb6e8f29f201be699");
    sha1_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "aaaaaaaaaaaaaaaa", 64, 3, hex);
    assert_string_equal(hex, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_opcode_text),
        cmocka_unit_test(test_opcode_binary),
        cmocka_unit_test(test_opcode_ping_pong),
        cmocka_unit_test(test_opcode_close),
        cmocka_unit_test(test_opcode_reserved),
        cmocka_unit_test(test_rfc_examples),
        cmocka_unit_test(test_server_requires_mask),
        cmocka_unit_test(test_client_rejects_mask),
        cmocka_unit_test(test_rsv_bits),
        cmocka_unit_test(test_length_7bit),
        cmocka_unit_test(test_length_16bit),
        cmocka_unit_test(test_length_64bit),
        cmocka_unit_test(test_length_nonminimal),
        cmocka_unit_test(test_length_64bit_msb),
        cmocka_unit_test(test_length_huge_declared),
        cmocka_unit_test(test_fragmentation),
        cmocka_unit_test(test_fragmentation_interleaved_control),
        cmocka_unit_test(test_continuation_without_start),
        cmocka_unit_test(test_continuation_after_message),
        cmocka_unit_test(test_new_message_during_fragmented),
        cmocka_unit_test(test_control_too_long),
        cmocka_unit_test(test_control_not_fin),
        cmocka_unit_test(test_close_codes_valid),
        cmocka_unit_test(test_close_codes_invalid),
        cmocka_unit_test(test_close_empty),
        cmocka_unit_test(test_close_one_byte),
        cmocka_unit_test(test_close_reason_utf8),
        cmocka_unit_test(test_after_close_ignored),
        cmocka_unit_test(test_utf8_single_frame),
        cmocka_unit_test(test_utf8_across_fragments),
        cmocka_unit_test(test_utf8_fail_fast),
        cmocka_unit_test(test_utf8_overlong),
        cmocka_unit_test(test_utf8_surrogates),
        cmocka_unit_test(test_utf8_above_max),
        cmocka_unit_test(test_utf8_dfa_exhaustive),
        cmocka_unit_test(test_utf8_ascii_fast_path),
        cmocka_unit_test(test_binary_not_validated),
        cmocka_unit_test(test_max_size_single_frame),
        cmocka_unit_test(test_max_size_fragments),
        cmocka_unit_test(test_max_size_buffer_released),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_allocator_without_realloc),
        cmocka_unit_test(test_chunking_mixed_stream),
        cmocka_unit_test(test_writer_header),
        cmocka_unit_test(test_writer_mask_pieces),
        cmocka_unit_test(test_writer_roundtrip_client_to_server),
        cmocka_unit_test(test_writer_roundtrip_server_to_client),
        cmocka_unit_test(test_writer_close),
        cmocka_unit_test(test_accept_key),
        cmocka_unit_test(test_key_valid),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_sha1),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
