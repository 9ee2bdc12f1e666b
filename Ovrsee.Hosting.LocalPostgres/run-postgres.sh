#!/bin/sh
# Runs a PostgreSQL server in the foreground for Aspire's orchestrator (DCP):
#   run-postgres.sh <bin dir> <data dir> <port> <password file> [postgres -c settings...]
# - initdb once, into <data dir> (kept between runs);
# - as root, initdb and postgres run as the 'postgres' OS user (PostgreSQL refuses root);
# - SIGTERM/SIGINT from the orchestrator become PostgreSQL's fast shutdown (SIGINT): open
#   sessions are rolled back instead of being waited for, nothing committed is lost;
# - a server that dies on its own (crash, OOM kill, kill -9) is started again, with a backoff
#   of 1, 2, 4 ... 30 s that resets once a run has lasted a minute.
set -u
bin=$1; data=$2; port=$3; password_file=$4
shift 4

# A plain word list rather than a function: a backgrounded function would be a subshell, and
# the pid we signal must be the server's own (setpriv execs in place).
as_server=""
if [ "$(id -u)" = 0 ]; then
  as_server="setpriv --reuid=postgres --regid=postgres --init-groups --"
fi

if [ ! -f "$data/PG_VERSION" ]; then
  echo "initdb: creating $data"
  $as_server "$bin/initdb" -D "$data" -U postgres -E UTF8 --no-locale \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 --pwfile="$password_file" || exit 1
fi

# One line per restart, for the health check's description (what the dashboard shows).
restarts="$(dirname "$0")/restarts"
: > "$restarts"

stopping=0
pid=0
stop() {
  stopping=1
  [ "$pid" -ne 0 ] && kill -INT "$pid" 2>/dev/null
}
trap stop TERM INT

delay=1
while :; do
  $as_server "$bin/postgres" -D "$data" -p "$port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories= -c logging_collector=off "$@" &
  pid=$!
  started=$(date +%s)
  # 'wait' returns early when a trapped signal arrives; wait again until the server is gone.
  wait "$pid"; code=$?
  while kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done
  pid=0
  [ "$stopping" = 1 ] && exit 0

  if [ $(( $(date +%s) - started )) -ge 60 ]; then delay=1; fi
  echo "postgres exited with code $code; starting it again in ${delay}s"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) exit code $code" >> "$restarts"
  sleep "$delay" &
  wait $!
  [ "$stopping" = 1 ] && exit 0
  delay=$(( delay * 2 )); [ "$delay" -gt 30 ] && delay=30
done
