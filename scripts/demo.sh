#!/bin/sh
# scripts/demo.sh — what `make demo` runs: install the packages, build, run `vitrine demo`.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
make -j"$(nproc)" build/vitrine
exec build/vitrine demo "$@"
