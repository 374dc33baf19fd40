#!/bin/sh
# scripts/install-deps.sh — installs every Debian package that vitrine's build, tests and demo
# need. Idempotent; run as root (or through sudo). With --bench it also installs the peers the
# benchmarks run beside vitrine (PyTorch).
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev
libutf8proc-dev libjpeg62-turbo-dev libpng-dev libwebp-dev zlib1g-dev libjansson-dev
libopenblas-dev liblmdb-dev libcurl4-openssl-dev libtesseract-dev tesseract-ocr-eng dataset-fashion-mnist
libmicrohttpd-dev libcairo2-dev chromium"
BENCH_PACKAGES="python3-torch python3-numpy libhnswlib-dev"

want="$PACKAGES"
[ "${1:-}" = "--bench" ] && want="$PACKAGES $BENCH_PACKAGES"

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node and npm for the server's end-to-end tests: the machine's own (NodeSource's nodejs bundles
# npm and conflicts with Debian's npm package), else Debian's
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
else
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "install-deps: installing$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# The server's end-to-end tests use the official Qdrant JS client, pinned by
# tests/server/package-lock.json; npm ci only when node_modules does not match the lock.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$root/tests/server/package-lock.json" ]; then
    if ! cmp -s "$root/tests/server/package-lock.json" "$root/tests/server/node_modules/.package-lock.json.installed" 2>/dev/null; then
        echo "install-deps: npm ci in tests/server"
        (cd "$root/tests/server" && npm ci --no-audit --no-fund --loglevel=error)
        cp "$root/tests/server/package-lock.json" "$root/tests/server/node_modules/.package-lock.json.installed"
    else
        echo "install-deps: tests/server node modules present"
    fi
fi
