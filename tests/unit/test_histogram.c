/*
 * test_histogram.c — the separation figure and the diagnostic figures: the AUC (Mann–Whitney)
 * against values counted by hand, ties included; the histogram and scatter figures written as
 * PNG (signature, size) and SVG (well-formed enough: one root, balanced tags; the labels
 * present as text; markup in a label escaped); the report's pieces: HTML escaping, base64 data
 * URIs, thumbnails (small files kept, large ones scaled to 96 px JPEG).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "eval/histogram.h"
#include "eval/plot.h"
#include "eval/report.h"
#include "image/image.h"
#include "eval/scatter.h"
#include "test.h"

static void test_auc_by_hand(void) {
    /* pairs (p, n): 0.9 beats all 4; 0.8 beats 0.1 0.4 0.5; 0.4 beats 0.1, ties 0.4 (½):
     * (4 + 3 + 1.5) / 12 */
    float pos[3] = {0.9f, 0.4f, 0.8f}, neg[4] = {0.85f, 0.1f, 0.5f, 0.4f};
    ASSERT_NEAR(ev_auc(pos, 3, neg, 4), 8.5 / 12, 1e-12);
    float p2[2] = {2, 3}, n2[3] = {0, 1, 1.5f};
    ASSERT_NEAR(ev_auc(p2, 2, n2, 3), 1.0, 0);
    ASSERT_NEAR(ev_auc(n2, 3, p2, 2), 0.0, 0);
    float t1[3] = {1, 1, 1}, t2[2] = {1, 1};
    ASSERT_NEAR(ev_auc(t1, 3, t2, 2), 0.5, 0);
    /* (2 beats 1; 2 ties 2: ½; 2 loses to 3) + (5 beats all 3) = 1.5 + 3 over 6 */
    float p3[2] = {5, 2}, n3[3] = {3, 2, 1};
    ASSERT_NEAR(ev_auc(p3, 2, n3, 3), 4.5 / 6, 1e-12);
    ASSERT_NEAR(ev_auc(p3, 0, n3, 3), -1, 0);
    ASSERT_NEAR(ev_auc(p3, 2, n3, 0), -1, 0);
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    *len = fread(s, 1, (size_t)n, f);
    s[*len] = '\0';
    fclose(f);
    return s;
}

/* xmlish: 1 if s is one <svg> root whose tags balance (a crude well-formedness check). */
static int xmlish(const char *s) {
    int depth = 0, roots = 0;
    for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
        const char *e = strchr(p, '>');
        if (!e) return 0;
        if (p[1] == '/') depth--;
        else if (e[-1] != '/') {
            if (depth == 0) roots++;
            depth++;
        }
        if (depth < 0) return 0;
    }
    return depth == 0 && roots == 1 && !strncmp(s, "<svg", 4);
}

static int is_png(const char *path, size_t min_len) {
    size_t len;
    char *s = slurp(path, &len);
    int ok = s && len >= min_len && !memcmp(s, "\x89PNG\r\n\x1a\n", 8);
    free(s);
    return ok;
}

static void test_figures(void) {
    char dir[] = "/tmp/vt_hist_XXXXXX", path[256];
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    ev_score_sample s = {0};
    for (int i = 0; i < 300; i++) ASSERT_EQ(ev_sample_add(&s, 1, 0.5f + 0.3f * (float)((i * 37) % 100) / 100), 0);
    for (int i = 0; i < 3000; i++) ASSERT_EQ(ev_sample_add(&s, 0, -0.2f + 0.5f * (float)((i * 53) % 1000) / 1000), 0);
    double auc = ev_auc(s.pos, s.n_pos, s.neg, s.n_neg);
    ASSERT_TRUE(auc > 0.95 && auc <= 1);
    pl_canvas *c = ev_histogram_figure("text \xe2\x86\x92 image <b>&</b>", &s, auc);
    ASSERT_TRUE(c != NULL);
    snprintf(path, sizeof path, "%s/h.png", dir);
    ASSERT_EQ(pl_write_png(c, path, NULL), 0);
    ASSERT_TRUE(is_png(path, 5000));
    snprintf(path, sizeof path, "%s/h.svg", dir);
    ASSERT_EQ(pl_write_svg(c, path, NULL), 0);
    pl_free(c);
    size_t len;
    char *svg = slurp(path, &len);
    ASSERT_TRUE(svg && xmlish(svg));
    ASSERT_STR_CONTAINS(svg, ">cosine similarity</text>");
    ASSERT_STR_CONTAINS(svg, ">density</text>");
    ASSERT_STR_CONTAINS(svg, "relevant pairs (n = 300)");
    ASSERT_STR_CONTAINS(svg, "irrelevant pairs (n = 3000)");
    ASSERT_STR_CONTAINS(svg, "url(#hatch"); /* irrelevant: hatched, relevant: filled */
    ASSERT_STR_CONTAINS(svg, "image &lt;b&gt;&amp;&lt;/b&gt;");
    ASSERT_TRUE(strstr(svg, "<b>") == NULL);
    free(svg);
    ev_sample_free(&s);

    /* the scatter figure */
    enum { N = 500 };
    double xy[2 * N];
    uint32_t g[N];
    uint8_t ring[N];
    for (int i = 0; i < N; i++) {
        g[i] = (uint32_t)(i % 3);
        xy[2 * i] = g[i] * 10 + (i % 7);
        xy[2 * i + 1] = (i % 11) - g[i] * 5.0;
        ring[i] = i % 2;
    }
    const char *names[3] = {"alpha", "beta", "\"gamma\""};
    c = ev_scatter_figure("map", xy, N, g, names, 3, ring, "image vector", "text vector");
    ASSERT_TRUE(c != NULL);
    snprintf(path, sizeof path, "%s/m.png", dir);
    ASSERT_EQ(pl_write_png(c, path, NULL), 0);
    ASSERT_TRUE(is_png(path, 5000));
    char *inl = pl_svg(c, "x", &len);
    pl_free(c);
    ASSERT_TRUE(inl && xmlish(inl));
    ASSERT_STR_CONTAINS(inl, "alpha (167)");
    ASSERT_STR_CONTAINS(inl, "&quot;gamma&quot; (166)");
    ASSERT_STR_CONTAINS(inl, ">text vector</text>");
    size_t circles = 0;
    for (const char *p = inl; (p = strstr(p, "<circle")); p++) circles++;
    ASSERT_EQ(circles, N + 3 + 2);
    vt_free(inl);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    ASSERT_EQ(system(path), 0);
}

