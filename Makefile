# SecBot: `make run` starts everything on this machine, `make test` tests it.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
# Build tags. None: gitleaks runs its rules on Go's regexp. TAGS=gore2regex
# runs them on go-re2 (RE2 as WebAssembly): twice as fast on large files,
# 13 MB more for the worker (docs/scanning.md).
TAGS ?=
GO_TEST_FLAGS ?= -race -timeout 15m

.PHONY: run test test-faults build deps demo bench bench-go fmt fuzz clean screenshots

run: ## Start PostgreSQL and Redis if needed, migrate, run receiver, reporter and worker
	@scripts/run.sh

test: ## Run every test against real PostgreSQL, Redis, git and Chromium
	@scripts/deps.sh --browser
	go vet -tags '$(TAGS)' ./...
	go test -tags '$(TAGS)' $(GO_TEST_FLAGS) ./...

test-faults: deps ## Fault tests with the real processes: Redis, PostgreSQL, a worker, Slack and GitLab failing (about 4 minutes)
	go test -tags "$(TAGS) faults" $(GO_TEST_FLAGS) -count=1 -run Fault -v ./internal/e2e

demo: deps ## Watch SecBot catch a planted secret, with stand-ins for GitLab and Slack
	go run -tags '$(TAGS)' ./cmd/demo

build: ## Build the four binaries into bin/
	go build -tags '$(TAGS)' -o bin/ ./cmd/...

deps: ## Install and start PostgreSQL, Redis and git when missing
	@scripts/deps.sh

bench: deps ## Measure SecBot against its anchors; writes docs/performance.md (numbers, not pass/fail)
	SECBOT_BENCH_TAGS='$(TAGS)' go run -tags '$(TAGS)' ./cmd/bench

bench-go: ## Run the Go benchmarks only
	go test -tags '$(TAGS)' -run '^$$' -bench . -benchtime 5x ./internal/scan/... ./internal/findings/...
	go test -tags '$(TAGS)' -run '^$$' -bench . -benchtime 3s ./internal/store/

FUZZTIME ?= 20s

fuzz: ## Run each fuzz target briefly (FUZZTIME=20s each; CI runs them for 5s)
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzParseHook -fuzztime $(FUZZTIME) ./internal/gitlab
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/config
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzMatch -fuzztime $(FUZZTIME) ./internal/jobs
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzParsers -fuzztime $(FUZZTIME) ./internal/findings/parsers
	go test -tags '$(TAGS)' -run '^$$' -fuzz FuzzShortener -fuzztime $(FUZZTIME) ./internal/findings/parsers/jsonstream

screenshots: ## Redo the findings pages' screenshots in docs/screenshots (browser test)
	@scripts/deps.sh --browser
	SECBOT_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots go test -tags '$(TAGS)' -count=1 -run TestBrowser ./internal/web

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
