
/*
 * cmocka tests for the charge-point state machine (shared/ax_sim.c), on a
 * virtual clock with a fake driver: the connection opens when asked, and a
 * fake central system answers every CALL at once unless a test answers by
 * hand.  What the charger sends is checked as a trail of short names:
 * "Boot" for a BootNotification, "Status:Charging", "=Accepted" for the
 * status of an answer to the central system, "!NotImplemented" for a
 * CALLERROR.  Also the load tools' histogram (shared/ax_bench.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "ax_bench.h"
#include "ax_sim.h"


#define NS       1000000000ULL
#define MAXSENT  512


typedef struct {
    ax_sim_t        *sim;
    uint64_t         now;
    int              manual;        /* no automatic answers */
    int              refuse;        /* connections fail */
    int              want_connect;
    int              want_closed;
    int              connects;
    int              closes;
    unsigned         close_code;
    char            *sent[MAXSENT];
    int              nsent;
    int              answered;      /* sent[] up to here were dealt with */
    int              events[16];
    int              finished_ok;
    long long        tx;            /* transactionId the fake CSMS gives */
    const char      *boot_status;
    int              boot_interval;
    const char      *auth_status;
    uint64_t         last_rtt;
    long long        energy;
    const char      *hold;          /* CALLs of this action: no answer */
} drv_t;


static void
drv_connect(ax_sim_t *sim)
{
    drv_t  *d = sim->data;

    d->connects++;
    d->want_connect = 1;
}


static int
drv_send(ax_sim_t *sim, const char *text, size_t len)
{
    drv_t  *d = sim->data;

    assert_true(d->nsent < MAXSENT);
    d->sent[d->nsent++] = strndup(text, len);

    return 0;
}


static void
drv_close(ax_sim_t *sim, unsigned code, const char *reason)
{
    drv_t  *d = sim->data;

    d->closes++;
    d->close_code = code;
    d->want_closed = 1;
}


static void
drv_event(ax_sim_t *sim, const ax_sim_event_t *ev)
{
    drv_t  *d = sim->data;

    d->events[ev->type]++;

    if (ev->type == AX_SIM_EV_FINISHED) {
        d->finished_ok = ev->ok;

    } else if (ev->type == AX_SIM_EV_ANSWER) {
        d->last_rtt = ev->rtt;

    } else if (ev->type == AX_SIM_EV_SESSION_END) {
        d->energy = ev->energy_wh;
    }
}


static const ax_sim_ops_t  drv_ops = {
    drv_connect, drv_send, drv_close, drv_event
};


static json_t *
frame(drv_t *d, int i)
{
    json_t  *j;

    j = json_loads(d->sent[i], 0, NULL);
    assert_non_null(j);

    return j;
}


/* the fake central system's answer to one CALL of the charger */

static json_t *
csms_answer(drv_t *d, const char *action, json_t *req)
{
    if (strcmp(action, "BootNotification") == 0) {
        return json_pack("{s:s, s:s, s:i}", "status", d->boot_status,
                         "currentTime", "2026-01-01T00:00:00.000Z",
                         "interval", d->boot_interval);
    }

    if (strcmp(action, "Authorize") == 0) {
        return json_pack("{s:{s:s}}", "idTagInfo", "status", d->auth_status);
    }

    if (strcmp(action, "StartTransaction") == 0) {
        return json_pack("{s:I, s:{s:s}}", "transactionId",
                         (json_int_t) d->tx, "idTagInfo", "status",
                         d->auth_status);
    }

    if (strcmp(action, "Heartbeat") == 0) {
        return json_pack("{s:s}", "currentTime", "2026-01-01T00:00:00.000Z");
    }

    return json_object();
}


static void
deliver(drv_t *d, const char *text)
{
    ax_sim_message(d->sim, text, strlen(text), d->now);
}


static void
answer_with(drv_t *d, int i, json_t *payload)
{
    char    *text;
    json_t  *f, *a;

    f = frame(d, i);
    a = json_pack("[i, O, o]", 3, json_array_get(f, 1), payload);
    text = json_dumps(a, JSON_COMPACT);
    deliver(d, text);
    free(text);
    json_decref(a);
    json_decref(f);
}


/* connections, closes and automatic answers, until nothing happens */

