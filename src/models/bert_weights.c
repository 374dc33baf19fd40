/*
 * bert_weights.c — loading a BERT or MPNet checkpoint's tensors (transformers' names).
 *
 *   BERT                                          MPNet
 *   embeddings.word_embeddings.weight [V][D]      embeddings.word_embeddings.weight [V][D]
 *   embeddings.position_embeddings.weight [P][D]  embeddings.position_embeddings.weight [P][D]
 *   embeddings.token_type_embeddings.weight [T][D]
 *   embeddings.LayerNorm.{weight,bias} [D]        embeddings.LayerNorm.{weight,bias} [D]
 *   encoder.layer.i.attention.self.{query,key,value}.{weight,bias}
 *                                                 encoder.layer.i.attention.attn.{q,k,v}.{weight,bias}
 *   encoder.layer.i.attention.output.dense.*      encoder.layer.i.attention.attn.o.*
 *   encoder.layer.i.attention.output.LayerNorm.*  encoder.layer.i.attention.LayerNorm.*
 *   encoder.layer.i.intermediate.dense.* [F][D], encoder.layer.i.output.dense.* [D][F],
 *   encoder.layer.i.output.LayerNorm.* (both)
 *                                                 encoder.relative_attention_bias.weight [B][heads]
 * A "bert." / "mpnet." prefix (the *ForMaskedLM checkpoints) is accepted; LayerNorm.gamma/beta
 * (old TensorFlow conversions, which transformers renames) stand in for weight/bias. pooler.* and
 * the int64 position_ids / token_type_ids buffers are ignored.
 *
 * The tensors are fetched through weights.h (shapes checked against the config, linear weights
 * packed, q, k and v stacked into one product, as for CLIP). MPNet's bucket
 * table is expanded once into the per-distance table the attention reads (bert_rel_bias_table).
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "bert.h"
#include "tensor/safetensors.h"
#include "weights.h"

/* load_layer: encoder layer i of the checkpoint (BERT or MPNet names, see above) into *l. */
static int load_layer(wt_loader *ld, const bert_config *c, int i, enc_layer *l) {
    int D = c->hidden, F = c->intermediate, mp = c->arch == BERT_ARCH_MPNET, rc;
    char p[64], n0[128], n1[128], n2[128], n3[128], n4[128], n5[128], n6[128];
    snprintf(p, sizeof p, "encoder.layer.%d", i);
    if (mp) {
        snprintf(n0, sizeof n0, "%s.attention.attn.q", p);
        snprintf(n1, sizeof n1, "%s.attention.attn.k", p);
        snprintf(n2, sizeof n2, "%s.attention.attn.v", p);
        snprintf(n3, sizeof n3, "%s.attention.attn.o", p);
        snprintf(n4, sizeof n4, "%s.attention.LayerNorm", p);
    } else {
        snprintf(n0, sizeof n0, "%s.attention.self.query", p);
        snprintf(n1, sizeof n1, "%s.attention.self.key", p);
        snprintf(n2, sizeof n2, "%s.attention.self.value", p);
        snprintf(n3, sizeof n3, "%s.attention.output.dense", p);
        snprintf(n4, sizeof n4, "%s.attention.output.LayerNorm", p);
    }
    snprintf(n5, sizeof n5, "%s.intermediate.dense", p);
    snprintf(n6, sizeof n6, "%s.output.dense", p);
    const char *const qkv[3] = {n0, n1, n2};
    char ln2[128];
    snprintf(ln2, sizeof ln2, "%s.output.LayerNorm", p);
    if ((rc = wt_get_qkv(ld, qkv, D, &l->qkv, &l->qkv_b)) || (rc = wt_get_linear(ld, n3, D, D, &l->out, &l->out_b)) ||
        (rc = wt_get_ln(ld, n4, D, &l->ln1_w, &l->ln1_b)) || (rc = wt_get_linear(ld, n5, F, D, &l->fc1, &l->fc1_b)) ||
        (rc = wt_get_linear(ld, n6, D, F, &l->fc2, &l->fc2_b)) || (rc = wt_get_ln(ld, ln2, D, &l->ln2_w, &l->ln2_b)))
        return rc;
    return VT_OK;
}

