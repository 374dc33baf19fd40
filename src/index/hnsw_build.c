/*
 * hnsw_build.c — inserts: single, batched over a thread pool, and updates.
 *
 * Insert (Algorithm 1 of Malkov & Yashunin). The new node's level is drawn from its slot
 * (hnsw_draw_level); from the entry point a greedy descent (ef = 1) reaches the node's top level,
 * then on every level from there down to 0 a layer search with ef_construct finds candidates,
 * the heuristic (Algorithm 4, hnsw_select) keeps at most m of them as the node's links, and each
 * kept neighbour gets a link back — appended when its list has room, else its list plus the new
 * node is cut back to its size by the same heuristic. Candidates that are deleted are traversed
 * but never linked to.
 *
 * A batch (hnsw_insert_batch) does everything that can fail first, with write_mu held: checks
 * every value, reserves the slots and the capacity, trains the int8 range if it is not set,
 * allocates the upper-layer blocks and one scratch per worker. Only then do the workers write
 * and link their nodes, in parallel, taking rows in input order from the pool's task counter,
 * as hnswlib's parallel addPoint does. Concurrency between workers: a node's link lists change
 * only under its spinlock; readers (the other workers' layer searches, and concurrent
 * searches) read lists without locks (hnsw_int.h). The entry point is raised under entry_mu by a
 * node whose level exceeds it; that node holds entry_mu until it is linked, so two nodes never
 * both believe they are the top. A node is written, then made returnable (its dead bit cleared),
 * then linked, so a search that reaches it finds a complete vector.
 *
 * Linking a node is three steps: choose its links on every level (layer searches, heuristic),
 * write them all, and only then add the back-links. Two things a serial build never sees would
 * otherwise strand nodes (unreachable from the entry point; test_hnsw_parallel.c found it in
 * ~1 build in 3 of 50–500 vectors, and db/index.c seeded its builds serially because of it):
 *   - Nodes inserted at the same time do not see each other: neither is linked yet. Two close
 *     ones then each link only to a common neighbour X, and X's pruning (the heuristic: the one
 *     is closer to the other than to X) keeps one and drops the other's only in-link — a serial
 *     build would have linked the later to the earlier. So each worker announces the slot it is
 *     linking (batch_ctx.inflight) and every insert takes the announced slots as candidates
 *     too; the announcements are sequentially consistent, so of two overlapping inserts at least
 *     one sees the other.
 *   - A node reachable (through a back-link on an upper level, or as an announced candidate)
 *     before its own lists were written got links appended by others, which writing its lists
 *     then overwrote. Now the lists are written before any back-link, and merged (set_own_links)
 *     with what announced-candidate links arrived meanwhile.
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "index/hnsw_int.h"

/* BATCH_ROWS: rows per pool task. Small, so workers insert in nearly input order (as a serial
 * build would) and balance well; large enough that the task counter is not contended. */
#define BATCH_ROWS 8

int hnsw_select(const hnsw *h, hnsw_cand *c, int n, int max) {
    int kept = 0;
    for (int i = 0; i < n && kept < max; i++) {
        int good = 1;
        for (int j = 0; j < kept; j++)
            if (hnsw_ndist(h, c[i].slot, c[j].slot) < c[i].d) {
                good = 0;
                break;
            }
        if (good) c[kept++] = c[i];
    }
    return kept;
}

void hnsw_set_links(hnsw *h, uint32_t slot, int l, const hnsw_cand *c, int n) {
    hnsw_lock(h, slot);
    uint32_t *list = hnsw_list(h, slot, l);
    for (int i = 0; i < n; i++) __atomic_store_n(&list[1 + i], c[i].slot, __ATOMIC_RELEASE);
    __atomic_store_n(&list[0], (uint32_t)n, __ATOMIC_RELEASE);
    hnsw_unlock(h, slot);
}

/* sort_cands: insertion sort by (d, slot); n ≤ 2·HNSW_MAX_M + 1 or a layer search's ef. */
static void sort_cands(hnsw_cand *c, int n) {
    for (int i = 1; i < n; i++) {
        hnsw_cand x = c[i];
        int j = i - 1;
        while (j >= 0 && (c[j].d > x.d || (c[j].d == x.d && c[j].slot > x.slot))) {
            c[j + 1] = c[j];
            j--;
        }
        c[j + 1] = x;
    }
}

/* add_link: gives node nb a link to slot (at distance d) on level l, pruning by the heuristic
 * when nb's list is full. */
