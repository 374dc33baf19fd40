/*
 * hnsw_vacuum.c — repairing the graph around tombstones, freeing their slots, and compacting.
 *
 * Why repair. A deleted node keeps routing searches until its slot is freed; freeing it without
 * repair would leave its neighbours with holes (recall decays under churn) and, worse, with
 * links to a slot that a later insert fills with an unrelated vector. So hnsw_vacuum first
 * re-links, then frees.
 *
 * Repair (phase 1; write_mu held, searches running). For every live node x and level l whose list
 * holds a deleted node: the candidates are x's live neighbours plus the live neighbours of each
 * deleted neighbour (the two-hop set through the hole — the local repair of hnswlib's
 * repairConnectionsForUpdate and pgvector's hnswvacuum.c); when they are fewer than the list's
 * size, a fresh layer search from the entry point (ef_construct) adds more. The heuristic
 * (Algorithm 4) picks the new list, written under x's lock. Only live nodes' lists change, and
 * deleted nodes' lists are only read, so the work splits over the pool by slot ranges without
 * ordering. Then the entry point moves to a live node of the highest level if it was deleted.
 *
 * Freeing (phase 2; grow_rw held exclusively, so no search is inside the graph): every deleted
 * slot loses its upper block, its meta becomes 0 (unused), and it joins the free list (sorted so
 * that the lowest slot is reused first). No live list links to it any more.
 *
 * Compaction (hnsw_compact) renumbers the live slots 0 .. n_live-1 in slot order, rewriting every
 * link through the map, and shrinks the arrays; searches wait for its whole duration.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/alloc.h"
#include "index/hnsw_int.h"

/* REPAIR_SLOTS: slots per pool task during repair (balances well; the per-task cost is small). */
#define REPAIR_SLOTS 256

typedef struct repair_ctx {
    hnsw *h;
    uint32_t n_slots;
    hnsw_scratch **scratch; /* one per worker */
} repair_ctx;

static inline int is_deleted(const hnsw *h, uint32_t s) {
    return (hnsw_meta(h, s) & (HNSW_META_USED | HNSW_META_DELETED)) == (HNSW_META_USED | HNSW_META_DELETED);
}

static inline int is_live(const hnsw *h, uint32_t s) {
    return (hnsw_meta(h, s) & (HNSW_META_USED | HNSW_META_DELETED)) == HNSW_META_USED;
}

/* add_cand: appends slot to c (n entries, capacity cap) unless present or x itself. */
static int add_cand(const hnsw *h, hnsw_cand *c, int n, int cap, uint32_t x, uint32_t slot) {
    if (slot == x || n >= cap) return n;
    for (int i = 0; i < n; i++)
        if (c[i].slot == slot) return n;
    c[n].slot = slot;
    c[n].d = hnsw_ndist(h, x, slot);
    return n + 1;
}

