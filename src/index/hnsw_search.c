/*
 * hnsw_search.c — search: the layer search shared with inserts, the greedy descent, filtered
 * traversal, int8 rescoring, the exact scans, and the choice between graph and scan.
 *
 * A search holds grow_rw shared for its whole duration (the arrays cannot move under it) and
 * takes a scratch from the index's pool; it allocates nothing once the pool is warm.
 *
 * Layer search (Algorithm 2 of Malkov & Yashunin). A min-heap of candidates to expand and a
 * max-heap of the best `ef` results; the loop stops when the nearest unexpanded candidate is
 * farther than the worst result. Visited slots are a bitset (a bit per slot, so 200k slots fit
 * in 25 KB of L1/L2, against 400 KB for hnswlib's 16-bit epoch array); the words it dirtied are
 * remembered and cleared at the end, so the cost of reuse is proportional to the visit, not to
 * the index. One expansion first gathers the unvisited neighbours and prefetches their vectors,
 * then computes the distances, so the memory loads of up to 2m nodes are in flight together.
 *
 * The candidate heap is bounded (2·ef + 2·m0 + 16 entries): when it is full, a new candidate
 * replaces the farthest leaf if it is nearer, else it is dropped. Unfiltered, every candidate
 * that could still be expanded is also among the ef results, so the bound loses nothing; with
 * tombstones or filters it caps the work of a pathological traversal.
 *
 * Filtered search. With n_allowed known and at least PLAIN_SELECTIVITY of the points allowed, the
 * walk is the unfiltered one (disallowed nodes scored and expanded, never returned) with a beam
 * of max(ef · s, k) allowed results. Otherwise (two_hop) disallowed and deleted nodes are never
 * scored: expanding a node, its
 * allowed neighbours are scored, and when they are fewer than m0 / HOP_FILL the neighbours of its
 * disallowed neighbours (their link lists prefetched) are looked at too — the two-hop
 * expansion of ACORN-1 [Patel et al., "ACORN: Performant and Predicate-Agnostic Search Over
 * Vector Embeddings and Structured Data", SIGMOD 2024], which keeps the allowed subgraph
 * connected down to selectivities around 1/m0 without extra links. Below that the exact scan of
 * the allowed points is cheaper anyway, and hnsw_plan_exact picks it when the caller gives
 * n_allowed.
 *
 * int8 indexes search the codes (4× less memory traffic, VNNI kernels) with a beam of at least
 * ceil(k · oversample), then rescore every candidate of the final beam with float32 distances on
 * the float vectors (RAM or mapped).
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "index/hnsw_int.h"

/* PREFETCH_LINES: cache lines prefetched per neighbour before scoring a batch. The hardware
 * prefetcher follows a stream after two or three misses; 4 lines start it on every node
 * (tuned on 50k × 512 aniso: 2 and 8 were both slower). */
#define PREFETCH_LINES 4

int hnsw_allowed(const hnsw *h, const hnsw_filter *f, uint32_t s) {
    if (!f) return 1;
    if (f->bits && (s >= f->n_bits || !((f->bits[s >> 6] >> (s & 63)) & 1u))) return 0;
    if (f->allow && !f->allow(f->ctx, s, h->labels[s])) return 0;
    return 1;
}

static inline int returnable(const hnsw *h, const hnsw_filter *f, uint32_t s, uint32_t self) {
    return s != self && !hnsw_is_dead(h, s) && hnsw_allowed(h, f, s);
}

#define HOP_FILL 2

/* prefetch_list: the cache lines of s's link list on level l (read soon as a two-hop bridge). */
static inline void prefetch_list(const hnsw *h, uint32_t s, int l) {
    const char *p = (const char *)hnsw_list(h, s, l);
    size_t bytes = 4 * (1 + (size_t)hnsw_max_links(h, l));
    for (size_t i = 0; i < bytes; i += 64) __builtin_prefetch(p + i, 0, 3);
}

static inline void prefetch_node(const hnsw *h, uint32_t s) {
    const char *p = (const char *)hnsw_node(h, s);
    size_t lines = (h->vec_bytes + 63) / 64;
    if (lines > PREFETCH_LINES) lines = PREFETCH_LINES;
    for (size_t i = 0; i < lines; i++) __builtin_prefetch(p + 64 * i, 0, 3);
}

/* visit: marks s visited; returns 1 when it already was. */
static inline int visit(hnsw_scratch *sc, uint32_t s) {
    uint64_t *w = &sc->visited[s >> 6], bit = (uint64_t)1 << (s & 63);
    if (*w & bit) return 1;
    if (!*w) sc->touched[sc->n_touched++] = s >> 6;
    *w |= bit;
    return 0;
}

