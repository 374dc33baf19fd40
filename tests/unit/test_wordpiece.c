/*
 * test_wordpiece.c — the WordPiece tokenizer (BERT, MPNet) against transformers' own output, and
 * its details and failure paths.
 *
 * Goldens: tests/fixtures/golden/tokenizers.json, keys "mpnet" (max 384) and "bert" (max 512):
 * for every sentence of tests/fixtures/strings.json the ids transformers 5.17 / tokenizers 0.23
 * gives, untruncated ("ids") and truncated ("ids_trunc"). Every loader must reproduce all of them:
 * tokenizer.json (the sentence-transformers fixtures) and vocab.txt + tokenizer_config.json (the
 * published files the goldens were made from, tests/fixtures/tokenizers/{mpnet,bert}). Then
 * truncation to every length, literal special tokens, the normalizer's options, the word limit,
 * small hand-made vocabularies, malformed files and allocation failures. Run from the repository
 * root.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/alloc.h"
#include "test.h"
#include "tok_test.h"
#include "text/tokenizer.h"

#define GOLDEN "tests/fixtures/golden/tokenizers.json"

/* ---------------------------------------------------------------------------------------------
 * helpers
 */

/* check_golden: encodes every golden case of key with the tokenizer of dir (loaded with flags);
 * returns the number of strings that match both untruncated and truncated, sets *total. Also
 * checks truncation to every length from 2 to the untruncated length: the first k-1 ids, then
 * the last one (SEP). */
static int check_golden(const char *dir, unsigned flags, const char *key, int *total) {
    tokenizer *t = NULL;
    vt_error err = {0};
    *total = -1;
    if (tok_load_dir_ex(dir, flags, &t, &err) != VT_OK) {
        fprintf(stderr, "  %s: %s\n", dir, err.message);
        return 0;
    }
    json_error_t je;
    json_t *root = json_load_file(GOLDEN, JSON_ALLOW_NUL, &je);
    json_t *g = json_object_get(root, key);
    json_t *cases = json_object_get(g, "cases");
    int max_length = (int)json_integer_value(json_object_get(g, "max_length"));
    int ok = 0;
    *total = (int)json_array_size(cases);
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *text = json_string_value(json_object_get(c, "text"));
        size_t len = json_string_length(json_object_get(c, "text"));
        int32_t *ids = NULL, *tr = NULL;
        size_t n = 0, ntr = 0;
        vt_error e1 = {0}, e2 = {0};
        int good = tok_encode(t, text, len, 0, &ids, &n, &e1) == VT_OK &&
                   ids_match(key, text, len, ids, n, json_object_get(c, "ids")) &&
                   tok_encode(t, text, len, max_length, &tr, &ntr, &e2) == VT_OK &&
                   ids_match("truncated", text, len, tr, ntr, json_object_get(c, "ids_trunc"));
        if (e1.message[0] || e2.message[0]) fprintf(stderr, "  %s: string %zu: %s%s\n", key, i, e1.message, e2.message);
        for (size_t k = 2; good && k < n; k++) {
            int32_t *p = NULL;
            size_t np = 0;
            vt_error e3 = {0};
            good = tok_encode(t, text, len, (int)k, &p, &np, &e3) == VT_OK && np == k &&
                   memcmp(p, ids, (k - 1) * sizeof *p) == 0 && p[k - 1] == ids[n - 1];
            if (!good) fprintf(stderr, "  %s: string %zu truncated to %zu is wrong\n", key, i, k);
            vt_free(p);
        }
        ok += good;
        vt_free(ids);
        vt_free(tr);
    }
    json_decref(root);
    tok_free(t);
    printf("     %s (%s): %d of %d strings match\n", dir, key, ok, *total);
    return ok;
}

/* encode_eq: encodes text (NUL-terminated) with t, untruncated, and compares with want[0..wn). */
static int encode_eq(const tokenizer *t, const char *text, const int32_t *want, size_t wn) {
    int32_t *ids = NULL;
    size_t n = 0;
    vt_error err = {0};
    if (tok_encode(t, text, strlen(text), 0, &ids, &n, &err) != VT_OK) {
        fprintf(stderr, "  encode \"%s\": %s\n", text, err.message);
        return 0;
    }
    int ok = n == wn && memcmp(ids, want, n * sizeof *ids) == 0;
    if (!ok) {
        fprintf(stderr, "  encode \"%s\": got", text);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, "\n");
    }
    vt_free(ids);
    return ok;
}

/* A small vocabulary: id = line number. */
static const char *small_vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\nthe\n,\n!\nhe\n##llo\n"
                                 "cafe\ncafé\n中\nstraße\n##s\na\n";