static void
settle(drv_t *d)
{
    int      busy;
    json_t  *f;

    do {
        busy = 0;

        if (d->want_connect) {
            d->want_connect = 0;
            busy = 1;

            if (d->refuse) {
                ax_sim_closed(d->sim, d->now, AX_SIM_E_CONNECT);

            } else {
                ax_sim_connected(d->sim, d->now);
            }
        }

        if (d->want_closed) {
            d->want_closed = 0;
            busy = 1;
            d->answered = d->nsent;
            ax_sim_closed(d->sim, d->now, 0);
        }

        while (!d->manual && d->answered < d->nsent) {
            f = frame(d, d->answered++);

            if (json_integer_value(json_array_get(f, 0)) == 2
                && d->sim->conn != AX_SIM_OFFLINE
                && (d->hold == NULL
                    || strcmp(d->hold,
                              json_string_value(json_array_get(f, 2))) != 0))
            {
                answer_with(d, d->answered - 1,
                            csms_answer(d,
                                json_string_value(json_array_get(f, 2)),
                                json_array_get(f, 3)));
                busy = 1;
            }

            json_decref(f);
        }

    } while (busy);
}


/* the virtual clock runs for secs */

static void
advance(drv_t *d, double secs)
{
    uint64_t  end;

    end = d->now + (uint64_t) (secs * NS);

    settle(d);

    while (d->sim->timer <= end) {
        if (d->sim->timer > d->now) {
            d->now = d->sim->timer;
        }

        ax_sim_timer(d->sim, d->now);
        settle(d);
    }

    d->now = end;
}


/* what the charger sent from frame i on, as short names */

static char *
trail(drv_t *d, int from)
{
    int          i, type;
    json_t      *f, *p;
    const char  *a, *s;
    static char  buf[8192];
    size_t       n;

    buf[0] = '\0';
    n = 0;

    for (i = from; i < d->nsent; i++) {
        f = frame(d, i);
        type = json_integer_value(json_array_get(f, 0));
        p = json_array_get(f, type == 2 ? 3 : 2);

        if (type == 2) {
            a = json_string_value(json_array_get(f, 2));

            if (strcmp(a, "StatusNotification") == 0) {
                n += snprintf(buf + n, sizeof(buf) - n, "%sStatus:%s",
                              n ? "," : "",
                              json_string_value(json_object_get(p,
                                                               "status")));

            } else {
                n += snprintf(buf + n, sizeof(buf) - n, "%s%.*s",
                              n ? "," : "",
                              strstr(a, "Notification") ? 4 : 20,
                              strcmp(a, "StartTransaction") == 0 ? "Start"
                              : strcmp(a, "StopTransaction") == 0 ? "Stop"
                              : strcmp(a, "MeterValues") == 0 ? "Meter" : a);
            }

        } else if (type == 3) {
            s = json_string_value(json_object_get(p, "status"));
            n += snprintf(buf + n, sizeof(buf) - n, "%s=%s", n ? "," : "",
                          s ? s : "{}");

        } else {
            n += snprintf(buf + n, sizeof(buf) - n, "%s!%s", n ? "," : "",
                          json_string_value(json_array_get(f, 2)));
        }

        json_decref(f);
    }

    return buf;
}


/* the index of the last CALL of action, -1 if none */

static int
last_call(drv_t *d, const char *action)
{
    int      i, found;
    json_t  *f;

    for (i = d->nsent - 1; i >= 0; i--) {
        f = frame(d, i);
        found = json_integer_value(json_array_get(f, 0)) == 2
                && strcmp(json_string_value(json_array_get(f, 2)), action)
                   == 0;
        json_decref(f);

        if (found) {
            return i;
        }
    }

    return -1;
}


static json_int_t
payload_int(drv_t *d, int i, const char *key)
{
    json_int_t  v;
    json_t     *f;

    f = frame(d, i);
    v = json_integer_value(json_object_get(json_array_get(f, 3), key));
    json_decref(f);

    return v;
}


static ax_sim_conf_t  C;
static drv_t          D;
static int            Manual;


static void
setup_conf(void)
{
    ax_sim_conf_init(&C);
    C.id = "CP1";
    C.duration = 3;
    C.interval = 1;
    C.pre_charge_delay = 2;
    C.kwh_min = 1;
    C.kwh_max = 2;
    C.call_timeout = 5;
    C.seed = 42;
}


static ax_sim_t *
start(void)
{
    memset(&D, 0, sizeof(drv_t));
    D.now = 1000 * NS;
    D.tx = 42;
    D.boot_status = "Accepted";
    D.boot_interval = 60;
    D.auth_status = "Accepted";
    D.manual = Manual;

    D.sim = ax_sim_create(&C, &drv_ops, &D);
    assert_non_null(D.sim);

    ax_sim_start(D.sim, D.now);
    settle(&D);

    return D.sim;
}


