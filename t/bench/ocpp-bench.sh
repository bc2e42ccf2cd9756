#!/usr/bin/env bash
# The OCPP benchmark (issues 5 and 6): arthexis simulate --swarm against our
# central system (2 workers) on SQLite and PostgreSQL, and against the echo
# endpoint of the same server for the swarm's own ceiling.
#
#   t/bench/ocpp-bench.sh [--sqlite] [--pg] [-n CHARGERS] [-d SECONDS]
#                         [-r ROUNDS] [--window-chargers N] [--tx-chargers N]
#                         [--threads N] [--pg-dir DIR] [--perf] [--keep DIR]
#
# Per database, with a fresh server:
#   boot      CHARGERS (10,000) connect and boot; the workers' memory per
#             charger (private RssAnon summed + the zone's RssShmem)
#   rate      10,000 Heartbeats/s spread over the CHARGERS: p50/p99
#   window    --window-chargers (1,000) chargers with one Heartbeat in
#             flight each, as fast as they are answered: round trips/s
#             and Heartbeats per server CPU-second (workers' utime+stime)
#   window10k the same with CHARGERS
#             (-r: the window runs ROUNDS times, each followed by its echo
#             run; the tables show the median round)
#   tx        --tx-chargers (50) chargers running StartTransaction +
#             StopTransaction back to back (--tx-only): pairs/s
#   sessions  the same with Authorize and StatusNotifications
#   echo-*    the rate and window runs again against /ws/echo/ of the
#             same server, right after: what the machine and the swarm
#             itself give at that moment (a server figure is never the
#             client's, nor the neighbours' on a shared machine)
#
# Builds nothing: run ./build.sh build first.  --threads: the database
# thread pool of each worker (4).  PostgreSQL: ARTHEXIS_BENCH_PG (a libpq
# string) or a throwaway cluster of Debian's postgresql in a directory
# under /tmp (as build.sh's pg_available()), or under --pg-dir DIR
# (/dev/shm: no fsync cost, to tell the disk from the rest).  --perf
# records the workers during the window runs (perf record -g) and keeps
# the report.
# The outputs stay in --keep DIR (default: a new /tmp directory, printed).
# By hand only: never in CI.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/t/bench/lib-pg.sh"
MODULE=${ARTHEXIS_BENCH_MODULE:-$ROOT/build/nginx/objs/ngx_http_arthexis_core_module.so}
CLI=${ARTHEXIS_BENCH_CLI:-$ROOT/build/arthexis}
NGINX=${NGINX:-/usr/sbin/nginx}
PORT=${ARTHEXIS_BENCH_PORT:-18190}
CHARGERS=10000
WINDOW_CHARGERS=1000
TX_CHARGERS=50
THREADS=4
PG_PARENT=/tmp
DURATION=10
PERF=0
ROUNDS=1
KEEP=
ENGINES=()

while [ $# -gt 0 ]; do
    case $1 in
        --sqlite) ENGINES+=(sqlite) ;;
        --pg) ENGINES+=(postgresql) ;;
        -n) CHARGERS=$2; shift ;;
        -d) DURATION=$2; shift ;;
        --window-chargers) WINDOW_CHARGERS=$2; shift ;;
        --tx-chargers) TX_CHARGERS=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        --pg-dir) PG_PARENT=$2; shift ;;
        --perf) PERF=1 ;;
        -r|--rounds) ROUNDS=$2; shift ;;
        --keep) KEEP=$2; shift ;;
        *) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
    shift
done

