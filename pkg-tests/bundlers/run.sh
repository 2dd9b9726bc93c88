#!/usr/bin/env bash
# Builds a one-module app that imports kms-wasm by name with each bundler
# (Vite build and dev server, webpack 5, esbuild, Rollup; and no bundler,
# with an import map), runs each in headless Chromium, and checks
# require('kms-wasm') from CommonJS in Node.
#
#   pkg-tests/bundlers/run.sh <kms-wasm tarball> [counts-file]
#
# counts-file (optional) receives {"passed":N,"failed":N}, like the other
# runners of pkg-tests/run.sh.
#
# The bundlers are pinned in package.json + package-lock.json here and
# installed into a scratch project (reused while the lockfile is unchanged);
# the tarball is installed into it on each run.
#
# Environment:
#   PKG_TESTS_WORK   the scratch folder (default: pkg-tests/.work); this uses PKG_TESTS_WORK/bundlers
#   CHROMIUM         the browser binary (default: /usr/bin/chromium, Debian's)
#   BUNDLERS_GREP    run only the cases whose names contain this text
#   CI=true          a missing Chromium is a failure, not a skip
#
# Prints one line per case and ends with "N passed, N failed"; exits
# non-zero on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${PKG_TESTS_WORK:-$(dirname "$HERE")/.work}/bundlers
PROJECT=$WORK/project

say() { printf 'bundlers: %s\n' "$*"; }
die() { printf 'bundlers: %s\n' "$*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: pkg-tests/bundlers/run.sh <kms-wasm tarball> [counts-file]"
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
counts=()
if [ $# -eq 2 ]; then
  counts=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")")
  echo '{"passed":0,"failed":1}' > "${counts[0]}" # until run.mjs writes the real counts
fi
[ -f "$tarball" ] || die "no tarball at $1"
command -v node >/dev/null || die "node is not installed"

# The bundlers, from the committed lockfile (reused while it is unchanged).
mkdir -p "$PROJECT"
lock_hash=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ ! -d "$PROJECT/node_modules" ] || [ "$(cat "$PROJECT/.lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
  say "installing the bundlers (npm ci)"
  rm -rf "$PROJECT/node_modules"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$PROJECT/"
  (cd "$PROJECT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > "$PROJECT/.lock-hash"
fi
cp "$HERE/package.json" "$HERE/package-lock.json" "$PROJECT/"

# The package, from its tarball, as a user installs it.
rm -rf "$PROJECT/node_modules/kms-wasm" "$PROJECT/out"
say "installing $(basename "$tarball")"
(cd "$PROJECT" && npm install --no-save --no-audit --no-fund --loglevel=error "$tarball")
[ -f "$PROJECT/node_modules/kms-wasm/package.json" ] || die "the tarball did not install as node_modules/kms-wasm"

rm -rf "$PROJECT/app"
cp -r "$HERE/app" "$PROJECT/app"
cp "$HERE/run.mjs" "$PROJECT/run.mjs"
cd "$PROJECT"
exec node run.mjs "$PROJECT" "${counts[@]}"
