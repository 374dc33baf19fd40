/*
 * test_kernels.c — every row-kernel table this CPU has (scalar, avx2, avx512) against double
 * precision references on odd lengths (so every SIMD tail path runs), plus exhaustive f16/bf16
 * conversion (all 65,536 inputs, bit-exact, subnormals, infinities and NaNs included).
 *
 * Tolerances are in units of the float epsilon ε = 2^-23 relative to the reference: the
 * element-wise activations must be within a few ulp (plus the argument's own rounding, for
 * quick_gelu's 1.702·x), the reductions within √n·ε of the sum of magnitudes.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "tensor/kernels.h"
#include "test.h"

#define EPS 1.1920928955078125e-07

static const char *const g_names[] = {"scalar", "avx2", "avx512"};
static const int g_lens[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 50, 64, 97, 128, 200, 512, 768, 1000};
#define N_LENS ((int)(sizeof g_lens / sizeof g_lens[0]))

static uint64_t g_rng = 0x243f6a8885a308d3ull;
static double drand(void) { /* uniform in [0, 1) */
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

static float bits_f(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}
static uint32_t f_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static void test_default_table(void) {
    const char *picked = k_kernels_name(); /* before any k_force_kernels */
    const char *best = NULL;
    for (int t = 0; t < 3; t++)
        if (k_force_kernels(g_names[t]) == 0) best = g_names[t];
    ASSERT_TRUE(best != NULL);
    ASSERT_STR_EQ(picked, best);
    ASSERT_EQ(k_force_kernels("nope"), -1);
    printf("     row kernels available up to: %s\n", best);
}

static void test_layer_norm(void) {
    for (int t = 0; t < 3; t++) {
        if (k_force_kernels(g_names[t]) != 0) continue;
        for (int li = 0; li < N_LENS; li++)
            for (int variant = 0; variant < 3; variant++) {
                int n = g_lens[li];
                float x[1000], y[1000], g[1000], b[1000];
                double offset = variant == 2 ? 3.0 : 0.2;
                for (int i = 0; i < n; i++) {
                    x[i] = (float)(offset + 2.0 * drand() - 1.0);
                    g[i] = (float)(0.5 + drand());
                    b[i] = (float)(drand() - 0.5);
                }
                double s = 0.0, v = 0.0;
                for (int i = 0; i < n; i++) s += x[i];
                double mean = s / n;
                for (int i = 0; i < n; i++) v += (x[i] - mean) * (x[i] - mean);
                double rstd = 1.0 / sqrt(v / n + 1e-5);
                float ref[1000];
                for (int i = 0; i < n; i++) ref[i] = x[i]; /* for the in-place variant */
                int in_place = variant == 1;
                const float *gp = variant == 1 ? NULL : g, *bp = variant == 1 ? NULL : b;
                k_layer_norm(in_place ? ref : x, in_place ? ref : y, n, gp, bp, 1e-5f);
                const float *got = in_place ? ref : y;
                for (int i = 0; i < n; i++) {
                    double tn = (x[i] - mean) * rstd;
                    double r = tn * (gp ? gp[i] : 1.0) + (bp ? bp[i] : 0.0);
                    /* the mean's float rounding shifts x - mean by ~|offset|·ε·log n */
                    double tol = 8 * EPS * (fabs(tn * (gp ? gp[i] : 1.0)) + (bp ? fabs(bp[i]) : 0.0))
                               + 16 * EPS * offset * rstd * (gp ? gp[i] : 1.0) + 1e-7;
                    if (!(fabs(got[i] - r) <= tol)) {
                        fprintf(stderr, "%s n=%d variant=%d: y[%d] = %.9g, ref %.9g\n", g_names[t], n, variant, i, got[i], r);
                        ASSERT_TRUE(0);
                    }
                }
            }
    }
}

static void test_softmax(void) {
    for (int t = 0; t < 3; t++) {
        if (k_force_kernels(g_names[t]) != 0) continue;
        for (int li = 0; li < N_LENS; li++)
            for (int variant = 0; variant < 3; variant++) {
                int n = g_lens[li];
                float x[1000], in[1000];
                for (int i = 0; i < n; i++) {
                    in[i] = (float)(variant == 2 ? 60.0 * drand() - 30.0 : 8.0 * drand() - 4.0);
                    if (variant >= 1 && n > 1 && (i % 3 == 1 || i == n - 1)) in[i] = -INFINITY;
                }
                memcpy(x, in, (size_t)n * sizeof(float));
                k_softmax(x, n);
                /* the reference exponentiates x - max rounded to float, as every float
                 * implementation must (its rounding alone moves exp by |x - max|·ε/2) */
                float mx = -INFINITY;
                double s = 0.0;
                for (int i = 0; i < n; i++) mx = fmaxf(mx, in[i]);
                for (int i = 0; i < n; i++) s += exp((double)(in[i] - mx));
                double total = 0.0;
                for (int i = 0; i < n; i++) {
                    double r = exp((double)(in[i] - mx)) / s;
                    total += x[i];
                    if (in[i] == -INFINITY) ASSERT_TRUE(x[i] == 0.0f);
                    if (!(fabs(x[i] - r) <= 8 * EPS * r + 1e-44)) {
                        fprintf(stderr, "%s n=%d variant=%d: p[%d] = %.9g, ref %.9g\n", g_names[t], n, variant, i, x[i], r);
                        ASSERT_TRUE(0);
                    }
                }
                ASSERT_NEAR(total, 1.0, 1e-5);
            }
        /* a row that is all -inf becomes all 0; large equal values give uniform */
        float z[19];
        for (int i = 0; i < 19; i++) z[i] = -INFINITY;
        k_softmax(z, 19);
        for (int i = 0; i < 19; i++) ASSERT_TRUE(z[i] == 0.0f);
        for (int i = 0; i < 19; i++) z[i] = 1e30f;
        k_softmax(z, 19);
        for (int i = 0; i < 19; i++) ASSERT_NEAR(z[i], 1.0 / 19, 1e-7);
    }
}

