/*
 * test_pipeline_cli.c — the pipeline through the real binary ($VITRINE_BIN) on real data: a few
 * hundred Fashion-MNIST images exported by `vitrine demo --export` (PNG files and a manifest),
 * ingested with `vitrine ingest` and the shipped model, then searched with `vitrine search` in
 * every direction, with precision checked against the labels in the payload; fusion and
 * calibration flags; the demo itself on a small limit (its precision@10 table); and the usage
 * errors of search. Needs the Debian package dataset-fashion-mnist (scripts/install-deps.sh).
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.h"
#include "test.h"

static char dir[64], cmd[8192];

/* run: stdout (and stderr when merge) of the command line; *status its exit status. */
static char *run(const char *args, int merge, int *status) {
    snprintf(cmd, sizeof cmd, "%s %s%s", cli_bin(), args, merge ? " 2>&1" : " 2>/dev/null");
    return cli_capture(cmd, status);
}

/* label_precision: the fraction of the points of a search --json answer with payload label. */
static double label_precision(const char *json_text, int label, size_t *n_out) {
    json_t *j = json_loads(json_text, 0, NULL);
    json_t *pts = json_object_get(j, "points"), *p;
    size_t i, ok = 0, n = json_array_size(pts);
    json_array_foreach(pts, i, p) ok += json_integer_value(json_object_get(json_object_get(p, "payload"), "label")) == label;
    json_decref(j);
    *n_out = n;
    return n ? (double)ok / (double)n : -1;
}

static void test_export_ingest_search(void) {
    int st;
    char args[2048];
    snprintf(args, sizeof args, "demo --export %s/export --limit 300", dir);
    char *out = run(args, 1, &st);
    ASSERT_EQ(st, 0);
    ASSERT_STR_CONTAINS(out, "wrote 300 PNG images");
    free(out);
    snprintf(args, sizeof args, "ingest --data %s/db --collection fashion --manifest %s/export/manifest.jsonl --json --no-progress",
             dir, dir);
    out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    ASSERT_EQ(json_integer_value(json_object_get(j, "ingested")), 300);
    ASSERT_EQ(json_integer_value(json_object_get(j, "skipped")), 0);
    json_decref(j);

    /* text → image: 7 = sneaker, 9 = ankle boot, 8 = bag */
    static const struct {
        const char *q;
        int label;
    } qs[] = {{"a photo of a sneaker", 7}, {"ankle boot", 9}, {"a handbag", 8}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "search --data %s/db --collection fashion --text \"%s\" --limit 10 --json", dir, qs[i].q);
        out = run(args, 0, &st);
        ASSERT_EQ(st, 0);
        size_t n;
        double p = label_precision(out, qs[i].label, &n);
        free(out);
        ASSERT_EQ(n, 10);
        fprintf(stderr, "     \"%s\": precision@10 %.2f\n", qs[i].q, p);
        ASSERT_TRUE(p >= 0.8);
    }
    /* image → text and image → image with a query image of class 9 (the first test image) */
    snprintf(args, sizeof args, "search --data %s/db --collection fashion --image %s/export/images/test_00000.png --json", dir,
             dir);
    out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    size_t n;
    ASSERT_TRUE(label_precision(out, 9, &n) >= 0.8);
    free(out);
    snprintf(args, sizeof args,
             "search --data %s/db --collection fashion --image %s/export/images/test_00000.png --using image --json", dir, dir);
    out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    ASSERT_TRUE(label_precision(out, 9, &n) >= 0.8);
    free(out);
    /* a filter; fusion of a text and an image query; early fusion; calibrated scores */
    snprintf(args, sizeof args,
             "search --data %s/db --collection fashion --text boot --filter '{\"must\":[{\"key\":\"tone\",\"match\":{\"value\":\"dark\"}}]}' --json",
             dir);
    out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    ASSERT_TRUE(strstr(out, "\"tone\":\"light\"") == NULL && strstr(out, "\"tone\":\"dark\""));
    free(out);
    const char *fusions[4] = {"rrf", "dbsf", "weighted", "mean"};
    for (int f = 0; f < 4; f++) {
        snprintf(args, sizeof args,
                 "search --data %s/db --collection fashion --text \"ankle boot\" --image %s/export/images/test_00000.png "
                 "--using image --fusion %s --json",
                 dir, dir, fusions[f]);
        out = run(args, 0, &st);
        ASSERT_EQ(st, 0);
        double p = label_precision(out, 9, &n);
        free(out);
        ASSERT_EQ(n, 10);
        ASSERT_TRUE(p >= 0.8);
    }
    snprintf(args, sizeof args, "search --data %s/db --collection fashion --text \"ankle boot\" --calibrated --json --limit 3", dir);
    out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    j = json_loads(out, 0, NULL);
    free(out);
    double z = json_number_value(json_object_get(json_array_get(json_object_get(j, "points"), 0), "score"));
    json_decref(j);
    fprintf(stderr, "     calibrated top score %.2f\n", z);
    ASSERT_TRUE(z > 2); /* a true match is several deviations above chance */
    /* the table form */
    snprintf(args, sizeof args, "search --data %s/db --collection fashion --text sandal --limit 2", dir);
    out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    ASSERT_STR_CONTAINS(out, "rank");
    ASSERT_STR_CONTAINS(out, "images/");
    free(out);
}

