/*
 * cmd_map.c — `vitrine map --data DIR --collection NAME --out PREFIX`: a 2-D t-SNE map of a
 * sample of a collection's vectors, written as PREFIX.png, PREFIX.svg and PREFIX.csv.
 *
 *   --using V        the vector to map; omitted, a collection with both "image" and "text" is
 *                    mapped by modality: both vectors of each sampled point on one map (so
 *                    --sample points give twice as many vectors, at most 20,000)
 *   --sample N       points sampled at random (5000; at most 20,000)
 *   --color-by FIELD colour by this payload value (≤ 20 distinct values: one colour each and a
 *                    legend; more: the 19 most frequent, the rest "other"); with the modality
 *                    map, text vectors are then drawn as rings
 *   --perplexity P (30)  --iterations N (1000)  --seed S (1)  --threads N (all CPUs)
 *   --title T        the figure's title
 * The CSV has a header and one row per mapped vector: id,x,y,group,vector (group: the colour's
 * legend name). The sample and the map are deterministic for a seed. Prints the t-SNE time.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/error.h"
#include "cli.h"
#include "eval/plot.h"
#include "eval/scatter.h"
#include "eval/tsne.h"

#define CMD "map"
#define BATCH 512

typedef struct mapped {
    vt_point_id id;
    char *value;      /* the colour field's value as text (vt_malloc'd) */
    int vec;          /* index into the vector names mapped */
} mapped;

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* field_text: the payload's value at key as text: a string as is, anything else as compact
 * JSON, "(none)" when missing. vt_malloc'd; NULL when out of memory. */
static char *field_text(const char *payload, const char *key) {
    json_t *p = payload ? json_loads(payload, 0, NULL) : NULL, *v = json_object_get(p, key);
    const char *s = json_string_value(v);
    char *dump = !s && v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    const char *t = s ? s : dump ? dump : "(none)";
    size_t len = strlen(t);
    char *out = vt_malloc(len + 1);
    if (out) memcpy(out, t, len + 1);
    vt_free(dump);
    json_decref(p);
    return out;
}

typedef struct group_count {
    const char *name;
    size_t count;
} group_count;

static int is_integer(const char *s) {
    char *end;
    if (!*s) return 0;
    (void)strtoll(s, &end, 10);
    return *end == '\0';
}

static int by_name(const void *a, const void *b) {
    const char *x = ((const group_count *)a)->name, *y = ((const group_count *)b)->name;
    if (is_integer(x) && is_integer(y)) {
        long long p = strtoll(x, NULL, 10), q = strtoll(y, NULL, 10);
        return p < q ? -1 : p > q;
    }
    return strcmp(x, y);
}

static int by_count(const void *a, const void *b) {
    const group_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return by_name(a, b);
}

