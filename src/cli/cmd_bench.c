/*
 * cmd_bench.c — `vitrine bench embed --arch vit-b-32|mpnet-base|minilm-l6 [--batch N] [--threads N]
 *                [--tokens N] [--seconds S]`
 *
 * Embedding throughput at a real model's geometry with random weights generated in memory
 * (clip_random.c, bert_random.c), printing one JSON object (format in docs/API.md and
 * ../shared/BENCHMARKS.md):
 *   {"bench":"embed","arch":"vit-b-32","batch":16,"threads":2,"images_per_s":…,"texts_per_s":…}
 *   {"bench":"embed","arch":"mpnet-base","batch":32,"threads":2,"tokens":18,"texts_per_s":…}
 * vit-b-32 is openai/clip-vit-base-patch32 (images and texts, default batch 16); mpnet-base is
 * sentence-transformers/all-mpnet-base-v2 (MPNet, 768 wide, 12 layers, 12 heads, relative
 * position bias) and minilm-l6 is all-MiniLM-L6-v2 (BERT, 384 wide, 6 layers, 12 heads), texts
 * only, default batch 32, timed as SentenceTransformer.encode computes: encoder, mean pooling,
 * Normalize. Texts are --tokens random tokens (default 20) between the two special tokens, all
 * the same length, so the batch is what transformers would run after padding to its longest.
 * Each figure is the best of three rounds of about S/3 seconds after one warm-up batch (the
 * machine is shared and noisy). The benchmark reaches into the library's internals (the model
 * structs) on purpose: it needs weights that no folder holds.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "cli.h"
#include "models/bert.h"
#include "models/clip.h"
#include "tensor/gemm.h"
#include "tensor/kernels.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef int (*batch_fn)(void *ctx);

/* best_rate: items per second of fn (items per call), best of 3 rounds of seconds/3 each. */
static double best_rate(batch_fn fn, void *ctx, int items, double seconds) {
    if (fn(ctx)) return -1; /* warm-up */
    double best = 0;
    for (int round = 0; round < 3; round++) {
        double t0 = now(), t;
        int calls = 0;
        do {
            if (fn(ctx)) return -1;
            calls++;
            t = now() - t0;
        } while (t < seconds / 3);
        double rate = calls * items / t;
        if (rate > best) best = rate;
    }
    return best;
}

typedef struct {
    clip_model *m;
    bert_model *bert;
    vt_pool *pool;
    int batch;
    float *pixels, *out;
    int32_t **ids;
    int *len;
} bench_ctx;

static int run_images(void *p) {
    bench_ctx *c = p;
    return clip_vision_forward(c->m, c->pool, c->batch, c->pixels, c->out, NULL);
}

static int run_texts(void *p) {
    bench_ctx *c = p;
    return clip_text_forward(c->m, c->pool, c->batch, (const int32_t *const *)c->ids, c->len, c->out, NULL);
}

/* run_sentences: what SentenceTransformer.encode computes: encoder, mean pooling, Normalize. */
static int run_sentences(void *p) {
    bench_ctx *c = p;
    int rc = bert_forward(c->bert, c->pool, c->batch, (const int32_t *const *)c->ids, c->len, POOL_MEAN, c->out, NULL);
    for (int i = 0; rc == VT_OK && i < c->batch; i++)
        k_l2_normalize(c->out + (size_t)i * c->bert->cfg.hidden, c->bert->cfg.hidden);
    return rc;
}

/* random_ids: batch texts of `tokens` random ids in [lo, hi) between first and last. */
static int random_ids(bench_ctx *c, int tokens, int32_t first, int32_t last, int32_t lo, int32_t hi) {
    uint64_t s = 7;
    for (int b = 0; b < c->batch; b++) {
        if (!(c->ids[b] = vt_malloc((size_t)(tokens + 2) * sizeof(int32_t)))) return VT_ENOMEM;
        c->ids[b][0] = first;
        for (int t = 1; t <= tokens; t++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            c->ids[b][t] = lo + (int32_t)((s >> 33) % (uint64_t)(hi - lo));
        }
        c->ids[b][tokens + 1] = last;
        c->len[b] = tokens + 2;
    }
    return VT_OK;
}

/* bench_sentences: --arch mpnet-base / minilm-l6. */
static int bench_sentences(const char *arch, int batch, int threads, int tokens, double seconds) {
    bert_config cfg;
    if (strcmp(arch, "mpnet-base") == 0) bert_config_mpnet_base(&cfg);
    else bert_config_minilm_l6(&cfg);
    if (tokens + 2 > bert_max_tokens(&cfg))
        return cli_usage_error("bench embed", "--tokens %d is too long for %s (at most %d)", tokens, arch,
                               bert_max_tokens(&cfg) - 2);
    bert_model m;
    memset(&m, 0, sizeof m);
    vt_error err = {0};
    bench_ctx c = {NULL, &m, vt_pool_new(threads), batch, NULL, NULL, NULL, NULL};
    int rc = 1, mp = cfg.arch == BERT_ARCH_MPNET;
    c.out = vt_malloc((size_t)batch * cfg.hidden * sizeof(float));
    c.ids = vt_calloc((size_t)batch, sizeof *c.ids);
    c.len = vt_calloc((size_t)batch, sizeof *c.len);
    /* [CLS] … [SEP] (BERT 101, 102) or <s> … </s> (MPNet 0, 2); words from past the specials */
    if (!c.pool || !c.out || !c.ids || !c.len || bert_init_random(&cfg, 42, &m, &err) ||
        random_ids(&c, tokens, mp ? 0 : 101, mp ? 2 : 102, 1000, cfg.vocab_size - 1)) {
        fprintf(stderr, "vitrine bench: %s\n", err.message[0] ? err.message : "out of memory");
        goto done;
    }
    double texts = best_rate(run_sentences, &c, batch, seconds);
    if (texts < 0) {
        fprintf(stderr, "vitrine bench: out of memory\n");
        goto done;
    }
    printf("{\"bench\":\"embed\",\"arch\":\"%s\",\"batch\":%d,\"threads\":%d,\"tokens\":%d,\"kernel\":\"%s\","
           "\"texts_per_s\":%.2f}\n",
           arch, batch, threads, tokens + 2, gemm_kernel_name(), texts);
    rc = 0;
done:
    if (c.ids)
        for (int b = 0; b < batch; b++) vt_free(c.ids[b]);
    vt_free(c.ids);
    vt_free(c.len);
    vt_free(c.out);
    bert_free(&m);
    vt_pool_free(c.pool);
    return rc;
}

