/*
 * fuzz_tokenizer.c — libFuzzer harness for tok_encode (outside text is the tokenizer's input).
 *
 * The CLIP tokenizer of tests/fixtures/models/tiny-clip is loaded once (run from the repository
 * root). Each input is encoded without truncation and with a max_length taken from its size
 * (2 … 81), and the results are checked against what must hold for any text:
 *   - valid UTF-8 encodes; invalid UTF-8 fails with VT_EINVAL, a message, and no ids;
 *   - the ids start with BOS, end with EOS and lie in [0, vocab size);
 *   - the truncated ids have min(n, max_length) ids, end with EOS, and are a prefix of the
 *     untruncated ones otherwise;
 *   - nothing leaks (the hook's live bytes are back to where they were).
 * A broken invariant aborts, which libFuzzer (and tests/fuzz/replay.c) reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "text/tokenizer.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "fuzz_tokenizer: %s:%d: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static tokenizer *tok; /* loaded on the first input; never freed (process lifetime) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!tok) {
        vt_error err = {0};
        if (tok_load_dir("tests/fixtures/models/tiny-clip", &tok, &err) != VT_OK) {
            fprintf(stderr, "fuzz_tokenizer: %s (run from the repository root)\n", err.message);
            abort();
        }
    }
    int64_t live = vt_alloc_live_bytes();
    const char *text = (const char *)data;
    int32_t bos = tok_bos_id(tok), eos = tok_eos_id(tok), nv = tok_vocab_size(tok);

    int32_t *ids = NULL;
    size_t n = 0;
    vt_error err = {0};
    int rc = tok_encode(tok, text, size, 0, &ids, &n, &err);
    if (rc != VT_OK) {
        CHECK(rc == VT_EINVAL || rc == VT_ELIMIT);
        CHECK(ids == NULL && n == 0 && err.message[0] != '\0');
    } else {
        CHECK(n >= 2 && ids[0] == bos && ids[n - 1] == eos);
        for (size_t i = 0; i < n; i++) CHECK(ids[i] >= 0 && ids[i] < nv);
    }

    int max_length = 2 + (int)(size % 80);
    int32_t *tr = NULL;
    size_t nt = 0;
    vt_error err2 = {0};
    int rc2 = tok_encode(tok, text, size, max_length, &tr, &nt, &err2);
    CHECK(rc2 == rc);
    if (rc2 == VT_OK) {
        CHECK(nt == (n < (size_t)max_length ? n : (size_t)max_length));
        CHECK(tr[0] == bos && tr[nt - 1] == eos);
        CHECK(memcmp(tr, ids, (nt - 1) * sizeof *tr) == 0);
    } else {
        CHECK(strcmp(err.message, err2.message) == 0);
    }
    vt_free(ids);
    vt_free(tr);
    CHECK(vt_alloc_live_bytes() == live);
    return 0;
}
