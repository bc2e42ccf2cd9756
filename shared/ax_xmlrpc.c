
/*
 * XML-RPC calls and answers: escaping on the way out, expat on the way in.
 */

#if !defined _GNU_SOURCE && !defined _POSIX_C_SOURCE
#define _POSIX_C_SOURCE  200809L                    /* strncasecmp() */
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <math.h>

#include <expat.h>
#include <curl/curl.h>

#include "ax_xmlrpc.h"


#define AX_XMLRPC_URL_MAX  2048


/* a growing output or text buffer */

typedef struct {
    char     *data;
    size_t    len;
    size_t    size;
    int       failed;
} ax_xmlrpc_buf_t;


/* the elements of an answer */

typedef enum {
    AX_XR_NONE = 0,
    AX_XR_RESPONSE,
    AX_XR_PARAMS,
    AX_XR_PARAM,
    AX_XR_FAULT,
    AX_XR_VALUE,
    AX_XR_STRUCT,
    AX_XR_MEMBER,
    AX_XR_NAME,
    AX_XR_ARRAY,
    AX_XR_DATA,
    AX_XR_INT,
    AX_XR_I8,
    AX_XR_BOOLEAN,
    AX_XR_DOUBLE,
    AX_XR_STRING,
    AX_XR_DATETIME,
    AX_XR_BASE64,
    AX_XR_NIL
} ax_xmlrpc_kind_e;


typedef struct {
    ax_xmlrpc_kind_e   kind;
    json_t            *value;      /* value, member: the value parsed;
                                      struct, array: the container */
    char              *name;       /* member: its name */
    int                done;       /* value: a typed child was seen;
                                      param, fault: a value was seen */
} ax_xmlrpc_frame_t;


typedef struct {
    XML_Parser          parser;
    /* a nested value takes three frames: value, struct, member */
    ax_xmlrpc_frame_t   stack[AX_XMLRPC_MAX_DEPTH * 3 + 4];
    int                 depth;
    ax_xmlrpc_buf_t     text;
    json_t             *result;
    int                 fault;
    int                 complete;
    char               *err;
    size_t              errlen;
    int                 failed;
} ax_xmlrpc_parser_t;


static void ax_xmlrpc_buf_add(ax_xmlrpc_buf_t *b, const char *p, size_t len);
static void ax_xmlrpc_buf_str(ax_xmlrpc_buf_t *b, const char *s);
static int ax_xmlrpc_escape(ax_xmlrpc_buf_t *b, const char *p, size_t len);
static int ax_xmlrpc_value(ax_xmlrpc_buf_t *b, const json_t *v, int depth,
    char *err, size_t errlen);
static void ax_xmlrpc_error(char *err, size_t errlen, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void ax_xmlrpc_fail(ax_xmlrpc_parser_t *xp, const char *msg);
static ax_xmlrpc_kind_e ax_xmlrpc_kind(const char *name);
static int ax_xmlrpc_allowed(ax_xmlrpc_kind_e parent,
    ax_xmlrpc_kind_e child);
static void XMLCALL ax_xmlrpc_start(void *data, const XML_Char *name,
    const XML_Char **atts);
static void XMLCALL ax_xmlrpc_end(void *data, const XML_Char *name);
static void XMLCALL ax_xmlrpc_text(void *data, const XML_Char *s, int len);
static void XMLCALL ax_xmlrpc_doctype(void *data, const XML_Char *name,
    const XML_Char *sysid, const XML_Char *pubid, int has_internal_subset);
static json_t *ax_xmlrpc_scalar(ax_xmlrpc_parser_t *xp,
    ax_xmlrpc_kind_e kind, char *text, size_t len);
static void ax_xmlrpc_give(ax_xmlrpc_parser_t *xp, json_t *v);
static int ax_xmlrpc_blank(const char *p, size_t len);


/* --- building a call ---------------------------------------------------- */


static void
ax_xmlrpc_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    (void) vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


static void
ax_xmlrpc_buf_add(ax_xmlrpc_buf_t *b, const char *p, size_t len)
{
    char    *n;
    size_t   size;

    if (b->failed) {
        return;
    }

    if (b->len + len + 1 > b->size) {
        size = b->size ? b->size : 256;

        while (size < b->len + len + 1) {
            size *= 2;
        }

        n = realloc(b->data, size);
        if (n == NULL) {
            b->failed = 1;
            return;
        }

        b->data = n;
        b->size = size;
    }

    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
}


static void
ax_xmlrpc_buf_str(ax_xmlrpc_buf_t *b, const char *s)
{
    ax_xmlrpc_buf_add(b, s, strlen(s));
}


/*
 * Text for element content: &, < and > escaped (">" for "]]>"), CR as a
 * character reference so that end-of-line handling keeps it.  XML 1.0
 * cannot carry the other C0 controls (not even as references) nor
 * U+FFFE/U+FFFF: those fail.  jansson strings are valid UTF-8.
 */

static int
ax_xmlrpc_escape(ax_xmlrpc_buf_t *b, const char *p, size_t len)
{
    size_t          i, start;
    unsigned char   c;
    const char     *ent;

    start = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) p[i];

        switch (c) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '\r':
            ent = "&#13;";
            break;
        case '\t':
        case '\n':
            continue;
        default:
            if (c < 0x20) {
                return -1;
            }

            /* U+FFFE and U+FFFF: EF BF BE, EF BF BF */
            if (c == 0xef && i + 2 < len
                && (unsigned char) p[i + 1] == 0xbf
                && ((unsigned char) p[i + 2] & 0xfe) == 0xbe)
            {
                return -1;
            }

            continue;
        }

        ax_xmlrpc_buf_add(b, p + start, i - start);
        ax_xmlrpc_buf_str(b, ent);
        start = i + 1;
    }

    ax_xmlrpc_buf_add(b, p + start, len - start);

    return 0;
}


