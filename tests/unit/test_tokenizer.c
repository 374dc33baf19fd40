/*
 * test_tokenizer.c — the CLIP tokenizer against transformers' own output, and its failure paths.
 *
 * Goldens: tests/fixtures/golden/tokenizers.json, key "clip": for every sentence of
 * tests/fixtures/strings.json the ids transformers 5.17 / tokenizers 0.23 gives, untruncated
 * ("ids") and truncated to 77 ("ids_trunc"). Each loader must reproduce every one of them:
 * tokenizer.json (tiny-clip), vocab.json + merges.txt of the same folder, and the bare
 * vocab.json + merges.txt of tests/fixtures/tokenizers/clip.
 * Then: invalid UTF-8, limits, missing and malformed files (in a temporary folder), both merge
 * spellings of tokenizer.json, truncation, and allocation failures (no leak, clean error).
 * Run from the repository root.
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

#define TINY_CLIP "tests/fixtures/models/tiny-clip"
#define BARE_CLIP "tests/fixtures/tokenizers/clip"
#define GOLDEN "tests/fixtures/golden/tokenizers.json"
#define STRINGS "tests/fixtures/strings.json"

/* ---------------------------------------------------------------------------------------------
 * helpers
 */

/* golden_cases: the "clip" cases of the golden file (a new reference; json_decref it). */
static json_t *golden_root(void) {
    json_error_t je;
    json_t *root = json_load_file(GOLDEN, JSON_ALLOW_NUL, &je);
    if (!root) fprintf(stderr, "%s: %s\n", GOLDEN, je.text);
    return root;
}

/* check_golden: encodes every golden CLIP case with t; returns how many match (both untruncated
 * and truncated to max_length), and sets *total. */
static int check_golden(const tokenizer *t, const char *label, int *total) {
    json_t *root = golden_root();
    json_t *clip = json_object_get(root, "clip");
    json_t *cases = json_object_get(clip, "cases");
    int max_length = (int)json_integer_value(json_object_get(clip, "max_length"));
    int ok = 0;
    *total = (int)json_array_size(cases);
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *text = json_string_value(json_object_get(c, "text"));
        size_t len = json_string_length(json_object_get(c, "text"));
        int32_t *ids = NULL, *tr = NULL;
        size_t n = 0, ntr = 0;
        vt_error err = {0};
        int good = 1;
        if (tok_encode(t, text, len, 0, &ids, &n, &err) != VT_OK) {
            fprintf(stderr, "  %s: case %zu: %s\n", label, i, err.message);
            good = 0;
        } else {
            good &= ids_match(label, text, len, ids, n, json_object_get(c, "ids"));
        }
        vt_error err2 = {0};
        if (tok_encode(t, text, len, max_length, &tr, &ntr, &err2) != VT_OK) {
            fprintf(stderr, "  %s: case %zu (max_length %d): %s\n", label, i, max_length, err2.message);
            good = 0;
        } else {
            good &= ids_match("truncated", text, len, tr, ntr, json_object_get(c, "ids_trunc"));
        }
        ok += good;
        vt_free(ids);
        vt_free(tr);
    }
    json_decref(root);
    printf("     %s: %d of %d strings match\n", label, ok, *total);
    return ok;
}

/* A small CLIP-shaped tokenizer.json: merges in both spellings ("a b" and ["a", "b</w>"]). */
static const char *small_vocab =
    "{\"a\": 0, \"b\": 1, \"c\": 2, \"a</w>\": 3, \"b</w>\": 4, \"c</w>\": 5, \"ab\": 6,"
    " \"ab</w>\": 7, \"<|startoftext|>\": 8, \"<|endoftext|>\": 9}";

