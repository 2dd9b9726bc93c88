#!/usr/bin/env bash
# Tests the built npm package the way users get it: `npm pack` of npm/,
# installed from the tarball into a temp project (pkg-tests/.work/app), then
# one portable suite run under Node's test runner and in headless Chromium.
#
#   pkg-tests/run.sh            # after the package is built into npm/ (make build)
#
# Environment:
#   KMS_WASM_PKG_DIR   the package directory to pack (default: npm/)
#   CHROMIUM           the browser binary (default: /usr/bin/chromium, Debian's)
#   PKG_TESTS_SKIP_BROWSER=1  run Node only
#   PKG_TESTS_GREP     run only the tests whose names contain this text (not moto's KMS suite)
#   PKG_TESTS_WORK     the scratch folder (default: pkg-tests/.work), so two runs can go at once
#   PKG_TESTS_ONLY=fuzz  run only the fast-check properties of fuzz/ (scripts/fuzz.sh uses it)
#   MOTO_SUITE_UPDATE=1  rewrite peer/moto-kms-expected.json from this run's moto KMS suite
#   JS_FUZZ_RUNS       runs per property in fuzz/ (default: a smoke run, fixed seed plus a random one)
#   JS_FUZZ_SEED, JS_FUZZ_PATH  replay a failing property (its failure prints them)
#   CI=true            a missing Chromium is a failure, not a skip
#
# Prints one line per test and ends with "N passed, N failed"; exits
# non-zero on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PKG_DIR=${KMS_WASM_PKG_DIR:-$ROOT/npm}
WORK=${PKG_TESTS_WORK:-$HERE/.work}
APP=$WORK/app
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM
export KMS_WASM_PYTHON=${KMS_WASM_PYTHON:-$HERE/.venv/bin/python} # boto3 and moto, from scripts/setup-python.sh