/* inputs for the activations: a dense sweep of [-20, 20], small and huge magnitudes */
static int activation_inputs(float *x) {
    int n = 0;
    for (int i = -40000; i <= 40000; i += 7) x[n++] = (float)i / 2000.0f;
    static const float special[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-40f, -1e-40f, 1e30f, -1e30f,
                                    3e38f, -3e38f, 50.0f, -50.0f, 88.0f, -88.0f, 14.2f, -14.2f,
                                    14.3f, -14.3f, 5.0f, -5.0f, -9.0f, -13.0f};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) x[n++] = special[i];
    return n;
}

static void test_gelu(void) {
    static float in[12000], x[12000];
    int n = activation_inputs(in);
    for (int t = 0; t < 3; t++) {
        if (k_force_kernels(g_names[t]) != 0) continue;
        for (int len = n; len >= n - 17; len -= 17) { /* two lengths: both tail paths */
            memcpy(x, in, sizeof in);
            k_gelu(x, (size_t)len);
            double worst = 0.0;
            for (int i = 0; i < len; i++) {
                double v = in[i];
                double r = 0.5 * v * erfc(-v / sqrt(2.0));
                /* + one subnormal step: results below FLT_MIN cannot be relative-accurate */
                double err = fabs(x[i] - r), tol = 4 * EPS * fabs(r) + 1.5e-45;
                if (!(err <= tol)) {
                    fprintf(stderr, "%s gelu(%.9g) = %.9g, ref %.9g\n", g_names[t], v, x[i], r);
                    ASSERT_TRUE(0);
                }
                if (fabs(r) >= FLT_MIN) worst = fmax(worst, err / fabs(r) / EPS);
            }
            for (int i = len; i < n; i++) ASSERT_TRUE(f_bits(x[i]) == f_bits(in[i])); /* untouched */
            if (len == n) printf("     %s gelu: max error %.2f ε (relative)\n", g_names[t], worst);
        }
    }
}

static void test_quick_gelu(void) {
    static float in[12000], x[12000];
    int n = activation_inputs(in);
    for (int t = 0; t < 3; t++) {
        if (k_force_kernels(g_names[t]) != 0) continue;
        for (int len = n; len >= n - 17; len -= 17) {
            memcpy(x, in, sizeof in);
            k_quick_gelu(x, (size_t)len);
            for (int i = 0; i < len; i++) {
                double v = in[i];
                double u = (double)(-1.702f * in[i]); /* the argument as float computes it */
                double r = v / (1.0 + exp(u));
                /* 1.702·x rounds by ε/2 relative: exp's result moves by |u|·ε/2 */
                double tol = isfinite(u) ? (4 + fabs(u)) * EPS * fabs(r) + 1.5e-45 : 1.5e-45;
                if (!(fabs(x[i] - r) <= tol) && !(fabs(x[i] - v / (1.0 + exp(-1.702 * v))) <= tol)) {
                    fprintf(stderr, "%s quick_gelu(%.9g) = %.9g, ref %.9g\n", g_names[t], v, x[i], r);
                    ASSERT_TRUE(0);
                }
            }
            for (int i = len; i < n; i++) ASSERT_TRUE(f_bits(x[i]) == f_bits(in[i]));
        }
        float nan1 = NAN;
        k_quick_gelu(&nan1, 1);
        ASSERT_TRUE(isnan(nan1));
        float nan2 = NAN;
        k_gelu(&nan2, 1);
        ASSERT_TRUE(isnan(nan2));
        float inf[2] = {INFINITY, -INFINITY};
        k_gelu(inf, 2);
        ASSERT_TRUE(inf[0] == INFINITY && inf[1] == 0.0f);
        inf[0] = INFINITY, inf[1] = -INFINITY;
        k_quick_gelu(inf, 1);
        ASSERT_TRUE(inf[0] == INFINITY);
    }
}

