/*
 * manifest.c — JSONL and CSV manifests (manifest.h).
 *
 * Both formats become one JSON object per record (a CSV row is turned into an object keyed by the
 * header, its cells typed as manifest.h says), and mf_item_from_json makes the item from that
 * object, so the two formats cannot drift apart. Records are read with a bounded buffer: a line
 * longer than MF_MAX_RECORD is skipped to its end and reported, never held whole.
 */
#include <errno.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "base/file.h"
#include "base/json.h"
#include "base/sha1.h"
#include "manifest.h"

struct mf_reader {
    FILE *f;
    char *path;     /* for messages */
    char *base_dir; /* absolute folder of the manifest */
    int csv;
    size_t line;    /* lines consumed so far */
    char **cols;    /* CSV header */
    size_t n_cols;
    char *buf;      /* one record */
    size_t cap;
};

/* ---- items from JSON objects ---- */

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *d = vt_malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

/* resolve_image: the absolute path or URL of ref into *out, its kind into *kind. */
static int resolve_image(const char *ref, const char *base_dir, const char *where, mf_image_kind *kind,
                         char **out, vt_error *err) {
    if (!ref[0]) return vt_fail(err, VT_EINVAL, "%s: \"image\" is empty", where);
    if (strncmp(ref, "http://", 7) == 0 || strncmp(ref, "https://", 8) == 0) {
        *kind = MF_IMAGE_URL;
        *out = dup_str(ref);
    } else {
        const char *colon = strstr(ref, "://");
        if (colon) {
            const char *p = ref;
            while (p < colon && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '+' || *p == '-' || *p == '.')) p++;
            if (p == colon)
                return vt_fail(err, VT_EINVAL, "%s: image \"%s\": only http and https URLs are supported", where, ref);
        }
        *kind = MF_IMAGE_FILE;
        *out = ref[0] == '/' ? dup_str(ref) : vt_path_join(base_dir, ref);
    }
    if (!*out) return vt_fail(err, VT_ENOMEM, "%s: out of memory", where);
    return VT_OK;
}

int mf_item_from_json(const json_t *obj, const char *base_dir, const char *name, size_t line, mf_item *item,
                      vt_error *err) {
    char where[600];
    snprintf(where, sizeof where, "%s:%zu", name, line);
    memset(item, 0, sizeof *item);
    item->line = line;
    if (!json_is_object(obj)) return vt_fail(err, VT_EINVAL, "%s: a record must be a JSON object", where);
    const json_t *id = json_object_get(obj, "id"), *image = json_object_get(obj, "image");
    const json_t *caption = json_object_get(obj, "caption");
    const char *caption_key = "caption";
    if (!caption || json_is_null(caption)) caption = json_object_get(obj, "text"), caption_key = "text";
    int rc = VT_OK;
    if (caption && !json_is_null(caption) && !json_is_string(caption))
        return vt_fail(err, VT_EINVAL, "%s: \"%s\" must be a string", where, caption_key);
    if (image && !json_is_null(image) && !json_is_string(image))
        return vt_fail(err, VT_EINVAL, "%s: \"image\" must be a string", where);
    int has_image = json_is_string(image), has_caption = json_is_string(caption);
    if (!has_image && !has_caption) return vt_fail(err, VT_EINVAL, "%s: the record has neither \"image\" nor \"caption\"", where);
    if (id && !json_is_null(id)) {
        if (json_is_integer(id)) {
            if (json_integer_value(id) < 0) return vt_fail(err, VT_EINVAL, "%s: \"id\" must not be negative", where);
            item->id.num = (uint64_t)json_integer_value(id);
        } else if (json_is_string(id)) {
            vt_error e2 = {0};
            if (vt_point_id_parse(json_string_value(id), json_string_length(id), &item->id, &e2) != VT_OK)
                return vt_fail(err, VT_EINVAL, "%s: %s", where, e2.message);
        } else {
            return vt_fail(err, VT_EINVAL, "%s: \"id\" must be an unsigned integer or a UUID string", where);
        }
    }
    if (has_image) {
        if ((rc = resolve_image(json_string_value(image), base_dir, where, &item->image_kind, &item->image, err)))
            goto fail;
        if (!(item->image_ref = dup_str(json_string_value(image)))) goto oom;
    }
    if (!id || json_is_null(id)) {
        if (!has_image) {
            rc = vt_fail(err, VT_EINVAL, "%s: a record without \"image\" needs an \"id\"", where);
            goto fail;
        }
        item->id.is_uuid = 1;
        item->id_derived = 1;
        vt_uuid5(VT_UUID_NAMESPACE_URL, item->image, strlen(item->image), item->id.uuid);
    }
    if (has_caption) {
        size_t n = json_string_length(caption);
        if (!(item->caption = vt_malloc(n + 1))) goto oom;
        memcpy(item->caption, json_string_value(caption), n);
        item->caption[n] = '\0';
    }
    if (!(item->payload = json_object())) goto oom;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        if (!strcmp(key, "id") || !strcmp(key, "image") || !strcmp(key, caption_key)) continue;
        if (json_object_set(item->payload, key, value)) goto oom;
    }
    return VT_OK;
