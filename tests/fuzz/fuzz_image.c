/*
 * fuzz_image.c — libFuzzer harness for the image decoders (JPEG, PNG, WebP, EXIF) and both
 * resizers. Input: any bytes, decoded with a 256-kilopixel budget (keeps each run fast while
 * leaving every code path reachable); on success the image goes through img_resize_crop in
 * both modes at CLIP's 224 and at a size taken from the input's last bytes (up- and
 * down-scaling, padding when the crop is larger), and img_normalize.
 *
 * Build: make fuzz (clang -fsanitize=fuzzer,address). `make test` replays the saved corpus in
 * tests/fuzz/corpus/fuzz_image/ through tests/fuzz/replay.c.
 */
#include <stdint.h>
#include <stddef.h>

#include "base/alloc.h"
#include "image/image.h"

#define FUZZ_MAX_PIXELS (1ull << 18)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    img_decode_opts o = img_decode_opts_default();
    o.max_pixels = FUZZ_MAX_PIXELS;
    img_u8 img;
    vt_error err = {0};
    if (img_decode_mem(data, size, "fuzz-input", &o, &img, &err) != 0) return 0;

    int shortest = 1, crop_h = 1, crop_w = 1;
    if (size >= 3) {
        shortest = 1 + data[size - 1] % 96;
        crop_h = 1 + data[size - 2] % 128;
        crop_w = 1 + data[size - 3] % 128;
    }
    static const float mean[3] = {0.5f, 0.5f, 0.5f}, std[3] = {0.25f, 0.25f, 0.25f};
    for (int mode = 0; mode < 2; mode++) {
        img_u8 r;
        if (img_resize_crop(&img, 224, 224, 224, mode, &r, &err) == 0) {
            float *x = vt_malloc(sizeof(float) * 3 * 224 * 224);
            if (x) img_normalize(&r, 1.0f / 255.0f, mean, std, x);
            vt_free(x);
            img_free(&r);
        }
        if (img_resize_crop(&img, shortest, crop_h, crop_w, mode, &r, &err) == 0) img_free(&r);
    }
    img_free(&img);
    return 0;
}
