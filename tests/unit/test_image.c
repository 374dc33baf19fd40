/*
 * test_image.c — the image module against the reference goldens (Pillow 12.3 + transformers
 * 5.17, tests/fixtures/golden/pixels.safetensors), plus the cases the fixtures do not cover:
 * PNG layouts (16-bit, gray+alpha, 2/4-bit, short palettes, interlace) and EXIF orientations
 * with expected pixels produced by Pillow, bad inputs, limits, allocation failures.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

#include "base/alloc.h"
#include "base/file.h"
#include "image/image.h"
#include "image/image_int.h" /* white-box: the EXIF parser */
#include "tensor/safetensors.h"
#include "test.h"

#define GOLDEN "tests/fixtures/golden/pixels.safetensors"
#define CLIP_MEAN {0.48145466f, 0.4578275f, 0.40821073f}
#define CLIP_STD {0.26862954f, 0.26130258f, 0.27577711f}
#define IMAGES "tests/fixtures/images/"

/* The fixture images: name (the golden key) and file extension. */
static const struct {
    const char *name, *ext;
} FIXTURES[] = {
    {"bilevel_120x80", "png"},    {"cmyk_200x150", "jpg"},     {"exact_224x224", "png"},
    {"exif_orient6_160x120", "jpg"}, {"fashion_00000", "png"}, {"fashion_00001", "png"},
    {"fashion_00002", "png"},     {"fashion_00003", "png"},    {"gray_100x100", "png"},
    {"gray_300x225", "jpg"},      {"large_1600x1200", "jpg"},  {"lossless_200x200", "webp"},
    {"odd_333x257", "png"},       {"off_by_one_225x224", "png"}, {"palette_64x48", "png"},
    {"progressive_320x240", "jpg"}, {"rgb_480x640", "png"},    {"rgb_640x480", "jpg"},
    {"rgba_300x200", "png"},      {"tall_31x500", "png"},      {"tiny_1x1", "png"},
    {"wide_1000x50", "jpg"},
};
#define N_FIXTURES ((int)(sizeof FIXTURES / sizeof FIXTURES[0]))

static st_file *golden;

/* golden_u8: the U8 tensor key, checked to be h × w × 3; NULL if absent. */
static const st_tensor *golden_u8(const char *key) {
    const st_tensor *t = st_find(golden, key);
    if (!t || t->dtype != ST_U8 || t->n_dims != 3 || t->shape[2] != 3) return NULL;
    return t;
}

/* n_diff: pixels (bytes) of img differing from t, and the largest difference. -1 on a shape
 * mismatch. */
static long n_diff(const img_u8 *img, const st_tensor *t, int *max_diff) {
    *max_diff = 0;
    if (t->shape[0] != img->height || t->shape[1] != img->width || img->channels != 3) return -1;
    long n = 0;
    for (size_t i = 0; i < (size_t)t->n_bytes; i++) {
        int d = abs((int)img->pixels[i] - (int)t->data[i]);
        if (d) n++;
        if (d > *max_diff) *max_diff = d;
    }
    return n;
}

/* check_image: decodes one fixture (EXIF applied or not) and compares with every golden it has.
 * Returns the number of failed comparisons; prints one line. */
static int check_image(const char *name, const char *ext, int exif) {
    char path[256], key[256];
    snprintf(path, sizeof path, IMAGES "%s.%s", name, ext);
    const char *gname = name;
    char gbuf[128];
    if (exif) {
        snprintf(gbuf, sizeof gbuf, "%s@exif", name);
        gname = gbuf;
    }
    img_decode_opts o = img_decode_opts_default();
    o.apply_exif = exif;
    img_u8 img;
    vt_error err = {0};
    int rc = img_decode_file(path, &o, &img, &err);
    if (rc) {
        printf("  %-28s decode failed: %s\n", gname, err.message);
        return 1;
    }
    int failed = 0, md;
    char line[512];
    int k = snprintf(line, sizeof line, "  %-28s %4dx%-4d", gname, img.width, img.height);

    snprintf(key, sizeof key, "%s/decoded_u8", gname);
    const st_tensor *t = golden_u8(key);
    if (t) {
        long n = n_diff(&img, t, &md);
        k += snprintf(line + k, sizeof line - k, " decoded %s", n == 0 ? "exact" : "DIFF");
        if (n != 0) {
            k += snprintf(line + k, sizeof line - k, "(%ld, max %d)", n, md);
            failed++;
        }
    }
    static const char *const MODE_KEY[2] = {"resized_u8", "resized_u8_torchvision"};
    static const char *const MODE_NAME[2] = {"pil", "torchvision"};
    for (int mode = 0; mode < 2; mode++) {
        snprintf(key, sizeof key, "%s/%s", gname, MODE_KEY[mode]);
        t = golden_u8(key);
        if (!t) {
            k += snprintf(line + k, sizeof line - k, " %s: NO GOLDEN", MODE_NAME[mode]);
            failed++;
            continue;
        }
        img_u8 r;
        rc = img_resize_crop(&img, 224, 224, 224, mode, &r, &err);
        if (rc) {
            k += snprintf(line + k, sizeof line - k, " %s: resize failed: %s", MODE_NAME[mode], err.message);
            failed++;
            continue;
        }
        long n = n_diff(&r, t, &md);
        if (n == 0) {
            k += snprintf(line + k, sizeof line - k, " %s exact", MODE_NAME[mode]);
        } else {
            k += snprintf(line + k, sizeof line - k, " %s DIFF(%ld of %lld, max %d)", MODE_NAME[mode],
                          n, (long long)t->n_bytes, md);
            failed++;
        }
        img_free(&r);
    }
    printf("%s\n", line);
    img_free(&img);
    return failed;
}

static void test_golden_pixels(void) {
    int failed = 0;
    for (int i = 0; i < N_FIXTURES; i++) failed += check_image(FIXTURES[i].name, FIXTURES[i].ext, 0);
    ASSERT_EQ(failed, 0);
}

static void test_golden_exif(void) {
    int failed = 0, n = 0;
    for (int i = 0; i < N_FIXTURES; i++) {
        char key[256];
        snprintf(key, sizeof key, "%s@exif/resized_u8", FIXTURES[i].name);
        if (!st_find(golden, key)) continue;
        failed += check_image(FIXTURES[i].name, FIXTURES[i].ext, 1);
        n++;
    }
    ASSERT_TRUE(n >= 1);
    ASSERT_EQ(failed, 0);
}


