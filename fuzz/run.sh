#!/bin/bash
# File: fuzz/run.sh
#
# Builds the libFuzzer harnesses (a clang build dir of their own, ASan + UBSan) and runs each
# for SECONDS, one after the other with one job, then prints what each did. `make fuzz` and
# `make fuzz-test` (part of `make test`) call it; docs/fuzzing.md describes the harnesses.
#
#   fuzz/run.sh BUILD_DIR SECONDS [JOBS] [TARGET...]    (default: every fuzz/fuzz_*.cc)
#
# The committed seeds (fuzz/corpus/<target>) are read only: what a run finds goes to
# BUILD_DIR/fuzz-corpus/<target>, which later runs start from. A crash, leak, timeout or
# out-of-memory input is saved as BUILD_DIR/fuzz-artifacts/<target>-<kind>-<sha1>; its path is
# printed, and the run fails once every harness has had its turn. Reproduce one with
#   BUILD_DIR/bin/fuzz_<target> BUILD_DIR/fuzz-artifacts/<file>
set -uo pipefail

build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [JOBS] [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [JOBS] [TARGET...]}
jobs=${3:-$(nproc)}
shift $(($# < 3 ? $# : 3))
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build" && build=$(cd "$build" && pwd)
fuzz_dir=$src/fuzz

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$fuzz_dir"/fuzz_*.cc; do
    t=$(basename "$f" .cc)
    targets+=("${t#fuzz_}")
  done
fi

# Longest input per harness: whole frames (beyond 64 KB, for the 16-bit offsets of the parser),
# bursts of frames, a session of requests; text harnesses keep libFuzzer's default.
max_len() {
  case $1 in
    parse) echo 70000 ;;
    worker | sync | ctl) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIPVSD_FUZZ=ON \
  -DIPVSD_SANITIZE=ON -DIPVSD_BENCH=OFF >/dev/null || exit 1
ninja -C "$build" -j "$jobs" fuzzers || exit 1

artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
failed=()
summary=()
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t
  log=$build/fuzz-logs/$t.log
  mkdir -p "$corpus" "$(dirname "$log")"
  dict=()
  [ -f "$fuzz_dir/$t.dict" ] && dict=(-dict="$fuzz_dir/$t.dict")
  seeds=()
  [ -d "$fuzz_dir/corpus/$t" ] && seeds=("$fuzz_dir/corpus/$t")
  echo "fuzz: $t for ${seconds}s (log: $log)"
  # UBSan reports abort (IPVSD_SANITIZE builds with -fno-sanitize-recover=all); keep the
  # stacks readable.
  UBSAN_OPTIONS=print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    "$build/bin/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -max_len="$(max_len "$t")" -artifact_prefix="$artifacts/$t-" "${dict[@]}" "$corpus" "${seeds[@]}" \
    >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ $rc -ne 0 ]; then
    failed+=("$t")
    echo "fuzz: $t FAILED (exit $rc):"
    grep -E '^(==[0-9]+== ?ERROR|SUMMARY|.*runtime error|.*Test unit written)' "$log" | head -20
    summary+=("$(printf '%-14s %10s %12s %8s  FAILED: %s' "$t" "${rate:--}" "${execs:--}" "${cov:--}" \
      "$(sed -n 's/.*Test unit written to //p' "$log" | head -1)")")
  else
    summary+=("$(printf '%-14s %10s %12s %8s' "$t" "$rate" "$execs" "$cov")")
  fi
done

echo
printf '%-14s %10s %12s %8s\n' harness exec/s executions cov
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: findings in: ${failed[*]} (inputs under $artifacts)"
  exit 1
fi
