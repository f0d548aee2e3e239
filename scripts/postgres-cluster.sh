#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster (Debian's `postgresql` package) in a folder of its own, for
# the tests, the multi-host script and the benchmarks. Never touches the system's clusters.
#   scripts/postgres-cluster.sh start DIR [--port N] [--listen ADDR] [--fast]
#       creates DIR/data (superuser `chartex`, trust authentication: for test clusters only),
#       starts it on ADDR:N (127.0.0.1 and a free port by default) with its socket in DIR,
#       creates the database `chartex`, and prints its URL: postgres://chartex@ADDR:N/chartex
#       --fast: fsync off (a test cluster's data need not survive a power cut)
#   scripts/postgres-cluster.sh stop DIR      stops it and removes DIR
# When run as root the cluster belongs to the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgres-cluster: PostgreSQL is not installed (scripts/setup.sh --deps installs it)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

command=${1:-}; dir=${2:-}
[ -n "$command" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [--port N] [--listen ADDR] [--fast]" >&2; exit 64; }
shift 2
port=""; listen=127.0.0.1; fast=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --listen) listen=$2; shift 2 ;;
    --fast) fast=1; shift ;;
    *) echo "postgres-cluster: unknown option $1" >&2; exit 64 ;;
  esac
done

case "$command" in
  start)
    if [ -z "$port" ]; then
      port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U chartex -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # Trust the whole loopback range (the multi-host script's namespaces use 127.77.x.y).
    echo "host all all 127.0.0.0/8 trust" >> "$dir/data/pg_hba.conf"
    options="-p $port -k $dir -c listen_addresses=$listen -c max_connections=200"
    [ "$fast" -eq 1 ] && options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    # pg_ctl's output to a file: the server it starts inherits the descriptors, and a caller that
    # reads this script's stderr to its end (the tests) would wait for the server to exit.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$options" -w -t 60 start >"$dir/pg_ctl.log" 2>&1 \
      || { cat "$dir/pg_ctl.log" "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h "$dir" -p "$port" -U chartex chartex
    echo "$port" > "$dir/port"
    echo "postgres://chartex@$listen:$port/chartex"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR [--port N] [--listen ADDR] [--fast]" >&2; exit 64 ;;
esac
