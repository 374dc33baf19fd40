/*
 * random_weights.h — seeded random weights for benchmarks (clip_random.c, bert_random.c).
 *
 * Benchmarks run at a real checkpoint's geometry without shipping one, so weights are drawn:
 * products uniform in ±1/√fan_in (activations stay O(1): no denormals or overflow skew timing),
 * gains near 1, biases and embeddings small. splitmix64, seeded, so runs repeat.
 */
#ifndef VT_MODELS_RANDOM_WEIGHTS_H
#define VT_MODELS_RANDOM_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "tensor/gemm.h"

typedef struct rw_rng {
    uint64_t state; /* splitmix64 state */
} rw_rng;

/* rw_fill: n values base ± a in a new buffer (caller frees with vt_free); NULL on ENOMEM. */
float *rw_fill(rw_rng *r, size_t n, float a, float base);

/* rw_linear: a packed random [n][k] weight (±1/√k) into *w. VT_OK or VT_ENOMEM. */
int rw_linear(rw_rng *r, int n, int k, gemm_weights **w);

#endif