static void test_dot_l2(void) {
    for (int t = 0; t < 3; t++) {
        if (k_force_kernels(g_names[t]) != 0) continue;
        for (int li = 0; li < N_LENS; li++) {
            int n = g_lens[li];
            float a[1000], b[1000];
            double s = 0.0, sa = 0.0, ss = 0.0;
            for (int i = 0; i < n; i++) {
                a[i] = (float)(2 * drand() - 1);
                b[i] = (float)(2 * drand() - 1);
                s += (double)a[i] * b[i];
                sa += fabs((double)a[i] * b[i]);
                ss += (double)a[i] * a[i];
            }
            ASSERT_NEAR(k_dot(a, b, n), s, 2 * EPS * (sqrt(n) + 2) * sa);
            float c[1000];
            memcpy(c, a, sizeof c);
            k_l2_normalize(c, n);
            for (int i = 0; i < n; i++) ASSERT_NEAR(c[i], a[i] / sqrt(ss), 4 * EPS * (fabs(a[i]) / sqrt(ss)) + 1e-12);
        }
        float z[33] = {0};
        k_l2_normalize(z, 33);
        for (int i = 0; i < 33; i++) ASSERT_TRUE(z[i] == 0.0f);
    }
}

/* f16_ref: the value of half h, by arithmetic (not bit manipulation). */
static double f16_ref(uint16_t h) {
    int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return sign ? -v : v;
}

static void test_f16(void) {
    static uint16_t h[65536 + 64];
    static float out[65536 + 64], scalar[65536 + 64];
    for (int i = 0; i < 65536; i++) h[i] = (uint16_t)i;
    ASSERT_EQ(k_force_kernels("scalar"), 0);
    k_f16_to_f32(h, scalar, 65536);
    for (int i = 0; i < 65536; i++) {
        double r = f16_ref((uint16_t)i);
        if (isnan(r)) {
            ASSERT_TRUE(isnan(scalar[i]));
            ASSERT_EQ(f_bits(scalar[i]) & 0x003fe000u, (uint32_t)(i & 0x1ff) << 13); /* payload */
            ASSERT_EQ(f_bits(scalar[i]) >> 31, (uint32_t)(i >> 15));
        } else {
            int same = (double)scalar[i] == r && !signbit(scalar[i]) == !signbit(r);
            if (!same) fprintf(stderr, "f16 %04x: %.9g vs %.9g\n", i, scalar[i], r);
            ASSERT_TRUE(same);
        }
    }
    ASSERT_TRUE(scalar[0x0001] == bits_f(0x33800000u)); /* smallest subnormal: 2^-24 */
    ASSERT_TRUE(scalar[0x7c00] == INFINITY && scalar[0xfc00] == -INFINITY);
    for (int t = 1; t < 3; t++) {
        if (k_force_kernels(g_names[t]) != 0) continue;
        k_f16_to_f32(h, out, 65536);
        for (int i = 0; i < 65536; i++) {
            if (f_bits(out[i]) != f_bits(scalar[i]))
                fprintf(stderr, "%s f16 %04x: %08x vs scalar %08x\n", g_names[t], i, f_bits(out[i]), f_bits(scalar[i]));
            ASSERT_EQ(f_bits(out[i]), f_bits(scalar[i]));
        }
        /* odd lengths and offsets: the tails, and nothing written past n */
        for (int n = 0; n <= 40; n++) {
            for (int i = 0; i < 64; i++) out[i] = -7.0f;
            k_f16_to_f32(h + 0x3c00 - 20 + n, out, (size_t)n);
            for (int i = 0; i < n; i++) ASSERT_EQ(f_bits(out[i]), f_bits(scalar[0x3c00 - 20 + n + i]));
            for (int i = n; i < 64; i++) ASSERT_TRUE(out[i] == -7.0f);
        }
    }
}

static void test_bf16(void) {
    static uint16_t h[65536];
    static float out[65536 + 64];
    for (int i = 0; i < 65536; i++) h[i] = (uint16_t)i;
    for (int t = 0; t < 3; t++) {
        if (k_force_kernels(g_names[t]) != 0) continue;
        k_bf16_to_f32(h, out, 65536);
        for (int i = 0; i < 65536; i++) ASSERT_EQ(f_bits(out[i]), (uint32_t)i << 16);
        ASSERT_TRUE(out[0x3f80] == 1.0f && out[0xbf80] == -1.0f && out[0x0001] == bits_f(0x00010000u));
        for (int n = 0; n <= 40; n++) {
            for (int i = 0; i < 64; i++) out[i] = -7.0f;
            k_bf16_to_f32(h + 1000 + n, out, (size_t)n);
            for (int i = 0; i < n; i++) ASSERT_EQ(f_bits(out[i]), (uint32_t)(1000 + n + i) << 16);
            for (int i = n; i < 64; i++) ASSERT_TRUE(out[i] == -7.0f);
        }
    }
}

int main(void) {
    RUN(test_default_table);
    RUN(test_layer_norm);
    RUN(test_softmax);
    RUN(test_gelu);
    RUN(test_quick_gelu);
    RUN(test_dot_l2);
    RUN(test_f16);
    RUN(test_bf16);
    TEST_END();
}
