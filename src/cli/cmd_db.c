/*
 * cmd_db.c — `vitrine db SUB --data DIR --collection NAME …`: the database without the server.
 *
 *   create   --size N --distance D | --vector NAME:SIZE:DISTANCE ... [--m M] [--ef-construct E]
 *            [--full-scan-threshold KB] [--quantization int8]
 *   info     one JSON object (points, op id, per-vector config, counts and memory, and the field
 *            indexes as Qdrant's payload_schema: {"KEY":{"data_type":"keyword","points":N}})
 *   index    --field KEY --type keyword|integer|float|bool|uuid|datetime|text|JSON  (create)
 *            --field KEY --delete                   {"result":true,"operation_id":N}
 *   list     {"collections":[{"name":…}]}            (no --collection)
 *   drop     {"result":true|false}
 *   upsert   --file points.jsonl [--batch N]        lines {"id":…,"vector":…,"payload":…}
 *   get      --ids 1,2,uuid [--with-vector] [--no-payload]
 *   delete   --ids … | --filter JSON
 *   scroll   [--filter JSON] [--limit N] [--offset ID] [--order-by KEY [--desc]] [--with-vector]
 *   count    [--filter JSON]                         {"count": N}
 *   search   --vector '[…]' [--using NAME] [--limit K] [--offset N] [--filter JSON] [--ef N]
 *            [--exact] [--score-threshold S] [--with-vector] [--no-payload]
 *   snapshot --out FILE;  restore --from FILE       (restore creates --collection)
 *
 * Every result is one JSON document on stdout; errors are one line on stderr, exit 1 (2 for
 * usage). Output shapes follow Qdrant (Record, ScoredPoint with version, next_page_offset).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "cli.h"
#include "db/pointjson.h"

#define CMD "db"
#define MAX_LINE_BYTES (64u << 20) /* one JSONL point: 64 MiB covers 65536-dim vectors in text */

typedef struct dbargs {
    const char *sub, *data, *coll, *file, *ids, *filter, *vector, *using, *offset, *order_by,
        *out, *from, *distance, *quant, *field, *ftype;
    const char *vec_specs[VT_MAX_NAMED_VECTORS];
    int n_vec_specs;
    int size, limit, off_n, ef, exact, desc, with_vector, no_payload, batch, m, ef_construct,
        fst, has_thr, del;
    float thr;
} dbargs;

static int fail(const dbargs *a, const vt_error *err) {
    fprintf(stderr, "vitrine db %s: %s\n", a->sub, err->message[0] ? err->message : vt_errstr(err->code));
    return 1;
}

static void print_id(const vt_point_id *id) {
    char buf[VT_POINT_ID_BUF];
    vt_point_id_format(id, buf);
    if (id->is_uuid) printf("\"%s\"", buf);
    else printf("%s", buf);
}

/* print_points: the result set as Qdrant records (scored adds version and score). */
static void print_points(const vt_result *r, int scored) {
    printf("[");
    for (size_t i = 0; i < vt_result_count(r); i++) {
        printf(i ? ",{\"id\":" : "{\"id\":");
        print_id(vt_result_id(r, i));
        if (scored) printf(",\"version\":%llu,\"score\":%.9g", (unsigned long long)vt_result_version(r, i), (double)vt_result_score(r, i));
        if (vt_result_payload(r, i)) printf(",\"payload\":%s", vt_result_payload(r, i));
        size_t nv = vt_result_n_vectors(r, i);
        if (nv) {
            const char *nm;
            const float *d;
            uint32_t dim;
            int unnamed = nv == 1 && vt_result_vector(r, i, 0, &nm, &d, &dim) == VT_OK && !*nm;
            printf(",\"vector\":%s", unnamed ? "" : "{");
            for (size_t j = 0; j < nv; j++) {
                vt_result_vector(r, i, j, &nm, &d, &dim);
                if (!unnamed) {
                    if (j) printf(",");
                    cli_print_json_string(stdout, nm, strlen(nm));
                    printf(":");
                }
                printf("[");
                for (uint32_t k = 0; k < dim; k++) printf(k ? ",%.9g" : "%.9g", (double)d[k]);
                printf("]");
            }
            if (!unnamed) printf("}");
        }
        printf("}");
    }
    printf("]");
}

