/*
 * kernels_avx512.c — the row kernels with AVX-512 (16 floats per zmm); formulas in kernels.c.
 *
 * Tails are handled with masked loads and stores, so every length runs the same code.
 *
 * exp(x) [Cephes expf's reduction; Taylor polynomial]: n = round(x·log2 e), r = x - n·ln2 in two
 * parts (ln2_hi has 9 significant bits, so n·ln2_hi is exact for |n| ≤ 2^15), |r| ≤ ln2/2;
 * exp(r) by its Taylor polynomial to r^7 (truncation ≤ 0.35^8/8! = 5e-9, below half an ulp),
 * then scaled by 2^n with vscalefps, which overflows to inf and underflows through the
 * subnormals to 0 correctly. x is first clamped to [-104, 89] (exp is 0 resp. inf beyond), which
 * also maps -inf to 0; NaN passes through. Measured error ≤ 2 ulp (tests/unit/test_kernels.c).
 *
 * erfc(a), a ≥ 0 [the scheme of N. Juffa's erfcf; coefficients refitted]: with q = (a-2)/(a+2),
 * (1 + 2a)·exp(a²)·erfc(a) - 1 is a smooth function of q ∈ [-1, 0.668] for a ∈ [0, 10.05],
 * approximated by a degree-11 polynomial (Chebyshev-node interpolation in 40-digit arithmetic,
 * max error 1.4e-9, well below float rounding). The argument of gelu, |x|/√2, is carried as
 * a + a_lo (1/√2 split in two floats), and exp(-(a + a_lo)²) is exp(-s)·(1 - e) with s = a·a
 * rounded and e = fma(a, a, -s) + 2·a·a_lo, so neither rounding costs erfc its relative accuracy
 * deep in the tail (each would, by about a²·ε).
 * Past a = 10.0546875 (erfc < 2^-149, but gelu multiplies it by up to 15) q is held at its end,
 * which moves only results below one subnormal step; past a = 11 gelu is 0 (x ≤ -15.6) or x,
 * infinities included (gelu(-inf) = 0).
 */
#include <immintrin.h>
#include <math.h>

#include "cpu.h"
#include "kernels_int.h"

#define INLINE static inline __attribute__((always_inline))

static inline __mmask16 tail_mask(size_t left) {
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
}

INLINE __m512 exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
    x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* erfc_parts512: erfc(a)/2 = t · ex for a ≥ 0, a + a_lo the argument (see the essay); returned as
 * two factors so a caller can multiply by its own factor before the (possibly subnormal) ex.
 * Lanes with a > 11 come back as t = 0 and must be masked by the caller if ex is not finite. */
