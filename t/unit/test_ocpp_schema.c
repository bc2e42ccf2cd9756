
/*
 * cmocka tests for the OCPP 1.6 schema compiler and validator
 * (shared/ax_ocpp_schema.c).
 *
 * The official schemas come from the npm package ocpp-rpc, fetched at build
 * time, never committed: $AX_OCPP_SCHEMAS when set (then a missing or
 * broken file FAILS the tests), else build/node_modules/ocpp-rpc/lib/
 * schemas/ocpp1_6.json from the current directory or from beside the test
 * binary (build/unit/..).  Without the file, the tests that need it are
 * skipped, with a message; the compiler's own tests use small inline
 * schemas and always run.
 *
 * The last test prints (does not assert) the cost of parse + validate of
 * a Heartbeat and of a MeterValues.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ax_ocpp.h"
#include "ax_ocpp_schema.h"


#define SCHEMAS_PATH  "build/node_modules/ocpp-rpc/lib/schemas/ocpp1_6.json"

#define ALL           AX_OCPP_LENIENT_ALL
#define STRICT        0

#define NOW           "\"2026-11-24T09:30:00.000Z\""


static ax_ocpp_schemas_t  *S;


static int
group_setup(void **state)
{
    char         err[256], exe[4096], path[4200], *slash;
    ssize_t      n;
    const char  *env;

    env = getenv("AX_OCPP_SCHEMAS");

    if (env != NULL && env[0] != '\0') {
        S = ax_ocpp_schemas_load_file(env, err, sizeof(err));

        if (S == NULL) {
            fprintf(stderr, "AX_OCPP_SCHEMAS=%s: %s\n", env, err);
            return -1;
        }

        return 0;
    }

    path[0] = '\0';

    if (access(SCHEMAS_PATH, R_OK) == 0) {
        snprintf(path, sizeof(path), "%s", SCHEMAS_PATH);

    } else {
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n > 0) {
            exe[n] = '\0';
            slash = strrchr(exe, '/');

            if (slash != NULL) {
                *slash = '\0';
                snprintf(path, sizeof(path),
                         "%s/../node_modules/ocpp-rpc/lib/schemas/"
                         "ocpp1_6.json", exe);

                if (access(path, R_OK) != 0) {
                    path[0] = '\0';
                }
            }
        }
    }

    if (path[0] == '\0') {
        printf("SKIPPING the tests on the official OCPP 1.6 schemas: "
               "%s not found (run ./build.sh build, or set AX_OCPP_SCHEMAS "
               "to ocpp-rpc's lib/schemas/ocpp1_6.json)\n", SCHEMAS_PATH);
        S = NULL;
        return 0;
    }

    S = ax_ocpp_schemas_load_file(path, err, sizeof(err));

    if (S == NULL) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }

    return 0;
}


static int
group_teardown(void **state)
{
    ax_ocpp_schemas_free(S);
    S = NULL;

    return 0;
}


#define need_schemas()                                                       \
    if (S == NULL) {                                                         \
        skip();                                                              \
    }


static json_t *
load(const char *text)
{
    json_t        *v;
    json_error_t   jerr;

    v = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (v == NULL) {
        fail_msg("bad test JSON: %s: %s", jerr.text, text);
    }

    return v;
}


/*
 * Validates text against the schema of action; expects code (NULL: valid)
 * and, when given, desc as the exact description.  Returns the payload as
 * it is after validation (normalized), to be freed by the caller, when
 * keep is set.
 */

static json_t *
check_in(const ax_ocpp_schemas_t *s, const char *action, int resp,
    const char *text, unsigned flags, const char *code, const char *desc,
    int keep)
{
    int               rc;
    json_t           *v, *orig;
    ax_ocpp_error_t   err;

    orig = load(text);
    v = orig;

    memset(&err, 0, sizeof(err));
    strcpy(err.id, "keep");
    err.type = 77;

    rc = ax_ocpp_validate(s, action, strlen(action), resp, &v, flags, &err);

    if (code == NULL) {
        if (rc != 0) {
            fail_msg("%s%s %s: refused: %s: %s", action,
                     resp ? ".conf" : "", text, err.code, err.description);
        }

    } else {
        if (rc != -1) {
            fail_msg("%s%s %s (flags %#x): accepted", action,
                     resp ? ".conf" : "", text, flags);
        }

        if (strcmp(err.code, code) != 0) {
            fail_msg("%s %s: %s (%s), not %s", action, text, err.code,
                     err.description, code);
        }

        if (desc != NULL && strcmp(err.description, desc) != 0) {
            fail_msg("%s %s: description \"%s\", not \"%s\"", action, text,
                     err.description, desc);
        }

        assert_ptr_equal(err.description, err.text);
    }

    /* validation leaves the id and the type of the parse error alone */
    assert_string_equal(err.id, "keep");
    assert_int_equal(err.type, 77);

    if (keep) {
        if (v != orig) {
            /* the borrowed {} of s: an owned copy for the caller */
            json_decref(orig);
            return json_deep_copy(v);
        }
        return v;
    }

    json_decref(orig);

    return NULL;
}


#define OK(action, text, flags)                                              \
    check_in(S, action, 0, text, flags, NULL, NULL, 0)
#define BAD(action, text, flags, code, desc)                                 \
    check_in(S, action, 0, text, flags, code, desc, 0)
#define OK_CONF(action, text)                                                \
    check_in(S, action, 1, text, ALL, NULL, NULL, 0)
#define BAD_CONF(action, text, code, desc)                                   \
    check_in(S, action, 1, text, ALL, code, desc, 0)

#define OCV   "OccurenceConstraintViolation"
#define TCV   "TypeConstraintViolation"
#define PCV   "PropertyConstraintViolation"
#define FV    "FormationViolation"
#define NI    "NotImplemented"


static void
test_load_official(void **state)
{
    size_t        i;
    const char   *cp[] = {
        "Authorize", "BootNotification", "DataTransfer",
        "DiagnosticsStatusNotification", "FirmwareStatusNotification",
        "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification",
        "StopTransaction", NULL
    };
    const char   *cs[] = {
        "CancelReservation", "ChangeAvailability", "ChangeConfiguration",
        "ClearCache", "ClearChargingProfile", "GetCompositeSchedule",
        "GetConfiguration", "GetDiagnostics", "GetLocalListVersion",
        "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow",
        "Reset", "SendLocalList", "SetChargingProfile", "TriggerMessage",
        "UnlockConnector", "UpdateFirmware", NULL
    };

    need_schemas();

    /* 28 actions of OCPP 1.6, and those of the security whitepaper */
    assert_true(ax_ocpp_schemas_count(S) >= 28);

    for (i = 0; cp[i] != NULL; i++) {
        assert_true(ax_ocpp_schemas_has_action(S, cp[i], strlen(cp[i])));
    }

    for (i = 0; cs[i] != NULL; i++) {
        assert_true(ax_ocpp_schemas_has_action(S, cs[i], strlen(cs[i])));
    }

    assert_false(ax_ocpp_schemas_has_action(S, "Foo", 3));
    assert_false(ax_ocpp_schemas_has_action(S, "", 0));
    assert_false(ax_ocpp_schemas_has_action(S, "heartbeat", 9));
    assert_false(ax_ocpp_schemas_has_action(S, "Heartbeat.req", 13));
    assert_true(ax_ocpp_schemas_has_action(S, "HeartbeatX", 9));
}


