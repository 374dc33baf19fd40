/*
 * hnsw.c — the HNSW index's storage: creation and release, slot arrays and their growth, the
 * scratch pool, queries and nodes in node format, deletes, and inspection. The graph algorithms
 * are in hnsw_build.c (inserts), hnsw_search.c, hnsw_vacuum.c; the file in hnsw_io.c. The node
 * layout and the locking rules are in hnsw_int.h; the public contract in hnsw.h.
 *
 * Storage. Per slot: a node (vector + layer-0 links, `stride` bytes) in one array, a pointer to
 * its upper-layer block, its label, a dead bit, and for int8 indexes its float32 vector in a
 * second array — in RAM, or in the vectors file mapped shared (MAP_SHARED, so the kernel may
 * write pages back and drop them: they are off the hot path, read only to rescore). Arrays grow
 * by doubling (hnsw_reserve): new arrays are allocated first, then the copy and the swap happen
 * with grow_rw held exclusively, so a search never sees a half-moved array; the old arrays are
 * freed after. A vectors file grows by ftruncate + mremap under the same lock.
 *
 * Locks (fields in hnsw_int.h): write_mu serialises writers; grow_rw is held shared by every
 * search and exclusively by the steps that move or free memory; entry_mu orders the raising of
 * the entry point by parallel inserts; each node has a spinlock over its link lists; scratch_mu
 * guards the scratch pool. Order: write_mu → grow_rw → entry_mu → node locks (one at a time) →
 * scratch_mu.
 *
 * Deletion is a tombstone: DELETED in the node's meta and the dead bit, both set by one writer;
 * searches test the dead bit. hnsw_vacuum later re-links and frees the slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/alloc.h"
#include "index/hnsw_int.h"

hnsw_params hnsw_params_default(void) {
    hnsw_params p;
    memset(&p, 0, sizeof p);
    p.metric = DIST_COSINE;
    p.m = 16;             /* Qdrant's and hnswlib's default: recall 0.96 at ef 64 on 200k × 512 aniso */
    p.ef_construct = 100; /* Qdrant's default */
    p.seed = 42;
    p.quant = HNSW_QUANT_NONE;
    p.quantile = 1.0f;    /* Qdrant's default (quantile unset: the whole range). 0.99 halves the step on
                           * Gaussian data but clips 1 % of the values, ~5 per 512-d vector, and those
                           * errors dominate: on 200k × 512 aniso (rescoring the beam) recall@10 at ef 64
                           * was 0.950 with 0.99, 0.962 with 1.0 and 0.961 with 0.999, float32 0.960 */
    p.max_slots = HNSW_MAX_SLOTS;
    return p;
}

hnsw_search_params hnsw_search_params_default(void) {
    hnsw_search_params sp;
    memset(&sp, 0, sizeof sp);
    sp.k = 10;
    sp.ef = 64;
    sp.oversample = 4.0f; /* rescoring 4·k int8 candidates keeps recall@10 within 0.005 of float32 (test_hnsw,
                             8k × 48 aniso: 2·k loses 0.007 at ef 32); 40 float reads per query */
    sp.rescore = 1;
    return sp;
}

