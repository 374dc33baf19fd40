/*
 * clip_weights.c — loading a CLIP checkpoint's tensors (transformers' CLIPModel names).
 *
 * The tensors are fetched through weights.h: each with the shape the config implies (a checkpoint
 * that disagrees with its config.json is refused with the tensor's name), linear weights packed
 * for the GEMM, q, k and v stacked into one product. Unused tensors (logit_scale, the int64
 * position_ids buffers of older checkpoints) are ignored.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "clip.h"
#include "tensor/safetensors.h"
#include "weights.h"

static int load_layer(wt_loader *ld, const char *prefix, const clip_tower_config *c, enc_layer *l) {
    char ln1[128], ln2[128], out[128], fc1[128], fc2[128], q[128], k[128], v[128];
    int D = c->hidden, F = c->intermediate;
    snprintf(ln1, sizeof ln1, "%s.layer_norm1", prefix);
    snprintf(ln2, sizeof ln2, "%s.layer_norm2", prefix);
    snprintf(out, sizeof out, "%s.self_attn.out_proj", prefix);
    snprintf(fc1, sizeof fc1, "%s.mlp.fc1", prefix);
    snprintf(fc2, sizeof fc2, "%s.mlp.fc2", prefix);
    snprintf(q, sizeof q, "%s.self_attn.q_proj", prefix);
    snprintf(k, sizeof k, "%s.self_attn.k_proj", prefix);
    snprintf(v, sizeof v, "%s.self_attn.v_proj", prefix);
    const char *const qkv[3] = {q, k, v};
    int rc;
    if ((rc = wt_get_ln(ld, ln1, D, &l->ln1_w, &l->ln1_b)) || (rc = wt_get_ln(ld, ln2, D, &l->ln2_w, &l->ln2_b)) ||
        (rc = wt_get_linear(ld, out, D, D, &l->out, &l->out_b)) ||
        (rc = wt_get_linear(ld, fc1, F, D, &l->fc1, &l->fc1_b)) ||
        (rc = wt_get_linear(ld, fc2, D, F, &l->fc2, &l->fc2_b)) || (rc = wt_get_qkv(ld, qkv, D, &l->qkv, &l->qkv_b)))
        return rc;
    return VT_OK;
}

static int load_layers(wt_loader *ld, const char *tower, const clip_tower_config *c, enc_layer **out) {
    *out = vt_calloc((size_t)c->n_layers + 1, sizeof(enc_layer));
    if (!*out) return vt_fail(ld->err, VT_ENOMEM, "%s: out of memory", st_file_name(ld->st));
    for (int i = 0; i < c->n_layers; i++) {
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%s.encoder.layers.%d", tower, i);
        int rc = load_layer(ld, prefix, c, &(*out)[i]);
        if (rc) return rc;
    }
    return VT_OK;
}

int clip_load(const char *dir, const clip_config *cfg, clip_model *m, vt_error *err) {
    m->cfg = *cfg;
    char *path = vt_path_join(dir, "model.safetensors");
    if (!path) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    st_file *st = NULL;
    int rc = st_open(path, &st, err);
    vt_free(path);
    if (rc) return rc;
    wt_loader ld = {st, "", err};
    const clip_tower_config *t = &cfg->text, *v = &cfg->vision;
    int P = cfg->projection_dim, np = v->image_size / v->patch_size;
    int patch_len = v->n_channels * v->patch_size * v->patch_size;
    float *patch = NULL;
    int64_t conv_shape[4] = {v->hidden, v->n_channels, v->patch_size, v->patch_size};
    if ((rc = wt_get(&ld, "text_model.embeddings.token_embedding.weight", 2, t->vocab_size, t->hidden, &m->tok_emb)) ||
        (rc = wt_get(&ld, "text_model.embeddings.position_embedding.weight", 2, t->max_positions, t->hidden, &m->pos_emb_text)) ||
        (rc = load_layers(&ld, "text_model", t, &m->text_layers)) ||
        (rc = wt_get(&ld, "text_model.final_layer_norm.weight", 1, t->hidden, 0, &m->final_ln_w)) ||
        (rc = wt_get(&ld, "text_model.final_layer_norm.bias", 1, t->hidden, 0, &m->final_ln_b)) ||
        (rc = wt_get_packed(&ld, "text_projection.weight", P, t->hidden, &m->text_proj)) ||
        (rc = wt_get(&ld, "vision_model.embeddings.class_embedding", 1, v->hidden, 0, &m->class_emb)) ||
        (rc = st_get_f32(st, "vision_model.embeddings.patch_embedding.weight", 4, conv_shape, &patch, err)) ||
        (rc = wt_get(&ld, "vision_model.embeddings.position_embedding.weight", 2, np * np + 1, v->hidden, &m->pos_emb_vision)) ||
        (rc = wt_get(&ld, "vision_model.pre_layrnorm.weight", 1, v->hidden, 0, &m->pre_ln_w)) ||
        (rc = wt_get(&ld, "vision_model.pre_layrnorm.bias", 1, v->hidden, 0, &m->pre_ln_b)) ||
        (rc = load_layers(&ld, "vision_model", v, &m->vision_layers)) ||
        (rc = wt_get(&ld, "vision_model.post_layernorm.weight", 1, v->hidden, 0, &m->post_ln_w)) ||
        (rc = wt_get(&ld, "vision_model.post_layernorm.bias", 1, v->hidden, 0, &m->post_ln_b)) ||
        (rc = wt_get_packed(&ld, "visual_projection.weight", P, v->hidden, &m->vision_proj)))
        goto fail;
    /* the patch convolution (stride = kernel, no bias) is a product with the [hidden][c·p·p]
     * view of its weight: the conv weight [out][c][ky][kx] is already that layout */
    rc = gemm_weights_pack(patch, v->hidden, patch_len, &m->patch_w);
    vt_free(patch);
    patch = NULL;
    if (rc) {
        rc = vt_fail(err, rc, "%s: out of memory packing the patch embedding", st_file_name(st));
        goto fail;
    }
    st_close(st);
    return VT_OK;
fail:
    vt_free(patch);
    st_close(st);
    clip_free(m);
    return rc;
}

void clip_free(clip_model *m) {
    if (m->text_layers)
        for (int i = 0; i < m->cfg.text.n_layers; i++) enc_layer_free(&m->text_layers[i]);
    if (m->vision_layers)
        for (int i = 0; i < m->cfg.vision.n_layers; i++) enc_layer_free(&m->vision_layers[i]);
    vt_free(m->text_layers);
    vt_free(m->vision_layers);
    vt_free(m->tok_emb);
    vt_free(m->pos_emb_text);
    vt_free(m->final_ln_w);
    vt_free(m->final_ln_b);
    gemm_weights_free(m->text_proj);
    vt_free(m->class_emb);
    gemm_weights_free(m->patch_w);
    vt_free(m->pos_emb_vision);
    vt_free(m->pre_ln_w);
    vt_free(m->pre_ln_b);
    vt_free(m->post_ln_w);
    vt_free(m->post_ln_b);
    gemm_weights_free(m->vision_proj);
    memset(m, 0, sizeof *m);
}