INLINE __m512 erfc_parts512(__m512 a, __m512 a_lo, __m512 *ex_out) {
    a = _mm512_min_ps(a, _mm512_set1_ps(11.0f));
    __m512 aq = _mm512_min_ps(a, _mm512_set1_ps(10.0546875f)); /* the fitted range of q */
    __m512 q = _mm512_div_ps(_mm512_sub_ps(aq, _mm512_set1_ps(2.0f)), _mm512_add_ps(aq, _mm512_set1_ps(2.0f)));
    __m512 p = _mm512_set1_ps(8.284047978400053e-05f);
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(0.00017577022371939564f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(-0.00040186302144605785f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(-0.001428069331311164f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(0.0012513102462371635f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(0.008712040574253583f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(-0.008030084075801148f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(-0.054218326289064575f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(0.16405092050335493f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(-0.16603049102498899f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(-0.09276381623597094f));
    p = _mm512_fmadd_ps(p, q, _mm512_set1_ps(0.2769783823650412f));
    /* (1 + p) / (1 + 2a) / 2 = exp(a²)·erfc(a) / 2 */
    __m512 t = _mm512_div_ps(_mm512_add_ps(p, _mm512_set1_ps(1.0f)),
                             _mm512_fmadd_ps(a, _mm512_set1_ps(4.0f), _mm512_set1_ps(2.0f)));
    __m512 s = _mm512_mul_ps(a, a);
    __m512 e = _mm512_fmsub_ps(a, a, s);                /* a·a - s exactly */
    e = _mm512_fmadd_ps(_mm512_add_ps(a, a), a_lo, e); /* + 2·a·a_lo: (a + a_lo)² - s */
    __m512 ex = exp512(_mm512_sub_ps(_mm512_setzero_ps(), s));
    *ex_out = _mm512_fnmadd_ps(ex, e, ex); /* exp(-s)·(1 - e) */
    return t;
}

/* gelu512: y = x·erfc(|x|/√2)/2 = (x·t)·ex; x < 0 → y, else x - y. Forming x·t first keeps
 * results that are subnormal only after the multiplication by x. */
INLINE __m512 gelu512(__m512 x) {
    /* a = |x|/√2 as a + a_lo (1/√2 in two parts), so the rounding of the argument does not
     * cost erfc its relative accuracy (it would, by a²·ε, deep in the negative tail) */
    __m512 ax = _mm512_abs_ps(x);
    __m512 a = _mm512_mul_ps(ax, _mm512_set1_ps(0.70710678118654752f));
    __m512 a_lo = _mm512_fmadd_ps(ax, _mm512_set1_ps(1.21016171e-08f),
                                  _mm512_fmsub_ps(ax, _mm512_set1_ps(0.70710678118654752f), a));
    __mmask16 live = _mm512_cmp_ps_mask(a, _mm512_set1_ps(11.0f), _CMP_LE_OQ); /* else erfc = 0 */
    __m512 ex, t = erfc_parts512(a, a_lo, &ex);
    __m512 y = _mm512_maskz_mul_ps(live, _mm512_mul_ps(x, t), ex);
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(neg, _mm512_sub_ps(x, y), y);
}

INLINE __m512 quick_gelu512(__m512 x) {
    __m512 e = exp512(_mm512_mul_ps(x, _mm512_set1_ps(-1.702f)));
    return _mm512_div_ps(x, _mm512_add_ps(e, _mm512_set1_ps(1.0f)));
}

void k_quick_gelu_avx512(float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, quick_gelu512(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(x + i, m, quick_gelu512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

void k_gelu_avx512(float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, gelu512(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(x + i, m, gelu512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

/* sum512: Σ x[i] over n floats with two accumulators. */
static float sum512(const float *x, int n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
    }
    for (; i < n; i += 16) s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(tail_mask((size_t)(n - i)), x + i));
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

static void layer_norm_avx512(const float *x, float *y, int n, const float *gamma,
                              const float *beta, float eps) {
    if (n <= 0) return;
    float mean = sum512(x, n) / (float)n;
    const __m512 vm = _mm512_set1_ps(mean);
    __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(x + i), vm);
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vm);
        v0 = _mm512_fmadd_ps(d0, d0, v0);
        v1 = _mm512_fmadd_ps(d1, d1, v1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = tail_mask((size_t)(n - i));
        __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + i), vm);
        v0 = _mm512_fmadd_ps(d, d, v0);
    }
    float var = _mm512_reduce_add_ps(_mm512_add_ps(v0, v1)) / (float)n;
    const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(var + eps));
    for (i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask((size_t)(n - i));
        __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vm), rs);
        __m512 g = gamma ? _mm512_maskz_loadu_ps(m, gamma + i) : _mm512_set1_ps(1.0f);
        __m512 b = beta ? _mm512_maskz_loadu_ps(m, beta + i) : _mm512_setzero_ps();
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(t, g, b));
    }
}

static void softmax_avx512(float *x, int n) {
    if (n <= 0) return;
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask((size_t)(n - i));
        mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, x + i));
    }
    float fmx = _mm512_reduce_max_ps(mx);
    if (fmx == -INFINITY) {
        for (int i = 0; i < n; i++) x[i] = 0.0f;
        return;
    }
    const __m512 vmx = _mm512_set1_ps(fmx);
    __m512 s = _mm512_setzero_ps();
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask((size_t)(n - i));
        __m512 e = _mm512_maskz_mov_ps(m, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vmx)));
        s = _mm512_add_ps(s, e);
        _mm512_mask_storeu_ps(x + i, m, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(s));
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask((size_t)(n - i));
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
    }
}

static float dot_avx512(const float *a, const float *b, int n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    for (; i < n; i += 16) {
        __mmask16 m = tail_mask((size_t)(n - i));
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

static void l2_normalize_avx512(float *x, int n) {
    float s = dot_avx512(x, x, n);
    if (s == 0.0f) return;
    const __m512 inv = _mm512_set1_ps(1.0f / sqrtf(s));
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask((size_t)(n - i));
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
    }
}

static void f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(src + i))));
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, src + i)));
    }
}

static void bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(src + i)));
        _mm512_storeu_si512(dst + i, _mm512_slli_epi32(v, 16));
    }
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        __m512i v = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, src + i));
        _mm512_mask_storeu_epi32(dst + i, m, _mm512_slli_epi32(v, 16));
    }
}

const k_table k_table_avx512 = {
    .name = "avx512", .level = CPU_AVX512, .layer_norm = layer_norm_avx512,
    .softmax = softmax_avx512, .quick_gelu = k_quick_gelu_avx512, .gelu = k_gelu_avx512,
    .l2_normalize = l2_normalize_avx512, .dot = dot_avx512,
    .f16_to_f32 = f16_to_f32_avx512, .bf16_to_f32 = bf16_to_f32_avx512,
};
