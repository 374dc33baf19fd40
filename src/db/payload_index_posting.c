/*
 * payload_index_posting.c — the three containers of payload_index_int.h: Roaring-style slot
 * sets (pidx_post), blocked sorted (value, slot) arrays (pidx_num) and the value -> slots hash
 * map (pidx_map).
 *
 * Invariants:
 *   pidx_post: containers sorted by hi, distinct; an array container's arr is sorted and
 *     distinct with card <= cap <= PIDX_ARR_MAX; card sums to post.card. A container may be
 *     empty after a reservation that was not used; removing the last member frees it.
 *     A bitmap container never turns back into an array (that would allocate during a delete;
 *     the bitmap is 8 KiB at most per 65536 slots).
 *   pidx_num: blocks non-empty, each sorted, and every entry of block k sorts before every entry
 *     of block k+1. A full block is split in halves on insert, so blocks are at least ~half full
 *     except where deletes thinned them; an emptied block goes back to the spare list.
 *   pidx_map: cap a power of two (or 0), n <= 0.7 cap; a key sits in the probe run starting at
 *     hash & (cap-1) with no empty cell before it.
 *
 * Reserve/insert protocol: pidx_post_reserve(p, s) guarantees the next pidx_post_add(p, s)
 * needs no memory; pidx_num_reserve(x, m) the next m inserts; pidx_map_ensure creates the key
 * (with an empty posting) so the caller can reserve in it. Nothing here is thread-safe; the
 * set's owner serialises writers.
 */
#include <string.h>

#include "base/alloc.h"
#include "db/payload_index_int.h"

/* ---- pidx_post ---- */

/* cont_find: index of the container with hi, or -(insertion point) - 1. */
static int64_t cont_find(const pidx_post *p, uint16_t hi) {
    uint32_t lo = 0, h = p->n;
    while (lo < h) {
        uint32_t mid = lo + (h - lo) / 2;
        if (p->c[mid].hi < hi) lo = mid + 1;
        else h = mid;
    }
    if (lo < p->n && p->c[lo].hi == hi) return lo;
    return -(int64_t)lo - 1;
}

/* arr_find: position of v in a sorted array (or where it goes); *found set. */
static uint32_t arr_find(const uint16_t *a, uint32_t n, uint16_t v, int *found) {
    uint32_t lo = 0, h = n;
    while (lo < h) {
        uint32_t mid = lo + (h - lo) / 2;
        if (a[mid] < v) lo = mid + 1;
        else h = mid;
    }
    *found = lo < n && a[lo] == v;
    return lo;
}

int pidx_post_reserve(pidx_post *p, uint32_t slot) {
    uint16_t hi = (uint16_t)(slot >> 16);
    int64_t at = cont_find(p, hi);
    if (at < 0) {
        uint32_t ins = (uint32_t)(-at - 1);
        if (p->n == p->cap) {
            uint32_t nc = p->cap ? p->cap * 2 : 1;
            pidx_cont *c = vt_realloc(p->c, (size_t)nc * sizeof *c);
            if (!c) return VT_ENOMEM;
            p->c = c;
            p->cap = nc;
        }
        uint16_t *arr = vt_malloc(4 * sizeof *arr);
        if (!arr) return VT_ENOMEM;
        memmove(p->c + ins + 1, p->c + ins, (size_t)(p->n - ins) * sizeof *p->c);
        memset(&p->c[ins], 0, sizeof p->c[ins]);
        p->c[ins].hi = hi;
        p->c[ins].arr = arr;
        p->c[ins].cap = 4;
        p->n++;
        return 0;
    }
    pidx_cont *c = &p->c[at];
    if (c->is_bits || c->card < c->cap) return 0;
    if (c->card >= PIDX_ARR_MAX) {
        uint64_t *bits = vt_calloc(1024, sizeof *bits);
        if (!bits) return VT_ENOMEM;
        for (uint32_t i = 0; i < c->card; i++) bits[c->arr[i] >> 6] |= 1ull << (c->arr[i] & 63);
        vt_free(c->arr);
        c->arr = NULL;
        c->bits = bits;
        c->is_bits = 1;
        c->cap = 0;
        return 0;
    }
    uint32_t nc = c->cap * 2 > PIDX_ARR_MAX ? PIDX_ARR_MAX : c->cap * 2;
    uint16_t *arr = vt_realloc(c->arr, (size_t)nc * sizeof *arr);
    if (!arr) return VT_ENOMEM;
    c->arr = arr;
    c->cap = nc;
    return 0;
}

