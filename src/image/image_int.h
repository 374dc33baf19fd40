/*
 * image_int.h — private to src/image: what the decoders, the colour conversion, the EXIF reader
 * and the two resamplers share. Nothing here is used outside the module.
 *
 * Data flow of img_decode_mem:
 *
 *   bytes ──signature──▶ img_decode_{jpeg,png,webp} ──rows in the file's layout──▶
 *   img_convert_row (Pillow's unpack + convert("RGB")) ──▶ RGB img_u8 ──▶ img_orient (EXIF)
 *
 * and of img_resize_crop:
 *
 *   RGB ──▶ img_coeffs_{pil,torchvision} for the crop window only ──▶ img_resample (fixed point,
 *   horizontal pass then vertical, each rounded to uint8) ──▶ the crop.
 */
#ifndef VT_IMAGE_IMAGE_INT_H
#define VT_IMAGE_IMAGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* Longest side accepted from any file or raw buffer. 65535 is the JPEG maximum (65500) rounded
 * up and four times WebP's (16383); it keeps every row, size and resize computation inside int
 * (224 · 65535 < 2^31) whatever max_pixels allows. */
#define IMG_MAX_SIDE 65535

/* Largest shortest-edge / crop side img_resize_crop accepts: far above any model's input, and it
 * keeps shortest · long inside int32 for the resize size computation. */
#define IMG_MAX_TARGET 16384

/* Longest side of the (virtual) resized image img_resize_crop accepts: CLIP's 224 × IMG_MAX_SIDE
 * fits; only the crop is ever materialised, but the torchvision weights scan the whole axis. */
#define IMG_MAX_RESIZED_SIDE (1 << 24)

/* The raw row layouts the decoders hand to img_convert_row: Pillow's "rawmode" of each file
 * kind, named by what the bytes hold. Packed layouts (< 8 bits) are most significant bit first,
 * as PNG stores them; 16-bit layouts are big-endian, as PNG stores them. */
enum img_layout {
    IMG_L1,      /* 1-bit gray: Pillow mode "1"; 0 → 0, 1 → 255 */
    IMG_L2,      /* 2-bit gray: Pillow "L;2", value · 85 */
    IMG_L4,      /* 4-bit gray: Pillow "L;4", value · 17 */
    IMG_L8,      /* 8-bit gray: mode "L" */
    IMG_P1,      /* 1-bit palette indices: "P;1" */
    IMG_P2,      /* 2-bit palette indices: "P;2" */
    IMG_P4,      /* 4-bit palette indices: "P;4" */
    IMG_P8,      /* 8-bit palette indices: "P" */
    IMG_LA8,     /* gray + alpha: mode "LA" */
    IMG_RGB8,    /* mode "RGB" */
    IMG_RGBA8,   /* mode "RGBA" (alpha dropped, as transformers 5.x does) */
    IMG_L16B,    /* 16-bit gray: mode "I;16" (Pillow ≥ 10; "I" before), clipped to 255 */
    IMG_LA16B,   /* 16-bit gray + alpha: Pillow opens it as "RGBA" via "LA;16B" (high byte) */
    IMG_RGB16B,  /* 16-bit RGB: "RGB;16B" keeps the high byte of each sample */
    IMG_RGBA16B, /* 16-bit RGBA: "RGBA;16B", high bytes, alpha dropped */
    IMG_CMYK_INV /* 4-component JPEG as libjpeg returns it: Pillow's "CMYK;I" (always inverted) */
};

/* img_convert_row: converts one row of width pixels in layout to packed RGB (3·width bytes) at
 * out, exactly as Pillow's unpacker followed by convert("RGB"). palette (768 bytes, RGB per
 * index) is read for the IMG_P* layouts only. Cannot fail. */
void img_convert_row(int layout, const uint8_t *in, int width, const uint8_t *palette,
                     uint8_t *out);

/* img_palette_ramp: fills a 256-entry RGB palette with Pillow's default (entry i = (i, i, i)),
 * which indices beyond a file's PLTE read. Cannot fail. */
void img_palette_ramp(uint8_t palette[768]);

/* img_check_size: the header checks every decoder runs before allocating pixels. VT_ECORRUPT
 * for a zero or negative side, VT_ELIMIT beyond IMG_MAX_SIDE or o->max_pixels; messages name
 * name and the format. */
