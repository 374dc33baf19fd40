#!/bin/sh
# tests/server/console.sh — the web console suite (console.mjs: headless Debian Chromium driven by
# playwright-core), installed by `make` as build/tests/server/console so tests/run.sh runs it with
# the other test binaries. Fails loudly when node, the npm packages or Chromium are missing
# (scripts/install-deps.sh installs them).
dir=tests/server
if ! command -v node >/dev/null 2>&1; then
    echo "console: node is not installed (run scripts/install-deps.sh)"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -f "$dir/node_modules/playwright-core/package.json" ]; then
    echo "console: $dir/node_modules/playwright-core is missing (run scripts/install-deps.sh, or npm ci in $dir)"
    echo "0 passed, 1 failed"
    exit 1
fi
exec node "$dir/console.mjs"
