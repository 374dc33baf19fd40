/*
 * cmd_demo.c — `vitrine demo`: the main job on the shipped model and real product images.
 *
 *   vitrine demo [--data DIR] [--limit N] [--threads N] [--model DIR] [--dataset-dir DIR]
 *   vitrine demo --export DIR [--limit N]
 *
 * 1. ingest: the 70,000 Fashion-MNIST images (also written as PNG files under DIR/media/images, the
 *    thumbnails the web console shows with `vitrine serve --media-root DIR/media`) (Debian dataset-fashion-mnist; the 10,000 test
 *    images first, then the training images, --limit N for fewer) go into the collection
 *    "fashion" of the database DIR (default ./vitrine-demo; recreated on each run) with
 *    generated product captions — a class synonym in a template, a third of them with the tone
 *    word (light / gray / dark) of the item, exactly as the shipped model was trained
 *    (models/fashion-clip/training_metrics.json gives the tone cuts) — and the label, class,
 *    split and tone in the payload; vectors "image" and "text" from CLIP; a progress bar.
 * 2. index: the HNSW graph of each vector, built by the first search (timed on its own).
 * 3. example queries with their top results and scores: text→image ("a photo of a sneaker",
 *    "dark ankle boot", "handbag" restricted by a payload filter to the test split), image→text
 *    (a test image against the stored captions), image→image, and a fused text + image query.
 * 4. evaluation: precision@10 of "a photo of a {class}" over the test split, per class.
 * Every phase prints how long it took. --export DIR instead writes the images as PNG files and a
 * manifest.jsonl, so the same data can be ingested with `vitrine ingest`.
 */
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/json.h"
#include "cli.h"
#include "fashion_mnist.h"
#include "pipeline/progress.h"
#include "query/calibrate.h"
#include "query/fusion.h"

#define COLL "fashion"
#define BATCH 256
#define TOP 10

/* ---- captions, as the model was trained (../shared/tools/gpu_reference.py, section fashion) ---- */

static const char *const SYN[10][6] = {
    {"t-shirt", "tee", "top", "t-shirt top", "short sleeve top", "tshirt"},
    {"trousers", "pants", "jeans", "slacks"},
    {"pullover", "sweater", "jumper", "knit sweater"},
    {"dress", "gown", "summer dress"},
    {"coat", "jacket", "winter coat", "overcoat"},
    {"sandal", "sandals", "open shoe", "flip flop"},
    {"shirt", "button-up shirt", "blouse", "long sleeve shirt"},
    {"sneaker", "sneakers", "running shoe", "trainers", "sports shoe"},
    {"bag", "handbag", "purse", "tote bag"},
    {"ankle boot", "boots", "boot", "ankle boots", "bootie"},
};
static const char *const TONE[3][4] = {{"light", "light colored", "pale", "white"}, {"gray", "grey", "mid-tone"},
                                       {"dark", "dark colored", "black"}};
static const char *const TONE_NAME[3] = {"light", "gray", "dark"};
static const char *const TEMPL[10] = {"%s", "a %s", "a photo of a %s", "a product photo of a %s",
                                      "a black and white photo of a %s", "an image of a %s", "a picture of a %s",
                                      "%s for sale", "a small grayscale image of a %s", "a %s on a plain background"};
static const char *const TEMPL_TONE[5] = {"%s %s", "a %s %s", "a photo of a %s %s", "a product photo of a %s %s",
                                          "%s %s for sale"};

static size_t count_of(const char *const *a, size_t max) {
    size_t n = 0;
    while (n < max && a[n]) n++;
    return n;
}