static const char *small_json_fmt =
    "{\"version\": \"1.0\", \"added_tokens\": ["
    "{\"id\": 8, \"content\": \"<|startoftext|>\", \"single_word\": false, \"lstrip\": false,"
    " \"rstrip\": false, \"normalized\": false, \"special\": true},"
    "{\"id\": 9, \"content\": \"<|endoftext|>\", \"single_word\": false, \"lstrip\": false,"
    " \"rstrip\": false, \"normalized\": false, \"special\": true}],"
    " \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\","
    " \"pattern\": {\"Regex\": \"<\\\\|startoftext\\\\|>|<\\\\|endoftext\\\\|>|'s|'t|'re|'ve|'m|'ll|'d|"
    "[\\\\p{L}]+|[\\\\p{N}]|[^\\\\s\\\\p{L}\\\\p{N}]+\"}, \"behavior\": \"Removed\", \"invert\": true},"
    " {\"type\": \"ByteLevel\"}]},"
    " \"model\": {\"type\": \"BPE\", \"vocab\": %s, \"merges\": %s}}";

/* make_small: writes the small tokenizer.json with merges into folder name. */
static const char *make_small(char *buf, size_t cap, const char *name, const char *merges) {
    char json[4096];
    snprintf(json, sizeof json, small_json_fmt, small_vocab, merges);
    make_dir(buf, cap, name);
    return write_file(buf, "tokenizer.json", json) == 0 ? buf : NULL;
}

/* encode_eq: encodes text with t and compares with want[0..wn). */
static int encode_eq(const tokenizer *t, const char *text, int max_length, const int32_t *want,
                     size_t wn) {
    int32_t *ids = NULL;
    size_t n = 0;
    vt_error err = {0};
    if (tok_encode(t, text, strlen(text), max_length, &ids, &n, &err) != VT_OK) {
        fprintf(stderr, "  encode \"%s\": %s\n", text, err.message);
        return 0;
    }
    int ok = n == wn && (n == 0 || memcmp(ids, want, n * sizeof *ids) == 0);
    if (!ok) {
        fprintf(stderr, "  encode \"%s\": got", text);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, "\n");
    }
    vt_free(ids);
    return ok;
}

/* ---------------------------------------------------------------------------------------------
 * goldens
 */

static tokenizer *tiny_json, *tiny_legacy, *bare_legacy; /* loaded once, by test_load_* */

static void test_load_tokenizer_json(void) {
    vt_error err = {0};
    ASSERT_EQ(tok_load_dir(TINY_CLIP, &tiny_json, &err), VT_OK);
    ASSERT_EQ(tok_bos_id(tiny_json), 49406);
    ASSERT_EQ(tok_eos_id(tiny_json), 49407);
    ASSERT_EQ(tok_pad_id(tiny_json), 49407);
    ASSERT_EQ(tok_vocab_size(tiny_json), 49408);
}

static void test_load_legacy(void) {
    vt_error err = {0};
    ASSERT_EQ(tok_load_dir_ex(TINY_CLIP, TOK_LOAD_LEGACY, &tiny_legacy, &err), VT_OK);
    ASSERT_EQ(tok_load_dir(BARE_CLIP, &bare_legacy, &err), VT_OK);
    for (int i = 0; i < 2; i++) {
        const tokenizer *t = i ? bare_legacy : tiny_legacy;
        ASSERT_EQ(tok_bos_id(t), 49406);
        ASSERT_EQ(tok_eos_id(t), 49407);
        ASSERT_EQ(tok_pad_id(t), 49407);
        ASSERT_EQ(tok_vocab_size(t), 49408);
    }
}

static void test_golden_tokenizer_json(void) {
    ASSERT_TRUE(tiny_json);
    int total = 0, ok = check_golden(tiny_json, "tiny-clip tokenizer.json", &total);
    ASSERT_EQ(total, 27);
    ASSERT_EQ(ok, total);
}

static void test_golden_legacy_tiny_clip(void) {
    ASSERT_TRUE(tiny_legacy);
    int total = 0, ok = check_golden(tiny_legacy, "tiny-clip vocab.json+merges.txt", &total);
    ASSERT_EQ(total, 27);
    ASSERT_EQ(ok, total);
}