/* ---------------------------------------------------------------------------------------------
 * Expected pixels produced by Pillow (9.4 on Debian 12: the same unpackers, palette ramp,
 * transposes, libwebp and Resample.c as 12.3; 16-bit gray opens as "I" there and "I;16" in 12.x,
 * both clip to 255 on convert("RGB")). The generator builds the same samples as sample() below
 * into a PNG with zlib and reads it back with Image.open(...).convert("RGB") /
 * ImageOps.exif_transpose; the WebP files are Pillow's own; SIZE_CASES hash Pillow's
 * resize((w, h), BICUBIC) + centre crop of the fixture images.
 */
/* PNG layouts: 7x3, samples sample(x, y, c, depth); expected = Pillow's convert("RGB"). */
static const struct png_case { int depth, ctype, n_pal; uint8_t rgb[7 * 3 * 3]; } PNG_CASES[] = {
    {1, 0, 0, {255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255,
        255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0,
        0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255,
        255, 255}},
    {2, 0, 0, {85, 85, 85, 170, 170, 170, 255, 255, 255, 0, 0, 0, 85, 85, 85, 170, 170, 170,
        255, 255, 255, 0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255, 0, 0, 0, 85, 85, 85,
        170, 170, 170, 255, 255, 255, 0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255, 0, 0,
        0, 85, 85, 85}},
    {4, 0, 0, {85, 85, 85, 34, 34, 34, 255, 255, 255, 204, 204, 204, 153, 153, 153, 102, 102,
        102, 51, 51, 51, 136, 136, 136, 85, 85, 85, 34, 34, 34, 255, 255, 255, 204, 204, 204,
        153, 153, 153, 102, 102, 102, 187, 187, 187, 136, 136, 136, 85, 85, 85, 34, 34, 34,
        255, 255, 255, 204, 204, 204, 153, 153, 153}},
    {8, 0, 0, {53, 53, 53, 130, 130, 130, 207, 207, 207, 28, 28, 28, 105, 105, 105, 182, 182,
        182, 3, 3, 3, 72, 72, 72, 149, 149, 149, 226, 226, 226, 47, 47, 47, 124, 124, 124,
        201, 201, 201, 22, 22, 22, 91, 91, 91, 168, 168, 168, 245, 245, 245, 66, 66, 66, 143,
        143, 143, 220, 220, 220, 41, 41, 41}},
    {16, 0, 0, {255, 255, 255, 94, 94, 94, 255, 255, 255, 151, 151, 151, 255, 255, 255, 207,
        207, 207, 255, 255, 255, 142, 142, 142, 255, 255, 255, 198, 198, 198, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 56, 56, 56, 255, 255, 255, 246, 246, 246, 255, 255, 255,
        47, 47, 47, 255, 255, 255, 103, 103, 103, 255, 255, 255}},
    {8, 2, 0, {53, 38, 23, 130, 115, 100, 207, 192, 177, 28, 13, 254, 105, 90, 75, 182, 167,
        152, 3, 244, 229, 72, 57, 42, 149, 134, 119, 226, 211, 196, 47, 32, 17, 124, 109, 94,
        201, 186, 171, 22, 7, 248, 91, 76, 61, 168, 153, 138, 245, 230, 215, 66, 51, 36, 143,
        128, 113, 220, 205, 190, 41, 26, 11}},
    {16, 2, 0, {66, 179, 36, 0, 0, 0, 122, 235, 92, 0, 0, 0, 179, 36, 149, 0, 0, 0, 236, 92,
        205, 0, 0, 0, 170, 27, 140, 0, 0, 0, 227, 84, 197, 0, 0, 0, 27, 140, 253, 0, 0, 0,
        218, 75, 188, 0, 0, 0, 18, 131, 244, 0, 0, 0, 75, 188, 45, 0, 0, 0, 132, 245, 102}},
    {1, 3, 2, {8, 15, 32, 1, 2, 3, 8, 15, 32, 1, 2, 3, 8, 15, 32, 1, 2, 3, 8, 15, 32, 1, 2, 3,
        8, 15, 32, 1, 2, 3, 8, 15, 32, 1, 2, 3, 8, 15, 32, 1, 2, 3, 8, 15, 32, 1, 2, 3, 8, 15,
        32, 1, 2, 3, 8, 15, 32, 1, 2, 3, 8, 15, 32}},
    {2, 3, 3, {8, 15, 32, 15, 28, 61, 3, 3, 3, 1, 2, 3, 8, 15, 32, 15, 28, 61, 3, 3, 3, 1, 2,
        3, 8, 15, 32, 15, 28, 61, 3, 3, 3, 1, 2, 3, 8, 15, 32, 15, 28, 61, 3, 3, 3, 1, 2, 3,
        8, 15, 32, 15, 28, 61, 3, 3, 3, 1, 2, 3, 8, 15, 32}},
    {4, 3, 16, {36, 67, 148, 15, 28, 61, 106, 197, 182, 85, 158, 95, 64, 119, 8, 43, 80, 177,
        22, 41, 90, 57, 106, 235, 36, 67, 148, 15, 28, 61, 106, 197, 182, 85, 158, 95, 64,
        119, 8, 43, 80, 177, 78, 145, 66, 57, 106, 235, 36, 67, 148, 15, 28, 61, 106, 197,
        182, 85, 158, 95, 64, 119, 8}},
    {8, 3, 100, {116, 179, 4, 130, 130, 130, 207, 207, 207, 197, 110, 47, 105, 105, 105, 182,
        182, 182, 22, 41, 90, 249, 170, 43, 149, 149, 149, 226, 226, 226, 74, 101, 86, 124,
        124, 124, 201, 201, 201, 155, 32, 129, 126, 161, 82, 168, 168, 168, 245, 245, 245,
        207, 92, 125, 143, 143, 143, 220, 220, 220, 32, 23, 168}},
    {8, 4, 0, {53, 53, 53, 130, 130, 130, 207, 207, 207, 28, 28, 28, 105, 105, 105, 182, 182,
        182, 3, 3, 3, 72, 72, 72, 149, 149, 149, 226, 226, 226, 47, 47, 47, 124, 124, 124,
        201, 201, 201, 22, 22, 22, 91, 91, 91, 168, 168, 168, 245, 245, 245, 66, 66, 66, 143,
        143, 143, 220, 220, 220, 41, 41, 41}},
    {16, 4, 0, {66, 66, 66, 0, 0, 0, 122, 122, 122, 0, 0, 0, 179, 179, 179, 0, 0, 0, 236, 236,
        236, 0, 0, 0, 170, 170, 170, 0, 0, 0, 227, 227, 227, 0, 0, 0, 27, 27, 27, 0, 0, 0,
        218, 218, 218, 0, 0, 0, 18, 18, 18, 0, 0, 0, 75, 75, 75, 0, 0, 0, 132, 132, 132}},
    {8, 6, 0, {53, 38, 23, 130, 115, 100, 207, 192, 177, 28, 13, 254, 105, 90, 75, 182, 167,
        152, 3, 244, 229, 72, 57, 42, 149, 134, 119, 226, 211, 196, 47, 32, 17, 124, 109, 94,
        201, 186, 171, 22, 7, 248, 91, 76, 61, 168, 153, 138, 245, 230, 215, 66, 51, 36, 143,
        128, 113, 220, 205, 190, 41, 26, 11}},
    {16, 6, 0, {66, 179, 36, 0, 0, 0, 122, 235, 92, 0, 0, 0, 179, 36, 149, 0, 0, 0, 236, 92,
        205, 0, 0, 0, 170, 27, 140, 0, 0, 0, 227, 84, 197, 0, 0, 0, 27, 140, 253, 0, 0, 0,
        218, 75, 188, 0, 0, 0, 18, 131, 244, 0, 0, 0, 75, 188, 45, 0, 0, 0, 132, 245, 102}},
};
/* EXIF orientations: a 3x2 RGB PNG with an eXIf chunk; expected = ImageOps.exif_transpose. */
static const struct orient_case { int orientation, be, w, h; uint8_t rgb[3 * 2 * 3]; }
    ORIENT_CASES[] = {
    {1, 0, 3, 2, {53, 38, 23, 130, 115, 100, 207, 192, 177, 72, 57, 42, 149, 134, 119, 226,
        211, 196}},
    {1, 1, 3, 2, {53, 38, 23, 130, 115, 100, 207, 192, 177, 72, 57, 42, 149, 134, 119, 226,
        211, 196}},
    {2, 0, 3, 2, {207, 192, 177, 130, 115, 100, 53, 38, 23, 226, 211, 196, 149, 134, 119, 72,
        57, 42}},
    {2, 1, 3, 2, {207, 192, 177, 130, 115, 100, 53, 38, 23, 226, 211, 196, 149, 134, 119, 72,
        57, 42}},
    {3, 0, 3, 2, {226, 211, 196, 149, 134, 119, 72, 57, 42, 207, 192, 177, 130, 115, 100, 53,
        38, 23}},
    {3, 1, 3, 2, {226, 211, 196, 149, 134, 119, 72, 57, 42, 207, 192, 177, 130, 115, 100, 53,
        38, 23}},
    {4, 0, 3, 2, {72, 57, 42, 149, 134, 119, 226, 211, 196, 53, 38, 23, 130, 115, 100, 207,
        192, 177}},
    {4, 1, 3, 2, {72, 57, 42, 149, 134, 119, 226, 211, 196, 53, 38, 23, 130, 115, 100, 207,
        192, 177}},
    {5, 0, 2, 3, {53, 38, 23, 72, 57, 42, 130, 115, 100, 149, 134, 119, 207, 192, 177, 226,
        211, 196}},
    {5, 1, 2, 3, {53, 38, 23, 72, 57, 42, 130, 115, 100, 149, 134, 119, 207, 192, 177, 226,
        211, 196}},
    {6, 0, 2, 3, {72, 57, 42, 53, 38, 23, 149, 134, 119, 130, 115, 100, 226, 211, 196, 207,
        192, 177}},
    {6, 1, 2, 3, {72, 57, 42, 53, 38, 23, 149, 134, 119, 130, 115, 100, 226, 211, 196, 207,
        192, 177}},
    {7, 0, 2, 3, {226, 211, 196, 207, 192, 177, 149, 134, 119, 130, 115, 100, 72, 57, 42, 53,
        38, 23}},
    {7, 1, 2, 3, {226, 211, 196, 207, 192, 177, 149, 134, 119, 130, 115, 100, 72, 57, 42, 53,
        38, 23}},
    {8, 0, 2, 3, {207, 192, 177, 226, 211, 196, 130, 115, 100, 149, 134, 119, 53, 38, 23, 72,
        57, 42}},
    {8, 1, 2, 3, {207, 192, 177, 226, 211, 196, 130, 115, 100, 149, 134, 119, 53, 38, 23, 72,
        57, 42}},
};
/* 5x4 lossless WebP with an EXIF chunk (orientation 8), and its exif_transpose'd pixels. */
static const uint8_t WEBP_EXIF[] = {82, 73, 70, 70, 114, 0, 0, 0, 87, 69, 66, 80, 86, 80, 56, 88,
    10, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 3, 0, 0, 86, 80, 56, 76, 49, 0, 0, 0, 47, 4, 192, 0, 0, 153,
    50, 68, 244, 63, 54, 81, 120, 2, 73, 91, 188, 237, 239, 127, 220, 96, 32, 109, 155, 237, 183,
    117, 255, 210, 174, 33, 12, 138, 218, 182, 109, 216, 144, 75, 234, 238, 136, 248, 29, 156,
    138, 224, 3, 0, 69, 88, 73, 70, 26, 0, 0, 0, 77, 77, 0, 42, 0, 0, 0, 8, 0, 1, 1, 18, 0, 3, 0,
    0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0};
