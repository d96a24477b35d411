#!/usr/bin/env bash
# Memory on huge single-line inputs: a 1 GiB and a 2 GiB sparse file, each one line of
# zeros with a random Trust Leads key 1000 bytes before its end, scanned by `dir` and
# through `stdin`. Checks the key's place (line 1, its column) and prints wall time and
# the binary's own peak RSS (LOFTYSCAN_TRACE=1); exits 1 if a peak passes the cap.
# (This was a test in the suite; at 3 GiB of input it belongs here: see BENCHMARKS.md.)
#
#   bash bench/huge_lines.sh [--bin PATH] [--work DIR] [--cap-mb N]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=""
WORK=/tmp/loftyscan-bench/huge-lines
CAP_MB=64
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) BIN=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --cap-mb) CAP_MB=$2; shift 2 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "huge_lines.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ -z "$BIN" ]; then
    BIN=$ROOT/target/release/loftyscan
    [ -x "$BIN" ] || BIN=$(command -v loftyscan)
fi
BIN=$(realpath "$BIN")
mkdir -p "$WORK"
KEY=$(python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("lfk_sk_" + "".join(secrets.choice(a) for _ in range(40)))')

echo "| input | mode | wall s | peak RSS MB | key at |"
echo "|---|---|---:|---:|---|"
status=0
for spec in one-line-1g.js:1073741824 two-gig.bin:2147483648; do
    name=${spec%%:*}
    size=${spec##*:}
    at=$((size - 1000))
    file=$WORK/$name
    rm -f "$file"
    truncate -s "$size" "$file" # sparse: zeros, no disk
    printf ' k=%s ' "$KEY" | dd of="$file" bs=1 seek="$at" conv=notrunc status=none
    for mode in dir stdin; do
        start=$(date +%s.%N)
        if [ "$mode" = dir ]; then
            out=$(cd "$WORK" && LOFTYSCAN_TRACE=1 "$BIN" dir "$name" --format json --no-config 2>"$WORK/err" || true)
        else
            out=$(LOFTYSCAN_TRACE=1 "$BIN" stdin --format json --no-config <"$file" 2>"$WORK/err" || true)
        fi
        wall=$(echo "$(date +%s.%N) - $start" | bc)
        rss_kb=$(grep 'trace:.*done$' "$WORK/err" | tail -1 | sed 's/.*peak RSS *\([0-9]*\).*/\1/')
        if [ -z "$rss_kb" ]; then
            echo "huge_lines.sh: $name ($mode): no trace line; stderr:" >&2
            cat "$WORK/err" >&2
            exit 1
        fi
        place=$(printf '%s' "$out" | python3 -c '
import json, sys
f = json.load(sys.stdin)["findings"]
print("%s:%s" % (f[0]["line"], f[0]["column"]) if len(f) == 1 else "%d findings" % len(f))')
        want="1:$((at + 4))"
        printf '| %s (%d GiB) | %s | %.2f | %.1f | %s |\n' "$name" $((size >> 30)) "$mode" "$wall" \
            "$(echo "$rss_kb / 1000" | bc -l)" "$place"
        if [ "$place" != "$want" ]; then
            echo "huge_lines.sh: $name ($mode): key at $place, expected $want" >&2
            status=1
        fi
        if [ "$rss_kb" -ge $((CAP_MB * 1024)) ]; then
            echo "huge_lines.sh: $name ($mode): peak RSS $rss_kb kB over $CAP_MB MiB" >&2
            status=1
        fi
    done
    rm -f "$file"
done
exit $status
