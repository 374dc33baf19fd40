/*
 * quadtree.c — the Barnes-Hut quadtree of t-SNE (see quadtree.h).
 *
 * Nodes live in one array and refer to their children by index, so growing the array never
 * leaves a dangling pointer and a rebuild reuses the memory of the previous one. Insertion walks
 * down from the root, adding the point to every cell it passes (count and coordinate sums); a
 * leaf that already holds a point is split into four and its point moved one level down.
 * Traversal uses an explicit stack of at most 3·QT_MAX_DEPTH + 4 entries (each level pops one
 * node and pushes four), so no input can make it recurse deeply.
 */
#include "eval/quadtree.h"

#include <math.h>

#include "base/alloc.h"

static int32_t new_node(qt_tree *t, double cx, double cy, double hw) {
    if (t->n_nodes == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        if (cap > (size_t)INT32_MAX) return -1;
        qt_node *g = vt_realloc(t->nodes, cap * sizeof *g);
        if (!g) return -1;
        t->nodes = g;
        t->cap = cap;
    }
    qt_node *nd = &t->nodes[t->n_nodes];
    nd->cx = cx;
    nd->cy = cy;
    nd->hw = hw;
    nd->sx = nd->sy = 0;
    nd->count = 0;
    nd->child = -1;
    nd->point = -1;
    return (int32_t)t->n_nodes++;
}

/* split: gives leaf `at` four empty children. Returns 0 or -1 (out of memory). */
static int split(qt_tree *t, int32_t at) {
    double cx = t->nodes[at].cx, cy = t->nodes[at].cy, h = t->nodes[at].hw / 2;
    int32_t first = -1;
    for (int q = 0; q < 4; q++) {
        int32_t c = new_node(t, cx + (q & 1 ? h : -h), cy + (q & 2 ? h : -h), h);
        if (c < 0) return -1;
        if (q == 0) first = c;
    }
    t->nodes[at].child = first;
    return 0;
}

static int32_t quadrant(const qt_node *nd, double x, double y) {
    return nd->child + (x >= nd->cx ? 1 : 0) + (y >= nd->cy ? 2 : 0);
}

int qt_build(qt_tree *t, const double *y, size_t n) {
    t->n_nodes = 0;
    if (n == 0) return 0;
    double lo_x = y[0], hi_x = y[0], lo_y = y[1], hi_y = y[1];
    for (size_t i = 1; i < n; i++) {
        lo_x = fmin(lo_x, y[2 * i]);
        hi_x = fmax(hi_x, y[2 * i]);
        lo_y = fmin(lo_y, y[2 * i + 1]);
        hi_y = fmax(hi_y, y[2 * i + 1]);
    }
    double hw = fmax(hi_x - lo_x, hi_y - lo_y) / 2 * (1 + 1e-6) + 1e-12;
    if (new_node(t, (lo_x + hi_x) / 2, (lo_y + hi_y) / 2, hw) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        double x = y[2 * i], yy = y[2 * i + 1];
        int32_t at = 0;
        for (int depth = 0;; depth++) {
            qt_node *nd = &t->nodes[at];
            nd->sx += x;
            nd->sy += yy;
            nd->count++;
            if (nd->child < 0) {
                if (nd->count == 1) {
                    nd->point = (int32_t)i;
                    break;
                }
                if (depth >= QT_MAX_DEPTH) break; /* coincident points share this leaf */
                /* split: move the old point (and only it: count was 1) one level down */
                int32_t old = nd->point;
                if (split(t, at) < 0) {
                    t->n_nodes = 0;
                    return -1;
                }
                nd = &t->nodes[at];
                nd->point = -1;
                qt_node *c = &t->nodes[quadrant(nd, y[2 * old], y[2 * old + 1])];
                c->sx = y[2 * old];
                c->sy = y[2 * old + 1];
                c->count = 1;
                c->point = old;
            }
            at = quadrant(&t->nodes[at], x, yy);
        }
    }
    for (size_t k = 0; k < t->n_nodes; k++)
        if (t->nodes[k].count > 1) {
            t->nodes[k].sx /= t->nodes[k].count;
            t->nodes[k].sy /= t->nodes[k].count;
        }
    return 0;
}

void qt_repulsion(const qt_tree *t, const double *y, size_t i, double theta, double *fx, double *fy, double *sum_q) {
    if (t->n_nodes == 0) return;
    int32_t stack[3 * QT_MAX_DEPTH + 8];
    int sp = 0;
    double xi = y[2 * i], yi = y[2 * i + 1], th2 = theta * theta, ax = 0, ay = 0, sq = 0;
    stack[sp++] = 0;
    while (sp > 0) {
        const qt_node *nd = &t->nodes[stack[--sp]];
        if (nd->count == 0 || (nd->count == 1 && nd->point == (int32_t)i)) continue;
        double dx = xi - nd->sx, dy = yi - nd->sy, d2 = dx * dx + dy * dy;
        double w = nd->hw; /* half-width, as bhtsne (see quadtree.h) */
        if (nd->child < 0 || w * w < th2 * d2) {
            double q = 1 / (1 + d2), m = nd->count * q;
            sq += m;
            m *= q;
            ax += m * dx;
            ay += m * dy;
        } else {
            for (int c = 3; c >= 0; c--) stack[sp++] = nd->child + c;
        }
    }
    *fx += ax;
    *fy += ay;
    *sum_q += sq;
}

void qt_free(qt_tree *t) {
    vt_free(t->nodes);
    t->nodes = NULL;
    t->n_nodes = t->cap = 0;
}
