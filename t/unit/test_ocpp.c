
/*
 * cmocka tests for the OCPP-J codec (shared/ax_ocpp.c): frame shapes and
 * their errors, the writers (compact output, escaping, round trips) and
 * the timestamps (shared/ax_ocpp_time.c).  The schema validator has its
 * own file, test_ocpp_schema.c.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ax_ocpp.h"


static int
parse(const char *text, ax_ocpp_msg_t *msg, ax_ocpp_error_t *err)
{
    return ax_ocpp_parse((const unsigned char *) text, strlen(text), msg,
                         err);
}


/* a frame that must be refused: FormationViolation, with this id */

static void
refused(const char *text, const char *id, int type, const char *why)
{
    ax_ocpp_msg_t    msg;
    ax_ocpp_error_t  err;

    if (parse(text, &msg, &err) != -1) {
        fail_msg("accepted: %s", text);
    }

    assert_string_equal(err.code, "FormationViolation");
    assert_non_null(err.description);
    assert_ptr_equal(err.description, err.text);
    assert_string_equal(err.id, id);
    assert_int_equal(err.type, type);
    assert_null(msg.root);
    assert_null(msg.payload);

    if (why != NULL && strstr(err.description, why) == NULL) {
        fail_msg("\"%s\": description \"%s\" lacks \"%s\"", text,
                 err.description, why);
    }

    ax_ocpp_msg_free(&msg);
}


static void
test_parse_call(void **state)
{
    ax_ocpp_msg_t    msg;
    ax_ocpp_error_t  err;

    assert_int_equal(parse("[2,\"19223201\",\"BootNotification\","
                           "{\"chargePointVendor\":\"VendorX\","
                           "\"chargePointModel\":\"SingleSocketCharger\"}]",
                           &msg, &err), 0);
    assert_int_equal(msg.type, AX_OCPP_CALL);
    assert_int_equal(msg.id_len, 8);
    assert_memory_equal(msg.id, "19223201", 9);        /* NUL-terminated */
    assert_int_equal(msg.action_len, 16);
    assert_string_equal(msg.action, "BootNotification");
    assert_true(json_is_object(msg.payload));
    assert_string_equal(json_string_value(json_object_get(msg.payload,
                                          "chargePointVendor")), "VendorX");
    assert_ptr_equal(json_array_get(msg.root, 3), msg.payload);
    assert_null(msg.error_code);
    ax_ocpp_msg_free(&msg);
    assert_null(msg.root);

    /* white space anywhere JSON allows it; any payload value */

    assert_int_equal(parse(" \n[ 2 ,\t\"a\" , \"Heartbeat\" , null ]\r\n",
                           &msg, &err), 0);
    assert_string_equal(msg.id, "a");
    assert_true(json_is_null(msg.payload));
    ax_ocpp_msg_free(&msg);

    assert_int_equal(parse("[2,\"a\",\"Heartbeat\",[1]]", &msg, &err), 0);
    assert_true(json_is_array(msg.payload));
    ax_ocpp_msg_free(&msg);

    /* an id of 36 bytes (a GUID) and UTF-8 */

    assert_int_equal(parse("[2,\"123e4567-e89b-12d3-a456-426614174000\","
                           "\"Heartbeat\",{}]", &msg, &err), 0);
    assert_int_equal(msg.id_len, 36);
    ax_ocpp_msg_free(&msg);

    assert_int_equal(parse("[2,\"\xc3\xa9t\xc3\xa9\",\"Heartbeat\",{}]",
                           &msg, &err), 0);
    assert_int_equal(msg.id_len, 5);
    ax_ocpp_msg_free(&msg);

    /* the action is not judged here (the schemas say NotImplemented) */

    assert_int_equal(parse("[2,\"a\",\"\",{}]", &msg, &err), 0);
    assert_int_equal(msg.action_len, 0);
    ax_ocpp_msg_free(&msg);

    /* a harmless double free */
    ax_ocpp_msg_free(&msg);
}


