/*
 * quadtree.h — the Barnes-Hut quadtree of t-SNE's 2-D embedding (van der Maaten 2014, §4.2):
 * every cell keeps the number of points under it and their centre of mass, so the repulsive
 * force a point feels from a far cell is computed once for the whole cell.
 *
 * The tree is rebuilt from the coordinates on every iteration (building is O(n log n) and much
 * cheaper than the forces). Cells are square; a leaf holds one point, except at QT_MAX_DEPTH,
 * where coincident points share a leaf (they are summarised by their count and centre).
 */
#ifndef VT_EVAL_QUADTREE_H
#define VT_EVAL_QUADTREE_H

#include <stddef.h>
#include <stdint.h>

#define QT_MAX_DEPTH 48 /* 2^-48 of the map's width: below float noise; bounds the descent */

typedef struct qt_node {
    double cx, cy, hw; /* the cell's centre and half-width */
    double sx, sy;     /* while building: sum of the coordinates under it; after: their mean */
    uint32_t count;    /* points under it */
    int32_t child;     /* index of the first of four children (quadrants in order SW SE NW NE); -1: leaf */
    int32_t point;     /* a leaf's first point; -1 when empty or inner */
} qt_node;

typedef struct qt_tree {
    qt_node *nodes;    /* nodes[0] is the root; vt_malloc'd, reused between builds */
    size_t n_nodes;    /* nodes in use */
    size_t cap;        /* nodes allocated */
} qt_tree;

/* qt_build: (re)builds t over the n points y[2i], y[2i+1]. Returns 0, or -1 when out of memory
 * (t is then empty but still valid for qt_free). */
int qt_build(qt_tree *t, const double *y, size_t n);

/* qt_repulsion: the Barnes-Hut approximation of point i's unnormalised repulsion: adds
 * Σ_j q_ij² (y_i − y_j) to (*fx, *fy) and Σ_j q_ij to *sum_q, with q_ij = 1 / (1 + |y_i − y_j|²),
 * treating a cell as one body when its half-width / distance < theta (the criterion of the
 * author's bhtsne, sptree.cpp: half the cost of full width at θ = 0.5 for the same 2-D 10-NN
 * class accuracy on Fashion-MNIST, 0.85). Cannot fail. */
void qt_repulsion(const qt_tree *t, const double *y, size_t i, double theta, double *fx, double *fy, double *sum_q);

/* qt_free: releases the nodes; t stays valid (empty). */
void qt_free(qt_tree *t);

#endif
