/*
 * test_st.c — sentence-transformers text encoders (BERT, MPNet) against the goldens of
 * sentence-transformers 6.0.1 / transformers 5.17.
 *
 * For tiny-mpnet-st (6.x save format), tiny-mpnet-st-classic (the same model in the classic format
 * of the hub's all-mpnet-base-v2, max_seq_length 384; it must give tiny-mpnet-st's embeddings),
 * tiny-bert-st-mean and tiny-bert-st-cls: every string of the golden's "texts" metadata is
 * tokenized (equal to the golden input_ids under its attention mask) and embedded through the
 * public API; each sentence embedding must be within 1e-4 of the golden's, item by item, with
 * vitrine's normalisation and without it (--no-normalize: encode's own output, which these
 * pipelines normalise). The last hidden states of the first four strings are compared too (the
 * goldens come from padded batches with attention masks; vitrine runs packed batches).
 * Then: the pooling modes on crafted folders against the formulas, the bare-model reading,
 * MPNet's buckets against torch, truncation, text-only errors, bad folders and allocation
 * failures; and the command line ($VITRINE_BIN, set by tests/run.sh): `vitrine tokenize` and
 * `vitrine embed` on these folders against the same goldens, `embed --image` on a text-only model,
 * the bare-model notice. Run from the repository root.
 */
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "models/bert.h"
#include "tensor/kernels.h"
#include "tensor/safetensors.h"
#include "cli_run.h"
#include "test.h"
#include "vitrine.h"

#define TOL 1e-4
#define MODELS "tests/fixtures/models/"
#define GOLDEN "tests/fixtures/golden/"

static char tmp[64]; /* a mkdtemp folder for crafted model folders */

/* golden: the golden file's texts (JSON array) and tensors; all NULL on failure. */
typedef struct {
    st_file *st;
    json_t *texts;
    size_t n, L;           /* strings, padded length */
    float *emb;            /* [n][dim] sentence_embeddings */
    float *hidden4;        /* [4][L][hidden] last_hidden_first4 */
    const int64_t *ids;    /* [n][L] input_ids (little-endian int64, inside the mapping) */
    const int64_t *mask;   /* [n][L] attention_mask */
} golden;

static int golden_open(const char *path, int dim, golden *g) {
    vt_error err = {0};
    memset(g, 0, sizeof *g);
    if (st_open(path, &g->st, &err) != VT_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 0;
    }
    g->texts = json_loads(st_metadata(g->st, "texts"), JSON_ALLOW_NUL, NULL);
    const st_tensor *ids = st_find(g->st, "input_ids"), *mask = st_find(g->st, "attention_mask");
    if (!json_is_array(g->texts) || !ids || !mask || ids->dtype != ST_I64 || mask->dtype != ST_I64) return 0;
    g->n = (size_t)ids->shape[0];
    g->L = (size_t)ids->shape[1];
    g->ids = (const int64_t *)ids->data;
    g->mask = (const int64_t *)mask->data;
    int64_t es[2] = {(int64_t)g->n, dim}, hs[3] = {4, (int64_t)g->L, dim};
    return g->n == json_array_size(g->texts) && st_get_f32(g->st, "sentence_embeddings", 2, es, &g->emb, &err) == VT_OK &&
           st_get_f32(g->st, "last_hidden_first4", 3, hs, &g->hidden4, &err) == VT_OK;
}

static void golden_close(golden *g) {
    vt_free(g->emb);
    vt_free(g->hidden4);
    json_decref(g->texts);
    st_close(g->st);
}

/* texts_of: pointers and lengths of the golden's strings (malloc'd arrays). */
static void texts_of(const golden *g, const char ***tp, size_t **tl) {
    *tp = calloc(g->n, sizeof **tp);
    *tl = calloc(g->n, sizeof **tl);
    for (size_t i = 0; i < g->n; i++) {
        (*tp)[i] = json_string_value(json_array_get(g->texts, i));
        (*tl)[i] = json_string_length(json_array_get(g->texts, i));
    }
}

/* check_model: token ids, sentence embeddings (both normalisations) and the first four hidden
 * states of model_dir against the golden. */
