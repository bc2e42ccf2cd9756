
/*
 * An OCPP 1.6J charge point as a state machine.  See ax_sim.h.
 */

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ax_sim.h"
#include "ax_ocpp.h"
#include "ax_ws.h"


#define AX_SIM_NS          1000000000ULL
#define AX_SIM_CLOSE_WAIT  (5 * AX_SIM_NS)

/* why we close: sim->close_why */
#define AX_SIM_CLOSE_NONE    0
#define AX_SIM_CLOSE_FINISH  1
#define AX_SIM_CLOSE_REBOOT  2
#define AX_SIM_CLOSE_DROP    3

#define AX_SIM_KEY_STRING    0
#define AX_SIM_KEY_INT       1
#define AX_SIM_KEY_BOOL      2

#define AX_SIM_KEY_AUTHORIZE_REMOTE  0
#define AX_SIM_KEY_HEARTBEAT         4
#define AX_SIM_KEY_METER_INTERVAL    7


typedef struct {
    const char  *key;
    const char  *value;      /* default; NULL: kept by the machine */
    unsigned     readonly;
    unsigned     type;
} ax_sim_key_t;


static const ax_sim_key_t  ax_sim_keys[AX_SIM_NKEYS] = {
    { "AuthorizeRemoteTxRequests", "false", 0, AX_SIM_KEY_BOOL },
    { "ClockAlignedDataInterval", "0", 0, AX_SIM_KEY_INT },
    { "ConnectionTimeOut", "60", 0, AX_SIM_KEY_INT },
    { "GetConfigurationMaxKeys", "20", 1, AX_SIM_KEY_INT },
    { "HeartbeatInterval", NULL, 0, AX_SIM_KEY_INT },
    { "LocalAuthorizeOffline", "true", 0, AX_SIM_KEY_BOOL },
    { "LocalPreAuthorize", "false", 0, AX_SIM_KEY_BOOL },
    { "MeterValueSampleInterval", NULL, 0, AX_SIM_KEY_INT },
    { "MeterValuesSampledData",
      "Energy.Active.Import.Register,Power.Active.Import", 0,
      AX_SIM_KEY_STRING },
    { "NumberOfConnectors", "1", 1, AX_SIM_KEY_INT },
    { "ResetRetries", "1", 0, AX_SIM_KEY_INT },
    { "StopTransactionOnEVSideDisconnect", "true", 0, AX_SIM_KEY_BOOL },
    { "StopTransactionOnInvalidId", "true", 0, AX_SIM_KEY_BOOL },
    { "SupportedFeatureProfiles", "Core,RemoteTrigger", 1,
      AX_SIM_KEY_STRING },
    { "TransactionMessageAttempts", "3", 0, AX_SIM_KEY_INT },
    { "TransactionMessageRetryInterval", "10", 0, AX_SIM_KEY_INT },
    { "UnlockConnectorOnEVSideDisconnect", "true", 0, AX_SIM_KEY_BOOL }
};


static const char  *ax_sim_actions[AX_SIM_A_N] = {
    "BootNotification", "Heartbeat", "StatusNotification", "Authorize",
    "StartTransaction", "StopTransaction", "MeterValues", "DataTransfer",
    "DiagnosticsStatusNotification", "FirmwareStatusNotification",
    "Heartbeat"
};


static void ax_sim_connect(ax_sim_t *sim, uint64_t now);
static void ax_sim_close(ax_sim_t *sim, unsigned why, unsigned code,
    const char *reason, uint64_t now);
static void ax_sim_finish(ax_sim_t *sim, uint64_t now, int failed);
static void ax_sim_finished(ax_sim_t *sim);
static void ax_sim_arm(ax_sim_t *sim);
static void ax_sim_pump(ax_sim_t *sim, uint64_t now);
static void ax_sim_queue(ax_sim_t *sim, unsigned action, json_t *payload);
static void ax_sim_queue_front(ax_sim_t *sim, unsigned action,
    json_t *payload);
static void ax_sim_queue_clear(ax_sim_t *sim);
static void ax_sim_send_call(ax_sim_t *sim, unsigned action, json_t *payload,
    uint64_t now);
static void ax_sim_send_text(ax_sim_t *sim, char *text, size_t len);
static void ax_sim_boot(ax_sim_t *sim, uint64_t now);
static void ax_sim_on_answer(ax_sim_t *sim, uint64_t now, unsigned action,
    json_t *payload, const char *error_code, const char *error_text);
static void ax_sim_on_boot(ax_sim_t *sim, uint64_t now, json_t *payload,
    int error);
static void ax_sim_on_call(ax_sim_t *sim, uint64_t now, ax_ocpp_msg_t *msg);
static json_t *ax_sim_get_configuration(ax_sim_t *sim, json_t *req);
static json_t *ax_sim_change_configuration(ax_sim_t *sim, uint64_t now,
    const char *key, const char *value);
static const char *ax_sim_trigger(ax_sim_t *sim, uint64_t now,
    const char *what, json_t *connector);
static const char *ax_sim_reset(ax_sim_t *sim, uint64_t now,
    const char *type);
static void ax_sim_reply(ax_sim_t *sim, ax_ocpp_msg_t *msg, json_t *payload);
static void ax_sim_reply_error(ax_sim_t *sim, const char *id, size_t id_len,
    const char *code, const char *description);
static void ax_sim_load_answer(ax_sim_t *sim, uint64_t now, const char *id,
    size_t len, int error);
static void ax_sim_session_begin(ax_sim_t *sim, uint64_t now);
static void ax_sim_queue_start(ax_sim_t *sim);
static void ax_sim_session_stop(ax_sim_t *sim, uint64_t now,
    const char *reason);
static void ax_sim_session_over(ax_sim_t *sim, uint64_t now, int started,
    int ok);
