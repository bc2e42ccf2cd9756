
/*
 * RFC 6455 WebSocket codec for servers and clients: a resumable frame
 * parser (any input chunking, down to one byte at a time), a frame writer
 * and the handshake's accept key.  Plain C99 and libc; no nginx headers.
 *
 * Parser rules (RFC 6455 section 5 and 7), each failure an AX_WS_EV_ERROR
 * event carrying the close code to send:
 *   - server role: frames must be masked; client role: must not be (1002);
 *   - RSV1..3 must be zero, no extension is negotiated (1002);
 *   - opcodes 3..7 and 11..15 are reserved (1002);
 *   - 7, 16 and 64-bit lengths, non-minimal encodings accepted, the MSB of
 *     a 64-bit length must be zero (1002);
 *   - control frames: FIN set and at most 125 bytes (1002); they may come
 *     between the fragments of a message;
 *   - continuation without a started message, or a new text/binary frame
 *     inside a fragmented message (1002);
 *   - close payload: empty, or a 2-byte code plus a UTF-8 reason; 1 byte
 *     or an invalid code is 1002, an invalid reason 1007;
 *   - text messages must be UTF-8, checked incrementally as bytes arrive,
 *     also across fragments and input chunks (1007);
 *   - a message (sum of its fragments) larger than max_message_size is
 *     refused from the frame header, before its payload is read (1009);
 *   - the reassembly buffer cannot be allocated (1011).
 *
 * Close codes accepted on the wire (ax_ws_close_code_valid()): 1000..1003,
 * 1007..1011, 1012..1014 (IANA registered: service restart, try again later,
 * bad gateway) and 3000..4999.  Invalid: < 1000, 1004, 1005, 1006, 1015,
 * 1016..2999 and >= 5000.
 */

#ifndef _AX_WS_H_INCLUDED_
#define _AX_WS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define AX_WS_OP_CONT         0x0
#define AX_WS_OP_TEXT         0x1
#define AX_WS_OP_BINARY       0x2
#define AX_WS_OP_CLOSE        0x8
#define AX_WS_OP_PING         0x9
#define AX_WS_OP_PONG         0xa

#define AX_WS_ROLE_SERVER     0      /* parses masked client frames */
#define AX_WS_ROLE_CLIENT     1      /* parses unmasked server frames */

#define AX_WS_CLOSE_NORMAL           1000
#define AX_WS_CLOSE_GOING_AWAY       1001
#define AX_WS_CLOSE_PROTOCOL_ERROR   1002
#define AX_WS_CLOSE_UNSUPPORTED      1003
#define AX_WS_CLOSE_NO_STATUS        1005    /* never sent on the wire */
#define AX_WS_CLOSE_ABNORMAL         1006    /* never sent on the wire */
#define AX_WS_CLOSE_INVALID_DATA     1007
#define AX_WS_CLOSE_POLICY           1008
#define AX_WS_CLOSE_TOO_BIG          1009
#define AX_WS_CLOSE_MANDATORY_EXT    1010
#define AX_WS_CLOSE_INTERNAL_ERROR   1011
#define AX_WS_CLOSE_SERVICE_RESTART  1012
#define AX_WS_CLOSE_TRY_AGAIN_LATER  1013

#define AX_WS_MAX_HEADER_LEN   14     /* 2 + 8 (length) + 4 (mask key) */
#define AX_WS_MAX_CONTROL_LEN  125
#define AX_WS_MAX_REASON_LEN   123    /* close reason after the code */
#define AX_WS_MAX_CLOSE_FRAME  (6 + AX_WS_MAX_CONTROL_LEN)

#define AX_WS_KEY_LEN          24     /* base64 of 16 bytes */
#define AX_WS_ACCEPT_LEN       28     /* base64 of a SHA-1 digest */
#define AX_WS_GUID             "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* reassembly buffers larger than this are freed once their message is done */
#define AX_WS_KEEP_SIZE        8192


/* same layout as ngx_str_t */
typedef struct {
    size_t          len;
    unsigned char  *data;
} ax_ws_str_t;


/*
 * Allocator for the reassembly buffer, like malloc, realloc and free; ctx is
 * passed back (e.g. a log for ngx_alloc()).  resize may be NULL: then alloc
 * + memcpy + release is used.  NULL as a whole (in ax_ws_parser_init())
 * means libc malloc/realloc/free.
 */
