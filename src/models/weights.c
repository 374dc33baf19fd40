/*
 * weights.c — the tensor fetchers shared by the CLIP and BERT/MPNet loaders (weights.h).
 *
 * Names are assembled in fixed buffers: transformers' tensor names are well under 200 bytes, and
 * a longer one would only be truncated into a name the file does not have, which st_get_f32
 * reports as missing.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "weights.h"

int wt_get(wt_loader *ld, const char *name, int n_dims, int64_t d0, int64_t d1, float **out) {
    char full[256];
    int64_t shape[2] = {d0, d1};
    snprintf(full, sizeof full, "%s%s", ld->prefix, name);
    return st_get_f32(ld->st, full, n_dims, shape, out, ld->err);
}

int wt_get_packed(wt_loader *ld, const char *name, int n, int k, gemm_weights **w) {
    float *f;
    int rc = wt_get(ld, name, 2, n, k, &f);
    if (rc) return rc;
    rc = gemm_weights_pack(f, n, k, w);
    vt_free(f);
    if (rc)
        return vt_fail(ld->err, rc, "%s: tensor %s%s: out of memory packing", st_file_name(ld->st), ld->prefix,
                       name);
    return VT_OK;
}

int wt_get_linear(wt_loader *ld, const char *base, int n, int k, gemm_weights **w, float **b) {
    char wn[256], bn[256];
    snprintf(wn, sizeof wn, "%s.weight", base);
    snprintf(bn, sizeof bn, "%s.bias", base);
    int rc = wt_get_packed(ld, wn, n, k, w);
    return rc ? rc : wt_get(ld, bn, 1, n, 0, b);
}

int wt_get_ln(wt_loader *ld, const char *base, int D, float **w, float **b) {
    char wn[256], bn[256], full[300];
    snprintf(full, sizeof full, "%s%s.weight", ld->prefix, base);
    int old = !st_find(ld->st, full);
    snprintf(wn, sizeof wn, "%s.%s", base, old ? "gamma" : "weight");
    snprintf(bn, sizeof bn, "%s.%s", base, old ? "beta" : "bias");
    int rc = wt_get(ld, wn, 1, D, 0, w);
    return rc ? rc : wt_get(ld, bn, 1, D, 0, b);
}

int wt_get_qkv(wt_loader *ld, const char *const bases[3], int D, gemm_weights **qkv, float **qkv_b) {
    size_t dd = (size_t)D * D;
    float *stacked = vt_malloc(3 * dd * sizeof(float));
    *qkv_b = vt_malloc(3 * (size_t)D * sizeof(float));
    if (!stacked || !*qkv_b) {
        vt_free(stacked);
        return vt_fail(ld->err, VT_ENOMEM, "%s: out of memory", st_file_name(ld->st));
    }
    for (int p = 0; p < 3; p++) {
        float *w = NULL, *b = NULL;
        char wn[256], bn[256];
        snprintf(wn, sizeof wn, "%s.weight", bases[p]);
        snprintf(bn, sizeof bn, "%s.bias", bases[p]);
        int rc = wt_get(ld, wn, 2, D, D, &w);
        if (!rc) rc = wt_get(ld, bn, 1, D, 0, &b);
        if (rc) {
            vt_free(w);
            vt_free(stacked);
            return rc;
        }
        memcpy(stacked + p * dd, w, dd * sizeof(float));
        memcpy(*qkv_b + p * D, b, (size_t)D * sizeof(float));
        vt_free(w);
        vt_free(b);
    }
    int rc = gemm_weights_pack(stacked, 3 * D, D, qkv);
    vt_free(stacked);
    if (rc) return vt_fail(ld->err, rc, "%s: out of memory packing %s%s", st_file_name(ld->st), ld->prefix, bases[0]);
    return VT_OK;
}