static int
ax_xmlrpc_value(ax_xmlrpc_buf_t *b, const json_t *v, int depth, char *err,
    size_t errlen)
{
    char         num[64];
    size_t       i;
    double       d;
    json_t      *item;
    json_int_t   n;
    const char  *key;

    if (depth > AX_XMLRPC_MAX_DEPTH) {
        ax_xmlrpc_error(err, errlen, "parameters nested too deeply");
        return -1;
    }

    ax_xmlrpc_buf_str(b, "<value>");

    switch (json_typeof(v)) {

    case JSON_STRING:
        ax_xmlrpc_buf_str(b, "<string>");

        if (ax_xmlrpc_escape(b, json_string_value(v), json_string_length(v))
            != 0)
        {
            ax_xmlrpc_error(err, errlen, "a parameter holds a character "
                            "that XML cannot carry");
            return -1;
        }

        ax_xmlrpc_buf_str(b, "</string>");
        break;

    case JSON_INTEGER:
        n = json_integer_value(v);

        if (n >= -2147483647LL - 1 && n <= 2147483647LL) {
            (void) snprintf(num, sizeof(num), "<int>%lld</int>",
                            (long long) n);

        } else {
            (void) snprintf(num, sizeof(num), "<i8>%lld</i8>",
                            (long long) n);
        }

        ax_xmlrpc_buf_str(b, num);
        break;

    case JSON_REAL:
        d = json_real_value(v);

        if (!isfinite(d)) {
            ax_xmlrpc_error(err, errlen, "a parameter is not a finite "
                            "number");
            return -1;
        }

        (void) snprintf(num, sizeof(num), "<double>%.17g</double>", d);
        ax_xmlrpc_buf_str(b, num);
        break;

    case JSON_TRUE:
        ax_xmlrpc_buf_str(b, "<boolean>1</boolean>");
        break;

    case JSON_FALSE:
        ax_xmlrpc_buf_str(b, "<boolean>0</boolean>");
        break;

    case JSON_NULL:
        ax_xmlrpc_buf_str(b, "<nil/>");
        break;

    case JSON_ARRAY:
        ax_xmlrpc_buf_str(b, "<array><data>");

        json_array_foreach(v, i, item) {
            if (ax_xmlrpc_value(b, item, depth + 1, err, errlen) != 0) {
                return -1;
            }
        }

        ax_xmlrpc_buf_str(b, "</data></array>");
        break;

    case JSON_OBJECT:
        ax_xmlrpc_buf_str(b, "<struct>");

        json_object_foreach((json_t *) v, key, item) {
            ax_xmlrpc_buf_str(b, "<member><name>");

            if (ax_xmlrpc_escape(b, key, strlen(key)) != 0) {
                ax_xmlrpc_error(err, errlen, "a member name holds a "
                                "character that XML cannot carry");
                return -1;
            }

            ax_xmlrpc_buf_str(b, "</name>");

            if (ax_xmlrpc_value(b, item, depth + 1, err, errlen) != 0) {
                return -1;
            }

            ax_xmlrpc_buf_str(b, "</member>");
        }

        ax_xmlrpc_buf_str(b, "</struct>");
        break;
    }

    ax_xmlrpc_buf_str(b, "</value>");

    return 0;
}


