#!/usr/bin/env bash
# Installs cargo-fuzz at the pinned version (idempotent: skipped when that
# version is already on PATH). The toolchain is stable; scripts/fuzz.sh runs
# it with RUSTC_BOOTSTRAP=1 for the -Z flags it passes to rustc.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2

if [ "$(cargo fuzz --version 2>/dev/null || true)" = "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  exit 0
fi
printf '[setup-fuzz] installing cargo-fuzz %s (about a minute)\n' "$CARGO_FUZZ_VERSION"
cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --jobs 2