static int
teardown(void **state)
{
    int  i;

    ax_sim_free(D.sim);
    D.sim = NULL;

    for (i = 0; i < D.nsent; i++) {
        free(D.sent[i]);
    }

    D.nsent = 0;

    return 0;
}


static int
setup(void **state)
{
    setup_conf();
    Manual = 0;
    return 0;
}


/* ------------------------------------------------------------------------ */


static void
test_full_session(void **state)
{
    int          i, j, first, stop;
    json_t      *f, *sv;
    ax_sim_t    *sim;
    long long    ms, me, prev, v;
    const char  *ids[MAXSENT];

    sim = start();

    assert_int_equal(D.connects, 1);
    assert_string_equal(trail(&D, 0),
                        "Boot,Status:Available,Status:Available");
    assert_int_equal(sim->conn, AX_SIM_ONLINE);

    /* the pre-charge delay */
    advance(&D, 1.9);
    assert_string_equal(trail(&D, 0),
                        "Boot,Status:Available,Status:Available");

    advance(&D, 10);

    assert_string_equal(trail(&D, 0),
        "Boot,Status:Available,Status:Available,Status:Preparing,"
        "Authorize,Start,Status:Charging,Meter,Meter,Stop,Status:Finishing,"
        "Status:Available");
    assert_int_equal(D.closes, 1);
    assert_int_equal(D.close_code, 1000);
    assert_true(sim->finished);
    assert_false(sim->failed);
    assert_int_equal(D.finished_ok, 1);
    assert_int_equal(sim->sessions_ok, 1);

    first = last_call(&D, "StartTransaction");
    stop = last_call(&D, "StopTransaction");
    ms = payload_int(&D, first, "meterStart");
    me = payload_int(&D, stop, "meterStop");

    assert_true(ms >= 1000 && ms <= 2000);
    assert_true(me - ms >= 1000 && me - ms <= 2000);
    assert_int_equal(me - ms, D.energy);
    assert_int_equal(payload_int(&D, stop, "transactionId"), 42);

    /* the register climbs; transactionId in every MeterValues */
    prev = ms;

    for (i = first; i < stop; i++) {
        f = frame(&D, i);

        if (strcmp(json_string_value(json_array_get(f, 2)), "MeterValues")
            == 0)
        {
            assert_int_equal(json_integer_value(json_object_get(
                json_array_get(f, 3), "transactionId")), 42);
            sv = json_object_get(json_array_get(json_object_get(
                     json_array_get(f, 3), "meterValue"), 0),
                     "sampledValue");
            assert_string_equal(json_string_value(json_object_get(
                json_array_get(sv, 0), "measurand")),
                "Energy.Active.Import.Register");
            v = atoll(json_string_value(json_object_get(
                    json_array_get(sv, 0), "value")));
            assert_true(v > prev && v < me);
            prev = v;
        }

        json_decref(f);
    }

    /* unique message ids */
    for (i = 0; i < D.nsent; i++) {
        f = frame(&D, i);
        ids[i] = strdup(json_string_value(json_array_get(f, 1)));
        json_decref(f);
    }

    for (i = 0; i < D.nsent; i++) {
        for (j = i + 1; j < D.nsent; j++) {
            assert_string_not_equal(ids[i], ids[j]);
        }
    }

    for (i = 0; i < D.nsent; i++) {
        free((void *) ids[i]);
    }
}


static void
test_one_call_in_flight(void **state)
{
    ax_sim_t  *sim;

    Manual = 1;
    C.reconnect = 1;
    sim = start();

    /* nothing else while the Boot is not answered, then the timeout */
    advance(&D, 4.9);
    assert_string_equal(trail(&D, 0), "Boot");
    assert_int_equal(D.closes, 0);

    advance(&D, 0.2);
    assert_int_equal(D.closes, 1);
    assert_int_equal(D.close_code, 0);
    assert_int_equal(sim->errors[AX_SIM_E_TIMEOUT], 1);
    assert_int_equal(sim->conn, AX_SIM_OFFLINE);

    /* a new connection after the backoff (1 s +-25%) */
    advance(&D, 0.7);
    assert_int_equal(D.connects, 1);
    advance(&D, 0.6);
    assert_int_equal(D.connects, 2);
    assert_string_equal(trail(&D, 0), "Boot,Boot");

    D.manual = 0;
    settle(&D);
    assert_int_equal(sim->conn, AX_SIM_ONLINE);
    assert_string_equal(trail(&D, 0),
                        "Boot,Boot,Status:Available,Status:Available");
}