static void test_golden_legacy_bare(void) {
    ASSERT_TRUE(bare_legacy);
    int total = 0, ok = check_golden(bare_legacy, "tokenizers/clip vocab.json+merges.txt", &total);
    ASSERT_EQ(total, 27);
    ASSERT_EQ(ok, total);
}

/* Every sentence of strings.json has its golden, in the same order. */
static void test_golden_covers_strings(void) {
    json_error_t je;
    json_t *strings = json_load_file(STRINGS, JSON_ALLOW_NUL, &je);
    json_t *root = golden_root();
    ASSERT_TRUE(strings && root);
    json_t *cases = json_object_get(json_object_get(root, "clip"), "cases");
    int same = json_array_size(strings) == json_array_size(cases) && json_array_size(cases) == 27;
    for (size_t i = 0; same && i < json_array_size(cases); i++)
        same = json_equal(json_array_get(strings, i),
                          json_object_get(json_array_get(cases, i), "text"));
    json_decref(strings);
    json_decref(root);
    ASSERT_TRUE(same);
}

/* ---------------------------------------------------------------------------------------------
 * behaviour
 */

static void test_truncation_keeps_eos(void) {
    ASSERT_TRUE(tiny_json);
    const char *text = "long long long long long long long long long long long long long long long "
                       "long long long long long long long long long long long long long long long "
                       "long long long long long long long long long long long long long long long "
                       "long long long long long long long long long long long long long long long "
                       "long long long long long long long long long long long long long long long "
                       "long long long long long long long long long long long long long long end";
    int32_t *full = NULL, *tr = NULL;
    size_t nf = 0, nt = 0;
    vt_error err = {0};
    ASSERT_EQ(tok_encode(tiny_json, text, strlen(text), 0, &full, &nf, &err), VT_OK);
    for (int max = 2; max <= 100; max += 7) {
        ASSERT_EQ(tok_encode(tiny_json, text, strlen(text), max, &tr, &nt, &err), VT_OK);
        ASSERT_EQ(nt, (size_t)max < nf ? (size_t)max : nf);
        ASSERT_EQ(tr[0], 49406);
        ASSERT_EQ(tr[nt - 1], 49407);
        ASSERT_TRUE(memcmp(tr, full, (nt - 1) * sizeof *tr) == 0);
        vt_free(tr);
        tr = NULL;
    }
    vt_free(full);
    ASSERT_EQ(tok_encode(tiny_json, text, strlen(text), 1, &tr, &nt, &err), VT_EINVAL);
    ASSERT_TRUE(tr == NULL);
    /* a literal special token inside the kept part stays a token */
    const int32_t want[] = {49406, 320, 49407, 49407};
    ASSERT_TRUE(encode_eq(tiny_json, "a<|endoftext|>b c", 4, want, 4));
}

static void test_empty_and_space(void) {
    const int32_t want[] = {49406, 49407};
    ASSERT_TRUE(tiny_json);
    ASSERT_TRUE(encode_eq(tiny_json, "", 0, want, 2));
    ASSERT_TRUE(encode_eq(tiny_json, " \t\n\u3000 ", 0, want, 2));
    ASSERT_TRUE(encode_eq(tiny_json, "", 77, want, 2));
    int32_t *ids = NULL;
    size_t n = 0;
    vt_error err = {0};
    ASSERT_EQ(tok_encode(tiny_json, NULL, 0, 0, &ids, &n, &err), VT_OK);
    ASSERT_EQ(n, 2);
    vt_free(ids);
}

/* A literal the added-token split does not take (upper case) is cut like ByteLevel's regex cuts
 * it: "<|", the word, "|>"; and the normalizer's NFC composes e + U+0301. */
