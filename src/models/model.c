/*
 * model.c — the public model API of vitrine.h: a model folder opened for embedding.
 *
 * vt_model is the same for every model family: it finds the family of a folder, holds the
 * tokenizer and the thread pool, tokenizes texts, decodes and preprocesses images (image/image.h),
 * serialises the calls of one handle and L2-normalises the results. The family (family.h) loads
 * the weights and runs the forward passes:
 *
 *   the folder holds                               family
 *   modules.json (sentence-transformers)           st: BERT / MPNet + Pooling (+ Normalize)
 *   config.json with model_type "clip"             clip: texts and images
 *   config.json with model_type "bert" / "mpnet"   st, bare: masked mean pooling, and a notice
 *   anything else                                  refused, naming config.json's model_type
 *
 * Weights and tokenizer are immutable after open; the pool and the per-call scratch are not
 * shareable, so the embedding calls of one handle are serialised by `lock` (a server runs several
 * handles, or queues).
 *
 * Texts are tokenized and embedded in chunks of TEXT_CHUNK; images are decoded and preprocessed in
 * parallel (one pool task per image) in chunks of IMAGE_CHUNK, then run through the vision tower
 * chunk by chunk, so memory stays bounded for any number of inputs.
 */
#include <pthread.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/json.h"
#include "family.h"
#include "image/image.h"
#include "tensor/kernels.h"
#include "text/tokenizer.h"
#include "vitrine.h"

#define IMAGE_CHUNK 32 /* images preprocessed and embedded per round: 32 × 600 KB of pixels */
#define TEXT_CHUNK 256 /* texts tokenized per round: bounds the ids held at once */
#define MAX_CONFIG_BYTES (4u << 20)

struct vt_model {
    char *dir;                 /* the folder, as given */
    vt_model_opts opts;        /* the options of open */
    const model_family *fam;   /* the family's functions */
    void *impl;                /* the family's model (weights), owned */
    model_info info;           /* dim, max tokens, image size, tokenizer (owned), notice */
    vt_pool *pool;             /* worker threads of the forward passes and image decoding */
    pthread_mutex_t lock;      /* serialises the embedding calls of this handle */
};

vt_model_opts vt_model_opts_default(void) {
    vt_model_opts o;
    memset(&o, 0, sizeof o);
    o.n_threads = 0;
    o.apply_exif = 1;
    o.resize_mode = VT_RESIZE_PIL;
    o.normalize = 1;
    o.max_pixels = IMG_DEFAULT_MAX_PIXELS;
    return o;
}

/* detect: the family of the folder dir (see the table above); *json is its parsed config.json
 * (caller: json_decref), NULL when the family was found by modules.json. The family's open reads
 * it from there, so the file is parsed once. */
static int detect(const char *dir, const model_family **fam, json_t **json, vt_error *err) {
    char *modules = vt_path_join(dir, "modules.json"), *config = vt_path_join(dir, "config.json");
    json_t *j = NULL;
    int rc = VT_OK;
    *json = NULL;
    if (!modules || !config) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
        goto done;
    }
    if (vt_file_exists(modules)) {
        *fam = &model_family_st;
        goto done;
    }
    if ((rc = vt_json_load_file(config, MAX_CONFIG_BYTES, &j, err))) goto done;
    const char *type = json_string_value(json_object_get(j, "model_type"));
    if (type && strcmp(type, "clip") == 0) *fam = &model_family_clip;
    else if (type && (strcmp(type, "bert") == 0 || strcmp(type, "mpnet") == 0)) *fam = &model_family_st;
    else if (!json_is_object(j)) rc = vt_fail(err, VT_ECORRUPT, "%s: not a JSON object", config);
    else
        rc = vt_fail(err, VT_EUNSUPPORTED, "%s: model_type \"%.60s\" is not supported (clip, bert, mpnet, or a "
                     "sentence-transformers folder)", config, type ? type : "");