static uint64_t mix(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* tone_of: 0 light, 1 gray, 2 dark from the mean of the pixels above 10 (the data set stores
 * negated intensities, so a high mean is a dark item). */
static int tone_of(const uint8_t *px, const double cuts[2]) {
    double s = 0;
    int n = 0;
    for (int i = 0; i < FMNIST_SIDE * FMNIST_SIDE; i++)
        if (px[i] > 10) s += px[i], n++;
    double m = n ? s / n : 0;
    return m < cuts[0] ? 0 : m < cuts[1] ? 1 : 2;
}

/* make_caption: a deterministic caption for item `seed` of class c and tone t. */
static void make_caption(uint64_t seed, int c, int t, char *out, size_t cap) {
    uint64_t r = mix(seed + 0x9e3779b97f4a7c15ull);
    const char *noun = SYN[c][r % count_of(SYN[c], 6)];
    r = mix(r);
    if (r % 100 < 35) {
        const char *adj = TONE[t][(r >> 8) % count_of(TONE[t], 4)];
        snprintf(out, cap, TEMPL_TONE[(r >> 20) % 5], adj, noun);
    } else {
        snprintf(out, cap, TEMPL[(r >> 20) % 10], noun);
    }
}

/* tone_cuts: from the model's training_metrics.json, else the values the shipped model used. */
static void tone_cuts(const char *model_dir, double cuts[2]) {
    cuts[0] = 138.71493482739368;
    cuts[1] = 180.35999525566353;
    char *p = vt_path_join(model_dir, "training_metrics.json");
    json_t *j = NULL;
    vt_error e = {0};
    if (p && vt_json_load_file(p, 1 << 20, &j, &e) == VT_OK) {
        json_t *c = json_object_get(j, "tone_cuts");
        if (json_array_size(c) == 2) {
            cuts[0] = json_number_value(json_array_get(c, 0));
            cuts[1] = json_number_value(json_array_get(c, 1));
        }
    }
    json_decref(j);
    vt_free(p);
}

/* ---- the data: test images first, then training images ---- */

typedef struct item_set {
    fmnist test, train;
    int n;
} item_set;

static const uint8_t *item_pixels(const item_set *s, int i) {
    return i < s->test.n ? s->test.pixels + (size_t)i * FMNIST_SIDE * FMNIST_SIDE
                         : s->train.pixels + (size_t)(i - s->test.n) * FMNIST_SIDE * FMNIST_SIDE;
}
static int item_label(const item_set *s, int i) { return i < s->test.n ? s->test.labels[i] : s->train.labels[i - s->test.n]; }
static const char *item_split(const item_set *s, int i) { return i < s->test.n ? "test" : "train"; }

static int load_items(const char *dir, int limit, item_set *s, vt_error *err) {
    memset(s, 0, sizeof *s);
    int rc = fmnist_load(dir, "t10k", limit, &s->test, err);
    if (rc) return rc;
    if (limit == 0 || limit > s->test.n) {
        rc = fmnist_load(dir, "train", limit ? limit - s->test.n : 0, &s->train, err);
        if (rc) {
            fmnist_free(&s->test);
            return rc;
        }
    }
    s->n = s->test.n + s->train.n;
    return VT_OK;
}

static void free_items(item_set *s) {
    fmnist_free(&s->test);
    fmnist_free(&s->train);
}

/* ---- export: PNGs and a manifest ---- */

static int write_png(const char *path, const uint8_t *px) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    if (!p || !info || setjmp(png_jmpbuf(p))) {
        png_destroy_write_struct(&p, &info);
        fclose(f);
        return -1;
    }
    png_init_io(p, f);
    png_set_IHDR(p, info, FMNIST_SIDE, FMNIST_SIDE, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    for (int y = 0; y < FMNIST_SIDE; y++) png_write_row(p, (png_bytep)px + y * FMNIST_SIDE);
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &info);
    return fclose(f) == 0 ? 0 : -1;
}

