/*
 * clip_config.c — reading a CLIP folder's config.json and preprocessor_config.json.
 *
 * Fields follow transformers' CLIPConfig / CLIPTextConfig / CLIPVisionConfig; a field a config
 * leaves out takes transformers' default (the openai/clip-vit-base-patch32 geometry), as
 * from_pretrained does. The consistency rules checked here — hidden divisible by heads, image
 * divisible by patch, crop equal to the vision tower's image size — are the ones whose violation
 * would otherwise surface as a shape error deep inside the forward pass.
 *
 * The legacy EOS rule: openai's checkpoints say eos_token_id 2 in text_config although the real
 * EOS is 49407; transformers then pools at argmax(input_ids) (the highest id, which is EOS) and
 * otherwise at the first position equal to eos_token_id. We keep the value and apply the rule in
 * clip_text.c.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/json.h"
#include "clip.h"

#define MAX_CONFIG_BYTES (4u << 20)

static int read_act(const json_t *o, const char *file, const char *where, int *act, vt_error *err) {
    const char *s;
    int rc = vt_json_str(o, "hidden_act", "quick_gelu", file, where, &s, err);
    if (rc) return rc;
    if (strcmp(s, "quick_gelu") == 0) *act = ENC_ACT_QUICK_GELU;
    else if (strcmp(s, "gelu") == 0) *act = ENC_ACT_GELU;
    else return vt_fail(err, VT_EUNSUPPORTED, "%s: %shidden_act \"%s\" is not supported (quick_gelu or gelu)", file, where, s);
    return VT_OK;
}

static int read_tower(const json_t *o, int is_text, const char *file, clip_tower_config *t,
                      vt_error *err) {
    const char *w = is_text ? "text_config." : "vision_config.";
    double eps;
    int rc;
    if ((rc = vt_json_int(o, "hidden_size", is_text ? 512 : 768, 1, 65536, file, w, &t->hidden, err)) ||
        (rc = vt_json_int(o, "intermediate_size", is_text ? 2048 : 3072, 1, 262144, file, w, &t->intermediate, err)) ||
        (rc = vt_json_int(o, "num_hidden_layers", 12, 0, 1024, file, w, &t->n_layers, err)) ||
        (rc = vt_json_int(o, "num_attention_heads", is_text ? 8 : 12, 1, 1024, file, w, &t->n_heads, err)) ||
        (rc = vt_json_float(o, "layer_norm_eps", 1e-5, file, w, &eps, err)) || (rc = read_act(o, file, w, &t->act, err)))
        return rc;
    t->ln_eps = (float)eps;
    if (t->hidden % t->n_heads)
        return vt_fail(err, VT_ECORRUPT, "%s: %shidden_size %d is not divisible by num_attention_heads %d", file, w,
                       t->hidden, t->n_heads);
    if (is_text) {
        if ((rc = vt_json_int(o, "vocab_size", 49408, 1, 1 << 24, file, w, &t->vocab_size, err)) ||
            (rc = vt_json_int(o, "max_position_embeddings", 77, 2, 1 << 16, file, w, &t->max_positions, err)) ||
            (rc = vt_json_int(o, "eos_token_id", 49407, 0, 1 << 24, file, w, &t->eos_token_id, err)))
            return rc;
    } else {
        if ((rc = vt_json_int(o, "image_size", 224, 1, 8192, file, w, &t->image_size, err)) ||
            (rc = vt_json_int(o, "patch_size", 32, 1, 8192, file, w, &t->patch_size, err)) ||
            (rc = vt_json_int(o, "num_channels", 3, 3, 3, file, w, &t->n_channels, err)))
            return rc;
        if (t->image_size % t->patch_size)
            return vt_fail(err, VT_ECORRUPT, "%s: %simage_size %d is not divisible by patch_size %d", file, w,
                           t->image_size, t->patch_size);
    }
    return VT_OK;
}

/* size_field: preprocessor "size"/"crop_size" as an int, {"shortest_edge": n} or
 * {"height": h, "width": w}. */
static int size_field(const json_t *o, const char *key, int def, const char *file, int *h, int *w,
                      int *shortest, vt_error *err) {
    json_t *v = json_object_get(o, key);
    *h = *w = def;
    if (shortest) *shortest = def;
    if (!v || json_is_null(v)) return VT_OK;
    if (json_is_integer(v)) {
        int rc = vt_json_int(o, key, def, 1, 8192, file, "", h, err);
        *w = *h;
        if (shortest) *shortest = *h;
        return rc;
    }
    if (!json_is_object(v)) return vt_fail(err, VT_ECORRUPT, "%s: %s must be an integer or an object", file, key);
    int rc;
    if (json_object_get(v, "shortest_edge")) {
        if (!shortest) return vt_fail(err, VT_EUNSUPPORTED, "%s: %s.shortest_edge is not supported here", file, key);
        return vt_json_int(v, "shortest_edge", def, 1, 8192, file, key, shortest, err);
    }
    if ((rc = vt_json_int(v, "height", VT_JSON_REQUIRED, 1, 8192, file, "crop_size.", h, err)) ||
        (rc = vt_json_int(v, "width", VT_JSON_REQUIRED, 1, 8192, file, "crop_size.", w, err)))
        return rc;
    if (shortest) {
        if (*h != *w)
            return vt_fail(err, VT_EUNSUPPORTED, "%s: %s with height != width is not supported", file, key);
        *shortest = *h;
    }
    return VT_OK;
}

