#!/usr/bin/env bash
# Plant 5 live lfk keys in 6 new commits of an existing (bare or not) clone, for the
# "whole history with findings" benchmark: one key added on the default branch and kept
# (still at HEAD), edited around; one on a side branch, then deleted there; one under a
# tag only; two added together and removed in the next commit.
#
#   bash bench/plant_keys.sh REPO [SEED]
#
# Uses git plumbing only (a temporary index), so a bare clone works; keys are random
# from SEED (default 19, printed) and never stored in this repository.
set -euo pipefail
REPO=$1
SEED=${2:-19}
echo "plant_keys: seed $SEED" >&2
export GIT_DIR
GIT_DIR=$(git -C "$REPO" rev-parse --absolute-git-dir)
export GIT_INDEX_FILE
GIT_INDEX_FILE=$(mktemp)
trap 'rm -f "$GIT_INDEX_FILE"' EXIT
export GIT_AUTHOR_NAME="Plant Bench" GIT_AUTHOR_EMAIL="plant@example.org"
export GIT_COMMITTER_NAME="Plant Bench" GIT_COMMITTER_EMAIL="plant@example.org"
export GIT_AUTHOR_DATE="2030-01-01T00:00:00Z" GIT_COMMITTER_DATE="2030-01-01T00:00:00Z"

mapfile -t KEYS < <(python3 - "$SEED" <<'EOF'
import random, string, sys
r = random.Random(int(sys.argv[1]))
for _ in range(5):
    print("lfk_sk_" + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(40)))
EOF
)

MAIN=$(git symbolic-ref -q HEAD || echo refs/heads/master)

# commit PARENT MSG [add PATH TEXT | rm PATH]...: a commit on PARENT's tree with changes.
commit() {
    local parent=$1 msg=$2
    shift 2
    git read-tree "$parent^{tree}"
    while [[ $# -gt 0 ]]; do
        case $1 in
        add)
            local blob
            blob=$(printf '%s\n' "$3" | git hash-object -w --stdin)
            git update-index --add --cacheinfo 100644 "$blob" "$2"
            shift 3
            ;;
        rm)
            printf '0 %s\t%s\n' 0000000000000000000000000000000000000000 "$2" | git update-index --index-info
            shift 2
            ;;
        esac
    done
    git commit-tree "$(git write-tree)" -p "$parent" -m "$msg"
}

tip=$(git rev-parse "$MAIN")
c1=$(commit "$tip" "add service config" add config/service.env "TRUSTLEADS_KEY=${KEYS[0]}")
c2=$(commit "$c1" "tune service config" add config/service.env "TRUSTLEADS_KEY=${KEYS[0]}
TIMEOUT=30")
git update-ref "$MAIN" "$c2"

base=$(git rev-parse "$tip~3000")
s1=$(commit "$base" "side: try the API" add contrib/try-api.sh "export KEY=${KEYS[1]}")
s2=$(commit "$s1" "side: remove the key" rm contrib/try-api.sh)
git update-ref refs/heads/plant-side "$s2"

t1=$(commit "$(git rev-parse "$tip~1000")" "release notes with a key" add Documentation/leak.txt "key: ${KEYS[2]}")
git update-ref refs/tags/plant-tag "$t1"

p1=$(commit "$c2" "two keys" add t/keys.conf "a=${KEYS[3]}
b=${KEYS[4]}")
p2=$(commit "$p1" "drop the keys" rm t/keys.conf)
git update-ref "$MAIN" "$p2"
echo "plant_keys: 5 keys in 6 commits; $MAIN now $p2" >&2
