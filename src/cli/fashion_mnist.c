/*
 * fashion_mnist.c — the IDX files of Fashion-MNIST, gzip-compressed.
 *
 *   images: u32be magic 0x00000803, u32be n, u32be rows (28), u32be cols (28), n·28·28 bytes
 *   labels: u32be magic 0x00000801, u32be n, n bytes (0..9)
 * Sizes and magics are checked; n is capped at 1,000,000 before anything is allocated.
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "base/alloc.h"
#include "fashion_mnist.h"

const char *const FMNIST_CLASSES[10] = {"t-shirt", "trousers", "pullover", "dress", "coat",
                                        "sandal", "shirt", "sneaker", "bag", "ankle boot"};

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* read_idx: the payload of one IDX file: *n items of item_bytes bytes. */
static int read_idx(const char *path, uint32_t magic, int header_words, size_t item_bytes, int limit,
                    uint8_t **data, int *n, vt_error *err) {
    gzFile f = gzopen(path, "rb");
    if (!f) return vt_fail(err, VT_ENOTFOUND, "%s: cannot open (install the Debian package dataset-fashion-mnist)", path);
    uint8_t hdr[16];
    int rc = VT_OK;
    if (gzread(f, hdr, (unsigned)(4 * header_words)) != 4 * header_words || be32(hdr) != magic) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: not an IDX file of the expected kind", path);
        goto done;
    }
    uint32_t count = be32(hdr + 4);
    if (count > 1000000 || (header_words == 4 && (be32(hdr + 8) != FMNIST_SIDE || be32(hdr + 12) != FMNIST_SIDE))) {
        rc = vt_fail(err, VT_ECORRUPT, "%s: unexpected sizes in the header", path);
        goto done;
    }
    if (limit > 0 && (uint32_t)limit < count) count = (uint32_t)limit;
    size_t bytes = (size_t)count * item_bytes;
    *data = vt_malloc(bytes ? bytes : 1);
    if (!*data) {
        rc = vt_fail(err, VT_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if ((size_t)gzread(f, *data, (unsigned)bytes) != bytes) {
        vt_free(*data);
        *data = NULL;
        rc = vt_fail(err, VT_ECORRUPT, "%s: truncated", path);
        goto done;
    }
    *n = (int)count;
done:
    gzclose(f);
    return rc;
}

int fmnist_load(const char *dir, const char *split, int limit, fmnist *out, vt_error *err) {
    memset(out, 0, sizeof *out);
    char ip[1024], lp[1024];
    snprintf(ip, sizeof ip, "%s/%s-images-idx3-ubyte.gz", dir, split);
    snprintf(lp, sizeof lp, "%s/%s-labels-idx1-ubyte.gz", dir, split);
    int ni = 0, nl = 0;
    int rc = read_idx(ip, 0x803, 4, FMNIST_SIDE * FMNIST_SIDE, limit, &out->pixels, &ni, err);
    if (rc == VT_OK) rc = read_idx(lp, 0x801, 2, 1, limit, &out->labels, &nl, err);
    if (rc == VT_OK && ni != nl) rc = vt_fail(err, VT_ECORRUPT, "%s: %d images but %d labels", dir, ni, nl);
    if (rc) {
        fmnist_free(out);
        return rc;
    }
    out->n = ni;
    return VT_OK;
}

void fmnist_free(fmnist *d) {
    vt_free(d->pixels);
    vt_free(d->labels);
    memset(d, 0, sizeof *d);
}
