/*
 * decode_jpeg.c — JPEG through libjpeg-turbo, set up as Pillow's JpegDecode.c sets it up, so the
 * pixels are Pillow's bit for bit (Debian 12's libjpeg-turbo 2.1.5 decodes every fixture like
 * the reference's).
 *
 * The file, as far as this decoder looks at it itself (libjpeg parses the rest):
 *
 *   bytes            what
 *   ---------------  ------------------------------------------------------------------
 *   FF D8            SOI
 *   FF En L1 L0 …    APPn segments; L = big-endian length including itself. The first
 *                    APP1 whose payload starts "Exif\0\0" holds the EXIF TIFF block
 *                    (orientation, see exif.c) — Pillow keeps the first one too
 *   FF C0..CF …      SOF: precision, height, width, components (1 → "L", 3 → "RGB",
 *                    4 → "CMYK"; Pillow refuses any other count)
 *   FF DA …          SOS, entropy-coded data …, FF D9 EOI
 *
 * Settings (Pillow's): libjpeg defaults — ISLOW integer DCT, fancy upsampling, block smoothing —
 * with out_color_space GRAYSCALE for 1 component, RGB for 3, CMYK for 4; jpeg_color_space is
 * libjpeg's own guess (JFIF / Adobe transform / component ids), as Pillow passes no jpegmode.
 * Four-component output is inverted CMYK to Pillow ("CMYK;I", whatever the Adobe marker says)
 * and converted by convert.c.
 *
 * Errors: libjpeg's error_exit longjmps back here (never exit()). Warnings (corrupt data that
 * libjpeg recovers from) are silent, as in Pillow. Running out of data is an error: the source
 * manager raises JERR_INPUT_EOF instead of inserting a fake EOI, which is what Pillow's
 * suspending source amounts to ("image file is truncated"). Once every row is decoded the rest of
 * the file (EOI) is not required, as in Pillow. Scans are capped at JPEG_MAX_SCANS, so a crafted
 * progressive file cannot make us spin.
 *
 * setjmp discipline: all state lives in a struct jctx owned by img_decode_jpeg; jpeg_run (which
 * calls setjmp) modifies no local of its own after setjmp, so nothing is clobbered.
 *
 * Memory: libjpeg allocates through its own manager (not vt_malloc); its working memory is
 * bounded by the pixel limit checked after the header. Our buffers use vt_malloc.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "base/alloc.h"
#include "image_int.h"

/* More scans than any real progressive encoder writes (libjpeg's own presets use ≤ 10; the
 * turbojpeg API limits to 500 when asked): a guard against crafted slow files. */
#define JPEG_MAX_SCANS 1000

struct jctx {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    struct jpeg_source_mgr src;
    struct jpeg_progress_mgr progress;
    jmp_buf jmp;
    int created;             /* jpeg_create_decompress done */
    int rc;                  /* VT_E* code of the failure */
    char msg[JMSG_LENGTH_MAX + 64];
    const uint8_t *data;
    size_t len;
    const char *name;
    const img_decode_opts *opts;
    uint8_t *row;            /* one CMYK row (vt_malloc) */
    img_u8 *out;
    int orientation;
};

/* on_error_exit: libjpeg's fatal-error hook: records code and message in the jctx, longjmps. */
static void on_error_exit(j_common_ptr cinfo) {
    struct jctx *c = cinfo->client_data;
    if (!c->rc) {
        int code = cinfo->err->msg_code;
        c->rc = code == JERR_OUT_OF_MEMORY ? VT_ENOMEM
              : code == JERR_IMAGE_TOO_BIG || code == JERR_WIDTH_OVERFLOW ? VT_ELIMIT
              : VT_ECORRUPT;
        if (code == JERR_INPUT_EOF) {
            snprintf(c->msg, sizeof c->msg, "truncated JPEG (data ends before the image is complete)");
        } else {
            char buf[JMSG_LENGTH_MAX];
            (*cinfo->err->format_message)(cinfo, buf);
            snprintf(c->msg, sizeof c->msg, "corrupt JPEG: %s", buf);
        }
    }
    longjmp(c->jmp, 1);
}

static void on_output_message(j_common_ptr cinfo) {
    (void)cinfo; /* warnings are silent, as in Pillow */
}

/* The source manager over the whole buffer: init/term do nothing, fill means the data ended
 * (an error, see the essay), skip past the end likewise. */
static void src_init(j_decompress_ptr cinfo) {
    (void)cinfo;
}

static boolean src_fill(j_decompress_ptr cinfo) {
    ERREXIT(cinfo, JERR_INPUT_EOF);
    return FALSE;
}

static void src_skip(j_decompress_ptr cinfo, long n) {
    if (n <= 0) return;
    if ((unsigned long)n > cinfo->src->bytes_in_buffer) ERREXIT(cinfo, JERR_INPUT_EOF);
    cinfo->src->next_input_byte += n;
    cinfo->src->bytes_in_buffer -= (size_t)n;
}

