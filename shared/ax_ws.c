
/*
 * RFC 6455 WebSocket codec: resumable frame parser, frame writer,
 * handshake accept key.  See ax_ws.h for the rules and the API.
 */

#include <stdlib.h>
#include <string.h>

#include "ax_ws.h"
#include "ax_utf8.h"
#include "ax_sha1.h"


#define AX_WS_ST_HEADER    0
#define AX_WS_ST_PAYLOAD   1
#define AX_WS_ST_CLOSED    2
#define AX_WS_ST_ERROR     3

#define AX_WS_MIN_BUF      1024

/* header size from its second byte (mask bit and 7-bit length) */
#define ax_ws_hlen(b1)                                                        \
    (2 + (((b1) & 0x7f) == 126 ? 2 : (((b1) & 0x7f) == 127 ? 8 : 0))          \
     + (((b1) & 0x80) ? 4 : 0))


static void *ax_ws_libc_alloc(size_t size, void *ctx);
static void *ax_ws_libc_realloc(void *ptr, size_t size, void *ctx);
static void ax_ws_libc_free(void *ptr, void *ctx);
static int ax_ws_frame_start(ax_ws_parser_t *p, const unsigned char *h);
static size_t ax_ws_control(ax_ws_parser_t *p, unsigned char *data,
    size_t len, ax_ws_event_t *ev, size_t consumed);
static size_t ax_ws_fail(ax_ws_parser_t *p, ax_ws_event_t *ev,
    unsigned code, const char *reason, size_t consumed);
static int ax_ws_reserve(ax_ws_parser_t *p, size_t need);
static void ax_ws_release(ax_ws_parser_t *p);
static unsigned ax_ws_unmask(unsigned char *dst, const unsigned char *src,
    size_t len, const unsigned char *mask, unsigned pos);


static const ax_ws_allocator_t  ax_ws_libc_allocator = {
    ax_ws_libc_alloc,
    ax_ws_libc_realloc,
    ax_ws_libc_free,
    NULL
};


static const char  ax_ws_base64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


void
ax_ws_parser_init(ax_ws_parser_t *p, unsigned role, size_t max_message_size,
    const ax_ws_allocator_t *alloc)
{
    memset(p, 0, sizeof(ax_ws_parser_t));

    p->alloc = alloc ? *alloc : ax_ws_libc_allocator;
    p->max_message_size = max_message_size;
    p->keep_size = AX_WS_KEEP_SIZE;
    p->role = (role == AX_WS_ROLE_CLIENT);
    p->state = AX_WS_ST_HEADER;
    p->utf8_state = AX_UTF8_ACCEPT;
}


void
ax_ws_parser_free(ax_ws_parser_t *p)
{
    ax_ws_release(p);
}


void
ax_ws_parser_trim(ax_ws_parser_t *p)
{
    if (p->buf != NULL && p->msg_opcode == 0 && p->buf_size > p->keep_size) {
        ax_ws_release(p);
    }
}


