/*
 * dist_avx2.c — the distance kernels with AVX2 + FMA (8 floats or 32 bytes per ymm).
 *
 * float32: four independent accumulators of 8 lanes (32 values per iteration) hide the FMA
 * latency; the tail of fewer than 8 values goes to a masked load (vmaskmovps), so every length
 * runs the same code. int8: 16 values at a time are sign-extended to int16 (vpmovsxbw) and
 * multiplied pairwise into int32 (vpmaddwd); Manhattan flips the sign bit (x ^ 0x80 turns int8
 * order into uint8 order, leaving differences unchanged) and sums |a - b| with vpsadbw. Integer
 * lanes cannot overflow for n ≤ DIST_MAX_DIM: an int32 lane of vpmaddwd gathers n/8 products of
 * at most 255² (Euclid) = 5.3·10^8 < 2^31. Tails of fewer than 16 bytes are done in scalar code.
 */
#include <immintrin.h>

#include "index/dist_int.h"

#define INLINE static inline __attribute__((always_inline))

INLINE float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

INLINE int64_t hsum256_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    __m128i lo = _mm_cvtepi32_epi64(s), hi = _mm_cvtepi32_epi64(_mm_unpackhi_epi64(s, s));
    __m128i t = _mm_add_epi64(lo, hi);
    return _mm_cvtsi128_si64(t) + _mm_extract_epi64(t, 1);
}

/* tail_mask: the vmaskmovps mask selecting the first r (0..7) lanes. */
INLINE __m256i tail_mask(size_t r) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static float dot_f32(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    if (i < n) {
        __m256i m = tail_mask(n - i);
        s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), s1);
    }
    return hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

static float l2sq_f32(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
        s2 = _mm256_fmadd_ps(d2, d2, s2);
        s3 = _mm256_fmadd_ps(d3, d3, s3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    if (i < n) {
        __m256i m = tail_mask(n - i);
        __m256 d = _mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));
        s1 = _mm256_fmadd_ps(d, d, s1);
    }
    return hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

static float l1_f32(const float *a, const float *b, size_t n) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_and_ps(abs_mask, _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i))));
        s1 = _mm256_add_ps(s1, _mm256_and_ps(abs_mask, _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8))));
        s2 = _mm256_add_ps(s2, _mm256_and_ps(abs_mask, _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16))));
        s3 = _mm256_add_ps(s3, _mm256_and_ps(abs_mask, _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24))));
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_add_ps(s0, _mm256_and_ps(abs_mask, _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i))));
    if (i < n) {
        __m256i m = tail_mask(n - i);
        s1 = _mm256_add_ps(s1, _mm256_and_ps(abs_mask, _mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m))));
    }
    return hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

static int64_t dot_i8(const int8_t *a, const int8_t *b, size_t n) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i a0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        __m256i a1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i + 16)));
        __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i + 16)));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(a0, b0));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(a1, b1));
    }
    for (; i + 16 <= n; i += 16) {
        __m256i a0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(a0, b0));
    }
    return hsum256_epi32(_mm256_add_epi32(s0, s1)) + dist_dot_i8_scalar(a + i, b + i, n - i);
}

static int64_t l2sq_i8(const int8_t *a, const int8_t *b, size_t n) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i d0 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i))),
                                      _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i))));
        __m256i d1 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i + 16))),
                                      _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i + 16))));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(d0, d0));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(d1, d1));
    }
    for (; i + 16 <= n; i += 16) {
        __m256i d0 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i))),
                                      _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i))));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(d0, d0));
    }
    return hsum256_epi32(_mm256_add_epi32(s0, s1)) + dist_l2sq_i8_scalar(a + i, b + i, n - i);
}

static int64_t l1_i8(const int8_t *a, const int8_t *b, size_t n) {
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    __m256i s = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + i)), flip);
        __m256i y = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(b + i)), flip);
        s = _mm256_add_epi64(s, _mm256_sad_epu8(x, y));
    }
    __m128i t = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    int64_t r = _mm_cvtsi128_si64(t) + _mm_extract_epi64(t, 1);
    return r + dist_l1_i8_scalar(a + i, b + i, n - i);
}

/* I16I8_BLOCK: values per int32 accumulation before widening to int64: a vpmaddwd lane adds two
 * products of at most 32768 · 128 = 2^22 per 16 values, so 2048 values (128 steps) stay below
 * 2^30. */
#define I16I8_BLOCK 2048

static int64_t dot_i16i8(const int16_t *a, const int8_t *b, size_t n) {
    int64_t total = 0;
    size_t i = 0;
    while (i + 16 <= n) {
        size_t end = i + I16I8_BLOCK < n ? i + I16I8_BLOCK : n;
        __m256i s0 = _mm256_setzero_si256(), s1 = s0;
        for (; i + 32 <= end; i += 32) {
            __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
            __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i + 16)));
            s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(a + i)), b0));
            s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(a + i + 16)), b1));
        }
        for (; i + 16 <= end; i += 16) {
            __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
            s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(a + i)), b0));
        }
        total += hsum256_epi32(s0) + hsum256_epi32(s1);
    }
    return total + dist_dot_i16i8_scalar(a + i, b + i, n - i);
}

static float l1_f32i8(const float *s, const float *t, const int8_t *p, size_t n) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 p0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + i))));
        __m256 p1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + i + 8))));
        s0 = _mm256_add_ps(s0, _mm256_and_ps(abs_mask, _mm256_fmsub_ps(_mm256_loadu_ps(s + i), p0, _mm256_loadu_ps(t + i))));
        s1 = _mm256_add_ps(s1, _mm256_and_ps(abs_mask, _mm256_fmsub_ps(_mm256_loadu_ps(s + i + 8), p1, _mm256_loadu_ps(t + i + 8))));
    }
    return hsum256(_mm256_add_ps(s0, s1)) + dist_l1_f32i8_scalar(s + i, t + i, p + i, n - i);
}

const dist_kernels dist_table_avx2 = {
    .name = "avx2", .level = DIST_LEVEL_AVX2,
    .dot_f32 = dot_f32, .l2sq_f32 = l2sq_f32, .l1_f32 = l1_f32,
    .dot_i8 = dot_i8, .l2sq_i8 = l2sq_i8, .l1_i8 = l1_i8,
    .dot_i16i8 = dot_i16i8, .l1_f32i8 = l1_f32i8,
};
