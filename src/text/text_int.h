/*
 * text_int.h — private to src/text: the tokenizer handle and the pieces it is built from.
 *
 * Layering inside the module (each file one idea, dependencies one way):
 *
 *     tokenizer.c   the handle: encode = added-token split → per-kind segment encoder → BOS … EOS,
 *                   truncation; accessors; free
 *     tok_load.c    building a handle from a model folder (tokenizer.json, vocab.json +
 *                   merges.txt, tokenizer_config.json)
 *     clip.c        CLIP's normalizer (NFC, \s+ → " ", lowercase) and pre-tokenizer (the CLIP
 *                   split regex, then GPT-2 byte level) for one segment of text
 *     bpe.c         the byte-level BPE model: merge table, one word → ids
 *     wordpiece.c   BERT/MPNet: BertNormalizer, BertPreTokenizer and the WordPiece model for one
 *                   segment of text; reading vocab.txt
 *     vocab.c       token string → id hash map (shared by every model kind)
 *     unicode.c     UTF-8 checking and coding, Unicode classes, NFC, lowercase (utf8proc)
 *
 * Each kind (enum tok_kind) is a model pointer in struct tokenizer, a segment encoder and a
 * normalizer (for added tokens flagged "normalized") and a loader branch in tok_load.c; added-token
 * splitting, the special tokens around the content (BOS … EOS for CLIP, CLS … SEP for
 * BERT/MPNet, both stored as bos_id/eos_id) and truncation in tokenizer.c are shared.
 */
#ifndef VT_TEXT_TEXT_INT_H
#define VT_TEXT_TEXT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/utf8.h"

#include "base/error.h"
#include "text/tokenizer.h"

/* ---------------------------------------------------------------------------------------------
 * Limits. Each bounds work or memory on outside input; passing one is VT_ELIMIT, never a crash.
 */
/* 1 MiB of text per call: a caption or query is a few KiB; with the scratch at about 40 bytes per
 * input byte, one call stays under ~64 MiB whatever the input. */
#define TOK_MAX_INPUT ((size_t)1 << 20)
/* Element ceiling of every scratch buffer of one call (code points, bytes, symbols, ids). A
 * 1 MiB input needs at most ~4 Mi of any of them (NFC expands at most 3x, lowercase 1.5x). */
#define TOK_MAX_WORK ((size_t)1 << 24)
/* Files: real tokenizer.json files are 2–35 MB; vocab.json/merges.txt under 10 MB. */
#define TOK_MAX_JSON_FILE ((size_t)128 << 20)
#define TOK_MAX_LEGACY_FILE ((size_t)64 << 20)
#define TOK_MAX_CONFIG_FILE ((size_t)4 << 20)
/* Vocabulary entries and merges: the largest published vocabularies are ~260k. */
#define TOK_MAX_VOCAB ((size_t)1 << 22)
#define TOK_MAX_MERGES ((size_t)1 << 22)
/* Added tokens: real tokenizers have a few, some a few thousand. */
#define TOK_MAX_ADDED ((size_t)1 << 16)

/* ---------------------------------------------------------------------------------------------
 * util (tokenizer.c)
 */

/* text_grow: makes *buf hold at least need elements of elem bytes (doubling), keeping its
 * contents. Returns VT_OK, VT_ELIMIT when need > limit, or VT_ENOMEM (then *buf is untouched).
 * The caller frees *buf with vt_free. */
int text_grow(void **buf, size_t *cap, size_t need, size_t elem, size_t limit);

/* A growing id sequence with a ceiling (TOK_MAX_WORK). stop: encoders may return early once
 * n >= stop (the caller truncates to stop anyway); SIZE_MAX when the whole text is wanted. */
typedef struct tok_ids {
    int32_t *v;  /* the ids, owned (vt_free) */
    size_t n;    /* ids in v */
    size_t cap;  /* capacity of v in ids */
    size_t stop; /* ids wanted; encoding may stop once n >= stop */
} tok_ids;

