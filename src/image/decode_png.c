/*
 * decode_png.c — PNG through libpng, with every transformation off: rows come out in the file's
 * own layout (1/2/4/8/16 bits, gray, gray+alpha, palette, RGB, RGBA; Adam7 de-interlaced) and
 * convert.c turns them into RGB exactly as Pillow's PNG plugin + convert("RGB") do. libpng's
 * own expansions (palette, gray, 16 → 8) are not used: Pillow's rules differ in places (16-bit
 * gray is clipped, not scaled; missing palette entries read a gray ramp).
 *
 * The file, as far as this decoder looks at it itself:
 *
 *   offset  bytes                      what
 *   ------  -------------------------  -------------------------------------------------
 *   0       89 50 4E 47 0D 0A 1A 0A    signature
 *   8       u32be len · "IHDR"         first chunk, len 13:
 *   16      u32be width, u32be height    checked against the limits HERE, before libpng
 *   24      u8 depth, u8 colour type,    allocates anything
 *           u8 compression, filter, interlace
 *   …       u32be len · type · data · u32be crc   further chunks; the last valid "eXIf"
 *                                      before the first IDAT (else the last after it) is
 *                                      the EXIF block (its CRC must match)
 *
 * Errors: libpng's error callback records the message and longjmps back (png_jmpbuf); warnings
 * are silent. The read callback raises "unexpected end of data" at the end of the buffer, so a
 * truncated file is an error; the chunks after the image data (IEND) are not read, as Pillow
 * does not require them. libpng allocates through vt_malloc.
 *
 * setjmp discipline: all state in a struct pctx owned by img_decode_png; png_run modifies no
 * local of its own after setjmp.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "base/alloc.h"
#include "image_int.h"

struct pctx {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t len, pos;
    const char *name;
    const img_decode_opts *opts;
    int rc;                 /* VT_E* code of the failure */
    int truncated;          /* the read callback ran out of data */
    int oom;                /* an allocation for libpng failed */
    char msg[256];
    uint8_t *raw;           /* one row, or the whole image when interlaced (vt_malloc) */
    img_u8 *out;
    uint8_t palette[768];
};

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* libpng hooks: error (record, longjmp), warning (silent), read (from the buffer; the end is an
 * error), malloc/free (vt_malloc, noting failures so they report VT_ENOMEM). */
