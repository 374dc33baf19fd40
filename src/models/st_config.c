/*
 * st_config.c — the sentence-transformers files of a model folder (see st.h, docs/FORMAT.md).
 *
 *   modules.json                [{"idx": 0, "name": "0", "path": "", "type": "….Transformer"},
 *                                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "….Pooling"},
 *                                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "….Normalize"}]
 *                               read in file order (the order sentence-transformers runs them):
 *                               exactly one Transformer, first; one Pooling after it; at most one
 *                               Normalize after the Pooling. A module path is relative to the
 *                               folder: absolute paths and ".." are refused, so a model file
 *                               cannot make us read outside its folder.
 *   <pooling>/config.json       "pooling_mode": "mean" | ["cls", …] (6.x; names cls, max, mean,
 *                               mean_sqrt_len_tokens, weightedmean, lasttoken), else the classic
 *                               booleans pooling_mode_{cls_token, max_tokens, mean_tokens,
 *                               mean_sqrt_len_tokens, weightedmean_tokens, lasttoken};
 *                               embedding_dimension (6.x) or word_embedding_dimension.
 *   <transformer>/sentence_bert_config.json  optional: max_seq_length (integer or null),
 *                               do_lower_case (boolean).
 * Every file is read whole under MAX_FILE bytes.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/json.h"
#include "bert.h"
#include "st.h"

#define MAX_FILE (1u << 20)    /* these files are a few hundred bytes */
#define MAX_MODULES 64         /* real pipelines have 2 to 5 modules */
#define MAX_PATH_LEN 512       /* a module's relative path */

void st_config_free(st_config *cfg) {
    vt_free(cfg->model_dir);
    memset(cfg, 0, sizeof *cfg);
}

/* class_of: the last dotted component of a module type ("….models.Pooling" → "Pooling"). */
static const char *class_of(const char *type) {
    const char *dot = strrchr(type, '.');
    return dot ? dot + 1 : type;
}

/* safe_path: 1 if the relative module path p stays inside the folder. */
static int safe_path(const char *p) {
    if (p[0] == '/' || strlen(p) > MAX_PATH_LEN) return 0;
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.') return 0;
        s += n + (e ? 1 : 0);
    }
    return 1;
}

/* join: dir/path, or a copy of dir when path is empty. NULL on ENOMEM. */
static char *join(const char *dir, const char *path) {
    return path[0] ? vt_path_join(dir, path) : vt_strdup(dir);
}

/* mode_of: the pool_mode bit of a 6.x pooling_mode name, 0 if unknown. */
static unsigned mode_of(const char *name) {
    static const struct {
        const char *name;
        unsigned mode;
    } names[] = {{"cls", POOL_CLS}, {"max", POOL_MAX}, {"mean", POOL_MEAN}, {"mean_sqrt_len_tokens", POOL_MEAN_SQRT_LEN},
                 {"mean_sqrt_len", POOL_MEAN_SQRT_LEN}, {"weightedmean", POOL_WEIGHTED_MEAN}, {"lasttoken", POOL_LAST}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) return names[i].mode;
    return 0;
}

/* read_pooling: the Pooling module's config.json in folder pdir. */
static int read_pooling(const char *pdir, st_config *cfg, vt_error *err) {
    char *path = vt_path_join(pdir, "config.json");
    if (!path) return vt_fail(err, VT_ENOMEM, "%s: out of memory", pdir);
    json_t *j = NULL;
    int rc = vt_json_load_file(path, MAX_FILE, &j, err);
    if (rc) goto done;
    if (!json_is_object(j)) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: not a JSON object", path);
        goto done;
    }
    json_t *mode = json_object_get(j, "pooling_mode");
    if (mode && !json_is_null(mode)) { /* the 6.x form */
        size_t n = json_is_array(mode) ? json_array_size(mode) : 1;
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_is_array(mode) ? json_array_get(mode, i) : mode;
            const char *name = json_string_value(v);
            unsigned m = name ? mode_of(name) : 0;
            if (!m) {
                rc = vt_fail(err, VT_EUNSUPPORTED, "%s: pooling_mode %s%.60s%s is not one of cls, max, mean, "
                             "mean_sqrt_len_tokens, weightedmean, lasttoken", path, name ? "\"" : "",
                             name ? name : "(not a string)", name ? "\"" : "");
                goto done;
            }
            cfg->pooling |= m;
        }
    } else { /* the classic booleans */
        static const struct {
            const char *key;
            unsigned mode;
        } keys[] = {{"pooling_mode_cls_token", POOL_CLS}, {"pooling_mode_max_tokens", POOL_MAX},
                    {"pooling_mode_mean_tokens", POOL_MEAN}, {"pooling_mode_mean_sqrt_len_tokens", POOL_MEAN_SQRT_LEN},
                    {"pooling_mode_weightedmean_tokens", POOL_WEIGHTED_MEAN}, {"pooling_mode_lasttoken", POOL_LAST}};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            int on = 0;
            if ((rc = vt_json_bool(j, keys[i].key, 0, path, "", &on, err))) goto done;
            if (on) cfg->pooling |= keys[i].mode;
        }
    }
    if (!cfg->pooling) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: no pooling mode is set", path);
        goto done;
    }
    const char *dim_key = json_object_get(j, "embedding_dimension") ? "embedding_dimension" : "word_embedding_dimension";
    rc = vt_json_int(j, dim_key, 0, 1, 1 << 20, path, "", &cfg->pool_dim, err);
