#!/bin/sh
# A throwaway PostgreSQL cluster for the unit tests: Unix socket only, trust
# authentication, superuser "postgres".
#
# usage: t/unit/pg_cluster.sh start DIR [PORT]   prints the DSN to use as
#                                                AX_TEST_PG_DSN
#        t/unit/pg_cluster.sh stop DIR
#
# As root the cluster runs as the "postgres" user (DIR is chowned to it).

set -e

cmd=$1
dir=$2
port=${3:-5433}

if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR [PORT]" >&2
    exit 2
fi

bin=
for d in `ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n`; do
    bin=$d
done

if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "$0: no PostgreSQL server installed (postgresql package)" >&2
    exit 1
fi

run() {
    if [ "`id -u`" = 0 ]; then
        su postgres -s /bin/sh -c "$1"
    else
        sh -c "$1"
    fi
}

case $cmd in

start)
    mkdir -p "$dir"
    if [ "`id -u`" = 0 ]; then
        chown postgres "$dir"
    fi

    if [ ! -f "$dir/data/PG_VERSION" ]; then
        run "'$bin/initdb' -D '$dir/data' -U postgres --auth=trust \
             -E UTF8 --no-locale >'$dir/initdb.log' 2>&1" || {
            cat "$dir/initdb.log" >&2
            exit 1
        }
    fi

    run "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w \
         -o \"-p $port -k '$dir' -c listen_addresses=''\" start \
         >/dev/null" || {
        cat "$dir/server.log" >&2
        exit 1
    }

    echo "host=$dir port=$port user=postgres dbname=postgres"
    ;;

stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        run "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null"
    fi
    ;;

*)
    echo "usage: $0 start|stop DIR [PORT]" >&2
    exit 2
    ;;

esac
