#!/usr/bin/env bash
# Local PostgreSQL for tests, the devnet and benchmarks: start|stop|status|url|bindir.
#
# Idempotent: `start` on a running server only prints its URL. Uses Debian's PostgreSQL binaries
# (installing them with apt-get when missing, as CI runs as root on a fresh Debian). Postgres
# refuses to run as root, so as root the server runs as the `postgres` OS user. Trust auth and
# 127.0.0.1 only: this server is for local testing, never for anything reachable.
#
# Environment: AEGIS_PG_PORT (54329), AEGIS_PG_DIR (<repo>/.cache/pg, falling back to
# /tmp/aegis-pg-<port> when the postgres user cannot write there).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${AEGIS_PG_PORT:-54329}"
DB=aegis
PG_USER=postgres
URL="postgres://${PG_USER}@127.0.0.1:${PORT}/${DB}"

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

find_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$dir" && -x "$dir/pg_ctl" ]] && echo "$dir"
}

ensure_binaries() {
  BIN="$(find_bindir || true)"
  if [[ -z "$BIN" || ! -x "$BIN/pgbench" ]]; then
    [[ "$(id -u)" == 0 ]] || die "PostgreSQL binaries missing; as root run: apt-get install -y postgresql postgresql-contrib"
    log "installing PostgreSQL from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql postgresql-contrib >&2 \
      || { apt-get update -q >&2 && apt-get install -y -q postgresql postgresql-contrib >&2; }
    BIN="$(find_bindir)" || die "no /usr/lib/postgresql/*/bin after install"
  fi
}

# Runs a command as the server's OS user (postgres when we are root, ourselves otherwise).
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

ensure_user() {
  [[ "$(id -u)" == 0 ]] || return 0
  id -u "$PG_USER" >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$PG_USER"
}

choose_dir() {
  if [[ -n "${AEGIS_PG_DIR:-}" ]]; then PGDIR="$AEGIS_PG_DIR"; else PGDIR="$ROOT/.cache/pg"; fi
  mkdir -p "$PGDIR"
  if [[ "$(id -u)" == 0 ]]; then
    chown "$PG_USER": "$PGDIR"
    if ! runuser -u "$PG_USER" -- test -w "$PGDIR"; then
      # The repo path is not traversable by the postgres user (e.g. under /root).
      [[ -z "${AEGIS_PG_DIR:-}" ]] || die "$PGDIR is not writable by the $PG_USER user"
      PGDIR="/tmp/aegis-pg-$PORT"
      mkdir -p "$PGDIR" && chown "$PG_USER": "$PGDIR"
    fi
  fi
  DATA="$PGDIR/data-$PORT"
  SOCK="$PGDIR/run-$PORT"
  LOGFILE="$PGDIR/postgres-$PORT.log"
}

is_ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres -U "$PG_USER" -t 2; }

start() {
  ensure_binaries
  ensure_user
  choose_dir
  # Serialise concurrent starts (a test run and a benchmark starting at once).
  exec 9>"$PGDIR/.lock-$PORT"
  flock 9
  if ! is_ready; then
    if [[ ! -s "$DATA/PG_VERSION" ]]; then
      log "initdb $DATA"
      rm -rf "$DATA"
      as_pg "$BIN/initdb" -D "$DATA" -U "$PG_USER" --auth=trust -E UTF8 --no-locale >&2
      cat >>"$DATA/postgresql.conf" <<CONF
# aegis local test server
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
max_connections = 200
# The services' hot statements are prepared, and a connection keeps their generic plans until
# ANALYZE changes the statistics: a plan made while a table was small (a sequential scan) costs
# more with every row the table gains. Autovacuum's default 1 min nap is longer than a benchmark
# or a test run; 5 s keeps the plans following tables that grow by the thousand rows a minute.
autovacuum_naptime = 5s
CONF
    fi
    as_pg mkdir -p "$SOCK"
    log "starting on 127.0.0.1:$PORT (log: $LOGFILE)"
    # setsid: the server must not die with the caller's process group (Ctrl-C on a test run);
    # 9>&-: nor inherit the start lock, which would block every later `start`.
    as_pg setsid "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start >&2 9>&- \
      || { tail -n 30 "$LOGFILE" >&2 || true; die "start failed"; }
    for _ in $(seq 1 60); do is_ready && break; sleep 0.5; done
    is_ready || die "server did not accept connections on port $PORT"
  fi
  if ! "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" -d postgres -Atqc "select 1 from pg_database where datname = '$DB'" | grep -q 1; then
    "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" "$DB" 2>/dev/null \
      || "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" -d postgres -Atqc "select 1 from pg_database where datname = '$DB'" | grep -q 1 \
      || die "could not create database $DB"
  fi
  echo "$URL"
}

stop() {
  BIN="$(find_bindir)" || { log "no PostgreSQL installed"; return 0; }
  choose_dir
  if [[ -s "$DATA/postmaster.pid" ]]; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
  else
    log "not running (no $DATA/postmaster.pid)"
  fi
}

status() {
  BIN="$(find_bindir)" || { echo "not installed"; exit 3; }
  if is_ready; then echo "running $URL"; else echo "stopped"; exit 3; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) echo "$URL" ;;
  bindir) ensure_binaries; echo "$BIN" ;;
  *) echo "usage: $0 start|stop|status|url|bindir" >&2; exit 2 ;;
esac
