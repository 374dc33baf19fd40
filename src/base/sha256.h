/*
 * sha256.h — SHA-256 (FIPS 180-4), for snapshot checksums: Qdrant describes every snapshot with
 * the sha256 of its file in lowercase hex and checks a `checksum` given on recovery against it.
 */
#ifndef VT_BASE_SHA256_H
#define VT_BASE_SHA256_H

#include <stddef.h>

/* vt_sha256_file: the SHA-256 of the file at path as 64 lowercase hex digits and a NUL.
 * Returns 0, or -1 with errno set when the file cannot be read. */
int vt_sha256_file(const char *path, char hex[65]);

/* vt_sha256_hex: the SHA-256 of len bytes at data, as vt_sha256_file. Cannot fail. */
void vt_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
