# dockmr build. Every binary lands in bin/; the Nomad agent is built from the
# same module as the plugin SDK so the two always speak the same protocol.
GO      ?= go
BIN     := $(CURDIR)/bin
GOFLAGS := -trimpath
STATIC  := CGO_ENABLED=0

.PHONY: all build driver cli task nomad image deps demo test test-unit check fmt-check vet lint fmt clean

all: build

build: driver cli task

driver:
	$(STATIC) $(GO) build $(GOFLAGS) -o $(BIN)/plugins/dockmr-driver ./plugin

cli:
	$(STATIC) $(GO) build $(GOFLAGS) -o $(BIN)/dockmr ./cmd/dockmr

task:
	$(STATIC) $(GO) build $(GOFLAGS) -ldflags='-s -w' -o $(BIN)/dockmr-task ./cmd/dockmr-task

# The example image: dockmr-task plus a static busybox, FROM scratch, so
# it builds with no registry at hand.
IMAGE ?= dockmr/examples:dev
image: task deps
	rm -rf $(BIN)/image && mkdir -p $(BIN)/image/bin
	cp examples/image/Dockerfile $(BIN)/image/
	cp $(BIN)/dockmr-task /bin/busybox $(BIN)/image/bin/
	for a in $$(/bin/busybox --list); do [ -e $(BIN)/image/bin/$$a ] || ln -s busybox $(BIN)/image/bin/$$a; done
	DOCKER_BUILDKIT=0 docker build -q -t $(IMAGE) $(BIN)/image

# The agent is large (≈150 MB) and slow to build cold; go's build cache makes
# later builds take seconds.
nomad:
	$(GO) build -o $(BIN)/nomad github.com/hashicorp/nomad

# The demo: a development Nomad cluster on this machine, then teragen →
# terasort → teravalidate through it, one container per task.
demo: build nomad image
	./examples/demo.sh

# Installs what the tests use (Docker, busybox-static) when missing and
# starts a Docker daemon when none answers.
deps:
	./deploy/setup.sh

# The whole suite, Docker- and Nomad-backed tests included, after setting
# up whatever a fresh machine lacks.
test: deps build nomad image
	DOCKMR_BIN=$(BIN) $(GO) test -count=1 -timeout 25m ./...

test-unit:
	$(GO) test -count=1 -short ./...

# The fast gate, run before the whole suite: formatting, vet, the linters
# of .golangci.yml and the unit tests. It needs neither root nor Docker nor
# any Debian package; tests that need them are skipped under -short.
check: fmt-check vet lint test-unit

fmt-check:
	@out=$$(gofmt -s -l .); if [ -n "$$out" ]; then \
		echo "gofmt -s: these files are not formatted; run 'make fmt':"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# golangci-lint, pinned, installed once from the module proxy into the
# user's cache and reused from there.
GOLANGCI_LINT_VERSION := v2.15.0
TOOLS_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dockmr-tools
GOLANGCI_LINT := $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint

# Several checkouts may lint at once on one machine; each has its own tree,
# so golangci-lint's one-run-at-a-time lock is not needed.
lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run --allow-parallel-runners ./...

$(GOLANGCI_LINT):
	GOBIN=$(dir $(GOLANGCI_LINT)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

fmt:
	gofmt -s -l -w .

clean:
	rm -rf $(BIN)
