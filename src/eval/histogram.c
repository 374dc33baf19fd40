/*
 * histogram.c — relevant vs irrelevant score distributions (see histogram.h).
 *
 * The AUC is computed by sorting both lists and walking them together: for each relevant score
 * v (ascending), the irrelevant scores below v count 1 and those equal to v count ½; the sum
 * over n_pos·n_neg is the Mann–Whitney U statistic normalised (Hanley & McNeil 1982: the area
 * under the ROC curve).
 *
 * The figure: 800 × 500 px; 40 bins over the range of all scores widened to multiples of 0.05;
 * each distribution is a density (count / (n · bin width)), so a few hundred relevant pairs and
 * tens of thousands of irrelevant ones are comparable. Irrelevant bars are drawn first, hatched,
 * then relevant bars filled at 55 % opacity on top.
 */
#include "eval/histogram.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/alloc.h"

#define BINS 40
#define POS_RGB 0x1f4e99 /* dark blue: filled */
#define NEG_RGB 0xd9480f /* orange-red: hatched */

int ev_sample_add(ev_score_sample *s, int is_pos, float score) {
    float **a = is_pos ? &s->pos : &s->neg;
    size_t *n = is_pos ? &s->n_pos : &s->n_neg, *cap = is_pos ? &s->cap_pos : &s->cap_neg;
    if (*n == *cap) {
        if (*cap >= EV_SAMPLE_MAX) return VT_ELIMIT;
        size_t c = *cap ? *cap * 2 : 1024;
        float *g = vt_realloc(*a, c * sizeof *g);
        if (!g) return VT_ENOMEM;
        *a = g;
        *cap = c;
    }
    (*a)[(*n)++] = score;
    return VT_OK;
}

void ev_sample_free(ev_score_sample *s) {
    vt_free(s->pos);
    vt_free(s->neg);
    *s = (ev_score_sample){0};
}

