/*
 * quant.h — int8 scalar quantisation of float32 vectors (Qdrant's "scalar" quantisation, type
 * int8, with `quantile`), used by the HNSW index to keep its hot data 4× smaller.
 *
 * One range [lo_i, hi_i] per dimension, trained from a sample of rows: the values outside the
 * central `quantile` of the dimension's sample are clipped (0.99 drops 0.5 % at each end), so
 * a few outliers do not stretch the step. Per-dimension ranges matter for embeddings, whose
 * spectrum falls off (a few dimensions carry most of the variance): one global range either
 * clips those or leaves the quiet dimensions a handful of steps (measured on the aniso set,
 * 20k × 128: recall@10 0.81 with one global range and rescoring, 0.99+ with per-dimension ones).
 * A value x_i becomes
 *
 *     p_i = clamp(round((x_i - o_i) / s_i), -127, 127),  o_i = (lo_i + hi_i) / 2,
 *                                                        s_i = (hi_i - lo_i) / 254,
 *
 * read back as o_i + s_i · p_i. Distances are asymmetric [Jégou, Douze & Schmid, "Product
 * quantization for nearest neighbor search", TPAMI 2011, §3.2]: the query y stays exact and is
 * folded into one weight per dimension, w_i = s_i · y_i (dot, cosine) or s_i · (y_i - o_i)
 * (Euclid); the weights are rounded to int16 with one scale u per query (15 bits: an error
 * 256× below an int8 query's), and the hot loop is one exact int16 × int8 dot product
 * (vpdpwssd with AVX512-VNNI):
 *
 *     x·y     ≈ c_q + u · Σ wq_i p_i,          c_q = Σ o_i y_i
 *     |x-y|²  ≈ c_x - 2 u · Σ wq_i p_i + c_q,  c_q = Σ (y_i - o_i)²,  c_x = Σ s_i² p_i² (stored)
 *     |x-y|₁  ≈ Σ |s_i p_i - (y_i - o_i)|      (a float kernel over the codes)
 *
 * c_x, "the correction", is a float stored after each vector's codes.
 */
#ifndef VT_INDEX_QUANT_H
#define VT_INDEX_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "index/dist.h"

/* QUANT_SAMPLE_VALUES: quant_train samples about this many values (rows × dim), at least
 * QUANT_MIN_ROWS rows: 2^22 values are 16 MB of scratch, and 8k rows at dim 512 fix a 0.99
 * quantile to a few tenths of a percent of rank. */
#define QUANT_SAMPLE_VALUES (1u << 22)
#define QUANT_MIN_ROWS 256

typedef struct quant_i8 {
    uint32_t dim;   /* values per vector */
    float *offset;  /* dim offsets o_i (vt_malloc'd) */
    float *scale;   /* dim steps s_i > 0 */
    int is_trained; /* 0 until quant_train or quant_set_range */
} quant_i8;

/* The query prepared for quant_dist_query: weights in int16 and the per-query constants. */
typedef struct quant_query {
    int16_t *wq; /* dim weights (caller's buffer) */
    float *t;    /* Manhattan only: y_i - o_i (caller's buffer, dim floats); NULL otherwise */
    float u;     /* scale of the weights */
    float cq;    /* the constant c_q of the metric */
} quant_query;

/* quant_init: allocates the per-dimension arrays (untrained). VT_ENOMEM; quant_fini releases. */
int quant_init(quant_i8 *q, uint32_t dim);
void quant_fini(quant_i8 *q);

/* quant_sample_rows: how many rows quant_train should see out of n. */
size_t quant_sample_rows(size_t n, uint32_t dim);

/* quant_train: sets the ranges from rows[0 .. n_rows) (n_rows × dim, row-major), each dimension
 * clipped to its central `quantile` (in (0.5, 1]; 1 = min .. max). Non-finite values are
 * ignored. A degenerate dimension (all values equal, or none) gets value ± max(|value|, 1)·1e-3.
 * scratch holds n_rows floats. Cannot fail. */
void quant_train(quant_i8 *q, const float *rows, size_t n_rows, float quantile, float *scratch);

/* quant_encode: encodes x (dim values) into codes[0 .. dim) and returns the correction c_x.
 * *n_clipped (may be NULL) is increased by the values that fell outside their range. */
float quant_encode(const quant_i8 *q, const float *x, int8_t *codes, uint64_t *n_clipped);

/* quant_decode: writes o_i + s_i · codes[i] to x[0 .. dim). Cannot fail. */
void quant_decode(const quant_i8 *q, const int8_t *codes, float *x);

/* quant_prepare_query: fills qq (whose wq, and t for Manhattan, the caller provides) for the
 * exact query y (normalised already for cosine). Cannot fail. */
void quant_prepare_query(const quant_i8 *q, int metric, const float *y, quant_query *qq);

/* quant_dist_query: the internal distance (dist.h) under metric between the prepared query and
 * an encoded vector (codes, correction), with kernels k. Cannot fail. */
static inline float quant_dist_query(const quant_i8 *q, const dist_kernels *k, int metric,
                                     const quant_query *qq, const int8_t *codes, float cx) {
    switch (metric) {
    case DIST_COSINE: return 1.0f - (qq->cq + qq->u * (float)k->dot_i16i8(qq->wq, codes, q->dim));
    case DIST_DOT: return -(qq->cq + qq->u * (float)k->dot_i16i8(qq->wq, codes, q->dim));
    case DIST_EUCLID: return cx + qq->cq - 2.0f * qq->u * (float)k->dot_i16i8(qq->wq, codes, q->dim);
    default: return k->l1_f32i8(q->scale, qq->t, codes, q->dim);
    }
}

#endif