char *
ax_xmlrpc_call(const char *method, const json_t *params, size_t *len,
    char *err, size_t errlen)
{
    size_t            i;
    json_t           *v;
    const char       *p;
    ax_xmlrpc_buf_t   b;

    if (method == NULL || method[0] == '\0') {
        ax_xmlrpc_error(err, errlen, "no method name");
        return NULL;
    }

    /* the spec's method name characters */

    for (p = method; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'
              || *p == ':' || *p == '/'))
        {
            ax_xmlrpc_error(err, errlen, "invalid method name");
            return NULL;
        }
    }

    if (params != NULL && !json_is_array(params)) {
        ax_xmlrpc_error(err, errlen, "the parameters must be an array");
        return NULL;
    }

    memset(&b, 0, sizeof(b));

    ax_xmlrpc_buf_str(&b, "<?xml version=\"1.0\"?>\n<methodCall>"
                          "<methodName>");
    ax_xmlrpc_buf_str(&b, method);
    ax_xmlrpc_buf_str(&b, "</methodName><params>");

    if (params != NULL) {
        json_array_foreach(params, i, v) {
            ax_xmlrpc_buf_str(&b, "<param>");

            if (ax_xmlrpc_value(&b, v, 1, err, errlen) != 0) {
                free(b.data);
                return NULL;
            }

            ax_xmlrpc_buf_str(&b, "</param>");
        }
    }

    ax_xmlrpc_buf_str(&b, "</params></methodCall>\n");

    if (b.failed) {
        free(b.data);
        ax_xmlrpc_error(err, errlen, "out of memory");
        return NULL;
    }

    if (len) {
        *len = b.len;
    }

    return b.data;
}


/* --- parsing an answer -------------------------------------------------- */


static void
ax_xmlrpc_fail(ax_xmlrpc_parser_t *xp, const char *msg)
{
    if (xp->failed) {
        return;
    }

    xp->failed = 1;
    ax_xmlrpc_error(xp->err, xp->errlen, "%s at line %lu", msg,
                    (unsigned long) XML_GetCurrentLineNumber(xp->parser));
    (void) XML_StopParser(xp->parser, XML_FALSE);
}


static ax_xmlrpc_kind_e
ax_xmlrpc_kind(const char *name)
{
    size_t       i;
    const char  *p;

    static const struct {
        const char        *name;
        ax_xmlrpc_kind_e   kind;
    } names[] = {
        { "methodResponse", AX_XR_RESPONSE },
        { "params", AX_XR_PARAMS },
        { "param", AX_XR_PARAM },
        { "fault", AX_XR_FAULT },
        { "value", AX_XR_VALUE },
        { "struct", AX_XR_STRUCT },
        { "member", AX_XR_MEMBER },
        { "name", AX_XR_NAME },
        { "array", AX_XR_ARRAY },
        { "data", AX_XR_DATA },
        { "int", AX_XR_INT },
        { "i4", AX_XR_INT },
        { "i8", AX_XR_I8 },
        { "boolean", AX_XR_BOOLEAN },
        { "double", AX_XR_DOUBLE },
        { "string", AX_XR_STRING },
        { "dateTime.iso8601", AX_XR_DATETIME },
        { "base64", AX_XR_BASE64 },
        { "nil", AX_XR_NIL }
    };

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            return names[i].kind;
        }
    }

    /* the Apache extensions' namespace prefix: <ex:nil/>, <ex:i8> */

    p = strchr(name, ':');

    if (p != NULL && p != name) {
        p++;

        if (strcmp(p, "nil") == 0) {
            return AX_XR_NIL;
        }

        if (strcmp(p, "i8") == 0) {
            return AX_XR_I8;
        }
    }

    return AX_XR_NONE;
}


