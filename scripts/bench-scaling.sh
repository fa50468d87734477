#!/usr/bin/env bash
# Whether a scan's cost grows linearly with its input: time and peak memory
# of a full scan (every policy, SARIF written) of 1, 2 and 4 copies of the
# input, each size in its own process, with the ratios to 1x.
#
#   scripts/bench-scaling.sh [PATH...]
#
# Default input: ../shared/corpus/terraform/terraform-aws-modules+* (from the
# repository root). The copies are hard links in a scratch folder, removed
# at the end. RUNS (default 3) runs per size, the fastest kept;
# PALISADE names the binary (default target/release/palisade, built if absent).
set -euo pipefail

bin=${PALISADE:-target/release/palisade}
runs=${RUNS:-3}
[ -x "$bin" ] || cargo build --release --locked -q
if [ $# -eq 0 ]; then
  set -- ../shared/corpus/terraform/terraform-aws-modules+*
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/palisade-scaling.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

printf '%-5s %8s %9s %9s %10s %9s %11s %10s\n' size files MB seconds MB/s "peak RSS" "time ratio" "RSS ratio"
base_s='' base_rss=''
for n in 1 2 4; do
  for i in $(seq "$n"); do
    mkdir -p "$scratch/$n/copy$i"
    for p in "$@"; do
      cp -al "$p" "$scratch/$n/copy$i/" 2>/dev/null || cp -r "$p" "$scratch/$n/copy$i/"
    done
  done
  best='' rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$scratch/time" \
      "$bin" scan "$scratch/$n" --format sarif -o "$scratch/out.sarif" --fail-on none --quiet || true
    # GNU time puts "Command exited with non-zero status N" first when the
    # scan reports files it could not read (exit code 2): the figures are last.
    read -r s kb < <(tail -n 1 "$scratch/time")
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  files=$(find "$scratch/$n" -type f \( -name '*.tf' -o -name '*.tfvars' -o -name '*.tf.json' -o -name 'Dockerfile*' -o -name '*.yml' -o -name '*.yaml' \) | wc -l)
  bytes=$(find "$scratch/$n" -type f \( -name '*.tf' -o -name '*.tfvars' -o -name '*.tf.json' -o -name 'Dockerfile*' -o -name '*.yml' -o -name '*.yaml' \) -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  base_s=${base_s:-$best} base_rss=${base_rss:-$rss}
  awk -v n="$n" -v f="$files" -v b="$bytes" -v s="$best" -v r="$rss" -v bs="$base_s" -v br="$base_rss" 'BEGIN {
    printf "%-5s %8d %9.2f %9.3f %10.1f %6.0f MB %10.2fx %9.2fx\n", n "x", f, b/1e6, s, b/1e6/s, r/1024, s/bs, r/br }'
  rm -rf "$scratch/$n"
done
