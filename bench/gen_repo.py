#!/usr/bin/env python3
"""Generate a deterministic git repository (bare) for benchmarks.

usage: gen_repo.py DEST [--commits N] [--keys N] [--files N] [--seed S] [--force]

Builds DEST as a bare repository with `git fast-import`: a `main` branch of small
source, config and data files edited over N commits (default 3000), side branches
that fork from main, get their own commits and are merged back (a few are left
unmerged), and a tag every few hundred commits. Author dates only increase.

Live keys (lfk_sk_ keys and Lofty JWS tokens, from gen_tree.py's generators) are added
in some commits and removed a few commits later (default 200 keys, on main and on side
branches; a key planted on a branch that is merged before its removal is removed on
main after the merge); decoys (placeholders, truncated and unsigned tokens) are added
and left in place. Writes DEST.expected.json listing each planted live key's path and
SHA-256 (of the exact key text), like gen_tree.py. Finally `git repack -adf` leaves the
history in one pack with deltas. Same args, same repository (same commit ids).
"""
import argparse, hashlib, json, os, random, shutil, subprocess, sys

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_tree import WORDS, code_line, decoy, live_key  # noqa: E402

AUTHORS = [("Ada Byron", "ada@example.com"), ("Grace Hopper", "grace@example.com"),
           ("Linus Pauling", "linus@example.com"), ("Barbara Liskov", "barbara@example.com"),
           ("Ken Thompson", "ken@example.com"), ("Frances Allen", "frances@example.com")]
DIRS = ["src", "src/api", "src/core", "src/util", "lib", "tests", "scripts", "config",
        "deploy", "docs", "web/js", "web/css", "data"]
EXT_BY_DIR = {"config": ["env", "yaml", "json", "toml"], "deploy": ["yaml", "env", "sh"],
              "docs": ["md"], "web/js": ["js"], "web/css": ["css"], "data": ["json", "csv"],
              "scripts": ["sh", "py"], "tests": ["py", "rs"]}


def line_for(r, ext):
    """One realistic-looking line for a file of this kind."""
    w = r.choice(WORDS)
    if ext in ("env",):
        return f"{w.upper()}_{r.choice(WORDS).upper()}={r.randrange(10**6)}\n"
    if ext in ("yaml",):
        return f"{'  ' * r.randrange(3)}{w}: {r.choice(WORDS)}-{r.randrange(1000)}\n"
    if ext == "toml":
        return f"{w}_{r.choice(WORDS)} = \"{r.choice(WORDS)}\"\n"
    if ext == "json":
        return f'  "{w}{r.randrange(100)}": {json.dumps(r.choice(WORDS))},\n'
    if ext == "csv":
        return ",".join(str(r.randrange(10**5)) for _ in range(r.randrange(3, 9))) + "\n"
    if ext == "md":
        return " ".join(r.choice(WORDS) for _ in range(r.randrange(5, 16))).capitalize() + ".\n"
    if ext == "css":
        return f".{w}-{r.randrange(50)} {{ margin: {r.randrange(20)}px; }}\n"
    if ext == "sh":
        return f"{w}_{r.randrange(9)}=\"$({r.choice(WORDS)} --{r.choice(WORDS)})\"\n"
    if ext == "py":
        return "    " * r.randrange(3) + f"{w} = {r.choice(WORDS)}({r.randrange(100)})\n"
    return code_line(r)


def new_file(r, path):
    ext = path.rsplit(".", 1)[1]
    n = min(int(r.lognormvariate(5.0, 1.0)) + 5, 5000)  # lines; median ~150 (~5 KB)
    return [line_for(r, ext) for _ in range(n)]


def new_path(r, taken):
    while True:
        d = r.choice(DIRS)
        ext = r.choice(EXT_BY_DIR.get(d, ["rs", "py", "go", "ts"]))
        p = f"{d}/{r.choice(WORDS)}_{r.choice(WORDS)}_{r.randrange(1000)}.{ext}"
        if p not in taken:
            return p


