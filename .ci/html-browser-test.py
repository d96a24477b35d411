#!/usr/bin/env python3
"""Browser test of `--format html`: builds repositories in a temporary directory, writes
their reports with the real binary, opens each in headless Chromium (file://, offline,
under the report's own Content-Security-Policy) and checks the rendered DOM: the counts,
the table, and that filters preset in the URL fragment filter the rows.

Cases: a git history with findings in several commits, branches and paths (live,
expired, allowlisted, baselined; a hostile file name), an empty scan, and 10,000
findings (with the script's own timings of opening and filtering, printed).

    python3 .ci/html-browser-test.py [--bin target/debug/loftyscan] [--shots DIR]

Keys are random from LOFTYSCAN_SEED (printed; set it to replay). Needs `chromium` and
`git`; .ci/run installs chromium when missing. Exit status 0 when every check passes.
"""

import argparse
import base64
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


class Dom(HTMLParser):
    """Text by element id, the counts cells, and the table's rows (status, cell texts)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.by_id, self.counts, self.rows, self.body = [], {}, {}, [], {}
        self.tags = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "body":
            self.body = a
        if tag == "tr" and "data-status" in a:
            self.rows.append({"status": a["data-status"], "cells": []})
        if tag in ("br", "meta", "input", "img", "link", "line", "rect"):
            return
        self.stack.append([tag, a, ""])

    def handle_endtag(self, tag):
        while self.stack:
            t, a, text = self.stack.pop()
            if self.stack:
                self.stack[-1][2] += text
            if "id" in a:
                self.by_id[a["id"]] = text
            if t == "td" and "data-rule" in a:
                self.counts[(a["data-rule"], a["data-status"])] = int(text)
            if t == "td" and self.rows and self.in_rows():
                self.rows[-1]["cells"].append(text)
            if t == tag:
                break

    def in_rows(self):
        return any(x[1].get("id") == "rows" for x in self.stack)

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2] += data


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    sys.exit("html-browser-test: chromium not found (.ci/run installs Debian's chromium)")


def browse(report, fragment, work, shot=None):
    profile = tempfile.mkdtemp(dir=work, prefix="profile-")
    url = "file://" + report + (("#" + fragment) if fragment else "")
    args = [chromium()] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile, "--virtual-time-budget=10000"]
    if shot:
        args += ["--window-size=1400,2000", "--hide-scrollbars", "--screenshot=" + shot, url]
    else:
        args += ["--dump-dom", url]
    out = subprocess.run(args, capture_output=True, text=True, timeout=180)
    if out.returncode != 0:
        sys.exit("chromium failed: " + out.stderr[-2000:])
    d = Dom()
    d.feed(out.stdout)
    return d


def git(repo, *args, date=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="Ann <b>Dev</b>", GIT_AUTHOR_EMAIL="ann@example.org",
               GIT_COMMITTER_NAME="Ann", GIT_COMMITTER_EMAIL="ann@example.org")
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", repo] + list(args), check=True, env=env, capture_output=True)


def write(repo, rel, text):
    path = os.path.join(repo, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class Keys:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def lfk(self):
        return "lfk_sk_" + "".join(self.r.choice(string.ascii_letters + string.digits) for _ in range(40))

    def lofty(self, exp):
        e = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        payload = json.dumps({"sub": str(self.r.randrange(99999)), "scope": "THIRD_PARTY_OPERATION", "exp": exp})
        sig = bytes(self.r.randrange(256) for _ in range(32))
        return e(b'{"alg":"HS256"}') + "." + e(payload.encode()) + "." + e(sig)


def scan(binary, repo, out, *extra):
    r = subprocess.run([binary, "git", repo, "--no-progress", "--format", "html", "-o", out] + list(extra),
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit("loftyscan failed: " + r.stderr)
    j = subprocess.run([binary, "git", repo, "--no-progress", "--format", "json"] + list(extra),
                       capture_output=True, text=True)
    return json.loads(j.stdout)


def history_case(binary, work, keys, shots):
    repo = os.path.join(work, "history")
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    live, moved, expired, allowed, old = keys.lfk(), keys.lfk(), keys.lofty(1_500_000_000), keys.lfk(), keys.lfk()
    hostile = "conf/</script><img id=pwn src=x>&amp;.env"
    write(repo, "config/app.env", f"TRUSTLEADS_KEY={live}\n")
    write(repo, "docs/old.md", f"old key {old}\n")
    git(repo, "add", "-A"); git(repo, "commit", "-qm", "one", date="2024-01-15T10:00:00Z")
    write(repo, "src/client.py", f"LOFTY_CUSTOMER_KEY = '{expired}'\n")
    write(repo, "tests/fixture.txt", f"k = {allowed}  # loftyscan:allow\n")
    write(repo, hostile, f"K={live}\n")
    git(repo, "add", "-A"); git(repo, "commit", "-qm", "two", date="2024-03-02T10:00:00Z")
    git(repo, "checkout", "-qb", "feature")
    write(repo, "deploy/prod.env", f"KEY={moved}\n")
    os.remove(os.path.join(repo, "config/app.env"))
    git(repo, "add", "-A"); git(repo, "commit", "-qm", "three", date="2024-06-20T10:00:00Z")
    git(repo, "checkout", "-q", "main")
    git(repo, "tag", "v1")
    # the old key goes into a baseline, then leaves HEAD
    baseline = os.path.join(work, "baseline.json")
    subprocess.run([binary, "git", repo, "--no-progress", "--baseline-out", baseline], capture_output=True)
    with open(baseline) as f:
        b = json.load(f)
    b["findings"] = [e for e in b["findings"] if e["path"] == "docs/old.md"]
    check(len(b["findings"]) == 1, "history: the baseline lists docs/old.md")
    with open(baseline, "w") as f:
        json.dump(b, f)
    os.remove(os.path.join(repo, "docs/old.md"))
    git(repo, "add", "-A"); git(repo, "commit", "-qm", "four", date="2024-07-01T10:00:00Z")
    report = os.path.join(work, "history.html")
    data = scan(binary, repo, report, "--baseline", baseline)
    found = data["findings"]
    s = data["summary"]
    n_live = sum(1 for f in found if not f.get("expired"))
    n_exp = sum(1 for f in found if f.get("expired"))
    n_head = sum(1 for f in found if f.get("present_at_head"))
    check(n_live >= 3 and n_exp == 1 and s["allowlisted"] == 1, f"history: JSON has live {n_live}, expired {n_exp}, allowlisted {s['allowlisted']}")
    with open(report) as f:
        text = f.read()
    for k in (live, moved, expired, allowed, old):
        check(k not in text, "history: no raw secret in the file")
    check("<img id=pwn" not in text and "http://" not in text and "https://" not in text, "history: no injected element, no URL")

    d = browse(report, "", work)
    check(d.body.get("data-ready") == "1", "history: the script ran under the page's CSP")
    check(not any(t == "img" for t, _ in d.tags), "history: the hostile file name made no element")
    check(d.counts.get(("*", "live")) == n_live, f"history: live count {d.counts.get(('*', 'live'))} == {n_live}")
    check(d.counts.get(("*", "expired")) == n_exp, "history: expired count")
    check(d.counts.get(("*", "allowlisted")) == 1, "history: allowlisted count")
    check(s["baselined"] == 1 and d.counts.get(("*", "baselined")) == 1, "history: baselined count 1")
    check(d.by_id.get("answer-head") == str(n_head), f"history: still at HEAD {d.by_id.get('answer-head')} == {n_head}")
    total = len(found) + s["allowlisted"] + s["baselined"]
    check(d.by_id.get("shown") == str(total) and len(d.rows) == total, f"history: all {total} rows shown")
    check(any(hostile in "".join(r["cells"]) for r in d.rows), "history: the hostile path is shown as text")

    d = browse(report, "status=expired", work)
    check(d.by_id.get("shown") == "1" and [r["status"] for r in d.rows] == ["expired"], "history: #status=expired filters to 1 row")
    d = browse(report, "head=yes&status=live", work)
    check(len(d.rows) == sum(1 for f in found if f.get("present_at_head") and not f.get("expired")), "history: #head=yes filters")
    check(all(r["cells"][6] == "yes" for r in d.rows), "history: filtered rows are at HEAD")
    d = browse(report, "path=deploy", work)
    check(len(d.rows) == 1 and "deploy/prod.env" in d.rows[0]["cells"][4], "history: #path=deploy filters by path text")
    check("refs/heads/feature" in d.rows[0]["cells"][7] if d.rows else False, "history: the row names the ref that holds it")
    d = browse(report, "status=allowlisted", work)
    check(len(d.rows) == 1 and "tests/fixture.txt" in d.rows[0]["cells"][4], "history: #status=allowlisted")
    if shots:
        os.makedirs(shots, exist_ok=True)
        browse(report, "", work, shot=os.path.join(shots, "html-report.png"))
        print("screenshot: " + os.path.join(shots, "html-report.png"))


def empty_case(binary, work):
    repo = os.path.join(work, "empty")
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    write(repo, "README.md", "nothing to see\n")
    git(repo, "add", "-A"); git(repo, "commit", "-qm", "one")
    report = os.path.join(work, "empty.html")
    scan(binary, repo, report)
    d = browse(report, "", work)
    check(d.body.get("data-ready") == "1", "empty: the script ran")
    check(d.by_id.get("shown") == "0" and d.by_id.get("total") == "0" and not d.rows, "empty: no rows")
    check(d.counts.get(("*", "*")) == 0, "empty: total count 0")


def ten_thousand_case(binary, work, keys, shots):
    root = os.path.join(work, "many")
    todo = [f"src/m{i // 100:02d}/f{i:04d}.env" for i in range(1000)]
    for _ in range(5):  # a random key can look like a placeholder: draw that file again
        for rel in todo:
            write(root, rel, "".join(f"KEY_{j}={keys.lfk()}\n" for j in range(10)))
        r = subprocess.run([binary, "dir", root, "--no-progress", "--format", "json"], capture_output=True, text=True)
        per = {}
        for f in json.loads(r.stdout)["findings"]:
            per[f["path"]] = per.get(f["path"], 0) + 1
        todo = [rel for rel in todo if per.get(rel, 0) != 10]
        if not todo:
            break
    report = os.path.join(work, "many.html")
    r = subprocess.run([binary, "dir", root, "--no-progress", "--format", "html", "-o", report], capture_output=True, text=True)
    check(r.returncode == 1, "10k: scan found keys")
    print(f"10k: report is {os.path.getsize(report):,} bytes")
    d = browse(report, "", work)
    check(d.counts.get(("*", "live")) == 10000, f"10k: 10,000 live counted ({d.counts.get(('*', 'live'))})")
    check(d.by_id.get("shown") == "10000" and len(d.rows) == 500, "10k: 10,000 shown, first page of 500 rendered")
    print("10k: open (parse + filter + first page) ms: " + d.body.get("data-render-ms", "?"))
    d = browse(report, "path=f0042", work)
    check(d.by_id.get("shown") == "10" and len(d.rows) == 10, "10k: #path=f0042 filters to 10 rows")
    d = browse(report, "bench=1", work)
    ms = d.body.get("data-filter-ms", "")
    print("10k: filter/sort ms (path src,a,'',none,''; status live,expired,''; sort path desc): " + ms)
    check(ms != "" and max(float(x) for x in ms.split(",")) < 1000, "10k: every filter change under 1 s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "debug", "loftyscan"))
    ap.add_argument("--shots", default=None, help="write html-report.png here")
    a = ap.parse_args()
    seed = int(os.environ.get("LOFTYSCAN_SEED", random.randrange(1 << 32)))
    print(f"html-browser-test: LOFTYSCAN_SEED={seed}")
    keys = Keys(seed)
    binary = os.path.abspath(a.bin)
    work = tempfile.mkdtemp(prefix="loftyscan-html-")
    try:
        history_case(binary, work, keys, a.shots)
        empty_case(binary, work)
        ten_thousand_case(binary, work, keys, a.shots)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if FAILS:
        sys.exit(f"html-browser-test: {len(FAILS)} check(s) failed")
    print("html-browser-test: all checks passed")


if __name__ == "__main__":
    main()