[ ${#ENGINES[@]} -eq 0 ] && ENGINES=(sqlite postgresql)
[ -f "$MODULE" ] || { echo "no $MODULE: run ./build.sh build" >&2; exit 1; }
[ -x "$CLI" ] || { echo "no $CLI: run ./build.sh build" >&2; exit 1; }

# descriptors: the swarm holds one per charger, each worker half of them
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((CHARGERS + 200)) ]; then
    echo "ulimit -n is $(ulimit -n): too low for $CHARGERS chargers" >&2
    exit 1
fi

WORK=$(mktemp -d /tmp/arthexis-ocpp-bench.XXXXXX)
chmod 755 "$WORK"
OUT=${KEEP:-$(mktemp -d /tmp/arthexis-ocpp-bench-out.XXXXXX)}
mkdir -p "$OUT"

cleanup() {
    [ -f "$WORK/logs/nginx.pid" ] && kill "$(cat "$WORK/logs/nginx.pid")" 2>/dev/null || true
    sleep 0.5
    pg_stop
    rm -rf "$WORK"
}
trap cleanup EXIT

start_nginx() {
    local dsn=$1 user_line=

    [ "$(id -u)" -eq 0 ] && user_line="user root;"
    rm -rf "$WORK/logs" "$WORK/tmp"
    mkdir -p "$WORK/logs" "$WORK/tmp"

    cat > "$WORK/nginx.conf" <<CONF
load_module $MODULE;
$user_line
worker_processes 2;
pid logs/nginx.pid;
error_log logs/error.log warn;
thread_pool arthexis_db threads=$THREADS;
events { worker_connections $((CHARGERS + 1000)); }
http {
    access_log off;
    client_body_temp_path tmp/body;
    arthexis_database "$dsn";
    arthexis_thread_pool arthexis_db;
    ocpp_zone chargers 128m;
    server {
        listen 127.0.0.1:$PORT backlog=4096;
        location /ws/ocpp/ {
            ocpp_charge_point;
            ocpp_heartbeat_interval 3600s;
            ocpp_ping_interval 600s;
        }
        location /ws/echo/ { websocket_echo; }
        location = /arthexis/status { arthexis_status; }
    }
}
CONF

    "$NGINX" -p "$WORK/" -c "$WORK/nginx.conf" -e "$WORK/logs/error.log"
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$PORT/arthexis/status" > /dev/null && return
        sleep 0.1
    done
    echo "nginx did not come up:" >&2
    cat "$WORK/logs/error.log" >&2
    exit 1
}

stop_nginx() {
    kill "$(cat "$WORK/logs/nginx.pid")"
    for _ in $(seq 100); do
        [ -f "$WORK/logs/nginx.pid" ] || return 0
        sleep 0.1
    done
}

# one swarm run, its output kept in $OUT/NAME.out
swarm() {
    local name=$1
    shift
    echo "#   $name: arthexis simulate --swarm $*" >&2
    "$CLI" simulate --port "$PORT" --quiet \
        --server-pid "$(cat "$WORK/logs/nginx.pid")" --swarm "$@" \
        > "$OUT/$name.out" 2>&1 || true
    sed 's/^/#     /' "$OUT/$name.out" >&2
}

# a figure from a run's output: field NAME
fig() {
    local f=$OUT/$1.out

    case $2 in
        booted) sed -n 's/^  connected *\([0-9,]*\) of \([0-9,]*\) [a-z]* in \([0-9.]*\) s.*/\1 of \2 in \3 s/p' "$f" ;;
        mem) sed -n 's/^  server memory \([-0-9.]*\) KiB per charger: \([-0-9.]*\) private.* + \([-0-9.]*\) shared.*/\1 KiB (\2 private + \3 zone)/p' "$f" ;;
        rate) sed -n 's/^  messages .*: \([0-9,]*\)\/s$/\1/p' "$f" ;;
        p50) sed -n 's/^  latency *p50 \([0-9.]*\) ms.*/\1/p' "$f" ;;
        p99) sed -n 's/^  latency .*p99 \([0-9.]*\) ms.*/\1/p' "$f" ;;
        p50p99) sed -n 's/^  latency *p50 \([0-9.]*\) ms.*p99 \([0-9.]*\) ms.*/\1 \/ \2/p' "$f" ;;
        cpu) sed -n 's/^  server CPU .*: \([0-9,-]*\) answers per server CPU-second.*/\1/p' "$f" ;;
        us) sed -n 's/^  server CPU *\([0-9.]*\) s (user \([0-9.]*\), sys \([0-9.]*\)).*/\1 \2 \3/p' "$f" ;;
        tx) sed -n 's/^  sessions *[0-9,]* ended well (\([0-9.]*\)\/s.*/\1/p' "$f" ;;
        client) sed -n 's/^  client CPU *\([0-9.]*\) s/\1/p' "$f" ;;
        errors) sed -n 's/^  errors *\(.*\)/\1/p' "$f" ;;
    esac
}

# microseconds of CPU per answer: total/user/sys
per_msg() {
    local name=$1 n t u s
    n=$(fig "$name" rate | tr -d ,)
    read -r t u s <<< "$(fig "$name" us)"
    [ -n "$n" ] && [ -n "$t" ] || { echo "-"; return; }
    echo "$t $u $s $n $DURATION" | awk '{ m = $4 * $5; printf "%.1f (user %.1f, sys %.1f)", $1 / m * 1e6, $2 / m * 1e6, $3 / m * 1e6 }'
}

perf_record() {
    local pids
    pids=$(pgrep -P "$(cat "$WORK/logs/nginx.pid")" | paste -sd,)
    perf record -q -F 2000 -g -p "$pids" -o "$OUT/perf-$1.data" \
        -- sleep "$((DURATION / 2 + 1))" > /dev/null 2>&1 || true
    perf report -i "$OUT/perf-$1.data" --no-children --sort dso,symbol \
        --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -60 \
        > "$OUT/perf-$1.txt" || true
    perf report -i "$OUT/perf-$1.data" --no-children --sort dso \
        --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' \
        > "$OUT/perf-$1-dso.txt" || true
}

# the window load ROUNDS times, each round followed by the same load on the
# echo endpoint; the round with the median figure per server CPU-second
# stands for each (NAME.out), every round's figure is printed.  perf, when
# asked, records the first round after START seconds.
window_rounds() {
    local engine=$1 kind=$2 n=$3 start=$4 r

    for r in $(seq "$ROUNDS"); do
        if [ $PERF = 1 ] && [ "$r" = 1 ]; then
            (sleep "$start"; perf_record "$engine-$kind") &
        fi
        swarm "$engine-$kind-r$r" "$n" --window 1 --duration "$DURATION" \
            --warmup 2
        wait
        swarm "$engine-echo-$kind-r$r" "$n" --echo --window 1 \
            --duration "$DURATION" --warmup 2
    done

    median_round "$engine-$kind"
    median_round "$engine-echo-$kind"
}