enum { S_PAD, S_UNK, S_CLS, S_SEP, S_MASK, S_UN, S_AFF, S_ABLE, S_THE, S_COMMA, S_BANG, S_HE, S_LLO,
       S_CAFE, S_CAFE_ACC, S_ZHONG, S_STRASSE, S_S, S_A };

/* small: a folder name with the small vocab.txt and the given tokenizer_config.json (or none). */
static tokenizer *small(const char *name, const char *config, unsigned flags) {
    char d[512];
    make_dir(d, sizeof d, name);
    if (write_file(d, "vocab.txt", small_vocab) != 0) return NULL;
    if (config && write_file(d, "tokenizer_config.json", config) != 0) return NULL;
    tokenizer *t = NULL;
    vt_error err = {0};
    if (tok_load_dir_ex(d, flags, &t, &err) != VT_OK) fprintf(stderr, "  %s: %s\n", d, err.message);
    return t;
}

/* ---------------------------------------------------------------------------------------------
 * goldens
 */

static void test_golden_mpnet_tokenizer_json(void) {
    int total, ok = check_golden("tests/fixtures/models/tiny-mpnet-st", 0, "mpnet", &total);
    ASSERT_TRUE(total >= 27);
    ASSERT_EQ(ok, total);
    ok = check_golden("tests/fixtures/models/tiny-mpnet-st-classic", 0, "mpnet", &total);
    ASSERT_EQ(ok, total);
}

static void test_golden_mpnet_vocab_txt(void) {
    int total, ok = check_golden("tests/fixtures/tokenizers/mpnet", 0, "mpnet", &total);
    ASSERT_TRUE(total >= 27);
    ASSERT_EQ(ok, total);
}

static void test_golden_bert_tokenizer_json(void) {
    int total, ok = check_golden("tests/fixtures/models/tiny-bert-st-mean", 0, "bert", &total);
    ASSERT_TRUE(total >= 27);
    ASSERT_EQ(ok, total);
    ok = check_golden("tests/fixtures/models/tiny-bert-st-cls", 0, "bert", &total);
    ASSERT_EQ(ok, total);
}

static void test_golden_bert_vocab_txt(void) {
    int total, ok = check_golden("tests/fixtures/tokenizers/bert", 0, "bert", &total);
    ASSERT_TRUE(total >= 27);
    ASSERT_EQ(ok, total);
}

/* The facts of the two real vocabularies: specials, unknown id, max length, vocabulary size. */
static void test_specials(void) {
    tokenizer *m = NULL, *b = NULL;
    vt_error err = {0};
    ASSERT_EQ(tok_load_dir("tests/fixtures/models/tiny-mpnet-st", &m, &err), VT_OK);
    ASSERT_EQ(tok_load_dir("tests/fixtures/tokenizers/bert", &b, &err), VT_OK);
    ASSERT_EQ(tok_bos_id(m), 0);
    ASSERT_EQ(tok_eos_id(m), 2);
    ASSERT_EQ(tok_pad_id(m), 1);
    ASSERT_EQ(tok_vocab_size(m), 30527);
    ASSERT_EQ(tok_model_max_length(m), 384);
    ASSERT_EQ(tok_bos_id(b), 101);
    ASSERT_EQ(tok_eos_id(b), 102);
    ASSERT_EQ(tok_pad_id(b), 0);
    ASSERT_EQ(tok_vocab_size(b), 30522);
    ASSERT_EQ(tok_model_max_length(b), 512);
    /* literal special tokens are their ids (matched in the raw text, before lowercasing);
     * lowercased, they are words; an unknown character is [UNK] (104 for MPNet) */
    const int32_t mp[] = {0, 0, 7596, 30526, 2, 104, 2};
    ASSERT_TRUE(encode_eq(m, "<s>hello <mask></s>[UNK]", mp, sizeof mp / sizeof *mp));
    const int32_t mu[] = {0, 104, 2};
    ASSERT_TRUE(encode_eq(m, "\xf0\x9f\x98\x80", mu, 3));
    const int32_t bp[] = {101, 101, 7592, 103, 102, 102};
    ASSERT_TRUE(encode_eq(b, "[CLS] hello [MASK][SEP]", bp, sizeof bp / sizeof *bp));
    const int32_t bl[] = {101, 1031, 18856, 2015, 1033, 102};
    ASSERT_TRUE(encode_eq(b, "[cls]", bl, sizeof bl / sizeof *bl));
    tok_free(m);
    tok_free(b);
}

