#!/usr/bin/env bash
# scripts/check-function-length.sh must fail, naming the file, the line and
# the function, on a function of 81 lines with no "Long:" reason in the
# comment above it; and pass on one of 80 lines, and on one of 81 lines whose
# comment gives the reason.
#
#   test-check-function-length.sh SOURCE_ROOT
set -euo pipefail

root=${1:?usage: test-check-function-length.sh SOURCE_ROOT}
check="$root/scripts/check-function-length.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Writes to $1 a file with a comment $2 and a function "long_one" of $3
# lines (from its name to its closing brace), then a short function.
write_file() {
  {
    echo '#include <stdio.h>'
    echo ''
    echo "/* $2 */"
    echo 'static int'
    echo 'long_one(int x)'
    echo '{'
    for _ in $(seq 1 $(($3 - 4))); do
      echo '  x += 1;'
    done
    echo '  return x;'
    echo '}'
    echo ''
    echo 'int'
    echo 'short_one(void)'
    echo '{'
    echo '  return long_one(1);'
    echo '}'
  } >"$1"
}

write_file "$tmp/ok.c" "Adds." 80
"$check" "$tmp/ok.c" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "an 80-line function failed"; }

write_file "$tmp/long.c" "Adds." 81
if "$check" "$tmp/long.c" >"$tmp/out" 2>&1; then
  fail "passed on an 81-line function with no reason"
fi
grep -qF "$tmp/long.c:5: long_one is 81 lines" "$tmp/out" ||
  { cat "$tmp/out" >&2; fail "did not name long.c:5 and long_one"; }

write_file "$tmp/reason.c" "Adds.
 * Long: one step per line, read as a list." 81
"$check" "$tmp/reason.c" >"$tmp/out" 2>&1 ||
  { cat "$tmp/out" >&2; fail "failed on an 81-line function whose comment gives a reason"; }

echo "ok"
