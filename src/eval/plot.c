/*
 * plot.c — the figure canvas (see plot.h): a display list of shapes, rendered twice.
 *
 *   PNG: cairo image surface (ARGB32), toy font API with the "sans-serif" face (DejaVu Sans on
 *        Debian); hatching is clipped diagonal strokes 5 px apart.
 *   SVG: written by hand; rectangles, lines, circles and <text> with the anchor as
 *        text-anchor; hatching is a <pattern> per colour, declared in <defs> before use. Text is
 *        XML-escaped (& < > " '); control bytes are dropped.
 *
 * The canvas owns copies of its strings. Growth failures set is_oom; the writers report them.
 *
 * Fonts: cairo's toy text API loads fonts through fontconfig, which keeps process-wide caches.
 * The first PNG written registers (once, pthread_once) an atexit handler that releases them —
 * cairo_debug_reset_static_data, then FcFini — so leak checkers see a clean exit. The one global
 * of this module; the programs that draw (vitrine eval/map/report, tests) are done drawing when
 * they exit.
 */
#include "eval/plot.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"

enum { K_RECT, K_LINE, K_CIRCLE, K_TEXT };

typedef struct pl_item {
    int kind;
    double x, y, w, h; /* rect: box; line: x,y → w,h (end point); circle: centre, w = radius */
    uint32_t rgb;
    double alpha;      /* opacity (rect fill, circle) */
    double size;       /* line width, font size */
    int style;         /* rect style; circle filled; text anchor */
    int is_vertical, is_bold;
    char *text;        /* K_TEXT: owned */
} pl_item;

struct pl_canvas {
    int w, h;
    pl_item *items;
    size_t n, cap;
    int is_oom;
};

pl_canvas *pl_new(int w, int h) {
    pl_canvas *c = vt_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->w = w;
    c->h = h;
    return c;
}

void pl_free(pl_canvas *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) vt_free(c->items[i].text);
    vt_free(c->items);
    vt_free(c);
}

static pl_item *push(pl_canvas *c, int kind) {
    if (c->is_oom) return NULL;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        pl_item *g = vt_realloc(c->items, cap * sizeof *g);
        if (!g) {
            c->is_oom = 1;
            return NULL;
        }
        c->items = g;
        c->cap = cap;
    }
    pl_item *it = &c->items[c->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->alpha = 1;
    return it;
}

void pl_rect(pl_canvas *c, double x, double y, double w, double h, uint32_t rgb, double alpha, int style) {
    pl_item *it = push(c, K_RECT);
    if (it) *it = (pl_item){K_RECT, x, y, w, h, rgb, alpha, 1, style, 0, 0, NULL};
}

void pl_line(pl_canvas *c, double x0, double y0, double x1, double y1, uint32_t rgb, double width) {
    pl_item *it = push(c, K_LINE);
    if (it) *it = (pl_item){K_LINE, x0, y0, x1, y1, rgb, 1, width, 0, 0, 0, NULL};
}

void pl_circle(pl_canvas *c, double x, double y, double r, uint32_t rgb, double alpha, int is_filled) {
    pl_item *it = push(c, K_CIRCLE);
    if (it) *it = (pl_item){K_CIRCLE, x, y, r, 0, rgb, alpha, 1, is_filled, 0, 0, NULL};
}

void pl_text(pl_canvas *c, double x, double y, const char *s, double size, int anchor, int is_vertical, int is_bold) {
    size_t len = strlen(s);
    char *t = vt_malloc(len + 1);
    if (!t) {
        c->is_oom = 1;
        return;
    }
    memcpy(t, s, len + 1);
    pl_item *it = push(c, K_TEXT);
    if (!it) {
        vt_free(t);
        return;
    }
    *it = (pl_item){K_TEXT, x, y, 0, 0, 0x000000, 1, size, anchor, is_vertical, is_bold, t};
}