/* eval on the ingested export: class queries defined by a filter, an image query by ids */
static void test_eval(void) {
    char path[256], out_path[256], fail_path[256], args[2048];
    snprintf(path, sizeof path, "%s/queries.jsonl", dir);
    snprintf(out_path, sizeof out_path, "%s/eval.json", dir);
    snprintf(fail_path, sizeof fail_path, "%s/failures.jsonl", dir);
    FILE *f = fopen(path, "w");
    static const char *classes[10] = {"t-shirt", "trousers", "pullover", "dress", "coat",
                                      "sandal", "shirt", "sneaker", "bag", "ankle boot"};
    for (int c = 0; c < 10; c++)
        fprintf(f, "{\"id\": \"c%d\", \"text\": \"a photo of a %s\", \"relevant_filter\": "
                   "{\"must\": [{\"key\": \"label\", \"match\": {\"value\": %d}}]}}\n", c, classes[c], c);
    fprintf(f, "{\"id\": \"img\", \"image\": \"export/images/test_00000.png\", \"using\": \"image\", \"relevant\": [0]}\n");
    fprintf(f, "{\"id\": \"miss\", \"text\": \"a photo of a sandal\", \"relevant\": [999999]}\n");
    fclose(f);
    int st;
    snprintf(args, sizeof args, "eval --data %s/db --collection fashion --queries %s --out %s --failures %s --json", dir, path,
             out_path, fail_path);
    char *out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    ASSERT_EQ(json_integer_value(json_object_get(j, "k")), 10);
    json_t *ti = json_object_get(json_object_get(j, "directions"), "text->image");
    json_t *ii = json_object_get(json_object_get(j, "directions"), "image->image");
    ASSERT_EQ(json_integer_value(json_object_get(ti, "queries")), 11);
    double p = json_number_value(json_object_get(ti, "precision@k"));
    fprintf(stderr, "     eval text->image precision@10 %.3f (10 class queries + 1 miss)\n", p);
    ASSERT_TRUE(p >= 0.8 && p <= 10.0 / 11 + 1e-9);
    ASSERT_NEAR(json_number_value(json_object_get(ii, "mrr")), 1.0, 1e-9); /* the image finds itself first */
    json_decref(j);
    json_t *saved = json_load_file(out_path, 0, NULL);
    ASSERT_TRUE(saved != NULL);
    json_decref(saved);
    FILE *ff = fopen(fail_path, "r");
    char line[4096] = "";
    ASSERT_TRUE(ff && fgets(line, sizeof line, ff));
    fclose(ff);
    ASSERT_STR_CONTAINS(line, "\"id\":\"miss\"");
    ASSERT_STR_CONTAINS(line, "\"direction\":\"text->image\"");
    /* a bad query line is one clear error naming the line */
    f = fopen(path, "w");
    fprintf(f, "{\"text\": \"x\"}\n");
    fclose(f);
    snprintf(args, sizeof args, "eval --data %s/db --collection fashion --queries %s", dir, path);
    out = run(args, 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "queries.jsonl:1: a query needs \"relevant\"");
    free(out);
}

/* free_port: a TCP port nobody listens on now. */
static int free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, sizeof a);
    socklen_t al = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    return ntohs(a.sin_port);
}

