/*
 * quant.c — int8 scalar quantisation with per-dimension ranges (formulas in quant.h).
 *
 * Training sorts nothing: the two clipping points of a dimension are order statistics of its
 * sample column, found by quickselect [Hoare, "Algorithm 65: Find", CACM 1961] with a
 * median-of-three pivot, O(rows) on average per dimension.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "base/alloc.h"
#include "vitrine.h"
#include "index/quant.h"

int quant_init(quant_i8 *q, uint32_t dim) {
    memset(q, 0, sizeof *q);
    q->dim = dim;
    q->offset = vt_calloc(dim, sizeof(float));
    q->scale = vt_malloc((size_t)dim * sizeof(float));
    if (!q->offset || !q->scale) {
        quant_fini(q);
        return VT_ENOMEM;
    }
    for (uint32_t i = 0; i < dim; i++) q->scale[i] = 1.0f;
    return VT_OK;
}

void quant_fini(quant_i8 *q) {
    vt_free(q->offset);
    vt_free(q->scale);
    q->offset = q->scale = NULL;
    q->is_trained = 0;
}

size_t quant_sample_rows(size_t n, uint32_t dim) {
    size_t rows = QUANT_SAMPLE_VALUES / (dim ? dim : 1);
    if (rows < QUANT_MIN_ROWS) rows = QUANT_MIN_ROWS;
    return n < rows ? n : rows;
}

/* select_kth: rearranges x[0 .. n) so that x[k] is the k-th smallest and returns it (Wirth's
 * FIND, "Algorithms + Data Structures = Programs", 1976). n > k. */
static float select_kth(float *x, size_t n, size_t k) {
    ptrdiff_t l = 0, r = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (l < r) {
        float pivot = x[kk];
        ptrdiff_t i = l, j = r;
        do {
            while (x[i] < pivot) i++;
            while (pivot < x[j]) j--;
            if (i <= j) {
                float t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk) l = i;
        if (kk < i) r = j;
    }
    return x[kk];
}

void quant_train(quant_i8 *q, const float *rows, size_t n_rows, float quantile, float *scratch) {
    if (!(quantile > 0.5f) || quantile > 1.0f) quantile = 1.0f;
    for (uint32_t d = 0; d < q->dim; d++) {
        size_t n = 0;
        for (size_t r = 0; r < n_rows; r++) {
            float v = rows[r * q->dim + d];
            if (isfinite(v)) scratch[n++] = v;
        }
        float lo = 0.0f, hi = 0.0f;
        if (n > 0) {
            size_t klo = (size_t)((1.0 - quantile) / 2.0 * (double)(n - 1) + 0.5), khi = (n - 1) - klo;
            lo = select_kth(scratch, n, klo);
            hi = select_kth(scratch, n, khi);
        }
        if (!(hi > lo)) {
            float c = lo, w = fmaxf(fabsf(c), 1.0f) * 1e-3f;
            lo = c - w;
            hi = c + w;
        }
        q->offset[d] = 0.5f * (lo + hi);
        q->scale[d] = (hi - lo) / 254.0f;
    }
    q->is_trained = 1;
}

float quant_encode(const quant_i8 *q, const float *x, int8_t *codes, uint64_t *n_clipped) {
    double c = 0.0;
    uint64_t clipped = 0;
    for (uint32_t i = 0; i < q->dim; i++) {
        float t = (x[i] - q->offset[i]) / q->scale[i];
        int v;
        if (t >= 127.0f) {
            v = 127;
            clipped += t > 127.5f;
        } else if (t <= -127.0f) {
            v = -127;
            clipped += t < -127.5f;
        } else {
            v = (int)lrintf(t);
        }
        codes[i] = (int8_t)v;
        double sv = (double)q->scale[i] * v;
        c += sv * sv;
    }
    if (n_clipped) *n_clipped += clipped;
    return (float)c;
}

void quant_decode(const quant_i8 *q, const int8_t *codes, float *x) {
    for (uint32_t i = 0; i < q->dim; i++) x[i] = q->offset[i] + q->scale[i] * (float)codes[i];
}

void quant_prepare_query(const quant_i8 *q, int metric, const float *y, quant_query *qq) {
    double cq = 0.0;
    float wmax = 0.0f;
    /* the weights in float first, into t when there is one, else computed twice (cheap) */
    for (uint32_t i = 0; i < q->dim; i++) {
        float w;
        if (metric == DIST_EUCLID || metric == DIST_MANHATTAN) {
            double t = (double)y[i] - q->offset[i];
            cq += t * t;
            w = q->scale[i] * (float)t;
            if (qq->t) qq->t[i] = (float)t;
        } else {
            cq += (double)q->offset[i] * y[i];
            w = q->scale[i] * y[i];
        }
        if (fabsf(w) > wmax) wmax = fabsf(w);
    }
    qq->cq = (float)cq;
    if (metric == DIST_MANHATTAN) {
        qq->u = 0.0f;
        qq->cq = 0.0f;
        return;
    }
    float u = wmax > 0.0f ? wmax / 32767.0f : 1.0f, inv = 1.0f / u;
    for (uint32_t i = 0; i < q->dim; i++) {
        float w = metric == DIST_EUCLID ? q->scale[i] * (y[i] - q->offset[i]) : q->scale[i] * y[i];
        long v = lrintf(w * inv);
        qq->wq[i] = (int16_t)(v > 32767 ? 32767 : v < -32767 ? -32767 : v);
    }
    qq->u = u;
}
