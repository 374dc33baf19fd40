/*
 * hnsw_io.c — the index file: hnsw_save and hnsw_load (mirrored in docs/FORMAT.md).
 *
 * The index is derived data: the file lets start-up skip the rebuild. It records the op-log
 * sequence number it covers (given by the caller), so the caller replays the log from there;
 * any doubt about the file (checksum, structure, parameters) is VT_ECORRUPT and the caller
 * rebuilds. Little-endian throughout (the only byte order vitrine runs on; the magic would not
 * match elsewhere).
 *
 *   offset  size                 what
 *   0       8                    magic "VTHNSW\0\1"
 *   8       4                    u32 version = 1
 *   12      4                    u32 header size = 96
 *   16      4                    u32 dim (1 .. 65536)
 *   20      4                    u32 metric (enum dist_metric)
 *   24      4                    u32 m (2 .. 128); layer 0 holds m0 = 2m links
 *   28      4                    u32 ef_construct
 *   32      4                    u32 quant (0 none, 1 int8)
 *   36      4                    f32 quantile
 *   40      8                    u64 seed
 *   48      8                    u64 seq: the op-log sequence the index covers
 *   56      4                    u32 n_slots
 *   60      4                    u32 n_live
 *   64      4                    u32 n_deleted
 *   68      4                    u32 entry slot (0xffffffff: empty graph)
 *   72      4                    u32 entry level (the top layer)
 *   76      4                    u32 reserved, 0
 *   80      8                    u64 upper_words: total u32 words of the upper-layer section
 *   88      8                    u64 reserved, 0
 *   96      16 · n_slots         slot table: u64 label, u32 meta (bits 0-7 level, bit 8 used,
 *                                bit 9 deleted), u32 count of layer-0 links
 *   …       4 · m0 · n_slots     layer-0 links, m0 u32 per slot (past count: 0)
 *   …       4 · upper_words      upper layers: for each used slot of level ≥ 1, in slot order,
 *                                for l = 1 .. level: u32 count, m u32 links (past count: 0)
 *   …       8 · dim + 8          int8 only: dim f32 offsets, dim f32 steps, u64 training rows
 *   …       4 · dim · n_slots    float32 vectors (normalised for cosine; unused slots: 0)
 *   end-8   8                    u64 XXH64 (seed 0) of every byte before it
 *
 * The int8 codes are not stored: they are re-encoded from the vectors and the ranges at load,
 * so they always agree with them. Checks at load, in order: the size can hold a header and the
 * checksum; the checksum; magic, version, header size; every parameter in range (and equal to
 * the caller's expectation); the exact file size implied by n_slots and upper_words; each slot's
 * meta (known bits, level ≤ 31, unused slots without links), counts ≤ the list sizes, each link
 * below n_slots to a used slot whose level reaches the link's layer (a search follows links
 * without checks); n_live, n_deleted and upper_words against the slot table; the entry point a
 * used slot of the top level; every float finite, every step positive. Nothing is trusted
 * before it is checked, and a search on a loaded index can only touch memory it owns.
 *
 * Saving writes path.tmp through a 1 MiB buffer, hashing as it goes, then fsync, rename over
 * path, and fsync of the folder: a crash leaves the old file or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "index/hnsw_int.h"

#define FILE_MAGIC "VTHNSW\0\1"
#define FILE_VERSION 1u
#define HEADER_SIZE 96u
#define WRITE_BUF (1u << 20)

/* ---- XXH64 [Y. Collet, xxHash specification v0.1.1], streaming ---- */

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

typedef struct xxh64 {
    uint64_t v[4];    /* the four lanes */
    uint8_t buf[32];  /* a partial stripe */
    size_t n_buf;     /* bytes in buf */
    uint64_t total;   /* bytes hashed */
} xxh64;

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t xround(uint64_t acc, uint64_t in) { return rotl64(acc + in * P2, 31) * P1; }
static inline uint64_t xmerge(uint64_t acc, uint64_t v) { return (acc ^ xround(0, v)) * P1 + P4; }

static void xxh_init(xxh64 *x) {
    x->v[0] = P1 + P2;
    x->v[1] = P2;
    x->v[2] = 0;
    x->v[3] = -P1;
    x->n_buf = 0;
    x->total = 0;
}

