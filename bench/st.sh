#!/bin/sh
# bench/st.sh — vitrine's sentence-encoder benchmark beside its PyTorch peer, in one run.
#   sh bench/st.sh [BATCH] [THREADS] [SECONDS] [ROUNDS]
# For each geometry (mpnet-base = all-mpnet-base-v2, minilm-l6 = all-MiniLM-L6-v2) and each
# sentence length (16 and 128 tokens plus the two special tokens): vitrine's JSON, PyTorch's JSON
# at the same threads and at 1 thread (on 2 cores PyTorch can be faster single-threaded, and
# ../shared/BENCHMARKS.md reports the better of the two), then one line per case with the ratio
# against the better PyTorch figure. With ROUNDS > 1 (default 1) the three runs of a case are
# repeated, interleaved, and each engine's best is kept: on a shared machine a burst of someone
# else's work then hits both engines alike instead of one.
# Needs python3-torch (scripts/install-deps.sh --bench); uses Debian's /usr/bin/python3.
set -eu
cd "$(dirname "$0")/.."
BATCH=${1:-32}
THREADS=${2:-$(nproc)}
SECONDS_EACH=${3:-6}
ROUNDS=${4:-1}
PY=/usr/bin/python3
if ! $PY -c "import torch" 2>/dev/null; then
    echo "bench: python3-torch is missing (sh scripts/install-deps.sh --bench)" >&2
    exit 1
fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for arch in mpnet-base minilm-l6; do
    for tokens in 16 128; do
        round=0
        while [ "$round" -lt "$ROUNDS" ]; do
            ours=$(build/vitrine bench embed --arch "$arch" --batch "$BATCH" --threads "$THREADS" --tokens "$tokens" \
                   --seconds "$SECONDS_EACH")
            echo "$ours"
            peer_n=$(OMP_WAIT_POLICY=passive $PY bench/peers/st_torch.py --arch "$arch" --batch "$BATCH" \
                     --threads "$THREADS" --tokens "$tokens" --seconds "$SECONDS_EACH")
            echo "$peer_n"
            peer_1=$peer_n
            if [ "$THREADS" -ne 1 ]; then
                peer_1=$(OMP_WAIT_POLICY=passive $PY bench/peers/st_torch.py --arch "$arch" --batch "$BATCH" \
                         --threads 1 --tokens "$tokens" --seconds "$SECONDS_EACH")
                echo "$peer_1"
            fi
            printf '%s\t%s\t%s\n' "$ours" "$peer_n" "$peer_1" >>"$results"
            round=$((round + 1))
        done
    done
done
$PY - "$results" <<'PYEOF'
import json, sys
best = {}  # (arch, tokens) -> [vitrine, pytorch at THREADS, pytorch at 1 thread] best over rounds
for line in open(sys.argv[1]):
    o, a, b = (json.loads(s) for s in line.rstrip("\n").split("\t"))
    key = (o["arch"], o["tokens"], o["batch"], a["threads"])
    cur = best.setdefault(key, [0.0, 0.0, 0.0])
    for i, r in enumerate((o, a, b)):
        cur[i] = max(cur[i], r["texts_per_s"])
for (arch, tokens, batch, threads), (ours, pn, p1) in best.items():
    peer = max(pn, p1)
    print("%s, batch %d, %d tokens: vitrine %.1f texts/s, pytorch best %.1f (%d threads %.1f, 1 thread %.1f), "
          "ratio %.2fx" % (arch, batch, tokens, ours, peer, threads, pn, p1, ours / peer))
PYEOF
