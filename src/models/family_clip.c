/*
 * family_clip.c — the CLIP family behind vt_model (family.h): a CLIPModel folder, texts and
 * images into one space.
 *
 * open reads config.json and preprocessor_config.json (clip_config.c), the tokenizer, and the
 * weights (clip_weights.c), and checks that the tokenizer's ids fit the text tower's vocabulary.
 * The forward passes are clip_text_forward and clip_vision_forward: projected, unnormalised
 * embeddings, as transformers' get_text_features / get_image_features.
 */
#include <string.h>

#include "base/alloc.h"
#include "clip.h"
#include "family.h"

/* clip_close, clip_open, clip_embed_tokens, clip_embed_pixels: the family's functions (contracts
 * in family.h). */
static void clip_close(void *impl) {
    clip_model *m = impl;
    if (!m) return;
    clip_free(m);
    vt_free(m);
}

static int clip_open(const char *dir, const json_t *config, void **impl, model_info *info, vt_error *err) {
    clip_model *m = vt_calloc(1, sizeof *m);
    *impl = m;
    if (!m) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    clip_config cfg;
    int rc;
    if ((rc = config ? clip_config_parse(config, dir, &cfg, err) : clip_config_load(dir, &cfg, err)) || (rc = tok_load_dir(dir, &info->tok, err)) ||
        (rc = clip_load(dir, &cfg, m, err)))
        return rc;
    if (tok_vocab_size(info->tok) > cfg.text.vocab_size)
        return vt_fail(err, VT_ECORRUPT, "%s: the tokenizer has %d ids but the model's vocab_size is %d", dir,
                       tok_vocab_size(info->tok), cfg.text.vocab_size);
    info->dim = m->cfg.projection_dim;
    info->max_tokens = m->cfg.text.max_positions;
    info->image_size = m->cfg.vision.image_size;
    info->pre = &m->cfg.pre;
    return VT_OK;
}

static int clip_embed_tokens(void *impl, vt_pool *pool, int n, const int32_t *const *ids, const int *len,
                             float *out, vt_error *err) {
    return clip_text_forward(impl, pool, n, ids, len, out, err);
}

static int clip_embed_pixels(void *impl, vt_pool *pool, int n, const float *pixels, float *out, vt_error *err) {
    return clip_vision_forward(impl, pool, n, pixels, out, err);
}

const model_family model_family_clip = {"clip", clip_open, clip_close, clip_embed_tokens, clip_embed_pixels};