static int cmp_cand(const void *a, const void *b) {
    const hnsw_cand *x = a, *y = b;
    if (x->d != y->d) return x->d < y->d ? -1 : 1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* repair_list: rebuilds the list of live node x on level l if it links to a deleted node. */
static void repair_list(hnsw *h, hnsw_scratch *sc, uint32_t x, int l) {
    uint32_t *list = hnsw_list(h, x, l);
    int maxl = hnsw_max_links(h, l), cnt = (int)list[0], has_deleted = 0;
    if (cnt > maxl) cnt = maxl;
    for (int i = 0; i < cnt && !has_deleted; i++) has_deleted = is_deleted(h, list[1 + i]);
    if (!has_deleted) return;
    /* candidates: sel holds at least max(ef_construct, m0) + 2 entries */
    hnsw_cand *c = sc->sel;
    int cap = (int)sc->sel_cap, n = 0;
    for (int i = 0; i < cnt; i++) {
        uint32_t y = list[1 + i];
        if (is_live(h, y)) n = add_cand(h, c, n, cap, x, y);
    }
    for (int i = 0; i < cnt; i++) {
        uint32_t d = list[1 + i];
        if (!is_deleted(h, d)) continue;
        const uint32_t *dl = hnsw_list(h, d, l);
        int dc = (int)dl[0] > maxl ? maxl : (int)dl[0];
        for (int j = 0; j < dc; j++)
            if (is_live(h, dl[1 + j])) n = add_cand(h, c, n, cap, x, dl[1 + j]);
    }
    if (n < maxl) { /* too few through the hole: search for more */
        uint64_t e = atomic_load(&h->entry);
        hnsw_prepare_query(h, sc, hnsw_float_vec(h, x));
        uint32_t ep = (uint32_t)e;
        int top = (int)(e >> 32);
        float ep_d = hnsw_vdist(h, sc->query, hnsw_node(h, ep));
        if (top > l) hnsw_greedy(h, sc->query, &ep, &ep_d, top, l);
        hnsw_search_layer(h, sc, sc->query, ep, ep_d, l, h->p.ef_construct, NULL, 0, x);
        /* res is disjoint from c's storage (sel): merge it in */
        for (uint32_t i = 0; i < sc->n_res; i++) n = add_cand(h, c, n, cap, x, sc->res[i].slot);
    }
    qsort(c, (size_t)n, sizeof *c, cmp_cand);
    int k = hnsw_select(h, c, n, maxl);
    hnsw_set_links(h, x, l, c, k);
}

static void repair_task(void *p, int task, int worker) {
    repair_ctx *r = p;
    hnsw *h = r->h;
    uint32_t lo = (uint32_t)task * REPAIR_SLOTS, hi = lo + REPAIR_SLOTS < r->n_slots ? lo + REPAIR_SLOTS : r->n_slots;
    for (uint32_t x = lo; x < hi; x++) {
        if (!is_live(h, x)) continue;
        int level = hnsw_level_of(h, x);
        for (int l = 0; l <= level; l++) repair_list(h, r->scratch[worker], x, l);
    }
}

static int cmp_desc_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* vacuum_locked: hnsw_vacuum with write_mu held. */
static int vacuum_locked(hnsw *h, vt_pool *pool, vt_error *err) {
    uint32_t n_del = atomic_load(&h->n_deleted), ns = atomic_load(&h->n_slots);
    if (n_del == 0) return VT_OK;
    int rc = VT_OK, n_workers = vt_pool_size(pool);
    if (h->n_free + n_del > h->free_cap) {
        uint32_t cap = h->n_free + n_del;
        uint32_t *fs = vt_realloc(h->free_slots, (size_t)cap * sizeof *fs);
        if (!fs) return vt_fail(err, VT_ENOMEM, "hnsw: out of memory for the free list");
        h->free_slots = fs;
        h->free_cap = cap;
    }
    hnsw_scratch **scratch = vt_calloc((size_t)n_workers, sizeof *scratch);
    if (!scratch) return vt_fail(err, VT_ENOMEM, "hnsw: out of memory for the vacuum");
    for (int w = 0; w < n_workers; w++)
        if (!(scratch[w] = hnsw_scratch_get(h, h->p.ef_construct))) {
            rc = vt_fail(err, VT_ENOMEM, "hnsw: out of memory for the vacuum scratch");
            goto done;
        }
    /* phase 1: repair (a search may start from a deleted entry point: it still routes) */
    repair_ctx r = {h, ns, scratch};
    vt_pool_run(n_workers > 1 ? pool : NULL, (int)((ns + REPAIR_SLOTS - 1) / REPAIR_SLOTS), repair_task, &r);
    uint64_t e = atomic_load(&h->entry);
    if (e != HNSW_ENTRY_NONE && !is_live(h, (uint32_t)e)) atomic_store(&h->entry, hnsw_find_entry(h));

    /* phase 2: free the deleted slots, with no search inside the graph */
    pthread_rwlock_wrlock(&h->grow_rw);
    for (uint32_t s = 0; s < ns; s++) {
        if (!is_deleted(h, s)) continue;
        uint32_t *hdr = hnsw_hdr(h, s);
        hnsw_upper_free(h, h->upper[s], (int)(hdr[0] & HNSW_META_LEVEL));
        h->upper[s] = NULL;
        hdr[2] = 0;
        __atomic_store_n(&hdr[0], 0u, __ATOMIC_RELEASE);
        h->labels[s] = 0;
        h->free_slots[h->n_free++] = s;
    }
    qsort(h->free_slots, h->n_free, sizeof *h->free_slots, cmp_desc_u32);
    atomic_store(&h->n_deleted, 0);
    pthread_rwlock_unlock(&h->grow_rw);
done:
    for (int w = 0; w < n_workers; w++) hnsw_scratch_put(h, scratch[w]);
    vt_free(scratch);
    return rc;
}

int hnsw_vacuum(hnsw *h, vt_pool *pool, vt_error *err) {
    pthread_mutex_lock(&h->write_mu);
    int rc = vacuum_locked(h, pool, err);
    pthread_mutex_unlock(&h->write_mu);
    return rc;
}

int hnsw_compact(hnsw *h, vt_pool *pool, uint32_t **remap, uint32_t *n_remap, vt_error *err) {
    if (remap) *remap = NULL;
    if (n_remap) *n_remap = 0;
    pthread_mutex_lock(&h->write_mu);
    int rc = vacuum_locked(h, pool, err);
    if (rc) goto out;
    uint32_t ns = atomic_load(&h->n_slots), live = atomic_load(&h->n_live);
    uint32_t cap = live < 64 ? 64 : live;
    size_t words = ((size_t)cap + 63) / 64;
    uint32_t *map = vt_malloc(((size_t)ns + 1) * sizeof *map);
    uint8_t *nodes = vt_malloc((size_t)cap * h->stride);
    uint32_t **upper = vt_calloc(cap, sizeof *upper);
    uint64_t *labels = vt_calloc(cap, sizeof *labels);
    _Atomic uint64_t *dead = vt_malloc(words * sizeof *dead);
    float *fvec = h->is_q8 && h->fvec_fd < 0 ? vt_malloc((size_t)cap * h->dim * sizeof(float)) : NULL;
    if (!map || !nodes || !upper || !labels || !dead || (h->is_q8 && h->fvec_fd < 0 && !fvec)) {
        vt_free(map);
        vt_free(nodes);
        vt_free(upper);
        vt_free(labels);
        vt_free((void *)dead);
        vt_free(fvec);
        rc = vt_fail(err, VT_ENOMEM, "hnsw: out of memory compacting %u slots", ns);
        goto out;
    }
    uint32_t next = 0;
    for (uint32_t s = 0; s < ns; s++) map[s] = is_live(h, s) ? next++ : UINT32_MAX;
    memset(nodes, 0, (size_t)cap * h->stride);
    for (size_t w = 0; w < words; w++) atomic_init(&dead[w], ~(uint64_t)0);

    pthread_rwlock_wrlock(&h->grow_rw);
    for (uint32_t s = 0; s < ns; s++) {
        uint32_t t = map[s];
        if (t == UINT32_MAX) continue;
        int level = hnsw_level_of(h, s);
        memcpy(nodes + (size_t)t * h->stride, hnsw_node(h, s), h->stride);
        uint32_t *l0 = (uint32_t *)(nodes + (size_t)t * h->stride + h->hdr_off) + 2;
        l0[-1] = 0; /* the lock */
        uint32_t n0 = 0;
        for (uint32_t i = 0; i < l0[0]; i++)
            if (map[l0[1 + i]] != UINT32_MAX) l0[1 + n0++] = map[l0[1 + i]];
        l0[0] = n0;
        upper[t] = h->upper[s];
        for (int l = 1; l <= level; l++) {
            uint32_t *ul = upper[t] + (size_t)(l - 1) * (size_t)(1 + h->m), nu = 0;
            for (uint32_t i = 0; i < ul[0]; i++)
                if (map[ul[1 + i]] != UINT32_MAX) ul[1 + nu++] = map[ul[1 + i]];
            ul[0] = nu;
        }
        labels[t] = h->labels[s];
        atomic_fetch_and(&dead[t >> 6], ~((uint64_t)1 << (t & 63)));
        if (h->is_q8) {
            float *dst = fvec ? fvec + (size_t)t * h->dim : h->fvec + (size_t)t * h->dim;
            memmove(dst, h->fvec + (size_t)s * h->dim, (size_t)h->dim * sizeof(float)); /* t ≤ s */
        }
    }
    uint64_t e = atomic_load(&h->entry);
    if (e != HNSW_ENTRY_NONE) atomic_store(&h->entry, (e & ~(uint64_t)0xffffffffu) | map[(uint32_t)e]);
    vt_free(h->nodes);
    vt_free(h->upper);
    vt_free(h->labels);
    vt_free((void *)h->dead);
    h->nodes = nodes;
    h->upper = upper;
    h->labels = labels;
    h->dead = dead;
    if (fvec) {
        vt_free(h->fvec);
        h->fvec = fvec;
    } else if (h->fvec_fd >= 0) {
        size_t len = (size_t)cap * h->dim * sizeof(float);
        void *m = mremap(h->fvec, h->fvec_map_len, len, MREMAP_MAYMOVE);
        if (m != MAP_FAILED) {
            h->fvec = m;
            h->fvec_map_len = len;
            if (ftruncate(h->fvec_fd, (off_t)len) != 0) { /* the file keeps its tail: harmless */ }
        }
    }
    h->capacity = cap;
    h->n_free = 0;
    atomic_store(&h->n_slots, live);
    pthread_rwlock_unlock(&h->grow_rw);
    if (remap) *remap = map;
    else vt_free(map);
    if (n_remap) *n_remap = ns;
out:
    pthread_mutex_unlock(&h->write_mu);
    return rc;
}
