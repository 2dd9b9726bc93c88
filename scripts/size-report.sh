#!/usr/bin/env bash
# Where the wasm's bytes go, by crate and by family of crates (docs/size.md).
# Builds the release wasm exactly as scripts/build-npm.sh does (same flags),
# but into its own target directory and with the function names kept, then
# runs twiggy (installed with `cargo install twiggy --locked` if missing) and
# scripts/size-attribute.py on it. Leaves npm/pkg alone. Not run by make test.
#
#   scripts/size-report.sh            SIZE_TARGET=/tmp/kms-wasm-size (default)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${SIZE_TARGET:-/tmp/kms-wasm-size}"
mkdir -p "$OUT"

command -v twiggy >/dev/null || cargo install twiggy --version 0.8.0 --locked --jobs 2

# the flags of scripts/build-npm.sh
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
RUSTUP_HOME_DIR="${RUSTUP_HOME:-$HOME/.rustup}"
FLAGS="--remap-path-prefix=$CARGO_HOME_DIR/registry/src=/cargo/registry/src"
FLAGS="$FLAGS --remap-path-prefix=$CARGO_HOME_DIR/git/checkouts=/cargo/git"
FLAGS="$FLAGS --remap-path-prefix=$RUSTUP_HOME_DIR=/rustup --remap-path-prefix=$ROOT=/kms-wasm"
FLAGS="$FLAGS $(sed -n 's/^INLINE="\(.*\)"$/\1/p' scripts/build-npm.sh)"
RUSTFLAGS="${RUSTFLAGS:-} $FLAGS" CARGO_TARGET_DIR="$OUT/target" \
  cargo build --release --target wasm32-unknown-unknown --lib --jobs 2

wasm-bindgen "$OUT/target/wasm32-unknown-unknown/release/kms_wasm.wasm" --target web --out-dir "$OUT/named" --out-name kms_wasm
node_modules/.bin/wasm-opt -O3 -g --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$OUT/named/kms_wasm_bg.wasm" -o "$OUT/named.wasm"
twiggy top -f csv "$OUT/named.wasm" > "$OUT/twiggy.csv"
python3 scripts/size-attribute.py "$OUT/twiggy.csv"
echo "largest items: twiggy top -n 30 $OUT/named.wasm"
