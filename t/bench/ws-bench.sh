#!/usr/bin/env bash
# The WebSocket benchmark (issue 3): `arthexis bench-echo` against the echo
# endpoint with 1 and 2 workers, next to a bare single-process epoll echo
# server (t/bench/ws_echo_baseline.c, the same codec) under the same loads
# in the same run, and the worker memory per idle connection.
#
#   t/bench/ws-bench.sh [-c CONNECTIONS] [-d SECONDS] [-r ROUNDS]
#                       [--workers "1 2"] [--windows "1 8"] [--idle N]
#                       [--no-baseline] [--no-idle] [--no-load]
#
# Each round starts each server afresh and runs every window on it; the
# table shows the medians of the rounds.  The figure that counts is echoes
# per server CPU-second (utime + stime of the server's processes from
# /proc over the measured interval): the client shares the machine's
# cores, so messages/s says as much about the client as about the server.
# Targets of issue 3 on a 2-core machine: >= 90,000 with window 1, >=
# 500,000 with window 8, <= 4 KiB of worker memory per idle connection.
#
# Builds nothing: run ./build.sh build first (it uses build/).  By hand
# only, never in CI.  ARTHEXIS_BENCH_PORT (default 18290, and the next
# port for the baseline), ARTHEXIS_BENCH_MODULE and ARTHEXIS_BENCH_CLI
# override the defaults.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODULE=${ARTHEXIS_BENCH_MODULE:-$ROOT/build/nginx/objs/ngx_http_arthexis_core_module.so}
CLI=${ARTHEXIS_BENCH_CLI:-$ROOT/build/arthexis}
NGINX=${NGINX:-/usr/sbin/nginx}
PORT=${ARTHEXIS_BENCH_PORT:-18290}
BASE_PORT=$((PORT + 1))
DIR=$ROOT/build/bench-ws
CONNECTIONS=1000
DURATION=10
ROUNDS=3
WORKERS="1 2"
WINDOWS="1 8"
IDLE=10000
BASELINE=1
DO_IDLE=1
DO_LOAD=1

usage() {
    sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        -c) CONNECTIONS=$2; shift ;;
        -d) DURATION=$2; shift ;;
        -r) ROUNDS=$2; shift ;;
        --workers) WORKERS=$2; shift ;;
        --windows) WINDOWS=$2; shift ;;
        --idle) IDLE=$2; shift ;;
        --no-baseline) BASELINE=0 ;;
        --no-idle) DO_IDLE=0 ;;
        --no-load) DO_LOAD=0 ;;
        *) usage ;;
    esac
    shift
done

[ -f "$MODULE" ] && [ -x "$CLI" ] \
    || { echo "run ./build.sh build first" >&2; exit 1; }

# one descriptor per connection on each side, and some
ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)

if [ "$NOFILE" -lt $((IDLE + 100)) ]; then
    echo "ws-bench: ulimit -n is $NOFILE, too low for $IDLE connections" >&2
    exit 1
fi

mkdir -p "$DIR/logs"
RESULTS=$DIR/results.txt
: > "$RESULTS"

NGINX_PID=
BASE_PID=

cleanup() {
    stop_nginx
    stop_baseline
}
trap cleanup EXIT


wait_port() {
    local i
    for i in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
        sleep 0.05
    done
    echo "ws-bench: nothing listens on port $1" >&2
    exit 1
}

start_nginx() {
    # $1 workers
    local reuseport= user=

    [ "$1" -gt 1 ] && reuseport=reuseport
    [ "$(id -u)" -eq 0 ] && user="user root;"

    cat > "$DIR/nginx.conf" <<EOF
load_module $MODULE;
worker_processes $1;
worker_rlimit_nofile $NOFILE;
pid logs/nginx.pid;
error_log logs/error.log warn;
$user

events {
    worker_connections $((NOFILE - 100));
}

http {
    access_log off;
    arthexis_database sqlite:logs/arthexis.sqlite3;

    server {
        listen 127.0.0.1:$PORT $reuseport;
        location /ws/echo/ { websocket_echo; }
    }
}
EOF

    "$NGINX" -p "$DIR/" -c nginx.conf -e logs/error.log
    wait_port "$PORT"
    NGINX_PID=$(cat "$DIR/logs/nginx.pid")
}

