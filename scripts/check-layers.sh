#!/usr/bin/env bash
# Checks that the code keeps its dependencies one way (DESIGN.md §1):
#
#   host → optim → exec, config → resources → plugin, graph → model → sdk
#
# Layers, lowest first (folders on one line are peers of one layer):
#   0. sdk/include/inf   the SDK, <inf/...>: what plugins see
#   1. core/model        values, parameters, options, modules; classes are
#                        looked up through InfClassResolver, never the registry
#   2. core/plugin       the class registry and the plugin loader
#      core/graph        graphs and the tracer
#   3. core/resources    endpoints, the resource manager, HTTP, budget, cache
#   4. core/exec         execution state, scheduler, batch runner, checkpoints
#      core/config       config loading and the graph module
#   5. core/optim        losses, optimizers, the training loop
#   6. core/host         the inf-engine program
# A file of core/X may include "X/..." and the headers of lower layers only,
# never those of its peers or of a higher layer. Plugins (plugins/) include
# the SDK only (<inf/...> and their own headers), never "core" headers.
#
#   ./scripts/check-layers.sh     lists the offending includes (exit 1 if any)
set -euo pipefail
cd "$(dirname "$0")/.."

layers=(
  "model"
  "plugin graph"
  "resources"
  "exec config"
  "optim"
  "host"
)
declare -A rank
for i in "${!layers[@]}"; do
  for folder in ${layers[$i]}; do
    rank[$folder]=$((i + 1))
  done
done

bad=0
# "file:line:#include "folder/header.h"" for every include of a core header.
while IFS=: read -r file line text; do
  dir=${file#core/}
  dir=${dir%%/*}
  target=$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"$text")
  if [ -z "${rank[$dir]:-}" ]; then
    echo "layers: $file: folder core/$dir has no layer; add it to scripts/check-layers.sh" >&2
    bad=1
    continue
  fi
  [ "$target" = "$dir" ] && continue
  if [ -z "${rank[$target]:-}" ]; then
    echo "layers: $file:$line: includes \"$target/...\", which is no core folder" >&2
    bad=1
  elif [ "${rank[$target]}" -ge "${rank[$dir]}" ]; then
    echo "layers: $file:$line: core/$dir (layer ${rank[$dir]}) includes core/$target" \
      "(layer ${rank[$target]}): a file may include its own folder and lower layers only" >&2
    bad=1
  fi
done < <(git grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[^/"]+/' -- 'core/*.c' 'core/*.h')

# Relative includes that climb out of a folder hide a dependency.
while IFS= read -r hit; do
  echo "layers: $hit: include core headers as \"folder/header.h\", not through .." >&2
  bad=1
done < <(git grep -n -E '#[[:space:]]*include[[:space:]]+"\.\./' -- 'core/*.c' 'core/*.h' \
  'plugins/*.c' 'plugins/*.h' || true)

# Plugins see the SDK only.
folders=$(printf '%s\n' "${layers[@]}" | tr ' ' '\n' | paste -sd'|')
while IFS= read -r hit; do
  echo "layers: $hit: plugins include the SDK (<inf/...>) only, never core headers" >&2
  bad=1
done < <(git grep -n -E "#[[:space:]]*include[[:space:]]+\"($folders)/" -- 'plugins/*.c' \
  'plugins/*.h' || true)

if [ "$bad" -ne 0 ]; then
  exit 1
fi
echo "layers: every include goes down: sdk < model < plugin, graph < resources < exec, config < optim < host"
