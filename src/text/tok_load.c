/*
 * tok_load.c — building a tokenizer handle from a Hugging Face model folder, the way
 * transformers 5.x AutoTokenizer does for CLIPTokenizer, BertTokenizer and MPNetTokenizer.
 *
 * Which kind. tokenizer.json when present (unless TOK_LOAD_LEGACY): model.type "BPE" (or none)
 * is CLIP, "WordPiece" is BERT/MPNet, anything else is refused. Without it: vocab.json +
 * merges.txt is CLIP, vocab.txt is WordPiece.
 *
 * Files read (all JSON through jansson; every file is read whole under a size cap):
 *
 *   tokenizer_config.json  optional. tokenizer_class: CLIPTokenizer[Fast] for CLIP;
 *                          BertTokenizer, DistilBertTokenizer or MPNetTokenizer [Fast] for
 *                          WordPiece (another class is refused). The named tokens — a string, an
 *                          AddedToken object {"content": …} or null (= none): CLIP reads
 *                          bos_token / eos_token (the sequence is BOS … EOS), WordPiece reads
 *                          cls_token / sep_token (CLS … SEP) and also bos_token / eos_token as
 *                          plain specials; both read unk_token, pad_token, mask_token. Absent =
 *                          the class's defaults: <|startoftext|> <|endoftext|> for CLIP,
 *                          [CLS] [SEP] [UNK] [PAD] [MASK] for BERT, <s> </s> [UNK] <pad> <mask>
 *                          for MPNet. WordPiece also reads do_lower_case, strip_accents and
 *                          tokenize_chinese_chars (the BertNormalizer options); every kind reads
 *                          model_max_length (kept when an integer in [1, 2^20]) and
 *                          added_tokens_decoder {"id": AddedToken, …}.
 *   special_tokens_map.json optional: the named tokens again, overriding the config (as
 *                          transformers' from_pretrained does).
 *   tokenizer.json         model.vocab {token: id}; for BPE model.merges ["a b", …] or
 *                          [["a", "b"], …] and the pre_tokenizer must contain CLIP's Split (the
 *                          file is refused otherwise); for WordPiece model.unk_token,
 *                          continuing_subword_prefix, max_input_chars_per_word, and the
 *                          BertNormalizer options of "normalizer" (the config's keys win over
 *                          them). added_tokens [{id, content, lstrip, rstrip, single_word,
 *                          normalized, special}]; padding.pad_token. Like transformers' tokenizer
 *                          classes, the rest of the pipeline is the class's whatever the file
 *                          says: only vocabulary, merges and the options above are kept. Without
 *                          a tokenizer_config.json, the WordPiece sequence tokens come from the
 *                          post_processor (RobertaProcessing / BertProcessing cls and sep, or a
 *                          TemplateProcessing "single" of SpecialToken, A, SpecialToken).
 *   vocab.json + merges.txt  CLIP otherwise: {token: id}; values that are not numbers are
 *                          skipped, numbers that are not non-negative integers are errors (as the
 *                          `tokenizers` BPE::read_file); one merge per line, "a b" split at the
 *                          single space; lines starting with "#version" are skipped anywhere; a
 *                          "\r" before the "\n" is dropped; any other line is an error.
 *   vocab.txt              WordPiece otherwise: one token per line, id = line number.
 *
 * Added tokens, first definition of a content wins: added_tokens_decoder, then tokenizer.json's
 * added_tokens, then the named special tokens (matched in the raw text). A token flagged
 * normalized is stored normalized (with the kind's normalizer) and matched after it.
 * lstrip/rstrip are accepted and have no effect on ids: they let the token swallow white space
 * beside it, and both pipelines drop white space between words anyway. single_word is refused.
 * Special ids: the id of the named token among the added tokens, else in the vocabulary; a named
 * bos/eos (cls/sep) or pad token found in neither is an error, and so is WordPiece's unknown
 * token; the pad token defaults to tokenizer.json's padding.pad_token when the config does not
 * name one.
 *
 * Errors name the file and the entry; a half-built handle is freed by tok_free.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/json.h"
#include "text/text_int.h"

/* The named tokens. SEQ_FIRST/SEQ_LAST frame the sequence (CLIP's bos/eos, BERT's cls/sep);
 * EXTRA1/EXTRA2 are WordPiece's bos_token/eos_token, only added tokens. */
enum { SP_FIRST, SP_LAST, SP_UNK, SP_PAD, SP_MASK, SP_EXTRA1, SP_EXTRA2, SP_N };
static const char *const sp_key_clip[SP_N] = {"bos_token", "eos_token", "unk_token", "pad_token",
                                              "mask_token", NULL, NULL};
