#!/usr/bin/env bash
# The REST benchmark (issue 4): wrk against GET /nodes/list/ (100 nodes)
# and POST /accounts/rfid-login/, next to nginx's own `return 200` on the
# same server in the same run, 2 workers, on SQLite and PostgreSQL.  The
# figure is each route's requests/s as a share of `return 200`'s.
#
#   t/bench/rest-bench.sh [--sqlite] [--pg] [-d SECONDS] [-c CONNECTIONS]
#                         [--threads N] [-r ROUNDS]
#
# Each round runs return 200, the list and the login one after the other,
# in an order that turns from round to round (so that they share the
# machine's load of the moment); the table shows the medians of the
# rounds' requests/s and ratios, and nginx's CPU time per request (its
# workers and their threads, from /proc), which depends much less on what
# else runs on the machine.
#
# Builds nothing: run ./build.sh build first (it uses build/).  Without
# --sqlite/--pg it runs both.  PostgreSQL: ARTHEXIS_BENCH_PG (a libpq
# string) or a throwaway cluster of Debian's postgresql in /tmp.  By hand
# only: never in CI.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/t/bench/lib-pg.sh"
MODULE=${ARTHEXIS_BENCH_MODULE:-$ROOT/build/nginx/objs/ngx_http_arthexis_core_module.so}
CLI=${ARTHEXIS_BENCH_CLI:-$ROOT/build/arthexis}
NGINX=${NGINX:-/usr/sbin/nginx}
PORT=${ARTHEXIS_BENCH_PORT:-18090}
DURATION=10
CONNECTIONS=100
THREADS=2
ROUNDS=3
ENGINES=()

while [ $# -gt 0 ]; do
    case $1 in
        --sqlite) ENGINES+=(sqlite) ;;
        --pg) ENGINES+=(postgresql) ;;
        -d) DURATION=$2; shift ;;
        -c) CONNECTIONS=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        -r) ROUNDS=$2; shift ;;
        *) echo "usage: $0 [--sqlite] [--pg] [-d SECONDS] [-c N] [--threads N] [-r N]" >&2
           exit 2 ;;
    esac
    shift
done

[ ${#ENGINES[@]} -eq 0 ] && ENGINES=(sqlite postgresql)

command -v wrk > /dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f "$MODULE" ] || { echo "no $MODULE: run ./build.sh build" >&2; exit 1; }

WORK=$(mktemp -d /tmp/arthexis-bench.XXXXXX)
chmod 755 "$WORK"

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

# the CPU time (clock ticks) the nginx workers and their threads used
worker_ticks() {
    local pid t=0 f

    for pid in $(pgrep -P "$(cat "$WORK/logs/nginx.pid")"); do
        f=$(cut -d')' -f2- "/proc/$pid/stat")
        t=$((t + $(echo "$f" | awk '{ print $12 + $13 }')))
    done

    echo "$t"
}

# one wrk run: "requests/s CPU-microseconds-per-request"
rps() {
    local t0 t1 out

    t0=$(worker_ticks)
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" \
          | tee -a "$WORK/wrk.log")
    t1=$(worker_ticks)

    echo "$out" | awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
        /^ +[0-9]+ requests in/ { n = $1 }
        /^Requests\/sec:/ { r = $2 }
        END { printf "%s %.1f\n", r, ticks / hz * 1e6 / n }'
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

bench_engine() {
    local engine=$1 dsn base list login lratio gratio bcpu lcpu gcpu

    if [ "$engine" = sqlite ]; then
        dsn="sqlite:$WORK/bench.sqlite3"
    else
        pg_start /tmp
        dsn=$PG_DSN
        psql -X -q -d "$dsn" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench;" > /dev/null
        dsn="$dsn options='-csearch_path=bench'"
    fi

    seed "$dsn"
    start_nginx "$dsn"

    curl -sf "http://127.0.0.1:$PORT/nodes/list/" | grep -q '"node100.example.com"' \
        || { echo "the nodes list is not what was seeded" >&2; exit 1; }
    curl -sf -d '{"rfid":"ABCD1234"}' "http://127.0.0.1:$PORT/accounts/rfid-login/" \
        | grep -q '"balance_kwh":"50.00"' || { echo "rfid-login failed" >&2; exit 1; }

    # warm-up, then rounds of the three targets
    wrk -t2 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$PORT/nodes/list/" > /dev/null

    local r t b l g bc lc gc bases=() lists=() logins=() lratios=() gratios=()
    local bcpus=() lcpus=() gcpus=()

    for r in $(seq "$ROUNDS"); do
        # the order turns from round to round: none always runs first
        for t in $(printf 'b\nl\ng\nb\nl\n' | sed -n "$(( (r - 1) % 3 + 1 )),+2p"); do
            case $t in
            b)  read -r b bc <<< "$(rps "http://127.0.0.1:$PORT/return200")" ;;
            l)  read -r l lc <<< "$(rps "http://127.0.0.1:$PORT/nodes/list/")" ;;
            g)  read -r g gc <<< "$(rps -s "$ROOT/t/bench/rest-login.lua" \
                               "http://127.0.0.1:$PORT/accounts/rfid-login/")" ;;
            esac
        done
        bases+=("$b")
        lists+=("$l")
        logins+=("$g")
        lratios+=("$(echo "100 * $l / $b" | bc -l)")
        gratios+=("$(echo "100 * $g / $b" | bc -l)")
        bcpus+=("$bc")
        lcpus+=("$lc")
        gcpus+=("$gc")
        printf '#   round %d: return 200 %.0f/s %sus, nodes/list %.0f/s %sus (%.1f%%), rfid-login %.0f/s %sus (%.1f%%)\n' \
            "$r" "$b" "$bc" "$l" "$lc" "${lratios[-1]}" "$g" "$gc" "${gratios[-1]}" >&2
    done

    base=$(median "${bases[@]}")
    list=$(median "${lists[@]}")
    login=$(median "${logins[@]}")
    lratio=$(median "${lratios[@]}")
    gratio=$(median "${gratios[@]}")
    bcpu=$(median "${bcpus[@]}")
    lcpu=$(median "${lcpus[@]}")
    gcpu=$(median "${gcpus[@]}")

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

    printf '| %-10s | %8.0f/s | %8.0f/s | %5.1f%% | %8.0f/s | %5.1f%% | %5.1f | %5.1f (%4.1f%%) | %5.1f (%4.1f%%) |\n' \
        "$engine" "$base" "$list" "$lratio" "$login" "$gratio" \
        "$bcpu" "$lcpu" "$(echo "100 * $bcpu / $lcpu" | bc -l)" \
        "$gcpu" "$(echo "100 * $bcpu / $gcpu" | bc -l)"
}

echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s, median of $ROUNDS rounds; nginx: 2 workers, thread_pool threads=$THREADS; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Requests/s (median) and their ratio to return 200; then nginx's CPU time per"
echo "request in microseconds (workers and their threads) and return 200's share of it."
echo
echo "| engine     | return 200 | nodes/list | ratio  | rfid-login | ratio  | CPU return 200 | CPU nodes/list | CPU rfid-login |"
echo "| ---------- | ---------- | ---------- | ------ | ---------- | ------ | ----- | ------------ | ------------ |"

for engine in "${ENGINES[@]}"; do
    bench_engine "$engine"
done
