/*
 * dist_avx512.c — the distance kernels with AVX-512 (16 floats or 64 bytes per zmm), and the
 * avx512vnni table whose int8 dot product uses vpdpbusd.
 *
 * float32: four accumulators of 16 lanes (64 values per iteration); the tail (< 16 values) is a
 * masked load, zeros in the masked-off lanes. int8 without VNNI: 32 values at a time sign-extended
 * to int16 (vpmovsxbw) and multiplied pairwise into int32 (vpmaddwd); each int32 lane gathers n/16
 * products, at most 4096 · 255² < 2^31 for n ≤ DIST_MAX_DIM. Manhattan: x ^ 0x80 maps int8 order to
 * uint8 order (differences unchanged), then vpsadbw sums |a - b| into 64-bit lanes.
 *
 * VNNI [Intel SDM, VPDPBUSD]: the instruction multiplies unsigned by signed bytes, four per int32
 * lane. With a' = a ^ 0x80 = a + 128 (as unsigned), Σ a'·b = Σ a·b + 128·Σ b, and 128·Σ b is itself
 * one vpdpbusd of the constant 0x80 bytes with b, so Σ a·b = dpbusd(a', b) - dpbusd(0x80, b): two
 * instructions per 64 values, exact (a lane gathers at most n/16 · 255·128 < 2^31). The functions
 * get the avx512vnni target by attribute, since the file's flags stop at F/BW/VL/DQ; the table is
 * used only when CPUID reports AVX512-VNNI (dist.c). The int16 × int8 product of int8 indexes
 * sign-extends the codes to int16 and uses vpdpwssd (VNNI) or vpmaddwd + vpaddd, widening the
 * int32 lanes to int64 every I16I8_BLOCK values.
 */
#include <immintrin.h>

#include "index/dist_int.h"

#define INLINE static inline __attribute__((always_inline))

/* tail_mask16 / tail_mask64: the first r lanes of 16 floats / 64 bytes. */
INLINE __mmask16 tail_mask16(size_t r) { return (__mmask16)((1u << r) - 1u); }
INLINE __mmask64 tail_mask64(size_t r) { return r >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << r) - 1u); }

static float dot_f32(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < n) {
        __mmask16 m = tail_mask16(n - i);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

static float l2sq_f32(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        __m512 d2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
        __m512 d3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
        s2 = _mm512_fmadd_ps(d2, d2, s2);
        s3 = _mm512_fmadd_ps(d3, d3, s3);
    }
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    if (i < n) {
        __mmask16 m = tail_mask16(n - i);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        s1 = _mm512_fmadd_ps(d, d, s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

static float l1_f32(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_add_ps(s0, _mm512_abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i))));
        s1 = _mm512_add_ps(s1, _mm512_abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16))));
        s2 = _mm512_add_ps(s2, _mm512_abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32))));
        s3 = _mm512_add_ps(s3, _mm512_abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48))));
    }
    for (; i + 16 <= n; i += 16)
        s0 = _mm512_add_ps(s0, _mm512_abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i))));
    if (i < n) {
        __mmask16 m = tail_mask16(n - i);
        s1 = _mm512_add_ps(s1, _mm512_abs_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i))));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

/* hsum_epi32: the exact sum of 16 int32 lanes, in int64. */
INLINE int64_t hsum_epi32(__m512i v) {
    __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(v));
    __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1));
    return _mm512_reduce_add_epi64(_mm512_add_epi64(lo, hi));
}

static int64_t dot_i8(const int8_t *a, const int8_t *b, size_t n) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i a0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(a + i)));
        __m512i b0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i)));
        __m512i a1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(a + i + 32)));
        __m512i b1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i + 32)));
        s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(a0, b0));
        s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(a1, b1));
    }
    for (; i < n; i += 32) {
        __mmask32 m = (__mmask32)tail_mask64(n - i < 32 ? n - i : 32);
        __m512i a0 = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, a + i));
        __m512i b0 = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, b + i));
        s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(a0, b0));
    }
    return hsum_epi32(_mm512_add_epi32(s0, s1));
}

static int64_t l2sq_i8(const int8_t *a, const int8_t *b, size_t n) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i d0 = _mm512_sub_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(a + i))),
                                      _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i))));
        __m512i d1 = _mm512_sub_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(a + i + 32))),
                                      _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i + 32))));
        s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(d0, d0));
        s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(d1, d1));
    }
    for (; i < n; i += 32) {
        __mmask32 m = (__mmask32)tail_mask64(n - i < 32 ? n - i : 32);
        __m512i d0 = _mm512_sub_epi16(_mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, a + i)),
                                      _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, b + i)));
        s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(d0, d0));
    }
    return hsum_epi32(_mm512_add_epi32(s0, s1));
}

static int64_t l1_i8(const int8_t *a, const int8_t *b, size_t n) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i s = _mm512_setzero_si512();
    for (size_t i = 0; i < n; i += 64) {
        __mmask64 m = tail_mask64(n - i);
        /* masked-off bytes load as 0 on both sides: |0 - 0| adds nothing */
        __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, a + i), flip);
        __m512i y = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, b + i), flip);
        s = _mm512_add_epi64(s, _mm512_sad_epu8(x, y));
    }
    return _mm512_reduce_add_epi64(s);
}