static void test_pipeline_details(void) {
    ASSERT_TRUE(tiny_json);
    int32_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    vt_error err = {0};
    ASSERT_EQ(tok_encode(tiny_json, "<|ENDOFTEXT|>", 13, 0, &a, &na, &err), VT_OK);
    ASSERT_EQ(tok_encode(tiny_json, "<| endoftext |>", 15, 0, &b, &nb, &err), VT_OK);
    int same = na == nb && memcmp(a, b, na * sizeof *a) == 0;
    vt_free(a);
    vt_free(b);
    ASSERT_TRUE(same);
    ASSERT_EQ(tok_encode(tiny_json, "caf\xc3\xa9", 5, 0, &a, &na, &err), VT_OK);
    ASSERT_EQ(tok_encode(tiny_json, "CAFE\xcc\x81", 6, 0, &b, &nb, &err), VT_OK);
    same = na == nb && memcmp(a, b, na * sizeof *a) == 0;
    vt_free(a);
    vt_free(b);
    ASSERT_TRUE(same);
}

static void test_invalid_utf8(void) {
    static const struct {
        const char *s;
        size_t len, offset;
    } cases[] = {
        {"\xff", 1, 0},                  /* not a lead byte */
        {"abc\xc3", 4, 3},               /* truncated */
        {"ab\xc0\xaf", 4, 2},            /* overlong */
        {"\xe0\x80\x80", 3, 0},          /* overlong, 3 bytes */
        {"x\xed\xa0\x80y", 5, 1},        /* surrogate */
        {"hi \xf4\x90\x80\x80", 7, 3},   /* above U+10FFFF */
        {"\xc3\xa9\x80", 3, 2},          /* stray continuation */
        {"ok<|endoftext|>\xe2\x82", 17, 15},
    };
    ASSERT_TRUE(tiny_json);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t *ids = (int32_t *)1;
        size_t n = 1;
        vt_error err = {0};
        char want[64];
        snprintf(want, sizeof want, "byte offset %zu", cases[i].offset);
        ASSERT_EQ(tok_encode(tiny_json, cases[i].s, cases[i].len, 0, &ids, &n, &err), VT_EINVAL);
        ASSERT_TRUE(ids == NULL && n == 0);
        ASSERT_STR_CONTAINS(err.message, want);
    }
}

static void test_input_limit(void) {
    ASSERT_TRUE(tiny_json);
    size_t len = (size_t)1 << 20;
    char *s = malloc(len + 1);
    ASSERT_TRUE(s);
    /* 1 MiB: one word of letters (the BPE heap), then mixed text */
    for (size_t i = 0; i < len; i++) s[i] = (char)('a' + i % 7);
    int32_t *ids = NULL;
    size_t n = 0;
    vt_error err = {0};
    int rc = tok_encode(tiny_json, s, len, 0, &ids, &n, &err);
    vt_free(ids);
    ids = NULL;
    int rc77 = tok_encode(tiny_json, s, len, 77, &ids, &n, &err);
    size_t n77 = n;
    vt_free(ids);
    ids = NULL;
    int rc_big = tok_encode(tiny_json, s, len + 1, 0, &ids, &n, &err);
    free(s);
    ASSERT_EQ(rc, VT_OK);
    ASSERT_EQ(rc77, VT_OK);
    ASSERT_EQ(n77, 77);
    ASSERT_EQ(rc_big, VT_ELIMIT);
    ASSERT_STR_CONTAINS(err.message, "limit");
}

/* ---------------------------------------------------------------------------------------------
 * loading
 */

static void test_missing_files(void) {
    tokenizer *t = NULL;
    vt_error err = {0};
    ASSERT_EQ(tok_load_dir("tests/fixtures/no-such-model", &t, &err), VT_ENOTFOUND);
    ASSERT_TRUE(t == NULL);
    ASSERT_STR_CONTAINS(err.message, "tests/fixtures/no-such-model");
    ASSERT_STR_CONTAINS(err.message, "tokenizer.json");
    char d[512];
    make_dir(d, sizeof d, "vocab-only");
    ASSERT_EQ(write_file(d, "vocab.json", small_vocab), 0);
    vt_error err2 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &err2), VT_ENOTFOUND);
    ASSERT_STR_CONTAINS(err2.message, "merges.txt");
}