static void add_link(hnsw *h, uint32_t nb, uint32_t slot, float d, int l) {
    hnsw_cand c[2 * HNSW_MAX_M + 1];
    int maxl = hnsw_max_links(h, l);
    hnsw_lock(h, nb);
    uint32_t *list = hnsw_list(h, nb, l);
    uint32_t cnt = list[0];
    if (cnt > (uint32_t)maxl) cnt = (uint32_t)maxl;
    for (uint32_t i = 0; i < cnt; i++)
        if (list[1 + i] == slot) {
            hnsw_unlock(h, nb);
            return;
        }
    if (cnt < (uint32_t)maxl) {
        __atomic_store_n(&list[1 + cnt], slot, __ATOMIC_RELEASE);
        __atomic_store_n(&list[0], cnt + 1, __ATOMIC_RELEASE);
        hnsw_unlock(h, nb);
        return;
    }
    int n = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        uint32_t x = list[1 + i];
        c[n++] = (hnsw_cand){hnsw_ndist(h, nb, x), x};
    }
    c[n++] = (hnsw_cand){d, slot};
    sort_cands(c, n);
    int k = hnsw_select(h, c, n, maxl);
    for (int i = 0; i < k; i++) __atomic_store_n(&list[1 + i], c[i].slot, __ATOMIC_RELEASE);
    __atomic_store_n(&list[0], (uint32_t)k, __ATOMIC_RELEASE);
    hnsw_unlock(h, nb);
}

/* set_own_links: writes the links c[0 .. n) chosen for the new node slot on level l, keeping
 * any that workers inserting beside it appended meanwhile (they found it in flight, see
 * batch_task); when both do not fit, the heuristic picks among them. */
static void set_own_links(hnsw *h, uint32_t slot, int l, const hnsw_cand *c, int n) {
    hnsw_cand m[3 * HNSW_MAX_M + 1];
    int maxl = hnsw_max_links(h, l), k = 0;
    hnsw_lock(h, slot);
    uint32_t *list = hnsw_list(h, slot, l);
    uint32_t cnt = list[0];
    if (cnt > (uint32_t)maxl) cnt = (uint32_t)maxl;
    for (int i = 0; i < n; i++) m[k++] = c[i];
    for (uint32_t i = 0; i < cnt; i++) {
        uint32_t x = list[1 + i];
        int dup = 0;
        for (int j = 0; j < n && !dup; j++) dup = c[j].slot == x;
        if (!dup) m[k++] = (hnsw_cand){hnsw_ndist(h, slot, x), x};
    }
    if (k > maxl) {
        sort_cands(m, k);
        k = hnsw_select(h, m, k, maxl);
    }
    for (int i = 0; i < k; i++) __atomic_store_n(&list[1 + i], m[i].slot, __ATOMIC_RELEASE);
    __atomic_store_n(&list[0], (uint32_t)k, __ATOMIC_RELEASE);
    hnsw_unlock(h, slot);
}

/* add_inflight: appends to sc->sel[0 .. n) the nodes other workers were inserting when slot's
 * insert began (sc->inflight), those of level ≥ l not there already, and re-sorts; returns the
 * new count. */
static int add_inflight(const hnsw *h, hnsw_scratch *sc, const void *q, int n, int l) {
    int added = 0;
    for (uint32_t i = 0; i < sc->n_inflight; i++) {
        uint32_t x = sc->inflight[i];
        if (hnsw_level_of(h, x) < l) continue;
        int dup = 0;
        for (int j = 0; j < n && !dup; j++) dup = sc->sel[j].slot == x;
        if (dup) continue;
        sc->sel[n++] = (hnsw_cand){hnsw_vdist(h, q, hnsw_node(h, x)), x};
        added = 1;
    }
    if (added) sort_cands(sc->sel, n);
    return n;
}

