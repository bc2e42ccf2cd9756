
/*
 * libFuzzer target for the OCPP-J codec and the schema validator
 * (shared/ax_ocpp.c, ax_ocpp_time.c, ax_ocpp_schema.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all -Ishared -o build/fuzz/fuzz_ocpp \
 *       t/fuzz/fuzz_ocpp.c shared/ax_ocpp.c shared/ax_ocpp_time.c \
 *       shared/ax_ocpp_schema.c -ljansson
 *   build/fuzz/fuzz_ocpp -max_total_time=300 [corpus dir]
 *
 * The official schemas are read from $AX_OCPP_SCHEMAS or
 * build/node_modules/ocpp-rpc/lib/schemas/ocpp1_6.json when there; a small
 * inline set (with $ref, multipleOf, type arrays, formats) is always used.
 *
 * Input: byte 0 chooses the leniency flags (bits 0..4) and the mode (bits
 * 5..6); the rest is the text.
 *   0  a frame: parsed, then validated (CALL: as a request, after the
 *      sampled value filter; CALLRESULT: as the response of an action
 *      chosen by the id), written back and parsed again;
 *   1  byte 1 chooses an action and request/response, the rest is its
 *      payload as JSON;
 *   2  a timestamp (bit 0 of byte 0: lenient), formatted and read back;
 *   3  a schema document: compiled, then used on a few payloads.
 * Checked: no crash, no leak, no undefined behaviour, and
 *   - a frame that ax_ocpp_match_heartbeat() takes parses to the same
 *     Heartbeat CALL;
 *   - errors carry a code, a description and an id of at most 36 bytes,
 *     and the CALLERROR written from them is a valid frame;
 *   - what validates once validates again (normalizing is idempotent),
 *     and a filtered payload filters to itself;
 *   - written frames parse back to the same values.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax_ocpp.h"
#include "ax_ocpp_schema.h"


#define check(c)   do { if (!(c)) { abort(); } } while (0)


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const char  fz_inline_schemas[] =
    "["
    "{\"$id\":\"urn:Heartbeat.req\",\"type\":\"object\","
    " \"properties\":{},\"additionalProperties\":false},"
    "{\"$id\":\"urn:Heartbeat.conf\",\"type\":\"object\","
    " \"properties\":{\"currentTime\":{\"type\":\"string\","
    "  \"format\":\"date-time\"}},\"required\":[\"currentTime\"],"
    " \"additionalProperties\":false},"
    "{\"$id\":\"urn:MeterValues.req\",\"type\":\"object\","
    " \"properties\":{\"connectorId\":{\"type\":\"integer\"},"
    "  \"meterValue\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
    "   \"properties\":{\"timestamp\":{\"type\":\"string\","
    "    \"format\":\"date-time\"},"
    "    \"sampledValue\":{\"type\":\"array\",\"items\":{"
    "     \"type\":\"object\",\"properties\":{"
    "      \"value\":{\"type\":\"string\"},"
    "      \"measurand\":{\"type\":\"string\",\"enum\":[\"Voltage\","
    "       \"Energy.Active.Import.Register\",\"Frequency\"]},"
    "      \"unit\":{\"type\":\"string\",\"enum\":[\"Wh\",\"V\",\"Celcius\","
    "       \"Fahrenheit\"]}},"
    "     \"required\":[\"value\"],\"additionalProperties\":false}}},"
    "   \"required\":[\"timestamp\",\"sampledValue\"],"
    "   \"additionalProperties\":false}}},"
    " \"required\":[\"connectorId\",\"meterValue\"],"
    " \"additionalProperties\":false},"
    "{\"$id\":\"urn:Thing.req\",\"type\":\"object\","
    " \"definitions\":{\"N\":{\"type\":[\"array\",\"null\"],"
    "  \"items\":{\"$ref\":\"#/definitions/N\"},\"maxItems\":3},"
    "  \"S\":{\"type\":\"string\",\"maxLength\":4,\"minLength\":1}},"
    " \"properties\":{\"n\":{\"$ref\":\"#/definitions/N\"},"
    "  \"s\":{\"$ref\":\"#/definitions/S\"},"
    "  \"x\":{\"type\":\"number\",\"multipleOf\":0.1,\"minimum\":-5,"
    "   \"exclusiveMaximum\":1000},"
    "  \"u\":{\"type\":\"string\",\"format\":\"uri\"},"
    "  \"e\":{\"enum\":[1,\"one\",null,[1]]},"
    "  \"m\":{\"type\":\"object\",\"additionalProperties\":"
    "   {\"type\":\"integer\",\"minimum\":0}}},"
    " \"required\":[\"s\"]}"
    "]";


static const char  *fz_actions[] = {
    "Authorize", "BootNotification", "DataTransfer",
    "DiagnosticsStatusNotification", "FirmwareStatusNotification",
    "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification",
    "StopTransaction", "RemoteStartTransaction", "RemoteStopTransaction",
    "Reset", "GetConfiguration", "ChangeConfiguration", "SetChargingProfile",
    "GetCompositeSchedule", "TriggerMessage", "UnlockConnector",
    "GetDiagnostics", "SendLocalList", "Thing", "Nope", ""
};

#define FZ_NACTIONS  (sizeof(fz_actions) / sizeof(fz_actions[0]))


static ax_ocpp_schemas_t  *fz_sets[2];
static int                 fz_nsets;


static void
fz_init(void)
{
    char                err[256];
    const char         *path;
    ax_ocpp_schemas_t  *s;

    if (fz_nsets) {
        return;
    }

    s = ax_ocpp_schemas_load(fz_inline_schemas, sizeof(fz_inline_schemas) - 1,
                             err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "inline schemas: %s\n", err);
        abort();
    }

    fz_sets[fz_nsets++] = s;

    path = getenv("AX_OCPP_SCHEMAS");

    if (path == NULL || path[0] == '\0') {
        path = "build/node_modules/ocpp-rpc/lib/schemas/ocpp1_6.json";
    }

    s = ax_ocpp_schemas_load_file(path, err, sizeof(err));

    if (s != NULL) {
        fz_sets[fz_nsets++] = s;

    } else {
        fprintf(stderr, "fuzz_ocpp: %s; the inline schemas only\n", err);
    }
}


static void
fz_check_error(const ax_ocpp_error_t *err)
{
    char             *out;
    size_t            len;
    ax_ocpp_msg_t     msg;
    ax_ocpp_error_t   err2;

    check(err->code != NULL);
    check(err->description != NULL);
    check(strlen(err->id) <= 36);
    check(strlen(err->text) < sizeof(err->text));

    out = ax_ocpp_write_error(err->id, strlen(err->id), err->code,
                              err->description, NULL, &len);
    check(out != NULL);
    check(strlen(out) == len);
    check(ax_ocpp_parse((unsigned char *) out, len, &msg, &err2) == 0);
    check(msg.type == AX_OCPP_CALLERROR);
    check(strcmp(msg.error_code, err->code) == 0);

    ax_ocpp_msg_free(&msg);
    free(out);
}


/* validates; when valid, validating again must agree */