class Stream:
    """Writes a git fast-import stream."""

    def __init__(self, out):
        self.out, self.mark = out, 0

    def w(self, s):
        self.out.write(s.encode() if isinstance(s, str) else s)

    def data(self, b):
        if isinstance(b, str):
            b = b.encode()
        self.w(f"data {len(b)}\n")
        self.w(b)
        self.w("\n")

    def commit(self, ref, who, when, msg, parent, merge, changes):
        self.mark += 1
        self.w(f"commit {ref}\nmark :{self.mark}\n")
        self.w(f"author {who[0]} <{who[1]}> {when} +0000\n")
        self.w(f"committer {who[0]} <{who[1]}> {when} +0000\n")
        self.data(msg)
        if parent:
            self.w(f"from :{parent}\n")
        if merge:
            self.w(f"merge :{merge}\n")
        for path, content in changes:
            if content is None:
                self.w(f"D {path}\n")
            else:
                self.w(f"M 100644 inline {path}\n")
                self.data("".join(content))
        self.w("\n")
        return self.mark

    def tag(self, name, mark, who, when, msg):
        self.w(f"tag {name}\nfrom :{mark}\ntagger {who[0]} <{who[1]}> {when} +0000\n")
        self.data(msg)

    def reset(self, ref, mark):
        self.w(f"reset {ref}\nfrom :{mark}\n\n")


