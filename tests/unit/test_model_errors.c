/*
 * test_model_errors.c — crafted bad inputs through the public API, each refused with one clear
 * error that names the input: broken model folders (missing files, inconsistent or malformed
 * config, truncated or corrupt weights) and broken images (zero bytes, truncated JPEG and PNG,
 * a 100000 × 100000 PNG header, not an image at all). Nothing may crash or leak.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/alloc.h"
#include "test.h"
#include "vitrine.h"

#define TINY "tests/fixtures/models/tiny-clip"

static char tmp[64];

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

/* read_file: whole file into a malloc'd buffer (tests only). */
static unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n) *n = 0;
    fclose(f);
    return b;
}

/* make_folder: tmp/NAME holding links to tiny-clip's files except `skip`; returns its path. */
static const char *make_folder(const char *name, const char *skip) {
    static char dir[256];
    static const char *files[] = {"config.json", "model.safetensors", "preprocessor_config.json", "tokenizer.json",
                                  "tokenizer_config.json", "vocab.json", "merges.txt"};
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    mkdir(dir, 0755);
    char cwd[1024];
    if (!getcwd(cwd, sizeof cwd)) return dir;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (skip && strcmp(skip, files[i]) == 0) continue;
        char src[1400], dst[400];
        snprintf(src, sizeof src, "%s/%s/%s", cwd, TINY, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        if (symlink(src, dst) != 0) perror(dst);
    }
    return dir;
}

/* expect_open_error: opening dir fails with code and a message containing `needle`. */
static int expect_open_error(const char *dir, int code, const char *needle) {
    vt_error err = {0};
    vt_model *m = NULL;
    int64_t before = 0;
    (void)before;
    int rc = vt_model_open(dir, NULL, &m, &err);
    if (rc != code || !strstr(err.message, needle) || m) {
        fprintf(stderr, "%s: rc %d (want %d), message \"%s\" (want \"%s\")\n", dir, rc, code, err.message, needle);
        vt_model_close(m);
        return 0;
    }
    printf("  %-14s -> %s\n", vt_errname(rc), err.message);
    return 1;
}

static void test_bad_model_folders(void) {
    char path[400];
    const char *d;
    /* missing files */
    ASSERT_TRUE(expect_open_error(make_folder("noconfig", "config.json"), VT_ENOTFOUND, "config.json"));
    ASSERT_TRUE(expect_open_error(make_folder("noweights", "model.safetensors"), VT_ENOTFOUND, "model.safetensors"));
    ASSERT_TRUE(expect_open_error(make_folder("nopre", "preprocessor_config.json"), VT_ENOTFOUND, "preprocessor_config.json"));
    ASSERT_TRUE(expect_open_error("tests/fixtures/no-such-model", VT_ENOTFOUND, "no-such-model"));
    /* malformed and inconsistent config */
    d = make_folder("badjson", "config.json");
    snprintf(path, sizeof path, "%s/config.json", d);
    write_file(path, "{\"model_type\": \"clip\",", 22);
    ASSERT_TRUE(expect_open_error(d, VT_ECORRUPT, "config.json: invalid JSON at line 1"));
    d = make_folder("heads", "config.json");
    snprintf(path, sizeof path, "%s/config.json", d);
    const char *heads = "{\"model_type\":\"clip\",\"projection_dim\":24,\"text_config\":{\"hidden_size\":33,"
                        "\"num_attention_heads\":4}}";
    write_file(path, heads, strlen(heads));
    ASSERT_TRUE(expect_open_error(d, VT_ECORRUPT, "hidden_size 33 is not divisible by num_attention_heads 4"));
    d = make_folder("shape", "config.json");
    snprintf(path, sizeof path, "%s/config.json", d);
    const char *shape = "{\"model_type\":\"clip\",\"projection_dim\":24,\"text_config\":{\"hidden_size\":40,"
                        "\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"eos_token_id\":2},"
                        "\"vision_config\":{\"hidden_size\":48,\"intermediate_size\":192,\"num_hidden_layers\":2,"
                        "\"num_attention_heads\":4}}";
    write_file(path, shape, strlen(shape));
    ASSERT_TRUE(expect_open_error(d, VT_ECORRUPT, "tensor text_model.embeddings.token_embedding.weight has shape [49408,32]"));
    d = make_folder("bert", "config.json");
    snprintf(path, sizeof path, "%s/config.json", d);
    write_file(path, "{\"model_type\":\"gpt2\"}", 21);
    ASSERT_TRUE(expect_open_error(d, VT_EUNSUPPORTED, "model_type \"gpt2\""));
    /* truncated and corrupt weights */
    size_t n;
    unsigned char *w = read_file(TINY "/model.safetensors", &n);
    ASSERT_TRUE(w && n > 100000);
    d = make_folder("trunc_header", "model.safetensors");
    snprintf(path, sizeof path, "%s/model.safetensors", d);
    write_file(path, w, 1000);
    ASSERT_TRUE(expect_open_error(d, VT_ECORRUPT, "model.safetensors: header length"));
    d = make_folder("trunc_data", "model.safetensors");
    snprintf(path, sizeof path, "%s/model.safetensors", d);
    write_file(path, w, n - 4);
    ASSERT_TRUE(expect_open_error(d, VT_ECORRUPT, "outside the data area"));
    d = make_folder("zero", "model.safetensors");
    snprintf(path, sizeof path, "%s/model.safetensors", d);
    write_file(path, "", 0);
    ASSERT_TRUE(expect_open_error(d, VT_ECORRUPT, "too short"));
    free(w);
}

