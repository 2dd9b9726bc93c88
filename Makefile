# kms-wasm — build, test, benchmark and demo. `make test` is what CI runs.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

VERSION := $(shell node -p "require('./npm/package.json').version")
TARBALL := npm/kms-wasm-$(VERSION).tgz

.PHONY: setup build pack test lint deny fuzz fuzz-smoke size bench soak demo quickstart clean

## setup: toolchain and dev tooling (idempotent, fast when present)
setup:
	bash scripts/setup.sh

## build: the wasm, its glue and the npm package in npm/
build: setup
	bash scripts/build-npm.sh

## pack: the npm tarball, as users install it
pack: build
	rm -f npm/kms-wasm-*.tgz
	npm pack ./npm --pack-destination npm --silent >/dev/null
	@echo "[pack] $(TARBALL) ($$(wc -c < $(TARBALL)) bytes)"

## test: dependency licences, Rust tests (full engine, then the core's own), the size budgets, a fuzz smoke run, then the packed package in Node, Chromium, TypeScript and bundlers
test: build lint
	bash scripts/deny.sh
	KMS_WASM_MODEL_CASES=10000 KMS_WASM_MATERIAL_MODEL_CASES=64 cargo test
	cargo test --no-default-features --test engines
	bash scripts/size-budget.sh
	bash scripts/fuzz.sh --smoke
	bash pkg-tests/run.sh

## fuzz: every fuzz target for FUZZ_SECONDS each (default 60), from the committed corpus (scripts/fuzz.sh)
fuzz:
	bash scripts/fuzz.sh

## fuzz-smoke: every fuzz target for FUZZ_SMOKE_SECONDS each (default 10); fails on a crash (run by make test)
fuzz-smoke:
	bash scripts/fuzz.sh --smoke

## deny: cargo-deny on the dependency graph — licenses, bans, sources (scripts/deny.sh, deny.toml)
deny:
	bash scripts/deny.sh

## size: the built wasm against its size budget (scripts/size-budget.sh, docs/size.md)
size:
	bash scripts/size-budget.sh

## lint: formatting and clippy (unwrap/expect/panic/indexing/truncation lints) as errors
lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

## bench: throughput and latency of the packed package
bench: build
	node pkg-tests/bench/bench.mjs

## soak: kms-wasm serve under hostile clients (1,000 parked bodies, 1,000 trickles, a flood) while an honest SDK client calls; RSS, p99, errors (pkg-tests/bench/serve-soak.mjs; SOAK_SCALE, SOAK_SECONDS); first the file-store crash tests at 200 SIGKILLs (which also installs the test app the soak's SDK client comes from)
soak: build
	CRASH_KILLS=200 PKG_TESTS_SKIP_BROWSER=1 PKG_TESTS_SKIP_BUNDLERS=1 PKG_TESTS_GREP=SIGKILL bash pkg-tests/run.sh
	node pkg-tests/bench/serve-soak.mjs

## demo: the web demo (www/) at http://127.0.0.1:8080/ (PORT=9000 make demo for another port), until Ctrl-C
demo: pack
	npm install --prefix www --no-save --no-package-lock --no-audit --no-fund ./$(TARBALL) >/dev/null
	node www/serve.mjs

## quickstart: a Node walk-through of the API that prints each step, importing the packed package by name
quickstart: pack
	npm install --prefix www --no-save --no-package-lock --no-audit --no-fund ./$(TARBALL) >/dev/null
	node www/quickstart.mjs

clean:
	rm -rf npm/pkg npm/kms-wasm-*.tgz www/node_modules pkg-tests/.work test-artifacts
	cargo clean
