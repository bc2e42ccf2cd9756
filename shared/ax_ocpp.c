
/*
 * OCPP-J 1.6 codec: the frame reader and the compact JSON writers.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax_ocpp.h"


typedef struct {
    char    *data;
    size_t   len;
    size_t   size;
    int      failed;
} ax_ocpp_buf_t;


static int ax_ocpp_fail(ax_ocpp_error_t *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void ax_ocpp_scan_prefix(const unsigned char *p, size_t len,
    ax_ocpp_error_t *err);
static int ax_ocpp_buf_reserve(ax_ocpp_buf_t *b, size_t n);
static void ax_ocpp_buf_add(ax_ocpp_buf_t *b, const char *s, size_t n);
static void ax_ocpp_buf_string(ax_ocpp_buf_t *b, const char *s, size_t n);
static void ax_ocpp_buf_json(ax_ocpp_buf_t *b, const json_t *v,
    unsigned depth);
static void ax_ocpp_buf_real(ax_ocpp_buf_t *b, double d);
static char *ax_ocpp_buf_finish(ax_ocpp_buf_t *b, size_t *len);


#if JANSSON_VERSION_HEX < 0x020e00
#define json_object_iter_key_len(it)  strlen(json_object_iter_key(it))
#endif


/* jansson's own limit is 2048; deeper values are written as null */
#define AX_OCPP_MAX_WRITE_DEPTH  2048


int
ax_ocpp_parse(const unsigned char *text, size_t len, ax_ocpp_msg_t *msg,
    ax_ocpp_error_t *err)
{
    size_t         n, id_len;
    json_t        *root, *v;
    json_int_t     type;
    const char    *id;
    json_error_t   jerr;

    memset(msg, 0, sizeof(ax_ocpp_msg_t));

    err->code = NULL;
    err->description = NULL;
    err->type = 0;
    err->id[0] = '-';
    err->id[1] = '1';
    err->id[2] = '\0';
    err->text[0] = '\0';

    root = json_loadb((const char *) text, len, JSON_DECODE_ANY, &jerr);

    if (root == NULL) {
        if (json_error_code(&jerr) == json_error_out_of_memory) {
            err->code = "InternalError";
            err->description = "out of memory";
            return -1;
        }

        ax_ocpp_scan_prefix(text, len, err);

        return ax_ocpp_fail(err, "invalid JSON at offset %d: %s",
                            jerr.position, jerr.text);
    }

    if (!json_is_array(root)) {
        json_decref(root);
        return ax_ocpp_fail(err, "the message is not a JSON array");
    }

    n = json_array_size(root);

    if (n == 0) {
        json_decref(root);
        return ax_ocpp_fail(err, "the message is an empty array");
    }

    v = json_array_get(root, 0);

    if (!json_is_integer(v)) {
        json_decref(root);
        return ax_ocpp_fail(err, "the message type id is not an integer");
    }

    type = json_integer_value(v);

    if (type >= 0 && type <= 255) {
        err->type = (int) type;
    }

    /* the message id, kept in err as soon as it can be read */

    if (n < 2) {
        json_decref(root);
        return ax_ocpp_fail(err, "the message has no id");
    }

    v = json_array_get(root, 1);

    if (!json_is_string(v)) {
        json_decref(root);
        return ax_ocpp_fail(err, "the message id is not a string");
    }

    id = json_string_value(v);
    id_len = json_string_length(v);

    if (id_len == 0) {
        json_decref(root);
        return ax_ocpp_fail(err, "the message id is empty");
    }

    if (id_len > AX_OCPP_MAX_ID_LEN) {
        json_decref(root);
        return ax_ocpp_fail(err, "the message id is longer than %d bytes",
                            AX_OCPP_MAX_ID_LEN);
    }

    memcpy(err->id, id, id_len + 1);

    msg->id = id;
    msg->id_len = id_len;

    switch (type) {

    case AX_OCPP_CALL:
        if (n != 4) {
            json_decref(root);
            return ax_ocpp_fail(err, "a CALL has %zu elements, not 4", n);
        }

        v = json_array_get(root, 2);

        if (!json_is_string(v)) {
            json_decref(root);
            return ax_ocpp_fail(err, "the action is not a string");
        }

        msg->action = json_string_value(v);
        msg->action_len = json_string_length(v);
        msg->payload = json_array_get(root, 3);
        break;

    case AX_OCPP_CALLRESULT:
        if (n != 3) {
            json_decref(root);
            return ax_ocpp_fail(err, "a CALLRESULT has %zu elements, not 3",
                                n);
        }

        msg->payload = json_array_get(root, 2);
        break;

    case AX_OCPP_CALLERROR:
        if (n < 3 || n > 5) {
            json_decref(root);
            return ax_ocpp_fail(err, "a CALLERROR has %zu elements, not 5",
                                n);
        }

        v = json_array_get(root, 2);

        if (!json_is_string(v)) {
            json_decref(root);
            return ax_ocpp_fail(err, "the error code is not a string");
        }

        msg->error_code = json_string_value(v);
        msg->error_description = "";

        if (n > 3) {
            v = json_array_get(root, 3);

            if (json_is_string(v)) {
                msg->error_description = json_string_value(v);

            } else if (!json_is_null(v)) {
                json_decref(root);
                return ax_ocpp_fail(err,
                                    "the error description is not a string");
            }
        }

        msg->payload = (n > 4) ? json_array_get(root, 4) : NULL;
        break;

    default:
        json_decref(root);
        return ax_ocpp_fail(err, "unknown message type id %lld",
                            (long long) type);
    }

    msg->type = (int) type;
    msg->root = root;

    return 0;
}


