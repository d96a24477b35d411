#!/usr/bin/env python3
"""Generate a deterministic bare git repository of many small objects (pack-engine scale).

usage: gen_history.py DEST [--commits N] [--keys K] [--seed S] [--repack] [--force]

Each of the N commits (default 200000) rewrites one small file (~80 bytes) among 4096
files at depth 3 (`dXX/sYY/fZZ.txt`), so each commit adds five objects: the commit, the
root tree, two subtrees and the blob. 200 k commits give ~1.0 M objects, 1 M commits
~5.0 M, 2 M commits ~10 M. The stream goes straight into `git fast-import`, whose own
pack (deltas against each path's previous version) is kept; `--repack` runs
`git repack -adf` afterwards (slow on millions of objects).

K live keys (default 20; lfk_sk_ keys and Lofty JWS tokens from gen_tree.py) are planted
at commits spread over the history, each in the file that commit rewrites, and removed
again by a later rewrite of that file a few commits on (the last one is left in the
tip). Writes DEST.expected.json: each planted key's path, commit number and SHA-256.
Same arguments, same repository (same commit ids).
"""
import argparse, hashlib, json, os, random, shutil, subprocess, sys

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_tree import WORDS, live_key  # noqa: E402

FANOUT = 16  # 16 x 16 x 16 = 4096 files


def path_of(f):
    return f"d{f // (FANOUT * FANOUT):02x}/s{f // FANOUT % FANOUT:02x}/f{f % FANOUT:02x}.txt"


def body(r, no):
    """~80 bytes of ordinary text, different for every commit."""
    words = " ".join(r.choice(WORDS) for _ in range(8))
    return f"revision {no}: {words} {r.randrange(10**9)}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dest")
    ap.add_argument("--commits", type=int, default=200_000)
    ap.add_argument("--keys", type=int, default=20, help="live keys planted and removed (default 20)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repack", action="store_true", help="git repack -adf afterwards")
    ap.add_argument("--force", action="store_true", help="replace DEST if it exists")
    a = ap.parse_args()
    if os.path.exists(a.dest):
        if not a.force:
            sys.exit(f"gen_history.py: {a.dest} exists (use --force to replace it)")
        shutil.rmtree(a.dest)
    if shutil.which("git") is None:
        sys.exit("gen_history.py: git not found")
    n = max(a.commits, 2)
    r = random.Random(a.seed)
    nfiles = FANOUT ** 3
    plant = {}  # commit number -> key index
    for k in range(a.keys):
        plant[(k + 1) * n // (a.keys + 1)] = k
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", a.dest], check=True)
    fi = subprocess.Popen(["git", "-C", a.dest, "fast-import", "--quiet", "--done",
                           "--depth=50", "--active-branches=1"], stdin=subprocess.PIPE,
                          bufsize=1 << 20)
    out = fi.stdin
    expected, pending = [], {}  # pending: commit number -> file whose key it removes
    when = 1_600_000_000
    for no in range(n):
        if no in pending:
            f = pending.pop(no)
        else:
            f = r.randrange(nfiles) if no >= nfiles else no
        text = body(r, no)
        if no in plant:
            key, prefix = live_key(r)
            text += f"{prefix}{key}\n"
            expected.append({"path": path_of(f), "commit": no,
                             "sha256": hashlib.sha256(key.encode()).hexdigest()})
            if no + 3 < n:
                pending[no + 3] = f  # removed three commits later
        data = text.encode()
        msg = f"change {no}\n".encode()
        head = (f"commit refs/heads/main\nmark :{no + 1}\n"
                f"author Ada Byron <ada@example.com> {when + no} +0000\n"
                f"committer Ada Byron <ada@example.com> {when + no} +0000\n"
                f"data {len(msg)}\n").encode() + msg
        if no:
            head += f"from :{no}\n".encode()
        out.write(head + f"M 100644 inline {path_of(f)}\ndata {len(data)}\n".encode() + data + b"\n")
    out.write(b"done\n")
    out.close()
    if fi.wait() != 0:
        sys.exit("gen_history.py: git fast-import failed")
    if a.repack:
        subprocess.run(["git", "-C", a.dest, "repack", "-adfq"], check=True)
    with open(a.dest.rstrip("/") + ".expected.json", "w") as fh:
        json.dump({"commits": n, "keys": expected}, fh, indent=1)
    print(f"gen_history.py: {a.dest}: {n} commits, {len(expected)} keys planted", file=sys.stderr)


if __name__ == "__main__":
    main()
