/*
 * hnsw.h — the vector index of one named vector: an HNSW graph [Malkov & Yashunin, "Efficient and
 * robust approximate nearest neighbor search using Hierarchical Navigable Small World graphs",
 * TPAMI 2020] over float32 or int8-quantised vectors, with tombstone deletes, repair, filtered and
 * exact search, and a checksummed index file.
 *
 * A short tour:
 *
 *     hnsw_params p = hnsw_params_default();
 *     p.dim = 512; p.metric = DIST_COSINE;
 *     hnsw *h;
 *     if ((rc = hnsw_new(&p, &h, &err))) return rc;
 *     rc = hnsw_insert_batch(h, pool, n, labels, vectors, slots, &err);  // slots[i] for vectors[i]
 *     hnsw_search_params sp = hnsw_search_params_default();
 *     sp.k = 10; sp.ef = 64;
 *     hnsw_hit hits[10]; int n_hits;
 *     rc = hnsw_search(h, query, &sp, hits, &n_hits, &err);   // nearest first
 *     rc = hnsw_delete(h, hits[0].slot, &err);                   // a tombstone
 *     rc = hnsw_vacuum(h, pool, &err);                          // re-link, free the slot
 *     rc = hnsw_save(h, "idx/vec.hnsw", last_seq, &err);         // covers the op log to last_seq
 *     hnsw_free(h);
 *
 * Slots and labels. Every vector lives in a slot: a dense uint32 the index assigns at insert
 * (the lowest free one after a vacuum, else the next new one). The caller gives each vector a
 * label (a u64, e.g. the point's internal number); the index stores it beside the vector, returns
 * it with every hit and passes it to filter callbacks, so a caller can rebuild its label → slot
 * map after hnsw_load by walking hnsw_slot_info. A deleted slot keeps its label until a vacuum
 * frees the slot; a later insert may then reuse the slot number for another vector.
 *
 * Distances are the internal ones of dist.h (smaller is closer); dist_score converts them into
 * the score users see. Cosine vectors are normalised at insert; the query is normalised by the
 * search (the caller's buffer is not modified).
 *
 * Quantisation (quant = HNSW_QUANT_INT8): each vector is also stored as int8 codes (scalar
 * quantisation, the value range clipped to `quantile` of the values, see quant.h); the graph is
 * built and searched on the codes (a beam of at least ceil(k · oversample)), and every candidate of
 * the final beam is rescored with exact float32 distances. The float32 vectors then leave the hot path: with `vectors_path` they
 * live in a file that is memory-mapped (the page cache holds them, not the index's RAM).
 *
 * Thread safety. Readers — hnsw_search, hnsw_search_slots, hnsw_stats_get, hnsw_slot_info,
 * hnsw_get_vector, hnsw_count, hnsw_save — may run in any number of threads at once, and at the
 * same time as one writer. Writers — hnsw_insert, hnsw_insert_batch, hnsw_delete, hnsw_update,
 * hnsw_vacuum, hnsw_compact — are serialised by the index's writer mutex (a second writer waits;
 * hnsw_save also takes it, so the file is a consistent snapshot). hnsw_insert_batch and
 * hnsw_vacuum spread their work over the caller's pool, which must not be running another job.
 * A search sees each insert or delete either wholly or not at all as far as its results go (a
 * vector is linked only after it is fully written; a tombstone is one atomic flag). Growing the
 * slot arrays, and the short final step of hnsw_vacuum / hnsw_compact, wait for searches in
 * flight (a readers-writer lock that prefers the writer); nothing else blocks a search.
 * hnsw_free requires that no other call is in flight.
 *
 * Errors: VT_EINVAL for bad arguments (a wrong dimension, k out of range, an unknown slot given to
 * delete is VT_ENOTFOUND), VT_ENOMEM, VT_ELIMIT past max_slots, VT_EIO / VT_ECORRUPT from files;
 * the vt_error names the index file or the argument. A failed insert leaves the index as it was
 * before that vector (a batch may have inserted a prefix: see hnsw_insert_batch).
 */
#ifndef VT_INDEX_HNSW_H
#define VT_INDEX_HNSW_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/pool.h"
#include "index/dist.h"

typedef struct hnsw hnsw;

enum hnsw_quant {
    HNSW_QUANT_NONE = 0, /* float32 vectors in the nodes */
    HNSW_QUANT_INT8 = 1  /* int8 codes in the nodes, float32 kept for rescoring (quant.h) */
};