static const char *const sp_key_wp[SP_N] = {"cls_token", "sep_token", "unk_token", "pad_token",
                                            "mask_token", "bos_token", "eos_token"};
static const char *const sp_default_clip[SP_N] = {"<|startoftext|>", "<|endoftext|>",
                                                  "<|endoftext|>", "<|endoftext|>", NULL, NULL, NULL};
static const char *const sp_default_bert[SP_N] = {"[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]",
                                                  NULL, NULL};
static const char *const sp_default_mpnet[SP_N] = {"<s>", "</s>", "[UNK]", "<pad>", "<mask>",
                                                   "<s>", "</s>"};

/* What loading gathers before the handle is finished. */
typedef struct load_ctx {
    tokenizer *t;            /* the handle being built */
    const char *const *sp_key; /* the config keys of the named tokens for this kind */
    char *sp[SP_N];          /* the named tokens (owned), NULL = none */
    int sp_norm[SP_N];       /* their normalized flag */
    int has_pad_key;         /* the config names pad_token (even as null) */
    json_t *config;          /* tokenizer_config.json, or NULL */
    const char *config_path; /* its path */
    json_t *root;            /* tokenizer.json, or NULL */
    wp_norm_opts norm;       /* WordPiece: the BertNormalizer options */
    size_t added_cap;        /* capacity of t->added */
    tok_scratch sc;          /* for normalizing added tokens */
} load_ctx;

/* read_json: reads and parses path (at most cap bytes) into *root, which must be an object. */
static int read_json(const char *path, size_t cap, json_t **root, vt_error *err) {
    json_t *j = NULL;
    *root = NULL;
    int rc = vt_json_load_file(path, cap, &j, err);
    if (rc) return rc;
    if (!json_is_object(j)) {
        json_decref(j);
        return vt_fail(err, VT_ECORRUPT, "%s: not a JSON object", path);
    }
    *root = j;
    return VT_OK;
}

