# Atelier. `make demo` runs the product on embedded defaults; `make test` runs
# every test against real PostgreSQL and MinIO servers (installed or built
# once, then cached under $(CACHE)).

GO       ?= go
CACHE    ?= $(HOME)/.cache/atelier
BIN      := bin/atelier
# OpenBLAS makes the neural networks ~2.5x faster; use it when installed.
TAGS     ?= $(shell ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so ' && echo openblas)
GOFLAGS_BUILD := -tags '$(TAGS)'
export OPENBLAS_NUM_THREADS ?= 1
export ATELIER_CACHE := $(CACHE)

.PHONY: all build demo test test-short bench bench-import bench-choices bench-peer lint deps clean

all: build

deps:
	@scripts/deps.sh all

build:
	@scripts/deps.sh openblas || true
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN) ./cmd/atelier

demo: build
	$(BIN) demo

test: deps
	$(MAKE) --no-print-directory build
	TAGS='$(TAGS)' scripts/with-servers.sh scripts/test-all.sh

# Tests without the real-server suites (they skip), for a quick loop.
test-short:
	$(GO) test $(GOFLAGS_BUILD) -short ./...

bench:
	$(GO) test $(GOFLAGS_BUILD) -run '^$$' -bench . -benchmem ./...

# Import of the default world into PostgreSQL + MinIO, twice (README numbers).
bench-import: build
	scripts/with-servers.sh scripts/bench-import.sh

# Picks of the choice flow under load with wrk (README numbers).
bench-choices: build
	scripts/with-servers.sh scripts/bench-choices.sh

# Our networks against the same networks in PyTorch, interleaved, at one
# thread and at all threads (docs/benchmarks.md).
bench-peer:
	TAGS='$(TAGS)' scripts/bench-peer.sh

lint:
	$(GO) vet $(GOFLAGS_BUILD) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