static void
test_error_codes(void **state)
{
    need_schemas();

    /* NotImplemented: requests only */

    BAD("Foo", "{}", ALL, NI, "unknown action \"Foo\"");
    BAD("", "{}", ALL, NI, "unknown action \"\"");
    BAD("heartbeat", "{}", ALL, NI, NULL);
    OK_CONF("Foo", "{\"anything\":1}");

    /* FormationViolation: not an object */

    BAD("Heartbeat", "[]", ALL, FV, "payload: not an object");
    BAD("Heartbeat", "\"{}\"", ALL, FV, "payload: not an object");
    BAD("Heartbeat", "5", ALL, FV, "payload: not an object");
    BAD("Heartbeat", "null", STRICT, FV, "payload: not an object");
    BAD("BootNotification", "null", ALL, FV, "payload: not an object");
    BAD_CONF("Reset", "[\"Accepted\"]", FV, "payload: not an object");

    /* OccurenceConstraintViolation: missing, the 1.6 spelling */

    BAD("BootNotification", "{\"chargePointVendor\":\"V\"}", ALL, OCV,
        "chargePointModel: missing");

    /* TypeConstraintViolation */

    BAD("BootNotification", "{\"chargePointVendor\":1,"
        "\"chargePointModel\":\"M\"}", ALL, TCV,
        "chargePointVendor: not a string");

    /* PropertyConstraintViolation: length, enum, format, unknown member */

    BAD("BootNotification", "{\"chargePointVendor\":"
        "\"123456789012345678901\",\"chargePointModel\":\"M\"}", ALL, PCV,
        "chargePointVendor: longer than 20 characters");
    BAD("BootNotification", "{\"chargePointVendor\":\"V\","
        "\"chargePointModel\":\"M\",\"color\":\"red\"}", ALL, PCV,
        "color: unknown property");
    BAD("StatusNotification", "{\"connectorId\":1,\"errorCode\":\"Error\","
        "\"status\":\"Available\"}", ALL, PCV,
        "errorCode: not one of the allowed values");
    BAD("StartTransaction", "{\"connectorId\":1,\"idTag\":\"T\","
        "\"meterStart\":0,\"timestamp\":\"yesterday\"}", ALL, PCV,
        "timestamp: not a valid date-time");
}


static void
test_cp_actions(void **state)
{
    need_schemas();

    /* Authorize */

    OK("Authorize", "{\"idTag\":\"ABCD1234\"}", STRICT);
    OK("Authorize", "{\"idTag\":\"12345678901234567890\"}", STRICT);
    BAD("Authorize", "{}", ALL, OCV, "idTag: missing");
    BAD("Authorize", "{\"idTag\":\"123456789012345678901\"}", ALL, PCV,
        "idTag: longer than 20 characters");
    BAD("Authorize", "{\"idTag\":1234}", ALL, TCV, "idTag: not a string");
    BAD("Authorize", "{\"idTag\":null}", ALL, TCV, NULL);

    /* BootNotification */

    OK("BootNotification", "{\"chargePointVendor\":\"VendorX\","
       "\"chargePointModel\":\"SingleSocketCharger\","
       "\"chargePointSerialNumber\":\"S1\",\"chargeBoxSerialNumber\":\"B1\","
       "\"firmwareVersion\":\"1.0\",\"iccid\":\"\",\"imsi\":\"\","
       "\"meterType\":\"M\",\"meterSerialNumber\":\"MS\"}", STRICT);
    BAD("BootNotification", "{}", ALL, OCV, NULL);
    BAD("BootNotification", "{\"chargePointVendor\":\"V\","
        "\"chargePointModel\":\"M\",\"firmwareVersion\":"
        "\"123456789012345678901234567890123456789012345678901\"}", ALL, PCV,
        "firmwareVersion: longer than 50 characters");

    /* DataTransfer: data is a string */

    OK("DataTransfer", "{\"vendorId\":\"com.example\",\"messageId\":\"m\","
       "\"data\":\"{\\\"a\\\":1}\"}", STRICT);
    OK("DataTransfer", "{\"vendorId\":\"com.example\"}", STRICT);
    BAD("DataTransfer", "{\"messageId\":\"m\"}", ALL, OCV,
        "vendorId: missing");
    BAD("DataTransfer", "{\"vendorId\":\"v\",\"data\":{\"a\":1}}", ALL, TCV,
        "data: not a string");

    /* DiagnosticsStatusNotification, FirmwareStatusNotification */

    OK("DiagnosticsStatusNotification", "{\"status\":\"Uploaded\"}", STRICT);
    BAD("DiagnosticsStatusNotification", "{\"status\":\"Done\"}", ALL, PCV,
        "status: not one of the allowed values");
    BAD("DiagnosticsStatusNotification", "{}", ALL, OCV, "status: missing");

    OK("FirmwareStatusNotification", "{\"status\":\"Installed\"}", STRICT);
    BAD("FirmwareStatusNotification", "{\"status\":\"installed\"}", ALL, PCV,
        NULL);
    BAD("FirmwareStatusNotification", "{\"status\":1}", ALL, TCV, NULL);

    /* Heartbeat */

    OK("Heartbeat", "{}", STRICT);
    BAD("Heartbeat", "{\"x\":1}", ALL, PCV, "x: unknown property");

    /* MeterValues */

    OK("MeterValues", "{\"connectorId\":1,\"transactionId\":7,"
       "\"meterValue\":[{\"timestamp\":" NOW ",\"sampledValue\":["
       "{\"value\":\"1234\",\"context\":\"Sample.Periodic\","
       "\"format\":\"Raw\",\"measurand\":\"Energy.Active.Import.Register\","
       "\"phase\":\"L1\",\"location\":\"Outlet\",\"unit\":\"Wh\"},"
       "{\"value\":\"230.1\",\"measurand\":\"Voltage\",\"unit\":\"V\"}]}]}",
       STRICT);
    OK("MeterValues", "{\"connectorId\":0,\"meterValue\":[]}", STRICT);
    OK("MeterValues", "{\"connectorId\":0,\"meterValue\":[{\"timestamp\":"
       NOW ",\"sampledValue\":[]}]}", STRICT);
    BAD("MeterValues", "{\"meterValue\":[]}", ALL, OCV,
        "connectorId: missing");
    BAD("MeterValues", "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        NOW ",\"sampledValue\":[{\"value\":\"1\"},{\"value\":\"2\","
        "\"unit\":\"Volt\"}]}]}", ALL, PCV,
        "meterValue[0].sampledValue[1].unit: not one of the allowed values");
    BAD("MeterValues", "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        NOW ",\"sampledValue\":[{\"unit\":\"Wh\"}]}]}", ALL, OCV,
        "meterValue[0].sampledValue[0].value: missing");
    BAD("MeterValues", "{\"connectorId\":1,\"meterValue\":[{"
        "\"sampledValue\":[]}]}", ALL, OCV, "meterValue[0].timestamp: missing");
    BAD("MeterValues", "{\"connectorId\":1,\"meterValue\":{}}", ALL, TCV,
        "meterValue: not an array");
    BAD("MeterValues", "{\"connectorId\":\"1\",\"meterValue\":[]}", ALL, TCV,
        "connectorId: not an integer");
    BAD("MeterValues", "{\"connectorId\":1.5,\"meterValue\":[]}", ALL, TCV,
        "connectorId: not an integer");

    /* StartTransaction */

    OK("StartTransaction", "{\"connectorId\":1,\"idTag\":\"T1\","
       "\"meterStart\":0,\"reservationId\":3,\"timestamp\":" NOW "}",
       STRICT);
    BAD("StartTransaction", "{\"connectorId\":1,\"idTag\":\"T1\","
        "\"meterStart\":\"0\",\"timestamp\":" NOW "}", ALL, TCV,
        "meterStart: not an integer");
    BAD("StartTransaction", "{\"connectorId\":1,\"idTag\":\"T1\","
        "\"timestamp\":" NOW "}", ALL, OCV, "meterStart: missing");

    /* StatusNotification */

    OK("StatusNotification", "{\"connectorId\":1,\"errorCode\":\"NoError\","
       "\"status\":\"Available\",\"info\":\"i\",\"timestamp\":" NOW ","
       "\"vendorId\":\"v\",\"vendorErrorCode\":\"e\"}", STRICT);
    BAD("StatusNotification", "{\"connectorId\":1,\"errorCode\":\"NoError\","
        "\"status\":\"Busy\"}", ALL, PCV,
        "status: not one of the allowed values");
    BAD("StatusNotification", "{\"connectorId\":1,\"status\":\"Available\"}",
        ALL, OCV, "errorCode: missing");

    /* StopTransaction */

    OK("StopTransaction", "{\"transactionId\":7,\"meterStop\":1500,"
       "\"timestamp\":" NOW ",\"idTag\":\"T1\",\"reason\":\"EVDisconnected\","
       "\"transactionData\":[{\"timestamp\":" NOW ",\"sampledValue\":"
       "[{\"value\":\"1500\",\"unit\":\"Wh\"}]}]}", STRICT);
    OK("StopTransaction", "{\"transactionId\":-1,\"meterStop\":0,"
       "\"timestamp\":" NOW "}", STRICT);
    BAD("StopTransaction", "{\"meterStop\":1500,\"timestamp\":" NOW "}", ALL,
        OCV, "transactionId: missing");
    BAD("StopTransaction", "{\"transactionId\":7,\"meterStop\":1500,"
        "\"timestamp\":" NOW ",\"reason\":\"Unplugged\"}", ALL, PCV,
        "reason: not one of the allowed values");
    BAD("StopTransaction", "{\"transactionId\":7,\"meterStop\":1500,"
        "\"timestamp\":" NOW ",\"transactionData\":[{\"timestamp\":" NOW ","
        "\"sampledValue\":[{\"value\":\"1\",\"phase\":\"L4\"}]}]}", ALL, PCV,
        "transactionData[0].sampledValue[0].phase: not one of the allowed "
        "values");
}


