#!/usr/bin/env bash
# loftyscan benchmark: makes the corpora if missing, times loftyscan, the floors and the
# peer scanners on each case, and prints one Markdown table per case.
#
#   bash bench/run.sh [--size MB] [--git-repo PATH] [--worktree PATH] [--runs N] ...
#
# See bench/README.md (or --help) for what each case measures.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

usage() {
    cat <<'EOF'
usage: bash bench/run.sh [options]

  --work DIR        work dir for corpora and results (default /tmp/loftyscan-bench)
  --size MB         size of the generated mixed tree in MiB (default 1024)
  --tree DIR        use this existing tree instead (e.g. one made by gen_tree.py; its
                    DIR.expected.json, if present, is used for the recall check)
  --commits N       commits in the generated git repository (default 3000)
  --repo-keys N     live keys planted in the generated repository (default 200)
  --git-repo PATH   also scan this existing repository's whole history (e.g. a bare clone)
  --worktree PATH   a non-bare checkout for the --staged and --range cases (skipped without)
  --range A..B      range for the --range case (default HEAD~10..HEAD)
  --runs N          timed runs per tool for the long cases, after one warm-up (default 3)
  --short-runs N    timed runs for the short cases --staged and --range (default 10)
  --cases LIST      comma-separated subset of: dir,git-gen,git-repo,staged,range (default all)
  --bin PATH        loftyscan binary (default target/release/loftyscan, else PATH)
  --threads N       the "all cores" thread count (default nproc)
  --no-peers        time only loftyscan and the floors
  --slow S          a peer whose warm-up run took over S seconds is timed once, not
                    --runs times (default 300)
  --peer-timeout S  kill a peer's run after S seconds, reported as timed out (default 1800)
  --trace           keep LOFTYSCAN_TRACE=1 phase timings of each warm-up run in the results
  -h, --help        this help

Exit status 1 of a scanner ("secrets found") is normal. Results (report.md, raw.tsv)
go to WORK/results/<timestamp>/; the report is also printed on stdout.
EOF
}

WORK=/tmp/loftyscan-bench
SIZE=1024
TREE=""
COMMITS=3000
REPO_KEYS=200
GIT_REPO=""
WORKTREE=""
RANGE="HEAD~10..HEAD"
RUNS=3
SHORT_RUNS=10
CASES="dir,git-gen,git-repo,staged,range"
BIN=""
NT=$(nproc)
PEERS_ON=1
TRACE=0
SLOW=300
PEER_TIMEOUT=1800

while [[ $# -gt 0 ]]; do
    case $1 in
    --work) WORK=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --tree) TREE=$2; shift 2 ;;
    --commits) COMMITS=$2; shift 2 ;;
    --repo-keys) REPO_KEYS=$2; shift 2 ;;
    --git-repo) GIT_REPO=$2; shift 2 ;;
    --worktree) WORKTREE=$2; shift 2 ;;
    --range) RANGE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --short-runs) SHORT_RUNS=$2; shift 2 ;;
    --cases) CASES=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --threads) NT=$2; shift 2 ;;
    --no-peers) PEERS_ON=0; shift ;;
    --slow) SLOW=$2; shift 2 ;;
    --peer-timeout) PEER_TIMEOUT=$2; shift 2 ;;
    --trace) TRACE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 2; }
# Hide anything that looks like a key in text we show (stderr tails of failed runs).
redact() { sed -E 's/lfk_sk_[A-Za-z0-9]{4,}/lfk_sk_<redacted>/g; s/eyJ[A-Za-z0-9_-]{2,}(\.[A-Za-z0-9_-]*)*/eyJ<redacted>/g'; }
want() { [[ ,$CASES, == *,$1,* ]]; }
isnum() { [[ $1 =~ ^[0-9]+$ && $1 -gt 0 ]]; }

isnum "$SIZE" || die "--size must be a positive integer (MiB)"
isnum "$COMMITS" || die "--commits must be a positive integer"
isnum "$RUNS" || die "--runs must be a positive integer"
isnum "$SHORT_RUNS" || die "--short-runs must be a positive integer"
isnum "$NT" || die "--threads must be a positive integer"
isnum "$SLOW" || die "--slow must be a positive integer (seconds)"
isnum "$PEER_TIMEOUT" || die "--peer-timeout must be a positive integer (seconds)"
[[ $REPO_KEYS =~ ^[0-9]+$ ]] || die "--repo-keys must be a number"
if [[ -n $GIT_REPO ]]; then
    git -C "$GIT_REPO" rev-parse --git-dir >/dev/null 2>&1 || die "--git-repo $GIT_REPO is not a git repository"