/* check_params: VT_EINVAL naming the first bad field of p. */
static int check_params(const hnsw_params *p, vt_error *err) {
    if (p->dim < 1 || p->dim > DIST_MAX_DIM)
        return vt_fail(err, VT_EINVAL, "hnsw: dim %u outside 1..%d", p->dim, DIST_MAX_DIM);
    if (p->metric < 0 || p->metric >= DIST_N_METRICS)
        return vt_fail(err, VT_EINVAL, "hnsw: unknown metric %d", p->metric);
    if (p->m < 2 || p->m > HNSW_MAX_M)
        return vt_fail(err, VT_EINVAL, "hnsw: m %d outside 2..%d", p->m, HNSW_MAX_M);
    if (p->ef_construct < p->m || p->ef_construct > HNSW_MAX_EF)
        return vt_fail(err, VT_EINVAL, "hnsw: ef_construct %d outside m (%d)..%d", p->ef_construct, p->m,
                       HNSW_MAX_EF);
    if (p->quant != HNSW_QUANT_NONE && p->quant != HNSW_QUANT_INT8)
        return vt_fail(err, VT_EINVAL, "hnsw: unknown quantisation %d", p->quant);
    if (p->quant == HNSW_QUANT_INT8 && !(p->quantile > 0.5f && p->quantile <= 1.0f))
        return vt_fail(err, VT_EINVAL, "hnsw: quantile %g outside (0.5, 1]", (double)p->quantile);
    if (p->max_slots > HNSW_MAX_SLOTS)
        return vt_fail(err, VT_EINVAL, "hnsw: max_slots %u above %u", p->max_slots, HNSW_MAX_SLOTS);
    if (p->capacity > (p->max_slots ? p->max_slots : HNSW_MAX_SLOTS))
        return vt_fail(err, VT_EINVAL, "hnsw: capacity %u above max_slots", p->capacity);
    return VT_OK;
}

int hnsw_alloc(const hnsw_params *p, hnsw **out, vt_error *err) {
    *out = NULL;
    int rc = check_params(p, err);
    if (rc) return rc;
    hnsw *h = vt_calloc(1, sizeof *h);
    if (!h) return vt_fail(err, VT_ENOMEM, "hnsw: out of memory");
    h->p = *p;
    h->fvec_fd = -1;
    if (p->quant == HNSW_QUANT_INT8 && p->vectors_path) {
        h->path_copy = vt_strdup(p->vectors_path);
        if (!h->path_copy) {
            vt_free(h);
            return vt_fail(err, VT_ENOMEM, "hnsw: out of memory");
        }
    }
    h->p.vectors_path = h->path_copy;
    if (p->quant == HNSW_QUANT_INT8 && quant_init(&h->q, p->dim)) {
        vt_free(h->path_copy);
        vt_free(h);
        return vt_fail(err, VT_ENOMEM, "hnsw: out of memory");
    }
    h->p.max_slots = p->max_slots ? p->max_slots : HNSW_MAX_SLOTS;
    h->max_slots = h->p.max_slots;
    h->k = dist_kernels_get();
    h->metric = p->metric;
    h->dim = p->dim;
    h->is_q8 = p->quant == HNSW_QUANT_INT8;
    h->m = p->m;
    h->m0 = 2 * p->m; /* layer 0 keeps 2m links: Section 4.2 of Malkov & Yashunin, best recall there */
    h->ml = 1.0 / log((double)p->m);
    h->vec_bytes = h->is_q8 ? ((size_t)p->dim + 3) / 4 * 4 + 4 : (size_t)p->dim * 4;
    h->hdr_off = h->vec_bytes;
    h->stride = (h->hdr_off + 12 + 4 * (size_t)h->m0 + HNSW_NODE_ALIGN - 1) / HNSW_NODE_ALIGN * HNSW_NODE_ALIGN;
    atomic_store(&h->entry, HNSW_ENTRY_NONE);
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    /* prefer the writer: a stream of searches must not starve a growth step */
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&h->grow_rw, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&h->write_mu, NULL);
    pthread_mutex_init(&h->entry_mu, NULL);
    pthread_mutex_init(&h->scratch_mu, NULL);
    *out = h;
    return VT_OK;
}

