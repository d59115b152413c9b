# Atelier. `make demo` runs the product on embedded defaults; `make test` runs
# every test against real PostgreSQL and MinIO servers (installed or built
# once, then cached under $(CACHE)).

GO       ?= go
CACHE    ?= $(HOME)/.cache/atelier
BIN      := bin/atelier
# Build tags of the neural-network backends: by default the fastest ones
# installed (oneDNN, OpenBLAS; see scripts/tags.sh), asked for in each
# recipe after scripts/deps.sh has installed them, so that a fresh
# machine's first build uses them. `make TAGS=` builds pure Go.
TAGS_OF  = $(if $(filter undefined,$(origin TAGS)),$$(scripts/tags.sh),$(TAGS))
export OPENBLAS_NUM_THREADS ?= 1
export ATELIER_CACHE := $(CACHE)

.PHONY: all build demo test test-short test-backends bench bench-import bench-choices bench-report bench-backgrounds bench-peer chaos lint deps clean

all: build

deps:
	@scripts/deps.sh all

build:
	@scripts/deps.sh backends
	$(GO) build -tags "$(TAGS_OF)" -o $(BIN) ./cmd/atelier

demo: build
	$(BIN) demo

test: deps
	$(MAKE) --no-print-directory build
	TAGS="$(TAGS_OF)" scripts/with-servers.sh scripts/test-all.sh

# Tests without the real-server suites (they skip), for a quick loop.
test-short:
	$(GO) test -tags "$(TAGS_OF)" -short ./...

# The backend agreement and gradient tests of internal/nn, built once per
# combination of the backends installed (each build runs every backend it
# holds against the im2col one), then the networks' tests on each.
test-backends:
	@scripts/deps.sh backends
	scripts/test-backends.sh

bench:
	$(GO) test -tags "$(TAGS_OF)" -run '^$$' -bench . -benchmem ./...

# Import of the default world into PostgreSQL + MinIO, twice (README numbers).
bench-import: build
	scripts/with-servers.sh scripts/bench-import.sh

# A report over a seller's 10,000 items and 10 segments against the demo
# world's 3,000-item catalog: the first report and the ones after it
# (docs/benchmarks.md). Setting up takes a few minutes.
bench-report:
	@scripts/deps.sh backends
	ATELIER_BENCH_REPORT=10000 $(GO) test -tags "$(TAGS_OF)" -run '^$$' -bench ReportScale -benchtime 3x -timeout 60m ./service/report/

# One item's background suggestions against 1,000 scenes (SQLite, local
# folder) and one 1024-px composite (docs/benchmarks.md).
bench-backgrounds:
	@scripts/deps.sh backends
	$(GO) test -tags "$(TAGS_OF)" -run '^$$' -bench . -benchtime 20x -count 3 ./service/backgrounds/

# Picks of the choice flow under load with wrk (README numbers).
bench-choices: build
	scripts/with-servers.sh scripts/bench-choices.sh

# Our networks against the same networks in PyTorch, interleaved, at one
# thread and at all threads (docs/benchmarks.md).
bench-peer:
	@scripts/deps.sh backends
	TAGS="$(TAGS_OF)" scripts/bench-peer.sh

# Fault scenarios on loopback (docs/chaos.md): PostgreSQL restarted under
# load, and more; one table, a few minutes. Not part of make test.
chaos: build
	BIN=$(BIN) scripts/chaos.sh

lint:
	$(GO) vet -tags "$(TAGS_OF)" ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