oom:
    rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", where);
fail:
    mf_item_clear(item);
    return rc;
}

void mf_item_clear(mf_item *item) {
    vt_free(item->image);
    vt_free(item->image_ref);
    vt_free(item->caption);
    json_decref(item->payload);
    memset(item, 0, sizeof *item);
}

/* ---- reading records ---- */

/* read_line: the next line (without its '\n') into r->buf; *len its length. 0: a line; 1: end of
 * file; VT_ELIMIT: the line was too long and was skipped; VT_EIO. */
static int read_line(mf_reader *r, size_t *len, vt_error *err) {
    size_t n = 0;
    int c, any = 0, too_long = 0;
    while ((c = getc(r->f)) != EOF) {
        any = 1;
        if (c == '\n') break;
        if (n + 1 >= MF_MAX_RECORD) {
            too_long = 1;
            continue;
        }
        r->buf[n++] = (char)c;
    }
    if (ferror(r->f)) return vt_fail(err, VT_EIO, "%s: read error: %s", r->path, strerror(errno));
    if (!any) return 1;
    r->line++;
    if (n && r->buf[n - 1] == '\r') n--;
    r->buf[n] = '\0';
    *len = n;
    if (too_long)
        return vt_fail(err, VT_ELIMIT, "%s:%zu: the line is longer than %u bytes", r->path, r->line, MF_MAX_RECORD);
    return 0;
}

/* read_csv_record: the next CSV record's cells into cells (pointers into r->buf, NUL-terminated),
 * *n_cells of them (at most max). Same returns as read_line. */
