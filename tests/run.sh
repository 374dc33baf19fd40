#!/bin/sh
# tests/run.sh — runs every test binary under $BUILD/tests (each its own process, with a timeout),
# echoes their output, and ends with one line: "N passed, N failed". A binary that crashes,
# times out or prints no summary counts as one failure. Run from the repository root.
BUILD=${BUILD:-build}
export VITRINE_BIN="$BUILD/vitrine"
TIMEOUT=${TEST_TIMEOUT:-600}
passed=0
failed=0
for t in $(find "$BUILD/tests" -type f -perm -u+x ! -path '*/replay/*' | sort) $(find "$BUILD/tests/replay" -type f -perm -u+x 2>/dev/null | sort); do
    name=${t#"$BUILD/tests/"}
    echo "== $name"
    out=$(mktemp)
    case "$name" in
        replay/*) corpus="tests/fuzz/corpus/$(basename "$t")"; timeout "$TIMEOUT" "$t" "$corpus" >"$out" 2>&1 ;;
        *) timeout "$TIMEOUT" "$t" >"$out" 2>&1 ;;
    esac
    rc=$?
    cat "$out"
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    rm -f "$out"
    if [ -z "$summary" ]; then
        echo "!! $name exited with status $rc and no summary"
        failed=$((failed + 1))
        continue
    fi
    p=${summary%% passed*}
    f=${summary#*passed, }
    f=${f%% failed*}
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "!! $name exited with status $rc"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
