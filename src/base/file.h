/*
 * file.h — reading files whole, with a ceiling, and mapping them read-only.
 *
 * vt_file_read refuses files above max_bytes before reading them (a caller's bound, e.g. a
 * config file or an image), so outside input can never make us allocate without limit.
 * vt_file_map memory-maps a file read-only (weights, index files) [LMDB, ggml].
 * Errors name the path and the reason (errno text).
 */
#ifndef VT_BASE_FILE_H
#define VT_BASE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* vt_file_read: reads path into a new buffer (*data, *len; NUL-terminated for convenience, the
 * NUL not counted) owned by the caller (vt_free). Fails with VT_ELIMIT above max_bytes. */
int vt_file_read(const char *path, size_t max_bytes, uint8_t **data, size_t *len, vt_error *err);

/* A read-only mapping of a whole file. */
typedef struct vt_map {
    const uint8_t *data; /* the file's bytes; NULL for an empty file */
    size_t len;          /* the file's size */
} vt_map;

/* vt_file_map: maps path read-only into *map. Release with vt_file_unmap. */
int vt_file_map(const char *path, vt_map *map, vt_error *err);

/* vt_file_unmap: releases the mapping (a zeroed map is accepted). */
void vt_file_unmap(vt_map *map);

/* vt_path_join: "dir/name" into a new string owned by the caller (vt_free); NULL on ENOMEM. */
char *vt_path_join(const char *dir, const char *name);

/* vt_file_exists: 1 if path names a regular file. */
int vt_file_exists(const char *path);

#endif
