/*
 * hnsw_int.h — private to the index module: the HNSW index's structure, its node layout, and the
 * functions its files share (hnsw.c: storage and slots; hnsw_build.c: inserts; hnsw_search.c:
 * search; hnsw_vacuum.c: repair and compaction; hnsw_io.c: the index file).
 *
 * Node layout (one per slot, `stride` bytes, 64-byte aligned so a node starts a cache line):
 *
 *   offset                 size            what
 *   0                      vec_bytes       the vector: dim float32, or (int8) dim codes, padding to
 *                                          a multiple of 4, then the float32 correction (quant.h)
 *   hdr_off                4               meta: bits 0-7 level, bit 8 USED, bit 9 DELETED
 *   hdr_off + 4            4               lock: the node's spinlock (0 free, 1 held)
 *   hdr_off + 8            4               count: links on layer 0
 *   hdr_off + 12           4 · m0          links on layer 0 (slots)
 *   …                      …               padding to stride
 *
 * The vector comes first so the distance kernel's loads start on a cache line; the layer-0 links
 * follow it, so expanding a node touches the lines right after the vector the search has just
 * read. Upper layers (levels 1 .. level, present on about 1 node in m) live in a separate block
 * per node, upper[slot]: for each level l, [count][m links] at (l - 1) · (1 + m) words.
 *
 * A link list is [count, id_0, … id_{count-1}] everywhere. Writers change a list under the node's
 * spinlock, storing each word with release and the count last (release); readers take no lock:
 * they load the count (acquire), clamp it to the list's size and load each id with acquire (an id
 * newer than the count read must still bring its node's vector with it: plain moves on x86),
 * so a reader racing a writer sees a mix of old and new ids — every one a valid slot, linked only
 * after its node was written — never a torn word. The dead bitset (a bit per slot: unused,
 * deleted, or not yet linked) is what searches test to decide whether a node may be returned.
 */
#ifndef VT_INDEX_HNSW_INT_H
#define VT_INDEX_HNSW_INT_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "index/dist.h"
#include "index/hnsw.h"
#include "index/quant.h"

#define HNSW_MAX_LEVEL 31      /* levels fit the meta byte; with m = 2 a level-31 node has odds 2^-31 */
#define HNSW_META_LEVEL 0xffu
#define HNSW_META_USED 0x100u  /* the slot holds a vector (live or deleted) */
#define HNSW_META_DELETED 0x200u
#define HNSW_ENTRY_NONE UINT64_MAX
#define HNSW_INFLIGHT_MAX 64   /* extra candidates of a parallel insert (one per other worker, capped) */
#define HNSW_NODE_ALIGN 64     /* a cache line: nodes start on one, the vector load is aligned */

/* A candidate: a slot and its distance to the query. */
typedef struct hnsw_cand {
    float d;
    uint32_t slot;
} hnsw_cand;

/* Per-search scratch, pooled in the index (hnsw_scratch_get / _put) so a search allocates nothing
 * once warm. Sized for the index's capacity and a beam width; owned by one thread at a time. */
typedef struct hnsw_scratch {
    struct hnsw_scratch *next; /* the pool's free list */
    uint64_t *visited;         /* a bit per slot: seen by this search */
    uint32_t visited_words;    /* words of visited (capacity / 64 rounded up) */
    uint32_t *touched;         /* the words of visited made non-zero, cleared at the end */
    uint32_t n_touched;
    hnsw_cand *cand;           /* min-heap of candidates to expand */
    uint32_t n_cand, cand_cap;
    hnsw_cand *res;            /* max-heap of the best results so far */
    uint32_t n_res, res_cap;
    uint32_t *batch;           /* the neighbours of one expansion whose distance is due */
    uint32_t batch_cap;        /* m0 + 1 entries, then m0 + 1 more for the two-hop bridges */
    hnsw_cand *sel;            /* neighbour selection: candidates, then the chosen */
    uint32_t sel_cap;
    hnsw_cand *links;          /* an insert's chosen links: m per level 0 .. HNSW_MAX_LEVEL */
    uint8_t n_links[HNSW_MAX_LEVEL + 1]; /* how many on each level (≤ m ≤ HNSW_MAX_M) */
    uint32_t inflight[HNSW_INFLIGHT_MAX]; /* an insert's extra candidates: slots other workers were linking */
    uint32_t n_inflight;
    const void *query;         /* the prepared query hnsw_vdist takes: qf (float32) or &qq (int8) */
    float *qf;                 /* the query as float32 (normalised for cosine), dim floats */
    quant_query qq;            /* int8: the query's weights (wq) and constants */
    int16_t *wq;               /* int8: dim int16 weights */
    float *qt;                 /* int8 Manhattan: dim targets y - o */
    size_t bytes;              /* what this scratch holds (reported in ram_bytes) */
} hnsw_scratch;