static int export_items(const item_set *s, const double cuts[2], const char *dir, int quiet) {
    char path[4096];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/images", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/manifest.jsonl", dir);
    FILE *m = fopen(path, "w");
    if (!m) {
        fprintf(stderr, "vitrine demo: %s: cannot write\n", path);
        return 1;
    }
    for (int i = 0; i < s->n; i++) {
        int c = item_label(s, i), t = tone_of(item_pixels(s, i), cuts);
        char cap[128];
        make_caption((uint64_t)i, c, t, cap, sizeof cap);
        snprintf(path, sizeof path, "%s/images/%s_%05d.png", dir, item_split(s, i), i);
        if (write_png(path, item_pixels(s, i))) {
            fprintf(stderr, "vitrine demo: %s: cannot write\n", path);
            fclose(m);
            return 1;
        }
        fprintf(m, "{\"id\": %d, \"image\": \"images/%s_%05d.png\", \"caption\": \"%s\", \"label\": %d, "
                   "\"class\": \"%s\", \"split\": \"%s\", \"tone\": \"%s\"}\n",
                i, item_split(s, i), i, cap, c, FMNIST_CLASSES[c], item_split(s, i), TONE_NAME[t]);
    }
    fclose(m);
    if (quiet) return 0;
    printf("vitrine demo: wrote %d PNG images and %s/manifest.jsonl\n", s->n, dir);
    printf("  ingest them with: vitrine ingest --data DIR --collection fashion --manifest %s/manifest.jsonl\n", dir);
    return 0;
}

int demo_export(const char *model_dir, const char *dataset_dir, int limit, const char *dir, int quiet) {
    double cuts[2];
    tone_cuts(model_dir, cuts);
    item_set s;
    vt_error err = {0};
    if (load_items(dataset_dir, limit, &s, &err)) {
        fprintf(stderr, "vitrine: %s (install the Debian package dataset-fashion-mnist)\n", err.message);
        return 1;
    }
    int rc = export_items(&s, cuts, dir, quiet);
    free_items(&s);
    return rc;
}

/* ---- ingest ---- */

/* ingest: the items into COLL; each image is also written as a PNG under media_dir/images so the
 * console can show it (`vitrine serve --media-root DATA/media`). */
static int ingest(vt_db *db, vt_model *m, const item_set *s, const double cuts[2], const char *media_dir,
                  vt_error *err) {
    char png_path[4200];
    mkdir(media_dir, 0755);
    snprintf(png_path, sizeof png_path, "%s/images", media_dir);
    mkdir(png_path, 0755);
    int dim = vt_model_dim(m);
    vt_vector_params v[2] = {vt_vector_params_default("image", (uint32_t)dim, VT_DISTANCE_COSINE),
                             vt_vector_params_default("text", (uint32_t)dim, VT_DISTANCE_COSINE)};
    vt_collection_config cc = {2, v};
    int existed = 0, rc = vt_collection_delete(db, COLL, &existed, err);
    if (rc == VT_ENOTFOUND) {
        vt_error_clear(err);
        rc = VT_OK;
    }
    if (rc || (rc = vt_collection_create(db, COLL, &cc, err))) return rc;
    /* payload indexes for the fields the queries filter on (kept up to date by every upsert) */
    if ((rc = vt_field_index_create(db, COLL, "split", "\"keyword\"", NULL, err)) ||
        (rc = vt_field_index_create(db, COLL, "label", "\"integer\"", NULL, err)) ||
        (rc = vt_field_index_create(db, COLL, "tone", "\"keyword\"", NULL, err)))
        return rc;
    float *iv = vt_malloc((size_t)BATCH * dim * sizeof(float)), *tv = vt_malloc((size_t)BATCH * dim * sizeof(float));
    vt_image *ims = vt_calloc(BATCH, sizeof *ims);
    char(*caps)[128] = vt_malloc(BATCH * sizeof *caps);
    char(*payloads)[256] = vt_malloc(BATCH * sizeof *payloads);
    const char **cp = vt_malloc(BATCH * sizeof *cp);
    vt_point_in *pts = vt_calloc(BATCH, sizeof *pts);
    vt_named_vector *nv = vt_calloc(2 * BATCH, sizeof *nv);
    if (!iv || !tv || !ims || !caps || !payloads || !cp || !pts || !nv) rc = vt_fail(err, VT_ENOMEM, "demo: out of memory");
    progress pr;
    progress_init(&pr, stderr, "ingest", (uint64_t)s->n, -1, 5);
    for (int first = 0; first < s->n && !rc; first += BATCH) {
        int cn = s->n - first < BATCH ? s->n - first : BATCH;
        for (int k = 0; k < cn && !rc; k++) {
            int i = first + k, c = item_label(s, i), t = tone_of(item_pixels(s, i), cuts);
            ims[k] = (vt_image){FMNIST_SIDE, FMNIST_SIDE, 1, item_pixels(s, i)};
            make_caption((uint64_t)i, c, t, caps[k], sizeof caps[k]);
            cp[k] = caps[k];
            snprintf(payloads[k], sizeof payloads[k],
                     "{\"label\":%d,\"class\":\"%s\",\"split\":\"%s\",\"tone\":\"%s\",\"caption\":\"%s\","
                     "\"image\":\"images/%s_%05d.png\"}",
                     c, FMNIST_CLASSES[c], item_split(s, i), TONE_NAME[t], caps[k], item_split(s, i), i);
            snprintf(png_path, sizeof png_path, "%s/images/%s_%05d.png", media_dir, item_split(s, i), i);
            if (write_png(png_path, item_pixels(s, i))) {
                rc = vt_fail(err, VT_EIO, "%s: cannot write", png_path);
                break;
            }
            nv[2 * k] = (vt_named_vector){"image", iv + (size_t)k * dim, (uint32_t)dim};
            nv[2 * k + 1] = (vt_named_vector){"text", tv + (size_t)k * dim, (uint32_t)dim};
            pts[k] = (vt_point_in){{0, (uint64_t)i, {0}}, 2, nv + 2 * k, payloads[k]};
        }
        if (rc || (rc = vt_embed_images(m, ims, (size_t)cn, iv, err)) || (rc = vt_embed_texts(m, cp, (size_t)cn, tv, err)) ||
            (rc = vt_points_upsert(db, COLL, pts, (size_t)cn, NULL, err)))
            break;
        progress_update(&pr, (uint64_t)(first + cn), 0);
    }
    if (!rc) progress_finish(&pr, (uint64_t)s->n, 0);
    vt_free(iv);
    vt_free(tv);
    vt_free(ims);
    vt_free(caps);
    vt_free(payloads);
    vt_free(cp);
    vt_free(pts);
    vt_free(nv);
    return rc;
}

