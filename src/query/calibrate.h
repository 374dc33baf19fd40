/*
 * calibrate.h — making scores comparable across modalities.
 *
 * CLIP's cosine between a text and an image lives around 0.2–0.35 while two images score 0.5–0.9,
 * so a raw text→image 0.31 and an image→image 0.62 cannot be compared or added. For each pair
 * (query modality, target vector) we estimate the *null* distribution — the scores of random,
 * unrelated pairs in this collection: up to CAL_SAMPLE points are drawn uniformly (reservoir over
 * the ids) and every query-modality vector of the sample is scored against every target vector of
 * the sample except its own point. The calibrated score is the standard score under that null,
 *     z = (s − μ_null) / σ_null,
 * "how many deviations above what an unrelated pair scores": 0 is chance, 3 is a strong match, in
 * any modality. Weighted fusion of calibrated lists is then meaningful.
 *
 * The statistics are derived data, kept in DIR/calibration/<collection>.json with the points
 * count they were sampled at; ingest refreshes them at its end, and a search recomputes them when
 * the collection has grown or shrunk by more than CAL_STALE_FRACTION since.
 */
#ifndef VT_QUERY_CALIBRATE_H
#define VT_QUERY_CALIBRATE_H

#include <stdint.h>

#include "base/error.h"
#include "vitrine.h"

#define CAL_SAMPLE 512
#define CAL_STALE_FRACTION 0.2
#define CAL_MAX_VECTORS 8

typedef struct cal_pair {
    char query[VT_MAX_NAME_LEN + 1];  /* the stored vector that stands for the query modality */
    char target[VT_MAX_NAME_LEN + 1]; /* the searched vector */
    double mean, sd;
    uint64_t n;       /* pairs sampled */
    int higher_better; /* 1 for Cosine/Dot scores, 0 for Euclid/Manhattan distances */
} cal_pair;

typedef struct cal_stats {
    uint64_t points_count; /* when sampled */
    size_t n_pairs;
    cal_pair pairs[CAL_MAX_VECTORS * CAL_MAX_VECTORS];
} cal_stats;

/* cal_compute: samples the collection and fills *st for every ordered pair of its vectors of one
 * size (e.g. CLIP's "image" and "text"; "text_st" with itself). seed makes it repeatable. */
int cal_compute(vt_db *db, const char *collection, uint64_t seed, cal_stats *st, vt_error *err);

/* cal_save / cal_load: DIR/calibration/<collection>.json. cal_load: VT_ENOTFOUND when absent. */
int cal_save(const char *data_dir, const char *collection, const cal_stats *st, vt_error *err);
int cal_load(const char *data_dir, const char *collection, cal_stats *st, vt_error *err);

/* cal_get: the stored stats, recomputed and saved when missing or stale. */
int cal_get(vt_db *db, const char *data_dir, const char *collection, cal_stats *st, vt_error *err);

/* cal_find: the pair (query, target), or NULL. */
const cal_pair *cal_find(const cal_stats *st, const char *query, const char *target);

/* cal_score: the standard score of raw under the pair, signed so that higher is better for every
 * distance (raw when p is NULL or sd is 0). */
double cal_score(const cal_pair *p, double raw);

#endif
