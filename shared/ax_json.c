
/*
 * JSON helpers shared by every app and by the CLI.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>

#include "ax_json.h"


static int ax_json_ctype_is(const char *ctype, size_t len, const char *type);
static int ax_json_hex(int c);


static int
ax_json_ctype_is(const char *ctype, size_t len, const char *type)
{
    size_t  n, tlen;

    /* the media type ends at ';' or whitespace: "application/json; ..." */

    for (n = 0; n < len; n++) {
        if (ctype[n] == ';' || ctype[n] == ' ' || ctype[n] == '\t') {
            break;
        }
    }

    tlen = strlen(type);

    if (type[0] == '+') {
        /* a structured suffix: "application/vnd.x+json" */
        return n >= tlen && strncasecmp(ctype + n - tlen, type, tlen) == 0;
    }

    return n == tlen && strncasecmp(ctype, type, tlen) == 0;
}


json_t *
ax_json_parse_body(const char *ctype, size_t ctype_len,
    const unsigned char *body, size_t len, int *status, const char **detail)
{
    int           is_json, is_form;
    json_t       *v;
    json_error_t  err;

    is_json = ctype == NULL
              || ax_json_ctype_is(ctype, ctype_len, "application/json")
              || ax_json_ctype_is(ctype, ctype_len, "+json");
    is_form = ctype != NULL
              && ax_json_ctype_is(ctype, ctype_len,
                                  "application/x-www-form-urlencoded");

    if (!is_json && !is_form) {
        *status = 415;
        *detail = "Content-Type must be application/json or "
                  "application/x-www-form-urlencoded";
        return NULL;
    }

    if (len == 0) {
        return json_object();
    }

    if (is_form) {
        /* the seed tried JSON first whatever the type said */
        v = json_loadb((const char *) body, len, JSON_REJECT_DUPLICATES,
                       &err);
        if (v != NULL && json_is_object(v)) {
            return v;
        }

        json_decref(v);

        v = ax_json_from_form(body, len);
        if (v == NULL) {
            *status = 400;
            *detail = "malformed form data";
        }

        return v;
    }

    v = json_loadb((const char *) body, len, JSON_REJECT_DUPLICATES, &err);

    if (v == NULL) {
        *status = 400;
        *detail = "malformed JSON";
        return NULL;
    }

    if (!json_is_object(v)) {
        json_decref(v);
        *status = 400;
        *detail = "a JSON object is required";
        return NULL;
    }

    return v;
}


static int
ax_json_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


json_t *
ax_json_from_form(const unsigned char *p, size_t len)
{
    int                   hi, lo, in_value;
    char                 *buf, *key, *d;
    json_t               *obj, *s;
    size_t                i;
    const unsigned char  *end;

    obj = json_object();
    /* the text, a NUL after the key and one after the value */
    buf = malloc(len + 2);

    if (obj == NULL || buf == NULL) {
        goto failed;
    }

    end = p + len;

    while (p < end) {
        d = buf;
        key = buf;
        in_value = 0;

        for ( /* void */ ; p < end && *p != '&'; p++) {

            if (*p == '=' && !in_value) {
                *d++ = '\0';
                in_value = 1;
                continue;
            }

            if (*p == '+') {
                *d++ = ' ';
                continue;
            }

            if (*p == '%') {
                if (end - p < 3) {
                    goto failed;
                }

                hi = ax_json_hex(p[1]);
                lo = ax_json_hex(p[2]);

                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                    goto failed;
                }

                *d++ = (char) (hi * 16 + lo);
                p += 2;
                continue;
            }

            if (*p == '\0') {
                goto failed;
            }

            *d++ = (char) *p;
        }

        if (p < end) {
            p++;    /* '&' */
        }

        if (!in_value) {
            *d++ = '\0';
        }

        *d = '\0';

        if (key[0] == '\0') {
            continue;
        }

        i = strlen(key) + 1;
        s = json_stringn(key + i, d - (key + i));

        if (s == NULL) {
            /* not UTF-8 */
            goto failed;
        }

        /* the last value of a repeated key wins, as in Django's QueryDict */

        if (json_object_set_new(obj, key, s) != 0) {
            goto failed;
        }
    }

    free(buf);
    return obj;

failed:

    free(buf);
    json_decref(obj);
    return NULL;
}


char *
ax_json_dump(const json_t *v, size_t *len)
{
    char  *s;

    s = json_dumps(v, JSON_COMPACT);

    if (s != NULL && len != NULL) {
        *len = strlen(s);
    }

    return s;
}


char *
ax_json_detail(const char *text, size_t *len)
{
    char    *s;
    json_t  *v;

    v = json_pack("{s:s}", "detail", text);
    if (v == NULL) {
        return NULL;
    }

    s = ax_json_dump(v, len);
    json_decref(v);

    return s;
}


const char *
ax_json_get_str(const json_t *obj, const char *key, size_t *len)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (!json_is_string(v) || json_string_length(v) == 0) {
        return NULL;
    }

    if (len != NULL) {
        *len = json_string_length(v);
    }

    return json_string_value(v);
}


int
ax_json_get_int(const json_t *obj, const char *key, long long *out)
{
    char        *end;
    json_t      *v;
    long long    n;
    const char  *s;

    v = json_object_get(obj, key);

    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }

    if (!json_is_string(v)) {
        return -1;
    }

    s = json_string_value(v);

    if (*s == '\0' || json_string_length(v) > 19) {
        return -1;
    }

    if (*s == '-' ? s[1] < '0' || s[1] > '9' : *s < '0' || *s > '9') {
        return -1;
    }

    errno = 0;
    n = strtoll(s, &end, 10);

    if (errno != 0 || *end != '\0') {
        return -1;
    }

    *out = n;
    return 0;
}