struct hnsw {
    hnsw_params p;              /* as created; vectors_path points at path_copy */
    char *path_copy;            /* vectors_path, owned */
    const dist_kernels *k;      /* the kernels, picked once */
    int metric;                 /* p.metric */
    uint32_t dim;               /* p.dim */
    int is_q8;                  /* int8 codes in the nodes */
    int m, m0;                  /* links per node on layers ≥ 1 and on layer 0 (2m) */
    double ml;                  /* level multiplier 1 / ln(m) (Section 4.1 of Malkov & Yashunin) */
    size_t vec_bytes;           /* bytes of a node's vector part */
    size_t hdr_off;             /* byte offset of the node header in a node */
    size_t stride;              /* bytes per node, a multiple of HNSW_NODE_ALIGN */
    uint32_t max_slots;         /* ceiling on capacity */

    /* Slot storage, reallocated only by grow (under grow_rw held exclusively). */
    uint8_t *nodes;             /* capacity × stride */
    uint32_t **upper;           /* capacity pointers: NULL, or level × (1 + m) words */
    uint64_t *labels;           /* capacity labels */
    _Atomic uint64_t *dead;     /* capacity bits: 1 = not returnable (unused, deleted, unlinked) */
    float *fvec;                /* int8: capacity × dim float32 vectors (RAM or mapped), else NULL */
    int fvec_fd;                /* the vectors file (-1 when in RAM or float32 index) */
    size_t fvec_map_len;        /* bytes mapped of it */
    uint32_t capacity;          /* slots allocated */

    _Atomic uint32_t n_slots;   /* high-water mark of slots handed out */
    _Atomic uint32_t n_live;    /* linked, not deleted */
    _Atomic uint32_t n_deleted; /* tombstones */
    uint32_t *free_slots;       /* freed slots, kept sorted descending (the lowest is popped first) */
    uint32_t n_free, free_cap;  /* guarded by write_mu */
    _Atomic uint64_t entry;     /* (level << 32) | slot of the entry point; HNSW_ENTRY_NONE when empty */
    _Atomic size_t upper_bytes; /* bytes held by upper blocks (headers of the allocator included) */

    quant_i8 q;                 /* the int8 ranges (is_q8) */
    size_t q_rows;              /* vectors the ranges were trained on (0: untrained) */
    _Atomic uint64_t n_clipped, n_quantised; /* quantisation counters since the range was set */

    pthread_mutex_t write_mu;   /* serialises writers and hnsw_save */
    pthread_mutex_t entry_mu;   /* guards raising the entry point during parallel inserts */
    pthread_rwlock_t grow_rw;   /* searches hold it shared; grow / free steps of vacuum, compact hold it exclusively */
    pthread_mutex_t scratch_mu; /* guards the scratch pool */
    hnsw_scratch *scratch_free; /* the pool */
    _Atomic size_t scratch_bytes; /* held by all scratches */
};

/* ---- node access (no checks: callers pass slots below capacity) ---- */

