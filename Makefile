# SecBot: `make run` starts everything on this machine, `make test` tests it.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
# Build tags. None: gitleaks runs its rules on Go's regexp. TAGS=gore2regex
# runs them on go-re2 (RE2 as WebAssembly): twice as fast on large files,
# 13 MB more for the worker (docs/scanning.md).
TAGS ?=
# make test runs every test each time (-count=1: they talk to real services,
# so a cached pass proves nothing). RACE=1 adds the race detector (CI does).
RACE ?=
GO_TEST_FLAGS ?= $(if $(RACE),-race )-timeout 15m -count=1

.PHONY: help run test test-unit test-fresh test-faults build deps demo bench bench-go fmt fuzz fuzz-ci clean screenshots lint

# The packages whose tests need no PostgreSQL, Redis or browser: those
# that do not import internal/testenv (its fixtures package aside).
UNIT_PKGS = $$(go list -f '{{.ImportPath}} {{.TestImports}} {{.XTestImports}}' ./... | \
	grep -Ev 'secbot/internal/testenv[] ]' | cut -d' ' -f1)

run: ## Start PostgreSQL and Redis if needed, migrate, run receiver, reporter and worker
	@scripts/run.sh

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

test: ## Run every test against real PostgreSQL, Redis, git, scanners and Chromium (RACE=1: with the race detector)
	@scripts/deps.sh --browser --scanners
	go vet -tags '$(TAGS)' ./...
	go test -tags '$(TAGS)' $(GO_TEST_FLAGS) ./...

# With PostgreSQL and Redis pointed at a closed port, a test that needs them
# fails at once rather than pass here by using the machine's.
test-unit: ## Run the tests that need no PostgreSQL, Redis or browser (the fast loop)
	SECBOT_TEST_POSTGRES_DSN=postgres://127.0.0.1:1/none SECBOT_TEST_REDIS_ADDR=127.0.0.1:1 \
		go test -tags '$(TAGS)' $(GO_TEST_FLAGS) $(UNIT_PKGS)

test-fresh: ## Clone HEAD into an empty temporary folder and run make test-unit and the fixtures' users there (CI runs it)
	@scripts/test-fresh.sh

test-faults: deps ## Fault tests with the real processes: Redis, PostgreSQL, a worker, Slack and GitLab failing (about 4 minutes)
	go test -tags "$(TAGS) faults" $(GO_TEST_FLAGS) -run Fault -v ./internal/e2e

.PHONY: test-abuse
test-abuse: deps ## The audit's heavy shapes against the real reporter (huge reports, slow clients, 1,000 waits): it must stay responsive (about 2 minutes)
	go test -tags "$(TAGS) abuse" -timeout 10m -count=1 -run Abuse -v ./internal/e2e

demo: deps ## Watch SecBot catch a planted secret, with stand-ins for GitLab and Slack
	go run -tags '$(TAGS)' ./cmd/demo

# TAGS change only how the worker scans: the other binaries are built
# without them (the receiver links the scanners only to check their
# settings, and go-re2 would cost it 30 MB at start).
build: ## Build the eight binaries into bin/ (receiver, reporter, worker, migrate, probe, secbot-pre-receive, demo, bench)
	go build -tags '$(TAGS)' -o bin/ ./cmd/worker ./cmd/demo ./cmd/bench
	go build -o bin/ ./cmd/receiver ./cmd/reporter ./cmd/migrate ./cmd/probe ./cmd/secbot-pre-receive

# The push protection hook as a release artifact: a static linux/amd64
# binary in a tarball, with its SHA-256 (docs/push-protection.md).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DIST_NAME = secbot-pre-receive-$(VERSION)-linux-amd64

