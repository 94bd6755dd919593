#!/usr/bin/env bash
# Checks that every C source and header follows .clang-format.
#
#   ./scripts/check-style.sh          report files that drift (exit 1 if any)
#   ./scripts/check-style.sh --fix    reformat them in place
#
# Uses clang-format 14 (Debian bookworm's); scripts/deps.sh installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi

drift=()
for file in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
    drift+=("$file")
  fi
done
if [ "${#drift[@]}" -gt 0 ]; then
  echo "style: ${#drift[@]} file(s) differ from .clang-format (run ./scripts/check-style.sh --fix):" >&2
  printf '  %s\n' "${drift[@]}" >&2
  exit 1
fi
echo "style: ${#files[@]} files follow .clang-format"
