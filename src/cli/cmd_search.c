/*
 * cmd_search.c — `vitrine search (--data DIR | --url URL) --collection NAME (--text T | --image P)...`:
 * cross-modal retrieval from the command line.
 *
 *   --text T      a text query; searches the vector "image" (text→image) unless --using
 *   --image P     an image query; searches "text" (image→text) unless --using
 *   --using V     the vector searched by every query ("image", "text", "text_st"); text→text and
 *                 image→image are --using text / --using image
 *   --filter JSON a Qdrant filter;  --limit K (10);  --exact;  --ef N
 *   --fusion M    with several queries: rrf (default), dbsf, weighted (late fusion; weighted adds
 *                 calibrated scores), mean (early fusion: the average of the normalised query
 *                 embeddings, one search); --weights 1,0.5 one per query (rrf, dbsf, weighted)
 *   --calibrated  scores as standard scores under the collection's null distribution (calibrate.h)
 *   --model DIR / --text-model DIR   the CLIP model (default shipped) / sentence-transformers
 *                 model for "text_st"
 *   --json        the result as Qdrant's QueryResponse result: {"points":[ScoredPoint…]}
 *   --api-key K   with --url
 * Without --json, a table: rank, score, id, caption, image.
 */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "cli.h"
#include "query/calibrate.h"
#include "query/fusion.h"

#define CMD "search"
#define MAX_QUERIES 16

typedef struct query {
    int is_image;
    const char *input;
    const char *space;  /* the stored vector standing for the query's modality (calibration) */
    const char *target; /* the vector searched */
    float *vec;
    int dim;
} query;

/* One list of results, best first, with what printing needs. */
typedef struct hits {
    size_t n;
    fusion_hit *h;
    uint64_t *version;
    char **payload; /* JSON object text or NULL; vt_malloc'd */
} hits;

static void hits_free(hits *l) {
    for (size_t i = 0; i < l->n; i++) vt_free(l->payload[i]);
    vt_free(l->h);
    vt_free(l->version);
    vt_free(l->payload);
    memset(l, 0, sizeof *l);
}

