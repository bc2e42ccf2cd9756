#!/usr/bin/env bash
# The REST benchmark (issue 4): wrk against GET /nodes/list/ (100 nodes)
# and POST /accounts/rfid-login/, next to nginx's own `return 200` on the
# same server in the same run, 2 workers, on SQLite and PostgreSQL.  The
# figure is each route's requests/s as a share of `return 200`'s.
#
#   t/bench/rest-bench.sh [--sqlite] [--pg] [-d SECONDS] [-c CONNECTIONS]
#                         [--threads N]
#
# Builds nothing: run ./build.sh build first (it uses build/).  Without
# --sqlite/--pg it runs both.  PostgreSQL: ARTHEXIS_BENCH_PG (a libpq
# string) or a throwaway cluster of Debian's postgresql in /tmp.  By hand
# only: never in CI.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODULE=${ARTHEXIS_BENCH_MODULE:-$ROOT/build/nginx/objs/ngx_http_arthexis_core_module.so}
CLI=${ARTHEXIS_BENCH_CLI:-$ROOT/build/arthexis}
NGINX=${NGINX:-/usr/sbin/nginx}
PORT=${ARTHEXIS_BENCH_PORT:-18090}
DURATION=10
CONNECTIONS=100
THREADS=4
ENGINES=()

while [ $# -gt 0 ]; do
    case $1 in
        --sqlite) ENGINES+=(sqlite) ;;
        --pg) ENGINES+=(postgresql) ;;
        -d) DURATION=$2; shift ;;
        -c) CONNECTIONS=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        *) echo "usage: $0 [--sqlite] [--pg] [-d SECONDS] [-c N] [--threads N]" >&2
           exit 2 ;;
    esac
    shift
done