size_t
ax_ws_parse(ax_ws_parser_t *p, unsigned char *buf, size_t len,
    ax_ws_event_t *ev)
{
    size_t          n, need, avail;
    unsigned char  *pos, *last, *h, *data;

    ev->type = AX_WS_EV_NONE;
    ev->close_code = 0;
    ev->in_buf = 0;
    ev->payload.len = 0;
    ev->payload.data = p->ctrl;
    ev->reason.len = 0;
    ev->reason.data = p->ctrl;

    if (p->state >= AX_WS_ST_CLOSED) {

        if (p->state == AX_WS_ST_ERROR) {
            ev->type = AX_WS_EV_ERROR;
            ev->close_code = p->err_code;
            ev->reason.len = strlen(p->err_reason);
            ev->reason.data = (unsigned char *) p->err_reason;
        }

        return len;
    }

    /* the previous message is delivered: drop a big buffer */

    ax_ws_parser_trim(p);

    pos = buf;
    last = buf + len;

    for ( ;; ) {

        if (p->state == AX_WS_ST_HEADER) {

            if (p->hdr_len == 0
                && last - pos >= 2
                && (size_t) (last - pos) >= (size_t) ax_ws_hlen(pos[1]))
            {
                /* the whole header is in buf */
                h = pos;
                pos += ax_ws_hlen(pos[1]);

            } else {

                for ( ;; ) {
                    need = (p->hdr_len < 2) ? 2 : ax_ws_hlen(p->hdr[1]);

                    if (p->hdr_len == need) {
                        break;
                    }

                    if (pos == last) {
                        return pos - buf;
                    }

                    p->hdr[p->hdr_len++] = *pos++;
                }

                h = p->hdr;
                p->hdr_len = 0;
            }

            if (ax_ws_frame_start(p, h) != 0) {
                return ax_ws_fail(p, ev, p->err_code, p->err_reason,
                                  pos - buf);
            }
        }

        /* AX_WS_ST_PAYLOAD */

        avail = last - pos;

        if (p->opcode & 0x8) {

            /* control frame, at most 125 bytes */

            if (p->ctrl_len == 0 && p->remaining <= avail) {
                n = (size_t) p->remaining;
                data = pos;

                if (p->role == AX_WS_ROLE_SERVER) {
                    ax_ws_unmask(pos, pos, n, p->mask, 0);
                }

                pos += n;
                ev->in_buf = 1;

            } else {
                n = (p->remaining < avail) ? (size_t) p->remaining : avail;

                if (p->role == AX_WS_ROLE_SERVER) {
                    p->mask_pos = ax_ws_unmask(p->ctrl + p->ctrl_len, pos, n,
                                               p->mask, p->mask_pos);
                } else {
                    memcpy(p->ctrl + p->ctrl_len, pos, n);
                }

                p->ctrl_len += n;
                p->remaining -= n;
                pos += n;

                if (p->remaining) {
                    return pos - buf;
                }

                data = p->ctrl;
                n = p->ctrl_len;
                p->ctrl_len = 0;
            }

            p->remaining = 0;
            p->mask_pos = 0;
            p->state = AX_WS_ST_HEADER;

            return ax_ws_control(p, data, n, ev, pos - buf);
        }

        if (p->fin
            && p->opcode != AX_WS_OP_CONT
            && p->remaining == p->frame_len
            && p->remaining <= avail)
        {
            /* zero copy: a whole unfragmented message in buf */

            n = (size_t) p->remaining;

            if (p->role == AX_WS_ROLE_SERVER) {
                ax_ws_unmask(pos, pos, n, p->mask, 0);
            }

            if (p->opcode == AX_WS_OP_TEXT
                && ax_utf8_feed(AX_UTF8_ACCEPT, pos, n) != AX_UTF8_ACCEPT)
            {
                return ax_ws_fail(p, ev, AX_WS_CLOSE_INVALID_DATA,
                                  "invalid UTF-8 in text message", pos - buf);
            }

            ev->type = (ax_ws_event_type_t) p->opcode;
            ev->in_buf = 1;
            ev->payload.len = n;
            ev->payload.data = pos;

            pos += n;
            p->remaining = 0;
            p->msg_opcode = 0;
            p->state = AX_WS_ST_HEADER;

            return pos - buf;
        }

        /* reassembly */

        n = (p->remaining < avail) ? (size_t) p->remaining : avail;

        if (n) {
            if (ax_ws_reserve(p, p->msg_len + n) != 0) {
                return ax_ws_fail(p, ev, AX_WS_CLOSE_INTERNAL_ERROR,
                                  "out of memory", pos - buf);
            }

            data = p->buf + p->msg_len;

            if (p->role == AX_WS_ROLE_SERVER) {
                p->mask_pos = ax_ws_unmask(data, pos, n, p->mask,
                                           p->mask_pos);
            } else {
                memcpy(data, pos, n);
            }

            if (p->msg_opcode == AX_WS_OP_TEXT) {
                p->utf8_state = ax_utf8_feed(p->utf8_state, data, n);

                if (p->utf8_state == AX_UTF8_REJECT) {
                    return ax_ws_fail(p, ev, AX_WS_CLOSE_INVALID_DATA,
                                      "invalid UTF-8 in text message",
                                      pos - buf);
                }
            }

            p->msg_len += n;
            p->remaining -= n;
            pos += n;
        }

        if (p->remaining) {
            return pos - buf;
        }

        p->mask_pos = 0;
        p->state = AX_WS_ST_HEADER;

        if (!p->fin) {
            continue;
        }

        /* the message is complete */

        if (p->msg_opcode == AX_WS_OP_TEXT
            && p->utf8_state != AX_UTF8_ACCEPT)
        {
            return ax_ws_fail(p, ev, AX_WS_CLOSE_INVALID_DATA,
                              "invalid UTF-8 in text message", pos - buf);
        }

        ev->type = (ax_ws_event_type_t) p->msg_opcode;
        ev->payload.len = p->msg_len;

        if (p->msg_len) {
            ev->payload.data = p->buf;
        }

        p->msg_opcode = 0;
        p->msg_len = 0;

        return pos - buf;
    }
}