/* tok_ids_push: appends id. VT_OK, VT_ENOMEM or VT_ELIMIT (with a message in err). */
int tok_ids_push(tok_ids *ids, int32_t id, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * unicode.c — all code points are int32_t in [0, 0x10FFFF] minus surrogates.
 */


/* text_utf8_next: decodes the code point at s[*i] and advances *i. s[*i..n) must be valid UTF-8
 * (checked before) and *i < n. Cannot fail. */
int32_t text_utf8_next(const uint8_t *s, size_t *i);

/* text_utf8_put: writes cp as UTF-8 into out (room for 4 bytes); returns the byte count. */
size_t text_utf8_put(uint8_t *out, int32_t cp);

/* The classes of the pre-tokenizer regexes (Oniguruma's, as the `tokenizers` library uses):
 * \s = Unicode White_Space; \p{L} = Lu Ll Lt Lm Lo; \p{N} = Nd Nl No. Cannot fail. */
int text_is_space(int32_t cp);
int text_is_letter(int32_t cp);
int text_is_number(int32_t cp);

/* text_lower: Rust's char::to_lowercase (what the `tokenizers` Lowercase normalizer applies per
 * code point): the simple lowercase mapping, except U+0130 → U+0069 U+0307. Writes 1 or 2 code
 * points into out and returns the count. Cannot fail. */
int text_lower(int32_t cp, int32_t out[2]);

/* text_nfc: the NFC form of the valid UTF-8 s[0..n) as code points into *cp (grown with
 * text_grow, capacity *cap; *cp is owned by the caller). *len receives the count. Work is linear
 * in n (canonical ordering by a stable counting sort, not utf8proc's quadratic bubble sort).
 * Returns VT_OK, VT_ENOMEM, VT_ELIMIT or VT_EINTERNAL (utf8proc refused valid input). */
int text_nfc(const uint8_t *s, size_t n, int32_t **cp, size_t *cap, size_t *len,
             int32_t **tmp, size_t *tmp_cap, vt_error *err);

/* text_nfd_cp: the NFD form (canonical decomposition, then canonical ordering) of the code points
 * in[0..n) into *out (grown with text_grow, capacity *cap, owned by the caller); *len receives the
 * count. in and *out must not overlap. Linear in n. VT_OK, VT_ENOMEM, VT_ELIMIT or VT_EINTERNAL. */
int text_nfd_cp(const int32_t *in, size_t n, int32_t **out, size_t *cap, size_t *len,
                int32_t **tmp, size_t *tmp_cap, vt_error *err);

/* The classes BERT's normalizer and pre-tokenizer use (the `tokenizers` library's, through the
 * unicode_categories crate): text_is_punct = ASCII punctuation (every printable ASCII symbol that
 * is not a letter, digit or space: ! … / : … @ [ … ` { … ~) or a Unicode P* category;
 * text_is_mark_nonspacing = Mn; text_is_other = the crate's is_other, which is what tokenizers'
 * BertNormalizer drops: Cc, Cf, and of Co only the six code points UnicodeData.txt lists (the
 * crate's tables are built from its lines, and private-use ranges appear there as a first and a
 * last line) — not Cn, despite the comment in tokenizers. The crate's tables predate Unicode 10:
 * the format characters added since are not "other" there, nor here. Cannot fail. */
int text_is_punct(int32_t cp);
int text_is_other(int32_t cp);
int text_is_mark_nonspacing(int32_t cp);

/* ---------------------------------------------------------------------------------------------
 * vocab.c — token string → id. Strings are arbitrary bytes (not NUL-terminated).
 */
typedef struct strmap strmap;

/* strmap_new: an empty map sized for about n entries; NULL on ENOMEM. Free with strmap_free. */
strmap *strmap_new(size_t n);
void strmap_free(strmap *m); /* NULL is accepted */

/* strmap_put: maps s[0..len) to id, replacing an earlier id for the same string (the last one
 * wins, as in a JSON object read by serde). VT_OK, VT_ENOMEM or VT_ELIMIT (TOK_MAX_VOCAB). */
int strmap_put(strmap *m, const char *s, size_t len, int32_t id);

/* strmap_get: the id of s[0..len), or -1. Cannot fail. */
int32_t strmap_get(const strmap *m, const char *s, size_t len);

/* strmap_count: the number of distinct strings; strmap_max_id: the largest id (-1 if empty);
 * strmap_max_len: the length in bytes of the longest string (0 if empty). */
size_t strmap_count(const strmap *m);
int32_t strmap_max_id(const strmap *m);
size_t strmap_max_len(const strmap *m);

/* ---------------------------------------------------------------------------------------------
 * bpe.c — byte-level BPE (GPT-2 byte→unicode alphabet) with an end-of-word suffix.
 */
typedef struct bpe_model bpe_model;

/* bpe_new: a model over vocab (taken: freed by bpe_free, also on failure) with end-of-word
 * suffix suffix (NULL for none) and unknown token unk (NULL for none; when it is not in vocab,
 * encoding a byte that has no token fails, as in `tokenizers`). fuse_unk: consecutive unknown
 * bytes become one unk. name names the input in errors. */
int bpe_new(strmap *vocab, const char *suffix, const char *unk, int fuse_unk, const char *name,
            bpe_model **out, vt_error *err);
void bpe_free(bpe_model *m); /* NULL is accepted */

/* bpe_add_merge: the merge of rank rank (0 = first, applied first): tokens a and b, whose
 * concatenation must also be a token. A later merge of the same pair replaces the earlier one
 * (as the `tokenizers` HashMap does). Errors name the input, the place of the merge ("line 7",
 * "merge 6": where and index) and the token. */
int bpe_add_merge(bpe_model *m, const char *a, size_t a_len, const char *b, size_t b_len,
                  uint32_t rank, const char *where, size_t index, vt_error *err);

/* bpe_vocab: the model's vocabulary (owned by the model). */
const strmap *bpe_vocab(const bpe_model *m);

/* Per-call scratch of bpe_encode_word, reused across words; free with bpe_scratch_fini. */
typedef struct bpe_scratch {
    void *sym;      /* symbols (struct bpe_sym, bpe.c) */
    size_t sym_cap; /* capacity in symbols */
    void *heap;     /* merge candidates (struct bpe_merge, bpe.c) */
    size_t heap_cap; /* capacity in candidates */
} bpe_scratch;
void bpe_scratch_fini(bpe_scratch *s);

/* bpe_encode_word: appends the ids of one pre-tokenized word (its raw bytes w[0..n), n >= 1;
 * each byte is one symbol of the GPT-2 byte alphabet, the last one with the suffix) to ids.
 * Merges are applied lowest rank first, leftmost first among equals, exactly as
 * `tokenizers` Word::merge_all; O(n log n) with a binary heap. */
int bpe_encode_word(const bpe_model *m, const uint8_t *w, size_t n, bpe_scratch *s, tok_ids *ids,
                    vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * wordpiece.c — BERT's WordPiece with its normalizer and pre-tokenizer.
 */
typedef struct wp_model wp_model;

/* The BertNormalizer options (tokenizers' names). */
typedef struct wp_norm_opts {
    int clean_text;    /* drop NUL, U+FFFD and C* characters; white space → " " */
    int handle_cjk;    /* spaces around CJK ideographs (handle_chinese_chars) */
    int strip_accents; /* 1 / 0, or -1 = unset: follow lowercase */
    int lowercase;     /* per code point lowercase (Rust's char::to_lowercase) */
} wp_norm_opts;

/* WordPiece limits: the `tokenizers` default word length (max_input_chars_per_word) and ceilings
 * on what a file may configure. */
#define WP_DEFAULT_MAX_CHARS 100
#define WP_MAX_CHARS_CAP 100000
#define WP_MAX_PREFIX 64

/* wp_new: a model over vocab (taken: freed by wp_free, also on failure) with the continuing
 * subword prefix prefix ("##"; at most WP_MAX_PREFIX bytes), words longer than max_chars code
 * points becoming unk_id, and the normalizer options no. name names the input in errors. */
int wp_new(strmap *vocab, const char *prefix, int max_chars, int32_t unk_id, wp_norm_opts no,
           const char *name, wp_model **out, vt_error *err);
void wp_free(wp_model *m); /* NULL is accepted */

/* wp_set_unk_id: sets the unknown token's id (the loader resolves it after the added tokens). */
void wp_set_unk_id(wp_model *m, int32_t unk_id);

/* wp_vocab: the model's vocabulary (owned by the model). */
const strmap *wp_vocab(const wp_model *m);

/* wp_vocab_from_txt: vocab.txt (data[0..len), valid UTF-8 or an error naming path): one token per
 * line, its id the line number from 0; a final "\r" of a line is dropped; a later duplicate
 * line wins, as a Python dict built in file order. *out is a new map (strmap_free). */
int wp_vocab_from_txt(const uint8_t *data, size_t len, const char *path, strmap **out,
                      vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * The handle (tokenizer.c, tok_load.c).
 */
enum tok_kind {
    TOK_KIND_CLIP = 1,     /* CLIP: NFC, \s+ → " ", lowercase, CLIP split, byte-level BPE </w> */
    TOK_KIND_WORDPIECE = 2 /* BERT/MPNet: BertNormalizer, BertPreTokenizer, WordPiece ## */
};

/* A token of the added vocabulary (special tokens and the like), matched in the text before the
 * model sees it: leftmost, then longest (aho-corasick LeftmostLongest, as `tokenizers`). */
typedef struct tok_added {
    char *content;     /* the token's text (owned, NUL-terminated; may not contain NUL) */
    size_t len;        /* strlen(content), >= 1 */
    int32_t id;        /* its id */
    int is_normalized; /* 1: matched in the normalized text; 0: in the raw text */
} tok_added;

struct tokenizer {
    int kind;            /* enum tok_kind */
    int32_t bos_id;      /* id put first, -1 for none */
    int32_t eos_id;      /* id put last, -1 for none */
    int32_t pad_id;      /* padding id, -1 for none */
    int32_t vocab_size;  /* largest id + 1 */
    tok_added *added;    /* the added tokens (owned), n_added of them */
    size_t n_added;      /* count of added */
    int has_norm_added;  /* 1 if some added token is matched in the normalized text */
    uint32_t added_first[2][257]; /* added[] is sorted by (is_normalized, first byte): tokens
                                     with flag f and first byte b are added[added_first[f][b]
                                     .. added_first[f][b + 1]) */
    bpe_model *bpe;      /* TOK_KIND_CLIP: the model (owned) */
    wp_model *wp;        /* TOK_KIND_WORDPIECE: the model (owned) */
    int lower_input;     /* 1: lowercase the raw text first (TOK_LOAD_LOWER_INPUT) */
    int model_max_length; /* tokenizer_config.json's model_max_length; 0 if absent or huge */
};

/* Scratch of one tok_encode call (the handle is shared and immutable). Freed by
 * tok_scratch_fini. */
typedef struct tok_scratch {
    int32_t *cp;       /* code points of the segment being normalized */
    size_t cp_cap;     /* capacity of cp */
    int32_t *tmp;      /* temporary code points (canonical ordering) */
    size_t tmp_cap;    /* capacity of tmp */
    uint8_t *norm;     /* the normalized segment as UTF-8 */
    size_t norm_cap;   /* capacity of norm */
    int32_t *cp2;      /* a second code point buffer (WordPiece: the NFD form) */
    size_t cp2_cap;    /* capacity of cp2 */
    uint8_t *key;      /* WordPiece: the vocabulary key being looked up (prefix + piece) */
    size_t key_cap;    /* capacity of key */
    uint8_t *lower;    /* the lowercased raw text (lower_input) */
    size_t lower_cap;  /* capacity of lower */
    bpe_scratch bpe;   /* BPE symbols and heap */
} tok_scratch;

/* tok_scratch_fini: releases the buffers of sc (a zeroed scratch is accepted). */
void tok_scratch_fini(tok_scratch *sc);

/* tok_index_added: sorts t->added and fills t->added_first and t->has_norm_added. Cannot fail. */
void tok_index_added(tokenizer *t);

/* tok_match_added: finds the leftmost, then longest, added token with is_normalized ==
 * normalized in s[0..n). Returns its index into t->added and sets *at to its offset, or returns
 * -1 when there is none. Cannot fail. */
long tok_match_added(const tokenizer *t, const uint8_t *s, size_t n, int normalized, size_t *at);

/* clip_normalize: CLIP's normalizer (NFC, \s+ → " ", lowercase) of the valid UTF-8 s[0..n) into
 * sc->norm (UTF-8, *out_len bytes; valid until the next use of sc). */
int clip_normalize(const uint8_t *s, size_t n, tok_scratch *sc, size_t *out_len, vt_error *err);

/* clip_encode_segment: appends the ids of s[0..n) (valid UTF-8, holding no raw-matched added
 * token) under CLIP's normalizer, pre-tokenizer and BPE. */
int clip_encode_segment(const tokenizer *t, const uint8_t *s, size_t n, tok_scratch *sc,
                        tok_ids *ids, vt_error *err);

/* wp_normalize: BertNormalizer (m's options) of the valid UTF-8 s[0..n) into sc->norm (UTF-8,
 * *out_len bytes; valid until the next use of sc). */
int wp_normalize(const wp_model *m, const uint8_t *s, size_t n, tok_scratch *sc, size_t *out_len,
                 vt_error *err);

/* wp_encode_segment: appends the ids of s[0..n) (valid UTF-8, holding no raw-matched added token)
 * under BertNormalizer, added tokens flagged normalized, BertPreTokenizer and WordPiece. */
int wp_encode_segment(const tokenizer *t, const uint8_t *s, size_t n, tok_scratch *sc,
                      tok_ids *ids, vt_error *err);

/* The CLIP pre-tokenizer regex, as tokenizer.json spells it (used to recognise a CLIP file). */
#define CLIP_SPLIT_REGEX                                                                          \
    "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|"           \
    "[^\\s\\p{L}\\p{N}]+"

#endif