static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int cmd_map(int argc, char **argv) {
    const char *data = NULL, *coll = NULL, *using = NULL, *color_by = NULL, *prefix = NULL, *title = NULL;
    int sample = 5000, threads = 0;
    ev_tsne_opts to = ev_tsne_opts_default();
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = cli_flag_value(argc, argv, &i, "--data"))) data = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--collection"))) coll = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--using"))) using = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--color-by"))) color_by = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--out"))) prefix = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--title"))) title = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--sample"))) sample = cli_int("--sample", v, 2, EV_TSNE_MAX_POINTS);
        else if ((v = cli_flag_value(argc, argv, &i, "--iterations"))) to.iterations = cli_int("--iterations", v, 0, 100000);
        else if ((v = cli_flag_value(argc, argv, &i, "--seed"))) to.seed = (uint64_t)cli_int("--seed", v, 0, 2147483647);
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) threads = cli_int("--threads", v, 0, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--perplexity"))) {
            char *end;
            to.perplexity = strtod(v, &end);
            if (*end || !(to.perplexity >= 1 && to.perplexity <= 1000))
                return cli_usage_error(CMD, "--perplexity must be a number in [1, 1000], not \"%s\"", v);
        } else return cli_usage_error(CMD, "unknown argument \"%s\"", argv[i]);
    }
    if (!data || !coll || !prefix) return cli_usage_error(CMD, "--data, --collection and --out are required");
    to.threads = threads;
    vt_error err = {0};
    vt_db *db = NULL;
    vt_db_opts dbo = vt_db_opts_default();
    vt_collection_info info;
    vt_point_id *ids = NULL;
    mapped *pts = NULL;
    float *x = NULL;
    double *y = NULL;
    uint32_t *group = NULL;
    uint8_t *ring = NULL;
    group_count *groups = NULL;
    const char **names = NULL;
    pl_canvas *fig = NULL;
    FILE *csv = NULL;
    char *path = NULL;
    size_t n_ids = 0, n = 0, n_groups = 0, dim = 0;
    const char *vecs[2] = {using, NULL};
    int n_vecs = 1, rc = vt_db_open(data, &dbo, &db, &err);
    if (!rc) rc = vt_collection_info_get(db, coll, &info, &err);
    if (!rc && !using) {
        int has_img = 0, has_txt = 0;
        for (size_t v = 0; v < info.n_vectors; v++) {
            has_img |= !strcmp(info.vectors[v].name, "image");
            has_txt |= !strcmp(info.vectors[v].name, "text");
        }
        if (has_img && has_txt) vecs[0] = "image", vecs[1] = "text", n_vecs = 2;
        else if (info.n_vectors == 1) vecs[0] = info.vectors[0].name;
        else rc = vt_fail(&err, VT_EINVAL, "collection %s has several vectors: choose one with --using", coll);
    }
    for (int v = 0; !rc && v < n_vecs; v++) {
        size_t k = 0;
        while (k < info.n_vectors && strcmp(info.vectors[k].name, vecs[v])) k++;
        if (k == info.n_vectors) rc = vt_fail(&err, VT_EINVAL, "collection %s has no vector \"%s\"", coll, vecs[v]);
        else if (v == 0) dim = info.vectors[k].params.size;
        else if (info.vectors[k].params.size != dim)
            rc = vt_fail(&err, VT_EINVAL, "vectors \"%s\" and \"%s\" differ in size: map them one at a time with --using",
                         vecs[0], vecs[v]);
    }
    if (!rc) rc = vt_points_ids(db, coll, NULL, &ids, &n_ids, &err);
    /* the sample: a seeded partial Fisher–Yates shuffle, then back in id order */
    size_t want = (size_t)sample;
    if (want * (size_t)n_vecs > EV_TSNE_MAX_POINTS) want = EV_TSNE_MAX_POINTS / (size_t)n_vecs;
    if (want > n_ids) want = n_ids;
    if (!rc && want < 2) rc = vt_fail(&err, VT_EINVAL, "collection %s has fewer than 2 points to map", coll);
    if (!rc) {
        uint64_t s = to.seed ^ 0x6d61707361706c65ull;
        for (size_t i = 0; i < want; i++) {
            size_t j = i + (size_t)(rng_next(&s) % (n_ids - i));
            vt_point_id t = ids[i];
            ids[i] = ids[j];
            ids[j] = t;
        }
        /* ids[0..want) is the sample, in random order: the drawing order then favours no class */
        pts = vt_calloc(want * (size_t)n_vecs, sizeof *pts);
        x = vt_malloc(want * (size_t)n_vecs * dim * sizeof *x);
        if (!pts || !x) rc = vt_fail(&err, VT_ENOMEM, "map: out of memory");
    }
    for (size_t b = 0; !rc && b < want; b += BATCH) {
        vt_result *r = NULL;
        size_t m = want - b < BATCH ? want - b : BATCH;
        rc = vt_points_get(db, coll, ids + b, m, color_by != NULL, 1, &r, &err);
        for (size_t i = 0; !rc && i < vt_result_count(r); i++)
            for (int v = 0; !rc && v < n_vecs; v++)
                for (size_t j = 0; j < vt_result_n_vectors(r, i); j++) {
                    const char *name;
                    const float *d;
                    uint32_t dd;
                    if (vt_result_vector(r, i, j, &name, &d, &dd) || strcmp(name, vecs[v]) || dd != dim) continue;
                    memcpy(x + n * dim, d, dim * sizeof *x);
                    pts[n].id = *vt_result_id(r, i);
                    pts[n].vec = v;
                    pts[n].value = field_text(color_by ? vt_result_payload(r, i) : NULL, color_by ? color_by : "");
                    if (!pts[n].value) rc = vt_fail(&err, VT_ENOMEM, "map: out of memory");
                    n++;
                    break;
                }
        vt_result_free(r);
    }
    if (!rc && n < 2) rc = vt_fail(&err, VT_EINVAL, "collection %s: fewer than 2 sampled points have the vector", coll);
    /* groups */
    if (!rc) {
        groups = vt_calloc(n + 1, sizeof *groups);
        group = vt_malloc(n * sizeof *group);
        ring = vt_calloc(n, 1);
        names = vt_calloc(EV_SCATTER_MAX_GROUPS, sizeof *names);
        y = vt_malloc(2 * n * sizeof *y);
        if (!groups || !group || !ring || !names || !y) rc = vt_fail(&err, VT_ENOMEM, "map: out of memory");
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            const char *key = color_by ? pts[i].value : vecs[pts[i].vec];
            size_t g = 0;
            while (g < n_groups && strcmp(groups[g].name, key)) g++;
            if (g == n_groups) groups[n_groups++] = (group_count){key, 0};
            groups[g].count++;
            ring[i] = color_by && pts[i].vec == 1;
        }
        if (n_groups > EV_SCATTER_MAX_GROUPS) {
            qsort(groups, n_groups, sizeof *groups, by_count);
            size_t other = 0;
            for (size_t g = EV_SCATTER_MAX_GROUPS - 1; g < n_groups; g++) other += groups[g].count;
            n_groups = EV_SCATTER_MAX_GROUPS - 1;
            qsort(groups, n_groups, sizeof *groups, by_name);
            groups[n_groups++] = (group_count){"other", other};
        } else qsort(groups, n_groups, sizeof *groups, by_name);
        for (size_t g = 0; g < n_groups; g++) names[g] = groups[g].name;
        for (size_t i = 0; i < n; i++) {
            const char *key = color_by ? pts[i].value : vecs[pts[i].vec];
            size_t g = 0;
            while (g < n_groups && strcmp(groups[g].name, key)) g++;
            group[i] = (uint32_t)(g < n_groups ? g : n_groups - 1); /* not found: folded into "other" */
        }
    }
    if (!rc) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = ev_tsne(x, n, dim, &to, y, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        if (!rc)
            printf("vitrine map: t-SNE of %zu vectors (%zu-d, perplexity %g, %d iterations): %.2f s\n", n, dim, to.perplexity,
                   to.iterations, sec);
    }
    size_t plen = strlen(prefix) + 8;
    if (!rc && !(path = vt_malloc(plen))) rc = vt_fail(&err, VT_ENOMEM, "map: out of memory");
    if (!rc) {
        snprintf(path, plen, "%s.csv", prefix);
        if (!(csv = fopen(path, "w"))) rc = vt_fail(&err, VT_EIO, "%s: cannot write", path);
    }
    if (!rc) {
        fprintf(csv, "id,x,y,group,vector\n");
        for (size_t i = 0; i < n; i++) {
            char idb[VT_POINT_ID_BUF];
            fprintf(csv, "%s,%.6f,%.6f,", vt_point_id_format(&pts[i].id, idb), y[2 * i], y[2 * i + 1]);
            csv_field(csv, names[group[i]]);
            fprintf(csv, ",");
            csv_field(csv, vecs[pts[i].vec]);
            fprintf(csv, "\n");
        }
        if (fclose(csv) != 0) rc = vt_fail(&err, VT_EIO, "%s: cannot write", path);
        csv = NULL;
    }
    if (!rc) {
        char tbuf[512];
        if (!title) {
            snprintf(tbuf, sizeof tbuf, "t-SNE map of %s: %zu %s vectors%s%s", coll, n, n_vecs == 2 ? "image and text" : vecs[0],
                     color_by ? " by " : n_vecs == 2 ? " by modality" : "", color_by ? color_by : "");
            title = tbuf;
        }
        fig = ev_scatter_figure(title, y, n, group, names, n_groups, ring, color_by && n_vecs == 2 ? "image vector" : NULL,
                                color_by && n_vecs == 2 ? "text vector" : NULL);
        if (!fig) rc = vt_fail(&err, VT_ENOMEM, "map: out of memory");
        if (!rc) {
            snprintf(path, plen, "%s.png", prefix);
            rc = pl_write_png(fig, path, &err);
        }
        if (!rc) {
            snprintf(path, plen, "%s.svg", prefix);
            rc = pl_write_svg(fig, path, &err);
        }
        if (!rc) printf("vitrine map: wrote %s.png, %s.svg and %s.csv\n", prefix, prefix, prefix);
    }
    if (rc) fprintf(stderr, "vitrine map: %s\n", err.message[0] ? err.message : vt_errstr(rc));
    if (csv) fclose(csv);
    pl_free(fig);
    vt_free(path);
    for (size_t i = 0; pts && i < n; i++) vt_free(pts[i].value);
    vt_free(pts);
    vt_free(names);
    vt_free(groups);
    vt_free(ring);
    vt_free(group);
    vt_free(y);
    vt_free(x);
    vt_free(ids);
    vt_db_close(db);
    return rc ? 1 : 0;
}