static void
test_boot_pending_and_rejected(void **state)
{
    ax_sim_t  *sim;

    C.pre_charge_delay = 100;
    memset(&D, 0, sizeof(drv_t));

    D.now = NS;
    D.boot_status = "Pending";
    D.boot_interval = 7;
    D.auth_status = "Accepted";
    D.sim = sim = ax_sim_create(&C, &drv_ops, &D);
    ax_sim_start(sim, D.now);
    settle(&D);

    assert_int_equal(sim->conn, AX_SIM_PENDING);
    advance(&D, 6.9);
    assert_string_equal(trail(&D, 0), "Boot");

    /* Rejected without an interval: conf->boot_retry (10 s) */
    D.boot_status = "Rejected";
    D.boot_interval = 0;
    advance(&D, 0.2);
    assert_string_equal(trail(&D, 0), "Boot,Boot");
    assert_int_equal(sim->errors[AX_SIM_E_BOOT], 1);

    advance(&D, 9.8);
    assert_string_equal(trail(&D, 0), "Boot,Boot");

    D.boot_status = "Accepted";
    D.boot_interval = 60;
    advance(&D, 0.3);
    assert_string_equal(trail(&D, 0),
                        "Boot,Boot,Boot,Status:Available,Status:Available");
    assert_int_equal(sim->conn, AX_SIM_ONLINE);
    assert_int_equal(sim->boots, 1);
}


static void
test_heartbeat_interval(void **state)
{
    ax_sim_t  *sim;

    C.pre_charge_delay = 1000;
    D.boot_interval = 0;
    sim = start();

    /* Boot said 60 s */
    advance(&D, 59.9);
    assert_string_equal(trail(&D, 0),
                        "Boot,Status:Available,Status:Available");
    advance(&D, 0.2);
    assert_string_equal(trail(&D, 0),
                        "Boot,Status:Available,Status:Available,Heartbeat");
    advance(&D, 60);
    assert_string_equal(trail(&D, 0),
                        "Boot,Status:Available,Status:Available,Heartbeat,"
                        "Heartbeat");
    assert_int_equal(sim->hb_interval, 60 * NS);
}


static void
test_remote_stop(void **state)
{
    int        n;
    ax_sim_t  *sim;

    C.duration = 100;
    sim = start();
    advance(&D, 3);
    assert_int_equal(sim->phase, AX_SIM_CHARGING);
    assert_int_equal(sim->transaction_id, 42);

    n = D.nsent;
    deliver(&D, "[2,\"r1\",\"RemoteStopTransaction\",{\"transactionId\":7}]");
    deliver(&D, "[2,\"r2\",\"RemoteStopTransaction\","
                "{\"transactionId\":42}]");
    settle(&D);

    assert_string_equal(trail(&D, n),
        "=Rejected,=Accepted,Stop,Status:Finishing,Status:Available");
    assert_true(sim->finished);
    assert_int_equal(D.finished_ok, 1);
    assert_int_equal(sim->sessions_ok, 1);

    n = last_call(&D, "StopTransaction");
    assert_non_null(strstr(D.sent[n], "\"reason\":\"Remote\""));
    assert_true(D.energy >= 0 && D.energy < 1000);
}


static void
test_reset_while_charging(void **state)
{
    int        n;
    ax_sim_t  *sim;

    C.duration = 100;
    C.sessions = 2;
    sim = start();
    advance(&D, 3);
    assert_int_equal(sim->phase, AX_SIM_CHARGING);

    n = D.nsent;
    deliver(&D, "[2,\"r1\",\"Reset\",{\"type\":\"Hard\"}]");
    settle(&D);

    assert_string_equal(trail(&D, n), "=Accepted,Stop");
    assert_non_null(strstr(D.sent[D.nsent - 1], "\"HardReset\""));
    assert_int_equal(D.closes, 1);
    assert_int_equal(D.close_code, 1000);
    assert_int_equal(sim->conn, AX_SIM_OFFLINE);
    assert_int_equal(sim->sessions_ok, 1);

    /* it boots again after reboot_delay and begins the next session */
    advance(&D, 0.9);
    assert_int_equal(D.connects, 1);
    advance(&D, 0.2);
    assert_int_equal(D.connects, 2);
    assert_int_equal(sim->boots, 2);
    assert_string_equal(trail(&D, n),
                        "=Accepted,Stop,Boot,Status:Available,"
                        "Status:Available");

    advance(&D, 2.1);
    assert_int_equal(sim->phase, AX_SIM_CHARGING);
}