int pidx_post_add(pidx_post *p, uint32_t slot) {
    int64_t at = cont_find(p, (uint16_t)(slot >> 16));
    if (at < 0) return 0; /* not reserved: a caller bug; refuse rather than allocate */
    pidx_cont *c = &p->c[at];
    uint16_t lo = (uint16_t)slot;
    if (c->is_bits) {
        uint64_t m = 1ull << (lo & 63);
        if (c->bits[lo >> 6] & m) return 0;
        c->bits[lo >> 6] |= m;
    } else {
        int found;
        uint32_t i = arr_find(c->arr, c->card, lo, &found);
        if (found || c->card >= c->cap) return 0;
        memmove(c->arr + i + 1, c->arr + i, (size_t)(c->card - i) * sizeof *c->arr);
        c->arr[i] = lo;
    }
    c->card++;
    p->card++;
    return 1;
}

int pidx_post_remove(pidx_post *p, uint32_t slot) {
    int64_t at = cont_find(p, (uint16_t)(slot >> 16));
    if (at < 0) return 0;
    pidx_cont *c = &p->c[at];
    uint16_t lo = (uint16_t)slot;
    if (c->is_bits) {
        uint64_t m = 1ull << (lo & 63);
        if (!(c->bits[lo >> 6] & m)) return 0;
        c->bits[lo >> 6] &= ~m;
    } else {
        int found;
        uint32_t i = arr_find(c->arr, c->card, lo, &found);
        if (!found) return 0;
        memmove(c->arr + i, c->arr + i + 1, (size_t)(c->card - i - 1) * sizeof *c->arr);
    }
    c->card--;
    p->card--;
    if (c->card == 0) {
        vt_free(c->arr);
        vt_free(c->bits);
        memmove(p->c + at, p->c + at + 1, (size_t)(p->n - (uint32_t)at - 1) * sizeof *p->c);
        p->n--;
    }
    return 1;
}

int pidx_post_has(const pidx_post *p, uint32_t slot) {
    int64_t at = cont_find(p, (uint16_t)(slot >> 16));
    if (at < 0) return 0;
    const pidx_cont *c = &p->c[at];
    uint16_t lo = (uint16_t)slot;
    if (c->is_bits) return (c->bits[lo >> 6] >> (lo & 63)) & 1;
    int found;
    arr_find(c->arr, c->card, lo, &found);
    return found;
}

void pidx_post_or(const pidx_post *p, uint64_t *bits, uint32_t n_words) {
    for (uint32_t k = 0; k < p->n; k++) {
        const pidx_cont *c = &p->c[k];
        uint64_t base = (uint64_t)c->hi << 10; /* word index of the container's first slot */
        if (c->is_bits) {
            for (uint32_t w = 0; w < 1024 && base + w < n_words; w++) bits[base + w] |= c->bits[w];
        } else {
            for (uint32_t i = 0; i < c->card; i++) {
                uint64_t s = ((uint64_t)c->hi << 16) | c->arr[i];
                if ((s >> 6) < n_words) bits[s >> 6] |= 1ull << (s & 63);
            }
        }
    }
}

void pidx_post_free(pidx_post *p) {
    for (uint32_t k = 0; k < p->n; k++) {
        vt_free(p->c[k].arr);
        vt_free(p->c[k].bits);
    }
    vt_free(p->c);
    memset(p, 0, sizeof *p);
}

uint64_t pidx_post_bytes(const pidx_post *p) {
    uint64_t b = (uint64_t)p->cap * sizeof(pidx_cont);
    for (uint32_t k = 0; k < p->n; k++) b += p->c[k].is_bits ? 8192 : (uint64_t)p->c[k].cap * 2;
    return b;
}

/* ---- pidx_num ---- */

static int nent_less(int64_t k1, uint32_t s1, int64_t k2, uint32_t s2) {
    return k1 < k2 || (k1 == k2 && s1 < s2);
}

int pidx_num_reserve(pidx_num *x, uint32_t m) {
    uint32_t need_dir = x->n_b + m + 1, need_spare = m + 1;
    if (x->cap_b < need_dir) {
        uint32_t nc = x->cap_b ? x->cap_b : 4;
        while (nc < need_dir) nc *= 2;
        pidx_nblk **b = vt_realloc(x->b, (size_t)nc * sizeof *b);
        if (!b) return VT_ENOMEM;
        x->b = b;
        x->cap_b = nc;
    }
    if (x->cap_spare < need_spare) {
        uint32_t nc = x->cap_spare ? x->cap_spare : 4;
        while (nc < need_spare) nc *= 2;
        pidx_nblk **s = vt_realloc(x->spare, (size_t)nc * sizeof *s);
        if (!s) return VT_ENOMEM;
        x->spare = s;
        x->cap_spare = nc;
    }
    while (x->n_spare < need_spare) {
        pidx_nblk *blk = vt_malloc(sizeof *blk);
        if (!blk) return VT_ENOMEM;
        blk->n = 0;
        x->spare[x->n_spare++] = blk;
    }
    return 0;
}

