/*
 * pairs.h — the scores of (query, point) pairs that the histograms and the AUC are made of: the
 * query against its relevant points (positives) and against points drawn at random that are not
 * relevant (negatives, an unbiased sample of what the query must rank below).
 */
#ifndef VT_EVAL_PAIRS_H
#define VT_EVAL_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "eval/histogram.h"
#include "vitrine.h"

#define EV_PAIRS_MAX_POS 1000 /* relevant points scored per query (evenly strided beyond): a class
                                 of 7,000 Fashion-MNIST items needs no more for a histogram */
#define EV_PAIRS_NEG 500      /* random irrelevant points scored per query */

/* ev_pair_scores: adds to s the cosine similarity of the query q (dim floats) with the `using`
 * vector of each relevant point rel[0..n_rel) (at most EV_PAIRS_MAX_POS of them) as positives,
 * and with n_neg points drawn with replacement from all[0..n_all) by the generator *rng, those
 * not relevant, as negatives. Points lacking the vector are skipped. Returns VT_OK or the error
 * of the read (err names it) or VT_ENOMEM / VT_ELIMIT from the sample. */
int ev_pair_scores(vt_db *db, const char *coll, const char *using, const float *q, uint32_t dim, const vt_point_id *rel,
                   size_t n_rel, const vt_point_id *all, size_t n_all, size_t n_neg, uint64_t *rng, ev_score_sample *s,
                   vt_error *err);

#endif
