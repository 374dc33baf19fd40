/*
 * payload_index_int.h — the structures behind pidx_set, private to payload_index*.c.
 *
 * Three containers, each with a reserve step that may allocate and an insert step that cannot
 * fail, so an update reserves everything first and then changes the index (all or nothing):
 *
 *   pidx_post  a set of slots, as Roaring bitmaps do it [Chambi, Lemire, Kaser, Godin,
 *              "Better bitmap performance with Roaring bitmaps", SP&E 2016]: slots are split by
 *              their high 16 bits into containers; a container holds a sorted uint16 array while
 *              it has at most 4096 members and a 65536-bit bitmap beyond (4096 x 2 bytes is the
 *              bitmap's 8 KiB, the break-even). Insert and delete cost O(log containers + 4096)
 *              whatever the list length: no quadratic behaviour on million-point postings.
 *   pidx_num   (key, slot) pairs sorted by key then slot, in blocks of PIDX_NUM_BLOCK entries
 *              under a sorted directory (a one-level B+ tree): insert/delete O(log n + block),
 *              range count O(log n + blocks), range scan O(log n + matches).
 *   pidx_map   byte-string key -> pidx_post, open addressing with linear probing and
 *              backward-shift deletion (no tombstones), load <= 0.7.
 */
#ifndef VT_DB_PAYLOAD_INDEX_INT_H
#define VT_DB_PAYLOAD_INDEX_INT_H

#include <stdint.h>

#include "db/filter_int.h"
#include "db/payload_index.h"

#define PIDX_ARR_MAX 4096   /* array container members before it becomes a bitmap (Roaring) */
#define PIDX_NUM_BLOCK 256  /* entries per numeric block: 4 KiB, a page; splits move 2 KiB */
#define PIDX_MAX_SCRATCH (16u << 20) /* bytes of one point's keys per field; past it: overflow */

typedef struct pidx_cont {
    uint16_t hi;      /* slot >> 16 for every member */
    uint16_t is_bits; /* 1: bits (1024 words), 0: arr (sorted low halves) */
    uint32_t card;    /* members */
    uint32_t cap;     /* arr capacity in entries (is_bits == 0) */
    uint16_t *arr;    /* sorted low 16 bits of the members (is_bits == 0) */
    uint64_t *bits;   /* 65536-bit bitmap (is_bits == 1) */
} pidx_cont;

typedef struct pidx_post {
    pidx_cont *c;   /* containers sorted by hi; some may be empty (reserved, unused) */
    uint32_t n;     /* containers in use */
    uint32_t cap;   /* containers allocated */
    uint64_t card;  /* members, all containers */
} pidx_post;

int pidx_post_reserve(pidx_post *p, uint32_t slot);      /* 0 or VT_ENOMEM */
int pidx_post_add(pidx_post *p, uint32_t slot);          /* after reserve; 1 if new. No alloc */
int pidx_post_remove(pidx_post *p, uint32_t slot);       /* 1 if it was there. No alloc */
int pidx_post_has(const pidx_post *p, uint32_t slot);    /* membership. No alloc */
void pidx_post_or(const pidx_post *p, uint64_t *bits, uint32_t n_words); /* bits |= p */
void pidx_post_free(pidx_post *p);                       /* releases and zeroes p */
uint64_t pidx_post_bytes(const pidx_post *p);            /* memory held */

typedef struct pidx_nent {
    int64_t key;   /* the value (integer, order-preserving double bits, or microseconds) */
    uint32_t slot; /* the point */
    uint32_t pad;  /* keeps entries 16 bytes */
} pidx_nent;

typedef struct pidx_nblk {
    uint32_t n;                     /* entries in use */
    pidx_nent e[PIDX_NUM_BLOCK];    /* sorted by (key, slot) */
} pidx_nblk;

typedef struct pidx_num {
    pidx_nblk **b;      /* blocks in key order, none empty */
    uint32_t n_b;       /* blocks in use */
    uint32_t cap_b;     /* directory capacity */
    pidx_nblk **spare;  /* reserved empty blocks */
    uint32_t n_spare;   /* spare blocks held */
    uint32_t cap_spare; /* spare array capacity */
    uint64_t n;         /* entries, all blocks */
} pidx_num;