static void
test_parse_result_error(void **state)
{
    ax_ocpp_msg_t    msg;
    ax_ocpp_error_t  err;

    assert_int_equal(parse("[3,\"19223201\",{\"currentTime\":"
                           "\"2013-02-01T20:53:32.486Z\",\"interval\":300,"
                           "\"status\":\"Accepted\"}]", &msg, &err), 0);
    assert_int_equal(msg.type, AX_OCPP_CALLRESULT);
    assert_string_equal(msg.id, "19223201");
    assert_null(msg.action);
    assert_int_equal(json_integer_value(json_object_get(msg.payload,
                                                        "interval")), 300);
    ax_ocpp_msg_free(&msg);

    assert_int_equal(parse("[4,\"162376037\",\"NotSupported\","
                           "\"SetDisplayMessageRequest not implemented\","
                           "{\"a\":1}]", &msg, &err), 0);
    assert_int_equal(msg.type, AX_OCPP_CALLERROR);
    assert_string_equal(msg.id, "162376037");
    assert_string_equal(msg.error_code, "NotSupported");
    assert_string_equal(msg.error_description,
                        "SetDisplayMessageRequest not implemented");
    assert_true(json_is_object(msg.payload));
    ax_ocpp_msg_free(&msg);

    /* CALLERRORs are read leniently: they are never answered */

    assert_int_equal(parse("[4,\"x\",\"GenericError\",\"\"]", &msg, &err), 0);
    assert_string_equal(msg.error_description, "");
    assert_null(msg.payload);
    ax_ocpp_msg_free(&msg);

    assert_int_equal(parse("[4,\"x\",\"GenericError\"]", &msg, &err), 0);
    assert_string_equal(msg.error_description, "");
    assert_null(msg.payload);
    ax_ocpp_msg_free(&msg);

    assert_int_equal(parse("[4,\"x\",\"GenericError\",null,\"oops\"]", &msg,
                           &err), 0);
    assert_string_equal(msg.error_description, "");
    assert_true(json_is_string(msg.payload));
    ax_ocpp_msg_free(&msg);
}


static void
test_match_heartbeat(void **state)
{
    size_t       i, n;
    const char  *id;

    static const char  *no[] = {
        "[2,\"\",\"Heartbeat\",{}]",                   /* empty id */
        "[2, \"a\",\"Heartbeat\",{}]",                 /* not compact */
        "[2,\"a\",\"Heartbeat\",{ }]",
        "[2,\"a\",\"Heartbeat\",null]",
        "[2,\"a\",\"Heartbeat\",{}] ",
        "[2,\"a\",\"HeartBeat\",{}]",
        "[3,\"a\",\"Heartbeat\",{}]",
        "[2,\"a\\\"b\",\"Heartbeat\",{}]",              /* escapes */
        "[2,\"a\\u0041\",\"Heartbeat\",{}]",
        "[2,\"a\tb\",\"Heartbeat\",{}]",              /* control */
        "[2,\"\xc3\xa9\",\"Heartbeat\",{}]",         /* not ASCII */
        "[2,\"1234567890123456789012345678901234567\",\"Heartbeat\",{}]",
        "[2,\"a\",\"Heartbeat\",{}",
        "\",\"Heartbeat\",{}]",
        "",
    };

    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        assert_int_equal(ax_ocpp_match_heartbeat((const unsigned char *) no[i],
                                                 strlen(no[i]), &id, &n),
                         0);
    }

    assert_int_equal(ax_ocpp_match_heartbeat(
        (const unsigned char *) "[2,\"hb-1 x\",\"Heartbeat\",{}]", 27,
        &id, &n), 1);
    assert_int_equal(n, 6);
    assert_memory_equal(id, "hb-1 x", 6);

    assert_int_equal(ax_ocpp_match_heartbeat(
        (const unsigned char *)
        "[2,\"123456789012345678901234567890123456\",\"Heartbeat\",{}]", 57,
        &id, &n), 1);
    assert_int_equal(n, 36);

    (void) state;
}


