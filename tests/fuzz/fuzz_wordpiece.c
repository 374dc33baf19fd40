/*
 * fuzz_wordpiece.c — libFuzzer harness for tok_encode with the WordPiece tokenizers (outside text
 * is the tokenizer's input).
 *
 * Two tokenizers are loaded once (run from the repository root): MPNet's from tokenizer.json
 * (tests/fixtures/models/tiny-mpnet-st) and BERT's from vocab.txt (tests/fixtures/tokenizers/bert);
 * the first byte of the input picks one, and with bit 1 of it the BERT one is loaded with
 * sentence-transformers' do_lower_case (the raw text lowercased first). The rest is encoded
 * without truncation and with a max_length taken from its size (2 … 81), and the results are
 * checked against what must hold for any text:
 *   - valid UTF-8 encodes; invalid UTF-8 fails with VT_EINVAL, a message, and no ids;
 *   - the ids start with CLS (<s> / [CLS]), end with SEP (</s> / [SEP]) and lie in
 *     [0, vocab size); no id in between is CLS or SEP unless the text spells the special token;
 *   - the truncated ids have min(n, max_length) ids, end with SEP, and are a prefix of the
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
            fprintf(stderr, "fuzz_wordpiece: %s:%d: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static tokenizer *toks[3]; /* MPNet, BERT, BERT lowercasing its input; never freed */

static tokenizer *load(const char *dir, unsigned flags) {
    vt_error err = {0};
    tokenizer *t = NULL;
    if (tok_load_dir_ex(dir, flags, &t, &err) != VT_OK) {
        fprintf(stderr, "fuzz_wordpiece: %s (run from the repository root)\n", err.message);
        abort();
    }
    return t;
}

/* spells: 1 if the text contains the literal special token s. */
static int spells(const char *text, size_t n, const char *s) {
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(text + i, s, k) == 0) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!toks[0]) {
        toks[0] = load("tests/fixtures/models/tiny-mpnet-st", 0);
        toks[1] = load("tests/fixtures/tokenizers/bert", 0);
        toks[2] = load("tests/fixtures/tokenizers/bert", TOK_LOAD_LOWER_INPUT);
    }
    if (size == 0) return 0;
    int which = data[0] & 1 ? ((data[0] & 2) ? 2 : 1) : 0;
    const tokenizer *tok = toks[which];
    const char *text = (const char *)data + 1;
    size--;
    int64_t live = vt_alloc_live_bytes();
    int32_t cls = tok_bos_id(tok), sep = tok_eos_id(tok), nv = tok_vocab_size(tok);
    int literal = which == 0 ? spells(text, size, "<s>") || spells(text, size, "</s>")
                             : spells(text, size, "[CLS]") || spells(text, size, "[SEP]");

    int32_t *ids = NULL;
    size_t n = 0;
    vt_error err = {0};
    int rc = tok_encode(tok, text, size, 0, &ids, &n, &err);
    if (rc != VT_OK) {
        CHECK(rc == VT_EINVAL || rc == VT_ELIMIT);
        CHECK(ids == NULL && n == 0 && err.message[0] != '\0');
    } else {
        CHECK(n >= 2 && ids[0] == cls && ids[n - 1] == sep);
        for (size_t i = 0; i < n; i++) CHECK(ids[i] >= 0 && ids[i] < nv);
        for (size_t i = 1; i + 1 < n && !literal; i++) CHECK(ids[i] != cls && ids[i] != sep);
    }

    int max_length = 2 + (int)(size % 80);
    int32_t *tr = NULL;
    size_t nt = 0;
    vt_error err2 = {0};
    int rc2 = tok_encode(tok, text, size, max_length, &tr, &nt, &err2);
    CHECK(rc2 == rc);
    if (rc2 == VT_OK) {
        CHECK(nt == (n < (size_t)max_length ? n : (size_t)max_length));
        CHECK(tr[0] == cls && tr[nt - 1] == sep);
        CHECK(memcmp(tr, ids, (nt - 1) * sizeof *tr) == 0);
    } else {
        CHECK(strcmp(err.message, err2.message) == 0);
    }
    vt_free(ids);
    vt_free(tr);
    CHECK(vt_alloc_live_bytes() == live);
    return 0;
}
