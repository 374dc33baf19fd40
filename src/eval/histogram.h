/*
 * histogram.h — score distributions of relevant against irrelevant (query, point) pairs: the
 * separation figure (the AUC, Mann–Whitney) and the histogram figure of both.
 */
#ifndef VT_EVAL_HISTOGRAM_H
#define VT_EVAL_HISTOGRAM_H

#include <stddef.h>

#include "eval/plot.h"

#define EV_SAMPLE_MAX 4000000 /* scores kept per distribution: 16 MB; beyond, adding fails */

/* Two growing lists of scores. Zero-initialise; ev_sample_free releases. */
typedef struct ev_score_sample {
    float *pos, *neg;         /* scores of relevant / irrelevant pairs; vt_malloc'd */
    size_t n_pos, n_neg;
    size_t cap_pos, cap_neg;
} ev_score_sample;

/* ev_sample_add: appends score s to the relevant (is_pos) or irrelevant list. Returns VT_OK,
 * VT_ENOMEM or VT_ELIMIT (past EV_SAMPLE_MAX). */
int ev_sample_add(ev_score_sample *s, int is_pos, float score);
void ev_sample_free(ev_score_sample *s);

/* ev_auc: the probability that a random relevant score beats a random irrelevant one, ties
 * counting one half (the Mann–Whitney U / (n_pos·n_neg)); −1 when either list is empty. Sorts
 * both arrays in place (ascending). O((n_pos + n_neg) log). */
double ev_auc(float *pos, size_t n_pos, float *neg, size_t n_neg);

/* ev_histogram_figure: the two distributions as densities over shared bins (relevant: filled;
 * irrelevant: hatched, so they part in grayscale), with title, axes, legend and the AUC.
 * NULL when out of memory. The caller frees with pl_free. */
pl_canvas *ev_histogram_figure(const char *title, const ev_score_sample *s, double auc);

/* ev_nice_step: a 1-2-5 × 10^k tick step giving about n ticks over span. Cannot fail. */
double ev_nice_step(double span, int n);

#endif
