#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ from its committed corpus and fails
# on the first crash, timeout or out-of-memory.
#
#   scripts/fuzz.sh            each target for FUZZ_SECONDS (default 60)       — make fuzz
#   scripts/fuzz.sh --smoke    each target for FUZZ_SMOKE_SECONDS (default 10) — make fuzz-smoke, run by make test
#
# Environment:
#   FUZZ_TARGETS     space-separated targets (default: all, from `cargo fuzz list`)
#   FUZZ_SANITIZER   none | address (default none: the crate has no unsafe code, and
#                    AddressSanitizer builds and runs slower; see README "How it is tested")
#   FUZZ_WORK        where new corpus entries go (default: fuzz/target/fuzz-work); the
#                    committed corpus in fuzz/corpus/ is only read, never written
#   JS_FUZZ          1 (default): the full run also runs the fast-check properties of the
#                    package's JS parsers (pkg-tests/fuzz: serve requests, the file store
#                    format, convert.js) through `PKG_TESTS_ONLY=fuzz pkg-tests/run.sh`, on
#                    the package built in npm/ (make build); 0: not; only: them alone
#   JS_FUZZ_RUNS     runs per JS property (× its weight; default 2000). The smoke run of
#                    the JS properties is in pkg-tests/run.sh (make test), not here
#
# The toolchain is stable: cargo-fuzz runs with RUSTC_BOOTSTRAP=1 for the
# -Z flags it gives rustc. Crashing inputs land in fuzz/artifacts/TARGET/;
# the script prints how to reproduce one. Ends with "fuzz: N passed, N failed".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

mode=full
[ "${1:-}" = --smoke ] && mode=smoke
if [ "$mode" = smoke ]; then
  seconds=${FUZZ_SMOKE_SECONDS:-10}
else
  seconds=${FUZZ_SECONDS:-60}
fi
sanitizer=${FUZZ_SANITIZER:-none}
work=${FUZZ_WORK:-$ROOT/fuzz/target/fuzz-work}
export RUSTC_BOOTSTRAP=1

log() { printf '[fuzz] %s\n' "$*"; }

js_fuzz=${JS_FUZZ:-1}
[ "$mode" = smoke ] && js_fuzz=0
case $js_fuzz in 0|1|only) ;; *) echo "[fuzz] JS_FUZZ takes 0, 1 or only (got '$js_fuzz')" >&2; exit 2 ;; esac

# The fast-check properties of the JS parsers (pkg-tests/fuzz), in their own
# scratch app so a pkg-tests run at the same time is not disturbed.
run_js_fuzz() {
  local runs=${JS_FUZZ_RUNS:-2000} out="$work/js-fuzz.log" t0=$SECONDS status=0
  mkdir -p "$work"
  if [ ! -f npm/pkg/kms_wasm_core_bg.wasm ] || [ ! -f npm/pkg/kms_wasm_full_bg.wasm ]; then
    echo "[fuzz] js-properties: the package is not built in npm/pkg (run make build first, or JS_FUZZ=0)" >&2
    failed=$((failed + 1))
    rows+=("$(printf '%-20s %12s %10s %6s %5ss  %s' js-properties - - - 0 'FAILED (no build)')")
    return
  fi
  log "js-properties: fast-check, $runs runs x weight per property (log: $out)"
  JS_FUZZ_RUNS=$runs PKG_TESTS_ONLY=fuzz PKG_TESTS_WORK="$work/js" bash pkg-tests/run.sh >"$out" 2>&1 || status=$?
  local execs result
  execs=$(awk '$1 == "ℹ" && $3 == "runs" && $4 == "in" { n += $2 } END { print n + 0 }' "$out")
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    result="ok ($(tail -n 1 "$out"))"
  else
    failed=$((failed + 1))
    result="FAILED ($(tail -n 1 "$out"))"
    grep -E '^(✖|  (Error|counterexample|error|replay):)' "$out" | head -n 40 >&2 || true
    printf '[fuzz] js-properties: %s; log %s\n' "$result" "$out" >&2
    printf '[fuzz] replay one: the printed JS_FUZZ_SEED, JS_FUZZ_PATH and PKG_TESTS_GREP with PKG_TESTS_ONLY=fuzz bash pkg-tests/run.sh\n' >&2
  fi
  rows+=("$(printf '%-20s %12s %10s %6s %5ss  %s' js-properties "$execs" - - "$((SECONDS - t0))" "$result")")
}

if [ "$js_fuzz" = only ]; then
  passed=0
  failed=0
  rows=()
  start=$SECONDS
  run_js_fuzz
  printf '\n%-20s %12s %10s %6s %6s  %s\n' target executions 'exec/s' new time result
  printf '%s\n' "${rows[@]}"
  echo "fuzz: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
fi

bash scripts/setup-fuzz.sh

if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<< "$FUZZ_TARGETS"
else
  mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi
[ "${#targets[@]}" -gt 0 ] || { echo "[fuzz] no fuzz targets found" >&2; exit 1; }

start=$SECONDS
mkdir -p "$work"
log "building ${#targets[@]} targets (sanitizer: $sanitizer)"
cargo fuzz build --fuzz-dir fuzz -s "$sanitizer" >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  echo "[fuzz] the fuzz targets do not build" >&2
  exit 1
}
build_seconds=$((SECONDS - start))
log "built in ${build_seconds}s; running each target for ${seconds}s"

bin_dir=fuzz/target/x86_64-unknown-linux-gnu/release
passed=0
failed=0
rows=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "fuzz/artifacts/$t"
  corpus=()
  [ -d "fuzz/corpus/$t" ] && corpus=("fuzz/corpus/$t")
  out="$work/$t.log"
  t0=$SECONDS
  status=0
  # New inputs go to $work/$t (the first directory); fuzz/corpus/$t is read.
  "$bin_dir/$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" "$work/$t" "${corpus[@]}" >"$out" 2>&1 || status=$?
  final_stat() { awk -v k="stat::$1:" '$1 == k { print $2 }' "$out" | tail -n 1; }
  execs=$(final_stat number_of_executed_units)
  rate=$(final_stat average_exec_per_sec)
  new=$(final_stat new_units_added)
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    result=ok
  else
    failed=$((failed + 1))
    result="FAILED (exit $status)"
    artifact=$(grep -o "fuzz/artifacts/$t/[a-z-]*[0-9a-f]*" "$out" | tail -n 1 || true)
    grep -E '^(==|thread|.*panicked|SUMMARY|ERROR)' "$out" | head -n 20 >&2 || true
    printf '[fuzz] %s: %s; log %s\n' "$t" "$result" "$out" >&2
    if [ -n "$artifact" ]; then
      printf '[fuzz] reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz -s %s %s %s\n' "$sanitizer" "$t" "$artifact" >&2
      printf '[fuzz] once fixed, keep the input as a regression seed: cp %s fuzz/corpus/%s/regression-<name>\n' "$artifact" "$t" >&2
    fi
  fi
  rows+=("$(printf '%-20s %12s %10s %6s %5ss  %s' "$t" "${execs:-?}" "${rate:-?}" "${new:-?}" "$((SECONDS - t0))" "$result")")
done
[ "$js_fuzz" = 1 ] && run_js_fuzz

printf '\n%-20s %12s %10s %6s %6s  %s\n' target executions 'exec/s' new time result
printf '%s\n' "${rows[@]}"
log "build ${build_seconds}s, total $((SECONDS - start))s; new corpus entries in $work/ (merge with: cargo fuzz cmin)"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