/* ---------------------------------------------------------------------------------------------
 * the pipeline on a small vocabulary
 */

static void test_wordpiece_rules(void) {
    tokenizer *t = small("rules", NULL, 0);
    ASSERT_TRUE(t != NULL);
    ASSERT_EQ(tok_bos_id(t), S_CLS); /* BERT's defaults without a config */
    ASSERT_EQ(tok_eos_id(t), S_SEP);
    /* greedy longest match with ## pieces; a word with an unmatchable rest is one [UNK] */
    const int32_t a[] = {S_CLS, S_UN, S_AFF, S_ABLE, S_UNK, S_A, S_S, S_SEP};
    ASSERT_TRUE(encode_eq(t, "unaffable unaffablex as", a, sizeof a / sizeof *a));
    /* punctuation is split off; white space of every kind separates; accents stripped,
     * lowercase; CJK ideographs are words of their own */
    const int32_t b[] = {S_CLS, S_HE, S_LLO, S_COMMA, S_THE, S_BANG, S_CAFE, S_ZHONG, S_ZHONG, S_A, S_SEP};
    ASSERT_TRUE(encode_eq(t, "HeLLo,the!\xe2\x80\x83\x43\x41\x46\xc3\x89\xe4\xb8\xad\xe4\xb8\xad\x61", b,
                          sizeof b / sizeof *b));
    /* control and format characters vanish (joining the word), U+FFFD and NUL too */
    const int32_t c[] = {S_CLS, S_THE, S_SEP};
    ASSERT_TRUE(encode_eq(t, "t\x07h\xe2\x80\x8b\xef\xbf\xbd" "e", c, 3));
    /* as in tokenizers: an unassigned code point (U+0378) and private use other than the ends
     * of the ranges (U+E001) stay and are unknown; U+E000 and U+F8FF vanish */
    const int32_t u[] = {S_CLS, S_UNK, S_UNK, S_THE, S_SEP};
    ASSERT_TRUE(encode_eq(t, "\xcd\xb8 \xee\x80\x81 t\xee\x80\x80h\xef\xa3\xbf" "e", u, 5));
    /* the 100-character limit: 100 'a' would be [UNK] anyway here, so use the length rule
     * directly: "a" × 101 is one [UNK] without trying the pieces */
    char longw[103];
    memset(longw, 'a', 101);
    longw[101] = '\0';
    const int32_t d[] = {S_CLS, S_UNK, S_SEP};
    ASSERT_TRUE(encode_eq(t, longw, d, 3));
    /* ß does not lowercase or decompose */
    const int32_t e[] = {S_CLS, S_STRASSE, S_SEP};
    ASSERT_TRUE(encode_eq(t, "STRASSE straße", (int32_t[]){S_CLS, S_UNK, S_STRASSE, S_SEP}, 4));
    ASSERT_TRUE(encode_eq(t, "straße", e, 3));
    /* empty and blank text: only the specials */
    const int32_t f[] = {S_CLS, S_SEP};
    ASSERT_TRUE(encode_eq(t, "", f, 2));
    ASSERT_TRUE(encode_eq(t, " \t\n ", f, 2));
    tok_free(t);
}

static void test_normalizer_options(void) {
    /* cased (do_lower_case false): strip_accents unset follows lowercase, so accents stay */
    tokenizer *t = small("cased", "{\"tokenizer_class\": \"BertTokenizer\", \"do_lower_case\": false}", 0);
    ASSERT_TRUE(t != NULL);
    ASSERT_TRUE(encode_eq(t, "café Cafe", (int32_t[]){S_CLS, S_CAFE_ACC, S_UNK, S_SEP}, 4));
    tok_free(t);
    /* lowercase without stripping accents */
    t = small("keep-accents", "{\"do_lower_case\": true, \"strip_accents\": false}", 0);
    ASSERT_TRUE(t != NULL);
    ASSERT_TRUE(encode_eq(t, "CAFÉ", (int32_t[]){S_CLS, S_CAFE_ACC, S_SEP}, 3));
    tok_free(t);
    /* no CJK spacing: the two ideographs are one word, unknown */
    t = small("no-cjk", "{\"tokenize_chinese_chars\": false}", 0);
    ASSERT_TRUE(t != NULL);
    ASSERT_TRUE(encode_eq(t, "中中", (int32_t[]){S_CLS, S_UNK, S_SEP}, 3));
    tok_free(t);
    /* sentence-transformers' do_lower_case: the raw text is lowercased first, so a literal
     * [CLS] is no longer the special token */
    t = small("lower-input", NULL, TOK_LOAD_LOWER_INPUT);
    ASSERT_TRUE(t != NULL);
    ASSERT_TRUE(encode_eq(t, "[CLS]", (int32_t[]){S_CLS, S_UNK, S_UNK, S_UNK, S_SEP}, 5));
    tok_free(t);
    t = small("upper-literal", NULL, 0);
    ASSERT_TRUE(t != NULL);
    ASSERT_TRUE(encode_eq(t, "[CLS]", (int32_t[]){S_CLS, S_CLS, S_SEP}, 3));
    tok_free(t);
}