/* mem_file: what fn writes to a FILE, as a string (caller frees) */
static char *capture(void (*fn)(FILE *, const void *), const void *arg) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, arg);
    fclose(f);
    return buf;
}
static void esc(FILE *f, const void *a) { ev_html_text(f, a); }
static void b64(FILE *f, const void *a) { ev_data_uri(f, "text/plain", a, strlen(a)); }

static void test_report_pieces(void) {
    char *s = capture(esc, "<a href=\"x\" title='y'>T&C</a>");
    ASSERT_STR_EQ(s, "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;T&amp;C&lt;/a&gt;");
    free(s);
    static const char *in[4] = {"", "f", "fo", "foobar"}, *want[4] = {"", "Zg==", "Zm8=", "Zm9vYmFy"};
    for (int i = 0; i < 4; i++) {
        s = capture(b64, in[i]);
        ASSERT_TRUE(!strncmp(s, "data:text/plain;base64,", 23));
        ASSERT_STR_EQ(s + 23, want[i]);
        free(s);
    }
    /* a large PNG (a figure) becomes a 96 px JPEG keeping its aspect; a tiny one is kept */
    char dir[] = "/tmp/vt_thumb_XXXXXX", path[256];
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    pl_canvas *c = pl_new(400, 300);
    uint32_t h = 1;
    for (int y = 0; y < 300; y += 2)
        for (int x = 0; x < 400; x += 2) {
            h = h * 1103515245u + 12345u;
            pl_rect(c, x, y, 2, 2, pl_palette(h >> 16), 1, PL_FILL);
        }
    snprintf(path, sizeof path, "%s/big.png", dir);
    ASSERT_EQ(pl_write_png(c, path, NULL), 0);
    pl_free(c);
    size_t len, tlen;
    char *png = slurp(path, &len);
    ASSERT_TRUE(png && len > EV_THUMB_KEEP_BYTES);
    uint8_t *th = NULL;
    const char *mime = NULL;
    vt_error err = {0};
    ASSERT_EQ(ev_thumbnail((uint8_t *)png, len, "big.png", &th, &tlen, &mime, &err), 0);
    ASSERT_STR_EQ(mime, "image/jpeg");
    ASSERT_TRUE(tlen > 100 && tlen < len && th[0] == 0xff && th[1] == 0xd8);
    img_u8 im = {0};
    img_decode_opts o = img_decode_opts_default();
    ASSERT_EQ(img_decode_mem(th, tlen, "thumb", &o, &im, &err), 0);
    ASSERT_EQ(im.width, 96);
    ASSERT_EQ(im.height, 72);
    img_free(&im);
    vt_free(th);
    c = pl_new(20, 10);
    snprintf(path, sizeof path, "%s/small.png", dir);
    ASSERT_EQ(pl_write_png(c, path, NULL), 0);
    pl_free(c);
    free(png);
    png = slurp(path, &len);
    ASSERT_EQ(ev_thumbnail((uint8_t *)png, len, "small.png", &th, &tlen, &mime, &err), 0);
    ASSERT_STR_EQ(mime, "image/png");
    ASSERT_TRUE(tlen == len && !memcmp(th, png, len));
    vt_free(th);
    ASSERT_EQ(ev_thumbnail((const uint8_t *)"GIF89a....", 10, "x.gif", &th, &tlen, &mime, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "x.gif: not a PNG");
    free(png);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    ASSERT_EQ(system(path), 0);
}

int main(void) {
    RUN(test_auc_by_hand);
    RUN(test_figures);
    RUN(test_report_pieces);
    TEST_END();
}
