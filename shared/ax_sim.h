
/*
 * An OCPP 1.6J charge point as a state machine, for the simulator and the
 * swarm (arthexis simulate): no sockets, no clock, no threads.  Plain C,
 * libc and jansson; no nginx headers.  The driver owns the connections and
 * the time: it feeds the machine events (connected, a message, closed, the
 * clock) and the machine answers through the driver's callbacks (open a
 * connection, send a text message, close it, and events for logs and
 * statistics).  One machine per charge point; any number in one thread.
 *
 *     sim = ax_sim_create(&conf, &ops, data);
 *     ax_sim_start(sim, now);             -> ops->connect()
 *     ax_sim_connected(sim, now);         -> BootNotification
 *     ax_sim_message(sim, text, len, now) -> answers, the next CALL
 *     ax_sim_timer(sim, now) when now >= sim->timer
 *     ax_sim_closed(sim, now, error)
 *     ax_sim_stop(sim, now)               Ctrl-C: StopTransaction first
 *     ... until sim->finished
 *
 * Modes:
 *   SESSION  the seed's simulator: BootNotification (Pending and Rejected
 *            honoured: Boot again after the interval given), a
 *            StatusNotification, then sessions: pre-charge delay,
 *            Preparing, Authorize, StartTransaction, Charging, MeterValues
 *            every interval with Energy.Active.Import.Register climbing to
 *            a random total in [kwh_min, kwh_max], StopTransaction,
 *            Finishing, Available; conf->sessions of them (0: forever).
 *   LOAD     boots, then sends Heartbeats when the driver asks
 *            (ax_sim_load(), any number in flight), for load tests.
 *   ECHO     no boot: the same Heartbeat CALLs to a WebSocket echo
 *            endpoint, the echo taken as the answer (the load tool's own
 *            ceiling).
 *
 * Rules a charge point follows (OCPP-J 1.6): at most one CALL of its own
 * outstanding (later ones wait in a queue; Heartbeats of ax_sim_load() are
 * the exception, by the driver's choice), unique message ids, each answer
 * awaited for conf->call_timeout (a timeout drops the connection), a
 * Heartbeat when nothing was sent for the heartbeat interval (Boot's, or
 * conf->heartbeat).  The central system's CALLs are answered at once:
 * RemoteStopTransaction, RemoteStartTransaction, Reset (then close,
 * reconnect and boot again), GetConfiguration and ChangeConfiguration
 * (from a key table), TriggerMessage, UnlockConnector, ChangeAvailability,
 * ClearCache, DataTransfer; anything else gets CALLERROR NotImplemented.
 *
 * A connection lost in the middle of a session (with conf->reconnect) does
 * not end it: the charger goes on charging offline, reconnects with
 * backoff, boots, and sends again the transaction message that was not
 * answered (StartTransaction again with the same timestamp, so the
 * central system can recognize the replay).  Without conf->reconnect a
 * lost connection ends the run as failed.
 */

#ifndef _AX_SIM_H_INCLUDED_
#define _AX_SIM_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ax_ocpp_schema.h"


#define AX_SIM_MODE_SESSION     0
#define AX_SIM_MODE_LOAD        1
#define AX_SIM_MODE_ECHO        2

/* the connection, sim->conn */
#define AX_SIM_OFFLINE          0     /* none; maybe one at sim->connect_at */
#define AX_SIM_CONNECTING       1     /* ops->connect() was called */
#define AX_SIM_BOOTING          2     /* BootNotification sent */
#define AX_SIM_PENDING          3     /* Boot Pending/Rejected: Boot again */
#define AX_SIM_ONLINE           4     /* booted (ECHO: open) */
#define AX_SIM_CLOSING          5     /* ops->close() was called */

/* the session, sim->phase (SESSION mode) */
#define AX_SIM_IDLE             0     /* Available; next start at start_at */
#define AX_SIM_AUTHORIZING      1
#define AX_SIM_STARTING         2
#define AX_SIM_CHARGING         3
#define AX_SIM_STOPPING         4

/* our CALLs */
#define AX_SIM_A_BOOT           0
#define AX_SIM_A_HEARTBEAT      1
#define AX_SIM_A_STATUS         2
#define AX_SIM_A_AUTHORIZE      3
#define AX_SIM_A_START          4
#define AX_SIM_A_STOP           5
#define AX_SIM_A_METER          6
#define AX_SIM_A_DATA_TRANSFER  7
#define AX_SIM_A_DIAGNOSTICS    8
#define AX_SIM_A_FIRMWARE       9
#define AX_SIM_A_LOAD           10    /* a Heartbeat of ax_sim_load() */
#define AX_SIM_A_N              11

