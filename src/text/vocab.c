/*
 * vocab.c — the token string → id map of a vocabulary (strmap).
 *
 * Layout: the strings are copied end to end into one arena (bytes); ent[] holds, per distinct
 * string, its offset and length in the arena, its id and its hash; slot[] is an open-addressing
 * table (linear probing, power-of-two size, at most half full) of ent indices + 1, 0 = empty.
 * Strings are byte strings (no NUL needed), compared by length then bytes. Insertion of a string
 * already present replaces its id, so the map reads like a JSON object where the last duplicate
 * key wins. Built once while loading, then only read: any number of threads may call
 * strmap_get at once.
 */
#include <string.h>

#include "base/alloc.h"
#include "text/text_int.h"

struct strmap_ent {
    size_t off;    /* offset of the string in bytes */
    uint32_t len;  /* its length */
    uint32_t hash; /* hash_bytes of it */
    int32_t id;    /* its id */
};

struct strmap {
    char *bytes;               /* the arena of strings */
    size_t bytes_len;          /* bytes used */
    size_t bytes_cap;          /* bytes allocated */
    struct strmap_ent *ent;    /* the entries, n of them */
    size_t n;                  /* distinct strings */
    size_t ent_cap;            /* capacity of ent */
    uint32_t *slot;            /* open-addressing table of ent index + 1; 0 = empty */
    size_t n_slot;             /* size of slot, a power of two */
};

/* hash_bytes: FNV-1a, folded to 32 bits. Cannot fail. */
static uint32_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return (uint32_t)(h ^ h >> 32);
}

strmap *strmap_new(size_t n) {
    strmap *m = vt_calloc(1, sizeof *m);
    if (!m) return NULL;
    size_t ns = 16;
    while (ns < 2 * n && ns < 2 * TOK_MAX_VOCAB) ns *= 2;
    m->slot = vt_calloc(ns, sizeof *m->slot);
    if (!m->slot) {
        vt_free(m);
        return NULL;
    }
    m->n_slot = ns;
    return m;
}

void strmap_free(strmap *m) {
    if (!m) return;
    vt_free(m->bytes);
    vt_free(m->ent);
    vt_free(m->slot);
    vt_free(m);
}

/* find: the slot index holding s, or the empty slot where it would go. Cannot fail (the table
 * is never full). */
static size_t find(const strmap *m, const char *s, size_t len, uint32_t h) {
    size_t mask = m->n_slot - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t e = m->slot[i];
        if (!e) return i;
        const struct strmap_ent *x = &m->ent[e - 1];
        if (x->hash == h && x->len == len && memcmp(m->bytes + x->off, s, len) == 0) return i;
    }
}

/* rehash: doubles the table. VT_OK or VT_ENOMEM (the map is unchanged). */
static int rehash(strmap *m) {
    size_t ns = m->n_slot * 2;
    uint32_t *slot = vt_calloc(ns, sizeof *slot);
    if (!slot) return VT_ENOMEM;
    for (size_t e = 0; e < m->n; e++) {
        size_t i = m->ent[e].hash & (ns - 1);
        while (slot[i]) i = (i + 1) & (ns - 1);
        slot[i] = (uint32_t)(e + 1);
    }
    vt_free(m->slot);
    m->slot = slot;
    m->n_slot = ns;
    return VT_OK;
}

int strmap_put(strmap *m, const char *s, size_t len, int32_t id) {
    if (len > UINT32_MAX) return VT_ELIMIT;
    uint32_t h = hash_bytes(s, len);
    size_t i = find(m, s, len, h);
    if (m->slot[i]) {
        m->ent[m->slot[i] - 1].id = id;
        return VT_OK;
    }
    if (m->n >= TOK_MAX_VOCAB) return VT_ELIMIT;
    int rc;
    if (m->n + 1 > m->ent_cap &&
        (rc = text_grow((void **)&m->ent, &m->ent_cap, m->n + 1, sizeof *m->ent, TOK_MAX_VOCAB)))
        return rc;
    if (m->bytes_len + len + 1 > m->bytes_cap &&
        (rc = text_grow((void **)&m->bytes, &m->bytes_cap, m->bytes_len + len + 1, 1,
                        TOK_MAX_JSON_FILE)))
        return rc;
    memcpy(m->bytes + m->bytes_len, s, len);
    m->ent[m->n] = (struct strmap_ent){.off = m->bytes_len, .len = (uint32_t)len, .hash = h,
                                       .id = id};
    m->bytes_len += len;
    m->slot[i] = (uint32_t)(m->n + 1);
    m->n++;
    if (2 * m->n >= m->n_slot && (rc = rehash(m))) return rc;
    return VT_OK;
}

int32_t strmap_get(const strmap *m, const char *s, size_t len) {
    if (len > UINT32_MAX) return -1;
    size_t i = find(m, s, len, hash_bytes(s, len));
    return m->slot[i] ? m->ent[m->slot[i] - 1].id : -1;
}

size_t strmap_count(const strmap *m) { return m->n; }

int32_t strmap_max_id(const strmap *m) {
    int32_t mx = -1;
    for (size_t e = 0; e < m->n; e++)
        if (m->ent[e].id > mx) mx = m->ent[e].id;
    return mx;
}

size_t strmap_max_len(const strmap *m) {
    size_t mx = 0;
    for (size_t e = 0; e < m->n; e++)
        if (m->ent[e].len > mx) mx = m->ent[e].len;
    return mx;
}
