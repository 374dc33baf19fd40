/*
 * weights.h — fetching a checkpoint's tensors for the encoders (CLIP, BERT, MPNet).
 *
 * Every tensor is fetched with the shape the config implies (st_get_f32 checks it and converts
 * F16/BF16 to float32), so a checkpoint that disagrees with its config.json is refused with the
 * tensor's name. Linear weights are packed for the GEMM kernel at once and their float32 copies
 * released; q, k and v of a layer are stacked into one [3·D][D] product so attention's input is
 * one GEMM. A loader carries the file, a name prefix ("" or e.g. "bert." for *ForMaskedLM
 * checkpoints) put before every name, and the error record.
 */
#ifndef VT_MODELS_WEIGHTS_H
#define VT_MODELS_WEIGHTS_H

#include <stdint.h>

#include "base/error.h"
#include "tensor/gemm.h"
#include "tensor/safetensors.h"

typedef struct wt_loader {
    const st_file *st;
    const char *prefix; /* put before every name; "" for none */
    vt_error *err;
} wt_loader;

/* wt_get: tensor prefix+name, n_dims dims [d0] or [d0][d1], as float32 into *out (caller frees). */
int wt_get(wt_loader *ld, const char *name, int n_dims, int64_t d0, int64_t d1, float **out);

/* wt_get_packed: the [n][k] matrix prefix+name packed for the GEMM into *w. */
int wt_get_packed(wt_loader *ld, const char *name, int n, int k, gemm_weights **w);

/* wt_get_linear: base.weight ([n][k], packed into *w) and base.bias ([n], into *b). */
int wt_get_linear(wt_loader *ld, const char *base, int n, int k, gemm_weights **w, float **b);

/* wt_get_ln: a LayerNorm's base.weight and base.bias ([D] each), or base.gamma and base.beta
 * (old TensorFlow conversions, which transformers renames). */
int wt_get_ln(wt_loader *ld, const char *base, int D, float **w, float **b);

/* wt_get_qkv: the projections bases[0..2] (q, k, v; each base.weight [D][D] and base.bias [D])
 * stacked into one packed [3·D][D] product *qkv and a [3·D] bias *qkv_b (caller frees both,
 * also on error). */
int wt_get_qkv(wt_loader *ld, const char *const bases[3], int D, gemm_weights **qkv, float **qkv_b);

#endif
