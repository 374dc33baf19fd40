/*
 * decode_webp.c — WebP (lossy and lossless, still images) through libwebp, decoded straight into
 * our RGB buffer (non-premultiplied, fancy upsampling on: libwebp's defaults, which Pillow's
 * WebPAnimDecoder also uses; with an alpha channel the colour samples are the same and alpha is
 * dropped, as transformers 5.x does).
 *
 * The container, as far as this decoder looks at it itself:
 *
 *   offset  bytes                       what
 *   ------  --------------------------  ------------------------------------------------
 *   0       "RIFF" · u32le size · "WEBP"
 *   12      fourcc · u32le n · data     chunks, each padded to an even length:
 *                                       "VP8 " / "VP8L" (simple file: the only chunk), or
 *                                       "VP8X" (extended: flags, canvas) followed by
 *                                       "ICCP", "ANIM"/"ANMF", "ALPH", "VP8 "/"VP8L",
 *                                       "EXIF" (TIFF block, maybe "Exif\0\0"-prefixed),
 *                                       "XMP "
 *
 * The EXIF chunk is looked for only in extended files, as libwebp's demuxer (which Pillow uses)
 * does. Size and animation come from WebPGetFeatures and are checked before decoding; animated
 * files are refused (VT_EUNSUPPORTED) — Pillow would show frame 0.
 *
 * Memory: libwebp allocates its working memory itself (not vt_malloc); the output buffer is ours.
 */
#include <string.h>

#include <webp/decode.h>

#include "base/alloc.h"
#include "image_int.h"

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* webp_orientation: walks the RIFF chunks (bounds-checked against len, not the RIFF size) of an
 * extended file and returns the orientation in its EXIF chunk, 1 if none. */
static int webp_orientation(const uint8_t *d, size_t len) {
    if (len < 20 || memcmp(d + 12, "VP8X", 4) != 0) return 1;
    size_t pos = 12;
    while (len - pos >= 8) {
        uint32_t n = le32(d + pos + 4);
        if (n > len - pos - 8) break;
        if (memcmp(d + pos, "EXIF", 4) == 0) return img_exif_orientation(d + pos + 8, n);
        pos += 8 + (size_t)n + (n & 1);
        if (pos > len) break;
    }
    return 1;
}

/* status_text: a libwebp status in words. */
static const char *status_text(VP8StatusCode st) {
    switch (st) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data";
    default: return "error";
    }
}

/* webp_fail: the error for a libwebp status. */
static int webp_fail(const char *name, VP8StatusCode st, vt_error *err) {
    if (st == VP8_STATUS_NOT_ENOUGH_DATA)
        return vt_fail(err, VT_ECORRUPT, "%s: truncated WebP (data ends before the image is complete)", name);
    if (st == VP8_STATUS_UNSUPPORTED_FEATURE)
        return vt_fail(err, VT_EUNSUPPORTED, "%s: WebP feature not supported", name);
    if (st == VP8_STATUS_OUT_OF_MEMORY) return vt_fail(err, VT_ENOMEM, "%s: out of memory decoding WebP", name);
    return vt_fail(err, VT_ECORRUPT, "%s: corrupt WebP: %s", name, status_text(st));
}

int img_decode_webp(const uint8_t *data, size_t len, const char *name, const img_decode_opts *o,
                    img_u8 *out, int *orientation, vt_error *err) {
    WebPBitstreamFeatures f;
    VP8StatusCode st = WebPGetFeatures(data, len, &f);
    if (st != VP8_STATUS_OK) return webp_fail(name, st, err);
    if (f.has_animation) return vt_fail(err, VT_EUNSUPPORTED, "%s: animated WebP is not supported", name);
    int rc = img_check_size(name, "WebP", f.width, f.height, o, err);
    if (rc) return rc;
    rc = img_alloc_rgb(out, f.width, f.height, name, err);
    if (rc) return rc;

    WebPDecoderConfig cfg;
    if (!WebPInitDecoderConfig(&cfg)) {
        img_free(out);
        return vt_fail(err, VT_EINTERNAL, "%s: libwebp version mismatch", name);
    }
    cfg.output.colorspace = MODE_RGB;
    cfg.output.is_external_memory = 1;
    cfg.output.u.RGBA.rgba = out->pixels;
    cfg.output.u.RGBA.stride = f.width * 3;
    cfg.output.u.RGBA.size = (size_t)f.width * (size_t)f.height * 3;
    st = WebPDecode(data, len, &cfg);
    WebPFreeDecBuffer(&cfg.output);
    if (st != VP8_STATUS_OK) {
        img_free(out);
        return webp_fail(name, st, err);
    }
    *orientation = webp_orientation(data, len);
    return VT_OK;
}
