/*
 * alloc.c — the counting, fault-injecting allocation hook (see alloc.h).
 *
 * Two block layouts, told apart by a tag in the 8 bytes before the payload, with the size in
 * the 8 before those, so vt_free and vt_realloc handle both:
 *   vt_malloc:        [64-byte header: …, size, TAG_ALIGNED][payload], from aligned_alloc(64, …),
 *                     so the payload is 64-byte aligned for AVX-512 loads;
 *   vt_malloc_exempt: [size, TAG_SMALL][payload], from plain malloc (16-byte aligned). jansson
 *                     makes one of these per JSON value, and aligned_alloc's splitting made
 *                     them several times dearer than malloc's small-block cache.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "vitrine.h"

#define HDR 64        /* vt_malloc's header */
#define SMALL_HDR 16  /* vt_malloc_exempt's header */
#define TAG_ALIGNED 0x76742d616c69676eull /* "vt-align" */
#define TAG_SMALL 0x76742d736d616c6cull   /* "vt-small" */

static size_t *size_of(void *p) { return (size_t *)((unsigned char *)p - 16); }
static uint64_t *tag_of(void *p) { return (uint64_t *)((unsigned char *)p - 8); }

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
    void *p = b + HDR;
    *size_of(p) = n;
    *tag_of(p) = TAG_ALIGNED;
    atomic_fetch_add_explicit(&live_bytes, (long long)n, memory_order_relaxed);
    return p;
}

void *vt_malloc(size_t n) { return counted_alloc(n, 1); }

/* The thread cache of small exempt blocks. A request's JSON is thousands of 24- to 40-byte
 * jansson values made and freed on one thread; glibc's own cache holds 7 blocks a size, and the
 * body's large buffers make it consolidate the rest, so each value cost tens of nanoseconds.
 * Blocks of up to CACHED_BYTES are kept on a per-thread free list (at most CACHE_MAX of them,
 * released when the thread ends) instead. Sanitizer builds skip it so that ASan still sees every
 * use after free. */
#define CACHED_BYTES 48
#define CACHE_MAX 8192
#if defined(__SANITIZE_ADDRESS__)
#define USE_THREAD_CACHE 0
#else
#define USE_THREAD_CACHE 1
#endif

typedef struct cached_block {
    struct cached_block *next;
} cached_block;

static _Thread_local cached_block *cache_head;
static _Thread_local size_t cache_count;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_release(void *unused) {
    (void)unused;
    while (cache_head) {
        cached_block *b = cache_head;
        cache_head = b->next;
        free((unsigned char *)b - SMALL_HDR);
    }
    cache_count = 0;
}

static void cache_init(void) { pthread_key_create(&cache_key, cache_release); }

void *vt_malloc_exempt(size_t n) {
    void *p;
    if (USE_THREAD_CACHE && n <= CACHED_BYTES && cache_head) {
        p = cache_head;
        cache_head = cache_head->next;
        cache_count--;
    } else {
        size_t room = n <= CACHED_BYTES ? CACHED_BYTES : n; /* any small block can be reused */
        unsigned char *b = n <= SIZE_MAX - SMALL_HDR ? malloc(room + SMALL_HDR) : NULL;
        if (!b) {
            thread_failures++;
            return NULL;
        }
        p = b + SMALL_HDR;
        *tag_of(p) = TAG_SMALL;
    }
    *size_of(p) = n;
    atomic_fetch_add_explicit(&live_bytes, (long long)n, memory_order_relaxed);
    return p;
}

/* small_free: a vt_malloc_exempt block back to the thread cache, or to malloc. */
static void small_free(void *p) {
    if (USE_THREAD_CACHE && *size_of(p) <= CACHED_BYTES && cache_count < CACHE_MAX) {
        if (!cache_head) {
            pthread_once(&cache_once, cache_init);
            pthread_setspecific(cache_key, &cache_head); /* non-NULL, so the destructor runs */
        }
        cached_block *b = p;
        b->next = cache_head;
        cache_head = b;
        cache_count++;
        return;
    }
    free((unsigned char *)p - SMALL_HDR);
}

void *vt_calloc(size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / sz) return NULL;
    void *p = vt_malloc(n * sz);
    if (p) memset(p, 0, n * sz);
    return p;
}

void *vt_realloc(void *p, size_t n) {
    if (!p) return vt_malloc(n);
    size_t old = *size_of(p);
    void *q = vt_malloc(n);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    vt_free(p);
    return q;
}

void vt_free(void *p) {
    if (!p) return;
    atomic_fetch_sub_explicit(&live_bytes, (long long)*size_of(p), memory_order_relaxed);
    if (*tag_of(p) == TAG_SMALL) small_free(p);
    else free((unsigned char *)p - HDR);
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
