
/*
 * arthexis simulate: one OCPP 1.6J charge point against any central system
 * (the seed's ocpp/simulator.py), or --swarm N of them from one process,
 * for load tests and the benchmarks.
 *
 * The charge point itself is shared/ax_sim (a state machine, unit-tested
 * in t/unit/test_sim.c); this file drives it: WebSocket connections over
 * shared/ax_wsclient (non-blocking, one epoll loop), a heap of the
 * chargers' timers, the ramp, the load (--rate, --window), statistics and
 * the server's CPU time and memory from /proc (shared/ax_bench).  wss:// is
 * carried by a TLS bridge thread (cli_sim_tls.c), for one charge point.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ax_bench.h>
#include <ax_cli.h>
#include <ax_ocpp_schema.h>
#include <ax_sim.h>
#include <ax_ws.h>
#include <ax_wsclient.h>


#define AX_SWARM_HANDSHAKES   512      /* connections opening at once */
#define AX_SWARM_SOURCE_PORTS 20000    /* connections per source address */
#define AX_SWARM_NS           1000000000ULL
#define AX_SWARM_MAX          1000000

/* phases of a swarm run */
#define AX_SWARM_RAMP         0
#define AX_SWARM_SETTLE       1
#define AX_SWARM_WARMUP       2
#define AX_SWARM_MEASURE      3
#define AX_SWARM_STOP         4
#define AX_SWARM_DONE         5


/* the TLS bridge (cli_sim_tls.c) */
typedef struct ax_sim_tls_s  ax_sim_tls_t;

ax_sim_tls_t *ax_sim_tls_start(const struct sockaddr *server,
    socklen_t server_len, const char *host, const char *ca, int insecure,
    struct sockaddr_un *local, socklen_t *local_len, char *err,
    size_t errlen);
const char *ax_sim_tls_error(ax_sim_tls_t *t);
void ax_sim_tls_stop(ax_sim_tls_t *t);


typedef struct ax_swarm_s  ax_swarm_t;


typedef struct {
    ax_swarm_t         *swarm;
    ax_sim_t           *sim;
    ax_wsc_t           *c;
    unsigned            index;
    unsigned            hpos;           /* heap position + 1, 0: none */
    uint64_t            hkey;
    unsigned            waiting:1;      /* in the connect queue */
    unsigned            handshake:1;    /* counted in swarm->handshakes */
    unsigned            opened:1;
    unsigned            online:1;
    char                id[64];
} ax_charger_t;


typedef struct {
    uint64_t            sent;
    uint64_t            answered;
    uint64_t            boots;
    uint64_t            sessions_ok;
    uint64_t            sessions_failed;
    uint64_t            errors[AX_SIM_E_N];
} ax_swarm_stats_t;


struct ax_swarm_s {
    /* options */
    unsigned            n;
    int                 single;
    int                 verbose;
    int                 quiet;
    int                 echo;
    int                 sessions;
    double              ramp;
    double              rate;
    unsigned            window;
    double              duration;
    double              warmup;
    double              settle;
    unsigned            sources;
    const char         *id_prefix;
    const char         *url;
    char               *host;
    char               *host_header;
    char               *base;           /* path, or path prefix (swarm) */
    unsigned            port;
    int                 tls;
    const char         *ca;
    int                 insecure;
    char               *headers;
    char               *single_id;
    ax_sim_conf_t       conf;
    ax_ocpp_schemas_t  *schemas;
    ax_bench_pids_t     pids;

    /* state */
    ax_wsc_loop_t      *loop;
    ax_wsc_conf_t       wconf;
    ax_sim_tls_t       *tls_bridge;
    struct sockaddr_storage  addr;
    socklen_t           addr_len;
    struct sockaddr_un  bridge;
    socklen_t           bridge_len;
    struct sockaddr_in *locals;
    ax_charger_t       *chargers;
    ax_charger_t      **heap;
    unsigned            hn;
    unsigned           *connq;          /* chargers waiting to connect */
    unsigned            cq_head;
    unsigned            cq_len;
    ax_wsc_t          **dead;           /* closed, to free */
    unsigned            ndead;
    unsigned            dead_size;
    unsigned            handshakes;
    unsigned            started;
    unsigned            online;
    unsigned            finished;
    unsigned            phase;
    int                 loading;
    int                 measuring;
    double              tokens;
    uint64_t            rate_last;
    unsigned            rr;
    unsigned            printed_errors[AX_SIM_E_N];

    uint64_t            t0;
    uint64_t            phase_at;
    uint64_t            last_start;
    uint64_t            ramp_end;
    uint64_t            tick;
    uint64_t            measure_from;
    uint64_t            measure_to;
    unsigned            booted_at_ramp_end;

    ax_swarm_stats_t    cur;
    ax_swarm_stats_t    prev;
    ax_swarm_stats_t    m0;
    ax_swarm_stats_t    m1;
    ax_bench_hist_t     hist_sec;
    ax_bench_hist_t     hist_all;
    double              cpu_prev;
    double              cpu_m0_user;
    double              cpu_m0_sys;
    double              cpu_m1_user;
    double              cpu_m1_sys;
    double              self_m0;
    double              self_m1;
    ax_bench_mem_t      mem0;
    ax_bench_mem_t      mem1;
    int                 have_mem;
};


static int ax_cli_simulate_main(int argc, char **argv);
static int ax_swarm_options(ax_swarm_t *sw, int argc, char **argv);
static int ax_swarm_double(const char *v, double *d, double min);
static char *ax_swarm_encode(const char *id);
static int ax_swarm_prepare(ax_swarm_t *sw);
static void ax_swarm_free(ax_swarm_t *sw);
static int ax_swarm_run_single(ax_swarm_t *sw);
static int ax_swarm_run(ax_swarm_t *sw);
static void ax_swarm_phase(ax_swarm_t *sw, uint64_t now);
static void ax_swarm_ramp(ax_swarm_t *sw, uint64_t now);
static uint64_t ax_swarm_phase_deadline(ax_swarm_t *sw);
static void ax_swarm_rate(ax_swarm_t *sw, uint64_t now);
static void ax_swarm_fill(ax_charger_t *ch, uint64_t now);
static void ax_swarm_second(ax_swarm_t *sw, uint64_t now);
static void ax_swarm_report(ax_swarm_t *sw, uint64_t now);
static void ax_swarm_timers(ax_swarm_t *sw, uint64_t now);
static int ax_swarm_timeout(ax_swarm_t *sw, uint64_t now, uint64_t also);
static void ax_swarm_reap(ax_swarm_t *sw);
static void ax_swarm_sync(ax_charger_t *ch);
static void ax_swarm_heap_up(ax_swarm_t *sw, unsigned i);
static void ax_swarm_heap_down(ax_swarm_t *sw, unsigned i);
static void ax_swarm_heap_remove(ax_swarm_t *sw, ax_charger_t *ch);
static void ax_swarm_open(ax_charger_t *ch);
static void ax_swarm_next_connect(ax_swarm_t *sw);

static void ax_swarm_op_connect(ax_sim_t *sim);
static int ax_swarm_op_send(ax_sim_t *sim, const char *text, size_t len);
static void ax_swarm_op_close(ax_sim_t *sim, unsigned code,
    const char *reason);
static void ax_swarm_op_event(ax_sim_t *sim, const ax_sim_event_t *ev);

static void ax_swarm_on_open(ax_wsc_t *c);
static void ax_swarm_on_message(ax_wsc_t *c, unsigned opcode,
    unsigned char *data, size_t len);
static void ax_swarm_on_closed(ax_wsc_t *c);

static double ax_swarm_secs(ax_swarm_t *sw, uint64_t now);


static const ax_sim_ops_t  ax_swarm_ops = {
    ax_swarm_op_connect,
    ax_swarm_op_send,
    ax_swarm_op_close,
    ax_swarm_op_event
};

static const ax_wsc_handler_t  ax_swarm_handler = {
    ax_swarm_on_open,
    ax_swarm_on_message,
    NULL,
    ax_swarm_on_closed
};

static volatile sig_atomic_t  ax_swarm_signals;