/* jbool: o[key] as a boolean; dflt when absent or not a boolean. Cannot fail. */
static int jbool(const json_t *o, const char *key, int dflt) {
    const json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* jtristate: o[key] as 1 / 0, -1 when null; dflt when absent or not a boolean. Cannot fail. */
static int jtristate(const json_t *o, const char *key, int dflt) {
    const json_t *v = json_object_get(o, key);
    if (json_is_null(v)) return -1;
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* id_ok: 1 if v is in [0, INT32_MAX) — an id, leaving room for "largest id + 1". */
static int id_ok(json_int_t v) { return v >= 0 && v < INT32_MAX; }

/* set_sp: c->sp[k] := a copy of s (NULL = none). */
static int set_sp(load_ctx *c, int k, const char *s, const char *path, vt_error *err) {
    vt_free(c->sp[k]);
    c->sp[k] = NULL;
    if (s && !(c->sp[k] = vt_strdup(s))) return vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
    return VT_OK;
}

/* normalize: the kind's normalizer of s[0..n) into c->sc.norm. */
static int normalize(load_ctx *c, const uint8_t *s, size_t n, size_t *out_len, vt_error *err) {
    if (c->t->kind == TOK_KIND_WORDPIECE) return wp_normalize(c->t->wp, s, n, &c->sc, out_len, err);
    return clip_normalize(s, n, &c->sc, out_len, err);
}

/* add_added: appends an added token (content copied; normalized with the kind's normalizer when
 * normalized), unless its content is empty or already defined. */
static int add_added(load_ctx *c, const char *path, const char *content, int32_t id,
                     int normalized, vt_error *err) {
    tokenizer *t = c->t;
    size_t len = strlen(content);
    if (!len) return VT_OK;
    for (size_t i = 0; i < t->n_added; i++)
        if (t->added[i].len == len && memcmp(t->added[i].content, content, len) == 0)
            return VT_OK;
    if (t->n_added >= TOK_MAX_ADDED)
        return vt_fail(err, VT_ELIMIT, "%s: more than %zu added tokens", path,
                       (size_t)TOK_MAX_ADDED);
    const uint8_t *s = (const uint8_t *)content;
    size_t bad = 0;
    if (!vt_utf8_valid(s, len, &bad)) /* jansson checks, but keep the invariant local */
        return vt_fail(err, VT_ECORRUPT, "%s: added token: invalid UTF-8", path);
    if (normalized) {
        size_t nl = 0;
        int rc = normalize(c, s, len, &nl, err);
        if (rc) return rc;
        if (!nl) return VT_OK;
        s = c->sc.norm;
        len = nl;
    }
    int rc = text_grow((void **)&t->added, &c->added_cap, t->n_added + 1, sizeof *t->added,
                       TOK_MAX_ADDED);
    if (rc) return vt_fail(err, rc, "%s: out of memory", path);
    char *copy = vt_strndup((const char *)s, len);
    if (!copy) return vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
    t->added[t->n_added++] = (tok_added){.content = copy, .len = len, .id = id,
                                         .is_normalized = normalized};
    return VT_OK;
}

/* parse_added: one AddedToken object o with id id (from file path, entry what). */
static int parse_added(load_ctx *c, const char *path, const char *what, const json_t *o,
                       json_int_t id, vt_error *err) {
    const char *content = json_string_value(json_object_get(o, "content"));
    if (!json_is_object(o) || !content)
        return vt_fail(err, VT_ECORRUPT, "%s: %s: an added token needs a \"content\" string",
                       path, what);
    if (!id_ok(id))
        return vt_fail(err, VT_ECORRUPT, "%s: %s: id %lld out of range", path, what,
                       (long long)id);
    if (jbool(o, "single_word", 0))
        return vt_fail(err, VT_EUNSUPPORTED,
                       "%s: %s: added token \"%.80s\" uses single_word, which is not supported",
                       path, what, content);
    int special = jbool(o, "special", 0);
    return add_added(c, path, content, (int32_t)id, jbool(o, "normalized", !special), err);
}

/* read_named: the named tokens of the object o (tokenizer_config.json or
 * special_tokens_map.json at path); present keys replace what c->sp holds. */
static int read_named(load_ctx *c, const json_t *o, const char *path, vt_error *err) {
    for (int k = 0; k < SP_N; k++) {
        if (!c->sp_key[k]) continue;
        json_t *v = json_object_get(o, c->sp_key[k]);
        if (!v) continue;
        if (k == SP_PAD) c->has_pad_key = 1;
        const char *s = json_string_value(v);
        if (json_is_object(v)) {
            s = json_string_value(json_object_get(v, "content"));
            if (jbool(v, "single_word", 0))
                return vt_fail(err, VT_EUNSUPPORTED,
                               "%s: %s uses single_word, which is not supported", path,
                               c->sp_key[k]);
            c->sp_norm[k] = jbool(v, "normalized", 0);
        }
        if (!s && !json_is_null(v))
            return vt_fail(err, VT_ECORRUPT, "%s: %s must be a string, an AddedToken or null",
                           path, c->sp_key[k]);
        int rc = set_sp(c, k, s, path, err);
        if (rc) return rc;
    }
    return VT_OK;
}

/* is_wp_class / is_mpnet_class: the tokenizer classes of the WordPiece kind. */
static int is_wp_class(const char *cls) {
    static const char *const ok[] = {"BertTokenizer", "BertTokenizerFast", "DistilBertTokenizer",
                                     "DistilBertTokenizerFast", "MPNetTokenizer", "MPNetTokenizerFast"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(cls, ok[i]) == 0) return 1;
    return 0;
}

static int is_mpnet_class(const char *cls) { return strncmp(cls, "MPNetTokenizer", 14) == 0; }

/* wp_json_defaults: without a tokenizer_config.json, a WordPiece tokenizer.json's own word on
 * the sequence tokens (post_processor, else [CLS] … [SEP]) and the unknown token
 * (model.unk_token, else [UNK]); no pad or mask token is assumed (the padding block may name
 * one). Cannot fail except for memory. */
static int wp_json_defaults(load_ctx *c, const char *path, vt_error *err) {
    const json_t *pp = json_object_get(c->root, "post_processor");
    const char *type = json_string_value(json_object_get(pp, "type"));
    const char *first = NULL, *last = NULL;
    if (type && (strcmp(type, "RobertaProcessing") == 0 || strcmp(type, "BertProcessing") == 0)) {
        first = json_string_value(json_array_get(json_object_get(pp, "cls"), 0));
        last = json_string_value(json_array_get(json_object_get(pp, "sep"), 0));
    } else if (type && strcmp(type, "TemplateProcessing") == 0) {
        const json_t *single = json_object_get(pp, "single");
        size_t n = json_array_size(single);
        if (n == 3) {
            first = json_string_value(json_object_get(json_object_get(json_array_get(single, 0), "SpecialToken"), "id"));
            last = json_string_value(json_object_get(json_object_get(json_array_get(single, 2), "SpecialToken"), "id"));
        }
    }
    const char *unk = json_string_value(json_object_get(json_object_get(c->root, "model"), "unk_token"));
    int rc = VT_OK;
    for (int k = 0; k < SP_N && !rc; k++) rc = set_sp(c, k, NULL, path, err); /* nothing invented */
    if (!rc) rc = set_sp(c, SP_FIRST, first && last ? first : sp_default_bert[SP_FIRST], path, err);
    if (!rc) rc = set_sp(c, SP_LAST, first && last ? last : sp_default_bert[SP_LAST], path, err);
    if (!rc) rc = set_sp(c, SP_UNK, unk ? unk : sp_default_bert[SP_UNK], path, err);
    return rc;
}

/* read_config: the class check, the defaults of the class, then tokenizer_config.json's and
 * special_tokens_map.json's named tokens and options (when those files exist). */
static int read_config(load_ctx *c, const char *path, const char *map_path, vt_error *err) {
    int wp = c->t->kind == TOK_KIND_WORDPIECE, rc;
    c->sp_key = wp ? sp_key_wp : sp_key_clip;
    const char *cls = NULL;
    if (vt_file_exists(path)) {
        c->config_path = path;
        if ((rc = read_json(path, TOK_MAX_CONFIG_FILE, &c->config, err))) return rc;
        cls = json_string_value(json_object_get(c->config, "tokenizer_class"));
    }
    if (cls && !wp && strcmp(cls, "CLIPTokenizer") != 0 && strcmp(cls, "CLIPTokenizerFast") != 0)
        return vt_fail(err, VT_EUNSUPPORTED,
                       "%s: tokenizer_class %.80s is not supported with a BPE vocabulary "
                       "(CLIPTokenizer only)", path, cls);
    if (cls && wp && !is_wp_class(cls))
        return vt_fail(err, VT_EUNSUPPORTED,
                       "%s: tokenizer_class %.80s is not supported with a WordPiece vocabulary "
                       "(BertTokenizer, DistilBertTokenizer or MPNetTokenizer)", path, cls);
    const char *const *dflt = !wp ? sp_default_clip : cls && is_mpnet_class(cls) ? sp_default_mpnet
                                                                                 : sp_default_bert;
    for (int k = 0; k < SP_N; k++)
        if ((rc = set_sp(c, k, dflt[k], path, err))) return rc;
    if (wp && !c->config && c->root && (rc = wp_json_defaults(c, path, err))) return rc;
    if (c->config) {
        if ((rc = read_named(c, c->config, path, err))) return rc;
        json_t *mx = json_object_get(c->config, "model_max_length");
        if (json_is_integer(mx) && json_integer_value(mx) >= 1 && json_integer_value(mx) <= (1 << 20))
            c->t->model_max_length = (int)json_integer_value(mx);
        c->norm.lowercase = jbool(c->config, "do_lower_case", c->norm.lowercase);
        c->norm.strip_accents = jtristate(c->config, "strip_accents", c->norm.strip_accents);
        c->norm.handle_cjk = jbool(c->config, "tokenize_chinese_chars", c->norm.handle_cjk);
    }
    if (vt_file_exists(map_path)) {
        json_t *map = NULL;
        if ((rc = read_json(map_path, TOK_MAX_CONFIG_FILE, &map, err))) return rc;
        rc = read_named(c, map, map_path, err);
        json_decref(map);
        if (rc) return rc;
    }
    return VT_OK;
}

/* config_added: the added_tokens_decoder of the config. */
static int config_added(load_ctx *c, vt_error *err) {
    json_t *dec = c->config ? json_object_get(c->config, "added_tokens_decoder") : NULL;
    if (!dec) return VT_OK;
    if (!json_is_object(dec))
        return vt_fail(err, VT_ECORRUPT, "%s: added_tokens_decoder is not an object",
                       c->config_path);
    const char *key;
    json_t *v;
    json_object_foreach(dec, key, v) {
        char *end = NULL;
        long long id = strtoll(key, &end, 10);
        if (!*key || *end)
            return vt_fail(err, VT_ECORRUPT, "%s: added_tokens_decoder: key \"%.40s\" is not an id",
                           c->config_path, key);
        int rc = parse_added(c, c->config_path, "added_tokens_decoder", v, (json_int_t)id, err);
        if (rc) return rc;
    }
    return VT_OK;
}

/* json_added: tokenizer.json's added_tokens and padding.pad_token. */
static int json_added(load_ctx *c, const char *path, vt_error *err) {
    const json_t *added = json_object_get(c->root, "added_tokens");
    if (added && !json_is_array(added))
        return vt_fail(err, VT_ECORRUPT, "%s: added_tokens is not an array", path);
    for (size_t i = 0; i < json_array_size(added); i++) {
        const json_t *o = json_array_get(added, i);
        const json_t *id = json_object_get(o, "id");
        if (!json_is_integer(id))
            return vt_fail(err, VT_ECORRUPT, "%s: added_tokens[%zu] has no integer id", path, i);
        int rc = parse_added(c, path, "added_tokens", o, json_integer_value(id), err);
        if (rc) return rc;
    }
    const char *pad = json_string_value(json_object_get(json_object_get(c->root, "padding"), "pad_token"));
    if (pad && !c->has_pad_key) return set_sp(c, SP_PAD, pad, path, err);
    return VT_OK;
}

/* vocab_from_json: the {token: id} object o into a new map. strict: every value must be an id
 * (tokenizer.json); else values that are not numbers are skipped (vocab.json, as BPE::read_file). */
static int vocab_from_json(const json_t *o, int strict, const char *path, strmap **out,
                           vt_error *err) {
    *out = NULL;
    if (!json_is_object(o)) return vt_fail(err, VT_ECORRUPT, "%s: the vocabulary is not an object", path);
    if (json_object_size(o) > TOK_MAX_VOCAB)
        return vt_fail(err, VT_ELIMIT, "%s: %zu tokens is over the limit of %zu", path,
                       json_object_size(o), (size_t)TOK_MAX_VOCAB);
    strmap *m = strmap_new(json_object_size(o));
    if (!m) return vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        if (!json_is_number(v) && !strict) continue;
        if (!json_is_integer(v) || !id_ok(json_integer_value(v))) {
            strmap_free(m);
            return vt_fail(err, VT_ECORRUPT, "%s: token \"%.80s\": the id is not an integer in "
                           "[0, 2^31-1)", path, key);
        }
        int rc = strmap_put(m, key, strlen(key), (int32_t)json_integer_value(v));
        if (rc) {
            strmap_free(m);
            return vt_fail(err, rc, "%s: cannot store the vocabulary", path);
        }
    }
    *out = m;
    return VT_OK;
}

/* is_clip_split: 1 if the pre_tokenizer p is, or is a Sequence holding, CLIP's Split. */
static int is_clip_split(const json_t *p) {
    const char *type = json_string_value(json_object_get(p, "type"));
    if (!type) return 0;
    if (strcmp(type, "Split") == 0) {
        const char *re = json_string_value(json_object_get(json_object_get(p, "pattern"), "Regex"));
        return re && strcmp(re, CLIP_SPLIT_REGEX) == 0;
    }
    if (strcmp(type, "Sequence") != 0) return 0;
    const json_t *seq = json_object_get(p, "pretokenizers");
    for (size_t i = 0; i < json_array_size(seq); i++) {
        const json_t *q = json_array_get(seq, i);
        const char *qt = json_string_value(json_object_get(q, "type"));
        const char *re = json_string_value(json_object_get(json_object_get(q, "pattern"), "Regex"));
        if (qt && strcmp(qt, "Split") == 0 && re && strcmp(re, CLIP_SPLIT_REGEX) == 0) return 1;
    }
    return 0;
}

/* load_bpe_json: the CLIP BPE model of tokenizer.json (c->root): vocab and merges. */
static int load_bpe_json(load_ctx *c, const char *path, vt_error *err) {
    const json_t *model = json_object_get(c->root, "model");
    const json_t *merges = json_object_get(model, "merges");
    strmap *vocab = NULL;
    int rc;
    if (!is_clip_split(json_object_get(c->root, "pre_tokenizer")))
        return vt_fail(err, VT_EUNSUPPORTED, "%s: not a CLIP tokenizer (the pre_tokenizer lacks "
                       "CLIP's Split pattern); only CLIP's BPE is supported", path);
    if (!json_is_array(merges)) return vt_fail(err, VT_ECORRUPT, "%s: model.merges is not an array", path);
    if (json_array_size(merges) > TOK_MAX_MERGES)
        return vt_fail(err, VT_ELIMIT, "%s: more than %zu merges", path, (size_t)TOK_MAX_MERGES);
    if ((rc = vocab_from_json(json_object_get(model, "vocab"), 1, path, &vocab, err))) return rc;
    if ((rc = bpe_new(vocab, "</w>", c->sp[SP_UNK], 0, path, &c->t->bpe, err))) return rc;
    for (size_t i = 0; i < json_array_size(merges); i++) {
        const json_t *e = json_array_get(merges, i);
        const char *a = NULL, *b = NULL;
        size_t al = 0, bl = 0;
        if (json_is_string(e)) { /* "a b": exactly one space */
            const char *s = json_string_value(e);
            size_t n = json_string_length(e);
            const char *sp = memchr(s, ' ', n);
            if (sp && !memchr(sp + 1, ' ', n - (size_t)(sp + 1 - s))) {
                a = s;
                al = (size_t)(sp - s);
                b = sp + 1;
                bl = n - al - 1;
            }
        } else if (json_is_array(e) && json_array_size(e) == 2 &&
                   json_is_string(json_array_get(e, 0)) && json_is_string(json_array_get(e, 1))) {
            a = json_string_value(json_array_get(e, 0));
            al = json_string_length(json_array_get(e, 0));
            b = json_string_value(json_array_get(e, 1));
            bl = json_string_length(json_array_get(e, 1));
        }
        if (!a)
            return vt_fail(err, VT_ECORRUPT, "%s: model.merges[%zu] is neither \"a b\" nor [\"a\", \"b\"]",
                           path, i);
        if ((rc = bpe_add_merge(c->t->bpe, a, al, b, bl, (uint32_t)i, "merge", i, err))) return rc;
    }
    return VT_OK;
}

/* wp_options_json: the WordPiece model options and the BertNormalizer options of tokenizer.json
 * into *prefix, *max_chars and c->norm (before the config's keys override the latter). */
static int wp_options_json(load_ctx *c, const char *path, const char **prefix, int *max_chars,
                           vt_error *err) {
    const json_t *model = json_object_get(c->root, "model");
    const json_t *p = json_object_get(model, "continuing_subword_prefix");
    const json_t *mc = json_object_get(model, "max_input_chars_per_word");
    if (p && !json_is_null(p)) {
        if (!json_is_string(p))
            return vt_fail(err, VT_ECORRUPT, "%s: model.continuing_subword_prefix is not a string", path);
        *prefix = json_string_value(p);
    }
    if (mc && !json_is_null(mc)) {
        if (!json_is_integer(mc) || json_integer_value(mc) < 1 || json_integer_value(mc) > WP_MAX_CHARS_CAP)
            return vt_fail(err, VT_ECORRUPT, "%s: model.max_input_chars_per_word must be an integer "
                           "in [1, %d]", path, WP_MAX_CHARS_CAP);
        *max_chars = (int)json_integer_value(mc);
    }
    const json_t *n = json_object_get(c->root, "normalizer");
    const char *nt = json_string_value(json_object_get(n, "type"));
    if (nt && strcmp(nt, "BertNormalizer") == 0) {
        c->norm.clean_text = jbool(n, "clean_text", 1);
        c->norm.handle_cjk = jbool(n, "handle_chinese_chars", 1);
        c->norm.strip_accents = jtristate(n, "strip_accents", -1);
        c->norm.lowercase = jbool(n, "lowercase", 1);
    }
    return VT_OK;
}

/* kind_of_json: the kind of the parsed tokenizer.json c->root from its model.type. */
static int kind_of_json(load_ctx *c, const char *path, vt_error *err) {
    const json_t *model = json_object_get(c->root, "model");
    if (!json_is_object(model)) return vt_fail(err, VT_ECORRUPT, "%s: no \"model\" object", path);
    const char *type = json_string_value(json_object_get(model, "type"));
    if (!type || strcmp(type, "BPE") == 0) c->t->kind = TOK_KIND_CLIP;
    else if (strcmp(type, "WordPiece") == 0) c->t->kind = TOK_KIND_WORDPIECE;
    else
        return vt_fail(err, VT_EUNSUPPORTED, "%s: model type %.40s is not supported (CLIP's BPE "
                       "or BERT's WordPiece)", path, type);
    return VT_OK;
}

/* load_legacy_bpe: vocab.json + merges.txt. */
static int load_legacy_bpe(load_ctx *c, const char *vocab_path, const char *merges_path,
                           vt_error *err) {
    json_t *root = NULL;
    strmap *vocab = NULL;
    uint8_t *data = NULL;
    size_t len = 0, bad = 0;
    int rc = read_json(vocab_path, TOK_MAX_LEGACY_FILE, &root, err);
    if (rc) return rc;
    rc = vocab_from_json(root, 0, vocab_path, &vocab, err);
    json_decref(root);
    if (rc) return rc;
    if ((rc = bpe_new(vocab, "</w>", c->sp[SP_UNK], 0, merges_path, &c->t->bpe, err))) return rc;
    if ((rc = vt_file_read(merges_path, TOK_MAX_LEGACY_FILE, &data, &len, err))) return rc;
    if (!vt_utf8_valid(data, len, &bad)) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: invalid UTF-8 at byte offset %zu", merges_path, bad);
        goto done;
    }
    const char *p = (const char *)data, *end = p + len;
    size_t line = 0;
    uint32_t rank = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = (size_t)((nl ? nl : end) - p);
        if (nl && ll && p[ll - 1] == '\r') ll--; /* Rust's lines(): "\r\n" ends a line too */
        line++;
        if (!(ll >= 8 && memcmp(p, "#version", 8) == 0)) {
            const char *sp = memchr(p, ' ', ll);
            if (!sp || memchr(sp + 1, ' ', ll - (size_t)(sp + 1 - p))) {
                rc = vt_fail(err, VT_ECORRUPT, "%s: line %zu: a merge is two tokens separated by "
                             "one space", merges_path, line);
                goto done;
            }
            if (rank >= TOK_MAX_MERGES) {
                rc = vt_fail(err, VT_ELIMIT, "%s: more than %zu merges", merges_path,
                             (size_t)TOK_MAX_MERGES);
                goto done;
            }
            size_t al = (size_t)(sp - p);
            if ((rc = bpe_add_merge(c->t->bpe, p, al, sp + 1, ll - al - 1, rank++, "line", line,
                                    err)))
                goto done;
        }
        p = nl ? nl + 1 : end;
    }