static const uint8_t WEBP_EXIF_RGB[] = {160, 12, 9, 167, 72, 89, 174, 132, 169, 181, 192, 249,
    120, 9, 9, 127, 69, 69, 134, 129, 129, 141, 189, 189, 80, 6, 9, 87, 66, 49, 94, 126, 89, 101,
    186, 129, 40, 3, 9, 47, 63, 29, 54, 123, 49, 61, 183, 69, 0, 0, 9, 7, 60, 9, 14, 120, 9, 21,
    180, 9}; /* 4x5 */
/* 8x8 lossy WebP with alpha, and Pillow's convert("RGB") of it. */
static const uint8_t WEBP_LOSSY_ALPHA[] = {82, 73, 70, 70, 132, 0, 0, 0, 87, 69, 66, 80, 86, 80,
    56, 88, 10, 0, 0, 0, 16, 0, 0, 0, 7, 0, 0, 7, 0, 0, 65, 76, 80, 72, 22, 0, 0, 0, 1, 153, 10,
    68, 244, 63, 64, 38, 96, 49, 20, 209, 63, 167, 79, 129, 136, 9, 72, 214, 198, 13, 86, 80, 56,
    32, 72, 0, 0, 0, 208, 1, 0, 157, 1, 42, 8, 0, 8, 0, 1, 64, 38, 37, 168, 2, 116, 0, 244, 49,
    239, 193, 144, 0, 254, 252, 107, 211, 25, 124, 106, 172, 218, 19, 213, 247, 236, 93, 157, 134,
    213, 114, 248, 19, 26, 62, 2, 215, 193, 22, 79, 255, 212, 127, 51, 207, 71, 252, 204, 127, 11,
    145, 255, 249, 95, 254, 138, 92, 176, 0, 0, 0};