static void check_model(const char *model_dir, const char *golden_path) {
    golden g;
    ASSERT_TRUE(golden_open(golden_path, 32, &g));
    const char **tp;
    size_t *tl;
    texts_of(&g, &tp, &tl);
    vt_error err = {0};
    double worst[2] = {0, 0};
    size_t worst_at[2] = {0, 0};
    int ids_ok = 1;
    for (int normalize = 1; normalize >= 0; normalize--) {
        vt_model_opts o = vt_model_opts_default();
        o.normalize = normalize;
        o.n_threads = 2;
        vt_model *m = NULL;
        if (vt_model_open(model_dir, &o, &m, &err) != VT_OK) fprintf(stderr, "%s\n", err.message);
        ASSERT_TRUE(m != NULL);
        ASSERT_EQ(vt_model_dim(m), 32);
        ASSERT_EQ(vt_model_max_tokens(m), 384);
        ASSERT_EQ(vt_model_has_image(m), 0);
        ASSERT_EQ(vt_model_has_text(m), 1);
        ASSERT_TRUE(vt_model_notice(m) == NULL);
        ASSERT_STR_EQ(vt_model_family(m), "sentence-transformers");
        /* the ids, under the attention mask */
        for (size_t i = 0; normalize && i < g.n; i++) {
            int32_t *ids = NULL;
            size_t n = 0;
            ASSERT_EQ(vt_tokenize(m, tp[i], tl[i], vt_model_max_tokens(m), &ids, &n, &err), VT_OK);
            size_t want = 0;
            while (want < g.L && g.mask[i * g.L + want]) want++;
            int same = n == want;
            for (size_t t = 0; same && t < n; t++) same = ids[t] == g.ids[i * g.L + t];
            if (!same) fprintf(stderr, "  %s: string %zu: ids differ from the golden\n", model_dir, i);
            ids_ok &= same;
            vt_mem_free(ids);
        }
        float *v = calloc(g.n * 32, sizeof(float));
        int rc = vt_embed_texts_len(m, tp, tl, g.n, v, &err);
        if (rc) fprintf(stderr, "%s\n", err.message);
        for (size_t i = 0; rc == VT_OK && i < g.n; i++)
            for (int d = 0; d < 32; d++) {
                double e = fabs((double)v[i * 32 + d] - g.emb[i * 32 + d]);
                if (e > worst[normalize]) worst[normalize] = e, worst_at[normalize] = i;
            }
        free(v);
        vt_model_close(m);
        ASSERT_EQ(rc, VT_OK);
    }
    printf("  %s: %zu texts, worst |diff| %.2e (item %zu) normalised, %.2e (item %zu) as encode gives it\n", model_dir,
           g.n, worst[1], worst_at[1], worst[0], worst_at[0]);
    ASSERT_TRUE(ids_ok);
    ASSERT_TRUE(worst[1] <= TOL);
    ASSERT_TRUE(worst[0] <= TOL);

    /* the last hidden states of the first four strings, on the real tokens */
    bert_config cfg;
    bert_model bm;
    memset(&bm, 0, sizeof bm);
    ASSERT_EQ(bert_config_load(model_dir, &cfg, &err), VT_OK);
    ASSERT_EQ(bert_load(model_dir, &cfg, &bm, &err), VT_OK);
    int32_t *ids[4];
    int len[4], total = 0;
    for (int i = 0; i < 4; i++) {
        ids[i] = malloc(g.L * sizeof(int32_t));
        len[i] = 0;
        while ((size_t)len[i] < g.L && g.mask[i * g.L + len[i]]) {
            ids[i][len[i]] = (int32_t)g.ids[i * g.L + len[i]];
            len[i]++;
        }
        total += len[i];
    }
    float *h = malloc((size_t)total * 32 * sizeof(float));
    ASSERT_EQ(bert_hidden(&bm, NULL, 4, (const int32_t *const *)ids, len, h, &err), VT_OK);
    double hw = 0;
    for (int i = 0, row = 0; i < 4; row += len[i], i++)
        for (int t = 0; t < len[i]; t++)
            for (int d = 0; d < 32; d++) {
                double e = fabs((double)h[((size_t)row + t) * 32 + d] - g.hidden4[((size_t)i * g.L + t) * 32 + d]);
                if (e > hw) hw = e;
            }
    printf("  %s: last hidden states of 4 texts, worst |diff| %.2e\n", model_dir, hw);
    for (int i = 0; i < 4; i++) free(ids[i]);
    free(h);
    bert_free(&bm);
    free(tp);
    free(tl);
    golden_close(&g);
    ASSERT_TRUE(hw <= TOL);
}