int hnsw_new(const hnsw_params *p, hnsw **out, vt_error *err) {
    hnsw *h;
    int rc = hnsw_alloc(p, &h, err);
    if (rc) return rc;
    if (h->path_copy) {
        h->fvec_fd = open(h->path_copy, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (h->fvec_fd < 0) {
            rc = vt_fail(err, VT_EIO, "%s: cannot create the vectors file: %s", h->path_copy, strerror(errno));
            hnsw_free(h);
            return rc;
        }
    }
    if (p->capacity && (rc = hnsw_reserve(h, p->capacity, err))) {
        hnsw_free(h);
        return rc;
    }
    *out = h;
    return VT_OK;
}

void hnsw_free(hnsw *h) {
    if (!h) return;
    uint32_t n = atomic_load(&h->n_slots);
    if (h->upper)
        for (uint32_t s = 0; s < n; s++) hnsw_upper_free(h, h->upper[s], hnsw_level_of(h, s));
    vt_free(h->nodes);
    vt_free(h->upper);
    vt_free(h->labels);
    vt_free((void *)h->dead);
    if (h->fvec_fd >= 0) {
        if (h->fvec) munmap(h->fvec, h->fvec_map_len);
        close(h->fvec_fd);
    } else {
        vt_free(h->fvec);
    }
    vt_free(h->free_slots);
    while (h->scratch_free) {
        hnsw_scratch *s = h->scratch_free;
        h->scratch_free = s->next;
        vt_free(s->visited);
        vt_free(s->touched);
        vt_free(s->cand);
        vt_free(s->res);
        vt_free(s->batch);
        vt_free(s->sel);
        vt_free(s->links);
        vt_free(s->wq);
        vt_free(s->qt);
        vt_free(s->qf);
        vt_free(s);
    }
    quant_fini(&h->q);
    pthread_rwlock_destroy(&h->grow_rw);
    pthread_mutex_destroy(&h->write_mu);
    pthread_mutex_destroy(&h->entry_mu);
    pthread_mutex_destroy(&h->scratch_mu);
    vt_free(h->path_copy);
    vt_free(h);
}

hnsw_params hnsw_params_get(const hnsw *h) { return h->p; }

/* advise_huge: asks for transparent huge pages on the page-aligned inside of [p, p + len) (where
 * the system leaves THP to madvise, as Debian does). A search touches ~1,500 nodes scattered over
 * the array, nearly each on its own 4 KB page: a TLB miss and a page walk per node on top of the
 * cache misses; with 2 MB pages the array's translations fit the TLB. Advice only: ignored when
 * THP is off or the block is small. */
static void advise_huge(void *p, size_t len) {
#ifdef MADV_HUGEPAGE
    if (len < ((size_t)4 << 20)) return;
    uintptr_t lo = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, hi = ((uintptr_t)p + len) & ~(uintptr_t)4095;
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)len;
#endif
}

