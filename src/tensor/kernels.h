/*
 * kernels.h — the element-wise and row-wise float32 kernels of the transformer layers.
 *
 * All operate on rows of length n; SIMD versions are picked at run time (cpu.h) with a scalar
 * reference always present and tested against. None allocates; none can fail. gamma and beta
 * of k_layer_norm may be NULL (1 and 0). Accuracy: within a few float ulp of the exact result
 * (see kernels.c for the formulas).
 */
#ifndef VT_TENSOR_KERNELS_H
#define VT_TENSOR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* layer_norm: y = (x - mean) / sqrt(var + eps) * gamma + beta over one row of n (biased variance,
 * as torch.nn.LayerNorm). y may equal x. */
void k_layer_norm(const float *x, float *y, int n, const float *gamma, const float *beta, float eps);

/* softmax in place over one row of n. Entries equal to -INFINITY become 0. */
void k_softmax(float *x, int n);

/* quick_gelu in place: x · sigmoid(1.702 x). */
void k_quick_gelu(float *x, size_t n);

/* gelu in place: 0.5 x (1 + erf(x / √2)) (the exact form, torch's default). */
void k_gelu(float *x, size_t n);

/* l2_normalize in place: x / ‖x‖ (a zero vector stays zero). */
void k_l2_normalize(float *x, int n);

/* dot product of two rows of n. */
float k_dot(const float *a, const float *b, int n);

/* half and bfloat16 to float32 (exact conversions). */
void k_f16_to_f32(const uint16_t *src, float *dst, size_t n);
void k_bf16_to_f32(const uint16_t *src, float *dst, size_t n);

/* k_kernels_name: "avx512", "avx2" or "scalar" — the kernels in use (chosen once from CPUID). */
const char *k_kernels_name(void);

/* k_force_kernels: tests only — use the named kernels from now on, if this CPU has them.
 * Returns 0 on success, -1 if unavailable. Not to be called while other threads use kernels. */
int k_force_kernels(const char *name);

#endif
