# The benchmarks' PostgreSQL (sourced by them, not a benchmark itself):
# ARTHEXIS_BENCH_PG (a libpq string) when it is set, or else a throwaway
# cluster of Debian's postgresql (as build.sh's pg_available()), on a Unix
# socket in a new directory: no port can clash.
#
#   pg_start PARENT [OPTION...]  sets PG_DSN; a cluster goes in a new
#                                directory under PARENT (PG_DIR), the
#                                OPTIONs go to postgres (-c name=value).
#                                Call it in the script's own shell, not in
#                                $(...), so that pg_stop knows PG_DIR.
#   pg_stop                      stops and removes the cluster, if any
#                                (for the script's exit trap)

PG_DIR=
PG_DSN=

# the newest of Debian's postgresql versions
pg_bin() {
    ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1
}

# a PostgreSQL program, run as the cluster's owner: postgres when we are root
pg_run() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_start() {
    local parent=$1 bin user=postgres opts
    shift

    if [ -n "${ARTHEXIS_BENCH_PG:-}" ]; then
        PG_DSN=$ARTHEXIS_BENCH_PG
        return
    fi

    bin=$(pg_bin)
    PG_DIR=$(mktemp -d "$parent/arthexis-bench-pg.XXXXXX")
    chmod 755 "$PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$PG_DIR"
    else
        user=$(id -un)
    fi

    opts="-p 5432 -k $PG_DIR -c listen_addresses=''"
    if [ $# -gt 0 ]; then
        opts="$opts $*"
    fi

    pg_run "$bin/initdb" -D "$PG_DIR/data" -U "$user" -A trust > /dev/null
    pg_run "$bin/pg_ctl" -D "$PG_DIR/data" -w -l "$PG_DIR/pg.log" \
        -o "$opts" start > /dev/null
    PG_DSN="host=$PG_DIR port=5432 user=$user dbname=postgres"
}

pg_stop() {
    if [ -n "$PG_DIR" ]; then
        pg_run "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m immediate stop \
            > /dev/null 2>&1 || true
        rm -rf "$PG_DIR"
        PG_DIR=
    fi
}
