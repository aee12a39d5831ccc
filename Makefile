# vigil: `make run` starts everything locally, `make test` runs every test.
# Both install what is missing (Debian packages when root, Go modules).

GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
DATA_DIR  ?= .vigil
RUN_FLAGS ?= --demo
TEST_FLAGS ?= -timeout 45m
BENCH_FLAGS ?=

.PHONY: all build run test test-short bench accuracy lint deps tools clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/vigil ./cmd/vigil
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/vigil-agent ./cmd/vigil-agent

# Starts vigil on its embedded defaults with the example monitors and the
# demo application they watch.
run: build
	$(BIN)/vigil dev --data-dir $(DATA_DIR) --monitors examples/monitors $(RUN_FLAGS)

WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

# The agent's tests load BPF programs: they run as root (CI does) and skip,
# saying so, otherwise. They run a second time with the fallback syscall
# hooks.
test: deps
	@scripts/check-bpf.sh
	$(GO) vet ./...
	$(GO) run $(WORKFLOWCHECK) ./workflows/...
	$(GO) test $(TEST_FLAGS) ./...
	VIGIL_TEST_HOOKS=syscall $(GO) test $(TEST_FLAGS) ./agent/

test-short: deps
	$(GO) test -short ./...

# Benchmarks print numbers; they are never pass/fail on time.
bench: deps
	@VIGIL_DEPS_BENCH=1 scripts/deps.sh
	$(GO) test -run '^$$' -bench . -benchmem ./internal/... ./agent/... ./activities/...
	$(GO) build -o $(BIN)/vigil-agent-bench ./cmd/vigil-agent-bench
	$(BIN)/vigil-agent-bench -interleave 20 $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -interleave 20 -split $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -interleave 20 -pin $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -interleave 20 -pin -trace-nothing $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -interleave 20 -pin -path '/api/products?page=3' $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -interleave 10 -target redis -split $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -interleave 10 -target redis -pin $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -interleave 10 -target postgres -split $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -interleave 10 -target postgres -pin $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -rounds 3 -duration 4s $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -rate 1000 -interleave 8 $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -rate 5000 -interleave 8 $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -rate 2000 -interleave 8 -target redis $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -rate 2000 -interleave 8 -target postgres $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -ramp $(AGENT_BENCH_FLAGS)
	$(BIN)/vigil-agent-bench -ramp -discard $(AGENT_BENCH_FLAGS)
	$(GO) run ./cmd/vigil-browser-bench $(BROWSER_BENCH_FLAGS)
	$(GO) run ./cmd/vigil-bench $(BENCH_FLAGS)

# Runs the multi-service demo topology (Go gateway, cart and orders, a
# Python users service, Redis, PostgreSQL) under the agent, as root, and
# scores trace correlation against the truth the services wrote.
ACCURACY_DIR   ?= .accuracy
ACCURACY_FLAGS ?= --requests 2000 --concurrency 64
accuracy: build
	$(GO) build -o $(BIN)/demo-topology ./examples/demo-app/cmd/demo-topology
	$(BIN)/demo-topology run --agent $(BIN)/vigil-agent --out $(ACCURACY_DIR) $(ACCURACY_FLAGS)
	$(BIN)/vigil accuracy score --truth $(ACCURACY_DIR)/truth.jsonl --data-dir $(ACCURACY_DIR)/data

# staticcheck 2025.1.1, by its module version: the proxy no longer resolves
# the release name.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.6.1

lint: deps
	$(GO) vet ./...
	$(GO) run $(WORKFLOWCHECK) ./workflows/...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf $(BIN)
