#!/usr/bin/env bash
# Runs the engine benchmarks (W1a/b/c, W2, W3) against a release build.
#   tests/bench/run.sh [w1a|w1b|w1c|w2|w3|all] [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build-bench
if [ ! -d "$build" ]; then
  meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" >/dev/null
export INF_ENGINE="$PWD/$build/core/inf-engine"
export INF_PLUGIN_PATH="$PWD/$build/plugins"
"$build/tests/bench/bench-engine" "$@" --json "$build/bench-engine.json"
