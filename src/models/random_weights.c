/*
 * random_weights.c — seeded random weights for benchmarks (see random_weights.h).
 */
#include <math.h>

#include "base/alloc.h"
#include "random_weights.h"

/* uniform: the next draw, uniform in [-a, a) (splitmix64). Cannot fail. */
static float uniform(rw_rng *r, float a) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return a * (2.0f * (float)(z >> 40) / (float)(1ull << 24) - 1.0f);
}

float *rw_fill(rw_rng *r, size_t n, float a, float base) {
    float *v = vt_malloc(n * sizeof(float));
    if (v)
        for (size_t i = 0; i < n; i++) v[i] = base + uniform(r, a);
    return v;
}

int rw_linear(rw_rng *r, int n, int k, gemm_weights **w) {
    float *f = rw_fill(r, (size_t)n * k, 1.0f / sqrtf((float)k), 0);
    if (!f) return VT_ENOMEM;
    int rc = gemm_weights_pack(f, n, k, w);
    vt_free(f);
    return rc;
}