static int
ax_xmlrpc_allowed(ax_xmlrpc_kind_e parent, ax_xmlrpc_kind_e child)
{
    switch (parent) {

    case AX_XR_NONE:
        return child == AX_XR_RESPONSE;

    case AX_XR_RESPONSE:
        return child == AX_XR_PARAMS || child == AX_XR_FAULT;

    case AX_XR_PARAMS:
        return child == AX_XR_PARAM;

    case AX_XR_PARAM:
    case AX_XR_FAULT:
    case AX_XR_DATA:
        return child == AX_XR_VALUE;

    case AX_XR_VALUE:
        return child >= AX_XR_INT || child == AX_XR_STRUCT
               || child == AX_XR_ARRAY;

    case AX_XR_STRUCT:
        return child == AX_XR_MEMBER;

    case AX_XR_MEMBER:
        return child == AX_XR_NAME || child == AX_XR_VALUE;

    case AX_XR_ARRAY:
        return child == AX_XR_DATA;

    default:
        /* names and scalars hold text only */
        return 0;
    }
}


static void XMLCALL
ax_xmlrpc_start(void *data, const XML_Char *name, const XML_Char **atts)
{
    ax_xmlrpc_parser_t  *xp = data;

    ax_xmlrpc_kind_e    kind, parent;
    ax_xmlrpc_frame_t  *top, *f;

    if (xp->failed) {
        return;
    }

    kind = ax_xmlrpc_kind(name);
    top = xp->depth ? &xp->stack[xp->depth - 1] : NULL;
    parent = top ? top->kind : AX_XR_NONE;

    if (kind == AX_XR_NONE) {
        ax_xmlrpc_fail(xp, parent == AX_XR_NONE ? "no methodResponse"
                                                : "unknown element");
        return;
    }

    if (parent == AX_XR_NONE && xp->complete) {
        ax_xmlrpc_fail(xp, "a second root element");
        return;
    }

    if (!ax_xmlrpc_allowed(parent, kind)) {
        ax_xmlrpc_fail(xp, parent == AX_XR_NONE ? "no methodResponse"
                                                : "unexpected element");
        return;
    }

    if (xp->depth >= (int) (sizeof(xp->stack) / sizeof(xp->stack[0]))) {
        ax_xmlrpc_fail(xp, "nested too deeply");
        return;
    }

    if (top != NULL) {
        /* one value per value, param and fault; one params or fault */

        if ((parent == AX_XR_VALUE || parent == AX_XR_PARAM
             || parent == AX_XR_FAULT || parent == AX_XR_RESPONSE)
            && top->done)
        {
            ax_xmlrpc_fail(xp, "unexpected element");
            return;
        }

        if (parent == AX_XR_PARAMS && top->done) {
            ax_xmlrpc_fail(xp, "more than one result");
            return;
        }

        if (parent == AX_XR_VALUE && !ax_xmlrpc_blank(xp->text.data,
                                                     xp->text.len))
        {
            ax_xmlrpc_fail(xp, "text beside a typed value");
            return;
        }

        if (parent == AX_XR_MEMBER
            && ((kind == AX_XR_NAME && (top->name || top->done))
                || (kind == AX_XR_VALUE && (top->name == NULL
                                            || top->done))))
        {
            ax_xmlrpc_fail(xp, "malformed member");
            return;
        }

        top->done = (parent == AX_XR_VALUE || parent == AX_XR_PARAMS
                     || parent == AX_XR_RESPONSE) ? 1 : top->done;
    }

    f = &xp->stack[xp->depth++];
    memset(f, 0, sizeof(*f));
    f->kind = kind;

    if (kind == AX_XR_STRUCT) {
        f->value = json_object();

    } else if (kind == AX_XR_ARRAY) {
        f->value = json_array();
    }

    if ((kind == AX_XR_STRUCT || kind == AX_XR_ARRAY) && f->value == NULL) {
        ax_xmlrpc_fail(xp, "out of memory");
        return;
    }

    xp->text.len = 0;
}


static int
ax_xmlrpc_blank(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
            return 0;
        }
    }

    return 1;
}


static void XMLCALL
ax_xmlrpc_text(void *data, const XML_Char *s, int len)
{
    ax_xmlrpc_parser_t  *xp = data;

    ax_xmlrpc_kind_e  kind;

    if (xp->failed) {
        return;
    }

    kind = xp->depth ? xp->stack[xp->depth - 1].kind : AX_XR_NONE;

    if (kind == AX_XR_VALUE || kind == AX_XR_NAME || kind >= AX_XR_INT) {
        ax_xmlrpc_buf_add(&xp->text, s, (size_t) len);

        if (xp->text.failed) {
            ax_xmlrpc_fail(xp, "out of memory");
        }

        return;
    }

    if (!ax_xmlrpc_blank(s, (size_t) len)) {
        ax_xmlrpc_fail(xp, "unexpected text");
    }
}


