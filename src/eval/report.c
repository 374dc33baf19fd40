/*
 * report.c — the pieces of the HTML results page (see report.h).
 *
 * Escaping covers the five characters that matter in text and quoted attributes; every string
 * from a payload, a query file or a file name goes through it, so a caption holding "<script>"
 * shows as text. Thumbnails: small PNG/JPEG/WebP files (recognised by signature) are embedded
 * byte for byte; anything larger is decoded by src/image (the same decoders and limits as
 * ingestion), resized with Pillow's bicubic, and written as a baseline JPEG with libjpeg into
 * memory.
 */
#include "eval/report.h"

#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "image/image.h"

void ev_html_text(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

void ev_data_uri(FILE *f, const char *mime, const uint8_t *d, size_t len) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fprintf(f, "data:%s;base64,", mime);
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        fputc(b64[v >> 18], f);
        fputc(b64[(v >> 12) & 63], f);
        fputc(b64[(v >> 6) & 63], f);
        fputc(b64[v & 63], f);
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)d[i] << 16;
        fprintf(f, "%c%c==", b64[v >> 18], b64[(v >> 12) & 63]);
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;
        fprintf(f, "%c%c%c=", b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63]);
    }
}

static const char *sniff(const uint8_t *d, size_t len) {
    if (len >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8)) return "image/png";
    if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) return "image/jpeg";
    if (len >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4)) return "image/webp";
    return NULL;
}

static int encode_jpeg(const img_u8 *im, uint8_t **out, size_t *out_len, vt_error *err) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *buf = NULL;
    unsigned long blen = 0;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &blen);
    c.image_width = (JDIMENSION)im->width;
    c.image_height = (JDIMENSION)im->height;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 85, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = im->pixels + (size_t)c.next_scanline * (size_t)im->width * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *out = vt_malloc(blen ? blen : 1);
    if (*out) memcpy(*out, buf, blen);
    free(buf); /* jpeg_mem_dest allocates with malloc */
    *out_len = blen;
    return *out ? VT_OK : vt_fail(err, VT_ENOMEM, "thumbnail: out of memory");
}

int ev_thumbnail(const uint8_t *data, size_t len, const char *name, uint8_t **out, size_t *out_len, const char **mime,
                 vt_error *err) {
    const char *m = sniff(data, len);
    *out = NULL;
    if (!m) return vt_fail(err, VT_EINVAL, "%s: not a PNG, JPEG or WebP image", name);
    if (len <= EV_THUMB_KEEP_BYTES) {
        if (!(*out = vt_malloc(len))) return vt_fail(err, VT_ENOMEM, "thumbnail: out of memory");
        memcpy(*out, data, len);
        *out_len = len;
        *mime = m;
        return VT_OK;
    }
    img_decode_opts o = img_decode_opts_default();
    img_u8 im = {0}, th = {0};
    int rc = img_decode_mem(data, len, name, &o, &im, err);
    if (!rc) {
        int w = im.width, h = im.height, lng = w > h ? w : h, sht = w > h ? h : w;
        int s = (int)((int64_t)sht * EV_THUMB_SIDE / lng);
        if (s < 1) s = 1;
        int other = (int)((int64_t)s * lng / sht); /* img_resize_crop's long edge */
        rc = img_resize_crop(&im, s, w > h ? s : other, w > h ? other : s, IMG_RESIZE_PIL, &th, err);
    }
    if (!rc) rc = encode_jpeg(&th, out, out_len, err);
    if (!rc) *mime = "image/jpeg";
    img_free(&th);
    img_free(&im);
    return rc;
}