static void
test_cs_calls(void **state)
{
    need_schemas();

    /* the central system's own calls, checked before they are sent */

    OK("RemoteStartTransaction", "{\"idTag\":\"T1\",\"connectorId\":1}",
       STRICT);
    OK("RemoteStartTransaction", "{\"idTag\":\"T1\",\"chargingProfile\":{"
       "\"chargingProfileId\":1,\"stackLevel\":0,"
       "\"chargingProfilePurpose\":\"TxProfile\","
       "\"chargingProfileKind\":\"Relative\",\"chargingSchedule\":{"
       "\"chargingRateUnit\":\"A\",\"minChargingRate\":6.1,"
       "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":12.3},"
       "{\"startPeriod\":60,\"limit\":16},{\"startPeriod\":120,"
       "\"limit\":0.3}]}}}", STRICT);
    BAD("RemoteStartTransaction", "{\"idTag\":\"T1\",\"chargingProfile\":{"
        "\"chargingProfileId\":1,\"stackLevel\":0,"
        "\"chargingProfilePurpose\":\"TxProfile\","
        "\"chargingProfileKind\":\"Relative\",\"chargingSchedule\":{"
        "\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":["
        "{\"startPeriod\":0,\"limit\":12.34}]}}}", ALL, PCV,
        "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: "
        "not a multiple of 0.1");
    BAD("RemoteStartTransaction", "{\"connectorId\":1}", ALL, OCV,
        "idTag: missing");
    OK("RemoteStopTransaction", "{\"transactionId\":7}", STRICT);
    OK("Reset", "{\"type\":\"Soft\"}", STRICT);
    BAD("Reset", "{\"type\":\"soft\"}", ALL, PCV, NULL);
    OK("UnlockConnector", "{\"connectorId\":1}", STRICT);
    OK("ChangeAvailability", "{\"connectorId\":0,\"type\":\"Inoperative\"}",
       STRICT);
    OK("ChangeConfiguration", "{\"key\":\"HeartbeatInterval\","
       "\"value\":\"300\"}", STRICT);
    BAD("ChangeConfiguration", "{\"key\":\"HeartbeatInterval\","
        "\"value\":300}", ALL, TCV, "value: not a string");
    OK("GetConfiguration", "{}", STRICT);
    OK("GetConfiguration", "{\"key\":[\"HeartbeatInterval\"]}", STRICT);
    BAD("GetConfiguration", "{\"key\":\"HeartbeatInterval\"}", ALL, TCV,
        "key: not an array");
    OK("ClearCache", "{}", STRICT);
    OK("TriggerMessage", "{\"requestedMessage\":\"StatusNotification\","
       "\"connectorId\":1}", STRICT);
    BAD("TriggerMessage", "{\"requestedMessage\":\"Authorize\"}", ALL, PCV,
        NULL);
    OK("GetDiagnostics", "{\"location\":\"ftp://user:pw@example.com/d/\"}",
       STRICT);
    BAD("GetDiagnostics", "{\"location\":\"not a uri\"}", ALL, PCV,
        "location: not a valid URI");
    OK("SetChargingProfile", "{\"connectorId\":1,\"csChargingProfiles\":{"
       "\"chargingProfileId\":1,\"stackLevel\":0,"
       "\"chargingProfilePurpose\":\"TxDefaultProfile\","
       "\"chargingProfileKind\":\"Recurring\",\"recurrencyKind\":\"Daily\","
       "\"chargingSchedule\":{\"chargingRateUnit\":\"W\","
       "\"startSchedule\":" NOW ",\"chargingSchedulePeriod\":["
       "{\"startPeriod\":0,\"limit\":11000.0,\"numberPhases\":3}]}}}",
       STRICT);
}