static void
fz_validate(ax_ocpp_schemas_t *s, const char *action, int resp,
    json_t **payload, unsigned flags)
{
    int               rc;
    json_t           *p;
    ax_ocpp_error_t   err;

    memset(&err, 0, sizeof(err));
    strcpy(err.id, "x");

    rc = ax_ocpp_validate(s, action, strlen(action), resp, payload, flags,
                          &err);

    if (rc != 0) {
        check(rc == -1);
        fz_check_error(&err);
        return;
    }

    p = *payload;

    check(ax_ocpp_validate(s, action, strlen(action), resp, &p, flags, &err)
          == 0);
    check(p == *payload);
}


static void
fz_filter(ax_ocpp_schemas_t *s, const char *action, json_t *payload,
    unsigned flags)
{
    int     n;
    char    problem[200];
    json_t  *copy;

    copy = json_deep_copy(payload);
    n = ax_ocpp_filter_sampled_values(s, action, payload, flags, problem,
                                      sizeof(problem));
    check(n >= 0);
    check(strlen(problem) < sizeof(problem));
    check(n > 0 || json_is_object(payload) == 0
          || problem[0] == '\0');

    if (n == 0 && copy != NULL) {
        /* nothing dropped: at most normalized, and the entries left */
        check(json_is_object(payload) == json_is_object(copy));
    }

    json_decref(copy);

    /* filtered once, nothing more to drop */
    check(ax_ocpp_filter_sampled_values(s, action, payload, flags, problem,
                                        sizeof(problem))
          == 0);
}