static inline uint8_t *hnsw_node(const hnsw *h, uint32_t s) { return h->nodes + (size_t)s * h->stride; }
static inline uint32_t *hnsw_hdr(const hnsw *h, uint32_t s) { return (uint32_t *)(hnsw_node(h, s) + h->hdr_off); }
static inline uint32_t hnsw_meta(const hnsw *h, uint32_t s) {
    return __atomic_load_n(hnsw_hdr(h, s), __ATOMIC_ACQUIRE);
}
static inline int hnsw_level_of(const hnsw *h, uint32_t s) { return (int)(hnsw_meta(h, s) & HNSW_META_LEVEL); }
/* hnsw_list: the link list [count, ids…] of s on level l (l ≤ the node's level). */
static inline uint32_t *hnsw_list(const hnsw *h, uint32_t s, int l) {
    return l == 0 ? hnsw_hdr(h, s) + 2 : h->upper[s] + (size_t)(l - 1) * (size_t)(1 + h->m);
}
static inline int hnsw_max_links(const hnsw *h, int l) { return l == 0 ? h->m0 : h->m; }
static inline int hnsw_is_dead(const hnsw *h, uint32_t s) {
    return (int)((atomic_load_explicit(&h->dead[s >> 6], memory_order_acquire) >> (s & 63)) & 1u);
}
static inline void hnsw_set_dead(hnsw *h, uint32_t s, int dead) {
    uint64_t bit = (uint64_t)1 << (s & 63);
    if (dead) atomic_fetch_or_explicit(&h->dead[s >> 6], bit, memory_order_release);
    else atomic_fetch_and_explicit(&h->dead[s >> 6], ~bit, memory_order_release);
}
/* hnsw_lock: a node's spinlock, held for a few hundred ns (a list update, at most one pruning).
 * Past HNSW_SPINS pauses the holder is likely preempted (more threads than cores: a loaded
 * machine, or a pool larger than it), so the waiter yields instead of burning its time slice. */
