#!/usr/bin/env bash
# Type-checks kms-wasm's declarations (index.d.ts) the way users get them:
# the packed tarball installed by name into a scratch project, then `tsc`
# (strict, skipLibCheck off, noEmit) on usage.ts, which uses every function,
# Kms member and option of the declarations, in a matrix of
#
#   TypeScript 5 and 7 (exact versions in package.json)
#   x four environments (tsconfig/ENV.RESOLUTION.json):
#       browser         lib ES2022 + DOM, no @types/node  (no Symbol.asyncDispose)
#       browser-esnext  lib ESNext + DOM, no @types/node  (lib.esnext.disposable)
#       node            lib ES2023, types ["node"]         (@types/node's Symbol.asyncDispose)
#       node-esnext     lib ESNext, types ["node"]         (both declare it)
#   x moduleResolution nodenext and bundler (through the package's exports map).
#
# Environments with Symbol.asyncDispose also compile dispose.ts (`await using`),
# the others no-dispose.ts (no symbol member, no global declared by kms-wasm).
#
#   pkg-tests/types/check.sh [TARBALL]
#
# TARBALL (or KMS_WASM_TARBALL): the packed package. Without one, the check
# packs KMS_WASM_PKG_DIR (default npm/; only index.d.ts and package.json
# matter to tsc, so an unbuilt npm/ will do).
#
# Environment:
#   PKG_TESTS_WORK   the scratch folder (default pkg-tests/.work); this check uses PKG_TESTS_WORK/types
#   TYPES_COUNTS     also write {"passed":N,"failed":N} to this file (for run.sh's closing line)
#   TYPES_JOBS       cells run at once (default: the number of CPUs)
#
# The TypeScript versions and @types/node come from the committed
# package-lock.json (npm ci, reused while package.json and the lockfile are
# unchanged). Prints one line per cell and ends with "N passed, N failed";
# exits non-zero on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
WORK=${PKG_TESTS_WORK:-$ROOT/pkg-tests/.work}/types
PROJECT=$WORK/project
TARBALL=${1:-${KMS_WASM_TARBALL:-}}
JOBS=${TYPES_JOBS:-$(nproc 2>/dev/null || echo 2)}

say() { printf 'types: %s\n' "$*"; }
counts() { [ -z "${TYPES_COUNTS:-}" ] || printf '{"passed":%d,"failed":%d}\n' "$1" "$2" > "$TYPES_COUNTS"; }
die() { printf 'types: %s\n' "$*" >&2; counts 0 1; echo "0 passed, 1 failed"; exit 1; }

command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"
mkdir -p "$PROJECT"

# 1. The package: the given tarball, or a fresh pack.
if [ -z "$TARBALL" ]; then
  pkg_dir=${KMS_WASM_PKG_DIR:-$ROOT/npm}
  [ -f "$pkg_dir/package.json" ] || die "no package at $pkg_dir"
  rm -rf "$WORK/pack" && mkdir -p "$WORK/pack"
  name=$(cd "$pkg_dir" && npm pack --silent --pack-destination "$WORK/pack" | tail -n 1)
  TARBALL=$WORK/pack/$name
fi
[ -f "$TARBALL" ] || die "no tarball at '$TARBALL'"
TARBALL=$(cd "$(dirname "$TARBALL")" && pwd)/$(basename "$TARBALL")

# 2. The scratch project: TypeScript 5, 7 and @types/node from the lockfile
#    (reused while it is unchanged), then the tarball, installed by name.
lock_hash=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ ! -d "$PROJECT/node_modules" ] || [ "$(cat "$PROJECT/.lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
  say "installing TypeScript 5, 7 and @types/node (npm ci)"
  rm -f "$PROJECT/.lock-hash"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$PROJECT/"
  (cd "$PROJECT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$lock_hash" > "$PROJECT/.lock-hash"
fi
cp "$HERE/package.json" "$HERE/package-lock.json" "$PROJECT/"
rm -rf "$PROJECT/node_modules/kms-wasm"
(cd "$PROJECT" && npm install --no-save --no-audit --no-fund --loglevel=error "$TARBALL") || die "cannot install $TARBALL"
[ -f "$PROJECT/node_modules/kms-wasm/package.json" ] || die "the tarball did not install as node_modules/kms-wasm"
rm -rf "$PROJECT/tsconfig" "$PROJECT"/*.ts "$WORK/cells"
cp -r "$HERE/tsconfig" "$HERE"/*.ts "$PROJECT/"
mkdir -p "$WORK/cells"

version_of() { node -p "require('$PROJECT/node_modules/$1/package.json').version"; }
ts_versions=([5]=$(version_of typescript-5) [7]=$(version_of typescript-7))
say "kms-wasm $(version_of kms-wasm) from $(basename "$TARBALL"); TypeScript ${ts_versions[5]} and ${ts_versions[7]}; @types/node $(version_of @types/node)"

# 3. The matrix. Each cell writes its tsc output and exit status to
#    cells/ID.out and cells/ID.rc; the lines are printed in order afterwards.
cells=()
for ts in 5 7; do
  for env in browser browser-esnext node node-esnext; do
    for resolution in nodenext bundler; do
      cells+=("$ts $env $resolution")
    done
  done
done

run_cell() { # ts env resolution
  local id="ts$1-$2-$3" start=$SECONDS rc=0
  (cd "$PROJECT" && node "node_modules/typescript-$1/bin/tsc" -p "tsconfig/$2.$3.json" --pretty false --listFiles) \
    > "$WORK/cells/$id.out" 2>&1 || rc=$?
  # The declarations must come from the installed package, through its exports map.
  if [ "$rc" -eq 0 ] && ! grep -q "/node_modules/kms-wasm/index.d.ts$" "$WORK/cells/$id.out"; then
    echo "kms-wasm's index.d.ts was not part of the program" >> "$WORK/cells/$id.out"
    rc=1
  fi
  echo "$rc $((SECONDS - start))" > "$WORK/cells/$id.rc"
}

for cell in "${cells[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  # shellcheck disable=SC2086 # the cell is three words
  run_cell $cell &
done
wait

passed=0
failed=0
for cell in "${cells[@]}"; do
  read -r ts env resolution <<< "$cell"
  id="ts$ts-$env-$resolution"
  read -r rc seconds < "$WORK/cells/$id.rc"
  label=$(printf 'TypeScript %-6s %-15s moduleResolution %-8s' "${ts_versions[$ts]}" "$env" "$resolution")
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "ok    $label (${seconds}s)"
  else
    failed=$((failed + 1))
    echo "FAIL  $label (${seconds}s): tsc -p tsconfig/$env.$resolution.json in $PROJECT"
    grep -v "^/" "$WORK/cells/$id.out" | sed 's/^/      /'
  fi
done

counts "$passed" "$failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
