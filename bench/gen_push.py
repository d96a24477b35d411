#!/usr/bin/env python3
"""Commits to push, for the pre-receive benchmark (bench/prereceive.sh).

usage: gen_push.py REPO BASE BRANCH COMMITS [--key]

Writes COMMITS new commits on top of BASE (a commit of REPO) to refs/heads/BRANCH with
git fast-import, dated after BASE: commit i appends a line to two of 200 existing source files of BASE's
tree (chosen deterministically), so each commit changes real files of realistic size.
With --key the last commit also adds config/deploy.env holding a live lfk_sk_ key
(deterministic, made up). Prints nothing; exit status is fast-import's.
"""

import random
import subprocess
import sys


def main():
    repo, base, branch, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    key = "--key" in sys.argv[5:]
    rng = random.Random(20)
    ls = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--format=%(objectsize) %(path)", base],
                        check=True, capture_output=True, text=True).stdout.split("\n")
    sources = sorted(p for s, p in (l.split(" ", 1) for l in ls if l)
                     if p.endswith((".c", ".h", ".sh", ".txt")) and 2000 < int(s) < 100_000)
    files = rng.sample(sources, 200)
    content = {}
    for f in files:
        content[f] = subprocess.run(["git", "-C", repo, "show", f"{base}:{f}"], check=True,
                                    capture_output=True).stdout
    out = []
    # Dated after BASE, a minute apart, as commits made on top of it are.
    when = int(subprocess.run(["git", "-C", repo, "show", "-s", "--format=%ct", base], check=True,
                              capture_output=True, text=True).stdout) + 60
    for i in range(n):
        changed = {files[(i * 7) % 200], files[(i * 13 + 5) % 200]}
        msg = f"bench commit {i}\n".encode()
        out.append(f"commit refs/heads/{branch}\n".encode())
        out.append(f"author Bench <bench@example.org> {when + i * 60} +0000\n".encode())
        out.append(f"committer Bench <bench@example.org> {when + i * 60} +0000\n".encode())
        out.append(b"data %d\n%s" % (len(msg), msg))
        if i == 0:
            out.append(f"from {base}\n".encode())
        for f in sorted(changed):
            content[f] += f"/* bench change {i} */\n".encode()
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (f.encode(), len(content[f]), content[f]))
        if key and i == n - 1:
            body = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                           for _ in range(40))
            env = f"APP=web\nTRUSTLEADS_KEY=lfk_sk_{body}\n".encode()
            out.append(b"M 100644 inline config/deploy.env\ndata %d\n%s\n" % (len(env), env))
        out.append(b"\n")
    r = subprocess.run(["git", "-C", repo, "fast-import", "--quiet", "--force"], input=b"".join(out))
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
