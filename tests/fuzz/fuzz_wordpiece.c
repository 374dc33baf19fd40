/*
 * fuzz_wordpiece.c — libFuzzer harness for tok_encode with the WordPiece tokenizers (outside text
 * is the tokenizer's input).
 *
 * Two tokenizers are loaded once (run from the repository root): MPNet's from tokenizer.json
 * (tests/fixtures/models/tiny-mpnet-st) and BERT's from vocab.txt (tests/fixtures/tokenizers/bert);
 * the first byte of the input picks one, and with bit 1 of it the BERT one is loaded with
 * sentence-transformers' do_lower_case (the raw text lowercased first). The rest is encoded and
 * checked against tok_invariants.h (no CLS or SEP inside unless the text spells the special token).
 */
#include "tok_invariants.h"

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
    int literal = which == 0 ? spells(text, size, "<s>") || spells(text, size, "</s>")
                             : spells(text, size, "[CLS]") || spells(text, size, "[SEP]");
    check_tok_invariants(tok, text, size, !literal);
    return 0;
}
