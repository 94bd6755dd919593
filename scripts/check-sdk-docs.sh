#!/usr/bin/env bash
# Checks that every INF_API declaration of the SDK headers is documented in
# the notation of sdk/include/inf/inf.h ("How to read these headers"):
#
#  - a /* ... */ comment ends on the line right before the declaration;
#  - the comment has a "Since: MAJOR.MINOR" line (the ABI minor that added it);
#  - a function returning a pointer has a "Returns:" line with (transfer full)
#    or (transfer none);
#  - every pointer parameter has an "@name:" line with (transfer ...) or (out),
#    except a GError ** and a first parameter that is the Inf object the
#    function acts on (InfTask *task of inf_task_*, ...), which the notation
#    covers once;
#  - every header with an INF_API says "Thread:" somewhere.
#
#   ./scripts/check-sdk-docs.sh              checks sdk/include/inf/*.h
#   ./scripts/check-sdk-docs.sh DIR|FILE...  checks those headers
#
# Prints "FILE:LINE: FUNCTION: what is missing" for each problem and exits 1
# when there is any.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  set -- "$(dirname "$0")/../sdk/include/inf"
fi

exec python3 - "$@" <<'EOF'
import os
import re
import sys

files = []
for arg in sys.argv[1:]:
    if os.path.isdir(arg):
        files += sorted(os.path.join(arg, f) for f in os.listdir(arg) if f.endswith('.h'))
    else:
        files.append(arg)
if not files:
    print('check-sdk-docs: no headers given', file=sys.stderr)
    sys.exit(2)

SINCE = re.compile(r'\bSince: \d+\.\d+\b')
RETURNS = re.compile(r'\bReturns: .*\(transfer (full|none)\)')
ATTRS = re.compile(r'\b(G_GNUC_\w+|G_GNUC_PRINTF)\s*(\([^)]*\))?')
# A parameter that is the object the function acts on, named by the function:
# "InfTask *task" of inf_task_*, "const InfValue *value" of inf_value_*.
OBJECT_PARAM = re.compile(r'^(const\s+)?Inf\w+\s*\*\s*\w+$')

problems = []
n_decls = 0


def report(path, line, name, what):
    problems.append(f'{path}:{line}: {name}: {what}')


def split_params(text):
    params, depth, cur = [], 0, ''
    for ch in text:
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth -= 1
        if ch == ',' and depth == 0:
            params.append(cur.strip())
            cur = ''
        else:
            cur += ch
    if cur.strip():
        params.append(cur.strip())
    return params


for path in files:
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    has_thread = any('Thread:' in l for l in lines)
    first_api = None
    in_comment = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        # Skip comment bodies, so that "INF_API" in prose is not a declaration.
        if in_comment:
            if '*/' in line:
                in_comment = False
            i += 1
            continue
        if stripped.startswith('/*') and '*/' not in stripped:
            in_comment = True
            i += 1
            continue
        if not re.match(r'^INF_API\b', stripped):
            i += 1
            continue
        start = i
        decl = stripped
        while ';' not in decl and i + 1 < len(lines):
            i += 1
            decl += ' ' + lines[i].strip()
        i += 1
        n_decls += 1
        if first_api is None:
            first_api = start + 1
        decl = ATTRS.sub('', decl)
        m = re.match(r'^INF_API\s+(.*?)\b(\w+)\s*\((.*)\)\s*;', decl)
        if not m:
            report(path, start + 1, '?', 'cannot parse this INF_API declaration')
            continue
        ret, name, params = m.group(1), m.group(2), m.group(3)

        # The comment that ends on the line right before.
        if start == 0 or not lines[start - 1].rstrip().endswith('*/'):
            report(path, start + 1, name, 'no comment right before the INF_API declaration')
            continue
        j = start - 1
        while j >= 0 and '/*' not in lines[j]:
            j -= 1
        if j < 0:
            report(path, start + 1, name, 'no comment right before the INF_API declaration')
            continue
        comment = '\n'.join(lines[j:start])
        comment = comment[comment.index('/*'):]

        if not SINCE.search(comment):
            report(path, start + 1, name, 'the comment has no "Since: 1.N" line')
        if '*' in ret and not RETURNS.search(comment):
            report(path, start + 1, name,
                   'returns a pointer but the comment has no "Returns: (transfer full|none)"')
        prefix = name
        for index, param in enumerate(split_params(params)):
            if param in ('void', '...') or '*' not in param:
                continue
            pname = re.search(r'(\w+)\s*$', param).group(1)
            ptype = param[:-len(pname)].strip()
            if re.match(r'^GError\s*\*\*$', ptype):
                continue
            if index == 0 and OBJECT_PARAM.match(param):
                continue
            pm = re.search(r'^[ \t]*(?:/\*|\*)?[ \t]*@' + pname + r':(.*)', comment, re.M)
            if not pm or not re.search(r'\((transfer (full|none)|out)\)', pm.group(1)):
                report(path, start + 1, name,
                       f'pointer parameter @{pname} has no "@{pname}: (transfer full|none)" '
                       'or "(out)" line')
    if first_api is not None and not has_thread:
        report(path, first_api, '-', 'the header never says "Thread:" (once at the top is enough)')

for p in problems:
    print(p)
if problems:
    sys.stdout.flush()
    print(f'check-sdk-docs: {len(problems)} problem(s) in {n_decls} INF_API declarations '
          '(see "How to read these headers" in sdk/include/inf/inf.h)', file=sys.stderr)
    sys.exit(1)
print(f'check-sdk-docs: {n_decls} INF_API declarations in {len(files)} headers documented')
EOF
