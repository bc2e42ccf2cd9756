
/*
 * libFuzzer target for request bodies (shared/ax_json.c): JSON, form data,
 * and the Content-Type rules, as every JSON route reads them.
 *
 * Input: byte 0 chooses the Content-Type; the rest is the body.
 * Checked: no crash, no leak, no undefined behaviour; a body is either an
 * object or an error with a status (400, 415) and a message; an object
 * dumps and parses back to an equal object.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ax_json.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          status;
    char        *s;
    size_t       len;
    json_t      *v, *again;
    const char  *ctype, *detail;

    static const char  *types[] = {
        NULL, "application/json", "application/json; charset=utf-8",
        "application/x-www-form-urlencoded", "text/plain",
        "application/vnd.arthexis+json", ""
    };

    if (size == 0) {
        return 0;
    }

    ctype = types[data[0] % (sizeof(types) / sizeof(types[0]))];

    status = 0;
    detail = NULL;

    v = ax_json_parse_body(ctype, ctype ? strlen(ctype) : 0, data + 1,
                           size - 1, &status, &detail);

    if (v == NULL) {
        if (detail == NULL || (status != 400 && status != 415)) {
            abort();
        }

        return 0;
    }

    if (!json_is_object(v)) {
        abort();
    }

    s = ax_json_dump(v, &len);

    if (s == NULL) {
        abort();
    }

    again = json_loadb(s, len, 0, NULL);

    if (again == NULL || !json_equal(v, again)) {
        abort();
    }

    json_decref(again);
    free(s);
    json_decref(v);

    return 0;
}
