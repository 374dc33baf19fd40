/*
 * vitrine.h — the public C API of vitrine, a multimodal (text + image) retrieval engine.
 *
 * Example: embed a caption and an image with the shipped CLIP model and compare them.
 *
 *     #include <vitrine.h>
 *     vt_error err = {0};
 *     vt_model *model = NULL;
 *     vt_model_opts opts = vt_model_opts_default();
 *     opts.n_threads = 2;
 *     if (vt_model_open("models/fashion-clip", &opts, &model, &err) != VT_OK) {
 *         fprintf(stderr, "%s\n", err.message);
 *         return 1;
 *     }
 *     int dim = vt_model_dim(model);
 *     float *t = malloc(dim * sizeof(float)), *v = malloc(dim * sizeof(float));
 *     const char *text = "a photo of a sneaker";
 *     const char *path = "shoe.png";
 *     if (vt_embed_texts(model, &text, 1, t, &err) != VT_OK ||
 *         vt_embed_image_files(model, &path, 1, v, &err) != VT_OK)
 *         fprintf(stderr, "%s\n", err.message);
 *     float cosine = 0;                       // embeddings come out L2-normalised
 *     for (int i = 0; i < dim; i++) cosine += t[i] * v[i];
 *     vt_model_close(model);
 *
 * Conventions. Every fallible call returns an int: VT_OK (0) or a negative VT_E* code; results go
 * out through trailing pointers; the last parameter is an optional vt_error * (NULL allowed) that
 * receives one line naming the input and the problem. Handles are opaque; open/close and new/free
 * come in pairs and close/free accept NULL. Who owns what is said at each declaration.
 */
#ifndef VITRINE_H
#define VITRINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VT_VERSION "0.1.0"

/* ---------------------------------------------------------------------------------------------
 * Errors. The list is append-only: a code keeps its number forever.
 */
#define VT_ERRNO_MAP(X)                                                          \
    X(OK, 0, "success")                                                          \
    X(EINVAL, -1, "invalid argument")                                            \
    X(ENOMEM, -2, "out of memory")                                               \
    X(EIO, -3, "input/output error")                                             \
    X(ECORRUPT, -4, "malformed or corrupt input")                                \
    X(EUNSUPPORTED, -5, "unsupported input")                                     \
    X(ELIMIT, -6, "input exceeds a limit")                                       \
    X(ENOTFOUND, -7, "not found")                                                \
    X(EINTERNAL, -8, "internal error")

enum vt_errno {
#define VT_ERR_ENUM(name, val, msg) VT_##name = val,
    VT_ERRNO_MAP(VT_ERR_ENUM)
#undef VT_ERR_ENUM
};

/* The detail of a failure, in a buffer the caller owns. Zero-initialise it before use. */
typedef struct vt_error {
    int code;          /* the VT_E* code of the first failure recorded, 0 if none */
    char message[512]; /* one line naming the input and the problem; "" if none */
} vt_error;

const char *vt_errname(int code); /* "ECORRUPT"; static storage; cannot fail */
const char *vt_errstr(int code);  /* "malformed or corrupt input"; static storage; cannot fail */

/* vt_mem_free: releases memory that a vt_ call handed to the caller. NULL is accepted. */
void vt_mem_free(void *p);

/* ---------------------------------------------------------------------------------------------
 * Models: a Hugging Face model folder (CLIP today) loaded for embedding.
 */
typedef struct vt_model vt_model;

enum vt_resize_mode {
    VT_RESIZE_PIL = 0,        /* Pillow BICUBIC, bit-exact (transformers' PIL backend) */
    VT_RESIZE_TORCHVISION = 1 /* transformers' default torchvision backend (int16 coefficients) */
};

typedef struct vt_model_opts {
    int n_threads;     /* worker threads for embedding; 0 = all cores */
    int apply_exif;    /* 1: rotate/flip image files by their EXIF orientation (default 1) */
    int resize_mode;   /* enum vt_resize_mode (default VT_RESIZE_PIL) */
    int normalize;     /* 1: L2-normalise embeddings (default 1); 0: the projected vectors */
    uint64_t max_pixels; /* images with more pixels are refused before decoding (default 64M) */
} vt_model_opts;