/* blk_for: the block an entry (key, slot) belongs in: the last block whose first entry is not
 * after it (0 if none). n_b must be > 0. */
static uint32_t blk_for(const pidx_num *x, int64_t key, uint32_t slot) {
    uint32_t lo = 0, h = x->n_b;
    while (lo < h) {
        uint32_t mid = lo + (h - lo) / 2;
        const pidx_nent *f = &x->b[mid]->e[0];
        if (nent_less(key, slot, f->key, f->slot)) h = mid;
        else lo = mid + 1;
    }
    return lo ? lo - 1 : 0;
}

static uint32_t ent_find(const pidx_nblk *b, int64_t key, uint32_t slot) {
    uint32_t lo = 0, h = b->n;
    while (lo < h) {
        uint32_t mid = lo + (h - lo) / 2;
        if (nent_less(b->e[mid].key, b->e[mid].slot, key, slot)) lo = mid + 1;
        else h = mid;
    }
    return lo;
}

void pidx_num_insert(pidx_num *x, int64_t key, uint32_t slot) {
    if (x->n_b == 0) {
        if (!x->n_spare || !x->cap_b) return; /* not reserved: a caller bug */
        x->b[x->n_b++] = x->spare[--x->n_spare];
        x->b[0]->n = 0;
    }
    uint32_t bi = blk_for(x, key, slot);
    pidx_nblk *b = x->b[bi];
    uint32_t i = ent_find(b, key, slot);
    if (i < b->n && b->e[i].key == key && b->e[i].slot == slot) return;
    if (b->n == PIDX_NUM_BLOCK) {
        if (!x->n_spare || x->n_b >= x->cap_b) return; /* not reserved */
        pidx_nblk *nb = x->spare[--x->n_spare];
        uint32_t half = PIDX_NUM_BLOCK / 2;
        nb->n = PIDX_NUM_BLOCK - half;
        memcpy(nb->e, b->e + half, nb->n * sizeof *b->e);
        b->n = half;
        memmove(x->b + bi + 2, x->b + bi + 1, (size_t)(x->n_b - bi - 1) * sizeof *x->b);
        x->b[bi + 1] = nb;
        x->n_b++;
        if (i > half) {
            b = nb;
            i -= half;
        } else if (i == half && !nent_less(key, slot, nb->e[0].key, nb->e[0].slot)) {
            b = nb;
            i = 0;
        }
    }
    memmove(b->e + i + 1, b->e + i, (size_t)(b->n - i) * sizeof *b->e);
    b->e[i].key = key;
    b->e[i].slot = slot;
    b->e[i].pad = 0;
    b->n++;
    x->n++;
}

void pidx_num_remove(pidx_num *x, int64_t key, uint32_t slot) {
    if (x->n_b == 0) return;
    uint32_t bi = blk_for(x, key, slot);
    pidx_nblk *b = x->b[bi];
    uint32_t i = ent_find(b, key, slot);
    if (i >= b->n || b->e[i].key != key || b->e[i].slot != slot) return;
    memmove(b->e + i, b->e + i + 1, (size_t)(b->n - i - 1) * sizeof *b->e);
    b->n--;
    x->n--;
    if (b->n == 0) {
        memmove(x->b + bi, x->b + bi + 1, (size_t)(x->n_b - bi - 1) * sizeof *x->b);
        x->n_b--;
        if (x->n_spare < x->cap_spare) x->spare[x->n_spare++] = b;
        else vt_free(b);
    }
}

void pidx_num_free(pidx_num *x) {
    for (uint32_t i = 0; i < x->n_b; i++) vt_free(x->b[i]);
    for (uint32_t i = 0; i < x->n_spare; i++) vt_free(x->spare[i]);
    vt_free(x->b);
    vt_free(x->spare);
    memset(x, 0, sizeof *x);
}

uint64_t pidx_num_bytes(const pidx_num *x) {
    return (uint64_t)(x->n_b + x->n_spare) * sizeof(pidx_nblk) +
           (uint64_t)(x->cap_b + x->cap_spare) * sizeof(void *);
}

pidx_npos pidx_num_bound(const pidx_num *x, int (*before)(int64_t key, const void *q),
                         const void *q) {
    uint32_t lo = 0, h = x->n_b; /* first block whose last entry is not before */
    while (lo < h) {
        uint32_t mid = lo + (h - lo) / 2;
        const pidx_nblk *b = x->b[mid];
        if (before(b->e[b->n - 1].key, q)) lo = mid + 1;
        else h = mid;
    }
    pidx_npos p = {lo, 0};
    if (lo == x->n_b) return p;
    const pidx_nblk *b = x->b[lo];
    uint32_t a = 0, z = b->n;
    while (a < z) {
        uint32_t mid = a + (z - a) / 2;
        if (before(b->e[mid].key, q)) a = mid + 1;
        else z = mid;
    }
    p.i = a;
    return p;
}