typedef struct {
    void         *(*alloc)(size_t size, void *ctx);
    void         *(*resize)(void *ptr, size_t size, void *ctx);
    void          (*release)(void *ptr, void *ctx);
    void           *ctx;
} ax_ws_allocator_t;


/* event types; those of messages and control frames equal their opcodes */
typedef enum {
    AX_WS_EV_NONE = 0,                 /* input used up, nothing complete */
    AX_WS_EV_TEXT = AX_WS_OP_TEXT,
    AX_WS_EV_BINARY = AX_WS_OP_BINARY,
    AX_WS_EV_CLOSE = AX_WS_OP_CLOSE,
    AX_WS_EV_PING = AX_WS_OP_PING,
    AX_WS_EV_PONG = AX_WS_OP_PONG,
    AX_WS_EV_ERROR = 0x10              /* protocol error: close and stop */
} ax_ws_event_type_t;


/*
 * TEXT, BINARY: payload is the whole message, reassembled from fragments
 *     (TEXT: valid UTF-8).
 * PING, PONG: payload is the frame's application data (<= 125 bytes).
 * CLOSE: payload is the whole close payload (to echo it back as is);
 *     close_code is the received code, or 1005 if the payload was empty
 *     (then send an empty close payload or 1000, never 1005); reason is
 *     the UTF-8 reason, pointing into payload.
 * ERROR: close_code is the code to send (1002, 1007, 1009 or 1011) and
 *     reason a static, NUL-terminated, ASCII text for the close frame and
 *     logs (<= 123 bytes); payload is empty.
 *
 * Lifetime of payload.data and reason.data (except ERROR's static text):
 *   - in_buf == 1: they point into the caller's buf given to that very
 *     ax_ws_parse() call (the frame was complete in it and unmasked in
 *     place); valid as long as the caller keeps those bytes unchanged, even
 *     across later ax_ws_parse() calls on the rest of buf;
 *   - in_buf == 0: they point into memory owned by the parser (its
 *     reassembly buffer or its control frame buffer), valid until the next
 *     call of ax_ws_parse(), ax_ws_parser_init() or ax_ws_parser_free() on
 *     this parser.
 * The data may be modified in place by the caller (e.g. to build an echo).
 */
typedef struct {
    ax_ws_event_type_t  type;
    unsigned            close_code;
    unsigned            in_buf;
    ax_ws_str_t         payload;
    ax_ws_str_t         reason;
} ax_ws_event_t;


/*
 * The parser; embed it anywhere (it needs no heap for itself).  All fields
 * are private except max_message_size and keep_size, which may be changed
 * between ax_ws_parse() calls.
 */
typedef struct {
    ax_ws_allocator_t   alloc;

    size_t              max_message_size;  /* 0: no limit (but SIZE_MAX) */
    size_t              keep_size;         /* AX_WS_KEEP_SIZE by default */

    uint64_t            frame_len;         /* payload length of the frame */
    uint64_t            remaining;         /* of it still to read */

    unsigned char      *buf;               /* reassembly buffer */
    size_t              buf_size;
    size_t              msg_len;           /* bytes of message in buf */

    const char         *err_reason;
    unsigned            err_code;

    uint32_t            utf8_state;

    unsigned            role:1;
    unsigned            state:2;
    unsigned            opcode:4;          /* of the current frame */
    unsigned            fin:1;
    unsigned            msg_opcode:2;      /* message in progress: 0 none */
    unsigned            mask_pos:2;
    unsigned            hdr_len:4;
    unsigned            ctrl_len:7;

    unsigned char       mask[4];
    unsigned char       hdr[AX_WS_MAX_HEADER_LEN];
    unsigned char       ctrl[AX_WS_MAX_CONTROL_LEN];
} ax_ws_parser_t;


/*
 * role: AX_WS_ROLE_SERVER or AX_WS_ROLE_CLIENT; max_message_size: largest
 * message payload accepted (0: no limit); alloc: copied, NULL for libc.
 * Does not allocate.  Do not call it again on a parser that may hold a
 * buffer without ax_ws_parser_free() first.
 */
void ax_ws_parser_init(ax_ws_parser_t *p, unsigned role,
    size_t max_message_size, const ax_ws_allocator_t *alloc);

/* Releases the reassembly buffer; the parser may be initialized again. */
void ax_ws_parser_free(ax_ws_parser_t *p);

/*
 * Frees the reassembly buffer now if it is larger than keep_size and no
 * message is in progress (ax_ws_parse() does the same when next called).
 * Call it once an event is dealt with, e.g. after a big message, so an
 * idle session does not hold the memory; it ends the lifetime of the last
 * event's data when that had in_buf == 0.
 */