static void src_term(j_decompress_ptr cinfo) {
    (void)cinfo;
}

/* on_progress: libjpeg's progress hook, used only to cap the number of scans. */
static void on_progress(j_common_ptr cinfo) {
    struct jctx *c = cinfo->client_data;
    if (c->cinfo.input_scan_number > JPEG_MAX_SCANS) {
        c->rc = VT_ELIMIT;
        snprintf(c->msg, sizeof c->msg, "JPEG has more than %d scans", JPEG_MAX_SCANS);
        longjmp(c->jmp, 1);
    }
}

/* jpeg_fail: records c->rc/c->msg for a failure found by our own checks; returns -1. */
static int jpeg_fail(struct jctx *c, int rc, const char *msg) {
    c->rc = rc;
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    return -1;
}

/* jpeg_run: the whole decode; 0 on success, -1 with c->rc / c->msg set (or an error already in
 * err, c->rc then set from it). */
static int jpeg_run(struct jctx *c, vt_error *err) {
    struct jpeg_decompress_struct *ci = &c->cinfo;
    if (setjmp(c->jmp)) return -1;

    ci->err = jpeg_std_error(&c->jerr);
    c->jerr.error_exit = on_error_exit;
    c->jerr.output_message = on_output_message;
    jpeg_create_decompress(ci);
    c->created = 1;
    ci->client_data = c;
    c->src.init_source = src_init;
    c->src.fill_input_buffer = src_fill;
    c->src.skip_input_data = src_skip;
    c->src.resync_to_restart = jpeg_resync_to_restart;
    c->src.term_source = src_term;
    c->src.next_input_byte = c->data;
    c->src.bytes_in_buffer = c->len;
    ci->src = &c->src;
    c->progress.progress_monitor = on_progress;
    ci->progress = &c->progress;
    jpeg_save_markers(ci, JPEG_APP0 + 1, 0xFFFF);

    jpeg_read_header(ci, TRUE);

    int layout;
    switch (ci->num_components) {
    case 1: ci->out_color_space = JCS_GRAYSCALE; layout = IMG_L8; break;
    case 3: ci->out_color_space = JCS_RGB; layout = IMG_RGB8; break;
    case 4: ci->out_color_space = JCS_CMYK; layout = IMG_CMYK_INV; break;
    default: {
        char m[64];
        snprintf(m, sizeof m, "JPEG with %d components is not supported", ci->num_components);
        return jpeg_fail(c, VT_EUNSUPPORTED, m);
    }
    }
    int rc = img_check_size(c->name, "JPEG", ci->image_width, ci->image_height, c->opts, err);
    if (rc) {
        c->rc = rc;
        return -1;
    }

    for (jpeg_saved_marker_ptr m = ci->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            c->orientation = img_exif_orientation(m->data, m->data_length);
            break;
        }
    }

    jpeg_start_decompress(ci);
    int w = (int)ci->output_width, h = (int)ci->output_height;
    int want = layout == IMG_L8 ? 1 : layout == IMG_RGB8 ? 3 : 4;
    if (ci->output_components != want || w != (int)ci->image_width || h != (int)ci->image_height)
        return jpeg_fail(c, VT_ECORRUPT, "corrupt JPEG: unexpected output geometry");

    rc = img_alloc_rgb(c->out, w, h, c->name, err);
    if (rc) {
        c->rc = rc;
        return -1;
    }
    if (layout != IMG_RGB8) {
        c->row = vt_malloc((size_t)w * (size_t)want);
        if (!c->row) return jpeg_fail(c, VT_ENOMEM, "out of memory for a JPEG row");
    }
    while (ci->output_scanline < ci->output_height) {
        uint8_t *dst = c->out->pixels + (size_t)ci->output_scanline * (size_t)w * 3;
        JSAMPROW r = layout == IMG_RGB8 ? dst : c->row;
        if (jpeg_read_scanlines(ci, &r, 1) != 1)
            return jpeg_fail(c, VT_ECORRUPT, "truncated JPEG (decoder suspended)");
        if (layout != IMG_RGB8) img_convert_row(layout, c->row, w, NULL, dst);
    }
    return 0;
}

int img_decode_jpeg(const uint8_t *data, size_t len, const char *name, const img_decode_opts *o,
                    img_u8 *out, int *orientation, vt_error *err) {
    struct jctx c;
    memset(&c, 0, sizeof c);
    c.data = data;
    c.len = len;
    c.name = name;
    c.opts = o;
    c.out = out;
    c.orientation = 1;
    int failed = jpeg_run(&c, err) != 0;
    if (c.created) jpeg_destroy_decompress(&c.cinfo);
    vt_free(c.row);
    if (failed) {
        img_free(out);
        int rc = c.rc ? c.rc : VT_ECORRUPT;
        return c.msg[0] ? vt_fail(err, rc, "%s: %s", name, c.msg) : vt_fail(err, rc, "%s: corrupt JPEG", name);
    }
    *orientation = c.orientation;
    return VT_OK;
}