/* parse_ids: "1,2,uuid" into a new array (vt_free). */
static int parse_ids(const dbargs *a, vt_point_id **ids, size_t *n) {
    size_t cap = 1;
    for (const char *p = a->ids; *p; p++) cap += *p == ',';
    *ids = vt_calloc(cap, sizeof **ids);
    *n = 0;
    if (!*ids) return 1;
    for (const char *p = a->ids; *p;) {
        size_t len = strcspn(p, ",");
        vt_error err = {0};
        if (vt_point_id_parse(p, len, &(*ids)[(*n)++], &err) != VT_OK) {
            fprintf(stderr, "vitrine db %s: --ids: %s\n", a->sub, err.message);
            vt_free(*ids);
            return 1;
        }
        p += len + (p[len] == ',');
    }
    return 0;
}

/* parse_vector: a JSON array of numbers into a new float array (vt_free). */
static float *parse_vector(const dbargs *a, uint32_t *dim) {
    json_t *j;
    vt_error err = {0};
    if (vt_json_parse(a->vector, strlen(a->vector), "--vector", &j, &err) != VT_OK) {
        fail(a, &err);
        return NULL;
    }
    float *v = NULL;
    size_t n = json_is_array(j) ? json_array_size(j) : 0;
    if (n == 0 || n > VT_MAX_DIM) {
        fprintf(stderr, "vitrine db %s: --vector must be a JSON array of 1..%d numbers\n", a->sub, VT_MAX_DIM);
    } else if ((v = vt_malloc(n * sizeof *v))) {
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_array_get(j, i);
            if (!json_is_number(x)) {
                fprintf(stderr, "vitrine db %s: --vector[%zu] is not a number\n", a->sub, i);
                vt_free(v);
                v = NULL;
                break;
            }
            v[i] = (float)json_number_value(x);
        }
    }
    json_decref(j);
    *dim = (uint32_t)n;
    return v;
}

static int do_create(vt_db *db, const dbargs *a) {
    vt_vector_params vs[VT_MAX_NAMED_VECTORS];
    char names[VT_MAX_NAMED_VECTORS][VT_MAX_NAME_LEN + 1];
    size_t n = 0;
    if (a->size) {
        int d = vt_distance_parse(a->distance ? a->distance : "Cosine");
        if (d < 0) return cli_usage_error(CMD, "--distance must be Cosine, Dot, Euclid or Manhattan");
        vs[n++] = vt_vector_params_default("", (uint32_t)a->size, d);
    }
    for (int i = 0; i < a->n_vec_specs; i++) {
        const char *s = a->vec_specs[i], *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || (size_t)(c1 - s) > VT_MAX_NAME_LEN || n == VT_MAX_NAMED_VECTORS)
            return cli_usage_error(CMD, "--vector must be NAME:SIZE:DISTANCE, not \"%s\"", s);
        memcpy(names[n], s, (size_t)(c1 - s));
        names[n][c1 - s] = '\0';
        char *end;
        long size = strtol(c1 + 1, &end, 10);
        int d = vt_distance_parse(c2 + 1);
        if (end != c2 || d < 0) return cli_usage_error(CMD, "--vector must be NAME:SIZE:DISTANCE, not \"%s\"", s);
        vs[n] = vt_vector_params_default(names[n], size < 0 || size > 0x7fffffff ? 0 : (uint32_t)size, d);
        n++;
    }
    if (!n) return cli_usage_error(CMD, "create needs --size N [--distance D] or --vector NAME:SIZE:DISTANCE");
    for (size_t i = 0; i < n; i++) {
        if (a->m) vs[i].hnsw_m = (uint32_t)a->m;
        if (a->ef_construct) vs[i].hnsw_ef_construct = (uint32_t)a->ef_construct;
        if (a->fst) vs[i].full_scan_threshold = (uint32_t)a->fst;
        if (a->quant) {
            if (strcmp(a->quant, "int8")) return cli_usage_error(CMD, "--quantization must be int8");
            vs[i].quant_int8 = 1;
        }
    }
    vt_collection_config c = {n, vs};
    vt_error err = {0};
    if (vt_collection_create(db, a->coll, &c, &err) != VT_OK) return fail(a, &err);
    printf("{\"result\":true}\n");
    return 0;
}

