# One image with all four binaries; docker-compose picks the command.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -tags gore2regex -trimpath -ldflags="-s -w" -o /out/ ./cmd/...

FROM debian:bookworm-slim
# git: the worker keeps mirrors of scanned repositories.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/secbot --create-home secbot
COPY --from=build /out/ /usr/local/bin/
COPY config.yml /etc/secbot/config.yml
ENV SECBOT_CONFIG=/etc/secbot/config.yml
USER secbot
WORKDIR /var/lib/secbot
EXPOSE 5000 5001 5002
CMD ["receiver"]
