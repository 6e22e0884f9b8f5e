#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the test suite on 127.0.0.1:${VIGIE_PG_PORT:-54329}
# (Debian's postgresql package; trust auth on loopback only; data in a temporary folder).
# Prints the SQLAlchemy URL to use as VIGIE_TEST_DATABASE_URL. Stop it with:
#   scripts/pg-test-server.sh stop
# Restart it (data kept, down for SECONDS) with: scripts/pg-test-server.sh restart [SECONDS]
set -euo pipefail
PORT="${VIGIE_PG_PORT:-54329}"
DIR="${VIGIE_PG_DIR:-/tmp/vigie-pg-$PORT}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$BIN" ]; then
  echo "PostgreSQL server binaries not found: apt-get install postgresql" >&2
  exit 1
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
OPTS="-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
if [ "${1:-start}" = stop ]; then
  as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi
# restart [SECONDS]: stop the running server (data kept), stay down SECONDS (default 0), start
# it again on the same data — what a database restart in the middle of a crawl looks like.
if [ "${1:-start}" = restart ]; then
  as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop >/dev/null
  sleep "${2:-0}"
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -o "$OPTS" start >/dev/null
  echo "postgresql+psycopg://vigie@127.0.0.1:$PORT/postgres"
  exit 0
fi
if ! as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
  as_pg "$BIN/initdb" -D "$DIR" -U vigie --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -o "$OPTS" start >/dev/null
fi
echo "postgresql+psycopg://vigie@127.0.0.1:$PORT/postgres"