static int bench_embed(int argc, char **argv) {
    const char *arch = "vit-b-32", *v;
    int batch = 0, threads = 0, tokens = 20;
    double seconds = 6;
    for (int i = 0; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--arch"))) arch = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--batch"))) batch = cli_int("--batch", v, 1, 4096);
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) threads = cli_int("--threads", v, 0, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--tokens"))) tokens = cli_int("--tokens", v, 1, 1 << 16);
        else if ((v = cli_flag_value(argc, argv, &i, "--seconds"))) seconds = cli_int("--seconds", v, 1, 3600);
        else return cli_usage_error("bench embed", "unknown option %s", argv[i]);
    }
    if (threads == 0) threads = vt_cpu_count();
    if (strcmp(arch, "mpnet-base") == 0 || strcmp(arch, "minilm-l6") == 0)
        return bench_sentences(arch, batch ? batch : 32, threads, tokens, seconds);
    if (strcmp(arch, "vit-b-32") != 0)
        return cli_usage_error("bench embed", "--arch %s is not available (vit-b-32, mpnet-base or minilm-l6)", arch);
    if (tokens > 75) return cli_usage_error("bench embed", "--tokens %d is too long for vit-b-32 (at most 75)", tokens);
    if (!batch) batch = 16;
    clip_config cfg;
    clip_config_vit_b_32(&cfg);
    clip_model m;
    memset(&m, 0, sizeof m);
    vt_error err = {0};
    bench_ctx c = {&m, NULL, vt_pool_new(threads), batch, NULL, NULL, NULL, NULL};
    int rc = 1;
    size_t S = (size_t)cfg.vision.image_size;
    c.pixels = vt_malloc((size_t)batch * 3 * S * S * sizeof(float));
    c.out = vt_malloc((size_t)batch * cfg.projection_dim * sizeof(float));
    c.ids = vt_calloc((size_t)batch, sizeof *c.ids);
    c.len = vt_calloc((size_t)batch, sizeof *c.len);
    if (!c.pool || !c.pixels || !c.out || !c.ids || !c.len || clip_init_random(&cfg, 42, &m, &err)) {
        fprintf(stderr, "vitrine bench: %s\n", err.message[0] ? err.message : "out of memory");
        goto done;
    }
    uint64_t s = 1;
    for (size_t i = 0; i < (size_t)batch * 3 * S * S; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        c.pixels[i] = (float)((s >> 40) & 0xffff) / 32768.0f - 1.0f;
    }
    for (int b = 0; b < batch; b++) {
        if (!(c.ids[b] = vt_malloc((size_t)(tokens + 2) * sizeof(int32_t)))) goto done;
        c.ids[b][0] = 49406;
        for (int t = 1; t <= tokens; t++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            c.ids[b][t] = (int32_t)((s >> 33) % 49406);
        }
        c.ids[b][tokens + 1] = 49407;
        c.len[b] = tokens + 2;
    }
    double images = best_rate(run_images, &c, batch, seconds);
    double texts = best_rate(run_texts, &c, batch, seconds);
    if (images < 0 || texts < 0) {
        fprintf(stderr, "vitrine bench: out of memory\n");
        goto done;
    }
    printf("{\"bench\":\"embed\",\"arch\":\"%s\",\"batch\":%d,\"threads\":%d,\"tokens\":%d,\"kernel\":\"%s\","
           "\"images_per_s\":%.2f,\"texts_per_s\":%.2f}\n",
           arch, batch, threads, tokens + 2, gemm_kernel_name(), images, texts);
    rc = 0;
done:
    if (c.ids)
        for (int b = 0; b < batch; b++) vt_free(c.ids[b]);
    vt_free(c.ids);
    vt_free(c.len);
    vt_free(c.pixels);
    vt_free(c.out);
    clip_free(&m);
    vt_pool_free(c.pool);
    return rc;
}

int cmd_bench(int argc, char **argv) {
    if (argc < 1) return cli_usage_error("bench", "usage: vitrine bench embed [options]");
    if (strcmp(argv[0], "embed") == 0) return bench_embed(argc - 1, argv + 1);
    if (strcmp(argv[0], "index") == 0) return bench_index(argc - 1, argv + 1);
    if (strcmp(argv[0], "ingest") == 0) return bench_ingest(argc - 1, argv + 1);
    if (strcmp(argv[0], "http") == 0) return bench_http(argc - 1, argv + 1);
    return cli_usage_error("bench", "unknown benchmark \"%s\" (embed, index, ingest, http)", argv[0]);
}