static int do_info(vt_db *db, const dbargs *a) {
    vt_collection_info info;
    vt_error err = {0};
    if (vt_collection_info_get(db, a->coll, &info, &err) != VT_OK) return fail(a, &err);
    printf("{\"name\":");
    cli_print_json_string(stdout, info.name, strlen(info.name));
    printf(",\"status\":\"%s\",\"points_count\":%llu,\"last_op_id\":%llu,\"memory_bytes\":%llu,\"vectors\":{",
           info.status, (unsigned long long)info.points_count, (unsigned long long)info.last_op_id,
           (unsigned long long)info.memory_bytes);
    for (size_t i = 0; i < info.n_vectors; i++) {
        const vt_vector_info *v = &info.vectors[i];
        if (i) printf(",");
        cli_print_json_string(stdout, v->name, strlen(v->name));
        printf(":{\"size\":%u,\"distance\":\"%s\",\"hnsw_config\":{\"m\":%u,\"ef_construct\":%u,"
               "\"full_scan_threshold\":%u},",
               v->params.size, vt_distance_name(v->params.distance), v->params.hnsw_m,
               v->params.hnsw_ef_construct, v->params.full_scan_threshold);
        if (v->params.quant_int8)
            printf("\"quantization_config\":{\"scalar\":{\"type\":\"int8\",\"quantile\":%.6g,\"always_ram\":%s}},",
                   (double)v->params.quant_quantile, v->params.quant_always_ram ? "true" : "false");
        printf("\"points_count\":%llu,\"indexed_vectors_count\":%llu,\"memory_bytes\":%llu,"
               "\"index\":{\"state\":\"%s\",\"op_id\":%llu,\"builds\":%llu,\"loads\":%llu,"
               "\"vacuums\":%llu,\"compacts\":%llu}}",
               (unsigned long long)v->points_count, (unsigned long long)v->indexed_count,
               (unsigned long long)v->memory_bytes, v->index_state ? v->index_state : "none",
               (unsigned long long)v->index_seq, (unsigned long long)v->index_builds,
               (unsigned long long)v->index_loads, (unsigned long long)v->index_vacuums,
               (unsigned long long)v->index_compacts);
    }
    printf("},\"payload_schema\":{");
    vt_field_index_info *fl;
    size_t nf;
    if (vt_field_index_list(db, a->coll, &fl, &nf, &err) != VT_OK) {
        printf("}}\n");
        return fail(a, &err);
    }
    for (size_t i = 0; i < nf; i++) {
        if (i) printf(",");
        cli_print_json_string(stdout, fl[i].key, strlen(fl[i].key));
        printf(":{\"data_type\":\"%s\",\"points\":%llu}", fl[i].type, (unsigned long long)fl[i].points);
    }
    vt_field_index_list_free(fl, nf);
    printf("}}\n");
    return 0;
}

/* do_index: creates (--type) or deletes (--delete) the field index on --field. */
static int do_index(vt_db *db, const dbargs *a) {
    if (!a->field) return cli_usage_error(CMD, "index needs --field KEY");
    if (!a->ftype == !a->del) return cli_usage_error(CMD, "index needs --type TYPE or --delete");
    vt_error err = {0};
    uint64_t op = 0;
    int rc = a->del ? vt_field_index_delete(db, a->coll, a->field, &op, &err)
                    : vt_field_index_create(db, a->coll, a->field, a->ftype, &op, &err);
    if (rc != VT_OK) return fail(a, &err);
    printf("{\"result\":true,\"operation_id\":%llu}\n", (unsigned long long)op);
    return 0;
}

static int do_list(vt_db *db, const dbargs *a) {
    char **names;
    size_t n;
    vt_error err = {0};
    if (vt_collection_list(db, &names, &n, &err) != VT_OK) return fail(a, &err);
    printf("{\"collections\":[");
    for (size_t i = 0; i < n; i++) {
        printf(i ? ",{\"name\":" : "{\"name\":");
        cli_print_json_string(stdout, names[i], strlen(names[i]));
        printf("}");
    }
    printf("]}\n");
    vt_mem_free(names);
    return 0;
}

