/*
 * calibrate.c — null-distribution statistics per (query modality, target vector) (calibrate.h).
 *
 * Sampling: one scroll over the collection's ids (no payloads, no vectors) feeds a reservoir of
 * CAL_SAMPLE ids (Algorithm R with a splitmix64 stream); the sample's vectors are then fetched by
 * id. Scores are Qdrant's for the target's distance: cosine/dot as dot products of the stored
 * (normalised for Cosine) vectors, Euclid and Manhattan as distances.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/json.h"
#include "calibrate.h"

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* sample_ids: up to CAL_SAMPLE ids drawn uniformly from the collection into ids (*n of them). */
static int sample_ids(vt_db *db, const char *coll, uint64_t seed, vt_point_id *ids, size_t *n, vt_error *err) {
    vt_scroll_req req = vt_scroll_req_default();
    req.limit = 4096;
    req.with_payload = 0;
    vt_point_id next;
    uint64_t seen = 0, rng = seed;
    *n = 0;
    for (;;) {
        vt_result *r = NULL;
        int rc = vt_points_scroll(db, coll, &req, &r, err);
        if (rc) return rc;
        for (size_t i = 0; i < vt_result_count(r); i++, seen++) {
            if (seen < CAL_SAMPLE) ids[(*n)++] = *vt_result_id(r, i);
            else {
                uint64_t j = splitmix64(&rng) % (seen + 1);
                if (j < CAL_SAMPLE) ids[j] = *vt_result_id(r, i);
            }
        }
        int more = vt_result_next_offset(r, &next);
        vt_result_free(r);
        if (!more) return VT_OK;
        req.offset = &next;
    }
}

static double pair_score(int distance, const float *a, const float *b, uint32_t dim) {
    double s = 0;
    for (uint32_t i = 0; i < dim; i++) {
        double d = (double)a[i] - b[i];
        if (distance == VT_DISTANCE_EUCLID) s += d * d;
        else if (distance == VT_DISTANCE_MANHATTAN) s += fabs(d);
        else s += (double)a[i] * b[i];
    }
    return distance == VT_DISTANCE_EUCLID ? sqrt(s) : s;
}

int cal_compute(vt_db *db, const char *coll, uint64_t seed, cal_stats *st, vt_error *err) {
    memset(st, 0, sizeof *st);
    vt_collection_info info;
    int rc = vt_collection_info_get(db, coll, &info, err);
    if (rc) return rc;
    st->points_count = info.points_count;
    vt_point_id *ids = vt_malloc(CAL_SAMPLE * sizeof *ids);
    if (!ids) return vt_fail(err, VT_ENOMEM, "calibration: out of memory");
    size_t n = 0;
    vt_result *r = NULL;
    if ((rc = sample_ids(db, coll, seed, ids, &n, err)) || (rc = vt_points_get(db, coll, ids, n, 0, 1, &r, err))) {
        vt_free(ids);
        return rc;
    }
    size_t nv = info.n_vectors < CAL_MAX_VECTORS ? info.n_vectors : CAL_MAX_VECTORS;
    size_t np = vt_result_count(r);
    for (size_t q = 0; q < nv; q++)
        for (size_t t = 0; t < nv; t++) {
            const vt_vector_info *qi = &info.vectors[q], *ti = &info.vectors[t];
            if (qi->params.size != ti->params.size) continue;
            double sum = 0, sum2 = 0;
            uint64_t cnt = 0;
            for (size_t a = 0; a < np; a++)
                for (size_t j = 0; j < vt_result_n_vectors(r, a); j++) {
                    const char *na;
                    const float *va;
                    uint32_t da;
                    vt_result_vector(r, a, j, &na, &va, &da);
                    if (strcmp(na, qi->name) != 0) continue;
                    for (size_t b = 0; b < np; b++) {
                        if (b == a) continue;
                        for (size_t k = 0; k < vt_result_n_vectors(r, b); k++) {
                            const char *nb;
                            const float *vb;
                            uint32_t db_;
                            vt_result_vector(r, b, k, &nb, &vb, &db_);
                            if (strcmp(nb, ti->name) != 0) continue;
                            double s = pair_score(ti->params.distance, va, vb, da);
                            sum += s, sum2 += s * s, cnt++;
                        }
                    }
                }
            if (cnt < 2) continue;
            cal_pair *p = &st->pairs[st->n_pairs++];
            snprintf(p->query, sizeof p->query, "%s", qi->name);
            snprintf(p->target, sizeof p->target, "%s", ti->name);
            p->mean = sum / (double)cnt;
            double var = sum2 / (double)cnt - p->mean * p->mean;
            p->sd = var > 0 ? sqrt(var) : 0;
            p->n = cnt;
            p->higher_better = ti->params.distance == VT_DISTANCE_COSINE || ti->params.distance == VT_DISTANCE_DOT;
        }
    vt_result_free(r);
    vt_free(ids);
    return VT_OK;
}

