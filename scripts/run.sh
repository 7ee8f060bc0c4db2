#!/usr/bin/env bash
# `make run`: starts PostgreSQL and Redis if needed, creates and migrates the
# database, then runs the receiver, reporter and worker with .env.local
# (localhost settings); .env.override and the environment win over it, for
# this script as for the processes. Ctrl-C stops all three and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} != --supervise ]]; then
  scripts/deps.sh
  make --no-print-directory build
  if [[ -t 0 ]]; then
    # On a terminal the supervisor below runs as a job of its own, so that
    # Ctrl-C reaches it and its processes only, not make: it stops them
    # and exits 0, and make with it.
    set -m
  fi
  scripts/run.sh --supervise
  exit $?
fi

export SECBOT_ENV_FILE="${SECBOT_ENV_FILE:-.env.local}"

# The settings as the processes read them: receiver_addr, reporter_addr,
# worker_addr, and findings_url (DEFECTDOJO__URL, "" when unset).
addresses=$(bin/migrate -print-addresses)
eval "$addresses"

# url turns a listen address (":5001", "0.0.0.0:5001", "host:5001") into
# the URL this machine reaches it at.
url() {
  local host=${1%:*} port=${1##*:}
  case $host in "" | 0.0.0.0 | "[::]" | "::") host=127.0.0.1 ;; esac
  echo "http://$host:$port"
}
reporter_url=$(url "$reporter_addr")
# The shipped defectdojo output talks to the built-in findings service,
# the reporter, wherever SECBOT_REPORTER_ADDR puts it, unless
# DEFECTDOJO__URL names another (a real DefectDojo).
if [[ -z $findings_url ]]; then
  export DEFECTDOJO__URL=$reporter_url
fi

bin/migrate -create-database

pids=()
interrupted=""
trap 'interrupted=1' INT TERM
stop() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT

bin/reporter & pids+=($!)
bin/receiver & pids+=($!)
names=(reporter receiver)
# The worker starts once the receiver is ready: with a mistake in
# config.yml the receiver reports it, and the worker is not started to
# report it again.
worker=""
until [[ -n $interrupted ]] || bin/probe "$(url "$receiver_addr")/readyz" 2>/dev/null; do
  if ! kill -0 "${pids[1]}" 2>/dev/null; then
    echo "run: the receiver did not start (see its error above); stopping" >&2
    exit 1
  fi
  sleep 0.2
done
if [[ -z $interrupted ]]; then
  bin/worker & worker=$!
  pids+=($worker)
fi
[[ -n $interrupted ]] || echo "run: receiver $(url "$receiver_addr"), reporter $reporter_url (docs at $reporter_url/docs)," \
  "worker probes $(url "$worker_addr"); findings go to ${DEFECTDOJO__URL:-$findings_url}. Ctrl-C stops."

# Stop everything when the receiver or reporter exits; a worker that exits
# (for example on a config.yml error) is reported, the API keeps serving.
while [[ -z $interrupted ]]; do
  for i in 0 1; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      [[ -n $interrupted ]] && break 2
      status=0
      wait "${pids[$i]}" || status=$?
      echo "run: the ${names[$i]} exited with status $status (see its error above); stopping" >&2
      exit 1
    fi
  done
  if [[ -n $worker ]] && ! kill -0 "$worker" 2>/dev/null; then
    [[ -n $interrupted ]] && break
    wait "$worker" || echo "run: the worker exited with status $?; see its error above" >&2
    worker=""
  fi
  sleep 1 &
  wait $! || true
done
trap - EXIT
stop
echo "run: stopped"