static int upsert_batch(vt_db *db, const dbargs *a, db_point_json *b, size_t n, uint64_t *op) {
    vt_point_in *pts = vt_malloc((n ? n : 1) * sizeof *pts);
    vt_error err = {0};
    if (!pts) {
        fprintf(stderr, "vitrine db upsert: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) pts[i] = b[i].pt;
    int rc = vt_points_upsert(db, a->coll, pts, n, op, &err);
    vt_free(pts);
    if (rc) {
        fprintf(stderr, "vitrine db upsert: %s: %s\n", a->file, err.message);
        return 1;
    }
    return 0;
}

static int do_upsert(vt_db *db, const dbargs *a) {
    if (!a->file) return cli_usage_error(CMD, "upsert needs --file points.jsonl");
    FILE *f = strcmp(a->file, "-") ? fopen(a->file, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "vitrine db upsert: %s: %s\n", a->file, strerror(errno));
        return 1;
    }
    size_t bmax = a->batch ? (size_t)a->batch : 256, n = 0, total = 0, lineno = 0;
    db_point_json *b = vt_calloc(bmax, sizeof *b);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t op = 0;
    int rc = b ? 0 : 1;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        if (len == 0) continue;
        if ((size_t)len > MAX_LINE_BYTES) {
            fprintf(stderr, "vitrine db upsert: %s:%zu: line longer than %u bytes\n", a->file, lineno, MAX_LINE_BYTES);
            rc = 1;
            break;
        }
        char where[600];
        snprintf(where, sizeof where, "%s:%zu", a->file, lineno);
        vt_error err = {0};
        if (db_point_json_parse(line, (size_t)len, where, &b[n], &err) != VT_OK) {
            fprintf(stderr, "vitrine db upsert: %s\n", err.message);
            db_point_json_clear(&b[n]);
            rc = 1;
            break;
        }
        if (++n == bmax) {
            rc = upsert_batch(db, a, b, n, &op);
            for (size_t i = 0; i < n; i++) db_point_json_clear(&b[i]);
            total += rc ? 0 : n;
            n = 0;
        }
    }
    if (rc == 0 && n) {
        rc = upsert_batch(db, a, b, n, &op);
        total += rc ? 0 : n;
    }
    for (size_t i = 0; i < n; i++) db_point_json_clear(&b[i]);
    free(line);
    vt_free(b);
    if (f != stdin) fclose(f);
    if (rc) {
        fprintf(stderr, "vitrine db upsert: %zu points were committed before the error\n", total);
        return 1;
    }
    printf("{\"operation_id\":%llu,\"status\":\"completed\",\"upserted\":%zu}\n", (unsigned long long)op, total);
    return 0;
}

static int do_get(vt_db *db, const dbargs *a) {
    if (!a->ids) return cli_usage_error(CMD, "get needs --ids ID[,ID...]");
    vt_point_id *ids;
    size_t n;
    if (parse_ids(a, &ids, &n)) return 1;
    vt_result *r;
    vt_error err = {0};
    int rc = vt_points_get(db, a->coll, ids, n, !a->no_payload, a->with_vector, &r, &err);
    vt_free(ids);
    if (rc) return fail(a, &err);
    printf("{\"points\":");
    print_points(r, 0);
    printf("}\n");
    vt_result_free(r);
    return 0;
}

static int do_delete(vt_db *db, const dbargs *a) {
    if (!a->ids == !a->filter) return cli_usage_error(CMD, "delete needs --ids ID[,ID...] or --filter JSON");
    vt_point_id *ids = NULL;
    size_t n = 0;
    if (a->ids && parse_ids(a, &ids, &n)) return 1;
    vt_selector s = {ids, n, a->filter};
    uint64_t op;
    vt_error err = {0};
    int rc = vt_points_delete(db, a->coll, &s, &op, &err);
    vt_free(ids);
    if (rc) return fail(a, &err);
    printf("{\"operation_id\":%llu,\"status\":\"completed\"}\n", (unsigned long long)op);
    return 0;
}