/* errors, as counted by kind */
#define AX_SIM_E_NONE           0
#define AX_SIM_E_CONNECT        1     /* no connection (TCP or handshake) */
#define AX_SIM_E_LOST           2     /* the connection closed under us */
#define AX_SIM_E_TIMEOUT        3     /* a CALL got no answer in time */
#define AX_SIM_E_CALLERROR      4     /* a CALL got a CALLERROR */
#define AX_SIM_E_BOOT           5     /* Boot Rejected (or a CALLERROR) */
#define AX_SIM_E_AUTH           6     /* Authorize not Accepted */
#define AX_SIM_E_START          7     /* StartTransaction not Accepted */
#define AX_SIM_E_PROTOCOL       8     /* unreadable message */
#define AX_SIM_E_STRAY          9     /* an answer to no CALL of ours */
#define AX_SIM_E_SCHEMA         10    /* an answer fails its schema */
#define AX_SIM_E_QUEUE          11    /* too many CALLs waiting: dropped */
#define AX_SIM_E_N              12

/* events, ax_sim_event_t.type */
#define AX_SIM_EV_SENT          0     /* text: a frame we sent */
#define AX_SIM_EV_RECEIVED      1     /* text: a frame we received */
#define AX_SIM_EV_ANSWER        2     /* action, rtt: one of our CALLs was
                                         answered (CALLRESULT or
                                         CALLERROR: error is then set) */
#define AX_SIM_EV_ERROR         3     /* error, action, text */
#define AX_SIM_EV_BOOTED        4     /* Boot Accepted (ECHO: open) */
#define AX_SIM_EV_SESSION_START 5     /* transaction_id */
#define AX_SIM_EV_SESSION_END   6     /* transaction_id, ok, energy_wh */
#define AX_SIM_EV_FINISHED      7     /* the run is over: ok */
#define AX_SIM_EV_INFO          8     /* text: what the charger decided */

#define AX_SIM_QUEUE            16    /* CALLs waiting their turn */
#define AX_SIM_NKEYS            17    /* configuration keys */
#define AX_SIM_NEVER            UINT64_MAX


typedef struct ax_sim_s  ax_sim_t;


typedef struct {
    unsigned            mode;             /* AX_SIM_MODE_* */
    const char         *id;               /* the charger id */
    const char         *id_tag;           /* "FFFFFFFF" */
    unsigned            connector;        /* 1 */
    const char         *vendor;           /* "Arthexis" */
    const char         *model;            /* "Simulator" */
    const char         *serial;           /* NULL: not sent */
    const char         *firmware;         /* NULL: not sent */

    double              duration;         /* s of charging per session */
    double              interval;         /* s between MeterValues */
    double              pre_charge_delay; /* s Available before a session */
    double              kwh_min;
    double              kwh_max;
    unsigned            sessions;         /* 0: forever */
    unsigned            authorize:1;      /* Authorize before Start */
    unsigned            statuses:1;       /* StatusNotifications */
    unsigned            reconnect:1;      /* after a loss, with backoff */
    unsigned            jitter:1;         /* first Heartbeat at a random
                                             point of the interval */

    double              heartbeat;        /* s; 0: Boot's interval; < 0:
                                             no Heartbeats of our own */
    double              call_timeout;     /* s, 30 */
    double              boot_retry;       /* s when Boot's interval is 0 */
    double              reboot_delay;     /* s between Reset and connect */
    double              backoff_min;      /* s, reconnecting: doubles */
    double              backoff_max;

    uint64_t            seed;             /* random numbers (0: from id) */

    /* checks the central system's CALLs and answers, or NULL */
    const ax_ocpp_schemas_t  *schemas;
} ax_sim_conf_t;


typedef struct {
    unsigned            type;             /* AX_SIM_EV_* */
    unsigned            action;           /* AX_SIM_A_* */
    unsigned            error;            /* AX_SIM_E_*, 0: none */
    int                 ok;
    uint64_t            rtt;              /* ns */
    long long           transaction_id;
    long long           energy_wh;
    const char         *text;             /* not NUL-terminated: len */
    size_t              len;
} ax_sim_event_t;


typedef struct {
    /* open a connection; ax_sim_connected() or ax_sim_closed() follows */
    void   (*connect)(ax_sim_t *sim);

    /* send a text message; 0, or -1 when that is impossible now */
    int    (*send)(ax_sim_t *sim, const char *text, size_t len);

    /* close the connection (code 0: drop it at once); ax_sim_closed()
       follows */
    void   (*close)(ax_sim_t *sim, unsigned code, const char *reason);

    /* for logs and statistics; NULL: none */
    void   (*event)(ax_sim_t *sim, const ax_sim_event_t *ev);
} ax_sim_ops_t;


typedef struct {
    unsigned            action;
    json_t             *payload;
} ax_sim_call_t;


struct ax_sim_s {
    void                *data;            /* the driver's */
    const ax_sim_conf_t *conf;
    const ax_sim_ops_t  *ops;

    unsigned             conn;            /* AX_SIM_OFFLINE... */
    unsigned             phase;           /* AX_SIM_IDLE... */
    uint64_t             timer;           /* call ax_sim_timer() then */