static json_t *
ax_xmlrpc_scalar(ax_xmlrpc_parser_t *xp, ax_xmlrpc_kind_e kind, char *text,
    size_t len)
{
    char       *end, *p;
    double      d;
    long long   n;

    /* numbers and booleans may carry blanks around them */

    p = text;

    if (kind == AX_XR_INT || kind == AX_XR_I8 || kind == AX_XR_BOOLEAN
        || kind == AX_XR_DOUBLE)
    {
        while (len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        {
            p++;
            len--;
        }

        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'
                       || p[len - 1] == '\n' || p[len - 1] == '\r'))
        {
            len--;
        }

        p[len] = '\0';
    }

    switch (kind) {

    case AX_XR_INT:
    case AX_XR_I8:
        if (len == 0 || !((*p >= '0' && *p <= '9') || *p == '-'
                          || *p == '+'))
        {
            ax_xmlrpc_fail(xp, "invalid integer");
            return NULL;
        }

        errno = 0;
        n = strtoll(p, &end, 10);

        if (errno != 0 || end != p + len
            || (kind == AX_XR_INT
                && (n < -2147483647LL - 1 || n > 2147483647LL)))
        {
            ax_xmlrpc_fail(xp, "invalid integer");
            return NULL;
        }

        return json_integer((json_int_t) n);

    case AX_XR_BOOLEAN:
        if (len == 1 && (*p == '0' || *p == '1')) {
            return json_boolean(*p == '1');
        }

        ax_xmlrpc_fail(xp, "invalid boolean");
        return NULL;

    case AX_XR_DOUBLE:
        if (len == 0 || strpbrk(p, "xXnNiI") != NULL) {
            ax_xmlrpc_fail(xp, "invalid double");
            return NULL;
        }

        errno = 0;
        d = strtod(p, &end);

        if (errno != 0 || end != p + len || !isfinite(d)) {
            ax_xmlrpc_fail(xp, "invalid double");
            return NULL;
        }

        return json_real(d);

    case AX_XR_NIL:
        if (!ax_xmlrpc_blank(p, len)) {
            ax_xmlrpc_fail(xp, "text in nil");
            return NULL;
        }

        return json_null();

    default:
        /* string, dateTime.iso8601, base64: the text as it is */
        return json_stringn(p, len);
    }
}


/* hands a finished value to the frame below the top */

static void
ax_xmlrpc_give(ax_xmlrpc_parser_t *xp, json_t *v)
{
    ax_xmlrpc_frame_t  *f;

    if (v == NULL) {
        ax_xmlrpc_fail(xp, "out of memory");
        return;
    }

    f = &xp->stack[xp->depth - 1];

    switch (f->kind) {

    case AX_XR_VALUE:
    case AX_XR_MEMBER:
        json_decref(f->value);
        f->value = v;
        f->done = 1;
        return;

    case AX_XR_DATA:
        /* the array is one frame further down */
        if (json_array_append_new(xp->stack[xp->depth - 2].value, v) != 0) {
            ax_xmlrpc_fail(xp, "out of memory");
        }
        return;

    case AX_XR_PARAM:
    case AX_XR_FAULT:
        json_decref(xp->result);
        xp->result = v;
        xp->fault = (f->kind == AX_XR_FAULT);
        f->done = 1;
        return;

    default:
        json_decref(v);
        ax_xmlrpc_fail(xp, "unexpected value");
        return;
    }
}


