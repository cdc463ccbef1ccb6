# dockmr build. Every binary lands in bin/; the Nomad agent is built from the
# same module as the plugin SDK so the two always speak the same protocol.
GO      ?= go
BIN     := $(CURDIR)/bin
GOFLAGS := -trimpath
STATIC  := CGO_ENABLED=0

.PHONY: all build driver cli task nomad image deps demo test test-unit vet fmt clean

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

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

clean:
	rm -rf $(BIN)
