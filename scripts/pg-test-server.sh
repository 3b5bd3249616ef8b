#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server for the tests (a CTest fixture: tests/CMakeLists.txt).
#   pg-test-server.sh start STATE   makes a cluster in a fresh folder under $TMPDIR, starts it on a
#                                   Unix socket in that folder only (no TCP), and writes its URL to
#                                   STATE (a file); prints the settings that matter for durability.
#   pg-test-server.sh stop STATE    stops it (fast) and deletes the folder and STATE.
# initdb and pg_ctl refuse to run as root: as root they run as the postgres user, which then owns
# the folder. fsync and synchronous_commit stay on (pg_virtualenv would turn fsync off), so tests
# of durability mean what they say.
set -euo pipefail

action=${1:?usage: pg-test-server.sh start|stop STATE}
state=${2:?usage: pg-test-server.sh start|stop STATE}
bin=/usr/lib/postgresql/15/bin
port=5433

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    if [ -f "$state" ]; then "$0" stop "$state" || true; fi
    [ -x "$bin/initdb" ] || { echo "pg-test-server: $bin/initdb not found (install postgresql-15: scripts/setup.sh)" >&2; exit 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/loyalty-pg-XXXXXX")
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    chmod 0700 "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U loyalty -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $dir -p $port -c fsync=on -c synchronous_commit=on -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    printf 'postgresql://loyalty@/postgres?host=%s&port=%s\n%s\n' "$dir" "$port" "$dir" >"$state"
    echo "pg-test-server: PostgreSQL 15 at $dir (socket only), $(as_owner "$bin/postgres" --version | tr -d '\n'); fsync=on"
    ;;
  stop)
    [ -f "$state" ] || exit 0
    dir=$(sed -n 2p "$state")
    if [ -n "$dir" ] && [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    [ -n "$dir" ] && rm -rf "$dir"
    rm -f "$state"
    ;;
  *) echo "usage: pg-test-server.sh start|stop STATE" >&2; exit 2 ;;
esac