static void XMLCALL
ax_xmlrpc_end(void *data, const XML_Char *name)
{
    ax_xmlrpc_parser_t  *xp = data;

    json_t             *v;
    ax_xmlrpc_frame_t  *f, *below;

    if (xp->failed || xp->depth == 0) {
        return;
    }

    f = &xp->stack[--xp->depth];
    below = xp->depth ? &xp->stack[xp->depth - 1] : NULL;

    switch (f->kind) {

    case AX_XR_RESPONSE:
        if (!f->done || xp->result == NULL) {
            ax_xmlrpc_fail(xp, "no result");
            return;
        }

        xp->complete = 1;
        return;

    case AX_XR_PARAMS:
        if (!f->done) {
            ax_xmlrpc_fail(xp, "no result");
        }
        return;

    case AX_XR_PARAM:
    case AX_XR_FAULT:
        if (!f->done) {
            ax_xmlrpc_fail(xp, "no value");
        }
        return;

    case AX_XR_VALUE:
        if (f->done) {
            if (!ax_xmlrpc_blank(xp->text.data, xp->text.len)) {
                json_decref(f->value);
                f->value = NULL;
                ax_xmlrpc_fail(xp, "text beside a typed value");
                return;
            }

            v = f->value;

        } else {
            /* a bare value is a string */
            v = json_stringn(xp->text.data ? xp->text.data : "",
                             xp->text.len);
        }

        f->value = NULL;
        xp->text.len = 0;
        ax_xmlrpc_give(xp, v);
        return;

    case AX_XR_STRUCT:
    case AX_XR_ARRAY:
        v = f->value;
        f->value = NULL;
        xp->text.len = 0;
        ax_xmlrpc_give(xp, v);
        return;

    case AX_XR_MEMBER:
        if (f->name == NULL || !f->done) {
            free(f->name);
            json_decref(f->value);
            ax_xmlrpc_fail(xp, "malformed member");
            return;
        }

        /* below is the struct */
        if (json_object_set_new(below->value, f->name, f->value) != 0) {
            free(f->name);
            ax_xmlrpc_fail(xp, "invalid member name");
            return;
        }

        free(f->name);
        return;

    case AX_XR_NAME:
        below->name = malloc(xp->text.len + 1);

        if (below->name == NULL) {
            ax_xmlrpc_fail(xp, "out of memory");
            return;
        }

        if (xp->text.len) {
            memcpy(below->name, xp->text.data, xp->text.len);
        }

        below->name[xp->text.len] = '\0';
        xp->text.len = 0;
        return;

    case AX_XR_DATA:
        return;

    default:
        if (xp->text.data == NULL) {
            ax_xmlrpc_buf_add(&xp->text, "", 0);

            if (xp->text.failed) {
                ax_xmlrpc_fail(xp, "out of memory");
                return;
            }
        }

        v = ax_xmlrpc_scalar(xp, f->kind, xp->text.data, xp->text.len);

        if (v == NULL) {
            if (!xp->failed) {
                ax_xmlrpc_fail(xp, "out of memory");
            }
            return;
        }

        ax_xmlrpc_give(xp, v);

        /* the value's own text, if any, was blank: forget it */
        xp->text.len = 0;
        return;
    }
}


static void XMLCALL
ax_xmlrpc_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
    ax_xmlrpc_fail(data, "document type declaration not allowed");
}


int
ax_xmlrpc_parse_response(const char *p, size_t len, json_t **value,
    char *err, size_t errlen)
{
    int                  i, rc;
    enum XML_Status      status;
    ax_xmlrpc_parser_t   xp;

    *value = NULL;

    if (len > (size_t) 0x7fffffff) {
        ax_xmlrpc_error(err, errlen, "answer too large");
        return AX_XMLRPC_ERROR;
    }

    memset(&xp, 0, sizeof(xp));
    xp.err = err;
    xp.errlen = errlen;

    xp.parser = XML_ParserCreate(NULL);
    if (xp.parser == NULL) {
        ax_xmlrpc_error(err, errlen, "out of memory");
        return AX_XMLRPC_ERROR;
    }

    XML_SetUserData(xp.parser, &xp);
    XML_SetElementHandler(xp.parser, ax_xmlrpc_start, ax_xmlrpc_end);
    XML_SetCharacterDataHandler(xp.parser, ax_xmlrpc_text);
    XML_SetStartDoctypeDeclHandler(xp.parser, ax_xmlrpc_doctype);
    (void) XML_SetParamEntityParsing(xp.parser,
                                     XML_PARAM_ENTITY_PARSING_NEVER);

    status = XML_Parse(xp.parser, p, (int) len, XML_TRUE);

    if (status != XML_STATUS_OK && !xp.failed) {
        xp.failed = 1;
        ax_xmlrpc_error(err, errlen, "%s at line %lu",
                        XML_ErrorString(XML_GetErrorCode(xp.parser)),
                        (unsigned long) XML_GetCurrentLineNumber(xp.parser));
    }

    if (!xp.failed && !xp.complete) {
        xp.failed = 1;
        ax_xmlrpc_error(err, errlen, "no methodResponse");
    }

    /* what a failure left on the stack */

    for (i = 0; i < xp.depth; i++) {
        json_decref(xp.stack[i].value);
        free(xp.stack[i].name);
    }

    XML_ParserFree(xp.parser);
    free(xp.text.data);

    if (xp.failed) {
        json_decref(xp.result);
        return AX_XMLRPC_ERROR;
    }

    rc = xp.fault ? AX_XMLRPC_FAULT : AX_XMLRPC_OK;
    *value = xp.result;

    return rc;
}


