#!/usr/bin/env bash
# Installs what is missing, builds inf-engine in ./build and shows it at work:
# the plugins it finds and the `llm` module class.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
meson compile -C build

set -x
build/core/inf-engine plugins
build/core/inf-engine inspect llm
