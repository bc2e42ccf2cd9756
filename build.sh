#!/usr/bin/env bash
# arthexis-nginx: the one entry point.
#
#   ./build.sh run        install what is missing, build, migrate, serve on
#                         http://127.0.0.1:8000 (foreground, Ctrl-C stops)
#   ./build.sh test       install what is missing, build, run every test
#   ./build.sh build      the module (.so) and the arthexis CLI, incremental
#   ./build.sh readme     regenerate README.md from its parts
#   ./build.sh static     an nginx binary with the modules compiled in
#   ./build.sh bench ...  run a benchmark from t/bench (by hand only)
#   ./build.sh clean      remove build/ (var/ keeps your data)
#
# Options for test: --sanitize (ASan+UBSan module and unit tests),
# --sanitize-unit (ASan+UBSan unit tests only),
# --unit (unit tests only), --no-pg (skip the PostgreSQL pass),
# --static (also run the smoke test on the static binary); other
# arguments are passed to prove (test files or directories).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$ROOT/build
NGX_SRC=/usr/share/nginx/src
NGINX=/usr/sbin/nginx
MODULE_NAME=ngx_http_arthexis_core_module
JOBS=$(nproc 2>/dev/null || echo 2)

APT_PACKAGES=(
    build-essential nginx-core nginx-dev
    libpq-dev libjansson-dev libsqlite3-dev libcmark-dev
    libcurl4-openssl-dev libexpat1-dev libssl-dev libcmocka-dev
    libprotocol-websocket-perl libtest-base-perl libtext-diff-perl
    libipc-run-perl liburi-perl libwww-perl libjson-pp-perl
    libjs-bootstrap5 sqlite3 postgresql clang libclang-rt-14-dev curl
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }


# --- set-up ---------------------------------------------------------------

