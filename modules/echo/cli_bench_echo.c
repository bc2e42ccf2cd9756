
/*
 * arthexis bench-echo: a load generator for a WebSocket echo endpoint.
 *
 * N connections from one process (shared/ax_wsclient, one epoll loop), each
 * keeping a window of messages in flight: every echo that comes back is
 * answered with a new message, so the server always has window messages
 * per connection to answer.  Each message carries its send time; the echo
 * gives the round trip.  With --server-pid the server's CPU time is read
 * from /proc for the measured interval, which gives the figure that does
 * not depend on the client sharing the machine: echoes per server
 * CPU-second.  --idle opens the connections, measures the server's memory
 * per connection and sends nothing.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ax_bench.h>
#include <ax_cli.h>
#include <ax_wsclient.h>


#define AX_BENCH_CONNECTING   512      /* handshakes in flight at most */


typedef struct ax_bench_s  ax_bench_t;


typedef struct {
    ax_bench_t       *bench;
    unsigned          index;
    unsigned          in_flight;
    unsigned          closed:1;
} ax_bench_conn_t;


struct ax_bench_s {
    /* options */
    const char       *url;
    unsigned          connections;
    unsigned          window;
    size_t            size;
    double            duration;
    double            warmup;
    double            ramp;
    unsigned          sources;
    int               binary;
    int               idle;
    int               quiet;
    int               summary;

    /* the server's processes */
    ax_bench_pids_t   pids;

    /* state */
    ax_wsc_loop_t    *loop;
    ax_wsc_conf_t     conf;
    ax_wsc_t        **conns;
    ax_bench_conn_t  *state;
    unsigned          started;
    unsigned          open;
    unsigned          connecting;
    unsigned          failed;
    unsigned          lost;         /* closed while the test ran */
    unsigned          errors_by[8];
    int               sending;
    int               measuring;

    uint64_t          sent;
    uint64_t          echoed;
    uint64_t          mismatched;
    ax_bench_hist_t   hist;

    unsigned char    *payload;
    struct sockaddr_storage  addr;
    struct sockaddr_in       *locals;
};


static int ax_cli_bench_echo_main(int argc, char **argv);
static int ax_bench_options(ax_bench_t *b, int argc, char **argv);
static int ax_bench_connect(ax_bench_t *b);
static void ax_bench_open_more(ax_bench_t *b);
static void ax_bench_on_open(ax_wsc_t *c);
static void ax_bench_on_message(ax_wsc_t *c, unsigned opcode,
    unsigned char *data, size_t len);
static void ax_bench_on_closed(ax_wsc_t *c);
static void ax_bench_send(ax_bench_t *b, ax_wsc_t *c);
static void ax_bench_run_for(ax_bench_t *b, double secs);
static long ax_bench_rss_kib(ax_bench_t *b);


static const ax_wsc_handler_t  ax_bench_handler = {
    ax_bench_on_open,
    ax_bench_on_message,
    NULL,
    ax_bench_on_closed
};

static volatile sig_atomic_t  ax_bench_stop;


const ax_cli_command_t  ax_cli_bench_echo = {
    "bench-echo",
    "WebSocket echo load generator (N connections, window, CPU/echo)",
    "[--url URL] [--connections N] [--window W] [--size BYTES]\n"
    "       [--duration S] [--warmup S] [--ramp N] [--binary] [--idle]\n"
    "       [--server-pid PID[,PID...]] [--sources N] [--quiet]\n"
    "       [--summary]\n\n"
    "Opens N WebSocket connections (default 100) to URL (default\n"
    "ws://127.0.0.1:8000/ws/echo/) from this one process and keeps W\n"
    "messages (default 1) of BYTES bytes (default 64, text; --binary for\n"
    "binary frames) in flight on each: every echo is answered at once by a\n"
    "new message.  After --warmup seconds (default 2) it measures for\n"
    "--duration seconds (default 10) and prints echoes per second, the\n"
    "round-trip latency (p50, p90, p99, max) and, with --server-pid, the\n"
    "server's CPU time over the same interval, read from /proc/PID/stat\n"
    "(utime + stime): echoes per server CPU-second.  A PID with children\n"
    "(nginx's master) stands for its children (the workers).\n\n"
    "--ramp N opens at most N connections per second (default: as fast as\n"
    "the server accepts, 512 handshakes at a time).  --sources N spreads\n"
    "the connections over the source addresses 127.0.0.1..127.0.0.N (each\n"
    "address has about 28,000 ephemeral ports towards one server port).\n\n"
    "--idle opens the connections, sends nothing, and reports the server's\n"
    "resident memory (VmRSS of the PIDs) before and with them open: memory\n"
    "per idle connection.  It holds them for --duration seconds.\n\n"
    "--summary adds one line of key=value pairs for scripts (t/bench).\n"
    "Raise the descriptor limit for many connections (ulimit -n).  Exit\n"
    "status 0 when every connection opened and every echo matched.\n",
    ax_cli_bench_echo_main
};


