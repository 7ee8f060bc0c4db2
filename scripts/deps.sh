#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis and git are installed and running on this
# machine (installing them with apt-get when missing), so `make run` and
# `make test` work on a fresh Debian/Ubuntu machine. Idempotent.
# --browser also installs Chromium, for the findings pages' browser test;
# --scanners the scanners the command scan's tests run (bubblewrap,
# flawfinder, bandit from Debian; gosec with go install).
set -euo pipefail
browser="" scanners=""
for arg in "$@"; do
  case $arg in
    --browser) browser=1 ;;
    --scanners) scanners=1 ;;
    *) echo "deps: unknown option $arg" >&2; exit 2 ;;
  esac
done
GOSEC_VERSION=v2.30.0

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379
PG_URL="postgres://postgres:postgres@${PG_HOST}:${PG_PORT}/postgres?sslmode=disable"

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi

say() { echo "deps: $*" >&2; }

apt_updated=""
apt_install() {
  if [[ -z $apt_updated ]]; then
    say "apt-get update"
    $sudo apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

command -v git >/dev/null || apt_install git
command -v psql >/dev/null || apt_install postgresql-client
command -v curl >/dev/null || apt_install curl
# The CI gate templates' tests run them with sh, curl and jq.
command -v jq >/dev/null || apt_install jq
# The findings API is tested with Python's requests, as CI scripts use it.
python3 -c 'import requests' 2>/dev/null || /usr/bin/python3 -c 'import requests' 2>/dev/null ||
  apt_install python3 python3-requests
if [[ -n $browser ]]; then
  command -v chromium >/dev/null || apt_install chromium
fi
command -v go >/dev/null || { say "Go is required (https://go.dev/dl/); none found on PATH"; exit 1; }
if [[ -n $scanners ]]; then
  # The command scan's tests run real scanners, some sandboxed.
  missing=()
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  command -v flawfinder >/dev/null || missing+=(flawfinder)
  command -v bandit >/dev/null || missing+=(bandit)
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
  gobin=$(go env GOPATH)/bin
  if ! command -v gosec >/dev/null && [[ ! -x $gobin/gosec ]]; then
    say "installing gosec $GOSEC_VERSION (go install)"
    go install "github.com/securego/gosec/v2/cmd/gosec@$GOSEC_VERSION"
  fi
fi

# PostgreSQL
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  ls /etc/postgresql/*/main >/dev/null 2>&1 || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -1)
  say "starting PostgreSQL $version"
  $sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" || { say "PostgreSQL did not start on $PG_HOST:$PG_PORT"; exit 1; }
fi
# Trust auth accepts any password; a stock install wants one, so set it.
if ! psql "$PG_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
  say "setting the postgres role's password for local TCP logins"
  (cd / && $sudo -u postgres psql -q -c "ALTER ROLE postgres PASSWORD 'postgres'" 2>/dev/null) ||
    (cd / && su postgres -c "psql -q -c \"ALTER ROLE postgres PASSWORD 'postgres'\"")
  psql "$PG_URL" -Atqc 'SELECT 1' >/dev/null || { say "cannot log in to PostgreSQL as postgres"; exit 1; }
fi

# Redis
if ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1); then
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting Redis"
  mkdir -p /tmp/secbot-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp/secbot-redis --logfile /tmp/secbot-redis/redis.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null || { say "Redis did not start on 127.0.0.1:$REDIS_PORT"; exit 1; }
fi
say "PostgreSQL, Redis and git are ready"
