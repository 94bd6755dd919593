#!/usr/bin/env bash
# scripts/check-sdk-docs.sh must fail, naming the file, the line and the
# function, on a copy of the SDK headers where one INF_API declaration lost
# its comment, and where another comment lost its "Since:" line; and pass on
# the unchanged copy.
#
#   test-check-sdk-docs.sh SOURCE_ROOT
set -euo pipefail

root=${1:?usage: test-check-sdk-docs.sh SOURCE_ROOT}
check="$root/scripts/check-sdk-docs.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$root"/sdk/include/inf/*.h "$tmp/"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The unchanged copy passes.
"$check" "$tmp" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "the unchanged headers do not pass"; }

# Removes the /* ... */ comment right before the line declaring function $2
# in file $1, and prints that line's new number.
remove_comment() {
  python3 - "$1" "$2" <<'PY'
import re, sys
path, name = sys.argv[1], sys.argv[2]
lines = open(path).read().split('\n')
decl = next(i for i, l in enumerate(lines) if l.startswith('INF_API') and re.search(r'\b' + name + r'\(', l))
assert lines[decl - 1].rstrip().endswith('*/'), 'no comment before ' + name
start = decl - 1
while '/*' not in lines[start]:
    start -= 1
del lines[start:decl]
open(path, 'w').write('\n'.join(lines))
print(start + 1)
PY
}

# 1. A declaration without a comment.
cp "$tmp/value.h" "$tmp/value.h.orig"
line=$(remove_comment "$tmp/value.h" inf_value_ref)
if "$check" "$tmp" >"$tmp/out" 2>&1; then
  cat "$tmp/out" >&2
  fail "passed with the comment of inf_value_ref removed"
fi
grep -qF "$tmp/value.h:$line: inf_value_ref: no comment" "$tmp/out" ||
  { cat "$tmp/out" >&2; fail "did not name value.h:$line and inf_value_ref"; }
[ "$(grep -c ':[0-9]*: ' "$tmp/out")" -eq 1 ] || { cat "$tmp/out" >&2; fail "reported more than one problem"; }
mv "$tmp/value.h.orig" "$tmp/value.h"

# 2. A comment without "Since:".
line=$(grep -n '^INF_API.*inf_task_get_node_id(' "$tmp/task.h" | cut -d: -f1)
python3 - "$tmp/task.h" inf_task_get_node_id <<'PY'
import re, sys
path, name = sys.argv[1], sys.argv[2]
text = open(path).read()
lines = text.split('\n')
decl = next(i for i, l in enumerate(lines) if l.startswith('INF_API') and name + '(' in l)
start = decl - 1
while '/*' not in lines[start]:
    start -= 1
for k in range(start, decl):
    lines[k] = re.sub(r'Since: \d+\.\d+\.?', '', lines[k])
open(path, 'w').write('\n'.join(lines))
PY
if "$check" "$tmp" >"$tmp/out" 2>&1; then
  cat "$tmp/out" >&2
  fail "passed with the Since: line of inf_task_get_node_id removed"
fi
grep -qF "$tmp/task.h:$line: inf_task_get_node_id: the comment has no \"Since: 1.N\" line" "$tmp/out" ||
  { cat "$tmp/out" >&2; fail "did not name task.h:$line and inf_task_get_node_id"; }

echo "ok: check-sdk-docs.sh fails on an undocumented INF_API and on a missing Since:"