static void
ax_bench_sigint(int signo)
{
    ax_bench_stop = 1;
}


static int
ax_cli_bench_echo_main(int argc, char **argv)
{
    int          rc;
    char         n1[32], n2[32], n3[32];
    long         rss0, rss1;
    double       t0, t1, secs, u0, s0, u1, s1, cpu, self0, self1;
    unsigned     i;
    ax_bench_t   b;
    uint64_t     sent0, echoed0;

    memset(&b, 0, sizeof(ax_bench_t));

    if (ax_bench_options(&b, argc, argv) != 0) {
        return 2;
    }

    signal(SIGINT, ax_bench_sigint);
    signal(SIGPIPE, SIG_IGN);

    rss0 = ax_bench_rss_kib(&b);

    if (ax_bench_connect(&b) != 0) {
        return 1;
    }

    printf("bench-echo: %s, %u connections (%u failed), ", b.url,
           b.connections, b.failed);

    if (b.idle) {
        printf("idle\n");

    } else {
        printf("window %u, %zu-byte %s messages\n", b.window, b.size,
               b.binary ? "binary" : "text");
    }

    if (b.failed) {
        for (i = 1; i < 8; i++) {
            if (b.errors_by[i]) {
                printf("  failed: %u %s\n", b.errors_by[i],
                       ax_wsc_strerror(i));
            }
        }
    }

    rc = (b.failed == 0) ? 0 : 1;

    if (b.idle) {
        /* let the workers settle, then read their memory */
        ax_bench_run_for(&b, 1.0);
        rss1 = ax_bench_rss_kib(&b);

        if (b.pids.n) {
            printf("  server RSS    %s KiB before, %s KiB with %u open: "
                   "%.2f KiB per connection\n",
                   ax_bench_thousands(n1, rss0), ax_bench_thousands(n2, rss1),
                   b.open, b.open ? (double) (rss1 - rss0) / b.open : 0.0);
        }

        if (b.summary) {
            printf("summary connections=%u failed=%u rss_before_kib=%ld "
                   "rss_kib=%ld per_conn_kib=%.2f\n", b.open, b.failed,
                   rss0, rss1,
                   b.open ? (double) (rss1 - rss0) / b.open : 0.0);
        }

        ax_bench_run_for(&b, b.duration);

    } else {
        b.sending = 1;

        for (i = 0; i < b.connections; i++) {
            if (b.conns[i] && b.conns[i]->state == AX_WSC_OPEN) {
                while (b.state[i].in_flight < b.window) {
                    ax_bench_send(&b, b.conns[i]);
                }
            }
        }

        ax_bench_run_for(&b, b.warmup);

        sent0 = b.sent;
        echoed0 = b.echoed;
        (void) ax_bench_pids_cpu(&b.pids, &u0, &s0);
        self0 = ax_bench_self_cpu();
        t0 = (double) ax_wsc_now() / 1e9;
        b.measuring = 1;

        ax_bench_run_for(&b, b.duration);

        b.measuring = 0;
        t1 = (double) ax_wsc_now() / 1e9;
        (void) ax_bench_pids_cpu(&b.pids, &u1, &s1);
        self1 = ax_bench_self_cpu();
        rss1 = ax_bench_rss_kib(&b);

        b.sending = 0;
        secs = t1 - t0;

        printf("  measured      %.2f s after a %.1f s warm-up\n", secs,
               b.warmup);
        printf("  echoes        %s (%s/s), sent %s\n",
               ax_bench_thousands(n1, b.echoed - echoed0),
               ax_bench_thousands(n2, (b.echoed - echoed0) / secs),
               ax_bench_thousands(n3, b.sent - sent0));
        printf("  latency       p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, "
               "max %.3f ms\n",
               ax_bench_hist_percentile(&b.hist, 0.50) / 1e6,
               ax_bench_hist_percentile(&b.hist, 0.90) / 1e6,
               ax_bench_hist_percentile(&b.hist, 0.99) / 1e6,
               b.hist.max / 1e6);

        if (b.pids.n) {
            cpu = (u1 - u0) + (s1 - s0);

            printf("  server CPU    %.2f s (user %.2f, sys %.2f) in %u "
                   "process%s: %s echoes per server CPU-second\n",
                   cpu, u1 - u0, s1 - s0, b.pids.n, b.pids.n > 1 ? "es" : "",
                   cpu > 0 ? ax_bench_thousands(n1,
                                                (b.echoed - echoed0) / cpu)
                           : "-");
            printf("  server RSS    %s KiB\n", ax_bench_thousands(n2, rss1));
        }

        printf("  client CPU    %.2f s\n", self1 - self0);

        if (b.summary) {
            cpu = (u1 - u0) + (s1 - s0);

            printf("summary connections=%u failed=%u window=%u size=%zu "
                   "secs=%.2f echoes=%llu rate=%.0f p50_ms=%.3f "
                   "p99_ms=%.3f server_cpu=%.2f server_user=%.2f "
                   "server_sys=%.2f per_cpu=%.0f client_cpu=%.2f "
                   "rss_kib=%ld\n",
                   b.open, b.failed, b.window, b.size, secs,
                   (unsigned long long) (b.echoed - echoed0),
                   (b.echoed - echoed0) / secs,
                   ax_bench_hist_percentile(&b.hist, 0.50) / 1e6,
                   ax_bench_hist_percentile(&b.hist, 0.99) / 1e6,
                   cpu, u1 - u0, s1 - s0,
                   cpu > 0 ? (b.echoed - echoed0) / cpu : 0.0,
                   self1 - self0, rss1);
        }

        if (b.mismatched) {
            printf("  MISMATCHED    %llu echoes differ from what was sent\n",
                   (unsigned long long) b.mismatched);
            rc = 1;
        }
    }

    if (b.lost) {
        printf("  lost          %u connections closed during the run\n",
               b.lost);

        for (i = 1; i < 8; i++) {
            if (b.errors_by[i]) {
                printf("                %u %s\n", b.errors_by[i],
                       ax_wsc_strerror(i));
            }
        }

        rc = 1;
    }

    /* a clean close handshake on every connection */

    for (i = 0; i < b.connections; i++) {
        if (b.conns[i] && b.conns[i]->state == AX_WSC_OPEN) {
            ax_wsc_close(b.conns[i], AX_WS_CLOSE_NORMAL, "done");
        }
    }

    t0 = (double) ax_wsc_now() / 1e9;

    while (b.open && (double) ax_wsc_now() / 1e9 - t0 < 3.0) {
        (void) ax_wsc_loop_run(b.loop, 100);
    }

    for (i = 0; i < b.connections; i++) {
        ax_wsc_free(b.conns[i]);
    }

    ax_wsc_loop_free(b.loop);
    free(b.conns);
    free(b.state);
    free(b.payload);
    free(b.locals);

    return rc;
}


