
/*
 * OCPP-J 1.6 codec: frames in and out, and the timestamps of the protocol.
 * Plain C99, libc and jansson; no nginx headers.  The payload schemas are
 * checked by ax_ocpp_schema.h.
 *
 * Frames (OCPP-J 1.6 section 4):
 *   [2, "<id>", "<action>", {payload}]                        CALL
 *   [3, "<id>", {payload}]                                    CALLRESULT
 *   [4, "<id>", "<code>", "<description>", {details}]         CALLERROR
 *
 * Reading rules of ax_ocpp_parse(), each failure a FormationViolation (the
 * 1.6 spelling) that the caller may answer with a CALLERROR:
 *   - the text is not JSON, or not a JSON array;
 *   - the message type id is not an integer, or not 2, 3 or 4 (section
 *     4.1.3 says an unknown type is to be ignored; ProtocolError is "payload
 *     incomplete" in 1.6, so FormationViolation, as SteVe and CitrineOS
 *     answer: err->type tells the caller which type it was, to choose not to
 *     answer a broken CALLRESULT or CALLERROR at all);
 *   - the message id is not a string, is empty or longer than 36 bytes;
 *   - a CALL without exactly 4 elements or whose action is not a string,
 *     a CALLRESULT without exactly 3 elements.
 * A CALLERROR is read leniently (it is never answered): the code must be a
 * string; the description may be missing or null (read as ""), the
 * details may be missing (payload NULL) or of any type.
 * The payload of a CALL or CALLRESULT may be any JSON value here; the
 * schema check (ax_ocpp_validate()) refuses what is not an object.
 *
 * err->id is the message id whenever it can be read, even from text that is
 * not valid JSON (a prefix like `[2,"abc",` is enough, the id then in
 * printable ASCII without escapes), else "-1".
 */

#ifndef _AX_OCPP_H_INCLUDED_
#define _AX_OCPP_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>


#define AX_OCPP_CALL           2
#define AX_OCPP_CALLRESULT     3
#define AX_OCPP_CALLERROR      4

#define AX_OCPP_MAX_ID_LEN     36      /* message ids, bytes */

/* fixed length of ax_ocpp_time_format()'s text, without the NUL */
#define AX_OCPP_TIME_LEN       24


/*
 * An error to report, in parsing or in validating.  code is a static
 * string (an OCPP 1.6 CALLERROR code); description points to text (or to
 * a static string); type is the message type id when it could be read
 * (any integer 0..255 that stood first in the array), else 0; id is the
 * message id when it could be read, else "-1".
 */
typedef struct {
    const char  *code;
    const char  *description;
    int          type;
    char         id[40];
    char         text[200];
} ax_ocpp_error_t;


/*
 * A message read by ax_ocpp_parse().  Every pointer points into root, which
 * owns them all; strings are also NUL-terminated (jansson refuses \u0000).
 *   CALL:       id, action, payload
 *   CALLRESULT: id, payload
 *   CALLERROR:  id, error_code, error_description ("" when absent),
 *               payload: the details as sent, NULL when absent
 */
typedef struct {
    int          type;
    const char  *id;
    size_t       id_len;
    const char  *action;
    size_t       action_len;
    json_t      *payload;
    const char  *error_code;
    const char  *error_description;
    json_t      *root;
} ax_ocpp_msg_t;


/*
 * Returns 0 with *msg filled (free it with ax_ocpp_msg_free()), or -1 with
 * *err filled and *msg zeroed (ax_ocpp_msg_free() is harmless on it).
 * err->code is "FormationViolation" (see above), or "InternalError" when
 * memory ran out.
 */
int ax_ocpp_parse(const unsigned char *text, size_t len, ax_ocpp_msg_t *msg,
    ax_ocpp_error_t *err);

void ax_ocpp_msg_free(ax_ocpp_msg_t *msg);

/*
 * The most frequent message without a parser: returns 1 when text is
 * exactly the compact [2,"<id>","Heartbeat",{}] with an id of 1 to 36
 * printable ASCII characters other than " and \ (so it reads as written),
 * and points *id (not NUL-terminated) and *id_len at it; else 0, and
 * ax_ocpp_parse() decides.  Whatever it accepts, ax_ocpp_parse() reads as
 * the same CALL (the fuzz target checks it).
 */
int ax_ocpp_match_heartbeat(const unsigned char *text, size_t len,
    const char **id, size_t *id_len);


/*
 * Writers: compact JSON (no spaces), malloc'd and NUL-terminated, *len set
 * to the length without the NUL; NULL when out of memory.  Strings are
 * escaped as JSON requires (", \, control characters); bytes that are not
 * UTF-8 become U+FFFD, so the output is always valid JSON text.  Reals are
 * written in the shortest form that reads back to the same double (16.1,
 * not jansson's 16.100000000000001), with ".0" when integral.  A NULL
 * payload or details is written as {}; a NULL description as "".
 */
char *ax_ocpp_write_call(const char *id, const char *action,
    const json_t *payload, size_t *len);
char *ax_ocpp_write_result(const char *id, size_t id_len,
    const json_t *payload, size_t *len);
char *ax_ocpp_write_error(const char *id, size_t id_len, const char *code,
    const char *description, const json_t *details, size_t *len);

/* Any jansson value in the same compact form (used by the writers). */
char *ax_ocpp_write_json(const json_t *v, size_t *len);


/*
 * Timestamps (ax_ocpp_time.c).
 *
 * ax_ocpp_time_parse() reads a date-time as the schemas' "format":
 * "date-time" is read by ocpp-rpc's strict validator (ajv-formats):
 *     YYYY-MM-DD, "T", "t" or a space, hh:mm:ss, an optional fraction of
 *     any number of digits (milliseconds kept, the rest truncated), then
 *     "Z", "z", "+hh:mm", "+hhmm" or "+hh" (or "-").
 * Dates are checked (month days, leap years); 23:59:60 is accepted (a leap
 * second, counted as the next second); offsets up to 23:59.  lenient also
 * accepts no offset at all, read as UTC (chargers sending local time
 * without a zone).  Returns 0 and sets *epoch_ms (may be negative), or -1.
 *
 * ax_ocpp_time_format() always writes "YYYY-MM-DDThh:mm:ss.mmmZ" (24
 * characters and a NUL; milliseconds always present, as JavaScript's
 * toISOString() and most central systems write them).  Years are clamped
 * to 0000..9999.
 */
int ax_ocpp_time_parse(const char *s, size_t len, int lenient,
    long long *epoch_ms);
void ax_ocpp_time_format(long long epoch_ms, char out[25]);


#endif /* _AX_OCPP_H_INCLUDED_ */
