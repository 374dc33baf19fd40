/*
 * tsne.h — Barnes-Hut t-SNE: a 2-D map of high-dimensional vectors that keeps neighbours
 * together (van der Maaten, "Accelerating t-SNE using Tree-Based Algorithms", JMLR 15, 2014).
 *
 * Deterministic for a seed: the random start comes from the seed alone, the work split across
 * threads writes per-point results that are then summed in a fixed order, so the same input and
 * options give bit-identical coordinates whatever the number of threads.
 */
#ifndef VT_EVAL_TSNE_H
#define VT_EVAL_TSNE_H

#include <stddef.h>
#include <stdint.h>

#include "vitrine.h"

#define EV_TSNE_MAX_POINTS 20000 /* exact kNN is O(n²·dim): 20,000 × 64-d is a few seconds */

typedef struct ev_tsne_opts {
    double perplexity;      /* effective neighbours (30); clamped to (n − 1) / 3 */
    int iterations;         /* gradient steps (1000) */
    uint64_t seed;          /* the random start (1) */
    double theta;           /* Barnes-Hut accuracy: a cell is one body when half-width/distance < theta (0.5) */
    double exaggeration;    /* early exaggeration of P (12) ... */
    int exaggeration_iters; /* ... for this many first steps (250), with momentum 0.5, then 0.8 */
    double learning_rate;   /* 0: max(200, n / 12) (Belkina et al. 2019; bhtsne's 200 for small n) */
    int threads;            /* workers for the kNN and the forces; 0: all CPUs (result unchanged) */
} ev_tsne_opts;

/* ev_tsne_opts_default: the defaults above. Cannot fail. */
ev_tsne_opts ev_tsne_opts_default(void);

/* ev_tsne: the map of the n vectors x[i·dim .. (i+1)·dim) into y[2i], y[2i+1] (caller's array of
 * 2n doubles). 2 ≤ n ≤ EV_TSNE_MAX_POINTS (VT_ELIMIT beyond), dim ≥ 1, finite inputs.
 * Returns VT_OK, VT_EINVAL, VT_ELIMIT or VT_ENOMEM. */
int ev_tsne(const float *x, size_t n, size_t dim, const ev_tsne_opts *opts, double *y, vt_error *err);

#endif