const ax_cli_command_t  ax_cli_simulate = {
    "simulate",
    "OCPP 1.6J charge point simulator; --swarm N for load tests",
    "[--cp ID] [--host HOST] [--port PORT] [--url URL] [--rfid TAG]\n"
    "       [--duration S] [--interval S] [--kwh-min K] [--kwh-max K]\n"
    "       [--pre-charge-delay S] [--repeat] [--count N] [--heartbeat S]\n"
    "       [--username U --password P] [--tls] [--ca FILE] [--insecure]\n"
    "       [--timeout S] [--schemas FILE] [-v]\n"
    "   or: arthexis simulate --swarm N [--ramp R] [--id-prefix P]\n"
    "       [--heartbeat S] [--rate R | --window W] [--sessions]\n"
    "       [--duration S] [--warmup S] [--settle S] [--sources N] [--echo]\n"
    "       [--server-pid PID[,PID...]] [--quiet] ...\n\n"
    "One charge point (the seed's simulator) connects to\n"
    "ws://HOST:PORT/ws/ocpp/ID/ (--host 127.0.0.1, --port 8000, --cp or\n"
    "--path: the charger id, default CPX), or to --url URL for another\n"
    "central system, offering the subprotocol ocpp1.6.  It boots\n"
    "(BootNotification until Accepted, honouring Pending and Rejected and\n"
    "their interval), says Available, and after --pre-charge-delay\n"
    "seconds (10) runs a session: Preparing, Authorize with --rfid\n"
    "(FFFFFFFF), StartTransaction, Charging, MeterValues every --interval\n"
    "seconds (5) with Energy.Active.Import.Register climbing to a random\n"
    "total between --kwh-min and --kwh-max kWh (30, 60) over --duration\n"
    "seconds (600), StopTransaction, Finishing, Available.  Heartbeats go\n"
    "at the interval Boot gave (--heartbeat S overrides it).  Every CALL\n"
    "waits for its answer (--timeout, 30 s) before the next.\n\n"
    "It answers the central system: RemoteStopTransaction ends the\n"
    "session, RemoteStartTransaction starts one, Reset stops it, reconnects\n"
    "and boots again, GetConfiguration and ChangeConfiguration use its key\n"
    "table, TriggerMessage, UnlockConnector, ChangeAvailability,\n"
    "ClearCache and DataTransfer are answered, anything else gets\n"
    "CALLERROR NotImplemented.\n\n"
    "--repeat runs sessions in a loop, reconnecting and retrying after\n"
    "failures with backoff (1 s doubling to 30 s); --count N runs N.\n"
    "--username and --password send HTTP Basic credentials with the\n"
    "handshake.  --tls (or a wss:// URL) connects over TLS, checking the\n"
    "server's certificate against --ca FILE (default: the system's CAs;\n"
    "--insecure: not at all).  --schemas FILE checks the central system's\n"
    "CALLs and answers against the OCPP 1.6 JSON schemas (ocpp-rpc's\n"
    "lib/schemas/ocpp1_6.json).  -v prints every message.  Ctrl-C stops\n"
    "cleanly (StopTransaction first); twice, at once.  Exit status 0 when\n"
    "every session ended with an accepted StopTransaction (at least one),\n"
    "else 1; 2 for bad arguments.\n\n"
    "--swarm N plays N charge points on N connections from this one\n"
    "process (ids --id-prefix P then 1..N, default sim-), opening --ramp R\n"
    "connections per second (default: 512 handshakes at a time), spread\n"
    "over source addresses 127.0.0.1..127.0.0.K (--sources K; by default\n"
    "one per 20,000 connections to a loopback server).  Each boots and\n"
    "says Available, then:\n"
    "  by default   Heartbeats only at --heartbeat S (default: Boot's\n"
    "               interval), the first at a random point of it;\n"
    "  --window W   W Heartbeats in flight on each charger: each answer\n"
    "               sends the next (real chargers have one);\n"
    "  --rate R     R Heartbeats per second overall, from the chargers in\n"
    "               turn, at most --window (1) in flight on each;\n"
    "  --sessions   sessions back to back: Authorize, StartTransaction,\n"
    "               StopTransaction and statuses (--session-duration S,\n"
    "               default 0, with MeterValues every --interval S;\n"
    "               --pre-charge-delay, default 0; --tx-only: only Start\n"
    "               and Stop);\n"
    "  --echo       no OCPP server: the same Heartbeat frames to a\n"
    "               WebSocket echo endpoint (--url, default\n"
    "               ws://HOST:PORT/ws/echo/), the swarm's own ceiling.\n"
    "Once all are booted (or their attempts ran out of time) it waits\n"
    "--settle S (1) and until their own CALLs are answered (the server's\n"
    "memory is read then), loads for --warmup S (1), then measures for\n"
    "--duration S (10) and closes every connection (sessions are stopped\n"
    "first).  Every second (unless --quiet) and at the end it prints\n"
    "connected and failed chargers, messages sent and answered, the\n"
    "answers' round-trip latency (p50, p90, p99, max) and errors by kind;\n"
    "with --server-pid (nginx's master stands for its workers) the\n"
    "server's CPU time over the measurement (answers per server\n"
    "CPU-second) and its memory before and after the chargers connected\n"
    "(per charger).  Chargers that lose their connection reconnect with\n"
    "backoff.  Raise ulimit -n first.\n"
    "Exit status 0 when all N booted and nothing failed.\n",
    ax_cli_simulate_main
};


static void
ax_swarm_sigint(int signo)
{
    ax_swarm_signals++;
}


static int
ax_cli_simulate_main(int argc, char **argv)
{
    int          rc;
    ax_swarm_t  *sw;

    sw = calloc(1, sizeof(ax_swarm_t));
    if (sw == NULL) {
        fprintf(stderr, "arthexis simulate: out of memory\n");
        return 1;
    }

    if (ax_swarm_options(sw, argc, argv) != 0) {
        ax_swarm_free(sw);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, ax_swarm_sigint);
    signal(SIGTERM, ax_swarm_sigint);

    if (ax_swarm_prepare(sw) != 0) {
        ax_swarm_free(sw);
        return 1;
    }

    rc = sw->single ? ax_swarm_run_single(sw) : ax_swarm_run(sw);

    ax_swarm_free(sw);

    return rc;
}


/* ------------------------------------------------------------------------
 * Options
 */