static int
ax_ws_frame_start(ax_ws_parser_t *p, const unsigned char *h)
{
    size_t                max, base;
    unsigned              opcode, masked, fin, i;
    uint64_t              len;
    const unsigned char  *e;

    fin = (h[0] & 0x80) != 0;
    opcode = h[0] & 0x0f;
    masked = (h[1] & 0x80) != 0;
    len = h[1] & 0x7f;
    e = h + 2;

    if (h[0] & 0x70) {
        p->err_reason = "reserved bits set";
        goto protocol_error;
    }

    if (opcode & 0x8) {

        if (opcode > AX_WS_OP_PONG) {
            p->err_reason = "reserved opcode";
            goto protocol_error;
        }

        if (!fin) {
            p->err_reason = "fragmented control frame";
            goto protocol_error;
        }

    } else if (opcode > AX_WS_OP_BINARY) {
        p->err_reason = "reserved opcode";
        goto protocol_error;

    } else if (opcode == AX_WS_OP_CONT) {

        if (p->msg_opcode == 0) {
            p->err_reason = "continuation frame without a message";
            goto protocol_error;
        }

    } else if (p->msg_opcode != 0) {
        p->err_reason = "new message inside a fragmented message";
        goto protocol_error;
    }

    if (masked != (p->role == AX_WS_ROLE_SERVER)) {
        p->err_reason = masked ? "masked server frame"
                               : "unmasked client frame";
        goto protocol_error;
    }

    if (len == 126) {
        len = ((uint64_t) e[0] << 8) | e[1];
        e += 2;

    } else if (len == 127) {

        if (e[0] & 0x80) {
            p->err_reason = "frame length with most significant bit set";
            goto protocol_error;
        }

        len = 0;

        for (i = 0; i < 8; i++) {
            len = (len << 8) | e[i];
        }

        e += 8;
    }

    if (opcode & 0x8) {

        if (len > AX_WS_MAX_CONTROL_LEN) {
            p->err_reason = "control frame too long";
            goto protocol_error;
        }

    } else {
        base = (opcode == AX_WS_OP_CONT) ? p->msg_len : 0;
        max = p->max_message_size ? p->max_message_size : (size_t) -1;

        if (len > (uint64_t) (max - base)) {
            p->err_code = AX_WS_CLOSE_TOO_BIG;
            p->err_reason = "message too big";
            return -1;
        }

        if (opcode != AX_WS_OP_CONT) {
            p->msg_opcode = opcode;
            p->msg_len = 0;
            p->utf8_state = AX_UTF8_ACCEPT;
        }
    }

    if (masked) {
        memcpy(p->mask, e, 4);
    }

    p->opcode = opcode;
    p->fin = fin;
    p->frame_len = len;
    p->remaining = len;
    p->mask_pos = 0;
    p->state = AX_WS_ST_PAYLOAD;

    return 0;

protocol_error:

    p->err_code = AX_WS_CLOSE_PROTOCOL_ERROR;

    return -1;
}


static size_t
ax_ws_control(ax_ws_parser_t *p, unsigned char *data, size_t len,
    ax_ws_event_t *ev, size_t consumed)
{
    unsigned  code;

    if (p->opcode == AX_WS_OP_CLOSE) {

        if (len == 1) {
            return ax_ws_fail(p, ev, AX_WS_CLOSE_PROTOCOL_ERROR,
                              "close payload of 1 byte", consumed);
        }

        if (len == 0) {
            code = AX_WS_CLOSE_NO_STATUS;

        } else {
            code = ((unsigned) data[0] << 8) | data[1];

            if (!ax_ws_close_code_valid(code)) {
                return ax_ws_fail(p, ev, AX_WS_CLOSE_PROTOCOL_ERROR,
                                  "invalid close code", consumed);
            }

            if (!ax_utf8_valid(data + 2, len - 2)) {
                return ax_ws_fail(p, ev, AX_WS_CLOSE_INVALID_DATA,
                                  "invalid UTF-8 in close reason", consumed);
            }

            ev->reason.len = len - 2;
            ev->reason.data = data + 2;
        }

        ev->close_code = code;

        p->state = AX_WS_ST_CLOSED;
        ax_ws_release(p);
    }

    ev->type = (ax_ws_event_type_t) p->opcode;
    ev->payload.len = len;
    ev->payload.data = data;

    return consumed;
}