static void
test_cs_responses(void **state)
{
    need_schemas();

    /* the charger's answers to the central system's calls */

    OK_CONF("RemoteStartTransaction", "{\"status\":\"Accepted\"}");
    OK_CONF("RemoteStartTransaction", "{\"status\":\"Rejected\"}");
    BAD_CONF("RemoteStartTransaction", "{\"status\":\"Maybe\"}", PCV,
             "status: not one of the allowed values");
    BAD_CONF("RemoteStartTransaction", "{}", OCV, "status: missing");
    OK_CONF("RemoteStopTransaction", "{\"status\":\"Rejected\"}");
    OK_CONF("Reset", "{\"status\":\"Accepted\"}");
    BAD_CONF("Reset", "{\"status\":true}", TCV, "status: not a string");
    OK_CONF("UnlockConnector", "{\"status\":\"Unlocked\"}");
    OK_CONF("UnlockConnector", "{\"status\":\"NotSupported\"}");
    OK_CONF("ChangeAvailability", "{\"status\":\"Scheduled\"}");
    OK_CONF("ChangeConfiguration", "{\"status\":\"RebootRequired\"}");
    OK_CONF("ClearCache", "{\"status\":\"Accepted\"}");
    OK_CONF("TriggerMessage", "{\"status\":\"NotImplemented\"}");
    OK_CONF("DataTransfer", "{\"status\":\"UnknownVendorId\"}");
    OK_CONF("DataTransfer", "{\"status\":\"Accepted\",\"data\":\"x\"}");
    BAD_CONF("DataTransfer", "{\"status\":\"Accepted\",\"data\":[1]}", TCV,
             "data: not a string");
    OK_CONF("GetConfiguration", "{}");
    OK_CONF("GetConfiguration", "{\"configurationKey\":[{\"key\":"
            "\"HeartbeatInterval\",\"readonly\":false,\"value\":\"300\"},"
            "{\"key\":\"NumberOfConnectors\",\"readonly\":true}],"
            "\"unknownKey\":[\"Foo\"]}");
    BAD_CONF("GetConfiguration", "{\"configurationKey\":[{\"key\":\"K\","
             "\"readonly\":false},{\"key\":\"L\"}]}", OCV,
             "configurationKey[1].readonly: missing");
    BAD_CONF("GetConfiguration", "{\"configurationKey\":[{\"key\":\"K\","
             "\"readonly\":\"no\"}]}", TCV,
             "configurationKey[0].readonly: not a boolean");
    BAD_CONF("GetConfiguration", "{\"unknownKey\":[\"A\",2]}", TCV,
             "unknownKey[1]: not a string");
    OK_CONF("GetCompositeSchedule", "{\"status\":\"Accepted\","
            "\"connectorId\":1,\"scheduleStart\":" NOW ","
            "\"chargingSchedule\":{\"chargingRateUnit\":\"A\","
            "\"chargingSchedulePeriod\":[{\"startPeriod\":0,"
            "\"limit\":7.2}]}}");
    OK_CONF("GetDiagnostics", "{}");
    OK_CONF("GetDiagnostics", "{\"fileName\":\"diag.zip\"}");

    /* the central system's answers to the charger, checked the same way */

    OK_CONF("BootNotification", "{\"status\":\"Accepted\",\"currentTime\":"
            NOW ",\"interval\":300}");
    BAD_CONF("BootNotification", "{\"status\":\"Accepted\",\"currentTime\":"
             NOW "}", OCV, "interval: missing");
    OK_CONF("Heartbeat", "{\"currentTime\":" NOW "}");
    OK_CONF("Authorize", "{\"idTagInfo\":{\"status\":\"ConcurrentTx\","
            "\"expiryDate\":" NOW ",\"parentIdTag\":\"P\"}}");
    OK_CONF("StartTransaction", "{\"transactionId\":1,\"idTagInfo\":"
            "{\"status\":\"Blocked\"}}");
    OK_CONF("StopTransaction", "{}");
    OK_CONF("MeterValues", "{}");
    OK_CONF("StatusNotification", "{}");
    BAD_CONF("MeterValues", "{\"x\":1}", PCV, "x: unknown property");
}


static void
test_lenient_time(void **state)
{
    const char  *start;

    need_schemas();

    start = "{\"connectorId\":1,\"idTag\":\"T1\",\"meterStart\":0,"
            "\"timestamp\":\"2026-11-24T09:30:00\"}";

    OK("StartTransaction", start, AX_OCPP_LENIENT_TIME_NO_OFFSET);
    BAD("StartTransaction", start, ALL & ~AX_OCPP_LENIENT_TIME_NO_OFFSET,
        PCV, "timestamp: not a valid date-time");

    /* "+03" is accepted either way (as ocpp-rpc's own validator does) */

    start = "{\"connectorId\":1,\"idTag\":\"T1\",\"meterStart\":0,"
            "\"timestamp\":\"2026-11-24T12:30:00+03\"}";
    OK("StartTransaction", start, STRICT);

    start = "{\"connectorId\":1,\"idTag\":\"T1\",\"meterStart\":0,"
            "\"timestamp\":\"2026-11-24T12:30:00.123456+03:00\"}";
    OK("StartTransaction", start, STRICT);

    BAD("StatusNotification", "{\"connectorId\":1,\"errorCode\":\"NoError\","
        "\"status\":\"Available\",\"timestamp\":\"2026-11-24\"}", ALL, PCV,
        "timestamp: not a valid date-time");
    BAD("MeterValues", "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2026-11-24 09:30\",\"sampledValue\":[]}]}", ALL, PCV,
        "meterValue[0].timestamp: not a valid date-time");
}


static void
test_lenient_numeric_value(void **state)
{
    json_t      *v, *sv;
    const char  *mv;

    need_schemas();

    mv = "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":" NOW ","
         "\"sampledValue\":[{\"value\":230.1,\"unit\":\"V\"},"
         "{\"value\":1234},{\"value\":\"5\"},{\"value\":1e21},"
         "{\"value\":-0.5}]}]}";

    BAD("MeterValues", mv, ALL & ~AX_OCPP_LENIENT_NUMERIC_VALUE, TCV,
        "meterValue[0].sampledValue[0].value: not a string");

    v = check_in(S, "MeterValues", 0, mv, AX_OCPP_LENIENT_NUMERIC_VALUE,
                 NULL, NULL, 1);
    sv = json_object_get(json_array_get(json_object_get(v, "meterValue"), 0),
                         "sampledValue");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(sv, 0), "value")), "230.1");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(sv, 1), "value")), "1234");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(sv, 2), "value")), "5");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(sv, 3), "value")), "1e+21");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(sv, 4), "value")), "-0.5");
    /* the member order is kept */
    assert_string_equal(json_object_iter_key(json_object_iter(
                            json_array_get(sv, 0))), "value");
    json_decref(v);

    /* in StopTransaction's transactionData too */

    OK("StopTransaction", "{\"transactionId\":7,\"meterStop\":1500,"
       "\"timestamp\":" NOW ",\"transactionData\":[{\"timestamp\":" NOW ","
       "\"sampledValue\":[{\"value\":1500,\"unit\":\"Wh\"}]}]}",
       AX_OCPP_LENIENT_NUMERIC_VALUE);

    /* numbers are strings nowhere else */

    BAD("DataTransfer", "{\"vendorId\":\"v\",\"data\":5}", ALL, TCV,
        "data: not a string");
    BAD("MeterValues", "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        NOW ",\"sampledValue\":[{\"value\":true}]}]}", ALL, TCV,
        "meterValue[0].sampledValue[0].value: not a string");
    BAD("MeterValues", "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        NOW ",\"sampledValue\":[{\"value\":\"1\",\"unit\":5}]}]}", ALL, TCV,
        "meterValue[0].sampledValue[0].unit: not a string");
}


