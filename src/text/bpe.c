/*
 * bpe.c — byte-level byte-pair encoding, exactly as the `tokenizers` BPE model
 * (models/bpe/model.rs merge_word, word.rs merge_all) with GPT-2's byte alphabet.
 *
 * The model. A vocabulary (token string → id) and an ordered list of merges "a b": merge r says
 * that the adjacent tokens a, b become the token a+b, and merges of lower rank r apply first
 * [Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword Units"]. Tokens
 * are spelled in GPT-2's byte alphabet (bytes_to_unicode: the printable bytes ! … ~, ¡ … ¬,
 * ® … ÿ stand for themselves, the other 68 bytes for U+0100 … U+0143 in order), so every byte
 * string has a spelling and there is no unknown character in a complete vocabulary.
 *
 * Encoding one word (a piece of the pre-tokenizer, as raw bytes w[0..n)):
 *  1. symbols: one per byte, the id of its alphabet character; the last byte's character gets
 *     the end-of-word suffix ("</w>" for CLIP). A character that is not in the vocabulary
 *     becomes the unknown token (consecutive ones fused into one when fuse_unk), or is dropped
 *     when the model has no unknown token; an unknown token missing from the vocabulary is an
 *     error, as in `tokenizers`.
 *  2. a min-heap of candidate merges (rank, position) holds every adjacent pair that has a
 *     merge. Pop the lowest rank, leftmost first; skip it if its left symbol was merged away, is
 *     last, or the pair there no longer yields the same new id (a stale entry); else merge the
 *     right symbol into the left one (a doubly linked list over the symbol array) and push the
 *     pairs the new symbol forms with its neighbours.
 * Each merge removes a symbol and pushes at most two candidates, so the heap never holds more
 * than 3n entries and a word costs O(n log n), with no recursion and no per-word allocation once
 * the scratch has grown to the longest word.
 *
 * The merge table maps the pair (id a, id b), packed in 64 bits, to (rank, id of a+b): open
 * addressing, linear probing, at most half full; UINT64_MAX marks an empty slot (ids are below
 * 2^31, so no real key is all ones). Built once while loading; read-only afterwards, so threads
 * may encode at once, each with its own bpe_scratch.
 */
#include <string.h>

#include "base/alloc.h"
#include "text/text_int.h"

#define EMPTY_KEY UINT64_MAX
#define UNK_NONE (-1)    /* the model has no unknown token: unknown characters are dropped */
#define UNK_MISSING (-2) /* it names one that is not in the vocabulary: error when needed */

struct merge_slot {
    uint64_t key;   /* (uint64_t)a << 32 | b, or EMPTY_KEY */
    uint32_t rank;  /* the merge's rank */
    int32_t new_id; /* the id of a+b */
};

struct bpe_model {
    strmap *vocab;              /* token → id (owned) */
    struct merge_slot *merge;   /* the merge table, n_slot slots */
    size_t n_slot;              /* a power of two */
    size_t n_merge;             /* distinct pairs in the table */
    int32_t byte_id[256];       /* id of byte b's character inside a word; -1: not a token */
    int32_t byte_end_id[256];   /* id of byte b's character + suffix (last of a word); -1 */
    int32_t unk_id;             /* the unknown token's id, UNK_NONE or UNK_MISSING */
    char *unk;                  /* its text, for errors (owned; NULL for none) */
    int fuse_unk;               /* 1: consecutive unknown characters make one unk */
    char *name;                 /* the input, for errors (owned) */
};

struct bpe_sym {
    int32_t id;     /* the token */
    int32_t prev;   /* previous live symbol, -1 for none */
    int32_t next;   /* next live symbol, -1 for none */
    int32_t is_gone; /* merged into its left neighbour */
};

struct bpe_merge {
    uint32_t rank;  /* rank of the merge: lower first */
    uint32_t pos;   /* index of the left symbol: lower first among equal ranks */
    int32_t new_id; /* the id the pair becomes */
};

/* byte_char: GPT-2's bytes_to_unicode: the code point that spells byte b. Cannot fail. */
static int32_t byte_char(int b) {
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return b;
    int n = 0; /* the others, in byte order, get 256, 257, … */
    for (int c = 0; c < b; c++)
        if (!((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))) n++;
    return 256 + n;
}

/* mix64: splitmix64's finalizer, the hash of a merge key. Cannot fail. */
static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ x >> 31;
}

/* merge_find: the slot of key, or the empty slot where it would go. Cannot fail. */
static size_t merge_find(const struct merge_slot *t, size_t n_slot, uint64_t key) {
    size_t mask = n_slot - 1;
    size_t i = (size_t)mix64(key) & mask;
    while (t[i].key != EMPTY_KEY && t[i].key != key) i = (i + 1) & mask;
    return i;
}

/* merge_get: the merge of the pair (a, b), or NULL. Cannot fail. */
static const struct merge_slot *merge_get(const bpe_model *m, int32_t a, int32_t b) {
    if (!m->n_merge) return NULL;
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    size_t i = merge_find(m->merge, m->n_slot, key);
    return m->merge[i].key == key ? &m->merge[i] : NULL;
}