void ax_ws_parser_trim(ax_ws_parser_t *p);

/*
 * Consumes input from buf[0..len) until one event is complete or the input
 * is used up, fills *ev and returns the number of bytes consumed.  Call it
 * again with buf + n, len - n while n < len; bytes the parser needs later
 * are kept in the parser, so buf may be reused once ev is dealt with (see
 * the lifetime rules at ax_ws_event_t).
 *
 * The parser writes to buf: in the server role the payload of a frame that
 * is complete in buf is unmasked in place (only bytes of frames it consumes;
 * the client role never writes to buf).
 *
 * ev->type AX_WS_EV_NONE means all of buf was consumed without completing
 * an event (never returned with n < len).  After AX_WS_EV_CLOSE the parser
 * ignores all further input (returns len, AX_WS_EV_NONE).  After
 * AX_WS_EV_ERROR every further call consumes all input and reports the
 * same error again.
 */
size_t ax_ws_parse(ax_ws_parser_t *p, unsigned char *buf, size_t len,
    ax_ws_event_t *ev);


/* 1 if code may appear in a close frame on the wire, else 0 */
int ax_ws_close_code_valid(unsigned code);


/* Writer. */

/* the header size for a payload of len bytes: 2..14 */
size_t ax_ws_header_len(uint64_t len, int masked);

/*
 * Writes a frame header (minimal length encoding) to out, which must hold
 * ax_ws_header_len() (at most AX_WS_MAX_HEADER_LEN) bytes; returns its
 * size.  mask_key: the 4-byte masking key for client frames, NULL for
 * server frames.  The caller masks the payload with ax_ws_mask().
 */
size_t ax_ws_frame_header(unsigned char *out, unsigned opcode, int fin,
    uint64_t len, const unsigned char *mask_key);

/*
 * dst[i] = src[i] ^ key[(offset + i) % 4] for i < len; dst may equal src.
 * offset is the position of src[0] in the frame payload (0 for a whole
 * payload), so a payload can be masked in pieces.
 */
void ax_ws_mask(unsigned char *dst, const unsigned char *src, size_t len,
    const unsigned char key[4], uint64_t offset);

/*
 * Writes a whole frame (header and payload, masked when mask_key is not
 * NULL) to out, which must hold ax_ws_header_len(len, mask_key != NULL) +
 * len bytes; returns the frame size.
 */
size_t ax_ws_frame(unsigned char *out, unsigned opcode, int fin,
    const unsigned char *payload, size_t len, const unsigned char *mask_key);

/*
 * Writes a close payload to out (at least AX_WS_MAX_CONTROL_LEN bytes):
 * the code in network order and the reason cut to AX_WS_MAX_REASON_LEN
 * bytes at a UTF-8 character boundary; code 0 or 1005 gives an empty
 * payload (no code, no reason).  Other codes are written as given: send
 * only those ax_ws_close_code_valid() accepts.  Returns its size.
 */
size_t ax_ws_close_payload(unsigned char *out, unsigned code,
    const unsigned char *reason, size_t reason_len);

/*
 * Writes a whole close frame (see ax_ws_close_payload()) to out, which must
 * hold AX_WS_MAX_CLOSE_FRAME bytes; mask_key as for ax_ws_frame().
 * Returns the frame size.
 */
size_t ax_ws_close_frame(unsigned char *out, unsigned code,
    const unsigned char *reason, size_t reason_len,
    const unsigned char *mask_key);


/* Handshake. */

/*
 * 1 if key[0..len) is a valid Sec-WebSocket-Key: 24 characters of base64
 * (RFC 4648 alphabet, "==" padding) encoding exactly 16 bytes, else 0.
 * Unused low bits of the last character are not required to be zero.
 */
int ax_ws_key_valid(const unsigned char *key, size_t len);

/* out = base64(SHA-1(key + AX_WS_GUID)), AX_WS_ACCEPT_LEN bytes, no NUL */
void ax_ws_accept_key(const unsigned char *key, size_t len,
    unsigned char out[AX_WS_ACCEPT_LEN]);

/*
 * Standard base64 with padding, e.g. to make a client's key from 16 random
 * bytes; out must hold 4 * ((len + 2) / 3) bytes; returns that size.
 */
size_t ax_ws_base64_encode(unsigned char *out, const unsigned char *in,
    size_t len);


#endif /* _AX_WS_H_INCLUDED_ */
