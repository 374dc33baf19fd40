#!/bin/sh
# bench/embed.sh — vitrine's embedding benchmark beside its PyTorch peer, in one run.
#   sh bench/embed.sh [BATCH] [THREADS] [SECONDS]
# Prints vitrine's JSON, PyTorch's JSON at the same threads and at 1 thread (on 2 cores PyTorch
# can be faster single-threaded), and the ratios against the better PyTorch figure.
# Needs python3-torch (scripts/install-deps.sh --bench); uses Debian's /usr/bin/python3.
set -eu
cd "$(dirname "$0")/.."
BATCH=${1:-16}
THREADS=${2:-$(nproc)}
SECONDS_EACH=${3:-6}
PY=/usr/bin/python3
ours=$(build/vitrine bench embed --arch vit-b-32 --batch "$BATCH" --threads "$THREADS" --seconds "$SECONDS_EACH")
echo "$ours"
if ! $PY -c "import torch" 2>/dev/null; then
    echo "bench: python3-torch is missing (sh scripts/install-deps.sh --bench)" >&2
    exit 1
fi
peer_n=$(OMP_WAIT_POLICY=passive $PY bench/peers/clip_torch.py --batch "$BATCH" --threads "$THREADS" --seconds "$SECONDS_EACH")
echo "$peer_n"
peer_1=$peer_n
if [ "$THREADS" -ne 1 ]; then
    peer_1=$(OMP_WAIT_POLICY=passive $PY bench/peers/clip_torch.py --batch "$BATCH" --threads 1 --seconds "$SECONDS_EACH")
    echo "$peer_1"
fi
$PY - "$ours" "$peer_n" "$peer_1" <<'PYEOF'
import json, sys
o, a, b = (json.loads(s) for s in sys.argv[1:4])
for k in ("images_per_s", "texts_per_s"):
    best = max(a[k], b[k])
    print("%s: vitrine %.1f, pytorch best %.1f, ratio %.2fx" % (k, o[k], best, o[k] / best))
PYEOF
