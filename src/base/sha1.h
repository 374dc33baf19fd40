/*
 * sha1.h — SHA-1 (FIPS 180-4), for name-based UUIDs (RFC 9562 version 5) only: the stable point
 * id of a manifest item without an id is uuid5(NAMESPACE_URL, its image reference), which anyone
 * can recompute in Python with uuid.uuid5(uuid.NAMESPACE_URL, ref). SHA-1 is not used for
 * anything that needs collision resistance against an adversary.
 */
#ifndef VT_BASE_SHA1_H
#define VT_BASE_SHA1_H

#include <stddef.h>
#include <stdint.h>

/* vt_sha1: the 20-byte digest of data[0..n) into out. Cannot fail. */
void vt_sha1(const void *data, size_t n, uint8_t out[20]);

/* vt_uuid5: the version-5 UUID of name[0..n) in namespace ns (16 bytes, text order) into out. */
void vt_uuid5(const uint8_t ns[16], const void *name, size_t n, uint8_t out[16]);

/* VT_UUID_NAMESPACE_URL: RFC 9562's namespace for URLs, 6ba7b811-9dad-11d1-80b4-00c04fd430c8. */
extern const uint8_t VT_UUID_NAMESPACE_URL[16];

#endif
