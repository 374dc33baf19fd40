/*
 * kernels_int.h — private to the tensor module: the table of row kernels (kernels.h) one
 * instruction set provides, and the scalar versions, which the SIMD files reuse for the rare
 * cases they leave to scalar code and the GEMM tables use as activations.
 */
#ifndef VT_TENSOR_KERNELS_INT_H
#define VT_TENSOR_KERNELS_INT_H

#include <stddef.h>
#include <stdint.h>

typedef struct k_table {
    const char *name; /* "scalar", "avx2", "avx512" */
    int level;        /* enum cpu_level needed */
    void (*layer_norm)(const float *x, float *y, int n, const float *gamma, const float *beta,
                       float eps);
    void (*softmax)(float *x, int n);
    void (*quick_gelu)(float *x, size_t n);
    void (*gelu)(float *x, size_t n);
    void (*l2_normalize)(float *x, int n);
    float (*dot)(const float *a, const float *b, int n);
    void (*f16_to_f32)(const uint16_t *src, float *dst, size_t n);
    void (*bf16_to_f32)(const uint16_t *src, float *dst, size_t n);
} k_table;

extern const k_table k_table_scalar;
extern const k_table k_table_avx2;
extern const k_table k_table_avx512;

/* The scalar kernels (contracts as in kernels.h). */
void k_layer_norm_scalar(const float *x, float *y, int n, const float *gamma, const float *beta,
                         float eps);
void k_softmax_scalar(float *x, int n);
void k_quick_gelu_scalar(float *x, size_t n);
void k_gelu_scalar(float *x, size_t n);
void k_l2_normalize_scalar(float *x, int n);
float k_dot_scalar(const float *a, const float *b, int n);
void k_f16_to_f32_scalar(const uint16_t *src, float *dst, size_t n);
void k_bf16_to_f32_scalar(const uint16_t *src, float *dst, size_t n);

/* The SIMD activations the GEMM tables apply to finished tiles. */
void k_quick_gelu_avx2(float *x, size_t n);
void k_gelu_avx2(float *x, size_t n);
void k_quick_gelu_avx512(float *x, size_t n);
void k_gelu_avx512(float *x, size_t n);

#endif
