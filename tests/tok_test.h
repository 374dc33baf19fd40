/*
 * tok_test.h — helpers shared by the tokenizer tests (test_tokenizer.c for CLIP's BPE,
 * test_wordpiece.c for BERT/MPNet): a scratch folder for tokenizer files written on the fly, and
 * the comparison of encoded ids with a golden JSON array that prints where they first differ.
 * Header-only (static functions), like test.h; include it after test.h.
 */
#ifndef VT_TOK_TEST_H
#define VT_TOK_TEST_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tmp_root[256]; /* a mkdtemp folder for the file tests, removed at the end */

/* tmp_root_create: makes the scratch folder /tmp/<tag>-XXXXXX. 0 on success. */
static int tmp_root_create(const char *tag) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/%s-XXXXXX", tag);
    if (mkdtemp(tmp_root)) return 0;
    perror("mkdtemp");
    return -1;
}

/* tmp_root_remove: removes the scratch folder and everything in it. */
static void tmp_root_remove(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_root);
}

/* write_file: dir/name := content. 0 on success. */
static int write_file(const char *dir, const char *name, const char *content) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) return -1;
    size_t n = strlen(content);
    int rc = fwrite(content, 1, n, f) == n ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

/* make_dir: a fresh folder tmp_root/name, returned in buf. */
static const char *make_dir(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", tmp_root, name);
    mkdir(buf, 0700);
    return buf;
}

/* print_text: text with non-printable bytes escaped, to stderr. */
static void print_text(const char *s, size_t n) {
    fputc('"', stderr);
    for (size_t i = 0; i < n && i < 300; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"') fputc(c, stderr);
        else fprintf(stderr, "\\x%02x", c);
    }
    fputs(n > 300 ? "\"…" : "\"", stderr);
}

/* ids_match: 1 if got[0..n) equals the JSON array want; else prints the label, the text and the
 * first differing index and returns 0. */
static int ids_match(const char *label, const char *text, size_t len, const int32_t *got, size_t n,
                     const json_t *want) {
    size_t wn = json_array_size(want);
    size_t i = 0;
    while (i < n && i < wn && got[i] == (int32_t)json_integer_value(json_array_get(want, i))) i++;
    if (i == n && i == wn) return 1;
    fprintf(stderr, "  %s: ", label);
    print_text(text, len);
    fprintf(stderr, "\n    first difference at index %zu (got %zu ids, want %zu)", i, n, wn);
    if (i < n && i < wn)
        fprintf(stderr, ": got %d, want %lld", got[i], (long long)json_integer_value(json_array_get(want, i)));
    fputc('\n', stderr);
    return 0;
}

#endif