uint64_t pidx_num_count(const pidx_num *x, pidx_npos a, pidx_npos z) {
    if (a.b > z.b || (a.b == z.b && a.i >= z.i)) return 0;
    if (a.b == z.b) return z.i - a.i;
    uint64_t c = x->b[a.b]->n - a.i;
    for (uint32_t k = a.b + 1; k < z.b && k < x->n_b; k++) c += x->b[k]->n;
    if (z.b < x->n_b) c += z.i;
    return c;
}

int64_t pidx_key_double(double d) {
    if (d == 0) d = 0; /* -0.0 and 0.0 are one key */
    int64_t k;
    memcpy(&k, &d, sizeof k);
    return k < 0 ? (int64_t)((uint64_t)k ^ 0x7fffffffffffffffull) : k;
}

double pidx_double_key(int64_t k) {
    if (k < 0) k = (int64_t)((uint64_t)k ^ 0x7fffffffffffffffull);
    double d;
    memcpy(&d, &k, sizeof d);
    return d;
}

/* ---- pidx_map ---- */

/* hash_bytes: FNV-1a with a final avalanche (splitmix64's); never 0 (0 marks empty cells). */
static uint64_t hash_bytes(const char *s, uint32_t n) {
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h ? h : 1;
}

pidx_mentry *pidx_map_get(const pidx_map *m, const char *key, uint32_t len) {
    if (!m->cap) return NULL;
    uint64_t h = hash_bytes(key, len);
    for (uint32_t i = (uint32_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        pidx_mentry *e = &m->t[i];
        if (!e->hash) return NULL;
        if (e->hash == h && e->len == len && (len == 0 || memcmp(e->key, key, len) == 0)) return e;
    }
}

static void map_place(pidx_mentry *t, uint32_t cap, const pidx_mentry *e) {
    uint32_t i = (uint32_t)e->hash & (cap - 1);
    while (t[i].hash) i = (i + 1) & (cap - 1);
    t[i] = *e;
}

int pidx_map_ensure(pidx_map *m, const char *key, uint32_t len) {
    if (pidx_map_get(m, key, len)) return 0;
    if ((uint64_t)(m->n + 1) * 10 > (uint64_t)m->cap * 7) {
        uint32_t nc = m->cap ? m->cap * 2 : 16;
        if (nc < m->cap) return VT_ENOMEM;
        pidx_mentry *t = vt_calloc(nc, sizeof *t);
        if (!t) return VT_ENOMEM;
        for (uint32_t i = 0; i < m->cap; i++)
            if (m->t[i].hash) map_place(t, nc, &m->t[i]);
        vt_free(m->t);
        m->t = t;
        m->cap = nc;
    }
    pidx_mentry e = {0};
    e.hash = hash_bytes(key, len);
    e.key = vt_malloc(len ? len : 1);
    if (!e.key) return VT_ENOMEM;
    if (len) memcpy(e.key, key, len);
    e.len = len;
    map_place(m->t, m->cap, &e);
    m->n++;
    return 0;
}

void pidx_map_delete(pidx_map *m, pidx_mentry *e) {
    uint32_t i = (uint32_t)(e - m->t), mask = m->cap - 1;
    vt_free(e->key);
    pidx_post_free(&e->post);
    memset(e, 0, sizeof *e);
    m->n--;
    /* backward-shift: pull later members of the run into the hole when their home allows */
    for (uint32_t j = (i + 1) & mask; m->t[j].hash; j = (j + 1) & mask) {
        uint32_t home = (uint32_t)m->t[j].hash & mask;
        /* move j to i if home is not in the cyclic range (i, j] */
        int in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            m->t[i] = m->t[j];
            memset(&m->t[j], 0, sizeof m->t[j]);
            i = j;
        }
    }
}

void pidx_map_free(pidx_map *m) {
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->t[i].hash) continue;
        vt_free(m->t[i].key);
        pidx_post_free(&m->t[i].post);
    }
    vt_free(m->t);
    memset(m, 0, sizeof *m);
}

uint64_t pidx_map_bytes(const pidx_map *m) {
    uint64_t b = (uint64_t)m->cap * sizeof(pidx_mentry);
    for (uint32_t i = 0; i < m->cap; i++)
        if (m->t[i].hash) b += m->t[i].len + pidx_post_bytes(&m->t[i].post);
    return b;
}