fi
if [[ -n $WORKTREE ]]; then
    [[ $(git -C "$WORKTREE" rev-parse --is-bare-repository 2>/dev/null) == false ]] \
        || die "--worktree $WORKTREE is not a non-bare git checkout"
fi
for c in ${CASES//,/ }; do
    [[ $c =~ ^(dir|git-gen|git-repo|staged|range)$ ]] || die "unknown case '$c' in --cases"
done

# ---------------------------------------------------------------- tools --------
if [[ ! -x /usr/bin/time ]]; then
    [[ $(id -u) -eq 0 ]] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
    log "installing GNU time (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
/usr/bin/time -f '%M' true 2>/dev/null || die "/usr/bin/time is not GNU time (needs -f)"
command -v git >/dev/null || die "git not found"
command -v python3 >/dev/null || die "python3 not found"
HAVE_RG=0
command -v rg >/dev/null && HAVE_RG=1

if [[ -z $BIN ]]; then
    if [[ -x $ROOT/target/release/loftyscan ]]; then BIN=$ROOT/target/release/loftyscan
    elif command -v loftyscan >/dev/null; then BIN=$(command -v loftyscan)
    else die "no loftyscan binary: build it (cargo build --release) or pass --bin"; fi
fi
[[ -x $BIN ]] || die "$BIN is not executable"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# shellcheck source=peers/peers.sh
source "$HERE/peers/peers.sh"
PEER_LIST=()
if [[ $PEERS_ON -eq 1 ]]; then
    for t in kingfisher gitleaks ripsecrets; do
        if peer_bin "$t" >/dev/null; then PEER_LIST+=("$t"); else log "peer $t not found (bash bench/install-peers.sh)"; fi
    done
fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
STAMP=$(date +%Y%m%d-%H%M%S)
RES=$WORK/results/$STAMP
TMPD=$WORK/tmp
mkdir -p "$RES" "$TMPD"
export KF_RULE_CACHE_DIR=$WORK/kingfisher-cache
RAW=$RES/raw.tsv
META=$RES/entries.tsv
CASEF=$RES/cases.tsv
printf 'case\tlabel\tround\twall_s\tuser_s\tsys_s\tmaxrss_kb\tstatus\tok\n' >"$RAW"
printf 'case\tlabel\tkind\tfindings\tnote\n' >"$META"
printf 'case\ttitle\tbytes\tbytes_note\textra\n' >"$CASEF"

# ---------------------------------------------------------------- staged-case state --
STAGE_ACTIVE=0
STAGE_IDX=""
STAGE_FILE=""
cleanup() {
    if [[ $STAGE_ACTIVE -eq 1 ]]; then
        if cp -p "$WORK/staged-index.backup" "$STAGE_IDX"; then
            rm -f "$STAGE_FILE"
            log "restored the index of $WORKTREE"
        else
            log "WARNING: could not restore $STAGE_IDX: the original is $WORK/staged-index.backup"
        fi
        STAGE_ACTIVE=0
    fi
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- corpora -------
if [[ -n $TREE ]]; then
    [[ -d $TREE ]] || die "--tree $TREE is not a directory"
    TREE=$(cd "$TREE" && pwd)
    TREE_DONE=$WORK/tree-$(printf '%s' "$TREE" | git hash-object --stdin | cut -c1-12).done
    if want dir && [[ ! -f $TREE_DONE ]]; then
        find "$TREE" -type f -printf '%s\n' | awk '{s += $1; n++} END {print s + 0, n + 0}' >"$TREE_DONE"
    fi
else
    TREE=$WORK/tree-${SIZE}m
    TREE_DONE=$TREE.done
fi
GREPO=$WORK/repo-${COMMITS}c-${REPO_KEYS}k.git

if want dir && [[ ! -f $TREE_DONE ]]; then
    log "generating a ${SIZE} MiB mixed tree in $TREE"
    rm -rf "$TREE"
    python3 "$HERE/gen_tree.py" "$TREE" "$SIZE" >&2
    find "$TREE" -type f -printf '%s\n' | awk '{s += $1; n++} END {print s + 0, n + 0}' >"$TREE_DONE"
fi
if want git-gen && [[ ! -f $GREPO.done ]]; then
    log "generating a git repository of $COMMITS commits in $GREPO"
    python3 "$HERE/gen_repo.py" "$GREPO" --commits "$COMMITS" --keys "$REPO_KEYS" --force >&2
    touch "$GREPO.done"
fi

# git_stats REPO -> "commits blobs blob_bytes" (cached per repository and HEAD)
git_stats() {
    local repo=$1 key cache
    key=$(git -C "$repo" for-each-ref --format='%(objectname)' | git hash-object --stdin)
    cache=$WORK/stats-$(printf '%s' "$repo" | git hash-object --stdin | cut -c1-12)-${key:0:12}
    if [[ ! -f $cache ]]; then
        {
            git -C "$repo" rev-list --all --count | tr -d '\n'
            printf ' '
            git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' \
                | awk '$1 == "blob" {s += $2; n++} END {printf "%d %.0f\n", n, s}'
        } >"$cache"
    fi
    cat "$cache"
}

# Largest pack of REPO, copied into WORK (index-pack runs on the copy, never the repo).
pack_copy() {
    local repo=$1 gd pack dst
    gd=$(git -C "$repo" rev-parse --absolute-git-dir)
    # shellcheck disable=SC2012
    pack=$(ls -S "$gd"/objects/pack/*.pack 2>/dev/null | sed -n 1p || true)
    [[ -n $pack ]] || return 1
    dst=$WORK/index-pack/$(printf '%s' "$repo" | git hash-object --stdin | cut -c1-12)
    mkdir -p "$dst"
    if [[ ! -f $dst/copy.pack || $(stat -c %s "$pack") != $(stat -c %s "$dst/copy.pack") ]]; then
        cp "$pack" "$dst/copy.pack"
    fi
    [[ -d $dst/empty.git ]] || git init -q --bare "$dst/empty.git"
    printf '%s\n' "$dst"
}

# Inputs of the current case, re-read before every timed run: this machine's kernel
# reclaims idle page-cache pages within minutes (kdamond), which would otherwise turn a
# run that follows a slow peer into a disk benchmark.
CASE_INPUTS=()
warm_cache() { # read files so the page cache holds them; remember them for the case
    local p
    CASE_INPUTS=("$@")
    rewarm
}
rewarm() {
    local p
    for p in "${CASE_INPUTS[@]}"; do
        if [[ -d $p ]]; then find "$p" -type f -print0 | xargs -0 -r cat >/dev/null 2>&1 || true
        elif [[ -f $p ]]; then cat "$p" >/dev/null; fi
    done
}

# ---------------------------------------------------------------- timing --------
# Entries of the current case: label, kind, cwd, stdout target, command (T_CMD_<i>).
T_LABEL=() T_KIND=() T_CWD=() T_OUT=() T_OFF=() T_ONCE=()
case_begin() { # id title bytes bytes_note extra
    CASE=$1
    T_LABEL=() T_KIND=() T_CWD=() T_OUT=() T_OFF=() T_ONCE=()
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-}" >>"$CASEF"
    log "case $1: $2"
}
add() { # label kind cwd out -- command...
    local i=${#T_LABEL[@]}
    T_LABEL+=("$1") T_KIND+=("$2") T_CWD+=("$3") T_OUT+=("$4") T_OFF+=("") T_ONCE+=(0)
    shift 5
    declare -ga "T_CMD_$i"
    local -n _c=T_CMD_$i
    _c=("$@")
}
add_loftyscan() { # label cwd args...
    local label=$1 cwd=$2
    shift 2
    add "$label" loftyscan "$cwd" "$TMPD/out" -- "$BIN" "$@" --no-progress --format json
}
add_peer() { # tool mode target threads
    local tool=$1 mode=$2 target=$3 threads=$4 label=$1
    peer_argv "$tool" "$mode" "$target" "$threads" "$TMPD/peer-report" || return 0
    [[ -n $threads ]] && [[ $tool == kingfisher ]] && label+=" -j$threads"
    [[ $tool == ripsecrets ]] && label+=" (+built-ins)"
    local out=/dev/null
    [[ $tool == ripsecrets ]] && out=$TMPD/peer-report
    # peers run under timeout(1) (a runaway history scan must not stall the benchmark)
    add "$label" "$tool" "$PEER_CWD" "$out" -- timeout --kill-after=10 "$PEER_TIMEOUT" "${PEER_CMD[@]}"
}
add_peers() { # mode target threads
    local t
    for t in "${PEER_LIST[@]}"; do add_peer "$t" "$@"; done
}

ok_status() { # kind status
    case $1 in
    loftyscan | rg) [[ $2 == 0 || $2 == 1 ]] ;;
    git) [[ $2 == 0 ]] ;;
    *) peer_ok_status "$1" "$2" ;;
    esac
}

findings() { # kind -> number (reads the run's report; never prints a finding)
    case $1 in
    loftyscan) python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["findings"], s["bytes_scanned"])' "$TMPD/out" ;;
    rg) awk -F: '{s += $NF} END {print s + 0}' "$TMPD/out" ;;
    git) echo "-" ;;
    *) peer_findings "$1" "$TMPD/peer-report" ;;
    esac
}

LAST_STATUS=0
run_one() { # index round(0 = warm-up)
    local i=$1 round=$2 st=0 t0 t1 line
    local -n cmd=T_CMD_$i
    rm -f "$TMPD/out" "$TMPD/peer-report" "$TMPD/time"
    rewarm
    cd "${T_CWD[$i]}"
    t0=$EPOCHREALTIME
    if [[ $round -eq 0 && $TRACE -eq 1 && ${T_KIND[$i]} == loftyscan ]]; then
        LOFTYSCAN_TRACE=1 /usr/bin/time -f 'BENCH %e %U %S %M' -o "$TMPD/time" "${cmd[@]}" \
            >"${T_OUT[$i]}" 2>"$TMPD/err" || st=$?
    else
        /usr/bin/time -f 'BENCH %e %U %S %M' -o "$TMPD/time" "${cmd[@]}" \
            >"${T_OUT[$i]}" 2>"$TMPD/err" || st=$?
    fi
    t1=$EPOCHREALTIME
    cd "$WORK"
    LAST_STATUS=$st
    line=$(grep '^BENCH ' "$TMPD/time" 2>/dev/null | tail -n1 || true)
    [[ -n $line ]] || { LAST_STATUS=999; return 0; }
    local u s m
    read -r _ _ u s m <<<"$line"
    local wall ok=0
    wall=$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN {printf "%.4f", b - a}')
    ok_status "${T_KIND[$i]}" "$st" && ok=1
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$CASE" "${T_LABEL[$i]}" "$round" "$wall" "$u" "$s" "$m" "$st" "$ok" >>"$RAW"
}

case_run() { # runs
    local runs=$1 n=${#T_LABEL[@]} i r k f note
    for ((i = 0; i < n; i++)); do # warm-up, and the findings count
        run_one "$i" 0
        if ! ok_status "${T_KIND[$i]}" "$LAST_STATUS"; then
            T_OFF[i]="failed (exit $LAST_STATUS)"
            [[ $LAST_STATUS == 124 || $LAST_STATUS == 137 ]] && T_OFF[i]="timed out after $PEER_TIMEOUT s"
            log "  ${T_LABEL[$i]}: FAILED, exit $LAST_STATUS; stderr tail:"
            tail -n 5 "$TMPD/err" | redact | sed 's/^/      /' >&2
            printf '%s\t%s\t%s\t%s\t%s\n' "$CASE" "${T_LABEL[$i]}" "${T_KIND[$i]}" "-" "${T_OFF[$i]}" >>"$META"
            continue
        fi
        f=$(findings "${T_KIND[$i]}" 2>/dev/null || echo "?")
        note=""
        if [[ ${T_KIND[$i]} == loftyscan ]]; then
            note="bytes_scanned=${f#* }"
            f=${f%% *}
            if [[ $TRACE -eq 1 ]]; then
                grep 'trace:' "$TMPD/err" >"$RES/trace-$CASE-${T_LABEL[$i]// /_}.txt" || true
            fi
            if [[ -n ${EXPECTED:-} && -f $EXPECTED ]]; then
                note+=" recall=$(python3 - "$TMPD/out" "$EXPECTED" <<'EOF'
import json, sys
got = {(f["path"], f["secret_sha256"]) for f in json.load(open(sys.argv[1]))["findings"] if f["level"] == "error"}
exp = {(e["path"], e["sha256"]) for e in json.load(open(sys.argv[2]))}
print(f"{len(exp & got)}/{len(exp)}")
EOF
)"
            fi
        fi
        printf '%s\t%s\t%s\t%s\t%s\n' "$CASE" "${T_LABEL[$i]}" "${T_KIND[$i]}" "$f" "$note" >>"$META"
        local w
        w=$(tail -n1 "$RAW" | cut -f4)
        log "  warm-up ${T_LABEL[$i]}: $w s"
        if [[ ${T_KIND[$i]} != loftyscan && ${T_KIND[$i]} != rg && ${T_KIND[$i]} != git ]] \
            && awk -v w="$w" -v s="$SLOW" 'BEGIN {exit !(w > s)}'; then
            T_ONCE[i]=1
            log "  ${T_LABEL[$i]} is slow (over $SLOW s): timed once"
        fi
    done
    rm -f "$TMPD/out" "$TMPD/peer-report"
    for ((r = 1; r <= runs; r++)); do # alternate the tools, rotating who goes first
        for ((k = 0; k < n; k++)); do
            i=$(((k + r - 1) % n))
            [[ -z ${T_OFF[$i]} ]] || continue
            [[ ${T_ONCE[$i]} -eq 1 && $r -gt 1 ]] && continue
            run_one "$i" "$r"
            if ! ok_status "${T_KIND[$i]}" "$LAST_STATUS"; then
                log "  ${T_LABEL[$i]} round $r: exit $LAST_STATUS (run left out of the median)"
            fi
        done
        rm -f "$TMPD/out" "$TMPD/peer-report"
    done
    render "$CASE" >&2
}

render() { # [case]: Markdown tables from raw.tsv (all cases when none is given)
    python3 - "$RAW" "$META" "$CASEF" "${1:-}" <<'EOF'
import csv, statistics, sys
raw, meta, cases, only = sys.argv[1:5]
rd = lambda p: list(csv.DictReader(open(p), delimiter="\t"))
runs, ents, cs = rd(raw), rd(meta), rd(cases)
for c in cs:
    if only and c["case"] != only:
        continue
    print(f"\n### {c['title']}\n")
    if c["extra"]:
        print(c["extra"] + "\n")
    nbytes = int(c["bytes"] or 0)
    rows, base = [], None
    for e in (e for e in ents if e["case"] == c["case"]):
        rs = [r for r in runs if r["case"] == c["case"] and r["label"] == e["label"] and r["round"] != "0"]
        ok = [r for r in rs if r["ok"] == "1"]
        if not ok:
            rows.append((e, None))
            continue
        wall = statistics.median(float(r["wall_s"]) for r in ok)
        cpu = statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in ok)
        rss = statistics.median(int(r["maxrss_kb"]) for r in ok) * 1024 / 1e6
        rows.append((e, (wall, cpu, rss, len(ok))))
        if e["kind"] == "loftyscan" and base is None:
            base = wall
    print("| tool | median wall s | cpu s (user+sys) | MB/s | peak RSS MB | findings | wall ÷ loftyscan |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    notes = []
    for e, m in rows:
        if m is None:
            print(f"| {e['label']} | {e['note'] or 'no run'} | | | | | |")
            continue
        wall, cpu, rss, n = m
        if n < max(mm[3] for _, mm in rows if mm):
            e["label"] += f" ({n} run{'s' if n > 1 else ''}: slow)"
        mbs = f"{nbytes / 1e6 / wall:,.0f}" if nbytes and wall > 0 else "–"
        ratio = f"{wall / base:.2f}×" if base else "–"
        print(f"| {e['label']} | {wall:.3f} | {cpu:.2f} | {mbs} | {rss:.0f} | {e['findings']} | {ratio} |")
        if e["kind"] == "loftyscan" and e["note"]:
            notes.append(f"{e['label']}: {e['note']}")
    runs_n = max((m[3] for _, m in rows if m), default=0)
    if nbytes:
        print(f"\nMedian of {runs_n} timed run(s) after one warm-up; MB/s = {nbytes:,} bytes "
              f"({c['bytes_note']}) ÷ wall; MB = 10^6 bytes.")
    else:
        print(f"\nMedian of {runs_n} timed run(s) after one warm-up; no MB/s (the input is "
              f"a few files); MB = 10^6 bytes.")
    for n_ in notes:
        print(f"- {n_}")
EOF
}

# ---------------------------------------------------------------- header --------
mem_gib=$(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
{
    echo "## loftyscan benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(nproc) CPUs (${cpu_model:-unknown CPU}), ${mem_gib} GiB RAM, $(uname -sr)"
    echo "- loftyscan: $("$BIN" --version 2>/dev/null | sed -n 1p) ($BIN, built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$BIN" | cut -c1-12))"
    echo "- git: $(git --version | cut -d' ' -f3)$([[ $HAVE_RG -eq 1 ]] && echo ", ripgrep: $(rg --version | sed -n 1p | cut -d' ' -f2)")"
    for t in "${PEER_LIST[@]}"; do echo "- peer $(peer_version "$t"): $(peer_note "$t")"; done
    [[ $PEERS_ON -eq 1 ]] || echo "- peers: not run (--no-peers)"
    echo "- page cache warm (inputs read before each case; one warm-up run per tool);" \
        "tools alternate within each round; \"all cores\" = -j$NT"
} >"$RES/header.md"
cat "$RES/header.md" >&2

# ---------------------------------------------------------------- cases ---------
if want dir; then
    read -r tree_bytes tree_files <"$TREE_DONE"
    EXPECTED=$TREE.expected.json
    warm_cache "$TREE"
    title_base="\`loftyscan dir\`: mixed tree, $((tree_bytes >> 20)) MiB in $tree_files files"
    case_begin dir-j1 "$title_base, 1 thread" "$tree_bytes" "the tree's file sizes"
    add_loftyscan "loftyscan -j1" "$WORK" dir -j1 "$TREE"
    [[ $HAVE_RG -eq 1 ]] && add "rg -j1 (floor)" rg "$WORK" "$TMPD/out" -- rg -j1 -c 'lfk_sk_|eyJ' "$TREE"
    add_peers dir "$TREE" 1
    case_run "$RUNS"
    case_begin dir-jN "$title_base, all cores" "$tree_bytes" "the tree's file sizes"
    add_loftyscan "loftyscan -j$NT" "$WORK" dir -j"$NT" "$TREE"
    [[ $HAVE_RG -eq 1 ]] && add "rg -j$NT (floor)" rg "$WORK" "$TMPD/out" -- rg -j"$NT" -c 'lfk_sk_|eyJ' "$TREE"
    add_peers dir "$TREE" "$NT"
    case_run "$RUNS"
    EXPECTED=""
fi

git_cases() { # id repo name expected
    local id=$1 repo=$2 name=$3 commits blobs bbytes gd pdir
    EXPECTED=$4
    read -r commits blobs bbytes <<<"$(git_stats "$repo")"
    gd=$(git -C "$repo" rev-parse --absolute-git-dir)
    warm_cache "$gd/objects"
    pdir=$(pack_copy "$repo" || true)
    local t="\`loftyscan git\` (whole history): $name, $commits commits, $blobs blobs, $((bbytes >> 20)) MiB of blobs"
    case_begin "$id-j1" "$t, 1 thread" "$bbytes" "inflated size of all blobs"
    add_loftyscan "loftyscan -j1" "$WORK" git -j1 "$repo"
    add "git cat-file --batch-all-objects --batch (floor)" git "$gd" /dev/null -- \
        git cat-file --batch-all-objects --batch
    add_peers git "$repo" 1
    case_run "$RUNS"
    case_begin "$id-jN" "$t, all cores" "$bbytes" "inflated size of all blobs"
    add_loftyscan "loftyscan -j$NT" "$WORK" git -j"$NT" "$repo"
    if [[ -n $pdir ]]; then
        warm_cache "$gd/objects" "$pdir/copy.pack"
        add "git index-pack --threads=$NT (floor, on a copy of the pack)" git "$pdir" /dev/null -- \
            env GIT_DIR="$pdir/empty.git" git index-pack --threads="$NT" -o "$pdir/copy.idx" "$pdir/copy.pack"
    fi
    add_peers git "$repo" "$NT"
    case_run "$RUNS"
    EXPECTED=""
}

want git-gen && git_cases git-gen "$GREPO" "generated repo ($(basename "$GREPO"))" "$GREPO.expected.json"
if want git-repo && [[ -n $GIT_REPO ]]; then
    GIT_REPO=$(cd "$GIT_REPO" && pwd)
    git_cases git-repo "$GIT_REPO" "$GIT_REPO" ""
fi

if [[ -n $WORKTREE ]] && { want staged || want range; }; then
    WORKTREE=$(git -C "$WORKTREE" rev-parse --show-toplevel)
    wt_files=$(git -C "$WORKTREE" ls-files | wc -l)
    wt_gd=$(git -C "$WORKTREE" rev-parse --absolute-git-dir)
fi

if want staged && [[ -n $WORKTREE ]]; then
    STAGE_IDX=$wt_gd/index
    STAGE_FILE=$WORKTREE/loftyscan-bench-staged.env
    [[ -f $STAGE_IDX ]] || die "$WORKTREE has no index"
    [[ ! -e $STAGE_FILE ]] || die "$STAGE_FILE exists already: remove it (left over from an interrupted run?)"
    loose_before=$(find "$wt_gd/objects" -path '*/objects/??/*' -type f | wc -l)
    cp -p "$STAGE_IDX" "$WORK/staged-index.backup"
    STAGE_ACTIVE=1
    # exactly one staged file: the index is reset to HEAD (the work tree is untouched),
    # one new file with a key is added, and the original index is put back afterwards
    git -C "$WORKTREE" reset -q
    python3 - "$STAGE_FILE" <<'EOF'
import random, string, sys
r = random.Random(7)
a = string.ascii_letters + string.digits
with open(sys.argv[1], "w") as f:
    for i in range(120):
        f.write(f"SETTING_{i}={''.join(r.choice(a) for _ in range(24))}\n")
    f.write("TRUSTLEADS_KEY=lfk_sk_" + "".join(r.choice(a) for _ in range(40)) + "\n")
EOF
    git -C "$WORKTREE" add -f "$STAGE_FILE"
    staged_n=$(git -C "$WORKTREE" diff --cached --name-only | wc -l)
    warm_cache "$STAGE_IDX" "$(git -C "$WORKTREE" rev-parse --absolute-git-dir)/objects"
    case_begin staged "\`loftyscan git --staged\`: $staged_n staged file in $WORKTREE ($wt_files files in the index)" \
        "0" "-" "The index was reset to HEAD and one file holding one key was staged for this case; the original index was restored afterwards."
    add_loftyscan "loftyscan" "$WORKTREE" git --staged
    add "git diff --cached -U0 (reference)" git "$WORKTREE" /dev/null -- git diff --cached -U0
    add_peers staged "$WORKTREE" ""
    case_run "$SHORT_RUNS"
    cp -p "$WORK/staged-index.backup" "$STAGE_IDX"
    rm -f "$STAGE_FILE"
    STAGE_ACTIVE=0
    log "restored the index of $WORKTREE"
    loose_after=$(find "$wt_gd/objects" -path '*/objects/??/*' -type f | wc -l)
    if [[ $loose_after -gt $loose_before ]]; then
        echo "- staged case: $((loose_after - loose_before)) new unreachable loose object(s) left in $wt_gd/objects" \
            "(the staged file's blob; kingfisher --staged writes a temporary commit each run); \`git prune\` removes them." >>"$RES/notes.md"
    fi
fi

if want range && [[ -n $WORKTREE ]]; then
    git -C "$WORKTREE" rev-parse -q --verify "${RANGE%%..*}^{commit}" >/dev/null \
        || die "--range: ${RANGE%%..*} is not a commit in $WORKTREE"
    range_n=$(git -C "$WORKTREE" rev-list --count "$RANGE")
    case_begin range "\`loftyscan git --range $RANGE\`: $range_n commits in $WORKTREE" "0" "-"
    add_loftyscan "loftyscan" "$WORKTREE" git --range "$RANGE"
    add "git log -p -U0 $RANGE (reference)" git "$WORKTREE" /dev/null -- git log -p -U0 "$RANGE"
    add_peers "range:$RANGE" "$WORKTREE" ""
    case_run "$SHORT_RUNS"
fi

if [[ -z $WORKTREE ]] && { want staged || want range; }; then
    log "no --worktree: --staged and --range cases skipped"
fi

# ---------------------------------------------------------------- report --------
{
    cat "$RES/header.md"
    render
    if [[ -s $RES/notes.md ]]; then
        printf '\n### Notes\n\n'
        cat "$RES/notes.md"
    fi
} >"$RES/report.md"
echo
echo "---- full report: $RES/report.md (raw timings: $RES/raw.tsv) ----"
echo
cat "$RES/report.md"