static size_t
ax_ws_fail(ax_ws_parser_t *p, ax_ws_event_t *ev, unsigned code,
    const char *reason, size_t consumed)
{
    p->state = AX_WS_ST_ERROR;
    p->err_code = code;
    p->err_reason = reason;

    ax_ws_release(p);

    ev->type = AX_WS_EV_ERROR;
    ev->close_code = code;
    ev->in_buf = 0;
    ev->payload.len = 0;
    ev->payload.data = p->ctrl;
    ev->reason.len = strlen(reason);
    ev->reason.data = (unsigned char *) reason;

    return consumed;
}


static int
ax_ws_reserve(ax_ws_parser_t *p, size_t need)
{
    size_t          size;
    unsigned char  *b;

    if (need <= p->buf_size) {
        return 0;
    }

    size = p->buf_size ? p->buf_size : AX_WS_MIN_BUF;

    while (size < need) {

        if (size > (size_t) -1 / 2) {
            size = need;
            break;
        }

        size *= 2;
    }

    if (p->max_message_size && size > p->max_message_size) {
        size = p->max_message_size;
    }

    if (size < need) {
        size = need;    /* max_message_size was lowered during a message */
    }

    if (p->buf != NULL && p->alloc.resize != NULL) {
        b = p->alloc.resize(p->buf, size, p->alloc.ctx);
        if (b == NULL) {
            return -1;
        }

    } else {
        b = p->alloc.alloc(size, p->alloc.ctx);
        if (b == NULL) {
            return -1;
        }

        if (p->buf != NULL) {
            memcpy(b, p->buf, p->msg_len);
            p->alloc.release(p->buf, p->alloc.ctx);
        }
    }

    p->buf = b;
    p->buf_size = size;

    return 0;
}


static void
ax_ws_release(ax_ws_parser_t *p)
{
    if (p->buf != NULL) {
        p->alloc.release(p->buf, p->alloc.ctx);
        p->buf = NULL;
    }

    p->buf_size = 0;
    p->msg_len = 0;
}


/* XOR with the key, 8 bytes at a time; returns the next key position */

static unsigned
ax_ws_unmask(unsigned char *dst, const unsigned char *src, size_t len,
    const unsigned char *mask, unsigned pos)
{
    size_t         i;
    uint64_t       m, w;
    unsigned char  k[8];

    for (i = 0; i < 8; i++) {
        k[i] = mask[(pos + i) & 3];
    }

    memcpy(&m, k, 8);

    for (i = 0; len - i >= 8; i += 8) {
        memcpy(&w, src + i, 8);
        w ^= m;
        memcpy(dst + i, &w, 8);
    }

    for ( /* void */ ; i < len; i++) {
        dst[i] = src[i] ^ k[i & 3];
    }

    return (unsigned) ((pos + len) & 3);
}


int
ax_ws_close_code_valid(unsigned code)
{
    if (code >= 3000 && code <= 4999) {
        return 1;
    }

    if (code < 1000 || code > 1014) {
        return 0;
    }

    return code != 1004 && code != 1005 && code != 1006;
}


static void *
ax_ws_libc_alloc(size_t size, void *ctx)
{
    (void) ctx;

    return malloc(size);
}


static void *
ax_ws_libc_realloc(void *ptr, size_t size, void *ctx)
{
    (void) ctx;

    return realloc(ptr, size);
}


static void
ax_ws_libc_free(void *ptr, void *ctx)
{
    (void) ctx;

    free(ptr);
}


size_t
ax_ws_header_len(uint64_t len, int masked)
{
    return (len < 126 ? 2 : (len < 65536 ? 4 : 10)) + (masked ? 4 : 0);
}


size_t
ax_ws_frame_header(unsigned char *out, unsigned opcode, int fin,
    uint64_t len, const unsigned char *mask_key)
{
    int             i;
    unsigned char  *p, m;

    p = out;
    m = mask_key ? 0x80 : 0;

    *p++ = (unsigned char) ((fin ? 0x80 : 0) | (opcode & 0x0f));

    if (len < 126) {
        *p++ = (unsigned char) (m | len);

    } else if (len < 65536) {
        *p++ = m | 126;
        *p++ = (unsigned char) (len >> 8);
        *p++ = (unsigned char) len;

    } else {
        *p++ = m | 127;

        for (i = 7; i >= 0; i--) {
            *p++ = (unsigned char) (len >> (8 * i));
        }

        out[2] &= 0x7f;
    }

    if (mask_key) {
        memcpy(p, mask_key, 4);
        p += 4;
    }

    return p - out;
}