uint32_t pl_palette(size_t i) {
    static const uint32_t tab20[20] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2,
                                       0x7f7f7f, 0xbcbd22, 0x17becf, 0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896,
                                       0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5};
    return tab20[i % 20];
}

/* ---- PNG through cairo ---- */

static pthread_once_t fonts_once = PTHREAD_ONCE_INIT;

static void release_fonts(void) {
    cairo_debug_reset_static_data();
    FcFini();
}

static void register_release(void) { atexit(release_fonts); }

static void set_rgb(cairo_t *cr, uint32_t rgb, double alpha) {
    cairo_set_source_rgba(cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0, (rgb & 255) / 255.0, alpha);
}

int pl_write_png(const pl_canvas *c, const char *path, vt_error *err) {
    if (c->is_oom) return vt_fail(err, VT_ENOMEM, "%s: out of memory drawing the figure", path);
    pthread_once(&fonts_once, register_release);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, c->w, c->h);
    cairo_t *cr = cairo_create(s);
    set_rgb(cr, 0xffffff, 1);
    cairo_paint(cr);
    for (size_t i = 0; i < c->n; i++) {
        const pl_item *it = &c->items[i];
        switch (it->kind) {
        case K_RECT:
            cairo_rectangle(cr, it->x, it->y, it->w, it->h);
            if (it->style == PL_FILL) {
                set_rgb(cr, it->rgb, it->alpha);
                cairo_fill(cr);
                break;
            }
            if (it->style == PL_HATCH) {
                cairo_save(cr);
                cairo_clip_preserve(cr);
                set_rgb(cr, it->rgb, 1);
                cairo_set_line_width(cr, 1);
                for (double d = -it->h; d < it->w; d += 5) {
                    cairo_move_to(cr, it->x + d, it->y + it->h);
                    cairo_line_to(cr, it->x + d + it->h, it->y);
                }
                cairo_stroke(cr);
                cairo_restore(cr);
            }
            set_rgb(cr, it->rgb, 1);
            cairo_set_line_width(cr, 1.2);
            cairo_stroke(cr);
            break;
        case K_LINE:
            set_rgb(cr, it->rgb, 1);
            cairo_set_line_width(cr, it->size);
            cairo_move_to(cr, it->x, it->y);
            cairo_line_to(cr, it->w, it->h);
            cairo_stroke(cr);
            break;
        case K_CIRCLE:
            cairo_new_sub_path(cr);
            cairo_arc(cr, it->x, it->y, it->w, 0, 2 * M_PI);
            set_rgb(cr, it->rgb, it->alpha);
            if (it->style) cairo_fill(cr);
            else {
                cairo_set_line_width(cr, 0.8);
                cairo_stroke(cr);
            }
            break;
        case K_TEXT: {
            cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                                   it->is_bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
            cairo_set_font_size(cr, it->size);
            cairo_text_extents_t ext;
            cairo_text_extents(cr, it->text, &ext);
            double shift = it->style == PL_MIDDLE ? ext.x_advance / 2 : it->style == PL_RIGHT ? ext.x_advance : 0;
            cairo_save(cr);
            cairo_translate(cr, it->x, it->y);
            if (it->is_vertical) cairo_rotate(cr, -M_PI / 2);
            cairo_move_to(cr, -shift, 0);
            set_rgb(cr, it->rgb, 1);
            cairo_show_text(cr, it->text);
            cairo_restore(cr);
            break;
        }
        }
    }
    cairo_destroy(cr);
    cairo_status_t st = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) return vt_fail(err, VT_EIO, "%s: cannot write the PNG (%s)", path, cairo_status_to_string(st));
    return VT_OK;
}