done:
    if (rc == VT_OK) *json = j;
    else json_decref(j);
    vt_free(modules);
    vt_free(config);
    return rc;
}

int vt_model_open(const char *dir, const vt_model_opts *opts, vt_model **out, vt_error *err) {
    *out = NULL;
    if (!dir) return vt_fail(err, VT_EINVAL, "no model folder given");
    vt_model *m = vt_calloc(1, sizeof *m);
    if (!m) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    pthread_mutex_init(&m->lock, NULL);
    m->opts = opts ? *opts : vt_model_opts_default();
    if (m->opts.max_pixels == 0) m->opts.max_pixels = IMG_DEFAULT_MAX_PIXELS;
    int rc;
    if (!(m->dir = vt_strdup(dir))) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
        goto fail;
    }
    json_t *config = NULL;
    if ((rc = detect(dir, &m->fam, &config, err)) == VT_OK) rc = m->fam->open(dir, config, &m->impl, &m->info, err);
    json_decref(config);
    if (rc) goto fail;
    if (!(m->pool = vt_pool_new(m->opts.n_threads))) {
        rc = vt_fail(err, VT_ENOMEM, "%s: cannot start %d threads", dir, m->opts.n_threads);
        goto fail;
    }
    *out = m;
    return VT_OK;
fail:
    vt_model_close(m);
    return rc;
}

void vt_model_close(vt_model *m) {
    if (!m) return;
    vt_pool_free(m->pool);
    if (m->fam) m->fam->close(m->impl);
    tok_free(m->info.tok);
    vt_free(m->dir);
    pthread_mutex_destroy(&m->lock);
    vt_free(m);
}

int vt_model_dim(const vt_model *m) { return m->info.dim; }
int vt_model_has_text(const vt_model *m) { return m->info.tok != NULL; }
int vt_model_has_image(const vt_model *m) { return m->fam->embed_pixels != NULL && m->info.image_size > 0; }
int vt_model_max_tokens(const vt_model *m) { return m->info.max_tokens; }
int vt_model_image_size(const vt_model *m) { return vt_model_has_image(m) ? m->info.image_size : 0; }
const char *vt_model_family(const vt_model *m) { return m->fam->name; }
const char *vt_model_notice(const vt_model *m) { return m->info.notice[0] ? m->info.notice : NULL; }

/* no_images: the error of an image call on a text-only model. */
static int no_images(const vt_model *m, vt_error *err) {
    return vt_fail(err, VT_EUNSUPPORTED, "model %s embeds text only (a %s model has no image tower)", m->dir,
                   m->fam->name);
}

int vt_tokenize(const vt_model *m, const char *text, size_t text_len, int max_length,
                int32_t **ids_out, size_t *n_out, vt_error *err) {
    *ids_out = NULL;
    *n_out = 0;
    return tok_encode(m->info.tok, text, text_len, max_length, ids_out, n_out, err);
}

static void normalize_rows(float *v, size_t n, int dim) {
    for (size_t i = 0; i < n; i++) k_l2_normalize(v + i * (size_t)dim, dim);
}

int vt_embed_texts(vt_model *m, const char *const *texts, size_t n, float *out, vt_error *err) {
    return vt_embed_texts_len(m, texts, NULL, n, out, err);
}

