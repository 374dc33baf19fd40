/*
 * fuzz_safetensors.c — libFuzzer harness for the safetensors header validation: any bytes are
 * opened as a file; whatever opens must read back every float tensor without touching memory
 * outside the buffer.
 */
#include <stdint.h>

#include "base/alloc.h"
#include "tensor/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    st_file *f = NULL;
    vt_error err = {0};
    if (st_open_mem(data, size, "fuzz", &f, &err) != VT_OK) return 0;
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_at(f, i);
        if (t->n_elements > (1 << 20)) continue;
        float *out = NULL;
        vt_error e = {0};
        if (st_get_f32(f, t->name, t->n_dims, t->shape, &out, &e) == VT_OK) vt_free(out);
    }
    st_close(f);
    return 0;
}