/* ---- queries ---- */

static const char *TEST_ONLY = "{\"must\":[{\"key\":\"split\",\"match\":{\"value\":\"test\"}}]}";

/* search: top k of vector `using` for q, with payloads. */
static int search(vt_db *db, const char *using, const float *q, int dim, const char *filter, size_t k, vt_result **r,
                  vt_error *err) {
    vt_search_req req = vt_search_req_default();
    req.using = using;
    req.vector = q;
    req.dim = (uint32_t)dim;
    req.limit = k;
    req.filter_json = filter;
    req.with_payload = 1;
    return vt_points_search(db, COLL, &req, r, err);
}

static void print_hits(const vt_result *r, size_t show) {
    for (size_t j = 0; j < vt_result_count(r) && j < show; j++) {
        json_t *p = json_loads(vt_result_payload(r, j), 0, NULL);
        char id[VT_POINT_ID_BUF];
        vt_point_id_format(vt_result_id(r, j), id);
        printf("     #%zu  %-6s %-11s %-5s  score %.3f  \"%s\"\n", j + 1, id,
               json_string_value(json_object_get(p, "class")), json_string_value(json_object_get(p, "split")),
               (double)vt_result_score(r, j), json_string_value(json_object_get(p, "caption")));
        json_decref(p);
    }
}

/* class_precision: the fraction of the hits whose payload class is cls. */
static double class_precision(const vt_result *r, int cls) {
    size_t n = vt_result_count(r), ok = 0;
    for (size_t j = 0; j < n; j++) {
        json_t *p = json_loads(vt_result_payload(r, j), 0, NULL);
        ok += json_integer_value(json_object_get(p, "label")) == cls;
        json_decref(p);
    }
    return n ? (double)ok / (double)n : 0;
}