void
ax_ws_mask(unsigned char *dst, const unsigned char *src, size_t len,
    const unsigned char key[4], uint64_t offset)
{
    ax_ws_unmask(dst, src, len, key, (unsigned) (offset & 3));
}


size_t
ax_ws_frame(unsigned char *out, unsigned opcode, int fin,
    const unsigned char *payload, size_t len, const unsigned char *mask_key)
{
    size_t  n;

    n = ax_ws_frame_header(out, opcode, fin, len, mask_key);

    if (len == 0) {
        return n;
    }

    if (mask_key) {
        ax_ws_unmask(out + n, payload, len, mask_key, 0);

    } else {
        memmove(out + n, payload, len);
    }

    return n + len;
}


size_t
ax_ws_close_payload(unsigned char *out, unsigned code,
    const unsigned char *reason, size_t reason_len)
{
    if (code == 0 || code == AX_WS_CLOSE_NO_STATUS) {
        return 0;
    }

    out[0] = (unsigned char) (code >> 8);
    out[1] = (unsigned char) code;

    if (reason == NULL) {
        return 2;
    }

    if (reason_len > AX_WS_MAX_REASON_LEN) {
        reason_len = AX_WS_MAX_REASON_LEN;

        /* do not cut a UTF-8 sequence */

        while (reason_len && (reason[reason_len] & 0xc0) == 0x80) {
            reason_len--;
        }
    }

    memmove(out + 2, reason, reason_len);

    return 2 + reason_len;
}


size_t
ax_ws_close_frame(unsigned char *out, unsigned code,
    const unsigned char *reason, size_t reason_len,
    const unsigned char *mask_key)
{
    size_t         n, h;
    unsigned char  payload[AX_WS_MAX_CONTROL_LEN];

    n = ax_ws_close_payload(payload, code, reason, reason_len);
    h = ax_ws_frame_header(out, AX_WS_OP_CLOSE, 1, n, mask_key);

    if (mask_key) {
        ax_ws_unmask(out + h, payload, n, mask_key, 0);

    } else {
        memcpy(out + h, payload, n);
    }

    return h + n;
}


int
ax_ws_key_valid(const unsigned char *key, size_t len)
{
    size_t  i;

    if (key == NULL || len != AX_WS_KEY_LEN) {
        return 0;
    }

    for (i = 0; i < AX_WS_KEY_LEN - 2; i++) {
        if (memchr(ax_ws_base64, key[i], 64) == NULL) {
            return 0;
        }
    }

    return key[22] == '=' && key[23] == '=';
}


void
ax_ws_accept_key(const unsigned char *key, size_t len,
    unsigned char out[AX_WS_ACCEPT_LEN])
{
    ax_sha1_t      sha1;
    unsigned char  digest[AX_SHA1_DIGEST_LEN];

    ax_sha1_init(&sha1);
    ax_sha1_update(&sha1, key, len);
    ax_sha1_update(&sha1, AX_WS_GUID, sizeof(AX_WS_GUID) - 1);
    ax_sha1_final(digest, &sha1);

    ax_ws_base64_encode(out, digest, AX_SHA1_DIGEST_LEN);
}


size_t
ax_ws_base64_encode(unsigned char *out, const unsigned char *in, size_t len)
{
    unsigned char  *p;

    p = out;

    while (len >= 3) {
        *p++ = ax_ws_base64[in[0] >> 2];
        *p++ = ax_ws_base64[((in[0] & 0x03) << 4) | (in[1] >> 4)];
        *p++ = ax_ws_base64[((in[1] & 0x0f) << 2) | (in[2] >> 6)];
        *p++ = ax_ws_base64[in[2] & 0x3f];
        in += 3;
        len -= 3;
    }

    if (len) {
        *p++ = ax_ws_base64[in[0] >> 2];

        if (len == 1) {
            *p++ = ax_ws_base64[(in[0] & 0x03) << 4];
            *p++ = '=';

        } else {
            *p++ = ax_ws_base64[((in[0] & 0x03) << 4) | (in[1] >> 4)];
            *p++ = ax_ws_base64[(in[1] & 0x0f) << 2];
        }

        *p++ = '=';
    }

    return p - out;
}