.PHONY: dist
dist: ## Build dist/secbot-pre-receive-VERSION-linux-amd64.tar.gz (static) and its .sha256
	rm -rf dist/$(DIST_NAME) && mkdir -p dist/$(DIST_NAME)
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags="-s -w" -o dist/$(DIST_NAME)/ ./cmd/secbot-pre-receive
	cp docs/push-protection.md dist/$(DIST_NAME)/README.md
	tar -C dist --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' --sort=name -czf dist/$(DIST_NAME).tar.gz $(DIST_NAME)
	cd dist && sha256sum $(DIST_NAME).tar.gz > $(DIST_NAME).tar.gz.sha256
	rm -rf dist/$(DIST_NAME)
	@echo "dist/$(DIST_NAME).tar.gz and its .sha256"

deps: ## Install and start PostgreSQL, Redis and git when missing
	@scripts/deps.sh

bench: deps ## Measure SecBot against its anchors; writes docs/performance.md (numbers, not pass/fail)
	SECBOT_BENCH_TAGS='$(TAGS)' go run -tags '$(TAGS)' ./cmd/bench

bench-go: ## Run the Go benchmarks only
	go test -tags '$(TAGS)' -run '^$$' -bench . -benchtime 5x ./internal/mirror/ ./internal/scan/... ./internal/findings/... ./internal/reportfilter/ ./internal/verify/
	go test -tags '$(TAGS)' -run '^$$' -bench . -benchtime 3s ./internal/store/

FUZZTIME ?= 20s

fuzz: ## Run each fuzz target briefly, seeded from internal/testenv/fixtures (FUZZTIME=20s each; CI runs them for 5s)
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzParseHook -fuzztime $(FUZZTIME) ./internal/gitlab
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/config
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzMatch -fuzztime $(FUZZTIME) ./internal/jobs
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzParsers -fuzztime $(FUZZTIME) ./internal/findings/parsers
	go test -tags '$(TAGS)' -run '^$$' -fuzz '^FuzzHookToGitArgs$$' -fuzztime $(FUZZTIME) ./internal/mirror
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzShortener -fuzztime $(FUZZTIME) ./internal/findings/parsers/jsonstream
	go test -tags '$(TAGS)' -run '^$$' -fuzz '^FuzzFilter$$' -fuzztime $(FUZZTIME) ./internal/reportfilter
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzGuard -fuzztime $(FUZZTIME) ./internal/findings/parsers/xmlstream
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzPairedSecret -fuzztime $(FUZZTIME) ./internal/verify
	go test -tags '$(TAGS)' -run '^$$' -fuzz '^FuzzReport$$' -fuzztime $(FUZZTIME) ./internal/pushreport

fuzz-ci: ## The fuzz targets of what arrives from outside (hooks, reports, the XML guard, the report filter, push protection reports), FUZZTIME each (CI: 5s)
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzParseHook -fuzztime $(FUZZTIME) ./internal/gitlab
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzParsers -fuzztime $(FUZZTIME) ./internal/findings/parsers
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzGuard -fuzztime $(FUZZTIME) ./internal/findings/parsers/xmlstream
	go test -tags '$(TAGS)' -run '^$$' -fuzz '^FuzzReport$$' -fuzztime $(FUZZTIME) ./internal/pushreport
	go test -tags '$(TAGS)' -run '^$$' -fuzz '^FuzzFilter$$' -fuzztime $(FUZZTIME) ./internal/reportfilter

screenshots: ## Redo the findings pages' screenshots in docs/screenshots (browser test)
	@scripts/deps.sh --browser
	SECBOT_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots go test -tags '$(TAGS)' -count=1 -run TestBrowser ./internal/web

GOLANGCI_LINT_VERSION ?= v2.15.0

lint: ## Run the linters of .golangci.yml (installs golangci-lint when missing)
	@command -v golangci-lint >/dev/null || { echo "installing golangci-lint $(GOLANGCI_LINT_VERSION)"; \
		go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION); }
	golangci-lint run ./...

fmt: ## Format the Go code
	gofmt -w $$(git ls-files '*.go')

clean: ## Remove bin/ and dist/
	rm -rf bin dist
