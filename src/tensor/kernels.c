/*
 * kernels.c — the row kernels' dispatch and their scalar versions (see kernels.h).
 *
 * The table (kernels_int.h) is picked on first use from cpu_level(): avx512, avx2 or scalar;
 * k_force_kernels overrides it for tests. The scalar versions are the portable fallback and the
 * reference the SIMD ones are tested against, so they favour accuracy over speed: sums in double,
 * libm's expf (≤ 1 ulp in glibc), gelu entirely in double (erfc of the exact x/√2).
 *
 * Formulas shared by every version:
 *   layer norm   mean, then the biased variance of (x - mean) (two passes: no cancellation),
 *                y = (x - mean) · 1/sqrt(var + eps) · gamma + beta
 *   softmax      m = max x; e = exp(x - m); x = e / Σe. exp(-inf) = 0, so -inf entries become
 *                0; a row that is all -inf becomes all 0 (not NaN).
 *   quick_gelu   x / (1 + exp(-1.702 x))
 *   gelu         h = erfc(|x|/√2) / 2; x ≥ 0: x · (1 - h), x < 0: x · h — the same value as
 *                0.5 x (1 + erf(x/√2)), without its cancellation for negative x, so small outputs
 *                keep their relative accuracy. gelu(-inf) = 0 (the limit; the formula would
 *                give NaN).
 *   f16 → f32    exact, subnormals included; a NaN keeps its payload (shifted) and is made quiet
 *                (bit 22 set), as the x86 F16C instruction does.
 *   bf16 → f32   exact: the 16 bits become the top half of the float (NaNs unchanged).
 */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "cpu.h"
#include "kernels.h"
#include "kernels_int.h"

void k_layer_norm_scalar(const float *x, float *y, int n, const float *gamma, const float *beta,
                         float eps) {
    if (n <= 0) return;
    double s = 0.0;
    for (int i = 0; i < n; i++) s += x[i];
    double mean = s / n, v = 0.0;
    for (int i = 0; i < n; i++) v += (x[i] - mean) * (x[i] - mean);
    float rstd = (float)(1.0 / sqrt(v / n + eps));
    float fmean = (float)mean;
    for (int i = 0; i < n; i++) {
        float t = (x[i] - fmean) * rstd;
        y[i] = t * (gamma ? gamma[i] : 1.0f) + (beta ? beta[i] : 0.0f);
    }
}

void k_softmax_scalar(float *x, int n) {
    if (n <= 0) return;
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    if (mx == -INFINITY) {
        for (int i = 0; i < n; i++) x[i] = 0.0f;
        return;
    }
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - mx);
        s += x[i];
    }
    float inv = (float)(1.0 / s);
    for (int i = 0; i < n; i++) x[i] *= inv;
}

void k_quick_gelu_scalar(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + expf(-1.702f * x[i]));
}

void k_gelu_scalar(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        double h = 0.5 * erfc(fabs(v) * M_SQRT1_2);
        x[i] = (float)(v >= 0.0 ? v * (1.0 - h) : h == 0.0 ? 0.0 : v * h);
    }
}

void k_l2_normalize_scalar(float *x, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
    if (s == 0.0) return;
    float inv = (float)(1.0 / sqrt(s));
    for (int i = 0; i < n; i++) x[i] *= inv;
}

float k_dot_scalar(const float *a, const float *b, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (double)a[i] * b[i];
    return (float)s;
}

/* f16_bits_to_f32: one half-precision value (see the essay for NaN). */
static uint32_t f16_bits_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0x1f) return sign | 0x7f800000u | (mant << 13) | (mant ? 0x00400000u : 0);
    if (exp != 0) return sign | ((exp + 112) << 23) | (mant << 13);
    if (mant == 0) return sign;
    /* subnormal: mant · 2^-24; normalise so the leading 1 moves to bit 10 */
    int shift = 0;
    while (!(mant & 0x400)) {
        mant <<= 1;
        shift++;
    }
    return sign | ((uint32_t)(113 - shift) << 23) | ((mant & 0x3ff) << 13);
}

void k_f16_to_f32_scalar(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t b = f16_bits_to_f32(src[i]);
        memcpy(dst + i, &b, 4);
    }
}

void k_bf16_to_f32_scalar(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t b = (uint32_t)src[i] << 16;
        memcpy(dst + i, &b, 4);
    }
}

const k_table k_table_scalar = {
    .name = "scalar", .level = CPU_SCALAR, .layer_norm = k_layer_norm_scalar,
    .softmax = k_softmax_scalar, .quick_gelu = k_quick_gelu_scalar, .gelu = k_gelu_scalar,
    .l2_normalize = k_l2_normalize_scalar, .dot = k_dot_scalar,
    .f16_to_f32 = k_f16_to_f32_scalar, .bf16_to_f32 = k_bf16_to_f32_scalar,
};

/* ---- dispatch -------------------------------------------------------------------------------- */

static const k_table *const g_tables[] = {&k_table_avx512, &k_table_avx2, &k_table_scalar};
static _Atomic(const k_table *) g_table; /* NULL until first use; then set once (or by tests) */

static const k_table *table(void) {
    const k_table *t = atomic_load_explicit(&g_table, memory_order_acquire);
    if (!t) {
        int level = cpu_level();
        t = &k_table_scalar;
        for (size_t i = 0; i < sizeof g_tables / sizeof g_tables[0]; i++)
            if (g_tables[i]->level <= level) {
                t = g_tables[i];
                break;
            }
        atomic_store_explicit(&g_table, t, memory_order_release);
    }
    return t;
}

const char *k_kernels_name(void) { return table()->name; }

int k_force_kernels(const char *name) {
    int level = cpu_level();
    for (size_t i = 0; i < sizeof g_tables / sizeof g_tables[0]; i++)
        if (strcmp(g_tables[i]->name, name) == 0 && g_tables[i]->level <= level) {
            atomic_store_explicit(&g_table, g_tables[i], memory_order_release);
            return 0;
        }
    return -1;
}

void k_layer_norm(const float *x, float *y, int n, const float *gamma, const float *beta, float eps) {
    table()->layer_norm(x, y, n, gamma, beta, eps);
}
void k_softmax(float *x, int n) { table()->softmax(x, n); }
void k_quick_gelu(float *x, size_t n) { table()->quick_gelu(x, n); }
void k_gelu(float *x, size_t n) { table()->gelu(x, n); }
void k_l2_normalize(float *x, int n) { table()->l2_normalize(x, n); }
float k_dot(const float *a, const float *b, int n) { return table()->dot(a, b, n); }
void k_f16_to_f32(const uint16_t *src, float *dst, size_t n) { table()->f16_to_f32(src, dst, n); }
void k_bf16_to_f32(const uint16_t *src, float *dst, size_t n) { table()->bf16_to_f32(src, dst, n); }
