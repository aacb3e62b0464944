#!/usr/bin/env bash
# A short, bounded fuzzing run of each target, as CI makes it (.ci/run):
# libFuzzer mutates the checked-in seed corpus (seeds/<target>/, written by
# `python3 seed.py --fixed`) for SECONDS per target (default 60) with a fixed
# seed, after running every seed once. A crash, panic, timeout or memory
# blow-up exits non-zero, leaving its input in artifacts/<target>/.
#
# The targets are CI's uninstrumented build, so mutation is blind (no
# coverage feedback; -keep_seed keeps the seeds as its base): this catches a
# seed that crashes and what is near it, not what a cargo-fuzz run finds.
#
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds=${1:-60}
cargo build --locked --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in render lex pipelines; do
  cp -r "seeds/$target" "$work/$target"   # libFuzzer adds to its corpus directory
  mkdir -p "artifacts/$target"
  echo "fuzz/run.sh: $target for ${seconds}s on $(ls "seeds/$target" | wc -l) seeds"
  "target/debug/$target" -seed=1 -keep_seed=1 -max_total_time="$seconds" -max_len=4096 \
    -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" "$work/$target" 2>"$work/$target.log" || {
    tail -n 40 "$work/$target.log"
    echo "fuzz/run.sh: $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  }
  grep -E '^stat::number_of_executed_units|^Done' "$work/$target.log"
done
