/*
 * kernels_avx2.c — the row kernels with AVX2 + FMA + F16C (8 floats per ymm); the formulas are
 * those of kernels.c and the approximations those of kernels_avx512.c (see its essay), ported.
 *
 * Without vscalefps, exp's final 2^n scaling is done as two multiplications by 2^(n/2) and
 * 2^(n - n/2), each built in the exponent field: both halves stay within the normal range for
 * |n| ≤ 150, so the product overflows to inf and underflows through the subnormals like the
 * one-step scaling would. Tails (n mod 8) are done by the same vector code on a zero-padded copy
 * of the last elements, so every element gets the same arithmetic.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "cpu.h"
#include "kernels_int.h"

#define INLINE static inline __attribute__((always_inline))

INLINE __m256 exp256(__m256 x) {
    x = _mm256_max_ps(_mm256_set1_ps(-104.0f), x);
    x = _mm256_min_ps(_mm256_set1_ps(89.0f), x);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i ni = _mm256_cvtps_epi32(n); /* NaN → INT_MIN: p is NaN already, the result stays NaN */
    __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

INLINE __m256 erfc_parts256(__m256 a, __m256 a_lo, __m256 *ex_out) {
    a = _mm256_min_ps(a, _mm256_set1_ps(11.0f));
    __m256 aq = _mm256_min_ps(a, _mm256_set1_ps(10.0546875f));
    __m256 q = _mm256_div_ps(_mm256_sub_ps(aq, _mm256_set1_ps(2.0f)), _mm256_add_ps(aq, _mm256_set1_ps(2.0f)));
    __m256 p = _mm256_set1_ps(8.284047978400053e-05f);
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(0.00017577022371939564f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(-0.00040186302144605785f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(-0.001428069331311164f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(0.0012513102462371635f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(0.008712040574253583f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(-0.008030084075801148f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(-0.054218326289064575f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(0.16405092050335493f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(-0.16603049102498899f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(-0.09276381623597094f));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(0.2769783823650412f));
    __m256 t = _mm256_div_ps(_mm256_add_ps(p, _mm256_set1_ps(1.0f)),
                             _mm256_fmadd_ps(a, _mm256_set1_ps(4.0f), _mm256_set1_ps(2.0f)));
    __m256 s = _mm256_mul_ps(a, a);
    __m256 e = _mm256_fmsub_ps(a, a, s);
    e = _mm256_fmadd_ps(_mm256_add_ps(a, a), a_lo, e);
    __m256 ex = exp256(_mm256_sub_ps(_mm256_setzero_ps(), s));
    *ex_out = _mm256_fnmadd_ps(ex, e, ex);
    return t;
}

INLINE __m256 gelu256(__m256 x) {
    __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256 a = _mm256_mul_ps(ax, _mm256_set1_ps(0.70710678118654752f));
    __m256 a_lo = _mm256_fmadd_ps(ax, _mm256_set1_ps(1.21016171e-08f),
                                  _mm256_fmsub_ps(ax, _mm256_set1_ps(0.70710678118654752f), a));
    __m256 live = _mm256_cmp_ps(a, _mm256_set1_ps(11.0f), _CMP_LE_OQ);
    __m256 ex, t = erfc_parts256(a, a_lo, &ex);
    __m256 y = _mm256_and_ps(live, _mm256_mul_ps(_mm256_mul_ps(x, t), ex));
    __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(_mm256_sub_ps(x, y), y, neg);
}

INLINE __m256 quick_gelu256(__m256 x) {
    __m256 e = exp256(_mm256_mul_ps(x, _mm256_set1_ps(-1.702f)));
    return _mm256_div_ps(x, _mm256_add_ps(e, _mm256_set1_ps(1.0f)));
}

/* The in-place map of f over x, the tail through an 8-float copy. */
#define MAP256(x, n, f)                                                                           \
    do {                                                                                          \
        size_t i_ = 0;                                                                            \
        for (; i_ + 8 <= (n); i_ += 8) _mm256_storeu_ps((x) + i_, f(_mm256_loadu_ps((x) + i_)));  \
        if (i_ < (n)) {                                                                           \
            float t_[8] = {0};                                                                    \
            memcpy(t_, (x) + i_, ((n) - i_) * sizeof(float));                                     \
            _mm256_storeu_ps(t_, f(_mm256_loadu_ps(t_)));                                         \
            memcpy((x) + i_, t_, ((n) - i_) * sizeof(float));                                     \
        }                                                                                         \
    } while (0)

void k_quick_gelu_avx2(float *x, size_t n) { MAP256(x, n, quick_gelu256); }
void k_gelu_avx2(float *x, size_t n) { MAP256(x, n, gelu256); }

INLINE float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static float dot_avx2(const float *a, const float *b, int n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static void layer_norm_avx2(const float *x, float *y, int n, const float *gamma, const float *beta,
                            float eps) {
    if (n <= 0) return;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
    }
    float sum = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) sum += x[i];
    float mean = sum / (float)n;
    const __m256 vm = _mm256_set1_ps(mean);
    s0 = s1 = _mm256_setzero_ps();
    for (i = 0; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), vm);
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm);
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    float var = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    var /= (float)n;
    float rs = 1.0f / sqrtf(var + eps);
    const __m256 vrs = _mm256_set1_ps(rs);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vrs);
        __m256 g = gamma ? _mm256_loadu_ps(gamma + i) : _mm256_set1_ps(1.0f);
        __m256 b = beta ? _mm256_loadu_ps(beta + i) : _mm256_setzero_ps();
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(t, g, b));
    }
    for (; i < n; i++) y[i] = fmaf((x[i] - mean) * rs, gamma ? gamma[i] : 1.0f, beta ? beta[i] : 0.0f);
}

static void softmax_avx2(float *x, int n) {
    if (n <= 0) return;
    float mx = -INFINITY;
    int i = 0;
    if (n >= 8) {
        __m256 vmx = _mm256_loadu_ps(x);
        for (i = 8; i + 8 <= n; i += 8) vmx = _mm256_max_ps(vmx, _mm256_loadu_ps(x + i));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmx), _mm256_extractf128_ps(vmx, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        mx = _mm_cvtss_f32(m4);
    }
    for (; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    if (mx == -INFINITY) {
        for (i = 0; i < n; i++) x[i] = 0.0f;
        return;
    }
    const __m256 vmx = _mm256_set1_ps(mx);
    __m256 s = _mm256_setzero_ps();
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmx));
        s = _mm256_add_ps(s, e);
        _mm256_storeu_ps(x + i, e);
    }
    if (i < n) {
        float t[8];
        for (int j = 0; j < 8; j++) t[j] = i + j < n ? x[i + j] - mx : -INFINITY;
        __m256 e = exp256(_mm256_loadu_ps(t));
        s = _mm256_add_ps(s, e);
        _mm256_storeu_ps(t, e);
        memcpy(x + i, t, (size_t)(n - i) * sizeof(float));
    }
    const __m256 inv = _mm256_set1_ps(1.0f / hsum256(s));
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (; i < n; i++) x[i] *= _mm256_cvtss_f32(inv);
}

static void l2_normalize_avx2(float *x, int n) {
    float s = dot_avx2(x, x, n);
    if (s == 0.0f) return;
    float inv = 1.0f / sqrtf(s);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(inv)));
    for (; i < n; i++) x[i] *= inv;
}

static void f16_to_f32_avx2(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    if (i < n) k_f16_to_f32_scalar(src + i, dst + i, n - i);
}

static void bf16_to_f32_avx2(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + i)));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_slli_epi32(v, 16));
    }
    if (i < n) k_bf16_to_f32_scalar(src + i, dst + i, n - i);
}

const k_table k_table_avx2 = {
    .name = "avx2", .level = CPU_AVX2, .layer_norm = layer_norm_avx2,
    .softmax = softmax_avx2, .quick_gelu = k_quick_gelu_avx2, .gelu = k_gelu_avx2,
    .l2_normalize = l2_normalize_avx2, .dot = dot_avx2,
    .f16_to_f32 = f16_to_f32_avx2, .bf16_to_f32 = bf16_to_f32_avx2,
};
