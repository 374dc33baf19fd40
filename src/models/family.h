/*
 * family.h — private to src/models: what model.c needs from a model family.
 *
 * vt_model (model.c) is the same for every family: it finds the family of a folder, tokenizes
 * texts, decodes and preprocesses images, serialises calls and normalises the results. A family
 * supplies the rest through this table: loading its folder, and the forward passes from token ids
 * (and, for a family with an image tower, from preprocessed pixels) to embeddings.
 *
 *   clip  (family_clip.c)  CLIPModel: texts and images in one space
 *   st    (family_st.c)    sentence-transformers around BertModel / MPNetModel, or such a bare
 *                          model with mean pooling: texts only
 */
#ifndef VT_MODELS_FAMILY_H
#define VT_MODELS_FAMILY_H

#include <stdint.h>

#include <jansson.h>

#include "base/error.h"
#include "base/pool.h"
#include "models/clip.h"
#include "text/tokenizer.h"

/* What a family tells vt_model about an opened folder. */
typedef struct model_info {
    int dim;            /* embedding length */
    int max_tokens;     /* texts are truncated to this many tokens (specials included) */
    int image_size;     /* input image side in pixels; 0 for a text-only model */
    const clip_preprocess_config *pre; /* image preprocessing (owned by impl); NULL when text-only */
    tokenizer *tok;     /* the tokenizer; vt_model takes it over (tok_free) */
    char notice[300];   /* "" or one line on how the folder was read (vt_model_notice) */
} model_info;

typedef struct model_family {
    const char *name; /* "clip", "sentence-transformers" */
    /* open: loads the folder dir into a new *impl (released with close, which also accepts a
     * half-built one) and fills *info (zeroed by the caller). config is dir/config.json as
     * detection parsed it (borrowed), or NULL when detection went by modules.json. Errors name
     * the file. */
    int (*open)(const char *dir, const json_t *config, void **impl, model_info *info, vt_error *err);
    void (*close)(void *impl);
    /* embed_tokens: n token sequences (1 ≤ len[i] ≤ info.max_tokens) into out (n × info.dim
     * floats): what the reference library returns (transformers' get_text_features for CLIP,
     * SentenceTransformer.encode for sentence-transformers), before vitrine's own L2
     * normalisation. */
    int (*embed_tokens)(void *impl, vt_pool *pool, int n, const int32_t *const *ids, const int *len,
                        float *out, vt_error *err);
    /* embed_pixels: n preprocessed images (3 × S × S floats each) into out; NULL for a
     * text-only family. */
    int (*embed_pixels)(void *impl, vt_pool *pool, int n, const float *pixels, float *out,
                        vt_error *err);
} model_family;

extern const model_family model_family_clip;
extern const model_family model_family_st;

#endif