static int text_queries(vt_db *db, vt_model *m, vt_error *err) {
    static const struct {
        const char *text;
        int cls;
        int test_only;
    } qs[] = {{"a photo of a sneaker", 7, 0}, {"dark ankle boot", 9, 0}, {"handbag", 8, 1}};
    int dim = vt_model_dim(m);
    float q[1024];
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        vt_result *r = NULL;
        int rc = vt_embed_texts(m, &qs[i].text, 1, q, err);
        if (!rc) rc = search(db, "image", q, dim, qs[i].test_only ? TEST_ONLY : NULL, TOP, &r, err);
        if (rc) return rc;
        printf("  text -> image  \"%s\"%s  precision@%d %.2f\n", qs[i].text, qs[i].test_only ? "  (filter: split = test)" : "",
               TOP, class_precision(r, qs[i].cls));
        print_hits(r, 3);
        vt_result_free(r);
    }
    return VT_OK;
}

/* stored_vector: the vector `name` of point id into out. */
static int stored_vector(vt_db *db, uint64_t id, const char *name, float *out, int dim, vt_error *err) {
    vt_point_id pid = {0, id, {0}};
    vt_result *r = NULL;
    int rc = vt_points_get(db, COLL, &pid, 1, 0, 1, &r, err);
    if (rc) return rc;
    rc = vt_fail(err, VT_ENOTFOUND, "demo: point %llu has no vector %s", (unsigned long long)id, name);
    for (size_t j = 0; vt_result_count(r) && j < vt_result_n_vectors(r, 0); j++) {
        const char *nm;
        const float *d;
        uint32_t dm;
        vt_result_vector(r, 0, j, &nm, &d, &dm);
        if (!strcmp(nm, name) && (int)dm == dim) {
            memcpy(out, d, (size_t)dim * sizeof *out);
            vt_error_clear(err);
            rc = VT_OK;
        }
    }
    vt_result_free(r);
    return rc;
}

