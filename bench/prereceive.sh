#!/usr/bin/env bash
# Pre-receive benchmark: real `git push` into a bare copy of a large repository (git/git)
# with loftyscan installed as its pre-receive hook, so the hook runs where it runs on a
# server: in the bare repository, with the pushed objects in git's quarantine. The hook is
# timed from inside (wall ms and peak RSS of `loftyscan git --pre-receive`), the whole
# `git push` from outside.
#
#   bash bench/prereceive.sh --git-repo /tmp/gitgit.git [--work DIR] [--runs N] [--bin PATH]
#
# Cases: an update of master by 1 and by 10 commits (accepted, then master is put back),
# 10 commits with a key in the last (rejected), a new 1,000-commit branch (accepted, then
# deleted) and the same with a key in its last commit (rejected). Commits come from
# bench/gen_push.py: each changes two real source files of the repository.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
WORK=/tmp/loftyscan-prereceive
RUNS=10
BIN=
GIT_REPO=
while [ $# -gt 0 ]; do
    case "$1" in
        --git-repo) GIT_REPO=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --bin) BIN=$2; shift 2 ;;
        -h|--help) sed -n 2,13p "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$GIT_REPO" ] || { echo "--git-repo PATH is required (a bare clone of git/git)" >&2; exit 2; }
if [ -z "$BIN" ]; then
    BIN=$ROOT/target/release/loftyscan
    [ -x "$BIN" ] || BIN=$(command -v loftyscan)
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
SERVER=$WORK/server.git
CLIENT=$WORK/client.git
export GIT_CONFIG_NOSYSTEM=1 HOME=$WORK

if [ ! -d "$SERVER" ]; then
    echo "copying $GIT_REPO to $SERVER (its own objects, every branch and tag)" >&2
    git clone -q --bare --no-hardlinks "$GIT_REPO" "$SERVER"
fi
if [ ! -d "$CLIENT" ]; then
    git clone -q --bare --shared "$GIT_REPO" "$CLIENT"
fi
BASE=$(git -C "$SERVER" rev-parse refs/heads/master)
for spec in "p1 1" "p10 10" "p10k 10 --key" "p1000 1000" "p1000k 1000 --key"; do
    set -- $spec
    if ! git -C "$CLIENT" rev-parse -q --verify "refs/heads/$1" >/dev/null; then
        python3 "$HERE/gen_push.py" "$CLIENT" "$BASE" "$@"
    fi
done

TIMES=$WORK/hook.tsv
cat > "$SERVER/hooks/pre-receive" <<EOF
#!/bin/sh
start=\$(date +%s%N)
/usr/bin/time -f '%M %U %S' -o "$WORK/rss" "$BIN" git --pre-receive --no-progress 2>"$WORK/hook.err"
rc=\$?
end=\$(date +%s%N)
set -- \$(tail -1 "$WORK/rss")
cpu=\$(echo "\$2 \$3" | awk '{printf "%d", (\$1 + \$2) * 1000}')
printf '%s\t%s\t%s\t%s\n' "\$(( (end - start) / 1000000 ))" "\$rc" "\$1" "\$cpu" >> "$TIMES"
cat "$WORK/hook.err" >&2
exit \$rc
EOF
chmod +x "$SERVER/hooks/pre-receive"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# case LABEL SRC DEST WANT(0 accepted, 1 rejected) UNDO
run_case() {
    local label=$1 src=$2 dest=$3 want=$4 undo=$5 push_ms=() i
    : > "$TIMES"
    for i in $(seq 0 "$RUNS"); do # run 0 is the warm-up
        local s e rc=0
        s=$(date +%s%N)
        git -C "$CLIENT" push -q "$SERVER" "+refs/heads/$src:$dest" 2>"$WORK/push.err" || rc=$?
        e=$(date +%s%N)
        if { [ "$want" = 0 ] && [ $rc != 0 ]; } || { [ "$want" = 1 ] && [ $rc = 0 ]; }; then
            echo "$label: push exit $rc, expected $( [ "$want" = 0 ] && echo accepted || echo rejected )" >&2
            cat "$WORK/push.err" >&2
            exit 1
        fi
        eval "$undo"
        [ "$i" = 0 ] && { : > "$TIMES"; continue; }
        push_ms+=($(( (e - s) / 1000000 )))
    done
    local commits
    commits=$(git -C "$CLIENT" rev-list --count "refs/heads/$src" --not "$BASE")
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$commits" \
        "$(cut -f1 "$TIMES" | median)" "$(cut -f1 "$TIMES" | sort -n | tail -1)" "$(cut -f4 "$TIMES" | median)" \
        "$(printf '%s\n' "${push_ms[@]}" | median)" "$(( $(cut -f3 "$TIMES" | sort -n | tail -1) / 1024 ))"
}

reset_master="git -C '$SERVER' update-ref refs/heads/master $BASE"
drop_big="git -C '$SERVER' update-ref -d refs/heads/big 2>/dev/null || true"
echo "server: $(git -C "$SERVER" for-each-ref | wc -l) refs, $(git -C "$SERVER" rev-list --count --all) commits; $RUNS runs per case after a warm-up"
echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| case | commits | hook wall ms (median) | hook wall ms (max) | hook cpu ms (median) | git push wall ms (median) | hook peak RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
run_case "update master, 1 commit (accepted)" p1 refs/heads/master 0 "$reset_master"
run_case "update master, 10 commits (accepted)" p10 refs/heads/master 0 "$reset_master"
run_case "update master, 10 commits, key in the last (rejected)" p10k refs/heads/master 1 "$reset_master"
run_case "new branch, 1,000 commits (accepted)" p1000 refs/heads/big 0 "$drop_big"
run_case "new branch, 1,000 commits, key in the last (rejected)" p1000k refs/heads/big 1 "$drop_big"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