static int hits_alloc(hits *l, size_t n) {
    l->n = n;
    l->h = vt_calloc(n ? n : 1, sizeof *l->h);
    l->version = vt_calloc(n ? n : 1, sizeof *l->version);
    l->payload = vt_calloc(n ? n : 1, sizeof *l->payload);
    return l->h && l->version && l->payload;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = vt_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- searching: in-process ---- */

typedef struct target {
    vt_db *db;
    const char *url, *api_key, *coll, *filter;
    size_t limit;
    int exact;
    uint32_t ef;
} target;

static int search_local(const target *t, const query *q, size_t limit, hits *out, vt_error *err) {
    vt_search_req r = vt_search_req_default();
    r.using = q->target;
    r.vector = q->vec;
    r.dim = (uint32_t)q->dim;
    r.limit = limit;
    r.filter_json = t->filter;
    r.exact = t->exact;
    r.hnsw_ef = t->ef;
    r.with_payload = 1;
    vt_result *res = NULL;
    int rc = vt_points_search(t->db, t->coll, &r, &res, err);
    if (rc) return rc;
    size_t n = vt_result_count(res);
    if (!hits_alloc(out, n)) rc = vt_fail(err, VT_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        out->h[i].id = *vt_result_id(res, i);
        out->h[i].score = vt_result_score(res, i);
        out->version[i] = vt_result_version(res, i);
        const char *p = vt_result_payload(res, i);
        if (p && !(out->payload[i] = dup_str(p))) rc = vt_fail(err, VT_ENOMEM, "out of memory");
    }
    vt_result_free(res);
    return rc;
}

/* ---- searching: through the REST API (POST /collections/{c}/points/query) ---- */

typedef struct buf {
    char *d;
    size_t n;
} buf;

static size_t on_body(char *p, size_t s, size_t n, void *ctx) {
    buf *b = ctx;
    char *d = realloc(b->d, b->n + s * n + 1);
    if (!d) return 0;
    memcpy(d + b->n, p, s * n);
    b->d = d;
    b->n += s * n;
    d[b->n] = '\0';
    return s * n;
}

static int search_remote(const target *t, const query *q, size_t limit, hits *out, vt_error *err) {
    json_t *vec = json_array();
    for (int i = 0; i < q->dim; i++) json_array_append_new(vec, json_real(vt_json_f32(q->vec[i])));
    json_t *req = json_pack("{s:o, s:s, s:I, s:b}", "query", vec, "using", q->target, "limit", (json_int_t)limit,
                            "with_payload", 1);
    if (t->filter) {
        json_t *f = NULL;
        vt_error fe = {0};
        if (vt_json_parse(t->filter, strlen(t->filter), "--filter", &f, &fe) != VT_OK) {
            json_decref(req);
            return vt_fail(err, VT_EINVAL, "%s", fe.message);
        }
        json_object_set_new(req, "filter", f);
    }
    if (t->exact || t->ef)
        json_object_set_new(req, "params", json_pack("{s:b, s:I}", "exact", t->exact, "hnsw_ef", (json_int_t)t->ef));
    char *body = vt_json_dump(req, NULL);
    json_decref(req);
    char *esc = curl_easy_escape(NULL, t->coll, 0);
    char url[2048], key[600];
    snprintf(url, sizeof url, "%s/collections/%s/points/query", t->url, esc ? esc : "");
    curl_free(esc);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (t->api_key) {
        snprintf(key, sizeof key, "api-key: %s", t->api_key);
        h = curl_slist_append(h, key);
    }
    buf b = {NULL, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    vt_free(body);
    int rc = VT_OK;
    json_error_t je;
    json_t *ans = b.d ? json_loadb(b.d, b.n, 0, &je) : NULL;
    if (cc != CURLE_OK) rc = vt_fail(err, VT_EIO, "%s: %s", url, curl_easy_strerror(cc));
    else if (status != 200) {
        const char *why = json_string_value(json_object_get(json_object_get(ans, "status"), "error"));
        rc = vt_fail(err, VT_EIO, "%s: HTTP %ld: %s", url, status, why ? why : (b.d ? b.d : ""));
    }
    json_t *pts = json_object_get(json_object_get(ans, "result"), "points");
    if (!rc && !json_is_array(pts)) rc = vt_fail(err, VT_EIO, "%s: the answer has no result.points", url);
    if (!rc && !hits_alloc(out, json_array_size(pts))) rc = vt_fail(err, VT_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < out->n; i++) {
        json_t *p = json_array_get(pts, i), *id = json_object_get(p, "id");
        char tmp[32];
        const char *ids = json_is_string(id) ? json_string_value(id)
                                             : (snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(id)), tmp);
        if (vt_point_id_parse(ids, strlen(ids), &out->h[i].id, err)) rc = VT_EIO;
        out->h[i].score = (float)json_number_value(json_object_get(p, "score"));
        out->version[i] = (uint64_t)json_integer_value(json_object_get(p, "version"));
        json_t *pl = json_object_get(p, "payload");
        if (pl && !(out->payload[i] = json_dumps(pl, JSON_COMPACT))) rc = vt_fail(err, VT_ENOMEM, "out of memory");
    }
    json_decref(ans);
    free(b.d);
    return rc;
}

static int run_search(const target *t, const query *q, size_t limit, hits *out, vt_error *err) {
    return t->db ? search_local(t, q, limit, out, err) : search_remote(t, q, limit, out, err);
}

/* ---- output ---- */

static void print_json(const hits *l, const fusion_hit *order, size_t n, const hits *lists) {
    printf("{\"points\":[");
    for (size_t i = 0; i < n; i++) {
        const fusion_hit *h = &order[i];
        const hits *src = lists ? &lists[h->list] : l;
        size_t at = lists ? h->rank : i;
        char id[VT_POINT_ID_BUF];
        vt_point_id_format(&h->id, id);
        printf(i ? ",{\"id\":" : "{\"id\":");
        printf(h->id.is_uuid ? "\"%s\"" : "%s", id);
        printf(",\"version\":%llu,\"score\":%.9g", (unsigned long long)src->version[at], (double)h->score);
        if (src->payload[at]) printf(",\"payload\":%s", src->payload[at]);
        printf("}");
    }
    printf("]}\n");
}

static void print_table(const fusion_hit *order, size_t n, const hits *lists, const hits *single) {
    printf("%-4s %-9s %-38s %-40s %s\n", "rank", "score", "id", "caption", "image");
    for (size_t i = 0; i < n; i++) {
        const fusion_hit *h = &order[i];
        const hits *src = lists ? &lists[h->list] : single;
        size_t at = lists ? h->rank : i;
        char id[VT_POINT_ID_BUF];
        vt_point_id_format(&h->id, id);
        json_t *p = src->payload[at] ? json_loads(src->payload[at], 0, NULL) : NULL;
        const char *cap = json_string_value(json_object_get(p, "caption"));
        const char *img = json_string_value(json_object_get(p, "image"));
        char capbuf[41];
        snprintf(capbuf, sizeof capbuf, "%s", cap ? cap : "-");
        printf("%-4zu %-9.4f %-38s %-40s %s\n", i + 1, (double)h->score, id, capbuf, img ? img : "-");
        json_decref(p);
    }
}

/* ---- embedding the queries ---- */

static int embed_query(vt_model *clip, vt_model *st, query *q, vt_error *err) {
    vt_model *m = !q->is_image && !strcmp(q->target, "text_st") ? st : clip;
    if (!m) return vt_fail(err, VT_EINVAL, "searching \"text_st\" needs --text-model DIR");
    if (q->is_image && !vt_model_has_image(m))
        return vt_fail(err, VT_EINVAL, "vector \"%s\" holds texts: an image query cannot search it", q->target);
    q->dim = vt_model_dim(m);
    q->vec = vt_malloc((size_t)q->dim * sizeof(float));
    if (!q->vec) return vt_fail(err, VT_ENOMEM, "out of memory");
    q->space = q->is_image ? "image" : (m == st ? "text_st" : "text");
    return q->is_image ? vt_embed_image_files(m, &q->input, 1, q->vec, err) : vt_embed_texts(m, &q->input, 1, q->vec, err);
}

int cmd_search(int argc, char **argv) {
    const char *data = NULL, *using = NULL, *fusion = NULL, *weights_s = NULL, *model_dir = NULL, *text_model = NULL;
    target t = {0};
    t.limit = 10;
    int json = 0, calibrated = 0;
    query qs[MAX_QUERIES];
    size_t nq = 0;
    memset(qs, 0, sizeof qs);
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = cli_flag_value(argc, argv, &i, "--data"))) data = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--url"))) t.url = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--api-key"))) t.api_key = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--collection"))) t.coll = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--text")) || (v = cli_flag_value(argc, argv, &i, "--image"))) {
            if (nq == MAX_QUERIES) return cli_usage_error(CMD, "at most %d queries", MAX_QUERIES);
            qs[nq].is_image = !strcmp(argv[i - 1], "--image");
            qs[nq++].input = v;
        } else if ((v = cli_flag_value(argc, argv, &i, "--using"))) using = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--filter"))) t.filter = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--limit"))) t.limit = (size_t)cli_int("--limit", v, 1, 10000);
        else if ((v = cli_flag_value(argc, argv, &i, "--ef"))) t.ef = (uint32_t)cli_int("--ef", v, 1, 100000);
        else if ((v = cli_flag_value(argc, argv, &i, "--fusion"))) fusion = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--weights"))) weights_s = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--text-model"))) text_model = v;
        else if (!strcmp(argv[i], "--exact")) t.exact = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--calibrated")) calibrated = 1;
        else return cli_usage_error(CMD, "unknown argument \"%s\"", argv[i]);
    }
    if (!data == !t.url) return cli_usage_error(CMD, "give exactly one of --data DIR and --url URL");
    if (!t.coll) return cli_usage_error(CMD, "--collection is required");
    if (t.url && strncmp(t.url, "http://", 7) != 0 && strncmp(t.url, "https://", 8) != 0)
        return cli_usage_error(CMD, "--url %s: must start with http:// or https://", t.url);
    if (nq == 0) return cli_usage_error(CMD, "give at least one --text or --image query");
    int early = fusion && !strcmp(fusion, "mean");
    fusion_method fm = fusion && !early ? fusion_parse(fusion) : FUSION_RRF;
    if (!fm) return cli_usage_error(CMD, "--fusion must be rrf, dbsf, weighted or mean, not \"%s\"", fusion);
    if (calibrated && !data) return cli_usage_error(CMD, "--calibrated needs --data (the statistics live with the data)");
    if (fm == FUSION_WEIGHTED && !early) calibrated = 1; /* weighted fusion adds calibrated scores */
    double weights[MAX_QUERIES];
    for (size_t i = 0; i < nq; i++) weights[i] = 1.0;
    if (weights_s) {
        const char *p = weights_s;
        for (size_t i = 0; i < nq; i++) {
            char *end;
            weights[i] = strtod(p, &end);
            if (end == p || (i + 1 < nq && *end != ',') || (i + 1 == nq && *end)) {
                return cli_usage_error(CMD, "--weights needs %zu comma-separated numbers, one per query", nq);
            }
            p = end + 1;
        }
    }
    for (size_t i = 0; i < nq; i++) qs[i].target = using ? using : qs[i].is_image ? "text" : "image";

    vt_model_opts mo = vt_model_opts_default();
    vt_model *clip, *st;
    if (cli_open_models(model_dir, text_model, &mo, &clip, &st)) return 1;
    vt_error err = {0};
    int rc = VT_OK;
    if (data) {
        vt_db_opts o = vt_db_opts_default();
        rc = vt_db_open(data, &o, &t.db, &err);
    }
    for (size_t i = 0; i < nq && !rc; i++) rc = embed_query(clip, st, &qs[i], &err);
    if (!rc && early) {
        for (size_t i = 1; i < nq && !rc; i++)
            if (qs[i].dim != qs[0].dim || strcmp(qs[i].target, qs[0].target))
                rc = vt_fail(&err, VT_EINVAL,
                             "--fusion mean averages embeddings of one space: give --using and queries of one model");
        for (int d = 0; d < qs[0].dim && !rc; d++) {
            double s = 0;
            for (size_t i = 0; i < nq; i++) s += weights[i] * qs[i].vec[d];
            qs[0].vec[d] = (float)s;
        }
        double norm = 0;
        for (int d = 0; d < qs[0].dim; d++) norm += (double)qs[0].vec[d] * qs[0].vec[d];
        for (int d = 0; d < qs[0].dim && norm > 0; d++) qs[0].vec[d] = (float)(qs[0].vec[d] / sqrt(norm));
    }
    size_t n_search = early ? 1 : nq;
    hits lists[MAX_QUERIES];
    memset(lists, 0, sizeof lists);
    cal_stats *cal = calibrated ? vt_malloc(sizeof *cal) : NULL;
    if (!rc && calibrated && !cal) rc = vt_fail(&err, VT_ENOMEM, "out of memory");
    if (!rc && calibrated) rc = cal_get(t.db, data, t.coll, cal, &err);
    size_t fetch = nq > 1 && !early ? t.limit * 2 : t.limit;
    for (size_t i = 0; i < n_search && !rc; i++) {
        rc = run_search(&t, &qs[i], fetch, &lists[i], &err);
        if (!rc && calibrated) {
            const cal_pair *p = cal_find(cal, qs[i].space, qs[i].target);
            for (size_t j = 0; j < lists[i].n; j++) lists[i].h[j].score = (float)cal_score(p, lists[i].h[j].score);
        }
    }
    if (!rc) {
        if (n_search == 1) {
            if (json) print_json(&lists[0], lists[0].h, lists[0].n, NULL);
            else print_table(lists[0].h, lists[0].n, NULL, &lists[0]);
        } else {
            fusion_list fl[MAX_QUERIES];
            for (size_t i = 0; i < n_search; i++) fl[i] = (fusion_list){lists[i].h, lists[i].n};
            fusion_hit *fused = NULL;
            size_t nf = 0;
            rc = fusion_run(fm, fl, n_search, weights, 0, &fused, &nf, &err);
            if (!rc) {
                if (nf > t.limit) nf = t.limit;
                if (json) print_json(NULL, fused, nf, lists);
                else print_table(fused, nf, lists, NULL);
            }
            vt_free(fused);
        }
    }
    if (rc) fprintf(stderr, "vitrine search: %s\n", err.message[0] ? err.message : vt_errstr(rc));
    for (size_t i = 0; i < nq; i++) {
        vt_free(qs[i].vec);
        hits_free(&lists[i]);
    }
    vt_free(cal);
    vt_db_close(t.db);
    vt_model_close(st);
    vt_model_close(clip);
    return rc ? 1 : 0;
}