void
ax_ocpp_msg_free(ax_ocpp_msg_t *msg)
{
    if (msg->root != NULL) {
        json_decref(msg->root);
    }

    memset(msg, 0, sizeof(ax_ocpp_msg_t));
}


int
ax_ocpp_match_heartbeat(const unsigned char *text, size_t len,
    const char **id, size_t *id_len)
{
    size_t  i, n;

    static const char  tail[] = "\",\"Heartbeat\",{}]";

    if (len < 4 + 1 + sizeof(tail) - 1 || memcmp(text, "[2,\"", 4) != 0) {
        return 0;
    }

    n = len - 4 - (sizeof(tail) - 1);

    if (n > AX_OCPP_MAX_ID_LEN
        || memcmp(text + 4 + n, tail, sizeof(tail) - 1) != 0)
    {
        return 0;
    }

    for (i = 4; i < 4 + n; i++) {
        if (text[i] < 0x20 || text[i] > 0x7e || text[i] == '"'
            || text[i] == '\\')
        {
            return 0;
        }
    }

    *id = (const char *) text + 4;
    *id_len = n;

    return 1;
}


static int
ax_ocpp_fail(ax_ocpp_error_t *err, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, args);
    va_end(args);

    err->code = "FormationViolation";
    err->description = err->text;

    return -1;
}


/*
 * Reads the type and the id from the start of text that is not valid JSON
 * as a whole: `[ <digits> , "<id>"`, the id without escapes or control
 * characters, printable ASCII (the text may not be UTF-8), 1 to 36 bytes.
 */

static void
ax_ocpp_scan_prefix(const unsigned char *p, size_t len,
    ax_ocpp_error_t *err)
{
    int                   type, digits;
    const unsigned char  *end, *id;

#define AX_SKIP_WS                                                           \
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) \
        p++

    end = p + len;

    AX_SKIP_WS;

    if (p == end || *p++ != '[') {
        return;
    }

    AX_SKIP_WS;

    type = 0;
    digits = 0;

    while (p < end && *p >= '0' && *p <= '9' && digits < 3) {
        type = type * 10 + (*p++ - '0');
        digits++;
    }

    if (digits == 0 || (p < end && *p >= '0' && *p <= '9')) {
        return;
    }

    if (type <= 255) {
        err->type = type;
    }

    AX_SKIP_WS;

    if (p == end || *p++ != ',') {
        return;
    }

    AX_SKIP_WS;

    if (p == end || *p++ != '"') {
        return;
    }

    id = p;

    while (p < end && *p != '"') {
        if (*p < 0x20 || *p > 0x7e || *p == '\\') {
            return;
        }
        p++;
    }

    if (p == end || p == id || (size_t) (p - id) > AX_OCPP_MAX_ID_LEN) {
        return;
    }

    memcpy(err->id, id, p - id);
    err->id[p - id] = '\0';

#undef AX_SKIP_WS
}


/* writers */

