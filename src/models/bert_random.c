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
#include "random_weights.h"
#include "bert.h"

static int init(rw_rng *r, bert_model *m) {
    const bert_config *c = &m->cfg;
    int D = c->hidden, F = c->intermediate;
    if (!(m->word_emb = rw_fill(r, (size_t)c->vocab_size * D, 0.1f, 0)) ||
        !(m->pos_emb = rw_fill(r, (size_t)c->max_positions * D, 0.1f, 0)) ||
        (c->arch == BERT_ARCH_BERT && !(m->type_emb = rw_fill(r, (size_t)D, 0.1f, 0))) ||
        !(m->emb_ln_w = rw_fill(r, D, 0.1f, 1)) || !(m->emb_ln_b = rw_fill(r, D, 0.1f, 0)) ||
        !(m->layers = vt_calloc((size_t)c->n_layers + 1, sizeof(enc_layer))))
        return VT_ENOMEM;
    if (c->arch == BERT_ARCH_MPNET) {
        float *b = rw_fill(r, (size_t)c->n_buckets * c->n_heads, 0.5f, 0);
        int rc = b ? bert_rel_bias_table(m, b) : VT_ENOMEM;
        vt_free(b);
        if (rc) return rc;
    }
    for (int i = 0; i < c->n_layers; i++) {
        enc_layer *l = &m->layers[i];
        if (!(l->ln1_w = rw_fill(r, D, 0.1f, 1)) || !(l->ln1_b = rw_fill(r, D, 0.1f, 0)) || !(l->ln2_w = rw_fill(r, D, 0.1f, 1)) ||
            !(l->ln2_b = rw_fill(r, D, 0.1f, 0)) || !(l->qkv_b = rw_fill(r, 3 * (size_t)D, 0.1f, 0)) ||
            !(l->out_b = rw_fill(r, D, 0.1f, 0)) || !(l->fc1_b = rw_fill(r, F, 0.1f, 0)) || !(l->fc2_b = rw_fill(r, D, 0.1f, 0)) ||
            rw_linear(r, 3 * D, D, &l->qkv) || rw_linear(r, D, D, &l->out) || rw_linear(r, F, D, &l->fc1) ||
            rw_linear(r, D, F, &l->fc2))
            return VT_ENOMEM;
    }
    return VT_OK;
}

int bert_init_random(const bert_config *cfg, uint64_t seed, bert_model *m, vt_error *err) {
    rw_rng r = {seed};
    m->cfg = *cfg;
    if (init(&r, m)) {
        bert_free(m);
        return vt_fail(err, VT_ENOMEM, "out of memory for random %s weights",
                       cfg->arch == BERT_ARCH_MPNET ? "MPNet" : "BERT");
    }
    return VT_OK;
}
