#!/usr/bin/env bash
# Builds every libFuzzer target t/fuzz/fuzz_NAME.c with clang (ASan+UBSan)
# against shared/*.c and runs each for a bounded time.
# usage: t/fuzz/run.sh [SECONDS_PER_TARGET]   (default 60)

set -euo pipefail

cd "$(dirname "$0")/../.."

secs=${1:-60}
out=build/fuzz
mkdir -p "$out"

status=0

for src in t/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    echo "==> $name: building"
    clang -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all -D_GNU_SOURCE -Ishared \
        -I/usr/include/postgresql -o "$out/$name" "$src" \
        shared/ax_ws.c shared/ax_utf8.c shared/ax_sha1.c shared/ax_ocpp.c \
        shared/ax_ocpp_schema.c shared/ax_ocpp_time.c shared/ax_json.c \
        shared/ax_xmlrpc.c -ljansson -lexpat -lcurl

    mkdir -p "$out/corpus_$name"
    echo "==> $name: fuzzing for ${secs}s"
    if ! AX_OCPP_SCHEMAS=build/node_modules/ocpp-rpc/lib/schemas/ocpp1_6.json \
         "$out/$name" -max_total_time="$secs" -max_len=8192 \
         -print_final_stats=1 "$out/corpus_$name" > "$out/$name.log" 2>&1
    then
        tail -40 "$out/$name.log"
        echo "==> $name: FAILED"
        status=1
    else
        grep -E "stat::number_of_executed_units|Done" "$out/$name.log" || true
        echo "==> $name: ok"
    fi
done

exit $status
