
/*
 * JSON helpers shared by every app and by the CLI (plain C + jansson).
 *
 * Request bodies are read like the seed did: JSON first, and the form
 * encoding (application/x-www-form-urlencoded) as the fallback.  Responses
 * use the seed's error shape {"detail": "..."}.
 */

#ifndef _AX_JSON_H_INCLUDED_
#define _AX_JSON_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>


/*
 * Parses a request body.  ctype may be NULL (no Content-Type header).
 * Returns a new JSON object, or NULL with *status (400 or 415) and *detail
 * (a static message) set.  An empty body gives an empty object.
 */
json_t *ax_json_parse_body(const char *ctype, size_t ctype_len,
    const unsigned char *body, size_t len, int *status, const char **detail);

/* Decodes application/x-www-form-urlencoded text into an object of strings;
 * NULL when the encoding is broken (bad %XX escape or a NUL byte). */
json_t *ax_json_from_form(const unsigned char *p, size_t len);

/* Serializes compactly; returns a malloc'd string and its length. */
char *ax_json_dump(const json_t *v, size_t *len);

/* {"detail": text} as a malloc'd string. */
char *ax_json_detail(const char *text, size_t *len);

/* Reads a member as a string (NULL when absent, not a string or empty). */
const char *ax_json_get_str(const json_t *obj, const char *key, size_t *len);

/*
 * Reads a member as an integer: a JSON integer, or a string of decimal
 * digits (form data).  Returns 0 and sets *out, -1 when absent or invalid.
 */
int ax_json_get_int(const json_t *obj, const char *key, long long *out);


#endif /* _AX_JSON_H_INCLUDED_ */