char *
ax_ocpp_write_call(const char *id, const char *action, const json_t *payload,
    size_t *len)
{
    ax_ocpp_buf_t  b;

    memset(&b, 0, sizeof(ax_ocpp_buf_t));

    ax_ocpp_buf_add(&b, "[2,", 3);
    ax_ocpp_buf_string(&b, id, strlen(id));
    ax_ocpp_buf_add(&b, ",", 1);
    ax_ocpp_buf_string(&b, action, strlen(action));
    ax_ocpp_buf_add(&b, ",", 1);

    if (payload != NULL) {
        ax_ocpp_buf_json(&b, payload, 0);

    } else {
        ax_ocpp_buf_add(&b, "{}", 2);
    }

    ax_ocpp_buf_add(&b, "]", 1);

    return ax_ocpp_buf_finish(&b, len);
}


char *
ax_ocpp_write_result(const char *id, size_t id_len, const json_t *payload,
    size_t *len)
{
    ax_ocpp_buf_t  b;

    memset(&b, 0, sizeof(ax_ocpp_buf_t));

    ax_ocpp_buf_add(&b, "[3,", 3);
    ax_ocpp_buf_string(&b, id, id_len);
    ax_ocpp_buf_add(&b, ",", 1);

    if (payload != NULL) {
        ax_ocpp_buf_json(&b, payload, 0);

    } else {
        ax_ocpp_buf_add(&b, "{}", 2);
    }

    ax_ocpp_buf_add(&b, "]", 1);

    return ax_ocpp_buf_finish(&b, len);
}


char *
ax_ocpp_write_error(const char *id, size_t id_len, const char *code,
    const char *description, const json_t *details, size_t *len)
{
    ax_ocpp_buf_t  b;

    memset(&b, 0, sizeof(ax_ocpp_buf_t));

    if (description == NULL) {
        description = "";
    }

    ax_ocpp_buf_add(&b, "[4,", 3);
    ax_ocpp_buf_string(&b, id, id_len);
    ax_ocpp_buf_add(&b, ",", 1);
    ax_ocpp_buf_string(&b, code, strlen(code));
    ax_ocpp_buf_add(&b, ",", 1);
    ax_ocpp_buf_string(&b, description, strlen(description));
    ax_ocpp_buf_add(&b, ",", 1);

    if (details != NULL) {
        ax_ocpp_buf_json(&b, details, 0);

    } else {
        ax_ocpp_buf_add(&b, "{}", 2);
    }

    ax_ocpp_buf_add(&b, "]", 1);

    return ax_ocpp_buf_finish(&b, len);
}


char *
ax_ocpp_write_json(const json_t *v, size_t *len)
{
    ax_ocpp_buf_t  b;

    memset(&b, 0, sizeof(ax_ocpp_buf_t));

    ax_ocpp_buf_json(&b, v, 0);

    return ax_ocpp_buf_finish(&b, len);
}


static int
ax_ocpp_buf_reserve(ax_ocpp_buf_t *b, size_t n)
{
    char    *p;
    size_t   size;

    if (b->failed) {
        return -1;
    }

    if (b->size - b->len > n) {
        return 0;
    }

    size = b->size ? b->size : 256;

    while (size - b->len <= n) {
        if (size > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        size *= 2;
    }

    p = realloc(b->data, size);

    if (p == NULL) {
        b->failed = 1;
        return -1;
    }

    b->data = p;
    b->size = size;

    return 0;
}


static void
ax_ocpp_buf_add(ax_ocpp_buf_t *b, const char *s, size_t n)
{
    if (ax_ocpp_buf_reserve(b, n) != 0) {
        return;
    }

    memcpy(b->data + b->len, s, n);
    b->len += n;
}


static char *
ax_ocpp_buf_finish(ax_ocpp_buf_t *b, size_t *len)
{
    if (ax_ocpp_buf_reserve(b, 1) != 0) {
        free(b->data);
        return NULL;
    }

    b->data[b->len] = '\0';

    if (len != NULL) {
        *len = b->len;
    }

    return b->data;
}


/* the length of the valid UTF-8 sequence at p, 0 if there is none */

static size_t
ax_ocpp_utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char  c;

    c = p[0];

    if (c < 0x80) {
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        return (n >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
    }

    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) {
            return 0;
        }

        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f)) {
            return 0;                   /* overlong, or a surrogate */
        }

        return 3;
    }

    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80
            || (p[3] & 0xc0) != 0x80)
        {
            return 0;
        }

        if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f)) {
            return 0;                   /* overlong, or above U+10FFFF */
        }

        return 4;
    }

    return 0;
}