done:
    vt_free(data);
    return rc;
}

/* load_wordpiece: the WordPiece model from tokenizer.json (c->root) or vocab.txt (path). */
static int load_wordpiece(load_ctx *c, const char *path, vt_error *err) {
    const char *prefix = "##";
    int max_chars = WP_DEFAULT_MAX_CHARS, rc;
    strmap *vocab = NULL;
    if (c->root) {
        if ((rc = vocab_from_json(json_object_get(json_object_get(c->root, "model"), "vocab"), 1, path,
                                  &vocab, err)))
            return rc;
        if ((rc = wp_options_json(c, path, &prefix, &max_chars, err))) {
            strmap_free(vocab);
            return rc;
        }
    } else {
        uint8_t *data = NULL;
        size_t len = 0;
        if ((rc = vt_file_read(path, TOK_MAX_LEGACY_FILE, &data, &len, err))) return rc;
        rc = wp_vocab_from_txt(data, len, path, &vocab, err);
        vt_free(data);
        if (rc) return rc;
    }
    /* the unknown id is resolved in finish, once the added tokens are known */
    return wp_new(vocab, prefix, max_chars, -1, c->norm, path, &c->t->wp, err);
}

/* vocab_id: the id of s in the kind's model vocabulary, -1 if absent. */
static int32_t vocab_id(const tokenizer *t, const char *s, size_t len) {
    return strmap_get(t->kind == TOK_KIND_WORDPIECE ? wp_vocab(t->wp) : bpe_vocab(t->bpe), s, len);
}

