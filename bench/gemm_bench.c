/*
 * gemm_bench.c — GFLOP/s of gemm_linear per transformer shape, 1 and 2 threads, beside
 * OpenBLAS sgemm on the same operands in the same run (the peer that makes the figure a ratio).
 *
 *   build:  make build/gemm_bench (or by hand: cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc -o gemm_bench bench/gemm_bench.c \
 *               <src/tensor gemm*, kernels*, cpu objects> src/base/{alloc,pool,error}.c \
 *               $(pkg-config --cflags --libs openblas) -lpthread -lm
 *   run:    ./gemm_bench [seconds per measurement, default 0.3] [kernel: avx512|avx2|scalar]
 *           OPENBLAS_CORETYPE picks OpenBLAS's kernel (this environment presets Haswell; run
 *           again with OPENBLAS_CORETYPE=SkylakeX for its AVX-512 kernel).
 *
 * Each figure is the best of 3 timings, each timing ≥ the given seconds of repeated products.
 * Ours computes Y = X·Wᵀ + b (bias included); OpenBLAS computes Y = X·Wᵀ (cblas_sgemm RowMajor,
 * NoTrans × Trans, beta 0). The last line weights the vision shapes as one ViT-B/32 layer
 * (QKV, out-proj, fc1, fc2 at m = 800) and converts to images/s for the 12 layers' Linear work
 * (8.8 GFLOP per image, ~97 % of it Linear).
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/pool.h"
#include "tensor/gemm.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    int m, n, k;
    const char *what;
} shape;

static const shape g_shapes[] = {
    {800, 2304, 768, "vit qkv"},   {800, 768, 768, "vit out/q"}, {800, 3072, 768, "vit fc1"},
    {800, 768, 3072, "vit fc2"},   {352, 1536, 512, "txt qkv"},  {352, 512, 512, "txt out"},
    {352, 2048, 512, "txt fc1"},   {352, 512, 2048, "txt fc2"},  {50, 768, 768, "1 image"},
    {1000, 384, 384, "small 384"}, {200, 50, 24, "tiny 24"},     {512, 48, 512, "thin n=48"},
};
#define N_SHAPES ((int)(sizeof g_shapes / sizeof g_shapes[0]))

typedef struct {
    const shape *s;
    float *x, *w, *b, *y;
    gemm_weights *gw;
    vt_pool *pool;
} run_ctx;

static void run_ours(run_ctx *c) {
    gemm_linear(c->pool, c->s->m, c->x, c->s->k, c->gw, c->b, c->y, c->s->n, 0);
}

static void run_blas(run_ctx *c) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c->s->m, c->s->n, c->s->k, 1.0f, c->x,
                c->s->k, c->w, c->s->k, 0.0f, c->y, c->s->n);
}

/* gflops: best of 3 timings of fn, each at least secs long. */
static double gflops(void (*fn)(run_ctx *), run_ctx *c, double secs) {
    double flop = 2.0 * c->s->m * c->s->n * c->s->k, best = 1e30;
    fn(c); /* warm up: page in, wake threads */
    for (int rep = 0; rep < 3; rep++) {
        int iters = 0;
        double t0 = now(), t;
        do {
            fn(c);
            iters++;
            t = now() - t0;
        } while (t < secs);
        if (t / iters < best) best = t / iters;
    }
    return flop / best * 1e-9;
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 0.3;
    if (argc > 2 && gemm_force_kernel(argv[2]) != 0) {
        fprintf(stderr, "kernel %s not available here\n", argv[2]);
        return 1;
    }
    const char *core = getenv("OPENBLAS_CORETYPE");
    vt_pool *pool2 = vt_pool_new(2);
    if (!pool2) return 1;
    printf("kernel %s; OpenBLAS %s, OPENBLAS_CORETYPE=%s; best of 3 × %.2f s\n", gemm_kernel_name(),
           openblas_get_config(), core ? core : "(unset)", secs);
    printf("%-11s %5s %5s %5s | %8s %8s | %8s %8s | %6s\n", "shape", "m", "n", "k", "ours 1T",
           "ours 2T", "blas 1T", "blas 2T", "2T x");
    double vit_t[2] = {0, 0}, vit_tb[2] = {0, 0}, vit_flop = 0;
    for (int i = 0; i < N_SHAPES; i++) {
        const shape *s = &g_shapes[i];
        run_ctx c = {.s = s};
        c.x = vt_malloc((size_t)s->m * s->k * sizeof(float));
        c.w = vt_malloc((size_t)s->n * s->k * sizeof(float));
        c.b = vt_malloc((size_t)s->n * sizeof(float));
        c.y = vt_malloc((size_t)s->m * s->n * sizeof(float));
        if (!c.x || !c.w || !c.b || !c.y) return 1;
        for (size_t j = 0; j < (size_t)s->m * s->k; j++) c.x[j] = (float)((j * 7919) % 1000) / 1000.0f - 0.5f;
        for (size_t j = 0; j < (size_t)s->n * s->k; j++) c.w[j] = (float)((j * 104729) % 1000) / 1000.0f - 0.5f;
        for (int j = 0; j < s->n; j++) c.b[j] = 0.01f * (float)(j % 7);
        if (gemm_weights_pack(c.w, s->n, s->k, &c.gw) != 0) return 1;
        double g[4];
        c.pool = NULL;
        g[0] = gflops(run_ours, &c, secs);
        c.pool = pool2;
        g[1] = gflops(run_ours, &c, secs);
        openblas_set_num_threads(1);
        g[2] = gflops(run_blas, &c, secs);
        openblas_set_num_threads(2);
        g[3] = gflops(run_blas, &c, secs);
        printf("%-11s %5d %5d %5d | %8.1f %8.1f | %8.1f %8.1f | %6.2f\n", s->what, s->m, s->n, s->k,
               g[0], g[1], g[2], g[3], g[1] / g[3]);
        fflush(stdout);
        if (i < 4) { /* one ViT layer: qkv, out, fc1, fc2 */
            double f = 2.0 * s->m * s->n * s->k;
            vit_flop += f;
            for (int t = 0; t < 2; t++) {
                vit_t[t] += f / (g[t] * 1e9);
                vit_tb[t] += f / (g[2 + t] * 1e9);
            }
        }
        gemm_weights_free(c.gw);
        vt_free(c.x), vt_free(c.w), vt_free(c.b), vt_free(c.y);
    }
    /* per image: 12 layers × the layer's Linear flop / 16 images */
    for (int t = 0; t < 2; t++)
        printf("ViT-B/32 layer (m=800), %dT: ours %.1f GFLOP/s = %.1f images/s of Linear work; "
               "OpenBLAS %.1f GFLOP/s = %.1f images/s\n", t + 1, vit_flop / vit_t[t] * 1e-9,
               16.0 / (12 * vit_t[t]), vit_flop / vit_tb[t] * 1e-9, 16.0 / (12 * vit_tb[t]));
    vt_pool_free(pool2);
    return 0;
}