static void
ax_ocpp_buf_string(ax_ocpp_buf_t *b, const char *s, size_t n)
{
    char                  *o;
    size_t                 k;
    unsigned char          c;
    const unsigned char   *p, *end;
    static const char      hex[] = "0123456789abcdef";

    /* the worst case: every byte is a \u00XX or a \ufffd */

    if (n > (SIZE_MAX - 2) / 6 || ax_ocpp_buf_reserve(b, n * 6 + 2) != 0) {
        b->failed = 1;
        return;
    }

    o = b->data + b->len;
    p = (const unsigned char *) s;
    end = p + n;

    *o++ = '"';

    while (p < end) {
        c = *p;

        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            *o++ = (char) c;
            p++;
            continue;
        }

        if (c >= 0x80) {
            k = ax_ocpp_utf8_seq(p, end - p);

            if (k == 0) {
                memcpy(o, "\\ufffd", 6);
                o += 6;
                p++;
                continue;
            }

            memcpy(o, p, k);
            o += k;
            p += k;
            continue;
        }

        *o++ = '\\';
        p++;

        switch (c) {
        case '"':  *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
        }
    }

    *o++ = '"';

    b->len = o - b->data;
}


static void
ax_ocpp_buf_json(ax_ocpp_buf_t *b, const json_t *v, unsigned depth)
{
    int          n;
    char         num[32];
    void        *it;
    size_t       i, size;
    const char  *sep;

    if (depth >= AX_OCPP_MAX_WRITE_DEPTH) {
        ax_ocpp_buf_add(b, "null", 4);
        return;
    }

    switch (json_typeof(v)) {

    case JSON_OBJECT:
        ax_ocpp_buf_add(b, "{", 1);
        sep = "";

        for (it = json_object_iter((json_t *) v);
             it != NULL;
             it = json_object_iter_next((json_t *) v, it))
        {
            ax_ocpp_buf_add(b, sep, *sep ? 1 : 0);
            ax_ocpp_buf_string(b, json_object_iter_key(it),
                               json_object_iter_key_len(it));
            ax_ocpp_buf_add(b, ":", 1);
            ax_ocpp_buf_json(b, json_object_iter_value(it), depth + 1);
            sep = ",";
        }

        ax_ocpp_buf_add(b, "}", 1);
        break;

    case JSON_ARRAY:
        ax_ocpp_buf_add(b, "[", 1);
        size = json_array_size(v);

        for (i = 0; i < size; i++) {
            if (i) {
                ax_ocpp_buf_add(b, ",", 1);
            }
            ax_ocpp_buf_json(b, json_array_get(v, i), depth + 1);
        }

        ax_ocpp_buf_add(b, "]", 1);
        break;

    case JSON_STRING:
        ax_ocpp_buf_string(b, json_string_value(v), json_string_length(v));
        break;

    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%lld",
                     (long long) json_integer_value(v));
        ax_ocpp_buf_add(b, num, n);
        break;

    case JSON_REAL:
        ax_ocpp_buf_real(b, json_real_value(v));
        break;

    case JSON_TRUE:
        ax_ocpp_buf_add(b, "true", 4);
        break;

    case JSON_FALSE:
        ax_ocpp_buf_add(b, "false", 5);
        break;

    default:
        ax_ocpp_buf_add(b, "null", 4);
        break;
    }
}


/* the shortest of %.15g, %.16g and %.17g that reads back the same */

static void
ax_ocpp_buf_real(ax_ocpp_buf_t *b, double d)
{
    int   n, prec;
    char  num[40];

    if (d != d || d - d != 0) {
        ax_ocpp_buf_add(b, "null", 4);  /* NaN, infinities: not JSON */
        return;
    }

    n = 0;

    for (prec = 15; prec <= 17; prec++) {
        n = snprintf(num, sizeof(num), "%.*g", prec, d);

        if (strtod(num, NULL) == d) {
            break;
        }
    }

    if (strpbrk(num, ".eE") == NULL) {
        num[n++] = '.';
        num[n++] = '0';
    }

    ax_ocpp_buf_add(b, num, n);
}