static int port_open(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

/* The same manifest through `vitrine serve` with --url: ingest, resume, search; then the points
 * read back from the server's folder agree. */
static void test_ingest_search_url(void) {
    int port = free_port(), st;
    char data[128], port_s[16], args[2048];
    snprintf(data, sizeof data, "%s/served", dir);
    snprintf(port_s, sizeof port_s, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(cli_bin(), cli_bin(), "serve", "--data", data, "--port", port_s, "--api-key", "k3y", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !port_open(port); i++) usleep(50 * 1000);
    ASSERT_TRUE(port_open(port));
    snprintf(args, sizeof args,
             "ingest --url http://127.0.0.1:%d --api-key k3y --collection fashion --manifest %s/export/manifest.jsonl --json --no-progress",
             port, dir);
    char *out = run(args, 0, &st);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    ASSERT_EQ(st, 0);
    ASSERT_EQ(json_integer_value(json_object_get(j, "ingested")), 300);
    json_decref(j);
    snprintf(args, sizeof args,
             "ingest --url http://127.0.0.1:%d --api-key k3y --collection fashion --manifest %s/export/manifest.jsonl --json --no-progress --resume",
             port, dir);
    out = run(args, 0, &st);
    j = json_loads(out, 0, NULL);
    free(out);
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(j, "skipped_by_reason"), "already_stored")), 300);
    json_decref(j);
    snprintf(args, sizeof args,
             "search --url http://127.0.0.1:%d --api-key k3y --collection fashion --text \"a photo of a sneaker\" --json", port);
    out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    size_t n;
    ASSERT_TRUE(label_precision(out, 7, &n) >= 0.8);
    ASSERT_EQ(n, 10);
    free(out);
    /* without the key: the server's 401 comes back as one clear error */
    snprintf(args, sizeof args, "search --url http://127.0.0.1:%d --collection fashion --text x", port);
    out = run(args, 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "401");
    free(out);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}

static void test_search_errors(void) {
    int st;
    char args[1024];
    char *out = run("search --collection c --text x", 1, &st);
    ASSERT_EQ(st, 2);
    ASSERT_STR_CONTAINS(out, "--data DIR and --url URL");
    free(out);
    out = run("search --url ftp://host --collection c --text x", 1, &st);
    ASSERT_EQ(st, 2);
    ASSERT_STR_CONTAINS(out, "must start with http:// or https://");
    free(out);
    snprintf(args, sizeof args, "search --data %s/db --collection fashion", dir);
    out = run(args, 1, &st);
    ASSERT_EQ(st, 2);
    ASSERT_STR_CONTAINS(out, "at least one --text or --image");
    free(out);
    snprintf(args, sizeof args, "search --data %s/db --collection fashion --text a --image b --fusion max", dir);
    out = run(args, 1, &st);
    ASSERT_EQ(st, 2);
    ASSERT_STR_CONTAINS(out, "--fusion must be");
    free(out);
    snprintf(args, sizeof args, "search --data %s/db --collection nope --text a", dir);
    out = run(args, 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "nope");
    free(out);
    snprintf(args, sizeof args, "search --data %s/db --collection fashion --image /nonexistent.png", dir);
    out = run(args, 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "/nonexistent.png");
    free(out);
    snprintf(args, sizeof args, "search --data %s/db --collection fashion --text a --using text_st", dir);
    out = run(args, 1, &st);
    ASSERT_EQ(st, 1);
    ASSERT_STR_CONTAINS(out, "--text-model");
    free(out);
}

static void test_demo_small(void) {
    int st;
    char args[512];
    snprintf(args, sizeof args, "demo --limit 400 --data %s/demo", dir);
    char *out = run(args, 0, &st);
    ASSERT_EQ(st, 0);
    ASSERT_STR_CONTAINS(out, "[ingest]");
    ASSERT_STR_CONTAINS(out, "[evaluation]");
    const char *m = strstr(out, "  mean ");
    ASSERT_TRUE(m != NULL);
    double mean = atof(m + 7);
    fprintf(stderr, "     demo precision@10 mean over 400 images: %.3f\n", mean);
    ASSERT_TRUE(mean >= 0.9);
    free(out);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/vt-test-pipeline-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    RUN(test_export_ingest_search);
    RUN(test_eval);
    RUN(test_ingest_search_url);
    RUN(test_search_errors);
    RUN(test_demo_small);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_END();
}