/* alloc_table: an all-empty table of n slots; NULL on ENOMEM. */
static struct merge_slot *alloc_table(size_t n) {
    struct merge_slot *t = vt_malloc(n * sizeof *t);
    if (t)
        for (size_t i = 0; i < n; i++) t[i].key = EMPTY_KEY;
    return t;
}

int bpe_new(strmap *vocab, const char *suffix, const char *unk, int fuse_unk, const char *name,
            bpe_model **out, vt_error *err) {
    *out = NULL;
    bpe_model *m = vt_calloc(1, sizeof *m);
    if (!m) {
        strmap_free(vocab);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory", name);
    }
    m->vocab = vocab;
    m->fuse_unk = fuse_unk;
    m->n_slot = 1024;
    m->merge = alloc_table(m->n_slot);
    m->name = vt_strdup(name);
    m->unk = unk ? vt_strdup(unk) : NULL;
    if (!m->merge || !m->name || (unk && !m->unk)) {
        bpe_free(m);
        return vt_fail(err, VT_ENOMEM, "%s: out of memory", name);
    }
    size_t suf_len = suffix ? strlen(suffix) : 0;
    for (int b = 0; b < 256; b++) {
        char s[4 + 64];
        size_t k = text_utf8_put((uint8_t *)s, byte_char(b));
        m->byte_id[b] = strmap_get(vocab, s, k);
        if (suf_len <= 64) {
            memcpy(s + k, suffix, suf_len);
            m->byte_end_id[b] = strmap_get(vocab, s, k + suf_len);
        } else {
            m->byte_end_id[b] = -1;
        }
    }
    m->unk_id = UNK_NONE;
    if (unk) {
        int32_t id = strmap_get(vocab, unk, strlen(unk));
        m->unk_id = id >= 0 ? id : UNK_MISSING;
    }
    *out = m;
    return VT_OK;
}

void bpe_free(bpe_model *m) {
    if (!m) return;
    strmap_free(m->vocab);
    vt_free(m->merge);
    vt_free(m->unk);
    vt_free(m->name);
    vt_free(m);
}

const strmap *bpe_vocab(const bpe_model *m) { return m->vocab; }

int bpe_add_merge(bpe_model *m, const char *a, size_t a_len, const char *b, size_t b_len,
                  uint32_t rank, const char *where, size_t index, vt_error *err) {
    int32_t a_id = strmap_get(m->vocab, a, a_len);
    int32_t b_id = strmap_get(m->vocab, b, b_len);
    if (a_id < 0 || b_id < 0) {
        const char *t = a_id < 0 ? a : b;
        size_t tl = a_id < 0 ? a_len : b_len;
        return vt_fail(err, VT_ECORRUPT, "%s: %s %zu: merge token \"%.*s\" is not in the vocabulary",
                       m->name, where, index, (int)(tl > 80 ? 80 : tl), t);
    }
    if (a_len > TOK_MAX_JSON_FILE || b_len > TOK_MAX_JSON_FILE)
        return vt_fail(err, VT_ELIMIT, "%s: %s %zu: merge token too long", m->name, where, index);
    char small[256];
    char *ab = a_len + b_len <= sizeof small ? small : vt_malloc(a_len + b_len);
    if (!ab) return vt_fail(err, VT_ENOMEM, "%s: out of memory", m->name);
    memcpy(ab, a, a_len);
    memcpy(ab + a_len, b, b_len);
    int32_t new_id = strmap_get(m->vocab, ab, a_len + b_len);
    if (new_id < 0) {
        int rc = vt_fail(err, VT_ECORRUPT,
                         "%s: %s %zu: merged token \"%.*s\" is not in the vocabulary", m->name, where, index,
                         (int)(a_len + b_len > 80 ? 80 : a_len + b_len), ab);
        if (ab != small) vt_free(ab);
        return rc;
    }
    if (ab != small) vt_free(ab);

    uint64_t key = (uint64_t)(uint32_t)a_id << 32 | (uint32_t)b_id;
    size_t i = merge_find(m->merge, m->n_slot, key);
    if (m->merge[i].key == EMPTY_KEY) {
        if (m->n_merge >= TOK_MAX_MERGES)
            return vt_fail(err, VT_ELIMIT, "%s: more than %zu merges", m->name,
                           (size_t)TOK_MAX_MERGES);
        if (2 * (m->n_merge + 1) > m->n_slot) {
            size_t ns = m->n_slot * 2;
            struct merge_slot *t = alloc_table(ns);
            if (!t) return vt_fail(err, VT_ENOMEM, "%s: out of memory", m->name);
            for (size_t j = 0; j < m->n_slot; j++)
                if (m->merge[j].key != EMPTY_KEY) t[merge_find(t, ns, m->merge[j].key)] = m->merge[j];
            vt_free(m->merge);
            m->merge = t;
            m->n_slot = ns;
            i = merge_find(m->merge, m->n_slot, key);
        }
        m->n_merge++;
    }
    m->merge[i] = (struct merge_slot){.key = key, .rank = rank, .new_id = new_id};
    return VT_OK;
}

