/*
 * bert_config.c — a BERT or MPNet folder's config.json, and MPNet's relative position buckets.
 *
 * Fields follow transformers' BertConfig / MPNetConfig, with their defaults for fields a config
 * leaves out (bert-base / mpnet-base: 768 wide, 12 layers, 12 heads, 3072; BERT 512 positions,
 * 2 token types, pad 0; MPNet 514 positions, pad 1, 32 buckets; layer_norm_eps 1e-12 for both —
 * all-mpnet-base-v2 says 1e-5 explicitly). Only what the forward pass implements is accepted:
 * hidden_act "gelu" (erf), absolute position embeddings for BERT.
 *
 * MPNet's bucket of a relative position r = key − query (transformers'
 * MPNetEncoder.relative_position_bucket with max_distance 128), for B = num_buckets:
 *
 *     half = B / 2; ret = (r > 0) ? half : 0; n = |r|; exact = half / 2
 *     n < exact:  ret + n
 *     else:       ret + min(half − 1, exact + trunc(log(n / exact) / log(128 / exact) · (half − exact)))
 *
 * torch evaluates the logarithm branch in float32 (log of a float tensor, division by the Python
 * double log(16) rounded to float, product by an int): mpnet_bucket does the same operations in
 * the same precision, so the buckets at the exact powers of two (16, 32, 64, 128 → 2, 4, 6, 8
 * past `exact` for 32 buckets) come out as torch's. The table depends only on r, which is what
 * lets packed sequences share it (encoder.h).
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/json.h"
#include "bert.h"

#define MAX_CONFIG_BYTES (4u << 20)
#define MPNET_MAX_DISTANCE 128 /* fixed in transformers' MPNet (compute_position_bias) */

int bert_config_parse(const json_t *j, const char *path, bert_config *cfg, vt_error *err) {
    memset(cfg, 0, sizeof *cfg);
    if (!json_is_object(j)) return vt_fail(err, VT_ECORRUPT, "%s: not a JSON object", path);
    const char *type, *act, *pos_type;
    int rc;
    if ((rc = vt_json_str(j, "model_type", "", path, "", &type, err))) return rc;
    if (strcmp(type, "bert") == 0) cfg->arch = BERT_ARCH_BERT;
    else if (strcmp(type, "mpnet") == 0) cfg->arch = BERT_ARCH_MPNET;
    else return vt_fail(err, VT_EUNSUPPORTED, "%s: model_type \"%s\" is not a BERT or MPNet model", path, type);
    int mp = cfg->arch == BERT_ARCH_MPNET;
    double eps;
    if ((rc = vt_json_int(j, "hidden_size", 768, 1, 65536, path, "", &cfg->hidden, err)) ||
        (rc = vt_json_int(j, "intermediate_size", 3072, 1, 262144, path, "", &cfg->intermediate, err)) ||
        (rc = vt_json_int(j, "num_hidden_layers", 12, 0, 1024, path, "", &cfg->n_layers, err)) ||
        (rc = vt_json_int(j, "num_attention_heads", 12, 1, 1024, path, "", &cfg->n_heads, err)) ||
        (rc = vt_json_float(j, "layer_norm_eps", 1e-12, path, "", &eps, err)) ||
        (rc = vt_json_int(j, "vocab_size", mp ? 30527 : 30522, 1, 1 << 24, path, "", &cfg->vocab_size, err)) ||
        (rc = vt_json_int(j, "max_position_embeddings", mp ? 514 : 512, 1, 1 << 16, path, "", &cfg->max_positions, err)) ||
        (rc = vt_json_int(j, "type_vocab_size", 2, mp ? 0 : 1, 1 << 16, path, "", &cfg->type_vocab_size, err)) ||
        (rc = vt_json_int(j, "pad_token_id", mp ? 1 : 0, 0, 1 << 24, path, "", &cfg->pad_token_id, err)) ||
        (rc = vt_json_int(j, "relative_attention_num_buckets", 32, 4, 256, path, "", &cfg->n_buckets, err)) ||
        (rc = vt_json_str(j, "hidden_act", "gelu", path, "", &act, err)) ||
        (rc = vt_json_str(j, "position_embedding_type", "absolute", path, "", &pos_type, err)))
        return rc;
    if (!(eps > 0 && eps < 1)) return vt_fail(err, VT_ECORRUPT, "%s: layer_norm_eps must be in (0, 1)", path);
    cfg->ln_eps = (float)eps;
    if (strcmp(act, "gelu") != 0 && strcmp(act, "gelu_python") != 0)
        return vt_fail(err, VT_EUNSUPPORTED, "%s: hidden_act \"%s\" is not supported (gelu)", path, act);
    cfg->act = ENC_ACT_GELU;
    if (!mp && strcmp(pos_type, "absolute") != 0)
        return vt_fail(err, VT_EUNSUPPORTED, "%s: position_embedding_type \"%s\" is not supported (absolute)", path,
                       pos_type);
    if (cfg->hidden % cfg->n_heads)
        return vt_fail(err, VT_ECORRUPT, "%s: hidden_size %d is not divisible by num_attention_heads %d", path,
                       cfg->hidden, cfg->n_heads);
    if (mp && cfg->pad_token_id + 2 > cfg->max_positions)
        return vt_fail(err, VT_ECORRUPT, "%s: max_position_embeddings %d leaves no position after the padding index %d",
                       path, cfg->max_positions, cfg->pad_token_id);
    return VT_OK;
}

int bert_config_load(const char *dir, bert_config *cfg, vt_error *err) {
    char *path = vt_path_join(dir, "config.json");
    if (!path) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    json_t *j = NULL;
    int rc = vt_json_load_file(path, MAX_CONFIG_BYTES, &j, err);
    if (rc == VT_OK) rc = bert_config_parse(j, path, cfg, err);
    json_decref(j);
    vt_free(path);
    return rc;
}

int bert_max_tokens(const bert_config *cfg) {
    if (cfg->arch == BERT_ARCH_MPNET) return cfg->max_positions - cfg->pad_token_id - 1;
    return cfg->max_positions;
}

int mpnet_bucket(int relative_position, int num_buckets) {
    int ret = 0, n = -relative_position;
    num_buckets /= 2;
    if (n < 0) ret += num_buckets;
    n = n < 0 ? -n : n;
    int max_exact = num_buckets / 2;
    if (n < max_exact) return ret + n;
    float scale = (float)log((double)MPNET_MAX_DISTANCE / max_exact); /* the Python double, as float */
    float v = logf((float)n / (float)max_exact) / scale * (float)(num_buckets - max_exact);
    int large = max_exact + (v < 1e6f ? (int)v : 1000000);
    return ret + (large < num_buckets - 1 ? large : num_buckets - 1);
}

void bert_config_mpnet_base(bert_config *cfg) {
    *cfg = (bert_config){.arch = BERT_ARCH_MPNET, .hidden = 768, .intermediate = 3072, .n_layers = 12,
                         .n_heads = 12, .act = ENC_ACT_GELU, .ln_eps = 1e-5f, .vocab_size = 30527,
                         .max_positions = 514, .type_vocab_size = 0, .pad_token_id = 1, .n_buckets = 32};
}

void bert_config_minilm_l6(bert_config *cfg) {
    *cfg = (bert_config){.arch = BERT_ARCH_BERT, .hidden = 384, .intermediate = 1536, .n_layers = 6,
                         .n_heads = 12, .act = ENC_ACT_GELU, .ln_eps = 1e-12f, .vocab_size = 30522,
                         .max_positions = 512, .type_vocab_size = 2, .pad_token_id = 0, .n_buckets = 32};
}