static int
ax_swarm_options(ax_swarm_t *sw, int argc, char **argv)
{
    int             i, tls_flag;
    char           *v, *end, *user, *pass, *cp, *host, *port, *bad;
    unsigned long   u;
    double          session_duration, d;
    ax_sim_conf_t  *cf;

    cf = &sw->conf;
    ax_sim_conf_init(cf);

    bad = NULL;
    session_duration = 0;

    v = ax_cli_take_option(&argc, argv, "--swarm");

    if (v) {
        u = strtoul(v, &end, 10);

        if (*end || u == 0 || u > AX_SWARM_MAX) {
            bad = v;
            goto invalid;
        }

        sw->n = (unsigned) u;

    } else {
        sw->n = 1;
        sw->single = 1;
    }

    sw->verbose = ax_cli_take_flag(&argc, argv, "-v")
                  | ax_cli_take_flag(&argc, argv, "--verbose");
    sw->quiet = ax_cli_take_flag(&argc, argv, "--quiet");
    sw->echo = ax_cli_take_flag(&argc, argv, "--echo");
    sw->sessions = ax_cli_take_flag(&argc, argv, "--sessions");
    sw->insecure = ax_cli_take_flag(&argc, argv, "--insecure");
    tls_flag = ax_cli_take_flag(&argc, argv, "--tls");

    if (ax_cli_take_flag(&argc, argv, "--repeat")) {
        cf->sessions = 0;
        cf->reconnect = 1;
    }

    if (ax_cli_take_flag(&argc, argv, "--tx-only")) {
        cf->authorize = 0;
        cf->statuses = 0;
    }

    if (!sw->single) {
        /* a swarm's defaults */
        cf->reconnect = 1;
        cf->jitter = 1;
        cf->sessions = 0;
        cf->pre_charge_delay = 0;
        cf->duration = 0;
        sw->duration = 10;
        sw->warmup = 1;
        sw->settle = 1;
        sw->id_prefix = "sim-";
        cf->mode = sw->echo ? AX_SIM_MODE_ECHO
                   : sw->sessions ? AX_SIM_MODE_SESSION : AX_SIM_MODE_LOAD;
    }

    sw->url = ax_cli_take_option(&argc, argv, "--url");
    host = ax_cli_take_option(&argc, argv, "--host");
    port = ax_cli_take_option(&argc, argv, "--port");
    cp = ax_cli_take_option(&argc, argv, "--cp");

    if (cp == NULL) {
        cp = ax_cli_take_option(&argc, argv, "--path");
    }

    user = ax_cli_take_option(&argc, argv, "--username");
    pass = ax_cli_take_option(&argc, argv, "--password");
    sw->ca = ax_cli_take_option(&argc, argv, "--ca");

#define ax_swarm_num(name, var, min)                                          \
    if ((v = ax_cli_take_option(&argc, argv, name))) {                        \
        if (ax_swarm_double(v, &d, min) != 0) {                               \
            bad = v;                                                          \
            goto invalid;                                                     \
        }                                                                     \
        var = d;                                                              \
    }

    if (sw->single) {
        ax_swarm_num("--duration", cf->duration, 0);

    } else {
        ax_swarm_num("--duration", sw->duration, 0);
        ax_swarm_num("--session-duration", session_duration, 0);
        cf->duration = session_duration;
    }

    ax_swarm_num("--interval", cf->interval, 0);
    ax_swarm_num("--pre-charge-delay", cf->pre_charge_delay, 0);
    ax_swarm_num("--kwh-min", cf->kwh_min, 0);
    ax_swarm_num("--kwh-max", cf->kwh_max, 0);
    ax_swarm_num("--heartbeat", cf->heartbeat, 0);
    ax_swarm_num("--timeout", cf->call_timeout, 0.001);
    ax_swarm_num("--ramp", sw->ramp, 0);
    ax_swarm_num("--rate", sw->rate, 0);
    ax_swarm_num("--warmup", sw->warmup, 0);
    ax_swarm_num("--settle", sw->settle, 0);

    if ((v = ax_cli_take_option(&argc, argv, "--count"))) {
        u = strtoul(v, &end, 10);

        if (*end || u == 0 || u > 1000000000) {
            bad = v;
            goto invalid;
        }

        cf->sessions = (unsigned) u;
        cf->reconnect = 1;
    }

    if ((v = ax_cli_take_option(&argc, argv, "--window"))) {
        u = strtoul(v, &end, 10);

        if (*end || u == 0 || u > 1000) {
            bad = v;
            goto invalid;
        }

        sw->window = (unsigned) u;
    }

    if ((v = ax_cli_take_option(&argc, argv, "--sources"))) {
        u = strtoul(v, &end, 10);

        if (*end || u == 0 || u > 254) {
            bad = v;
            goto invalid;
        }

        sw->sources = (unsigned) u;
    }

    if ((v = ax_cli_take_option(&argc, argv, "--rfid"))) {
        if (*v == '\0' || strlen(v) > 20) {
            fprintf(stderr, "arthexis simulate: --rfid: 1 to 20 characters "
                    "(an OCPP idTag)\n");
            return -1;
        }

        cf->id_tag = v;
    }

    if ((v = ax_cli_take_option(&argc, argv, "--id-prefix"))) {
        if (strlen(v) > 40) {
            bad = v;
            goto invalid;
        }

        sw->id_prefix = v;
    }

    if ((v = ax_cli_take_option(&argc, argv, "--schemas"))) {
        char  err[256];

        sw->schemas = ax_ocpp_schemas_load_file(v, err, sizeof(err));

        if (sw->schemas == NULL) {
            fprintf(stderr, "arthexis simulate: --schemas %s: %s\n", v, err);
            return -1;
        }

        cf->schemas = sw->schemas;
    }

    while ((v = ax_cli_take_option(&argc, argv, "--server-pid"))) {
        if (ax_bench_pids_add(&sw->pids, v) != 0) {
            bad = v;
            goto invalid;
        }
    }

#undef ax_swarm_num

    if (argc > 1) {
        fprintf(stderr, "arthexis simulate: unexpected \"%s\" (see "
                "arthexis simulate --help)\n", argv[1]);
        return -1;
    }

    if (cf->kwh_max < cf->kwh_min) {
        fprintf(stderr, "arthexis simulate: --kwh-max is below "
                "--kwh-min\n");
        return -1;
    }

    if ((user == NULL) != (pass == NULL)) {
        fprintf(stderr, "arthexis simulate: --username and --password go "
                "together\n");
        return -1;
    }

    if (sw->rate && sw->window == 0) {
        sw->window = 1;
    }

    if (!sw->single && (sw->window || sw->rate) && sw->sessions) {
        fprintf(stderr, "arthexis simulate: --sessions runs sessions, "
                "not --rate or --window\n");
        return -1;
    }

    if (sw->echo && !sw->window && !sw->rate && !sw->single) {
        sw->window = 1;
    }

    if (sw->single && sw->echo) {
        fprintf(stderr, "arthexis simulate: --echo goes with --swarm\n");
        return -1;
    }

    /* the target */

    sw->port = 8000;

    if (port) {
        u = strtoul(port, &end, 10);

        if (*end || u == 0 || u > 65535) {
            bad = port;
            goto invalid;
        }

        sw->port = (unsigned) u;
    }

    if (sw->url) {
        if (host || port || (cp && !sw->single)) {
            fprintf(stderr, "arthexis simulate: --url says it all (no "
                    "--host, --port%s)\n", sw->single ? "" : ", --cp");
            return -1;
        }

        if (ax_wsc_parse_url(sw->url, &sw->host, &sw->port, &sw->base,
                             &sw->tls) != 0)
        {
            fprintf(stderr, "arthexis simulate: \"%s\" is not a ws:// or "
                    "wss:// URL\n", sw->url);
            return -1;
        }

        sw->tls |= tls_flag;

    } else {
        sw->host = strdup(host ? host : "127.0.0.1");
        sw->tls = tls_flag;

        if (sw->echo) {
            sw->base = strdup("/ws/echo/");

        } else if (sw->single) {
            v = ax_swarm_encode(cp ? cp : "CPX");
            sw->base = v ? malloc(strlen(v) + 16) : NULL;

            if (sw->base) {
                sprintf(sw->base, "/ws/ocpp/%s/", v);
            }

            free(v);

        } else {
            sw->base = strdup("/ws/ocpp/");
        }
    }

    if (sw->host == NULL || sw->base == NULL) {
        fprintf(stderr, "arthexis simulate: out of memory\n");
        return -1;
    }

    if (!sw->single && !sw->echo && sw->base[strlen(sw->base) - 1] != '/') {
        fprintf(stderr, "arthexis simulate: --url: the chargers' ids are "
                "appended to it, end it with \"/\"\n");
        return -1;
    }

    if (sw->tls && !sw->single) {
        fprintf(stderr, "arthexis simulate: --tls (wss://) is for one "
                "charge point, not --swarm\n");
        return -1;
    }

    if (sw->single) {
        /* the id, for messages: the URL's last segment */
        v = sw->base + strlen(sw->base);

        while (v > sw->base && v[-1] == '/') {
            v--;
        }

        i = 0;

        while (v > sw->base && v[-1] != '/' && i < 60) {
            v--;
            i++;
        }

        sw->single_id = strndup(v, strcspn(v, "/?"));

        if (sw->single_id == NULL) {
            return -1;
        }

        cf->id = sw->single_id;
    }

    if (user) {
        char   *plain, *b64;
        size_t  n;

        n = strlen(user) + strlen(pass) + 1;
        plain = malloc(n + 1);
        b64 = malloc(4 * ((n + 2) / 3) + 1);
        sw->headers = malloc(4 * ((n + 2) / 3) + 40);

        if (plain == NULL || b64 == NULL || sw->headers == NULL) {
            free(plain);
            free(b64);
            fprintf(stderr, "arthexis simulate: out of memory\n");
            return -1;
        }

        sprintf(plain, "%s:%s", user, pass);
        b64[ax_ws_base64_encode((unsigned char *) b64,
                                (unsigned char *) plain, n)] = '\0';
        sprintf(sw->headers, "Authorization: Basic %s\r\n", b64);

        free(plain);
        free(b64);
    }

    return 0;

invalid:

    fprintf(stderr, "arthexis simulate: invalid value \"%s\"\n", bad);
    return -1;
}