static void
test_parse_errors(void **state)
{
    char             text[128];
    ax_ocpp_msg_t    msg;
    ax_ocpp_error_t  err;

    /* not JSON: the id is still read from the start of the text */

    refused("[2,\"abc\",\"Heartbeat\",{", "abc", 2, "invalid JSON");
    refused("[2, \"abc\" ,\"Heartbeat\",{\"a\":}]", "abc", 2, "invalid JSON");
    refused("[3,\"r1\",{]", "r1", 3, "invalid JSON");
    refused("", "-1", 0, "invalid JSON");
    refused("   ", "-1", 0, "invalid JSON");
    refused("not json", "-1", 0, "invalid JSON");
    refused("[2,\"a\\\"b\",\"Heartbeat\",{", "-1", 2, "invalid JSON");
    refused("[2,\"0123456789012345678901234567890123456\",", "-1", 2,
            "invalid JSON");
    refused("[2,\"\",", "-1", 2, "invalid JSON");
    refused("[2,\"\xc3\xa9\",", "-1", 2, "invalid JSON");
    refused("[2,\"a\xff\",\"Heartbeat\",{}]", "-1", 2, "invalid JSON");
    refused("[9999,\"abc\",", "-1", 0, "invalid JSON");
    refused("[2,\"a\",\"Heartbeat\",{}] trailing", "a", 2, "invalid JSON");
    refused("[2,\"a\",\"Heartbeat\",{}]]", "a", 2, "invalid JSON");
    refused("[2,\"a\",\"Heartbeat\",{\"k\":\"\\u0000\"}]", "a", 2,
            "invalid JSON");
    refused("[2,\"a\",\"Heartbeat\",{\"k\":1e999}]", "a", 2, "invalid JSON");
    refused("[2,\"a\",\"Heartbeat\",{\"k\":99999999999999999999}]", "a", 2,
            "invalid JSON");
    refused("[2,\"a\",\"Heartbeat\",{\"k\":\"\xff\"}]", "a", 2,
            "invalid JSON");

    /* not an array */

    refused("{}", "-1", 0, "not a JSON array");
    refused("\"[2]\"", "-1", 0, "not a JSON array");
    refused("2", "-1", 0, "not a JSON array");
    refused("null", "-1", 0, "not a JSON array");
    refused("[]", "-1", 0, "empty array");

    /* the message type id */

    refused("[\"2\",\"a\",\"Heartbeat\",{}]", "-1", 0, "not an integer");
    refused("[2.0,\"a\",\"Heartbeat\",{}]", "-1", 0, "not an integer");
    refused("[null,\"a\",\"Heartbeat\",{}]", "-1", 0, "not an integer");
    refused("[5,\"a\",\"Heartbeat\",{}]", "a", 5, "unknown message type id 5");
    refused("[1,\"a\",{}]", "a", 1, "unknown message type id 1");
    refused("[0,\"a\",{}]", "a", 0, "unknown message type id 0");
    refused("[-2,\"a\",\"Heartbeat\",{}]", "a", 0,
            "unknown message type id -2");
    refused("[256,\"a\",{}]", "a", 0, "unknown message type id 256");

    /* the message id */

    refused("[2]", "-1", 2, "no id");
    refused("[2,5,\"Heartbeat\",{}]", "-1", 2, "id is not a string");
    refused("[2,null,\"Heartbeat\",{}]", "-1", 2, "id is not a string");
    refused("[2,\"\",\"Heartbeat\",{}]", "-1", 2, "id is empty");
    refused("[2,\"0123456789012345678901234567890123456\",\"Heartbeat\",{}]",
            "-1", 2, "longer than 36");
    refused("[3,[\"x\"],{}]", "-1", 3, "id is not a string");

    /* CALL shapes */

    refused("[2,\"a\",\"Heartbeat\"]", "a", 2, "4");
    refused("[2,\"a\"]", "a", 2, "4");
    refused("[2,\"a\",\"Heartbeat\",{},{}]", "a", 2, "4");
    refused("[2,\"a\",5,{}]", "a", 2, "action is not a string");
    refused("[2,\"a\",null,{}]", "a", 2, "action is not a string");

    /* CALLRESULT shapes */

    refused("[3,\"a\"]", "a", 3, "3");
    refused("[3,\"a\",{},{}]", "a", 3, "3");

    /* CALLERROR shapes */

    refused("[4,\"a\"]", "a", 4, "5");
    refused("[4,\"a\",\"GenericError\",\"x\",{},1]", "a", 4, "5");
    refused("[4,\"a\",5,\"x\",{}]", "a", 4, "code is not a string");
    refused("[4,\"a\",\"GenericError\",5,{}]", "a", 4,
            "description is not a string");

    /* every error leaves msg empty, whatever it held */

    memset(&msg, 0x55, sizeof(msg));
    assert_int_equal(parse("[7]", &msg, &err), -1);
    assert_null(msg.root);
    assert_null(msg.id);

    /* a long JSON error text is cut to err->text */

    memset(text, '[', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    refused(text, "-1", 0, NULL);
}


static char *
write_json(const char *json)
{
    char          *out;
    json_t        *v;
    json_error_t   jerr;

    v = json_loads(json, JSON_DECODE_ANY, &jerr);
    assert_non_null(v);
    out = ax_ocpp_write_json(v, NULL);
    json_decref(v);

    return out;
}


static void
test_write(void **state)
{
    char             *out;
    size_t            len;
    json_t           *payload;
    ax_ocpp_msg_t     msg;
    ax_ocpp_error_t   err;

    payload = json_pack("{s:s, s:i, s:b, s:n, s:[i, f], s:{}}",
                        "status", "Accepted", "interval", 300, "ok", 1,
                        "none", "list", 1, 16.1, "empty");
    assert_non_null(payload);

    out = ax_ocpp_write_call("c1", "BootNotification", payload, &len);
    assert_string_equal(out, "[2,\"c1\",\"BootNotification\",{\"status\":"
                        "\"Accepted\",\"interval\":300,\"ok\":true,"
                        "\"none\":null,\"list\":[1,16.1],\"empty\":{}}]");
    assert_int_equal(len, strlen(out));

    /* the round trip */

    assert_int_equal(ax_ocpp_parse((unsigned char *) out, len, &msg, &err),
                     0);
    assert_int_equal(msg.type, AX_OCPP_CALL);
    assert_string_equal(msg.action, "BootNotification");
    assert_true(json_equal(msg.payload, payload));
    ax_ocpp_msg_free(&msg);
    free(out);

    /* the id is given with its length: it need not end with a NUL */

    out = ax_ocpp_write_result("r1xxx", 2, payload, &len);
    assert_memory_equal(out, "[3,\"r1\",{\"status\":", 18);
    assert_int_equal(ax_ocpp_parse((unsigned char *) out, len, &msg, &err),
                     0);
    assert_int_equal(msg.type, AX_OCPP_CALLRESULT);
    assert_string_equal(msg.id, "r1");
    assert_true(json_equal(msg.payload, payload));
    ax_ocpp_msg_free(&msg);
    free(out);

    out = ax_ocpp_write_result("r1", 2, NULL, &len);
    assert_string_equal(out, "[3,\"r1\",{}]");
    free(out);

    out = ax_ocpp_write_call("c", "Heartbeat", NULL, NULL);
    assert_string_equal(out, "[2,\"c\",\"Heartbeat\",{}]");
    free(out);

    out = ax_ocpp_write_error("-1", 2, "FormationViolation", NULL, NULL,
                              &len);
    assert_string_equal(out, "[4,\"-1\",\"FormationViolation\",\"\",{}]");
    assert_int_equal(len, strlen(out));
    free(out);

    out = ax_ocpp_write_error("e", 1, "GenericError", "d", payload, &len);
    assert_int_equal(ax_ocpp_parse((unsigned char *) out, len, &msg, &err),
                     0);
    assert_int_equal(msg.type, AX_OCPP_CALLERROR);
    assert_string_equal(msg.error_code, "GenericError");
    assert_string_equal(msg.error_description, "d");
    assert_true(json_equal(msg.payload, payload));
    ax_ocpp_msg_free(&msg);
    free(out);

    json_decref(payload);
}


static void
test_write_escaping(void **state)
{
    char             *out;
    size_t            len;
    json_t           *v;
    ax_ocpp_msg_t     msg;
    ax_ocpp_error_t   err;

    /* what JSON requires and nothing else: "/" and UTF-8 stay as they are */

    out = ax_ocpp_write_error("a\"b", 3, "GenericError",
                              "q\" b\\ n\n r\r t\t \b\f \x01\x1f / \x7f "
                              "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x8c",
                              NULL, &len);
    assert_string_equal(out, "[4,\"a\\\"b\",\"GenericError\","
                        "\"q\\\" b\\\\ n\\n r\\r t\\t \\b\\f \\u0001\\u001f "
                        "/ \x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x8c\",{}]");

    assert_int_equal(ax_ocpp_parse((unsigned char *) out, len, &msg, &err),
                     0);
    assert_string_equal(msg.id, "a\"b");
    assert_string_equal(msg.error_description,
                        "q\" b\\ n\n r\r t\t \b\f \x01\x1f / \x7f "
                        "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x8c");
    ax_ocpp_msg_free(&msg);
    free(out);

    /* bytes that are not UTF-8 become U+FFFD: the output stays JSON */

    out = ax_ocpp_write_error("x", 1, "GenericError",
                              "a\xff" "b\xc3" "c\xe2\x82" "d\xed\xa0\x80"
                              "e\xc0\xaf" "f\xf4\x90\x80\x80" "g\xc3",
                              NULL, &len);
    assert_string_equal(out, "[4,\"x\",\"GenericError\",\"a\\ufffdb\\ufffdc"
                        "\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffde\\ufffd\\ufffd"
                        "f\\ufffd\\ufffd\\ufffd\\ufffdg\\ufffd\",{}]");
    assert_int_equal(ax_ocpp_parse((unsigned char *) out, len, &msg, &err),
                     0);
    ax_ocpp_msg_free(&msg);
    free(out);

    /* object keys are escaped too */

    v = json_object();
    json_object_set_new(v, "k\"\n", json_string("v"));
    out = ax_ocpp_write_json(v, &len);
    assert_string_equal(out, "{\"k\\\"\\n\":\"v\"}");
    free(out);
    json_decref(v);
}


static void
test_write_numbers(void **state)
{
    char  *out;

    /* reals in their shortest exact form, integers as they are */

    out = write_json("[0.1,16.1,12.3,-0.5,1e300,5.0,0.0,-0.0,"
                     "0.30000000000000004,123456789.123,1e-7,2.5e-300]");
    assert_string_equal(out, "[0.1,16.1,12.3,-0.5,1e+300,5.0,0.0,-0.0,"
                        "0.30000000000000004,123456789.123,1e-07,"
                        "2.5e-300]");
    free(out);

    out = write_json("[0,-1,9223372036854775807,-9223372036854775808]");
    assert_string_equal(out, "[0,-1,9223372036854775807,"
                        "-9223372036854775808]");
    free(out);

    out = write_json("{\"a\":[true,false,null,\"\",[],{}]}");
    assert_string_equal(out, "{\"a\":[true,false,null,\"\",[],{}]}");
    free(out);

    out = write_json("\"text\"");
    assert_string_equal(out, "\"text\"");
    free(out);
}


static void
time_ok(const char *s, int lenient, long long expect)
{
    long long  ms;

    ms = -12345;

    if (ax_ocpp_time_parse(s, strlen(s), lenient, &ms) != 0) {
        fail_msg("refused: \"%s\" (lenient %d)", s, lenient);
    }

    if (ms != expect) {
        fail_msg("\"%s\": %lld, not %lld", s, ms, expect);
    }
}


static void
time_bad(const char *s, int lenient)
{
    long long  ms;

    if (ax_ocpp_time_parse(s, strlen(s), lenient, &ms) == 0) {
        fail_msg("accepted: \"%s\" (lenient %d)", s, lenient);
    }
}


#define T2026  1795512600000LL      /* 2026-11-24T09:30:00Z */


static void
test_time_parse(void **state)
{
    int  lenient;

    for (lenient = 0; lenient <= 1; lenient++) {
        time_ok("2026-11-24T09:30:00Z", lenient, T2026);
        time_ok("2026-11-24t09:30:00z", lenient, T2026);
        time_ok("2026-11-24 09:30:00Z", lenient, T2026);
        time_ok("2026-11-24T09:30:00.000Z", lenient, T2026);
        time_ok("2026-11-24T09:30:00.5Z", lenient, T2026 + 500);
        time_ok("2026-11-24T09:30:00.12Z", lenient, T2026 + 120);
        time_ok("2026-11-24T09:30:00.123456789Z", lenient, T2026 + 123);
        time_ok("2026-11-24T11:30:00+02:00", lenient, T2026);
        time_ok("2026-11-24T04:00:00-05:30", lenient, T2026);
        time_ok("2026-11-24T12:30:00+0300", lenient, T2026);
        time_ok("2026-11-24T12:30:00+03", lenient, T2026);
        time_ok("2026-11-24T12:30:00.250+03", lenient, T2026 + 250);
        time_ok("2026-11-24T09:30:00+00:00", lenient, T2026);
        time_ok("2026-11-24T09:30:00-00:00", lenient, T2026);
        time_ok("2026-11-24T23:30:00+23:59", lenient,
                T2026 - 9 * 3600000LL - 59 * 60000LL);

        time_ok("1970-01-01T00:00:00Z", lenient, 0);
        time_ok("1969-12-31T23:59:59.999Z", lenient, -1);
        time_ok("1900-01-01T00:00:00Z", lenient, -2208988800000LL);
        time_ok("0000-01-01T00:00:00Z", lenient, -62167219200000LL);
        time_ok("9999-12-31T23:59:59.999Z", lenient, 253402300799999LL);
        time_ok("2024-02-29T00:00:00Z", lenient, 1709164800000LL);
        time_ok("2000-02-29T00:00:00Z", lenient, 951782400000LL);
        time_ok("2016-12-31T23:59:60Z", lenient, 1483228800000LL);

        time_bad("", lenient);
        time_bad("garbage", lenient);
        time_bad("2026-11-24", lenient);
        time_bad("2026-11-24T09:30Z", lenient);
        time_bad("2026-11-24T09:30:00.Z", lenient);
        time_bad("2026-11-24T09:30:00ZZ", lenient);
        time_bad("2026-11-24T09:30:00Z ", lenient);
        time_bad(" 2026-11-24T09:30:00Z", lenient);
        time_bad("2026-11-24X09:30:00Z", lenient);
        time_bad("2026/11/24T09:30:00Z", lenient);
        time_bad("26-11-24T09:30:00Z", lenient);
        time_bad("2026-1-24T09:30:00Z", lenient);
        time_bad("2026-13-24T09:30:00Z", lenient);
        time_bad("2026-00-24T09:30:00Z", lenient);
        time_bad("2026-11-00T09:30:00Z", lenient);
        time_bad("2026-11-31T09:30:00Z", lenient);
        time_bad("2023-02-29T00:00:00Z", lenient);
        time_bad("1900-02-29T00:00:00Z", lenient);
        time_bad("2026-11-24T24:00:00Z", lenient);
        time_bad("2026-11-24T09:60:00Z", lenient);
        time_bad("2026-11-24T09:30:60Z", lenient);
        time_bad("2026-11-24T09:30:61Z", lenient);
        time_bad("2026-11-24T09:30:00+3:00", lenient);
        time_bad("2026-11-24T09:30:00+03:0", lenient);
        time_bad("2026-11-24T09:30:00+03:00:00", lenient);
        time_bad("2026-11-24T09:30:00+24:00", lenient);
        time_bad("2026-11-24T09:30:00+03:60", lenient);
        time_bad("2026-11-24T09:30:00+", lenient);
        time_bad("2026-11-24T09:30:00 +03:00", lenient);
        time_bad("2026-11-24T09:30:00UTC", lenient);
        time_bad("2026-11-24T09:30:00,5Z", lenient);
        time_bad("\xef\xbc\x92" "026-11-24T09:30:00Z", lenient);
    }

    /* without an offset: local time read as UTC, when lenient only */

    time_bad("2026-11-24T09:30:00", 0);
    time_bad("2026-11-24T09:30:00.5", 0);
    time_ok("2026-11-24T09:30:00", 1, T2026);
    time_ok("2026-11-24T09:30:00.5", 1, T2026 + 500);
    time_ok("2026-11-24 09:30:00", 1, T2026);
    time_bad("2026-11-24T09:30:00.", 1);

    /* the length bounds the text: no NUL is needed */

    {
        long long  ms;

        assert_int_equal(ax_ocpp_time_parse("2026-11-24T09:30:00Zjunk", 20, 0,
                                            &ms), 0);
        assert_int_equal(ms, T2026);
        assert_int_equal(ax_ocpp_time_parse("2026-11-24T09:30:00Z", 19, 0,
                                            &ms), -1);
    }
}


static void
test_time_format(void **state)
{
    char       out[25];
    long long  t, ms;
    unsigned   seed;

    ax_ocpp_time_format(T2026, out);
    assert_string_equal(out, "2026-11-24T09:30:00.000Z");
    assert_int_equal(strlen(out), AX_OCPP_TIME_LEN);

    ax_ocpp_time_format(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");

    ax_ocpp_time_format(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");

    ax_ocpp_time_format(-1000, out);
    assert_string_equal(out, "1969-12-31T23:59:59.000Z");

    ax_ocpp_time_format(1709164800123LL, out);
    assert_string_equal(out, "2024-02-29T00:00:00.123Z");

    ax_ocpp_time_format(951868799999LL, out);
    assert_string_equal(out, "2000-02-29T23:59:59.999Z");

    /* clamped to four-digit years */

    ax_ocpp_time_format(-62167219200001LL, out);
    assert_string_equal(out, "0000-01-01T00:00:00.000Z");

    ax_ocpp_time_format(253402300800000LL, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");

    ax_ocpp_time_format(INT64_MAX, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");

    ax_ocpp_time_format(INT64_MIN, out);
    assert_string_equal(out, "0000-01-01T00:00:00.000Z");

    /* round trips over years 0000..9999 */

    seed = 12345;

    for (t = 0; t < 100000; t++) {
        seed = seed * 1103515245 + 12345;
        ms = ((long long) seed << 17 ^ (long long) (seed >> 7) * 977)
             % 315537897600000LL - 62167219200000LL;

        ax_ocpp_time_format(ms, out);

        if (ms < -62167219200000LL) {
            continue;
        }

        {
            long long  back;

            if (ax_ocpp_time_parse(out, AX_OCPP_TIME_LEN, 0, &back) != 0
                || back != ms)
            {
                fail_msg("%lld -> %s -> %lld", ms, out, back);
            }
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse_call),
        cmocka_unit_test(test_parse_result_error),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_match_heartbeat),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_write_escaping),
        cmocka_unit_test(test_write_numbers),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