static void visited_clear(hnsw_scratch *sc) {
    for (uint32_t i = 0; i < sc->n_touched; i++) sc->visited[sc->touched[i]] = 0;
    sc->n_touched = 0;
}

static inline int cand_less(hnsw_cand a, hnsw_cand b) { return a.d < b.d || (a.d == b.d && a.slot < b.slot); }

/* ---- heaps: cand is a min-heap, res a max-heap, both by (d, slot) ---- */

static inline void cand_push(hnsw_scratch *sc, hnsw_cand c) {
    uint32_t i;
    if (sc->n_cand == sc->cand_cap) { /* full: replace the farthest leaf if c is nearer */
        uint32_t worst = sc->n_cand / 2;
        for (uint32_t j = worst + 1; j < sc->n_cand; j++)
            if (cand_less(sc->cand[worst], sc->cand[j])) worst = j;
        if (!cand_less(c, sc->cand[worst])) return;
        i = worst;
    } else {
        i = sc->n_cand++;
    }
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!cand_less(c, sc->cand[p])) break;
        sc->cand[i] = sc->cand[p];
        i = p;
    }
    sc->cand[i] = c;
}

static inline hnsw_cand cand_pop(hnsw_scratch *sc) {
    hnsw_cand top = sc->cand[0], last = sc->cand[--sc->n_cand];
    uint32_t i = 0, n = sc->n_cand;
    for (;;) {
        uint32_t l = 2 * i + 1;
        if (l >= n) break;
        if (l + 1 < n && cand_less(sc->cand[l + 1], sc->cand[l])) l++;
        if (!cand_less(sc->cand[l], last)) break;
        sc->cand[i] = sc->cand[l];
        i = l;
    }
    if (n) sc->cand[i] = last;
    return top;
}

static inline void res_sift_down(hnsw_cand *r, uint32_t n, uint32_t i) {
    hnsw_cand x = r[i];
    for (;;) {
        uint32_t l = 2 * i + 1;
        if (l >= n) break;
        if (l + 1 < n && cand_less(r[l], r[l + 1])) l++;
        if (!cand_less(x, r[l])) break;
        r[i] = r[l];
        i = l;
    }
    r[i] = x;
}

/* res_push: adds c to the max-heap of at most cap entries (dropping the farthest). */
static inline void res_push(hnsw_cand *r, uint32_t *n, uint32_t cap, hnsw_cand c) {
    if (*n == cap) {
        if (!cand_less(c, r[0])) return;
        r[0] = c;
        res_sift_down(r, *n, 0);
        return;
    }
    uint32_t i = (*n)++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!cand_less(r[p], c)) break;
        r[i] = r[p];
        i = p;
    }
    r[i] = c;
}

void hnsw_res_sort(hnsw_scratch *sc) {
    /* heap sort: pop the max to the end */
    uint32_t n = sc->n_res;
    while (n > 1) {
        hnsw_cand t = sc->res[0];
        sc->res[0] = sc->res[n - 1];
        sc->res[n - 1] = t;
        n--;
        res_sift_down(sc->res, n, 0);
    }
}

/* ---- graph traversal ---- */

void hnsw_greedy(const hnsw *h, const void *q, uint32_t *ep, float *ep_d, int top, int stop) {
    uint32_t cur = *ep, cap = h->capacity;
    float cur_d = *ep_d;
    for (int l = top; l > stop; l--) {
        int changed = 1;
        while (changed) {
            changed = 0;
            const uint32_t *list = hnsw_list(h, cur, l);
            uint32_t cnt = __atomic_load_n(&list[0], __ATOMIC_ACQUIRE);
            if (cnt > (uint32_t)h->m) cnt = (uint32_t)h->m;
            for (uint32_t j = 0; j < cnt; j++) {
                uint32_t id = __atomic_load_n(&list[1 + j], __ATOMIC_ACQUIRE);
                if (id < cap) prefetch_node(h, id);
            }
            for (uint32_t j = 0; j < cnt; j++) {
                uint32_t id = __atomic_load_n(&list[1 + j], __ATOMIC_ACQUIRE);
                if (id >= cap) continue;
                float d = hnsw_vdist(h, q, hnsw_node(h, id));
                if (d < cur_d) {
                    cur_d = d;
                    cur = id;
                    changed = 1;
                }
            }
        }
    }
    *ep = cur;
    *ep_d = cur_d;
}