say() { printf 'pkg-tests: %s\n' "$*"; }
die() { printf 'pkg-tests: %s\n' "$*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ -f "$PKG_DIR/package.json" ] || die "no package at $PKG_DIR (run 'make build' first)"
command -v node >/dev/null || die "node is not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node >= 20 is required (found $(node --version))"

# 1. Pack the package as it would be published.
mkdir -p "$WORK"
rm -rf "$WORK/pack"
mkdir -p "$WORK/pack"
say "packing $PKG_DIR"
tarball_name=$(cd "$PKG_DIR" && npm pack --silent --pack-destination "$WORK/pack" | tail -n 1)
tarball=$WORK/pack/$tarball_name
[ -f "$tarball" ] || die "npm pack produced no tarball (got '$tarball_name')"
say "packed $(du -h "$tarball" | cut -f1) $tarball_name"

# 2. The temp project: dev dependencies from the committed lockfile (reused
#    while the lockfile is unchanged), then the tarball.
mkdir -p "$APP"
lock_hash=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ ! -d "$APP/node_modules" ] || [ "$(cat "$APP/.lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
  say "installing test dependencies (npm ci)"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$APP/"
  (cd "$APP" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > "$APP/.lock-hash"
fi
cp "$HERE/package.json" "$HERE/package-lock.json" "$APP/"
rm -rf "$APP/node_modules/kms-wasm"
say "installing $tarball_name"
(cd "$APP" && npm install --no-save --no-audit --no-fund --loglevel=error "$tarball")
[ -f "$APP/node_modules/kms-wasm/package.json" ] || die "the tarball did not install as node_modules/kms-wasm"
# Every test folder of pkg-tests (suite/, node/, browser/, ...) goes in.
for dir in "$HERE"/*/; do
  name=$(basename "$dir")
  case $name in node_modules|.work|types|bundlers|peer) continue ;; esac
  rm -rf "${APP:?}/$name"
  cp -r "$dir" "$APP/$name"
done

# 3. Node.
status=0
COUNT_FILES=(node fuzz moto-kms browser browser-engines browser-idb demo types bundlers)
for c in "${COUNT_FILES[@]}"; do rm -f "$WORK/$c-counts.json"; done
only=${PKG_TESTS_ONLY:-}
[ -z "$only" ] || [ "$only" = fuzz ] || die "PKG_TESTS_ONLY takes 'fuzz' (got '$only')"
name_pattern=()
[ -n "${PKG_TESTS_GREP:-}" ] && name_pattern=(--test-name-pattern "$PKG_TESTS_GREP")
if [ -z "$only" ]; then
  say "Node $(node --version): node --test"
  mapfile -t node_files < <(cd "$APP" && ls node/*.test.mjs)
  (cd "$APP" && node --test "${name_pattern[@]}" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=./node/count-reporter.mjs --test-reporter-destination="$WORK/node-counts.json" \
    "${node_files[@]}") || status=1
fi

# 3b. Property-based fuzzing (fast-check) of the JS parsers: serve requests on
#     the wire, the file store's format, the JS <-> wasm conversions. A smoke
#     run here (a fixed seed and a random one); JS_FUZZ_RUNS for long runs.
say "fuzz: fast-check properties of the JS parsers (${JS_FUZZ_RUNS:+$JS_FUZZ_RUNS runs × weight per property}${JS_FUZZ_RUNS:-smoke: fixed and random seed})"
mapfile -t fuzz_files < <(cd "$APP" && ls fuzz/*.test.mjs)
(cd "$APP" && node --test "${name_pattern[@]}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./node/count-reporter.mjs --test-reporter-destination="$WORK/fuzz-counts.json" \
  "${fuzz_files[@]}") || status=1

# 3c. moto's own KMS test suite in server mode against `kms-wasm serve` of the
#     installed package, compared with peer/moto-kms-expected.json (peer/moto_kms.py).
if [ -n "$only" ]; then
  say "moto KMS suite skipped (PKG_TESTS_ONLY=$only)"
elif [ -n "${PKG_TESTS_GREP:-}" ]; then
  say "moto KMS suite skipped (PKG_TESTS_GREP: run it alone with peer/moto_kms.py -k)"
elif ! "$KMS_WASM_PYTHON" -c 'import moto, pytest' 2>/dev/null; then
  if [ "${CI:-}" = true ]; then
    say "FAIL: moto KMS suite: $KMS_WASM_PYTHON cannot import moto and pytest (run scripts/setup-python.sh)"
    echo '{"passed":0,"failed":1}' > "$WORK/moto-kms-counts.json"
    status=1
  else
    say "SKIP moto KMS suite: $KMS_WASM_PYTHON cannot import moto and pytest (run scripts/setup-python.sh)"
  fi
else
  say "moto's KMS test suite in server mode against kms-wasm serve (peer/moto_kms.py)"
  "$KMS_WASM_PYTHON" "$HERE/peer/moto_kms.py" --app "$APP" --work "$WORK/moto-kms" --counts "$WORK/moto-kms-counts.json" || status=1
fi

# 4. The declarations, type-checked with TypeScript 5 and 7 (types/check.sh).
if [ -n "$only" ]; then
  say "TypeScript run skipped (PKG_TESTS_ONLY=$only)"
else
  say "TypeScript: index.d.ts with TypeScript 5 and 7"
  PKG_TESTS_WORK="$WORK" TYPES_COUNTS="$WORK/types-counts.json" "$HERE/types/check.sh" "$tarball" || status=1
fi

# 5. Chromium, through playwright-core and Debian's browser (never a downloaded one).
if [ -n "$only" ]; then
  say "browser run skipped (PKG_TESTS_ONLY=$only)"
elif [ "${PKG_TESTS_SKIP_BROWSER:-}" = 1 ]; then
  say "browser run skipped (PKG_TESTS_SKIP_BROWSER=1)"
elif [ ! -x "$CHROMIUM" ]; then
  if [ "${CI:-}" = true ]; then
    say "FAIL: $CHROMIUM is missing; install it with: apt-get install -y --no-install-recommends chromium"
    echo '{"passed":0,"failed":1}' > "$WORK/browser-counts.json"
    status=1
  else
    say "SKIP browser run: $CHROMIUM is missing (apt-get install -y --no-install-recommends chromium)"
  fi
else
  say "Chromium: running the suite in a page"
  (cd "$APP" && node browser/run.mjs "$APP" "$WORK/browser-counts.json") || status=1
  say "Chromium: the core engine alone for symmetric work, the full engine once when needed"
  (cd "$APP" && node browser/engines-run.mjs "$APP" "$WORK/browser-engines-counts.json") || status=1
  say "Chromium: IndexedDB across tabs, reloads and browser restarts"
  (cd "$APP" && node browser/idb-run.mjs "$APP" "$WORK/browser-idb-counts.json") || status=1
  say "Chromium: the web demo (www/), end to end"
  (cd "$APP" && KMS_WASM_WWW="$ROOT/www" node demo/e2e.mjs "$APP" "$WORK/demo-counts.json") || status=1
fi

# 6. Bundlers: Vite (build, dev server), webpack 5, esbuild, Rollup, an import
#    map, and require() in Node (bundlers/run.sh; browser cases need Chromium).
if [ -n "$only" ]; then
  say "bundler run skipped (PKG_TESTS_ONLY=$only)"
elif [ "${PKG_TESTS_SKIP_BUNDLERS:-}" = 1 ]; then
  say "bundler run skipped (PKG_TESTS_SKIP_BUNDLERS=1)"
else
  say "bundlers: Vite (build, dev server), webpack 5, esbuild, Rollup, import map; require() in Node"
  PKG_TESTS_WORK="$WORK" "$HERE/bundlers/run.sh" "$tarball" "$WORK/bundlers-counts.json" || status=1
fi

# 7. One closing line for every run.
count() { # file key
  if [ -f "$1" ]; then node -p "JSON.parse(require('fs').readFileSync('$1','utf8')).$2 || 0"; else echo 0; fi
}
passed=0
failed=0
for c in "${COUNT_FILES[@]}"; do
  passed=$(( passed + $(count "$WORK/$c-counts.json" passed) ))
  failed=$(( failed + $(count "$WORK/$c-counts.json" failed) ))
done
skipped=$(( $(count "$WORK/node-counts.json" skipped) + $(count "$WORK/fuzz-counts.json" skipped) + $(count "$WORK/browser-counts.json" skipped) ))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a runner failed without counting a test (it crashed or found nothing)
fi
[ "$passed" -gt 0 ] || { [ "$failed" -gt 0 ] || failed=1; }
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