static void
test_reset_while_idle(void **state)
{
    int        n;
    ax_sim_t  *sim;

    C.pre_charge_delay = 100;
    sim = start();

    n = D.nsent;
    deliver(&D, "[2,\"r1\",\"Reset\",{\"type\":\"Soft\"}]");
    settle(&D);

    assert_string_equal(trail(&D, n), "=Accepted");
    assert_int_equal(D.closes, 1);
    advance(&D, 1.1);
    assert_string_equal(trail(&D, n),
                        "=Accepted,Boot,Status:Available,Status:Available");
    assert_int_equal(sim->boots, 2);
    assert_int_equal(sim->phase, AX_SIM_IDLE);
}


static void
test_configuration(void **state)
{
    int        n;
    ax_sim_t  *sim;

    C.pre_charge_delay = 1000;
    sim = start();

    n = D.nsent;
    deliver(&D, "[2,\"g1\",\"GetConfiguration\","
                "{\"key\":[\"HeartbeatInterval\",\"Nope\"]}]");
    assert_string_equal(D.sent[n],
        "[3,\"g1\",{\"configurationKey\":[{\"key\":\"HeartbeatInterval\","
        "\"readonly\":false,\"value\":\"60\"}],\"unknownKey\":[\"Nope\"]}]");

    deliver(&D, "[2,\"g2\",\"GetConfiguration\",{}]");
    assert_non_null(strstr(D.sent[n + 1], "\"NumberOfConnectors\""));
    assert_non_null(strstr(D.sent[n + 1], "\"MeterValueSampleInterval\","
                                          "\"readonly\":false,"
                                          "\"value\":\"1\""));
    assert_null(strstr(D.sent[n + 1], "unknownKey"));

    deliver(&D, "[2,\"c1\",\"ChangeConfiguration\","
                "{\"key\":\"HeartbeatInterval\",\"value\":\"5\"}]");
    deliver(&D, "[2,\"c2\",\"ChangeConfiguration\","
                "{\"key\":\"NumberOfConnectors\",\"value\":\"2\"}]");
    deliver(&D, "[2,\"c3\",\"ChangeConfiguration\","
                "{\"key\":\"Nope\",\"value\":\"2\"}]");
    deliver(&D, "[2,\"c4\",\"ChangeConfiguration\","
                "{\"key\":\"ConnectionTimeOut\",\"value\":\"x\"}]");
    deliver(&D, "[2,\"c5\",\"ChangeConfiguration\","
                "{\"key\":\"LocalPreAuthorize\",\"value\":\"true\"}]");
    deliver(&D, "[2,\"g3\",\"GetConfiguration\","
                "{\"key\":[\"LocalPreAuthorize\"]}]");

    assert_string_equal(trail(&D, n + 2),
        "=Accepted,=Rejected,=NotSupported,=Rejected,=Accepted,={}");
    assert_non_null(strstr(D.sent[D.nsent - 1], "\"value\":\"true\""));

    /* the new heartbeat interval holds at once */
    n = D.nsent;
    advance(&D, 5.1);
    assert_string_equal(trail(&D, n), "Heartbeat");
    assert_int_equal(sim->hb_interval, 5 * NS);
}


static void
test_trigger_message(void **state)
{
    int        n;
    ax_sim_t  *sim;

    C.pre_charge_delay = 1000;
    sim = start();

    n = D.nsent;
    D.manual = 1;
    deliver(&D, "[2,\"t1\",\"TriggerMessage\","
                "{\"requestedMessage\":\"Heartbeat\"}]");
    deliver(&D, "[2,\"t2\",\"TriggerMessage\","
                "{\"requestedMessage\":\"StatusNotification\","
                "\"connectorId\":1}]");
    deliver(&D, "[2,\"t3\",\"TriggerMessage\","
                "{\"requestedMessage\":\"MeterValues\"}]");
    deliver(&D, "[2,\"t4\",\"TriggerMessage\","
                "{\"requestedMessage\":\"BootNotification\"}]");
    deliver(&D, "[2,\"t5\",\"TriggerMessage\","
                "{\"requestedMessage\":\"Nope\"}]");
    deliver(&D, "[2,\"t6\",\"TriggerMessage\","
                "{\"requestedMessage\":\"Heartbeat\",\"connectorId\":9}]");

    /* the answer comes first, then the message, one CALL at a time */
    assert_string_equal(trail(&D, n),
        "=Accepted,Heartbeat,=Accepted,=Accepted,=Accepted,"
        "=NotImplemented,=Rejected");

    D.manual = 0;
    D.answered = D.nsent - 1;
    answer_with(&D, n + 1, json_object());
    settle(&D);

    assert_string_equal(trail(&D, n),
        "=Accepted,Heartbeat,=Accepted,=Accepted,=Accepted,"
        "=NotImplemented,=Rejected,Status:Available,Meter,Boot");
    assert_int_equal(sim->conn, AX_SIM_ONLINE);
    assert_int_equal(sim->boots, 1);
}