void hnsw_search_layer(const hnsw *h, hnsw_scratch *sc, const void *q, uint32_t ep, float ep_d,
                       int l, int ef, const hnsw_filter *f, int two_hop, uint32_t self) {
    uint32_t cap = h->capacity, maxl = (uint32_t)hnsw_max_links(h, l), ucap = (uint32_t)ef;
    uint32_t *batch = sc->batch, *hop = sc->batch + maxl + 1;
    /* HOP_FILL: two-hop expansion stops once this share of a full list is allowed: an unfiltered
     * expansion scores few more than m0 / 2 new nodes either (the rest are visited already), and
     * each bridge costs a link-list read (tuned on 50k × 512 aniso at 50 % and 10 % allowed) */
    uint32_t hop_target = maxl / HOP_FILL;
    sc->n_cand = sc->n_res = 0;
    visit(sc, ep);
    cand_push(sc, (hnsw_cand){ep_d, ep});
    if (returnable(h, f, ep, self)) res_push(sc->res, &sc->n_res, ucap, (hnsw_cand){ep_d, ep});
    while (sc->n_cand) {
        if (sc->n_res >= ucap && sc->cand[0].d > sc->res[0].d) break;
        hnsw_cand c = cand_pop(sc);
        const uint32_t *list = hnsw_list(h, c.slot, l);
        uint32_t cnt = __atomic_load_n(&list[0], __ATOMIC_ACQUIRE), nb = 0, nh = 0;
        if (cnt > maxl) cnt = maxl;
        for (uint32_t j = 0; j < cnt; j++) {
            uint32_t id = __atomic_load_n(&list[1 + j], __ATOMIC_ACQUIRE);
            if (id >= cap || visit(sc, id)) continue;
            if (two_hop && !returnable(h, f, id, self)) {
                hop[nh++] = id;
                prefetch_list(h, id, l);
                continue;
            }
            batch[nb++] = id;
            prefetch_node(h, id);
        }
        for (uint32_t j = 0; j < nh && nb < hop_target; j++) {
            const uint32_t *l2 = hnsw_list(h, hop[j], l);
            uint32_t c2 = __atomic_load_n(&l2[0], __ATOMIC_ACQUIRE);
            if (c2 > maxl) c2 = maxl;
            for (uint32_t i = 0; i < c2 && nb < hop_target; i++) {
                uint32_t id = __atomic_load_n(&l2[1 + i], __ATOMIC_ACQUIRE);
                if (id >= cap || (sc->visited[id >> 6] >> (id & 63) & 1u) || !returnable(h, f, id, self)) continue;
                visit(sc, id);
                batch[nb++] = id;
                prefetch_node(h, id);
            }
        }
        for (uint32_t j = 0; j < nb; j++) {
            uint32_t id = batch[j];
            float d = hnsw_vdist(h, q, hnsw_node(h, id));
            if (sc->n_res < ucap || d < sc->res[0].d) {
                cand_push(sc, (hnsw_cand){d, id});
                if (two_hop || returnable(h, f, id, self)) res_push(sc->res, &sc->n_res, ucap, (hnsw_cand){d, id});
            }
        }
    }
    visited_clear(sc);
}

/* ---- exact scans ---- */

/* scan_slot: scores slot s (known live) into the top-k heap of sc. */
static inline void scan_slot(const hnsw *h, hnsw_scratch *sc, uint32_t s, uint32_t k) {
    float d = hnsw_fdist(h, sc->qf, hnsw_float_vec(h, s));
    res_push(sc->res, &sc->n_res, k, (hnsw_cand){d, s});
}

/* exact_scan: every returnable slot, float32 distances, top k into sc->res. */
static void exact_scan(const hnsw *h, hnsw_scratch *sc, const hnsw_filter *f, uint32_t k) {
    uint32_t n = atomic_load(&h->n_slots), words = (n + 63) / 64;
    sc->n_res = 0;
    for (uint32_t w = 0; w < words; w++) {
        uint64_t live = ~atomic_load_explicit(&h->dead[w], memory_order_acquire);
        if (f && f->bits) live &= (w < (f->n_bits + 63) / 64) ? f->bits[w] : 0;
        if (w == words - 1 && (n & 63)) live &= ((uint64_t)1 << (n & 63)) - 1;
        while (live) {
            uint32_t s = w * 64 + (uint32_t)__builtin_ctzll(live);
            live &= live - 1;
            if (f && !hnsw_allowed(h, f, s)) continue;
            scan_slot(h, sc, s, k);
        }
    }
}

/* ---- the public searches ---- */

