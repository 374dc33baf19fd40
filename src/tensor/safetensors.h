/*
 * safetensors.h — a validated, memory-mapped reader of the safetensors format.
 *
 * The file is mapped read-only; the whole header is validated at open (see safetensors.c for the
 * format and every check), so afterwards any tensor can be read without further bounds checks.
 * Tensors keep their stored dtype in the mapping; st_get_f32 converts F32/F16/BF16 into a float32
 * copy. Integer tensors (the int64 `position_ids` buffers some checkpoints carry) are listed but
 * not converted.
 */
#ifndef VT_TENSOR_SAFETENSORS_H
#define VT_TENSOR_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum st_dtype {
    ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL,
    ST_U16, ST_U32, ST_U64, ST_F8_E4M3, ST_F8_E5M2
};

#define ST_MAX_DIMS 8

typedef struct st_tensor {
    char *name;                /* tensor name (owned by the file) */
    int dtype;                 /* enum st_dtype */
    int n_dims;                /* 0..ST_MAX_DIMS */
    int64_t shape[ST_MAX_DIMS];
    int64_t n_elements;        /* product of shape (1 for a scalar) */
    const uint8_t *data;       /* the tensor's bytes inside the mapping */
    size_t n_bytes;            /* n_elements × dtype size */
} st_tensor;

typedef struct st_file st_file;

/* st_open: maps and validates path. *out is owned by the caller (st_close). Errors name the file
 * and, where one is at fault, the tensor: VT_ECORRUPT for a malformed file, VT_EIO/VT_ENOTFOUND
 * when it cannot be read. */
int st_open(const char *path, st_file **out, vt_error *err);

/* st_open_mem: the same over a buffer the caller keeps alive until st_close (name is used in
 * messages). For tests and fuzzing. */
int st_open_mem(const uint8_t *data, size_t len, const char *name, st_file **out, vt_error *err);

/* st_close: unmaps and frees. NULL is accepted. */
void st_close(st_file *f);

/* st_count / st_at: the tensors in header order. Borrowed, valid until st_close. */
int st_count(const st_file *f);
const st_tensor *st_at(const st_file *f, int i);

/* st_find: the tensor named name, or NULL. Borrowed, valid until st_close. */
const st_tensor *st_find(const st_file *f, const char *name);

/* st_metadata: the value of key in the header's "__metadata__" map, or NULL. Borrowed. */
const char *st_metadata(const st_file *f, const char *key);

/* st_get_f32: a float32 copy of the named tensor, which must be F32, F16 or BF16 and have exactly
 * n_dims dimensions equal to shape (a shape entry < 0 matches any size). *out (vt_malloc'd, caller
 * frees with vt_free) holds n_elements floats. Errors name the file and tensor: VT_ENOTFOUND when
 * missing, VT_ECORRUPT on a shape or dtype mismatch. */
int st_get_f32(const st_file *f, const char *name, int n_dims, const int64_t *shape, float **out,
               vt_error *err);

/* st_file_name: the name given at open. */
const char *st_file_name(const st_file *f);

#endif
