/*
 * test_cli.c — the command-line contracts of DESIGN.md, run through the real binary
 * ($VITRINE_BIN, set by tests/run.sh): tokenize against the tokenizer goldens, preprocess against
 * the pixel goldens (Pillow, EXIF, torchvision), embed against the fashion-clip goldens, and the
 * exit codes and messages of bad input.
 */
#include <jansson.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "tensor/kernels.h"
#include "tensor/safetensors.h"
#include "cli_run.h"
#include "test.h"

/* run: the command's stdout (stderr too when the args redirect it) into a malloc'd string. */
static char *run(const char *args, int *status) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s", cli_bin(), args);
    return cli_capture(cmd, status);
}

static void test_tokenize_matches_goldens(void) {
    json_error_t je;
    json_t *g = json_load_file("tests/fixtures/golden/tokenizers.json", JSON_ALLOW_NUL, &je);
    ASSERT_TRUE(g);
    json_t *cases = json_object_get(json_object_get(g, "clip"), "cases");
    ASSERT_TRUE(json_array_size(cases) >= 27);
    for (int trunc = 1; trunc >= 0; trunc--) {
        int st;
        char *out = run(trunc ? "tokenize --text-json tests/fixtures/strings.json"
                              : "tokenize --max-length 0 --text-json tests/fixtures/strings.json", &st);
        ASSERT_EQ(st, 0);
        char *line = out;
        for (size_t i = 0; i < json_array_size(cases); i++) {
            char *nl = strchr(line, '\n');
            ASSERT_TRUE(nl != NULL);
            *nl = '\0';
            json_t *ours = json_loads(line, 0, &je);
            json_t *want = json_object_get(json_array_get(cases, i), trunc ? "ids_trunc" : "ids");
            if (!json_equal(ours, want)) fprintf(stderr, "string %zu: got %s\n", i, line);
            ASSERT_TRUE(json_equal(ours, want));
            json_decref(ours);
            line = nl + 1;
        }
        ASSERT_EQ(*line, '\0'); /* one line per input, no more */
        free(out);
    }
    json_decref(g);
}

/* check_preprocess: the dump of `preprocess ARGS IMAGE` equals normalize(golden u8 key). */
static int check_preprocess(const st_file *px, const char *args, const char *image, const char *key) {
    char cmd[1024], out_path[] = "/tmp/vt_cli_px_XXXXXX";
    int fd = mkstemp(out_path);
    if (fd < 0) return 0;
    close(fd);
    snprintf(cmd, sizeof cmd, "preprocess %s --out %s tests/fixtures/images/%s", args, out_path, image);
    int st;
    free(run(cmd, &st));
    const st_tensor *t = st_find(px, key);
    FILE *f = fopen(out_path, "rb");
    float *v = malloc(3 * 224 * 224 * sizeof(float));
    size_t got = f ? fread(v, sizeof(float), 3 * 224 * 224 + 1, f) : 0;
    if (f) fclose(f);
    unlink(out_path);
    static const float mean[3] = {0.48145466f, 0.4578275f, 0.40821073f}, std[3] = {0.26862954f, 0.26130258f, 0.27577711f};
    int ok = st == 0 && t && got == 3 * 224 * 224;
    double worst = 0;
    for (int c = 0; ok && c < 3; c++)
        for (int i = 0; i < 224 * 224; i++) {
            double want = (t->data[i * 3 + c] / 255.0 - mean[c]) / std[c];
            double e = fabs(v[c * 224 * 224 + i] - want);
            if (e > worst) worst = e;
        }
    free(v);
    if (!ok || worst > 1e-5) fprintf(stderr, "%s %s: status %d, %zu floats, worst %.3g\n", args, image, st, got, worst);
    return ok && worst <= 1e-5;
}

static void test_preprocess_matches_goldens(void) {
    vt_error err = {0};
    st_file *px = NULL;
    ASSERT_EQ(st_open("tests/fixtures/golden/pixels.safetensors", &px, &err), VT_OK);
    ASSERT_TRUE(check_preprocess(px, "", "odd_333x257.png", "odd_333x257/resized_u8"));
    ASSERT_TRUE(check_preprocess(px, "", "rgb_640x480.jpg", "rgb_640x480/resized_u8"));
    ASSERT_TRUE(check_preprocess(px, "", "lossless_200x200.webp", "lossless_200x200/resized_u8"));
    ASSERT_TRUE(check_preprocess(px, "", "exif_orient6_160x120.jpg", "exif_orient6_160x120@exif/resized_u8"));
    ASSERT_TRUE(check_preprocess(px, "--no-exif", "exif_orient6_160x120.jpg", "exif_orient6_160x120/resized_u8"));
    ASSERT_TRUE(check_preprocess(px, "--resize torchvision", "rgb_480x640.png", "rgb_480x640/resized_u8_torchvision"));
    ASSERT_TRUE(check_preprocess(px, "--resize pil", "palette_64x48.png", "palette_64x48/resized_u8"));
    st_close(px);
}