median_round() {
    local name=$1 r figs

    figs=$(for r in $(seq "$ROUNDS"); do
               echo "$(fig "$name-r$r" cpu | tr -d ,) $r"
           done | sort -n)
    r=$(echo "$figs" | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }')
    cp "$OUT/$name-r$r.out" "$OUT/$name.out"
    echo "#   $name: per server CPU-second by round: $(echo "$figs" \
        | sort -k2n | awk '{ printf "%s%s", s, $1; s = ", " }'); median:" \
        "round $r" >&2
}

bench_engine() {
    local engine=$1 dsn

    if [ "$engine" = sqlite ]; then
        dsn="sqlite:$WORK/bench.sqlite3"
        rm -f "$WORK"/bench.sqlite3*
    else
        pg_start "$PG_PARENT" -c max_connections=$((2 * THREADS + 20))
        dsn=$PG_DSN
        psql -X -q -d "$dsn" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench;" > /dev/null
        dsn="$dsn options='-csearch_path=bench'"
    fi

    "$CLI" migrate --database "$dsn" > /dev/null
    start_nginx "$dsn"

    echo "# $engine" >&2
    swarm "$engine-boot" "$CHARGERS" --duration 2 --warmup 0
    swarm "$engine-rate" "$CHARGERS" --rate 10000 --duration "$DURATION" --warmup 2
    swarm "$engine-echo-rate" "$CHARGERS" --echo --rate 10000 \
        --duration "$DURATION" --warmup 2
    window_rounds "$engine" window "$WINDOW_CHARGERS" 6
    window_rounds "$engine" window10k "$CHARGERS" 8
    swarm "$engine-tx" "$TX_CHARGERS" --sessions --tx-only --id-prefix tx- \
        --duration "$DURATION" --warmup 2
    swarm "$engine-sessions" "$TX_CHARGERS" --sessions --id-prefix s- \
        --duration "$DURATION" --warmup 2

    stop_nginx

    if grep -q '\[error\]\|\[crit\]\|\[alert\]\|\[emerg\]' "$WORK/logs/error.log"; then
        echo "errors in the log:" >&2
        grep '\[error\]\|\[crit\]\|\[alert\]\|\[emerg\]' "$WORK/logs/error.log" | head >&2
    fi
}

for e in "${ENGINES[@]}"; do
    bench_engine "$e"
done

# the table (Markdown), then the echo line
printf '\n| figure | %s |\n|---|%s\n' "$(IFS='|'; echo "${ENGINES[*]}" | sed 's/|/ | /g')" \
    "$(printf -- '---|%.0s' "${ENGINES[@]}")"

row() {
    local label=$1 name=$2 field=$3 line e v
    line="| $label |"
    for e in "${ENGINES[@]}"; do
        v=$(fig "$e-$name" "$field")
        line="$line ${v:--} |"
    done
    echo "$line"
}

row_us() {
    local label=$1 name=$2 line e
    line="| $label |"
    for e in "${ENGINES[@]}"; do
        line="$line $(per_msg "$e-$name") |"
    done
    echo "$line"
}

row "$CHARGERS chargers connected and booted" boot booted
row "worker memory per connected charger" boot mem
row "Heartbeats/s answered at --rate 10000 ($CHARGERS chargers)" rate rate
row "p50 / p99 ms at 10,000 Heartbeats/s" rate p50p99
row "  the echo endpoint under the same load, just after: p50 / p99 ms" echo-rate p50p99
row "Heartbeat round trips/s, 1 in flight × $WINDOW_CHARGERS" window rate
row "Heartbeats per server CPU-second, 1 in flight × $WINDOW_CHARGERS" window cpu
row_us "server CPU µs per Heartbeat ($WINDOW_CHARGERS)" window
row "p50 / p99 ms, 1 in flight × $WINDOW_CHARGERS" window p50p99
row "  the echo endpoint, 1 in flight × $WINDOW_CHARGERS: echoes/s" echo-window rate
row "  echoes per server CPU-second" echo-window cpu
row_us "  server CPU µs per echo" echo-window
row "  client CPU s for the $DURATION s (the swarm's own cost)" echo-window client
row "Heartbeat round trips/s, 1 in flight × $CHARGERS" window10k rate
row "Heartbeats per server CPU-second, 1 in flight × $CHARGERS" window10k cpu
row_us "server CPU µs per Heartbeat ($CHARGERS)" window10k
row "  the echo endpoint, 1 in flight × $CHARGERS: echoes per server CPU-second" echo-window10k cpu
row_us "  server CPU µs per echo ($CHARGERS)" echo-window10k
row "StartTransaction+StopTransaction pairs/s ($TX_CHARGERS chargers)" tx tx
row "full sessions/s (Authorize, statuses, Start, Stop)" sessions tx
row "errors (boot, rate, window, tx runs)" boot errors

echo
echo "outputs: $OUT"