static int image_queries(vt_db *db, vt_model *m, const item_set *s, vt_error *err) {
    int dim = vt_model_dim(m);
    float img[1024], txt[1024];
    /* image → text: the first test image against the stored captions (distinct ones shown) */
    vt_result *r = NULL;
    int rc = stored_vector(db, 0, "image", img, dim, err);
    if (!rc) rc = search(db, "text", img, dim, NULL, TOP, &r, err);
    if (rc) return rc;
    printf("  image -> text  test image 0 (a %s)  captions of the same class in the top %d: %.2f\n",
           FMNIST_CLASSES[item_label(s, 0)], TOP, class_precision(r, item_label(s, 0)));
    vt_result_free(r);
    if ((rc = search(db, "text", img, dim, NULL, 200, &r, err))) return rc;
    const char *shown[3] = {NULL, NULL, NULL};
    json_t *pl[200] = {NULL};
    int n_shown = 0;
    for (size_t j = 0; j < vt_result_count(r) && j < 200 && n_shown < 3; j++) {
        pl[j] = json_loads(vt_result_payload(r, j), 0, NULL);
        const char *cap = json_string_value(json_object_get(pl[j], "caption"));
        int seen = !cap;
        for (int k = 0; k < n_shown && !seen; k++) seen = !strcmp(shown[k], cap);
        if (seen) continue;
        shown[n_shown++] = cap;
        printf("     #%d  \"%s\"  (%s)  score %.3f\n", n_shown, cap, json_string_value(json_object_get(pl[j], "class")),
               (double)vt_result_score(r, j));
    }
    for (size_t j = 0; j < 200; j++) json_decref(pl[j]);
    vt_result_free(r);
    /* image → image: test image 1 among the training images */
    const char *train_only = "{\"must\":[{\"key\":\"split\",\"match\":{\"value\":\"train\"}}]}";
    if ((rc = stored_vector(db, 1, "image", img, dim, err)) ||
        (rc = search(db, "image", img, dim, s->train.n ? train_only : NULL, TOP, &r, err)))
        return rc;
    printf("  image -> image  test image 1 (a %s)  same class in the top %d: %.2f\n", FMNIST_CLASSES[item_label(s, 1)],
           TOP, class_precision(r, item_label(s, 1)));
    print_hits(r, 3);
    vt_result_free(r);
    /* text + image, fused with RRF: "dark" and an image of a sneaker (the first test sneaker) */
    int sneaker = -1;
    for (int i = 0; i < s->test.n && sneaker < 0; i++)
        if (item_label(s, i) == 7) sneaker = i;
    if (sneaker < 0) return VT_OK;
    const char *dark = "a photo of a dark sneaker";
    vt_result *a = NULL, *b = NULL;
    if ((rc = vt_embed_texts(m, &dark, 1, txt, err)) || (rc = stored_vector(db, (uint64_t)sneaker, "image", img, dim, err)) ||
        (rc = search(db, "image", txt, dim, NULL, 2 * TOP, &a, err)) ||
        (rc = search(db, "image", img, dim, NULL, 2 * TOP, &b, err))) {
        vt_result_free(a);
        return rc;
    }
    const vt_result *lists[2] = {a, b};
    fusion_hit *h[2] = {vt_malloc(2 * TOP * sizeof(fusion_hit)), vt_malloc(2 * TOP * sizeof(fusion_hit))};
    fusion_list fl[2];
    for (int l = 0; l < 2; l++) {
        if (!h[l]) continue;
        for (size_t j = 0; j < vt_result_count(lists[l]); j++)
            h[l][j] = (fusion_hit){*vt_result_id(lists[l], j), vt_result_score(lists[l], j), 0, 0};
        fl[l] = (fusion_list){h[l], vt_result_count(lists[l])};
    }
    fusion_hit *fused = NULL;
    size_t nf = 0;
    if (!h[0] || !h[1]) rc = vt_fail(err, VT_ENOMEM, "demo: out of memory");
    if (!rc) rc = fusion_run(FUSION_RRF, fl, 2, NULL, 0, &fused, &nf, err);
    if (!rc) {
        printf("  text + image (RRF)  \"%s\" + test image %d (a sneaker):\n", dark, sneaker);
        for (size_t j = 0; j < nf && j < 3; j++) {
            const vt_result *src = lists[fused[j].list];
            json_t *p = json_loads(vt_result_payload(src, fused[j].rank), 0, NULL);
            char id[VT_POINT_ID_BUF];
            vt_point_id_format(&fused[j].id, id);
            printf("     #%zu  %-6s %-11s tone %-5s  rrf %.3f  \"%s\"\n", j + 1, id,
                   json_string_value(json_object_get(p, "class")), json_string_value(json_object_get(p, "tone")),
                   (double)fused[j].score, json_string_value(json_object_get(p, "caption")));
            json_decref(p);
        }
    }
    vt_free(fused);
    vt_free(h[0]);
    vt_free(h[1]);
    vt_result_free(a);
    vt_result_free(b);
    return rc;
}

/* evaluate: precision@10 of "a photo of a {class}" over the test split; the mean into *mean. */
static int evaluate(vt_db *db, vt_model *m, double *mean, vt_error *err) {
    int dim = vt_model_dim(m);
    float q[1024];
    double sum = 0;
    printf("  %-11s precision@%d (text -> image, test split)\n", "class", TOP);
    for (int c = 0; c < 10; c++) {
        char text[64];
        const char *tp = text;
        snprintf(text, sizeof text, "a photo of a %s", FMNIST_CLASSES[c]);
        vt_result *r = NULL;
        int rc = vt_embed_texts(m, &tp, 1, q, err);
        if (!rc) rc = search(db, "image", q, dim, TEST_ONLY, TOP, &r, err);
        if (rc) return rc;
        double p = class_precision(r, c);
        sum += p;
        printf("  %-11s %.2f\n", FMNIST_CLASSES[c], p);
        vt_result_free(r);
    }
    *mean = sum / 10;
    printf("  %-11s %.3f\n", "mean", *mean);
    return VT_OK;
}

