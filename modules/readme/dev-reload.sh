#!/usr/bin/env bash
# ARTHEXIS_DEV_RELOAD=1 ./build.sh run (the seed's DJANGO_DEV_RELOAD):
# build.sh has built, migrated and written var/, then runs this script with
# the var/ directory.  It starts nginx and watches modules/, shared/,
# conf/, config and README.base.md, once a second:
#
#   C sources, headers, migrations, config   rebuild, README.md, migrate,
#                                            nginx -t, restart nginx
#   conf/*.conf                              var/, nginx -t, reload
#   *.md (the README parts)                  README.md again; the pages
#                                            follow the files' mtime, so
#                                            nginx is left alone
#
# A failed build or nginx -t prints the error and keeps the old server.
# Ctrl-C stops nginx and the watch.  ARTHEXIS_DEV_RELOAD_INTERVAL sets the
# polling period in seconds (default 1).

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VAR=${1:?usage: dev-reload.sh VAR_DIR}
NGINX=${NGINX:-/usr/sbin/nginx}
MODULE=$ROOT/build/nginx/objs/ngx_http_arthexis_core_module.so
CLI=$ROOT/build/arthexis
INTERVAL=${ARTHEXIS_DEV_RELOAD_INTERVAL:-1}

NGINX_PID=
PENDING_BUILD=0
PENDING_CONF=0

USER_LINE=
[ "$(id -u)" -eq 0 ] && USER_LINE="user root;"

say() { printf '\033[1mdev-reload: %s\033[0m\n' "$*"; }
warn() { printf '\033[1;31mdev-reload: %s\033[0m\n' "$*"; }


# --- nginx ----------------------------------------------------------------

start_nginx() {
    "$NGINX" -p "$VAR/" -c "$VAR/nginx.conf" -e "$VAR/logs/error.log" \
        -g "daemon off; $USER_LINE" &
    NGINX_PID=$!

    # it either listens or exits at once (a port in use, a bad module)
    sleep 0.5
    if ! kill -0 "$NGINX_PID" 2>/dev/null; then
        wait "$NGINX_PID" 2>/dev/null
        NGINX_PID=
        warn "nginx did not start (see var/logs/error.log);" \
             "waiting for a change"
        return 1
    fi
}

stop_nginx() {
    local i

    [ -n "$NGINX_PID" ] || return 0

    # graceful (WebSocket peers get 1001), then fast after 5 s
    kill -QUIT "$NGINX_PID" 2>/dev/null
    for i in $(seq 50); do
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$NGINX_PID" 2>/dev/null
    wait "$NGINX_PID" 2>/dev/null
    NGINX_PID=
}

test_conf() {
    local out

    if ! out=$("$NGINX" -t -q -p "$VAR/" -c "$VAR/nginx.conf" \
                   -e "$VAR/logs/error.log" 2>&1)
    then
        printf '%s\n' "$out"
        return 1
    fi
}


# --- the steps ------------------------------------------------------------

# as ./build.sh run writes them
copy_conf() {
    local f

    for f in "$ROOT"/conf/*.conf; do
        sed -e "s|@MODULE@|$MODULE|g" -e "s|@ROOT@|$ROOT|g" \
            "$f" > "$VAR/$(basename "$f")"
    done
}

build() {
    local out

    say "rebuilding (./build.sh build)"
    if ! out=$("$ROOT/build.sh" build 2>&1); then
        printf '%s\n' "$out" | tail -40
        return 1
    fi
}

readme() {
    local out

    if out=$("$CLI" build-readme --root "$ROOT" 2>&1); then
        say "README.md regenerated"
    else
        printf '%s\n' "$out"
        warn "README.md was not regenerated"
    fi
}

migrate() {
    "$CLI" migrate --database "sqlite:$VAR/arthexis.sqlite3" \
        | sed 's/^/dev-reload: /'
}

restart() {
    say "restarting nginx (a new module)"
    stop_nginx
    start_nginx && say "serving again" \
                       "(nginx pid $NGINX_PID)"
}

reload() {
    if [ -z "$NGINX_PID" ]; then
        start_nginx && say "started nginx (pid $NGINX_PID)"
        return
    fi

    kill -HUP "$NGINX_PID"
    say "reloaded nginx (pid $NGINX_PID): new configuration, same module"
}


# --- watching -------------------------------------------------------------

# one line per watched file: path, mtime, size
snapshot() {
    (cd "$ROOT" && find modules shared conf config README.base.md \
        -type f ! -name '*.o' ! -name '*.swp' ! -name '*.swx' \
        ! -name '*~' ! -name '.#*' ! -name '4913' \
        ! -path '*/node_modules/*' -printf '%p %T@ %s\n' 2>/dev/null \
        | sort)
}

# the paths that differ between two snapshots
changed_paths() {
    diff <(printf '%s\n' "$1") <(printf '%s\n' "$2") \
        | sed -n 's/^[<>] \(.*\) [0-9.]* [0-9]*$/\1/p' | sort -u
}

handle() {
    local build=0 conf=0 md=0 f list

    list=$(printf '%s\n' "$@" | tr '\n' ' ')
    say "changed: $list"

    for f in "$@"; do
        case $f in
            *.md)            md=1 ;;
            conf/examples/*) ;;
            conf/*)          conf=1 ;;
            *)               build=1 ;;
        esac
    done

    [ $build = 1 ] && PENDING_BUILD=1
    [ $conf = 1 ] && PENDING_CONF=1

    [ $md = 1 ] && [ $PENDING_BUILD = 0 ] && readme

    if [ $PENDING_BUILD = 1 ]; then
        if ! build; then
            warn "the build failed: the old server keeps running"
            return
        fi

        readme
        migrate
        copy_conf
        if ! test_conf; then
            warn "nginx -t failed: the old server keeps running"
            return
        fi

        PENDING_BUILD=0
        PENDING_CONF=0
        restart
        return
    fi

    if [ $PENDING_CONF = 1 ]; then
        copy_conf
        if ! test_conf; then
            warn "nginx -t failed: the old configuration stays"
            return
        fi

        PENDING_CONF=0
        reload
        return
    fi

    if [ $md = 1 ]; then
        say "the pages follow their files (the cache checks the mtime):" \
            "nginx left alone"
    fi

    if [ -z "$NGINX_PID" ]; then
        start_nginx && say "started nginx (pid $NGINX_PID)"
    fi
}

main() {
    local prev cur next paths i

    trap 'echo; say "stopping"; stop_nginx; exit 0' INT TERM

    prev=$(snapshot)
    start_nginx || exit 1
    say "watching modules/ shared/ conf/ config README.base.md" \
        "(nginx pid $NGINX_PID; Ctrl-C stops)"

    for (( ; ; )); do
        sleep "$INTERVAL"

        if [ -n "$NGINX_PID" ] && ! kill -0 "$NGINX_PID" 2>/dev/null; then
            wait "$NGINX_PID" 2>/dev/null
            NGINX_PID=
            warn "nginx exited (see var/logs/error.log);" \
                 "waiting for a change"
        fi

        cur=$(snapshot)
        [ "$cur" = "$prev" ] && continue

        # editors save in several steps: wait until it is quiet
        for i in 1 2 3 4 5 6 7 8 9 10; do
            sleep 0.3
            next=$(snapshot)
            [ "$next" = "$cur" ] && break
            cur=$next
        done

        mapfile -t paths < <(changed_paths "$prev" "$cur")
        prev=$cur
        [ ${#paths[@]} -gt 0 ] && handle "${paths[@]}"
    done
}

main