static void test_tiny_mpnet_st(void) { check_model(MODELS "tiny-mpnet-st", GOLDEN "tiny-mpnet-st.golden.safetensors"); }

static void test_tiny_mpnet_st_classic(void) {
    check_model(MODELS "tiny-mpnet-st-classic", GOLDEN "tiny-mpnet-st.golden.safetensors");
}

static void test_tiny_bert_st_mean(void) {
    check_model(MODELS "tiny-bert-st-mean", GOLDEN "tiny-bert-st-mean.golden.safetensors");
}

static void test_tiny_bert_st_cls(void) {
    check_model(MODELS "tiny-bert-st-cls", GOLDEN "tiny-bert-st-cls.golden.safetensors");
}

/* One text at a time, and any thread count, equals the batch. */
static void test_batch_invariance(void) {
    vt_error err = {0};
    const char *t[4] = {"a cat", "a photo of a sneaker with a very long caption that goes on and on", "",
                        "Héllo, wörld! 日本語"};
    float all[4 * 32], one[32];
    for (int threads = 1; threads <= 3; threads++) {
        vt_model_opts o = vt_model_opts_default();
        o.n_threads = threads;
        vt_model *m = NULL;
        ASSERT_EQ(vt_model_open(MODELS "tiny-mpnet-st", &o, &m, &err), VT_OK);
        ASSERT_EQ(vt_embed_texts(m, t, 4, all, &err), VT_OK);
        for (int i = 0; i < 4; i++) {
            ASSERT_EQ(vt_embed_texts(m, &t[i], 1, one, &err), VT_OK);
            for (int d = 0; d < 32; d++) ASSERT_NEAR(one[d], all[i * 32 + d], 1e-5);
        }
        vt_model_close(m);
    }
}

/* ---------------------------------------------------------------------------------------------
 * crafted folders
 */

/* link_all: dst/NAME → src/NAME for every name (NULL-terminated), dst created. */
static void link_all(const char *src, const char *dst, const char *const *names) {
    char cwd[1024];
    mkdir(dst, 0755);
    if (!getcwd(cwd, sizeof cwd)) return;
    for (int i = 0; names[i]; i++) {
        char s[1600], d[600];
        snprintf(s, sizeof s, "%s/%s/%s", cwd, src, names[i]);
        snprintf(d, sizeof d, "%s/%s", dst, names[i]);
        if (symlink(s, d) != 0) perror(d);
    }
}

static void write_text(const char *dir, const char *name, const char *content) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fputs(content, f);
        fclose(f);
    }
}

static const char *const model_files[] = {"config.json", "model.safetensors", "tokenizer.json",
                                          "tokenizer_config.json", NULL};

/* crafted_from: tmp/NAME: the model files of src, a modules.json (Transformer, Pooling, and
 * Normalize when normalize), 1_Pooling/config.json := pooling, and sentence_bert_config.json :=
 * sbert when given. Returns the folder (static storage). */
static const char *crafted_from(const char *src, const char *name, const char *pooling, int normalize,
                                const char *sbert) {
    static char d[300];
    char p[400];
    snprintf(d, sizeof d, "%s/%s", tmp, name);
    link_all(src, d, model_files);
    write_text(d, "modules.json",
               normalize ? "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                           "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"},"
                           "{\"idx\":2,\"name\":\"2\",\"path\":\"2_Normalize\",\"type\":\"sentence_transformers.models.Normalize\"}]"
                         : "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                           "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"}]");
    snprintf(p, sizeof p, "%s/1_Pooling", d);
    mkdir(p, 0755);
    write_text(p, "config.json", pooling);
    if (sbert) write_text(d, "sentence_bert_config.json", sbert);
    return d;
}