static int
ax_swarm_double(const char *v, double *d, double min)
{
    char  *end;

    errno = 0;
    *d = strtod(v, &end);

    if (*v == '\0' || *end != '\0' || errno != 0 || !(*d >= min)
        || *d > 1e9)
    {
        return -1;
    }

    return 0;
}


/* percent-encodes what RFC 3986 does not leave unreserved */

static char *
ax_swarm_encode(const char *id)
{
    char                 *out, *p;
    unsigned char         c;
    static const char     hex[] = "0123456789ABCDEF";

    out = malloc(strlen(id) * 3 + 1);
    if (out == NULL) {
        return NULL;
    }

    for (p = out; *id; id++) {
        c = (unsigned char) *id;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~')
        {
            *p++ = c;

        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];
        }
    }

    *p = '\0';

    return out;
}


/* ------------------------------------------------------------------------
 * Set-up
 */

static int
ax_swarm_prepare(ax_swarm_t *sw)
{
    char                 err[256], *host;
    size_t               n;
    unsigned             i;
    uint64_t             seed;
    ax_charger_t        *ch;
    struct sockaddr_in  *sin;

    if (ax_wsc_resolve(sw->host, sw->port, &sw->addr, &sw->addr_len) != 0) {
        fprintf(stderr, "arthexis simulate: cannot resolve \"%s\"\n",
                sw->host);
        return -1;
    }

    sw->loop = ax_wsc_loop_create();
    sw->chargers = calloc(sw->n, sizeof(ax_charger_t));
    sw->heap = calloc(sw->n, sizeof(ax_charger_t *));
    sw->connq = calloc(sw->n, sizeof(unsigned));

    n = strlen(sw->host) + 16;
    host = malloc(n);

    if (sw->loop == NULL || sw->chargers == NULL || sw->heap == NULL
        || sw->connq == NULL || host == NULL)
    {
        free(host);
        fprintf(stderr, "arthexis simulate: out of memory\n");
        return -1;
    }

    /* the Host header */
    snprintf(host, n, strchr(sw->host, ':') ? "[%s]:%u" : "%s:%u", sw->host,
             sw->port);
    sw->host_header = host;

    /* source addresses, for a loopback server */

    sin = (struct sockaddr_in *) &sw->addr;

    if (sw->sources == 0) {
        sw->sources = 1;

        if (sw->addr.ss_family == AF_INET
            && (ntohl(sin->sin_addr.s_addr) >> 24) == 127)
        {
            sw->sources = (sw->n + AX_SWARM_SOURCE_PORTS - 1)
                          / AX_SWARM_SOURCE_PORTS;
        }
    }

    if (sw->sources > 1) {
        if (sw->addr.ss_family != AF_INET) {
            fprintf(stderr, "arthexis simulate: --sources needs an IPv4 "
                    "server address\n");
            return -1;
        }

        sw->locals = calloc(sw->sources, sizeof(struct sockaddr_in));
        if (sw->locals == NULL) {
            return -1;
        }

        for (i = 0; i < sw->sources; i++) {
            sw->locals[i].sin_family = AF_INET;
            sw->locals[i].sin_addr.s_addr = htonl(0x7f000001 + i);
        }
    }

    sw->wconf.addr = (struct sockaddr *) &sw->addr;
    sw->wconf.addr_len = sw->addr_len;
    sw->wconf.host = sw->host_header;
    sw->wconf.protocol = sw->echo ? NULL : "ocpp1.6";
    sw->wconf.headers = sw->headers;
    sw->wconf.max_message_size = 16 * 1024 * 1024;

    if (sw->tls) {
        sw->tls_bridge = ax_sim_tls_start((struct sockaddr *) &sw->addr,
                                          sw->addr_len, sw->host, sw->ca,
                                          sw->insecure, &sw->bridge,
                                          &sw->bridge_len, err, sizeof(err));

        if (sw->tls_bridge == NULL) {
            fprintf(stderr, "arthexis simulate: TLS: %s\n", err);
            return -1;
        }

        sw->wconf.addr = (struct sockaddr *) &sw->bridge;
        sw->wconf.addr_len = sw->bridge_len;
    }

    for (i = 0; i < sw->n; i++) {
        ch = &sw->chargers[i];
        ch->swarm = sw;
        ch->index = i;

        if (sw->single) {
            snprintf(ch->id, sizeof(ch->id), "%s", sw->conf.id);

        } else {
            snprintf(ch->id, sizeof(ch->id), "%s%u", sw->id_prefix, i + 1);
        }

        ch->sim = ax_sim_create(&sw->conf, &ax_swarm_ops, ch);

        if (ch->sim == NULL) {
            fprintf(stderr, "arthexis simulate: out of memory\n");
            return -1;
        }

        if (!sw->single) {
            seed = 0x9e3779b97f4a7c15ULL * (i + 1);
            ax_sim_seed(ch->sim, seed ^ (seed >> 29));
        }
    }

    return 0;
}


static void
ax_swarm_free(ax_swarm_t *sw)
{
    unsigned       i;
    ax_charger_t  *ch;

    if (sw->chargers) {
        for (i = 0; i < sw->n; i++) {
            ch = &sw->chargers[i];

            if (ch->c) {
                ax_wsc_free(ch->c);
            }

            ax_sim_free(ch->sim);
        }
    }

    ax_swarm_reap(sw);
    free(sw->dead);

    if (sw->loop) {
        ax_wsc_loop_free(sw->loop);
    }

    if (sw->tls_bridge) {
        ax_sim_tls_stop(sw->tls_bridge);
    }

    if (sw->schemas) {
        ax_ocpp_schemas_free(sw->schemas);
    }

    free(sw->chargers);
    free(sw->heap);
    free(sw->connq);
    free(sw->locals);
    free(sw->host);
    free(sw->host_header);
    free(sw->base);
    free(sw->headers);
    free(sw->single_id);
    free(sw);
}


/* ------------------------------------------------------------------------
 * One charge point
 */

