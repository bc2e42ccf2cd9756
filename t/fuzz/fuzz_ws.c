
/*
 * libFuzzer target for the RFC 6455 parser (shared/ax_ws.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all -Ishared -o build/fuzz/fuzz_ws \
 *       t/fuzz/fuzz_ws.c shared/ax_ws.c shared/ax_utf8.c shared/ax_sha1.c
 *   build/fuzz/fuzz_ws -max_total_time=60 [corpus dir]
 *
 * Input: byte 0 chooses the role (bit 0), the message size limit (bits
 * 1..3) and a small keep_size (bit 4); byte 1 seeds the chunk sizes; the
 * rest is the stream (also checked as UTF-8 against a plain decoder).
 * The stream is parsed in one piece, one byte at a time and in chunks
 * (each chunk in its own heap block), and the three event sequences must
 * be identical.  Every event is checked against the
 * rules (text is UTF-8, control payloads <= 125 bytes, messages within the
 * limit, valid close codes), and re-encoded with the writer, for the other
 * role, then parsed back to the same event.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ax_ws.h"
#include "ax_utf8.h"


#define MODE_ONE   0
#define MODE_BYTE  1
#define MODE_RAND  2

#define check(c)   do { if (!(c)) { abort(); } } while (0)


typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          size;
} fz_log_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static size_t  fz_live;


static void *
fz_alloc(size_t size, void *ctx)
{
    (void) ctx;

    fz_live++;

    return malloc(size);
}


static void *
fz_realloc(void *ptr, size_t size, void *ctx)
{
    (void) ctx;

    return realloc(ptr, size);
}


static void
fz_free(void *ptr, void *ctx)
{
    (void) ctx;

    fz_live--;
    free(ptr);
}


static const ax_ws_allocator_t  fz_allocator = {
    fz_alloc, fz_realloc, fz_free, NULL
};


static void
fz_put(fz_log_t *log, const void *p, size_t n)
{
    if (log->len + n > log->size) {
        log->size = (log->len + n) * 2 + 256;
        log->data = realloc(log->data, log->size);
        check(log->data != NULL);
    }

    if (n) {
        memcpy(log->data + log->len, p, n);
    }

    log->len += n;
}


/* a plain decoder, independent of the DFA */

static int
fz_utf8(const unsigned char *s, size_t n)
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


/* re-encode an event for the other side and parse it back */

static void
fz_reencode(unsigned role, const ax_ws_event_t *ev)
{
    size_t                  n, m;
    unsigned char          *f;
    ax_ws_parser_t          p;
    ax_ws_event_t           back;
    static const unsigned char  key[4] = { 0xa5, 0x5a, 0x0f, 0xf0 };

    f = malloc(ev->payload.len + AX_WS_MAX_CLOSE_FRAME + AX_WS_MAX_HEADER_LEN);
    check(f != NULL);

    /* the parser's role wrote frames like ours; answer as the peer */

    if (ev->type == AX_WS_EV_CLOSE) {
        n = ax_ws_close_frame(f, ev->close_code, ev->reason.data,
                              ev->reason.len,
                              role == AX_WS_ROLE_CLIENT ? NULL : key);
    } else {
        n = ax_ws_frame(f, ev->type, 1, ev->payload.data, ev->payload.len,
                        role == AX_WS_ROLE_CLIENT ? NULL : key);
    }

    ax_ws_parser_init(&p, role, ev->payload.len, &fz_allocator);
    m = ax_ws_parse(&p, f, n, &back);

    check(m == n);
    check(back.type == ev->type);

    if (ev->type == AX_WS_EV_CLOSE) {
        check(back.close_code == ev->close_code);
        check(back.reason.len == ev->reason.len);
        check(memcmp(back.reason.data, ev->reason.data, ev->reason.len) == 0);

    } else {
        check(back.in_buf);
        check(back.payload.len == ev->payload.len);
        check(memcmp(back.payload.data, ev->payload.data, ev->payload.len)
              == 0);
    }

    ax_ws_parser_free(&p);
    free(f);
}