void hnsw_link_node(hnsw *h, hnsw_scratch *sc, uint32_t slot) {
    int level = hnsw_level_of(h, slot), hold = 0;
    const void *q = sc->query;
    uint64_t e = atomic_load(&h->entry);
    if (e == HNSW_ENTRY_NONE || level > (int)(e >> 32)) {
        pthread_mutex_lock(&h->entry_mu);
        e = atomic_load(&h->entry);
        if (e == HNSW_ENTRY_NONE) {
            atomic_store(&h->entry, ((uint64_t)level << 32) | slot);
            pthread_mutex_unlock(&h->entry_mu);
            return;
        }
        if (level > (int)(e >> 32)) hold = 1;
        else pthread_mutex_unlock(&h->entry_mu);
    }
    uint32_t ep = (uint32_t)e;
    int top = (int)(e >> 32), low = level < top ? level : top;
    float ep_d = hnsw_vdist(h, q, hnsw_node(h, ep));
    hnsw_greedy(h, q, &ep, &ep_d, top, level);
    /* 1: choose the links of every level. The graph does not show the nodes being inserted
     * beside this one, so those are candidates too (batch_task): of two close nodes inserted at
     * once, each may otherwise link only to a common neighbour, whose pruning then keeps one of
     * them and strands the other. */
    for (int l = low; l >= 0; l--) {
        hnsw_search_layer(h, sc, q, ep, ep_d, l, h->p.ef_construct, NULL, 0, slot);
        hnsw_res_sort(sc);
        int n = (int)sc->n_res;
        memcpy(sc->sel, sc->res, (size_t)n * sizeof *sc->sel);
        if (n) {
            ep = sc->sel[0].slot;
            ep_d = sc->sel[0].d;
        }
        n = add_inflight(h, sc, q, n, l);
        int k = hnsw_select(h, sc->sel, n, h->m);
        memcpy(sc->links + (size_t)l * (size_t)h->m, sc->sel, (size_t)k * sizeof *sc->sel);
        sc->n_links[l] = (uint8_t)k;
    }
    /* 2: write them all, 3: only then link back (top level first), so that whoever reaches slot
     * through the graph finds its lists complete and appends to them rather than having its link
     * overwritten */
    for (int l = low; l >= 0; l--) set_own_links(h, slot, l, sc->links + (size_t)l * (size_t)h->m, sc->n_links[l]);
    for (int l = low; l >= 0; l--) {
        const hnsw_cand *c = sc->links + (size_t)l * (size_t)h->m;
        for (int i = 0; i < sc->n_links[l]; i++) add_link(h, c[i].slot, slot, c[i].d, l);
    }
    if (hold) {
        atomic_store(&h->entry, ((uint64_t)level << 32) | slot);
        pthread_mutex_unlock(&h->entry_mu);
    }
}

/* The state of one batch's parallel phase. */
typedef struct batch_ctx {
    hnsw *h;
    size_t n;                /* rows */
    const float *vecs;       /* n × dim */
    const uint32_t *slots;   /* the slot of each row */
    hnsw_scratch **scratch;  /* one per worker */
    _Atomic uint32_t *inflight; /* per worker: the slot it is linking, UINT32_MAX when none */
    int n_workers;
} batch_ctx;

/* batch_task: writes and links rows [task · BATCH_ROWS, …). A row is announced in inflight[worker]
 * from when its vector is written until it is linked; its insert begins by reading the others'
 * announcements (sequentially consistent, so of two inserts that overlap in time at least one
 * sees the other) and takes them as candidate neighbours (hnsw_link_node). */
static void batch_task(void *p, int task, int worker) {
    batch_ctx *b = p;
    hnsw *h = b->h;
    hnsw_scratch *sc = b->scratch[worker];
    size_t lo = (size_t)task * BATCH_ROWS, hi = lo + BATCH_ROWS < b->n ? lo + BATCH_ROWS : b->n;
    for (size_t i = lo; i < hi; i++) {
        uint32_t slot = b->slots[i];
        hnsw_prepare_query(h, sc, b->vecs + i * h->dim);
        hnsw_encode_node(h, slot, sc->qf);
        hnsw_set_dead(h, slot, 0);
        atomic_fetch_add(&h->n_live, 1);
        sc->n_inflight = 0;
        if (b->n_workers > 1) {
            atomic_store(&b->inflight[worker], slot);
            for (int w = 0; w < b->n_workers && sc->n_inflight < HNSW_INFLIGHT_MAX; w++) {
                uint32_t x = w == worker ? UINT32_MAX : atomic_load(&b->inflight[w]);
                if (x != UINT32_MAX) sc->inflight[sc->n_inflight++] = x;
            }
        }
        hnsw_link_node(h, sc, slot);
        if (b->n_workers > 1) atomic_store(&b->inflight[worker], UINT32_MAX);
    }
    sc->n_inflight = 0;
}

/* QUANT_RETRAIN_ROWS: an int8 index trained on fewer vectors than this retrains (and re-encodes
 * what it holds) each time its size doubles, so an index fed one vector at a time converges to
 * ranges from a real sample; past it the ranges stay (hnsw_quant_train refreshes them). 4096
 * rows put the 0.99 quantile within ~0.2 % of rank; re-encoding costs O(n · dim) each doubling. */
#define QUANT_RETRAIN_ROWS 4096

/* sample_row: row r of the concatenation of the live stored vectors (stored[0 .. n_stored)) and
 * the batch. */
