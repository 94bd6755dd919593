#!/usr/bin/env bash
# Builds inf-engine and runs the test suites (unit and integration).
#
#   ./scripts/test.sh                        in ./build
#   BUILD_DIR=build-asan ./scripts/test.sh -Db_sanitize=address,undefined -Db_lundef=false
#
# Extra arguments are meson options for the build dir.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build}
if [ -f "$build_dir/build.ninja" ]; then
  if [ "$#" -gt 0 ]; then
    meson configure "$build_dir" "$@"
  fi
else
  meson setup "$build_dir" "$@"
fi
meson compile -C "$build_dir"
meson test -C "$build_dir" --suite unit --suite integration --print-errorlogs