static void
test_other_calls(void **state)
{
    int        n;
    ax_sim_t  *sim;

    C.pre_charge_delay = 1000;
    sim = start();

    n = D.nsent;
    deliver(&D, "[2,\"u1\",\"UnlockConnector\",{\"connectorId\":1}]");
    deliver(&D, "[2,\"u2\",\"UnlockConnector\",{\"connectorId\":2}]");
    deliver(&D, "[2,\"a1\",\"ChangeAvailability\","
                "{\"connectorId\":0,\"type\":\"Inoperative\"}]");
    settle(&D);
    assert_true(sim->inoperative);
    deliver(&D, "[2,\"a2\",\"ChangeAvailability\","
                "{\"connectorId\":1,\"type\":\"Operative\"}]");
    settle(&D);
    deliver(&D, "[2,\"x1\",\"ClearCache\",{}]");
    deliver(&D, "[2,\"d1\",\"DataTransfer\",{\"vendorId\":\"com.acme\"}]");
    deliver(&D, "[2,\"d2\",\"DataTransfer\",{\"vendorId\":\"Arthexis\","
                "\"data\":\"ping\"}]");
    deliver(&D, "[2,\"n1\",\"SetChargingProfile\",{}]");
    deliver(&D, "[2,\"n2\",\"Reset\",{}]");
    deliver(&D, "[2,\"n3\",\"Reset\",{\"type\":1}]");
    deliver(&D, "[2,\"n4\",\"Reset\",[]]");
    deliver(&D, "not json");
    deliver(&D, "[2,\"n5\",\"Reset\",{\"type\":\"Soft\"");
    deliver(&D, "[3,\"zz\",{}]");

    assert_string_equal(trail(&D, n),
        "=Unlocked,=NotSupported,=Accepted,Status:Unavailable,=Accepted,"
        "Status:Available,=Accepted,=UnknownVendorId,=Accepted,"
        "!NotImplemented,!OccurenceConstraintViolation,"
        "!TypeConstraintViolation,!FormationViolation,"
        "!FormationViolation");

    assert_non_null(strstr(D.sent[D.nsent - 6], "\"data\":\"ping\""));
    assert_non_null(strstr(D.sent[D.nsent - 1], "\"n5\""));
    assert_int_equal(sim->errors[AX_SIM_E_PROTOCOL], 2);
    assert_int_equal(sim->errors[AX_SIM_E_STRAY], 1);
    assert_int_equal(sim->conn, AX_SIM_ONLINE);
}


static void
test_remote_start(void **state)
{
    int        n, i;
    ax_sim_t  *sim;

    C.pre_charge_delay = 1000;
    C.duration = 100;
    sim = start();

    n = D.nsent;
    deliver(&D, "[2,\"s1\",\"RemoteStartTransaction\","
                "{\"idTag\":\"ABCD\",\"connectorId\":1}]");
    settle(&D);

    /* AuthorizeRemoteTxRequests is false: no Authorize */
    assert_string_equal(trail(&D, n),
                        "=Accepted,Status:Preparing,Start,Status:Charging");
    i = last_call(&D, "StartTransaction");
    assert_non_null(strstr(D.sent[i], "\"idTag\":\"ABCD\""));
    assert_int_equal(sim->phase, AX_SIM_CHARGING);

    n = D.nsent;
    deliver(&D, "[2,\"s2\",\"RemoteStartTransaction\",{\"idTag\":\"X\"}]");
    assert_string_equal(trail(&D, n), "=Rejected");

    /* Inoperative while charging: Scheduled, Unavailable after the stop */
    deliver(&D, "[2,\"a1\",\"ChangeAvailability\","
                "{\"connectorId\":0,\"type\":\"Inoperative\"}]");
    deliver(&D, "[2,\"u1\",\"UnlockConnector\",{\"connectorId\":1}]");
    settle(&D);
    assert_string_equal(trail(&D, n),
        "=Rejected,=Scheduled,=Unlocked,Stop,Status:Finishing,"
        "Status:Unavailable");
    assert_non_null(strstr(D.sent[last_call(&D, "StopTransaction")],
                           "\"UnlockCommand\""));
}