static const float *sample_row(const hnsw *h, const uint32_t *stored, size_t n_stored, const float *batch, size_t r) {
    return r < n_stored ? h->fvec + (size_t)stored[r] * h->dim : batch + (r - n_stored) * h->dim;
}

int hnsw_quant_train_locked(hnsw *h, size_t n, const float *vecs, vt_error *err) {
    /* the live stored vectors join the sample (they are normalised already; re-normalising is
     * harmless) */
    uint32_t ns = atomic_load(&h->n_slots);
    size_t n_stored = 0;
    for (uint32_t s = 0; s < ns; s++) n_stored += !hnsw_is_dead(h, s);
    size_t total = n_stored + n, rows = quant_sample_rows(total, h->dim);
    uint32_t *stored = vt_malloc((n_stored + 1) * sizeof *stored);
    float *sample = vt_malloc(rows * h->dim * sizeof(float) + 64);
    float *col = vt_malloc(rows * sizeof(float) + 64);
    if (!stored || !sample || !col) {
        vt_free(stored);
        vt_free(sample);
        vt_free(col);
        return vt_fail(err, VT_ENOMEM, "hnsw: out of memory training the quantiser");
    }
    n_stored = 0;
    for (uint32_t s = 0; s < ns; s++)
        if (!hnsw_is_dead(h, s)) stored[n_stored++] = s;
    for (size_t r = 0; r < rows; r++) {
        float *dst = sample + r * h->dim;
        memcpy(dst, sample_row(h, stored, n_stored, vecs, r * total / rows), (size_t)h->dim * sizeof(float));
        if (h->metric == DIST_COSINE) dist_normalize(dst, h->dim);
    }
    quant_train(&h->q, sample, rows, h->p.quantile, col);
    h->q_rows = total;
    atomic_store(&h->n_clipped, 0);
    atomic_store(&h->n_quantised, 0);
    vt_free(stored);
    vt_free(sample);
    vt_free(col);
    return VT_OK;
}

/* maybe_retrain: trains the int8 ranges when they are missing or were trained on a much smaller
 * index (QUANT_RETRAIN_ROWS), re-encoding the stored vectors with searches held off. */
static int maybe_retrain(hnsw *h, size_t n, const float *vecs, vt_error *err) {
    size_t live = atomic_load(&h->n_live);
    if (h->q.is_trained && (h->q_rows >= QUANT_RETRAIN_ROWS || live + n < 2 * h->q_rows)) return VT_OK;
    float *tmp = vt_malloc((size_t)h->dim * sizeof(float));
    if (!tmp) return vt_fail(err, VT_ENOMEM, "hnsw: out of memory training the quantiser");
    pthread_rwlock_wrlock(&h->grow_rw);
    int rc = hnsw_quant_train_locked(h, n, vecs, err);
    uint32_t ns = atomic_load(&h->n_slots);
    for (uint32_t s = 0; !rc && s < ns; s++)
        if (hnsw_meta(h, s) & HNSW_META_USED) {
            memcpy(tmp, h->fvec + (size_t)s * h->dim, (size_t)h->dim * sizeof(float));
            hnsw_encode_node(h, s, tmp);
        }
    pthread_rwlock_unlock(&h->grow_rw);
    vt_free(tmp);
    return rc;
}