static void
fz_event(unsigned role, size_t max, const ax_ws_event_t *ev, fz_log_t *log,
    int reencode)
{
    unsigned char  t[3];
    uint64_t       len;

    switch (ev->type) {

    case AX_WS_EV_TEXT:
        check(fz_utf8(ev->payload.data, ev->payload.len));
        /* fall through */

    case AX_WS_EV_BINARY:
        check(max == 0 || ev->payload.len <= max);
        check(ev->close_code == 0 && ev->reason.len == 0);
        break;

    case AX_WS_EV_PING:
    case AX_WS_EV_PONG:
        check(ev->payload.len <= AX_WS_MAX_CONTROL_LEN);
        check(ev->close_code == 0 && ev->reason.len == 0);
        break;

    case AX_WS_EV_CLOSE:
        check(ev->payload.len <= AX_WS_MAX_CONTROL_LEN);

        if (ev->payload.len == 0) {
            check(ev->close_code == AX_WS_CLOSE_NO_STATUS);
            check(ev->reason.len == 0);

        } else {
            check(ev->payload.len >= 2);
            check(ax_ws_close_code_valid(ev->close_code));
            check(ev->close_code == (((unsigned) ev->payload.data[0] << 8)
                                     | ev->payload.data[1]));
            check(ev->reason.data == ev->payload.data + 2);
            check(ev->reason.len == ev->payload.len - 2);
            check(fz_utf8(ev->reason.data, ev->reason.len));
        }

        break;

    case AX_WS_EV_ERROR:
        check(ev->close_code == AX_WS_CLOSE_PROTOCOL_ERROR
              || ev->close_code == AX_WS_CLOSE_INVALID_DATA
              || ev->close_code == AX_WS_CLOSE_TOO_BIG);
        check(ev->payload.len == 0);
        check(ev->reason.len > 0 && ev->reason.len <= AX_WS_MAX_REASON_LEN);
        break;

    default:
        check(0);
    }

    if (reencode && ev->type != AX_WS_EV_ERROR) {
        fz_reencode(role == AX_WS_ROLE_SERVER ? AX_WS_ROLE_CLIENT
                                              : AX_WS_ROLE_SERVER, ev);
    }

    t[0] = (unsigned char) ev->type;
    t[1] = (unsigned char) (ev->close_code >> 8);
    t[2] = (unsigned char) ev->close_code;
    len = ev->payload.len;

    fz_put(log, t, 3);
    fz_put(log, &len, sizeof(len));
    fz_put(log, ev->payload.data, ev->payload.len);
    len = ev->reason.len;
    fz_put(log, &len, sizeof(len));
    fz_put(log, ev->reason.data, ev->reason.len);
}


static size_t
fz_chunk(uint64_t *seed)
{
    uint64_t  x;

    x = *seed;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *seed = x;

    switch (x & 3) {
    case 0:
        return 1 + (size_t) ((x >> 8) % 3);
    case 1:
        return 1 + (size_t) ((x >> 8) % 16);
    case 2:
        return 1 + (size_t) ((x >> 8) % 200);
    default:
        return 1 + (size_t) ((x >> 8) % 5000);
    }
}


static void
fz_run(unsigned role, size_t max, size_t keep, const uint8_t *in, size_t len,
    int mode, uint64_t seed, fz_log_t *log)
{
    int              stop;
    size_t           off, clen, pos, n;
    ax_ws_parser_t   p;
    ax_ws_event_t    ev;
    unsigned char   *chunk;

    log->len = 0;
    stop = 0;

    ax_ws_parser_init(&p, role, max, &fz_allocator);
    p.keep_size = keep;

    for (off = 0; off < len && !stop; off += clen) {

        if (mode == MODE_ONE) {
            clen = len;

        } else if (mode == MODE_BYTE) {
            clen = 1;

        } else {
            clen = fz_chunk(&seed);
        }

        if (clen > len - off) {
            clen = len - off;
        }

        chunk = malloc(clen);
        check(chunk != NULL);
        memcpy(chunk, in + off, clen);

        for (pos = 0; pos < clen; pos += n) {
            n = ax_ws_parse(&p, chunk + pos, clen - pos, &ev);

            check(n <= clen - pos);

            if (ev.type == AX_WS_EV_NONE) {
                check(n == clen - pos);
                continue;
            }

            if (ev.in_buf) {
                check(ev.payload.data >= chunk + pos);
                check(ev.payload.data + ev.payload.len <= chunk + pos + n);
            }

            fz_event(role, max, &ev, log, mode == MODE_ONE);

            if (ev.type == AX_WS_EV_ERROR || ev.type == AX_WS_EV_CLOSE) {
                stop = 1;
                break;
            }
        }

        free(chunk);
    }

    ax_ws_parser_free(&p);

    check(fz_live == 0);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t           max, keep;
    unsigned         role;
    uint32_t         st;
    uint64_t         seed;
    fz_log_t         one, other;

    static const size_t  limits[8] = {
        0, 1, 2, 125, 126, 1000, 65536, 0
    };

    if (size < 2) {
        return 0;
    }

    role = (data[0] & 1) ? AX_WS_ROLE_CLIENT : AX_WS_ROLE_SERVER;
    max = limits[(data[0] >> 1) & 7];
    keep = (data[0] & 0x10) ? 16 : AX_WS_KEEP_SIZE;
    seed = (uint64_t) data[1] * 0x9e3779b97f4a7c15ULL + size;

    data += 2;
    size -= 2;

    /* the DFA against the plain decoder, on the raw stream, in two parts */

    st = ax_utf8_feed(AX_UTF8_ACCEPT, data, seed % (size + 1));
    st = ax_utf8_feed(st, data + seed % (size + 1), size - seed % (size + 1));
    check((st == AX_UTF8_ACCEPT) == fz_utf8(data, size));

    memset(&one, 0, sizeof(fz_log_t));
    memset(&other, 0, sizeof(fz_log_t));

    fz_run(role, max, keep, data, size, MODE_ONE, 0, &one);

    fz_run(role, max, keep, data, size, MODE_BYTE, 0, &other);
    check(one.len == other.len);
    check(one.len == 0 || memcmp(one.data, other.data, one.len) == 0);

    fz_run(role, max, keep, data, size, MODE_RAND, seed, &other);
    check(one.len == other.len);
    check(one.len == 0 || memcmp(one.data, other.data, one.len) == 0);

    free(one.data);
    free(other.data);

    return 0;
}
