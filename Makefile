# Waymark's tasks. `make demo` runs the whole path on this machine; `make test` is what CI runs.
GO ?= go
COLLECTOR := bin/otelcol-waymark

.PHONY: all build debian-packages test check-api test-windows bench lint collector backend demo fuzz cross clean

# The framework integrations and their examples are Go modules of their own, so the core
# module never depends on a CLI framework; lint, cross and the tests run in each of them too.
NESTED := integrations/cobra integrations/urfave examples/cobra examples/urfave
IN_NESTED = for m in $(NESTED); do echo "== $$m"; (cd $$m && $(1)) || exit 1; done

all: build

build:
	$(GO) build ./...

# The whole suite: unit, fault, multi-process and end-to-end tests, with the race detector,
# against the real collector binary and the real backends (installed into bin/ by `backend`).
# The backend tests run last, on their own, through a script that fails unless each one ran
# and passed (a skip fails too).
BACKEND_TESTS = $(shell bash collector-config/test-backends.sh --pattern)
test: $(COLLECTOR) backend debian-packages check-api test-windows
	$(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	WAYMARK_COLLECTOR=$(CURDIR)/$(COLLECTOR) $(GO) test -race -count=1 -timeout 30m -skip '$(BACKEND_TESTS)' ./...
	WAYMARK_COLLECTOR=$(CURDIR)/$(COLLECTOR) bash collector-config/test-backends.sh
	@$(call IN_NESTED,$(GO) vet ./... && $(GO) test -race -count=1 -timeout 15m ./...)

# The public API is a contract: api/waymark.txt lists every exported name of sdk, gate,
# milestones and exporter, and this fails, naming the line, when the source says otherwise.
# A change that is meant rewrites the file (go run ./internal/devtools/apicheck -w) and says in
# CHANGELOG.md what it means for vendors.
check-api:
	$(GO) run ./internal/devtools/apicheck

# The Windows suite: the example CLIs and the core packages' tests as windows/amd64 binaries
# under Wine, in a prefix of its own (internal/wintest); installs Wine and mingw-w64 first.
# Run in the package's folder, so go test shows the counts and times it prints on success.
test-windows:
	bash .ci/wine-packages.sh
	$(GO) vet -tags wine ./internal/wintest/
	cd internal/wintest && $(GO) test -tags wine -count=1 -timeout 20m

# Debian packages the tests drive for real (nginx, curl, chromium, unshare), installed with
# apt-get as root or through sudo when any is missing.
debian-packages:
	bash .ci/debian-packages.sh

bench:
	bash bench/run.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	@if command -v goimports >/dev/null; then out=$$(goimports -local github.com/waymarkhq/waymark -l $$(git ls-files '*.go')); \
		if [ -n "$$out" ]; then echo "goimports (standard library, then others, then this module):"; echo "$$out"; exit 1; fi; \
	else echo "goimports not installed; skipped"; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed; skipped"; fi
	@$(call IN_NESTED,$(GO) vet ./... && if command -v staticcheck >/dev/null; then staticcheck ./...; fi)

# Every platform Waymark ships on must build and vet.
cross:
	@for p in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do \
		echo "== $$p"; GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build ./... && GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./... || exit 1; \
		for m in $(NESTED); do (cd $$m && GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./... && GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./...) || exit 1; done; \
	done

collector: $(COLLECTOR)

# Rebuilt only when the manifest changes; a line every 20 s says the build is still going.
$(COLLECTOR): collector-config/builder-config.yaml collector-config/build.sh
	bash collector-config/progress.sh "collector: still building" bash collector-config/build.sh

# The OTLP backends of the collector's overlays (VictoriaMetrics, VictoriaLogs, Prometheus),
# built at pinned versions into bin/; a no-op when they are there.
backend:
	bash collector-config/install-backend.sh

demo: $(COLLECTOR)
	bash examples/demo.sh

fuzz:
	bash bench/fuzz.sh

# Removes what the two commands built here (bin/: the collector, the backends, the demo's
# data and report; the collector's generated sources). Go's module and build caches and the
# Debian packages stay.
clean:
	rm -rf bin collector-config/build