int hnsw_reserve(hnsw *h, uint32_t need, vt_error *err) {
    if (need <= h->capacity) return VT_OK;
    uint64_t cap = (uint64_t)h->capacity * 2;
    if (cap < need) cap = need;
    if (cap < 64) cap = 64;
    if (cap > h->max_slots) cap = h->max_slots;
    if (cap < need) return vt_fail(err, VT_ELIMIT, "hnsw: %u slots exceed max_slots %u", need, h->max_slots);
    size_t old = h->capacity, words = (size_t)(cap + 63) / 64, old_words = (old + 63) / 64;
    uint8_t *nodes = vt_malloc((size_t)cap * h->stride);
    uint32_t **upper = vt_calloc((size_t)cap, sizeof *upper);
    uint64_t *labels = vt_malloc((size_t)cap * sizeof *labels);
    _Atomic uint64_t *dead = vt_malloc(words * sizeof *dead);
    float *fvec = NULL;
    if (h->is_q8 && h->fvec_fd < 0) fvec = vt_malloc((size_t)cap * h->dim * sizeof(float));
    if (!nodes || !upper || !labels || !dead || (h->is_q8 && h->fvec_fd < 0 && !fvec)) {
        vt_free(nodes);
        vt_free(upper);
        vt_free(labels);
        vt_free((void *)dead);
        vt_free(fvec);
        return vt_fail(err, VT_ENOMEM, "hnsw: out of memory growing to %llu slots", (unsigned long long)cap);
    }
    size_t map_len = 0;
    if (h->fvec_fd >= 0) {
        map_len = (size_t)cap * h->dim * sizeof(float);
        if (ftruncate(h->fvec_fd, (off_t)map_len) != 0) {
            vt_free(nodes);
            vt_free(upper);
            vt_free(labels);
            vt_free((void *)dead);
            return vt_fail(err, VT_EIO, "%s: cannot grow the vectors file: %s", h->path_copy, strerror(errno));
        }
    }
    advise_huge(nodes, (size_t)cap * h->stride);
    if (fvec) advise_huge(fvec, (size_t)cap * h->dim * sizeof(float));
    /* the new parts: zeroed nodes (meta 0: unused), dead bits set */
    memset(nodes + old * h->stride, 0, ((size_t)cap - old) * h->stride);
    memset(labels + old, 0, ((size_t)cap - old) * sizeof *labels);
    for (size_t w = 0; w < words; w++) atomic_init(&dead[w], ~(uint64_t)0);

    pthread_rwlock_wrlock(&h->grow_rw);
    if (h->fvec_fd >= 0) {
        void *m = h->fvec ? mremap(h->fvec, h->fvec_map_len, map_len, MREMAP_MAYMOVE)
                          : mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, h->fvec_fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            pthread_rwlock_unlock(&h->grow_rw);
            vt_free(nodes);
            vt_free(upper);
            vt_free(labels);
            vt_free((void *)dead);
            return vt_fail(err, VT_ENOMEM, "%s: cannot map the vectors file: %s", h->path_copy, strerror(e));
        }
        /* rescoring reads ~4·k scattered vectors: read-ahead around a fault would fetch pages
         * nobody asked for (and evict useful ones) when the kernel has paged the file out */
        madvise(m, map_len, MADV_RANDOM);
        h->fvec = m;
        h->fvec_map_len = map_len;
    } else if (fvec) {
        if (old) memcpy(fvec, h->fvec, old * h->dim * sizeof(float));
        vt_free(h->fvec);
        h->fvec = fvec;
    }
    if (old) {
        memcpy(nodes, h->nodes, old * h->stride);
        memcpy(upper, h->upper, old * sizeof *upper);
        memcpy(labels, h->labels, old * sizeof *labels);
        for (size_t w = 0; w < old_words; w++) atomic_init(&dead[w], atomic_load(&h->dead[w]));
        /* bits past the old capacity in the last old word were set at its creation: still 1 */
    }
    uint8_t *old_nodes = h->nodes;
    uint32_t **old_upper = h->upper;
    uint64_t *old_labels = h->labels;
    _Atomic uint64_t *old_dead = h->dead;
    h->nodes = nodes;
    h->upper = upper;
    h->labels = labels;
    h->dead = dead;
    h->capacity = (uint32_t)cap;
    pthread_rwlock_unlock(&h->grow_rw);
    vt_free(old_nodes);
    vt_free(old_upper);
    vt_free(old_labels);
    vt_free((void *)old_dead);
    return VT_OK;
}

/* ---- scratch pool ---- */

static void scratch_destroy(const hnsw *h, hnsw_scratch *s) {
    if (!s) return;
    vt_free(s->visited);
    vt_free(s->touched);
    vt_free(s->cand);
    vt_free(s->res);
    vt_free(s->batch);
    vt_free(s->sel);
    vt_free(s->links);
    vt_free(s->wq);
    vt_free(s->qt);
    vt_free(s->qf);
    atomic_fetch_sub(&((hnsw *)h)->scratch_bytes, s->bytes);
    vt_free(s);
}

