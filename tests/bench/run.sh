#!/usr/bin/env bash
# Runs the benchmarks against a release build:
#   tests/bench/run.sh [w1a|w1b|w1c|w1s|w1k|w1-cache|trace|w2|w3|all] [--quick]  the engine (W1-W3, checkpoint, cache, trace)
#   tests/bench/run.sh limits [accuracy|recovery|all] [--quick]  rate limiting
#   tests/bench/run.sh schema [--quick]                          JSON Schema validation
# Instruction counts (callgrind) of W1 against a baseline commit: tests/bench/callgrind-ratio.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build-bench
if [ ! -d "$build" ]; then
  meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" >/dev/null
export INF_ENGINE="$PWD/$build/core/inf-engine"
export INF_PLUGIN_PATH="$PWD/$build/plugins"
if [ "${1:-}" = limits ]; then
  shift
  exec "$build/tests/bench/bench-limits" "$@" --json "$build/bench-limits.json"
fi
if [ "${1:-}" = schema ]; then
  shift
  exec "$build/tests/bench/bench-json-schema" "$@" --json "$build/bench-json-schema.json"
fi
exec "$build/tests/bench/bench-engine" "$@" --json "$build/bench-engine.json"
