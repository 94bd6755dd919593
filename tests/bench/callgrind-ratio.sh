#!/usr/bin/env bash
# Instruction count of W1 (the bench's diamond, mock endpoints at latency 0,
# max_inflight 1024) under callgrind, for this tree against a baseline commit,
# on the same inputs and the same command:
#   tests/bench/callgrind-ratio.sh BASE_COMMIT [N_INPUTS (default 5000)]
# Prints both counts and the ratio this tree / baseline (below 1: fewer
# instructions). The baseline is built in a temporary git worktree
# (build-bench, release), removed afterwards; this tree uses build-bench.
# Compare instruction counts, not wall time, on a loaded machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${1:?usage: $0 BASE_COMMIT [N_INPUTS]}
n=${2:-5000}
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
tmp=$(mktemp -d)
old="$tmp/base"
cleanup() {
  git worktree remove --force "$old" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
git worktree add --detach "$old" "$base" >/dev/null 2>&1
for tree in "$old" "$PWD"; do
  [ -d "$tree/build-bench" ] || meson setup "$tree/build-bench" "$tree" --buildtype=release >/dev/null
  ninja -C "$tree/build-bench" >/dev/null
done
for ((i = 0; i < n; i++)); do
  printf '{"text": "Input %d talks about a product launch, its price and the first reviews from customers."}\n' "$i"
done >"$tmp/inputs.jsonl"
cat >"$tmp/w1.json" <<'JSON'
{"resources": {"max_inflight_graphs": 1024, "endpoints": {
  "fast": {"provider": "mock", "latency_ms": 0, "max_concurrent": 0},
  "smart": {"provider": "mock", "latency_ms": 0, "max_concurrent": 0}}},
 "modules": {
  "fast": {"type": "llm", "alias": "fast"},
  "smart": {"type": "llm", "alias": "smart"},
  "join": {"type": "template", "template": "{0} | {1} | {2}"},
  "w1": {"type": "graph", "inputs": ["text"], "nodes": {
    "summary": {"module": "fast", "args": ["$text"]},
    "keywords": {"module": "fast", "args": ["$summary"]},
    "sentiment": {"module": "fast", "args": ["$text"]},
    "notes": {"module": "join", "args": ["$summary", "$keywords", "$sentiment"]},
    "report": {"module": "smart", "args": ["$notes"]}},
   "outputs": {"report": "$report", "sentiment": "$sentiment"}}},
 "main": "w1"}
JSON
# The engine's own count: newer trees probe plugins in a forked child, which
# callgrind follows too and which ends first; the engine's line is the last.
count() { # tree label
  INF_PLUGIN_PATH="$1/build-bench/plugins" valgrind --tool=callgrind \
    --callgrind-out-file="$tmp/callgrind.$2.%p" "$1/build-bench/core/inf-engine" run \
    "$tmp/w1.json" --input "$tmp/inputs.jsonl" --quiet --max-inflight 1024 >/dev/null \
    2>"$tmp/valgrind.$2"
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/valgrind.$2" | tail -n 1
}
b=$(count "$old" base)
h=$(count "$PWD" head)
echo "W1 $n inputs, callgrind instructions: base $base $b, this tree $h"
awk -v b="$b" -v h="$h" 'BEGIN { printf "W1 instruction ratio (this tree / base): %.3f\n", h / b }'
