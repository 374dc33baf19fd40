/*
 * tok_load.c — building a tokenizer handle from a Hugging Face model folder, the way
 * transformers 5.x AutoTokenizer does for CLIPTokenizer.
 *
 * Files read (all JSON through jansson; every file is read whole under a size cap):
 *
 *   tokenizer_config.json  optional. tokenizer_class (must be CLIPTokenizer[Fast] when given);
 *                          bos_token, eos_token, unk_token, pad_token: a string, an AddedToken
 *                          object {"content": …} or null (= none); absent = CLIP's defaults
 *                          <|startoftext|>, <|endoftext|>, <|endoftext|>, <|endoftext|>;
 *                          added_tokens_decoder {"id": AddedToken, …}.
 *   tokenizer.json         when present (unless TOK_LOAD_LEGACY). model.vocab {token: id};
 *                          model.merges ["a b", …] or [["a", "b"], …]; added_tokens
 *                          [{id, content, lstrip, rstrip, single_word, normalized, special}];
 *                          padding.pad_token. The pre_tokenizer must contain CLIP's Split (the
 *                          file is refused otherwise: only CLIP is implemented). Like
 *                          transformers' CLIPTokenizer, the rest of the pipeline is CLIP's
 *                          whatever the file says (it rebuilds normalizer, pre-tokenizer and
 *                          BPE options itself and keeps only vocab and merges).
 *   vocab.json             otherwise: {token: id}; values that are not numbers are skipped,
 *                          numbers that are not non-negative integers are errors (as the
 *                          `tokenizers` BPE::read_file).
 *   merges.txt             with it: one merge per line, "a b" split at the single space; lines
 *                          starting with "#version" are skipped anywhere; a "\r" before the
 *                          "\n" is dropped; any other line is an error, as in `tokenizers`.
 *
 * Added tokens, first definition of a content wins: added_tokens_decoder, then tokenizer.json's
 * added_tokens, then the named special tokens (bos, eos, unk, pad: matched in the raw text). A
 * token flagged normalized is stored normalized and matched after the normalizer.
 * lstrip/rstrip/single_word are not implemented and refused (CLIP uses none).
 * Special ids: the id of the named token among the added tokens, else in the vocabulary;
 * a named bos/eos/pad token found in neither is an error; the pad token defaults to
 * tokenizer.json's padding.pad_token when the config does not name one.
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

enum { SP_BOS, SP_EOS, SP_UNK, SP_PAD, SP_N };
static const char *const sp_key[SP_N] = {"bos_token", "eos_token", "unk_token", "pad_token"};
static const char *const sp_default[SP_N] = {"<|startoftext|>", "<|endoftext|>",
                                             "<|endoftext|>", "<|endoftext|>"};

/* What loading gathers before the handle is finished. */
typedef struct load_ctx {
    tokenizer *t;            /* the handle being built */
    char *sp[SP_N];          /* the named special tokens (owned), NULL = none */
    int sp_norm[SP_N];       /* their normalized flag */
    int has_pad_key;         /* the config names pad_token (even as null) */
    json_t *config;          /* tokenizer_config.json, or NULL */
    const char *config_path; /* its path */
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

/* id_ok: 1 if v is in [0, INT32_MAX) — an id, leaving room for "largest id + 1". */
static int id_ok(json_int_t v) { return v >= 0 && v < INT32_MAX; }

/* add_added: appends an added token (content copied; normalized with CLIP's normalizer when
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
    if (!text_utf8_check(s, len, &bad)) /* jansson checks, but keep the invariant local */
        return vt_fail(err, VT_ECORRUPT, "%s: added token: invalid UTF-8", path);
    if (normalized) {
        size_t nl = 0;
        int rc = clip_normalize(s, len, &c->sc, &nl, err);
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
    if (jbool(o, "lstrip", 0) || jbool(o, "rstrip", 0) || jbool(o, "single_word", 0))
        return vt_fail(err, VT_EUNSUPPORTED,
                       "%s: %s: added token \"%.80s\" uses lstrip/rstrip/single_word, which is "
                       "not supported", path, what, content);
    int special = jbool(o, "special", 0);
    return add_added(c, path, content, (int32_t)id, jbool(o, "normalized", !special), err);
}

/* read_config: tokenizer_config.json, when there is one: class check and named tokens. */
static int read_config(load_ctx *c, const char *path, vt_error *err) {
    for (int k = 0; k < SP_N; k++) {
        c->sp[k] = vt_strdup(sp_default[k]);
        if (!c->sp[k]) return vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
    }
    if (!vt_file_exists(path)) return VT_OK;
    c->config_path = path;
    int rc = read_json(path, TOK_MAX_CONFIG_FILE, &c->config, err);
    if (rc) return rc;
    const char *cls = json_string_value(json_object_get(c->config, "tokenizer_class"));
    if (cls && strcmp(cls, "CLIPTokenizer") != 0 && strcmp(cls, "CLIPTokenizerFast") != 0)
        return vt_fail(err, VT_EUNSUPPORTED,
                       "%s: tokenizer_class %.80s is not supported (CLIPTokenizer only)", path, cls);
    for (int k = 0; k < SP_N; k++) {
        json_t *v = json_object_get(c->config, sp_key[k]);
        if (!v) continue;
        if (k == SP_PAD) c->has_pad_key = 1;
        vt_free(c->sp[k]);
        c->sp[k] = NULL;
        if (json_is_null(v)) continue;
        const char *s = json_string_value(v);
        if (json_is_object(v)) {
            s = json_string_value(json_object_get(v, "content"));
            if (jbool(v, "lstrip", 0) || jbool(v, "rstrip", 0) || jbool(v, "single_word", 0))
                return vt_fail(err, VT_EUNSUPPORTED,
                               "%s: %s uses lstrip/rstrip/single_word, which is not supported",
                               path, sp_key[k]);
            c->sp_norm[k] = jbool(v, "normalized", 0);
        }
        if (!s)
            return vt_fail(err, VT_ECORRUPT, "%s: %s must be a string, an AddedToken or null",
                           path, sp_key[k]);
        if (!(c->sp[k] = vt_strdup(s))) return vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
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

/* load_tokenizer_json: vocab, merges, added tokens and padding of tokenizer.json. */
static int load_tokenizer_json(load_ctx *c, const char *path, vt_error *err) {
    json_t *root = NULL;
    strmap *vocab = NULL;
    int rc = read_json(path, TOK_MAX_JSON_FILE, &root, err);
    if (rc) return rc;
    const json_t *model = json_object_get(root, "model");
    const char *type = json_string_value(json_object_get(model, "type"));
    const json_t *merges = json_object_get(model, "merges");
    if (!json_is_object(model)) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: no \"model\" object", path);
        goto done;
    }
    if (type && strcmp(type, "BPE") != 0) {
        rc = vt_fail(err, VT_EUNSUPPORTED, "%s: model type %.40s is not supported (CLIP BPE only)",
                     path, type);
        goto done;
    }
    if (!is_clip_split(json_object_get(root, "pre_tokenizer"))) {
        rc = vt_fail(err, VT_EUNSUPPORTED, "%s: not a CLIP tokenizer (the pre_tokenizer lacks "
                     "CLIP's Split pattern); only CLIP is supported", path);
        goto done;
    }
    if (!json_is_array(merges)) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: model.merges is not an array", path);
        goto done;
    }
    if (json_array_size(merges) > TOK_MAX_MERGES) {
        rc = vt_fail(err, VT_ELIMIT, "%s: more than %zu merges", path, (size_t)TOK_MAX_MERGES);
        goto done;
    }
    if ((rc = vocab_from_json(json_object_get(model, "vocab"), 1, path, &vocab, err))) goto done;
    rc = bpe_new(vocab, "</w>", c->sp[SP_UNK], 0, path, &c->t->bpe, err);
    vocab = NULL; /* taken by bpe_new */
    if (rc) goto done;
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
        if (!a) {
            rc = vt_fail(err, VT_ECORRUPT, "%s: model.merges[%zu] is neither \"a b\" nor [\"a\", \"b\"]",
                         path, i);
            goto done;
        }
        if ((rc = bpe_add_merge(c->t->bpe, a, al, b, bl, (uint32_t)i, "merge", i, err))) goto done;
    }
    if ((rc = config_added(c, err))) goto done;
    const json_t *added = json_object_get(root, "added_tokens");
    if (added && !json_is_array(added)) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: added_tokens is not an array", path);
        goto done;
    }
    for (size_t i = 0; i < json_array_size(added); i++) {
        const json_t *o = json_array_get(added, i);
        const json_t *id = json_object_get(o, "id");
        if (!json_is_integer(id)) {
            rc = vt_fail(err, VT_ECORRUPT, "%s: added_tokens[%zu] has no integer id", path, i);
            goto done;
        }
        if ((rc = parse_added(c, path, "added_tokens", o, json_integer_value(id), err))) goto done;
    }
    const char *pad = json_string_value(json_object_get(json_object_get(root, "padding"), "pad_token"));
    if (pad && !c->has_pad_key) {
        vt_free(c->sp[SP_PAD]);
        if (!(c->sp[SP_PAD] = vt_strdup(pad))) rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
    }
