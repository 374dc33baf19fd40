/*
 * image.h — images in, model input out: decoding, colour conversion, resizing, normalising.
 *
 * Decoding reads JPEG (libjpeg-turbo), PNG (libpng) and WebP (libwebp), recognised by their
 * signature, not the file name. The pixel count is checked from the header, against
 * max_pixels, before any pixel is decoded; truncated, corrupt and unsupported files are errors
 * naming the file. EXIF orientation (JPEG APP1, PNG eXIf, WebP EXIF chunk) is applied when asked,
 * as Pillow's ImageOps.exif_transpose does.
 *
 * Conversion to 8-bit RGB follows Pillow's Image.convert("RGB") for every mode: L, LA, P (tRNS
 * ignored), 1-bit, 16-bit (gray I;16 is clipped to 255; 16-bit RGB, RGBA and gray+alpha keep the
 * high byte — see convert.c for the exact rules), CMYK (every 4-component JPEG read inverted, as
 * Pillow does), RGBA (alpha dropped, as transformers 5.x).
 *
 * Resizing is Pillow's BICUBIC, bit-exact (22-bit fixed-point coefficients, horizontal pass then
 * vertical, each rounded and clamped to uint8, a pass skipped when its size is unchanged), or
 * transformers' torchvision backend (uint8 antialiased bicubic with int16 coefficients).
 */
#ifndef VT_IMAGE_IMAGE_H
#define VT_IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* An 8-bit image, channels interleaved, rows packed. */
typedef struct img_u8 {
    int width, height;
    int channels;     /* 1, 3 or 4 */
    uint8_t *pixels;  /* width × height × channels bytes, owned (vt_malloc) unless stated */
} img_u8;

typedef struct img_decode_opts {
    int apply_exif;        /* 1: apply the EXIF orientation */
    uint64_t max_pixels;   /* refuse images with more pixels (checked before decoding) */
    size_t max_file_bytes; /* refuse files larger than this (img_decode_file only) */
} img_decode_opts;

#define IMG_DEFAULT_MAX_PIXELS (64ull * 1000 * 1000)
#define IMG_DEFAULT_MAX_FILE_BYTES ((size_t)256 << 20)

/* img_decode_opts_default: EXIF on, 64 megapixels, 256 MiB. Cannot fail. */
img_decode_opts img_decode_opts_default(void);

/* img_decode_file: decodes the image file path into *out as 8-bit RGB (3 channels), converted
 * as Pillow's convert("RGB"). out->pixels is owned by the caller (img_free). Errors name path. */
int img_decode_file(const char *path, const img_decode_opts *opts, img_u8 *out, vt_error *err);

/* img_decode_mem: the same from a buffer of len bytes; name is used in messages. */
int img_decode_mem(const uint8_t *data, size_t len, const char *name, const img_decode_opts *opts,
                   img_u8 *out, vt_error *err);

/* img_free: releases out->pixels and zeroes the struct. NULL is accepted. */
void img_free(img_u8 *img);

/* img_to_rgb: a raw buffer of 1 (gray), 3 (RGB) or 4 (RGBA: alpha dropped) channels into a new
 * RGB image *out (caller frees with img_free). */
int img_to_rgb(const uint8_t *pixels, int width, int height, int channels, img_u8 *out,
               vt_error *err);

enum img_resize_mode { IMG_RESIZE_PIL = 0, IMG_RESIZE_TORCHVISION = 1 };

/* img_resize_crop: resizes rgb (3 channels) so its shortest edge is `shortest` (long edge
 * int(shortest·long/short), truncated), BICUBIC by mode, then crops the centre crop_h × crop_w
 * (offsets (H-crop_h)/2, (W-crop_w)/2, floored; padded with 0 where the image is smaller, as
 * transformers does) into a new image *out (caller frees). */
int img_resize_crop(const img_u8 *rgb, int shortest, int crop_h, int crop_w, int mode,
                    img_u8 *out, vt_error *err);

/* img_normalize: CHW float32 model input from an RGB image: ((x · rescale) - mean[c]) / std[c].
 * out holds 3 × height × width floats. Cannot fail. */
void img_normalize(const img_u8 *rgb, float rescale, const float mean[3], const float std[3],
                   float *out);

#endif