[ ${#ENGINES[@]} -eq 0 ] && ENGINES=(sqlite postgresql)

command -v wrk > /dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f "$MODULE" ] || { echo "no $MODULE: run ./build.sh build" >&2; exit 1; }

WORK=$(mktemp -d /tmp/arthexis-bench.XXXXXX)
chmod 755 "$WORK"
PG_DIR=

cleanup() {
    [ -f "$WORK/logs/nginx.pid" ] && kill "$(cat "$WORK/logs/nginx.pid")" 2>/dev/null || true
    sleep 0.5
    if [ -n "$PG_DIR" ]; then
        local bin run=
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
        [ "$(id -u)" -eq 0 ] && run="runuser -u postgres --"
        $run "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop > /dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

pg_start() {
    if [ -n "${ARTHEXIS_BENCH_PG:-}" ]; then
        echo "$ARTHEXIS_BENCH_PG"
        return
    fi

    local bin user=postgres run=
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    PG_DIR=$(mktemp -d /tmp/arthexis-bench-pg.XXXXXX)
    chmod 755 "$PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$PG_DIR"
        run="runuser -u postgres --"
    else
        user=$(id -un)
    fi
    $run "$bin/initdb" -D "$PG_DIR/data" -U "$user" -A trust > /dev/null
    $run "$bin/pg_ctl" -D "$PG_DIR/data" -w -l "$PG_DIR/pg.log" \
        -o "-p 5432 -k $PG_DIR -c listen_addresses=''" start > /dev/null
    echo "host=$PG_DIR port=5432 user=$user dbname=postgres"
}

start_nginx() {
    local dsn=$1 user_line=

    [ "$(id -u)" -eq 0 ] && user_line="user root;"
    mkdir -p "$WORK/logs" "$WORK/tmp"

    cat > "$WORK/nginx.conf" <<CONF
load_module $MODULE;
$user_line
worker_processes 2;
pid logs/nginx.pid;
error_log logs/error.log warn;
thread_pool arthexis_db threads=$THREADS;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path tmp/body;
    arthexis_database "$dsn";
    arthexis_thread_pool arthexis_db;
    server {
        listen 127.0.0.1:$PORT;
        location = /return200 { return 200; }
        location /accounts/ { accounts_api; }
        location /nodes/ { nodes_api; }
    }
}
CONF

    "$NGINX" -p "$WORK/" -c "$WORK/nginx.conf" -e "$WORK/logs/error.log"
    for _ in $(seq 50); do
        curl -sf "http://127.0.0.1:$PORT/nodes/list/" > /dev/null && return
        sleep 0.1
    done
    echo "nginx did not come up:" >&2
    cat "$WORK/logs/error.log" >&2
    exit 1
}

stop_nginx() {
    kill "$(cat "$WORK/logs/nginx.pid")"
    for _ in $(seq 50); do
        [ -f "$WORK/logs/nginx.pid" ] || return 0
        sleep 0.1
    done
}

seed() {
    local dsn=$1 i

    "$CLI" migrate --database "$dsn" > /dev/null
    for i in $(seq 1 100); do
        "$CLI" node register "node$i.example.com" "10.0.$((i / 250)).$((i % 250 + 1))" \
            8000 --database "$dsn" > /dev/null
    done
    "$CLI" createuser alice --phone "+1 555 0100" --database "$dsn" > /dev/null
    "$CLI" rfid add ABCD1234 --user alice --database "$dsn" > /dev/null
    "$CLI" account credit alice 50 --database "$dsn" > /dev/null
}

# requests/s of one wrk run
rps() {
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" \
        | tee -a "$WORK/wrk.log" | awk '/^Requests\/sec:/ { print $2 }'
}

bench_engine() {
    local engine=$1 dsn base list login

    if [ "$engine" = sqlite ]; then
        dsn="sqlite:$WORK/bench.sqlite3"
    else
        dsn=$(pg_start)
        psql -X -q -d "$dsn" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench;" > /dev/null
        dsn="$dsn options='-csearch_path=bench'"
    fi

    seed "$dsn"
    start_nginx "$dsn"

    curl -sf "http://127.0.0.1:$PORT/nodes/list/" | grep -q '"node100.example.com"' \
        || { echo "the nodes list is not what was seeded" >&2; exit 1; }
    curl -sf -d '{"rfid":"ABCD1234"}' "http://127.0.0.1:$PORT/accounts/rfid-login/" \
        | grep -q '"balance_kwh":"50.00"' || { echo "rfid-login failed" >&2; exit 1; }

    # warm-up, then each target in turn
    wrk -t2 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$PORT/nodes/list/" > /dev/null
    base=$(rps "http://127.0.0.1:$PORT/return200")
    list=$(rps "http://127.0.0.1:$PORT/nodes/list/")
    login=$(rps -s "$ROOT/t/bench/rest-login.lua" "http://127.0.0.1:$PORT/accounts/rfid-login/")

    stop_nginx

    if grep -q '\[error\]\|\[crit\]\|\[alert\]' "$WORK/logs/error.log"; then
        echo "errors in the log:" >&2
        grep '\[error\]\|\[crit\]\|\[alert\]' "$WORK/logs/error.log" | head >&2
    fi

    if grep -q "Non-2xx" "$WORK/wrk.log"; then
        echo "some responses were not 2xx:" >&2
        grep "Non-2xx" "$WORK/wrk.log" >&2
    fi
    : > "$WORK/wrk.log"

    printf '| %-10s | %10.0f | %10.0f | %5.1f%% | %10.0f | %5.1f%% |\n' \
        "$engine" "$base" "$list" "$(echo "100 * $list / $base" | bc -l)" \
        "$login" "$(echo "100 * $login / $base" | bc -l)"
}

echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s; nginx: 2 workers, thread_pool threads=$THREADS; $(nproc) CPUs"
echo
echo "| engine     | return 200 | nodes/list | ratio  | rfid-login | ratio  |"
echo "| ---------- | ---------- | ---------- | ------ | ---------- | ------ |"

for engine in "${ENGINES[@]}"; do
    bench_engine "$engine"
done