/* crafted: crafted_from tiny-bert-st-mean's model files. */
static const char *crafted(const char *name, const char *pooling, int normalize, const char *sbert) {
    return crafted_from(MODELS "tiny-bert-st-mean", name, pooling, normalize, sbert);
}

/* Every pooling mode, in both config forms, against its formula over the hidden states, for BERT
 * and MPNet (CLS and last-token pooling run the last layer for one row only: checked here against
 * the full hidden states). */
static void test_pooling_modes(void) {
    static const struct {
        const char *src, *config;
        unsigned modes;
    } cases[] = {
        {MODELS "tiny-bert-st-mean", "{\"embedding_dimension\": 32, \"pooling_mode\": \"max\"}", POOL_MAX},
        {MODELS "tiny-bert-st-mean", "{\"embedding_dimension\": 32, \"pooling_mode\": \"mean_sqrt_len_tokens\"}", POOL_MEAN_SQRT_LEN},
        {MODELS "tiny-bert-st-mean", "{\"embedding_dimension\": 32, \"pooling_mode\": \"weightedmean\"}", POOL_WEIGHTED_MEAN},
        {MODELS "tiny-bert-st-mean", "{\"embedding_dimension\": 32, \"pooling_mode\": \"lasttoken\"}", POOL_LAST},
        {MODELS "tiny-bert-st-mean", "{\"embedding_dimension\": 32, \"pooling_mode\": [\"cls\", \"mean\"]}", POOL_CLS | POOL_MEAN},
        {MODELS "tiny-bert-st-mean",
         "{\"word_embedding_dimension\": 32, \"pooling_mode_cls_token\": true, \"pooling_mode_max_tokens\": true,"
         " \"pooling_mode_mean_tokens\": true, \"pooling_mode_mean_sqrt_len_tokens\": true}",
         POOL_CLS | POOL_MAX | POOL_MEAN | POOL_MEAN_SQRT_LEN},
        {MODELS "tiny-mpnet-st", "{\"embedding_dimension\": 32, \"pooling_mode\": \"cls\"}", POOL_CLS},
        {MODELS "tiny-mpnet-st", "{\"embedding_dimension\": 32, \"pooling_mode\": \"lasttoken\"}", POOL_LAST},
        {MODELS "tiny-mpnet-st", "{\"word_embedding_dimension\": 32, \"pooling_mode_weightedmean_tokens\": true}",
         POOL_WEIGHTED_MEAN},
    };
    const char *texts[3] = {"a cat sitting on a sofa", "x", "Hello, world! How's it going? <pad> [PAD]"};
    vt_error err = {0};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        bert_config cfg;
        bert_model bm;
        memset(&bm, 0, sizeof bm);
        ASSERT_EQ(bert_config_load(cases[c].src, &cfg, &err), VT_OK);
        ASSERT_EQ(bert_load(cases[c].src, &cfg, &bm, &err), VT_OK);
        char name[32];
        snprintf(name, sizeof name, "pool%zu", c);
        vt_model_opts o = vt_model_opts_default();
        o.normalize = 0;
        vt_model *m = NULL;
        ASSERT_EQ(vt_model_open(crafted_from(cases[c].src, name, cases[c].config, 0, NULL), &o, &m, &err), VT_OK);
        int dim = vt_model_dim(m), k = pool_count(cases[c].modes);
        ASSERT_EQ(dim, 32 * k);
        float *v = calloc(3 * (size_t)dim, sizeof(float));
        ASSERT_EQ(vt_embed_texts(m, texts, 3, v, &err), VT_OK);
        for (int i = 0; i < 3; i++) { /* the formulas, on the hidden states */
            int32_t *ids = NULL;
            size_t n = 0;
            ASSERT_EQ(vt_tokenize(m, texts[i], strlen(texts[i]), 0, &ids, &n, &err), VT_OK);
            int len = (int)n;
            float *h = malloc(n * 32 * sizeof(float));
            ASSERT_EQ(bert_hidden(&bm, NULL, 1, (const int32_t *const *)&ids, &len, h, &err), VT_OK);
            const float *got = v + (size_t)i * dim;
            for (int d = 0; d < 32; d++) {
                double mx = -1e30, sum = 0, wsum = 0;
                for (int t = 0; t < len; t++) {
                    double x = h[t * 32 + d];
                    mx = x > mx ? x : mx;
                    sum += x;
                    wsum += (t + 1) * x;
                }
                double want[6] = {h[d], mx, sum / len, sum / sqrt(len), wsum / (len * (len + 1) / 2.0),
                                  h[(len - 1) * 32 + d]};
                for (int b = 0, at = 0; b < 6; b++)
                    if (cases[c].modes & (1u << b)) {
                        ASSERT_NEAR(got[at * 32 + d], want[b], 1e-5);
                        at++;
                    }
            }
            free(h);
            vt_mem_free(ids);
        }
        free(v);
        vt_model_close(m);
        bert_free(&bm);
    }
}

