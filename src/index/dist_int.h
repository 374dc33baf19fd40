/*
 * dist_int.h — private to the index module: the kernel tables each instruction-set file
 * provides, and the scalar kernels they fall back on.
 */
#ifndef VT_INDEX_DIST_INT_H
#define VT_INDEX_DIST_INT_H

#include "index/dist.h"

extern const dist_kernels dist_table_scalar;
extern const dist_kernels dist_table_avx2;
extern const dist_kernels dist_table_avx512;
extern const dist_kernels dist_table_avx512vnni;

float dist_dot_f32_scalar(const float *a, const float *b, size_t n);
float dist_l2sq_f32_scalar(const float *a, const float *b, size_t n);
float dist_l1_f32_scalar(const float *a, const float *b, size_t n);
int64_t dist_dot_i8_scalar(const int8_t *a, const int8_t *b, size_t n);
int64_t dist_l2sq_i8_scalar(const int8_t *a, const int8_t *b, size_t n);
int64_t dist_l1_i8_scalar(const int8_t *a, const int8_t *b, size_t n);
int64_t dist_dot_i16i8_scalar(const int16_t *a, const int8_t *b, size_t n);
float dist_l1_f32i8_scalar(const float *s, const float *t, const int8_t *p, size_t n);

#endif