/* emit: sorts sc->res and writes up to k hits. */
static int emit(const hnsw *h, hnsw_scratch *sc, int k, hnsw_hit *hits) {
    hnsw_res_sort(sc);
    int n = (int)sc->n_res < k ? (int)sc->n_res : k;
    for (int i = 0; i < n; i++) {
        hits[i].slot = sc->res[i].slot;
        hits[i].dist = sc->res[i].d;
        hits[i].label = h->labels[sc->res[i].slot];
    }
    return n;
}

static int check_query(const hnsw *h, const float *q, vt_error *err) {
    for (uint32_t i = 0; i < h->dim; i++)
        if (!isfinite(q[i])) return vt_fail(err, VT_EINVAL, "hnsw: query value %u is not finite", i);
    return VT_OK;
}

/* beam: the beam width of a search: max(ef, k, ceil(k · oversample) for int8). */
static int beam(const hnsw *h, const hnsw_search_params *sp) {
    int ef = sp->ef > sp->k ? sp->ef : sp->k;
    if (h->is_q8 && sp->rescore) {
        double r = ceil((double)sp->k * (double)sp->oversample);
        if (r > ef) ef = r > HNSW_MAX_EF ? HNSW_MAX_EF : (int)r;
    }
    return ef;
}

/* PLAIN_SELECTIVITY: from this share s of allowed points up (when the caller gives n_allowed), a
 * filtered search walks the graph as an unfiltered one does — disallowed nodes are scored and
 * expanded, never returned — with a beam of max(ef · s, k) allowed results, so that ef buys about
 * the same walk with or without the filter. Measured on 50k × 512 aniso, k 10: at 50 %, 30 % and
 * 10 % allowed the plain walk keeps recall@10 ≥ 0.98 at the unfiltered walk's cost (the two-hop
 * walk needed ~2×); below ~5 % it would wander ~1/s nodes per result, and the two-hop walk (or,
 * with n_allowed known, mostly the exact scan) takes over. */
#define PLAIN_SELECTIVITY 0.05

static int plain_filter(const hnsw *h, const hnsw_filter *f) {
    if (f->n_allowed < 0) return 0;
    double live = (double)atomic_load(&h->n_live);
    return live > 0 && (double)f->n_allowed >= PLAIN_SELECTIVITY * live;
}

/* Cost model of hnsw_plan_exact, in scored vectors (a scanned vector and a vector scored by the
 * graph walk cost about the same: ~80 ns each at dim 512 here, the scan streaming, the walk
 * prefetching). An unfiltered walk at beam ef scores about GRAPH_COST_PER_EF · ef vectors
 * (~1,500 at ef 64 on 50k × 512 aniso, m 16). The plain filtered walk must reach about
 * max(ef, k / s) nodes to hold its allowed results; the two-hop walk about 1 + FILTER_PENALTY / s
 * times an unfiltered one (the bridges' link reads and a sparser graph). The exact scan scores
 * the n_allowed vectors. */
#define GRAPH_COST_PER_EF 25.0
#define FILTER_PENALTY 0.05

int hnsw_plan_exact(const hnsw *h, const hnsw_search_params *sp) {
    if (sp->exact) return 1;
    const hnsw_filter *f = sp->filter;
    if (!f || f->n_allowed < 0) return 0;
    double live = (double)atomic_load(&h->n_live);
    if (live <= 0) return 1;
    double s = (double)f->n_allowed / live;
    if (s >= 1.0) return 0;
    if (s <= 0.0) return 1;
    double ef = beam(h, sp), graph;
    if (s >= PLAIN_SELECTIVITY) {
        double reach = (h->is_q8 && sp->rescore ? ceil((double)sp->k * (double)sp->oversample) : sp->k) / s;
        graph = GRAPH_COST_PER_EF * (reach > ef ? reach : ef);
    } else {
        graph = GRAPH_COST_PER_EF * ef * (1.0 + FILTER_PENALTY / s);
    }
    return (double)f->n_allowed < graph;
}