hnsw_scratch *hnsw_scratch_get(const hnsw *h, int ef) {
    hnsw *hm = (hnsw *)h;
    uint32_t words = (h->capacity + 63) / 64 + 1;
    uint32_t cand_cap = (uint32_t)(2 * ef + 2 * h->m0 + 16); /* see the eviction in hnsw_search.c */
    uint32_t res_cap = (uint32_t)ef + 2;
    uint32_t sel_cap = (uint32_t)(ef > h->m0 ? ef : h->m0) + 2 + HNSW_INFLIGHT_MAX; /* + an insert's in-flight candidates */
    uint32_t batch_cap = 2 * (uint32_t)h->m0 + 2;
    pthread_mutex_lock(&hm->scratch_mu);
    hnsw_scratch *s = hm->scratch_free;
    if (s) hm->scratch_free = s->next;
    pthread_mutex_unlock(&hm->scratch_mu);
    if (s && s->visited_words >= words && s->cand_cap >= cand_cap && s->res_cap >= res_cap &&
        s->sel_cap >= sel_cap)
        return s;
    if (s) { /* too small: replace it by one large enough for both uses */
        if (s->cand_cap > cand_cap) cand_cap = s->cand_cap;
        if (s->res_cap > res_cap) res_cap = s->res_cap;
        if (s->sel_cap > sel_cap) sel_cap = s->sel_cap;
        scratch_destroy(h, s);
    }
    s = vt_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->visited_words = words;
    s->cand_cap = cand_cap;
    s->res_cap = res_cap;
    s->sel_cap = sel_cap;
    s->batch_cap = batch_cap;
    s->visited = vt_calloc(words, sizeof *s->visited);
    s->touched = vt_malloc((size_t)words * sizeof *s->touched);
    s->cand = vt_malloc((size_t)cand_cap * sizeof *s->cand);
    s->res = vt_malloc((size_t)res_cap * sizeof *s->res);
    s->batch = vt_malloc((size_t)batch_cap * sizeof *s->batch);
    s->sel = vt_malloc((size_t)sel_cap * sizeof *s->sel);
    s->links = vt_malloc((size_t)(HNSW_MAX_LEVEL + 1) * (size_t)h->m * sizeof *s->links);
    s->qf = vt_malloc((size_t)h->dim * sizeof(float) + 64);
    int need_t = h->is_q8 && h->metric == DIST_MANHATTAN;
    if (h->is_q8) s->wq = vt_malloc((size_t)h->dim * sizeof(int16_t));
    if (need_t) s->qt = vt_malloc((size_t)h->dim * sizeof(float));
    s->qq.wq = s->wq;
    s->qq.t = s->qt;
    s->query = h->is_q8 ? (const void *)&s->qq : (const void *)s->qf;
    s->bytes = sizeof *s + (size_t)words * 12 + (size_t)cand_cap * 8 + (size_t)res_cap * 8 +
               (size_t)batch_cap * 4 + (size_t)sel_cap * 8 + (size_t)(HNSW_MAX_LEVEL + 1) * (size_t)h->m * 8 +
               (size_t)h->dim * 4 +
               (h->is_q8 ? (size_t)h->dim * 2 : 0) + (need_t ? (size_t)h->dim * 4 : 0) + 10 * 64;
    atomic_fetch_add(&hm->scratch_bytes, s->bytes);
    if (!s->visited || !s->touched || !s->cand || !s->res || !s->batch || !s->sel || !s->links || !s->qf ||
        (h->is_q8 && !s->wq) || (need_t && !s->qt)) {
        scratch_destroy(h, s);
        return NULL;
    }
    return s;
}

void hnsw_scratch_put(const hnsw *h, hnsw_scratch *s) {
    if (!s) return;
    hnsw *hm = (hnsw *)h;
    pthread_mutex_lock(&hm->scratch_mu);
    s->next = hm->scratch_free;
    hm->scratch_free = s;
    pthread_mutex_unlock(&hm->scratch_mu);
}

/* ---- vectors in node format ---- */

void hnsw_prepare_query(const hnsw *h, hnsw_scratch *s, const float *vec) {
    memcpy(s->qf, vec, (size_t)h->dim * sizeof(float));
    if (h->metric == DIST_COSINE) dist_normalize(s->qf, h->dim);
    if (h->is_q8) quant_prepare_query(&h->q, h->metric, s->qf, &s->qq);
}