/* tokenizer.json without tokenizer_config.json: the post-processor names the sequence tokens,
 * the normalizer its options, the model its prefix and word limit. */
static void test_tokenizer_json_only(void) {
    char d[512];
    make_dir(d, sizeof d, "json-only");
    const char *json =
        "{\"added_tokens\": [{\"id\": 0, \"content\": \"<s>\", \"special\": true, \"normalized\": false},"
        " {\"id\": 1, \"content\": \"</s>\", \"special\": true, \"normalized\": false},"
        " {\"id\": 6, \"content\": \"<mask>\", \"lstrip\": true, \"special\": true, \"normalized\": false}],"
        " \"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true,"
        " \"strip_accents\": null, \"lowercase\": false},"
        " \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},"
        " \"post_processor\": {\"type\": \"RobertaProcessing\", \"sep\": [\"</s>\", 1], \"cls\": [\"<s>\", 0]},"
        " \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"<unk>\", \"continuing_subword_prefix\": \"@@\","
        " \"max_input_chars_per_word\": 4, \"vocab\": {\"<s>\": 0, \"</s>\": 1, \"<unk>\": 2, \"ab\": 3,"
        " \"@@cd\": 4, \"AB\": 5, \"<mask>\": 6}}}";
    ASSERT_EQ(write_file(d, "tokenizer.json", json), 0);
    tokenizer *t = NULL;
    vt_error err = {0};
    if (tok_load_dir(d, &t, &err) != VT_OK) fprintf(stderr, "  %s\n", err.message);
    ASSERT_TRUE(t != NULL);
    ASSERT_EQ(tok_bos_id(t), 0);
    ASSERT_EQ(tok_eos_id(t), 1);
    ASSERT_EQ(tok_model_max_length(t), 0);
    /* cased; "@@" pieces; "abcde" has 5 > 4 characters */
    ASSERT_TRUE(encode_eq(t, "abcd AB abcde x <mask>", (int32_t[]){0, 3, 4, 5, 2, 2, 6, 1}, 8));
    tok_free(t);
}

/* ---------------------------------------------------------------------------------------------
 * failures
 */

static void test_bad_files(void) {
    char d[512];
    tokenizer *t = NULL;
    /* an unknown token missing from the vocabulary */
    make_dir(d, sizeof d, "no-unk");
    ASSERT_EQ(write_file(d, "vocab.txt", "[CLS]\n[SEP]\na\n"), 0);
    vt_error e1 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &e1), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(e1.message, "unk_token \"[UNK]\"");
    ASSERT_STR_CONTAINS(e1.message, "vocab.txt");
    ASSERT_TRUE(t == NULL);
    /* a class of another family */
    make_dir(d, sizeof d, "clip-class");
    ASSERT_EQ(write_file(d, "vocab.txt", small_vocab), 0);
    ASSERT_EQ(write_file(d, "tokenizer_config.json", "{\"tokenizer_class\": \"CLIPTokenizer\"}"), 0);
    vt_error e2 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &e2), VT_EUNSUPPORTED);
    ASSERT_STR_CONTAINS(e2.message, "tokenizer_config.json: tokenizer_class CLIPTokenizer");
    /* invalid UTF-8 in vocab.txt */
    make_dir(d, sizeof d, "bad-utf8");
    ASSERT_EQ(write_file(d, "vocab.txt", "[UNK]\n[CLS]\n[SEP]\n\xff\n"), 0);
    vt_error e3 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &e3), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(e3.message, "vocab.txt: invalid UTF-8 at byte offset 18");
    /* tokenizer.json: a model type of neither kind; a bad word limit; single_word */
    make_dir(d, sizeof d, "unigram");
    ASSERT_EQ(write_file(d, "tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}"), 0);
    vt_error e4 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &e4), VT_EUNSUPPORTED);
    ASSERT_STR_CONTAINS(e4.message, "model type Unigram");
    make_dir(d, sizeof d, "bad-limit");
    ASSERT_EQ(write_file(d, "tokenizer.json", "{\"model\": {\"type\": \"WordPiece\", \"max_input_chars_per_word\": 0,"
                                              " \"vocab\": {\"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": 2}}}"), 0);
    vt_error e5 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &e5), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(e5.message, "max_input_chars_per_word");
    make_dir(d, sizeof d, "single-word");
    ASSERT_EQ(write_file(d, "tokenizer.json", "{\"added_tokens\": [{\"id\": 0, \"content\": \"[UNK]\", \"single_word\": true}],"
                                              " \"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0, \"[CLS]\": 1,"
                                              " \"[SEP]\": 2}}}"), 0);
    vt_error e6 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &e6), VT_EUNSUPPORTED);
    ASSERT_STR_CONTAINS(e6.message, "single_word");
    ASSERT_TRUE(t == NULL);
}