static void
test_lenient_units(void **state)
{
    const char  *fmt;
    char         text[512];

    need_schemas();

    fmt = "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":" NOW ","
          "\"sampledValue\":[{\"value\":\"50\",\"measurand\":\"Frequency\","
          "\"unit\":\"%s\"}]}]}";

    snprintf(text, sizeof(text), fmt, "Hertz");
    OK("MeterValues", text, AX_OCPP_LENIENT_HERTZ);
    BAD("MeterValues", text, ALL & ~AX_OCPP_LENIENT_HERTZ, PCV,
        "meterValue[0].sampledValue[0].unit: not one of the allowed values");

    snprintf(text, sizeof(text), fmt, "Hz");
    OK("MeterValues", text, AX_OCPP_LENIENT_HERTZ);
    BAD("MeterValues", text, STRICT, PCV, NULL);

    snprintf(text, sizeof(text), fmt, "hertz");
    BAD("MeterValues", text, ALL, PCV, NULL);

    /* "Hertz" is a unit, not a phase */

    BAD("MeterValues", "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        NOW ",\"sampledValue\":[{\"value\":\"1\",\"phase\":\"Hertz\"}]}]}",
        ALL, PCV, "meterValue[0].sampledValue[0].phase: not one of the "
        "allowed values");

    /* both spellings of Celsius, in both actions, with the switch */

    snprintf(text, sizeof(text), fmt, "Celsius");
    OK("MeterValues", text, AX_OCPP_LENIENT_CELSIUS);
    snprintf(text, sizeof(text), fmt, "Celcius");
    OK("MeterValues", text, AX_OCPP_LENIENT_CELSIUS);

    OK("StopTransaction", "{\"transactionId\":7,\"meterStop\":1500,"
       "\"timestamp\":" NOW ",\"transactionData\":[{\"timestamp\":" NOW ","
       "\"sampledValue\":[{\"value\":\"21\",\"unit\":\"Celsius\"},"
       "{\"value\":\"21\",\"unit\":\"Celcius\"}]}]}", AX_OCPP_LENIENT_CELSIUS);

    snprintf(text, sizeof(text), fmt, "Celsious");
    BAD("MeterValues", text, ALL, PCV, NULL);
}


static void
test_lenient_null_payload(void **state)
{
    json_t          *v;
    ax_ocpp_error_t  err;

    need_schemas();

    BAD("Heartbeat", "null", ALL & ~AX_OCPP_LENIENT_NULL_PAYLOAD, FV,
        "payload: not an object");

    v = json_null();
    assert_int_equal(ax_ocpp_validate(S, "Heartbeat", 9, 0, &v,
                                      AX_OCPP_LENIENT_NULL_PAYLOAD, &err), 0);
    assert_true(json_is_object(v));
    assert_int_equal(json_object_size(v), 0);

    /* the same {} each time, owned by the schemas */
    {
        json_t  *w = NULL;

        assert_int_equal(ax_ocpp_validate(S, "Heartbeat", 9, 0, &w,
                                          ALL, &err), 0);
        assert_ptr_equal(w, v);
    }

    /* only where no member is required */

    BAD("Authorize", "null", ALL, FV, "payload: not an object");
    BAD("StatusNotification", "null", ALL, FV, "payload: not an object");
    OK_CONF("StopTransaction", "null");
    BAD_CONF("Heartbeat", "null", FV, "payload: not an object");
}


