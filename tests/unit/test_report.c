/*
 * test_report.c — the diagnostics through the real binary ($VITRINE_BIN) on Fashion-MNIST: 2,000
 * images exported by `vitrine demo --export`, ingested with the shipped model; then
 *   map:    the image vectors coloured by class separate the classes (10-NN majority accuracy in
 *           2-D ≥ 0.7), the PNG/SVG/CSV are complete, the same seed gives the same CSV, the
 *           modality map holds both vectors of each point;
 *   eval:   --plots writes a PNG and an SVG per direction with the labels; the AUC is in the JSON;
 *   report: one HTML page with every query, the metrics table, inline SVG histograms, the map,
 *           thumbnails as data:image/png URIs, and payload/query markup escaped.
 * Needs the Debian package dataset-fashion-mnist (scripts/install-deps.sh).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.h"
#include "test.h"

static char dir[64], cmd[8192];
static int ready;

/* run: stdout (and stderr when merge) of the command line; *status its exit status. */
static char *run(const char *args, int merge, int *status) {
    snprintf(cmd, sizeof cmd, "%s %s%s", cli_bin(), args, merge ? " 2>&1" : " 2>/dev/null");
    return cli_capture(cmd, status);
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    *len = fread(s, 1, (size_t)n, f);
    s[*len] = '\0';
    fclose(f);
    return s;
}

static int is_png(const char *path, size_t min_len) {
    size_t len;
    char *s = slurp(path, &len);
    int ok = s && len >= min_len && !memcmp(s, "\x89PNG\r\n\x1a\n", 8);
    free(s);
    return ok;
}

static void test_setup(void) {
    int st;
    char args[2048];
    snprintf(args, sizeof args, "demo --export %s/export --limit 2000", dir);
    char *out = run(args, 1, &st);
    ASSERT_EQ(st, 0);
    free(out);
    snprintf(args, sizeof args, "ingest --data %s/db --collection fashion --manifest %s/export/manifest.jsonl --json --no-progress",
             dir, dir);
    out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    ASSERT_STR_CONTAINS(out, "\"ingested\":2000");
    free(out);
    ready = 1;
}

typedef struct pt {
    double x, y;
    char group[32], vector[16];
} pt;

static pt *read_csv(const char *path, size_t *n) {
    FILE *f = fopen(path, "r");
    char line[512];
    size_t cap = 1024;
    pt *p = malloc(cap * sizeof *p);
    *n = 0;
    if (!f || !fgets(line, sizeof line, f) || strcmp(line, "id,x,y,group,vector\n")) {
        if (f) fclose(f);
        return p;
    }
    while (fgets(line, sizeof line, f)) {
        if (*n == cap) p = realloc(p, (cap *= 2) * sizeof *p);
        long id;
        if (sscanf(line, "%ld,%lf,%lf,%31[^,],%15[^\n]", &id, &p[*n].x, &p[*n].y, p[*n].group, p[*n].vector) == 5) (*n)++;
    }
    fclose(f);
    return p;
}

/* knn_accuracy: points whose 10 nearest on the map are mostly (plurality) of their group */
static double knn_accuracy(const pt *p, size_t n) {
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        double bd[10];
        size_t bi[10], m = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i) continue;
            double d = (p[i].x - p[j].x) * (p[i].x - p[j].x) + (p[i].y - p[j].y) * (p[i].y - p[j].y);
            size_t at = m < 10 ? m++ : 10;
            if (at == 10 && d >= bd[9]) continue;
            if (at == 10) at = 9;
            while (at > 0 && bd[at - 1] > d) bd[at] = bd[at - 1], bi[at] = bi[at - 1], at--;
            bd[at] = d, bi[at] = j;
        }
        int best = 0, mine = 0;
        for (size_t a = 0; a < m; a++) {
            int c = 0;
            for (size_t b = 0; b < m; b++) c += !strcmp(p[bi[a]].group, p[bi[b]].group);
            if (c > best) best = c;
            if (!strcmp(p[bi[a]].group, p[i].group)) mine++;
        }
        ok += mine == best && mine > 0;
    }
    return (double)ok / (double)n;
}

