/*
 * cli.c — helpers shared by the subcommands (see cli.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "pipeline/fetch.h"
#include "base/json.h"
#include "cli.h"

const char *cli_flag_value(int argc, char **argv, int *i, const char *flag) {
    if (strcmp(argv[*i], flag) != 0) return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "vitrine: %s needs a value\n", flag);
        exit(2);
    }
    *i += 1;
    return argv[*i];
}

int cli_int(const char *flag, const char *s, int lo, int hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "vitrine: %s must be an integer from %d to %d, not \"%s\"\n", flag, lo, hi, s);
        exit(2);
    }
    return (int)v;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "vitrine %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return 2;
}

/* find_beside_exe: dir_rel (e.g. "models/fashion-clip") in the folder of this executable or one
 * of the two above it (build/vitrine, build/asan/vitrine), checked by its file probe; the path
 * into out (cap bytes) and 1, or 0. */
static int find_beside_exe(const char *dir_rel, const char *probe, char *out, size_t cap) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    for (int up = 0; slash && up < 3; up++) {
        *slash = '\0';
        snprintf(out, cap, "%s/%s/%s", exe, dir_rel, probe);
        if (access(out, R_OK) == 0) {
            snprintf(out, cap, "%s/%s", exe, dir_rel);
            return 1;
        }
        slash = strrchr(exe, '/');
    }
    return 0;
}

const char *cli_default_model(void) {
    static char path[PATH_MAX + 64];
    if (find_beside_exe("models/fashion-clip", "config.json", path, sizeof path)) return path;
    const char *env = getenv("VITRINE_MODEL");
    return env && *env ? env : "models/fashion-clip";
}

const char *cli_default_web_root(void) {
    static char path[PATH_MAX + 64];
    if (find_beside_exe("web", "index.html", path, sizeof path)) return path;
    return access("web/index.html", R_OK) == 0 ? "web" : NULL;
}

int cli_embed_image_ref(vt_model *m, const char *base, const char *ref, float *out, vt_error *err) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc;
    if (!strncmp(ref, "http://", 7) || !strncmp(ref, "https://", 8)) {
        rc = fetch_url(ref, NULL, &bytes, &len, NULL, err);
    } else {
        char *path = ref[0] == '/' ? NULL : vt_path_join(base, ref);
        rc = vt_file_read(path ? path : ref, (size_t)64 << 20, &bytes, &len, err);
        vt_free(path);
    }
    if (rc) return rc;
    size_t S = (size_t)vt_model_image_size(m);
    float *px = vt_malloc(3 * S * S * sizeof(float));
    rc = px ? vt_preprocess_encoded(m, bytes, len, ref, px, err) : vt_fail(err, VT_ENOMEM, "%s: out of memory", ref);
    if (!rc) rc = vt_embed_pixels(m, px, 1, out, err);
    vt_free(px);
    vt_free(bytes);
    return rc;
}

vt_model *cli_open_model(const char *dir, const vt_model_opts *opts) {
    vt_error err = {0};
    vt_model *m = NULL;
    if (vt_model_open(dir, opts, &m, &err) != VT_OK) {
        fprintf(stderr, "vitrine: cannot open model %s: %s\n", dir, err.message);
        return NULL;
    }
    return m;
}

int cli_open_models(const char *model_dir, const char *text_model, const vt_model_opts *opts, vt_model **clip,
                    vt_model **st) {
    *st = NULL;
    if (!(*clip = cli_open_model(model_dir ? model_dir : cli_default_model(), opts))) return -1;
    if (text_model && !(*st = cli_open_model(text_model, opts))) {
        vt_model_close(*clip);
        *clip = NULL;
        return -1;
    }
    return 0;
}

int cli_texts_push(cli_texts *t, const char *s, size_t len) {
    char **gs = vt_realloc(t->s, (t->n + 1) * sizeof *gs);
    if (gs) t->s = gs;
    size_t *gl = vt_realloc(t->len, (t->n + 1) * sizeof *gl);
    if (gl) t->len = gl;
    char *copy = gs && gl ? vt_strndup(s, len) : NULL;
    if (!copy) {
        fprintf(stderr, "vitrine: out of memory\n");
        return 1;
    }
    t->s[t->n] = copy;
    t->len[t->n] = len;
    t->n++;
    return 0;
}

int cli_texts_read_json(cli_texts *t, const char *path) {
    vt_error err = {0};
    json_t *j;
    if (vt_json_load_file(path, (size_t)1 << 30, &j, &err)) {
        fprintf(stderr, "vitrine: %s\n", err.message);
        return 1;
    }
    int rc = 0;
    if (!json_is_array(j)) {
        fprintf(stderr, "vitrine: %s: expected a JSON array of strings\n", path);
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(j); i++) {
        json_t *s = json_array_get(j, i);
        if (!json_is_string(s)) {
            fprintf(stderr, "vitrine: %s: element %zu is not a string\n", path, i);
            rc = 1;
        } else {
            rc = cli_texts_push(t, json_string_value(s), json_string_length(s));
        }
    }
    json_decref(j);
    return rc;
}

void cli_texts_free(cli_texts *t) {
    for (size_t i = 0; i < t->n; i++) vt_free(t->s[i]);
    vt_free(t->s);
    vt_free(t->len);
    memset(t, 0, sizeof *t);
}

void cli_print_json_string(FILE *out, const char *s, size_t len) {
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
            else fputc(c, out);
        }
    }
    fputc('"', out);
}
