#!/usr/bin/env bash
# `make test-fresh`: the repository is self-contained. Clones the commit
# checked out here (uncommitted changes are not in it) into an empty
# temporary folder, with nothing beside it, and runs there `make test-unit`
# and the tests of every package that reads the fixtures. Without -race:
# `make test` ran them with it; this run is about what the clone holds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
commit=$(git rev-parse HEAD)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --no-checkout "$PWD" "$tmp/secbot"
cd "$tmp/secbot"
git checkout -q "$commit"
ls -A .. | grep -qv '^secbot$' && { echo "test-fresh: $tmp holds more than the clone" >&2; exit 1; }
echo "test-fresh: $commit in $tmp/secbot"
scripts/deps.sh --browser
make --no-print-directory test-unit GO_TEST_FLAGS='-timeout 15m'
go test -timeout 15m ./internal/findings/... ./internal/web ./internal/service ./internal/gitlab ./internal/jobs