int vt_embed_texts_len(vt_model *m, const char *const *texts, const size_t *lens, size_t n,
                       float *out, vt_error *err) {
    if (n == 0) return VT_OK;
    int rc = VT_OK, dim = vt_model_dim(m), maxlen = m->info.max_tokens;
    size_t chunk = n < TEXT_CHUNK ? n : TEXT_CHUNK;
    int32_t **ids = vt_calloc(chunk, sizeof *ids);
    int *len = vt_calloc(chunk, sizeof *len);
    if (!ids || !len) {
        rc = vt_fail(err, VT_ENOMEM, "out of memory");
        goto done;
    }
    pthread_mutex_lock(&m->lock);
    for (size_t first = 0; first < n && rc == VT_OK; first += chunk) {
        size_t cn = n - first < chunk ? n - first : chunk;
        for (size_t i = 0; i < cn && rc == VT_OK; i++) {
            size_t nt;
            vt_free(ids[i]);
            ids[i] = NULL;
            size_t tl = lens ? lens[first + i] : strlen(texts[first + i]);
            rc = tok_encode(m->info.tok, texts[first + i], tl, maxlen, &ids[i], &nt, err);
            len[i] = (int)nt;
        }
        if (rc == VT_OK)
            rc = m->fam->embed_tokens(m->impl, m->pool, (int)cn, (const int32_t *const *)ids, len,
                                      out + first * (size_t)dim, err);
    }
    pthread_mutex_unlock(&m->lock);
    if (rc == VT_OK && m->opts.normalize) normalize_rows(out, n, dim);
done:
    if (ids)
        for (size_t i = 0; i < chunk; i++) vt_free(ids[i]);
    vt_free(ids);
    vt_free(len);
    return rc;
}

/* preprocess_rgb: resize, crop and normalise an RGB image into the model input (3 × S × S). */
static int preprocess_rgb(const vt_model *m, const img_u8 *rgb, float *out, vt_error *err) {
    const clip_preprocess_config *p = m->info.pre;
    img_u8 r;
    int rc = img_resize_crop(rgb, p->shortest_edge, p->crop_h, p->crop_w,
                             m->opts.resize_mode == VT_RESIZE_TORCHVISION ? IMG_RESIZE_TORCHVISION : IMG_RESIZE_PIL, &r,
                             err);
    if (rc) return rc;
    static const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
    img_normalize(&r, p->do_rescale ? p->rescale : 1.0f, p->do_normalize ? p->mean : zero,
                  p->do_normalize ? p->std : one, out);
    img_free(&r);
    return VT_OK;
}

int vt_preprocess_file(const vt_model *m, const char *path, float *out, vt_error *err) {
    if (!vt_model_has_image(m)) return no_images(m, err);
    img_decode_opts o = img_decode_opts_default();
    o.apply_exif = m->opts.apply_exif;
    o.max_pixels = m->opts.max_pixels;
    img_u8 rgb;
    int rc = img_decode_file(path, &o, &rgb, err);
    if (rc) return rc;
    rc = preprocess_rgb(m, &rgb, out, err);
    img_free(&rgb);
    return rc;
}

int vt_preprocess_encoded(const vt_model *m, const uint8_t *data, size_t len, const char *name, float *out,
                          vt_error *err) {
    if (!vt_model_has_image(m)) return no_images(m, err);
    img_decode_opts o = img_decode_opts_default();
    o.apply_exif = m->opts.apply_exif;
    o.max_pixels = m->opts.max_pixels;
    img_u8 rgb;
    int rc = img_decode_mem(data, len, name, &o, &rgb, err);
    if (rc) return rc;
    rc = preprocess_rgb(m, &rgb, out, err);
    img_free(&rgb);
    return rc;
}

int vt_embed_pixels(vt_model *m, const float *pixels, size_t n, float *out, vt_error *err) {
    if (!vt_model_has_image(m)) return no_images(m, err);
    int dim = vt_model_dim(m), rc = VT_OK;
    size_t S = (size_t)vt_model_image_size(m);
    pthread_mutex_lock(&m->lock);
    for (size_t first = 0; first < n && rc == VT_OK; first += IMAGE_CHUNK) {
        size_t cn = n - first < IMAGE_CHUNK ? n - first : IMAGE_CHUNK;
        rc = m->fam->embed_pixels(m->impl, m->pool, (int)cn, pixels + first * 3 * S * S, out + first * (size_t)dim,
                                  err);
    }
    pthread_mutex_unlock(&m->lock);
    if (rc == VT_OK && m->opts.normalize) normalize_rows(out, n, dim);
    return rc;
}

