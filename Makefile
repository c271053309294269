# packetpeer: `make test` is what CI runs; `make demo` runs the main demo.
GO        ?= go
FUZZTIME  ?= 30s
BENCHTIME ?= 1s
PKGS      := ./...
# staticcheck at a pinned version, fetched through the Go module proxy on
# first use (go run caches the build).
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all test race unit lint vet staticcheck fmt-check fuzz fuzz-short bench bench-report demo demo-game godot

all: test

## test: gofmt check, go vet, staticcheck, then every test with the race detector.
test: lint race

## race: go test -race over the whole module.
race:
	$(GO) test -race -timeout 30m $(PKGS)

## unit: the tests without the race detector (faster).
unit:
	$(GO) test -timeout 20m $(PKGS)

## lint: gofmt check, go vet and staticcheck (pinned in STATICCHECK).
lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(STATICCHECK) $(PKGS)

## fuzz: every Fuzz target in the module, FUZZTIME each (default 30s; a count
## such as FUZZTIME=20000x also works, as CI uses). A duration run that ends
## with "context deadline exceeded" and no failing input is go test's shutdown
## racing a slow input, not a finding.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## fuzz-short: a short pass per target, as CI runs it.
fuzz-short:
	$(MAKE) fuzz FUZZTIME=20000x

## bench: every benchmark, SDK next to the raw library, with allocations.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

## demo: a chat server and two scripted clients over loopback.
demo:
	$(GO) run ./examples/chat/demo

## demo-game: the arena (examples/game) on http://127.0.0.1:8090/: open it in
## two browser tabs and play (the Godot 4.6 web engine is downloaded once into
## godottest's cache).
demo-game:
	$(GO) run ./examples/game/server

## godot: the tests that run a real Godot 4.6 (web export in headless
## chromium; the engine is downloaded once into the user cache folder).
godot:
	PACKETPEER_REQUIRE_BROWSER=1 $(GO) test -race -count=1 ./godottest ./variant -run 'Live|Godot|Run|Example'

## bench-report: SDK vs raw library for every transport and the codec, in paired
## interleaved runs (about 10 minutes); refreshes README's table and docs/bench.svg.
bench-report:
	$(GO) run ./cmd/ppbench -readme README.md -svg docs/bench.svg -json bench-report.json