/* The embed lines come in input order and match the fashion-clip goldens. */
static void test_embed_matches_goldens(void) {
    vt_error err = {0};
    st_file *g = NULL;
    ASSERT_EQ(st_open("tests/fixtures/golden/fashion-clip.golden.safetensors", &g, &err), VT_OK);
    json_t *texts = json_loads(st_metadata(g, "texts"), JSON_ALLOW_NUL, NULL);
    json_t *images = json_loads(st_metadata(g, "images"), 0, NULL);
    int t0 = 25, i0 = 4; /* "a photo of a sneaker" and an image */
    int64_t ts[2] = {(int64_t)json_array_size(texts), 64}, is[2] = {(int64_t)json_array_size(images), 64};
    float *gt = NULL, *gi = NULL;
    ASSERT_EQ(st_get_f32(g, "text_embeds", 2, ts, &gt, &err), VT_OK);
    ASSERT_EQ(st_get_f32(g, "image_embeds", 2, is, &gi, &err), VT_OK);
    for (int normalize = 1; normalize >= 0; normalize--) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "embed %s --no-exif --image tests/fixtures/images/%s --text \"%s\"",
                 normalize ? "" : "--no-normalize", json_string_value(json_array_get(images, (size_t)i0)),
                 json_string_value(json_array_get(texts, (size_t)t0)));
        int st;
        char *out = run(cmd, &st);
        ASSERT_EQ(st, 0);
        char *nl = strchr(out, '\n');
        ASSERT_TRUE(nl && strchr(nl + 1, '\n'));
        *nl = '\0';
        json_t *l1 = json_loads(out, 0, NULL), *l2 = json_loads(nl + 1, 0, NULL);
        ASSERT_STR_EQ(json_string_value(json_object_get(l1, "modality")), "image");
        ASSERT_STR_EQ(json_string_value(json_object_get(l2, "modality")), "text");
        ASSERT_STR_EQ(json_string_value(json_object_get(l2, "input")), "a photo of a sneaker");
        for (int which = 0; which < 2; which++) {
            json_t *e = json_object_get(which ? l2 : l1, "embedding");
            ASSERT_EQ(json_array_size(e), 64);
            float want[64];
            memcpy(want, which ? gt + t0 * 64 : gi + i0 * 64, sizeof want);
            if (normalize) k_l2_normalize(want, 64);
            for (int d = 0; d < 64; d++) ASSERT_NEAR(json_real_value(json_array_get(e, (size_t)d)), want[d], 1e-4);
        }
        json_decref(l1);
        json_decref(l2);
        free(out);
    }
    vt_free(gt);
    vt_free(gi);
    json_decref(texts);
    json_decref(images);
    st_close(g);
}

static void test_bad_input_exit_codes(void) {
    static const struct {
        const char *args;
        int status;
        const char *message;
    } cases[] = {
        {"embed --image tests/fixtures/images/no-such.png 2>&1", 1, "no-such.png"},
        {"embed --text a --model tests/fixtures/no-such-model 2>&1", 1, "no-such-model"},
        {"embed --frobnicate 2>&1", 2, "unknown option --frobnicate"},
        {"embed 2>&1", 2, "give at least one"},
        {"tokenize --text-json tests/fixtures/no-such.json 2>&1", 1, "no-such.json"},
        {"tokenize --text-json tests/fixtures/README.md 2>&1", 1, "README.md: invalid JSON"},
        {"tokenize --text a --max-length x 2>&1", 2, "--max-length must be an integer"},
        {"preprocess --out /dev/null 2>&1", 2, "usage"},
        {"preprocess --resize nearest --out /dev/null x.png 2>&1", 2, "--resize must be pil or torchvision"},
        {"nonsense 2>&1", 2, "unknown command"},
        {"embed --max-pixels 1000 --image tests/fixtures/images/rgb_640x480.jpg 2>&1", 1, "over the limit of 1000"},
        {"bench embed --arch resnet 2>&1", 2, "--arch resnet is not available"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st;
        char *out = run(cases[i].args, &st);
        if (st != cases[i].status || !strstr(out, cases[i].message))
            fprintf(stderr, "vitrine %s: status %d, output \"%s\"\n", cases[i].args, st, out);
        ASSERT_EQ(st, cases[i].status);
        ASSERT_STR_CONTAINS(out, cases[i].message);
        free(out);
    }
}

int main(void) {
    RUN(test_tokenize_matches_goldens);
    RUN(test_preprocess_matches_goldens);
    RUN(test_embed_matches_goldens);
    RUN(test_bad_input_exit_codes);
    TEST_END();
}
