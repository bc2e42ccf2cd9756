#!/usr/bin/env bash
# The "build debug module" task of .vscode/tasks.json, before "Debug
# arthexis server": the module built with -O0 -g3 into build/nginx-debug/
# (beside the normal build, which stays as it is), the CLI, the
# migrations, and var/ written as ./build.sh run writes it but loading
# the debug module.  The debugger then runs
#
#   nginx -p var/ -c var/nginx.conf -g 'daemon off; master_process off;'
#
# one process, no fork: breakpoints in any handler are hit.  ./build.sh run
# writes var/ back for the normal module.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# build.sh's functions without running a command ("help" only prints)
# shellcheck disable=SC1091
. "$ROOT/build.sh" help > /dev/null

install_deps

mkdir -p "$BUILD"
exec 9> "$BUILD/.lock"
flock 9
fetch_schemas
build_module "$BUILD/nginx-debug" "-O0 -g3" ""
build_cli "$BUILD/arthexis" "$BUILD/cli" ""
flock -u 9

var=$ROOT/var
module=$BUILD/nginx-debug/objs/$MODULE_NAME.so
mkdir -p "$var/logs" "$var/tmp"

"$BUILD/arthexis" migrate --database "sqlite:$var/arthexis.sqlite3"

for f in "$ROOT"/conf/*.conf; do
    sed -e "s|@MODULE@|$module|g" -e "s|@ROOT@|$ROOT|g" \
        "$f" > "$var/$(basename "$f")"
done

$NGINX -t -q -p "$var/" -c "$var/nginx.conf" -e "$var/logs/error.log" \
    || die "nginx -t failed on conf/nginx.conf"

say "debug module: $module (var/ now loads it)"
