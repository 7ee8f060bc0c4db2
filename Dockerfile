# One image with SecBot's binaries; docker-compose and Kubernetes pick the
# command (receiver, reporter, worker, migrate; probe is the health check).
# secbot-pre-receive, the push protection hook, is shipped in it to be
# copied out to Gitaly (docs/push-protection.md).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# GO_TAGS=gore2regex: faster scans of large files, a larger worker
# (docs/scanning.md).
ARG GO_TAGS=""
# The tags change only how the worker scans; the other binaries go without.
RUN CGO_ENABLED=0 go build -tags "$GO_TAGS" -trimpath -ldflags="-s -w" -o /out/ ./cmd/worker \
    && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ \
    ./cmd/receiver ./cmd/reporter ./cmd/migrate ./cmd/probe ./cmd/secbot-pre-receive

FROM debian:bookworm-slim
# git: the worker keeps mirrors of scanned repositories; bubblewrap: the
# command scan's sandbox (sandbox: true). Scanners the command scan runs
# are added in an image built FROM this one (docs/scanners.md).
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates bubblewrap \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/secbot --create-home secbot \
    && install -d -o secbot -g secbot /var/lib/secbot/cache
COPY --from=build /out/ /usr/local/bin/
COPY config.yml /etc/secbot/config.yml
# Mirrors live under /var/lib/secbot/cache: mount a volume there (worker).
ENV SECBOT_CONFIG=/etc/secbot/config.yml XDG_CACHE_HOME=/var/lib/secbot/cache HOME=/var/lib/secbot
USER 10001:10001
WORKDIR /var/lib/secbot
EXPOSE 5000 5001 5002
CMD ["receiver"]
