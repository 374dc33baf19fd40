/*
 * safetensors.c — the safetensors reader (see safetensors.h).
 *
 * The format (https://github.com/huggingface/safetensors), all integers little-endian:
 *
 *   offset      size   what
 *   0           8      u64 N, the length of the header
 *   8           N      UTF-8 JSON object: { "<tensor name>": {"dtype": "F32", "shape": [d0, …],
 *                      "data_offsets": [begin, end]}, …, "__metadata__": {"k": "v", …} }
 *   8 + N       …      the data area; a tensor's bytes are data[begin, end)
 *
 * Every check happens at open, so a tensor handed out is always inside the file:
 *   - the file holds at least 8 bytes and N fits inside it (N ≤ 100 MB);
 *   - the header is well-formed JSON, an object, with no duplicate keys;
 *   - each entry has a known dtype, a shape of at most ST_MAX_DIMS non-negative integers whose
 *     product (overflow-checked) times the dtype size equals end − begin, and 0 ≤ begin ≤ end ≤
 *     the size of the data area;
 *   - no two tensors' byte ranges overlap (sorted by begin; empty tensors overlap nothing);
 *   - __metadata__, when present, maps strings to strings.
 * A failed check is VT_ECORRUPT with a message naming the file and the tensor.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/json.h"
#include "safetensors.h"
#include "tensor/kernels.h"

#define MAX_HEADER_BYTES (100u << 20) /* far above any real checkpoint's header (~100 KB) */

struct st_file {
    char *name;          /* path or caller's name, for messages */
    vt_map map;          /* the mapping when opened from a path */
    const uint8_t *data; /* the whole file */
    size_t len;
    st_tensor *tensors;  /* header order */
    int n_tensors;
    json_t *metadata;    /* the __metadata__ object (a reference into header), or NULL */
    json_t *header;      /* the parsed header */
};

static const struct {
    const char *name;
    int dtype;
    int size;
} DTYPES[] = {
    {"F32", ST_F32, 4},   {"F16", ST_F16, 2},   {"BF16", ST_BF16, 2}, {"F64", ST_F64, 8},
    {"I64", ST_I64, 8},   {"I32", ST_I32, 4},   {"I16", ST_I16, 2},   {"I8", ST_I8, 1},
    {"U8", ST_U8, 1},     {"BOOL", ST_BOOL, 1}, {"U16", ST_U16, 2},   {"U32", ST_U32, 4},
    {"U64", ST_U64, 8},   {"F8_E4M3", ST_F8_E4M3, 1}, {"F8_E5M2", ST_F8_E5M2, 1},
};

static int dtype_size(int dtype) {
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (DTYPES[i].dtype == dtype) return DTYPES[i].size;
    return 0;
}

/* parse_entry: validates one header entry into *t. data_len is the size of the data area. */
static int parse_entry(st_file *f, const char *key, json_t *v, const uint8_t *data_area,
                       size_t data_len, st_tensor *t, vt_error *err) {
    if (!json_is_object(v)) return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: header entry is not an object", f->name, key);
    json_t *dt = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape"),
           *offs = json_object_get(v, "data_offsets");
    if (!json_is_string(dt)) return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: missing dtype", f->name, key);
    t->dtype = -1;
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (strcmp(json_string_value(dt), DTYPES[i].name) == 0) t->dtype = DTYPES[i].dtype;
    if (t->dtype < 0)
        return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: unknown dtype \"%.32s\"", f->name, key, json_string_value(dt));
    if (!json_is_array(shape) || json_array_size(shape) > ST_MAX_DIMS)
        return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: shape is not an array of at most %d sizes", f->name, key, ST_MAX_DIMS);
    t->n_dims = (int)json_array_size(shape);
    uint64_t n = 1;
    for (int d = 0; d < t->n_dims; d++) {
        json_t *s = json_array_get(shape, (size_t)d);
        if (!json_is_integer(s) || json_integer_value(s) < 0)
            return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: shape[%d] is not a non-negative integer", f->name, key, d);
        uint64_t dim = (uint64_t)json_integer_value(s);
        if (dim && n > UINT64_MAX / 16 / dim)
            return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: shape overflows", f->name, key);
        n *= dim;
        t->shape[d] = (int64_t)dim;
    }
    t->n_elements = (int64_t)n;
    if (!json_is_array(offs) || json_array_size(offs) != 2 || !json_is_integer(json_array_get(offs, 0)) ||
        !json_is_integer(json_array_get(offs, 1)))
        return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: data_offsets is not [begin, end]", f->name, key);
    json_int_t b = json_integer_value(json_array_get(offs, 0)), e = json_integer_value(json_array_get(offs, 1));
    if (b < 0 || e < b || (uint64_t)e > data_len)
        return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: data_offsets [%lld, %lld] outside the data area of %zu bytes",
                       f->name, key, (long long)b, (long long)e, data_len);
    uint64_t want = n * (uint64_t)dtype_size(t->dtype);
    if ((uint64_t)(e - b) != want)
        return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: %lld bytes stored but dtype and shape need %llu", f->name, key,
                       (long long)(e - b), (unsigned long long)want);
    t->data = data_area + b;
    t->n_bytes = (size_t)(e - b);
    return VT_OK;
}

