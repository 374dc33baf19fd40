/*
 * bert_random.c — a BERT or MPNet model with random weights, for benchmarks.
 *
 * The benchmark runs at the geometry of a published checkpoint (all-mpnet-base-v2,
 * all-MiniLM-L6-v2) without shipping one, so the weights are drawn here as clip_random.c draws
 * CLIP's: uniform in ±1/√fan_in for products (keeps activations O(1), so no denormals or
 * overflow skew the timing), 1 ± 0.1 for layer-norm gains, small for biases, embeddings and the
 * relative bias buckets. splitmix64, seeded, so runs are repeatable.
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "bert.h"

typedef struct {
    uint64_t state;
} rng;

/* uniform: the next draw, uniform in [-a, a) (splitmix64). Cannot fail. */
static float uniform(rng *r, float a) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return a * (2.0f * (float)(z >> 40) / (float)(1ull << 24) - 1.0f);
}

/* fill: n values base ± a in a new buffer (caller frees); NULL on ENOMEM. */
static float *fill(rng *r, size_t n, float a, float base) {
    float *v = vt_malloc(n * sizeof(float));
    if (v)
        for (size_t i = 0; i < n; i++) v[i] = base + uniform(r, a);
    return v;
}

/* linear: a packed random [n][k] weight (±1/√k) into *w. VT_OK or VT_ENOMEM. */
static int linear(rng *r, int n, int k, gemm_weights **w) {
    float *f = fill(r, (size_t)n * k, 1.0f / sqrtf((float)k), 0);
    if (!f) return VT_ENOMEM;
    int rc = gemm_weights_pack(f, n, k, w);
    vt_free(f);
    return rc;
}

/* init: every tensor of m for m->cfg. VT_ENOMEM on failure (the caller frees m). */
static int init(rng *r, bert_model *m) {
    const bert_config *c = &m->cfg;
    int D = c->hidden, F = c->intermediate;
    if (!(m->word_emb = fill(r, (size_t)c->vocab_size * D, 0.1f, 0)) ||
        !(m->pos_emb = fill(r, (size_t)c->max_positions * D, 0.1f, 0)) ||
        (c->arch == BERT_ARCH_BERT && !(m->type_emb = fill(r, (size_t)D, 0.1f, 0))) ||
        !(m->emb_ln_w = fill(r, D, 0.1f, 1)) || !(m->emb_ln_b = fill(r, D, 0.1f, 0)) ||
        !(m->layers = vt_calloc((size_t)c->n_layers + 1, sizeof(enc_layer))))
        return VT_ENOMEM;
    if (c->arch == BERT_ARCH_MPNET) {
        float *b = fill(r, (size_t)c->n_buckets * c->n_heads, 0.5f, 0);
        int rc = b ? bert_rel_bias_table(m, b) : VT_ENOMEM;
        vt_free(b);
        if (rc) return rc;
    }
    for (int i = 0; i < c->n_layers; i++) {
        enc_layer *l = &m->layers[i];
        if (!(l->ln1_w = fill(r, D, 0.1f, 1)) || !(l->ln1_b = fill(r, D, 0.1f, 0)) || !(l->ln2_w = fill(r, D, 0.1f, 1)) ||
            !(l->ln2_b = fill(r, D, 0.1f, 0)) || !(l->qkv_b = fill(r, 3 * (size_t)D, 0.1f, 0)) ||
            !(l->out_b = fill(r, D, 0.1f, 0)) || !(l->fc1_b = fill(r, F, 0.1f, 0)) || !(l->fc2_b = fill(r, D, 0.1f, 0)) ||
            linear(r, 3 * D, D, &l->qkv) || linear(r, D, D, &l->out) || linear(r, F, D, &l->fc1) ||
            linear(r, D, F, &l->fc2))
            return VT_ENOMEM;
    }
    return VT_OK;
}

int bert_init_random(const bert_config *cfg, uint64_t seed, bert_model *m, vt_error *err) {
    rng r = {seed};
    m->cfg = *cfg;
    if (init(&r, m)) {
        bert_free(m);
        return vt_fail(err, VT_ENOMEM, "out of memory for random %s weights",
                       cfg->arch == BERT_ARCH_MPNET ? "MPNet" : "BERT");
    }
    return VT_OK;
}