int hnsw_search(const hnsw *h, const float *query, const hnsw_search_params *sp, hnsw_hit *hits,
                int *n_hits, vt_error *err) {
    *n_hits = 0;
    if (sp->k < 1 || sp->k > HNSW_MAX_K) return vt_fail(err, VT_EINVAL, "hnsw: k %d outside 1..%d", sp->k, HNSW_MAX_K);
    if (sp->ef < 0 || sp->ef > HNSW_MAX_EF)
        return vt_fail(err, VT_EINVAL, "hnsw: ef %d outside 0..%d", sp->ef, HNSW_MAX_EF);
    if (h->is_q8 && sp->rescore && !(sp->oversample >= 1.0f && sp->oversample <= 100.0f))
        return vt_fail(err, VT_EINVAL, "hnsw: oversample %g outside 1..100", (double)sp->oversample);
    int rc = check_query(h, query, err);
    if (rc) return rc;
    hnsw *hm = (hnsw *)h;
    int ef = beam(h, sp);
    pthread_rwlock_rdlock(&hm->grow_rw);
    hnsw_scratch *sc = hnsw_scratch_get(h, ef);
    if (!sc) {
        pthread_rwlock_unlock(&hm->grow_rw);
        return vt_fail(err, VT_ENOMEM, "hnsw: out of memory for the search scratch");
    }
    hnsw_prepare_query(h, sc, query);
    const hnsw_filter *f = sp->filter;
    if (hnsw_plan_exact(h, sp)) {
        exact_scan(h, sc, f, (uint32_t)sp->k);
        *n_hits = emit(h, sc, sp->k, hits);
        goto done;
    }
    uint64_t e = atomic_load(&h->entry);
    if (e == HNSW_ENTRY_NONE) goto done;
    uint32_t ep = (uint32_t)e;
    float ep_d = hnsw_vdist(h, sc->query, hnsw_node(h, ep));
    hnsw_greedy(h, sc->query, &ep, &ep_d, (int)(e >> 32), 0);
    int plain = f && plain_filter(h, f), beam_ef = ef;
    if (plain) { /* ef allowed results span ef / s nodes: keep the walk the size of an unfiltered one */
        double b = ceil((double)ef * (double)f->n_allowed / (double)atomic_load(&h->n_live));
        int floor_ef = h->is_q8 && sp->rescore ? (int)ceil((double)sp->k * (double)sp->oversample) : sp->k;
        beam_ef = b < floor_ef ? floor_ef : b > ef ? ef : (int)b;
    }
    hnsw_search_layer(h, sc, sc->query, ep, ep_d, 0, beam_ef, f, f != NULL && !plain, UINT32_MAX);
    if (h->is_q8 && sp->rescore) {
        hnsw_res_sort(sc);
        /* every candidate of the final beam (at least ceil(k · oversample) of them, beam()):
         * the int8 order is least sure just where the beam ends, and rescoring the whole beam
         * rather than the best 4k gained 0.008 recall@10 at ef 64 on 200k × 512 aniso for ~10 %
         * of the search's time (ef float32 reads against ~25 · ef int8 ones) */
        uint32_t r = sc->n_res;
        for (uint32_t i = 0; i < r; i++) {
            uint32_t s = sc->res[i].slot;
            __builtin_prefetch(hnsw_float_vec(h, s), 0, 1);
        }
        for (uint32_t i = 0; i < r; i++)
            sc->res[i].d = hnsw_fdist(h, sc->qf, hnsw_float_vec(h, sc->res[i].slot));
        /* re-heapify the rescored prefix as a max-heap for emit */
        sc->n_res = r;
        for (uint32_t i = r / 2; i-- > 0;) res_sift_down(sc->res, r, i);
    }
    *n_hits = emit(h, sc, sp->k, hits);
done:
    hnsw_scratch_put(h, sc);
    pthread_rwlock_unlock(&hm->grow_rw);
    return VT_OK;
}

int hnsw_search_slots(const hnsw *h, const float *query, int k, const uint32_t *slots,
                      size_t n_slots, hnsw_hit *hits, int *n_hits, vt_error *err) {
    *n_hits = 0;
    if (k < 1 || k > HNSW_MAX_K) return vt_fail(err, VT_EINVAL, "hnsw: k %d outside 1..%d", k, HNSW_MAX_K);
    int rc = check_query(h, query, err);
    if (rc) return rc;
    hnsw *hm = (hnsw *)h;
    pthread_rwlock_rdlock(&hm->grow_rw);
    hnsw_scratch *sc = hnsw_scratch_get(h, k);
    if (!sc) {
        pthread_rwlock_unlock(&hm->grow_rw);
        return vt_fail(err, VT_ENOMEM, "hnsw: out of memory for the search scratch");
    }
    hnsw_prepare_query(h, sc, query);
    uint32_t n = atomic_load(&h->n_slots);
    sc->n_res = 0;
    for (size_t i = 0; i < n_slots; i++) {
        uint32_t s = slots[i];
        if (s >= n || hnsw_is_dead(h, s) || visit(sc, s)) continue;
        scan_slot(h, sc, s, (uint32_t)k);
    }
    visited_clear(sc);
    *n_hits = emit(h, sc, k, hits);
    hnsw_scratch_put(h, sc);
    pthread_rwlock_unlock(&hm->grow_rw);
    return VT_OK;
}
