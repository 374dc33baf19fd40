/*
 * cmd_demo.c — `vitrine demo [--model DIR] [--limit N] [--threads N] [--data-dir DIR]`
 *
 * The main job as it exists today, on the shipped model and real product images: embed the
 * Fashion-MNIST test images (28 × 28 gray arrays fed through the raw-pixel path, resized to 224
 * exactly as the model saw them in training) and a few captions, then
 *   1. zero-shot classification: each image against "a photo of a {class}" for the ten classes,
 *      accuracy overall and per class;
 *   2. text → image search: for a few captions, the top images with their true class, and
 *      precision@10 against the class the caption names.
 * Each phase prints how long it took.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli.h"
#include "fashion_mnist.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float dot(const float *a, const float *b, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

#define IMAGES_PER_ROUND 256

typedef struct {
    const char *text; /* the query */
    int cls;          /* the class it names */
} query;

int cmd_demo(int argc, char **argv) {
    const char *model_dir = NULL, *data_dir = FMNIST_DIR, *v;
    int limit = 10000;
    vt_model_opts opts = vt_model_opts_default();
    for (int i = 0; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--limit"))) limit = cli_int("--limit", v, 1, 1000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) opts.n_threads = cli_int("--threads", v, 0, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--data-dir"))) data_dir = v;
        else return cli_usage_error("demo", "unknown option %s", argv[i]);
    }
    if (!model_dir) model_dir = cli_default_model();
    vt_error err = {0};
    fmnist d;
    double t0 = now();
    if (fmnist_load(data_dir, "t10k", limit, &d, &err)) {
        fprintf(stderr, "vitrine demo: %s\n", err.message);
        return 1;
    }
    vt_model *m = cli_open_model(model_dir, &opts);
    if (!m) {
        fmnist_free(&d);
        return 1;
    }
    int dim = vt_model_dim(m), rc = 1;
    printf("vitrine demo: model %s (%d-d embeddings), %d Fashion-MNIST test images\n", model_dir, dim, d.n);
    printf("[load] %.2f s\n\n", now() - t0);

    float *iv = vt_malloc((size_t)d.n * dim * sizeof(float));
    float *cv = vt_malloc(10 * (size_t)dim * sizeof(float));
    vt_image *ims = vt_calloc((size_t)d.n, sizeof *ims);
    if (!iv || !cv || !ims) {
        fprintf(stderr, "vitrine demo: out of memory\n");
        goto done;
    }
    /* 1. embed the images, with progress */
    t0 = now();
    int tty = isatty(2);
    for (int i = 0; i < d.n; i++)
        ims[i] = (vt_image){FMNIST_SIDE, FMNIST_SIDE, 1, d.pixels + (size_t)i * FMNIST_SIDE * FMNIST_SIDE};
    for (int first = 0; first < d.n; first += IMAGES_PER_ROUND) {
        int cn = d.n - first < IMAGES_PER_ROUND ? d.n - first : IMAGES_PER_ROUND;
        if (vt_embed_images(m, ims + first, (size_t)cn, iv + (size_t)first * dim, &err)) {
            fprintf(stderr, "vitrine demo: %s\n", err.message);
            goto done;
        }
        double el = now() - t0, rate = (first + cn) / el;
        if (tty || first + cn == d.n)
            fprintf(stderr, "%sembedding images: %d/%d  %.0f images/s  ETA %.0f s%s", tty ? "\r" : "", first + cn, d.n,
                    rate, (d.n - first - cn) / rate, tty && first + cn < d.n ? "" : "\n");
    }
    printf("[embed images] %.2f s (%.0f images/s)\n\n", now() - t0, d.n / (now() - t0));

    /* 2. zero-shot classification */
    t0 = now();
    char prompts[10][64];
    const char *pp[10];
    for (int c = 0; c < 10; c++) {
        snprintf(prompts[c], sizeof prompts[c], "a photo of a %s", FMNIST_CLASSES[c]);
        pp[c] = prompts[c];
    }
    if (vt_embed_texts(m, pp, 10, cv, &err)) {
        fprintf(stderr, "vitrine demo: %s\n", err.message);
        goto done;
    }
    int correct = 0, per_n[10] = {0}, per_ok[10] = {0};
    for (int i = 0; i < d.n; i++) {
        int best = 0;
        float bs = -2;
        for (int c = 0; c < 10; c++) {
            float s = dot(iv + (size_t)i * dim, cv + (size_t)c * dim, dim);
            if (s > bs) bs = s, best = c;
        }
        per_n[d.labels[i]]++;
        if (best == d.labels[i]) correct++, per_ok[d.labels[i]]++;
    }
    printf("zero-shot classification (\"a photo of a {class}\"): accuracy %.3f over %d images\n",
           (double)correct / d.n, d.n);
    for (int c = 0; c < 10; c++)
        if (per_n[c]) printf("  %-11s %.3f  (%d images)\n", FMNIST_CLASSES[c], (double)per_ok[c] / per_n[c], per_n[c]);
    printf("[zero-shot] %.2f s\n\n", now() - t0);

    /* 3. text -> image search */
    t0 = now();
    static const query queries[] = {{"a photo of a sneaker", 7}, {"dark ankle boot", 9}, {"handbag", 8},
                                    {"a summer dress", 3},      {"trousers for sale", 1}};
    enum { NQ = sizeof queries / sizeof queries[0], TOP = 10 };
    const char *qt[NQ];
    for (int q = 0; q < NQ; q++) qt[q] = queries[q].text;
    float qv[NQ * 1024];
    if (dim > 1024 || vt_embed_texts(m, qt, NQ, qv, &err)) {
        fprintf(stderr, "vitrine demo: %s\n", err.message[0] ? err.message : "embedding too wide");
        goto done;
    }
    printf("text -> image search (top %d of %d images; class of each hit):\n", TOP, d.n);
    for (int q = 0; q < NQ; q++) {
        int top[TOP];
        float ts[TOP];
        int k = 0;
        for (int i = 0; i < d.n; i++) {
            float s = dot(qv + (size_t)q * dim, iv + (size_t)i * dim, dim);
            if (k < TOP || s > ts[k - 1]) {
                int j = k < TOP ? k++ : TOP - 1;
                while (j > 0 && ts[j - 1] < s) ts[j] = ts[j - 1], top[j] = top[j - 1], j--;
                ts[j] = s, top[j] = i;
            }
        }
        int hits = 0;
        for (int j = 0; j < k; j++) hits += d.labels[top[j]] == queries[q].cls;
        printf("  \"%s\"  precision@%d %.2f\n", queries[q].text, TOP, (double)hits / TOP);
        for (int j = 0; j < (k < 3 ? k : 3); j++)
            printf("     #%d  image %-5d  %-10s  score %.3f\n", j + 1, top[j], FMNIST_CLASSES[d.labels[top[j]]], ts[j]);
    }
    printf("[search] %.3f s\n", now() - t0);
    rc = 0;
done:
    vt_free(iv);
    vt_free(cv);
    vt_free(ims);
    fmnist_free(&d);
    vt_model_close(m);
    return rc;
}