void hnsw_encode_node(hnsw *h, uint32_t slot, const float *vec) {
    uint8_t *node = hnsw_node(h, slot);
    if (!h->is_q8) {
        memcpy(node, vec, (size_t)h->dim * sizeof(float));
        return;
    }
    uint64_t clipped = 0;
    size_t coff = h->vec_bytes - 4;
    memset(node + h->dim, 0, coff - h->dim);
    float c = quant_encode(&h->q, vec, (int8_t *)node, &clipped);
    memcpy(node + coff, &c, 4);
    memcpy(h->fvec + (size_t)slot * h->dim, vec, (size_t)h->dim * sizeof(float));
    if (clipped) atomic_fetch_add_explicit(&h->n_clipped, clipped, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->n_quantised, h->dim, memory_order_relaxed);
}

int hnsw_draw_level(const hnsw *h, uint32_t slot) {
    /* splitmix64 [Steele, Lea & Flood 2014] of seed and slot: independent levels, reproducible */
    uint64_t z = h->p.seed + 0x9e3779b97f4a7c15ull * ((uint64_t)slot + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    double u = ((double)(z >> 11) + 1.0) * 0x1.0p-53; /* (0, 1] */
    double l = -log(u) * h->ml;
    return l >= HNSW_MAX_LEVEL ? HNSW_MAX_LEVEL : (int)l;
}

uint32_t *hnsw_upper_alloc(hnsw *h, int level) {
    size_t bytes = (size_t)level * (size_t)(1 + h->m) * sizeof(uint32_t);
    uint32_t *b = vt_calloc(1, bytes);
    if (b) atomic_fetch_add_explicit(&h->upper_bytes, bytes + 64, memory_order_relaxed);
    return b;
}

void hnsw_upper_free(hnsw *h, uint32_t *block, int level) {
    if (!block) return;
    size_t bytes = (size_t)level * (size_t)(1 + h->m) * sizeof(uint32_t);
    atomic_fetch_sub_explicit(&h->upper_bytes, bytes + 64, memory_order_relaxed);
    vt_free(block);
}

uint64_t hnsw_find_entry(const hnsw *h) {
    uint32_t n = atomic_load(&h->n_slots);
    int best = -1;
    uint32_t slot = 0;
    for (uint32_t s = 0; s < n; s++) {
        uint32_t meta = hnsw_meta(h, s);
        if ((meta & (HNSW_META_USED | HNSW_META_DELETED)) != HNSW_META_USED) continue;
        if ((int)(meta & HNSW_META_LEVEL) > best) {
            best = (int)(meta & HNSW_META_LEVEL);
            slot = s;
        }
    }
    return best < 0 ? HNSW_ENTRY_NONE : ((uint64_t)best << 32) | slot;
}

/* ---- deletes ---- */

int hnsw_delete_locked(hnsw *h, uint32_t slot, vt_error *err) {
    if (slot >= atomic_load(&h->n_slots) || hnsw_is_dead(h, slot))
        return vt_fail(err, VT_ENOTFOUND, "hnsw: slot %u holds no live vector", slot);
    __atomic_fetch_or(hnsw_hdr(h, slot), HNSW_META_DELETED, __ATOMIC_RELEASE);
    hnsw_set_dead(h, slot, 1);
    atomic_fetch_sub(&h->n_live, 1);
    atomic_fetch_add(&h->n_deleted, 1);
    return VT_OK;
}

int hnsw_delete(hnsw *h, uint32_t slot, vt_error *err) {
    pthread_mutex_lock(&h->write_mu);
    int rc = hnsw_delete_locked(h, slot, err);
    pthread_mutex_unlock(&h->write_mu);
    return rc;
}

/* ---- inspection ---- */

uint32_t hnsw_count(const hnsw *h) { return atomic_load(&h->n_live); }

void hnsw_stats_get(const hnsw *h, hnsw_stats *st) {
    memset(st, 0, sizeof *st);
    hnsw *hm = (hnsw *)h;
    pthread_rwlock_rdlock(&hm->grow_rw);
    st->n_live = atomic_load(&h->n_live);
    st->n_deleted = atomic_load(&h->n_deleted);
    st->n_free = h->n_free;
    st->n_slots = atomic_load(&h->n_slots);
    st->capacity = h->capacity;
    uint64_t e = atomic_load(&h->entry);
    st->max_level = e == HNSW_ENTRY_NONE ? -1 : (int)(e >> 32);
    size_t cap = h->capacity;
    st->ram_bytes = sizeof *h + cap * h->stride + cap * sizeof(uint32_t *) + cap * sizeof(uint64_t) +
                    (cap + 63) / 64 * 8 + (size_t)h->free_cap * 4 + atomic_load(&h->upper_bytes) +
                    atomic_load(&h->scratch_bytes);
    if (h->is_q8 && h->fvec_fd < 0) st->ram_bytes += cap * h->dim * sizeof(float);
    st->mapped_bytes = h->fvec_fd >= 0 ? h->fvec_map_len : 0;
    st->n_clipped = atomic_load(&h->n_clipped);
    st->n_quantised = atomic_load(&h->n_quantised);
    pthread_rwlock_unlock(&hm->grow_rw);
}

int hnsw_slot_info(const hnsw *h, uint32_t slot, uint64_t *label) {
    hnsw *hm = (hnsw *)h;
    int state = HNSW_SLOT_UNUSED;
    pthread_rwlock_rdlock(&hm->grow_rw);
    if (slot < atomic_load(&h->n_slots)) {
        uint32_t meta = hnsw_meta(h, slot);
        if (meta & HNSW_META_USED) {
            state = (meta & HNSW_META_DELETED) ? HNSW_SLOT_DELETED : HNSW_SLOT_LIVE;
            if (state == HNSW_SLOT_LIVE && hnsw_is_dead(h, slot)) state = HNSW_SLOT_UNUSED; /* not yet linked */
            if (state != HNSW_SLOT_UNUSED && label) *label = h->labels[slot];
        }
    }
    pthread_rwlock_unlock(&hm->grow_rw);
    return state;
}

int hnsw_get_vector(const hnsw *h, uint32_t slot, float *out, vt_error *err) {
    hnsw *hm = (hnsw *)h;
    int rc = VT_OK;
    pthread_rwlock_rdlock(&hm->grow_rw);
    if (slot >= atomic_load(&h->n_slots) || !(hnsw_meta(h, slot) & HNSW_META_USED))
        rc = vt_fail(err, VT_ENOTFOUND, "hnsw: slot %u is unused", slot);
    else
        memcpy(out, hnsw_float_vec(h, slot), (size_t)h->dim * sizeof(float));
    pthread_rwlock_unlock(&hm->grow_rw);
    return rc;
}

int hnsw_quant_train(hnsw *h, size_t n, const float *vecs, vt_error *err) {
    if (!h->is_q8) return vt_fail(err, VT_EINVAL, "hnsw: quant_train on a float32 index");
    if (n == 0) return vt_fail(err, VT_EINVAL, "hnsw: quant_train needs at least one vector");
    float *tmp = vt_malloc((size_t)h->dim * sizeof(float));
    if (!tmp) return vt_fail(err, VT_ENOMEM, "hnsw: out of memory training the quantiser");
    pthread_mutex_lock(&h->write_mu);
    /* codes and ranges must agree: searches wait while the ranges change and codes are redone */
    pthread_rwlock_wrlock(&h->grow_rw);
    size_t keep = h->q_rows;
    int rc = hnsw_quant_train_locked(h, n, vecs, err);
    if (!rc && keep > h->q_rows) h->q_rows = keep;
    uint32_t ns = atomic_load(&h->n_slots);
    for (uint32_t s = 0; !rc && s < ns; s++)
        if (hnsw_meta(h, s) & HNSW_META_USED) {
            memcpy(tmp, h->fvec + (size_t)s * h->dim, (size_t)h->dim * sizeof(float));
            hnsw_encode_node(h, s, tmp);
        }
    pthread_rwlock_unlock(&h->grow_rw);
    pthread_mutex_unlock(&h->write_mu);
    vt_free(tmp);
    return rc;
}