static int read_csv_record(mf_reader *r, char **cells, size_t max, size_t *n_cells, vt_error *err) {
    size_t n = 0, nc = 0;
    int c, quoted = 0, at_start = 1, any = 0, too_long = 0, too_many = 0, bad_quote = 0;
    size_t first_line = r->line + 1;
    cells[nc++] = r->buf;
    while ((c = getc(r->f)) != EOF) {
        any = 1;
        if (quoted) {
            if (c == '"') {
                int d = getc(r->f);
                if (d == '"') c = '"';
                else {
                    quoted = 0;
                    if (d != EOF) ungetc(d, r->f);
                    continue;
                }
            } else if (c == '\n') {
                r->line++;
            }
        } else if (c == '"' && at_start) {
            quoted = 1;
            at_start = 0;
            continue;
        } else if (c == ',') {
            if (n + 1 >= MF_MAX_RECORD) { too_long = 1; continue; }
            r->buf[n++] = '\0';
            if (nc < max) cells[nc++] = r->buf + n;
            else too_many = 1;
            at_start = 1;
            continue;
        } else if (c == '\n') {
            break;
        } else if (c == '"') {
            bad_quote = 1;
        }
        at_start = 0;
        if (n + 1 >= MF_MAX_RECORD) { too_long = 1; continue; }
        r->buf[n++] = (char)c;
    }
    if (ferror(r->f)) return vt_fail(err, VT_EIO, "%s: read error: %s", r->path, strerror(errno));
    if (!any) return 1;
    r->line++;
    if (n && r->buf[n - 1] == '\r' && !quoted) n--;
    r->buf[n] = '\0';
    *n_cells = nc;
    if (too_long)
        return vt_fail(err, VT_ELIMIT, "%s:%zu: the record is longer than %u bytes", r->path, first_line, MF_MAX_RECORD);
    if (quoted) return vt_fail(err, VT_EINVAL, "%s:%zu: a quoted cell is not closed", r->path, first_line);
    if (bad_quote) return vt_fail(err, VT_EINVAL, "%s:%zu: a quote inside an unquoted cell", r->path, first_line);
    if (too_many) return vt_fail(err, VT_EINVAL, "%s:%zu: more cells than header columns (%zu)", r->path, first_line, max);
    return 0;
}

/* csv_value: a cell as a JSON value (number, boolean or string; manifest.h). */
static json_t *csv_value(const char *s) {
    if (!strcmp(s, "true")) return json_true();
    if (!strcmp(s, "false")) return json_false();
    json_error_t je;
    size_t n = strlen(s);
    if (n && n < 40 && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
        json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &je);
        if (v && json_is_number(v)) return v;
        json_decref(v);
    }
    return json_string(s);
}

int mf_next(mf_reader *r, mf_item *item, int *eof, vt_error *err) {
    memset(item, 0, sizeof *item);
    *eof = 0;
    for (;;) {
        size_t len = 0;
        if (!r->csv) {
            int rc = read_line(r, &len, err);
            if (rc == 1) return *eof = 1, VT_OK;
            if (rc == VT_ELIMIT) return VT_EINVAL;
            if (rc) return rc;
            size_t i = 0;
            while (i < len && (r->buf[i] == ' ' || r->buf[i] == '\t')) i++;
            if (i == len) continue; /* blank line */
            char name[600];
            snprintf(name, sizeof name, "%s:%zu", r->path, r->line);
            json_t *obj = NULL;
            if ((rc = vt_json_parse(r->buf, len, name, &obj, err))) return rc == VT_ENOMEM ? rc : VT_EINVAL;
            rc = mf_item_from_json(obj, r->base_dir, r->path, r->line, item, err);
            json_decref(obj);
            return rc;
        }
        char **cells = vt_malloc(r->n_cols * sizeof *cells);
        if (!cells) return vt_fail(err, VT_ENOMEM, "%s: out of memory", r->path);
        size_t nc = 0, first = r->line + 1;
        int rc = read_csv_record(r, cells, r->n_cols, &nc, err);
        if (rc == 1) {
            vt_free(cells);
            return *eof = 1, VT_OK;
        }
        if (rc) {
            vt_free(cells);
            return rc == VT_ELIMIT ? VT_EINVAL : rc;
        }
        if (nc == 1 && !cells[0][0]) { /* blank line */
            vt_free(cells);
            continue;
        }
        json_t *obj = json_object();
        rc = obj ? VT_OK : VT_ENOMEM;
        for (size_t i = 0; i < nc && !rc; i++) {
            if (!cells[i][0]) continue;
            if (!vt_utf8_valid((const uint8_t *)cells[i], strlen(cells[i]), NULL)) {
                json_decref(obj);
                vt_free(cells);
                return vt_fail(err, VT_EINVAL, "%s:%zu: column \"%s\" is not valid UTF-8", r->path, first, r->cols[i]);
            }
            /* the item's own fields stay text (an id is parsed as a u64 or a UUID from text) */
            const char *col = r->cols[i];
            int own = !strcmp(col, "id") || !strcmp(col, "image") || !strcmp(col, "caption") || !strcmp(col, "text");
            json_t *v = own ? json_string(cells[i]) : csv_value(cells[i]);
            if (!v || json_object_set_new(obj, r->cols[i], v)) rc = VT_ENOMEM;
        }
        vt_free(cells);
        if (rc) {
            json_decref(obj);
            return vt_fail(err, VT_ENOMEM, "%s: out of memory", r->path);
        }
        rc = mf_item_from_json(obj, r->base_dir, r->path, first, item, err);
        json_decref(obj);
        return rc;
    }
}

