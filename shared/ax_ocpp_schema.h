
/*
 * OCPP 1.6 payload schemas: a compact JSON Schema compiler and validator.
 * Plain C99, libc and jansson; no nginx headers.
 *
 * The schemas are the official OCPP 1.6 JSON schemas as the npm package
 * ocpp-rpc ships them (lib/schemas/ocpp1_6.json: an array of draft-07
 * schemas with "$id": "urn:<Action>.req" or "urn:<Action>.conf"),
 * compiled from their JSON text when loaded (the module embeds the text at
 * build time, the tests read the file; the schemas are never committed,
 * nor translated into C by hand).  Also accepted: one
 * schema object alone, and ids in the OCA's own style ("id":
 * "urn:OCPP:1.6:2019:12:BootNotificationRequest" / ...Response).
 *
 * Keywords: type (a name or an array of names), properties, required,
 * additionalProperties (false, true or a schema), items (one schema),
 * minItems, maxItems, enum, minLength, maxLength (in code points, as JSON
 * Schema counts), minimum, maximum, exclusiveMinimum, exclusiveMaximum
 * (draft-04 booleans or draft-06 numbers), multipleOf (decimal-safe: 12.3
 * is a multiple of 0.1), format "date-time" (ax_ocpp_time_parse()) and
 * "uri" (a scheme, ":" and no white space; other formats are ignored, as
 * annotations), $ref to "#", "#/definitions/..." or "#/$defs/...",
 * boolean schemas.  Annotations ($id, $schema, title, description,
 * default, ...) and unknown keywords are ignored; the validation keywords
 * this compiler does not implement (pattern, allOf, anyOf, oneOf, not,
 * const, uniqueItems, ...) make ax_ocpp_schemas_load() fail with their
 * name, so that nothing is silently left unchecked.
 *
 * Validation allocates nothing (except to normalize a value, see below),
 * uses no global state and only reads the schemas: one loaded set may be
 * shared by any number of threads or forked processes.
 *
 * CALLERROR codes (OCPP-J 1.6 section 4.2.3, as the issue and ocpp-rpc
 * map JSON Schema failures to them):
 *   NotImplemented                 unknown action (requests only)
 *   FormationViolation             the payload is not an object
 *   OccurenceConstraintViolation   a required field is missing; fewer or
 *                                  more array items than minItems/maxItems
 *   TypeConstraintViolation        a value of the wrong JSON type
 *   PropertyConstraintViolation    bad length, enum value, format, range,
 *                                  multipleOf, or a property that
 *                                  additionalProperties: false forbids
 *   InternalError                  out of memory while normalizing
 * Objects are checked member by member in the order they were sent (the
 * first failure is reported), then for missing required members.  Values
 * nested deeper than 32 levels (only possible with recursive $refs) are a
 * FormationViolation.
 */

#ifndef _AX_OCPP_SCHEMA_H_INCLUDED_
#define _AX_OCPP_SCHEMA_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>

#include "ax_ocpp.h"


typedef struct ax_ocpp_schemas_s  ax_ocpp_schemas_t;


/*
 * Leniency switches for real chargers' quirks (each on by default in the
 * module); AX_OCPP_LENIENT_ALL is all of them.
 *
 * TIME_NO_OFFSET  date-times without an offset are read as UTC (offsets
 *                 like "+03" and "+0300" are accepted even without it, as
 *                 ocpp-rpc's strict validator accepts them).
 * NUMERIC_VALUE   sampledValue.value sent as a JSON number: replaced in
 *                 place by a string (integers as "%lld", reals in the
 *                 shortest form that reads back the same: 230.1 -> "230.1").
 * CELSIUS         any enum that holds "Celcius" or "Celsius" accepts both
 *                 (StopTransaction's official enum has only "Celcius");
 *                 the value is kept as sent.
 * HERTZ           the sampled value unit enum also accepts "Hertz" and "Hz"
 *                 (kept as sent).
 * NULL_PAYLOAD    a null payload ([2,"id","Heartbeat",null]) is read as {}
 *                 wherever the schema is an object that requires no
 *                 member: among the charger's requests only Heartbeat;
 *                 the same rule holds for responses.
 */