int img_check_size(const char *name, const char *format, int64_t width, int64_t height,
                   const img_decode_opts *o, vt_error *err);

/* img_alloc_rgb: sets img to a width × height RGB image with uninitialised pixels
 * (vt_malloc). VT_ENOMEM naming name on failure. */
int img_alloc_rgb(img_u8 *img, int width, int height, const char *name, vt_error *err);

/* The decoders (decode_jpeg.c, decode_png.c, decode_webp.c). Each checks the size from the
 * header with img_check_size before decoding pixels, fills *out with RGB pixels (caller frees)
 * and *orientation with the EXIF orientation found in the file (1 when none). On failure *out
 * is left empty and the error names name. */
int img_decode_jpeg(const uint8_t *data, size_t len, const char *name, const img_decode_opts *o,
                    img_u8 *out, int *orientation, vt_error *err);
int img_decode_png(const uint8_t *data, size_t len, const char *name, const img_decode_opts *o,
                   img_u8 *out, int *orientation, vt_error *err);
int img_decode_webp(const uint8_t *data, size_t len, const char *name, const img_decode_opts *o,
                    img_u8 *out, int *orientation, vt_error *err);

/* img_exif_orientation: the Orientation tag (0x0112) of IFD0 in an EXIF block (a TIFF
 * structure, optionally behind any number of "Exif\0\0" prefixes), 1..8; 1 when absent,
 * malformed or out of range. Reads only inside data[0, len). Cannot fail. */
int img_exif_orientation(const uint8_t *data, size_t len);

/* img_orient: applies orientation 1..8 to img as Pillow's ImageOps.exif_transpose (2 mirror,
 * 3 rotate 180, 4 flip, 5 transpose, 6 rotate 270, 7 transverse, 8 rotate 90); 1 and unknown
 * values leave img untouched. Replaces img->pixels with a new buffer. VT_ENOMEM on failure
 * (img unchanged). */
int img_orient(img_u8 *img, int orientation, const char *name, vt_error *err);

/* Fixed-point resampling weights along one axis, for output positions first .. first+n-1 of an
 * axis resized from in_size to out_size. Output position first+i reads input positions
 * bounds[2i] .. bounds[2i]+bounds[2i+1]-1 with weights k[i·ksize ..]. */
typedef struct img_coeffs {
    int n;          /* output positions described */
    int ksize;      /* weights stored per position (at least bounds[2i+1]) */
    int prec;       /* fixed-point fraction bits: 22 for Pillow, computed for torchvision */
    int *bounds;    /* 2·n: first input index, number of inputs (vt_malloc) */
    int32_t *k;     /* n·ksize fixed-point weights (vt_malloc) */
} img_coeffs;

/* img_coeffs_pil: Pillow's precompute_coeffs + normalize_coeffs_8bpc for BICUBIC (a = -0.5,
 * support 2 · scale, 22 fraction bits). 0 or VT_ENOMEM. */
int img_coeffs_pil(int in_size, int out_size, int first, int n, img_coeffs *c);

/* img_coeffs_torchvision: ATen's _compute_index_ranges_int16_weights for antialiased bicubic
 * (int16 weights, precision from the largest weight over the whole axis). 0 or VT_ENOMEM. */
int img_coeffs_torchvision(int in_size, int out_size, int first, int n, img_coeffs *c);

/* img_coeffs_free: releases c's arrays and zeroes it. Accepts a zeroed c. */
void img_coeffs_free(img_coeffs *c);

/* img_resample: writes the win_w × win_h window of src (RGB) resized by the two axes' weights
 * into dst (rows dst_stride bytes apart). horiz == NULL means the width is unchanged (window
 * column j is input column x0 + j), vert == NULL likewise for the height (row y0 + i); otherwise
 * horiz->n == win_w and vert->n == win_h. Horizontal pass first into a uint8 buffer, then
 * vertical, each pass rounded (half up) and clamped to 0..255 — Pillow's ImagingResampleInner
 * and ATen's separable uint8 kernels alike. 0 or VT_ENOMEM. */
int img_resample(const img_u8 *src, const img_coeffs *horiz, const img_coeffs *vert, int x0,
                 int y0, int win_w, int win_h, uint8_t *dst, size_t dst_stride);

#endif