static int fcmp(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

double ev_auc(float *pos, size_t n_pos, float *neg, size_t n_neg) {
    if (!n_pos || !n_neg) return -1;
    qsort(pos, n_pos, sizeof *pos, fcmp);
    qsort(neg, n_neg, sizeof *neg, fcmp);
    size_t below = 0, upto = 0;
    double u = 0;
    for (size_t i = 0; i < n_pos; i++) {
        while (below < n_neg && neg[below] < pos[i]) below++;
        if (upto < below) upto = below;
        while (upto < n_neg && neg[upto] <= pos[i]) upto++;
        u += (double)below + 0.5 * (double)(upto - below);
    }
    return u / ((double)n_pos * (double)n_neg);
}

double ev_nice_step(double span, int n) {
    if (!(span > 0) || n < 1) return 1;
    double raw = span / n, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void densities(const float *v, size_t n, double lo, double width, double *d) {
    for (int b = 0; b < BINS; b++) d[b] = 0;
    for (size_t i = 0; i < n; i++) {
        int b = (int)((v[i] - lo) / width);
        d[b < 0 ? 0 : b >= BINS ? BINS - 1 : b] += 1;
    }
    for (int b = 0; b < BINS && n; b++) d[b] /= (double)n * width;
}

pl_canvas *ev_histogram_figure(const char *title, const ev_score_sample *s, double auc) {
    const int W = 800, H = 500;
    const double L = 80, R = W - 30, T = 90, B = H - 60; /* the plot area */
    pl_canvas *c = pl_new(W, H);
    if (!c) return NULL;
    double lo = 1e300, hi = -1e300;
    for (size_t i = 0; i < s->n_pos; i++) lo = fmin(lo, s->pos[i]), hi = fmax(hi, s->pos[i]);
    for (size_t i = 0; i < s->n_neg; i++) lo = fmin(lo, s->neg[i]), hi = fmax(hi, s->neg[i]);
    if (lo > hi) lo = -1, hi = 1;
    lo = floor(lo / 0.05) * 0.05;
    hi = ceil(hi / 0.05) * 0.05;
    if (hi - lo < 0.05) hi = lo + 0.05;
    double width = (hi - lo) / BINS, dp[BINS], dn[BINS], top = 0;
    densities(s->pos, s->n_pos, lo, width, dp);
    densities(s->neg, s->n_neg, lo, width, dn);
    for (int b = 0; b < BINS; b++) top = fmax(top, fmax(dp[b], dn[b]));
    if (top <= 0) top = 1;
    double ystep = ev_nice_step(top, 5);
    top = ceil(top / ystep) * ystep;
    char buf[256];
#define PX(v) (L + ((v) - lo) / (hi - lo) * (R - L))
#define PY(v) (B - (v) / top * (B - T))
    /* grid and ticks */
    for (double t = 0; t <= top + ystep / 2; t += ystep) {
        pl_line(c, L, PY(t), R, PY(t), 0xe0e0e0, 1);
        pl_line(c, L - 5, PY(t), L, PY(t), 0x000000, 1);
        snprintf(buf, sizeof buf, "%g", t);
        pl_text(c, L - 8, PY(t) + 4, buf, 11, PL_RIGHT, 0, 0);
    }
    double xstep = ev_nice_step(hi - lo, 8);
    for (double t = ceil(lo / xstep - 1e-9) * xstep; t <= hi + 1e-9; t += xstep) {
        pl_line(c, PX(t), B, PX(t), B + 5, 0x000000, 1);
        snprintf(buf, sizeof buf, "%.2f", fabs(t) < 1e-12 ? 0 : t);
        pl_text(c, PX(t), B + 18, buf, 11, PL_MIDDLE, 0, 0);
    }
    /* bars: irrelevant hatched underneath, relevant filled on top */
    for (int b = 0; b < BINS; b++)
        if (dn[b] > 0) pl_rect(c, PX(lo + b * width), PY(dn[b]), (R - L) / BINS, B - PY(dn[b]), NEG_RGB, 1, PL_HATCH);
    for (int b = 0; b < BINS; b++)
        if (dp[b] > 0) pl_rect(c, PX(lo + b * width), PY(dp[b]), (R - L) / BINS, B - PY(dp[b]), POS_RGB, 0.55, PL_FILL);
    pl_line(c, L, B, R, B, 0x000000, 1);
    pl_line(c, L, T, L, B, 0x000000, 1);
    /* labels */
    pl_text(c, W / 2.0, 26, title, 16, PL_MIDDLE, 0, 1);
    if (auc >= 0) snprintf(buf, sizeof buf, "separation: AUC %.3f (relevant score above irrelevant)", auc);
    else snprintf(buf, sizeof buf, "separation: AUC n/a (a distribution is empty)");
    pl_text(c, W / 2.0, 46, buf, 12, PL_MIDDLE, 0, 0);
    pl_text(c, (L + R) / 2, H - 18, "cosine similarity", 13, PL_MIDDLE, 0, 0);
    pl_text(c, 22, (T + B) / 2, "density", 13, PL_MIDDLE, 1, 0);
    /* legend: one row between the subtitle and the plot area */
    double lx = W / 2.0 - 240, ly = 58;
    pl_rect(c, lx, ly, 18, 12, POS_RGB, 0.55, PL_FILL);
    snprintf(buf, sizeof buf, "relevant pairs (n = %zu)", s->n_pos);
    pl_text(c, lx + 26, ly + 11, buf, 12, PL_LEFT, 0, 0);
    pl_rect(c, lx + 250, ly, 18, 12, NEG_RGB, 1, PL_HATCH);
    snprintf(buf, sizeof buf, "irrelevant pairs (n = %zu)", s->n_neg);
    pl_text(c, lx + 276, ly + 11, buf, 12, PL_LEFT, 0, 0);
#undef PX
#undef PY
    return c;
}
