/*
 * scatter.c — the embedding map figure (see scatter.h).
 *
 * 1000 × 800 px: the map fills a square-ish area on the left, fitted with equal scales on both
 * axes (t-SNE distances are isotropic, so stretching one axis would mislead); the legend lists
 * each group's colour, name and count on the right. Dots are drawn in input order at 70 %
 * opacity, radius 2.5 px up to 2,000 points, 1.6 px beyond, so dense clusters stay readable.
 */
#include "eval/scatter.h"

#include <math.h>
#include <stdio.h>

#include "base/alloc.h"

pl_canvas *ev_scatter_figure(const char *title, const double *xy, size_t n, const uint32_t *group, const char *const *names,
                             size_t n_groups, const uint8_t *is_ring, const char *dot_note, const char *ring_note) {
    const int W = 1000, H = 800;
    const double L = 50, R = 770, T = 50, B = 760; /* the map area */
    pl_canvas *c = pl_new(W, H);
    if (!c) return NULL;
    double lx = 1e300, hx = -1e300, ly = 1e300, hy = -1e300;
    for (size_t i = 0; i < n; i++) {
        lx = fmin(lx, xy[2 * i]);
        hx = fmax(hx, xy[2 * i]);
        ly = fmin(ly, xy[2 * i + 1]);
        hy = fmax(hy, xy[2 * i + 1]);
    }
    if (!n) lx = ly = -1, hx = hy = 1;
    double span = fmax(hx - lx, hy - ly);
    if (!(span > 0)) span = 1;
    double scale = fmin(R - L, B - T) * 0.96 / span, ox = (L + R) / 2 - (lx + hx) / 2 * scale,
           oy = (T + B) / 2 + (ly + hy) / 2 * scale; /* y up on the map, down on the page */
    pl_rect(c, L, T, R - L, B - T, 0x808080, 1, PL_OUTLINE);
    double r = n <= 2000 ? 2.5 : 1.6;
    for (size_t i = 0; i < n; i++) {
        uint32_t g = group ? group[i] : 0;
        pl_circle(c, ox + xy[2 * i] * scale, oy - xy[2 * i + 1] * scale, is_ring && is_ring[i] ? r + 0.6 : r,
                  pl_palette(g), 0.7, !(is_ring && is_ring[i]));
    }
    pl_text(c, W / 2.0, 30, title, 16, PL_MIDDLE, 0, 1);
    pl_text(c, (L + R) / 2, B + 24, "t-SNE 1", 12, PL_MIDDLE, 0, 0);
    pl_text(c, L - 14, (T + B) / 2, "t-SNE 2", 12, PL_MIDDLE, 1, 0);
    /* legend */
    size_t *count = vt_calloc(n_groups ? n_groups : 1, sizeof *count);
    if (!count) {
        pl_free(c);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (group && group[i] < n_groups) count[group[i]]++;
    double y = T + 12;
    char buf[200];
    for (size_t g = 0; g < n_groups; g++, y += 22) {
        pl_circle(c, R + 24, y - 4, 6, pl_palette(g), 1, 1);
        snprintf(buf, sizeof buf, "%.40s (%zu)", names[g], count[g]);
        pl_text(c, R + 36, y, buf, 12, PL_LEFT, 0, 0);
    }
    vt_free(count);
    if (dot_note && ring_note) {
        y += 12;
        pl_circle(c, R + 24, y - 4, 5, 0x404040, 1, 1);
        pl_text(c, R + 36, y, dot_note, 12, PL_LEFT, 0, 0);
        y += 22;
        pl_circle(c, R + 24, y - 4, 5, 0x404040, 1, 0);
        pl_text(c, R + 36, y, ring_note, 12, PL_LEFT, 0, 0);
    }
    return c;
}
