/*
 * plot.h — a small vector canvas for the diagnostic figures (histograms, the embedding map):
 * the figure is recorded once as a list of shapes and text, then written as PNG through cairo
 * and as SVG by hand. The SVG is written directly, not through cairo's SVG surface, so that its
 * text stays <text> elements (searchable, testable, small) instead of glyph outlines.
 *
 * Coordinates are pixels, origin top-left, y down. Colours are 0xRRGGBB.
 */
#ifndef VT_EVAL_PLOT_H
#define VT_EVAL_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "vitrine.h"

typedef struct pl_canvas pl_canvas;

enum { PL_FILL = 0, PL_OUTLINE = 1, PL_HATCH = 2 };           /* how a rectangle is painted */
enum { PL_LEFT = 0, PL_MIDDLE = 1, PL_RIGHT = 2 };            /* text anchor */

/* pl_new: an empty white canvas of w × h pixels; NULL when out of memory. pl_free accepts NULL. */
pl_canvas *pl_new(int w, int h);
void pl_free(pl_canvas *c);

/* Shapes. Each copies what it needs; none reports failure: a canvas that ran out of memory
 * remembers it and its writers return VT_ENOMEM. */
/* pl_rect: PL_FILL: filled with rgb (alpha 0..1) and no border; PL_OUTLINE: border only, in
 * rgb; PL_HATCH: diagonal hatching and border in rgb. */
void pl_rect(pl_canvas *c, double x, double y, double w, double h, uint32_t rgb, double alpha, int style);
void pl_line(pl_canvas *c, double x0, double y0, double x1, double y1, uint32_t rgb, double width);
/* pl_circle: a dot of radius r, filled (is_filled) or a ring. */
void pl_circle(pl_canvas *c, double x, double y, double r, uint32_t rgb, double alpha, int is_filled);
/* pl_text: UTF-8 text with its baseline at y, anchored at x; rotated 90° counter-clockwise when
 * is_vertical (the anchor then runs along the rotated baseline). */
void pl_text(pl_canvas *c, double x, double y, const char *s, double size, int anchor, int is_vertical, int is_bold);

/* pl_write_png: renders with cairo to path. Returns VT_OK, VT_EIO or VT_ENOMEM. */
int pl_write_png(const pl_canvas *c, const char *path, vt_error *err);

/* pl_svg: the SVG document as a NUL-terminated string (vt_malloc'd, caller frees with vt_free),
 * or NULL when out of memory. id_prefix (may be "") prefixes its pattern ids so that several
 * SVGs can be inlined in one HTML page. */
char *pl_svg(const pl_canvas *c, const char *id_prefix, size_t *len);

/* pl_write_svg: pl_svg written to path. Returns VT_OK, VT_EIO or VT_ENOMEM. */
int pl_write_svg(const pl_canvas *c, const char *path, vt_error *err);

/* pl_palette: the i-th of 20 colours that stay distinct in print (Tableau 20, dark then light);
 * i is taken modulo 20. */
uint32_t pl_palette(size_t i);

#endif