static void test_malformed_tokenizer_json(void) {
    char d[512];
    tokenizer *t = NULL;
    make_dir(d, sizeof d, "broken-json");
    ASSERT_EQ(write_file(d, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0,"), 0);
    vt_error err = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &err), VT_ECORRUPT);
    ASSERT_TRUE(t == NULL);
    ASSERT_STR_CONTAINS(err.message, "tokenizer.json");
    ASSERT_STR_CONTAINS(err.message, "line");

    /* valid JSON, but a merge names a token that is not in the vocabulary */
    ASSERT_TRUE(make_small(d, sizeof d, "unknown-merge", "[\"a b\", \"a zz\"]"));
    vt_error err2 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &err2), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(err2.message, "merge 1");
    ASSERT_STR_CONTAINS(err2.message, "\"zz\"");

    /* a merge with three parts */
    ASSERT_TRUE(make_small(d, sizeof d, "bad-merge", "[\"a b c\"]"));
    vt_error err3 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &err3), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(err3.message, "model.merges[0]");

    /* not CLIP: another pre-tokenizer */
    make_dir(d, sizeof d, "not-clip");
    ASSERT_EQ(write_file(d, "tokenizer.json", "{\"pre_tokenizer\": {\"type\": \"ByteLevel\"},"
                                              " \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}"), 0);
    vt_error err4 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &err4), VT_EUNSUPPORTED);
    ASSERT_STR_CONTAINS(err4.message, "CLIP");

    /* a vocabulary id that is not an integer */
    make_dir(d, sizeof d, "bad-vocab");
    ASSERT_EQ(write_file(d, "vocab.json", "{\"a\": 1.5}"), 0);
    ASSERT_EQ(write_file(d, "merges.txt", "#version: 0.2\n"), 0);
    vt_error err5 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &err5), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(err5.message, "vocab.json");

    /* merges.txt: an empty line in the middle is an error, as in `tokenizers` */
    make_dir(d, sizeof d, "bad-merges-txt");
    ASSERT_EQ(write_file(d, "vocab.json", small_vocab), 0);
    ASSERT_EQ(write_file(d, "merges.txt", "#version: 0.2\na b\n\na b</w>\n"), 0);
    vt_error err6 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &err6), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(err6.message, "merges.txt: line 3");

    /* tokenizer_config.json of another class */
    ASSERT_TRUE(make_small(d, sizeof d, "bert-config", "[]"));
    ASSERT_EQ(write_file(d, "tokenizer_config.json", "{\"tokenizer_class\": \"BertTokenizer\"}"), 0);
    vt_error err7 = {0};
    ASSERT_EQ(tok_load_dir(d, &t, &err7), VT_EUNSUPPORTED);
    ASSERT_STR_CONTAINS(err7.message, "tokenizer_config.json");
    ASSERT_TRUE(t == NULL);
}

/* Both merge spellings of tokenizer.json, the legacy files with CRLF and "#version" lines, and
 * unknown characters becoming the unknown token (<|endoftext|> = 9 here). */
static void test_small_tokenizers(void) {
    char d[512];
    tokenizer *t = NULL;
    vt_error err = {0};
    /* "a b" → ab (6); ["a", "b</w>"] → ab</w> (7) */
    ASSERT_TRUE(make_small(d, sizeof d, "small", "[\"a b\", [\"a\", \"b</w>\"]]"));
    ASSERT_EQ(tok_load_dir(d, &t, &err), VT_OK);
    ASSERT_EQ(tok_vocab_size(t), 10);
    const int32_t w1[] = {8, 7, 6, 5, 9};
    const int32_t w2[] = {8, 0, 9, 9};
    const int32_t w3[] = {8, 3, 9, 1, 5, 9};
    int ok = encode_eq(t, "AB abc", 0, w1, 5) && encode_eq(t, "ad", 0, w2, 4) &&
             encode_eq(t, "a<|endoftext|>bc", 0, w3, 6);
    tok_free(t);
    t = NULL;
    ASSERT_TRUE(ok);

    make_dir(d, sizeof d, "small-legacy");
    ASSERT_EQ(write_file(d, "vocab.json", small_vocab), 0);
    ASSERT_EQ(write_file(d, "merges.txt", "#version: 0.2\r\na b\r\n#version: again\na b</w>"), 0);
    ASSERT_EQ(tok_load_dir(d, &t, &err), VT_OK);
    ok = encode_eq(t, "AB abc", 0, w1, 5) && encode_eq(t, "ad", 0, w2, 4);
    tok_free(t);
    ASSERT_TRUE(ok);
}

