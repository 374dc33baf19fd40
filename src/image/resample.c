/*
 * resample.c — the separable fixed-point convolution shared by both resize modes, computed only
 * for a window of the resized image (the centre crop), so a 1×60000 strip costs what its crop
 * costs and never allocates its full resized size.
 *
 * Per axis the weights (img_coeffs) say, for each output position in the window, which run of
 * input positions it reads and with which fixed-point weights (prec fraction bits). One pass:
 *
 *   acc = 2^(prec-1) + Σ_j in[first + j] · k[j]        (exact integer arithmetic)
 *   out = clamp(acc >> prec, 0, 255)                    (arithmetic shift = floor)
 *
 * which is Pillow's ImagingResampleHorizontal_8bpc / Vertical_8bpc with clip8 (prec = 22) and
 * ATen's uint8 antialias kernels (basic_loop_aa_* and the AVX ImagingResample*Convolution8u,
 * int16 weights, computed prec). Order, as both do: horizontal pass over the input rows the
 * vertical pass needs (Pillow's ybox_first .. ybox_last), stored as uint8; then the vertical
 * pass. An axis whose size is unchanged has no weights (NULL) and its pass is skipped. Computing
 * only window positions changes nothing: every output value depends only on its own weights.
 *
 * Accumulators are int64: Pillow's int32 sums cannot overflow for valid weights either
 * (255 · 2^22 · Σ|k| < 2^31 for bicubic), so results are the same and no input can make it UB.
 */
#include <string.h>

#include "base/alloc.h"
#include "image_int.h"

/* shift_clamp: a pass's output byte from its accumulator (floor shift, then clamp). */
static inline uint8_t shift_clamp(int64_t acc, int prec) {
    int64_t v = acc >> prec;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* half: the rounding term 2^(prec-1) (0 for prec 0, which no weights builder produces). */
static inline int64_t half(int prec) {
    return prec > 0 ? (int64_t)1 << (prec - 1) : 0;
}

int img_resample(const img_u8 *src, const img_coeffs *horiz, const img_coeffs *vert, int x0,
                 int y0, int win_w, int win_h, uint8_t *dst, size_t dst_stride) {
    size_t src_stride = (size_t)src->width * 3;
    int row_first = y0, row_end = y0 + win_h; /* input rows the vertical pass reads */
    if (vert) {
        row_first = src->height;
        row_end = 0;
        for (int i = 0; i < win_h; i++) {
            int b0 = vert->bounds[2 * i], n = vert->bounds[2 * i + 1];
            if (n <= 0) continue;
            if (b0 < row_first) row_first = b0;
            if (b0 + n > row_end) row_end = b0 + n;
        }
        if (row_end <= row_first) row_first = row_end = 0;
    }

    /* Horizontal pass into tmp (rows row_first .. row_end-1, win_w pixels each), or point
     * straight into the source when the width is unchanged. */
    uint8_t *tmp = NULL;
    const uint8_t *rows;   /* pixel (row r, window column j) = rows[(r-row_first)·rstride + 3j] */
    size_t rstride;
    if (horiz) {
        rstride = (size_t)win_w * 3;
        size_t n_rows = (size_t)(row_end - row_first);
        tmp = vt_malloc(n_rows > 0 ? n_rows * rstride : 1);
        if (!tmp) return VT_ENOMEM;
        for (int r = row_first; r < row_end; r++) {
            const uint8_t *in = src->pixels + (size_t)r * src_stride;
            uint8_t *o = tmp + (size_t)(r - row_first) * rstride;
            for (int j = 0; j < win_w; j++) {
                int b0 = horiz->bounds[2 * j], n = horiz->bounds[2 * j + 1];
                const int32_t *k = horiz->k + (size_t)j * horiz->ksize;
                int64_t a0 = half(horiz->prec), a1 = a0, a2 = a0;
                const uint8_t *p = in + (size_t)b0 * 3;
                for (int t = 0; t < n; t++) {
                    a0 += (int64_t)p[3 * t] * k[t];
                    a1 += (int64_t)p[3 * t + 1] * k[t];
                    a2 += (int64_t)p[3 * t + 2] * k[t];
                }
                o[3 * j] = shift_clamp(a0, horiz->prec);
                o[3 * j + 1] = shift_clamp(a1, horiz->prec);
                o[3 * j + 2] = shift_clamp(a2, horiz->prec);
            }
        }
        rows = tmp;
    } else {
        rstride = src_stride;
        rows = src->pixels + (size_t)row_first * src_stride + (size_t)x0 * 3;
    }

    /* Vertical pass. */
    for (int i = 0; i < win_h; i++) {
        uint8_t *o = dst + (size_t)i * dst_stride;
        if (!vert) {
            memcpy(o, rows + (size_t)(y0 + i - row_first) * rstride, (size_t)win_w * 3);
            continue;
        }
        int b0 = vert->bounds[2 * i], n = vert->bounds[2 * i + 1];
        const int32_t *k = vert->k + (size_t)i * vert->ksize;
        int64_t init = half(vert->prec);
        for (int x = 0; x < win_w * 3; x++) {
            int64_t a = init;
            const uint8_t *p = rows + (size_t)(b0 - row_first) * rstride + x;
            for (int t = 0; t < n; t++) a += (int64_t)p[(size_t)t * rstride] * k[t];
            o[x] = shift_clamp(a, vert->prec);
        }
    }
    vt_free(tmp);
    return VT_OK;
}

void img_coeffs_free(img_coeffs *c) {
    vt_free(c->bounds);
    vt_free(c->k);
    memset(c, 0, sizeof *c);
}
