/*
 * cmd_report.c — `vitrine report --data DIR --collection NAME --queries FILE --out report.html`:
 * one self-contained HTML page to look at the results with: the metrics table, the score
 * histograms, the embedding map, and every query with its top k results (thumbnail, score,
 * caption, relevant or not), the mismatches highlighted.
 *
 *   --k K              results shown and cut-off of the metrics (10)
 *   --media-root DIR   where the payload "image" paths of the results are (default: the query
 *                      file's folder, as for the query images)
 *   --color-by FIELD   colour the map by this payload field (default: by modality)
 *   --map-sample N     points on the map (2000); --no-map leaves it out
 *   --model DIR, --text-model DIR, --title T
 *
 * The query file is eval's (cmd_eval.c). The metrics and histograms come from running `eval`
 * with --plots, the map from running `map`, both into a temporary folder that is removed after;
 * the page embeds the histograms as inline SVG and the map and thumbnails as base64 data URIs,
 * so it needs nothing beside it. Everything that comes from payloads, queries or file names is
 * HTML-escaped (src/eval/report.c).
 */
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "cli.h"
#include "eval/metrics.h"
#include "eval/report.h"

#define CMD "report"
#define MAX_IMAGE_BYTES ((size_t)32 << 20)

static const char *CSS =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222}"
    "h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}"
    "table.metrics{border-collapse:collapse}table.metrics td,table.metrics th{border:1px solid #bbb;padding:4px 10px;"
    "text-align:right}table.metrics th:first-child,table.metrics td:first-child{text-align:left}"
    ".figs{display:flex;flex-wrap:wrap;gap:12px}.figs svg{max-width:100%;height:auto;border:1px solid #ddd}"
    "img.map{max-width:100%;border:1px solid #ddd}"
    "section.query{border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:12px 0}"
    "section.query.miss{border-color:#c92a2a;background:#fff5f5}"
    "section.query h3{font-size:15px;margin:4px 0 8px}.qimg{display:flex;align-items:center;gap:10px;margin-bottom:6px}"
    ".qimg img,.hit img{width:96px;height:96px;object-fit:contain;image-rendering:pixelated;background:#f4f4f4}"
    ".grid{display:flex;flex-wrap:wrap;gap:8px}"
    ".hit{width:120px;margin:0;padding:4px;border:3px solid #2b8a3e;border-radius:4px;font-size:11px}"
    ".hit.bad{border-color:#c92a2a;background:#ffe3e3}.hit .mark{font-weight:bold}"
    ".hit.ok .mark{color:#2b8a3e}.hit.bad .mark{color:#c92a2a}.noimg{width:96px;height:96px;display:flex;"
    "align-items:center;justify-content:center;background:#eee;color:#888;font-size:10px;text-align:center}"
    ".badge{font-size:12px;padding:1px 6px;border-radius:8px;background:#c92a2a;color:#fff;margin-left:6px}";

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int parse_id(const json_t *v, vt_point_id *out) {
    char buf[32];
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return vt_point_id_parse(buf, strlen(buf), out, NULL);
    }
    if (json_is_string(v)) return vt_point_id_parse(json_string_value(v), json_string_length(v), out, NULL);
    return VT_EINVAL;
}

/* image_tag: an <img> of the image file ref (relative to base unless absolute), or a grey box
 * saying why there is none. */
static void image_tag(FILE *f, const char *base, const char *ref, const char *alt) {
    if (!ref) {
        fputs("<div class=\"noimg\">no image</div>", f);
        return;
    }
    if (!strncmp(ref, "http://", 7) || !strncmp(ref, "https://", 8)) {
        fputs("<div class=\"noimg\">remote image<br>", f);
        ev_html_text(f, ref);
        fputs("</div>", f);
        return;
    }
    char *path = ref[0] == '/' ? NULL : vt_path_join(base, ref);
    uint8_t *bytes = NULL, *th = NULL;
    size_t len = 0, tlen = 0;
    const char *mime = NULL;
    vt_error err = {0};
    int rc = vt_file_read(path ? path : ref, MAX_IMAGE_BYTES, &bytes, &len, &err);
    if (!rc) rc = ev_thumbnail(bytes, len, ref, &th, &tlen, &mime, &err);
    if (rc) {
        fputs("<div class=\"noimg\">", f);
        ev_html_text(f, err.message);
        fputs("</div>", f);
    } else {
        fputs("<img alt=\"", f);
        ev_html_text(f, alt);
        fputs("\" src=\"", f);
        ev_data_uri(f, mime, th, tlen);
        fputs("\">", f);
    }
    vt_free(th);
    vt_free(bytes);
    vt_free(path);
}