#define HNSW_MAX_M 128          /* links per node on layers ≥ 1 (2·m on layer 0); 128 is past any useful m */
#define HNSW_MAX_K 10000        /* results per search (Qdrant allows any limit; 10k keeps buffers bounded) */
#define HNSW_MAX_EF 100000      /* beam width ceiling, bounding the per-search scratch */
#define HNSW_MAX_SLOTS 0x7fffffffu /* slots per index (2^31 - 1): slot ids fit int32 .ibin files */

typedef struct hnsw_params {
    uint32_t dim;             /* vector size, 1 .. DIST_MAX_DIM */
    int metric;               /* enum dist_metric */
    int m;                    /* Qdrant's m: links per node on layers ≥ 1, 2·m on layer 0; 2 .. HNSW_MAX_M; default 16 */
    int ef_construct;         /* Qdrant's ef_construct: beam width while inserting, ≥ m; default 100 */
    uint64_t seed;            /* seeds the level draws (a node's level is a hash of seed and slot) */
    int quant;                /* enum hnsw_quant; default HNSW_QUANT_NONE */
    float quantile;           /* int8: clip the value range to this quantile, (0.5, 1]; default 1 (Qdrant's: the whole range) */
    const char *vectors_path; /* int8 only: keep the float32 vectors in this file, memory-mapped (created or
                                 truncated by hnsw_new / hnsw_load; the caller removes it after hnsw_free);
                                 NULL keeps them in RAM. Copied; the caller's string may go away */
    uint32_t capacity;        /* slots to allocate up front (0: grow on demand, doubling) */
    uint32_t max_slots;       /* ceiling on slots, ≤ HNSW_MAX_SLOTS (0 = HNSW_MAX_SLOTS); inserts past it fail VT_ELIMIT */
} hnsw_params;

/* hnsw_params_default: dim 0 (must be set), cosine, m 16, ef_construct 100, seed 42, no
 * quantisation, quantile 1, vectors in RAM, capacity 0, max_slots HNSW_MAX_SLOTS. */
hnsw_params hnsw_params_default(void);

/* hnsw_new: an empty index with parameters *p (copied). VT_EINVAL names the bad field; VT_EIO
 * when vectors_path cannot be created. *out is owned by the caller (hnsw_free). */
int hnsw_new(const hnsw_params *p, hnsw **out, vt_error *err);

/* hnsw_free: releases the index (and unmaps, but does not delete, the vectors file). NULL is
 * accepted. No other call may be in flight. */
void hnsw_free(hnsw *h);

/* hnsw_params_get: the index's parameters (vectors_path points into the index; valid until
 * hnsw_free). For an int8 index, quantile is the one it was created with. Cannot fail. */
hnsw_params hnsw_params_get(const hnsw *h);

/* ---- writers (serialised; see the tour) ------------------------------------------------------ */

/* hnsw_insert: adds vec (dim floats, copied; normalised first for cosine) with label, linking it
 * into the graph (Algorithm 1 of Malkov & Yashunin, neighbours chosen by Algorithm 4, the
 * heuristic). *slot_out (may be NULL) receives its slot. VT_EINVAL for a vector holding NaN or
 * inf; VT_ELIMIT past max_slots; VT_ENOMEM. An int8 index that has no quantisation range yet
 * takes it from this vector (hnsw_insert_batch trains on its whole batch: prefer it for the first
 * vectors, or call hnsw_quant_train). */
int hnsw_insert(hnsw *h, uint64_t label, const float *vec, uint32_t *slot_out, vt_error *err);

/* hnsw_insert_batch: inserts n vectors (n × dim floats, row-major) with labels[i] (labels NULL:
 * label = the slot), in parallel over pool (NULL: on the calling thread). slots_out (may be
 * NULL) receives n slots in input order. Slots and memory are reserved for all n before any
 * linking starts, so VT_ENOMEM / VT_ELIMIT / VT_EINVAL (a non-finite value; the error names the
 * row) come before anything changes and leave the index as it was. */
int hnsw_insert_batch(hnsw *h, vt_pool *pool, size_t n, const uint64_t *labels, const float *vecs,
                      uint32_t *slots_out, vt_error *err);

/* hnsw_delete: marks slot deleted (a tombstone): searches skip it at once, though it keeps
 * routing traffic through the graph until hnsw_vacuum re-links around it. VT_ENOTFOUND when slot
 * holds no live vector (never used, already deleted, or freed). */
int hnsw_delete(hnsw *h, uint32_t slot, vt_error *err);

/* hnsw_update: replaces the vector of live slot by vec, keeping its label: the old slot is
 * deleted and the new vector inserted (usually into another slot), *slot_out (may be NULL)
 * receiving the new slot. Errors as hnsw_insert / hnsw_delete; on error nothing changed. */
int hnsw_update(hnsw *h, uint32_t slot, const float *vec, uint32_t *slot_out, vt_error *err);