/* Fail the 1st, 2nd, … allocation of a load and of an encode in turn: a clean error each time,
 * nothing leaked, and success once the countdown passes the last allocation. */
static void test_alloc_failures(void) {
    char d[512];
    ASSERT_TRUE(make_small(d, sizeof d, "faults", "[\"a b\", [\"a\", \"b</w>\"]]"));
    int64_t live = vt_alloc_live_bytes();
    int loaded = 0;
    for (int64_t k = 1; k < 500 && !loaded; k++) {
        tokenizer *t = NULL;
        vt_error err = {0};
        vt_alloc_fail_at(k);
        int rc = tok_load_dir(d, &t, &err);
        int64_t injected = vt_alloc_injected();
        vt_alloc_fail_at(0);
        if (rc == VT_OK) {
            if (injected) fprintf(stderr, "allocation %lld swallowed\n", (long long)k);
            ASSERT_EQ(injected, 0); /* no failure may be swallowed */
            loaded = 1;
        } else {
            ASSERT_EQ(rc, VT_ENOMEM);
            ASSERT_TRUE(err.message[0] != '\0');
            ASSERT_TRUE(t == NULL);
        }
        tok_free(t);
        ASSERT_EQ(vt_alloc_live_bytes(), live);
    }
    ASSERT_TRUE(loaded);

    ASSERT_TRUE(tiny_json);
    const char *text = "Caf\xc3\xa9 <|endoftext|> multiple   spaces, 3.14 \xe6\x97\xa5\xe6\x9c\xac";
    int encoded = 0;
    for (int64_t k = 1; k < 200 && !encoded; k++) {
        int32_t *ids = NULL;
        size_t n = 0;
        vt_error err = {0};
        vt_alloc_fail_at(k);
        int rc = tok_encode(tiny_json, text, strlen(text), 0, &ids, &n, &err);
        int64_t injected = vt_alloc_injected();
        vt_alloc_fail_at(0);
        if (rc == VT_OK) {
            ASSERT_EQ(injected, 0);
            encoded = 1;
        } else {
            ASSERT_EQ(rc, VT_ENOMEM);
            ASSERT_TRUE(ids == NULL);
        }
        vt_free(ids);
        ASSERT_EQ(vt_alloc_live_bytes(), live);
    }
    ASSERT_TRUE(encoded);
}

/* ---------------------------------------------------------------------------------------------
 * runner
 */

int main(void) {
    if (tmp_root_create("vt-test-tokenizer") != 0) return 1;
    RUN(test_load_tokenizer_json);
    RUN(test_load_legacy);
    RUN(test_golden_covers_strings);
    RUN(test_golden_tokenizer_json);
    RUN(test_golden_legacy_tiny_clip);
    RUN(test_golden_legacy_bare);
    RUN(test_truncation_keeps_eos);
    RUN(test_empty_and_space);
    RUN(test_pipeline_details);
    RUN(test_invalid_utf8);
    RUN(test_input_limit);
    RUN(test_missing_files);
    RUN(test_malformed_tokenizer_json);
    RUN(test_small_tokenizers);
    RUN(test_alloc_failures);
    tok_free(tiny_json);
    tok_free(tiny_legacy);
    tok_free(bare_legacy);
    tmp_root_remove();
    TEST_END();
}
