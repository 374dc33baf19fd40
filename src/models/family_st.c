/*
 * family_st.c — the sentence-transformers family behind vt_model (family.h): a
 * sentence-transformers folder around a BertModel or MPNetModel, or such a bare model.
 *
 * open: the modules (st_config.c) → the Transformer folder's config.json (bert_config.c), its
 * tokenizer (lowercasing the text first when sentence_bert_config.json's do_lower_case says so)
 * and its weights (bert_weights.c). The texts' maximum length is what sentence-transformers uses:
 * sentence_bert_config.json's max_seq_length, else the tokenizer's model_max_length, capped at
 * what the position embeddings allow (512 for BERT and MPNet's 514). The embedding is
 * pool_count × hidden wide; a 1_Pooling/config.json naming another width is refused.
 *
 * embed_tokens is SentenceTransformer.encode: the encoder, the pooling, then Normalize when the
 * pipeline has one. A bare folder (no modules.json) is embedded with masked mean pooling, as
 * sentence-transformers does for a plain Hugging Face model, and the notice says so.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "bert.h"
#include "family.h"
#include "st.h"
#include "tensor/kernels.h"

typedef struct st_model {
    st_config st;    /* the modules */
    bert_model bert; /* the Transformer's encoder */
} st_model;

/* st_close, st_open, st_embed_tokens: the family's functions (contracts in family.h). */
static void st_close(void *impl) {
    st_model *m = impl;
    if (!m) return;
    bert_free(&m->bert);
    st_config_free(&m->st);
    vt_free(m);
}

/* load_config: the Transformer's config.json: detection's parse when it is that file (a bare
 * folder), else read from the Transformer's folder. */
static int load_config(const st_model *m, const char *dir, const json_t *config, bert_config *cfg, vt_error *err) {
    if (!config || strcmp(m->st.model_dir, dir) != 0) return bert_config_load(m->st.model_dir, cfg, err);
    char *path = vt_path_join(dir, "config.json");
    if (!path) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    int rc = bert_config_parse(config, path, cfg, err);
    vt_free(path);
    return rc;
}

static int st_open(const char *dir, const json_t *config, void **impl, model_info *info, vt_error *err) {
    st_model *m = vt_calloc(1, sizeof *m);
    *impl = m;
    if (!m) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    bert_config cfg;
    int rc;
    if ((rc = st_config_load(dir, &m->st, err)) || (rc = load_config(m, dir, config, &cfg, err)) ||
        (rc = tok_load_dir_ex(m->st.model_dir, m->st.do_lower_case ? TOK_LOAD_LOWER_INPUT : 0, &info->tok, err)) ||
        (rc = bert_load(m->st.model_dir, &cfg, &m->bert, err)))
        return rc;
    if (tok_vocab_size(info->tok) > cfg.vocab_size)
        return vt_fail(err, VT_ECORRUPT, "%s: the tokenizer has %d ids but the model's vocab_size is %d",
                       m->st.model_dir, tok_vocab_size(info->tok), cfg.vocab_size);
    if (m->st.pool_dim && m->st.pool_dim != cfg.hidden)
        return vt_fail(err, VT_ECORRUPT, "%s: the Pooling module expects embeddings of %d but the model's hidden_size "
                       "is %d", dir, m->st.pool_dim, cfg.hidden);
    int limit = bert_max_tokens(&cfg), max = m->st.max_seq_length;
    if (!max) max = tok_model_max_length(info->tok);
    if (!max || max > limit) max = limit;
    if (max < 2) return vt_fail(err, VT_ECORRUPT, "%s: a maximum sequence length of %d leaves no room for text", dir, max);
    info->dim = pool_count(m->st.pooling) * cfg.hidden;
    info->max_tokens = max;
    if (m->st.is_bare)
        snprintf(info->notice, sizeof info->notice, "%s: no sentence-transformers modules.json: a bare %s, embedded "
                 "with masked mean pooling", dir, cfg.arch == BERT_ARCH_MPNET ? "MPNetModel" : "BertModel");
    return VT_OK;
}

static int st_embed_tokens(void *impl, vt_pool *pool, int n, const int32_t *const *ids, const int *len,
                           float *out, vt_error *err) {
    const st_model *m = impl;
    int rc = bert_forward(&m->bert, pool, n, ids, len, m->st.pooling, out, err);
    if (rc == VT_OK && m->st.normalize) {
        int dim = pool_count(m->st.pooling) * m->bert.cfg.hidden;
        for (int i = 0; i < n; i++) k_l2_normalize(out + (size_t)i * dim, dim);
    }
    return rc;
}

const model_family model_family_st = {"sentence-transformers", st_open, st_close, st_embed_tokens, NULL};