/* special_id: the id of the token s: among the added tokens (raw content), else in the
 * vocabulary; -1 if neither. */
static int32_t special_id(const tokenizer *t, const char *s) {
    size_t len = strlen(s);
    for (size_t i = 0; i < t->n_added; i++)
        if (t->added[i].len == len && memcmp(t->added[i].content, s, len) == 0)
            return t->added[i].id;
    return vocab_id(t, s, len);
}

/* finish: named special tokens into the added vocabulary, special ids, size, index. */
static int finish(load_ctx *c, const char *path, vt_error *err) {
    tokenizer *t = c->t;
    for (int k = 0; k < SP_N; k++) {
        if (!c->sp[k]) continue;
        int32_t id = special_id(t, c->sp[k]);
        if (id < 0) {
            if (k == SP_MASK || k >= SP_EXTRA1) continue; /* not needed to encode */
            if (k == SP_UNK && t->kind == TOK_KIND_CLIP) continue; /* only an error when a byte has no token (bpe.c) */
            return vt_fail(err, VT_ECORRUPT, "%s: %s \"%.80s\" is not in the vocabulary", path,
                           c->sp_key[k], c->sp[k]);
        }
        int rc = add_added(c, path, c->sp[k], id, c->sp_norm[k], err);
        if (rc) return rc;
    }
    if (t->kind == TOK_KIND_WORDPIECE && !c->sp[SP_UNK])
        return vt_fail(err, VT_ECORRUPT, "%s: a WordPiece tokenizer needs an unk_token", path);
    /* special_id reads raw contents: a normalized token may be stored changed, so look the
     * named ones up again the same way (they are in the vocabulary or were refused above) */
    t->bos_id = c->sp[SP_FIRST] ? special_id(t, c->sp[SP_FIRST]) : -1;
    t->eos_id = c->sp[SP_LAST] ? special_id(t, c->sp[SP_LAST]) : -1;
    t->pad_id = c->sp[SP_PAD] ? special_id(t, c->sp[SP_PAD]) : -1;
    if (t->kind == TOK_KIND_WORDPIECE) { /* WordPiece's unknown token is its own vocabulary's */
        int32_t unk = vocab_id(t, c->sp[SP_UNK], strlen(c->sp[SP_UNK]));
        wp_set_unk_id(t->wp, unk >= 0 ? unk : special_id(t, c->sp[SP_UNK]));
    }
    int32_t mx = strmap_max_id(t->kind == TOK_KIND_WORDPIECE ? wp_vocab(t->wp) : bpe_vocab(t->bpe));
    for (size_t i = 0; i < t->n_added; i++)
        if (t->added[i].id > mx) mx = t->added[i].id;
    t->vocab_size = mx + 1;
    tok_index_added(t);
    return VT_OK;
}

