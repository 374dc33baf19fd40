/*
 * fuzz_tokenizer.c — libFuzzer harness for tok_encode (outside text is the tokenizer's input).
 *
 * The CLIP tokenizer of tests/fixtures/models/tiny-clip is loaded once (run from the repository
 * root). Each input is encoded and checked against tok_invariants.h: what must hold for any text.
 */
#include "tok_invariants.h"

static tokenizer *tok; /* loaded on the first input; never freed (process lifetime) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!tok) {
        vt_error err = {0};
        if (tok_load_dir("tests/fixtures/models/tiny-clip", &tok, &err) != VT_OK) {
            fprintf(stderr, "fuzz_tokenizer: %s (run from the repository root)\n", err.message);
            abort();
        }
    }
    check_tok_invariants(tok, (const char *)data, size, 0);
    return 0;
}