/* png_header: a PNG signature and an IHDR chunk declaring w × h (valid CRC), nothing else. */
static size_t png_header(unsigned char *b, uint32_t w, uint32_t h) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(b, sig, 8);
    unsigned char *c = b + 8;
    c[0] = 0, c[1] = 0, c[2] = 0, c[3] = 13;
    memcpy(c + 4, "IHDR", 4);
    unsigned char *d = c + 8;
    for (int i = 0; i < 4; i++) d[i] = (unsigned char)(w >> (24 - 8 * i)), d[4 + i] = (unsigned char)(h >> (24 - 8 * i));
    d[8] = 8, d[9] = 2, d[10] = 0, d[11] = 0, d[12] = 0;
    uint32_t crc = (uint32_t)crc32(0, c + 4, 17);
    for (int i = 0; i < 4; i++) d[13 + i] = (unsigned char)(crc >> (24 - 8 * i));
    return 8 + 25;
}

static void test_bad_images(void) {
    vt_error err = {0};
    vt_model *m = NULL;
    ASSERT_EQ(vt_model_open(TINY, NULL, &m, &err), VT_OK);
    float out[64];
    char paths[6][300];
    size_t n;
    unsigned char *jpg = read_file("tests/fixtures/images/rgb_640x480.jpg", &n);
    unsigned char *png = NULL;
    size_t pn;
    png = read_file("tests/fixtures/images/rgb_480x640.png", &pn);
    ASSERT_TRUE(jpg && png);
    unsigned char big[64];
    size_t bn = png_header(big, 100000, 100000);
    struct {
        const char *name;
        const void *data;
        size_t len;
    } cases[] = {
        {"zero.png", "", 0},
        {"truncated.jpg", jpg, n / 2},
        {"truncated.png", png, pn / 2},
        {"huge.png", big, bn},
        {"text.jpg", "this is not an image\n", 21},
        {"garbage.webp", "RIFF\x10\0\0\0WEBPVP8 \x04\0\0\0abcd", 24},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", tmp, cases[i].name);
        write_file(paths[i], cases[i].data, cases[i].len);
        const char *p = paths[i];
        vt_error e = {0};
        int rc = vt_embed_image_files(m, &p, 1, out, &e);
        printf("  %-14s %-14s -> %s\n", cases[i].name, vt_errname(rc), e.message);
        if (rc == VT_OK || !strstr(e.message, cases[i].name)) {
            fprintf(stderr, "%s: rc %d, message \"%s\"\n", cases[i].name, rc, e.message);
            ASSERT_TRUE(0);
        }
        if (strcmp(cases[i].name, "huge.png") == 0) ASSERT_EQ(rc, VT_ELIMIT);
    }
    /* a missing file */
    const char *missing = "tests/fixtures/images/no-such.png";
    vt_error e = {0};
    ASSERT_TRUE(vt_embed_image_files(m, &missing, 1, out, &e) != VT_OK);
    ASSERT_STR_CONTAINS(e.message, "no-such.png");
    /* a raw buffer with a bad channel count */
    unsigned char px[4] = {0};
    vt_image im = {2, 2, 2, px};
    vt_error e2 = {0};
    ASSERT_EQ(vt_embed_images(m, &im, 1, out, &e2), VT_EINVAL);
    free(jpg);
    free(png);
    vt_model_close(m);
}

/* Fail each allocation of a model open in turn (the first 400): clean error, nothing leaked. */
static void test_open_allocation_failures(void) {
    int64_t before = vt_alloc_live_bytes();
    for (int k = 1; k <= 400; k += (k < 60 ? 1 : 17)) {
        vt_alloc_fail_at(k);
        vt_error err = {0};
        vt_model *m = NULL;
        int rc = vt_model_open(TINY, NULL, &m, &err);
        vt_alloc_fail_at(0);
        if (rc == VT_OK) vt_model_close(m);
        else if (rc != VT_ENOMEM) {
            fprintf(stderr, "allocation %d: rc %d: %s\n", k, rc, err.message);
            ASSERT_TRUE(0);
        }
        ASSERT_EQ(vt_alloc_live_bytes(), before);
    }
}

int main(void) {
    snprintf(tmp, sizeof tmp, "/tmp/vt_model_errors_XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    RUN(test_bad_model_folders);
    RUN(test_bad_images);
    RUN(test_open_allocation_failures);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    TEST_END();
}