install_deps() {
    local missing=() p

    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || missing+=("$p")
    done

    # Node.js (for the independent test clients): Debian's, unless one is
    # already installed from elsewhere
    command -v node > /dev/null || missing+=(nodejs)
    command -v npm > /dev/null || missing+=(npm)

    [ ${#missing[@]} -eq 0 ] && return 0

    say "installing: ${missing[*]}"

    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo

    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" \
        || { $sudo apt-get update && \
             $sudo apt-get install -y --no-install-recommends \
                 "${missing[@]}"; }
}


# --- the module -----------------------------------------------------------

# configure again when config or the set of source files changes
config_stamp() {
    (cd "$ROOT" && cat config && ls modules/*/*.c modules/*/*.h \
        shared/*.c shared/*.h 2>/dev/null) | md5sum | cut -d' ' -f1
}

build_module() {
    # $1 build dir, $2 extra cflags, $3 extra ldflags
    local dir=$1 cc_opt=$2 ld_opt=$3 stamp

    stamp="$(config_stamp) $cc_opt"

    if [ ! -f "$dir/.configured" ] || [ "$(cat "$dir/.configured")" != "$stamp" ]
    then
        say "configuring nginx $(nginx_version) with the arthexis module"
        # configure in place: a module built before stays usable meanwhile
        if [ ! -x "$dir/configure" ]; then
            mkdir -p "$dir"
            cp -r "$NGX_SRC"/. "$dir"/
        fi
        # shellcheck disable=SC1091
        . "$NGX_SRC/conf_flags"
        (cd "$dir" && ./configure "${NGX_CONF_FLAGS[@]}" \
            --with-cc-opt="-g -O2 -fPIC -Wextra -Wno-unused-parameter $cc_opt" \
            --with-ld-opt="-fPIC $ld_opt" \
            --add-dynamic-module="$ROOT" > configure.log 2>&1) \
            || { tail -30 "$dir/configure.log"; die "configure failed"; }
        echo "$stamp" > "$dir/.configured"
    fi

    embed_generated "$dir/objs"

    make -s -C "$dir" -f objs/Makefile -j"$JOBS" modules \
        || die "the module did not build"
}

# the generated sources (regenerated only when their input changed)
embed_generated() {
    sh "$ROOT/modules/core/embed-migrations.sh" "$ROOT" \
        "$1/ngx_http_arthexis_migrations.c"
    if [ -d "$ROOT/modules/ocpp" ]; then
        sh "$ROOT/modules/ocpp/embed-schemas.sh" "$ROOT" \
            "$1/ngx_http_arthexis_ocpp_schemas.c"
    fi
}

nginx_version() {
    $NGINX -v 2>&1 | sed 's|.*nginx/||'
}

module_path() {
    echo "$BUILD/nginx/objs/$MODULE_NAME.so"
}


# --- the CLI --------------------------------------------------------------

build_cli() {
    # $1 output binary, $2 object dir, $3 extra cflags
    local out=$1 obj=$2 cflags=$3 gen=$2/gen

    mkdir -p "$gen"
    sh "$ROOT/modules/core/embed-migrations.sh" "$ROOT" \
        "$gen/ax_migrations.c"
    gen_cli_table "$gen/ax_cli_commands.c"

    make -s -f "$ROOT/modules/core/cli.mk" ROOT="$ROOT" OBJ="$obj" \
        OUT="$out" EXTRA_CFLAGS="$cflags" -j"$JOBS" \
        || die "the arthexis CLI did not build"
}

# the subcommands: every "const ax_cli_command_t  ax_cli_NAME" in
# modules/<app>/cli_*.c, in app order
gen_cli_table() {
    local out=$1 tmp=$1.tmp names app f n

    names=
    for app in $(app_list); do
        for f in "$ROOT"/modules/"$app"/cli_*.c; do
            [ -f "$f" ] || continue
            names="$names $(sed -n \
                's/^const ax_cli_command_t  *\(ax_cli_[a-z0-9_]*\) =.*/\1/p' \
                "$f")"
        done
    done

    {
        echo "/* generated by build.sh: do not edit */"
        echo
        echo "#include <stddef.h>"
        echo "#include <ax_cli.h>"
        echo
        for n in $names; do
            echo "extern const ax_cli_command_t  $n;"
        done
        echo
        echo "const ax_cli_command_t  *ax_cli_commands[] = {"
        for n in $names; do
            echo "    &$n,"
        done
        echo "    NULL"
        echo "};"
        echo
        echo "const char  *ax_cli_apps[] = {"
        for app in $(app_list); do
            echo "    \"$app\","
        done
        echo "    NULL"
        echo "};"
    } > "$tmp"

    if [ -f "$out" ] && cmp -s "$tmp" "$out"; then
        rm -f "$tmp"
    else
        mv "$tmp" "$out"
    fi
}

app_list() {
    sed -n 's/^ax_apps="\(.*\)"/\1/p' "$ROOT/config"
}


# --- README ---------------------------------------------------------------

build_readme() {
    "$BUILD/arthexis" build-readme --root "$ROOT"
}

check_readme() {
    "$BUILD/arthexis" build-readme --root "$ROOT" --check \
        || die "README.md is out of date: run ./build.sh readme"
}


# --- build ----------------------------------------------------------------

build_all() {
    # one build at a time in build/ (several shells may test at once)
    mkdir -p "$BUILD"
    exec 9> "$BUILD/.lock"
    flock 9

    fetch_schemas
    build_module "$BUILD/nginx" "-Werror" ""
    build_cli "$BUILD/arthexis" "$BUILD/cli" ""

    flock -u 9
}

fetch_schemas() {
    # the official OCPP 1.6 JSON schemas ship in the npm package ocpp-rpc;
    # fetched at build time, never committed
    [ -f "$ROOT/modules/ocpp/package.json" ] || return 0
    [ -d "$BUILD/node_modules/ocpp-rpc" ] && return 0
    say "fetching ocpp-rpc (OCPP 1.6 JSON schemas, test client) with npm"
    mkdir -p "$BUILD"
    cp "$ROOT/modules/ocpp/package.json" "$BUILD/package.json"
    [ -f "$ROOT/modules/ocpp/package-lock.json" ] \
        && cp "$ROOT/modules/ocpp/package-lock.json" "$BUILD/"
    (cd "$BUILD" && npm install --no-audit --no-fund --silent) \
        || die "npm install failed"
}

fetch_test_clients() {
    # the npm package ws, an independent WebSocket client for the tests;
    # fetched into build/t-node, never committed
    [ -f "$ROOT/t/node/package.json" ] || return 0
    [ -d "$BUILD/t-node/node_modules/ws" ] && return 0
    say "fetching ws (the tests' independent WebSocket client) with npm"
    mkdir -p "$BUILD/t-node"
    cp "$ROOT/t/node/package.json" "$ROOT/t/node/package-lock.json" \
        "$BUILD/t-node/"
    (cd "$BUILD/t-node" && npm install --no-audit --no-fund --silent) \
        || die "npm install failed"
}


# --- run ------------------------------------------------------------------

cmd_run() {
    install_deps
    build_all
    build_readme

    local var=$ROOT/var
    mkdir -p "$var/logs" "$var/tmp"

    say "applying migrations to var/arthexis.sqlite3"
    "$BUILD/arthexis" migrate --database "sqlite:$var/arthexis.sqlite3"

    local f
    for f in "$ROOT"/conf/*.conf; do
        sed -e "s|@MODULE@|$(module_path)|g" -e "s|@ROOT@|$ROOT|g" \
            "$f" > "$var/$(basename "$f")"
    done

    $NGINX -t -q -p "$var/" -c "$var/nginx.conf" -e "$var/logs/error.log" \
        || die "nginx -t failed on conf/nginx.conf"

    cat <<EOF

  arthexis-nginx is serving on http://127.0.0.1:8000   (Ctrl-C stops it)

  The project README:  http://127.0.0.1:8000/
  Each app's README on its own site (by server_name, conf/arthexis-sites.conf):
    http://ocpp.localhost:8000/   (APP.localhost for: $(app_list))
    curl -H 'Host: ocpp.localhost' http://127.0.0.1:8000/

  Try:
    curl http://127.0.0.1:8000/arthexis/status
    curl http://127.0.0.1:8000/nodes/list/
    curl -d '{"rfid":"ABCD1234"}' http://127.0.0.1:8000/accounts/rfid-login/
    websocat ws://127.0.0.1:8000/ws/echo/          (any WebSocket client)
    build/arthexis simulate --cp CP1               (a charge point)
    build/arthexis --help                          (the CLI)

  Logs: var/logs/error.log, var/logs/access.log; data: var/arthexis.sqlite3

EOF

    if [ "${ARTHEXIS_DEV_RELOAD:-}" = 1 ] && [ -x "$ROOT/modules/readme/dev-reload.sh" ]
    then
        exec "$ROOT/modules/readme/dev-reload.sh" "$var"
    fi

    # as root, nginx would run the workers as nobody, who cannot write to
    # var/: for this development server they run as the same user
    local user_line=
    [ "$(id -u)" -eq 0 ] && user_line="user root;"

    exec $NGINX -p "$var/" -c "$var/nginx.conf" -e "$var/logs/error.log" \
        -g "daemon off; $user_line"
}


# --- test -----------------------------------------------------------------

PG_DIR=
PG_PID=

pg_available() {
    # a reachable server: the CI's (PG* or POSTGRES_* variables), or a
    # throwaway cluster of our own when Debian's postgresql is installed
    if [ -n "${ARTHEXIS_TEST_PG:-}" ]; then
        return 0
    fi

    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$bin" ] && [ -x "$bin/initdb" ] || return 1

    PG_DIR=$(mktemp -d /tmp/arthexis-pg.XXXXXX)
    chmod 755 "$PG_DIR"
    local user=postgres run=
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$PG_DIR"
        run="runuser -u postgres --"
    else
        user=$(id -un)
    fi

    $run "$bin/initdb" -D "$PG_DIR/data" -U "$user" -A trust \
        > "$PG_DIR/initdb.log" 2>&1 || return 1
    # a Unix socket in our own directory: no port can clash
    $run "$bin/pg_ctl" -D "$PG_DIR/data" -w -l "$PG_DIR/pg.log" \
        -o "-p 5432 -k $PG_DIR -c listen_addresses=''" start \
        > /dev/null 2>&1 || return 1
    PG_PID=1
    ARTHEXIS_TEST_PG="host=$PG_DIR port=5432 user=$user dbname=postgres"
    export ARTHEXIS_TEST_PG
    return 0
}

pg_stop() {
    if [ -n "$PG_PID" ]; then
        local bin run=
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
        [ "$(id -u)" -eq 0 ] && run="runuser -u postgres --"
        $run "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop \
            > /dev/null 2>&1 || true
        PG_PID=
    fi
    [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
    PG_DIR=
}

build_unit() {
    # $1 object dir, $2 extra flags
    make -s -f "$ROOT/t/unit/unit.mk" ROOT="$ROOT" OBJ="$1" \
        EXTRA_CFLAGS="$2" -j"$JOBS" || die "unit tests did not build"
}

run_unit() {
    local dir=$1 t failed=0
    for t in "$dir"/test_*; do
        [ -x "$t" ] || continue
        if ! AX_TEST_PG_DSN="${ARTHEXIS_TEST_PG:-}" "$t"; then
            failed=1
        fi
    done
    return $failed
}

sanitizer_env() {
    export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
}

run_prove() {
    # $1 label, then prove arguments
    local label=$1
    shift
    say "Test::Nginx suite ($label)"
    (cd "$ROOT" && prove -I t/lib -r "$@")
}

cmd_test() {
    local sanitize=0 unit_only=0 no_pg=0 static=0 args=()

    for a in "$@"; do
        case $a in
            --sanitize) sanitize=1 ;;
            --sanitize-unit) sanitize=2 ;;
            --unit) unit_only=1 ;;
            --no-pg) no_pg=1 ;;
            --static) static=1 ;;
            *) args+=("$a") ;;
        esac
    done

    [ ${#args[@]} -eq 0 ] && args=(t/)

    install_deps
    build_all
    fetch_schemas
    fetch_test_clients
    check_readme

    local status=0 pg=0

    if [ $no_pg = 0 ] && pg_available; then
        pg=1
        trap pg_stop EXIT
    fi

    say "unit tests"
    build_unit "$BUILD/unit" ""
    run_unit "$BUILD/unit" || status=1

    if [ $sanitize != 0 ]; then
        say "unit tests under ASan+UBSan"
        sanitizer_env
        build_unit "$BUILD/unit-asan" "-fsanitize=address,undefined -fno-omit-frame-pointer"
        run_unit "$BUILD/unit-asan" || status=1
    fi

    [ $unit_only = 1 ] && return $status

    export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-$NGINX}
    export TEST_NGINX_LOAD_MODULES=${TEST_NGINX_LOAD_MODULES:-$(module_path)}
    export TEST_NGINX_ARTHEXIS=$BUILD/arthexis
    export TEST_NGINX_ROOT=$ROOT
    export TEST_NGINX_NODE_PATH=$BUILD/node_modules
    export TEST_NGINX_WS_NODE_PATH=$BUILD/t-node/node_modules

    if [ $sanitize = 1 ]; then
        say "building the module under ASan+UBSan"
        build_module "$BUILD/nginx-asan" \
            "-fsanitize=address,undefined -fno-omit-frame-pointer" \
            "-fsanitize=address,undefined"
        TEST_NGINX_LOAD_MODULES=$BUILD/nginx-asan/objs/$MODULE_NAME.so
        TEST_NGINX_BINARY=$BUILD/nginx-asan-wrapper
        cat > "$TEST_NGINX_BINARY" <<EOF
#!/bin/sh
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" exec $NGINX "\$@"
EOF
        chmod +x "$TEST_NGINX_BINARY"
    fi

    export TEST_NGINX_DATABASE=sqlite
    run_prove "SQLite" "${args[@]}" || status=1

    if [ $pg = 1 ]; then
        export TEST_NGINX_DATABASE=postgresql
        export TEST_NGINX_PG_DSN=$ARTHEXIS_TEST_PG
        run_prove "PostgreSQL" "${args[@]}" || status=1
    elif [ $no_pg = 0 ]; then
        say "PostgreSQL pass SKIPPED: no server (install postgresql, or set ARTHEXIS_TEST_PG to a libpq connection string)"
    fi

    if [ $static = 1 ]; then
        cmd_static
        export TEST_NGINX_BINARY=$BUILD/static/nginx
        export TEST_NGINX_LOAD_MODULES=
        export TEST_NGINX_DATABASE=sqlite
        run_prove "static binary smoke test" t/001-core.t \
            t/501-ocpp-charge-point.t || status=1
    fi

    return $status
}


# --- static ---------------------------------------------------------------

cmd_static() {
    install_deps
    fetch_schemas
    local dir=$BUILD/static src tarball ver

    ver=$(nginx_version)
    mkdir -p "$dir"

    tarball=$(ls "$dir"/nginx_"$ver".orig.tar.gz 2>/dev/null || true)
    if [ -z "$tarball" ]; then
        say "fetching Debian's pristine nginx $ver source"
        if ! grep -rqs '^deb-src .*bookworm' /etc/apt/sources.list \
                /etc/apt/sources.list.d/ ; then
            local sudo=
            [ "$(id -u)" -eq 0 ] || sudo=sudo
            echo "deb-src http://deb.debian.org/debian bookworm main" \
                | $sudo tee /etc/apt/sources.list.d/arthexis-src.list
            $sudo apt-get update
        fi
        (cd "$dir" && apt-get source --download-only nginx > fetch.log 2>&1) \
            || true
        tarball=$(ls "$dir"/nginx_*.orig.tar.gz 2>/dev/null | head -1)
        [ -n "$tarball" ] || die "could not fetch nginx's source (see $dir/fetch.log)"
    fi

    src=$dir/nginx-src
    if [ ! -d "$src" ]; then
        mkdir -p "$src"
        tar -xzf "$tarball" -C "$src" --strip-components=1
    fi

    local stamp
    stamp=$(config_stamp)
    if [ ! -f "$src/.configured" ] || [ "$(cat "$src/.configured")" != "$stamp" ]; then
        say "configuring the static nginx"
        # shellcheck disable=SC1091
        . "$NGX_SRC/conf_flags"
        (cd "$src" && ./configure "${NGX_CONF_FLAGS[@]}" \
            --with-cc-opt="-g -O2 -Wextra -Wno-unused-parameter -Werror" \
            --add-module="$ROOT" > configure.log 2>&1) \
            || { tail -30 "$src/configure.log"; die "configure failed"; }
        echo "$stamp" > "$src/.configured"
    fi

    embed_generated "$src/objs"
    make -s -C "$src" -f objs/Makefile -j"$JOBS" binary \
        || die "the static nginx did not build"
    cp "$src/objs/nginx" "$dir/nginx"
    say "static nginx: $dir/nginx"
}


# --- main -----------------------------------------------------------------

cmd=${1:-build}
[ $# -gt 0 ] && shift

case $cmd in
    run)    cmd_run "$@" ;;
    test)   cmd_test "$@" ;;
    build)  install_deps; build_all; fetch_schemas ;;
    readme) build_cli "$BUILD/arthexis" "$BUILD/cli" ""; build_readme ;;
    static) cmd_static ;;
    bench)  build_all; exec "$ROOT/t/bench/run.sh" "$@" ;;
    clean)  rm -rf "$BUILD" ;;
    -h|--help|help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' ;;
    *)      die "unknown command \"$cmd\" (try ./build.sh help)" ;;
esac