/* ---- SVG by hand ---- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int is_oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->is_oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->is_oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *g = vt_realloc(b->p, cap);
        if (!g) {
            b->is_oom = 1;
            return;
        }
        b->p = g;
        b->cap = cap;
    }
}

static void sb_escaped(sbuf *b, const char *s) {
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '&') sb_printf(b, "&amp;");
        else if (ch == '<') sb_printf(b, "&lt;");
        else if (ch == '>') sb_printf(b, "&gt;");
        else if (ch == '"') sb_printf(b, "&quot;");
        else if (ch == '\'') sb_printf(b, "&#39;");
        else if (ch < 0x20) continue;
        else sb_printf(b, "%c", ch);
    }
}

char *pl_svg(const pl_canvas *c, const char *id_prefix, size_t *len) {
    if (c->is_oom) return NULL;
    sbuf b = {0};
    sb_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"DejaVu Sans, Arial, sans-serif\">\n<defs>\n", c->w, c->h, c->w, c->h);
    /* one hatch pattern per colour used */
    for (size_t i = 0; i < c->n; i++) {
        const pl_item *it = &c->items[i];
        if (it->kind != K_RECT || it->style != PL_HATCH) continue;
        size_t j = 0;
        while (j < i && !(c->items[j].kind == K_RECT && c->items[j].style == PL_HATCH && c->items[j].rgb == it->rgb)) j++;
        if (j < i) continue;
        sb_printf(&b, "<pattern id=\"%shatch%06x\" patternUnits=\"userSpaceOnUse\" width=\"5\" height=\"5\" "
                      "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" stroke=\"#%06x\" "
                      "stroke-width=\"1.5\"/></pattern>\n", id_prefix, it->rgb, it->rgb);
    }
    sb_printf(&b, "</defs>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    for (size_t i = 0; i < c->n; i++) {
        const pl_item *it = &c->items[i];
        switch (it->kind) {
        case K_RECT:
            if (it->style == PL_FILL)
                sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#%06x\" fill-opacity=\"%.2f\"/>\n",
                          it->x, it->y, it->w, it->h, it->rgb, it->alpha);
            else if (it->style == PL_HATCH)
                sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"url(#%shatch%06x)\" "
                              "stroke=\"#%06x\" stroke-width=\"1.2\"/>\n", it->x, it->y, it->w, it->h, id_prefix, it->rgb, it->rgb);
            else
                sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#%06x\" "
                              "stroke-width=\"1.2\"/>\n", it->x, it->y, it->w, it->h, it->rgb);
            break;
        case K_LINE:
            sb_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#%06x\" stroke-width=\"%.1f\"/>\n",
                      it->x, it->y, it->w, it->h, it->rgb, it->size);
            break;
        case K_CIRCLE:
            if (it->style)
                sb_printf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#%06x\" fill-opacity=\"%.2f\"/>\n", it->x, it->y,
                          it->w, it->rgb, it->alpha);
            else
                sb_printf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"none\" stroke=\"#%06x\" stroke-opacity=\"%.2f\" "
                              "stroke-width=\"0.8\"/>\n", it->x, it->y, it->w, it->rgb, it->alpha);
            break;
        case K_TEXT:
            sb_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\"%s%s", it->x, it->y, it->size,
                      it->style == PL_MIDDLE ? " text-anchor=\"middle\"" : it->style == PL_RIGHT ? " text-anchor=\"end\"" : "",
                      it->is_bold ? " font-weight=\"bold\"" : "");
            if (it->is_vertical) sb_printf(&b, " transform=\"rotate(-90 %.1f %.1f)\"", it->x, it->y);
            sb_printf(&b, ">");
            sb_escaped(&b, it->text);
            sb_printf(&b, "</text>\n");
            break;
        }
    }
    sb_printf(&b, "</svg>\n");
    if (b.is_oom) {
        vt_free(b.p);
        return NULL;
    }
    if (len) *len = b.n;
    return b.p;
}

int pl_write_svg(const pl_canvas *c, const char *path, vt_error *err) {
    size_t len = 0;
    char *s = pl_svg(c, "", &len);
    if (!s) return vt_fail(err, VT_ENOMEM, "%s: out of memory writing the SVG", path);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(s, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    vt_free(s);
    return ok ? VT_OK : vt_fail(err, VT_EIO, "%s: cannot write", path);
}