class Branch:
    def __init__(self, name, files, tip, base_files, ends_at, merge):
        self.name, self.files, self.tip = name, files, tip
        self.base = base_files          # main's files when it forked (for the merge)
        self.ends_at, self.merge = ends_at, merge
        self.pending = []               # (due_commit_no, path, key_line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dest")
    ap.add_argument("--commits", type=int, default=3000)
    ap.add_argument("--keys", type=int, default=200, help="live keys planted (default 200)")
    ap.add_argument("--files", type=int, default=300, help="files in the first commit")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="replace DEST if it exists")
    a = ap.parse_args()
    if os.path.exists(a.dest):
        if not a.force:
            sys.exit(f"gen_repo.py: {a.dest} exists (use --force to replace it)")
        shutil.rmtree(a.dest)
    if shutil.which("git") is None:
        sys.exit("gen_repo.py: git not found")

    r = random.Random(a.seed)
    n = max(a.commits, 2)
    # which commit numbers plant a live key / a decoy
    key_at = {}
    for _ in range(a.keys):
        key_at.setdefault(r.randrange(1, n), []).append(True)
    for _ in range(a.keys):
        key_at.setdefault(r.randrange(1, n), []).append(False)

    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", a.dest], check=True)
    fi = subprocess.Popen(["git", "-C", a.dest, "fast-import", "--quiet", "--done"],
                          stdin=subprocess.PIPE)
    s = Stream(fi.stdin)
    when = 1_600_000_000
    expected = []

    main_files = {}
    for _ in range(a.files):
        p = new_path(r, main_files)
        main_files[p] = new_file(r, p)
    main_files["README.md"] = [line_for(r, "md") for _ in range(30)]
    main_files["config/app.env"] = [line_for(r, "env") for _ in range(12)]
    mainb = Branch("main", main_files, None, None, None, None)
    mainb.tip = s.commit("refs/heads/main", AUTHORS[0], when, "Initial import\n", None, None,
                         sorted(main_files.items()))
    side, nbranch, tags = [], 0, 0

    def edit(b, no, plant):
        """One ordinary commit's changes on branch b: returns {path: lines or None}."""
        ch = {}
        files = b.files
        for _ in range(r.choice([1, 1, 1, 2, 2, 3, 4, 6])):
            x = r.random()
            if x < 0.06 or not files:                       # add a file
                p = new_path(r, files)
                files[p] = new_file(r, p)
            elif x < 0.09 and len(files) > 50:              # delete a file
                p = r.choice(sorted(files))
                if any(pp == p for _, pp, _ in b.pending):
                    continue
                del files[p]
                ch[p] = None
                continue
            else:                                           # edit lines
                p = r.choice(sorted(files))
                lines = files[p] = list(files[p])
                ext = p.rsplit(".", 1)[1]
                for _ in range(r.randrange(1, 8)):
                    y, i = r.random(), r.randrange(len(lines) + 1)
                    if y < 0.45:
                        lines.insert(i, line_for(r, ext))
                    elif y < 0.75 and i < len(lines) and not lines[i].startswith(KEY_LINE_MARKS):
                        lines[i] = line_for(r, ext)
                    elif i < len(lines) and len(lines) > 3 and not lines[i].startswith(KEY_LINE_MARKS):
                        del lines[i]
            ch[p] = files[p]
        for live in plant:
            p = r.choice(sorted(files))
            if r.random() < 0.4:                            # config files get most keys
                cfg = [q for q in files if q.startswith(("config/", "deploy/"))]
                if cfg:
                    p = r.choice(sorted(cfg))
            lines = files[p] = list(files[p])
            i = r.randrange(len(lines) + 1)
            if live:
                key, ctx = live_key(r)
                ln = f"{ctx}{key}\n"
                expected.append({"path": p, "sha256": hashlib.sha256(key.encode()).hexdigest()})
                b.pending.append((no + r.randrange(2, 12), p, ln))
            else:
                ln = f"example = {decoy(r)}\n"
            lines.insert(i, ln)
            ch[p] = lines
        # removals that are due
        keep = []
        for due, p, ln in b.pending:
            if due <= no and p in files and ln in files[p]:
                lines = files[p] = [x for x in files[p] if x != ln]
                if r.random() < 0.3:                        # rotated out for a placeholder
                    lines.insert(0, "TRUSTLEADS_KEY=lfk_sk_your_key_here\n")
                ch[p] = lines
            elif due <= no:
                pass
            else:
                keep.append((due, p, ln))
        b.pending = keep
        return ch

    def commit(b, no, ch, msg, merge=None):
        nonlocal when
        when += r.randrange(60, 6 * 3600)
        b.tip = s.commit(f"refs/heads/{b.name}", r.choice(AUTHORS), when, msg, b.tip, merge,
                         sorted(ch.items()))

    def do_merge(no, sb):
        # file-level three-way merge of side branch sb into main ("ours" on conflict)
        ch = {}
        for p in set(sb.base) | set(sb.files) | set(mainb.files):
            base, ours, theirs = sb.base.get(p), mainb.files.get(p), sb.files.get(p)
            if theirs != base and ours == base:
                if theirs is None:
                    del mainb.files[p]
                else:
                    mainb.files[p] = theirs
                ch[p] = theirs
        for due, p, ln in sb.pending:   # a key that came in with the merge is removed on main
            if p in mainb.files and ln in mainb.files[p]:
                mainb.pending.append((max(due, no + 1), p, ln))
        sb.pending = []
        commit(mainb, no, ch, f"Merge branch '{sb.name}'\n", merge=sb.tip)

    for no in range(1, n):
        plant = key_at.get(no, [])
        # start a side branch now and then
        if r.random() < 0.005 and len(side) < 3:
            nbranch += 1
            name = f"feature/{r.choice(WORDS)}-{nbranch}"
            life = r.randrange(5, 40)
            merge = r.random() < 0.8
            sb = Branch(name, dict(mainb.files), mainb.tip, dict(mainb.files), no + life, merge)
            s.reset(f"refs/heads/{name}", mainb.tip)
            side.append(sb)
        # merge or abandon side branches whose time has come
        for sb in [b for b in side if b.ends_at <= no]:
            side.remove(sb)
            if sb.merge:
                do_merge(no, sb)
        b = mainb
        if side and r.random() < 0.35:
            b = r.choice(side)
        ch = edit(b, no, plant)
        msg = f"{r.choice(['Fix', 'Add', 'Update', 'Refactor', 'Tidy'])} {r.choice(WORDS)} {r.choice(WORDS)}\n"
        commit(b, no, ch, msg)
        if b is mainb and no // 250 > tags:
            tags = no // 250
            s.tag(f"v0.{tags}.0", mainb.tip, AUTHORS[0], when, f"Release 0.{tags}.0\n")
    for sb in side:             # still open at the end: merge those meant to be merged
        if sb.merge:
            do_merge(n, sb)
    s.w("done\n")
    fi.stdin.close()
    if fi.wait() != 0:
        sys.exit("gen_repo.py: git fast-import failed")
    subprocess.run(["git", "-C", a.dest, "repack", "-adf", "-q"], check=True)
    subprocess.run(["git", "-C", a.dest, "prune-packed"], check=True)
    with open(a.dest.rstrip("/") + ".expected.json", "w") as f:
        json.dump(sorted(expected, key=lambda e: (e["path"], e["sha256"])), f, indent=0)
    ncommits = subprocess.run(["git", "-C", a.dest, "rev-list", "--all", "--count"],
                              check=True, capture_output=True, text=True).stdout.strip()
    print(f"{a.dest}: {ncommits} commits, {nbranch} side branches, {tags} tags, "
          f"{len(expected)} live keys planted")


KEY_LINE_MARKS = ("TRUSTLEADS_KEY=", "token: ", "LOFTY_CUSTOMER_KEY=", "example = ")

if __name__ == "__main__":
    main()