static void test_map(void) {
    ASSERT_TRUE(ready);
    int st;
    char args[2048], path[256];
    snprintf(args, sizeof args, "map --data %s/db --collection fashion --using image --color-by class --sample 2000 --seed 3 --out %s/m",
             dir, dir);
    char *out = run(args, 1, &st);
    ASSERT_EQ(st, 0);
    fprintf(stderr, "     %s", out);
    ASSERT_STR_CONTAINS(out, "t-SNE of 2000 vectors");
    free(out);
    snprintf(path, sizeof path, "%s/m.png", dir);
    ASSERT_TRUE(is_png(path, 20000));
    size_t len, n;
    snprintf(path, sizeof path, "%s/m.svg", dir);
    char *svg = slurp(path, &len);
    ASSERT_TRUE(svg && !strncmp(svg, "<svg", 4) && strstr(svg, "</svg>"));
    ASSERT_STR_CONTAINS(svg, ">ankle boot (");
    ASSERT_STR_CONTAINS(svg, ">t-SNE 1</text>");
    free(svg);
    snprintf(path, sizeof path, "%s/m.csv", dir);
    pt *p = read_csv(path, &n);
    ASSERT_EQ(n, 2000);
    double acc = knn_accuracy(p, n);
    fprintf(stderr, "     Fashion-MNIST image vectors, 2-D 10-NN class accuracy %.3f\n", acc);
    free(p);
    ASSERT_TRUE(acc >= 0.7);
    /* the modality map: both vectors of 150 points; same seed → same CSV */
    for (int r = 0; r < 2; r++) {
        snprintf(args, sizeof args, "map --data %s/db --collection fashion --sample 150 --iterations 300 --out %s/mod%d", dir, dir, r);
        out = run(args, 1, &st);
        ASSERT_EQ(st, 0);
        free(out);
    }
    size_t l0, l1;
    snprintf(path, sizeof path, "%s/mod0.csv", dir);
    char *c0 = slurp(path, &l0);
    snprintf(path, sizeof path, "%s/mod1.csv", dir);
    char *c1 = slurp(path, &l1);
    ASSERT_TRUE(c0 && c1 && l0 == l1 && !memcmp(c0, c1, l0));
    free(c0);
    free(c1);
    snprintf(path, sizeof path, "%s/mod0.csv", dir);
    p = read_csv(path, &n);
    ASSERT_EQ(n, 300);
    size_t img = 0;
    for (size_t i = 0; i < n; i++) img += !strcmp(p[i].group, "image") && !strcmp(p[i].vector, "image");
    free(p);
    ASSERT_EQ(img, 150);
    /* usage errors */
    out = run("map --data x", 1, &st);
    ASSERT_EQ(st, 2);
    free(out);
    snprintf(args, sizeof args, "map --data %s/db --collection fashion --using nope --out %s/x", dir, dir);
    out = run(args, 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "no vector \"nope\"");
    free(out);
}

static void write_queries(void) {
    char path[256];
    snprintf(path, sizeof path, "%s/export/queries.jsonl", dir);
    FILE *f = fopen(path, "w");
    static const char *classes[10] = {"t-shirt", "trousers", "pullover", "dress", "coat",
                                      "sandal", "shirt", "sneaker", "bag", "ankle boot"};
    for (int c = 0; c < 10; c++)
        fprintf(f, "{\"id\": \"c%d\", \"text\": \"a photo of a %s\", \"relevant_filter\": "
                   "{\"must\": [{\"key\": \"label\", \"match\": {\"value\": %d}}]}}\n", c, classes[c], c);
    fprintf(f, "{\"id\": \"img\", \"image\": \"images/test_00000.png\", \"using\": \"image\", \"relevant_filter\": "
               "{\"must\": [{\"key\": \"label\", \"match\": {\"value\": 9}}]}}\n");
    fprintf(f, "{\"id\": \"<i>evil</i>\", \"text\": \"a <script>alert(1)</script> sandal\", \"relevant\": [0, 1, 2]}\n");
    fclose(f);
}