/* invalid UTF-8 and the input limit are refused with a message, as for CLIP */
static void test_bad_text(void) {
    tokenizer *t = small("bad-text", NULL, 0);
    ASSERT_TRUE(t != NULL);
    int32_t *ids = NULL;
    size_t n = 0;
    vt_error err = {0};
    ASSERT_EQ(tok_encode(t, "ab\xc3", 3, 0, &ids, &n, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "invalid UTF-8 at byte offset 2");
    ASSERT_TRUE(ids == NULL && n == 0);
    vt_error err2 = {0};
    ASSERT_EQ(tok_encode(t, "a", 1, 1, &ids, &n, &err2), VT_EINVAL);
    ASSERT_STR_CONTAINS(err2.message, "max_length 1");
    /* a long text truncated early costs only its prefix; untruncated it still works */
    size_t big = (size_t)1 << 20;
    char *s = malloc(big);
    for (size_t i = 0; i < big; i++) s[i] = i % 2 ? ' ' : 'a';
    vt_error err3 = {0};
    ASSERT_EQ(tok_encode(t, s, big, 8, &ids, &n, &err3), VT_OK);
    ASSERT_EQ(n, 8);
    ASSERT_EQ(ids[7], S_SEP);
    vt_free(ids);
    ASSERT_EQ(tok_encode(t, s, big, 0, &ids, &n, &err3), VT_OK);
    ASSERT_EQ(n, big / 2 + 2);
    vt_free(ids);
    free(s);
    tok_free(t);
}

/* Fail each allocation of a load and of an encode in turn: clean error, no leak. */
static void test_alloc_failures(void) {
    int64_t before = vt_alloc_live_bytes();
    for (int k = 1; k <= 200; k++) {
        tokenizer *t = NULL;
        vt_error err = {0};
        vt_alloc_fail_at(k);
        int rc = tok_load_dir("tests/fixtures/tokenizers/mpnet", &t, &err);
        vt_alloc_fail_at(0);
        if (rc == VT_OK) {
            tok_free(t);
            break;
        }
        ASSERT_EQ(rc, VT_ENOMEM);
        ASSERT_EQ(vt_alloc_live_bytes(), before);
    }
    tokenizer *t = NULL;
    vt_error err = {0};
    ASSERT_EQ(tok_load_dir("tests/fixtures/tokenizers/mpnet", &t, &err), VT_OK);
    int64_t loaded = vt_alloc_live_bytes();
    const char *text = "Café naïve 日本語 unaffable [CLS] <mask> hello, world!";
    for (int k = 1; k <= 40; k++) {
        int32_t *ids = NULL;
        size_t n = 0;
        vt_error e = {0};
        vt_alloc_fail_at(k);
        int rc = tok_encode(t, text, strlen(text), 0, &ids, &n, &e);
        vt_alloc_fail_at(0);
        if (rc == VT_OK) vt_free(ids);
        else ASSERT_EQ(rc, VT_ENOMEM);
        ASSERT_EQ(vt_alloc_live_bytes(), loaded);
    }
    tok_free(t);
    ASSERT_EQ(vt_alloc_live_bytes(), before);
}

int main(void) {
    if (tmp_root_create("vt-test-wordpiece") != 0) return 1;
    RUN(test_golden_mpnet_tokenizer_json);
    RUN(test_golden_mpnet_vocab_txt);
    RUN(test_golden_bert_tokenizer_json);
    RUN(test_golden_bert_vocab_txt);
    RUN(test_specials);
    RUN(test_wordpiece_rules);
    RUN(test_normalizer_options);
    RUN(test_tokenizer_json_only);
    RUN(test_bad_files);
    RUN(test_bad_text);
    RUN(test_alloc_failures);
    tmp_root_remove();
    TEST_END();
}
