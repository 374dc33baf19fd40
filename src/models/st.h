/*
 * st.h — reading a sentence-transformers folder: which modules, which pooling, how long a text.
 *
 * A sentence-transformers model is a pipeline of modules listed in modules.json, each with a
 * folder of its own (docs/FORMAT.md has the files):
 *   Transformer  the Hugging Face model (config.json, model.safetensors, tokenizer files) and
 *                sentence_bert_config.json (max_seq_length, do_lower_case); path "" = the folder
 *   Pooling      1_Pooling/config.json: the classic flags (pooling_mode_mean_tokens, …) or the
 *                6.x "pooling_mode" (a name or a list of names)
 *   Normalize    L2 normalisation of the pooled vector (its folder may be absent)
 * Both the classic module type names (sentence_transformers.models.Pooling) and the 6.x ones
 * (sentence_transformers.sentence_transformer.modules.pooling.Pooling, …) are read by their last
 * component. Other modules (Dense, …) are refused with their name.
 *
 * A folder without modules.json holding a bare BertModel / MPNetModel is read as
 * sentence-transformers reads one: Transformer → mean Pooling, no Normalize (is_bare says so).
 */
#ifndef VT_MODELS_ST_H
#define VT_MODELS_ST_H

#include "base/error.h"

typedef struct st_config {
    char *model_dir;    /* the Transformer module's folder (owned, vt_free) */
    unsigned pooling;   /* enum pool_mode bits (bert.h) */
    int pool_dim;       /* the word embedding dimension 1_Pooling/config.json names; 0 if none */
    int normalize;      /* 1: a Normalize module follows the pooling */
    int max_seq_length; /* sentence_bert_config.json's max_seq_length; 0 if absent or null */
    int do_lower_case;  /* sentence_bert_config.json's do_lower_case (lowercase the text first) */
    int is_bare;        /* 1: no modules.json; mean pooling assumed */
} st_config;

/* st_config_load: reads the sentence-transformers files of dir into *cfg (zeroed by the
 * function; release with st_config_free, also after a failure). Without dir/modules.json, the
 * bare reading above. Errors name the file and the entry. */
int st_config_load(const char *dir, st_config *cfg, vt_error *err);

/* st_config_free: releases cfg's strings. A zeroed cfg is accepted. */
void st_config_free(st_config *cfg);

#endif