/* A bare MPNetModel folder: mean pooling, said so; the same as tiny-mpnet-st (mean pooling). */
static void test_bare_model(void) {
    char d[300];
    snprintf(d, sizeof d, "%s/bare-mpnet", tmp);
    link_all(MODELS "tiny-mpnet-st", d, model_files);
    vt_error err = {0};
    vt_model *bare = NULL, *st = NULL;
    ASSERT_EQ(vt_model_open(d, NULL, &bare, &err), VT_OK);
    ASSERT_EQ(vt_model_open(MODELS "tiny-mpnet-st", NULL, &st, &err), VT_OK);
    ASSERT_TRUE(vt_model_notice(bare) != NULL);
    ASSERT_STR_CONTAINS(vt_model_notice(bare), "mean pooling");
    ASSERT_STR_CONTAINS(vt_model_notice(bare), "MPNetModel");
    ASSERT_EQ(vt_model_max_tokens(bare), 384); /* the tokenizer's model_max_length */
    const char *t[2] = {"a red sports car", "vintage camera with leather case"};
    float a[64], b[64];
    ASSERT_EQ(vt_embed_texts(bare, t, 2, a, &err), VT_OK);
    ASSERT_EQ(vt_embed_texts(st, t, 2, b, &err), VT_OK);
    for (int i = 0; i < 64; i++) ASSERT_NEAR(a[i], b[i], 1e-6);
    vt_model_close(bare);
    vt_model_close(st);
}

/* Text-only: image calls are clear errors. */
static void test_text_only(void) {
    vt_error err = {0};
    vt_model *m = NULL;
    ASSERT_EQ(vt_model_open(MODELS "tiny-bert-st-cls", NULL, &m, &err), VT_OK);
    ASSERT_EQ(vt_model_image_size(m), 0);
    const char *path = "tests/fixtures/images/tiny_1x1.png";
    float v[32], px[3];
    vt_error e1 = {0}, e2 = {0}, e3 = {0};
    ASSERT_EQ(vt_embed_image_files(m, &path, 1, v, &e1), VT_EUNSUPPORTED);
    ASSERT_STR_CONTAINS(e1.message, "text only");
    ASSERT_STR_CONTAINS(e1.message, "tiny-bert-st-cls");
    uint8_t pixel[3] = {1, 2, 3};
    vt_image im = {1, 1, 3, pixel};
    ASSERT_EQ(vt_embed_images(m, &im, 1, v, &e2), VT_EUNSUPPORTED);
    ASSERT_EQ(vt_preprocess_file(m, path, px, &e3), VT_EUNSUPPORTED);
    vt_model_close(m);
}

/* max_seq_length of sentence_bert_config.json: a long text is truncated to it, keeping [SEP]. */
static void test_truncation(void) {
    vt_error err = {0};
    vt_model *m = NULL;
    const char *d = crafted("trunc", "{\"pooling_mode\": \"mean\"}", 1, "{\"max_seq_length\": 16, \"do_lower_case\": false}");
    ASSERT_EQ(vt_model_open(d, NULL, &m, &err), VT_OK);
    ASSERT_EQ(vt_model_max_tokens(m), 16);
    char longer[1024] = "", exact[1024] = "";
    for (int i = 0; i < 100; i++) strcat(longer, "long ");
    for (int i = 0; i < 14; i++) strcat(exact, "long ");
    const char *t[2] = {longer, exact};
    float v[64];
    ASSERT_EQ(vt_embed_texts(m, t, 2, v, &err), VT_OK);
    for (int i = 0; i < 32; i++) ASSERT_NEAR(v[i], v[32 + i], 1e-6);
    vt_model_close(m);
    /* do_lower_case: the text is lowercased first, so a literal [CLS] is a word, not the token */
    d = crafted("lower", "{\"pooling_mode\": \"mean\"}", 1, "{\"max_seq_length\": 64, \"do_lower_case\": true}");
    ASSERT_EQ(vt_model_open(d, NULL, &m, &err), VT_OK);
    int32_t *ids = NULL;
    size_t n = 0;
    ASSERT_EQ(vt_tokenize(m, "[CLS]", 5, 0, &ids, &n, &err), VT_OK);
    ASSERT_EQ(n, 6); /* [CLS] [ cl ##s ] [SEP] */
    vt_mem_free(ids);
    vt_model_close(m);
}

