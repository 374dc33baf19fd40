/*
 * scatter.h — the embedding map figure: 2-D points coloured by group, with a legend.
 */
#ifndef VT_EVAL_SCATTER_H
#define VT_EVAL_SCATTER_H

#include <stddef.h>
#include <stdint.h>

#include "eval/plot.h"

#define EV_SCATTER_MAX_GROUPS 20 /* the palette's distinct colours; callers fold the rest into "other" */

/* ev_scatter_figure: a canvas of the n points xy[2i], xy[2i+1] (any scale: fitted with equal
 * aspect) coloured by group[i] < n_groups (≤ EV_SCATTER_MAX_GROUPS; names[g] in the legend with
 * its count). is_ring (NULL: all dots) draws point i as a ring; ring_note/dot_note (NULL: no
 * entry) explain the two markers in the legend. NULL when out of memory; pl_free releases. */
pl_canvas *ev_scatter_figure(const char *title, const double *xy, size_t n, const uint32_t *group, const char *const *names,
                             size_t n_groups, const uint8_t *is_ring, const char *dot_note, const char *ring_note);

#endif