static int
ax_bench_options(ax_bench_t *b, int argc, char **argv)
{
    char        *v, *end;
    unsigned     i;

    b->url = "ws://127.0.0.1:8000/ws/echo/";
    b->connections = 100;
    b->window = 1;
    b->size = 64;
    b->duration = 10;
    b->warmup = 2;
    b->sources = 1;

    b->binary = ax_cli_take_flag(&argc, argv, "--binary");
    b->idle = ax_cli_take_flag(&argc, argv, "--idle");
    b->quiet = ax_cli_take_flag(&argc, argv, "--quiet");
    b->summary = ax_cli_take_flag(&argc, argv, "--summary");

    if ((v = ax_cli_take_option(&argc, argv, "--url"))) {
        b->url = v;
    }

    if ((v = ax_cli_take_option(&argc, argv, "--connections"))) {
        b->connections = strtoul(v, &end, 10);
        if (*end || b->connections == 0) {
            goto invalid;
        }
    }

    if ((v = ax_cli_take_option(&argc, argv, "--window"))) {
        b->window = strtoul(v, &end, 10);
        if (*end || b->window == 0) {
            goto invalid;
        }
    }

    if ((v = ax_cli_take_option(&argc, argv, "--size"))) {
        b->size = strtoul(v, &end, 10);
        if (*end || b->size < 16 || b->size > 16 * 1024 * 1024) {
            goto invalid;
        }
    }

    if ((v = ax_cli_take_option(&argc, argv, "--duration"))) {
        b->duration = strtod(v, &end);
        if (*end || b->duration < 0) {
            goto invalid;
        }
    }

    if ((v = ax_cli_take_option(&argc, argv, "--warmup"))) {
        b->warmup = strtod(v, &end);
        if (*end || b->warmup < 0) {
            goto invalid;
        }
    }

    if ((v = ax_cli_take_option(&argc, argv, "--ramp"))) {
        b->ramp = strtod(v, &end);
        if (*end || b->ramp < 0) {
            goto invalid;
        }
    }

    if ((v = ax_cli_take_option(&argc, argv, "--sources"))) {
        b->sources = strtoul(v, &end, 10);
        if (*end || b->sources == 0 || b->sources > 254) {
            goto invalid;
        }
    }

    while ((v = ax_cli_take_option(&argc, argv, "--server-pid"))) {
        if (ax_bench_pids_add(&b->pids, v) != 0) {
            goto invalid;
        }
    }

    if (argc > 1) {
        fprintf(stderr, "arthexis bench-echo: unexpected \"%s\"\n", argv[1]);
        return -1;
    }

    b->payload = malloc(b->size);
    if (b->payload == NULL) {
        return -1;
    }

    for (i = 0; i < b->size; i++) {
        b->payload[i] = 'a' + i % 26;
    }

    return 0;

invalid:

    fprintf(stderr, "arthexis bench-echo: invalid value \"%s\"\n", v);
    return -1;
}


