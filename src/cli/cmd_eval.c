/*
 * cmd_eval.c — `vitrine eval --data DIR --collection NAME --queries FILE`: retrieval quality per
 * direction (text→image, image→text, …) against known relevant points.
 *
 *   query lines (JSONL): {"id": "q1", "text": "…" | "image": "path or URL", "using": "image",
 *                         "relevant": [ids…] | "relevant_filter": <Qdrant filter>}
 *   --k K            cut-off of precision, recall and nDCG (10); MRR looks at the top --depth (100)
 *   --out FILE       the metrics as JSON (also printed with --json)
 *   --failures FILE  one JSON line per query with no relevant result in its top k, per direction
 *   --plots DIR      per direction, DIR/<query>_to_<vector>.png and .svg: histograms of the
 *                    scores of relevant vs irrelevant pairs (src/eval/histogram.c)
 *   --model DIR, --text-model DIR   as for search
 * Image paths are relative to the query file's folder; http(s) URLs are downloaded. The default
 * vector searched is "image" for a text and "text" for an image; "using" picks another. A
 * direction is named "<query modality>-><vector>" ("text->image"). Output:
 *   {"k": K, "directions": {"text->image": {"precision@k": …, "recall@k": …, "mrr": …,
 *    "ndcg@k": …, "queries": N, "auc": A, "relevant_pairs": P, "irrelevant_pairs": Q}, …}}
 * "auc" separates the cosine scores of each query against its relevant points (up to 1000) from
 * those against 500 random irrelevant points (src/eval/pairs.c): the chance that a relevant pair
 * scores above an irrelevant one (Mann–Whitney; null when either set is empty).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/json.h"
#include "cli.h"
#include "eval/histogram.h"
#include "eval/metrics.h"
#include "eval/pairs.h"

#define CMD "eval"
#define MAX_DIRECTIONS 16

static int parse_id(const json_t *v, vt_point_id *out, vt_error *err) {
    char buf[32];
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return vt_point_id_parse(buf, strlen(buf), out, err);
    }
    if (json_is_string(v)) return vt_point_id_parse(json_string_value(v), json_string_length(v), out, err);
    return vt_fail(err, VT_EINVAL, "an id must be an unsigned integer or a UUID string");
}

static ev_direction *direction(ev_direction *dirs, size_t *n, const char *name) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(dirs[i].name, name)) return &dirs[i];
    if (*n == MAX_DIRECTIONS) return NULL;
    ev_direction *d = &dirs[(*n)++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    return d;
}

int cmd_eval(int argc, char **argv) {
    const char *data = NULL, *coll = NULL, *queries = NULL, *out_path = NULL, *fail_path = NULL, *model_dir = NULL,
               *text_model = NULL, *plots = NULL;
    int k = 10, depth = 100, json = 0;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = cli_flag_value(argc, argv, &i, "--data"))) data = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--collection"))) coll = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--queries"))) queries = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--out"))) out_path = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--failures"))) fail_path = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--plots"))) plots = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--text-model"))) text_model = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--k"))) k = cli_int("--k", v, 1, 10000);
        else if ((v = cli_flag_value(argc, argv, &i, "--depth"))) depth = cli_int("--depth", v, 1, 10000);
        else if (!strcmp(argv[i], "--json")) json = 1;
        else return cli_usage_error(CMD, "unknown argument \"%s\"", argv[i]);
    }
    if (!data || !coll || !queries) return cli_usage_error(CMD, "--data, --collection and --queries are required");
    if (depth < k) depth = k;
    vt_model_opts mo = vt_model_opts_default();
    vt_model *clip, *st;
    if (cli_open_models(model_dir, text_model, &mo, &clip, &st)) return 1;
    vt_error err = {0};
    vt_db *db = NULL;
    vt_db_opts dbo = vt_db_opts_default();
    FILE *qf = NULL, *ff = NULL;
    char *base = NULL, *line = NULL;
    float *vec = NULL;
    ev_direction dirs[MAX_DIRECTIONS];
    ev_score_sample pairs[MAX_DIRECTIONS] = {{0}};
    vt_point_id *all = NULL; /* every point id: the pool of irrelevant pairs */
    uint64_t rng = 1;
    size_t n_dirs = 0, lineno = 0, cap = 0, n_all = 0;
    int rc = vt_db_open(data, &dbo, &db, &err);
    if (!rc && !(qf = fopen(queries, "r"))) rc = vt_fail(&err, VT_ENOTFOUND, "%s: cannot open the query file", queries);
    if (!rc && fail_path && !(ff = fopen(fail_path, "w"))) rc = vt_fail(&err, VT_EIO, "%s: cannot write", fail_path);
    if (!rc) {
        const char *slash = strrchr(queries, '/');
        size_t bl = slash ? (size_t)(slash - queries) : 1;
        base = vt_malloc(bl + 1);
        vec = vt_malloc(65536 * sizeof(float));
        if (!base || !vec) rc = vt_fail(&err, VT_ENOMEM, "eval: out of memory");
        else {
            memcpy(base, slash ? queries : ".", bl);
            base[bl] = '\0';
        }
    }
    ssize_t len;
    while (!rc && (len = getline(&line, &cap, qf)) >= 0) {
        lineno++;
        size_t sp = strspn(line, " \t\r\n");
        if ((ssize_t)sp == len) continue;
        char where[600];
        snprintf(where, sizeof where, "%s:%zu", queries, lineno);
        json_t *q = NULL;
        if ((rc = vt_json_parse(line, (size_t)len, where, &q, &err))) break;
        const char *text = json_string_value(json_object_get(q, "text"));
        const char *image = json_string_value(json_object_get(q, "image"));
        const char *using = json_string_value(json_object_get(q, "using"));
        json_t *rel = json_object_get(q, "relevant"), *relf = json_object_get(q, "relevant_filter");
        if (!json_is_object(q) || (!text == !image))
            rc = vt_fail(&err, VT_EINVAL, "%s: a query needs exactly one of \"text\" and \"image\"", where);
        else if (!json_is_array(rel) && !json_is_object(relf))
            rc = vt_fail(&err, VT_EINVAL, "%s: a query needs \"relevant\" (ids) or \"relevant_filter\"", where);
        if (!using) using = text ? "image" : "text";
        vt_model *m = text && !strcmp(using, "text_st") ? st : clip;
        if (!rc && !m) rc = vt_fail(&err, VT_EINVAL, "%s: searching \"text_st\" needs --text-model DIR", where);
        /* the relevant ids */
        vt_point_id *rel_ids = NULL;
        size_t n_rel = 0;
        if (!rc && json_is_array(rel)) {
            rel_ids = vt_malloc((json_array_size(rel) + 1) * sizeof *rel_ids);
            if (!rel_ids) rc = vt_fail(&err, VT_ENOMEM, "eval: out of memory");
            for (size_t i = 0; !rc && i < json_array_size(rel); i++) {
                vt_error ie = {0};
                if (parse_id(json_array_get(rel, i), &rel_ids[n_rel++], &ie))
                    rc = vt_fail(&err, VT_EINVAL, "%s: relevant[%zu]: %s", where, i, ie.message);
            }
        } else if (!rc) {
            char *f = json_dumps(relf, JSON_COMPACT);
            rc = f ? vt_points_ids(db, coll, f, &rel_ids, &n_rel, &err) : vt_fail(&err, VT_ENOMEM, "out of memory");
            vt_free(f);
        }
        /* the query */
        int dim = m ? vt_model_dim(m) : 0;
        if (!rc) rc = text ? vt_embed_texts(m, &text, 1, vec, &err) : cli_embed_image_ref(m, base, image, vec, &err);
        vt_result *r = NULL;
        if (!rc) {
            vt_search_req req = vt_search_req_default();
            req.using = using;
            req.vector = vec;
            req.dim = (uint32_t)dim;
            req.limit = (size_t)depth;
            rc = vt_points_search(db, coll, &req, &r, &err);
        }
        if (!rc) {
            size_t n = vt_result_count(r);
            vt_point_id *ranked = vt_malloc((n ? n : 1) * sizeof *ranked);
            char dname[64];
            snprintf(dname, sizeof dname, "%s->%s", text ? "text" : "image", using);
            ev_direction *d = direction(dirs, &n_dirs, dname);
            if (!ranked || !d) rc = vt_fail(&err, VT_ELIMIT, "eval: out of memory or more than %d directions", MAX_DIRECTIONS);
            for (size_t i = 0; !rc && i < n; i++) ranked[i] = *vt_result_id(r, i);
            if (!rc) {
                ev_scores s = ev_score_list(ranked, n, rel_ids, n_rel, (size_t)k);
                ev_direction_add(d, &s);
                if (!all) rc = vt_points_ids(db, coll, NULL, &all, &n_all, &err);
                if (!rc)
                    rc = ev_pair_scores(db, coll, using, vec, (uint32_t)dim, rel_ids, n_rel, all, n_all, EV_PAIRS_NEG, &rng,
                                        &pairs[d - dirs], &err);
                if (ff && s.precision == 0) {
                    json_t *top = json_array();
                    for (size_t i = 0; i < n && i < (size_t)k; i++) {
                        char idb[VT_POINT_ID_BUF];
                        vt_point_id_format(&ranked[i], idb);
                        json_array_append_new(top, ranked[i].is_uuid ? json_string(idb) : json_integer((json_int_t)ranked[i].num));
                    }
                    json_t *fl = json_pack("{s:s, s:O?, s:s, s:o, s:f}", "direction", dname, "id", json_object_get(q, "id"),
                                           "query", text ? text : image, "top", top, "mrr", s.mrr);
                    char *fs = json_dumps(fl, JSON_COMPACT);
                    fprintf(ff, "%s\n", fs);
                    vt_free(fs);
                    json_decref(fl);
                }
            }
            vt_free(ranked);
        }
        vt_result_free(r);
        vt_free(rel_ids);
        json_decref(q);
    }
    double auc[MAX_DIRECTIONS];
    if (!rc && plots && mkdir(plots, 0755) != 0 && errno != EEXIST) rc = vt_fail(&err, VT_EIO, "%s: cannot create", plots);
    for (size_t i = 0; !rc && i < n_dirs; i++) {
        ev_score_sample *ps = &pairs[i];
        if (plots) {
            char title[128], path[4096], *arrow = strstr(dirs[i].name, "->");
            snprintf(title, sizeof title, "%.*s \u2192 %s: scores of relevant vs irrelevant pairs", (int)(arrow - dirs[i].name),
                     dirs[i].name, arrow + 2);
            pl_canvas *fig = ev_histogram_figure(title, ps, ev_auc(ps->pos, ps->n_pos, ps->neg, ps->n_neg));
            if (!fig) rc = vt_fail(&err, VT_ENOMEM, "eval: out of memory");
            snprintf(path, sizeof path, "%s/%.*s_to_%s.png", plots, (int)(arrow - dirs[i].name), dirs[i].name, arrow + 2);
            if (!rc) rc = pl_write_png(fig, path, &err);
            memcpy(path + strlen(path) - 3, "svg", 3);
            if (!rc) rc = pl_write_svg(fig, path, &err);
            pl_free(fig);
        }
        auc[i] = ev_auc(ps->pos, ps->n_pos, ps->neg, ps->n_neg);
    }
    if (!rc) {
        json_t *dj = json_object();
        for (size_t i = 0; i < n_dirs; i++) {
            ev_scores mn = ev_direction_mean(&dirs[i]);
            json_object_set_new(dj, dirs[i].name,
                                json_pack("{s:f, s:f, s:f, s:f, s:I, s:o, s:I, s:I}", "precision@k", mn.precision, "recall@k",
                                          mn.recall, "mrr", mn.mrr, "ndcg@k", mn.ndcg, "queries", (json_int_t)dirs[i].queries,
                                          "auc", auc[i] >= 0 ? json_real(auc[i]) : json_null(), "relevant_pairs",
                                          (json_int_t)pairs[i].n_pos, "irrelevant_pairs", (json_int_t)pairs[i].n_neg));
        }
        json_t *res = json_pack("{s:i, s:o}", "k", k, "directions", dj);
        char *s = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(6));
        if (json) printf("%s\n", s);
        else {
            printf("%-16s %7s %12s %12s %8s %9s %7s\n", "direction", "queries", "precision@k", "recall@k", "mrr", "ndcg@k",
                   "auc");
            for (size_t i = 0; i < n_dirs; i++) {
                ev_scores mn = ev_direction_mean(&dirs[i]);
                printf("%-16s %7zu %12.4f %12.4f %8.4f %9.4f %7.4f\n", dirs[i].name, dirs[i].queries, mn.precision, mn.recall,
                       mn.mrr, mn.ndcg, auc[i]);
            }
            printf("(k = %d)\n", k);
        }
        if (out_path && json_dump_file(res, out_path, JSON_INDENT(1)) != 0)
            rc = vt_fail(&err, VT_EIO, "%s: cannot write", out_path);
        vt_free(s);
        json_decref(res);
    }
    if (rc) fprintf(stderr, "vitrine eval: %s\n", err.message[0] ? err.message : vt_errstr(rc));
    free(line);
    if (qf) fclose(qf);
    if (ff) fclose(ff);
    vt_free(base);
    vt_free(vec);
    vt_free(all);
    for (size_t i = 0; i < MAX_DIRECTIONS; i++) ev_sample_free(&pairs[i]);
    vt_db_close(db);
    vt_model_close(st);
    vt_model_close(clip);
    return rc ? 1 : 0;
}
