#!/usr/bin/env bash
# A private PostgreSQL on loopback for the tests (and CI): installed from Debian's packages when
# missing, its data under .backflow/postgres, trust auth for the `backflow` role on 127.0.0.1 only.
#   postgres.sh start   → starts it (idempotent) and prints its URL (port: BACKFLOW_PG_PORT, default 54329)
#   postgres.sh status → exit 0 when it is running
#   postgres.sh stop
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${BACKFLOW_PG_PORT:-54329}"
# A server per port: test runs on other ports (BACKFLOW_PG_PORT) each get their own data directory.
dir="$root/.backflow/postgres"
[[ "$port" == 54329 ]] || dir="$root/.backflow/postgres-$port"
url="postgres://backflow@127.0.0.1:$port/backflow"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_installed() {
  bin="$(find_bin)"
  if [[ -z "$bin" ]]; then
    echo "installing PostgreSQL from Debian packages ..." >&2
    local sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
    bin="$(find_bin)"
  fi
  [[ -n "$bin" ]] || { echo "PostgreSQL server binaries not found after install" >&2; exit 1; }
}

# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    ensure_installed
    mkdir -p "$dir"
    [[ $(id -u) == 0 ]] && chown postgres: "$dir"
    if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        as_pg "$bin/initdb" -D "$dir/data" -U backflow --auth=trust -E UTF8 >/dev/null
      fi
      as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off" start >/dev/null
    fi
    if ! psql -h 127.0.0.1 -p "$port" -U backflow -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'backflow'" | grep -q 1; then
      psql -h 127.0.0.1 -p "$port" -U backflow -d postgres -qc "CREATE DATABASE backflow" >/dev/null
    fi
    echo "$url"
    ;;
  status)
    # Exit 0 when the server is up (so a test run that did not start it leaves it running).
    bin="$(find_bin)"
    [[ -n "$bin" && -d "$dir/data" ]] && as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
    ;;
  stop)
    bin="$(find_bin)"
    [[ -n "$bin" && -d "$dir/data" ]] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|status|stop" >&2
    exit 2
    ;;
esac
