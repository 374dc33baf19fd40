/*
 * alloc.c — the counting, fault-injecting allocation hook (see alloc.h).
 *
 * Block layout: [64-byte header: size_t size, padding][payload]. vt_malloc returns the payload,
 * which is 64-byte aligned because the header is obtained with aligned_alloc(64, …).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "vitrine.h"

#define HDR 64

static atomic_llong live_bytes;
static atomic_llong fail_countdown; /* 0: disarmed; k > 0: the k-th next allocation fails */
static atomic_llong injected;
static _Thread_local uint64_t thread_failures; /* allocations that returned NULL on this thread */

static int should_fail(void) {
    long long c = atomic_load(&fail_countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1)) {
            if (c == 1) {
                atomic_fetch_add(&injected, 1);
                return 1;
            }
            return 0;
        }
    }
    return 0;
}

/* counted_alloc: the block of n bytes, failing when inject says so (see alloc.h). */
static void *counted_alloc(size_t n, int inject) {
    if ((inject && should_fail()) || n > SIZE_MAX - 2 * HDR) {
        thread_failures++;
        return NULL;
    }
    size_t total = (n + HDR + HDR - 1) / HDR * HDR;
    unsigned char *b = aligned_alloc(HDR, total);
    if (!b) {
        thread_failures++;
        return NULL;
    }
    *(size_t *)b = n;
    atomic_fetch_add(&live_bytes, (long long)n);
    return b + HDR;
}

void *vt_malloc(size_t n) { return counted_alloc(n, 1); }

void *vt_malloc_exempt(size_t n) { return counted_alloc(n, 0); }

void *vt_calloc(size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / sz) return NULL;
    void *p = vt_malloc(n * sz);
    if (p) memset(p, 0, n * sz);
    return p;
}

void *vt_realloc(void *p, size_t n) {
    if (!p) return vt_malloc(n);
    size_t old = *(size_t *)((unsigned char *)p - HDR);
    void *q = vt_malloc(n);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    vt_free(p);
    return q;
}

void vt_free(void *p) {
    if (!p) return;
    unsigned char *b = (unsigned char *)p - HDR;
    atomic_fetch_sub(&live_bytes, (long long)*(size_t *)b);
    free(b);
}

char *vt_strndup(const char *s, size_t n) {
    char *d = vt_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *vt_strdup(const char *s) { return vt_strndup(s, strlen(s)); }

uint64_t vt_alloc_thread_failures(void) { return thread_failures; }

int64_t vt_alloc_live_bytes(void) { return atomic_load(&live_bytes); }

void vt_alloc_fail_at(int64_t n) {
    atomic_store(&injected, 0);
    atomic_store(&fail_countdown, n);
}

int64_t vt_alloc_injected(void) { return atomic_load(&injected); }

void vt_mem_free(void *p) { vt_free(p); }