int tok_load_dir(const char *dir, tokenizer **out, vt_error *err) {
    return tok_load_dir_ex(dir, 0, out, err);
}

int tok_load_dir_ex(const char *dir, unsigned flags, tokenizer **out, vt_error *err) {
    *out = NULL;
    if (!dir) return vt_fail(err, VT_EINVAL, "tokenizer: no folder given");
    load_ctx c = {0};
    char *json_path = vt_path_join(dir, "tokenizer.json");
    char *vocab_path = vt_path_join(dir, "vocab.json");
    char *merges_path = vt_path_join(dir, "merges.txt");
    char *txt_path = vt_path_join(dir, "vocab.txt");
    char *config_path = vt_path_join(dir, "tokenizer_config.json");
    char *map_path = vt_path_join(dir, "special_tokens_map.json");
    int rc;
    c.t = vt_calloc(1, sizeof *c.t);
    if (!c.t || !json_path || !vocab_path || !merges_path || !txt_path || !config_path || !map_path) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory loading the tokenizer", dir);
        goto fail;
    }
    c.t->bos_id = c.t->eos_id = c.t->pad_id = -1;
    c.t->lower_input = (flags & TOK_LOAD_LOWER_INPUT) != 0;
    c.norm = (wp_norm_opts){.clean_text = 1, .handle_cjk = 1, .strip_accents = -1, .lowercase = 1};
    /* 1. which files, which kind */
    const char *used;
    int have_bpe = vt_file_exists(vocab_path) && vt_file_exists(merges_path);
    if (!(flags & TOK_LOAD_LEGACY) && vt_file_exists(json_path)) {
        used = json_path;
        if ((rc = read_json(json_path, TOK_MAX_JSON_FILE, &c.root, err)) ||
            (rc = kind_of_json(&c, json_path, err)))
            goto fail;
    } else if (have_bpe || vt_file_exists(txt_path)) {
        used = have_bpe ? merges_path : txt_path;
        c.t->kind = have_bpe ? TOK_KIND_CLIP : TOK_KIND_WORDPIECE;
    } else {
        const char *missing = !vt_file_exists(vocab_path) ? vocab_path : merges_path;
        rc = vt_fail(err, VT_ENOTFOUND, "%s: no tokenizer found: %sno vocab.txt, and %s is missing",
                     dir, (flags & TOK_LOAD_LEGACY) ? "" : "no tokenizer.json, ", missing);
        goto fail;
    }
    /* 2. the config's class, named tokens and options */
    if ((rc = read_config(&c, config_path, map_path, err))) goto fail;
    /* 3. the model */
    if (c.t->kind == TOK_KIND_WORDPIECE) rc = load_wordpiece(&c, c.root ? json_path : txt_path, err);
    else if (c.root) rc = load_bpe_json(&c, json_path, err);
    else rc = load_legacy_bpe(&c, vocab_path, merges_path, err);
    /* 4. the added vocabulary, the special ids */
    if (rc || (rc = config_added(&c, err)) || (c.root && (rc = json_added(&c, json_path, err))) ||
        (rc = finish(&c, used, err)))
        goto fail;
    *out = c.t;
    c.t = NULL;
fail:
    tok_free(c.t);
    for (int k = 0; k < SP_N; k++) vt_free(c.sp[k]);
    json_decref(c.config);
    json_decref(c.root);
    tok_scratch_fini(&c.sc);
    vt_free(json_path);
    vt_free(vocab_path);
    vt_free(merges_path);
    vt_free(txt_path);
    vt_free(config_path);
    vt_free(map_path);
    return rc;
}
