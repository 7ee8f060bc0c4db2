#!/usr/bin/env bash
# Peak memory of the reporter importing one large SARIF report:
#   scripts/bench/import-memory.sh [findings[:shape]...]   (default: 20000 100000)
# Shapes (scripts/bench/sarif_report.py): results (the default), long (one
# result whose message is that many bytes), locations (one result, a 60 KB
# message, that many locations), identical (results alike). CONCURRENT=3
# uploads each report three times at once.
# Builds bin/reporter, runs it on a scratch database, uploads each report
# with curl and prints time and RSS (idle and peak, from /proc), and what
# the import stored.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh
make --no-print-directory build >/dev/null
admin="postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"
token=be1cbe1cbe1cbe1cbe1cbe1cbe1cbe1cbe1cbe1c
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(20000 100000)
export PGOPTIONS="-c client_min_messages=warning"
concurrent=${CONCURRENT:-1}
for spec in "${counts[@]}"; do
  count=${spec%%:*}
  shape=results
  [[ $spec == *:* ]] && shape=${spec#*:}
  python3 scripts/bench/sarif_report.py "$count" "$shape" > "$work/report.sarif"
  db=secbot_import_memory
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  addr=127.0.0.1:$((20000 + RANDOM % 10000))
  (cd "$work" && SECBOT_POSTGRES_DSN="${admin/\/postgres\?/\/$db?}" CELERY_BROKER_URL=redis://127.0.0.1:6379/14 \
    SECBOT_REPORTER_ADDR=$addr DEFECTDOJO__TOKEN=$token SECBOT_LOG_LEVEL=warn exec "$OLDPWD/bin/reporter") &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.1; done
  idle=$(awk '/VmRSS/{print int($2/1024)}' /proc/$pid/status)
  start=$(date +%s%N)
  curls=()
  for i in $(seq "$concurrent"); do
    curl -s -o /dev/null -w '%{http_code} ' -X POST "http://$addr/api/v2/import-scan/" \
      -H "Authorization: Token $token" -F scan_type=SARIF -F file=@"$work/report.sarif" \
      -F product_name=bench -F engagement_name="bench $i" -F auto_create_context=True > "$work/code.$i" &
    curls+=($!)
  done
  wait "${curls[@]}"
  code=$(cat "$work"/code.*)
  rm -f "$work"/code.*
  ms=$((($(date +%s%N) - start) / 1000000))
  peak=$(awk '/VmHWM/{print int($2/1024)}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  stored=$(psql "${admin/\/postgres\?/\/$db?}" -Atc "SELECT count(*) || ' findings, ' || coalesce(sum(octet_length(description) + octet_length(mitigation)) / 1048576, 0) || ' MiB of text' FROM findings")
  psql "$admin" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
  size=$(($(stat -c %s "$work/report.sarif") / 1048576))
  echo "$count $shape ($size MiB SARIF) x$concurrent: HTTP $code in ${ms} ms, reporter RSS idle ${idle} MB, peak ${peak} MB; stored $stored"
done
