/*
 * dist.h — distance functions of the vector index: the four metrics, their float32 and int8
 * kernels, and the kernel table picked once from CPUID.
 *
 * Every distance here is "smaller is closer", so the index orders everything the same way:
 *
 *   metric      internal distance d(a, b)        score reported to users (dist_score)
 *   Cosine      1 - a·b  (a, b normalised)       a·b = 1 - d        (higher is better)
 *   Dot         -a·b                             a·b = -d           (higher is better)
 *   Euclid      Σ (a_i - b_i)²                   sqrt(d)            (lower is better)
 *   Manhattan   Σ |a_i - b_i|                    d                  (lower is better)
 *
 * Cosine vectors are normalised once, at insert (dist_normalize), and queries once per search;
 * the hot loop is then a dot product [Qdrant]. Euclid keeps the squared distance internally
 * (monotone in the true one, no sqrt per candidate).
 *
 * Kernels: a dist_kernels table per instruction set — scalar (always present, the reference the
 * others are tested against), avx2, avx512, avx512vnni (int8 dot products with vpdpbusd, int16 ×
 * int8 ones with vpdpwssd) — in
 * dist.c, dist_avx2.c and dist_avx512.c. dist_kernels_get() returns the best one the CPU and OS
 * allow, chosen on the first call; dist_kernels_level() returns a given one for tests.
 */
#ifndef VT_INDEX_DIST_H
#define VT_INDEX_DIST_H

#include <stddef.h>
#include <stdint.h>

enum dist_metric {
    DIST_COSINE = 0,   /* Qdrant "Cosine" */
    DIST_DOT = 1,      /* Qdrant "Dot" */
    DIST_EUCLID = 2,   /* Qdrant "Euclid" */
    DIST_MANHATTAN = 3 /* Qdrant "Manhattan" */
};
#define DIST_N_METRICS 4

#define DIST_MAX_DIM 65536 /* the largest vector size a collection may declare (Qdrant's limit) */

/* Instruction-set levels of the kernel tables, lowest first. */
enum dist_level {
    DIST_LEVEL_SCALAR = 0,    /* plain C, any CPU */
    DIST_LEVEL_AVX2 = 1,      /* AVX2 + FMA */
    DIST_LEVEL_AVX512 = 2,    /* AVX-512 F/BW/VL/DQ */
    DIST_LEVEL_AVX512VNNI = 3 /* the avx512 table with int8 dot products by AVX512-VNNI */
};
#define DIST_N_LEVELS 4

/* One instruction set's kernels. n is the vector length (any n ≥ 0; n = 0 gives 0). Pointers
 * need no alignment. The int8 kernels are exact (integer arithmetic, int64 result) for every
 * n ≤ DIST_MAX_DIM and every int8 value, -128 included. */
typedef struct dist_kernels {
    const char *name;                                               /* "scalar", "avx2", "avx512", "avx512vnni" */
    int level;                                                      /* enum dist_level */
    float (*dot_f32)(const float *a, const float *b, size_t n);     /* Σ a_i b_i */
    float (*l2sq_f32)(const float *a, const float *b, size_t n);    /* Σ (a_i - b_i)² */
    float (*l1_f32)(const float *a, const float *b, size_t n);      /* Σ |a_i - b_i| */
    int64_t (*dot_i8)(const int8_t *a, const int8_t *b, size_t n);  /* Σ a_i b_i */
    int64_t (*l2sq_i8)(const int8_t *a, const int8_t *b, size_t n); /* Σ (a_i - b_i)² */
    int64_t (*l1_i8)(const int8_t *a, const int8_t *b, size_t n);   /* Σ |a_i - b_i| */
    /* The asymmetric kernels of int8 indexes (quant.h): a float query folded into int16 weights
     * against int8 codes (exact, every int16 and int8 value allowed), and Manhattan with
     * per-dimension scales s and targets t. */
    int64_t (*dot_i16i8)(const int16_t *a, const int8_t *b, size_t n);                /* Σ a_i b_i */
    float (*l1_f32i8)(const float *s, const float *t, const int8_t *p, size_t n);     /* Σ |s_i p_i - t_i| */
} dist_kernels;

/* dist_kernels_get: the fastest table this CPU and OS support, chosen on the first call from
 * cpu_get_features() and fixed afterwards. Cannot fail; thread-safe; static storage. */
const dist_kernels *dist_kernels_get(void);

/* dist_kernels_level: the table of one enum dist_level, or NULL when this CPU/OS cannot run it
 * (or level is out of range). DIST_LEVEL_SCALAR never returns NULL. For tests and benchmarks. */
const dist_kernels *dist_kernels_level(int level);

/* dist_f32: the internal distance (table above) of a and b under metric, with the kernels of
 * dist_kernels_get(). For DIST_COSINE both vectors must already be normalised. Cannot fail; an
 * unknown metric gives +inf. */
float dist_f32(int metric, const float *a, const float *b, size_t n);

/* dist_score: the score users see (Qdrant's) for an internal distance d under metric. */
float dist_score(int metric, float d);

/* dist_normalize: scales x to unit L2 norm in place (sum in double). A zero vector (or one whose
 * norm is not finite) is left as it is and the function returns 0; otherwise 1. */
int dist_normalize(float *x, size_t n);

/* dist_metric_parse: "cosine", "dot", "euclid", "manhattan" (case-insensitive; "l2" and
 * "euclidean" are accepted for euclid, "ip" for dot) into *metric. Returns 0, or -1 for an
 * unknown name (*metric untouched). */
int dist_metric_parse(const char *name, int *metric);

/* dist_metric_name: "cosine", "dot", "euclid", "manhattan"; "?" for an unknown value. */
const char *dist_metric_name(int metric);

#endif