/* ---- opening ---- */

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int mf_open(const char *path, mf_reader **out, vt_error *err) {
    *out = NULL;
    vt_json_init();
    mf_reader *r = vt_calloc(1, sizeof *r);
    if (!r) return vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
    int rc = VT_OK;
    r->path = dup_str(path);
    r->buf = vt_malloc(MF_MAX_RECORD);
    char *abs = realpath(path, NULL);
    if (!r->path || !r->buf) goto oom;
    if (!(r->f = fopen(path, "rb"))) {
        rc = vt_fail(err, errno == ENOENT ? VT_ENOTFOUND : VT_EIO, "%s: cannot open the manifest: %s", path, strerror(errno));
        goto fail;
    }
    if (abs) {
        char *slash = strrchr(abs, '/');
        size_t n = slash ? (size_t)(slash - abs) : 0;
        if (!(r->base_dir = vt_malloc(n + 2))) goto oom;
        memcpy(r->base_dir, abs, n);
        if (n == 0) r->base_dir[n++] = '/';
        r->base_dir[n] = '\0';
    } else if (!(r->base_dir = dup_str("."))) {
        goto oom;
    }
    if (ends_with(path, ".csv")) r->csv = 1;
    else if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json")) r->csv = 0;
    else {
        int c = getc(r->f);
        while (c == ' ' || c == '\t' || c == '\r' || c == '\n') c = getc(r->f);
        r->csv = c != '{' && c != EOF;
        rewind(r->f);
    }
    if (r->csv) {
        char *cells[1024];
        size_t nc = 0;
        rc = read_csv_record(r, cells, 1024, &nc, err);
        if (rc == 1) {
            rc = vt_fail(err, VT_EINVAL, "%s: the CSV manifest has no header row", path);
            goto fail;
        }
        if (rc) goto fail;
        if (!(r->cols = vt_calloc(nc, sizeof *r->cols))) goto oom;
        r->n_cols = nc;
        for (size_t i = 0; i < nc; i++) {
            if (!cells[i][0] || !vt_utf8_valid((const uint8_t *)cells[i], strlen(cells[i]), NULL)) {
                rc = vt_fail(err, VT_EINVAL, "%s: header column %zu %s", path, i + 1,
                             cells[i][0] ? "is not valid UTF-8" : "has no name");
                goto fail;
            }
            for (size_t j = 0; j < i; j++)
                if (!strcmp(cells[j], cells[i])) {
                    rc = vt_fail(err, VT_EINVAL, "%s: header column \"%s\" appears twice", path, cells[i]);
                    goto fail;
                }
            if (!(r->cols[i] = dup_str(cells[i]))) goto oom;
        }
    }
    free(abs);
    *out = r;
    return VT_OK;
oom:
    rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
fail:
    free(abs);
    mf_close(r);
    return rc;
}

void mf_close(mf_reader *r) {
    if (!r) return;
    if (r->f) fclose(r->f);
    for (size_t i = 0; i < r->n_cols; i++) vt_free(r->cols[i]);
    vt_free(r->cols);
    vt_free(r->path);
    vt_free(r->base_dir);
    vt_free(r->buf);
    vt_free(r);
}