/* relevant_marks: is_rel[i] = 1 for the results (ids[0..n)) the query counts as relevant. */
static int relevant_marks(vt_db *db, const char *coll, const json_t *q, const vt_point_id *ids, size_t n, uint8_t *is_rel,
                          vt_error *err) {
    json_t *rel = json_object_get(q, "relevant"), *relf = json_object_get(q, "relevant_filter");
    memset(is_rel, 0, n);
    if (json_is_array(rel)) {
        size_t k;
        json_t *v;
        json_array_foreach(rel, k, v) {
            vt_point_id id;
            if (parse_id(v, &id)) continue;
            for (size_t i = 0; i < n; i++)
                if (vt_point_id_cmp(&id, &ids[i]) == 0) is_rel[i] = 1;
        }
        return VT_OK;
    }
    if (!json_is_object(relf) || !n) return VT_OK;
    /* the results that match the filter: {"must": [relevant_filter, {"has_id": [result ids]}]} */
    json_t *has = json_array();
    for (size_t i = 0; i < n; i++) {
        char b[VT_POINT_ID_BUF];
        vt_point_id_format(&ids[i], b);
        json_array_append_new(has, ids[i].is_uuid ? json_string(b) : json_integer((json_int_t)ids[i].num));
    }
    json_t *f = json_pack("{s:[O, {s:o}]}", "must", relf, "has_id", has);
    char *fs = f ? json_dumps(f, JSON_COMPACT) : NULL;
    json_decref(f);
    if (!fs) return vt_fail(err, VT_ENOMEM, "report: out of memory");
    vt_scroll_req req = vt_scroll_req_default();
    req.filter_json = fs;
    req.limit = n;
    req.with_payload = 0;
    vt_result *r = NULL;
    int rc = vt_points_scroll(db, coll, &req, &r, err);
    for (size_t j = 0; !rc && j < vt_result_count(r); j++)
        for (size_t i = 0; i < n; i++)
            if (vt_point_id_cmp(vt_result_id(r, j), &ids[i]) == 0) is_rel[i] = 1;
    vt_result_free(r);
    vt_free(fs);
    return rc;
}

/* inline_file: copies the file at path into f (for the SVG figures); 0 if it was there. */
static int inline_file(FILE *f, const char *path) {
    uint8_t *d = NULL;
    size_t len = 0;
    if (vt_file_read(path, (size_t)64 << 20, &d, &len, NULL)) return -1;
    fwrite(d, 1, len, f);
    vt_free(d);
    return 0;
}

