/*
 * alloc.h — the one allocation hook of vitrine.
 *
 * All library memory goes through vt_malloc/vt_calloc/vt_realloc/vt_free (and vt_aligned_alloc
 * for SIMD buffers) [Redis zmalloc, SQLite mem_methods]. The hook counts live bytes (reported by
 * diagnostics) and can inject failures: vt_alloc_fail_at(n) makes the n-th allocation from now
 * fail, once, so tests can prove every path cleans up after ENOMEM [SQLite faultsim].
 *
 * Each block carries a header holding its size, so counting needs no lookup: 64 bytes for
 * vt_malloc (keeping the payload aligned for AVX-512 loads), 16 for vt_malloc_exempt. The counters are atomics: the only process-wide state.
 * Memory from these functions must be released with vt_free, never free().
 */
#ifndef VT_BASE_ALLOC_H
#define VT_BASE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *vt_malloc(size_t n);            /* NULL on failure; the block is 64-byte aligned */
void *vt_calloc(size_t n, size_t sz); /* zeroed; NULL on failure or overflow of n*sz */
void *vt_realloc(void *p, size_t n);  /* as realloc; on failure p is untouched */
void vt_free(void *p);                /* NULL is accepted */

/* vt_malloc_exempt: counted like vt_malloc, but never failed by injection, and only 16-byte
 * aligned (cheaper) — for jansson, whose own code cannot survive a failed allocation. Released
 * with vt_free. */
void *vt_malloc_exempt(size_t n);
char *vt_strdup(const char *s);       /* NULL on failure */
char *vt_strndup(const char *s, size_t n);

/* vt_alloc_thread_failures: how many allocations have failed on the calling thread so far. Lets a
 * caller tell a library's (jansson's) parse error caused by memory from one caused by input. */
uint64_t vt_alloc_thread_failures(void);

/* vt_alloc_live_bytes: bytes currently allocated through the hook. Cannot fail. */
int64_t vt_alloc_live_bytes(void);

/* vt_alloc_fail_at: the n-th allocation from now (1 = the next) returns NULL; 0 disarms.
 * For tests only. */
void vt_alloc_fail_at(int64_t n);

/* vt_alloc_injected: how many failures were injected since the last vt_alloc_fail_at. */
int64_t vt_alloc_injected(void);

#endif