static int do_scroll(vt_db *db, const dbargs *a) {
    vt_scroll_req q = vt_scroll_req_default();
    vt_point_id off;
    vt_error err = {0};
    if (a->offset) {
        if (vt_point_id_parse(a->offset, strlen(a->offset), &off, &err)) return fail(a, &err);
        q.offset = &off;
    }
    q.filter_json = a->filter;
    q.limit = a->limit ? (size_t)a->limit : 10;
    q.order_by = a->order_by;
    q.order_desc = a->desc;
    q.with_payload = !a->no_payload;
    q.with_vectors = a->with_vector;
    vt_result *r;
    if (vt_points_scroll(db, a->coll, &q, &r, &err)) return fail(a, &err);
    printf("{\"points\":");
    print_points(r, 0);
    printf(",\"next_page_offset\":");
    if (vt_result_next_offset(r, &off)) print_id(&off);
    else printf("null");
    printf("}\n");
    vt_result_free(r);
    return 0;
}

static int do_count(vt_db *db, const dbargs *a) {
    uint64_t n;
    vt_error err = {0};
    if (vt_points_count(db, a->coll, a->filter, &n, &err)) return fail(a, &err);
    printf("{\"count\":%llu}\n", (unsigned long long)n);
    return 0;
}

static int do_search(vt_db *db, const dbargs *a) {
    if (!a->vector) return cli_usage_error(CMD, "search needs --vector '[...]'");
    vt_search_req q = vt_search_req_default();
    q.vector = parse_vector(a, &q.dim);
    if (!q.vector) return 1;
    q.using = a->using;
    q.limit = a->limit ? (size_t)a->limit : 10;
    q.offset = (size_t)a->off_n;
    q.filter_json = a->filter;
    q.hnsw_ef = (uint32_t)a->ef;
    q.exact = a->exact;
    q.has_score_threshold = a->has_thr;
    q.score_threshold = a->thr;
    q.with_payload = !a->no_payload;
    q.with_vectors = a->with_vector;
    vt_result *r;
    vt_error err = {0};
    int rc = vt_points_search(db, a->coll, &q, &r, &err);
    vt_free((void *)q.vector);
    if (rc) return fail(a, &err);
    printf("{\"points\":");
    print_points(r, 1);
    printf("}\n");
    vt_result_free(r);
    return 0;
}

static int usage(void) {
    fprintf(stderr,
            "usage: vitrine db SUB --data DIR [--collection NAME] [options]\n"
            "  create --size N --distance Cosine|Dot|Euclid|Manhattan | --vector NAME:SIZE:DISTANCE ...\n"
            "         [--m M] [--ef-construct E] [--full-scan-threshold KB] [--quantization int8]\n"
            "  info | list | drop\n"
            "  upsert --file points.jsonl [--batch N]\n"
            "  get --ids 1,2 [--with-vector] [--no-payload]\n"
            "  delete --ids 1,2 | --filter JSON\n"
            "  scroll [--filter JSON] [--limit N] [--offset ID] [--order-by KEY [--desc]]\n"
            "  count [--filter JSON]\n"
            "  search --vector '[...]' [--using NAME] [--limit K] [--offset N] [--filter JSON] [--ef N]\n"
            "         [--exact] [--score-threshold S]\n"
            "  snapshot --out FILE | restore --from FILE\n"
            "  index --field KEY --type keyword|integer|float|bool|uuid|datetime|text | --field KEY --delete\n");
    return 2;
}

