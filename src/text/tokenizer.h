/*
 * tokenizer.h — turning text into the token ids a model was trained on.
 *
 * A tokenizer is loaded from a Hugging Face model folder: `tokenizer.json` when present, else the
 * legacy files (`vocab.json` + `merges.txt` for byte-level BPE, `vocab.txt` for WordPiece). Two
 * kinds: CLIP's byte-level BPE (bpe.c) and BERT/MPNet's WordPiece (wordpiece.c).
 *
 * Encoding is exactly transformers 5.x (the `tokenizers` pipeline). CLIP: NFC, `\s+` → " ",
 * lowercase, the CLIP pre-tokenizer regex with Unicode letter/number classes, byte-level BPE with
 * `</w>` word ends, then BOS … EOS. WordPiece: BertNormalizer (drop control characters and
 * U+FFFD, spaces around CJK ideographs, strip accents, lowercase, as the config says), split on
 * white space and punctuation, WordPiece with `##` and the 100-character word limit, then
 * CLS … SEP ([CLS] … [SEP] for BERT, <s> … </s> for MPNet). Literal special tokens in the raw text
 * (`<|endoftext|>`, `[CLS]`, `<mask>`, …) are their ids. With max_length > 0 the result is
 * truncated to max_length ids, keeping the final EOS / SEP.
 *
 * A loaded tokenizer is immutable: any number of threads may encode with it at once.
 */
#ifndef VT_TEXT_TOKENIZER_H
#define VT_TEXT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef struct tokenizer tokenizer;

/* tok_load_dir: loads the tokenizer of the model folder dir. *out is owned by the caller
 * (tok_free). Errors name the file and the problem (missing files, malformed JSON, a merge that
 * names an unknown token, …). */
int tok_load_dir(const char *dir, tokenizer **out, vt_error *err);

/* Flags of tok_load_dir_ex. */
#define TOK_LOAD_LEGACY 1u /* read vocab.json + merges.txt / vocab.txt even when tokenizer.json
                              is there */
#define TOK_LOAD_LOWER_INPUT 2u /* lowercase the raw text before anything else (per code point),
                                   as sentence-transformers' do_lower_case does */

/* tok_load_dir_ex: tok_load_dir with flags (TOK_LOAD_*); tok_load_dir(d, …) is
 * tok_load_dir_ex(d, 0, …). The legacy flag lets tests check both loaders on one folder. */
int tok_load_dir_ex(const char *dir, unsigned flags, tokenizer **out, vt_error *err);

/* tok_free: releases the tokenizer. NULL is accepted. */
void tok_free(tokenizer *t);

/* tok_encode: encodes text (UTF-8 of len bytes; invalid UTF-8 is an error naming the byte
 * offset) with the special tokens, truncated to max_length when max_length > 0. *ids is a new
 * array of *n ids owned by the caller (vt_free). Errors: VT_EINVAL for invalid UTF-8 or a
 * max_length below the number of special tokens (2 for CLIP and BERT); VT_ELIMIT for text over
 * 1 MiB.
 * On failure *ids is NULL and *n is 0. */
int tok_encode(const tokenizer *t, const char *text, size_t len, int max_length, int32_t **ids,
               size_t *n, vt_error *err);

/* The special ids: beginning (BOS / CLS), end (EOS / SEP) and padding of a sequence (-1 when the
 * tokenizer has none). */
int32_t tok_bos_id(const tokenizer *t);
int32_t tok_eos_id(const tokenizer *t);
int32_t tok_pad_id(const tokenizer *t);

/* tok_vocab_size: the number of ids (the largest id + 1). */
int tok_vocab_size(const tokenizer *t);

/* tok_model_max_length: tokenizer_config.json's model_max_length, or 0 when it names none (or
 * transformers' "no limit" 1e30). */
int tok_model_max_length(const tokenizer *t);

#endif