    unsigned             finished:1;      /* the run is over */
    unsigned             failed:1;        /* ... and it failed */
    unsigned             stopping:1;      /* ax_sim_stop() was called */
    unsigned             booted_once:1;
    unsigned             closing_wanted:1;  /* the close is ours */
    unsigned             reboot:1;        /* a Reset: reconnect soon */
    unsigned             reset_pending:1; /* Reset once Stop is answered */
    unsigned             finish_pending:1;  /* close once the queue is empty */
    unsigned             remote_start:1;  /* the session was asked for */
    unsigned             stop_wanted:1;   /* stop once Start is answered */
    unsigned             inoperative:1;   /* ChangeAvailability */
    unsigned             inoperative_later:1;
    unsigned             has_out:1;

    /* counters */
    unsigned             boots;
    unsigned             connects;
    unsigned             sessions_ok;
    unsigned             sessions_failed;
    unsigned             inflight;        /* Heartbeats of ax_sim_load() */
    uint64_t             errors[AX_SIM_E_N];

    /* private */
    uint64_t             rand;
    uint64_t             seq;             /* message ids */
    uint64_t             hb_interval;     /* ns, 0: none */
    uint64_t             interval;        /* ns, MeterValues */
    uint64_t             heartbeat_at;
    uint64_t             boot_at;         /* Boot again (PENDING) */
    uint64_t             connect_at;      /* OFFLINE: connect then */
    uint64_t             backoff;         /* ns */
    uint64_t             start_at;        /* IDLE: next session */
    uint64_t             charge_from;     /* CHARGING began */
    uint64_t             meter_at;        /* next MeterValues */
    uint64_t             end_at;          /* CHARGING ends */
    uint64_t             load_last;       /* last load send or answer */
    uint64_t             conn_deadline;   /* CONNECTING, CLOSING */
    unsigned             close_why;

    const char          *status;          /* connector status */
    const char          *stop_reason;
    char                *tag;             /* the session's idTag */
    char                *start_time;      /* StartTransaction timestamp */
    long long            transaction_id;
    long long            meter;           /* Wh, the register */
    long long            meter_start;
    long long            energy;          /* Wh this session will take */

    /* the CALL in flight and those waiting */
    ax_sim_call_t        out;
    char                 out_id[24];
    uint64_t             out_sent;
    ax_sim_call_t        queue[AX_SIM_QUEUE];
    unsigned             qhead;
    unsigned             qlen;

    char                *keys[AX_SIM_NKEYS];  /* changed values, or NULL */
};


/* conf's defaults (the seed's where they were sound) */
void ax_sim_conf_init(ax_sim_conf_t *conf);

/* conf and ops must outlive the machine; NULL when out of memory */
ax_sim_t *ax_sim_create(const ax_sim_conf_t *conf, const ax_sim_ops_t *ops,
    void *data);
void ax_sim_free(ax_sim_t *sim);

/* another random sequence (a swarm shares one conf), before starting */
void ax_sim_seed(ax_sim_t *sim, uint64_t seed);

/* begins: ops->connect() at once */
void ax_sim_start(ax_sim_t *sim, uint64_t now);

/* the connection opened (the WebSocket handshake is done) */
void ax_sim_connected(ax_sim_t *sim, uint64_t now);

/* a text message from the central system */
void ax_sim_message(ax_sim_t *sim, const char *text, size_t len,
    uint64_t now);

/*
 * The connection is over, or never opened: error is AX_SIM_E_CONNECT (it
 * never opened), AX_SIM_E_LOST (it closed unasked), or 0 after our own
 * ops->close().
 */
void ax_sim_closed(ax_sim_t *sim, uint64_t now, unsigned error);

/* the clock: call it when now >= sim->timer (earlier is harmless) */
void ax_sim_timer(ax_sim_t *sim, uint64_t now);

/*
 * Ends the run cleanly: a session in progress is stopped first
 * (StopTransaction, reason Local), then the connection closes with 1000
 * and sim->finished is set.  Again: drops the connection at once.
 */
void ax_sim_stop(ax_sim_t *sim, uint64_t now);

/*
 * LOAD and ECHO: sends one Heartbeat now, whatever is in flight (the
 * driver keeps its window).  Returns 0, or -1 when not online.
 */
int ax_sim_load(ax_sim_t *sim, uint64_t now);

/* whether ax_sim_load() may send: online, in LOAD or ECHO mode */
#define ax_sim_ready(sim)  ((sim)->conn == AX_SIM_ONLINE)

/* online with none of its own CALLs in flight or waiting */
#define ax_sim_idle(sim)                                                      \
    ((sim)->conn == AX_SIM_ONLINE && !(sim)->has_out && (sim)->qlen == 0)

/* names for messages */
const char *ax_sim_action_name(unsigned action);
const char *ax_sim_error_name(unsigned error);
const char *ax_sim_conn_name(unsigned conn);
const char *ax_sim_phase_name(unsigned phase);

/* the value of a configuration key (GetConfiguration), or NULL */
const char *ax_sim_config_value(ax_sim_t *sim, const char *key, char *buf,
    size_t size);


#endif /* _AX_SIM_H_INCLUDED_ */