int cmd_demo(int argc, char **argv) {
    const char *model_dir = NULL, *dataset = FMNIST_DIR, *data = "vitrine-demo", *export_dir = NULL, *v;
    int limit = 0;
    vt_model_opts opts = vt_model_opts_default();
    for (int i = 0; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--limit"))) limit = cli_int("--limit", v, 1, 1000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) opts.n_threads = cli_int("--threads", v, 0, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--dataset-dir")) || (v = cli_flag_value(argc, argv, &i, "--data-dir")))
            dataset = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--data"))) data = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--export"))) export_dir = v;
        else return cli_usage_error("demo", "unknown option %s", argv[i]);
    }
    if (!model_dir) model_dir = cli_default_model();
    double cuts[2];
    tone_cuts(model_dir, cuts);
    vt_error err = {0};
    item_set s;
    double t0 = progress_now(), t_all = t0;
    if (load_items(dataset, limit, &s, &err)) {
        fprintf(stderr, "vitrine demo: %s (install the Debian package dataset-fashion-mnist)\n", err.message);
        return 1;
    }
    if (export_dir) {
        int rc = export_items(&s, cuts, export_dir, 0);
        free_items(&s);
        return rc;
    }
    vt_model *m = cli_open_model(model_dir, &opts);
    if (!m) {
        free_items(&s);
        return 1;
    }
    vt_db *db = NULL;
    vt_db_opts dbo = vt_db_opts_default();
    int rc = vt_db_open(data, &dbo, &db, &err);
    double mean = 0;
    if (!rc && vt_model_dim(m) > 1024) rc = vt_fail(&err, VT_EINVAL, "demo: embeddings wider than 1024");
    if (!rc) {
        printf("vitrine demo: model %s (%d-d), %d Fashion-MNIST images (%d test, %d train) into %s, collection \"%s\"\n",
               model_dir, vt_model_dim(m), s.n, s.test.n, s.train.n, data, COLL);
        printf("[load] %.2f s\n\n", progress_now() - t0);
        t0 = progress_now();
        char media[2048];
        snprintf(media, sizeof media, "%s/media", data);
        rc = ingest(db, m, &s, cuts, media, &err);
    }
    if (!rc) {
        double el = progress_now() - t0;
        printf("[ingest] %.1f s (%.0f items/s: decode, embed image and caption, store)\n\n", el, s.n / el);
        t0 = progress_now();
        cal_stats *cal = vt_malloc(sizeof *cal);
        vt_error ce = {0};
        if (cal && (cal_compute(db, COLL, 42, cal, &ce) == VT_OK)) cal_save(data, COLL, cal, &ce);
        vt_free(cal);
        float q[1024] = {0};
        q[0] = 1;
        vt_result *r = NULL;
        rc = search(db, "image", q, vt_model_dim(m), NULL, 1, &r, &err);
        vt_result_free(r);
        if (!rc) rc = search(db, "text", q, vt_model_dim(m), NULL, 1, &r, &err);
        vt_result_free(r);
        printf("[index] %.1f s (HNSW graphs of \"image\" and \"text\", score calibration)\n\n", progress_now() - t0);
    }
    if (!rc) {
        t0 = progress_now();
        printf("example queries (top 3 of %d; class, split, score, caption):\n", TOP);
        rc = text_queries(db, m, &err);
        if (!rc) rc = image_queries(db, m, &s, &err);
        printf("[queries] %.2f s\n\n", progress_now() - t0);
    }
    if (!rc) {
        t0 = progress_now();
        rc = evaluate(db, m, &mean, &err);
        printf("[evaluation] %.2f s\n\n", progress_now() - t0);
    }
    if (!rc) {
        printf("done in %.1f s. Try:\n  build/vitrine search --data %s --collection %s --text \"a dark sneaker\"\n",
               progress_now() - t_all, data, COLL);
        printf("  build/vitrine serve --data %s --media-root %s/media   (then open http://localhost:6333/console)\n", data,
               data);
    }
    if (rc) fprintf(stderr, "vitrine demo: %s\n", err.message[0] ? err.message : vt_errstr(rc));
    vt_db_close(db);
    vt_model_close(m);
    free_items(&s);
    return rc ? 1 : 0;
}
