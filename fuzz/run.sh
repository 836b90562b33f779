#!/usr/bin/env bash
# Timed fuzz run of every target (or those named), one after another, two jobs at a time.
#   fuzz/run.sh SECONDS [TARGET ...]
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Sanitizer: none (safe
# Rust; the speed is worth more here than ASan's checks of the few unsafe lines). libFuzzer stops
# an input using more than 2 GB or 20 s. A crash is saved in fuzz/artifacts/<target>/;
# copy it to fuzz/regressions/<target>/ once fixed, and the replay test keeps it fixed.
# Prints one line per target: runs, runs/s, coverage, corpus size, new crashes (artifacts written
# by this run); exits 1 on a crash.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET ...]}; shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv tsv json pgdump workbook suppliers_yaml rules factor_file template qreport)
cargo +nightly fuzz build -O -s none >/dev/null 2>&1 || { echo "fuzz build failed: cargo +nightly fuzz build -O -s none" >&2; exit 2; }
mkdir -p logs
: > logs/summary.txt
one() {
  local t=$1
  mkdir -p "corpus/$t" "artifacts/$t"
  local stamp
  stamp=$(mktemp)
  cargo +nightly fuzz run -O -s none "$t" "corpus/$t" -- -max_total_time="$secs" \
    -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="artifacts/$t/" \
    >"logs/$t.log" 2>&1
  local runs cov corp crashes
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1 | grep -o '[0-9]*')
  corp=$(ls "corpus/$t" | wc -l)
  crashes=$(find "artifacts/$t" -type f -newer "$stamp" | wc -l)
  rm -f "$stamp"
  printf '%-15s %6ss %10s runs %7s runs/s  cov %6s  corpus %5s  crashes %s\n' "$t" "$secs" \
    "${runs:-?}" "$(( ${runs:-0} / secs ))" "${cov:-?}" "$corp" "$crashes" | tee -a logs/summary.txt
}
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  one "${targets[i]}" &
  [ $((i + 1)) -lt ${#targets[@]} ] && one "${targets[i + 1]}" &
  wait
done
grep -q 'crashes [1-9]' logs/summary.txt 2>/dev/null && status=1
exit $status
