/*
 * dist.c — the scalar distance kernels, the choice of kernel table, and the metric helpers
 * (see dist.h for the metrics and their internal distances).
 *
 * The scalar kernels are the portable path and the reference the SIMD tables are tested against
 * (tests/unit/test_dist.c), so the float ones sum in double: their error is one rounding, and a
 * SIMD kernel's (float lanes, a different order) is bounded by n·ε·Σ|terms| around it. The int8
 * kernels are exact in every table.
 *
 * The table is picked on the first call of dist_kernels_get() from cpu_get_features(): avx512vnni
 * when AVX-512 F/BW/VL/DQ and AVX512-VNNI are usable, else avx512, avx2, scalar; it is then fixed
 * (an atomic pointer set once; two threads racing on the first call pick the same table).
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>

#include "index/dist.h"
#include "index/dist_int.h"
#include "tensor/cpu.h"

float dist_dot_f32_scalar(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return (float)s;
}

float dist_l2sq_f32_scalar(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        s += d * d;
    }
    return (float)s;
}

float dist_l1_f32_scalar(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += fabs((double)a[i] - b[i]);
    return (float)s;
}

int64_t dist_dot_i8_scalar(const int8_t *a, const int8_t *b, size_t n) {
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * b[i];
    return s;
}

int64_t dist_l2sq_i8_scalar(const int8_t *a, const int8_t *b, size_t n) {
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t d = (int32_t)a[i] - b[i];
        s += d * d;
    }
    return s;
}

int64_t dist_l1_i8_scalar(const int8_t *a, const int8_t *b, size_t n) {
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t d = (int32_t)a[i] - b[i];
        s += d < 0 ? -d : d;
    }
    return s;
}

int64_t dist_dot_i16i8_scalar(const int16_t *a, const int8_t *b, size_t n) {
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * b[i];
    return s;
}

float dist_l1_f32i8_scalar(const float *s, const float *t, const int8_t *p, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += fabs((double)s[i] * p[i] - t[i]);
    return (float)sum;
}

const dist_kernels dist_table_scalar = {
    .name = "scalar", .level = DIST_LEVEL_SCALAR,
    .dot_f32 = dist_dot_f32_scalar, .l2sq_f32 = dist_l2sq_f32_scalar, .l1_f32 = dist_l1_f32_scalar,
    .dot_i8 = dist_dot_i8_scalar, .l2sq_i8 = dist_l2sq_i8_scalar, .l1_i8 = dist_l1_i8_scalar,
    .dot_i16i8 = dist_dot_i16i8_scalar, .l1_f32i8 = dist_l1_f32i8_scalar,
};

/* level_usable: whether this CPU and OS run the table of level. */
static int level_usable(int level) {
    const cpu_features *f = cpu_get_features();
    switch (level) {
    case DIST_LEVEL_SCALAR: return 1;
    case DIST_LEVEL_AVX2: return cpu_level() >= CPU_AVX2;
    case DIST_LEVEL_AVX512: return cpu_level() >= CPU_AVX512;
    case DIST_LEVEL_AVX512VNNI: return cpu_level() >= CPU_AVX512 && f->avx512_vnni;
    default: return 0;
    }
}

const dist_kernels *dist_kernels_level(int level) {
    static const dist_kernels *const tables[DIST_N_LEVELS] = {
        &dist_table_scalar, &dist_table_avx2, &dist_table_avx512, &dist_table_avx512vnni};
    if (level < 0 || level >= DIST_N_LEVELS || !level_usable(level)) return NULL;
    return tables[level];
}

static _Atomic(const dist_kernels *) g_kernels; /* NULL until the first call, then fixed */

const dist_kernels *dist_kernels_get(void) {
    const dist_kernels *k = atomic_load_explicit(&g_kernels, memory_order_acquire);
    if (k) return k;
    for (int level = DIST_N_LEVELS - 1; level >= 0 && !k; level--) k = dist_kernels_level(level);
    atomic_store_explicit(&g_kernels, k, memory_order_release);
    return k;
}

float dist_f32(int metric, const float *a, const float *b, size_t n) {
    const dist_kernels *k = dist_kernels_get();
    switch (metric) {
    case DIST_COSINE: return 1.0f - k->dot_f32(a, b, n);
    case DIST_DOT: return -k->dot_f32(a, b, n);
    case DIST_EUCLID: return k->l2sq_f32(a, b, n);
    case DIST_MANHATTAN: return k->l1_f32(a, b, n);
    default: return INFINITY;
    }
}

float dist_score(int metric, float d) {
    switch (metric) {
    case DIST_COSINE: return 1.0f - d;
    case DIST_DOT: return -d;
    case DIST_EUCLID: return sqrtf(d > 0.0f ? d : 0.0f);
    default: return d;
    }
}

int dist_normalize(float *x, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    if (!(s > 0.0) || !isfinite(s)) return 0;
    float inv = (float)(1.0 / sqrt(s));
    for (size_t i = 0; i < n; i++) x[i] *= inv;
    return 1;
}

int dist_metric_parse(const char *name, int *metric) {
    static const struct {
        const char *name;
        int metric;
    } names[] = {{"cosine", DIST_COSINE},   {"dot", DIST_DOT},       {"ip", DIST_DOT},
                 {"euclid", DIST_EUCLID},   {"euclidean", DIST_EUCLID}, {"l2", DIST_EUCLID},
                 {"manhattan", DIST_MANHATTAN}};
    if (!name) return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0) {
            *metric = names[i].metric;
            return 0;
        }
    return -1;
}

const char *dist_metric_name(int metric) {
    switch (metric) {
    case DIST_COSINE: return "cosine";
    case DIST_DOT: return "dot";
    case DIST_EUCLID: return "euclid";
    case DIST_MANHATTAN: return "manhattan";
    default: return "?";
    }
}