static void ax_sim_set_status(ax_sim_t *sim, const char *status);
static json_t *ax_sim_status_payload(ax_sim_t *sim, unsigned connector);
static json_t *ax_sim_meter_payload(ax_sim_t *sim, uint64_t now);
static long long ax_sim_meter_now(ax_sim_t *sim, uint64_t now);
static void ax_sim_error(ax_sim_t *sim, unsigned error, unsigned action,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void ax_sim_info(ax_sim_t *sim, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ax_sim_emit(ax_sim_t *sim, ax_sim_event_t *ev);
static void ax_sim_timestamp(char out[AX_OCPP_TIME_LEN + 1]);
static uint64_t ax_sim_random(ax_sim_t *sim);
static uint64_t ax_sim_backoff(ax_sim_t *sim);
static int ax_sim_key_index(const char *key);


void
ax_sim_conf_init(ax_sim_conf_t *conf)
{
    memset(conf, 0, sizeof(ax_sim_conf_t));

    conf->mode = AX_SIM_MODE_SESSION;
    conf->id = "CPX";
    conf->id_tag = "FFFFFFFF";
    conf->connector = 1;
    conf->vendor = "Arthexis";
    conf->model = "Simulator";
    conf->firmware = "arthexis-sim/1";
    conf->duration = 600;
    conf->interval = 5;
    conf->pre_charge_delay = 10;
    conf->kwh_min = 30;
    conf->kwh_max = 60;
    conf->sessions = 1;
    conf->authorize = 1;
    conf->statuses = 1;
    conf->call_timeout = 30;
    conf->boot_retry = 10;
    conf->reboot_delay = 1;
    conf->backoff_min = 1;
    conf->backoff_max = 30;
}


ax_sim_t *
ax_sim_create(const ax_sim_conf_t *conf, const ax_sim_ops_t *ops, void *data)
{
    const char  *p;
    ax_sim_t    *sim;
    uint64_t     h;

    sim = calloc(1, sizeof(ax_sim_t));
    if (sim == NULL) {
        return NULL;
    }

    sim->conf = conf;
    sim->ops = ops;
    sim->data = data;
    sim->timer = AX_SIM_NEVER;
    sim->status = "Available";

    /* FNV-1a of the id, so each charger of a swarm differs */
    h = 0xcbf29ce484222325ULL;

    for (p = conf->id; p && *p; p++) {
        h = (h ^ (unsigned char) *p) * 0x100000001b3ULL;
    }

    ax_sim_seed(sim, (conf->seed ? conf->seed : 0x9e3779b97f4a7c15ULL) ^ h);
    sim->interval = (uint64_t) (conf->interval * AX_SIM_NS);
    sim->hb_interval = conf->heartbeat > 0
                       ? (uint64_t) (conf->heartbeat * AX_SIM_NS) : 0;
    sim->backoff = (uint64_t) (conf->backoff_min * AX_SIM_NS);

    return sim;
}


void
ax_sim_seed(ax_sim_t *sim, uint64_t seed)
{
    sim->rand = seed ? seed : 1;

    /* the register starts where the seed's simulator started it */
    sim->meter = 1000 + (long long) (ax_sim_random(sim) % 1001);
}


void
ax_sim_free(ax_sim_t *sim)
{
    unsigned  i;

    if (sim == NULL) {
        return;
    }

    ax_sim_queue_clear(sim);

    if (sim->has_out) {
        json_decref(sim->out.payload);
    }

    for (i = 0; i < AX_SIM_NKEYS; i++) {
        free(sim->keys[i]);
    }

    free(sim->tag);
    free(sim->start_time);
    free(sim);
}


void
ax_sim_start(ax_sim_t *sim, uint64_t now)
{
    if (sim->conn == AX_SIM_OFFLINE && !sim->finished) {
        ax_sim_connect(sim, now);
    }

    ax_sim_arm(sim);
}


static void
ax_sim_connect(ax_sim_t *sim, uint64_t now)
{
    sim->conn = AX_SIM_CONNECTING;
    sim->connect_at = 0;
    sim->conn_deadline = now + (uint64_t) (sim->conf->call_timeout
                                           * AX_SIM_NS);
    sim->connects++;

    sim->ops->connect(sim);
}


void
ax_sim_connected(ax_sim_t *sim, uint64_t now)
{
    ax_sim_event_t  ev;

    if (sim->conn != AX_SIM_CONNECTING) {
        return;
    }

    sim->load_last = now;

    if (sim->conf->mode == AX_SIM_MODE_ECHO) {
        sim->conn = AX_SIM_ONLINE;
        sim->boots++;
        sim->booted_once = 1;
        sim->backoff = (uint64_t) (sim->conf->backoff_min * AX_SIM_NS);

        memset(&ev, 0, sizeof(ax_sim_event_t));
        ev.type = AX_SIM_EV_BOOTED;
        ax_sim_emit(sim, &ev);

        if (sim->stopping) {
            ax_sim_finish(sim, now, 0);
        }

        ax_sim_arm(sim);
        return;
    }

    ax_sim_boot(sim, now);
    ax_sim_arm(sim);
}


static void
ax_sim_boot(ax_sim_t *sim, uint64_t now)
{
    json_t  *p;

    p = json_pack("{s:s, s:s}", "chargePointVendor", sim->conf->vendor,
                  "chargePointModel", sim->conf->model);

    if (p && sim->conf->serial) {
        json_object_set_new(p, "chargePointSerialNumber",
                            json_string(sim->conf->serial));
    }

    if (p && sim->conf->firmware) {
        json_object_set_new(p, "firmwareVersion",
                            json_string(sim->conf->firmware));
    }

    sim->conn = AX_SIM_BOOTING;
    ax_sim_send_call(sim, AX_SIM_A_BOOT, p, now);
}


void
ax_sim_closed(ax_sim_t *sim, uint64_t now, unsigned error)
{
    unsigned  why, was, action;

    if (sim->conn == AX_SIM_OFFLINE) {
        return;
    }

    was = sim->conn;
    why = sim->close_why;

    sim->conn = AX_SIM_OFFLINE;
    sim->close_why = AX_SIM_CLOSE_NONE;
    sim->inflight = 0;

    /* transaction messages are sent again once booted; others dropped */

    if (sim->has_out) {
        sim->has_out = 0;
        action = sim->out.action;

        if ((action == AX_SIM_A_START || action == AX_SIM_A_STOP
             || action == AX_SIM_A_METER)
            && why != AX_SIM_CLOSE_FINISH)
        {
            ax_sim_queue_front(sim, action, sim->out.payload);

        } else {
            json_decref(sim->out.payload);
        }

        sim->out.payload = NULL;
    }

    if (why == AX_SIM_CLOSE_REBOOT) {
        ax_sim_queue_clear(sim);
        sim->connect_at = now + (uint64_t) (sim->conf->reboot_delay
                                            * AX_SIM_NS);
        if (sim->connect_at == 0) {
            sim->connect_at = 1;
        }

        ax_sim_arm(sim);
        return;
    }

    if (why == AX_SIM_CLOSE_FINISH || sim->finished) {
        ax_sim_finished(sim);
        ax_sim_arm(sim);
        return;
    }

    if (why == AX_SIM_CLOSE_NONE) {
        if (error == AX_SIM_E_CONNECT || was == AX_SIM_CONNECTING) {
            ax_sim_error(sim, AX_SIM_E_CONNECT, AX_SIM_A_N,
                         "no connection");

        } else {
            ax_sim_error(sim, AX_SIM_E_LOST, AX_SIM_A_N,
                         "connection lost");
        }
    }

    if (sim->stopping || sim->finish_pending) {
        ax_sim_finish(sim, now, sim->phase != AX_SIM_IDLE);
        ax_sim_arm(sim);
        return;
    }

    if (!sim->conf->reconnect) {
        ax_sim_finish(sim, now, 1);
        ax_sim_arm(sim);
        return;
    }

    sim->connect_at = now + ax_sim_backoff(sim);
    ax_sim_arm(sim);
}


void
ax_sim_stop(ax_sim_t *sim, uint64_t now)
{
    if (sim->finished) {
        return;
    }

    if (sim->stopping) {
        /* the second time: at once */
        sim->finish_pending = 0;

        if (sim->conn == AX_SIM_OFFLINE) {
            ax_sim_finished(sim);

        } else {
            ax_sim_close(sim, AX_SIM_CLOSE_FINISH, 0, NULL, now);
        }

        ax_sim_arm(sim);
        return;
    }

    sim->stopping = 1;
    sim->connect_at = 0;

    if (sim->conn == AX_SIM_OFFLINE || sim->conn == AX_SIM_CONNECTING) {
        ax_sim_finish(sim, now, 0);
        ax_sim_arm(sim);
        return;
    }

    switch (sim->phase) {

    case AX_SIM_CHARGING:
        ax_sim_session_stop(sim, now, "Local");
        break;

    case AX_SIM_AUTHORIZING:
    case AX_SIM_STARTING:
        sim->stop_wanted = 1;
        sim->stop_reason = "Local";
        break;

    case AX_SIM_STOPPING:
        break;

    default:
        ax_sim_finish(sim, now, 0);
    }

    ax_sim_pump(sim, now);
    ax_sim_arm(sim);
}


/* the run is over once the connection is closed */

static void
ax_sim_finish(ax_sim_t *sim, uint64_t now, int failed)
{
    if (failed) {
        sim->failed = 1;
    }

    sim->connect_at = 0;
    sim->start_at = 0;

    switch (sim->conn) {

    case AX_SIM_OFFLINE:
        ax_sim_finished(sim);
        break;

    case AX_SIM_CONNECTING:
        ax_sim_close(sim, AX_SIM_CLOSE_FINISH, 0, NULL, now);
        break;

    case AX_SIM_BOOTING:
    case AX_SIM_PENDING:
        ax_sim_close(sim, AX_SIM_CLOSE_FINISH, AX_WS_CLOSE_NORMAL,
                     "done", now);
        break;

    case AX_SIM_ONLINE:
        sim->finish_pending = 1;
        ax_sim_pump(sim, now);
        break;

    default: /* AX_SIM_CLOSING */
        sim->close_why = AX_SIM_CLOSE_FINISH;
    }
}


static void
ax_sim_finished(ax_sim_t *sim)
{
    ax_sim_event_t  ev;

    if (sim->finished) {
        return;
    }

    sim->finished = 1;
    sim->finish_pending = 0;
    sim->connect_at = 0;

    memset(&ev, 0, sizeof(ax_sim_event_t));
    ev.type = AX_SIM_EV_FINISHED;
    ev.ok = !sim->failed && sim->sessions_failed == 0;
    ax_sim_emit(sim, &ev);
}


static void
ax_sim_close(ax_sim_t *sim, unsigned why, unsigned code, const char *reason,
    uint64_t now)
{
    if (sim->conn == AX_SIM_OFFLINE) {
        return;
    }

    if (sim->conn == AX_SIM_CLOSING) {
        /* already closing: a Close no answer came to, drop it */
        if (why == AX_SIM_CLOSE_FINISH) {
            sim->close_why = why;
        }

        if (code != 0) {
            return;
        }

    } else {
        sim->close_why = why;
    }

    sim->conn = AX_SIM_CLOSING;
    sim->conn_deadline = now + AX_SIM_CLOSE_WAIT;

    /* may call ax_sim_closed() at once */
    sim->ops->close(sim, code, reason);
}


void
ax_sim_timer(ax_sim_t *sim, uint64_t now)
{
    uint64_t  timeout;

    timeout = (uint64_t) (sim->conf->call_timeout * AX_SIM_NS);

    switch (sim->conn) {

    case AX_SIM_OFFLINE:
        if (sim->connect_at && now >= sim->connect_at && !sim->finished) {
            ax_sim_connect(sim, now);
            ax_sim_arm(sim);
            return;
        }
        break;

    case AX_SIM_CONNECTING:
        if (now >= sim->conn_deadline) {
            ax_sim_error(sim, AX_SIM_E_TIMEOUT, AX_SIM_A_N,
                         "no connection in %.0f s", sim->conf->call_timeout);
            ax_sim_close(sim, AX_SIM_CLOSE_DROP, 0, NULL, now);
            ax_sim_arm(sim);
            return;
        }
        break;

    case AX_SIM_CLOSING:
        if (now >= sim->conn_deadline) {
            ax_sim_close(sim, sim->close_why, 0, NULL, now);
            ax_sim_arm(sim);
            return;
        }
        break;

    case AX_SIM_PENDING:
        if (now >= sim->boot_at) {
            ax_sim_boot(sim, now);
        }
        break;
    }

    if (sim->has_out && sim->conn != AX_SIM_CLOSING
        && now >= sim->out_sent + timeout)
    {
        ax_sim_error(sim, AX_SIM_E_TIMEOUT, sim->out.action,
                     "no answer to %s %s in %.0f s",
                     ax_sim_actions[sim->out.action], sim->out_id,
                     sim->conf->call_timeout);
        ax_sim_close(sim, AX_SIM_CLOSE_DROP, 0, NULL, now);
        ax_sim_arm(sim);
        return;
    }

    if (sim->inflight && now >= sim->load_last + timeout) {
        ax_sim_error(sim, AX_SIM_E_TIMEOUT, AX_SIM_A_LOAD,
                     "%u Heartbeats not answered in %.0f s", sim->inflight,
                     sim->conf->call_timeout);
        sim->errors[AX_SIM_E_TIMEOUT] += sim->inflight - 1;
        sim->inflight = 0;
    }

    if (sim->conf->mode == AX_SIM_MODE_SESSION) {

        switch (sim->phase) {

        case AX_SIM_IDLE:
            if (sim->start_at && now >= sim->start_at
                && sim->conn == AX_SIM_ONLINE && !sim->inoperative
                && !sim->stopping && !sim->finish_pending)
            {
                ax_sim_session_begin(sim, now);
            }
            break;

        case AX_SIM_CHARGING:
            if (now >= sim->end_at) {
                ax_sim_session_stop(sim, now, "Local");
                break;
            }

            if (sim->interval && now >= sim->meter_at) {
                if (sim->conn == AX_SIM_ONLINE) {
                    ax_sim_queue(sim, AX_SIM_A_METER,
                                 ax_sim_meter_payload(sim, now));
                }

                while (sim->meter_at <= now) {
                    sim->meter_at += sim->interval;
                }
            }
            break;
        }
    }

    if (sim->conn == AX_SIM_ONLINE && sim->hb_interval && !sim->has_out
        && sim->qlen == 0 && now >= sim->heartbeat_at
        && !sim->finish_pending)
    {
        ax_sim_queue(sim, AX_SIM_A_HEARTBEAT, json_object());
    }

    ax_sim_pump(sim, now);
    ax_sim_arm(sim);
}


/* the next moment ax_sim_timer() has something to do */

static void
ax_sim_arm(ax_sim_t *sim)
{
    uint64_t  t, timeout;

#define ax_sim_min(v)  if ((v) < t) { t = (v); }

    t = AX_SIM_NEVER;
    timeout = (uint64_t) (sim->conf->call_timeout * AX_SIM_NS);

    if (sim->finished) {
        sim->timer = t;
        return;
    }

    switch (sim->conn) {

    case AX_SIM_OFFLINE:
        if (sim->connect_at) {
            ax_sim_min(sim->connect_at);
        }
        break;

    case AX_SIM_CONNECTING:
    case AX_SIM_CLOSING:
        ax_sim_min(sim->conn_deadline);
        break;

    case AX_SIM_PENDING:
        ax_sim_min(sim->boot_at);
        break;
    }

    if (sim->conn == AX_SIM_CLOSING || sim->conn == AX_SIM_CONNECTING) {
        sim->timer = t;
        return;
    }

    if (sim->has_out) {
        ax_sim_min(sim->out_sent + timeout);
    }

    if (sim->inflight) {
        ax_sim_min(sim->load_last + timeout);
    }

    if (sim->conf->mode == AX_SIM_MODE_SESSION) {
        if (sim->phase == AX_SIM_IDLE && sim->start_at
            && sim->conn == AX_SIM_ONLINE && !sim->inoperative
            && !sim->stopping && !sim->finish_pending)
        {
            ax_sim_min(sim->start_at);

        } else if (sim->phase == AX_SIM_CHARGING) {
            ax_sim_min(sim->end_at);

            if (sim->interval) {
                ax_sim_min(sim->meter_at);
            }
        }
    }

    if (sim->conn == AX_SIM_ONLINE && sim->hb_interval && !sim->has_out
        && sim->qlen == 0 && !sim->finish_pending)
    {
        ax_sim_min(sim->heartbeat_at);
    }

#undef ax_sim_min

    sim->timer = t;
}


/* ------------------------------------------------------------------------
 * Our CALLs: one in flight, the others wait
 */

static void
ax_sim_queue(ax_sim_t *sim, unsigned action, json_t *payload)
{
    unsigned  i;

    if (payload == NULL) {
        ax_sim_error(sim, AX_SIM_E_QUEUE, action, "out of memory");
        return;
    }

    if (sim->qlen == AX_SIM_QUEUE) {
        ax_sim_error(sim, AX_SIM_E_QUEUE, action, "%s dropped: %u CALLs "
                     "wait already", ax_sim_actions[action], sim->qlen);
        json_decref(payload);
        return;
    }

    i = (sim->qhead + sim->qlen) % AX_SIM_QUEUE;
    sim->queue[i].action = action;
    sim->queue[i].payload = payload;
    sim->qlen++;
}


static void
ax_sim_queue_front(ax_sim_t *sim, unsigned action, json_t *payload)
{
    if (sim->qlen == AX_SIM_QUEUE) {
        /* the newest waiting CALL gives way */
        sim->qlen--;
        json_decref(sim->queue[(sim->qhead + sim->qlen)
                               % AX_SIM_QUEUE].payload);
        sim->errors[AX_SIM_E_QUEUE]++;
    }

    sim->qhead = (sim->qhead + AX_SIM_QUEUE - 1) % AX_SIM_QUEUE;
    sim->queue[sim->qhead].action = action;
    sim->queue[sim->qhead].payload = payload;
    sim->qlen++;
}


static void
ax_sim_queue_clear(ax_sim_t *sim)
{
    while (sim->qlen) {
        json_decref(sim->queue[sim->qhead].payload);
        sim->qhead = (sim->qhead + 1) % AX_SIM_QUEUE;
        sim->qlen--;
    }

    sim->qhead = 0;
}


/* sends the next waiting CALL when none is in flight */

static void
ax_sim_pump(ax_sim_t *sim, uint64_t now)
{
    ax_sim_call_t  call;

    if (sim->conn != AX_SIM_ONLINE || sim->has_out) {
        return;
    }

    if (sim->qlen) {
        call = sim->queue[sim->qhead];
        sim->qhead = (sim->qhead + 1) % AX_SIM_QUEUE;
        sim->qlen--;

        ax_sim_send_call(sim, call.action, call.payload, now);
        return;
    }

    if (sim->finish_pending) {
        ax_sim_close(sim, AX_SIM_CLOSE_FINISH, AX_WS_CLOSE_NORMAL,
                     "done", now);
    }
}


/* payload is taken over (kept to send again after a lost connection) */

static void
ax_sim_send_call(ax_sim_t *sim, unsigned action, json_t *payload,
    uint64_t now)
{
    char    *text;
    size_t   len;

    if (payload == NULL) {
        ax_sim_error(sim, AX_SIM_E_QUEUE, action, "out of memory");
        return;
    }

    snprintf(sim->out_id, sizeof(sim->out_id), "c%" PRIu64, ++sim->seq);

    text = ax_ocpp_write_call(sim->out_id, ax_sim_actions[action], payload,
                              &len);
    if (text == NULL) {
        json_decref(payload);
        ax_sim_error(sim, AX_SIM_E_QUEUE, action, "out of memory");
        return;
    }

    sim->has_out = 1;
    sim->out.action = action;
    sim->out.payload = payload;
    sim->out_sent = now;
    sim->heartbeat_at = now + sim->hb_interval;

    ax_sim_send_text(sim, text, len);
}


static void
ax_sim_send_text(ax_sim_t *sim, char *text, size_t len)
{
    ax_sim_event_t  ev;

    memset(&ev, 0, sizeof(ax_sim_event_t));
    ev.type = AX_SIM_EV_SENT;
    ev.text = text;
    ev.len = len;
    ax_sim_emit(sim, &ev);

    /* a failure is followed by ax_sim_closed(), or by the timeout */
    (void) sim->ops->send(sim, text, len);

    free(text);
}


int
ax_sim_load(ax_sim_t *sim, uint64_t now)
{
    int             n;
    char            buf[96];
    ax_sim_event_t  ev;

    if (sim->conn != AX_SIM_ONLINE) {
        return -1;
    }

    n = snprintf(buf, sizeof(buf), "[2,\"h%" PRIx64 "-%" PRIx64 "\","
                 "\"Heartbeat\",{}]", ++sim->seq, now);

    if (sim->ops->event) {
        memset(&ev, 0, sizeof(ax_sim_event_t));
        ev.type = AX_SIM_EV_SENT;
        ev.action = AX_SIM_A_LOAD;
        ev.text = buf;
        ev.len = n;
        sim->ops->event(sim, &ev);
    }

    if (sim->ops->send(sim, buf, n) != 0) {
        return -1;
    }

    sim->inflight++;
    sim->load_last = now;
    sim->heartbeat_at = now + sim->hb_interval;

    if (sim->inflight == 1) {
        ax_sim_arm(sim);
    }

    return 0;
}


/* ------------------------------------------------------------------------
 * Messages from the central system
 */

void
ax_sim_message(ax_sim_t *sim, const char *text, size_t len, uint64_t now)
{
    const char       *q;
    ax_ocpp_msg_t     msg;
    ax_sim_event_t    ev;
    ax_ocpp_error_t   err;

    if (sim->ops->event) {
        memset(&ev, 0, sizeof(ax_sim_event_t));
        ev.type = AX_SIM_EV_RECEIVED;
        ev.text = text;
        ev.len = len;
        sim->ops->event(sim, &ev);
    }

    if (sim->conn == AX_SIM_CLOSING || sim->conn == AX_SIM_OFFLINE) {
        return;
    }

    /*
     * The answer to a Heartbeat of ax_sim_load(): its id alone matters,
     * so it is not parsed further.  [3,"h..." (ECHO: our CALL, [2,"h...)
     */

    if (len > 6 && text[0] == '[' && text[2] == ',' && text[3] == '"'
        && text[4] == 'h'
        && (text[1] == '3'
            || (text[1] == '2' && sim->conf->mode == AX_SIM_MODE_ECHO)))
    {
        q = memchr(text + 4, '"', len - 4);

        if (q && memchr(text + 4, '\\', q - text - 4) == NULL) {
            ax_sim_load_answer(sim, now, text + 4, q - text - 4, 0);
            return;
        }
    }

    if (ax_ocpp_parse((const unsigned char *) text, len, &msg, &err) != 0) {
        ax_sim_error(sim, AX_SIM_E_PROTOCOL, AX_SIM_A_N, "%s: %s", err.code,
                     err.description);

        if (err.type == AX_OCPP_CALL) {
            ax_sim_reply_error(sim, err.id, strlen(err.id), err.code,
                               err.description);
        }

        return;
    }

    switch (msg.type) {

    case AX_OCPP_CALL:
        if (sim->conf->mode == AX_SIM_MODE_ECHO) {
            if (msg.id[0] == 'h') {
                ax_sim_load_answer(sim, now, msg.id, msg.id_len, 0);

            } else {
                ax_sim_error(sim, AX_SIM_E_STRAY, AX_SIM_A_N,
                             "an echo of no CALL of ours (id \"%s\")",
                             msg.id);
            }

            break;
        }

        ax_sim_on_call(sim, now, &msg);
        break;

    default: /* AX_OCPP_CALLRESULT, AX_OCPP_CALLERROR */
        if (sim->has_out && strcmp(msg.id, sim->out_id) == 0) {
            ax_sim_on_answer(sim, now, sim->out.action, msg.payload,
                             msg.type == AX_OCPP_CALLERROR
                             ? msg.error_code : NULL,
                             msg.error_description);

        } else if (msg.id[0] == 'h') {
            ax_sim_load_answer(sim, now, msg.id, msg.id_len,
                               msg.type == AX_OCPP_CALLERROR);

            if (msg.type == AX_OCPP_CALLERROR) {
                ax_sim_error(sim, AX_SIM_E_CALLERROR, AX_SIM_A_LOAD,
                             "Heartbeat: %s %s", msg.error_code,
                             msg.error_description);
            }

        } else {
            ax_sim_error(sim, AX_SIM_E_STRAY, AX_SIM_A_N,
                         "an answer to no CALL of ours (id \"%s\")",
                         msg.id);
        }
    }

    ax_ocpp_msg_free(&msg);

    ax_sim_pump(sim, now);
    ax_sim_arm(sim);
}


/* "h<seq>-<sent>", both in hex */

static void
ax_sim_load_answer(ax_sim_t *sim, uint64_t now, const char *id, size_t len,
    int error)
{
    int             d;
    size_t          i;
    uint64_t        sent;
    ax_sim_event_t  ev;

    sent = 0;

    for (i = 1; i < len && id[i] != '-'; i++) {
        /* the sequence number: skipped */
    }

    for (i++; i < len; i++) {
        d = id[i];

        if (d >= '0' && d <= '9') {
            d -= '0';

        } else if (d >= 'a' && d <= 'f') {
            d = d - 'a' + 10;

        } else {
            break;
        }

        sent = (sent << 4) | (unsigned) d;
    }

    if (i != len || sim->inflight == 0 || sent > now) {
        ax_sim_error(sim, AX_SIM_E_STRAY, AX_SIM_A_LOAD,
                     "an answer to no Heartbeat in flight (id \"%.*s\")",
                     (int) len, id);
        return;
    }

    sim->inflight--;
    sim->load_last = now;

    memset(&ev, 0, sizeof(ax_sim_event_t));
    ev.type = AX_SIM_EV_ANSWER;
    ev.action = AX_SIM_A_LOAD;
    ev.error = error ? AX_SIM_E_CALLERROR : 0;
    ev.rtt = now - sent;
    ax_sim_emit(sim, &ev);

    if (sim->inflight == 0) {
        ax_sim_arm(sim);
    }
}


static void
ax_sim_on_answer(ax_sim_t *sim, uint64_t now, unsigned action,
    json_t *payload, const char *error_code, const char *error_text)
{
    const char       *status;
    json_t           *v;
    ax_sim_event_t    ev;
    ax_ocpp_error_t   err;

    sim->has_out = 0;
    json_decref(sim->out.payload);
    sim->out.payload = NULL;

    memset(&ev, 0, sizeof(ax_sim_event_t));
    ev.type = AX_SIM_EV_ANSWER;
    ev.action = action;
    ev.error = error_code ? AX_SIM_E_CALLERROR : 0;
    ev.rtt = now - sim->out_sent;
    ax_sim_emit(sim, &ev);

    if (error_code) {
        ax_sim_error(sim, AX_SIM_E_CALLERROR, action, "%s: %s %s",
                     ax_sim_actions[action], error_code, error_text);

    } else if (sim->conf->schemas
               && ax_ocpp_validate(sim->conf->schemas,
                                   ax_sim_actions[action],
                                   strlen(ax_sim_actions[action]), 1,
                                   &payload, 0, &err)
                  != 0)
    {
        ax_sim_error(sim, AX_SIM_E_SCHEMA, action, "%s answer: %s %s",
                     ax_sim_actions[action], err.code, err.description);
    }

    if (!json_is_object(payload)) {
        payload = NULL;
    }

    switch (action) {

    case AX_SIM_A_BOOT:
        ax_sim_on_boot(sim, now, payload, error_code != NULL);
        break;

    case AX_SIM_A_AUTHORIZE:
        if (sim->phase != AX_SIM_AUTHORIZING) {
            break;
        }

        v = payload ? json_object_get(payload, "idTagInfo") : NULL;
        status = json_string_value(json_object_get(v, "status"));

        if (sim->stop_wanted) {
            sim->stop_wanted = 0;
            ax_sim_session_over(sim, now, 0, 1);
            break;
        }

        if (error_code == NULL && status && strcmp(status, "Accepted") == 0)
        {
            ax_sim_queue_start(sim);
            sim->phase = AX_SIM_STARTING;
            break;
        }

        if (error_code == NULL) {
            ax_sim_error(sim, AX_SIM_E_AUTH, action, "idTag %s: %s",
                         sim->tag, status ? status : "no idTagInfo.status");
        }

        ax_sim_session_over(sim, now, 0, 0);
        break;

    case AX_SIM_A_START:
        if (sim->phase != AX_SIM_STARTING) {
            break;
        }

        v = payload ? json_object_get(payload, "idTagInfo") : NULL;
        status = json_string_value(json_object_get(v, "status"));
        v = payload ? json_object_get(payload, "transactionId") : NULL;

        if (error_code == NULL && status && strcmp(status, "Accepted") == 0
            && json_is_integer(v))
        {
            sim->transaction_id = json_integer_value(v);
            sim->phase = AX_SIM_CHARGING;
            sim->charge_from = now;
            sim->end_at = now + (uint64_t) (sim->conf->duration * AX_SIM_NS);
            sim->meter_at = now + sim->interval;

            ax_sim_set_status(sim, "Charging");

            memset(&ev, 0, sizeof(ax_sim_event_t));
            ev.type = AX_SIM_EV_SESSION_START;
            ev.transaction_id = sim->transaction_id;
            ax_sim_emit(sim, &ev);

            if (sim->stop_wanted) {
                sim->stop_wanted = 0;
                ax_sim_session_stop(sim, now, sim->stop_reason);
            }

            break;
        }

        if (error_code == NULL) {
            ax_sim_error(sim, AX_SIM_E_START, action, "idTag %s: %s%s",
                         sim->tag, status ? status : "no idTagInfo.status",
                         json_is_integer(v) ? "" : ", no transactionId");
        }

        sim->stop_wanted = 0;
        ax_sim_session_over(sim, now, 0, 0);
        break;

    case AX_SIM_A_STOP:
        if (sim->phase == AX_SIM_STOPPING) {
            ax_sim_session_over(sim, now, 1, error_code == NULL);
        }
        break;

    default:
        break;
    }
}


static void
ax_sim_on_boot(ax_sim_t *sim, uint64_t now, json_t *payload, int error)
{
    json_int_t       interval;
    const char      *status;
    ax_sim_event_t   ev;

    status = json_string_value(json_object_get(payload, "status"));
    interval = json_integer_value(json_object_get(payload, "interval"));

    if (interval < 0) {
        interval = 0;
    }

    if (sim->conn != AX_SIM_BOOTING) {
        /* a BootNotification that TriggerMessage asked for */
        if (!error && status && strcmp(status, "Accepted") == 0
            && interval && sim->conf->heartbeat == 0)
        {
            sim->hb_interval = (uint64_t) interval * AX_SIM_NS;
        }

        return;
    }

    if (error || status == NULL || strcmp(status, "Accepted") != 0) {
        sim->conn = AX_SIM_PENDING;
        sim->boot_at = now + (interval
                              ? (uint64_t) interval * AX_SIM_NS
                              : (uint64_t) (sim->conf->boot_retry
                                            * AX_SIM_NS));

        if (status && strcmp(status, "Pending") == 0) {
            ax_sim_info(sim, "boot Pending: BootNotification again in %lld "
                        "s", (long long) ((sim->boot_at - now) / AX_SIM_NS));

        } else if (!error) {
            ax_sim_error(sim, AX_SIM_E_BOOT, AX_SIM_A_BOOT,
                         "boot %s: BootNotification again in %lld s",
                         status ? status : "without a status",
                         (long long) ((sim->boot_at - now) / AX_SIM_NS));
        }

        if (sim->stopping) {
            ax_sim_finish(sim, now, 0);
        }

        return;
    }

    sim->conn = AX_SIM_ONLINE;
    sim->boots++;
    sim->booted_once = 1;
    sim->backoff = (uint64_t) (sim->conf->backoff_min * AX_SIM_NS);

    if (sim->conf->heartbeat == 0) {
        sim->hb_interval = (uint64_t) interval * AX_SIM_NS;
    }

    sim->heartbeat_at = now + sim->hb_interval;

    if (sim->conf->jitter && sim->hb_interval) {
        sim->heartbeat_at = now + ax_sim_random(sim) % sim->hb_interval;
    }

    memset(&ev, 0, sizeof(ax_sim_event_t));
    ev.type = AX_SIM_EV_BOOTED;
    ax_sim_emit(sim, &ev);

    /* the charge point as a whole (connector 0), then its connector */

    if (sim->conf->statuses) {
        ax_sim_queue(sim, AX_SIM_A_STATUS, ax_sim_status_payload(sim, 0));
        ax_sim_queue(sim, AX_SIM_A_STATUS,
                     ax_sim_status_payload(sim, sim->conf->connector));
    }

    if (sim->stopping) {
        ax_sim_finish(sim, now, 0);
        return;
    }

    if (sim->conf->mode != AX_SIM_MODE_SESSION
        || sim->phase != AX_SIM_IDLE || sim->start_at)
    {
        return;
    }

    if (sim->conf->sessions
        && sim->sessions_ok + sim->sessions_failed >= sim->conf->sessions)
    {
        ax_sim_finish(sim, now, 0);
        return;
    }

    sim->start_at = now + (uint64_t) (sim->conf->pre_charge_delay
                                      * AX_SIM_NS);
    if (sim->start_at == 0) {
        sim->start_at = 1;
    }
}


/* ------------------------------------------------------------------------
 * Sessions
 */

static void
ax_sim_session_begin(ax_sim_t *sim, uint64_t now)
{
    int          authorize;
    const char  *v;
    char         buf[8];

    sim->start_at = 0;

    if (!sim->remote_start) {
        free(sim->tag);
        sim->tag = strdup(sim->conf->id_tag);
    }

    authorize = sim->conf->authorize;

    if (sim->remote_start) {
        v = ax_sim_config_value(sim, "AuthorizeRemoteTxRequests", buf,
                                sizeof(buf));
        authorize = v && strcmp(v, "true") == 0;
    }

    ax_sim_set_status(sim, "Preparing");

    if (authorize) {
        ax_sim_queue(sim, AX_SIM_A_AUTHORIZE,
                     json_pack("{s:s}", "idTag", sim->tag ? sim->tag : ""));
        sim->phase = AX_SIM_AUTHORIZING;
        return;
    }

    ax_sim_queue_start(sim);
    sim->phase = AX_SIM_STARTING;
}


static void
ax_sim_queue_start(ax_sim_t *sim)
{
    double  r;
    char    ts[AX_OCPP_TIME_LEN + 1];

    r = (double) (ax_sim_random(sim) >> 11) / (double) (1ULL << 53);

    sim->meter_start = sim->meter;
    sim->energy = llround((sim->conf->kwh_min
                           + r * (sim->conf->kwh_max - sim->conf->kwh_min))
                          * 1000);
    sim->transaction_id = 0;

    ax_sim_timestamp(ts);
    free(sim->start_time);
    sim->start_time = strdup(ts);

    ax_sim_queue(sim, AX_SIM_A_START,
                 json_pack("{s:I, s:s, s:I, s:s}",
                           "connectorId", (json_int_t) sim->conf->connector,
                           "idTag", sim->tag ? sim->tag : "",
                           "meterStart", (json_int_t) sim->meter_start,
                           "timestamp", ts));
}


static void
ax_sim_session_stop(ax_sim_t *sim, uint64_t now, const char *reason)
{
    char  ts[AX_OCPP_TIME_LEN + 1];

    if (sim->phase == AX_SIM_AUTHORIZING || sim->phase == AX_SIM_STARTING) {
        sim->stop_wanted = 1;
        sim->stop_reason = reason;
        return;
    }

    if (sim->phase != AX_SIM_CHARGING) {
        return;
    }

    sim->meter = ax_sim_meter_now(sim, now);
    sim->phase = AX_SIM_STOPPING;
    sim->stop_reason = reason;

    ax_sim_timestamp(ts);

    ax_sim_queue(sim, AX_SIM_A_STOP,
                 json_pack("{s:I, s:s, s:I, s:s, s:s}",
                           "transactionId", (json_int_t) sim->transaction_id,
                           "idTag", sim->tag ? sim->tag : "",
                           "meterStop", (json_int_t) sim->meter,
                           "timestamp", ts,
                           "reason", reason));

    ax_sim_set_status(sim, "Finishing");
}


/* a session is over: started (a transaction existed), ok (it ended well) */

static void
ax_sim_session_over(ax_sim_t *sim, uint64_t now, int started, int ok)
{
    ax_sim_event_t  ev;

    memset(&ev, 0, sizeof(ax_sim_event_t));
    ev.type = AX_SIM_EV_SESSION_END;
    ev.ok = ok;
    ev.transaction_id = sim->transaction_id;
    ev.energy_wh = started ? sim->meter - sim->meter_start : 0;
    ev.text = sim->stop_reason;
    ev.len = sim->stop_reason ? strlen(sim->stop_reason) : 0;

    sim->phase = AX_SIM_IDLE;
    sim->remote_start = 0;
    sim->stop_wanted = 0;

    /* a session that never began because the run ends is not counted */
    if (started || !(sim->stopping || sim->reset_pending) || !ok) {
        if (ok) {
            sim->sessions_ok++;

        } else {
            sim->sessions_failed++;
        }

        ax_sim_emit(sim, &ev);
    }

    sim->transaction_id = 0;
    sim->stop_reason = NULL;

    if (sim->inoperative_later) {
        sim->inoperative_later = 0;
        sim->inoperative = 1;
        ax_sim_set_status(sim, "Unavailable");

    } else {
        ax_sim_set_status(sim, "Available");
    }

    if (sim->reset_pending) {
        sim->reset_pending = 0;
        ax_sim_queue_clear(sim);
        ax_sim_close(sim, AX_SIM_CLOSE_REBOOT, AX_WS_CLOSE_NORMAL,
                     "reset", now);
        return;
    }

    if (sim->stopping
        || (sim->conf->sessions
            && sim->sessions_ok + sim->sessions_failed
               >= sim->conf->sessions))
    {
        ax_sim_finish(sim, now, 0);
        return;
    }

    sim->start_at = now + (uint64_t) (sim->conf->pre_charge_delay
                                      * AX_SIM_NS);

    if (!ok) {
        /* after a failure: at least the backoff */
        sim->start_at = now + ax_sim_backoff(sim);
    }

    if (sim->start_at == 0) {
        sim->start_at = 1;
    }
}


static long long
ax_sim_meter_now(ax_sim_t *sim, uint64_t now)
{
    double    f;
    uint64_t  d;

    d = (uint64_t) (sim->conf->duration * AX_SIM_NS);

    if (d == 0 || now >= sim->charge_from + d) {
        return sim->meter_start + sim->energy;
    }

    f = (double) (now - sim->charge_from) / (double) d;

    return sim->meter_start + (long long) (f * (double) sim->energy);
}


static void
ax_sim_set_status(ax_sim_t *sim, const char *status)
{
    sim->status = status;

    if (sim->conf->statuses && sim->conn == AX_SIM_ONLINE) {
        ax_sim_queue(sim, AX_SIM_A_STATUS,
                     ax_sim_status_payload(sim, sim->conf->connector));
    }
}


static json_t *
ax_sim_status_payload(ax_sim_t *sim, unsigned connector)
{
    const char  *status;
    char         ts[AX_OCPP_TIME_LEN + 1];

    status = sim->status;

    if (connector == 0) {
        /* the charge point as a whole */
        status = sim->inoperative ? "Unavailable" : "Available";
    }

    ax_sim_timestamp(ts);

    return json_pack("{s:I, s:s, s:s, s:s}",
                     "connectorId", (json_int_t) connector,
                     "errorCode", "NoError",
                     "status", status,
                     "timestamp", ts);
}


static json_t *
ax_sim_meter_payload(ax_sim_t *sim, uint64_t now)
{
    char       ts[AX_OCPP_TIME_LEN + 1], energy[24], power[24];
    double     hours;
    json_t    *p, *sv;
    long long  w;

    w = 0;

    if (sim->phase == AX_SIM_CHARGING) {
        sim->meter = ax_sim_meter_now(sim, now);
        hours = sim->conf->duration / 3600.0;
        w = hours > 0 ? (long long) (sim->energy / hours) : 0;
    }

    snprintf(energy, sizeof(energy), "%lld", sim->meter);
    snprintf(power, sizeof(power), "%lld", w);

    ax_sim_timestamp(ts);

    sv = json_pack("[{s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]",
                   "value", energy, "context", "Sample.Periodic",
                   "measurand", "Energy.Active.Import.Register",
                   "location", "Outlet", "unit", "Wh",
                   "value", power, "context", "Sample.Periodic",
                   "measurand", "Power.Active.Import", "unit", "W");

    p = json_pack("{s:I, s:[{s:s, s:o}]}",
                  "connectorId", (json_int_t) sim->conf->connector,
                  "meterValue", "timestamp", ts, "sampledValue", sv);

    if (p && sim->transaction_id) {
        json_object_set_new(p, "transactionId",
                            json_integer(sim->transaction_id));
    }

    return p;
}


/* ------------------------------------------------------------------------
 * The central system's CALLs
 */

static void
ax_sim_on_call(ax_sim_t *sim, uint64_t now, ax_ocpp_msg_t *msg)
{
    int               reset_now, ok;
    json_t           *p, *v;
    json_int_t        n;
    const char       *a, *s, *t;
    ax_ocpp_error_t   err;

    a = msg->action;
    p = msg->payload;

    if (sim->conf->schemas) {
        if (!ax_ocpp_schemas_has_action(sim->conf->schemas, a,
                                        msg->action_len))
        {
            ax_sim_reply_error(sim, msg->id, msg->id_len, "NotImplemented",
                               "unknown action");
            return;
        }

        if (ax_ocpp_validate(sim->conf->schemas, a, msg->action_len, 0,
                             &msg->payload, 0, &err)
            != 0)
        {
            ax_sim_error(sim, AX_SIM_E_PROTOCOL, AX_SIM_A_N, "%s: %s %s", a,
                         err.code, err.description);
            ax_sim_reply_error(sim, msg->id, msg->id_len, err.code,
                               err.description);
            return;
        }

        p = msg->payload;
    }

    if (!json_is_object(p)) {
        ax_sim_reply_error(sim, msg->id, msg->id_len, "FormationViolation",
                           "the payload is not an object");
        return;
    }

#define ax_sim_need(name, check)                                              \
    v = json_object_get(p, name);                                             \
    if (v == NULL || !check(v)) {                                             \
        ax_sim_reply_error(sim, msg->id, msg->id_len,                         \
                           v ? "TypeConstraintViolation"                      \
                             : "OccurenceConstraintViolation",                \
                           name);                                             \
        return;                                                               \
    }

    if (strcmp(a, "RemoteStopTransaction") == 0) {
        ax_sim_need("transactionId", json_is_integer);
        n = json_integer_value(v);

        ok = sim->phase == AX_SIM_CHARGING && n == sim->transaction_id;

        ax_sim_reply(sim, msg, json_pack("{s:s}", "status",
                                         ok ? "Accepted" : "Rejected"));
        if (ok) {
            ax_sim_info(sim, "remote stop of transaction %lld",
                        (long long) n);
            ax_sim_session_stop(sim, now, "Remote");
        }

        return;
    }

    if (strcmp(a, "RemoteStartTransaction") == 0) {
        ax_sim_need("idTag", json_is_string);
        s = json_string_value(v);
        v = json_object_get(p, "connectorId");

        ok = sim->conf->mode == AX_SIM_MODE_SESSION
             && sim->phase == AX_SIM_IDLE && sim->conn == AX_SIM_ONLINE
             && !sim->inoperative && !sim->stopping && !sim->finish_pending
             && (v == NULL || json_integer_value(v)
                              == (json_int_t) sim->conf->connector);

        ax_sim_reply(sim, msg, json_pack("{s:s}", "status",
                                         ok ? "Accepted" : "Rejected"));
        if (ok) {
            ax_sim_info(sim, "remote start for idTag %s", s);
            free(sim->tag);
            sim->tag = strdup(s);
            sim->remote_start = 1;
            ax_sim_session_begin(sim, now);
        }

        return;
    }

    if (strcmp(a, "Reset") == 0) {
        ax_sim_need("type", json_is_string);
        t = json_string_value(v);

        if (strcmp(t, "Soft") != 0 && strcmp(t, "Hard") != 0) {
            ax_sim_reply_error(sim, msg->id, msg->id_len,
                               "PropertyConstraintViolation", "type");
            return;
        }

        ax_sim_reply(sim, msg, json_pack("{s:s}", "status", "Accepted"));

        s = ax_sim_reset(sim, now, t);
        reset_now = s == NULL;

        ax_sim_info(sim, "%s reset%s", t, reset_now ? ": rebooting"
                                                    : ", once stopped");

        if (reset_now) {
            ax_sim_queue_clear(sim);
            ax_sim_close(sim, AX_SIM_CLOSE_REBOOT, AX_WS_CLOSE_NORMAL,
                         "reset", now);
        }

        return;
    }

    if (strcmp(a, "GetConfiguration") == 0) {
        ax_sim_reply(sim, msg, ax_sim_get_configuration(sim, p));
        return;
    }

    if (strcmp(a, "ChangeConfiguration") == 0) {
        ax_sim_need("key", json_is_string);
        s = json_string_value(v);
        ax_sim_need("value", json_is_string);
        t = json_string_value(v);

        ax_sim_reply(sim, msg, ax_sim_change_configuration(sim, now, s, t));
        return;
    }

    if (strcmp(a, "TriggerMessage") == 0) {
        ax_sim_need("requestedMessage", json_is_string);
        s = json_string_value(v);

        /* the answer first, the message it promises after */
        t = ax_sim_trigger(sim, now, s, json_object_get(p, "connectorId"));
        ax_sim_reply(sim, msg, json_pack("{s:s}", "status", t));

        if (strcmp(t, "Accepted") == 0) {
            ax_sim_info(sim, "triggered %s", s);
        }

        return;
    }

    if (strcmp(a, "UnlockConnector") == 0) {
        ax_sim_need("connectorId", json_is_integer);
        n = json_integer_value(v);

        if (n != (json_int_t) sim->conf->connector) {
            ax_sim_reply(sim, msg, json_pack("{s:s}", "status",
                                             "NotSupported"));
            return;
        }

        ax_sim_reply(sim, msg, json_pack("{s:s}", "status", "Unlocked"));

        if (sim->phase == AX_SIM_CHARGING) {
            ax_sim_session_stop(sim, now, "UnlockCommand");
        }

        return;
    }

    if (strcmp(a, "ChangeAvailability") == 0) {
        ax_sim_need("connectorId", json_is_integer);
        n = json_integer_value(v);
        ax_sim_need("type", json_is_string);
        t = json_string_value(v);

        if (n != 0 && n != (json_int_t) sim->conf->connector) {
            s = "Rejected";

        } else if (strcmp(t, "Inoperative") == 0) {
            if (sim->phase != AX_SIM_IDLE) {
                sim->inoperative_later = 1;
                s = "Scheduled";

            } else {
                s = "Accepted";
            }

        } else if (strcmp(t, "Operative") == 0) {
            s = "Accepted";

        } else {
            ax_sim_reply_error(sim, msg->id, msg->id_len,
                               "PropertyConstraintViolation", "type");
            return;
        }

        ax_sim_reply(sim, msg, json_pack("{s:s}", "status", s));

        if (strcmp(s, "Accepted") != 0) {
            return;
        }

        if (strcmp(t, "Inoperative") == 0) {
            sim->inoperative = 1;
            ax_sim_set_status(sim, "Unavailable");

        } else {
            sim->inoperative_later = 0;

            if (sim->inoperative) {
                sim->inoperative = 0;

                if (sim->phase == AX_SIM_IDLE) {
                    ax_sim_set_status(sim, "Available");
                }
            }
        }

        return;
    }

    if (strcmp(a, "ClearCache") == 0) {
        ax_sim_reply(sim, msg, json_pack("{s:s}", "status", "Accepted"));
        return;
    }

    if (strcmp(a, "DataTransfer") == 0) {
        ax_sim_need("vendorId", json_is_string);
        s = json_string_value(v);

        if (strcmp(s, sim->conf->vendor) != 0) {
            ax_sim_reply(sim, msg, json_pack("{s:s}", "status",
                                             "UnknownVendorId"));
            return;
        }

        v = json_object_get(p, "data");

        ax_sim_reply(sim, msg,
                     json_is_string(v)
                     ? json_pack("{s:s, s:O}", "status", "Accepted",
                                 "data", v)
                     : json_pack("{s:s}", "status", "Accepted"));
        return;
    }

#undef ax_sim_need

    ax_sim_reply_error(sim, msg->id, msg->id_len, "NotImplemented",
                       "not supported by this charge point");
}


/* NULL: reboot now; else why it waits */

static const char *
ax_sim_reset(ax_sim_t *sim, uint64_t now, const char *type)
{
    const char  *reason;

    reason = strcmp(type, "Hard") == 0 ? "HardReset" : "SoftReset";

    switch (sim->phase) {

    case AX_SIM_CHARGING:
        sim->reset_pending = 1;
        ax_sim_session_stop(sim, now, reason);
        return "stopping";

    case AX_SIM_AUTHORIZING:
    case AX_SIM_STARTING:
        sim->reset_pending = 1;
        sim->stop_wanted = 1;
        sim->stop_reason = reason;
        return "starting";

    case AX_SIM_STOPPING:
        sim->reset_pending = 1;
        return "stopping";

    default:
        return NULL;
    }
}


static json_t *
ax_sim_get_configuration(ax_sim_t *sim, json_t *req)
{
    int          i;
    char         buf[32];
    size_t       k;
    json_t      *keys, *known, *unknown, *v;
    const char  *name, *value;

    known = json_array();
    unknown = json_array();

    keys = json_object_get(req, "key");

    for (i = 0; i < AX_SIM_NKEYS; i++) {

        if (json_is_array(keys) && json_array_size(keys)) {
            json_array_foreach(keys, k, v) {
                if (json_is_string(v)
                    && strcmp(json_string_value(v), ax_sim_keys[i].key) == 0)
                {
                    break;
                }
            }

            if (k == json_array_size(keys)) {
                continue;
            }
        }

        value = ax_sim_config_value(sim, ax_sim_keys[i].key, buf,
                                    sizeof(buf));

        json_array_append_new(known,
            json_pack("{s:s, s:b, s:s}", "key", ax_sim_keys[i].key,
                      "readonly", (int) ax_sim_keys[i].readonly,
                      "value", value ? value : ""));
    }

    if (json_is_array(keys)) {
        json_array_foreach(keys, k, v) {
            name = json_string_value(v);

            if (name && ax_sim_key_index(name) < 0) {
                json_array_append(unknown, v);
            }
        }
    }

    v = json_object();
    json_object_set_new(v, "configurationKey", known);

    if (json_array_size(unknown)) {
        json_object_set_new(v, "unknownKey", unknown);

    } else {
        json_decref(unknown);
    }

    return v;
}


static json_t *
ax_sim_change_configuration(ax_sim_t *sim, uint64_t now, const char *key,
    const char *value)
{
    int          i;
    char        *end;
    long long    n;
    const char  *status;

    i = ax_sim_key_index(key);

    if (i < 0) {
        status = "NotSupported";
        goto done;
    }

    if (ax_sim_keys[i].readonly) {
        status = "Rejected";
        goto done;
    }

    n = 0;

    if (ax_sim_keys[i].type == AX_SIM_KEY_INT) {
        n = strtoll(value, &end, 10);

        if (*value == '\0' || *end != '\0' || n < 0 || n > 86400 * 365) {
            status = "Rejected";
            goto done;
        }

    } else if (ax_sim_keys[i].type == AX_SIM_KEY_BOOL
               && strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
    {
        status = "Rejected";
        goto done;
    }

    status = "Accepted";

    if (i == AX_SIM_KEY_HEARTBEAT) {
        sim->hb_interval = (uint64_t) n * AX_SIM_NS;
        sim->heartbeat_at = now + sim->hb_interval;

    } else if (i == AX_SIM_KEY_METER_INTERVAL) {
        sim->interval = (uint64_t) n * AX_SIM_NS;
        sim->meter_at = now + sim->interval;

    } else {
        free(sim->keys[i]);
        sim->keys[i] = strdup(value);
    }

    ax_sim_arm(sim);

done:

    return json_pack("{s:s}", "status", status);
}


const char *
ax_sim_config_value(ax_sim_t *sim, const char *key, char *buf, size_t size)
{
    int       i;
    uint64_t  v;

    i = ax_sim_key_index(key);

    if (i < 0) {
        return NULL;
    }

    if (i == AX_SIM_KEY_HEARTBEAT || i == AX_SIM_KEY_METER_INTERVAL) {
        v = (i == AX_SIM_KEY_HEARTBEAT) ? sim->hb_interval : sim->interval;

        if (v % AX_SIM_NS == 0) {
            snprintf(buf, size, "%llu",
                     (unsigned long long) (v / AX_SIM_NS));

        } else {
            snprintf(buf, size, "%g", (double) v / AX_SIM_NS);
        }

        return buf;
    }

    return sim->keys[i] ? sim->keys[i] : ax_sim_keys[i].value;
}


static int
ax_sim_key_index(const char *key)
{
    int  i;

    for (i = 0; i < AX_SIM_NKEYS; i++) {
        if (strcmp(ax_sim_keys[i].key, key) == 0) {
            return i;
        }
    }

    return -1;
}


/* TriggerMessage: the status of the answer; the message is queued */

static const char *
ax_sim_trigger(ax_sim_t *sim, uint64_t now, const char *what,
    json_t *connector)
{
    json_int_t  c;

    c = json_is_integer(connector) ? json_integer_value(connector) : -1;

    if (c != -1 && c != 0 && c != (json_int_t) sim->conf->connector) {
        return "Rejected";
    }

    if (strcmp(what, "BootNotification") == 0) {
        ax_sim_queue(sim, AX_SIM_A_BOOT,
                     json_pack("{s:s, s:s}",
                               "chargePointVendor", sim->conf->vendor,
                               "chargePointModel", sim->conf->model));

    } else if (strcmp(what, "Heartbeat") == 0) {
        ax_sim_queue(sim, AX_SIM_A_HEARTBEAT, json_object());

    } else if (strcmp(what, "StatusNotification") == 0) {
        if (c == 0) {
            ax_sim_queue(sim, AX_SIM_A_STATUS,
                         ax_sim_status_payload(sim, 0));

        } else {
            ax_sim_queue(sim, AX_SIM_A_STATUS,
                         ax_sim_status_payload(sim, sim->conf->connector));
        }

    } else if (strcmp(what, "MeterValues") == 0) {
        ax_sim_queue(sim, AX_SIM_A_METER, ax_sim_meter_payload(sim, now));

    } else if (strcmp(what, "DiagnosticsStatusNotification") == 0) {
        ax_sim_queue(sim, AX_SIM_A_DIAGNOSTICS,
                     json_pack("{s:s}", "status", "Idle"));

    } else if (strcmp(what, "FirmwareStatusNotification") == 0) {
        ax_sim_queue(sim, AX_SIM_A_FIRMWARE,
                     json_pack("{s:s}", "status", "Idle"));

    } else {
        return "NotImplemented";
    }

    return "Accepted";
}


static void
ax_sim_reply(ax_sim_t *sim, ax_ocpp_msg_t *msg, json_t *payload)
{
    char    *text;
    size_t   len;

    text = ax_ocpp_write_result(msg->id, msg->id_len, payload, &len);
    json_decref(payload);

    if (text == NULL) {
        ax_sim_error(sim, AX_SIM_E_QUEUE, AX_SIM_A_N, "out of memory");
        return;
    }

    ax_sim_send_text(sim, text, len);
}


static void
ax_sim_reply_error(ax_sim_t *sim, const char *id, size_t id_len,
    const char *code, const char *description)
{
    char    *text;
    size_t   len;

    text = ax_ocpp_write_error(id, id_len, code, description, NULL, &len);

    if (text == NULL) {
        ax_sim_error(sim, AX_SIM_E_QUEUE, AX_SIM_A_N, "out of memory");
        return;
    }

    ax_sim_send_text(sim, text, len);
}


/* ------------------------------------------------------------------------
 * Helpers
 */

static void
ax_sim_error(ax_sim_t *sim, unsigned error, unsigned action,
    const char *fmt, ...)
{
    int             n;
    char            text[256];
    va_list         args;
    ax_sim_event_t  ev;

    sim->errors[error]++;

    if (sim->ops->event == NULL) {
        return;
    }

    va_start(args, fmt);
    n = vsnprintf(text, sizeof(text), fmt, args);
    va_end(args);

    if (n < 0) {
        n = 0;
    }

    memset(&ev, 0, sizeof(ax_sim_event_t));
    ev.type = AX_SIM_EV_ERROR;
    ev.error = error;
    ev.action = action;
    ev.text = text;
    ev.len = (size_t) n < sizeof(text) ? (size_t) n : sizeof(text) - 1;
    sim->ops->event(sim, &ev);
}


static void
ax_sim_info(ax_sim_t *sim, const char *fmt, ...)
{
    int             n;
    char            text[256];
    va_list         args;
    ax_sim_event_t  ev;

    if (sim->ops->event == NULL) {
        return;
    }

    va_start(args, fmt);
    n = vsnprintf(text, sizeof(text), fmt, args);
    va_end(args);

    if (n < 0) {
        n = 0;
    }

    memset(&ev, 0, sizeof(ax_sim_event_t));
    ev.type = AX_SIM_EV_INFO;
    ev.text = text;
    ev.len = (size_t) n < sizeof(text) ? (size_t) n : sizeof(text) - 1;
    sim->ops->event(sim, &ev);
}


static void
ax_sim_emit(ax_sim_t *sim, ax_sim_event_t *ev)
{
    if (sim->ops->event) {
        sim->ops->event(sim, ev);
    }
}


static void
ax_sim_timestamp(char out[AX_OCPP_TIME_LEN + 1])
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    ax_ocpp_time_format((long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                        out);
}


/* xorshift64* */

static uint64_t
ax_sim_random(ax_sim_t *sim)
{
    uint64_t  x;

    x = sim->rand;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    sim->rand = x;

    return x * 0x2545f4914f6cdd1dULL;
}


/* the wait before the next attempt, +-25%; doubles up to backoff_max */

static uint64_t
ax_sim_backoff(ax_sim_t *sim)
{
    uint64_t  b, max;

    b = sim->backoff;
    max = (uint64_t) (sim->conf->backoff_max * AX_SIM_NS);

    sim->backoff = b * 2 > max ? max : b * 2;

    if (b < 4) {
        return b ? b : 1;
    }

    return b - b / 4 + ax_sim_random(sim) % (b / 2);
}


const char *
ax_sim_action_name(unsigned action)
{
    return action < AX_SIM_A_N ? ax_sim_actions[action] : "-";
}


const char *
ax_sim_error_name(unsigned error)
{
    static const char  *names[AX_SIM_E_N] = {
        "none", "connect", "lost", "timeout", "callerror", "boot refused",
        "authorize refused", "start refused", "protocol", "stray answer",
        "schema", "queue full"
    };

    return error < AX_SIM_E_N ? names[error] : "?";
}


const char *
ax_sim_conn_name(unsigned conn)
{
    static const char  *names[] = {
        "offline", "connecting", "booting", "pending", "online", "closing"
    };

    return conn < sizeof(names) / sizeof(names[0]) ? names[conn] : "?";
}


const char *
ax_sim_phase_name(unsigned phase)
{
    static const char  *names[] = {
        "idle", "authorizing", "starting", "charging", "stopping"
    };

    return phase < sizeof(names) / sizeof(names[0]) ? names[phase] : "?";
}