/* One round of parallel preprocessing: task i fills pixels[i] from files[i] or images[i]. */
typedef struct {
    const vt_model *m;
    const char *const *files;  /* or NULL */
    const vt_image *images;    /* or NULL */
    float *pixels;
    int *rc;                   /* per task */
    vt_error *errs;            /* per task */
} prep_job;

static void prep_task(void *ctx, int task, int worker) {
    (void)worker;
    const prep_job *j = ctx;
    size_t S = (size_t)vt_model_image_size(j->m);
    float *dst = j->pixels + (size_t)task * 3 * S * S;
    vt_error *e = &j->errs[task];
    if (j->files) {
        j->rc[task] = vt_preprocess_file(j->m, j->files[task], dst, e);
        return;
    }
    const vt_image *im = &j->images[task];
    img_u8 rgb;
    int rc = img_to_rgb(im->pixels, im->width, im->height, im->channels, &rgb, e);
    if (rc == VT_OK) {
        rc = preprocess_rgb(j->m, &rgb, dst, e);
        img_free(&rgb);
    }
    j->rc[task] = rc;
}

static int embed_images(vt_model *m, const char *const *files, const vt_image *images, size_t n,
                        float *out, vt_error *err) {
    if (!vt_model_has_image(m)) return no_images(m, err);
    if (n == 0) return VT_OK;
    int dim = vt_model_dim(m), rc = VT_OK;
    size_t S = (size_t)vt_model_image_size(m), chunk = n < IMAGE_CHUNK ? n : IMAGE_CHUNK;
    float *pixels = vt_malloc(chunk * 3 * S * S * sizeof(float));
    int *rcs = vt_calloc(chunk, sizeof *rcs);
    vt_error *errs = vt_calloc(chunk, sizeof *errs);
    if (!pixels || !rcs || !errs) {
        rc = vt_fail(err, VT_ENOMEM, "out of memory for %zu images", chunk);
        goto done;
    }
    pthread_mutex_lock(&m->lock);
    for (size_t first = 0; first < n && rc == VT_OK; first += chunk) {
        size_t cn = n - first < chunk ? n - first : chunk;
        memset(errs, 0, cn * sizeof *errs);
        prep_job j = {m, files ? files + first : NULL, images ? images + first : NULL, pixels, rcs, errs};
        vt_pool_run(m->pool, (int)cn, prep_task, &j);
        for (size_t i = 0; i < cn; i++)
            if (rcs[i]) {
                rc = vt_fail(err, rcs[i], "%s", errs[i].message[0] ? errs[i].message : vt_errstr(rcs[i]));
                break;
            }
        if (rc == VT_OK) rc = m->fam->embed_pixels(m->impl, m->pool, (int)cn, pixels, out + first * (size_t)dim, err);
    }
    pthread_mutex_unlock(&m->lock);
    if (rc == VT_OK && m->opts.normalize) normalize_rows(out, n, dim);
done:
    vt_free(pixels);
    vt_free(rcs);
    vt_free(errs);
    return rc;
}

int vt_embed_image_files(vt_model *m, const char *const *paths, size_t n, float *out, vt_error *err) {
    return embed_images(m, paths, NULL, n, out, err);
}

int vt_embed_images(vt_model *m, const vt_image *images, size_t n, float *out, vt_error *err) {
    if (!vt_model_has_image(m)) return no_images(m, err);
    for (size_t i = 0; i < n; i++)
        if (!images[i].pixels || images[i].width < 1 || images[i].height < 1 ||
            (images[i].channels != 1 && images[i].channels != 3 && images[i].channels != 4))
            return vt_fail(err, VT_EINVAL, "image %zu: needs pixels, a positive size and 1, 3 or 4 channels", i);
    return embed_images(m, NULL, images, n, out, err);
}
