/*
 * inference.c — vectors on the wire: number lists, and the inference objects that open-source
 * Qdrant leaves to its cloud, embedded here with the models loaded at start-up.
 *
 *   [0.1, 0.2, …]                                  a dense vector (1..65536 finite numbers)
 *   {"text": "a red dress", "model": "fashion-clip"}         Document
 *   {"image": "<base64 of a PNG/JPEG/WebP>", "model": "…"}   Image ("data:…;base64," accepted)
 *   {"image": "https://…/a.jpg", "model": "…"}             Image fetched by URL (pipeline/fetch.c:
 *                                                            timeouts, 32 MiB cap, http(s) only)
 *   {"object": "<text>" | {"text"|"image": …}, "model": "…"} InferenceObject
 *
 * A model is named by its folder's last path component; "model" may be omitted for the default
 * model (the first loaded, fashion-clip unless --model says otherwise). Errors are 400s that
 * name the input: an unknown model (listing the loaded ones), a text-only model asked for an
 * image, an image that is not base64 or does not decode, a URL that cannot be fetched.
 * Embeddings come out L2-normalised (vt_model_opts default), which is what Cosine wants.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "image/image.h"
#include "pipeline/fetch.h"
#include "server/server_int.h"

int srv_models_load(srv_ctx *ctx, const char *const *dirs, size_t n, vt_error *err) {
    ctx->models = NULL;
    ctx->n_models = 0;
    if (n == 0) return VT_OK;
    ctx->models = vt_calloc(n, sizeof *ctx->models);
    if (!ctx->models) return vt_fail(err, VT_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *dir = dirs[i];
        size_t len = strlen(dir);
        while (len > 1 && dir[len - 1] == '/') len--;
        size_t start = len;
        while (start > 0 && dir[start - 1] != '/') start--;
        size_t nl = len - start;
        if (nl >= sizeof ctx->models[0].name) nl = sizeof ctx->models[0].name - 1;
        char name[256];
        memcpy(name, dir + start, nl);
        name[nl] = '\0';
        int dup = 0;
        for (size_t j = 0; j < ctx->n_models; j++)
            if (strcmp(ctx->models[j].name, name) == 0) dup = 1;
        if (dup) continue; /* the default given again with --model */
        vt_model_opts o = vt_model_opts_default();
        o.n_threads = 0;
        vt_model *m = NULL;
        int rc = vt_model_open(dir, &o, &m, err);
        if (rc) {
            srv_models_free(ctx);
            return rc;
        }
        memcpy(ctx->models[ctx->n_models].name, name, nl + 1);
        ctx->models[ctx->n_models].model = m;
        ctx->n_models++;
    }
    return VT_OK;
}

void srv_models_free(srv_ctx *ctx) {
    for (size_t i = 0; i < ctx->n_models; i++) vt_model_close(ctx->models[i].model);
    vt_free(ctx->models);
    ctx->models = NULL;
    ctx->n_models = 0;
}

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int srv_base64_decode(const char *s, size_t len, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    uint8_t *buf = vt_malloc(len / 4 * 3 + 3);
    if (!buf) return -1;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad) {
            vt_free(buf);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits >= 6) { /* a lone sextet cannot be a byte */
        vt_free(buf);
        return -1;
    }
    *out = buf;
    *out_len = n;
    return 0;
}

int srv_is_inference(const json_t *v) {
    if (!json_is_object(v)) return 0;
    /* {"text": [..], "image": [..]} is a map of named vectors; an inference object holds a
     * string (or for "object" a string or object), or names its model */
    json_t *m = json_object_get(v, "model");
    if (m && json_is_string(m)) return 1;
    if (json_is_string(json_object_get(v, "text")) || json_is_string(json_object_get(v, "image"))) return 1;
    json_t *o = json_object_get(v, "object");
    return o && (json_is_string(o) || json_is_object(o));
}