int bert_rel_bias_table(bert_model *m, const float *buckets) {
    const bert_config *c = &m->cfg;
    int span = bert_max_tokens(c), H = c->n_heads;
    size_t w = 2 * (size_t)span - 1;
    m->rel_bias = vt_malloc((size_t)H * w * sizeof(float));
    if (!m->rel_bias) return VT_ENOMEM;
    m->rel_span = span;
    for (int r = -(span - 1); r <= span - 1; r++) { /* r = key − query */
        int bucket = mpnet_bucket(r, c->n_buckets);
        for (int h = 0; h < H; h++) m->rel_bias[(size_t)h * w + (size_t)(r + span - 1)] = buckets[(size_t)bucket * H + h];
    }
    return VT_OK;
}

int bert_load(const char *dir, const bert_config *cfg, bert_model *m, vt_error *err) {
    m->cfg = *cfg;
    char *path = vt_path_join(dir, "model.safetensors");
    if (!path) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    st_file *st = NULL;
    int rc = st_open(path, &st, err);
    vt_free(path);
    if (rc) return rc;
    wt_loader ld = {st, "", err};
    static const char *const prefixes[] = {"", "bert.", "mpnet.", "model."};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        char probe[64];
        snprintf(probe, sizeof probe, "%sembeddings.word_embeddings.weight", prefixes[i]);
        if (st_find(st, probe)) {
            ld.prefix = prefixes[i];
            break;
        }
    }
    const bert_config *c = cfg;
    int D = c->hidden, mp = c->arch == BERT_ARCH_MPNET;
    float *types = NULL, *buckets = NULL;
    if ((rc = wt_get(&ld, "embeddings.word_embeddings.weight", 2, c->vocab_size, D, &m->word_emb)) ||
        (rc = wt_get(&ld, "embeddings.position_embeddings.weight", 2, c->max_positions, D, &m->pos_emb)) ||
        (!mp && (rc = wt_get(&ld, "embeddings.token_type_embeddings.weight", 2, c->type_vocab_size, D, &types))) ||
        (rc = wt_get_ln(&ld, "embeddings.LayerNorm", D, &m->emb_ln_w, &m->emb_ln_b)) ||
        (mp && (rc = wt_get(&ld, "encoder.relative_attention_bias.weight", 2, c->n_buckets, c->n_heads, &buckets))))
        goto fail;
    if (types) { /* single sentences only ever use token type 0 */
        if (!(m->type_emb = vt_malloc((size_t)D * sizeof(float)))) {
            rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", st_file_name(st));
            goto fail;
        }
        memcpy(m->type_emb, types, (size_t)D * sizeof(float));
    }
    if (buckets && bert_rel_bias_table(m, buckets)) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", st_file_name(st));
        goto fail;
    }
    if (!(m->layers = vt_calloc((size_t)c->n_layers + 1, sizeof(enc_layer)))) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", st_file_name(st));
        goto fail;
    }
    for (int i = 0; i < c->n_layers; i++)
        if ((rc = load_layer(&ld, c, i, &m->layers[i]))) goto fail;
    vt_free(types);
    vt_free(buckets);
    st_close(st);
    return VT_OK;
fail:
    vt_free(types);
    vt_free(buckets);
    st_close(st);
    bert_free(m);
    return rc;
}

void bert_free(bert_model *m) {
    if (m->layers)
        for (int i = 0; i < m->cfg.n_layers; i++) enc_layer_free(&m->layers[i]);
    vt_free(m->layers);
    vt_free(m->word_emb);
    vt_free(m->pos_emb);
    vt_free(m->type_emb);
    vt_free(m->emb_ln_w);
    vt_free(m->emb_ln_b);
    vt_free(m->rel_bias);
    memset(m, 0, sizeof *m);
}