/* hnsw_vacuum: repairs the graph around every tombstone — each live node that links to a deleted
 * one gets new neighbours chosen by the heuristic (Algorithm 4) from its live neighbours and the
 * live neighbours of the deleted ones it linked to, or by a fresh search when those are too
 * few — moves the entry point off deleted nodes, then frees the deleted slots for reuse by later
 * inserts (their memory is reused, not returned; hnsw_compact returns it). Work is spread over
 * pool (NULL: the calling thread). Searches run on meanwhile except during the final, short
 * freeing step. Cheap when there is nothing to do. VT_ENOMEM leaves the graph valid (repair is
 * per node) and the tombstones in place. */
int hnsw_vacuum(hnsw *h, vt_pool *pool, vt_error *err);

/* hnsw_compact: vacuums, then moves live vectors down into the freed slots so that the slots are
 * 0 .. count-1, and shrinks the memory to fit. *remap (may be NULL) receives a new array owned by
 * the caller (vt_free) of *n_remap entries: remap[old slot] = new slot, or UINT32_MAX for a slot
 * that held no live vector. Blocks searches for its duration (it renumbers slots). */
int hnsw_compact(hnsw *h, vt_pool *pool, uint32_t **remap, uint32_t *n_remap, vt_error *err);

/* hnsw_quant_train: (int8 only) sets the quantisation range from n sample vectors (n × dim;
 * normalised first for cosine) and re-encodes every stored vector with it. Use before the first
 * inserts when they come one at a time, or when hnsw_stats_get reports many clipped values.
 * VT_EINVAL on a float32 index or n = 0. */
int hnsw_quant_train(hnsw *h, size_t n, const float *vecs, vt_error *err);

/* ---- search ------------------------------------------------------------------------------- */

/* A filter on slots, checked during the traversal (and the exact scan). A slot is allowed when
 * the bitset (if any) has its bit and the callback (if any) returns non-zero. */
typedef int (*hnsw_allow_fn)(void *ctx, uint32_t slot, uint64_t label);

typedef struct hnsw_filter {
    const uint64_t *bits; /* allowed slots: bit (s % 64) of bits[s / 64]; NULL = no bitset */
    uint32_t n_bits;      /* slots the bitset covers; slots ≥ n_bits are not allowed */
    hnsw_allow_fn allow;  /* NULL = no callback; called from the searching thread; must not call the index's writers */
    void *ctx;            /* passed to allow */
    int64_t n_allowed;    /* the caller's estimate of allowed live points, -1 = unknown; with it the search can
                             pick the exact scan of the allowed points when that is cheaper (hnsw_plan_exact) */
} hnsw_filter;

typedef struct hnsw_search_params {
    int k;                     /* results wanted, 1 .. HNSW_MAX_K */
    int ef;                    /* Qdrant's hnsw_ef: beam width on layer 0; max(ef, k) is used; ≤ HNSW_MAX_EF */
    int exact;                 /* Qdrant's exact: 1 = scan every (allowed) live vector with float32 distances */
    const hnsw_filter *filter; /* NULL = all live vectors */
    float oversample;          /* int8: the beam holds at least ceil(k · oversample) candidates, all rescored; 1 .. 100, default 4 */
    int rescore;               /* int8: 1 (default) = rescore with float32; 0 = return the int8 distances */
} hnsw_search_params;

/* hnsw_search_params_default: k 10, ef 64, not exact, no filter, oversample 4, rescore 1. */
hnsw_search_params hnsw_search_params_default(void);

typedef struct hnsw_hit {
    uint32_t slot;  /* where the vector lives */
    float dist;     /* internal distance (dist.h), smaller is closer */
    uint64_t label; /* the label given at insert */
} hnsw_hit;

/* hnsw_search: the k nearest live (and allowed) vectors to query (dim floats; not modified) into
 * hits[0 .. *n_hits), nearest first (ties by slot); *n_hits < k when fewer vectors qualify.
 * hits must hold k entries. Graph search: greedy descent through the upper layers, then a beam of
 * width max(ef, k) on layer 0 (Algorithms 5 and 2 of Malkov & Yashunin); deleted and disallowed
 * nodes are traversed but never returned. With a filter whose n_allowed is known and at least 5 %
 * of the live points, the walk is the unfiltered one with a beam of max(ef · s, k) allowed
 * results (s the allowed share), so ef buys the same work filtered or not; otherwise (n_allowed
 * unknown, or fewer allowed) only allowed nodes are scored, and a node with few allowed
 * neighbours is expanded through its disallowed ones (two hops, as ACORN, Patel et al. 2024), so
 * selective filters keep their recall; with a known n_allowed the search scans the allowed
 * vectors instead when hnsw_plan_exact says so. Approximate: recall depends on ef. Errors:
 * VT_EINVAL (k, ef, oversample out of range, or a non-finite query); VT_ENOMEM. */