static srv_model *find_model(srv_req *r, const json_t *obj, const char *where) {
    json_t *m = json_object_get(obj, "model");
    srv_ctx *ctx = r->ctx;
    if (!m || json_is_null(m)) {
        if (ctx->n_models) return &ctx->models[0];
        srv_fail(r, 400, "Wrong input: %s: no model is loaded for inference (start the server with --model DIR)", where);
        return NULL;
    }
    if (!json_is_string(m)) {
        srv_fail(r, 400, "Format error in JSON body: %s: model must be a string", where);
        return NULL;
    }
    const char *name = json_string_value(m);
    const char *slash = strrchr(name, '/'); /* "org/fashion-clip" names the folder fashion-clip */
    for (size_t i = 0; i < ctx->n_models; i++)
        if (strcmp(ctx->models[i].name, name) == 0 || (slash && strcmp(ctx->models[i].name, slash + 1) == 0))
            return &ctx->models[i];
    char list[512] = "";
    size_t off = 0;
    for (size_t i = 0; i < ctx->n_models && off < sizeof list - 1; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s\"%s\"", i ? ", " : "", ctx->models[i].name);
    srv_fail(r, 400, "Wrong input: %s: unknown model \"%.200s\" (loaded: %s)", where, name,
             ctx->n_models ? list : "none");
    return NULL;
}

static int embed_text(srv_req *r, srv_model *m, const char *text, size_t len, const char *where,
                      srv_vec *out) {
    if (len > SRV_MAX_TEXT_BYTES) {
        srv_fail(r, 400, "Wrong input: %s: text of %zu bytes is longer than the %d allowed", where, len,
                 SRV_MAX_TEXT_BYTES);
        return -1;
    }
    if (!vt_model_has_text(m->model)) {
        srv_fail(r, 400, "Wrong input: %s: model \"%s\" cannot embed text", where, m->name);
        return -1;
    }
    int dim = vt_model_dim(m->model);
    out->data = vt_malloc((size_t)dim * sizeof(float));
    if (!out->data) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    out->dim = (uint32_t)dim;
    vt_error err = {0};
    int rc = vt_embed_texts_len(m->model, &text, &len, 1, out->data, &err);
    if (rc) {
        vt_free(out->data);
        out->data = NULL;
        if (rc == VT_ENOMEM || rc == VT_EINTERNAL || rc == VT_EIO) srv_fail_vt(r, rc, &err);
        else srv_fail(r, 400, "Wrong input: %s: %s", where, err.message);
        return -1;
    }
    return 0;
}

static int embed_image_bytes(srv_req *r, srv_model *m, uint8_t *bytes, size_t n, const char *where,
                             srv_vec *out);

static int embed_image(srv_req *r, srv_model *m, const char *s, size_t len, const char *where,
                       srv_vec *out) {
    if (!vt_model_has_image(m->model)) {
        srv_fail(r, 400, "Wrong input: %s: model \"%s\" cannot embed images (it is a text model)", where, m->name);
        return -1;
    }
    uint8_t *bytes;
    size_t n;
    if ((len >= 7 && strncmp(s, "http://", 7) == 0) || (len >= 8 && strncmp(s, "https://", 8) == 0)) {
        if (len > 8192 || memchr(s, '\0', len)) {
            srv_fail(r, 400, "Wrong input: %s: image URL is not a valid URL", where);
            return -1;
        }
        fetch_opts fo = fetch_opts_default();
        vt_error ferr = {0};
        int frc = fetch_url(s, &fo, &bytes, &n, NULL, &ferr);
        if (frc) {
            if (frc == VT_ENOMEM) srv_fail_vt(r, frc, &ferr);
            else srv_fail(r, 400, "Wrong input: %s: cannot fetch the image: %s", where, ferr.message);
            return -1;
        }
        return embed_image_bytes(r, m, bytes, n, where, out);
    }
    if (len >= 5 && strncmp(s, "data:", 5) == 0) { /* data:image/png;base64,… */
        const char *comma = memchr(s, ',', len);
        if (!comma) {
            srv_fail(r, 400, "Wrong input: %s: a data: URL without a comma", where);
            return -1;
        }
        len -= (size_t)(comma + 1 - s);
        s = comma + 1;
    }
    if (srv_base64_decode(s, len, &bytes, &n) != 0 || n == 0) {
        srv_fail(r, 400, "Wrong input: %s: image is not valid base64", where);
        return -1;
    }
    return embed_image_bytes(r, m, bytes, n, where, out);
}