static void test_eval_plots(void) {
    ASSERT_TRUE(ready);
    write_queries();
    int st;
    char args[2048], path[256];
    snprintf(args, sizeof args, "eval --data %s/db --collection fashion --queries %s/export/queries.jsonl --plots %s/plots --json",
             dir, dir, dir);
    char *out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    json_t *ti = json_object_get(json_object_get(j, "directions"), "text->image");
    double auc = json_number_value(json_object_get(ti, "auc"));
    fprintf(stderr, "     text->image AUC %.3f (%lld relevant, %lld irrelevant pairs)\n", auc,
            (long long)json_integer_value(json_object_get(ti, "relevant_pairs")),
            (long long)json_integer_value(json_object_get(ti, "irrelevant_pairs")));
    ASSERT_TRUE(auc > 0.85 && auc <= 1);
    ASSERT_TRUE(json_integer_value(json_object_get(ti, "relevant_pairs")) > 1000);
    ASSERT_TRUE(json_is_number(json_object_get(json_object_get(json_object_get(j, "directions"), "image->image"), "auc")));
    json_decref(j);
    const char *names[2] = {"text_to_image", "image_to_image"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/plots/%s.png", dir, names[i]);
        ASSERT_TRUE(is_png(path, 5000));
        snprintf(path, sizeof path, "%s/plots/%s.svg", dir, names[i]);
        size_t len;
        char *svg = slurp(path, &len);
        ASSERT_TRUE(svg && !strncmp(svg, "<svg", 4) && strstr(svg, "</svg>\n"));
        ASSERT_STR_CONTAINS(svg, ">cosine similarity</text>");
        ASSERT_STR_CONTAINS(svg, "relevant pairs (n = ");
        ASSERT_STR_CONTAINS(svg, "separation: AUC 0.");
        free(svg);
    }
}

static void test_report(void) {
    ASSERT_TRUE(ready);
    write_queries();
    int st;
    char args[2048], path[256];
    snprintf(args, sizeof args,
             "report --data %s/db --collection fashion --queries %s/export/queries.jsonl --out %s/report.html --k 6 "
             "--color-by class --map-sample 300",
             dir, dir, dir);
    char *out = run(args, 1, &st);
    ASSERT_EQ(st, 0);
    ASSERT_STR_CONTAINS(out, "12 queries, 1 with mismatches");
    free(out);
    snprintf(path, sizeof path, "%s/report.html", dir);
    size_t len;
    char *h = slurp(path, &len);
    ASSERT_TRUE(h != NULL);
    ASSERT_TRUE(!strncmp(h, "<!DOCTYPE html>", 15) && strstr(h, "</html>\n"));
    ASSERT_STR_CONTAINS(h, "<table class=\"metrics\">");
    ASSERT_STR_CONTAINS(h, "<td>text-&gt;image</td>");
    ASSERT_STR_CONTAINS(h, "<th>AUC</th>");
    for (int c = 0; c < 10; c++) {
        char needle[64];
        snprintf(needle, sizeof needle, "<h3>c%d &middot;", c);
        ASSERT_STR_CONTAINS(h, needle);
    }
    ASSERT_STR_CONTAINS(h, "<h3>img &middot; image &rarr; image");
    ASSERT_STR_CONTAINS(h, "<h3>&lt;i&gt;evil&lt;/i&gt; &middot;");
    ASSERT_STR_CONTAINS(h, "a &lt;script&gt;alert(1)&lt;/script&gt; sandal");
    ASSERT_TRUE(strstr(h, "<script") == NULL && strstr(h, "<i>") == NULL);
    ASSERT_STR_CONTAINS(h, "<img alt=\"");
    ASSERT_STR_CONTAINS(h, "src=\"data:image/png;base64,iVBORw0KGgo");
    ASSERT_STR_CONTAINS(h, "<img class=\"map\" alt=\"t-SNE map\" src=\"data:image/png;base64,");
    ASSERT_STR_CONTAINS(h, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
    ASSERT_STR_CONTAINS(h, "<section class=\"query miss\">");
    ASSERT_STR_CONTAINS(h, "<figure class=\"hit bad\"");
    ASSERT_STR_CONTAINS(h, "<figure class=\"hit ok\"");
    size_t sections = 0, opened = 0, closed = 0;
    for (const char *p = h; (p = strstr(p, "<section")); p++) sections++;
    for (const char *p = h; (p = strstr(p, "<figure")); p++) opened++;
    for (const char *p = h; (p = strstr(p, "</figure>")); p++) closed++;
    ASSERT_EQ(sections, 12);
    ASSERT_EQ(opened, 12 * 6);
    ASSERT_EQ(closed, opened);
    free(h);
    out = run("report --data x --collection y", 1, &st);
    ASSERT_EQ(st, 2);
    ASSERT_STR_CONTAINS(out, "--queries and --out are required");
    free(out);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/vt_report_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    RUN(test_setup);
    RUN(test_map);
    RUN(test_eval_plots);
    RUN(test_report);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    TEST_END();
}