static int
ax_bench_connect(ax_bench_t *b)
{
    int        tls;
    char      *host, *path;
    unsigned   port, i;
    socklen_t  len;
    double     start;

    if (ax_wsc_parse_url(b->url, &host, &port, &path, &tls) != 0 || tls) {
        fprintf(stderr, "arthexis bench-echo: \"%s\" is not a ws:// URL\n",
                b->url);
        return -1;
    }

    if (ax_wsc_resolve(host, port, &b->addr, &len) != 0) {
        fprintf(stderr, "arthexis bench-echo: cannot resolve \"%s\"\n",
                host);
        free(host);
        free(path);
        return -1;
    }

    b->loop = ax_wsc_loop_create();
    b->conns = calloc(b->connections, sizeof(ax_wsc_t *));
    b->state = calloc(b->connections, sizeof(ax_bench_conn_t));
    b->locals = calloc(b->sources, sizeof(struct sockaddr_in));

    if (b->loop == NULL || b->conns == NULL || b->state == NULL
        || b->locals == NULL)
    {
        fprintf(stderr, "arthexis bench-echo: out of memory\n");
        return -1;
    }

    for (i = 0; i < b->sources; i++) {
        b->locals[i].sin_family = AF_INET;
        b->locals[i].sin_addr.s_addr = htonl(0x7f000001 + i);
    }

    b->conf.addr = (struct sockaddr *) &b->addr;
    b->conf.addr_len = len;
    b->conf.host = host;
    b->conf.path = path;
    b->conf.max_message_size = 0;

    start = (double) ax_wsc_now() / 1e9;

    while (b->started < b->connections || b->connecting) {

        if (ax_bench_stop) {
            break;
        }

        if (b->ramp == 0
            || b->started < ((double) ax_wsc_now() / 1e9 - start) * b->ramp)
        {
            ax_bench_open_more(b);
        }

        if (ax_wsc_loop_run(b->loop, b->ramp ? 1 : 50) == -1) {
            perror("arthexis bench-echo: epoll_wait");
            return -1;
        }
    }

    free(host);
    free(path);
    b->conf.host = NULL;
    b->conf.path = NULL;

    if (b->open == 0) {
        fprintf(stderr, "arthexis bench-echo: no connection to %s "
                "opened\n", b->url);
        return -1;
    }

    return 0;
}


static void
ax_bench_open_more(ax_bench_t *b)
{
    unsigned  i, src;

    while (b->started < b->connections
           && b->connecting < AX_BENCH_CONNECTING)
    {
        i = b->started;

        if (b->sources > 1) {
            src = i % b->sources;
            b->conf.local = (struct sockaddr *) &b->locals[src];
            b->conf.local_len = sizeof(struct sockaddr_in);
        }

        b->state[i].bench = b;
        b->state[i].index = i;
        b->conns[i] = ax_wsc_open(b->loop, &b->conf, &ax_bench_handler,
                                  &b->state[i]);

        b->started++;

        if (b->conns[i] == NULL) {
            fprintf(stderr, "arthexis bench-echo: connection %u: %s\n", i,
                    strerror(errno));
            b->failed++;
            b->errors_by[AX_WSC_ECONNECT]++;
            continue;
        }

        b->connecting++;

        if (b->ramp) {
            break;
        }
    }
}