static char *cal_path(const char *data_dir, const char *coll, int make_dir) {
    size_t n = strlen(data_dir) + strlen(coll) + 32;
    char *p = vt_malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s/calibration", data_dir);
    if (make_dir) mkdir(p, 0755);
    snprintf(p, n, "%s/calibration/%s.json", data_dir, coll);
    return p;
}

int cal_save(const char *data_dir, const char *coll, const cal_stats *st, vt_error *err) {
    json_t *pairs = json_array();
    for (size_t i = 0; i < st->n_pairs; i++) {
        const cal_pair *p = &st->pairs[i];
        json_array_append_new(pairs, json_pack("{s:s, s:s, s:f, s:f, s:I}", "query", p->query, "target", p->target,
                                               "mean", p->mean, "sd", p->sd, "n", (json_int_t)p->n));
        json_object_set_new(json_array_get(pairs, json_array_size(pairs) - 1), "higher_better",
                            json_boolean(p->higher_better));
    }
    json_t *root = json_pack("{s:I, s:o}", "points_count", (json_int_t)st->points_count, "pairs", pairs);
    char *path = cal_path(data_dir, coll, 1);
    int rc = VT_OK;
    if (!root || !path) rc = vt_fail(err, VT_ENOMEM, "calibration: out of memory");
    else if (json_dump_file(root, path, JSON_INDENT(1)) != 0)
        rc = vt_fail(err, VT_EIO, "%s: cannot write: %s", path, strerror(errno));
    json_decref(root);
    vt_free(path);
    return rc;
}

int cal_load(const char *data_dir, const char *coll, cal_stats *st, vt_error *err) {
    memset(st, 0, sizeof *st);
    char *path = cal_path(data_dir, coll, 0);
    if (!path) return vt_fail(err, VT_ENOMEM, "calibration: out of memory");
    json_t *root = NULL;
    int rc = vt_json_load_file(path, 1 << 20, &root, err);
    vt_free(path);
    if (rc) return rc;
    st->points_count = (uint64_t)json_integer_value(json_object_get(root, "points_count"));
    json_t *pairs = json_object_get(root, "pairs"), *p;
    size_t i;
    json_array_foreach(pairs, i, p) {
        if (st->n_pairs == sizeof st->pairs / sizeof st->pairs[0]) break;
        cal_pair *c = &st->pairs[st->n_pairs++];
        snprintf(c->query, sizeof c->query, "%s", json_string_value(json_object_get(p, "query")) ?: "");
        snprintf(c->target, sizeof c->target, "%s", json_string_value(json_object_get(p, "target")) ?: "");
        c->mean = json_number_value(json_object_get(p, "mean"));
        c->sd = json_number_value(json_object_get(p, "sd"));
        c->n = (uint64_t)json_integer_value(json_object_get(p, "n"));
        c->higher_better = !json_is_false(json_object_get(p, "higher_better"));
    }
    json_decref(root);
    return VT_OK;
}

int cal_get(vt_db *db, const char *data_dir, const char *coll, cal_stats *st, vt_error *err) {
    vt_collection_info info;
    int rc = vt_collection_info_get(db, coll, &info, err);
    if (rc) return rc;
    vt_error e = {0};
    if (cal_load(data_dir, coll, st, &e) == VT_OK && st->points_count &&
        fabs((double)info.points_count - (double)st->points_count) <= CAL_STALE_FRACTION * (double)st->points_count)
        return VT_OK;
    if ((rc = cal_compute(db, coll, 42, st, err))) return rc;
    vt_error ignore = {0};
    cal_save(data_dir, coll, st, &ignore); /* derived: a failed save only costs a recompute */
    return VT_OK;
}

const cal_pair *cal_find(const cal_stats *st, const char *query, const char *target) {
    for (size_t i = 0; i < st->n_pairs; i++)
        if (!strcmp(st->pairs[i].query, query) && !strcmp(st->pairs[i].target, target)) return &st->pairs[i];
    return NULL;
}

double cal_score(const cal_pair *p, double raw) {
    if (!p || p->sd <= 0) return raw;
    return p->higher_better ? (raw - p->mean) / p->sd : (p->mean - raw) / p->sd;
}