#define HNSW_SPINS 512
static inline void hnsw_lock(hnsw *h, uint32_t s) {
    uint32_t *lk = hnsw_hdr(h, s) + 1;
    unsigned spins = 0;
    while (__atomic_exchange_n(lk, 1u, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(lk, __ATOMIC_RELAXED)) {
            if (++spins < HNSW_SPINS) __builtin_ia32_pause();
            else sched_yield();
        }
}
static inline void hnsw_unlock(hnsw *h, uint32_t s) { __atomic_store_n(hnsw_hdr(h, s) + 1, 0u, __ATOMIC_RELEASE); }
/* hnsw_float_vec: the float32 vector of s (the node itself for float32 indexes). */
static inline const float *hnsw_float_vec(const hnsw *h, uint32_t s) {
    return h->is_q8 ? h->fvec + (size_t)s * h->dim : (const float *)hnsw_node(h, s);
}

/* hnsw_fdist: the internal distance between two float32 vectors. */
static inline float hnsw_fdist(const hnsw *h, const float *x, const float *y) {
    const dist_kernels *k = h->k;
    switch (h->metric) {
    case DIST_COSINE: return 1.0f - k->dot_f32(x, y, h->dim);
    case DIST_DOT: return -k->dot_f32(x, y, h->dim);
    case DIST_EUCLID: return k->l2sq_f32(x, y, h->dim);
    default: return k->l1_f32(x, y, h->dim);
    }
}

/* hnsw_vdist: the distance between a prepared query (hnsw_prepare_query: float32, or int8's
 * quant_query) and the vector part of a node — the hot-path distance. */
static inline float hnsw_vdist(const hnsw *h, const void *q, const uint8_t *node) {
    if (!h->is_q8) return hnsw_fdist(h, (const float *)q, (const float *)node);
    float cx;
    __builtin_memcpy(&cx, node + h->vec_bytes - 4, 4);
    return quant_dist_query(&h->q, h->k, h->metric, (const quant_query *)q, (const int8_t *)node, cx);
}

/* hnsw_ndist: the exact distance between the vectors of two slots (float32), for the
 * neighbour-selection heuristic. */
static inline float hnsw_ndist(const hnsw *h, uint32_t a, uint32_t b) {
    return hnsw_fdist(h, hnsw_float_vec(h, a), hnsw_float_vec(h, b));
}

/* ---- hnsw.c ---- */

/* hnsw_alloc: a new empty index for validated params (no slots yet). */
int hnsw_alloc(const hnsw_params *p, hnsw **out, vt_error *err);
/* hnsw_reserve: makes capacity ≥ need (need ≤ max_slots checked by the caller), doubling; waits
 * for searches while it swaps the arrays. Writer only. VT_ENOMEM / VT_EIO leave the index as it was. */
int hnsw_reserve(hnsw *h, uint32_t need, vt_error *err);
/* hnsw_scratch_get: a scratch from the pool sized for the current capacity and beam width ef
 * (NULL on ENOMEM); hnsw_scratch_put returns it. */
hnsw_scratch *hnsw_scratch_get(const hnsw *h, int ef);
void hnsw_scratch_put(const hnsw *h, hnsw_scratch *s);
/* hnsw_prepare_query: fills s->qf (normalised for cosine) and s->query from the caller's vector. */
void hnsw_prepare_query(const hnsw *h, hnsw_scratch *s, const float *vec);
/* hnsw_encode_node: writes vec (already normalised) into slot's vector part (and fvec for int8). */
void hnsw_encode_node(hnsw *h, uint32_t slot, const float *vec);
/* hnsw_draw_level: the level of slot, a hash of the seed and the slot (Section 4.1:
 * floor(-ln(U) · ml), U uniform in (0, 1]). */
int hnsw_draw_level(const hnsw *h, uint32_t slot);
/* hnsw_upper_alloc / _free: the upper-layer block of a node of level ≥ 1. */
uint32_t *hnsw_upper_alloc(hnsw *h, int level);
void hnsw_upper_free(hnsw *h, uint32_t *block, int level);
/* hnsw_find_entry: a live node of the highest level, as the entry point (HNSW_ENTRY_NONE when
 * none); reads only. */
uint64_t hnsw_find_entry(const hnsw *h);

/* hnsw_delete_locked: hnsw_delete with write_mu held. */
int hnsw_delete_locked(hnsw *h, uint32_t slot, vt_error *err);

/* ---- hnsw_search.c ---- */

/* The filter of one traversal: the caller's filter (may be NULL). */
int hnsw_allowed(const hnsw *h, const hnsw_filter *f, uint32_t s);
/* hnsw_greedy: greedy descent from *ep (distance *ep_d) on levels top .. bottom+1... exactly: on
 * each level from top down to stop+1, move to the closest neighbour until none is closer. */
void hnsw_greedy(const hnsw *h, const void *q, uint32_t *ep, float *ep_d, int top, int stop);
/* hnsw_search_layer: Algorithm 2 of Malkov & Yashunin on level l from ep: leaves the best ef
 * returnable nodes (live, allowed by f, not `self`) in s->res, a max-heap. two_hop: look through
 * disallowed neighbours (filtered search). */
void hnsw_search_layer(const hnsw *h, hnsw_scratch *s, const void *q, uint32_t ep, float ep_d,
                       int l, int ef, const hnsw_filter *f, int two_hop, uint32_t self);
/* hnsw_heap_sort_res: sorts s->res ascending by distance (ties by slot), destroying the heap. */
void hnsw_res_sort(hnsw_scratch *s);

/* ---- hnsw_build.c ---- */

/* hnsw_select: Algorithm 4 (the heuristic) of Malkov & Yashunin, without extending or keeping
 * pruned candidates: from c[0 .. n) sorted ascending by distance to the base, keeps each
 * candidate closer to the base than to every one already kept, up to max. Kept ones are moved to
 * the front; returns how many. */
int hnsw_select(const hnsw *h, hnsw_cand *c, int n, int max);
/* hnsw_link_node: links the written node `slot` into the graph (Algorithm 1); s->query holds
 * its vector prepared as a query. */
void hnsw_link_node(hnsw *h, hnsw_scratch *s, uint32_t slot);
/* hnsw_insert_locked: hnsw_insert_batch with write_mu held. */
int hnsw_insert_locked(hnsw *h, vt_pool *pool, size_t n, const uint64_t *labels, const float *vecs,
                       uint32_t *slots_out, vt_error *err);
/* hnsw_quant_train_locked: trains the int8 ranges from n vectors (write_mu held). */
int hnsw_quant_train_locked(hnsw *h, size_t n, const float *vecs, vt_error *err);
/* hnsw_set_links: replaces the list of slot on level l by c[0 .. n) (under its lock). */
void hnsw_set_links(hnsw *h, uint32_t slot, int l, const hnsw_cand *c, int n);

/* ---- hnsw_io.c ---- */

/* hnsw_load_mem: hnsw_load from memory (name used in messages); verify_checksum 0 skips the
 * checksum (the fuzz harness uses it to reach the structural checks). */
int hnsw_load_mem(const uint8_t *data, size_t len, const char *name, const hnsw_params *expect,
                  int verify_checksum, hnsw **out, uint64_t *seq, vt_error *err);
/* hnsw_hash64: XXH64 of data (seed 0) — the file checksum. */
uint64_t hnsw_hash64(const void *data, size_t len);

#endif
