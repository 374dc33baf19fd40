/*
 * tok_invariants.h — what must hold for any text a tokenizer encodes, checked by the tokenizer
 * fuzz harnesses (fuzz_tokenizer.c for CLIP's BPE, fuzz_wordpiece.c for BERT/MPNet):
 *   - valid UTF-8 encodes; invalid UTF-8 fails with VT_EINVAL (or VT_ELIMIT), a message, and no ids;
 *   - the ids start with the tokenizer's BOS/CLS, end with its EOS/SEP and lie in [0, vocab size);
 *     with no_inner_specials, no id in between is BOS or EOS;
 *   - truncated to a max_length taken from the size (2 … 81) the ids are min(n, max_length) long,
 *     end with EOS, and are otherwise a prefix of the untruncated ones; errors are the same;
 *   - nothing leaks (the allocation hook's live bytes are back to where they were).
 * A broken invariant aborts, which libFuzzer (and tests/fuzz/replay.c) reports as a crash.
 */
#ifndef VT_TOK_INVARIANTS_H
#define VT_TOK_INVARIANTS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "text/tokenizer.h"

#define CHECK(c)                                                                                  \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #c);             \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static void check_tok_invariants(const tokenizer *tok, const char *text, size_t size, int no_inner_specials) {
    int64_t live = vt_alloc_live_bytes();
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
        for (size_t i = 1; i + 1 < n && no_inner_specials; i++) CHECK(ids[i] != bos && ids[i] != eos);
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
}

#endif