static void
fz_roundtrip(const ax_ocpp_msg_t *msg)
{
    char             *out;
    size_t            len;
    ax_ocpp_msg_t     back;
    ax_ocpp_error_t   err;

    switch (msg->type) {

    case AX_OCPP_CALL:
        out = ax_ocpp_write_call(msg->id, msg->action, msg->payload, &len);
        break;

    case AX_OCPP_CALLRESULT:
        out = ax_ocpp_write_result(msg->id, msg->id_len, msg->payload, &len);
        break;

    default:
        out = ax_ocpp_write_error(msg->id, msg->id_len, msg->error_code,
                                  msg->error_description, msg->payload, &len);
        break;
    }

    check(out != NULL);
    check(strlen(out) == len);
    check(ax_ocpp_parse((unsigned char *) out, len, &back, &err) == 0);
    check(back.type == msg->type);
    check(back.id_len == msg->id_len);
    check(memcmp(back.id, msg->id, msg->id_len) == 0);

    if (msg->type == AX_OCPP_CALL) {
        check(strcmp(back.action, msg->action) == 0);
    }

    if (msg->type == AX_OCPP_CALLERROR) {
        check(strcmp(back.error_code, msg->error_code) == 0);
        check(strcmp(back.error_description, msg->error_description) == 0);
    }

    if (msg->payload != NULL) {
        check(json_equal(back.payload, msg->payload));
    }

    ax_ocpp_msg_free(&back);
    free(out);
}


static void
fz_frame(const uint8_t *data, size_t size, unsigned flags)
{
    int               i, fast;
    size_t            h, k, id_len;
    const char       *id;
    ax_ocpp_msg_t     msg;
    ax_ocpp_error_t   err;

    fast = ax_ocpp_match_heartbeat(data, size, &id, &id_len);

    if (ax_ocpp_parse(data, size, &msg, &err) != 0) {
        /* what the Heartbeat matcher takes always parses */
        check(!fast);
        check(msg.root == NULL);
        fz_check_error(&err);
        return;
    }

    if (fast) {
        check(msg.type == AX_OCPP_CALL);
        check(msg.id_len == id_len && memcmp(msg.id, id, id_len) == 0);
        check(strcmp(msg.action, "Heartbeat") == 0);
        check(json_is_object(msg.payload) && json_object_size(msg.payload)
                                             == 0);
    }

    check(msg.root != NULL);
    check(msg.id_len >= 1 && msg.id_len <= 36);
    check(strlen(msg.id) == msg.id_len);

    fz_roundtrip(&msg);

    for (i = 0; i < fz_nsets; i++) {
        if (msg.type == AX_OCPP_CALL) {
            check(strlen(msg.action) == msg.action_len);
            fz_filter(fz_sets[i], msg.action, msg.payload, flags);
            fz_validate(fz_sets[i], msg.action, 0, &msg.payload, flags);

        } else if (msg.type == AX_OCPP_CALLRESULT) {
            for (h = 0, k = 0; k < msg.id_len; k++) {
                h = h * 31 + (unsigned char) msg.id[k];
            }

            fz_validate(fz_sets[i], fz_actions[h % FZ_NACTIONS], 1,
                        &msg.payload, flags);
        }
    }

    /* normalized: still written and read back the same */
    fz_roundtrip(&msg);

    ax_ocpp_msg_free(&msg);
}


