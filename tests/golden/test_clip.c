/*
 * test_clip.c — CLIP embeddings against the goldens of transformers 5.17.
 *
 * For tiny-clip (float32), tiny-clip-f16 and the shipped fashion-clip (float16 weights): every
 * string of the golden's "texts" metadata and every image of its "images" metadata (decoded
 * without EXIF, as the reference did) is embedded, and each embedding must be within 1e-4 of the
 * golden's text_embeds / image_embeds after L2 normalisation, item by item. The unnormalised
 * projections are checked too (--no-normalize's contract: transformers' get_*_features).
 */
#include <jansson.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "tensor/kernels.h"
#include "tensor/safetensors.h"
#include "test.h"
#include "vitrine.h"

#define TOL 1e-4

static void check_model(const char *model_dir, const char *golden_path) {
    vt_error err = {0};
    st_file *g = NULL;
    ASSERT_EQ(st_open(golden_path, &g, &err), VT_OK);
    json_t *texts = json_loads(st_metadata(g, "texts"), JSON_ALLOW_NUL, NULL);
    json_t *images = json_loads(st_metadata(g, "images"), 0, NULL);
    ASSERT_TRUE(json_is_array(texts) && json_is_array(images));
    size_t nt = json_array_size(texts), ni = json_array_size(images);
    ASSERT_TRUE(nt > 0 && ni > 0);

    for (int normalize = 1; normalize >= 0; normalize--) {
        vt_model_opts o = vt_model_opts_default();
        o.apply_exif = 0;
        o.normalize = normalize;
        vt_model *m = NULL;
        ASSERT_EQ(vt_model_open(model_dir, &o, &m, &err), VT_OK);
        int dim = vt_model_dim(m);
        const char **tp = calloc(nt, sizeof *tp);
        size_t *tl = calloc(nt, sizeof *tl);
        char **ip = calloc(ni, sizeof *ip);
        float *tv = calloc(nt * dim, sizeof(float)), *iv = calloc(ni * dim, sizeof(float));
        for (size_t i = 0; i < nt; i++) {
            tp[i] = json_string_value(json_array_get(texts, i));
            tl[i] = json_string_length(json_array_get(texts, i));
        }
        for (size_t i = 0; i < ni; i++) {
            ip[i] = malloc(512);
            snprintf(ip[i], 512, "tests/fixtures/images/%s", json_string_value(json_array_get(images, i)));
        }
        int rt = vt_embed_texts_len(m, tp, tl, nt, tv, &err);
        int ri = vt_embed_image_files(m, (const char *const *)ip, ni, iv, &err);
        if (rt || ri) fprintf(stderr, "%s\n", err.message);
        float *gt = NULL, *gi = NULL;
        int64_t ts[2] = {(int64_t)nt, dim}, is[2] = {(int64_t)ni, dim};
        int gr = st_get_f32(g, "text_embeds", 2, ts, &gt, &err) | st_get_f32(g, "image_embeds", 2, is, &gi, &err);
        double worst_t = 0, worst_i = 0;
        size_t bad_t = (size_t)-1, bad_i = (size_t)-1;
        if (!rt && !ri && !gr) {
            for (int which = 0; which < 2; which++) {
                size_t n = which ? ni : nt;
                float *ours = which ? iv : tv, *gold = which ? gi : gt;
                for (size_t i = 0; i < n; i++) {
                    float *a = ours + i * dim, *b = gold + i * dim;
                    if (normalize) k_l2_normalize(b, dim);
                    double scale = 1;
                    if (!normalize) { /* compare projections relative to their norm */
                        double s = 0;
                        for (int d = 0; d < dim; d++) s += (double)b[d] * b[d];
                        scale = sqrt(s);
                    }
                    for (int d = 0; d < dim; d++) {
                        double e = fabs((double)a[d] - b[d]) / scale;
                        double *w = which ? &worst_i : &worst_t;
                        if (e > *w) *w = e, *(which ? &bad_i : &bad_t) = i;
                    }
                }
            }
        }
        printf("  %s normalize=%d: %zu texts worst %.2e (item %zd), %zu images worst %.2e (item %zd)\n", model_dir,
               normalize, nt, worst_t, (ssize_t)bad_t, ni, worst_i, (ssize_t)bad_i);
        for (size_t i = 0; i < ni; i++) free(ip[i]);
        free(ip);
        free(tp);
        free(tl);
        free(tv);
        free(iv);
        vt_free(gt);
        vt_free(gi);
        vt_model_close(m);
        ASSERT_EQ(rt, VT_OK);
        ASSERT_EQ(ri, VT_OK);
        ASSERT_EQ(gr, VT_OK);
        ASSERT_TRUE(worst_t <= TOL);
        ASSERT_TRUE(worst_i <= TOL);
    }
    json_decref(texts);
    json_decref(images);
    st_close(g);
}

static void test_tiny_clip(void) {
    check_model("tests/fixtures/models/tiny-clip", "tests/fixtures/golden/tiny-clip.golden.safetensors");
}

static void test_tiny_clip_f16(void) {
    check_model("tests/fixtures/models/tiny-clip-f16", "tests/fixtures/golden/tiny-clip-f16.golden.safetensors");
}

static void test_fashion_clip(void) {
    check_model("models/fashion-clip", "tests/fixtures/golden/fashion-clip.golden.safetensors");
}

/* The same embeddings whatever the batch: one text / one image at a time equals the batch. */
static void test_batch_invariance(void) {
    vt_error err = {0};
    vt_model *m = NULL;
    ASSERT_EQ(vt_model_open("tests/fixtures/models/tiny-clip", NULL, &m, &err), VT_OK);
    int dim = vt_model_dim(m);
    const char *t[3] = {"a cat", "a photo of a sneaker with a very long caption that goes on", ""};
    float all[3 * 64], one[64];
    ASSERT_TRUE(dim <= 64);
    ASSERT_EQ(vt_embed_texts(m, t, 3, all, &err), VT_OK);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(vt_embed_texts(m, &t[i], 1, one, &err), VT_OK);
        for (int d = 0; d < dim; d++) ASSERT_NEAR(one[d], all[i * dim + d], 1e-5);
    }
    vt_model_close(m);
}

int main(void) {
    RUN(test_tiny_clip);
    RUN(test_tiny_clip_f16);
    RUN(test_fashion_clip);
    RUN(test_batch_invariance);
    TEST_END();
}
