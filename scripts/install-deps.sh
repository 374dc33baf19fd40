#!/bin/sh
# scripts/install-deps.sh — installs every Debian package that vitrine's build, tests and demo
# need. Idempotent; run as root (or through sudo). With --bench it also installs the peers the
# benchmarks run beside vitrine (PyTorch).
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev
libutf8proc-dev libjpeg62-turbo-dev libpng-dev libwebp-dev zlib1g-dev libjansson-dev
libopenblas-dev liblmdb-dev dataset-fashion-mnist"
BENCH_PACKAGES="python3-torch python3-numpy libhnswlib-dev"

want="$PACKAGES"
[ "${1:-}" = "--bench" ] && want="$PACKAGES $BENCH_PACKAGES"

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
