#!/usr/bin/env python3
"""Import graph between the stage modules of src/ (from `use crate::X` and `crate::X::` paths) and
its cycles; exits 1 when there is one (issue 17: no import circle between stages).
Nodes: top-level modules, with source/detect/report/config split one level (source::git,
detect::encoded, ...); `--top` groups by top-level module only. Test modules are left out.
Usage: .ci/import-cycles.py [SRC] [--top]"""
import os, re, sys, itertools
root = sys.argv[1] if len(sys.argv) > 1 else 'src'
TOP = '--top' in sys.argv
SPLIT = () if TOP else ('source', 'detect', 'report', 'config')
def node_of(path):
    rel = os.path.relpath(path, root)[:-3].split('/')
    if rel[-1] == 'mod': rel = rel[:-1]
    return rel[0] if rel[0] not in SPLIT or len(rel) < 2 else '::'.join(rel[:2])
def target(p):
    parts = p.split('::')
    if parts[0] in SPLIT and len(parts) > 1 and parts[1][0].islower():
        sub = os.path.join(root, parts[0], parts[1])
        if os.path.isdir(sub) or os.path.isfile(sub + '.rs'): return '::'.join(parts[:2])
    return parts[0]
edges = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith('.rs') or f == 'main.rs': continue
        p = os.path.join(d, f); n = node_of(p)
        text = open(p).read()
        text = re.split(r'#\[cfg\(test\)\]\s*mod tests', text)[0]
        for m in re.finditer(r'crate::((?:[a-z_0-9]+::)*[a-zA-Z_0-9]+)', text):
            t = target(m.group(1))
            if t != n and not (n.startswith(t + '::')) and not t.startswith(n + '::'):
                edges.setdefault(n, set()).add(t)
        for m in re.finditer(r'\buse crate::\{([^;]*)\}', text):
            for item in re.split(r',\s*', m.group(1)):
                item = item.strip().split('::')[0].strip('{} \n')
                if item and item != 'self':
                    t = target(item)
                    if t != n and not n.startswith(t + '::') and not t.startswith(n + '::'):
                        edges.setdefault(n, set()).add(t)
# cycles via Tarjan SCC
index, low, stack, on, sccs, i = {}, {}, [], set(), [], [0]
nodes = set(edges) | {t for v in edges.values() for t in v}
sys.setrecursionlimit(10000)
def sc(v):
    index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v: break
        if len(c) > 1: sccs.append(sorted(c))
for v in sorted(nodes):
    if v not in index: sc(v)
for n in sorted(edges): print(f"{n:18} -> {', '.join(sorted(edges[n]))}")
print("cycles:", sccs if sccs else "none")
for c in sccs:
    for a, b in itertools.permutations(c, 2):
        if b in edges.get(a, ()) and a in edges.get(b, ()): print(f"  mutual: {a} <-> {b}")
sys.exit(1 if sccs else 0)