int hnsw_search(const hnsw *h, const float *query, const hnsw_search_params *sp, hnsw_hit *hits,
                int *n_hits, vt_error *err);

/* hnsw_search_slots: exact search restricted to the given slots (a planner's list of allowed
 * points): float32 distances to each live slot among slots[0 .. n_slots) (others, and
 * duplicates, are skipped), the k nearest into hits as hnsw_search does. */
int hnsw_search_slots(const hnsw *h, const float *query, int k, const uint32_t *slots,
                      size_t n_slots, hnsw_hit *hits, int *n_hits, vt_error *err);

/* hnsw_plan_exact: 1 when hnsw_search with sp would scan the allowed vectors exactly (sp->exact,
 * or a filter whose n_allowed is small enough that the scan costs less than the filtered
 * traversal, by the cost model in hnsw_search.c), else 0. Cannot fail. */
int hnsw_plan_exact(const hnsw *h, const hnsw_search_params *sp);

/* ---- inspection --------------------------------------------------------------------------- */

/* hnsw_count: live vectors (inserted, not deleted). Cannot fail. */
uint32_t hnsw_count(const hnsw *h);

typedef struct hnsw_stats {
    uint32_t n_live;      /* live vectors */
    uint32_t n_deleted;   /* tombstones waiting for hnsw_vacuum */
    uint32_t n_free;      /* freed slots waiting for reuse */
    uint32_t n_slots;     /* slots in use or freed: the highest slot + 1 */
    uint32_t capacity;    /* slots allocated */
    int max_level;        /* top layer of the graph, -1 when empty */
    size_t ram_bytes;     /* memory the index holds: nodes (links + vectors), upper layers, labels, float32
                             vectors when they are in RAM, scratch — what the process pays for it */
    size_t mapped_bytes;  /* bytes of the memory-mapped float32 vectors file (0 without vectors_path) */
    uint64_t n_clipped;   /* int8: values clipped by the quantisation range since it was set */
    uint64_t n_quantised; /* int8: values quantised since the range was set */
} hnsw_stats;

/* hnsw_stats_get: fills *st. Cannot fail. */
void hnsw_stats_get(const hnsw *h, hnsw_stats *st);

/* Slot states reported by hnsw_slot_info. */
enum hnsw_slot_state {
    HNSW_SLOT_UNUSED = 0, /* beyond n_slots, or freed by a vacuum */
    HNSW_SLOT_LIVE = 1,
    HNSW_SLOT_DELETED = 2 /* a tombstone */
};

/* hnsw_slot_info: the state of slot (enum hnsw_slot_state) and, when not unused, its label in
 * *label (may be NULL). Cannot fail. */
int hnsw_slot_info(const hnsw *h, uint32_t slot, uint64_t *label);

/* hnsw_get_vector: copies the float32 vector stored in slot (normalised, for cosine) to out (dim
 * floats). VT_ENOTFOUND when the slot is unused. */
int hnsw_get_vector(const hnsw *h, uint32_t slot, float *out, vt_error *err);

/* ---- persistence (format: hnsw_io.c, docs/FORMAT.md) ---------------------------------------- */

/* hnsw_save: writes the whole index (parameters, quantisation range, labels, slot states, float32
 * vectors, int8 codes, links) to path, recording seq (the op-log sequence number the index
 * covers, given by the caller) in the header and a 64-bit checksum of all the bytes at the end.
 * Writes path.tmp, fsyncs it and renames it over path (then fsyncs the folder), so path holds
 * either the old or the new file after a crash. Runs beside searches; waits for a writer. */
int hnsw_save(hnsw *h, const char *path, uint64_t seq, vt_error *err);

/* hnsw_load: reads an index written by hnsw_save into a new index (*out, owned by the caller) and
 * its sequence number into *seq (may be NULL). expect (may be NULL) gives the parameters the file
 * must have — dim, metric, m and quant must match, else VT_ECORRUPT ("mismatched") — and the
 * run-time ones used for the loaded index: vectors_path, ef_construct, max_slots. Every byte is
 * checked (checksum first, then every count, level and link against the file's own bounds), so
 * a truncated, corrupt or mismatched file gives VT_ECORRUPT naming path and never a crash; the
 * caller then rebuilds from its store. VT_ENOTFOUND when path does not exist, VT_EIO when it
 * cannot be read; VT_ENOMEM. */
int hnsw_load(const char *path, const hnsw_params *expect, hnsw **out, uint64_t *seq, vt_error *err);

#endif