static void
ax_swarm_say(ax_swarm_t *sw, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


static void
ax_swarm_say(ax_swarm_t *sw, const char *fmt, ...)
{
    va_list  args;

    printf("[%8.3f] ", ax_swarm_secs(sw, ax_wsc_now()));

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    putchar('\n');
    fflush(stdout);
}


static int
ax_swarm_run_single(ax_swarm_t *sw)
{
    int            handled;
    uint64_t       now;
    ax_sim_t      *sim;
    ax_charger_t  *ch;

    ch = &sw->chargers[0];
    sim = ch->sim;
    handled = 0;

    sw->t0 = ax_wsc_now();

    printf("simulate: charge point %s, %s://%s%s\n", ch->id,
           sw->tls ? "wss" : "ws", sw->host_header, sw->base);
    fflush(stdout);

    ax_sim_start(sim, sw->t0);
    ax_swarm_sync(ch);

    while (!sim->finished) {
        now = ax_wsc_now();

        if (ax_swarm_signals != handled) {
            handled = ax_swarm_signals;
            ax_swarm_say(sw, handled == 1
                             ? "stopping (Ctrl-C again: at once)"
                             : "stopping now");
            ax_sim_stop(sim, now);
            ax_swarm_sync(ch);
            continue;
        }

        ax_swarm_timers(sw, now);

        if (sim->finished) {
            break;
        }

        if (ax_wsc_loop_run(sw->loop,
                            ax_swarm_timeout(sw, now, now + AX_SWARM_NS))
            == -1)
        {
            perror("arthexis simulate: epoll_wait");
            return 1;
        }

        ax_swarm_reap(sw);
    }

    ax_swarm_say(sw, "done: %u session%s ended well, %u failed%s",
                 sim->sessions_ok, sim->sessions_ok == 1 ? "" : "s",
                 sim->sessions_failed,
                 sim->failed ? " (and the connection failed)" : "");

    return (sim->sessions_ok > 0 && sim->sessions_failed == 0
            && !sim->failed) ? 0 : 1;
}


/* ------------------------------------------------------------------------
 * The swarm
 */

static int
ax_swarm_run(ax_swarm_t *sw)
{
    int        handled, rc;
    double     u, s;
    unsigned   i;
    uint64_t   now, next, errors;

    handled = 0;
    now = ax_wsc_now();
    sw->t0 = now;
    sw->tick = now + AX_SWARM_NS;
    sw->phase = AX_SWARM_RAMP;
    sw->phase_at = now;

    if (sw->pids.n) {
        (void) ax_bench_pids_mem(&sw->pids, &sw->mem0);

        if (ax_bench_pids_cpu(&sw->pids, &u, &s) == 0) {
            sw->cpu_prev = u + s;
        }
    }

    printf("swarm: %u charge points, %s://%s%s%s (%u source address%s), ",
           sw->n, "ws", sw->host_header, sw->base,
           sw->echo ? "" : "<id>/", sw->sources,
           sw->sources == 1 ? "" : "es");

    if (sw->echo) {
        printf("echo, ");
    }

    if (sw->sessions) {
        printf("sessions%s\n", sw->conf.authorize ? "" : " (Start, Stop)");

    } else if (sw->rate) {
        printf("%.0f Heartbeats/s, at most %u in flight each\n", sw->rate,
               sw->window);

    } else if (sw->window) {
        printf("%u Heartbeat%s in flight each\n", sw->window,
               sw->window == 1 ? "" : "s");

    } else if (sw->conf.heartbeat > 0) {
        printf("a Heartbeat every %g s each\n", sw->conf.heartbeat);

    } else {
        printf("Heartbeats at Boot's interval\n");
    }

    if (!sw->quiet) {
        printf("%7s %8s %7s %9s %10s %8s %8s %8s %7s%s%s\n", "s", "online",
               "failed", "sent/s", "answers/s", "p50 ms", "p99 ms", "max ms",
               "errors", sw->sessions ? "    tx/s" : "",
               sw->pids.n ? "  srv cpu" : "");
    }

    fflush(stdout);

    while (sw->phase != AX_SWARM_DONE) {
        now = ax_wsc_now();

        if (ax_swarm_signals != handled) {
            handled = ax_swarm_signals;

            if (sw->phase < AX_SWARM_STOP) {
                fprintf(stderr, "arthexis simulate: stopping (Ctrl-C again:"
                        " at once)\n");
                sw->phase_at = now - (uint64_t) (sw->duration * 1e9) - 1;
                sw->phase = sw->phase == AX_SWARM_MEASURE
                            ? AX_SWARM_MEASURE : AX_SWARM_STOP - 1;

                if (sw->phase != AX_SWARM_MEASURE) {
                    /* nothing measured: straight to the end */
                    sw->m0 = sw->cur;
                    sw->m1 = sw->cur;
                    sw->measure_from = now;
                    sw->measure_to = now;
                    sw->phase = AX_SWARM_STOP;
                    sw->phase_at = now;

                    for (i = 0; i < sw->n; i++) {
                        ax_sim_stop(sw->chargers[i].sim, now);
                        ax_swarm_sync(&sw->chargers[i]);
                    }
                }

            } else {
                for (i = 0; i < sw->n; i++) {
                    ax_sim_stop(sw->chargers[i].sim, now);
                    ax_swarm_sync(&sw->chargers[i]);
                }
            }
        }

        ax_swarm_ramp(sw, now);
        ax_swarm_timers(sw, now);

        if (sw->loading && sw->rate) {
            ax_swarm_rate(sw, ax_wsc_now());
        }

        now = ax_wsc_now();

        if (now >= sw->tick) {
            ax_swarm_second(sw, now);
            sw->tick += AX_SWARM_NS;

            if (sw->tick <= now) {
                sw->tick = now + AX_SWARM_NS;
            }
        }

        ax_swarm_phase(sw, now);

        if (sw->phase == AX_SWARM_DONE) {
            break;
        }

        next = sw->tick;

        if (ax_swarm_phase_deadline(sw) < next) {
            next = ax_swarm_phase_deadline(sw);
        }

        if (sw->loading && sw->rate) {
            next = now + 1000000;

        } else if (sw->phase == AX_SWARM_RAMP && sw->started < sw->n) {
            next = now + 1000000;
        }

        if (ax_wsc_loop_run(sw->loop, ax_swarm_timeout(sw, now, next))
            == -1)
        {
            perror("arthexis simulate: epoll_wait");
            return 1;
        }

        ax_swarm_reap(sw);
    }

    ax_swarm_report(sw, now);

    errors = 0;

    for (i = 1; i < AX_SIM_E_N; i++) {
        errors += sw->cur.errors[i];
    }

    rc = (sw->booted_at_ramp_end == sw->n && errors == 0) ? 0 : 1;

    return rc;
}


static void
ax_swarm_ramp(ax_swarm_t *sw, uint64_t now)
{
    unsigned       due;
    ax_charger_t  *ch;

    if (sw->phase != AX_SWARM_RAMP || sw->started == sw->n) {
        return;
    }

    due = sw->n;

    if (sw->ramp) {
        due = (unsigned) ((double) (now - sw->t0) / 1e9 * sw->ramp) + 1;

        if (due > sw->n) {
            due = sw->n;
        }
    }

    /* no more than the handshakes in flight allow, waiting is for them */

    while (sw->started < due && sw->handshakes < AX_SWARM_HANDSHAKES) {
        ch = &sw->chargers[sw->started++];
        sw->last_start = now;

        ax_sim_start(ch->sim, now);
        ax_swarm_sync(ch);
    }
}


static void
ax_swarm_phase(ax_swarm_t *sw, uint64_t now)
{
    double    u, s;
    unsigned  i;
    uint64_t  wait;

    switch (sw->phase) {

    case AX_SWARM_RAMP:
        wait = (uint64_t) (sw->conf.call_timeout * 1e9);

        if (sw->started < sw->n
            || (sw->online < sw->n && now - sw->last_start < wait))
        {
            return;
        }

        sw->ramp_end = now;
        sw->booted_at_ramp_end = sw->online;
        sw->phase = AX_SWARM_SETTLE;
        sw->phase_at = now;
        return;

    case AX_SWARM_SETTLE:
        if (now - sw->phase_at < (uint64_t) (sw->settle * 1e9)) {
            return;
        }

        /*
         * the chargers' own CALLs after boot (StatusNotifications) must be
         * answered first: the server queues a charger's later messages
         * behind them, which would count in the load's latency
         */

        if (!sw->sessions && now - sw->phase_at
                             < (uint64_t) ((sw->settle + sw->conf.call_timeout)
                                           * 1e9))
        {
            for (i = 0; i < sw->n; i++) {
                if (ax_sim_ready(sw->chargers[i].sim)
                    && !ax_sim_idle(sw->chargers[i].sim))
                {
                    return;
                }
            }
        }

        if (sw->pids.n && ax_bench_pids_mem(&sw->pids, &sw->mem1) == 0) {
            sw->have_mem = 1;
        }

        sw->loading = 1;
        sw->rate_last = now;

        for (i = 0; i < sw->n; i++) {
            ax_swarm_fill(&sw->chargers[i], now);
            ax_swarm_sync(&sw->chargers[i]);
        }

        sw->phase = AX_SWARM_WARMUP;
        sw->phase_at = now;
        return;

    case AX_SWARM_WARMUP:
        if (now - sw->phase_at < (uint64_t) (sw->warmup * 1e9)) {
            return;
        }

        sw->m0 = sw->cur;
        ax_bench_hist_reset(&sw->hist_all);

        if (sw->pids.n) {
            (void) ax_bench_pids_cpu(&sw->pids, &sw->cpu_m0_user,
                                     &sw->cpu_m0_sys);
        }

        sw->self_m0 = ax_bench_self_cpu();
        sw->measuring = 1;
        sw->measure_from = now;
        sw->phase = AX_SWARM_MEASURE;
        sw->phase_at = now;
        return;

    case AX_SWARM_MEASURE:
        if (now - sw->phase_at < (uint64_t) (sw->duration * 1e9)) {
            return;
        }

        sw->measuring = 0;
        sw->measure_to = now;
        sw->m1 = sw->cur;

        if (sw->pids.n) {
            (void) ax_bench_pids_cpu(&sw->pids, &sw->cpu_m1_user,
                                     &sw->cpu_m1_sys);
        }

        sw->self_m1 = ax_bench_self_cpu();
        sw->loading = 0;

        for (i = 0; i < sw->n; i++) {
            ax_sim_stop(sw->chargers[i].sim, now);
            ax_swarm_sync(&sw->chargers[i]);
        }

        sw->phase = AX_SWARM_STOP;
        sw->phase_at = now;
        return;

    case AX_SWARM_STOP:
        if (sw->finished == sw->n) {
            sw->phase = AX_SWARM_DONE;
            return;
        }

        if (now - sw->phase_at
            < (uint64_t) ((sw->conf.call_timeout + 1) * 1e9))
        {
            return;
        }

        /* the rest at once */

        for (i = 0; i < sw->n; i++) {
            ax_sim_stop(sw->chargers[i].sim, now);
            ax_swarm_sync(&sw->chargers[i]);
        }

        if (ax_bench_pids_cpu(&sw->pids, &u, &s) == 0) {
            sw->cpu_prev = u + s;
        }

        sw->phase = AX_SWARM_DONE;
        return;
    }
}


/* when the phase ends by the clock (the loop wakes up then) */

static uint64_t
ax_swarm_phase_deadline(ax_swarm_t *sw)
{
    switch (sw->phase) {

    case AX_SWARM_SETTLE:
        return sw->phase_at + (uint64_t) (sw->settle * 1e9);

    case AX_SWARM_WARMUP:
        return sw->phase_at + (uint64_t) (sw->warmup * 1e9);

    case AX_SWARM_MEASURE:
        return sw->phase_at + (uint64_t) (sw->duration * 1e9);

    default:
        return AX_SIM_NEVER;
    }
}


static void
ax_swarm_rate(ax_swarm_t *sw, uint64_t now)
{
    unsigned       tried;
    ax_charger_t  *ch;

    sw->tokens += sw->rate * (double) (now - sw->rate_last) / 1e9;
    sw->rate_last = now;

    /* what could not go does not pile up beyond a tenth of a second */
    if (sw->tokens > sw->rate / 10 + 1) {
        sw->tokens = sw->rate / 10 + 1;
    }

    tried = 0;

    while (sw->tokens >= 1 && tried < sw->n) {
        ch = &sw->chargers[sw->rr];
        sw->rr = (sw->rr + 1) % sw->n;
        tried++;

        if (ax_sim_ready(ch->sim) && ch->sim->inflight < sw->window
            && ax_sim_load(ch->sim, now) == 0)
        {
            sw->tokens -= 1;
            tried = 0;
            ax_swarm_sync(ch);
        }
    }
}


/* --window: the charger's Heartbeats in flight are topped up */

static void
ax_swarm_fill(ax_charger_t *ch, uint64_t now)
{
    ax_swarm_t  *sw;

    sw = ch->swarm;

    if (!sw->loading || sw->rate || sw->window == 0) {
        return;
    }

    while (ch->sim->inflight < sw->window && ax_sim_ready(ch->sim)) {
        if (ax_sim_load(ch->sim, now) != 0) {
            break;
        }
    }
}


static uint64_t
ax_swarm_errors(ax_swarm_stats_t *st)
{
    unsigned  i;
    uint64_t  n;

    n = 0;

    for (i = 1; i < AX_SIM_E_N; i++) {
        n += st->errors[i];
    }

    return n;
}


static void
ax_swarm_second(ax_swarm_t *sw, uint64_t now)
{
    char               n1[32], n2[32], n3[32], n4[32], n5[32];
    double             u, s, secs;
    ax_swarm_stats_t  *c, *p;

    c = &sw->cur;
    p = &sw->prev;
    secs = 1.0;

    if (!sw->quiet) {
        printf("%7.1f %8s %7s %9s %10s %8.3f %8.3f %8.3f %7s",
               ax_swarm_secs(sw, now),
               ax_bench_thousands(n1, sw->online),
               ax_bench_thousands(n2, c->errors[AX_SIM_E_CONNECT]),
               ax_bench_thousands(n3, (c->sent - p->sent) / secs),
               ax_bench_thousands(n4, (c->answered - p->answered) / secs),
               ax_bench_hist_percentile(&sw->hist_sec, 0.50) / 1e6,
               ax_bench_hist_percentile(&sw->hist_sec, 0.99) / 1e6,
               sw->hist_sec.max / 1e6,
               ax_bench_thousands(n5, ax_swarm_errors(c)
                                      - ax_swarm_errors(p)));

        if (sw->sessions) {
            printf(" %7s", ax_bench_thousands(n2, (c->sessions_ok
                                                   - p->sessions_ok)
                                                  / secs));
        }

        if (sw->pids.n && ax_bench_pids_cpu(&sw->pids, &u, &s) == 0) {
            printf("   %5.1f%%", (u + s - sw->cpu_prev) * 100 / secs);
            sw->cpu_prev = u + s;
        }

        putchar('\n');
        fflush(stdout);
    }

    *p = *c;
    ax_bench_hist_reset(&sw->hist_sec);
}


static void
ax_swarm_report(ax_swarm_t *sw, uint64_t now)
{
    int                any;
    char               n1[32], n2[32], n3[32], n4[32];
    double             secs, cpu, ramp, answered, priv, shared;
    unsigned           i;
    ax_swarm_stats_t  *a, *b;

    a = &sw->m0;
    b = &sw->m1;

    if (sw->ramp_end == 0) {
        sw->ramp_end = now;
        sw->booted_at_ramp_end = sw->online;
    }

    ramp = (double) (sw->ramp_end - sw->t0) / 1e9;

    printf("  connected     %s of %s %s in %.2f s (%s/s); %s failed "
           "connection attempt%s\n",
           ax_bench_thousands(n1, sw->booted_at_ramp_end),
           ax_bench_thousands(n2, sw->n),
           sw->echo ? "open" : "booted", ramp,
           ax_bench_thousands(n3, ramp > 0 ? sw->booted_at_ramp_end / ramp
                                           : 0),
           ax_bench_thousands(n4, sw->cur.errors[AX_SIM_E_CONNECT]),
           sw->cur.errors[AX_SIM_E_CONNECT] == 1 ? "" : "s");

    if (sw->have_mem && sw->booted_at_ramp_end) {
        priv = (double) (sw->mem1.anon - sw->mem0.anon)
               / sw->booted_at_ramp_end;
        shared = (double) (sw->mem1.shmem - sw->mem0.shmem)
                 / sw->booted_at_ramp_end;

        printf("  server memory %.2f KiB per charger: %.2f private "
               "(RssAnon, %u process%s) + %.2f shared (RssShmem, the "
               "most one process touched); VmRSS %s -> %s KiB\n",
               priv + shared, priv, sw->pids.n,
               sw->pids.n == 1 ? "" : "es", shared,
               ax_bench_thousands(n1, sw->mem0.rss),
               ax_bench_thousands(n2, sw->mem1.rss));
    }

    secs = sw->measure_to > sw->measure_from
           ? (double) (sw->measure_to - sw->measure_from) / 1e9 : 0;

    if (secs > 0) {
        answered = (double) (b->answered - a->answered);

        printf("  measured      %.2f s after a %.1f s warm-up\n", secs,
               sw->warmup);
        printf("  messages      sent %s, answered %s: %s/s\n",
               ax_bench_thousands(n1, b->sent - a->sent),
               ax_bench_thousands(n2, answered),
               ax_bench_thousands(n3, answered / secs));
        printf("  latency       p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, "
               "max %.3f ms\n",
               ax_bench_hist_percentile(&sw->hist_all, 0.50) / 1e6,
               ax_bench_hist_percentile(&sw->hist_all, 0.90) / 1e6,
               ax_bench_hist_percentile(&sw->hist_all, 0.99) / 1e6,
               sw->hist_all.max / 1e6);

        if (sw->sessions) {
            printf("  sessions      %s ended well (%.1f/s: as many "
                   "StartTransaction + StopTransaction pairs), %s failed\n",
                   ax_bench_thousands(n1, b->sessions_ok - a->sessions_ok),
                   (b->sessions_ok - a->sessions_ok) / secs,
                   ax_bench_thousands(n2, b->sessions_failed
                                          - a->sessions_failed));
        }

        if (sw->pids.n) {
            cpu = (sw->cpu_m1_user - sw->cpu_m0_user)
                  + (sw->cpu_m1_sys - sw->cpu_m0_sys);

            printf("  server CPU    %.2f s (user %.2f, sys %.2f) in %u "
                   "process%s: %s answers per server CPU-second%s\n",
                   cpu, sw->cpu_m1_user - sw->cpu_m0_user,
                   sw->cpu_m1_sys - sw->cpu_m0_sys, sw->pids.n,
                   sw->pids.n == 1 ? "" : "es",
                   cpu > 0 ? ax_bench_thousands(n1, answered / cpu) : "-",
                   sw->sessions ? "" : "");

            if (sw->sessions && cpu > 0) {
                printf("                %.0f sessions per server "
                       "CPU-second\n",
                       (b->sessions_ok - a->sessions_ok) / cpu);
            }
        }

        printf("  client CPU    %.2f s\n", sw->self_m1 - sw->self_m0);
    }

    printf("  errors        ");
    any = 0;

    for (i = 1; i < AX_SIM_E_N; i++) {
        if (sw->cur.errors[i]) {
            printf("%s%s %s", any ? ", " : "", ax_sim_error_name(i),
                   ax_bench_thousands(n1, sw->cur.errors[i]));
            any = 1;
        }
    }

    printf("%s\n", any ? " (whole run)" : "none");
    fflush(stdout);
}


/* ------------------------------------------------------------------------
 * Timers: a binary heap of the chargers by their next deadline
 */

static void
ax_swarm_timers(ax_swarm_t *sw, uint64_t now)
{
    unsigned       n;
    ax_charger_t  *ch;

    for (n = 0; sw->hn && sw->heap[0]->hkey <= now && n < 100000; n++) {
        ch = sw->heap[0];

        ax_sim_timer(ch->sim, now);

        if (ch->sim->timer <= now) {
            /* never spin on a deadline the machine did not move */
            ch->sim->timer = now + 1000000;
        }

        ax_swarm_sync(ch);
    }
}


/* epoll_wait()'s timeout in ms: the next deadline, or also */

static int
ax_swarm_timeout(ax_swarm_t *sw, uint64_t now, uint64_t also)
{
    uint64_t  t;

    t = also;

    if (sw->hn && sw->heap[0]->hkey < t) {
        t = sw->heap[0]->hkey;
    }

    if (t <= now) {
        return 0;
    }

    t = (t - now + 999999) / 1000000;

    return t > 1000 ? 1000 : (int) t;
}


static void
ax_swarm_sync(ax_charger_t *ch)
{
    uint64_t     t;
    ax_swarm_t  *sw;

    sw = ch->swarm;
    t = ch->sim->timer;

    if (t == AX_SIM_NEVER) {
        if (ch->hpos) {
            ax_swarm_heap_remove(sw, ch);
        }

        return;
    }

    if (ch->hpos == 0) {
        ch->hkey = t;
        sw->heap[sw->hn++] = ch;
        ch->hpos = sw->hn;
        ax_swarm_heap_up(sw, sw->hn - 1);
        return;
    }

    if (t < ch->hkey) {
        ch->hkey = t;
        ax_swarm_heap_up(sw, ch->hpos - 1);

    } else if (t > ch->hkey) {
        ch->hkey = t;
        ax_swarm_heap_down(sw, ch->hpos - 1);
    }
}


static void
ax_swarm_heap_up(ax_swarm_t *sw, unsigned i)
{
    unsigned       p;
    ax_charger_t  *ch;

    ch = sw->heap[i];

    while (i > 0) {
        p = (i - 1) / 2;

        if (sw->heap[p]->hkey <= ch->hkey) {
            break;
        }

        sw->heap[i] = sw->heap[p];
        sw->heap[i]->hpos = i + 1;
        i = p;
    }

    sw->heap[i] = ch;
    ch->hpos = i + 1;
}


static void
ax_swarm_heap_down(ax_swarm_t *sw, unsigned i)
{
    unsigned       l, m;
    ax_charger_t  *ch;

    ch = sw->heap[i];

    for ( ;; ) {
        l = 2 * i + 1;

        if (l >= sw->hn) {
            break;
        }

        m = l;

        if (l + 1 < sw->hn && sw->heap[l + 1]->hkey < sw->heap[l]->hkey) {
            m = l + 1;
        }

        if (ch->hkey <= sw->heap[m]->hkey) {
            break;
        }

        sw->heap[i] = sw->heap[m];
        sw->heap[i]->hpos = i + 1;
        i = m;
    }

    sw->heap[i] = ch;
    ch->hpos = i + 1;
}


static void
ax_swarm_heap_remove(ax_swarm_t *sw, ax_charger_t *ch)
{
    unsigned       i;
    ax_charger_t  *last;

    i = ch->hpos - 1;
    ch->hpos = 0;
    last = sw->heap[--sw->hn];

    if (last == ch) {
        return;
    }

    sw->heap[i] = last;
    last->hpos = i + 1;

    ax_swarm_heap_up(sw, i);
    ax_swarm_heap_down(sw, last->hpos - 1);
}


/* connections closed in the loop are freed outside it */

static void
ax_swarm_reap(ax_swarm_t *sw)
{
    while (sw->ndead) {
        ax_wsc_free(sw->dead[--sw->ndead]);
    }
}


/* ------------------------------------------------------------------------
 * Connections
 */

static void
ax_swarm_open(ax_charger_t *ch)
{
    int            err;
    char          *id, *path;
    ax_swarm_t    *sw;
    ax_wsc_conf_t  conf;

    sw = ch->swarm;
    conf = sw->wconf;
    path = NULL;

    if (sw->single || sw->echo) {
        conf.path = sw->base;

    } else {
        id = ax_swarm_encode(ch->id);
        path = id ? malloc(strlen(sw->base) + strlen(id) + 2) : NULL;

        if (path) {
            sprintf(path, "%s%s/", sw->base, id);
        }

        free(id);
        conf.path = path ? path : sw->base;
    }

    if (sw->locals) {
        conf.local = (struct sockaddr *) &sw->locals[ch->index
                                                     % sw->sources];
        conf.local_len = sizeof(struct sockaddr_in);
    }

    ch->opened = 0;
    ch->c = ax_wsc_open(sw->loop, &conf, &ax_swarm_handler, ch);
    err = errno;

    free(path);

    if (ch->c == NULL) {
        if (sw->single || (!sw->quiet
                           && sw->printed_errors[AX_SIM_E_CONNECT]++ < 3))
        {
            fprintf(stderr, "arthexis simulate: %s: no connection: %s\n",
                    ch->id, strerror(err));
        }

        ax_sim_closed(ch->sim, ax_wsc_now(), AX_SIM_E_CONNECT);
        return;
    }

    ch->handshake = 1;
    sw->handshakes++;
}


static void
ax_swarm_next_connect(ax_swarm_t *sw)
{
    ax_charger_t  *ch;

    while (sw->cq_len && sw->handshakes < AX_SWARM_HANDSHAKES) {
        ch = &sw->chargers[sw->connq[sw->cq_head]];
        sw->cq_head = (sw->cq_head + 1) % sw->n;
        sw->cq_len--;
        ch->waiting = 0;

        if (ch->sim->conn == AX_SIM_CONNECTING && ch->c == NULL) {
            ax_swarm_open(ch);
            ax_swarm_sync(ch);
        }
    }
}


static void
ax_swarm_op_connect(ax_sim_t *sim)
{
    ax_swarm_t    *sw;
    ax_charger_t  *ch;

    ch = sim->data;
    sw = ch->swarm;

    if (sw->handshakes >= AX_SWARM_HANDSHAKES) {
        /* once in the queue, a charger stays there until its turn */
        if (!ch->waiting) {
            sw->connq[(sw->cq_head + sw->cq_len) % sw->n] = ch->index;
            sw->cq_len++;
            ch->waiting = 1;
        }

        return;
    }

    ax_swarm_open(ch);
}


static int
ax_swarm_op_send(ax_sim_t *sim, const char *text, size_t len)
{
    ax_charger_t  *ch;

    ch = sim->data;

    if (ch->c == NULL) {
        return -1;
    }

    return ax_wsc_send(ch->c, AX_WS_OP_TEXT, text, len);
}


static void
ax_swarm_op_close(ax_sim_t *sim, unsigned code, const char *reason)
{
    ax_charger_t  *ch;

    ch = sim->data;

    if (ch->c == NULL) {
        /* still waiting for its turn to connect */
        ax_sim_closed(sim, ax_wsc_now(), 0);
        return;
    }

    if (code == 0) {
        ax_wsc_abort(ch->c);

    } else {
        ax_wsc_close(ch->c, code, reason);
    }
}


static void
ax_swarm_on_open(ax_wsc_t *c)
{
    uint64_t       now;
    ax_swarm_t    *sw;
    ax_charger_t  *ch;

    ch = c->data;
    sw = ch->swarm;
    now = ax_wsc_now();

    ch->opened = 1;

    if (ch->handshake) {
        ch->handshake = 0;
        sw->handshakes--;
    }

    if (sw->single) {
        ax_swarm_say(sw, "connected (subprotocol %s)",
                     c->protocol ? c->protocol : "none");
    }

    ax_sim_connected(ch->sim, now);
    ax_swarm_fill(ch, now);
    ax_swarm_sync(ch);

    ax_swarm_next_connect(sw);
}


static void
ax_swarm_on_message(ax_wsc_t *c, unsigned opcode, unsigned char *data,
    size_t len)
{
    uint64_t       now;
    ax_swarm_t    *sw;
    ax_charger_t  *ch;

    ch = c->data;
    sw = ch->swarm;
    now = ax_wsc_now();

    if (opcode != AX_WS_OP_TEXT) {
        sw->cur.errors[AX_SIM_E_PROTOCOL]++;

        if (sw->single) {
            ax_swarm_say(sw, "a binary message (%zu bytes) ignored", len);
        }

        return;
    }

    ax_sim_message(ch->sim, (const char *) data, len, now);
    ax_swarm_fill(ch, now);
    ax_swarm_sync(ch);
}


static void
ax_swarm_on_closed(ax_wsc_t *c)
{
    char           tls[160];
    unsigned       error, asked;
    uint64_t       now;
    const char    *e;
    ax_swarm_t    *sw;
    ax_charger_t  *ch;
    ax_wsc_t     **dead;

    ch = c->data;
    sw = ch->swarm;
    now = ax_wsc_now();

    if (ch->handshake) {
        ch->handshake = 0;
        sw->handshakes--;
    }

    if (ch->online) {
        ch->online = 0;
        sw->online--;
    }

    error = ch->opened ? AX_SIM_E_LOST : AX_SIM_E_CONNECT;
    asked = ch->sim->close_why != 0;

    tls[0] = '\0';

    if (sw->tls_bridge && (e = ax_sim_tls_error(sw->tls_bridge)) != NULL) {
        snprintf(tls, sizeof(tls), ", TLS: %s", e);
    }

    if (sw->single && (!asked || sw->verbose)) {
        ax_swarm_say(sw, "connection %s: %s%s%s%s%s (HTTP %u, close %u%s%s)%s",
                     ch->opened ? "closed" : "failed",
                     ax_wsc_strerror(c->error),
                     c->detail ? ", " : "", c->detail ? c->detail : "",
                     c->sys_errno ? ": " : "",
                     c->sys_errno ? strerror(c->sys_errno) : "",
                     c->status, c->close_code,
                     c->close_reason[0] ? " " : "", c->close_reason, tls);

    } else if (!sw->single && !asked && !sw->quiet
               && sw->printed_errors[error]++ < 3)
    {
        fprintf(stderr, "arthexis simulate: %s: connection %s: %s%s%s "
                "(HTTP %u, close %u %s)\n", ch->id,
                ch->opened ? "lost" : "failed", ax_wsc_strerror(c->error),
                c->detail ? ", " : "", c->detail ? c->detail : "",
                c->status, c->close_code, c->close_reason);
    }

    /* freed once the loop is done with it */

    if (sw->ndead == sw->dead_size) {
        sw->dead_size = sw->dead_size ? sw->dead_size * 2 : 64;
        dead = realloc(sw->dead, sw->dead_size * sizeof(ax_wsc_t *));

        if (dead == NULL) {
            fprintf(stderr, "arthexis simulate: out of memory\n");
            exit(1);
        }

        sw->dead = dead;
    }

    sw->dead[sw->ndead++] = c;
    ch->c = NULL;
    ch->opened = 0;

    ax_sim_closed(ch->sim, now, error);
    ax_swarm_sync(ch);

    ax_swarm_next_connect(sw);
}


/* ------------------------------------------------------------------------
 * What the charge points do
 */

static void
ax_swarm_op_event(ax_sim_t *sim, const ax_sim_event_t *ev)
{
    char           k[32];
    ax_swarm_t    *sw;
    ax_charger_t  *ch;

    ch = sim->data;
    sw = ch->swarm;

    switch (ev->type) {

    case AX_SIM_EV_SENT:
        if (ev->len > 1 && ev->text[1] == '2') {
            sw->cur.sent++;
        }

        if (sw->verbose) {
            if (sw->single) {
                ax_swarm_say(sw, "> %.*s", (int) ev->len, ev->text);

            } else {
                printf("%s > %.*s\n", ch->id, (int) ev->len, ev->text);
            }
        }

        break;

    case AX_SIM_EV_RECEIVED:
        if (sw->verbose) {
            if (sw->single) {
                ax_swarm_say(sw, "< %.*s", (int) ev->len, ev->text);

            } else {
                printf("%s < %.*s\n", ch->id, (int) ev->len, ev->text);
            }
        }

        break;

    case AX_SIM_EV_ANSWER:
        sw->cur.answered++;
        ax_bench_hist_record(&sw->hist_sec, ev->rtt);

        if (sw->measuring) {
            ax_bench_hist_record(&sw->hist_all, ev->rtt);
        }

        break;

    case AX_SIM_EV_ERROR:
        sw->cur.errors[ev->error]++;

        if (sw->single) {
            ax_swarm_say(sw, "%s: %.*s", ax_sim_error_name(ev->error),
                         (int) ev->len, ev->text);

        } else if (!sw->quiet && sw->printed_errors[ev->error]++ < 3) {
            fprintf(stderr, "arthexis simulate: %s: %s: %.*s\n", ch->id,
                    ax_sim_error_name(ev->error), (int) ev->len, ev->text);
        }

        break;

    case AX_SIM_EV_BOOTED:
        sw->cur.boots++;

        if (!ch->online) {
            ch->online = 1;
            sw->online++;
        }

        if (sw->single) {
            if (sim->hb_interval) {
                snprintf(k, sizeof(k), "every %g s",
                         (double) sim->hb_interval / 1e9);
            }

            ax_swarm_say(sw, "booted (boot %u, Heartbeat %s)", sim->boots,
                         sim->hb_interval ? k : "never");
        }

        break;

    case AX_SIM_EV_SESSION_START:
        if (sw->single) {
            ax_swarm_say(sw, "transaction %lld started (idTag %s, "
                         "meterStart %lld Wh, %.3f kWh to go)",
                         ev->transaction_id, sim->tag ? sim->tag : "",
                         sim->meter_start, sim->energy / 1000.0);
        }

        break;

    case AX_SIM_EV_SESSION_END:
        if (ev->ok) {
            sw->cur.sessions_ok++;

        } else {
            sw->cur.sessions_failed++;
        }

        if (sw->single) {
            if (ev->transaction_id) {
                ax_swarm_say(sw, "transaction %lld %s (%.*s): %.3f kWh",
                             ev->transaction_id,
                             ev->ok ? "stopped" : "stop failed",
                             (int) ev->len, ev->text ? ev->text : "",
                             ev->energy_wh / 1000.0);

            } else {
                ax_swarm_say(sw, "the session failed before a "
                             "transaction began");
            }
        }

        break;

    case AX_SIM_EV_FINISHED:
        sw->finished++;
        break;

    case AX_SIM_EV_INFO:
        if (sw->single || sw->verbose) {
            ax_swarm_say(sw, "%s%s%.*s", sw->single ? "" : ch->id,
                         sw->single ? "" : ": ", (int) ev->len, ev->text);
        }

        break;
    }
}


static double
ax_swarm_secs(ax_swarm_t *sw, uint64_t now)
{
    return now > sw->t0 ? (double) (now - sw->t0) / 1e9 : 0;
}
