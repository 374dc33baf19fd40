/*
 * preprocess.c — CLIP's image preprocessing after decoding: resize the shortest edge, centre
 * crop, normalise into CHW float32, as transformers 5.17's CLIPImageProcessor does it.
 *
 * Resize size (transformers' get_resize_output_image_size, default_to_square=False):
 *   short, long = (w, h) if w <= h else (h, w);  new_short = shortest;
 *   new_long = int(shortest · long / short)  (true division in double, truncated)
 * Crop offsets (both backends, when the resized side ≥ crop): top = (H - crop_h) // 2,
 * left = (W - crop_w) // 2. When the resized side is smaller than the crop, the crop is padded
 * with 0: the PIL backend (image_transforms.center_crop) puts the image at
 * ceil((crop - side) / 2), the torchvision backend (tvF.pad) at floor((crop - side) / 2).
 *
 * Only the crop window is ever resampled (resample.c), so the cost does not depend on how long
 * the long side becomes.
 *
 * Normalisation: out[c][y][x] = (x · rescale - mean[c]) / std[c] in float32, the order of
 * transformers' rescale then normalize.
 */
#include <string.h>

#include "base/alloc.h"
#include "image_int.h"

/* axis_window: for a resized side `side` and a crop `crop`, the first resized position read
 * (*first), how many (*n) and where they land in the crop (*pad). */
static void axis_window(int side, int crop, int mode, int *first, int *n, int *pad) {
    if (side >= crop) {
        *first = (side - crop) / 2;
        *n = crop;
        *pad = 0;
    } else {
        *first = 0;
        *n = side;
        *pad = mode == IMG_RESIZE_PIL ? (crop - side + 1) / 2 : (crop - side) / 2;
    }
}

int img_resize_crop(const img_u8 *rgb, int shortest, int crop_h, int crop_w, int mode,
                    img_u8 *out, vt_error *err) {
    memset(out, 0, sizeof *out);
    if (!rgb || !rgb->pixels || rgb->channels != 3 || rgb->width <= 0 || rgb->height <= 0)
        return vt_fail(err, VT_EINVAL, "resize: input is not an RGB image");
    if (rgb->width > IMG_MAX_SIDE || rgb->height > IMG_MAX_SIDE)
        return vt_fail(err, VT_ELIMIT, "resize: %dx%d input over the %d-pixel side limit",
                       rgb->width, rgb->height, IMG_MAX_SIDE);
    if (shortest <= 0 || crop_h <= 0 || crop_w <= 0 || shortest > IMG_MAX_TARGET ||
        crop_h > IMG_MAX_TARGET || crop_w > IMG_MAX_TARGET)
        return vt_fail(err, VT_EINVAL, "resize: shortest edge %d / crop %dx%d out of range 1..%d",
                       shortest, crop_w, crop_h, IMG_MAX_TARGET);
    if (mode != IMG_RESIZE_PIL && mode != IMG_RESIZE_TORCHVISION)
        return vt_fail(err, VT_EINVAL, "resize: unknown mode %d", mode);

    int w = rgb->width, h = rgb->height;
    int short_side = w <= h ? w : h, long_side = w <= h ? h : w;
    double new_long_d = (double)((int64_t)shortest * long_side) / short_side;
    if (new_long_d >= IMG_MAX_RESIZED_SIDE)
        return vt_fail(err, VT_ELIMIT, "resize: %dx%d to shortest edge %d gives a side of %.0f, over %d",
                       w, h, shortest, new_long_d, IMG_MAX_RESIZED_SIDE);
    int new_long = (int)new_long_d;
    int new_w = w <= h ? shortest : new_long;
    int new_h = w <= h ? new_long : shortest;

    int x0, nx, padx, y0, ny, pady;
    axis_window(new_w, crop_w, mode, &x0, &nx, &padx);
    axis_window(new_h, crop_h, mode, &y0, &ny, &pady);

    out->pixels = vt_calloc((size_t)crop_w * (size_t)crop_h, 3);
    if (!out->pixels) return vt_fail(err, VT_ENOMEM, "resize: out of memory for a %dx%d crop", crop_w, crop_h);
    out->width = crop_w;
    out->height = crop_h;
    out->channels = 3;

    img_coeffs hc, vc;
    memset(&hc, 0, sizeof hc);
    memset(&vc, 0, sizeof vc);
    int rc = VT_OK;
    int (*build)(int, int, int, int, img_coeffs *) =
        mode == IMG_RESIZE_PIL ? img_coeffs_pil : img_coeffs_torchvision;
    if (new_w != w) rc = build(w, new_w, x0, nx, &hc);
    if (!rc && new_h != h) rc = build(h, new_h, y0, ny, &vc);
    if (!rc)
        rc = img_resample(rgb, new_w != w ? &hc : NULL, new_h != h ? &vc : NULL, x0, y0, nx, ny,
                          out->pixels + ((size_t)pady * crop_w + padx) * 3, (size_t)crop_w * 3);
    img_coeffs_free(&hc);
    img_coeffs_free(&vc);
    if (rc) {
        img_free(out);
        return vt_fail(err, rc, "resize: out of memory resizing %dx%d to %dx%d", w, h, new_w, new_h);
    }
    return VT_OK;
}

void img_normalize(const img_u8 *rgb, float rescale, const float mean[3], const float std[3],
                   float *out) {
    size_t plane = (size_t)rgb->width * (size_t)rgb->height;
    for (int c = 0; c < 3; c++) {
        float m = mean[c], s = std[c];
        float *o = out + (size_t)c * plane;
        const uint8_t *p = rgb->pixels + c;
        for (size_t i = 0; i < plane; i++) o[i] = ((float)p[3 * i] * rescale - m) / s;
    }
}