/* MPNet's relative position buckets against torch (relative_position_bucket, 32 buckets, max
 * distance 128), for key − query from −139 to 139. */
static void test_mpnet_buckets(void) {
    static const int after[140] = { /* key after query: relative position +n (torch's output) */
        0, 17, 18, 19, 20, 21, 22, 23, 24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 26, 26, 26, 27, 27, 27, 27, 27,
        27, 27, 27, 27, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29,
        29, 29, 29, 29, 29, 29, 29, 29, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        30, 30, 30, 30, 30, 30, 30, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,
        31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,
    };
    for (int n = 0; n < 140; n++) {
        ASSERT_EQ(mpnet_bucket(n, 32), after[n]);
        ASSERT_EQ(mpnet_bucket(-n, 32), n ? after[n] - 16 : 0); /* the same buckets, the lower half */
    }
}

/* Broken sentence-transformers folders, each refused with a message naming the file. */
static void test_bad_folders(void) {
    static const struct {
        const char *name, *modules, *pooling;
        int code;
        const char *needle;
    } cases[] = {
        {"dense", "[{\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},{\"path\":\"1_Pooling\","
                  "\"type\":\"sentence_transformers.models.Pooling\"},{\"path\":\"2_Dense\",\"type\":\"sentence_transformers.models.Dense\"}]",
         "{\"pooling_mode\": \"mean\"}", VT_EUNSUPPORTED, "modules.json: module 2 of type \"sentence_transformers.models.Dense\""},
        {"escape", "[{\"path\":\"../../etc\",\"type\":\"sentence_transformers.models.Transformer\"}]", "{}", VT_ECORRUPT,
         "leaves the model folder"},
        {"nopool", "[{\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"}]", "{}", VT_EUNSUPPORTED,
         "no Pooling module"},
        {"notarray", "{\"path\": \"\"}", "{}", VT_ECORRUPT, "modules.json: not an array"},
        {"badmode", NULL, "{\"pooling_mode\": \"median\"}", VT_EUNSUPPORTED, "pooling_mode \"median\""},
        {"nomode", NULL, "{\"word_embedding_dimension\": 32}", VT_ECORRUPT, "no pooling mode is set"},
        {"width", NULL, "{\"embedding_dimension\": 48, \"pooling_mode\": \"mean\"}", VT_ECORRUPT,
         "expects embeddings of 48"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *d = crafted(cases[i].name, cases[i].pooling, 1, NULL);
        if (cases[i].modules) write_text(d, "modules.json", cases[i].modules);
        vt_error err = {0};
        vt_model *m = NULL;
        int rc = vt_model_open(d, NULL, &m, &err);
        if (rc != cases[i].code || !strstr(err.message, cases[i].needle))
            fprintf(stderr, "%s: rc %d, \"%s\"\n", cases[i].name, rc, err.message);
        ASSERT_EQ(rc, cases[i].code);
        ASSERT_STR_CONTAINS(err.message, cases[i].needle);
        ASSERT_TRUE(m == NULL);
        printf("  %-9s -> %s\n", vt_errname(rc), err.message);
    }
    /* a config of another model type behind modules.json */
    char d[300], p[400];
    snprintf(d, sizeof d, "%s/gpt2", tmp);
    static const char *const rest[] = {"model.safetensors", "tokenizer.json", "tokenizer_config.json", "modules.json",
                                       "1_Pooling", NULL};
    link_all(MODELS "tiny-bert-st-mean", d, rest);
    snprintf(p, sizeof p, "%s/config.json", d);
    write_text(d, "config.json", "{\"model_type\": \"gpt2\"}");
    vt_error err = {0};
    vt_model *m = NULL;
    ASSERT_EQ(vt_model_open(d, NULL, &m, &err), VT_EUNSUPPORTED);
    ASSERT_STR_CONTAINS(err.message, "model_type \"gpt2\"");
}