static void on_png_error(png_structp png, png_const_charp msg) {
    struct pctx *c = png_get_error_ptr(png);
    if (!c->rc) {
        c->rc = c->oom ? VT_ENOMEM : VT_ECORRUPT;
        if (c->oom) snprintf(c->msg, sizeof c->msg, "out of memory decoding PNG (%s)", msg);
        else if (c->truncated) snprintf(c->msg, sizeof c->msg, "truncated PNG (data ends before the image is complete)");
        else snprintf(c->msg, sizeof c->msg, "corrupt PNG: %s", msg);
    }
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void on_png_read(png_structp png, png_bytep buf, size_t n) {
    struct pctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos) {
        c->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(buf, c->data + c->pos, n);
    c->pos += n;
}

static png_voidp on_png_malloc(png_structp png, png_alloc_size_t n) {
    void *p = vt_malloc(n);
    struct pctx *c = png_get_mem_ptr(png);
    if (!p && c) c->oom = 1;
    return p;
}

static void on_png_free(png_structp png, png_voidp p) {
    (void)png;
    vt_free(p);
}

/* crc32_png: the PNG/zlib CRC of n bytes (bitwise; only run over eXIf chunks). */
static uint32_t crc32_png(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* png_orientation: walks the chunk list (bounds-checked, stops at the first malformed length or
 * IEND) and returns the EXIF orientation of the chosen eXIf chunk, 1 if none. */
static int png_orientation(const uint8_t *d, size_t len) {
    const uint8_t *before = NULL, *after = NULL;
    size_t before_len = 0, after_len = 0;
    int seen_idat = 0;
    size_t pos = 8;
    while (len - pos >= 12) {
        uint32_t n = be32(d + pos);
        if (n > len - pos - 12) break;
        const uint8_t *type = d + pos + 4;
        if (memcmp(type, "IDAT", 4) == 0) seen_idat = 1;
        else if (memcmp(type, "IEND", 4) == 0) break;
        else if (memcmp(type, "eXIf", 4) == 0 && crc32_png(type, (size_t)n + 4) == be32(type + 4 + n)) {
            if (seen_idat) after = type + 4, after_len = n;
            else before = type + 4, before_len = n;
        }
        pos += 12 + (size_t)n;
    }
    if (before) return img_exif_orientation(before, before_len);
    if (after) return img_exif_orientation(after, after_len);
    return 1;
}

/* layout_of: the convert.c layout of a (depth, colour type) pair, -1 if PNG does not allow it. */
static int layout_of(int depth, int ctype) {
    switch (ctype) {
    case PNG_COLOR_TYPE_GRAY:
        return depth == 1 ? IMG_L1 : depth == 2 ? IMG_L2 : depth == 4 ? IMG_L4
             : depth == 8 ? IMG_L8 : depth == 16 ? IMG_L16B : -1;
    case PNG_COLOR_TYPE_PALETTE:
        return depth == 1 ? IMG_P1 : depth == 2 ? IMG_P2 : depth == 4 ? IMG_P4 : depth == 8 ? IMG_P8 : -1;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
        return depth == 8 ? IMG_LA8 : depth == 16 ? IMG_LA16B : -1;
    case PNG_COLOR_TYPE_RGB:
        return depth == 8 ? IMG_RGB8 : depth == 16 ? IMG_RGB16B : -1;
    case PNG_COLOR_TYPE_RGB_ALPHA:
        return depth == 8 ? IMG_RGBA8 : depth == 16 ? IMG_RGBA16B : -1;
    default:
        return -1;
    }
}

/* png_run: the whole decode; 0 on success, -1 with c->rc (and c->msg or err) set. */
static int png_run(struct pctx *c, vt_error *err) {
    if (setjmp(png_jmpbuf(c->png))) return -1;

    png_set_read_fn(c->png, c, on_png_read);
    png_set_user_limits(c->png, IMG_MAX_SIDE, IMG_MAX_SIDE);
    png_set_check_for_invalid_index(c->png, 0); /* Pillow reads them: its palette's default ramp */
    png_read_info(c->png, c->info);

    png_uint_32 w32, h32;
    int depth, ctype, interlace;
    png_get_IHDR(c->png, c->info, &w32, &h32, &depth, &ctype, &interlace, NULL, NULL);
    int rc = img_check_size(c->name, "PNG", w32, h32, c->opts, err);
    if (rc) {
        c->rc = rc;
        return -1;
    }
    int w = (int)w32, h = (int)h32;
    int layout = layout_of(depth, ctype);
    if (layout < 0) {
        c->rc = VT_EUNSUPPORTED;
        snprintf(c->msg, sizeof c->msg, "PNG bit depth %d with colour type %d is not supported", depth, ctype);
        return -1;
    }

    img_palette_ramp(c->palette);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_colorp pal = NULL;
        int n_pal = 0;
        if (png_get_PLTE(c->png, c->info, &pal, &n_pal) & PNG_INFO_PLTE) {
            for (int i = 0; i < n_pal && i < 256; i++) {
                c->palette[3 * i] = pal[i].red;
                c->palette[3 * i + 1] = pal[i].green;
                c->palette[3 * i + 2] = pal[i].blue;
            }
        }
    }

    int passes = png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);
    size_t rowbytes = png_get_rowbytes(c->png, c->info);
    int bpp = depth * (ctype == PNG_COLOR_TYPE_RGB ? 3 : ctype == PNG_COLOR_TYPE_RGB_ALPHA ? 4
                       : ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1);
    if (rowbytes != ((size_t)w * (size_t)bpp + 7) / 8) {
        c->rc = VT_EINTERNAL;
        snprintf(c->msg, sizeof c->msg, "unexpected PNG row size %zu", rowbytes);
        return -1;
    }

    rc = img_alloc_rgb(c->out, w, h, c->name, err);
    if (rc) {
        c->rc = rc;
        return -1;
    }
    int interlaced = passes > 1;
    c->raw = vt_malloc(interlaced ? rowbytes * (size_t)h : rowbytes);
    if (!c->raw) {
        c->rc = VT_ENOMEM;
        snprintf(c->msg, sizeof c->msg, "out of memory for PNG rows");
        return -1;
    }
    if (interlaced) memset(c->raw, 0, rowbytes * (size_t)h);
    for (int pass = 0; pass < passes; pass++) {
        for (int y = 0; y < h; y++) {
            uint8_t *row = interlaced ? c->raw + (size_t)y * rowbytes : c->raw;
            png_read_row(c->png, row, NULL);
            if (!interlaced)
                img_convert_row(layout, row, w, c->palette, c->out->pixels + (size_t)y * (size_t)w * 3);
        }
    }
    if (interlaced) {
        for (int y = 0; y < h; y++)
            img_convert_row(layout, c->raw + (size_t)y * rowbytes, w, c->palette,
                            c->out->pixels + (size_t)y * (size_t)w * 3);
    }
    return 0;
}

int img_decode_png(const uint8_t *data, size_t len, const char *name, const img_decode_opts *o,
                   img_u8 *out, int *orientation, vt_error *err) {
    /* The limits first, from the raw IHDR, so that a lying header costs nothing. */
    if (len < 33) return vt_fail(err, VT_ECORRUPT, "%s: truncated PNG (%zu bytes, no complete header)", name, len);
    if (be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0)
        return vt_fail(err, VT_ECORRUPT, "%s: corrupt PNG: first chunk is not IHDR", name);
    uint32_t w = be32(data + 16), h = be32(data + 20);
    if (w > 0x7FFFFFFFu || h > 0x7FFFFFFFu)
        return vt_fail(err, VT_ECORRUPT, "%s: corrupt PNG: size %ux%u out of range", name, w, h);
    int rc = img_check_size(name, "PNG", w, h, o, err);
    if (rc) return rc;

    struct pctx c;
    memset(&c, 0, sizeof c);
    c.data = data;
    c.len = len;
    c.name = name;
    c.opts = o;
    c.out = out;
    c.png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &c, on_png_error, on_png_warning, &c,
                                     on_png_malloc, on_png_free);
    if (c.png) c.info = png_create_info_struct(c.png);
    if (!c.png || !c.info) {
        png_destroy_read_struct(c.png ? &c.png : NULL, NULL, NULL);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory starting the PNG decoder", name);
    }
    int failed = png_run(&c, err) != 0;
    png_destroy_read_struct(&c.png, &c.info, NULL);
    vt_free(c.raw);
    if (failed) {
        img_free(out);
        rc = c.rc ? c.rc : VT_ECORRUPT;
        return c.msg[0] ? vt_fail(err, rc, "%s: %s", name, c.msg) : vt_fail(err, rc, "%s: corrupt PNG", name);
    }
    *orientation = png_orientation(data, len);
    return VT_OK;
}