void
ax_xmlrpc_fault(const json_t *fault, long long *code, const char **text)
{
    json_t  *v;

    *code = 0;
    *text = "";

    v = json_object_get(fault, "faultCode");

    if (json_is_integer(v)) {
        *code = (long long) json_integer_value(v);
    }

    v = json_object_get(fault, "faultString");

    if (json_is_string(v)) {
        *text = json_string_value(v);
    }
}


/* --- URLs --------------------------------------------------------------- */


int
ax_xmlrpc_check_url(const char *url, char *err, size_t errlen)
{
    int          rc;
    char        *scheme, *part;
    CURLU       *u;
    size_t       len, i;
    CURLUcode    uc;
    static const struct {
        CURLUPart    part;
        const char  *msg;
    } refused[] = {
        { CURLUPART_PASSWORD, "a password in the URL is not allowed: use "
                              "the username and password fields" },
        { CURLUPART_USER, "a user name in the URL is not allowed: use the "
                          "username and password fields" },
        { CURLUPART_OPTIONS, "login options in the URL are not allowed" },
        { CURLUPART_QUERY, "the URL must not have a query" },
        { CURLUPART_FRAGMENT, "the URL must not have a fragment" }
    };

    if (url == NULL || url[0] == '\0') {
        ax_xmlrpc_error(err, errlen, "the URL is empty");
        return -1;
    }

    len = strlen(url);

    if (len > AX_XMLRPC_URL_MAX) {
        ax_xmlrpc_error(err, errlen, "the URL is longer than %d bytes",
                        AX_XMLRPC_URL_MAX);
        return -1;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) url[i] <= 0x20 || (unsigned char) url[i] >= 0x7f)
        {
            ax_xmlrpc_error(err, errlen, "the URL must be printable ASCII "
                            "without spaces");
            return -1;
        }
    }

    if (!(strncasecmp(url, "http://", 7) == 0
          || strncasecmp(url, "https://", 8) == 0))
    {
        ax_xmlrpc_error(err, errlen, "the URL must start with http:// or "
                        "https://");
        return -1;
    }

    u = curl_url();
    if (u == NULL) {
        ax_xmlrpc_error(err, errlen, "out of memory");
        return -1;
    }

    rc = -1;

    uc = curl_url_set(u, CURLUPART_URL, url, 0);

    if (uc != CURLUE_OK) {
        ax_xmlrpc_error(err, errlen, "invalid URL: %s",
                        curl_url_strerror(uc));
        goto done;
    }

    scheme = NULL;

    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
        || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
    {
        curl_free(scheme);
        ax_xmlrpc_error(err, errlen, "the URL must start with http:// or "
                        "https://");
        goto done;
    }

    curl_free(scheme);

    part = NULL;

    if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK
        || part[0] == '\0')
    {
        curl_free(part);
        ax_xmlrpc_error(err, errlen, "the URL has no host");
        goto done;
    }

    curl_free(part);

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        part = NULL;
        uc = curl_url_get(u, refused[i].part, &part, 0);
        curl_free(part);

        if (uc == CURLUE_OK) {
            ax_xmlrpc_error(err, errlen, "%s", refused[i].msg);
            goto done;
        }
    }

    /* "#" with nothing after it still ends the URL oddly */

    if (strchr(url, '#') != NULL || strchr(url, '?') != NULL) {
        ax_xmlrpc_error(err, errlen, "the URL must not have a query or a "
                        "fragment");
        goto done;
    }

    rc = 0;

done:

    curl_url_cleanup(u);

    return rc;
}


char *
ax_xmlrpc_endpoint(const char *base, const char *path)
{
    char    *s;
    size_t   len, plen;

    len = strlen(base);

    while (len > 0 && base[len - 1] == '/') {
        len--;
    }

    plen = strlen(path);

    s = malloc(len + plen + 1);
    if (s == NULL) {
        return NULL;
    }

    memcpy(s, base, len);
    memcpy(s + len, path, plen + 1);

    return s;
}