done:
    json_decref(j);
    vt_free(path);
    return rc;
}

/* read_sbert: the Transformer's sentence_bert_config.json, when there is one. */
static int read_sbert(st_config *cfg, vt_error *err) {
    char *path = vt_path_join(cfg->model_dir, "sentence_bert_config.json");
    if (!path) return vt_fail(err, VT_ENOMEM, "%s: out of memory", cfg->model_dir);
    json_t *j = NULL;
    int rc = VT_OK;
    if (!vt_file_exists(path)) goto done;
    if ((rc = vt_json_load_file(path, MAX_FILE, &j, err))) goto done;
    if (!json_is_object(j)) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: not a JSON object", path);
        goto done;
    }
    if (!(rc = vt_json_int(j, "max_seq_length", 0, 1, 1 << 20, path, "", &cfg->max_seq_length, err)))
        rc = vt_json_bool(j, "do_lower_case", 0, path, "", &cfg->do_lower_case, err);
done:
    json_decref(j);
    vt_free(path);
    return rc;
}

int st_config_load(const char *dir, st_config *cfg, vt_error *err) {
    memset(cfg, 0, sizeof *cfg);
    char *path = vt_path_join(dir, "modules.json"), *pdir = NULL;
    json_t *j = NULL;
    int rc = VT_OK;
    if (!path) return vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
    if (!vt_file_exists(path)) { /* a bare model folder */
        cfg->is_bare = 1;
        cfg->pooling = POOL_MEAN;
        if (!(cfg->model_dir = vt_strdup(dir))) rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
        goto done;
    }
    if ((rc = vt_json_load_file(path, MAX_FILE, &j, err))) goto done;
    if (!json_is_array(j) || json_array_size(j) == 0 || json_array_size(j) > MAX_MODULES) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: not an array of 1 to %d modules", path, MAX_MODULES);
        goto done;
    }
    int have_pooling = 0;
    for (size_t i = 0; i < json_array_size(j); i++) {
        json_t *m = json_array_get(j, i);
        const char *type = json_string_value(json_object_get(m, "type"));
        const char *mpath = json_string_value(json_object_get(m, "path"));
        if (!type || !mpath) {
            rc = vt_fail(err, VT_ECORRUPT, "%s: module %zu needs a \"type\" and a \"path\" string", path, i);
            goto done;
        }
        if (!safe_path(mpath)) {
            rc = vt_fail(err, VT_ECORRUPT, "%s: module %zu: path \"%.80s\" leaves the model folder", path, i, mpath);
            goto done;
        }
        const char *cls = class_of(type);
        if (strcmp(cls, "Transformer") == 0 && i == 0) {
            if (!(cfg->model_dir = join(dir, mpath))) {
                rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
                goto done;
            }
        } else if (strcmp(cls, "Pooling") == 0 && i > 0 && !have_pooling) {
            vt_free(pdir);
            if (!(pdir = join(dir, mpath))) {
                rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", dir);
                goto done;
            }
            if ((rc = read_pooling(pdir, cfg, err))) goto done;
            have_pooling = 1;
        } else if (strcmp(cls, "Normalize") == 0 && have_pooling && !cfg->normalize) {
            cfg->normalize = 1;
        } else {
            rc = vt_fail(err, VT_EUNSUPPORTED, "%s: module %zu of type \"%.120s\" is not supported here (a "
                         "Transformer, then Pooling, then optionally Normalize)", path, i, type);
            goto done;
        }
    }
    if (!have_pooling) {
        rc = vt_fail(err, VT_EUNSUPPORTED, "%s: no Pooling module: the model gives no sentence embedding", path);
        goto done;
    }
    rc = read_sbert(cfg, err);
done:
    json_decref(j);
    vt_free(path);
    vt_free(pdir);
    return rc;
}
