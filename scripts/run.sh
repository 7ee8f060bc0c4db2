#!/usr/bin/env bash
# `make run`: starts PostgreSQL and Redis if needed, creates and migrates the
# database, then runs the receiver (:5000), reporter (:5001) and worker with
# .env.local (localhost settings); .env.override and the environment win.
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
export SECBOT_ENV_FILE="${SECBOT_ENV_FILE:-.env.local}"

# The database named in the DSN, created when missing.
dsn=$(grep -h '^SECBOT_POSTGRES_DSN=' .env.override "$SECBOT_ENV_FILE" 2>/dev/null | tail -1 | cut -d= -f2- || true)
dsn=${SECBOT_POSTGRES_DSN:-$dsn}
db=$(echo "$dsn" | sed -E 's|.*/([^/?]+)(\?.*)?$|\1|')
admin=$(echo "$dsn" | sed -E "s|/${db}(\?\|$)|/postgres\1|")
if [[ $(psql "$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'") != 1 ]]; then
  echo "run: creating database $db"
  psql "$admin" -qc "CREATE DATABASE \"$db\""
fi

make --no-print-directory build
bin/migrate

pids=()
stop() {
  trap - INT TERM EXIT
  echo "run: stopping"
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

bin/reporter & pids+=($!)
bin/receiver & pids+=($!)
bin/worker & worker=$!
pids+=($worker)
echo "run: receiver on :5000, reporter on :5001 (docs at http://127.0.0.1:5001/docs); Ctrl-C stops"

# Stop everything when the receiver or reporter exits; a worker that exits
# (for example on a config.yml error) is reported, the API keeps serving.
while true; do
  for i in 0 1; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "run: a server exited; stopping" >&2
      exit 1
    fi
  done
  if [[ -n $worker ]] && ! kill -0 "$worker" 2>/dev/null; then
    wait "$worker" || echo "run: the worker exited with status $?; see its error above" >&2
    worker=""
  fi
  sleep 1
done
