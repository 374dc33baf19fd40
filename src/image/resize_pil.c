/*
 * resize_pil.c — Pillow's BICUBIC weights, bit-exact: precompute_coeffs and
 * normalize_coeffs_8bpc of Pillow's src/libImaging/Resample.c (Pillow 12; unchanged since 4.x),
 * for a full-image box (0, 0, w, h) as Image.resize passes without `box`, and no reducing_gap
 * (transformers sets none, so Image.reduce is never used).
 *
 * For an axis resized from in to out, output position xx:
 *
 *   scale   = in / out                      filterscale = max(scale, 1)
 *   support = 2 · filterscale               ksize = ceil(support) · 2 + 1
 *   center  = (xx + 0.5) · scale
 *   xmin    = max((int)(center - support + 0.5), 0)
 *   xmax    = min((int)(center + support + 0.5), in) - xmin        (count)
 *   w[x]    = bicubic((x + xmin - center + 0.5) / filterscale), normalised by Σ w (if ≠ 0)
 *   k[x]    = (int)(w · 2^22 ± 0.5)                                 (PRECISION_BITS = 22)
 *
 *   bicubic(x), a = -0.5:  |x| < 1: ((a + 2)|x| - (a + 3))·x² + 1
 *                          |x| < 2: (((|x| - 5)|x| + 8)|x| - 4) · a        else 0
 *
 * Every expression is written in Pillow's order of operations, in double; this file must not be
 * compiled with floating-point contraction into FMA (-ffp-contract=fast with -mfma), which
 * would change the last bit of some weights.
 */
#include <math.h>

#include "base/alloc.h"
#include "image_int.h"

#define PIL_PRECISION_BITS (32 - 8 - 2)

static double bicubic_filter(double x) {
#define a -0.5
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
#undef a
}

int img_coeffs_pil(int in_size, int out_size, int first, int n, img_coeffs *c) {
    double scale = (double)in_size / out_size; /* (double)(in1 - in0) / outSize, in0 = 0 */
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 2.0 * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    double ss = 1.0 / filterscale;

    c->n = n;
    c->ksize = ksize;
    c->prec = PIL_PRECISION_BITS;
    c->bounds = vt_malloc((size_t)n * 2 * sizeof(int));
    c->k = vt_malloc((size_t)n * (size_t)ksize * sizeof(int32_t));
    double *w = vt_malloc((size_t)ksize * sizeof(double));
    if (!c->bounds || !c->k || !w) {
        vt_free(w);
        img_coeffs_free(c);
        return VT_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        int xx = first + i;
        double center = 0.0 + (xx + 0.5) * scale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        if (xmax < 0) xmax = 0;
        if (xmax > ksize) xmax = ksize;
        double ww = 0.0;
        for (int x = 0; x < xmax; x++) {
            double v = bicubic_filter((x + xmin - center + 0.5) * ss);
            w[x] = v;
            ww += v;
        }
        int32_t *k = c->k + (size_t)i * ksize;
        for (int x = 0; x < ksize; x++) {
            double v = 0.0;
            if (x < xmax) {
                v = w[x];
                if (ww != 0.0) v /= ww;
            }
            k[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PIL_PRECISION_BITS))
                         : (int32_t)(0.5 + v * (1 << PIL_PRECISION_BITS));
        }
        c->bounds[2 * i] = xmin;
        c->bounds[2 * i + 1] = xmax;
    }
    vt_free(w);
    return VT_OK;
}
