/*
 * random_clip_folder.c — a complete CLIP model folder with openai/clip-vit-base-patch32's geometry
 * and seeded random float16 weights, written for benchmarks that must go through vt_model_open
 * (the real loading, tokenizing and preprocessing path) at the real model's cost without shipping
 * its 300 MB checkpoint: `vitrine bench ingest --arch vit-b-32`.
 *
 * The tokenizer and preprocessor files are copied from the shipped model, which has CLIP's own
 * tokenizer and 224-pixel preprocessing; config.json gives ViT-B/32's sizes (text 512 wide × 12
 * layers, 8 heads; vision 768 × 12, 12 heads, 32-pixel patches; projection 512); the weights are
 * uniform in ±1/√fan_in (layer-norm gains near 1, biases small), stored as F16 in a safetensors
 * file whose header lists every tensor CLIPModel has.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct tensor_spec {
    char name[128];
    int n_dims;
    int64_t shape[4];
    float scale, base; /* values base ± scale */
} tensor_spec;

typedef struct spec_list {
    tensor_spec *t;
    size_t n, cap;
    int failed;
} spec_list;

static void add(spec_list *l, const char *name, int n_dims, const int64_t *shape, float scale, float base) {
    if (l->failed) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        tensor_spec *t = realloc(l->t, cap * sizeof *t);
        if (!t) {
            l->failed = 1;
            return;
        }
        l->t = t, l->cap = cap;
    }
    tensor_spec *s = &l->t[l->n++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->n_dims = n_dims;
    memcpy(s->shape, shape, (size_t)n_dims * sizeof *shape);
    s->scale = scale, s->base = base;
}

static void add1(spec_list *l, const char *name, int64_t n, float scale, float base) {
    int64_t s[1] = {n};
    add(l, name, 1, s, scale, base);
}

static void add2(spec_list *l, const char *name, int64_t n, int64_t k, float scale) {
    int64_t s[2] = {n, k};
    add(l, name, 2, s, scale, 0);
}

static void add_linear(spec_list *l, const char *base, int64_t n, int64_t k) {
    char name[160];
    snprintf(name, sizeof name, "%s.weight", base);
    add2(l, name, n, k, 1.0f / sqrtf((float)k));
    snprintf(name, sizeof name, "%s.bias", base);
    add1(l, name, n, 0.02f, 0);
}

static void add_ln(spec_list *l, const char *base, int64_t d) {
    char name[160];
    snprintf(name, sizeof name, "%s.weight", base);
    add1(l, name, d, 0.05f, 1.0f);
    snprintf(name, sizeof name, "%s.bias", base);
    add1(l, name, d, 0.02f, 0);
}

static void add_tower(spec_list *l, const char *tower, int layers, int64_t d, int64_t f) {
    char p[160];
    for (int i = 0; i < layers; i++) {
        static const char *const proj[4] = {"q_proj", "k_proj", "v_proj", "out_proj"};
        for (int j = 0; j < 4; j++) {
            snprintf(p, sizeof p, "%s.encoder.layers.%d.self_attn.%s", tower, i, proj[j]);
            add_linear(l, p, d, d);
        }
        snprintf(p, sizeof p, "%s.encoder.layers.%d.layer_norm1", tower, i);
        add_ln(l, p, d);
        snprintf(p, sizeof p, "%s.encoder.layers.%d.layer_norm2", tower, i);
        add_ln(l, p, d);
        snprintf(p, sizeof p, "%s.encoder.layers.%d.mlp.fc1", tower, i);
        add_linear(l, p, f, d);
        snprintf(p, sizeof p, "%s.encoder.layers.%d.mlp.fc2", tower, i);
        add_linear(l, p, d, f);
    }
}

/* f16_bits: x (|x| < 65504) as IEEE half, rounded to nearest; tiny values flush to zero. */
static uint16_t f16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    uint32_t sign = (u >> 16) & 0x8000u;
    int32_t e = (int32_t)((u >> 23) & 0xff) - 127 + 15;
    uint32_t m = u & 0x7fffffu;
    if (e <= 0) return (uint16_t)sign;
    uint32_t h = sign | ((uint32_t)e << 10) | (m >> 13);
    if (m & 0x1000u) h++; /* round half up on the dropped bits */
    return (uint16_t)h;
}

static int copy_file(const char *from_dir, const char *to_dir, const char *name) {
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/%s", from_dir, name);
    snprintf(b, sizeof b, "%s/%s", to_dir, name);
    FILE *in = fopen(a, "rb"), *out = in ? fopen(b, "wb") : NULL;
    char buf[65536];
    size_t k;
    int rc = in && out ? 0 : -1;
    while (!rc && (k = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, k, out) != k) rc = -1;
    if (in) fclose(in);
    if (out && fclose(out)) rc = -1;
    return rc;
}

