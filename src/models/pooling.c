/*
 * pooling.c — sentence-transformers' Pooling module over the hidden states of one sequence.
 *
 * sentence-transformers runs a padded batch and masks padding out of every mode (max sets padded
 * rows to −1e9, the sums multiply by the mask and divide by the mask's sum, clamped at 1e-9);
 * here a sequence is exactly its real tokens, so each mode is its plain formula over rows
 * 0 … len−1. Modes are concatenated in the module's order: cls, max, mean, mean_sqrt_len,
 * weightedmean, lasttoken (Pooling.forward). Sums accumulate in double, which keeps the result
 * within float rounding of torch's float32 reductions whatever the length.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bert.h"

int pool_count(unsigned modes) {
    int n = 0;
    for (unsigned b = 1; b <= POOL_LAST; b <<= 1) n += (modes & b) != 0;
    return n;
}

const char *pool_name(unsigned modes, char *buf, size_t cap) {
    static const char *const names[] = {"cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"};
    size_t o = 0;
    if (cap) buf[0] = '\0';
    for (int i = 0; i < 6; i++) {
        if (!(modes & (1u << i))) continue;
        int k = snprintf(buf + o, cap > o ? cap - o : 0, "%s%s", o ? "+" : "", names[i]);
        if (k > 0) o += (size_t)k;
        if (o >= cap) break;
    }
    return buf;
}

void pool_sequence(unsigned modes, const float *x, int len, int hidden, float *out) {
    size_t D = (size_t)hidden;
    if (modes & POOL_CLS) {
        memcpy(out, x, D * sizeof(float));
        out += D;
    }
    if (modes & POOL_MAX) {
        memcpy(out, x, D * sizeof(float));
        for (int t = 1; t < len; t++)
            for (size_t d = 0; d < D; d++)
                if (x[t * D + d] > out[d]) out[d] = x[t * D + d];
        out += D;
    }
    if (modes & (POOL_MEAN | POOL_MEAN_SQRT_LEN | POOL_WEIGHTED_MEAN)) {
        /* column sums in blocks of 64 dimensions: rows are read contiguously */
        float *mean = out, *msqrt = out + ((modes & POOL_MEAN) ? D : 0);
        float *wmean = msqrt + ((modes & POOL_MEAN_SQRT_LEN) ? D : 0);
        double wsum = (double)len * (len + 1) / 2, rs = sqrt((double)len);
        for (size_t d0 = 0; d0 < D; d0 += 64) {
            size_t nb = D - d0 < 64 ? D - d0 : 64;
            double s[64] = {0}, w[64] = {0};
            for (int t = 0; t < len; t++) {
                const float *row = x + t * D + d0;
                for (size_t d = 0; d < nb; d++) {
                    s[d] += row[d];
                    w[d] += (double)(t + 1) * row[d];
                }
            }
            for (size_t d = 0; d < nb; d++) {
                if (modes & POOL_MEAN) mean[d0 + d] = (float)(s[d] / len);
                if (modes & POOL_MEAN_SQRT_LEN) msqrt[d0 + d] = (float)(s[d] / rs);
                if (modes & POOL_WEIGHTED_MEAN) wmean[d0 + d] = (float)(w[d] / wsum);
            }
        }
        out = wmean + ((modes & POOL_WEIGHTED_MEAN) ? D : 0);
    }
    if (modes & POOL_LAST) memcpy(out, x + (size_t)(len - 1) * D, D * sizeof(float));
}
