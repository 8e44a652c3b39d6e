# otelcol-audit: the two commands a newcomer needs are `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin/otelcol-audit
CONFIG ?= config/default.yaml
# Packages compiled once per `go test` invocation; 2 keeps memory low on small machines.
GOTEST_P ?= 2

.PHONY: build generate check-generated run test test-short bench fuzz lint tools dashboards image clean

## build: install the pinned builder, regenerate the distribution sources, compile bin/otelcol-audit
build: generate
	$(GO) build -trimpath -o $(BIN) ./cmd/otelcol-audit

## generate: regenerate cmd/otelcol-audit from builder-config.yaml
generate:
	scripts/generate.sh

## check-generated: fail when cmd/otelcol-audit does not match builder-config.yaml
check-generated:
	scripts/generate.sh --check

## run: build, then start the collector on the bundled default config
run: build
	$(BIN) --config $(CONFIG)

## dashboards: regenerate the Grafana dashboards and the Loki and Prometheus rules from Go
dashboards:
	$(GO) run ./cmd/dashgen -out dashboards

## tools: install the pinned test servers and tools (VictoriaLogs, Mailpit, promtool, benchstat)
tools:
	scripts/tools.sh all

## test: everything CI runs
test: tools lint check-generated
	OTELCOL_AUDIT_REQUIRE_INTEGRATION=1 $(GO) test -p $(GOTEST_P) -count=1 -timeout 20m ./...

## test-short: unit tests only, no real servers
test-short:
	$(GO) test -short ./...

## bench: run the benchmarks documented in BENCHMARKS.md
bench:
	scripts/bench.sh

## fuzz: run every fuzz target for FUZZTIME (default 20s) each
fuzz:
	scripts/fuzz.sh

## lint: gofmt, go vet, one collector release, no file over 1 MiB
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	scripts/check-versions.sh
	scripts/check-large-files.sh

## image: build the container image $(IMAGE) with docker, podman or buildah, whichever can run
IMAGE ?= otelcol-audit:dev
image:
	@if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then engine="env DOCKER_BUILDKIT=1 docker build"; \
	elif command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then engine="podman build"; \
	elif command -v buildah >/dev/null 2>&1 && buildah info >/dev/null 2>&1; then engine="buildah bud --layers"; \
	else echo "make image: no container engine can run here: install docker (with a running daemon), podman or buildah" >&2; exit 1; fi; \
	echo "$$engine -t $(IMAGE) ."; $$engine -t $(IMAGE) .

clean:
	rm -rf bin
