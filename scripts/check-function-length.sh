#!/usr/bin/env bash
# Checks that no function of the engine, the SDK or the bundled plugins is
# longer than 80 lines unless the comment right above its definition gives
# the reason, in a line that starts with "Long:" (for example
# " * Long: one switch over every option type; each case is a few lines.").
#
# A function is counted from the line of its name (GNU style: the name at
# the start of a line, its return type on the line before) to its closing
# brace at the start of a line.
#
#   ./scripts/check-function-length.sh            lists the offenders (exit 1 if any)
#   ./scripts/check-function-length.sh FILE.c...  checks these files only
#   ./scripts/check-function-length.sh --all      lists every function over the
#                                                 limit, with or without a reason
#   LIMIT=60 ./scripts/check-function-length.sh   another limit
#
# The tests (tests/) are not checked: a test function is a script of steps
# and assertions, read from top to bottom.
set -euo pipefail

limit=${LIMIT:-80}
all=0
if [ "${1:-}" = "--all" ]; then
  all=1
  shift
fi
if [ $# -gt 0 ]; then
  files=("$@")
else
  cd "$(dirname "$0")/.."
  mapfile -t files < <(git ls-files 'core/*.c' 'sdk/*.c' 'plugins/*.c' 2>/dev/null ||
    find core sdk plugins -name '*.c')
fi

awk -v limit="$limit" -v all="$all" '
  FNR == 1 { name = ""; comment = ""; in_comment = 0; reason = 0; prev_reason = 0 }
  # The comment block above a definition: remember whether it says "Long:".
  /^\/\*/ { in_comment = 1; reason = 0 }
  in_comment && /^[ \/]*\*? *Long:/ { reason = 1 }
  in_comment && /\*\// { in_comment = 0; prev_reason = reason; next }
  in_comment { next }
  # A definition starts with the name at column 0 followed by "(".
  name == "" && /^[A-Za-z_][A-Za-z0-9_]*\(/ {
    name = $0; sub(/\(.*/, "", name); start = FNR; has_reason = prev_reason; body = 0
  }
  name != "" && /^{/ { body = 1 }
  name != "" && /^}/ {
    n = FNR - start + 1
    if (n > limit && (all || !has_reason))
      printf "%s:%d: %s is %d lines%s\n", FILENAME, start, name, n,
             has_reason ? " (reason given)" : " with no \"Long:\" reason in the comment above it"
    if (n > limit && !has_reason) bad = 1
    name = ""; prev_reason = 0
    next
  }
  # A declaration (a prototype, a macro call) ends with ";" before any body.
  name != "" && !body && /;[ \t]*$/ { name = ""; next }
  # Anything else between comment and definition (a return type) keeps the
  # reason; a blank line or code at top level forgets it.
  name == "" && /^$/ { prev_reason = 0 }
  END { exit bad }
' "${files[@]}"
