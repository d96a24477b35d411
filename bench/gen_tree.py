#!/usr/bin/env python3
"""Generate a deterministic mixed source tree for benchmarks.

usage: gen_tree.py DEST SIZE_MB [--keys N] [--seed S]

Writes code, JSON, YAML, minified JS, base64 blobs and binary files (sizes and kinds
drawn from a fixed seed) until SIZE_MB MiB, with N live keys planted (lfk_sk_ keys and
Lofty JWS tokens, half of them next to a Lofty sign) plus as many decoys (placeholders,
truncated tokens, alg none). Writes DEST/../DEST.expected.json listing the planted keys'
relative paths and SHA-256, so a run can be checked for recall. Same args, same bytes.
"""
import argparse, base64, hashlib, json, os, random

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
WORDS = ("let const return function value index buffer config request response error "
         "handler client server token session user account query result update delete "
         "create import export module async await string number object array").split()


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jws(r, payload, sig=32):
    h = b64(b'{"alg":"HS256"}')
    p = b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{h}.{p}.{b64(r.randbytes(sig))}"


def live_key(r):
    k = r.randrange(3)
    if k == 0:
        return "lfk_sk_" + "".join(r.choice(ALNUM) for _ in range(40)), "TRUSTLEADS_KEY="
    if k == 1:
        return jws(r, {"sub": str(r.randrange(10**7)), "scope": "THIRD_PARTY_OPERATION", "exp": 4102444800}), "token: "
    return jws(r, {"sub": str(r.randrange(10**7)), "iat": 1767225600}), "LOFTY_CUSTOMER_KEY="


def decoy(r):
    return r.choice([
        "lfk_sk_your_key_here",
        "lfk_sk_" + "x" * 40,
        "lfk_sk_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0",
        "eyJhbGciOiJIUzI1NiJ9...",
        jws(r, {"scope": "THIRD_PARTY_OPERATION"})[:-2],
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    ])


def code_line(r):
    n = r.randrange(3, 12)
    return "    " * r.randrange(4) + " ".join(r.choice(WORDS) for _ in range(n)) + ";\n"


def text_file(r, size, kind):
    out, n = [], 0
    while n < size:
        if kind == "json":
            s = json.dumps({r.choice(WORDS): r.randrange(10**6), "name": r.choice(WORDS)}) + ",\n"
        elif kind == "yaml":
            s = f"{r.choice(WORDS)}:\n  {r.choice(WORDS)}: {r.randrange(10**5)}\n"
        elif kind == "min.js":
            s = "".join(f"var {r.choice(WORDS)}{i}=function(a){{return a+{i}}};" for i in range(50))
        elif kind == "b64":
            s = base64.b64encode(r.randbytes(57)).decode() + "\n"
        else:
            s = code_line(r)
        out.append(s)
        n += len(s)
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("size_mb", type=int)
    ap.add_argument("--keys", type=int, default=None, help="live keys to plant (default 2 per MiB)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    r = random.Random(a.seed)
    total, budget = 0, a.size_mb << 20
    nkeys = a.keys if a.keys is not None else 2 * a.size_mb
    files = []
    i = 0
    while total < budget:
        kind = r.choices(["rs", "py", "json", "yaml", "min.js", "b64", "bin"], [30, 20, 15, 10, 10, 10, 5])[0]
        size = min(int(r.lognormvariate(9.5, 1.2)) + 64, 4 << 20)
        path = f"d{i % 97:02d}/s{i % 13}/f{i:06d}.{kind}"
        files.append((path, kind, size))
        total += size
        i += 1
    plant = {}
    for _ in range(nkeys):
        plant.setdefault(r.randrange(len(files)), []).append(True)
    for _ in range(nkeys):
        plant.setdefault(r.randrange(len(files)), []).append(False)
    expected = []
    for idx, (path, kind, size) in enumerate(files):
        full = os.path.join(a.dest, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if kind == "bin":
            data = bytearray(r.randbytes(size))
        else:
            data = bytearray(text_file(r, size, kind).encode())
        for live in plant.get(idx, []):
            pos = r.randrange(len(data) + 1)
            while pos > 0 and pos < len(data) and data[pos - 1] != 10:
                pos -= 1
            if live:
                key, ctx = live_key(r)
                ins = f"{ctx}{key}\n".encode()
                expected.append({"path": path, "sha256": hashlib.sha256(key.encode()).hexdigest()})
            else:
                ins = f"example = {decoy(r)}\n".encode()
            data[pos:pos] = ins
        with open(full, "wb") as f:
            f.write(data)
    with open(a.dest.rstrip("/") + ".expected.json", "w") as f:
        json.dump(sorted(expected, key=lambda e: (e["path"], e["sha256"])), f, indent=0)
    print(f"{len(files)} files, {total >> 20} MiB, {len(expected)} live keys planted")


if __name__ == "__main__":
    main()
