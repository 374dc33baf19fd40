/*
 * resize_torchvision.c — the weights of transformers' default backend: torchvision's
 * F.resize(uint8 tensor, BICUBIC, antialias=True) runs ATen's _upsample_bicubic2d_aa on the
 * uint8 tensor itself (UpSampleKernel.cpp: HelperInterpCubic::compute_index_ranges_int16_weights
 * → _compute_index_ranges_int16_weights → _compute_index_ranges_weights →
 * _compute_indices_min_size_weights_aa; the kernels are UpSampleKernelAVXAntialias.h /
 * basic_loop_aa_*, see resample.c).
 *
 * For an axis resized from in to out (no scale factor given, align_corners false):
 *
 *   scale   = in / out                       support = scale ≥ 1 ? 2·scale : 2
 *   ksize   = ceil(support) · 2 + 1          invscale = scale ≥ 1 ? 1/scale : 1
 *   center  = scale · (i + 0.5)
 *   xmin    = max((int64)(center - support + 0.5), 0)
 *   xsize   = clamp(min((int64)(center + support + 0.5), in) - xmin, 0, ksize)
 *   w[j]    = aa_filter((j + xmin - center + 0.5) · invscale), normalised by Σ w (if ≠ 0)
 *   wt_max  = the largest normalised weight over ALL out positions (not just the window)
 *   prec    = the first p in 0..21 with (int)(0.5 + wt_max · 2^(p+1)) ≥ 2^15, else 22
 *   k[j]    = (int16)(w · 2^prec ± 0.5)
 *
 *   aa_filter(x), a = -0.5 (Keys, "use_keys_cubic" when antialiasing), |x| < 1:
 *   cubic_convolution1 = ((a + 2)·x - (a + 3))·x·x + 1;  |x| < 2: cubic_convolution2 =
 *   ((a·x - 5a)·x + 8a)·x - 4a;  else 0.   (Same polynomial as Pillow's, evaluated in another
 *   order: the last bits differ, so the two are kept apart.)
 *
 * Pillow and this differ mainly by the weights' precision (int16 here), which moves some outputs
 * by ±1. In double, no FMA contraction (see resize_pil.c).
 */
#include <math.h>

#include "base/alloc.h"
#include "image_int.h"

static double aa_filter(double x) {
    const double A = -0.5;
    x = fabs(x);
    if (x < 1.0) return ((A + 2) * x - (A + 3)) * x * x + 1;
    if (x < 2.0) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    return 0.0;
}

/* weights_at: the normalised double weights of output position i into w (ksize entries, zero
 * past *xsize); returns their maximum (0 when they sum to 0). */
static double weights_at(int i, int in_size, double scale, double support, int ksize, double *w,
                         int *xmin_out, int *xsize_out) {
    double center = scale * (i + 0.5);
    double total = 0.0;
    double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
    int64_t xmin = (int64_t)(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int64_t xend = (int64_t)(center + support + 0.5);
    if (xend > in_size) xend = in_size;
    int64_t xsize = xend - xmin;
    if (xsize < 0) xsize = 0;
    if (xsize > ksize) xsize = ksize;
    int j;
    for (j = 0; j < xsize; j++) {
        double v = aa_filter((j + xmin - center + 0.5) * invscale);
        w[j] = v;
        total += v;
    }
    double wt_max = 0.0;
    if (total != 0.0) {
        for (j = 0; j < xsize; j++) {
            w[j] /= total;
            if (w[j] > wt_max) wt_max = w[j];
        }
    }
    for (; j < ksize; j++) w[j] = 0.0;
    *xmin_out = (int)xmin;
    *xsize_out = (int)xsize;
    return wt_max;
}

int img_coeffs_torchvision(int in_size, int out_size, int first, int n, img_coeffs *c) {
    double scale = (double)in_size / out_size;
    double support = scale >= 1.0 ? (4 * 0.5) * scale : 4 * 0.5;
    int ksize = (int)ceil(support) * 2 + 1;

    c->n = n;
    c->ksize = ksize;
    c->bounds = vt_malloc((size_t)n * 2 * sizeof(int));
    c->k = vt_malloc((size_t)n * (size_t)ksize * sizeof(int32_t));
    double *w = vt_malloc((size_t)ksize * sizeof(double));
    if (!c->bounds || !c->k || !w) {
        vt_free(w);
        img_coeffs_free(c);
        return VT_ENOMEM;
    }

    /* The precision depends on the whole axis. */
    double wt_max = 0.0;
    int xmin, xsize;
    for (int i = 0; i < out_size; i++) {
        double m = weights_at(i, in_size, scale, support, ksize, w, &xmin, &xsize);
        if (m > wt_max) wt_max = m;
    }
    unsigned prec;
    for (prec = 0; prec < 22; ++prec) {
        int next_value = (int)(0.5 + wt_max * (1 << (prec + 1)));
        if (next_value >= (1 << 15)) break;
    }
    c->prec = (int)prec;

    for (int i = 0; i < n; i++) {
        weights_at(first + i, in_size, scale, support, ksize, w, &xmin, &xsize);
        int32_t *k = c->k + (size_t)i * ksize;
        for (int j = 0; j < ksize; j++) {
            double v = w[j] * (1 << prec);
            k[j] = (int16_t)(v < 0 ? (int)(-0.5 + v) : (int)(0.5 + v));
        }
        c->bounds[2 * i] = xmin;
        c->bounds[2 * i + 1] = xsize;
    }
    vt_free(w);
    return VT_OK;
}