static void
test_integral_reals(void **state)
{
    json_t  *v;

    need_schemas();

    /* 1.0 is an integer for JSON Schema: the caller gets an integer */

    v = check_in(S, "StatusNotification", 0, "{\"connectorId\":1.0,"
                 "\"errorCode\":\"NoError\",\"status\":\"Available\"}",
                 STRICT, NULL, NULL, 1);
    assert_true(json_is_integer(json_object_get(v, "connectorId")));
    assert_int_equal(json_integer_value(json_object_get(v, "connectorId")),
                     1);
    json_decref(v);

    v = check_in(S, "StopTransaction", 0, "{\"transactionId\":7,"
                 "\"meterStop\":1.5e3,\"timestamp\":" NOW "}", STRICT, NULL,
                 NULL, 1);
    assert_int_equal(json_integer_value(json_object_get(v, "meterStop")),
                     1500);
    json_decref(v);

    BAD("StopTransaction", "{\"transactionId\":7,\"meterStop\":1e30,"
        "\"timestamp\":" NOW "}", ALL, TCV, "meterStop: not an integer");

    /* "number" keeps reals and takes integers */

    OK("RemoteStartTransaction", "{\"idTag\":\"T1\",\"chargingProfile\":{"
       "\"chargingProfileId\":1,\"stackLevel\":0,"
       "\"chargingProfilePurpose\":\"TxProfile\","
       "\"chargingProfileKind\":\"Relative\",\"chargingSchedule\":{"
       "\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":["
       "{\"startPeriod\":0,\"limit\":32}]}}}", STRICT);
}


static int
filter(const char *action, const char *in, unsigned flags,
    const char *expect, const char *problem)
{
    int      n;
    char     first[200];
    json_t  *v, *want;

    v = load(in);
    want = load(expect);

    n = ax_ocpp_filter_sampled_values(S, action, v, flags, first,
                                      sizeof(first));

    if (!json_equal(v, want)) {
        char  *got = json_dumps(v, JSON_COMPACT);
        fail_msg("%s: filtered to %s, not %s", in, got, expect);
    }

    if (strcmp(first, problem) != 0) {
        fail_msg("%s: first problem \"%s\", not \"%s\"", in, first, problem);
    }

    json_decref(v);
    json_decref(want);

    return n;
}


static void
test_filter(void **state)
{
    need_schemas();

    /* one bad sampled value among good ones */

    assert_int_equal(filter("MeterValues",
        "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":" NOW ","
        "\"sampledValue\":[{\"value\":\"1\"},{\"value\":\"2\","
        "\"unit\":\"Volt\"},{\"value\":\"3\"}]}]}", ALL,
        "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":" NOW ","
        "\"sampledValue\":[{\"value\":\"1\"},{\"value\":\"3\"}]}]}",
        "meterValue[0].sampledValue[1].unit: not one of the allowed values"),
        1);

    /* indexes as sent; an entry left empty goes, not counted; an entry
     * with a bad timestamp goes */

    assert_int_equal(filter("MeterValues",
        "{\"connectorId\":1,\"meterValue\":["
        "{\"timestamp\":" NOW ",\"sampledValue\":[{\"value\":\"1\","
        "\"phase\":\"L9\"},{\"value\":2,\"x\":1}]},"
        "{\"timestamp\":\"bad\",\"sampledValue\":[{\"value\":\"3\"}]},"
        "{\"timestamp\":" NOW ",\"sampledValue\":[{\"value\":\"4\"},"
        "{\"measurand\":\"Voltage\"},{\"value\":\"6\"}]},"
        "{\"timestamp\":" NOW ",\"sampledValue\":[]},"
        "7]}", ALL,
        "{\"connectorId\":1,\"meterValue\":["
        "{\"timestamp\":" NOW ",\"sampledValue\":[{\"value\":\"4\"},"
        "{\"value\":\"6\"}]},"
        "{\"timestamp\":" NOW ",\"sampledValue\":[]}]}",
        "meterValue[0].sampledValue[0].phase: not one of the allowed values"),
        5);

    /* the leniencies apply while filtering: normalized, not dropped */

    assert_int_equal(filter("MeterValues",
        "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2026-11-24T09:30:00\",\"sampledValue\":[{\"value\":50,"
        "\"unit\":\"Hertz\"},{\"value\":\"21\",\"unit\":\"Celsius\"}]}]}",
        ALL,
        "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2026-11-24T09:30:00\",\"sampledValue\":[{\"value\":\"50\","
        "\"unit\":\"Hertz\"},{\"value\":\"21\",\"unit\":\"Celsius\"}]}]}",
        ""), 0);

    /* and without them the same values go */

    assert_int_equal(filter("MeterValues",
        "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":" NOW ","
        "\"sampledValue\":[{\"value\":50},{\"value\":\"1\"}]}]}",
        STRICT,
        "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":" NOW ","
        "\"sampledValue\":[{\"value\":\"1\"}]}]}",
        "meterValue[0].sampledValue[0].value: not a string"), 1);

    /* StopTransaction.transactionData */

    assert_int_equal(filter("StopTransaction",
        "{\"transactionId\":7,\"meterStop\":1500,\"timestamp\":" NOW ","
        "\"transactionData\":[{\"timestamp\":" NOW ",\"sampledValue\":["
        "{\"value\":\"1500\",\"unit\":\"Wh\"},{\"value\":\"1\","
        "\"context\":\"Bogus\"}]},{\"sampledValue\":[{\"value\":\"1\"}]}]}",
        ALL,
        "{\"transactionId\":7,\"meterStop\":1500,\"timestamp\":" NOW ","
        "\"transactionData\":[{\"timestamp\":" NOW ",\"sampledValue\":["
        "{\"value\":\"1500\",\"unit\":\"Wh\"}]}]}",
        "transactionData[0].sampledValue[1].context: not one of the allowed "
        "values"), 2);

    /* nothing to do */

    assert_int_equal(filter("Heartbeat", "{}", ALL, "{}", ""), 0);
    assert_int_equal(filter("MeterValues", "{\"connectorId\":1}", ALL,
                            "{\"connectorId\":1}", ""), 0);
    assert_int_equal(filter("MeterValues", "{\"meterValue\":5}", ALL,
                            "{\"meterValue\":5}", ""), 0);
    assert_int_equal(filter("MeterValues", "[1]", ALL, "[1]", ""), 0);
    assert_int_equal(filter("Foo", "{\"meterValue\":[1]}", ALL,
                            "{\"meterValue\":[1]}", ""), 0);

    /* what is left always passes the validation */

    OK("MeterValues", "{\"connectorId\":1,\"meterValue\":["
       "{\"timestamp\":" NOW ",\"sampledValue\":[]}]}", STRICT);
}


/* the compiler on small inline schemas (no file needed) */

static ax_ocpp_schemas_t *
compile(const char *text)
{
    char                err[256];
    ax_ocpp_schemas_t  *s;

    s = ax_ocpp_schemas_load(text, strlen(text), err, sizeof(err));

    if (s == NULL) {
        fail_msg("not compiled: %s: %s", err, text);
    }

    return s;
}


static void
compile_error(const char *text, const char *expect)
{
    char                err[256];
    ax_ocpp_schemas_t  *s;

    s = ax_ocpp_schemas_load(text, strlen(text), err, sizeof(err));

    if (s != NULL) {
        ax_ocpp_schemas_free(s);
        fail_msg("compiled: %s", text);
    }

    if (strstr(err, expect) == NULL) {
        fail_msg("%s: error \"%s\" lacks \"%s\"", text, err, expect);
    }
}


static void
test_compile_errors(void **state)
{
    char                err[8];
    ax_ocpp_schemas_t  *s;

    compile_error("", "invalid JSON");
    compile_error("[1,", "invalid JSON");
    compile_error("[]", "no schema found");
    compile_error("[1]", "schema 0 is not an object");
    compile_error("[{\"type\":\"object\"}]", "schema 0 has no $id");
    compile_error("[{\"$id\":\"urn:Foo\"}]", "cannot tell the action");
    compile_error("[{\"$id\":\"urn:A.req\"},{\"$id\":\"urn:A.req\"}]",
                  "urn:A.req: a second schema");
    compile_error("[{\"$id\":\"urn:A.req\",\"properties\":{\"a\":"
                  "{\"type\":\"string\",\"pattern\":\"^a\"}}}]",
                  "urn:A.req: the keyword \"pattern\" is not supported");
    compile_error("{\"$id\":\"urn:A.req\",\"oneOf\":[]}", "\"oneOf\"");
    compile_error("{\"$id\":\"urn:A.req\",\"type\":\"text\"}",
                  "unknown type \"text\"");
    compile_error("{\"$id\":\"urn:A.req\",\"type\":5}", "bad \"type\"");
    compile_error("{\"$id\":\"urn:A.req\",\"maxLength\":-1}",
                  "bad \"maxLength\"");
    compile_error("{\"$id\":\"urn:A.req\",\"maxLength\":1.5}",
                  "bad \"maxLength\"");
    compile_error("{\"$id\":\"urn:A.req\",\"multipleOf\":0}",
                  "bad \"multipleOf\"");
    compile_error("{\"$id\":\"urn:A.req\",\"items\":[{}]}", "tuple");
    compile_error("{\"$id\":\"urn:A.req\",\"required\":\"a\"}",
                  "bad \"required\"");
    compile_error("{\"$id\":\"urn:A.req\",\"required\":[1]}",
                  "bad \"required\"");
    compile_error("{\"$id\":\"urn:A.req\",\"$ref\":\"#/definitions/x\"}",
                  "$ref \"#/definitions/x\" not found");
    compile_error("{\"$id\":\"urn:A.req\",\"$ref\":\"other.json#/a\"}",
                  "is not supported");
    compile_error("{\"$id\":\"urn:A.req\",\"$ref\":\"#\"}", "$ref loop");
    compile_error("{\"$id\":\"urn:A.req\",\"enum\":5}", "bad \"enum\"");
    compile_error("{\"$id\":\"urn:A.req\",\"properties\":{\"a\":5}}",
                  "a schema is not an object");

    /* the message is cut to the room given */

    s = ax_ocpp_schemas_load("[]", 2, err, sizeof(err));
    assert_null(s);
    assert_int_equal(strlen(err), sizeof(err) - 1);
}


static void
test_compile_keywords(void **state)
{
    json_t             *v;
    ax_ocpp_schemas_t  *s;

    /* OCA-style ids, draft-04, $ref to definitions, type arrays */

    s = compile("["
        "{\"$schema\":\"http://json-schema.org/draft-04/schema#\","
        " \"id\":\"urn:OCPP:1.6:2019:12:ThingRequest\","
        " \"title\":\"ThingRequest\", \"type\":\"object\","
        " \"definitions\":{\"Color\":{\"type\":\"string\","
        "   \"enum\":[\"red\",\"green\"]},"
        "  \"Node\":{\"type\":\"object\",\"properties\":{"
        "   \"next\":{\"$ref\":\"#/definitions/Node\"},"
        "   \"n\":{\"type\":\"integer\"}},\"additionalProperties\":false},"
        "  \"Alias\":{\"$ref\":\"#/definitions/Color\"},"
        "  \"we~ird/name\":{\"type\":\"boolean\"}},"
        " \"properties\":{"
        "  \"color\":{\"$ref\":\"#/definitions/Color\"},"
        "  \"alias\":{\"$ref\":\"#/definitions/Alias\"},"
        "  \"weird\":{\"$ref\":\"#/definitions/we~0ird~1name\"},"
        "  \"list\":{\"type\":\"array\",\"items\":"
        "   {\"$ref\":\"#/definitions/Color\"},\"minItems\":1,"
        "   \"maxItems\":2},"
        "  \"node\":{\"$ref\":\"#/definitions/Node\"},"
        "  \"maybe\":{\"type\":[\"string\",\"null\"],\"minLength\":2},"
        "  \"pct\":{\"type\":\"number\",\"minimum\":0,\"maximum\":100},"
        "  \"open\":{\"type\":\"integer\",\"minimum\":0,"
        "   \"exclusiveMinimum\":true,\"maximum\":10,"
        "   \"exclusiveMaximum\":true},"
        "  \"open6\":{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1},"
        "  \"name\":{\"type\":\"string\",\"maxLength\":3},"
        "  \"three\":{\"type\":\"integer\",\"multipleOf\":3},"
        "  \"cents\":{\"type\":\"number\",\"multipleOf\":0.01},"
        "  \"any\":true, \"never\":false,"
        "  \"mixed\":{\"enum\":[1,\"one\",null,{\"a\":[1]}]},"
        "  \"extra\":{\"type\":\"object\",\"additionalProperties\":"
        "   {\"type\":\"integer\"}},"
        "  \"temp\":{\"type\":\"string\",\"enum\":[\"Celcius\",\"K\"]},"
        "  \"when\":{\"type\":\"string\",\"format\":\"date-time\"},"
        "  \"mail\":{\"type\":\"string\",\"format\":\"email\"},"
        "  \"site\":{\"type\":\"string\",\"format\":\"uri\"}"
        " },"
        " \"required\":[\"color\",\"must\"],"
        " \"additionalProperties\":false,"
        " \"x-vendor\":\"unknown keywords are ignored\"},"
        "{\"id\":\"urn:OCPP:1.6:2019:12:ThingResponse\",\"type\":\"object\"}"
        "]");

    assert_int_equal(ax_ocpp_schemas_count(s), 1);
    assert_true(ax_ocpp_schemas_has_action(s, "Thing", 5));

#define T_OK(text)                                                           \
    check_in(s, "Thing", 0, "{\"color\":\"red\",\"must\":0," text "}",     \
             STRICT, NULL, NULL, 0)
#define T_BAD(text, code, desc)                                              \
    check_in(s, "Thing", 0, "{\"color\":\"red\",\"must\":0," text "}",     \
             STRICT, code, desc, 0)

    check_in(s, "Thing", 0, "{\"color\":\"red\",\"must\":null}", STRICT,
             NULL, NULL, 0);
    check_in(s, "Thing", 0, "{\"color\":\"red\"}", STRICT, OCV,
             "must: missing", 0);
    check_in(s, "Thing", 0, "{\"must\":1}", STRICT, OCV, "color: missing", 0);
    check_in(s, "Thing", 1, "{\"whatever\":[]}", STRICT, NULL, NULL, 0);

    T_BAD("\"color\":\"blue\"", PCV, "color: not one of the allowed values");
    T_OK("\"alias\":\"green\"");
    T_BAD("\"alias\":\"blue\"", PCV, "alias: not one of the allowed values");
    T_OK("\"weird\":true");
    T_BAD("\"weird\":1", TCV, "weird: not a boolean");

    T_OK("\"list\":[\"red\",\"green\"]");
    T_BAD("\"list\":[]", OCV, "list: fewer than 1 items");
    T_BAD("\"list\":[\"red\",\"red\",\"red\"]", OCV,
          "list: more than 2 items");
    T_BAD("\"list\":[\"red\",\"pink\"]", PCV,
          "list[1]: not one of the allowed values");

    T_OK("\"node\":{\"n\":1,\"next\":{\"n\":2,\"next\":{}}}");
    T_BAD("\"node\":{\"next\":{\"next\":{\"n\":\"3\"}}}", TCV,
          "node.next.next.n: not an integer");
    T_BAD("\"node\":{\"next\":{\"next\":{\"m\":3}}}", PCV,
          "node.next.next.m: unknown property");

    T_OK("\"maybe\":null");
    T_OK("\"maybe\":\"ab\"");
    T_BAD("\"maybe\":\"a\"", PCV, "maybe: shorter than 2 characters");
    T_BAD("\"maybe\":1", TCV, "maybe: not of type string|null");

    T_OK("\"pct\":0");
    T_OK("\"pct\":100.0");
    T_BAD("\"pct\":-0.1", PCV, "pct: less than 0");
    T_BAD("\"pct\":100.5", PCV, "pct: greater than 100");
    T_OK("\"open\":1");
    T_BAD("\"open\":0", PCV, "open: not greater than 0");
    T_BAD("\"open\":10", PCV, "open: not less than 10");
    T_OK("\"open6\":0.5");
    T_OK("\"open6\":\"strings pass: no type given\"");
    T_BAD("\"open6\":1", PCV, "open6: not less than 1");

    /* lengths count characters, not bytes */

    T_OK("\"name\":\"\xc3\xa4\xc3\xb6\xc3\xbc\"");
    T_OK("\"name\":\"\xf0\x9f\x94\x8c\xf0\x9f\x94\x8c\xf0\x9f\x94\x8c\"");
    T_BAD("\"name\":\"abcd\"", PCV, "name: longer than 3 characters");
    T_BAD("\"name\":\"\xc3\xa4\xc3\xb6\xc3\xbc\xc3\xa4\"", PCV, NULL);

    T_OK("\"three\":9");
    T_OK("\"three\":-9");
    T_BAD("\"three\":10", PCV, "three: not a multiple of 3");
    T_OK("\"cents\":19.99");
    T_OK("\"cents\":0.07");
    T_OK("\"cents\":1234567.89");
    T_BAD("\"cents\":0.075", PCV, "cents: not a multiple of 0.01");

    T_OK("\"any\":[{\"x\":null}]");
    T_BAD("\"never\":1", PCV, "never: not allowed");

    T_OK("\"mixed\":1");
    T_OK("\"mixed\":1.0");
    T_OK("\"mixed\":\"one\"");
    T_OK("\"mixed\":null");
    T_OK("\"mixed\":{\"a\":[1]}");
    T_BAD("\"mixed\":{\"a\":[2]}", PCV, "mixed: not one of the allowed "
          "values");
    T_BAD("\"mixed\":\"two\"", PCV, NULL);

    T_OK("\"extra\":{\"a\":1,\"b\":2}");
    T_BAD("\"extra\":{\"a\":1,\"b\":\"2\"}", TCV, "extra.b: not an integer");

    T_BAD("\"unknown\":1", PCV, "unknown: unknown property");

    T_OK("\"mail\":\"formats other than date-time and uri are ignored\"");
    T_OK("\"site\":\"https://example.com/a?b=c#d\"");
    T_OK("\"site\":\"urn:isbn:0451450523\"");
    T_BAD("\"site\":\"/relative\"", PCV, "site: not a valid URI");
    T_BAD("\"site\":\"http://a b\"", PCV, NULL);
    T_BAD("\"site\":\"http:\"", PCV, NULL);
    T_BAD("\"site\":\"1http://a\"", PCV, NULL);

    T_OK("\"when\":\"2026-11-24T09:30:00Z\"");
    T_BAD("\"when\":\"2026-11-24T09:30:00\"", PCV, NULL);
    check_in(s, "Thing", 0, "{\"color\":\"red\",\"must\":0,"
             "\"when\":\"2026-11-24T09:30:00\"}",
             AX_OCPP_LENIENT_TIME_NO_OFFSET, NULL, NULL, 0);

    /* Celsius: an enum that has only "Celcius" (as StopTransaction's in the
     * official set) takes "Celsius" with the switch only */

    T_OK("\"temp\":\"Celcius\"");
    T_BAD("\"temp\":\"Celsius\"", PCV, "temp: not one of the allowed values");
    check_in(s, "Thing", 0, "{\"color\":\"red\",\"must\":0,"
             "\"temp\":\"Celsius\"}", AX_OCPP_LENIENT_CELSIUS, NULL, NULL, 0);
    check_in(s, "Thing", 0, "{\"color\":\"red\",\"must\":0,"
             "\"temp\":\"Hertz\"}", ALL, PCV, NULL, 0);

    /* errors in the order the members came */

    T_BAD("\"name\":\"abcd\",\"pct\":-1", PCV, "name: longer than 3 "
          "characters");
    T_BAD("\"pct\":-1,\"name\":\"abcd\"", PCV, "pct: less than 0");

    /* a long path is cut, at a character boundary */

    v = NULL;
    {
        char   text[600], *p;
        int    i;

        p = text;
        p += sprintf(p, "{\"color\":\"red\",\"must\":0,\"extra\":{\"");

        for (i = 0; i < 100; i++) {
            p += sprintf(p, "\xc3\xa9");
        }

        sprintf(p, "\":\"x\"}}");
        v = check_in(s, "Thing", 0, text, STRICT, TCV, NULL, 1);
    }
    json_decref(v);

#undef T_OK
#undef T_BAD

    ax_ocpp_schemas_free(s);

    /* a single schema, and a schema without a type */

    s = compile("{\"$id\":\"urn:Solo.conf\",\"properties\":{\"a\":"
                "{\"type\":\"integer\"}},\"required\":[\"a\"]}");
    assert_false(ax_ocpp_schemas_has_action(s, "Solo", 4));
    check_in(s, "Solo", 1, "{\"a\":1}", STRICT, NULL, NULL, 0);
    check_in(s, "Solo", 1, "{\"a\":\"1\"}", STRICT, TCV, "a: not an integer",
             0);
    check_in(s, "Solo", 1, "{}", STRICT, OCV, "a: missing", 0);
    check_in(s, "Solo", 0, "{}", STRICT, NI, NULL, 0);
    ax_ocpp_schemas_free(s);

    /* empty sets: no property anywhere, an empty enum */

    s = compile("{\"$id\":\"urn:E.req\",\"additionalProperties\":false,"
                "\"properties\":{}}");
    check_in(s, "E", 0, "{}", STRICT, NULL, NULL, 0);
    check_in(s, "E", 0, "{\"a\":1}", STRICT, PCV, "a: unknown property", 0);
    ax_ocpp_schemas_free(s);

    s = compile("{\"$id\":\"urn:E.req\",\"additionalProperties\":false}");
    check_in(s, "E", 0, "{\"a\":1}", STRICT, PCV, "a: unknown property", 0);
    ax_ocpp_schemas_free(s);

    s = compile("{\"$id\":\"urn:E.req\",\"properties\":{\"a\":"
                "{\"enum\":[]}}}");
    check_in(s, "E", 0, "{\"a\":\"x\"}", STRICT, PCV, NULL, 0);
    check_in(s, "E", 0, "{\"a\":1}", STRICT, PCV, NULL, 0);
    ax_ocpp_schemas_free(s);

    /* a recursive schema cannot recurse forever */

    s = compile("{\"$id\":\"urn:Deep.req\",\"definitions\":{\"n\":"
                "{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/n\"}"
                "}},\"type\":\"object\",\"properties\":{\"n\":"
                "{\"$ref\":\"#/definitions/n\"}}}");
    check_in(s, "Deep", 0, "{\"n\":[[[[]]]]}", STRICT, NULL, NULL, 0);
    check_in(s, "Deep", 0, "{\"n\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", STRICT, FV, NULL, 0);
    ax_ocpp_schemas_free(s);

    ax_ocpp_schemas_free(NULL);
}


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


static double
bench(const char *action, const char *text, int validate_only, long n)
{
    long              i;
    double            t0;
    size_t            len, alen;
    ax_ocpp_msg_t     msg;
    ax_ocpp_error_t   err;

    len = strlen(text);
    alen = strlen(action);

    if (validate_only) {
        assert_int_equal(ax_ocpp_parse((const unsigned char *) text, len,
                                       &msg, &err), 0);
        t0 = now_ns();

        for (i = 0; i < n; i++) {
            if (ax_ocpp_validate(S, action, alen, 0, &msg.payload, ALL, &err)
                != 0)
            {
                fail_msg("%s: %s", err.code, err.description);
            }
        }

        t0 = now_ns() - t0;
        ax_ocpp_msg_free(&msg);

        return t0 / n;
    }

    t0 = now_ns();

    for (i = 0; i < n; i++) {
        if (ax_ocpp_parse((const unsigned char *) text, len, &msg, &err) != 0
            || ax_ocpp_validate(S, msg.action, msg.action_len, 0,
                                &msg.payload, ALL, &err) != 0)
        {
            fail_msg("%s: %s", err.code, err.description);
        }

        ax_ocpp_msg_free(&msg);
    }

    return (now_ns() - t0) / n;
}


static void
test_benchmark(void **state)
{
    long         n;
    const char  *hb, *mv;

    need_schemas();

    hb = "[2,\"19223201\",\"Heartbeat\",{}]";
    mv = "[2,\"d8d2c5b0-6b1e-4a56-9f0e-1c2d3e4f5a6b\",\"MeterValues\","
         "{\"connectorId\":1,\"transactionId\":1042,\"meterValue\":[{"
         "\"timestamp\":\"2026-11-24T09:30:00.000Z\",\"sampledValue\":["
         "{\"value\":\"12345.6\",\"context\":\"Sample.Periodic\","
         "\"measurand\":\"Energy.Active.Import.Register\",\"unit\":\"kWh\"},"
         "{\"value\":\"7200\",\"context\":\"Sample.Periodic\","
         "\"measurand\":\"Power.Active.Import\",\"unit\":\"W\"},"
         "{\"value\":\"31.4\",\"context\":\"Sample.Periodic\","
         "\"measurand\":\"Current.Import\",\"phase\":\"L1\",\"unit\":\"A\"},"
         "{\"value\":\"230.1\",\"context\":\"Sample.Periodic\","
         "\"measurand\":\"Voltage\",\"phase\":\"L1-N\",\"unit\":\"V\"}]}]}]";

#if defined(__SANITIZE_ADDRESS__)
    n = 20000;
#else
    n = 200000;
#endif

    printf("ocpp bench: Heartbeat   parse+validate %7.0f ns/op, "
           "validate only %5.0f ns/op\n", bench("Heartbeat", hb, 0, n),
           bench("Heartbeat", hb, 1, n));
    printf("ocpp bench: MeterValues parse+validate %7.0f ns/op, "
           "validate only %5.0f ns/op (4 sampled values)\n",
           bench("MeterValues", mv, 0, n / 4), bench("MeterValues", mv, 1, n));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_load_official),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_cp_actions),
        cmocka_unit_test(test_cs_calls),
        cmocka_unit_test(test_cs_responses),
        cmocka_unit_test(test_lenient_time),
        cmocka_unit_test(test_lenient_numeric_value),
        cmocka_unit_test(test_lenient_units),
        cmocka_unit_test(test_lenient_null_payload),
        cmocka_unit_test(test_integral_reals),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_compile_keywords),
        cmocka_unit_test(test_benchmark),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