/* vt_model_opts_default: the defaults above. Cannot fail. */
vt_model_opts vt_model_opts_default(void);

/* vt_model_open: loads the model folder dir (config.json, model.safetensors, tokenizer files,
 * preprocessor_config.json). On success *out is a new handle owned by the caller (release with
 * vt_model_close). opts may be NULL for the defaults. The weights file is memory-mapped. */
int vt_model_open(const char *dir, const vt_model_opts *opts, vt_model **out, vt_error *err);

/* vt_model_close: releases the model. NULL is accepted. */
void vt_model_close(vt_model *model);

/* vt_model_dim: the length of an embedding (projection_dim for CLIP). Cannot fail. */
int vt_model_dim(const vt_model *model);

/* vt_model_has_text / vt_model_has_image: 1 if the model embeds that modality. Cannot fail. */
int vt_model_has_text(const vt_model *model);
int vt_model_has_image(const vt_model *model);

/* vt_model_max_tokens: the model's maximum sequence length (77 for CLIP). Cannot fail. */
int vt_model_max_tokens(const vt_model *model);

/* vt_model_image_size: the model's input image side in pixels (224 for CLIP). Cannot fail. */
int vt_model_image_size(const vt_model *model);

/* vt_tokenize: the token ids of the text_len bytes of UTF-8 at text (NUL bytes allowed) as the
 * model's tokenizer gives them (with the special tokens), truncated to max_length tokens when
 * max_length > 0. On success *ids_out is an array of *n_out ids owned by the caller (release with
 * vt_mem_free). */
int vt_tokenize(const vt_model *model, const char *text, size_t text_len, int max_length,
                int32_t **ids_out, size_t *n_out, vt_error *err);

/* vt_embed_texts: embeds n texts (UTF-8, NUL-terminated) into out, n × vt_model_dim floats that
 * the caller provides. One call at a time per model handle (calls are serialised inside). */
int vt_embed_texts(vt_model *model, const char *const *texts, size_t n, float *out,
                   vt_error *err);

/* vt_embed_texts_len: the same for texts of lens[i] bytes each (which may hold NUL bytes). */
int vt_embed_texts_len(vt_model *model, const char *const *texts, const size_t *lens, size_t n,
                       float *out, vt_error *err);

/* vt_image: a raw pixel buffer, rows top to bottom, channels interleaved, no padding.
 * channels: 1 (gray), 3 (RGB) or 4 (RGBA, alpha dropped as transformers does). Borrowed. */
typedef struct vt_image {
    int width, height, channels;
    const uint8_t *pixels; /* width × height × channels bytes */
} vt_image;

/* vt_embed_images: embeds n raw images into out (n × vt_model_dim floats, caller's). */
int vt_embed_images(vt_model *model, const vt_image *images, size_t n, float *out,
                    vt_error *err);

/* vt_embed_image_files: decodes (JPEG, PNG, WebP), preprocesses and embeds n image files. */
int vt_embed_image_files(vt_model *model, const char *const *paths, size_t n, float *out,
                         vt_error *err);

/* vt_preprocess_file: the model input for one image file: 3 × S × S floats (S =
 * vt_model_image_size) into out, which the caller provides. */
int vt_preprocess_file(const vt_model *model, const char *path, float *out, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Points. A point id is an unsigned 64-bit integer or a UUID, as in Qdrant.
 */
typedef struct vt_point_id {
    int is_uuid;      /* 0: num is the id; 1: uuid is the id */
    uint64_t num;     /* the integer id (is_uuid == 0) */
    uint8_t uuid[16]; /* the UUID's 16 bytes in text order (is_uuid == 1) */
} vt_point_id;

#ifdef __cplusplus
}
#endif
#endif