static void
test_refused_sessions(void **state)
{
    int        n;
    ax_sim_t  *sim;

    C.sessions = 0;
    C.pre_charge_delay = 0;
    D.auth_status = "Invalid";
    sim = start();
    D.auth_status = "Invalid";

    n = D.nsent;
    advance(&D, 0.1);
    assert_string_equal(trail(&D, n),
        "Status:Preparing,Authorize,Status:Available");
    assert_int_equal(sim->sessions_failed, 1);
    assert_int_equal(sim->errors[AX_SIM_E_AUTH], 1);

    /* the next attempt waits for the backoff */
    n = D.nsent;
    advance(&D, 0.5);
    assert_string_equal(trail(&D, n), "");
    advance(&D, 1.5);
    assert_string_equal(trail(&D, n),
        "Status:Preparing,Authorize,Status:Available");
    assert_false(sim->finished);

    ax_sim_stop(sim, D.now);
    settle(&D);
    assert_true(sim->finished);
    assert_int_equal(D.finished_ok, 0);
}


static void
test_stop_while_charging(void **state)
{
    int        n;
    ax_sim_t  *sim;

    C.duration = 100;
    sim = start();
    advance(&D, 5);

    n = D.nsent;
    ax_sim_stop(sim, D.now);
    settle(&D);

    assert_string_equal(trail(&D, n),
                        "Stop,Status:Finishing,Status:Available");
    assert_non_null(strstr(D.sent[n], "\"reason\":\"Local\""));
    assert_true(sim->finished);
    assert_int_equal(D.close_code, 1000);
    assert_int_equal(D.finished_ok, 1);
}


static void
test_lost_connection(void **state)
{
    ax_sim_t  *sim;

    /* without reconnect: the run fails */
    sim = start();
    ax_sim_closed(sim, D.now, AX_SIM_E_LOST);
    settle(&D);
    assert_true(sim->finished);
    assert_true(sim->failed);
    assert_int_equal(sim->errors[AX_SIM_E_LOST], 1);
}


static void
test_lost_during_start(void **state)
{
    int        i, j;
    ax_sim_t  *sim;

    C.reconnect = 1;
    sim = start();
    D.hold = "StartTransaction";
    advance(&D, 2.1);

    /* the connection drops under StartTransaction */
    i = last_call(&D, "StartTransaction");
    assert_true(i >= 0);
    assert_int_equal(sim->phase, AX_SIM_STARTING);

    ax_sim_closed(sim, D.now, AX_SIM_E_LOST);
    D.answered = D.nsent;
    D.hold = NULL;
    advance(&D, 1.3);

    /* booted again, and the same StartTransaction sent again */
    assert_int_equal(sim->boots, 2);
    j = last_call(&D, "StartTransaction");
    assert_true(j > i);
    assert_string_equal(strchr(strchr(D.sent[i], ',') + 1, ','),
                        strchr(strchr(D.sent[j], ',') + 1, ','));
    assert_int_equal(sim->phase, AX_SIM_CHARGING);
    assert_int_equal(sim->errors[AX_SIM_E_LOST], 1);
}