static void xxh_stripes(xxh64 *x, const uint8_t *p, size_t n_stripes) {
    uint64_t a = x->v[0], b = x->v[1], c = x->v[2], d = x->v[3];
    for (size_t i = 0; i < n_stripes; i++, p += 32) {
        a = xround(a, rd64(p));
        b = xround(b, rd64(p + 8));
        c = xround(c, rd64(p + 16));
        d = xround(d, rd64(p + 24));
    }
    x->v[0] = a, x->v[1] = b, x->v[2] = c, x->v[3] = d;
}

static void xxh_update(xxh64 *x, const void *data, size_t len) {
    const uint8_t *p = data;
    x->total += len;
    if (x->n_buf) {
        size_t take = 32 - x->n_buf < len ? 32 - x->n_buf : len;
        memcpy(x->buf + x->n_buf, p, take);
        x->n_buf += take;
        p += take;
        len -= take;
        if (x->n_buf < 32) return;
        xxh_stripes(x, x->buf, 1);
        x->n_buf = 0;
    }
    xxh_stripes(x, p, len / 32);
    p += len / 32 * 32;
    len %= 32;
    memcpy(x->buf, p, len);
    x->n_buf = len;
}

static uint64_t xxh_final(const xxh64 *x) {
    uint64_t h;
    if (x->total >= 32) {
        h = rotl64(x->v[0], 1) + rotl64(x->v[1], 7) + rotl64(x->v[2], 12) + rotl64(x->v[3], 18);
        for (int i = 0; i < 4; i++) h = xmerge(h, x->v[i]);
    } else {
        h = x->v[2] + P5;
    }
    h += x->total;
    const uint8_t *p = x->buf;
    size_t n = x->n_buf;
    for (; n >= 8; n -= 8, p += 8) h = rotl64(h ^ xround(0, rd64(p)), 27) * P1 + P4;
    if (n >= 4) {
        h = rotl64(h ^ ((uint64_t)rd32(p) * P1), 23) * P2 + P3;
        n -= 4;
        p += 4;
    }
    for (; n > 0; n--, p++) h = rotl64(h ^ (*p * P5), 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

uint64_t hnsw_hash64(const void *data, size_t len) {
    xxh64 x;
    xxh_init(&x);
    xxh_update(&x, data, len);
    return xxh_final(&x);
}

/* ---- saving ---- */

typedef struct writer {
    int fd;
    uint8_t *buf;    /* WRITE_BUF bytes */
    size_t n;        /* bytes in buf */
    xxh64 hash;
    int failed;      /* errno of the first failed write, 0 if none */
} writer;

static void w_flush(writer *w) {
    size_t off = 0;
    while (off < w->n && !w->failed) {
        ssize_t r = write(w->fd, w->buf + off, w->n - off);
        if (r < 0) {
            if (errno == EINTR) continue;
            w->failed = errno ? errno : EIO;
        } else {
            off += (size_t)r;
        }
    }
    w->n = 0;
}

static void w_put(writer *w, const void *data, size_t len) {
    const uint8_t *p = data;
    xxh_update(&w->hash, data, len);
    while (len) {
        size_t take = WRITE_BUF - w->n < len ? WRITE_BUF - w->n : len;
        memcpy(w->buf + w->n, p, take);
        w->n += take;
        p += take;
        len -= take;
        if (w->n == WRITE_BUF) w_flush(w);
    }
}

static void w_u32(writer *w, uint32_t v) { w_put(w, &v, 4); }
static void w_u64(writer *w, uint64_t v) { w_put(w, &v, 8); }
static void w_f32(writer *w, float v) { w_put(w, &v, 4); }

/* write_index: the whole file after the header's fields are known (write_mu held). */
static void write_index(writer *w, const hnsw *h, uint64_t seq) {
    uint32_t ns = atomic_load(&h->n_slots);
    uint64_t e = atomic_load(&h->entry), upper_words = 0;
    for (uint32_t s = 0; s < ns; s++) {
        uint32_t meta = hnsw_meta(h, s);
        if (meta & HNSW_META_USED) upper_words += (uint64_t)(meta & HNSW_META_LEVEL) * (uint64_t)(1 + h->m);
    }
    w_put(w, FILE_MAGIC, 8);
    w_u32(w, FILE_VERSION);
    w_u32(w, HEADER_SIZE);
    w_u32(w, h->dim);
    w_u32(w, (uint32_t)h->metric);
    w_u32(w, (uint32_t)h->m);
    w_u32(w, (uint32_t)h->p.ef_construct);
    w_u32(w, (uint32_t)h->p.quant);
    w_f32(w, h->p.quantile);
    w_u64(w, h->p.seed);
    w_u64(w, seq);
    w_u32(w, ns);
    w_u32(w, atomic_load(&h->n_live));
    w_u32(w, atomic_load(&h->n_deleted));
    w_u32(w, e == HNSW_ENTRY_NONE ? UINT32_MAX : (uint32_t)e);
    w_u32(w, e == HNSW_ENTRY_NONE ? 0 : (uint32_t)(e >> 32));
    w_u32(w, 0);
    w_u64(w, upper_words);
    w_u64(w, 0);
    for (uint32_t s = 0; s < ns; s++) {
        uint32_t meta = hnsw_meta(h, s) & (HNSW_META_LEVEL | HNSW_META_USED | HNSW_META_DELETED);
        w_u64(w, h->labels[s]);
        w_u32(w, meta);
        w_u32(w, meta & HNSW_META_USED ? hnsw_list(h, s, 0)[0] : 0);
    }
    uint32_t zero[2 * HNSW_MAX_M + 1] = {0};
    for (uint32_t s = 0; s < ns; s++) {
        if (!(hnsw_meta(h, s) & HNSW_META_USED)) {
            w_put(w, zero, 4 * (size_t)h->m0);
            continue;
        }
        const uint32_t *l0 = hnsw_list(h, s, 0);
        w_put(w, l0 + 1, 4 * (size_t)l0[0]);
        w_put(w, zero, 4 * ((size_t)h->m0 - l0[0]));
    }
    for (uint32_t s = 0; s < ns; s++) {
        uint32_t meta = hnsw_meta(h, s);
        if (!(meta & HNSW_META_USED)) continue;
        for (int l = 1; l <= (int)(meta & HNSW_META_LEVEL); l++) {
            const uint32_t *ul = hnsw_list(h, s, l);
            w_put(w, ul, 4 * (1 + (size_t)ul[0]));
            w_put(w, zero, 4 * ((size_t)h->m - ul[0]));
        }
    }
    if (h->is_q8) {
        w_put(w, h->q.offset, 4 * (size_t)h->dim);
        w_put(w, h->q.scale, 4 * (size_t)h->dim);
        w_u64(w, h->q_rows);
    }
    for (uint32_t s = 0; s < ns; s++) {
        if (hnsw_meta(h, s) & HNSW_META_USED) w_put(w, hnsw_float_vec(h, s), 4 * (size_t)h->dim);
        else
            for (uint32_t i = 0; i < h->dim; i += 2 * HNSW_MAX_M + 1)
                w_put(w, zero, 4 * (size_t)(h->dim - i < 2 * HNSW_MAX_M + 1 ? h->dim - i : 2 * HNSW_MAX_M + 1));
    }
}

int hnsw_save(hnsw *h, const char *path, uint64_t seq, vt_error *err) {
    size_t plen = strlen(path);
    char *tmp = vt_malloc(plen + 5), *dir = vt_malloc(plen + 1);
    uint8_t *buf = vt_malloc(WRITE_BUF);
    if (!tmp || !dir || !buf) {
        vt_free(tmp);
        vt_free(dir);
        vt_free(buf);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory saving the index", path);
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    memcpy(dir, path, plen + 1);
    int rc = VT_OK;
    writer w = {.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), .buf = buf};
    if (w.fd < 0) {
        rc = vt_fail(err, VT_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    xxh_init(&w.hash);
    pthread_mutex_lock(&h->write_mu);
    write_index(&w, h, seq);
    pthread_mutex_unlock(&h->write_mu);
    uint64_t sum = xxh_final(&w.hash);
    memcpy(w.buf + w.n, &sum, 8); /* the buffer always has room: it is flushed when full */
    w.n += 8;
    w_flush(&w);
    if (!w.failed && fsync(w.fd) != 0) w.failed = errno;
    if (close(w.fd) != 0 && !w.failed) w.failed = errno;
    if (w.failed) {
        rc = vt_fail(err, VT_EIO, "%s: cannot write: %s", tmp, strerror(w.failed));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = vt_fail(err, VT_EIO, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0) rc = vt_fail(err, VT_EIO, "%s: cannot sync its folder: %s", path, strerror(errno));
        close(dfd);
    }
out:
    vt_free(tmp);
    vt_free(dir);
    vt_free(buf);
    return rc;
}

/* ---- loading ---- */

/* A bounds-checked reader over the file's bytes. */
typedef struct reader {
    const uint8_t *p, *end;
} reader;

static inline uint32_t r_u32(reader *r) { uint32_t v = rd32(r->p); r->p += 4; return v; }
static inline uint64_t r_u64(reader *r) { uint64_t v = rd64(r->p); r->p += 8; return v; }
static inline float r_f32(reader *r) { float v; memcpy(&v, r->p, 4); r->p += 4; return v; }

#define CORRUPT(...) vt_fail(err, VT_ECORRUPT, __VA_ARGS__)

int hnsw_load_mem(const uint8_t *data, size_t len, const char *name, const hnsw_params *expect,
                  int verify_checksum, hnsw **out, uint64_t *seq_out, vt_error *err) {
    *out = NULL;
    if (len < HEADER_SIZE + 8) return CORRUPT("%s: %zu bytes, too short for an index file", name, len);
    if (memcmp(data, FILE_MAGIC, 8) != 0) return CORRUPT("%s: not a vitrine index file (bad magic)", name);
    if (verify_checksum && hnsw_hash64(data, len - 8) != rd64(data + len - 8))
        return CORRUPT("%s: checksum mismatch (truncated or damaged)", name);
    reader r = {data + 8, data + len - 8};
    uint32_t version = r_u32(&r), hsize = r_u32(&r);
    if (version != FILE_VERSION) return CORRUPT("%s: unsupported version %u", name, version);
    if (hsize != HEADER_SIZE) return CORRUPT("%s: header size %u, expected %u", name, hsize, HEADER_SIZE);
    hnsw_params p = expect ? *expect : hnsw_params_default();
    p.dim = r_u32(&r);
    p.metric = (int)r_u32(&r);
    p.m = (int)r_u32(&r);
    uint32_t efc = r_u32(&r);
    p.quant = (int)r_u32(&r);
    p.quantile = r_f32(&r);
    p.seed = r_u64(&r);
    uint64_t seq = r_u64(&r);
    uint32_t ns = r_u32(&r), n_live = r_u32(&r), n_deleted = r_u32(&r), entry = r_u32(&r), top = r_u32(&r);
    r.p += 4;
    uint64_t upper_words = r_u64(&r);
    r.p += 8;
    if (!expect || p.ef_construct <= 0) p.ef_construct = (int)(efc > HNSW_MAX_EF ? HNSW_MAX_EF : efc);
    if (p.ef_construct < p.m) p.ef_construct = p.m;
    p.capacity = 0;
    if (p.dim < 1 || p.dim > DIST_MAX_DIM || p.metric < 0 || p.metric >= DIST_N_METRICS || p.m < 2 ||
        p.m > HNSW_MAX_M || (p.quant != HNSW_QUANT_NONE && p.quant != HNSW_QUANT_INT8) ||
        (p.quant == HNSW_QUANT_INT8 && !(p.quantile > 0.5f && p.quantile <= 1.0f)))
        return CORRUPT("%s: parameters out of range (dim %u, metric %d, m %d, quant %d)", name, p.dim, p.metric, p.m,
                       p.quant);
    if (expect && (expect->dim != p.dim || expect->metric != p.metric || expect->m != p.m || expect->quant != p.quant))
        return CORRUPT("%s: mismatched parameters: file has dim %u, metric %s, m %d, quant %d; expected dim %u, "
                       "metric %s, m %d, quant %d",
                       name, p.dim, dist_metric_name(p.metric), p.m, p.quant, expect->dim,
                       dist_metric_name(expect->metric), expect->m, expect->quant);
    uint32_t max_slots = p.max_slots ? p.max_slots : HNSW_MAX_SLOTS;
    if (ns > max_slots) return CORRUPT("%s: %u slots above the limit %u", name, ns, max_slots);
    uint64_t m0 = 2 * (uint64_t)p.m;
    uint64_t want = HEADER_SIZE + 16 * (uint64_t)ns + 4 * m0 * ns + 4 * (uint64_t)p.dim * ns + 8;
    if (p.quant == HNSW_QUANT_INT8) want += 8 * (uint64_t)p.dim + 8;
    if (upper_words > (uint64_t)ns * HNSW_MAX_LEVEL * (1 + (uint64_t)p.m))
        return CORRUPT("%s: %llu upper-layer words for %u slots", name, (unsigned long long)upper_words, ns);
    want += 4 * upper_words;
    if (want != len)
        return CORRUPT("%s: %zu bytes, the header implies %llu (truncated or damaged)", name, len,
                       (unsigned long long)want);
    const uint8_t *slot_tab = data + HEADER_SIZE, *l0_tab = slot_tab + 16 * (size_t)ns;
    const uint8_t *up_tab = l0_tab + 4 * m0 * ns;
    const uint8_t *q_tab = up_tab + 4 * upper_words;
    const uint8_t *vec_tab = q_tab + (p.quant == HNSW_QUANT_INT8 ? 8 * (size_t)p.dim + 8 : 0);

    /* pass 1: the slot table alone */
    uint64_t up_count = 0;
    uint32_t live = 0, deleted = 0, max_level = 0, used = 0;
    for (uint32_t s = 0; s < ns; s++) {
        uint32_t meta = rd32(slot_tab + 16 * (size_t)s + 8), cnt = rd32(slot_tab + 16 * (size_t)s + 12);
        uint32_t level = meta & HNSW_META_LEVEL;
        if (meta & ~(HNSW_META_LEVEL | HNSW_META_USED | HNSW_META_DELETED) || level > HNSW_MAX_LEVEL)
            return CORRUPT("%s: slot %u: bad meta 0x%x", name, s, meta);
        if (!(meta & HNSW_META_USED)) {
            if (meta || cnt) return CORRUPT("%s: slot %u: an unused slot with links or flags", name, s);
            continue;
        }
        if (cnt > m0) return CORRUPT("%s: slot %u: %u links on layer 0, at most %llu", name, s, cnt, (unsigned long long)m0);
        used++;
        if (meta & HNSW_META_DELETED) deleted++;
        else live++;
        if (level > max_level) max_level = level;
        up_count += (uint64_t)level * (1 + (uint64_t)p.m);
    }
    if (live != n_live || deleted != n_deleted)
        return CORRUPT("%s: header counts %u live, %u deleted; the slots hold %u and %u", name, n_live, n_deleted,
                       live, deleted);
    if (up_count != upper_words) return CORRUPT("%s: upper-layer section size disagrees with the levels", name);
    if (used == 0 ? entry != UINT32_MAX
                  : (entry >= ns || !(rd32(slot_tab + 16 * (size_t)entry + 8) & HNSW_META_USED) ||
                     (rd32(slot_tab + 16 * (size_t)entry + 8) & HNSW_META_LEVEL) != top || top != max_level))
        return CORRUPT("%s: bad entry point %u (level %u)", name, entry, top);

    /* pass 2: links (each to a used slot whose level reaches the layer) */
#define LEVEL_OF(t) (rd32(slot_tab + 16 * (size_t)(t) + 8) & HNSW_META_LEVEL)
#define USED(t) (rd32(slot_tab + 16 * (size_t)(t) + 8) & HNSW_META_USED)
    const uint8_t *up = up_tab;
    for (uint32_t s = 0; s < ns; s++) {
        if (!USED(s)) continue;
        uint32_t cnt = rd32(slot_tab + 16 * (size_t)s + 12);
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t t = rd32(l0_tab + 4 * (m0 * s + i));
            if (t >= ns || !USED(t)) return CORRUPT("%s: slot %u: link to slot %u, which holds nothing", name, s, t);
        }
        for (uint32_t l = 1; l <= LEVEL_OF(s); l++, up += 4 * (1 + (size_t)p.m)) {
            uint32_t c = rd32(up);
            if (c > (uint32_t)p.m) return CORRUPT("%s: slot %u: %u links on layer %u, at most %d", name, s, c, l, p.m);
            for (uint32_t i = 0; i < c; i++) {
                uint32_t t = rd32(up + 4 * (1 + (size_t)i));
                if (t >= ns || !USED(t) || LEVEL_OF(t) < l)
                    return CORRUPT("%s: slot %u: layer-%u link to slot %u, which is not on that layer", name, s, l, t);
            }
        }
    }
    /* pass 3: numbers */
    if (p.quant == HNSW_QUANT_INT8)
        for (uint32_t i = 0; i < p.dim; i++) {
            float o, st;
            memcpy(&o, q_tab + 4 * (size_t)i, 4);
            memcpy(&st, q_tab + 4 * ((size_t)p.dim + i), 4);
            if (!isfinite(o) || !(st > 0.0f) || !isfinite(st))
                return CORRUPT("%s: quantisation range of dimension %u is invalid", name, i);
        }
    for (uint32_t s = 0; s < ns; s++) {
        if (!USED(s)) continue;
        const uint8_t *v = vec_tab + 4 * (size_t)p.dim * s;
        for (uint32_t i = 0; i < p.dim; i++) {
            float x;
            memcpy(&x, v + 4 * (size_t)i, 4);
            if (!isfinite(x)) return CORRUPT("%s: slot %u: value %u is not finite", name, s, i);
        }
    }

    /* build */
    hnsw *h;
    int rc = hnsw_alloc(&p, &h, err);
    if (rc) return rc == VT_EINVAL ? CORRUPT("%s: parameters rejected", name) : rc;
    if (h->path_copy) {
        h->fvec_fd = open(h->path_copy, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (h->fvec_fd < 0) {
            rc = vt_fail(err, VT_EIO, "%s: cannot create the vectors file: %s", h->path_copy, strerror(errno));
            hnsw_free(h);
            return rc;
        }
    }
    if (ns && (rc = hnsw_reserve(h, ns, err))) {
        hnsw_free(h);
        return rc;
    }
    uint32_t n_free = ns - used;
    if (n_free) {
        h->free_slots = vt_malloc((size_t)n_free * sizeof *h->free_slots);
        if (!h->free_slots) {
            hnsw_free(h);
            return vt_fail(err, VT_ENOMEM, "%s: out of memory loading the index", name);
        }
        h->free_cap = n_free;
    }
    if (p.quant == HNSW_QUANT_INT8) {
        memcpy(h->q.offset, q_tab, 4 * (size_t)p.dim);
        memcpy(h->q.scale, q_tab + 4 * (size_t)p.dim, 4 * (size_t)p.dim);
        h->q.is_trained = 1;
        h->q_rows = rd64(q_tab + 8 * (size_t)p.dim);
    }
    atomic_store(&h->n_slots, ns);
    up = up_tab;
    for (uint32_t s = 0; s < ns; s++) {
        uint32_t meta = rd32(slot_tab + 16 * (size_t)s + 8);
        if (!(meta & HNSW_META_USED)) continue;
        uint32_t level = meta & HNSW_META_LEVEL;
        if (level && !(h->upper[s] = hnsw_upper_alloc(h, (int)level))) {
            hnsw_free(h); /* slots before s have their meta: hnsw_free releases their blocks */
            return vt_fail(err, VT_ENOMEM, "%s: out of memory loading the index", name);
        }
        if (level) memcpy(h->upper[s], up, 4 * (size_t)level * (1 + (size_t)p.m));
        up += 4 * (size_t)level * (1 + (size_t)p.m);
        h->labels[s] = rd64(slot_tab + 16 * (size_t)s);
        uint32_t *hdr = hnsw_hdr(h, s);
        hdr[0] = meta;
        hdr[2] = rd32(slot_tab + 16 * (size_t)s + 12);
        memcpy(hdr + 3, l0_tab + 4 * m0 * s, 4 * m0);
        hnsw_encode_node(h, s, (const float *)(const void *)(vec_tab + 4 * (size_t)p.dim * s));
        if (!(meta & HNSW_META_DELETED)) hnsw_set_dead(h, s, 0);
    }
    for (uint32_t s = ns; s-- > 0;)
        if (!USED(s)) h->free_slots[h->n_free++] = s; /* descending: the lowest is popped first */
#undef LEVEL_OF
#undef USED
    atomic_store(&h->n_live, live);
    atomic_store(&h->n_deleted, deleted);
    atomic_store(&h->entry, used ? ((uint64_t)top << 32) | entry : HNSW_ENTRY_NONE);
    *out = h;
    if (seq_out) *seq_out = seq;
    return VT_OK;
}

int hnsw_load(const char *path, const hnsw_params *expect, hnsw **out, uint64_t *seq, vt_error *err) {
    vt_map map = {0};
    *out = NULL;
    int rc = vt_file_map(path, &map, err);
    if (rc) return rc;
    rc = hnsw_load_mem(map.data, map.len, path, expect, 1, out, seq, err);
    vt_file_unmap(&map);
    return rc;
}
