#!/bin/sh
# bench/index.sh — the vector-index benchmark beside its peer, hnswlib 0.6.2, on the same files in
# one run (../shared/BENCHMARKS.md): generates the synthetic set once (vitrine bench index
# --write-data, with brute-force ground truth), runs hnswlib and vitrine (float32, then int8, then
# float32 with a filter at each selectivity) on it, prints every JSON object and the ratios.
#
#   sh bench/index.sh [N] [DIM] [DATA]      defaults: 200000 512 aniso
#   env: THREADS=2 M=16 EFC=128 EFS=32,64,128,256 K=10 NQ=1000 SEL="0.5 0.1 0.01 0.001" OUT=/tmp/vitrine-bench-index
# Needs build/vitrine (make) and g++ with libhnswlib-dev (scripts/install-deps.sh --bench).
set -e
N=${1:-200000}
DIM=${2:-512}
DATA=${3:-aniso}
THREADS=${THREADS:-2}
M=${M:-16}
EFC=${EFC:-128}
EFS=${EFS:-32,64,128,256}
K=${K:-10}
NQ=${NQ:-1000}
SEL=${SEL:-"0.5 0.1 0.01 0.001"}
OUT=${OUT:-/tmp/vitrine-bench-index}
BUILD=${BUILD:-build}
mkdir -p "$OUT"
PREFIX="$OUT/$DATA-$N-$DIM"

[ -x "$BUILD/vitrine" ] || make "$BUILD/vitrine"
if [ ! -x "$BUILD/hnswlib_bench" ] || [ bench/peers/hnswlib_bench.cpp -nt "$BUILD/hnswlib_bench" ]; then
    g++ -O3 -march=native -std=c++17 -pthread -o "$BUILD/hnswlib_bench" bench/peers/hnswlib_bench.cpp
fi
if [ ! -f "$PREFIX.gt.ibin" ]; then
    "$BUILD/vitrine" bench index --synthetic "$DATA" --n "$N" --dim "$DIM" --nq "$NQ" --k "$K" \
        --threads "$THREADS" --write-data "$PREFIX" >&2
fi
FILES="--base $PREFIX.base.fbin --queries $PREFIX.queries.fbin --gt $PREFIX.gt.ibin"
COMMON="--m $M --ef-construct $EFC --threads $THREADS --ef $EFS --k $K"

# shellcheck disable=SC2086
"$BUILD/hnswlib_bench" $FILES $COMMON | tee "$OUT/hnswlib.json"
# shellcheck disable=SC2086
"$BUILD/vitrine" bench index $FILES $COMMON | tee "$OUT/vitrine.json"
# shellcheck disable=SC2086
"$BUILD/vitrine" bench index $FILES $COMMON --quantization int8 | tee "$OUT/vitrine-int8.json"
for s in $SEL; do
    # shellcheck disable=SC2086
    "$BUILD/vitrine" bench index $FILES $COMMON --filter-selectivity "$s" | tee "$OUT/vitrine-filter-$s.json"
done

python3 - "$OUT" $SEL <<'PY'
import json, sys
out, sels = sys.argv[1], sys.argv[2:]
h = json.load(open(f"{out}/hnswlib.json"))
for name in ("vitrine", "vitrine-int8"):
    v = json.load(open(f"{out}/{name}.json"))
    print(f"== {name} / hnswlib (n {v['n']}, dim {v['dim']}, m {v['m']}, ef_construct {v['ef_construct']}, threads {v['threads']})")
    print(f"build_seconds {v['build_seconds']:.1f} / {h['build_seconds']:.1f} = {v['build_seconds']/h['build_seconds']:.2f}   "
          f"bytes_per_vector {v['bytes_per_vector']:.0f} / {h['bytes_per_vector']:.0f} = {v['bytes_per_vector']/h['bytes_per_vector']:.2f}")
    for a, b in zip(v["search"], h["search"]):
        print(f"  ef {a['ef']:4d}: recall {a['recall']:.4f} / {b['recall']:.4f}   qps_1 {a['qps_1']:8.0f} / {b['qps_1']:8.0f} = {a['qps_1']/b['qps_1']:.2f}   "
              f"qps_n {a['qps_n']:8.0f} / {b['qps_n']:8.0f} = {a['qps_n']/b['qps_n']:.2f}")
for s in sels:
    v = json.load(open(f"{out}/vitrine-filter-{s}.json"))["filter"]
    print(f"== filter {float(s)*100:g}% allowed ({v['n_allowed']} points): ms auto / min(exact, unfiltered)")
    for e in v["search"]:
        print(f"  ef {e['ef']:4d}: {e['plan']:5s} recall {e['recall']:.4f} {e['ms']:.3f} ms; graph {e['graph_recall']:.4f} {e['graph_ms']:.3f} ms; "
              f"exact {e['exact_ms']:.3f} ms; unfiltered {e['unfiltered_ms']:.3f} ms; ratio {e['ratio_to_best']:.2f}")
PY
