#!/usr/bin/env bash
# Builds the wasm and the wasm-bindgen glue into npm/pkg/:
#   cargo (release, wasm32) → wasm-bindgen --target web → wasm-opt -O3 (npm binaryen).
# Run scripts/setup.sh first (the Makefile does).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[build] %s\n' "$*"; }

OUT="npm/pkg"
NAME="kms_wasm"
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
RUSTUP_HOME_DIR="${RUSTUP_HOME:-$HOME/.rustup}"

# No absolute paths of this machine in the wasm (panic locations quote source paths).
REMAP="--remap-path-prefix=$CARGO_HOME_DIR/registry/src=/cargo/registry/src"
REMAP="$REMAP --remap-path-prefix=$CARGO_HOME_DIR/git/checkouts=/cargo/git"
REMAP="$REMAP --remap-path-prefix=$RUSTUP_HOME_DIR=/rustup"
REMAP="$REMAP --remap-path-prefix=$ROOT=/kms-wasm"

# Size: LLVM's inliner at a lower threshold than opt-level 3's (250): 8% less
# wasm, raw and gzip, at the same AES-GCM speed and within ~5% on data-key
# calls; opt-level "s" would save 18% but cost 30-40% of AES-GCM throughput
# (docs/size.md has the measurements). Wasm build only.
INLINE="-C llvm-args=-inline-threshold=50"

# Everything is made in a scratch directory and moved into place at the end,
# so a concurrent `npm pack` never sees a half-built npm/pkg/.
FINAL="$OUT"
OUT="npm/.pkg-build-$$"
trap 'rm -rf "$OUT"' EXIT
rm -rf "$OUT"

# The features rustc enables by default for wasm32-unknown-unknown; wasm-opt
# must accept them (and may not introduce others).
WASM_FEATURES=(
  --enable-bulk-memory --enable-bulk-memory-opt
  --enable-nontrapping-float-to-int
  --enable-sign-ext
  --enable-mutable-globals
  --enable-reference-types
  --enable-multivalue
)

# Two engines from one crate (docs/engines.md): the core (no default
# features) and the full engine (feature `full`). Each has its own target
# directory, so switching features never rebuilds the other.
build_engine() {
  local engine=$1 features=$2
  local target_dir="target/engine-$engine"
  log "cargo build --release --target wasm32-unknown-unknown ($engine engine: $features)"
  # shellcheck disable=SC2086 # the feature flags are words
  RUSTFLAGS="${RUSTFLAGS:-} $REMAP $INLINE" cargo build --release --target wasm32-unknown-unknown --lib --jobs 2 \
    --target-dir "$target_dir" $features
  local raw_wasm="$target_dir/wasm32-unknown-unknown/release/${NAME}.wasm"
  # --experimental-reset-state-function: the glue exports __wbg_reset_state(),
  # which re-instantiates the same module after a trap (no re-import of the glue).
  log "wasm-bindgen --target web → $FINAL/${NAME}_$engine.js"
  wasm-bindgen "$raw_wasm" \
    --target web \
    --experimental-reset-state-function \
    --remove-name-section --remove-producers-section \
    --out-dir "$OUT" --out-name "${NAME}_$engine"
  log "wasm-opt -O3 (npm binaryen $(node_modules/.bin/wasm-opt --version | awk '{print $3}'))"
  node_modules/.bin/wasm-opt -O3 "${WASM_FEATURES[@]}" \
    "$OUT/${NAME}_${engine}_bg.wasm" -o "$OUT/${NAME}_${engine}_bg.opt.wasm"
  mv "$OUT/${NAME}_${engine}_bg.opt.wasm" "$OUT/${NAME}_${engine}_bg.wasm"
}

ENGINES="${KMS_WASM_ENGINES:-core full}"
for engine in $ENGINES; do
  case $engine in
    core) build_engine core --no-default-features ;;
    full) build_engine full "--features full" ;;
    *) echo "[build] unknown engine '$engine' (core, full)" >&2; exit 2 ;;
  esac
done

# wasm-bindgen writes files we do not ship.
rm -f "$OUT/.gitignore" "$OUT/package.json" "$OUT/README.md"

# Each optimized module must still compile and instantiate with its glue,
# hold no absolute path of this machine, and say which engine it is.
for engine in $ENGINES; do
  node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    const glue = await import('./$OUT/${NAME}_$engine.js');
    glue.initSync({ module: readFileSync('./$OUT/${NAME}_${engine}_bg.wasm') });
    const k = new glue.WasmKms('111122223333', 'us-east-1', 0);
    if (typeof k.generation() !== 'number') throw new Error('the optimized wasm does not work');
    k.free();
    if (glue.engine() !== '$engine') throw new Error('the $engine build says it is the ' + glue.engine() + ' engine');
    if (typeof glue.__wbg_reset_state !== 'function') throw new Error('the glue has no __wbg_reset_state');
  "
  if grep -a -q -F -e "$ROOT/" -e "$CARGO_HOME_DIR/" -e "$HOME/" "$OUT/${NAME}_${engine}_bg.wasm"; then
    echo "[build] the $engine wasm contains an absolute path of this machine" >&2
    exit 1
  fi
done

rm -rf "$FINAL.old"
[ -d "$FINAL" ] && mv "$FINAL" "$FINAL.old"
mv "$OUT" "$FINAL"
rm -rf "$FINAL.old"
for engine in $ENGINES; do
  f="$FINAL/${NAME}_${engine}_bg.wasm"
  log "$f: $(wc -c < "$f") bytes raw, $(gzip -9 -c "$f" | wc -c) bytes gzip -9"
done
