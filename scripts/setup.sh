#!/usr/bin/env bash
# Installs everything `make build` and `make test` need. Idempotent, and
# fast when everything is already present. Only registries are used:
# rustup's dist server, crates.io (cargo), npm, Debian apt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[setup] %s\n' "$*"; }

# 1. The Rust wasm target (a no-op when present).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen-cli at exactly the version of the wasm-bindgen crate in Cargo.lock.
WB_VERSION="$(awk '
  $0 == "[[package]]" { name = "" }
  /^name = / { gsub(/"/, "", $3); name = $3 }
  /^version = / && name == "wasm-bindgen" { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)"
if [ -z "$WB_VERSION" ]; then
  echo "[setup] cannot find the wasm-bindgen crate in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION (takes a couple of minutes)"
  # Not --locked: the CLI's lockfile pins a webpki-roots release the
  # registry no longer offers (see docs/toolchain.md).
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --jobs 2
fi

# 3. Node dev tooling (binaryen's wasm-opt, playwright-core), from package-lock.json.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing node dev tooling (npm ci)"
  npm ci --no-audit --no-fund
fi

# 4. Chromium for the browser tests (Debian's; driven by playwright-core).
if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian chromium"
  if [ "$(id -u)" -ne 0 ]; then
    echo "[setup] /usr/bin/chromium is missing and we are not root; install it with: apt-get install chromium" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends chromium
fi

# 5. Python test tooling (boto3, moto) in pkg-tests/.venv.
bash "$ROOT/scripts/setup-python.sh"

log "ok"