/* embed_image_bytes: decodes the n bytes (an image file's; freed here) and embeds them. */
static int embed_image_bytes(srv_req *r, srv_model *m, uint8_t *bytes, size_t n, const char *where,
                             srv_vec *out) {
    img_decode_opts o = img_decode_opts_default();
    img_u8 img = {0};
    vt_error err = {0};
    int rc = img_decode_mem(bytes, n, where, &o, &img, &err);
    vt_free(bytes);
    if (rc) {
        if (rc == VT_ENOMEM) srv_fail_vt(r, rc, &err);
        else srv_fail(r, 400, "Wrong input: %s: image does not decode: %s", where, err.message);
        return -1;
    }
    int dim = vt_model_dim(m->model);
    out->data = vt_malloc((size_t)dim * sizeof(float));
    if (!out->data) {
        img_free(&img);
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    out->dim = (uint32_t)dim;
    vt_image vi = {img.width, img.height, img.channels, img.pixels};
    rc = vt_embed_images(m->model, &vi, 1, out->data, &err);
    img_free(&img);
    if (rc) {
        vt_free(out->data);
        out->data = NULL;
        srv_fail(r, 400, "Wrong input: %s: %s", where, err.message);
        return -1;
    }
    return 0;
}

int srv_embed(srv_req *r, const json_t *obj, const char *where, srv_vec *out) {
    out->data = NULL;
    out->dim = 0;
    srv_model *m = find_model(r, obj, where);
    if (!m) return -1;
    json_t *text = json_object_get(obj, "text"), *image = json_object_get(obj, "image");
    json_t *object = json_object_get(obj, "object");
    if (object && json_is_object(object)) { /* {"object": {"text"|"image": …}} */
        text = json_object_get(object, "text");
        image = json_object_get(object, "image");
        object = NULL;
    }
    if (object && json_is_string(object)) text = object;
    if (text && json_is_string(text))
        return embed_text(r, m, json_string_value(text), json_string_length(text), where, out);
    if (image && json_is_string(image))
        return embed_image(r, m, json_string_value(image), json_string_length(image), where, out);
    srv_fail(r, 400, "Wrong input: %s: an inference object needs \"text\" or \"image\" as a string", where);
    return -1;
}

int srv_read_vector(srv_req *r, const json_t *v, const char *where, srv_vec *out) {
    out->data = NULL;
    out->dim = 0;
    if (srv_is_inference(v)) return srv_embed(r, v, where, out);
    if (json_is_object(v) && json_object_get(v, "indices")) {
        srv_fail(r, 400, "Wrong input: %s: sparse vectors are not supported", where);
        return -1;
    }
    if (json_is_array(v) && json_array_size(v) > 0 && json_is_array(json_array_get(v, 0))) {
        srv_fail(r, 400, "Wrong input: %s: multivectors are not supported", where);
        return -1;
    }
    if (!json_is_array(v)) {
        srv_fail(r, 400, "Format error in JSON body: %s: expected a vector (a list of numbers) or an "
                         "inference object {\"text\"|\"image\": …, \"model\": …}", where);
        return -1;
    }
    size_t n = json_array_size(v);
    if (n < 1 || n > VT_MAX_DIM) {
        srv_fail(r, 422, "Validation error in JSON body: [%s: vector of %zu numbers, must have from 1 to %d]",
                 where, n, VT_MAX_DIM);
        return -1;
    }
    float *d = vt_malloc(n * sizeof(float));
    if (!d) {
        srv_fail(r, 500, "Service internal error: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_number(x)) {
            vt_free(d);
            srv_fail(r, 400, "Format error in JSON body: %s[%zu] is not a number", where, i);
            return -1;
        }
        double xv = json_number_value(x);
        if (!(fabs(xv) <= FLT_MAX)) {
            vt_free(d);
            srv_fail(r, 400, "Wrong input: %s[%zu] is not a finite 32-bit float", where, i);
            return -1;
        }
        d[i] = (float)xv;
    }
    out->data = d;
    out->dim = (uint32_t)n;
    return 0;
}
