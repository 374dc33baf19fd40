/*
 * exif.c — the EXIF Orientation tag, and applying it as Pillow's ImageOps.exif_transpose.
 *
 * An EXIF block is a TIFF structure (after any number of "Exif\0\0" prefixes, which Pillow's
 * Exif.load strips in a loop):
 *
 *   offset  bytes                       what
 *   ------  --------------------------  ------------------------------------------------
 *   0       "II" 2A 00  |  "MM" 00 2A   byte order (little / big endian) and magic
 *   4       u32 ifd0                    offset of IFD0 from the start of the TIFF block
 *   ifd0    u16 count                   entries follow, 12 bytes each:
 *   +2+12i  u16 tag, u16 type,          tag 0x0112 = Orientation; type 1 BYTE, 3 SHORT,
 *           u32 count, 4 bytes value    4 LONG, 6 SBYTE, 8 SSHORT, 9 SLONG; a one-element
 *                                       value of ≤ 4 bytes sits in the value field itself,
 *                                       left-justified
 *
 * Every read is checked against the block's end; a short IFD is read as far as it goes (Pillow
 * warns and keeps what it read). The last Orientation entry wins (Pillow's dict). Only a single
 * integer value 1..8 counts; anything else is "no orientation", as exif_transpose then does
 * nothing. Only IFD0 is read. XMP orientation (which Pillow consults when EXIF has none) is not.
 *
 * Orientations (value → Pillow transpose → output pixel (x, y) reads input pixel, w × h input):
 *
 *   2 FLIP_LEFT_RIGHT   (w-1-x, y)          6 ROTATE_270 (h × w out)   (y, h-1-x)
 *   3 ROTATE_180        (w-1-x, h-1-y)      7 TRANSVERSE (h × w out)   (w-1-y, h-1-x)
 *   4 FLIP_TOP_BOTTOM   (x, h-1-y)          8 ROTATE_90  (h × w out)   (w-1-y, x)
 *   5 TRANSPOSE (h × w out) (y, x)
 */
#include <string.h>

#include "base/alloc.h"
#include "image_int.h"

/* rd16 / rd32: an unsigned integer at p in the block's byte order (be: big-endian). */
static unsigned rd16(const uint8_t *p, int be) {
    return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t rd32(const uint8_t *p, int be) {
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int img_exif_orientation(const uint8_t *d, size_t len) {
    while (len >= 6 && memcmp(d, "Exif\0\0", 6) == 0) {
        d += 6;
        len -= 6;
    }
    if (len < 8) return 1;
    int be;
    if (d[0] == 'I' && d[1] == 'I' && d[2] == 0x2A && d[3] == 0) be = 0;
    else if (d[0] == 'M' && d[1] == 'M' && d[2] == 0 && d[3] == 0x2A) be = 1;
    else return 1;
    uint32_t ifd = rd32(d + 4, be);
    if (ifd > len || len - ifd < 2) return 1;
    unsigned count = rd16(d + ifd, be);
    size_t pos = (size_t)ifd + 2;
    int orientation = 1;
    for (unsigned i = 0; i < count && len - pos >= 12; i++, pos += 12) {
        const uint8_t *e = d + pos;
        if (rd16(e, be) != 0x0112) continue;
        unsigned type = rd16(e + 2, be);
        uint32_t n = rd32(e + 4, be);
        long v;
        if (n != 1) {
            orientation = 1;
            continue;
        }
        switch (type) {
        case 1: v = e[8]; break;
        case 6: v = (int8_t)e[8]; break;
        case 3: v = (long)rd16(e + 8, be); break;
        case 8: v = (int16_t)rd16(e + 8, be); break;
        case 4: v = (long)rd32(e + 8, be); break;
        case 9: v = (int32_t)rd32(e + 8, be); break;
        default: v = 0; break;
        }
        orientation = v >= 1 && v <= 8 ? (int)v : 1;
    }
    return orientation;
}

int img_orient(img_u8 *img, int orientation, const char *name, vt_error *err) {
    if (orientation < 2 || orientation > 8) return VT_OK;
    int w = img->width, h = img->height, c = img->channels;
    int swap = orientation >= 5;
    int ow = swap ? h : w, oh = swap ? w : h;
    uint8_t *dst = vt_malloc((size_t)w * (size_t)h * (size_t)c);
    if (!dst) return vt_fail(err, VT_ENOMEM, "%s: out of memory applying the EXIF orientation", name);
    const uint8_t *src = img->pixels;
    for (int y = 0; y < oh; y++) {
        for (int x = 0; x < ow; x++) {
            int sx, sy;
            switch (orientation) {
            case 2: sx = w - 1 - x; sy = y; break;
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;
            case 4: sx = x; sy = h - 1 - y; break;
            case 5: sx = y; sy = x; break;
            case 6: sx = y; sy = h - 1 - x; break;
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;
            default: sx = w - 1 - y; sy = x; break; /* 8 */
            }
            memcpy(dst + ((size_t)y * ow + x) * c, src + ((size_t)sy * w + sx) * c, (size_t)c);
        }
    }
    vt_free(img->pixels);
    img->pixels = dst;
    img->width = ow;
    img->height = oh;
    return VT_OK;
}
