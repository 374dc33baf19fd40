/*
 * test_manifest.c — the pipeline's input side: manifests (src/pipeline/manifest.c), caption
 * cleaning (src/pipeline/caption.c) and the SHA-1 / UUIDv5 that give items without an id a
 * stable one (src/base/sha1.c). Expected UUIDs and digests were computed with Python's uuid and
 * hashlib.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/sha1.h"
#include "pipeline/caption.h"
#include "pipeline/manifest.h"
#include "test.h"

static char dir[64];

static void put(const char *name, const char *content, char *path, size_t cap) {
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fwrite(content, 1, strlen(content), f);
    fclose(f);
}

static char *hex(const uint8_t *d, size_t n, char *buf) {
    for (size_t i = 0; i < n; i++) sprintf(buf + 2 * i, "%02x", d[i]);
    return buf;
}

static void test_sha1_and_uuid5(void) {
    uint8_t d[20], u[16];
    char buf[64], id[VT_POINT_ID_BUF];
    vt_sha1("abc", 3, d);
    ASSERT_STR_EQ(hex(d, 20, buf), "a9993e364706816aba3e25717850c26c9cd0d89d");
    char *a = vt_malloc(1000);
    memset(a, 'a', 1000);
    vt_sha1(a, 1000, d); /* crosses block boundaries, 1000 % 64 = 40 (< 56) */
    ASSERT_STR_EQ(hex(d, 20, buf), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    vt_free(a);
    vt_sha1("", 0, d);
    ASSERT_STR_EQ(hex(d, 20, buf), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    vt_uuid5(VT_UUID_NAMESPACE_URL, "/data/img/1.png", 15, u);
    vt_point_id pid = {1, 0, {0}};
    memcpy(pid.uuid, u, 16);
    ASSERT_STR_EQ(vt_point_id_format(&pid, id), "3aedd2cd-0f03-5530-9565-f29532f1ab0f");
    vt_uuid5(VT_UUID_NAMESPACE_URL, "https://example.com/a.jpg", 25, pid.uuid);
    ASSERT_STR_EQ(vt_point_id_format(&pid, id), "0af39f86-695f-5b4f-8503-15ef9f8ea23c");
}

static void check_clean(const char *in, const char *want, int *ok) {
    char *out = NULL;
    vt_error err = {0};
    if (caption_clean(in, strlen(in), &out, &err) != VT_OK || strcmp(out, want) != 0) {
        fprintf(stderr, "  caption_clean(\"%s\") = \"%s\", want \"%s\"\n", in, out ? out : "(error)", want);
        *ok = 0;
    }
    vt_free(out);
}

static void test_caption_clean(void) {
    int ok = 1;
    check_clean("<b>Red</b> dress&nbsp;&amp; belt", "Red dress & belt", &ok);
    check_clean("  many\t\n spaces  ", "many spaces", &ok);
    check_clean("<p>a</p><p>b</p>", "a b", &ok);
    check_clean("size < 10 & > 5", "size < 10 & > 5", &ok);
    check_clean("x<script>alert(1)</script>y", "x y", &ok);
    check_clean("<style type=\"text/css\">p{}</style>Shoe", "Shoe", &ok);
    check_clean("caf&eacute; &#233; &#xE9; &#X41;", "café é é A", &ok);
    check_clean("&unknown; &amp", "&unknown; &amp", &ok);
    check_clean("&#0; &#xD800; &#99999999;", "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd", &ok);
    check_clean("bad \xff byte", "bad \xef\xbf\xbd byte", &ok);
    check_clean("<!-- note -->Boot<br/>Ankle", "Boot Ankle", &ok);
    check_clean("wide\xe3\x80\x80space\xc2\xa0here", "wide space here", &ok);
    check_clean("<unterminated", "", &ok);
    check_clean("", "", &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(caption_words("a photo of a sneaker"), 5);
    ASSERT_EQ(caption_words(""), 0);
    ASSERT_EQ(caption_words("one"), 1);
}

/* read_all: every item of path; bad records counted in *bad, their messages concatenated. */
static size_t read_all(const char *path, mf_item *items, size_t max, int *bad, char *msgs, size_t cap) {
    mf_reader *r = NULL;
    vt_error err = {0};
    size_t n = 0;
    *bad = 0;
    msgs[0] = '\0';
    if (mf_open(path, &r, &err) != VT_OK) {
        snprintf(msgs, cap, "%s", err.message);
        return 0;
    }
    int eof = 0;
    while (!eof) {
        mf_item it;
        vt_error_clear(&err); /* the first error stays otherwise (error.h) */
        int rc = mf_next(r, &it, &eof, &err);
        if (rc == VT_EINVAL) {
            (*bad)++;
            strncat(msgs, err.message, cap - strlen(msgs) - 2);
            strcat(msgs, "\n");
            continue;
        }
        if (rc || eof) break;
        if (n < max) items[n++] = it;
        else mf_item_clear(&it);
    }
    mf_close(r);
    return n;
}

static void test_jsonl(void) {
    char path[256], msgs[4096], id[VT_POINT_ID_BUF];
    put("m.jsonl",
        "{\"id\": 17, \"image\": \"img/a.png\", \"caption\": \"a shoe\", \"label\": 7, \"split\": \"test\"}\n"
        "\n"
        "{\"image\": \"/abs/b.jpg\", \"text\": \"a bag\"}\n"
        "not json\n"
        "{\"id\": \"7f1a0b2c-1d2e-4f30-8a4b-5c6d7e8f9a0b\", \"caption\": \"text only\"}\n"
        "{\"caption\": \"no id and no image\"}\n"
        "{\"id\": -3, \"image\": \"x.png\"}\n"
        "{\"image\": \"ftp://host/x.png\"}\n"
        "[1, 2]\n"
        "{\"image\": \"https://example.com/a.jpg\", \"caption\": \"c\", \"text\": \"kept\"}\r\n",
        path, sizeof path);
    mf_item it[8];
    int bad = 0;
    size_t n = read_all(path, it, 8, &bad, msgs, sizeof msgs);
    ASSERT_EQ(n, 4);
    ASSERT_EQ(bad, 5);
    ASSERT_STR_CONTAINS(msgs, "m.jsonl:4: ");
    ASSERT_STR_CONTAINS(msgs, "m.jsonl:6: a record without \"image\" needs an \"id\"");
    ASSERT_STR_CONTAINS(msgs, "m.jsonl:7: \"id\" must not be negative");
    ASSERT_STR_CONTAINS(msgs, "m.jsonl:8: image \"ftp://host/x.png\": only http and https URLs are supported");
    ASSERT_STR_CONTAINS(msgs, "m.jsonl:9: a record must be a JSON object");
    /* item 1: relative image resolved against the manifest's folder, payload keeps the rest */
    ASSERT_EQ(it[0].line, 1);
    ASSERT_EQ(it[0].id.is_uuid, 0);
    ASSERT_EQ(it[0].id.num, 17);
    ASSERT_EQ(it[0].image_kind, MF_IMAGE_FILE);
    char want[300];
    char *real = realpath(dir, NULL);
    snprintf(want, sizeof want, "%s/img/a.png", real);
    free(real);
    ASSERT_STR_EQ(it[0].image, want);
    ASSERT_STR_EQ(it[0].image_ref, "img/a.png");
    ASSERT_STR_EQ(it[0].caption, "a shoe");
    ASSERT_EQ(json_object_size(it[0].payload), 2);
    ASSERT_EQ(json_integer_value(json_object_get(it[0].payload, "label")), 7);
    /* item 2: text stands for caption; the id is uuid5 of the absolute path */
    ASSERT_EQ(it[1].line, 3);
    ASSERT_STR_EQ(it[1].caption, "a bag");
    ASSERT_EQ(it[1].id_derived, 1);
    ASSERT_EQ(json_object_size(it[1].payload), 0);
    /* item 3: caption only, UUID id */
    ASSERT_EQ(it[2].image_kind, MF_IMAGE_NONE);
    ASSERT_TRUE(it[2].image == NULL);
    ASSERT_STR_EQ(vt_point_id_format(&it[2].id, id), "7f1a0b2c-1d2e-4f30-8a4b-5c6d7e8f9a0b");
    /* item 4: URL kept; with both caption and text, text stays in the payload; CRLF tolerated */
    ASSERT_EQ(it[3].image_kind, MF_IMAGE_URL);
    ASSERT_STR_EQ(vt_point_id_format(&it[3].id, id), "0af39f86-695f-5b4f-8503-15ef9f8ea23c");
    ASSERT_STR_EQ(json_string_value(json_object_get(it[3].payload, "text")), "kept");
    for (size_t i = 0; i < n; i++) mf_item_clear(&it[i]);
}

static void test_csv(void) {
    char path[256], msgs[4096];
    put("m.csv",
        "id,image,caption,label,price,sale,note\r\n"
        "1,a.png,\"a \"\"quoted\"\" caption, with comma\",3,9.5,true,plain\r\n"
        "2,b.png,\"two\nlines\",,,,\n"
        "\n"
        "3,c.png,x,1,2,3,4,5\n"
        "4,d.png,\"unclosed\n",
        path, sizeof path);
    mf_item it[8];
    int bad = 0;
    size_t n = read_all(path, it, 8, &bad, msgs, sizeof msgs);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(bad, 2);
    ASSERT_STR_CONTAINS(msgs, "m.csv:6: more cells than header columns (7)");
    ASSERT_STR_CONTAINS(msgs, "m.csv:7: a quoted cell is not closed");
    ASSERT_EQ(it[0].id.num, 1);
    ASSERT_STR_EQ(it[0].caption, "a \"quoted\" caption, with comma");
    ASSERT_EQ(json_integer_value(json_object_get(it[0].payload, "label")), 3);
    ASSERT_NEAR(json_real_value(json_object_get(it[0].payload, "price")), 9.5, 0);
    ASSERT_TRUE(json_is_true(json_object_get(it[0].payload, "sale")));
    ASSERT_STR_EQ(json_string_value(json_object_get(it[0].payload, "note")), "plain");
    ASSERT_EQ(it[1].line, 3);
    ASSERT_STR_EQ(it[1].caption, "two\nlines");
    ASSERT_EQ(json_object_size(it[1].payload), 0); /* empty cells are left out */
    for (size_t i = 0; i < n; i++) mf_item_clear(&it[i]);

    /* headers */
    mf_reader *r = NULL;
    vt_error err = {0};
    put("dup.csv", "image,caption,image\na,b,c\n", path, sizeof path);
    ASSERT_EQ(mf_open(path, &r, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "header column \"image\" appears twice");
    vt_error_clear(&err);
    put("empty.csv", "", path, sizeof path);
    ASSERT_EQ(mf_open(path, &r, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "has no header row");
    vt_error_clear(&err);
    ASSERT_EQ(mf_open("/nonexistent/m.jsonl", &r, &err), VT_ENOTFOUND);
    ASSERT_STR_CONTAINS(err.message, "/nonexistent/m.jsonl: cannot open the manifest");
    /* format sniffed from the first byte when the extension says nothing */
    put("list.txt", "image,caption\nq.png,hello\n", path, sizeof path);
    n = read_all(path, it, 8, &bad, msgs, sizeof msgs);
    ASSERT_EQ(n, 1);
    ASSERT_STR_EQ(it[0].caption, "hello");
    mf_item_clear(&it[0]);
    put("list2.txt", "{\"image\": \"q.png\"}\n", path, sizeof path);
    n = read_all(path, it, 8, &bad, msgs, sizeof msgs);
    ASSERT_EQ(n, 1);
    ASSERT_TRUE(it[0].caption == NULL);
    mf_item_clear(&it[0]);
}

static void test_long_line_skipped(void) {
    char path[256], msgs[4096];
    size_t big = MF_MAX_RECORD + 100;
    char *s = vt_malloc(big + 64);
    memset(s, 'x', big);
    memcpy(s, "{\"caption\": \"", 13);
    strcpy(s + big, "\"}\n{\"image\": \"ok.png\"}\n");
    put("long.jsonl", s, path, sizeof path);
    vt_free(s);
    mf_item it[2];
    int bad = 0;
    size_t n = read_all(path, it, 2, &bad, msgs, sizeof msgs);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(bad, 1);
    ASSERT_STR_CONTAINS(msgs, "long.jsonl:1: the line is longer than");
    ASSERT_EQ(it[0].line, 2);
    mf_item_clear(&it[0]);
}

static void test_alloc_failures(void) {
    char path[256];
    put("af.csv", "id,image,caption,label\n5,a.png,<b>x</b>,3\n", path, sizeof path);
    for (int k = 1; k < 200; k++) {
        int64_t live = vt_alloc_live_bytes();
        vt_alloc_fail_at(k);
        mf_reader *r = NULL;
        vt_error err = {0};
        int rc = mf_open(path, &r, &err);
        if (rc == VT_OK) {
            mf_item it;
            int eof = 0;
            rc = mf_next(r, &it, &eof, &err);
            if (rc == VT_OK && !eof) {
                char *clean = NULL;
                if (caption_clean(it.caption, strlen(it.caption), &clean, &err) == VT_OK) vt_free(clean);
                mf_item_clear(&it);
            }
            mf_close(r);
        }
        vt_alloc_fail_at(0);
        ASSERT_TRUE(rc == VT_OK || rc == VT_ENOMEM);
        ASSERT_EQ(vt_alloc_live_bytes(), live);
    }
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/vt-test-manifest-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    RUN(test_sha1_and_uuid5);
    RUN(test_caption_clean);
    RUN(test_jsonl);
    RUN(test_csv);
    RUN(test_long_line_skipped);
    RUN(test_alloc_failures);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_END();
}