int cmd_report(int argc, char **argv) {
    const char *data = NULL, *coll = NULL, *queries = NULL, *out_path = NULL, *media = NULL, *model_dir = NULL,
               *text_model = NULL, *color_by = NULL, *title = NULL, *k_arg = "10", *map_sample = "2000";
    int k = 10, no_map = 0;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = cli_flag_value(argc, argv, &i, "--data"))) data = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--collection"))) coll = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--queries"))) queries = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--out"))) out_path = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--media-root"))) media = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--text-model"))) text_model = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--color-by"))) color_by = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--title"))) title = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--k"))) k = cli_int("--k", v, 1, 1000), k_arg = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--map-sample"))) cli_int("--map-sample", v, 2, 20000), map_sample = v;
        else if (!strcmp(argv[i], "--no-map")) no_map = 1;
        else return cli_usage_error(CMD, "unknown argument \"%s\"", argv[i]);
    }
    if (!data || !coll || !queries || !out_path)
        return cli_usage_error(CMD, "--data, --collection, --queries and --out are required");
    char tmp[] = "/tmp/vitrine-report-XXXXXX", plots[64], evj[64], mapp[64], path[4096];
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "vitrine report: cannot create a temporary folder: %s\n", strerror(errno));
        return 1;
    }
    snprintf(plots, sizeof plots, "%s/plots", tmp);
    snprintf(evj, sizeof evj, "%s/eval.json", tmp);
    snprintf(mapp, sizeof mapp, "%s/map", tmp);
    /* 1. metrics and histograms: eval itself */
    {
        char *av[20];
        int n = 0;
        const char *pairs[][2] = {{"--data", data}, {"--collection", coll}, {"--queries", queries}, {"--k", k_arg},
                                  {"--plots", plots}, {"--out", evj}, {"--model", model_dir}, {"--text-model", text_model}};
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
            if (pairs[i][1]) av[n++] = (char *)pairs[i][0], av[n++] = (char *)pairs[i][1];
        if (cmd_eval(n, av) != 0) {
            fprintf(stderr, "vitrine report: the metrics failed (above)\n");
            nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
            return 1;
        }
    }
    /* 2. the map: map itself (a failure leaves the map out) */
    int has_map = 0;
    if (!no_map) {
        char *av[16];
        int n = 0;
        const char *pairs[][2] = {{"--data", data}, {"--collection", coll}, {"--out", mapp}, {"--sample", map_sample},
                                  {"--color-by", color_by}};
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
            if (pairs[i][1]) av[n++] = (char *)pairs[i][0], av[n++] = (char *)pairs[i][1];
        has_map = cmd_map(n, av) == 0;
        if (!has_map) fprintf(stderr, "vitrine report: going on without the map\n");
    }
    /* 3. the page */
    vt_error err = {0};
    vt_model_opts mo = vt_model_opts_default();
    vt_model *clip, *st;
    int models_bad = cli_open_models(model_dir, text_model, &mo, &clip, &st);
    vt_db *db = NULL;
    vt_db_opts dbo = vt_db_opts_default();
    json_t *ev = NULL;
    FILE *qf = NULL, *f = NULL;
    char *base = NULL, *line = NULL;
    float *vec = vt_malloc(65536 * sizeof(float));
    vt_point_id *ids = vt_malloc((size_t)k * sizeof *ids);
    uint8_t *is_rel = vt_malloc((size_t)k);
    size_t cap = 0, lineno = 0, n_queries = 0, n_miss = 0;
    int rc = models_bad ? VT_EINVAL : VT_OK;
    if (!rc && (!vec || !ids || !is_rel)) rc = vt_fail(&err, VT_ENOMEM, "report: out of memory");
    if (!rc) rc = vt_json_load_file(evj, (size_t)16 << 20, &ev, &err);
    if (!rc) rc = vt_db_open(data, &dbo, &db, &err);
    if (!rc && !(qf = fopen(queries, "r"))) rc = vt_fail(&err, VT_ENOTFOUND, "%s: cannot open the query file", queries);
    if (!rc && !(f = fopen(out_path, "w"))) rc = vt_fail(&err, VT_EIO, "%s: cannot write", out_path);
    if (!rc) {
        const char *slash = strrchr(queries, '/');
        size_t bl = slash ? (size_t)(slash - queries) : 1;
        if (!(base = vt_malloc(bl + 1))) rc = vt_fail(&err, VT_ENOMEM, "report: out of memory");
        else {
            memcpy(base, slash ? queries : ".", bl);
            base[bl] = '\0';
        }
    }
    if (!media) media = base;
    if (!rc) {
        vt_collection_info info;
        uint64_t points = vt_collection_info_get(db, coll, &info, NULL) == VT_OK ? info.points_count : 0;
        time_t now = time(NULL);
        char when[64];
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
        fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
        ev_html_text(f, title ? title : "vitrine results");
        fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", CSS);
        ev_html_text(f, title ? title : "vitrine results");
        fprintf(f, "</h1>\n<p>Collection <b>");
        ev_html_text(f, coll);
        fprintf(f, "</b> (%llu points), queries <code>", (unsigned long long)points);
        ev_html_text(f, queries);
        fprintf(f, "</code>, top %d, %s.</p>\n", k, when);
        /* the metrics table */
        fprintf(f, "<h2>Metrics</h2>\n<table class=\"metrics\">\n<tr><th>direction</th><th>queries</th><th>precision@%d</th>"
                   "<th>recall@%d</th><th>MRR</th><th>nDCG@%d</th><th>AUC</th></tr>\n", k, k, k);
        const char *dname;
        json_t *d;
        json_object_foreach(json_object_get(ev, "directions"), dname, d) {
            fprintf(f, "<tr><td>");
            ev_html_text(f, dname);
            fprintf(f, "</td><td>%lld</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>",
                    (long long)json_integer_value(json_object_get(d, "queries")),
                    json_number_value(json_object_get(d, "precision@k")), json_number_value(json_object_get(d, "recall@k")),
                    json_number_value(json_object_get(d, "mrr")), json_number_value(json_object_get(d, "ndcg@k")));
            if (json_is_number(json_object_get(d, "auc"))) fprintf(f, "%.3f", json_number_value(json_object_get(d, "auc")));
            else fprintf(f, "n/a");
            fprintf(f, "</td></tr>\n");
        }
        fprintf(f, "</table>\n<p>AUC: the chance that a query scores one of its relevant points above a random "
                   "irrelevant one.</p>\n<h2>Score distributions</h2>\n<div class=\"figs\">\n");
        json_object_foreach(json_object_get(ev, "directions"), dname, d) {
            const char *arrow = strstr(dname, "->");
            if (!arrow) continue;
            snprintf(path, sizeof path, "%s/%.*s_to_%s.svg", plots, (int)(arrow - dname), dname, arrow + 2);
            inline_file(f, path);
        }
        fprintf(f, "</div>\n");
        if (has_map) {
            uint8_t *png = NULL;
            size_t plen = 0;
            snprintf(path, sizeof path, "%s.png", mapp);
            if (!vt_file_read(path, (size_t)64 << 20, &png, &plen, NULL)) {
                fprintf(f, "<h2>Embedding map</h2>\n<img class=\"map\" alt=\"t-SNE map\" src=\"");
                ev_data_uri(f, "image/png", png, plen);
                fprintf(f, "\">\n");
            }
            vt_free(png);
        }
        fprintf(f, "<h2>Queries</h2>\n<p>Green: relevant; <span style=\"color:#c92a2a\">red: irrelevant</span>. "
                   "Queries with an irrelevant result in the top %d are outlined in red.</p>\n", k);
    }
    ssize_t len;
    while (!rc && (len = getline(&line, &cap, qf)) >= 0) {
        lineno++;
        if ((ssize_t)strspn(line, " \t\r\n") == len) continue;
        char where[600];
        snprintf(where, sizeof where, "%s:%zu", queries, lineno);
        json_t *q = NULL;
        if ((rc = vt_json_parse(line, (size_t)len, where, &q, &err))) break;
        const char *text = json_string_value(json_object_get(q, "text"));
        const char *image = json_string_value(json_object_get(q, "image"));
        const char *using = json_string_value(json_object_get(q, "using"));
        if (!using) using = text ? "image" : "text";
        vt_model *m = text && !strcmp(using, "text_st") ? st : clip;
        if (!m) rc = vt_fail(&err, VT_EINVAL, "%s: searching \"text_st\" needs --text-model DIR", where);
        if (!rc) rc = text ? vt_embed_texts(m, &text, 1, vec, &err) : cli_embed_image_ref(m, base, image ? image : "", vec, &err);
        vt_result *r = NULL;
        if (!rc) {
            vt_search_req req = vt_search_req_default();
            req.using = using;
            req.vector = vec;
            req.dim = (uint32_t)vt_model_dim(m);
            req.limit = (size_t)k;
            req.with_payload = 1;
            rc = vt_points_search(db, coll, &req, &r, &err);
        }
        size_t n = r ? vt_result_count(r) : 0, good = 0;
        for (size_t i = 0; i < n; i++) ids[i] = *vt_result_id(r, i);
        if (!rc) rc = relevant_marks(db, coll, q, ids, n, is_rel, &err);
        if (!rc) {
            for (size_t i = 0; i < n; i++) good += is_rel[i];
            int miss = good < n;
            n_queries++;
            n_miss += miss;
            fprintf(f, "<section class=\"query%s\">\n<h3>", miss ? " miss" : "");
            const char *qid = json_string_value(json_object_get(q, "id"));
            char idb[32];
            if (!qid && json_is_integer(json_object_get(q, "id"))) {
                snprintf(idb, sizeof idb, "%lld", (long long)json_integer_value(json_object_get(q, "id")));
                qid = idb;
            }
            ev_html_text(f, qid ? qid : "");
            fprintf(f, " &middot; %s &rarr; ", text ? "text" : "image");
            ev_html_text(f, using);
            fprintf(f, " &middot; %zu of %zu relevant", good, n);
            if (miss) fprintf(f, "<span class=\"badge\">%zu mismatch%s</span>", n - good, n - good == 1 ? "" : "es");
            fprintf(f, "</h3>\n<div class=\"qimg\">");
            if (text) {
                fprintf(f, "<span class=\"qtext\">&ldquo;");
                ev_html_text(f, text);
                fprintf(f, "&rdquo;</span>");
            } else {
                image_tag(f, base, image, image);
                ev_html_text(f, image);
            }
            fprintf(f, "</div>\n<div class=\"grid\">\n");
            for (size_t i = 0; i < n; i++) {
                json_t *p = json_loads(vt_result_payload(r, i) ? vt_result_payload(r, i) : "{}", 0, NULL);
                const char *cap_s = json_string_value(json_object_get(p, "caption"));
                const char *img = json_string_value(json_object_get(p, "image"));
                char pid[VT_POINT_ID_BUF];
                vt_point_id_format(&ids[i], pid);
                char *pj = p ? json_dumps(p, JSON_COMPACT) : NULL;
                fprintf(f, "<figure class=\"hit %s\" title=\"", is_rel[i] ? "ok" : "bad");
                ev_html_text(f, pj ? pj : "");
                fprintf(f, "\">");
                image_tag(f, media, img, cap_s ? cap_s : pid);
                fprintf(f, "<figcaption><span class=\"mark\">%s</span> %zu &middot; %.3f<br>",
                        is_rel[i] ? "&#10003; relevant" : "&#10007; irrelevant", i + 1, (double)vt_result_score(r, i));
                ev_html_text(f, cap_s ? cap_s : pid);
                fprintf(f, "</figcaption></figure>\n");
                vt_free(pj);
                json_decref(p);
            }
            fprintf(f, "</div>\n</section>\n");
        }
        vt_result_free(r);
        json_decref(q);
    }
    if (!rc) {
        fprintf(f, "<p>%zu queries, %zu with a mismatch in the top %d.</p>\n</body>\n</html>\n", n_queries, n_miss, k);
        if (fclose(f) != 0) rc = vt_fail(&err, VT_EIO, "%s: cannot write", out_path);
        f = NULL;
        if (!rc) printf("vitrine report: wrote %s (%zu queries, %zu with mismatches)\n", out_path, n_queries, n_miss);
    }
    if (rc) fprintf(stderr, "vitrine report: %s\n", err.message[0] ? err.message : vt_errstr(rc));
    if (f) fclose(f);
    if (qf) fclose(qf);
    free(line);
    json_decref(ev);
    vt_db_close(db);
    vt_model_close(st);
    vt_model_close(clip);
    vt_free(base);
    vt_free(vec);
    vt_free(ids);
    vt_free(is_rel);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc ? 1 : 0;
}