static void
ax_bench_on_open(ax_wsc_t *c)
{
    ax_bench_conn_t  *st = c->data;
    ax_bench_t       *b = st->bench;

    b->connecting--;
    b->open++;
}


/* the payload: 16 hex digits (text) or 8 bytes (binary) of the send time */

static void
ax_bench_send(ax_bench_t *b, ax_wsc_t *c)
{
    int            i;
    uint64_t       now;
    ax_bench_conn_t  *st;
    static const char  hex[] = "0123456789abcdef";

    now = ax_wsc_now();

    if (b->binary) {
        memcpy(b->payload, &now, 8);

    } else {
        for (i = 15; i >= 0; i--) {
            b->payload[i] = hex[now & 0xf];
            now >>= 4;
        }
    }

    if (ax_wsc_send(c, b->binary ? AX_WS_OP_BINARY : AX_WS_OP_TEXT,
                    b->payload, b->size)
        == 0)
    {
        st = c->data;
        st->in_flight++;
        b->sent++;
    }
}


static void
ax_bench_on_message(ax_wsc_t *c, unsigned opcode, unsigned char *data,
    size_t len)
{
    int               i, d;
    uint64_t          t, now;
    ax_bench_t       *b;
    ax_bench_conn_t  *st;

    st = c->data;
    b = st->bench;

    if (st->in_flight) {
        st->in_flight--;
    }

    if (len != b->size || len < 16
        || opcode != (b->binary ? AX_WS_OP_BINARY : AX_WS_OP_TEXT)
        || memcmp(data + 16, b->payload + 16, len - 16) != 0)
    {
        b->mismatched++;
        return;
    }

    if (b->binary) {
        memcpy(&t, data, 8);

    } else {
        t = 0;

        for (i = 0; i < 16; i++) {
            d = data[i];
            d = (d <= '9') ? d - '0' : d - 'a' + 10;
            t = (t << 4) | (d & 0xf);
        }
    }

    b->echoed++;

    if (b->measuring) {
        now = ax_wsc_now();
        ax_bench_hist_record(&b->hist, now > t ? now - t : 0);
    }

    if (b->sending && st->in_flight < b->window) {
        ax_bench_send(b, c);
    }
}


static void
ax_bench_on_closed(ax_wsc_t *c)
{
    unsigned          i;
    ax_bench_t       *b;
    ax_bench_conn_t  *st;

    st = c->data;
    b = st->bench;
    i = st->index;

    if (st->closed) {
        return;
    }

    st->closed = 1;

    if (c->status == 101 && c->error != AX_WSC_ECONNECT
        && c->error != AX_WSC_EHANDSHAKE)
    {
        b->open--;

        if (c->error != AX_WSC_OK || b->sending || b->idle) {
            /* unexpected while the test runs */
            if (c->close_code != AX_WS_CLOSE_NORMAL || b->sending) {
                b->lost++;
                b->errors_by[c->error < 8 ? c->error : 0]++;

                if (!b->quiet && b->lost <= 5) {
                    fprintf(stderr, "arthexis bench-echo: connection %u "
                            "closed: %s (close %u %s)\n", i,
                            ax_wsc_strerror(c->error), c->close_code,
                            c->close_reason);
                }
            }
        }

        return;
    }

    b->connecting--;
    b->failed++;
    b->errors_by[c->error < 8 ? c->error : 0]++;

    if (!b->quiet && b->failed <= 5) {
        fprintf(stderr, "arthexis bench-echo: connection %u failed: %s "
                "(%s%s%s, HTTP %u)\n", i, ax_wsc_strerror(c->error),
                c->detail ? c->detail : "",
                c->sys_errno ? ": " : "",
                c->sys_errno ? strerror(c->sys_errno) : "", c->status);
    }
}


static void
ax_bench_run_for(ax_bench_t *b, double secs)
{
    uint64_t  end;

    end = ax_wsc_now() + (uint64_t) (secs * 1e9);

    while (ax_wsc_now() < end && !ax_bench_stop) {
        if (ax_wsc_loop_run(b->loop, 20) == -1) {
            perror("arthexis bench-echo: epoll_wait");
            return;
        }
    }
}


/* the server's resident memory, KiB */

static long
ax_bench_rss_kib(ax_bench_t *b)
{
    ax_bench_mem_t  m;

    return ax_bench_pids_mem(&b->pids, &m) == 0 ? m.rss : 0;
}
