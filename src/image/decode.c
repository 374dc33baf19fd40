/*
 * decode.c — the entry points: reading a file, recognising its format by signature, the limits
 * every decoder applies before touching pixels, and the EXIF orientation step.
 *
 * Signatures (the first bytes of the file; the file name is never consulted):
 *
 *   offset  bytes                       format
 *   ------  --------------------------  -------------------------------------------
 *   0       FF D8 FF                    JPEG (SOI then a marker)
 *   0       89 50 4E 47 0D 0A 1A 0A     PNG
 *   0       "RIFF" · u32 size · "WEBP"  WebP (RIFF container; size is not trusted)
 *   0       "GIF8", "BM", "II*\0",      recognised only to say "unsupported" by name
 *           "MM\0*", ftyp box (HEIF/AVIF)
 *
 * Limits: the file size (max_file_bytes, before reading), then in each decoder the header's
 * width × height against max_pixels and each side against IMG_MAX_SIDE, before any pixel
 * buffer exists. Errors: VT_ECORRUPT (empty, truncated, malformed), VT_EUNSUPPORTED (another
 * format, or a feature such as animation), VT_ELIMIT (over a limit); every message starts with
 * the file's name.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "image_int.h"

img_decode_opts img_decode_opts_default(void) {
    img_decode_opts o;
    o.apply_exif = 1;
    o.max_pixels = IMG_DEFAULT_MAX_PIXELS;
    o.max_file_bytes = IMG_DEFAULT_MAX_FILE_BYTES;
    return o;
}

void img_free(img_u8 *img) {
    if (!img) return;
    vt_free(img->pixels);
    memset(img, 0, sizeof *img);
}

int img_check_size(const char *name, const char *format, int64_t width, int64_t height,
                   const img_decode_opts *o, vt_error *err) {
    if (width <= 0 || height <= 0)
        return vt_fail(err, VT_ECORRUPT, "%s: %s header declares an empty image (%lldx%lld)", name,
                       format, (long long)width, (long long)height);
    if (width > IMG_MAX_SIDE || height > IMG_MAX_SIDE)
        return vt_fail(err, VT_ELIMIT, "%s: %s image is %lldx%lld, over the %d-pixel side limit",
                       name, format, (long long)width, (long long)height, IMG_MAX_SIDE);
    uint64_t n = (uint64_t)width * (uint64_t)height;
    if (n > o->max_pixels)
        return vt_fail(err, VT_ELIMIT,
                       "%s: %s image is %lldx%lld = %llu pixels, over the limit of %llu", name,
                       format, (long long)width, (long long)height, (unsigned long long)n,
                       (unsigned long long)o->max_pixels);
    return VT_OK;
}

int img_alloc_rgb(img_u8 *img, int width, int height, const char *name, vt_error *err) {
    size_t n = (size_t)width * (size_t)height * 3;
    img->pixels = vt_malloc(n ? n : 1);
    if (!img->pixels) {
        memset(img, 0, sizeof *img);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory for %dx%d pixels", name, width, height);
    }
    img->width = width;
    img->height = height;
    img->channels = 3;
    return VT_OK;
}

/* other_format: the name of a known but unsupported format at data, or NULL. */
static const char *other_format(const uint8_t *d, size_t n) {
    if (n >= 4 && memcmp(d, "GIF8", 4) == 0) return "GIF";
    if (n >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0)) return "TIFF";
    if (n >= 12 && memcmp(d + 4, "ftyp", 4) == 0) return "HEIF/AVIF";
    if (n >= 2 && d[0] == 'B' && d[1] == 'M') return "BMP";
    return NULL;
}

int img_decode_mem(const uint8_t *data, size_t len, const char *name, const img_decode_opts *opts,
                   img_u8 *out, vt_error *err) {
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    img_decode_opts def = img_decode_opts_default();
    const img_decode_opts *o = opts ? opts : &def;
    if (!name) name = "<memory>";
    memset(out, 0, sizeof *out);
    if (!data || len == 0) return vt_fail(err, VT_ECORRUPT, "%s: empty file, not an image", name);

    int orientation = 1, rc;
    if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
        rc = img_decode_jpeg(data, len, name, o, out, &orientation, err);
    } else if (len >= 8 && memcmp(data, png_sig, 8) == 0) {
        rc = img_decode_png(data, len, name, o, out, &orientation, err);
    } else if (len >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0) {
        rc = img_decode_webp(data, len, name, o, out, &orientation, err);
    } else if (len < 8 && memcmp(data, png_sig, len) == 0) {
        return vt_fail(err, VT_ECORRUPT, "%s: truncated PNG (%zu bytes)", name, len);
    } else if (len < 3 && data[0] == 0xFF && (len < 2 || data[1] == 0xD8)) {
        return vt_fail(err, VT_ECORRUPT, "%s: truncated JPEG (%zu bytes)", name, len);
    } else {
        const char *f = other_format(data, len);
        if (f) return vt_fail(err, VT_EUNSUPPORTED, "%s: %s images are not supported (JPEG, PNG, WebP)", name, f);
        return vt_fail(err, VT_EUNSUPPORTED, "%s: not a JPEG, PNG or WebP image (unrecognised signature)", name);
    }
    if (rc) return rc;
    if (o->apply_exif && orientation >= 2 && orientation <= 8) {
        rc = img_orient(out, orientation, name, err);
        if (rc) {
            img_free(out);
            return rc;
        }
    }
    return VT_OK;
}

int img_decode_file(const char *path, const img_decode_opts *opts, img_u8 *out, vt_error *err) {
    img_decode_opts def = img_decode_opts_default();
    const img_decode_opts *o = opts ? opts : &def;
    uint8_t *data = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    int rc = vt_file_read(path, o->max_file_bytes, &data, &len, err);
    if (rc) return rc;
    rc = img_decode_mem(data, len, path, o, out, err);
    vt_free(data);
    return rc;
}