/* Fail each allocation of an open and of an embedding in turn: a clean error, nothing leaked. */
static void test_allocation_failures(void) {
    int64_t before = vt_alloc_live_bytes();
    for (int k = 1; k <= 600; k += (k < 80 ? 1 : 23)) {
        vt_alloc_fail_at(k);
        vt_error err = {0};
        vt_model *m = NULL;
        vt_model_opts o = vt_model_opts_default();
        o.n_threads = 1;
        int rc = vt_model_open(MODELS "tiny-mpnet-st", &o, &m, &err);
        vt_alloc_fail_at(0);
        if (rc == VT_OK) vt_model_close(m);
        else if (rc != VT_ENOMEM) {
            fprintf(stderr, "allocation %d: rc %d: %s\n", k, rc, err.message);
            ASSERT_TRUE(0);
        }
        ASSERT_EQ(vt_alloc_live_bytes(), before);
    }
    vt_error err = {0};
    vt_model *m = NULL;
    vt_model_opts o = vt_model_opts_default();
    o.n_threads = 1;
    ASSERT_EQ(vt_model_open(MODELS "tiny-mpnet-st", &o, &m, &err), VT_OK);
    int64_t open = vt_alloc_live_bytes();
    const char *t[2] = {"a cat sitting on a sofa", "café 日本語"};
    float v[64];
    for (int k = 1; k <= 40; k++) {
        vt_error e = {0};
        vt_alloc_fail_at(k);
        int rc = vt_embed_texts(m, t, 2, v, &e);
        vt_alloc_fail_at(0);
        if (rc != VT_OK) ASSERT_EQ(rc, VT_ENOMEM);
        ASSERT_EQ(vt_alloc_live_bytes(), open);
    }
    vt_model_close(m);
    ASSERT_EQ(vt_alloc_live_bytes(), before);
}

/* ---------------------------------------------------------------------------------------------
 * the command line
 */

/* run: the command's stdout (stderr too when the args redirect it) into a malloc'd string. */
static char *run(const char *args, int *status) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s", cli_bin(), args);
    return cli_capture(cmd, status);
}

/* `vitrine tokenize` on the sentence-transformers folders: the golden ids of every string, and
 * truncation with --max-length keeping the final </s> / [SEP]. */
static void test_cli_tokenize(void) {
    static const struct {
        const char *model, *key;
    } cases[] = {{MODELS "tiny-mpnet-st", "mpnet"}, {MODELS "tiny-mpnet-st-classic", "mpnet"},
                 {MODELS "tiny-bert-st-cls", "bert"}};
    json_error_t je;
    json_t *g = json_load_file(GOLDEN "tokenizers.json", JSON_ALLOW_NUL, &je);
    ASSERT_TRUE(g != NULL);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        json_t *gc = json_object_get(json_object_get(g, cases[c].key), "cases");
        for (int trunc = 0; trunc < 2; trunc++) {
            char args[512];
            snprintf(args, sizeof args, "tokenize --model %s %s--text-json tests/fixtures/strings.json", cases[c].model,
                     trunc ? "--max-length 8 " : "");
            int st;
            char *out = run(args, &st);
            ASSERT_EQ(st, 0);
            char *line = out;
            for (size_t i = 0; i < json_array_size(gc); i++) {
                char *nl = strchr(line, '\n');
                ASSERT_TRUE(nl != NULL);
                *nl = '\0';
                json_t *ours = json_loads(line, 0, &je), *want = json_object_get(json_array_get(gc, i), "ids_trunc");
                size_t n = json_array_size(want);
                if (trunc && n > 8) { /* the first 7, then the last */
                    json_t *w = json_array();
                    for (size_t k = 0; k < 7; k++) json_array_append(w, json_array_get(want, k));
                    json_array_append(w, json_array_get(want, n - 1));
                    want = w;
                } else {
                    json_incref(want);
                }
                if (!json_equal(ours, want)) fprintf(stderr, "%s: string %zu: got %s\n", cases[c].model, i, line);
                int same = json_equal(ours, want);
                json_decref(ours);
                json_decref(want);
                ASSERT_TRUE(same);
                line = nl + 1;
            }
            free(out);
        }
    }
    json_decref(g);
}