__attribute__((target("avx512vnni"))) static int64_t dot_i8_vnni(const int8_t *a, const int8_t *b, size_t n) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, c0 = s0, c1 = s0;
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m512i b0 = _mm512_loadu_si512(b + i), b1 = _mm512_loadu_si512(b + i + 64);
        s0 = _mm512_dpbusd_epi32(s0, _mm512_xor_si512(_mm512_loadu_si512(a + i), flip), b0);
        s1 = _mm512_dpbusd_epi32(s1, _mm512_xor_si512(_mm512_loadu_si512(a + i + 64), flip), b1);
        c0 = _mm512_dpbusd_epi32(c0, flip, b0);
        c1 = _mm512_dpbusd_epi32(c1, flip, b1);
    }
    for (; i < n; i += 64) {
        __mmask64 m = tail_mask64(n - i);
        /* masked-off bytes: a' = 0 ^ 0x80 = 128 times b = 0, and 128 · 0: both add nothing */
        __m512i b0 = _mm512_maskz_loadu_epi8(m, b + i);
        s0 = _mm512_dpbusd_epi32(s0, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, a + i), flip), b0);
        c0 = _mm512_dpbusd_epi32(c0, flip, b0);
    }
    return hsum_epi32(_mm512_sub_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(c0, c1)));
}

/* I16I8_BLOCK: values per int32 accumulation before widening to int64: a lane adds two
 * products of at most 32768 · 128 = 2^22 per 32 values, so 4096 values (128 steps) stay below
 * 2^30. */
#define I16I8_BLOCK 4096

/* DOT_I16I8: the int16 × int8 dot product, step(acc, a, b) accumulating 32 values. */
#define DOT_I16I8(step)                                                                           \
    int64_t total = 0;                                                                            \
    for (size_t i = 0; i < n;) {                                                                  \
        size_t end = i + I16I8_BLOCK < n ? i + I16I8_BLOCK : n;                                   \
        __m512i s0 = _mm512_setzero_si512(), s1 = s0;                                             \
        for (; i + 64 <= end; i += 64) {                                                          \
            __m512i b0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i)));      \
            __m512i b1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i + 32))); \
            s0 = step(s0, _mm512_loadu_si512(a + i), b0);                                         \
            s1 = step(s1, _mm512_loadu_si512(a + i + 32), b1);                                    \
        }                                                                                         \
        for (; i < end; i += 32) {                                                                \
            __mmask32 m = (__mmask32)tail_mask64(end - i < 32 ? end - i : 32);                    \
            __m512i b0 = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, b + i));                 \
            s0 = step(s0, _mm512_maskz_loadu_epi16(m, a + i), b0);                                \
        }                                                                                         \
        total += hsum_epi32(_mm512_add_epi32(s0, s1));                                            \
    }                                                                                             \
    return total

INLINE __m512i madd_step(__m512i acc, __m512i a, __m512i b) { return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b)); }

static int64_t dot_i16i8(const int16_t *a, const int8_t *b, size_t n) { DOT_I16I8(madd_step); }

__attribute__((target("avx512vnni"))) static int64_t dot_i16i8_vnni(const int16_t *a, const int8_t *b, size_t n) {
    DOT_I16I8(_mm512_dpwssd_epi32);
}

static float l1_f32i8(const float *s, const float *t, const int8_t *p, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 p0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + i))));
        __m512 p1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + i + 16))));
        s0 = _mm512_add_ps(s0, _mm512_abs_ps(_mm512_fmsub_ps(_mm512_loadu_ps(s + i), p0, _mm512_loadu_ps(t + i))));
        s1 = _mm512_add_ps(s1, _mm512_abs_ps(_mm512_fmsub_ps(_mm512_loadu_ps(s + i + 16), p1, _mm512_loadu_ps(t + i + 16))));
    }
    for (; i < n; i += 16) {
        __mmask16 m = tail_mask16(n - i < 16 ? n - i : 16);
        __m512 p0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p + i)));
        s0 = _mm512_add_ps(s0, _mm512_abs_ps(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, s + i), p0, _mm512_maskz_loadu_ps(m, t + i))));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

const dist_kernels dist_table_avx512 = {
    .name = "avx512", .level = DIST_LEVEL_AVX512,
    .dot_f32 = dot_f32, .l2sq_f32 = l2sq_f32, .l1_f32 = l1_f32,
    .dot_i8 = dot_i8, .l2sq_i8 = l2sq_i8, .l1_i8 = l1_i8,
    .dot_i16i8 = dot_i16i8, .l1_f32i8 = l1_f32i8,
};

const dist_kernels dist_table_avx512vnni = {
    .name = "avx512vnni", .level = DIST_LEVEL_AVX512VNNI,
    .dot_f32 = dot_f32, .l2sq_f32 = l2sq_f32, .l1_f32 = l1_f32,
    .dot_i8 = dot_i8_vnni, .l2sq_i8 = l2sq_i8, .l1_i8 = l1_i8,
    .dot_i16i8 = dot_i16i8_vnni, .l1_f32i8 = l1_f32i8,
};