#define AX_OCPP_LENIENT_TIME_NO_OFFSET   0x01
#define AX_OCPP_LENIENT_NUMERIC_VALUE    0x02
#define AX_OCPP_LENIENT_CELSIUS          0x04
#define AX_OCPP_LENIENT_HERTZ            0x08
#define AX_OCPP_LENIENT_NULL_PAYLOAD     0x10
#define AX_OCPP_LENIENT_ALL              0x1f


/*
 * Compiles the schemas from their JSON text.  Returns NULL with a message
 * in err (always NUL-terminated when errlen > 0) when the text is not JSON,
 * holds no schema, or uses a keyword that is not implemented.
 */
ax_ocpp_schemas_t *ax_ocpp_schemas_load(const char *json_text, size_t len,
    char *err, size_t errlen);

/* Reads a file and compiles it; NULL with the reason in err. */
ax_ocpp_schemas_t *ax_ocpp_schemas_load_file(const char *path, char *err,
    size_t errlen);

void ax_ocpp_schemas_free(ax_ocpp_schemas_t *s);

/* 1 if there is a request schema for the action, else 0. */
int ax_ocpp_schemas_has_action(const ax_ocpp_schemas_t *s,
    const char *action, size_t len);

/* How many actions have a request or a response schema. */
size_t ax_ocpp_schemas_count(const ax_ocpp_schemas_t *s);


/*
 * Validates a CALL payload (is_response 0: the request schema of the
 * action) or a CALLRESULT payload answering one of our own CALLs
 * (is_response 1: the response schema; an action without one is not
 * checked and 0 is returned), normalizing it in place under the leniency
 * flags.  Returns 0, or -1 with err->code set as listed above and
 * err->description naming the member, e.g. "chargePointVendor: missing" or
 * "meterValue[0].sampledValue[1].unit: not one of the allowed values"
 * (err->text holds it; err->id and err->type are left as they are, so the
 * err filled by ax_ocpp_parse() can be passed on).
 *
 * *payload is a borrowed pointer (as msg->payload is).  Replacements:
 *   - a null payload under NULL_PAYLOAD: *payload is set to an empty object
 *     that belongs to s (never freed before s; do not modify it);
 *   - members inside the payload (NUMERIC_VALUE; and a real with no
 *     fraction where the schema says integer, 5.0 -> 5, as JSON Schema
 *     deems it an integer) are replaced in their parent, which owns them.
 */
int ax_ocpp_validate(const ax_ocpp_schemas_t *s, const char *action,
    size_t action_len, int is_response, json_t **payload, unsigned flags,
    ax_ocpp_error_t *err);

/*
 * For MeterValues (meterValue) and StopTransaction (transactionData):
 * removes from the payload each sampledValue that fails its schema, each
 * meterValue entry that fails its own (not an object, a missing or bad
 * timestamp, sampledValue missing or not an array, an unknown member),
 * and each meterValue entry left empty by the removals (one already empty
 * as sent is kept: the schema allows it).  Returns how many sampled values
 * and entries were removed for their own faults (entries only left empty
 * not counted), 0 for other actions or payloads that are not objects or
 * have no such array (ax_ocpp_validate() then judges them); first_problem
 * gets the description of the first removal (or "" when none), like
 * "meterValue[0].sampledValue[2].unit: not one of the allowed values",
 * with the indexes as sent.  Call it before ax_ocpp_validate(), with the
 * same flags, so that one bad sampled value never costs the good ones.
 */
int ax_ocpp_filter_sampled_values(const ax_ocpp_schemas_t *s,
    const char *action, json_t *payload, unsigned flags, char *first_problem,
    size_t len);


#endif /* _AX_OCPP_SCHEMA_H_INCLUDED_ */