static void
fz_payload(const uint8_t *data, size_t size, unsigned flags)
{
    int            i, resp;
    char          *out;
    size_t         len;
    json_t        *v, *back;
    const char    *action;
    json_error_t   jerr;

    if (size < 1) {
        return;
    }

    action = fz_actions[data[0] % FZ_NACTIONS];
    resp = data[0] >> 7;

    v = json_loadb((const char *) data + 1, size - 1, JSON_DECODE_ANY, &jerr);

    if (v == NULL) {
        return;
    }

    for (i = 0; i < fz_nsets; i++) {
        if (!resp) {
            fz_filter(fz_sets[i], action, v, flags);
        }

        /* v stays owned here: a replacement is the schemas' own {} */
        {
            json_t  *p = v;

            fz_validate(fz_sets[i], action, resp, &p, flags);
        }
    }

    out = ax_ocpp_write_json(v, &len);
    check(out != NULL);
    back = json_loadb(out, len, JSON_DECODE_ANY, &jerr);
    check(back != NULL);
    check(json_equal(back, v));
    json_decref(back);
    free(out);

    json_decref(v);
}


static void
fz_time(const uint8_t *data, size_t size, int lenient)
{
    char       out[25];
    long long  ms, back;

    if (ax_ocpp_time_parse((const char *) data, size, lenient, &ms) != 0) {
        return;
    }

    /* what was accepted strictly is accepted leniently, the same */
    if (!lenient) {
        check(ax_ocpp_time_parse((const char *) data, size, 1, &back) == 0);
        check(back == ms);
    }

    ax_ocpp_time_format(ms, out);
    check(strlen(out) == 24);

    if (ms >= -62167219200000LL && ms <= 253402300799999LL) {
        check(ax_ocpp_time_parse(out, 24, 0, &back) == 0);
        check(back == ms);
    }
}


static void
fz_schema(const uint8_t *data, size_t size, unsigned flags)
{
    size_t              i;
    char                err[128];
    json_t             *v;
    json_error_t        jerr;
    ax_ocpp_schemas_t  *s;

    static const char  *payloads[] = {
        "{}", "null", "[]", "{\"a\":1,\"b\":\"x\",\"c\":[1,2.5,null]}",
        "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2026-11-24T09:30:00Z\",\"sampledValue\":[{\"value\":1}]}]}",
        NULL
    };

    s = ax_ocpp_schemas_load((const char *) data, size, err, sizeof(err));

    if (s == NULL) {
        check(strlen(err) < sizeof(err));
        return;
    }

    check(ax_ocpp_schemas_count(s) > 0);

    for (i = 0; payloads[i] != NULL; i++) {
        v = json_loads(payloads[i], JSON_DECODE_ANY, &jerr);
        check(v != NULL);

        {
            size_t   k;
            json_t  *p;

            for (k = 0; k < FZ_NACTIONS; k++) {
                fz_filter(s, fz_actions[k], v, flags);
                p = v;
                fz_validate(s, fz_actions[k], 0, &p, flags);
                p = v;
                fz_validate(s, fz_actions[k], 1, &p, flags);
            }
        }

        json_decref(v);
    }

    ax_ocpp_schemas_free(s);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned  flags, mode;

    fz_init();

    if (size < 1) {
        return 0;
    }

    flags = data[0] & 0x1f;
    mode = (data[0] >> 5) & 3;
    data++;
    size--;

    switch (mode) {
    case 0:
        fz_frame(data, size, flags);
        break;
    case 1:
        fz_payload(data, size, flags);
        break;
    case 2:
        fz_time(data, size, flags & 1);
        break;
    default:
        fz_schema(data, size, flags);
        break;
    }

    return 0;
}