stop_nginx() {
    if [ -n "$NGINX_PID" ]; then
        kill -QUIT "$NGINX_PID" 2> /dev/null || true
        while kill -0 "$NGINX_PID" 2> /dev/null; do sleep 0.05; done
        NGINX_PID=
    fi
}

start_baseline() {
    "$DIR/ws_echo_baseline" "$BASE_PORT" &
    BASE_PID=$!
    wait_port "$BASE_PORT"
}

stop_baseline() {
    if [ -n "$BASE_PID" ]; then
        kill "$BASE_PID" 2> /dev/null || true
        wait "$BASE_PID" 2> /dev/null || true
        BASE_PID=
    fi
}

# $1 label, $2 port, $3 server pid, $4 window
load() {
    local line

    line=$("$CLI" bench-echo --url "ws://127.0.0.1:$2/ws/echo/" \
               --connections "$CONNECTIONS" --window "$4" \
               --duration "$DURATION" --warmup 2 --server-pid "$3" \
               --quiet --summary | sed -n 's/^summary //p')

    echo "$1 window=$4 $line" >> "$RESULTS"
    printf '  %-18s window %-2s %s\n' "$1" "$4" \
        "$(echo "$line" | tr ' ' '\n' \
           | grep -E '^(rate|p50_ms|p99_ms|server_cpu|per_cpu)=' \
           | tr '\n' ' ')"
}

# the median of a field over the rounds: $1 label, $2 window, $3 field
median() {
    grep "^$1 window=$2 " "$RESULTS" \
        | tr ' ' '\n' | sed -n "s/^$3=//p" | sort -g \
        | awk '{ v[NR] = $1 } END {
                   if (NR == 0) { print "-"; exit }
                   if (NR % 2) { print v[(NR + 1) / 2] }
                   else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}


if [ $BASELINE = 1 ]; then
    cc -O2 -Wall -I"$ROOT/shared" -o "$DIR/ws_echo_baseline" \
        "$ROOT/t/bench/ws_echo_baseline.c" "$ROOT/shared/ax_ws.c" \
        "$ROOT/shared/ax_utf8.c" "$ROOT/shared/ax_sha1.c"
fi

if [ $DO_LOAD = 1 ]; then
    for round in $(seq 1 "$ROUNDS"); do
        echo "round $round of $ROUNDS ($CONNECTIONS connections," \
             "64-byte text messages, ${DURATION}s each)"

        for w in $WORKERS; do
            start_nginx "$w"
            for win in $WINDOWS; do
                load "nginx-$w-worker" "$PORT" "$NGINX_PID" "$win"
            done
            stop_nginx
        done

        if [ $BASELINE = 1 ]; then
            start_baseline
            for win in $WINDOWS; do
                load "baseline" "$BASE_PORT" "$BASE_PID" "$win"
            done
            stop_baseline
        fi
    done

    echo
    echo "medians of $ROUNDS rounds, $CONNECTIONS connections:"
    printf '%-18s %6s %12s %9s %9s %11s %18s\n' server window \
        "echoes/s" "p50 ms" "p99 ms" "server CPU" "echoes/server CPU-s"

    labels=
    for w in $WORKERS; do labels="$labels nginx-$w-worker"; done
    [ $BASELINE = 1 ] && labels="$labels baseline"

    for label in $labels; do
        for win in $WINDOWS; do
            printf '%-18s %6s %12.0f %9s %9s %10ss %18.0f\n' "$label" "$win" \
                "$(median "$label" "$win" rate)" \
                "$(median "$label" "$win" p50_ms)" \
                "$(median "$label" "$win" p99_ms)" \
                "$(median "$label" "$win" server_cpu)" \
                "$(median "$label" "$win" per_cpu)"
        done
    done
fi

if [ $DO_IDLE = 1 ]; then
    echo
    echo "idle memory: $IDLE connections to 1 worker"
    start_nginx 1
    "$CLI" bench-echo --url "ws://127.0.0.1:$PORT/ws/echo/" \
        --connections "$IDLE" --idle --duration 1 --server-pid "$NGINX_PID" \
        --quiet | sed 's/^/  /'
    stop_nginx
fi