static void
test_load_mode(void **state)
{
    int        n;
    char       buf[128], *q;
    ax_sim_t  *sim;

    C.mode = AX_SIM_MODE_LOAD;
    C.statuses = 0;
    C.heartbeat = -1;
    sim = start();

    assert_string_equal(trail(&D, 0), "Boot");
    assert_true(ax_sim_ready(sim));

    D.manual = 1;
    n = D.nsent;
    assert_int_equal(ax_sim_load(sim, D.now), 0);
    assert_int_equal(ax_sim_load(sim, D.now + 10), 0);
    assert_int_equal(sim->inflight, 2);
    assert_memory_equal(D.sent[n], "[2,\"h", 5);
    assert_non_null(strstr(D.sent[n], "\",\"Heartbeat\",{}]"));

    /* answered in any order; the id gives the round trip */
    D.now += 1000;
    q = strchr(D.sent[n + 1] + 4, '"');
    snprintf(buf, sizeof(buf), "[3,\"%.*s\",{\"currentTime\":\"x\"}]",
             (int) (q - D.sent[n + 1] - 4), D.sent[n + 1] + 4);
    deliver(&D, buf);
    assert_int_equal(D.last_rtt, 990);
    assert_int_equal(sim->inflight, 1);

    q = strchr(D.sent[n] + 4, '"');
    snprintf(buf, sizeof(buf), "[3, \"%.*s\", {}]",
             (int) (q - D.sent[n] - 4), D.sent[n] + 4);
    deliver(&D, buf);
    assert_int_equal(D.last_rtt, 1000);
    assert_int_equal(sim->inflight, 0);

    /* an answer to nothing */
    deliver(&D, buf);
    assert_int_equal(sim->errors[AX_SIM_E_STRAY], 1);

    /* a lost answer times out */
    ax_sim_load(sim, D.now);
    advance(&D, 5.1);
    assert_int_equal(sim->errors[AX_SIM_E_TIMEOUT], 1);
    assert_int_equal(sim->inflight, 0);
    assert_int_equal(sim->conn, AX_SIM_ONLINE);
}


static void
test_echo_mode(void **state)
{
    int        n;
    ax_sim_t  *sim;

    C.mode = AX_SIM_MODE_ECHO;
    sim = start();

    assert_int_equal(D.nsent, 0);
    assert_true(ax_sim_ready(sim));
    assert_int_equal(D.events[AX_SIM_EV_BOOTED], 1);

    D.manual = 1;
    n = D.nsent;
    ax_sim_load(sim, D.now);
    D.now += 5000;
    deliver(&D, D.sent[n]);
    assert_int_equal(D.last_rtt, 5000);
    assert_int_equal(sim->inflight, 0);

    ax_sim_stop(sim, D.now);
    settle(&D);
    assert_true(sim->finished);
}


static void
test_refused_connection(void **state)
{
    ax_sim_t  *sim;

    memset(&D, 0, sizeof(drv_t));
    D.refuse = 1;
    D.now = NS;
    D.sim = sim = ax_sim_create(&C, &drv_ops, &D);
    ax_sim_start(sim, D.now);
    settle(&D);

    assert_true(sim->finished);
    assert_true(sim->failed);
    assert_int_equal(sim->errors[AX_SIM_E_CONNECT], 1);
}


static void
test_bench_hist(void **state)
{
    char              buf[32];
    double            p;
    unsigned          i;
    ax_bench_hist_t   h;

    ax_bench_hist_reset(&h);
    assert_true(ax_bench_hist_percentile(&h, 0.5) == 0);

    /* 1 .. 1000 us: within a bucket's width (about 4%) */
    for (i = 1; i <= 1000; i++) {
        ax_bench_hist_record(&h, i * 1000);
    }

    assert_int_equal(h.count, 1000);
    assert_int_equal(h.max, 1000000);

    p = ax_bench_hist_percentile(&h, 0.50);
    assert_true(p > 500000 * 0.96 && p < 500000 * 1.04);
    p = ax_bench_hist_percentile(&h, 0.99);
    assert_true(p > 990000 * 0.96 && p <= 1000000);
    assert_true(ax_bench_hist_percentile(&h, 1.0) <= 1000000);

    /* small values are exact */
    ax_bench_hist_reset(&h);
    ax_bench_hist_record(&h, 5);
    ax_bench_hist_record(&h, 20);
    assert_true(ax_bench_hist_percentile(&h, 0.5) == 5);
    assert_true(ax_bench_hist_percentile(&h, 1.0) == 20);

    assert_string_equal(ax_bench_thousands(buf, 0), "0");
    assert_string_equal(ax_bench_thousands(buf, 999), "999");
    assert_string_equal(ax_bench_thousands(buf, 1000), "1,000");
    assert_string_equal(ax_bench_thousands(buf, 1234567.4), "1,234,567");
    assert_string_equal(ax_bench_thousands(buf, -1500), "-1,500");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_full_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_call_in_flight, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_boot_pending_and_rejected,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_interval, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_remote_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_while_charging, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reset_while_idle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_configuration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trigger_message, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remote_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_sessions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stop_while_charging, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lost_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lost_during_start, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_connection, setup,
                                        teardown),
        cmocka_unit_test(test_bench_hist),
    };

    return cmocka_run_group_tests_name("ax_sim", tests, NULL, NULL);
}