int cmd_db(int argc, char **argv) {
    if (argc < 1 || argv[0][0] == '-') return usage();
    vt_json_init(); /* before any jansson object exists: all of them go through vt_malloc */
    dbargs a;
    memset(&a, 0, sizeof a);
    a.sub = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = cli_flag_value(argc, argv, &i, "--data"))) a.data = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--collection"))) a.coll = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--file"))) a.file = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--ids"))) a.ids = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--filter"))) a.filter = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--vector"))) {
            if (strcmp(a.sub, "create") == 0) {
                if (a.n_vec_specs == VT_MAX_NAMED_VECTORS) return cli_usage_error(CMD, "too many --vector");
                a.vec_specs[a.n_vec_specs++] = v;
            } else {
                a.vector = v;
            }
        } else if ((v = cli_flag_value(argc, argv, &i, "--using"))) a.using = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--limit"))) a.limit = cli_int("--limit", v, 1, 1000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--offset"))) {
            a.offset = v;
            if (strcmp(a.sub, "search") == 0) a.off_n = cli_int("--offset", v, 0, 1000000);
        } else if ((v = cli_flag_value(argc, argv, &i, "--order-by"))) a.order_by = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--ef"))) a.ef = cli_int("--ef", v, 1, 100000);
        else if ((v = cli_flag_value(argc, argv, &i, "--size"))) a.size = cli_int("--size", v, 1, VT_MAX_DIM);
        else if ((v = cli_flag_value(argc, argv, &i, "--distance"))) a.distance = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--m"))) a.m = cli_int("--m", v, 0, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--ef-construct"))) a.ef_construct = cli_int("--ef-construct", v, 4, 100000);
        else if ((v = cli_flag_value(argc, argv, &i, "--full-scan-threshold"))) a.fst = cli_int("--full-scan-threshold", v, 0, 0x7fffffff);
        else if ((v = cli_flag_value(argc, argv, &i, "--quantization"))) a.quant = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--batch"))) a.batch = cli_int("--batch", v, 1, 1000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--out"))) a.out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--from"))) a.from = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--field"))) a.field = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--type"))) a.ftype = v;
        else if (strcmp(argv[i], "--delete") == 0) a.del = 1;
        else if ((v = cli_flag_value(argc, argv, &i, "--score-threshold"))) {
            char *end;
            a.thr = strtof(v, &end);
            if (end == v || *end) return cli_usage_error(CMD, "--score-threshold must be a number, not \"%s\"", v);
            a.has_thr = 1;
        } else if (strcmp(argv[i], "--exact") == 0) a.exact = 1;
        else if (strcmp(argv[i], "--desc") == 0) a.desc = 1;
        else if (strcmp(argv[i], "--with-vector") == 0) a.with_vector = 1;
        else if (strcmp(argv[i], "--no-payload") == 0) a.no_payload = 1;
        else return cli_usage_error(CMD, "unknown option \"%s\"", argv[i]);
    }
    if (!a.data) return cli_usage_error(CMD, "%s needs --data DIR", a.sub);
    if (!a.coll && strcmp(a.sub, "list") != 0) return cli_usage_error(CMD, "%s needs --collection NAME", a.sub);
    static const char *subs[] = {"create", "info", "list", "drop", "upsert", "get", "delete", "scroll",
                                 "count", "search", "snapshot", "restore", "index"};
    int known = 0;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) known |= strcmp(a.sub, subs[i]) == 0;
    if (!known) return cli_usage_error(CMD, "unknown subcommand \"%s\" (vitrine db --help lists them)", a.sub);
    vt_db *db;
    vt_error err = {0};
    vt_db_opts o = vt_db_opts_default();
    if (vt_db_open(a.data, &o, &db, &err) != VT_OK) return fail(&a, &err);
    int rc;
    const char *s = a.sub;
    if (!strcmp(s, "create")) rc = do_create(db, &a);
    else if (!strcmp(s, "info")) rc = do_info(db, &a);
    else if (!strcmp(s, "list")) rc = do_list(db, &a);
    else if (!strcmp(s, "drop")) {
        int ex = 0;
        rc = vt_collection_delete(db, a.coll, &ex, &err) ? fail(&a, &err) : 0;
        if (!rc) printf("{\"result\":%s}\n", ex ? "true" : "false");
    } else if (!strcmp(s, "upsert")) rc = do_upsert(db, &a);
    else if (!strcmp(s, "get")) rc = do_get(db, &a);
    else if (!strcmp(s, "delete")) rc = do_delete(db, &a);
    else if (!strcmp(s, "scroll")) rc = do_scroll(db, &a);
    else if (!strcmp(s, "count")) rc = do_count(db, &a);
    else if (!strcmp(s, "search")) rc = do_search(db, &a);
    else if (!strcmp(s, "index")) rc = do_index(db, &a);
    else if (!strcmp(s, "snapshot")) {
        if (!a.out) rc = cli_usage_error(CMD, "snapshot needs --out FILE");
        else if ((rc = vt_collection_snapshot(db, a.coll, a.out, &err) ? fail(&a, &err) : 0) == 0)
            printf("{\"result\":true}\n");
    } else {
        if (!a.from) rc = cli_usage_error(CMD, "restore needs --from FILE");
        else if ((rc = vt_collection_restore(db, a.from, a.coll, &err) ? fail(&a, &err) : 0) == 0)
            printf("{\"result\":true}\n");
    }
    vt_db_close(db);
    return rc;
}