static int read_floats3(const json_t *o, const char *key, const float def[3], const char *file,
                        float out[3], vt_error *err) {
    json_t *v = json_object_get(o, key);
    memcpy(out, def, 3 * sizeof(float));
    if (!v || json_is_null(v)) return VT_OK;
    if (!json_is_array(v) || json_array_size(v) != 3)
        return vt_fail(err, VT_ECORRUPT, "%s: %s must be an array of 3 numbers", file, key);
    for (int i = 0; i < 3; i++) {
        json_t *x = json_array_get(v, (size_t)i);
        if (!json_is_number(x)) return vt_fail(err, VT_ECORRUPT, "%s: %s[%d] is not a number", file, key, i);
        out[i] = (float)json_number_value(x);
    }
    return VT_OK;
}

static int read_preprocessor(const char *path, int image_size, clip_preprocess_config *p, vt_error *err) {
    static const float OPENAI_MEAN[3] = {0.48145466f, 0.4578275f, 0.40821073f};
    static const float OPENAI_STD[3] = {0.26862954f, 0.26130258f, 0.27577711f};
    json_t *j;
    int rc = vt_json_load_file(path, MAX_CONFIG_BYTES, &j, err);
    if (rc) return rc;
    int resample, dummy_h, dummy_w;
    double rescale;
    if (!json_is_object(j)) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: not a JSON object", path);
        goto done;
    }
    if ((rc = size_field(j, "size", 224, path, &dummy_h, &dummy_w, &p->shortest_edge, err)) ||
        (rc = size_field(j, "crop_size", 224, path, &p->crop_h, &p->crop_w, NULL, err)) ||
        (rc = vt_json_bool(j, "do_resize", 1, path, "", &p->do_resize, err)) ||
        (rc = vt_json_bool(j, "do_center_crop", 1, path, "", &p->do_center_crop, err)) ||
        (rc = vt_json_bool(j, "do_rescale", 1, path, "", &p->do_rescale, err)) ||
        (rc = vt_json_bool(j, "do_normalize", 1, path, "", &p->do_normalize, err)) ||
        (rc = vt_json_float(j, "rescale_factor", 1.0 / 255, path, "", &rescale, err)) ||
        (rc = vt_json_int(j, "resample", 3, 0, 5, path, "", &resample, err)) ||
        (rc = read_floats3(j, "image_mean", OPENAI_MEAN, path, p->mean, err)) ||
        (rc = read_floats3(j, "image_std", OPENAI_STD, path, p->std, err)))
        goto done;
    p->rescale = (float)rescale;
    if (resample != 3) {
        rc = vt_fail(err, VT_EUNSUPPORTED, "%s: resample %d is not supported (only 3, BICUBIC)", path, resample);
        goto done;
    }
    if (!p->do_resize || !p->do_center_crop) {
        rc = vt_fail(err, VT_EUNSUPPORTED, "%s: do_resize and do_center_crop must be true", path);
        goto done;
    }
    for (int c = 0; c < 3; c++)
        if (!(p->std[c] > 0)) {
            rc = vt_fail(err, VT_ECORRUPT, "%s: image_std[%d] must be positive", path, c);
            goto done;
        }
    if (p->crop_h != image_size || p->crop_w != image_size)
        rc = vt_fail(err, VT_ECORRUPT, "%s: crop_size %dx%d does not match the model's image_size %d", path, p->crop_h,
                     p->crop_w, image_size);
done:
    json_decref(j);
    return rc;
}

int clip_config_parse(const json_t *j, const char *dir, clip_config *cfg, vt_error *err) {
    memset(cfg, 0, sizeof *cfg);
    char *path = vt_path_join(dir, "config.json");
    char *pre_path = vt_path_join(dir, "preprocessor_config.json");
    int rc;
    if (!path || !pre_path) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
        goto done;
    }
    const char *type;
    if (!json_is_object(j)) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: not a JSON object", path);
        goto done;
    }
    if ((rc = vt_json_str(j, "model_type", "", path, "", &type, err))) goto done;
    if (strcmp(type, "clip") != 0) {
        rc = vt_fail(err, VT_EUNSUPPORTED, "%s: model_type \"%s\" is not a CLIP model", path, type);
        goto done;
    }
    json_t *tc = json_object_get(j, "text_config"), *vc = json_object_get(j, "vision_config");
    json_t *empty = json_object();
    if (!empty) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if ((tc && !json_is_object(tc) && !json_is_null(tc)) || (vc && !json_is_object(vc) && !json_is_null(vc)))
        rc = vt_fail(err, VT_ECORRUPT, "%s: text_config and vision_config must be objects", path);
    else if (!(rc = read_tower(json_is_object(tc) ? tc : empty, 1, path, &cfg->text, err)))
        rc = read_tower(json_is_object(vc) ? vc : empty, 0, path, &cfg->vision, err);
    json_decref(empty);
    if (rc) goto done;
    if ((rc = vt_json_int(j, "projection_dim", 512, 1, 65536, path, "", &cfg->projection_dim, err))) goto done;
    rc = read_preprocessor(pre_path, cfg->vision.image_size, &cfg->pre, err);
done:
    vt_free(path);
    vt_free(pre_path);
    return rc;
}

int clip_config_load(const char *dir, clip_config *cfg, vt_error *err) {
    memset(cfg, 0, sizeof *cfg);
    char *path = vt_path_join(dir, "config.json");
    if (!path) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    json_t *j = NULL;
    int rc = vt_json_load_file(path, MAX_CONFIG_BYTES, &j, err);
    vt_free(path);
    if (rc == VT_OK) rc = clip_config_parse(j, dir, cfg, err);
    json_decref(j);
    return rc;
}