done:
    strmap_free(vocab);
    json_decref(root);
    return rc;
}

/* load_legacy: vocab.json + merges.txt. */
static int load_legacy(load_ctx *c, const char *vocab_path, const char *merges_path,
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
    if (!text_utf8_check(data, len, &bad)) {
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
    rc = config_added(c, err);
done:
    vt_free(data);
    return rc;
}

/* special_id: the id of the token s: among the added tokens (raw content), else in the
 * vocabulary; -1 if neither. */
static int32_t special_id(const tokenizer *t, const char *s) {
    size_t len = strlen(s);
    for (size_t i = 0; i < t->n_added; i++)
        if (t->added[i].len == len && memcmp(t->added[i].content, s, len) == 0)
            return t->added[i].id;
    return strmap_get(bpe_vocab(t->bpe), s, len);
}

/* finish: named special tokens into the added vocabulary, special ids, size, index. */
static int finish(load_ctx *c, const char *path, vt_error *err) {
    tokenizer *t = c->t;
    for (int k = 0; k < SP_N; k++) {
        if (!c->sp[k]) continue;
        int32_t id = special_id(t, c->sp[k]);
        if (id < 0) {
            if (k == SP_UNK) continue; /* only an error when a byte has no token (bpe.c) */
            return vt_fail(err, VT_ECORRUPT, "%s: %s \"%.80s\" is not in the vocabulary", path,
                           sp_key[k], c->sp[k]);
        }
        int rc = add_added(c, path, c->sp[k], id, c->sp_norm[k], err);
        if (rc) return rc;
    }
    /* special_id reads raw contents: a normalized token may be stored changed, so look the
     * named ones up again the same way (they are in the vocabulary or were refused above) */
    t->bos_id = c->sp[SP_BOS] ? special_id(t, c->sp[SP_BOS]) : -1;
    t->eos_id = c->sp[SP_EOS] ? special_id(t, c->sp[SP_EOS]) : -1;
    t->pad_id = c->sp[SP_PAD] ? special_id(t, c->sp[SP_PAD]) : -1;
    int32_t mx = strmap_max_id(bpe_vocab(t->bpe));
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
    char *config_path = vt_path_join(dir, "tokenizer_config.json");
    int rc;
    c.t = vt_calloc(1, sizeof *c.t);
    if (!c.t || !json_path || !vocab_path || !merges_path || !config_path) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory loading the tokenizer", dir);
        goto fail;
    }
    c.t->kind = TOK_KIND_CLIP;
    c.t->bos_id = c.t->eos_id = c.t->pad_id = -1;
    if ((rc = read_config(&c, config_path, err))) goto fail;
    const char *used;
    if (!(flags & TOK_LOAD_LEGACY) && vt_file_exists(json_path)) {
        used = json_path;
        rc = load_tokenizer_json(&c, json_path, err);
    } else if (vt_file_exists(vocab_path) && vt_file_exists(merges_path)) {
        used = merges_path;
        rc = load_legacy(&c, vocab_path, merges_path, err);
    } else {
        const char *missing = !vt_file_exists(vocab_path) ? vocab_path : merges_path;
        rc = vt_fail(err, VT_ENOTFOUND, "%s: no tokenizer found: %s%s is missing", dir,
                     (flags & TOK_LOAD_LEGACY) ? "" : "no tokenizer.json, and ", missing);
        goto fail;
    }
    if (rc || (rc = finish(&c, used, err))) goto fail;
    *out = c.t;
    c.t = NULL;
fail:
    tok_free(c.t);
    for (int k = 0; k < SP_N; k++) vt_free(c.sp[k]);
    json_decref(c.config);
    vt_free(c.sc.cp);
    vt_free(c.sc.tmp);
    vt_free(c.sc.norm);
    bpe_scratch_fini(&c.sc.bpe);
    vt_free(json_path);
    vt_free(vocab_path);
    vt_free(merges_path);
    vt_free(config_path);
    return rc;
}
