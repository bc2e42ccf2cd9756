#!/usr/bin/env bash
# ./build.sh bench NAME [ARGS...]: runs the benchmark t/bench/NAME.sh or
# t/bench/NAME-bench.sh (by hand only, never in CI; build.sh has built the
# module and the CLI first).  Without NAME, lists them.

set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ $# -eq 0 ]; then
    echo "usage: ./build.sh bench NAME [ARGS...]; the benchmarks:"
    for f in "$DIR"/*.sh; do
        # run.sh itself and the benchmarks' sourced lib-*.sh are none
        case $(basename "$f") in run.sh|lib-*.sh) continue ;; esac
        printf '  %-12s %s\n' "$(basename "$f" .sh | sed 's/-bench$//')" \
            "$(sed -n '2s/^# *//p' "$f")"
    done
    exit 2
fi

name=$1
shift

for f in "$DIR/$name.sh" "$DIR/$name-bench.sh"; do
    if [ -x "$f" ]; then
        exec "$f" "$@"
    fi
done

echo "./build.sh bench: no benchmark \"$name\" in t/bench" >&2
exit 2
