#!/usr/bin/env bash
# HTTP throughput: the openai client path (resource manager -> openai plugin
# -> HTTP session, 64 requests in flight) against the loopback fake server
# (inf-fake-llm, its own process, latency 0), versus wrk's ceiling against
# the same server with the same connection count (wrk -c 64 -t 2 -d 10s, a
# POST script with the same body). Prints both and the ratio (target >= 0.8)
# and writes build-bench/bench-http.json.
#
#   tests/bench/http/run.sh [bench-http options: --requests N --rounds N
#                            --wrk-seconds N --wrk-threads N --in-flight N]
#
# Needs wrk (Debian package wrk). Run it on an otherwise idle machine: the
# client, the server and wrk share the CPUs.
set -euo pipefail
cd "$(dirname "$0")/../../.."
build=build-bench
if [ ! -d "$build" ]; then
  meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" tests/http/bench-http tests/support/inf-fake-llm plugins/openai.so >/dev/null
command -v "${WRK:-wrk}" >/dev/null || { echo "run.sh: wrk not found (apt-get install wrk)" >&2; exit 1; }
export INF_PLUGIN_PATH="$PWD/$build/plugins"
export INF_FAKE_LLM="$PWD/$build/tests/support/inf-fake-llm"
exec "$build/tests/http/bench-http" --json "$build/bench-http.json" "$@"
