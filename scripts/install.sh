#!/usr/bin/env bash
# Installs a loftyscan release binary: the GitHub Action's install step, usable anywhere.
#
#   scripts/install.sh --ref REF --dest DIR [--repo OWNER/NAME] [--base-url URL]
#                      [--target TRIPLE] [--source DIR]
#   scripts/install.sh --print-name [--os UNAME_S] [--arch UNAME_M]
#
# Takes the ref the Action was used at (`uses: owner/loftyscan@v0.1.0` gives v0.1.0) and
# downloads BASE/REF/loftyscan-TARGET (TARGET from this machine's OS and architecture,
# `.exe` on Windows) and BASE/REF/loftyscan-TARGET.sha256, checks the SHA-256 and installs
# the binary as DIR/bin/loftyscan (adding DIR/bin to $GITHUB_PATH when set). BASE defaults
# to https://github.com/REPO/releases/download. When no release matches (REF is not a
# version tag, or the server answers 404 for either file) it says so and falls back to
# `cargo install --locked --path SOURCE --root DIR` (SOURCE: this script's checkout).
# `--print-name` prints the artifact name for this machine (or the given `uname -s` and
# `uname -m`) and exits. Exit status: 0 installed; 2 refused (checksum mismatch, download
# error, bad arguments).
set -euo pipefail

die() {
    echo "loftyscan install: error: $*" >&2
    exit 2
}

ref="" dest="" repo="${GITHUB_ACTION_REPOSITORY:-}" base="" target="" print=""
os="$(uname -s)" arch="$(uname -m)"
source="$(cd "$(dirname "$0")/.." && pwd)"
while [ $# -gt 0 ]; do
    [ "$1" != --print-name ] || {
        print=1
        shift
        continue
    }
    [ $# -ge 2 ] || die "$1 needs a value"
    case "$1" in
        --ref) ref="$2" ;;
        --dest) dest="$2" ;;
        --repo) repo="$2" ;;
        --base-url) base="$2" ;;
        --target) target="$2" ;;
        --source) source="$2" ;;
        --os) os="$2" ;;
        --arch) arch="$2" ;;
        *) die "unknown option $1" ;;
    esac
    shift 2
done
[ -n "$dest" ] || [ -n "$print" ] || die "--dest DIR is required"
if [ -z "$base" ]; then
    base="https://github.com/${repo:-loftyscan/loftyscan}/releases/download"
fi
base="${base%/}"

# The release target for an OS and architecture (see .github/workflows/release.yml).
host_target() {
    local cpu
    case "$arch" in
        x86_64 | amd64) cpu=x86_64 ;;
        aarch64 | arm64) cpu=aarch64 ;;
        *) return 1 ;;
    esac
    case "$os" in
        Linux) echo "$cpu-unknown-linux-gnu" ;;
        Darwin) echo "$cpu-apple-darwin" ;;
        MINGW* | MSYS* | CYGWIN* | Windows_NT) [ "$cpu" = x86_64 ] && echo "x86_64-pc-windows-msvc" ;;
        *) return 1 ;;
    esac
}

sha256_of() {
    if command -v sha256sum > /dev/null; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

# fetch URL FILE: 0 downloaded, 3 not found (404), 2 any other failure.
fetch() {
    local code
    code="$(curl -sSL --retry 3 --connect-timeout 20 -o "$2" -w '%{http_code}' "$1")" || {
        echo "loftyscan install: cannot download $1 (HTTP ${code:-none})" >&2
        return 2
    }
    case "$code" in
        200) return 0 ;;
        404) return 3 ;;
        *)
            echo "loftyscan install: $1 answered HTTP $code" >&2
            return 2
            ;;
    esac
}

fallback() {
    echo "loftyscan install: $1; falling back to cargo install (builds from source, several minutes)"
    command -v cargo > /dev/null || die "no release binary, and cargo is not installed to build one"
    cargo install --locked --quiet --path "$source" --root "$dest"
    finish "built from $source"
}

finish() {
    local dir="$dest/bin"
    ! command -v cygpath > /dev/null || dir="$(cygpath -w "$dir")" # Windows runners' Git Bash
    [ -z "${GITHUB_PATH:-}" ] || echo "$dir" >> "$GITHUB_PATH"
    echo "loftyscan install: $("$dest/bin/loftyscan" --version) ($1) in $dest/bin"
    exit 0
}

if [ -z "$target" ] && ! target="$(host_target)"; then
    [ -z "$print" ] || die "no release binary for $os $arch"
    fallback "no release binary for $os $arch"
fi
exe=""
case "$target" in *windows*) exe=".exe" ;; esac
name="loftyscan-$target$exe"
[ -z "$print" ] || {
    echo "$name"
    exit 0
}
case "$ref" in
    v[0-9]*) ;;
    *) fallback "no release matches ref '${ref:-none}' (release binaries exist for version tags v*)" ;;
esac
url="$base/$ref/$name"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
fetch "$url.sha256" "$tmp/sum" || status=$?
[ "$status" -ne 0 ] || fetch "$url" "$tmp/$name" || status=$?
[ "$status" -ne 3 ] || fallback "no release binary at $url"
[ "$status" -eq 0 ] || die "download failed: $url"

want="$(cut -d' ' -f1 < "$tmp/sum" | tr -d '\r\n' | tr 'A-F' 'a-f')"
got="$(sha256_of "$tmp/$name")"
case "$want" in
    *[!0-9a-f]* | "") die "$url.sha256 holds no SHA-256" ;;
esac
[ "${#want}" -eq 64 ] || die "$url.sha256 holds no SHA-256"
[ "$got" = "$want" ] || die "SHA-256 mismatch for $url: expected $want, got $got; refusing to install it"

mkdir -p "$dest/bin"
install -m 0755 "$tmp/$name" "$dest/bin/loftyscan$exe"
finish "release $ref, $name, sha256 $got"