static const char *CONFIG =
    "{\"architectures\": [\"CLIPModel\"], \"model_type\": \"clip\", \"projection_dim\": 512,\n"
    " \"text_config\": {\"hidden_act\": \"quick_gelu\", \"hidden_size\": 512, \"intermediate_size\": 2048,\n"
    "  \"num_attention_heads\": 8, \"num_hidden_layers\": 12, \"max_position_embeddings\": 77,\n"
    "  \"vocab_size\": 49408, \"layer_norm_eps\": 1e-05, \"bos_token_id\": 0, \"eos_token_id\": 2, \"pad_token_id\": 1},\n"
    " \"vision_config\": {\"hidden_act\": \"quick_gelu\", \"hidden_size\": 768, \"intermediate_size\": 3072,\n"
    "  \"num_attention_heads\": 12, \"num_hidden_layers\": 12, \"image_size\": 224, \"patch_size\": 32,\n"
    "  \"num_channels\": 3, \"layer_norm_eps\": 1e-05}}\n";

int write_random_clip_b32(const char *shipped_dir, const char *dir, uint64_t seed) {
    static const char *const files[] = {"vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json",
                                        "preprocessor_config.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (copy_file(shipped_dir, dir, files[i])) {
            fprintf(stderr, "vitrine: cannot copy %s/%s to %s\n", shipped_dir, files[i], dir);
            return 1;
        }
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(CONFIG, f) < 0 || fclose(f)) {
        fprintf(stderr, "vitrine: %s: cannot write\n", path);
        return 1;
    }
    spec_list l = {0};
    add2(&l, "text_model.embeddings.token_embedding.weight", 49408, 512, 0.02f);
    add2(&l, "text_model.embeddings.position_embedding.weight", 77, 512, 0.01f);
    add_tower(&l, "text_model", 12, 512, 2048);
    add_ln(&l, "text_model.final_layer_norm", 512);
    add2(&l, "text_projection.weight", 512, 512, 1.0f / sqrtf(512));
    add1(&l, "vision_model.embeddings.class_embedding", 768, 0.02f, 0);
    int64_t conv[4] = {768, 3, 32, 32};
    add(&l, "vision_model.embeddings.patch_embedding.weight", 4, conv, 1.0f / sqrtf(3 * 32 * 32), 0);
    add2(&l, "vision_model.embeddings.position_embedding.weight", 50, 768, 0.01f);
    add_ln(&l, "vision_model.pre_layrnorm", 768);
    add_tower(&l, "vision_model", 12, 768, 3072);
    add_ln(&l, "vision_model.post_layernorm", 768);
    add2(&l, "visual_projection.weight", 512, 768, 1.0f / sqrtf(768));
    if (l.failed) {
        free(l.t);
        fprintf(stderr, "vitrine: out of memory\n");
        return 1;
    }
    /* the header: {"name": {"dtype": "F16", "shape": [...], "data_offsets": [a, b]}, ...} */
    size_t hcap = l.n * 200 + 64, hn = 0;
    char *hdr = malloc(hcap);
    uint64_t off = 0;
    if (!hdr) {
        free(l.t);
        return 1;
    }
    hn += (size_t)snprintf(hdr + hn, hcap - hn, "{");
    for (size_t i = 0; i < l.n; i++) {
        uint64_t count = 1;
        hn += (size_t)snprintf(hdr + hn, hcap - hn, "%s\"%s\":{\"dtype\":\"F16\",\"shape\":[", i ? "," : "", l.t[i].name);
        for (int d = 0; d < l.t[i].n_dims; d++) {
            count *= (uint64_t)l.t[i].shape[d];
            hn += (size_t)snprintf(hdr + hn, hcap - hn, "%s%lld", d ? "," : "", (long long)l.t[i].shape[d]);
        }
        hn += (size_t)snprintf(hdr + hn, hcap - hn, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                               (unsigned long long)(off + 2 * count));
        off += 2 * count;
    }
    hn += (size_t)snprintf(hdr + hn, hcap - hn, "}");
    while (hn % 8) hdr[hn++] = ' '; /* data starts 8-byte aligned */
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)hn >> (8 * i));
    int rc = !f || fwrite(len8, 1, 8, f) != 8 || fwrite(hdr, 1, hn, f) != hn;
    uint16_t *buf = malloc(65536 * sizeof *buf);
    uint64_t s = seed;
    for (size_t i = 0; !rc && buf && i < l.n; i++) {
        uint64_t count = 1;
        for (int d = 0; d < l.t[i].n_dims; d++) count *= (uint64_t)l.t[i].shape[d];
        while (count && !rc) {
            size_t k = count < 65536 ? (size_t)count : 65536;
            for (size_t j = 0; j < k; j++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                float u = (float)((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
                buf[j] = f16_bits(l.t[i].base + l.t[i].scale * u);
            }
            if (fwrite(buf, sizeof *buf, k, f) != k) rc = 1;
            count -= k;
        }
    }
    if (!buf) rc = 1;
    if (f && fclose(f)) rc = 1;
    free(buf);
    free(hdr);
    free(l.t);
    if (rc) fprintf(stderr, "vitrine: %s: cannot write\n", path);
    return rc;
}