int pidx_num_reserve(pidx_num *x, uint32_t m);                /* room for m inserts; VT_ENOMEM */
void pidx_num_insert(pidx_num *x, int64_t key, uint32_t slot); /* after reserve; no alloc */
void pidx_num_remove(pidx_num *x, int64_t key, uint32_t slot); /* no alloc; absent: ignored */
void pidx_num_free(pidx_num *x);
uint64_t pidx_num_bytes(const pidx_num *x);

/* A position in a pidx_num: block b, entry i (b == n_b: the end). */
typedef struct pidx_npos {
    uint32_t b; /* block */
    uint32_t i; /* entry in the block */
} pidx_npos;

/* pidx_num_bound: the first position whose key makes before(key, q) false (before must be
 * true then false along the order). */
pidx_npos pidx_num_bound(const pidx_num *x, int (*before)(int64_t key, const void *q),
                         const void *q);
uint64_t pidx_num_count(const pidx_num *x, pidx_npos a, pidx_npos z); /* entries in [a, z) */

typedef struct pidx_mentry {
    uint64_t hash;   /* hash of the key; 0 marks an empty cell */
    char *key;       /* key bytes (owned) */
    uint32_t len;    /* key length */
    pidx_post post;  /* slots having this value */
} pidx_mentry;

typedef struct pidx_map {
    pidx_mentry *t; /* cells; cap is a power of two */
    uint32_t cap;   /* cells */
    uint32_t n;     /* keys present */
} pidx_map;

pidx_mentry *pidx_map_get(const pidx_map *m, const char *key, uint32_t len); /* NULL if absent */
int pidx_map_ensure(pidx_map *m, const char *key, uint32_t len); /* 0 or VT_ENOMEM; may move */
void pidx_map_delete(pidx_map *m, pidx_mentry *e);             /* frees e's key and post */
void pidx_map_free(pidx_map *m);
uint64_t pidx_map_bytes(const pidx_map *m);

/* A map key of an extracted value: bytes chars[off .. off+len). */
typedef struct pidx_kref {
    uint32_t off; /* offset in pidx_vals.chars */
    uint32_t len; /* byte length */
} pidx_kref;

/* One point's extracted values for one field (sorted, distinct). */
typedef struct pidx_vals {
    char *chars;        /* map keys' bytes */
    uint32_t n_chars;   /* bytes used */
    uint32_t cap_chars; /* bytes allocated */
    pidx_kref *keys;    /* map keys (map types), sorted by bytes */
    int64_t *nums;      /* numeric keys (num types), sorted */
    uint32_t n;         /* values */
    uint32_t cap;       /* capacity of keys and nums */
    int has;            /* at least one stored value (text: a string) */
    int other;          /* a value that matters for this type's conditions but is not stored */
    int overflow;       /* values were cut at PIDX_MAX_VALUES_PER_POINT or PIDX_MAX_SCRATCH */
} pidx_vals;

typedef struct pidx_fld {
    char *key;          /* the key path as created */
    flt_path *path;     /* the parsed path; path->canon is the key conditions are matched on */
    pidx_type type;     /* index type */
    pidx_map map;       /* keyword, bool, uuid, text: value -> slots */
    pidx_num num;       /* integer, float, datetime: sorted (value, slot) */
    pidx_post has;      /* slots with a stored value */
    pidx_post other;    /* slots with a value that matters but is not stored (see extract) */
    pidx_post overflow; /* slots whose values were cut */
    uint32_t max_vals;  /* most stored values of one point ever (bounds range estimates) */
    uint64_t n_vals;    /* stored (value, slot) pairs */
} pidx_fld;

struct pidx_set {
    pidx_fld **fields;   /* in creation order */
    uint32_t n_fields;     /* fields in use */
    uint32_t cap_fields;   /* fields allocated */
    uint64_t *live;        /* bit s: slot s is live */
    uint32_t live_words;   /* words allocated in live */
    uint32_t bound;        /* one past the highest slot ever live */
    uint64_t n_live;       /* live slots */
    pidx_vals va, vb;      /* extraction scratch (writers only): new and old values */
};

/* pidx_key_double: the order-preserving int64 of a double (float index keys); -0.0 is 0.0. */
int64_t pidx_key_double(double d);
/* pidx_double_key: the inverse. */
double pidx_double_key(int64_t k);

#endif