int hnsw_insert_locked(hnsw *h, vt_pool *pool, size_t n, const uint64_t *labels, const float *vecs,
                       uint32_t *slots_out, vt_error *err) {
    if (n == 0) return VT_OK;
    size_t nv = (size_t)n * h->dim;
    for (size_t i = 0; i < nv; i++)
        if (!isfinite(vecs[i]))
            return vt_fail(err, VT_EINVAL, "hnsw: vector %zu: value %zu is not finite", i / h->dim, i % h->dim);
    uint32_t take = n < h->n_free ? (uint32_t)n : h->n_free;
    uint64_t fresh = (uint64_t)n - take, n_slots = atomic_load(&h->n_slots);
    if (n_slots + fresh > h->max_slots)
        return vt_fail(err, VT_ELIMIT, "hnsw: %llu more slots exceed max_slots %u", (unsigned long long)fresh,
                       h->max_slots);
    int rc = hnsw_reserve(h, (uint32_t)(n_slots + fresh), err);
    if (rc) return rc;
    int n_workers = vt_pool_size(pool);
    uint32_t *slots = vt_malloc(n * sizeof *slots);
    uint32_t **blocks = vt_calloc(n, sizeof *blocks);
    hnsw_scratch **scratch = vt_calloc((size_t)n_workers, sizeof *scratch);
    _Atomic uint32_t *inflight = vt_malloc((size_t)n_workers * sizeof *inflight);
    if (!slots || !blocks || !scratch || !inflight) {
        rc = vt_fail(err, VT_ENOMEM, "hnsw: out of memory inserting %zu vectors", n);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        slots[i] = i < take ? h->free_slots[h->n_free - 1 - i] : (uint32_t)(n_slots + (i - take));
    for (size_t i = 0; i < n; i++) {
        int level = hnsw_draw_level(h, slots[i]);
        if (level > 0 && !(blocks[i] = hnsw_upper_alloc(h, level))) {
            rc = vt_fail(err, VT_ENOMEM, "hnsw: out of memory inserting %zu vectors", n);
            goto fail;
        }
    }
    for (int w = 0; w < n_workers; w++)
        if (!(scratch[w] = hnsw_scratch_get(h, h->p.ef_construct))) {
            rc = vt_fail(err, VT_ENOMEM, "hnsw: out of memory for the insert scratch");
            goto fail;
        }
    if (h->is_q8 && (rc = maybe_retrain(h, n, vecs, err))) goto fail;

    /* nothing fails from here on */
    h->n_free -= take;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = slots[i];
        h->labels[s] = labels ? labels[i] : s;
        h->upper[s] = blocks[i];
        uint32_t *hdr = hnsw_hdr(h, s);
        hdr[2] = 0; /* no links on layer 0 yet */
        __atomic_store_n(&hdr[0], (uint32_t)hnsw_draw_level(h, s) | HNSW_META_USED, __ATOMIC_RELEASE);
    }
    if (n_slots + fresh > n_slots) atomic_store(&h->n_slots, (uint32_t)(n_slots + fresh));
    int par = n_workers > 1 && n > 1;
    for (int w = 0; w < n_workers; w++) atomic_init(&inflight[w], UINT32_MAX);
    batch_ctx b = {h, n, vecs, slots, scratch, inflight, par ? n_workers : 1};
    vt_pool_run(par ? pool : NULL, (int)((n + BATCH_ROWS - 1) / BATCH_ROWS), batch_task, &b);
    if (slots_out) memcpy(slots_out, slots, n * sizeof *slots);
    for (int w = 0; w < n_workers; w++) hnsw_scratch_put(h, scratch[w]);
    vt_free(inflight);
    vt_free(scratch);
    vt_free(blocks);
    vt_free(slots);
    return VT_OK;
fail:
    if (scratch)
        for (int w = 0; w < n_workers; w++) hnsw_scratch_put(h, scratch[w]);
    if (blocks)
        for (size_t i = 0; i < n; i++)
            if (blocks[i]) hnsw_upper_free(h, blocks[i], hnsw_draw_level(h, slots[i]));
    vt_free(inflight);
    vt_free(scratch);
    vt_free(blocks);
    vt_free(slots);
    return rc;
}

int hnsw_insert_batch(hnsw *h, vt_pool *pool, size_t n, const uint64_t *labels, const float *vecs,
                      uint32_t *slots_out, vt_error *err) {
    if (n > HNSW_MAX_SLOTS) return vt_fail(err, VT_ELIMIT, "hnsw: batch of %zu vectors above %u", n, HNSW_MAX_SLOTS);
    pthread_mutex_lock(&h->write_mu);
    int rc = hnsw_insert_locked(h, pool, n, labels, vecs, slots_out, err);
    pthread_mutex_unlock(&h->write_mu);
    return rc;
}

int hnsw_insert(hnsw *h, uint64_t label, const float *vec, uint32_t *slot_out, vt_error *err) {
    pthread_mutex_lock(&h->write_mu);
    int rc = hnsw_insert_locked(h, NULL, 1, &label, vec, slot_out, err);
    pthread_mutex_unlock(&h->write_mu);
    return rc;
}

int hnsw_update(hnsw *h, uint32_t slot, const float *vec, uint32_t *slot_out, vt_error *err) {
    pthread_mutex_lock(&h->write_mu);
    int rc;
    uint32_t new_slot = 0;
    if (slot >= atomic_load(&h->n_slots) || hnsw_is_dead(h, slot)) {
        rc = vt_fail(err, VT_ENOTFOUND, "hnsw: slot %u holds no live vector", slot);
    } else {
        uint64_t label = h->labels[slot];
        /* insert first: a failed insert leaves the old vector in place */
        rc = hnsw_insert_locked(h, NULL, 1, &label, vec, &new_slot, err);
        if (!rc) rc = hnsw_delete_locked(h, slot, err);
    }
    pthread_mutex_unlock(&h->write_mu);
    if (!rc && slot_out) *slot_out = new_slot;
    return rc;
}