static int by_begin(const void *a, const void *b) {
    const st_tensor *x = *(st_tensor *const *)a, *y = *(st_tensor *const *)b;
    return x->data < y->data ? -1 : x->data > y->data;
}

/* validate: parses and checks the header of f->data (see the essay). */
static int validate(st_file *f, vt_error *err) {
    if (f->len < 8) return vt_fail(err, VT_ECORRUPT, "%s: %zu bytes is too short for a safetensors file", f->name, f->len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | f->data[i];
    if (n > f->len - 8)
        return vt_fail(err, VT_ECORRUPT, "%s: header length %llu is past the end of the file (%zu bytes)", f->name,
                       (unsigned long long)n, f->len);
    if (n > MAX_HEADER_BYTES)
        return vt_fail(err, VT_ELIMIT, "%s: header of %llu bytes is over the limit", f->name, (unsigned long long)n);
    int rc = vt_json_parse((const char *)f->data + 8, (size_t)n, f->name, &f->header, err);
    if (rc) return rc;
    if (!json_is_object(f->header)) return vt_fail(err, VT_ECORRUPT, "%s: header is not a JSON object", f->name);
    const uint8_t *data_area = f->data + 8 + n;
    size_t data_len = f->len - 8 - (size_t)n;
    size_t cap = json_object_size(f->header);
    f->tensors = vt_calloc(cap ? cap : 1, sizeof *f->tensors);
    if (!f->tensors) return vt_fail(err, VT_ENOMEM, "%s: out of memory", f->name);
    const char *key;
    json_t *v;
    json_object_foreach(f->header, key, v) {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_is_object(v)) return vt_fail(err, VT_ECORRUPT, "%s: __metadata__ is not an object", f->name);
            const char *mk;
            json_t *mv;
            json_object_foreach(v, mk, mv) {
                if (!json_is_string(mv)) return vt_fail(err, VT_ECORRUPT, "%s: __metadata__ value of %s is not a string", f->name, mk);
            }
            f->metadata = v;
            continue;
        }
        st_tensor *t = &f->tensors[f->n_tensors];
        t->name = (char *)key; /* owned by f->header, alive until st_close */
        rc = parse_entry(f, key, v, data_area, data_len, t, err);
        if (rc) return rc;
        f->n_tensors++;
    }
    /* no overlaps: sort pointers by begin and compare neighbours */
    st_tensor **order = vt_calloc(f->n_tensors ? (size_t)f->n_tensors : 1, sizeof *order);
    if (!order) return vt_fail(err, VT_ENOMEM, "%s: out of memory", f->name);
    int m = 0;
    for (int i = 0; i < f->n_tensors; i++)
        if (f->tensors[i].n_bytes) order[m++] = &f->tensors[i];
    qsort(order, (size_t)m, sizeof *order, by_begin);
    for (int i = 1; i < m; i++) {
        if (order[i]->data < order[i - 1]->data + order[i - 1]->n_bytes) {
            int rc = vt_fail(err, VT_ECORRUPT, "%s: tensor %s overlaps tensor %s", f->name, order[i]->name, order[i - 1]->name);
            vt_free(order);
            return rc;
        }
    }
    vt_free(order);
    return VT_OK;
}