static const uint8_t WEBP_LOSSY_ALPHA_RGB[] = {114, 101, 112, 27, 0, 19, 55, 0, 36, 92, 3, 58,
    125, 0, 76, 155, 0, 92, 188, 3, 113, 206, 9, 126, 13, 17, 22, 36, 24, 37, 60, 21, 50, 97, 26,
    73, 130, 21, 90, 159, 19, 107, 192, 25, 127, 210, 31, 139, 13, 51, 42, 31, 54, 53, 70, 66, 79,
    96, 58, 92, 129, 54, 109, 159, 54, 125, 191, 59, 147, 211, 64, 159, 18, 86, 63, 34, 89, 73,
    62, 90, 90, 85, 80, 98, 125, 82, 121, 155, 79, 137, 187, 84, 158, 207, 89, 170, 15, 109, 73,
    35, 115, 85, 67, 120, 107, 99, 118, 123, 132, 114, 140, 162, 111, 156, 193, 117, 177, 213,
    122, 191, 12, 136, 85, 31, 140, 98, 63, 145, 118, 95, 144, 136, 128, 139, 154, 156, 138, 169,
    189, 143, 190, 207, 149, 203, 10, 169, 104, 30, 174, 117, 63, 179, 138, 94, 177, 156, 128,
    173, 174, 156, 171, 189, 189, 177, 208, 209, 182, 223, 16, 191, 118, 34, 195, 132, 67, 200,
    153, 98, 199, 169, 132, 194, 187, 162, 192, 202, 194, 197, 223, 213, 203, 236};
/* Pillow BICUBIC at other sizes: FNV-1a 32 of the crop (computed by Pillow). */
static const struct size_case { const char *file; int shortest, crop_h, crop_w; uint32_t fnv; }
    SIZE_CASES[] = {
    {"odd_333x257.png", 64, 64, 64, 0xd37ff86du},
    {"odd_333x257.png", 300, 256, 300, 0x2216ee50u},
    {"odd_333x257.png", 97, 91, 33, 0x7f4620acu},
    {"odd_333x257.png", 1, 1, 1, 0x1f43e601u},
    {"tall_31x500.png", 64, 64, 64, 0x9415b8e7u},
    {"tall_31x500.png", 300, 256, 300, 0x01c44cfau},
    {"tall_31x500.png", 97, 91, 33, 0xb067e6ccu},
    {"tall_31x500.png", 1, 1, 1, 0x0f605922u},
    {"wide_1000x50.jpg", 64, 64, 64, 0x2bae2a57u},
    {"wide_1000x50.jpg", 300, 256, 300, 0xb9ed6987u},
    {"wide_1000x50.jpg", 97, 91, 33, 0x11c753e6u},
    {"wide_1000x50.jpg", 1, 1, 1, 0x961f5424u},
    {"large_1600x1200.jpg", 64, 64, 64, 0xe058c93fu},
    {"large_1600x1200.jpg", 300, 256, 300, 0xd83dfabfu},
    {"large_1600x1200.jpg", 97, 91, 33, 0xa942b295u},
    {"large_1600x1200.jpg", 1, 1, 1, 0x23ab8a50u},
    {"palette_64x48.png", 64, 64, 64, 0xb88e7b47u},
    {"palette_64x48.png", 300, 256, 300, 0xe9b31b5eu},
    {"palette_64x48.png", 97, 91, 33, 0xe7928eaau},
    {"palette_64x48.png", 1, 1, 1, 0x1e1ef71fu},
};

/* sample: the deterministic sample values of the generated PNGs (the generator's formula). */
static unsigned sample(int x, int y, int c, int depth) {
    unsigned v = (unsigned)(((x * 73 + y * 151 + c * 29 + 17) * 997) % 65536);
    if (depth == 16) return (x + y) % 2 ? v >> 8 : v;
    return v & ((1u << depth) - 1);
}

static int png_channels(int ctype) {
    return ctype == 0 ? 1 : ctype == 2 ? 3 : ctype == 3 ? 1 : ctype == 4 ? 2 : 4;
}

struct wctx {
    png_structp png;
    png_infop info;
    uint8_t *buf; /* the PNG being written (malloc) */
    size_t len, cap;
    uint8_t *pix; /* packed rows */
    png_bytep *rows;
};

static void w_write(png_structp png, png_bytep d, size_t n) {
    struct wctx *w = png_get_io_ptr(png);
    if (w->len + n > w->cap) {
        w->cap = (w->len + n) * 2;
        w->buf = realloc(w->buf, w->cap);
        if (!w->buf) png_error(png, "out of memory");
    }
    memcpy(w->buf + w->len, d, n);
    w->len += n;
}

static void w_flush(png_structp png) {
    (void)png;
}

