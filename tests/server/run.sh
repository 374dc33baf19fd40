#!/bin/sh
# tests/server/run.sh — the end-to-end server suite, installed by `make` as build/tests/server/e2e
# so that tests/run.sh runs it with the other test binaries (from the repository root, with
# VITRINE_BIN set). It needs node and the npm packages of tests/server (scripts/install-deps.sh
# runs `npm ci` there); when they are missing it fails loudly rather than skipping.
dir=tests/server
if ! command -v node >/dev/null 2>&1; then
    echo "server e2e: node is not installed (run scripts/install-deps.sh)"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -f "$dir/node_modules/@qdrant/js-client-rest/package.json" ] || [ ! -f "$dir/node_modules/qdrant-js-118/package.json" ] || [ ! -f "$dir/node_modules/ajv/package.json" ]; then
    echo "server e2e: $dir/node_modules is missing (run scripts/install-deps.sh, or npm ci in $dir)"
    echo "0 passed, 1 failed"
    exit 1
fi
exec node "$dir/e2e.mjs"
