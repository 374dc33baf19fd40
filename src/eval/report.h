/*
 * report.h — the pieces of the self-contained HTML results page (`vitrine report`): escaping
 * text for HTML, base64 data URIs, and image thumbnails small enough to embed.
 */
#ifndef VT_EVAL_REPORT_H
#define VT_EVAL_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vitrine.h"

#define EV_THUMB_SIDE 96          /* px, the long edge of a thumbnail */
#define EV_THUMB_KEEP_BYTES 16384 /* a PNG/JPEG/WebP this small is embedded as it is (Fashion-MNIST: ~1 KB) */

/* ev_html_text: writes s (UTF-8) escaped for HTML text and attribute values (& < > " '). */
void ev_html_text(FILE *f, const char *s);

/* ev_data_uri: writes "data:MIME;base64,…" of the len bytes. */
void ev_data_uri(FILE *f, const char *mime, const uint8_t *data, size_t len);

/* ev_thumbnail: an image for the page from the encoded image bytes: kept as they are (PNG,
 * JPEG or WebP of at most EV_THUMB_KEEP_BYTES), else decoded, scaled so its long edge is
 * EV_THUMB_SIDE (bicubic) and encoded as JPEG (quality 85). *out is vt_malloc'd (caller frees);
 * *mime is static. Errors (not an image, corrupt) name `name`. */
int ev_thumbnail(const uint8_t *data, size_t len, const char *name, uint8_t **out, size_t *out_len, const char **mime,
                 vt_error *err);

#endif