/* w_run: writes the PNG described by the arguments into w->buf; 0 or -1. */
static int w_run(struct wctx *w, int width, int height, int depth, int ctype, int n_pal,
                 int interlace, const uint8_t *exif, int exif_len) {
    if (setjmp(png_jmpbuf(w->png))) return -1;
    png_set_write_fn(w->png, w, w_write, w_flush);
    png_set_check_for_invalid_index(w->png, 0); /* indices past the palette are a test case */
    png_set_IHDR(w->png, w->info, (png_uint_32)width, (png_uint_32)height, depth, ctype,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (ctype == 3) {
        png_color pal[256];
        for (int i = 0; i < n_pal; i++) {
            pal[i].red = (uint8_t)(i * 7 + 1);
            pal[i].green = (uint8_t)(i * 13 + 2);
            pal[i].blue = (uint8_t)(i * 29 + 3);
        }
        png_set_PLTE(w->png, w->info, pal, n_pal);
    }
    if (exif) png_set_eXIf_1(w->png, w->info, (png_uint_32)exif_len, (png_bytep)exif);
    png_write_info(w->png, w->info);
    if (interlace) png_set_interlace_handling(w->png);
    png_write_image(w->png, w->rows);
    png_write_end(w->png, w->info);
    return 0;
}

/* make_png: a PNG (malloc'd, *len bytes) of the sample() image in the given layout. */
static uint8_t *make_png(int width, int height, int depth, int ctype, int n_pal, int interlace,
                         const uint8_t *exif, int exif_len, size_t *len) {
    struct wctx w;
    memset(&w, 0, sizeof w);
    int ch = png_channels(ctype);
    size_t rowbytes = ((size_t)width * ch * depth + 7) / 8;
    w.pix = calloc((size_t)height, rowbytes);
    w.rows = calloc((size_t)height, sizeof *w.rows);
    for (int y = 0; y < height; y++) {
        uint8_t *r = w.pix + (size_t)y * rowbytes;
        w.rows[y] = r;
        for (int i = 0; i < width * ch; i++) {
            unsigned v = sample(i / ch, y, i % ch, depth);
            if (depth == 16) {
                r[2 * i] = (uint8_t)(v >> 8);
                r[2 * i + 1] = (uint8_t)v;
            } else if (depth == 8) {
                r[i] = (uint8_t)v;
            } else {
                int per = 8 / depth;
                r[i / per] |= (uint8_t)(v << (8 - depth * (i % per + 1)));
            }
        }
    }
    w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    w.info = png_create_info_struct(w.png);
    int rc = w_run(&w, width, height, depth, ctype, n_pal, interlace, exif, exif_len);
    png_destroy_write_struct(&w.png, &w.info);
    free(w.pix);
    free(w.rows);
    if (rc) {
        free(w.buf);
        return NULL;
    }
    *len = w.len;
    return w.buf;
}

/* tiff_orient: a minimal EXIF TIFF block with one Orientation entry (SHORT) into b (26 bytes). */
static int tiff_orient(uint8_t *b, int orientation, int be) {
    static const uint8_t LE[] = {'I', 'I', 0x2A, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t BE[] = {'M', 'M', 0, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                                 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(b, be ? BE : LE, sizeof LE);
    b[be ? 19 : 18] = (uint8_t)orientation;
    return (int)sizeof LE;
}

static void test_png_layouts(void) {
    int n = (int)(sizeof PNG_CASES / sizeof PNG_CASES[0]);
    for (int i = 0; i < n; i++) {
        const struct png_case *pc = &PNG_CASES[i];
        for (int interlace = 0; interlace < 2; interlace++) {
            size_t len = 0;
            uint8_t *png = make_png(7, 3, pc->depth, pc->ctype, pc->n_pal, interlace, NULL, 0, &len);
            ASSERT_TRUE(png != NULL);
            img_u8 img;
            vt_error err = {0};
            int rc = img_decode_mem(png, len, "layout.png", NULL, &img, &err);
            free(png);
            if (rc) T_FAIL_("depth %d ctype %d interlace %d: %s", pc->depth, pc->ctype, interlace, err.message);
            ASSERT_EQ(img.width, 7);
            ASSERT_EQ(img.height, 3);
            int same = memcmp(img.pixels, pc->rgb, sizeof pc->rgb) == 0;
            img_free(&img);
            if (!same) T_FAIL_("depth %d ctype %d (palette %d) interlace %d: pixels differ from Pillow",
                               pc->depth, pc->ctype, pc->n_pal, interlace);
        }
    }
}

static void test_exif_orientations(void) {
    int n = (int)(sizeof ORIENT_CASES / sizeof ORIENT_CASES[0]);
    for (int i = 0; i < n; i++) {
        const struct orient_case *oc = &ORIENT_CASES[i];
        uint8_t tiff[32];
        int tl = tiff_orient(tiff, oc->orientation, oc->be);
        ASSERT_EQ(img_exif_orientation(tiff, (size_t)tl), oc->orientation);
        size_t len = 0;
        uint8_t *png = make_png(3, 2, 8, 2, 0, 0, tiff, tl, &len);
        ASSERT_TRUE(png != NULL);
        for (int apply = 0; apply < 2; apply++) {
            img_decode_opts o = img_decode_opts_default();
            o.apply_exif = apply;
            img_u8 img;
            vt_error err = {0};
            int rc = img_decode_mem(png, len, "orient.png", &o, &img, &err);
            if (rc) {
                free(png);
                T_FAIL_("orientation %d: %s", oc->orientation, err.message);
            }
            int ok;
            if (apply) {
                ok = img.width == oc->w && img.height == oc->h && memcmp(img.pixels, oc->rgb, sizeof oc->rgb) == 0;
            } else {
                ok = img.width == 3 && img.height == 2; /* unrotated */
                for (int p = 0; ok && p < 18; p++) ok = img.pixels[p] == (uint8_t)sample(p / 3 % 3, p / 9, p % 3, 8);
            }
            img_free(&img);
            if (!ok) {
                free(png);
                T_FAIL_("orientation %d (%s-endian, apply %d): pixels differ from Pillow",
                        oc->orientation, oc->be ? "big" : "little", apply);
            }
        }
        free(png);
    }
}


static void test_webp(void) {
    img_u8 img;
    vt_error err = {0};
    ASSERT_EQ(img_decode_mem(WEBP_EXIF, sizeof WEBP_EXIF, "exif.webp", NULL, &img, &err), 0);
    ASSERT_EQ(img.width, 4); /* orientation 8: 5x4 → 4x5 */
    ASSERT_EQ(img.height, 5);
    int same = memcmp(img.pixels, WEBP_EXIF_RGB, sizeof WEBP_EXIF_RGB) == 0;
    img_free(&img);
    ASSERT_TRUE(same);
    ASSERT_EQ(img_decode_mem(WEBP_LOSSY_ALPHA, sizeof WEBP_LOSSY_ALPHA, "lossy.webp", NULL, &img, &err), 0);
    ASSERT_EQ(img.width, 8);
    ASSERT_EQ(img.height, 8);
    same = memcmp(img.pixels, WEBP_LOSSY_ALPHA_RGB, sizeof WEBP_LOSSY_ALPHA_RGB) == 0;
    img_free(&img);
    ASSERT_TRUE(same);
}

static uint32_t fnv1a(const uint8_t *p, size_t n) {
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x01000193u;
    return h;
}

/* Pillow resizes at sizes other than CLIP's 224, up and down, thin and square. */
static void test_resize_sizes(void) {
    int n = (int)(sizeof SIZE_CASES / sizeof SIZE_CASES[0]);
    for (int i = 0; i < n; i++) {
        const struct size_case *sc = &SIZE_CASES[i];
        char path[256];
        snprintf(path, sizeof path, IMAGES "%s", sc->file);
        img_u8 img, r;
        vt_error err = {0};
        ASSERT_EQ(img_decode_file(path, NULL, &img, &err), 0);
        int rc = img_resize_crop(&img, sc->shortest, sc->crop_h, sc->crop_w, IMG_RESIZE_PIL, &r, &err);
        img_free(&img);
        ASSERT_EQ(rc, 0);
        uint32_t h = fnv1a(r.pixels, (size_t)r.width * r.height * 3);
        img_free(&r);
        if (h != sc->fnv)
            T_FAIL_("%s shortest %d crop %dx%d: fnv %08x, Pillow %08x", sc->file, sc->shortest,
                    sc->crop_w, sc->crop_h, h, sc->fnv);
    }
}

/* A crop larger than the resized image is padded with 0: PIL backend at ceil(d/2), torchvision
 * backend at floor(d/2). A 4x2 image with shortest 2 is not resized at all. */
static void test_resize_padding(void) {
    uint8_t px[4 * 2 * 3];
    for (int i = 0; i < (int)sizeof px; i++) px[i] = (uint8_t)(10 + i);
    img_u8 src = {4, 2, 3, px}, r;
    vt_error err = {0};
    for (int mode = 0; mode < 2; mode++) {
        ASSERT_EQ(img_resize_crop(&src, 2, 5, 3, mode, &r, &err), 0);
        ASSERT_EQ(r.width, 3);
        ASSERT_EQ(r.height, 5);
        int top = mode == IMG_RESIZE_PIL ? 2 : 1; /* d = 3 */
        int ok = 1;
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 3; x++)
                for (int c = 0; c < 3; c++) {
                    int sy = y - top, want = sy >= 0 && sy < 2 ? px[(sy * 4 + x) * 3 + c] : 0;
                    if (r.pixels[(y * 3 + x) * 3 + c] != want) ok = 0;
                }
        img_free(&r);
        if (!ok) T_FAIL_("mode %d: padding or offset wrong", mode);
    }
    ASSERT_EQ(img_resize_crop(&src, 0, 224, 224, IMG_RESIZE_PIL, &r, &err), VT_EINVAL);
    ASSERT_EQ(img_resize_crop(&src, 224, 224, 224, 7, &r, &err), VT_EINVAL);
}

/* A 2x30000 strip: the resized long side (3.36 M) is never materialised, both modes work; a
 * target that would make it exceed the cap is refused. */
static void test_resize_extreme(void) {
    int w = 2, h = 30000;
    uint8_t *px = vt_malloc((size_t)w * h * 3);
    ASSERT_TRUE(px != NULL);
    for (int i = 0; i < w * h * 3; i++) px[i] = (uint8_t)(i * 7);
    img_u8 src = {w, h, 3, px}, r;
    vt_error err = {0};
    for (int mode = 0; mode < 2; mode++) {
        int rc = img_resize_crop(&src, 224, 224, 224, mode, &r, &err);
        if (rc) {
            vt_free(px);
            T_FAIL_("mode %d: %s", mode, err.message);
        }
        ASSERT_EQ(r.width, 224);
        ASSERT_EQ(r.height, 224);
        img_free(&r);
    }
    vt_error err2 = {0};
    int rc = img_resize_crop(&src, 16384, 224, 224, IMG_RESIZE_TORCHVISION, &r, &err2);
    vt_free(px);
    ASSERT_EQ(rc, VT_ELIMIT);
    ASSERT_TRUE(r.pixels == NULL);
}

/* img_normalize against the float pixel_values of transformers' PIL processor. */
static void test_normalize(void) {
    static const float mean[3] = CLIP_MEAN, std[3] = CLIP_STD;
    int checked = 0;
    for (int i = 0; i < N_FIXTURES; i++) {
        char key[256], path[256];
        snprintf(key, sizeof key, "%s/CLIPImageProcessorPil", FIXTURES[i].name);
        if (!st_find(golden, key)) continue;
        int64_t shape[3] = {3, 224, 224};
        float *want = NULL;
        vt_error err = {0};
        ASSERT_EQ(st_get_f32(golden, key, 3, shape, &want, &err), 0);
        snprintf(path, sizeof path, IMAGES "%s.%s", FIXTURES[i].name, FIXTURES[i].ext);
        img_u8 img, r;
        ASSERT_EQ(img_decode_file(path, NULL, &img, &err), 0);
        ASSERT_EQ(img_resize_crop(&img, 224, 224, 224, IMG_RESIZE_PIL, &r, &err), 0);
        float *got = vt_malloc(sizeof(float) * 3 * 224 * 224);
        img_normalize(&r, 1.0f / 255.0f, mean, std, got);
        double md = 0;
        for (int k = 0; k < 3 * 224 * 224; k++) md = fmax(md, fabs((double)got[k] - want[k]));
        vt_free(got);
        vt_free(want);
        img_free(&img);
        img_free(&r);
        printf("  %-20s max |normalize - CLIPImageProcessorPil| = %.3g\n", FIXTURES[i].name, md);
        ASSERT_TRUE(md <= 1e-6);
        checked++;
    }
    ASSERT_TRUE(checked >= 1);
}

static void test_to_rgb(void) {
    uint8_t g[6] = {0, 1, 2, 250, 254, 255}, rgba[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    img_u8 img;
    vt_error err = {0};
    ASSERT_EQ(img_to_rgb(g, 3, 2, 1, &img, &err), 0);
    ASSERT_EQ(img.width, 3);
    ASSERT_EQ(img.height, 2);
    ASSERT_EQ(img.channels, 3);
    for (int i = 0; i < 6; i++) {
        ASSERT_EQ(img.pixels[3 * i], g[i]);
        ASSERT_EQ(img.pixels[3 * i + 1], g[i]);
        ASSERT_EQ(img.pixels[3 * i + 2], g[i]);
    }
    img_free(&img);
    ASSERT_EQ(img_to_rgb(rgba, 2, 1, 4, &img, &err), 0);
    ASSERT_EQ(img.pixels[3], 5);
    ASSERT_EQ(img.pixels[5], 7);
    img_free(&img);
    ASSERT_EQ(img_to_rgb(g, 1, 2, 3, &img, &err), 0);
    ASSERT_EQ(memcmp(img.pixels, g, 6), 0);
    img_free(&img);
    ASSERT_EQ(img_to_rgb(g, 3, 2, 2, &img, &err), VT_EINVAL);
    ASSERT_EQ(img_to_rgb(NULL, 3, 2, 1, &img, &err), VT_EINVAL);
    ASSERT_EQ(img_to_rgb(g, 0, 2, 1, &img, &err), VT_EINVAL);
    img_free(NULL);
}

/* read_fixture: the bytes of a fixture image (malloc). */
static uint8_t *read_fixture(const char *file, size_t *len) {
    char path[256];
    snprintf(path, sizeof path, IMAGES "%s", file);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static int write_file(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(d, 1, n, f) : 0;
    fclose(f);
    return w == n ? 0 : -1;
}

/* huge_png_header: a signature + IHDR (valid CRC) declaring w × h, and nothing else. */
static size_t huge_png_header(uint8_t *b, uint32_t w, uint32_t h) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    uint8_t ihdr[17] = {'I', 'H', 'D', 'R', 0, 0, 0, 0, 0, 0, 0, 0, 8, 2, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        ihdr[4 + i] = (uint8_t)(w >> (24 - 8 * i));
        ihdr[8 + i] = (uint8_t)(h >> (24 - 8 * i));
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (int i = 0; i < 17; i++) {
        crc ^= ihdr[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    crc ^= 0xFFFFFFFFu;
    memcpy(b, sig, 8);
    memcpy(b + 8, "\0\0\0\x0d", 4);
    memcpy(b + 12, ihdr, 17);
    for (int i = 0; i < 4; i++) b[29 + i] = (uint8_t)(crc >> (24 - 8 * i));
    return 33;
}

/* Every bad file gives its own clear error naming the file. */
static void test_bad_inputs(void) {
    char dir[] = "/tmp/vt_test_image_XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    size_t jl = 0, pl = 0;
    uint8_t *jpg = read_fixture("rgb_640x480.jpg", &jl), *png = read_fixture("rgb_480x640.png", &pl);
    ASSERT_TRUE(jpg && png);
    uint8_t huge[64], garbage[4096];
    size_t hl = huge_png_header(huge, 100000, 100000);
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof garbage; i++) garbage[i] = (uint8_t)((s = s * 1103515245u + 12345u) >> 16);
    static const char text[] = "This is a text file, not an image.\nSecond line.\n";
    uint8_t bogus_jpg[64] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10};
    struct {
        const char *file;
        const void *data;
        size_t len;
        int code;
        const char *says;
    } cases[] = {
        {"empty.png", "", 0, VT_ECORRUPT, "empty"},
        {"truncated.jpg", jpg, jl / 2, VT_ECORRUPT, "truncated"},
        {"truncated.png", png, pl / 2, VT_ECORRUPT, "truncated"},
        {"sig_only.png", png, 8, VT_ECORRUPT, "truncated"},
        {"header_only.jpg", jpg, 300, VT_ECORRUPT, "truncated"},
        {"huge.png", huge, hl, VT_ELIMIT, "100000x100000"},
        {"garbage.bin", garbage, sizeof garbage, VT_EUNSUPPORTED, "not a JPEG, PNG or WebP"},
        {"notes.txt", text, sizeof text - 1, VT_EUNSUPPORTED, "not a JPEG, PNG or WebP"},
        {"bogus.jpg", bogus_jpg, sizeof bogus_jpg, VT_ECORRUPT, "JPEG"},
        {"anim.gif", "GIF89a\x01\0\x01\0\0\0\0", 13, VT_EUNSUPPORTED, "GIF"},
    };
    int n = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < n; i++) {
        char *path = vt_path_join(dir, cases[i].file);
        ASSERT_EQ(write_file(path, cases[i].data, cases[i].len), 0);
        img_u8 img;
        vt_error err = {0};
        int rc = img_decode_file(path, NULL, &img, &err);
        printf("  %-16s %-13s %s\n", cases[i].file, vt_errname(rc), err.message);
        int ok = rc == cases[i].code && strstr(err.message, path) && strstr(err.message, cases[i].says) &&
                 img.pixels == NULL;
        unlink(path);
        if (!ok) {
            T_FAIL_("%s: got %s \"%s\", want %s mentioning the path and \"%s\"", cases[i].file,
                    vt_errname(rc), err.message, vt_errname(cases[i].code), cases[i].says);
        }
        vt_free(path);
    }
    img_u8 img;
    vt_error err = {0};
    char *missing = vt_path_join(dir, "missing.png");
    ASSERT_EQ(img_decode_file(missing, NULL, &img, &err), VT_ENOTFOUND);
    ASSERT_STR_CONTAINS(err.message, missing);
    vt_free(missing);
    rmdir(dir);
    free(jpg);
    free(png);
}

/* patch_jpeg_size: sets the SOF0/SOF2 dimensions of a JPEG in place; 0 if found. */
static int patch_jpeg_size(uint8_t *d, size_t n, int w, int h) {
    for (size_t i = 2; i + 9 < n;) {
        if (d[i] != 0xFF) return -1;
        int m = d[i + 1], len = d[i + 2] << 8 | d[i + 3];
        if (m == 0xC0 || m == 0xC2) {
            d[i + 5] = (uint8_t)(h >> 8);
            d[i + 6] = (uint8_t)h;
            d[i + 7] = (uint8_t)(w >> 8);
            d[i + 8] = (uint8_t)w;
            return 0;
        }
        i += 2 + (size_t)len;
    }
    return -1;
}

/* The limits hold before any pixel memory is asked for: with the next allocation armed to fail,
 * an over-limit header still reports VT_ELIMIT and nothing was allocated. */
static void test_limits(void) {
    struct {
        const char *name;
        uint32_t w, h;
        uint64_t max_pixels;
    } pngs[] = {
        {"side.png", 100000, 100000, IMG_DEFAULT_MAX_PIXELS},
        {"pixels.png", 9000, 9000, IMG_DEFAULT_MAX_PIXELS},
        {"small_budget.png", 100, 100, 5000},
        {"wide.png", 70000, 1, IMG_DEFAULT_MAX_PIXELS},
    };
    for (int i = 0; i < 4; i++) {
        uint8_t b[64];
        size_t n = huge_png_header(b, pngs[i].w, pngs[i].h);
        img_decode_opts o = img_decode_opts_default();
        o.max_pixels = pngs[i].max_pixels;
        img_u8 img;
        vt_error err = {0};
        int64_t live = vt_alloc_live_bytes();
        vt_alloc_fail_at(1);
        int rc = img_decode_mem(b, n, pngs[i].name, &o, &img, &err);
        int64_t injected = vt_alloc_injected();
        vt_alloc_fail_at(0);
        ASSERT_EQ(rc, VT_ELIMIT);
        ASSERT_EQ(injected, 0);
        ASSERT_EQ(vt_alloc_live_bytes(), live);
        ASSERT_STR_CONTAINS(err.message, pngs[i].name);
    }
    /* JPEG: a real file with its SOF claiming 60000 x 60000. */
    size_t jl = 0;
    uint8_t *jpg = read_fixture("progressive_320x240.jpg", &jl);
    ASSERT_TRUE(jpg != NULL);
    ASSERT_EQ(patch_jpeg_size(jpg, jl, 60000, 60000), 0);
    img_u8 img;
    vt_error err = {0};
    vt_alloc_fail_at(1);
    int rc = img_decode_mem(jpg, jl, "big.jpg", NULL, &img, &err);
    int64_t injected = vt_alloc_injected();
    vt_alloc_fail_at(0);
    free(jpg);
    ASSERT_EQ(rc, VT_ELIMIT);
    ASSERT_EQ(injected, 0);
    ASSERT_STR_CONTAINS(err.message, "big.jpg");
    /* WebP and JPEG under a small budget; the file-size cap. */
    img_decode_opts o = img_decode_opts_default();
    o.max_pixels = 1000;
    ASSERT_EQ(img_decode_file(IMAGES "lossless_200x200.webp", &o, &img, &err), VT_ELIMIT);
    ASSERT_EQ(img_decode_file(IMAGES "rgb_640x480.jpg", &o, &img, &err), VT_ELIMIT);
    o = img_decode_opts_default();
    o.max_file_bytes = 1000;
    vt_error err2 = {0};
    ASSERT_EQ(img_decode_file(IMAGES "rgb_640x480.jpg", &o, &img, &err2), VT_ELIMIT);
    ASSERT_STR_CONTAINS(err2.message, "rgb_640x480.jpg");
}

/* Every prefix of small files of each format decodes or fails cleanly; cutting into the image
 * data always fails. */
static void test_truncation_sweep(void) {
    static const char *const files[] = {"exif_orient6_160x120.jpg", "palette_64x48.png",
                                        "progressive_320x240.jpg", "fashion_00001.png"};
    for (int f = 0; f < 4; f++) {
        size_t n = 0;
        uint8_t *d = read_fixture(files[f], &n);
        ASSERT_TRUE(d != NULL);
        size_t step = n > 4000 ? 7 : 1;
        for (size_t cut = 0; cut < n; cut += step) {
            img_u8 img;
            vt_error err = {0};
            int rc = img_decode_mem(d, cut, files[f], NULL, &img, &err);
            if (rc == 0) {
                img_free(&img);
                if (cut < n * 9 / 10) {
                    free(d);
                    T_FAIL_("%s cut at %zu of %zu decoded", files[f], cut, n);
                }
            } else if (!strstr(err.message, files[f])) {
                free(d);
                T_FAIL_("%s cut at %zu: message \"%s\" does not name the file", files[f], cut, err.message);
            }
        }
        free(d);
    }
    /* WebP: an in-memory copy of the fixture cut in half. */
    size_t n = 0;
    uint8_t *d = read_fixture("lossless_200x200.webp", &n);
    img_u8 img;
    vt_error err = {0};
    ASSERT_EQ(img_decode_mem(d, n / 2, "half.webp", NULL, &img, &err), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(err.message, "truncated");
    free(d);
}

/* Fail the 1st, 2nd, ... allocation of decode + both resizes in turn: a clean error each time and
 * nothing leaked [SQLite faultsim]. libjpeg and libwebp allocate outside the hook, so for them only
 * our own buffers are exercised. */
static void test_alloc_failures(void) {
    static const char *const files[] = {"palette_64x48.png", "gray_300x225.jpg",
                                        "lossless_200x200.webp", "exif_orient6_160x120.jpg"};
    for (int f = 0; f < 4; f++) {
        char path[256];
        snprintf(path, sizeof path, IMAGES "%s", files[f]);
        int done = 0;
        for (int64_t k = 1; k < 200 && !done; k++) {
            int64_t live = vt_alloc_live_bytes();
            vt_alloc_fail_at(k);
            img_u8 img, r1, r2;
            memset(&r1, 0, sizeof r1);
            memset(&r2, 0, sizeof r2);
            vt_error err = {0};
            int rc = img_decode_file(path, NULL, &img, &err);
            if (!rc) rc = img_resize_crop(&img, 224, 224, 224, IMG_RESIZE_PIL, &r1, &err);
            if (!rc) rc = img_resize_crop(&img, 224, 224, 224, IMG_RESIZE_TORCHVISION, &r2, &err);
            int64_t injected = vt_alloc_injected();
            vt_alloc_fail_at(0);
            img_free(&img);
            img_free(&r1);
            img_free(&r2);
            if (!injected) done = 1;
            else if (rc != 0 && rc != VT_ENOMEM)
                T_FAIL_("%s, allocation %lld failed: %s (%s)", files[f], (long long)k, vt_errname(rc), err.message);
            if (vt_alloc_live_bytes() != live)
                T_FAIL_("%s, allocation %lld failed: %lld bytes leaked", files[f], (long long)k,
                        (long long)(vt_alloc_live_bytes() - live));
        }
        ASSERT_TRUE(done);
    }
}

/* The EXIF reader on hostile blocks: never reads out of bounds (run under ASan), degrades to 1. */
static void test_exif_parser(void) {
    uint8_t b[64];
    int n = tiff_orient(b, 6, 0);
    ASSERT_EQ(img_exif_orientation(b, (size_t)n), 6);
    for (int cut = 0; cut < n; cut++) {
        uint8_t *c = malloc((size_t)(cut ? cut : 1));
        memcpy(c, b, (size_t)cut);
        int o = img_exif_orientation(c, (size_t)cut);
        free(c);
        ASSERT_TRUE(o == 1 || (o == 6 && cut >= 22));
    }
    uint8_t p[80] = "Exif\0\0Exif\0\0";
    memcpy(p + 12, b, (size_t)n);
    ASSERT_EQ(img_exif_orientation(p, 12 + (size_t)n), 6); /* prefixes stripped in a loop */
    n = tiff_orient(b, 3, 1);
    ASSERT_EQ(img_exif_orientation(b, (size_t)n), 3);
    b[19] = 9; /* out of range */
    ASSERT_EQ(img_exif_orientation(b, (size_t)n), 1);
    b[19] = 3;
    b[17] = 2; /* count 2: not a single value */
    ASSERT_EQ(img_exif_orientation(b, (size_t)n), 1);
    b[17] = 1;
    b[13] = 4; /* LONG: value in the first 4 bytes, big-endian → 0x00030000 */
    ASSERT_EQ(img_exif_orientation(b, (size_t)n), 1);
    b[13] = 3;
    b[7] = 0xF0; /* IFD0 offset past the end */
    ASSERT_EQ(img_exif_orientation(b, (size_t)n), 1);
    b[7] = 8;
    b[8] = 0xFF; /* 65281 entries claimed: read as far as the block goes */
    ASSERT_EQ(img_exif_orientation(b, (size_t)n), 3);
    b[0] = 'X';
    ASSERT_EQ(img_exif_orientation(b, (size_t)n), 1);
    ASSERT_EQ(img_exif_orientation(b, 0), 1);
}

int main(void) {
    vt_error err = {0};
    if (st_open(GOLDEN, &golden, &err) != 0) {
        printf("cannot open %s: %s\n", GOLDEN, err.message);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_golden_pixels);
    RUN(test_golden_exif);
    RUN(test_png_layouts);
    RUN(test_exif_orientations);
    RUN(test_webp);
    RUN(test_resize_sizes);
    RUN(test_resize_padding);
    RUN(test_resize_extreme);
    RUN(test_normalize);
    RUN(test_to_rgb);
    RUN(test_bad_inputs);
    RUN(test_limits);
    RUN(test_truncation_sweep);
    RUN(test_alloc_failures);
    RUN(test_exif_parser);
    st_close(golden);
    TEST_END();
}
