#!/usr/bin/env bash
# Installs what is missing, builds inf-engine in ./build and runs the
# quickstart pipeline (configs/quickstart.json) over configs/quickstart.jsonl
# on the built-in mock backend: offline, no API key.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
meson compile -C build

set -x
build/core/inf-engine run configs/quickstart.json --input configs/quickstart.jsonl --ordered --stats