static int open_common(st_file *f, st_file **out, vt_error *err) {
    int rc = validate(f, err);
    if (rc) {
        st_close(f);
        return rc;
    }
    *out = f;
    return VT_OK;
}

int st_open(const char *path, st_file **out, vt_error *err) {
    *out = NULL;
    st_file *f = vt_calloc(1, sizeof *f);
    if (!f || !(f->name = vt_strdup(path))) {
        vt_free(f);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
    }
    int rc = vt_file_map(path, &f->map, err);
    if (rc) {
        st_close(f);
        return rc;
    }
    f->data = f->map.data;
    f->len = f->map.len;
    return open_common(f, out, err);
}

int st_open_mem(const uint8_t *data, size_t len, const char *name, st_file **out, vt_error *err) {
    *out = NULL;
    st_file *f = vt_calloc(1, sizeof *f);
    if (!f || !(f->name = vt_strdup(name))) {
        vt_free(f);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory", name);
    }
    f->data = data;
    f->len = len;
    return open_common(f, out, err);
}

void st_close(st_file *f) {
    if (!f) return;
    vt_file_unmap(&f->map);
    json_decref(f->header);
    vt_free(f->tensors);
    vt_free(f->name);
    vt_free(f);
}

int st_count(const st_file *f) { return f->n_tensors; }
const st_tensor *st_at(const st_file *f, int i) { return i >= 0 && i < f->n_tensors ? &f->tensors[i] : NULL; }
const char *st_file_name(const st_file *f) { return f->name; }

const st_tensor *st_find(const st_file *f, const char *name) {
    for (int i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *st_metadata(const st_file *f, const char *key) {
    json_t *v = f->metadata ? json_object_get(f->metadata, key) : NULL;
    return v ? json_string_value(v) : NULL;
}

int st_get_f32(const st_file *f, const char *name, int n_dims, const int64_t *shape, float **out,
               vt_error *err) {
    *out = NULL;
    const st_tensor *t = st_find(f, name);
    if (!t) return vt_fail(err, VT_ENOTFOUND, "%s: tensor %s is missing", f->name, name);
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16)
        return vt_fail(err, VT_ECORRUPT, "%s: tensor %s: dtype is not F32, F16 or BF16", f->name, name);
    int ok = t->n_dims == n_dims;
    for (int d = 0; ok && d < n_dims; d++) ok = shape[d] < 0 || shape[d] == t->shape[d];
    if (!ok) {
        char want[128] = "", got[128] = "";
        for (int d = 0; d < n_dims; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", d ? "," : "", (long long)shape[d]);
        for (int d = 0; d < t->n_dims; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "," : "", (long long)t->shape[d]);
        return vt_fail(err, VT_ECORRUPT, "%s: tensor %s has shape [%s], the config implies [%s]", f->name, name, got, want);
    }
    float *dst = vt_malloc((size_t)t->n_elements * sizeof(float) + 1);
    if (!dst) return vt_fail(err, VT_ENOMEM, "%s: tensor %s: out of memory", f->name, name);
    size_t n = (size_t)t->n_elements;
    if (t->dtype == ST_F32) {
        memcpy(dst, t->data, n * 4);
    } else {
        /* the mapping may leave 16-bit tensors unaligned: convert in aligned chunks */
        uint16_t buf[1024];
        for (size_t i = 0; i < n; i += 1024) {
            size_t c = n - i < 1024 ? n - i : 1024;
            memcpy(buf, t->data + 2 * i, 2 * c);
            if (t->dtype == ST_F16) k_f16_to_f32(buf, dst + i, c);
            else k_bf16_to_f32(buf, dst + i, c);
        }
    }
    *out = dst;
    return VT_OK;
}
