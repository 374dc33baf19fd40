/*
 * convert.c — every raw pixel layout a decoder produces, to 8-bit RGB, as Pillow 12 does it:
 * the unpacker for the file's rawmode (Unpack.c) followed by Image.convert("RGB") (Convert.c).
 * Also img_to_rgb for raw caller buffers.
 *
 * The rules, per layout (see enum img_layout):
 *
 *   layout        Pillow mode   to RGB
 *   ------------  ------------  -------------------------------------------------------------
 *   L1            "1"           bit ? 255 : 0, replicated                  (unpack1, bit2rgb)
 *   L2 / L4 / L8  "L"           v·85 / v·17 / v, replicated              (unpackL2/L4, l2rgb)
 *   P1..P8        "P"           palette[i]; tRNS ignored; entries past PLTE are Pillow's
 *                               default ramp (i, i, i)                               (p2rgb)
 *   LA8           "LA"          L replicated, alpha dropped                         (la2rgb)
 *   RGB8          "RGB"         as is
 *   RGBA8         "RGBA"        alpha dropped (transformers 5.x: no compositing)   (rgba2rgb)
 *   L16B          "I;16"        v > 255 ? 255 : v, replicated                      (I16_RGB)
 *   LA16B         "RGBA"        high byte of gray, replicated                  (unpackLA16B)
 *   RGB16B        "RGB"         high byte of each sample                      (unpackRGB16B)
 *   RGBA16B       "RGBA"        high bytes, alpha dropped
 *   CMYK_INV      "CMYK"        Pillow reads every 4-component JPEG as "CMYK;I" (inverted,
 *                               "assume adobe conventions"), then cmyk2rgb:
 *                               nk = 255 - K; R = clip(nk - muldiv255(C, nk)), same for G, B
 *                               with muldiv255(a, b) = (t + (t >> 8)) >> 8, t = a·b + 128.
 *
 * Invariants: functions here never allocate except img_to_rgb, and never read past
 * the row length implied by (layout, width).
 */
#include <string.h>

#include "base/alloc.h"
#include "image_int.h"

void img_palette_ramp(uint8_t palette[768]) {
    for (int i = 0; i < 256; i++) palette[3 * i] = palette[3 * i + 1] = palette[3 * i + 2] = (uint8_t)i;
}

/* put_gray: writes v to the three channels of pixel x. */
static inline void put_gray(uint8_t *out, int x, uint8_t v) {
    out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = v;
}

/* packed: the x-th sample of `bits` bits (1, 2 or 4) in a MSB-first packed row. */
static inline unsigned packed(const uint8_t *in, int x, int bits) {
    int per_byte = 8 / bits;
    int shift = 8 - bits * (x % per_byte + 1);
    return (unsigned)(in[x / per_byte] >> shift) & ((1u << bits) - 1);
}

/* muldiv255: Pillow's MULDIV255, a·b/255 rounded, exact for 0..255 operands. */
static inline int muldiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

/* clip8: v clamped to 0..255 (Pillow's CLIP8). */
static inline uint8_t clip8(int v) {
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void img_convert_row(int layout, const uint8_t *in, int width, const uint8_t *palette,
                     uint8_t *out) {
    int x;
    switch (layout) {
    case IMG_L1:
        for (x = 0; x < width; x++) put_gray(out, x, packed(in, x, 1) ? 255 : 0);
        break;
    case IMG_L2:
        for (x = 0; x < width; x++) put_gray(out, x, (uint8_t)(packed(in, x, 2) * 85));
        break;
    case IMG_L4:
        for (x = 0; x < width; x++) put_gray(out, x, (uint8_t)(packed(in, x, 4) * 17));
        break;
    case IMG_L8:
        for (x = 0; x < width; x++) put_gray(out, x, in[x]);
        break;
    case IMG_P1:
    case IMG_P2:
    case IMG_P4:
    case IMG_P8: {
        int bits = layout == IMG_P1 ? 1 : layout == IMG_P2 ? 2 : layout == IMG_P4 ? 4 : 8;
        for (x = 0; x < width; x++) {
            unsigned i = bits == 8 ? in[x] : packed(in, x, bits);
            memcpy(out + 3 * x, palette + 3 * i, 3);
        }
        break;
    }
    case IMG_LA8:
        for (x = 0; x < width; x++) put_gray(out, x, in[2 * x]);
        break;
    case IMG_RGB8:
        memcpy(out, in, (size_t)width * 3);
        break;
    case IMG_RGBA8:
        for (x = 0; x < width; x++) memcpy(out + 3 * x, in + 4 * x, 3);
        break;
    case IMG_L16B:
        for (x = 0; x < width; x++) put_gray(out, x, in[2 * x] ? 255 : in[2 * x + 1]);
        break;
    case IMG_LA16B:
        for (x = 0; x < width; x++) put_gray(out, x, in[4 * x]);
        break;
    case IMG_RGB16B:
        for (x = 0; x < width; x++) {
            out[3 * x] = in[6 * x];
            out[3 * x + 1] = in[6 * x + 2];
            out[3 * x + 2] = in[6 * x + 4];
        }
        break;
    case IMG_RGBA16B:
        for (x = 0; x < width; x++) {
            out[3 * x] = in[8 * x];
            out[3 * x + 1] = in[8 * x + 2];
            out[3 * x + 2] = in[8 * x + 4];
        }
        break;
    case IMG_CMYK_INV:
        for (x = 0; x < width; x++) {
            const uint8_t *p = in + 4 * x;
            int nk = p[3]; /* 255 - (255 - K) */
            for (int c = 0; c < 3; c++) out[3 * x + c] = clip8(nk - muldiv255(255 - p[c], nk));
        }
        break;
    default:
        memset(out, 0, (size_t)width * 3);
        break;
    }
}

int img_to_rgb(const uint8_t *pixels, int width, int height, int channels, img_u8 *out,
               vt_error *err) {
    memset(out, 0, sizeof *out);
    if (!pixels || width <= 0 || height <= 0)
        return vt_fail(err, VT_EINVAL, "image buffer: empty (%dx%d)", width, height);
    if (width > IMG_MAX_SIDE || height > IMG_MAX_SIDE)
        return vt_fail(err, VT_ELIMIT, "image buffer: %dx%d exceeds the %d-pixel side limit",
                       width, height, IMG_MAX_SIDE);
    int layout = channels == 1 ? IMG_L8 : channels == 3 ? IMG_RGB8 : channels == 4 ? IMG_RGBA8 : -1;
    if (layout < 0)
        return vt_fail(err, VT_EINVAL, "image buffer: %d channels (1, 3 or 4 expected)", channels);
    int rc = img_alloc_rgb(out, width, height, "image buffer", err);
    if (rc) return rc;
    size_t in_row = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++)
        img_convert_row(layout, pixels + (size_t)y * in_row, width, NULL,
                        out->pixels + (size_t)y * width * 3);
    return VT_OK;
}