void bpe_scratch_fini(bpe_scratch *s) {
    vt_free(s->sym);
    vt_free(s->heap);
    s->sym = s->heap = NULL;
    s->sym_cap = s->heap_cap = 0;
}

/* merge_less: the heap order, (rank, pos) ascending — the order of `tokenizers`' Merge. */
static int merge_less(const struct bpe_merge *x, const struct bpe_merge *y) {
    return x->rank != y->rank ? x->rank < y->rank : x->pos < y->pos;
}

/* heap_push: adds v to the binary min-heap h of *n entries (the caller guarantees room). */
static void heap_push(struct bpe_merge *h, size_t *n, struct bpe_merge v) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!merge_less(&v, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

/* heap_pop: removes and returns the least entry of h (*n >= 1). */
static struct bpe_merge heap_pop(struct bpe_merge *h, size_t *n) {
    struct bpe_merge top = h[0], v = h[--*n];
    size_t i = 0, len = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= len) break;
        if (c + 1 < len && merge_less(&h[c + 1], &h[c])) c++;
        if (!merge_less(&h[c], &v)) break;
        h[i] = h[c];
        i = c;
    }
    if (len) h[i] = v;
    return top;
}

/* push_pair: queues the merge of symbols l and r (l's right neighbour), if there is one. The
 * heap has room: see the bound in the essay. */
static void push_pair(const bpe_model *m, const struct bpe_sym *sym, int32_t l, int32_t r,
                      struct bpe_merge *h, size_t *n_heap) {
    const struct merge_slot *ms = merge_get(m, sym[l].id, sym[r].id);
    if (ms) heap_push(h, n_heap, (struct bpe_merge){.rank = ms->rank, .pos = (uint32_t)l,
                                                    .new_id = ms->new_id});
}

int bpe_encode_word(const bpe_model *m, const uint8_t *w, size_t n, bpe_scratch *s, tok_ids *ids,
                    vt_error *err) {
    int rc;
    if (n > s->sym_cap &&
        (rc = text_grow(&s->sym, &s->sym_cap, n, sizeof(struct bpe_sym), TOK_MAX_WORK)))
        return vt_fail(err, rc, "tokenizer: a word of %zu bytes is too long", n);
    if (3 * n > s->heap_cap &&
        (rc = text_grow(&s->heap, &s->heap_cap, 3 * n, sizeof(struct bpe_merge), 3 * TOK_MAX_WORK)))
        return vt_fail(err, rc, "tokenizer: a word of %zu bytes is too long", n);
    struct bpe_sym *sym = s->sym;
    struct bpe_merge *heap = s->heap;

    /* 1. one symbol per byte */
    int32_t k = 0;
    int last_is_unk = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = i + 1 == n ? m->byte_end_id[w[i]] : m->byte_id[w[i]];
        if (id < 0) {
            if (m->unk_id == UNK_NONE) continue;
            if (m->unk_id == UNK_MISSING)
                return vt_fail(err, VT_ECORRUPT, "%s: the unknown token \"%s\" is not in the vocabulary",
                               m->name, m->unk);
            if (m->fuse_unk && last_is_unk) continue;
            id = m->unk_id;
            last_is_unk = 1;
        } else {
            last_is_unk = 0;
        }
        sym[k] = (struct bpe_sym){.id = id, .prev = k - 1, .next = -1, .is_gone = 0};
        if (k > 0) sym[k - 1].next = k;
        k++;
    }

    /* 2. merge, lowest rank first, leftmost first */
    size_t n_heap = 0;
    for (int32_t i = 0; i + 1 < k; i++) push_pair(m, sym, i, i + 1, heap, &n_heap);
    while (n_heap) {
        struct bpe_merge top = heap_pop(heap, &n_heap);
        struct bpe_sym *l = &sym[top.pos];
        if (l->is_gone || l->next < 0) continue;
        int32_t r = l->next;
        const struct merge_slot *ms = merge_get(m, l->id, sym[r].id);
        if (!ms || ms->new_id != top.new_id) continue; /* stale */
        l->id = top.new_id;
        sym[r].is_gone = 1;
        l->next = sym[r].next;
        if (l->next >= 0) sym[l->next].prev = (int32_t)top.pos;
        if (l->prev >= 0) push_pair(m, sym, l->prev, (int32_t)top.pos, heap, &n_heap);
        if (l->next >= 0) push_pair(m, sym, (int32_t)top.pos, l->next, heap, &n_heap);
    }

    /* 3. the live symbols, left to right (symbol 0 is never merged away) */
    for (int32_t i = k > 0 ? 0 : -1; i >= 0; i = sym[i].next)
        if ((rc = tok_ids_push(ids, sym[i].id, err))) return rc;
    return VT_OK;
}