/* `vitrine embed --text-json` on tiny-bert-st-cls and tiny-mpnet-st-classic: the golden sentence
 * embeddings, item by item, from the printed JSON lines. */
static void test_cli_embed(void) {
    static const struct {
        const char *model, *golden;
    } cases[] = {{MODELS "tiny-bert-st-cls", GOLDEN "tiny-bert-st-cls.golden.safetensors"},
                 {MODELS "tiny-mpnet-st-classic", GOLDEN "tiny-mpnet-st.golden.safetensors"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        golden g;
        ASSERT_TRUE(golden_open(cases[c].golden, 32, &g));
        char args[512];
        snprintf(args, sizeof args, "embed --model %s --text-json tests/fixtures/strings.json", cases[c].model);
        int st;
        char *out = run(args, &st);
        ASSERT_EQ(st, 0);
        char *line = out;
        double worst = 0;
        for (size_t i = 0; i < g.n; i++) {
            char *nl = strchr(line, '\n');
            ASSERT_TRUE(nl != NULL);
            *nl = '\0';
            json_error_t je;
            json_t *o = json_loads(line, JSON_ALLOW_NUL, &je), *e = json_object_get(o, "embedding");
            ASSERT_STR_EQ(json_string_value(json_object_get(o, "modality")), "text");
            ASSERT_EQ(json_array_size(e), 32);
            for (int d = 0; d < 32; d++) {
                double x = fabs(json_number_value(json_array_get(e, d)) - g.emb[i * 32 + d]);
                if (x > worst) worst = x;
            }
            json_decref(o);
            line = nl + 1;
        }
        printf("  vitrine embed --model %s: %zu texts, worst |diff| %.2e\n", cases[c].model, g.n, worst);
        free(out);
        golden_close(&g);
        ASSERT_TRUE(worst <= TOL);
    }
}

/* `embed --image` on a text-only model is a clear error; a bare model's reading is announced. */
static void test_cli_errors(void) {
    int st;
    char *out = run("embed --model " MODELS "tiny-mpnet-st --text a --image tests/fixtures/images/tiny_1x1.png 2>&1", &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "does not embed images");
    ASSERT_STR_CONTAINS(out, "tiny_1x1.png");
    ASSERT_TRUE(strstr(out, "\"embedding\"") == NULL);
    free(out);
    out = run("preprocess --model " MODELS "tiny-mpnet-st --out /dev/null tests/fixtures/images/tiny_1x1.png 2>&1", &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "text only");
    free(out);
    char d[300], args[600];
    snprintf(d, sizeof d, "%s/bare-bert", tmp);
    link_all(MODELS "tiny-bert-st-mean", d, model_files);
    snprintf(args, sizeof args, "embed --model %s --text 'a red sports car' 2>&1 >/dev/null", d);
    out = run(args, &st);
    ASSERT_EQ(st, 0);
    ASSERT_STR_CONTAINS(out, "bare BertModel, embedded with masked mean pooling");
    free(out);
}

int main(void) {
    snprintf(tmp, sizeof tmp, "/tmp/vt_st_XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    RUN(test_tiny_mpnet_st);
    RUN(test_tiny_mpnet_st_classic);
    RUN(test_tiny_bert_st_mean);
    RUN(test_tiny_bert_st_cls);
    RUN(test_batch_invariance);
    RUN(test_pooling_modes);
    RUN(test_bare_model);
    RUN(test_text_only);
    RUN(test_truncation);
    RUN(test_mpnet_buckets);
    RUN(test_bad_folders);
    RUN(test_allocation_failures);
    RUN(test_cli_tokenize);
    RUN(test_cli_embed);
    RUN(test_cli_errors);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    TEST_END();
}
