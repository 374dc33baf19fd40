/*
 * payload_index_query.c — answering filters from the payload indexes: cardinality estimates
 * (pidx_estimate) and matching slot sets (pidx_select).
 *
 * Selection keeps, for every node of the filter, two sets over live slots: S (slots that surely
 * match) and U (slots that may match; S ⊆ U, everything outside U surely fails). A condition an
 * index answers exactly gives S = U; one no index answers gives S = ∅, U = live. They combine
 * by the three-valued logic the clauses need:
 *     must:      S = ∩ S_i,        U = ∩ U_i
 *     should:    S = ∪ S_i,        U = ∪ U_i        (an empty should: S = U = ∅)
 *     must_not:  S = live \ U_i,   U = live \ S_i   (then combined as must)
 *     min_should k: S = slots in >= k of the S_i, U = slots in >= k of the U_i
 * The result hands out S as `sure` and U \ S as `maybe` (flt_match decides those). Which
 * conditions each index type answers, and how "other" / "overflow" slots (payload_index.c) turn
 * into maybe or sure, is written at each case below.
 *
 * Estimates follow Qdrant's CardinalityEstimation (lib/segment/src/index/query_estimator.rs):
 * a leaf gets {min, exp, max} from posting sizes and range counts (unindexed: {0, n/2, n});
 * must combines as min = max(0, Σmin - (k-1)·n), max = min of max, exp = n·Π(exp_i/n); should
 * as min = max of min, max = min(n, Σmax), exp = n·(1 - Π(1 - exp_i/n)); must_not inverts
 * {n-max, n-exp, n-min} then combines as must. min_should k of m: max = min(n, Σmax / k)
 * (each match uses k condition hits), min = n - Σ(n - min_i) / (m - k + 1) (each non-match
 * misses m - k + 1 conditions). Every bound holds for any data, so min <= true <= max always.
 *
 * Memory: pidx_select allocates four bitsets of n_bits per clause level being evaluated (depth
 * <= FLT_MAX_DEPTH) and two uint16 counter arrays for a min_should; pidx_estimate allocates
 * nothing. Both only read the set.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "db/payload_index_int.h"

typedef struct qctx {
    const pidx_set *s;   /* the indexes */
    const flt_filter *f; /* the filter */
    const pidx_ctx *ctx; /* id lookup, may be NULL */
    uint32_t nw;         /* words per bitset */
    uint64_t n;          /* live slots */
} qctx;

/* field_for: the field indexing path p, or NULL. */
static const pidx_fld *field_for(const pidx_set *s, const flt_path *p) {
    for (uint32_t i = 0; i < s->n_fields; i++)
        if (!strcmp(s->fields[i]->path->canon, p->canon)) return s->fields[i];
    return NULL;
}

/* is_pure: the field node has exactly one of match / range and nothing else. */
static int is_pure(const flt_node *n) {
    return ((n->match != FLT_M_NONE) != (n->range != FLT_R_NONE)) && !n->has_vc &&
           n->is_empty < 0 && n->is_null < 0;
}

/* ---- numeric ranges ---- */

enum { NQ_INT = 0, NQ_DBL_OF_INT = 1, NQ_DBL_OF_KEY = 2 };

typedef struct nq {
    int mode;     /* how keys compare with the bounds: NQ_* */
    uint8_t fl;   /* FLT_B_* */
    double d[4];  /* bounds for double modes */
    int64_t i[4]; /* bounds for NQ_INT */
} nq;

static double kval(const nq *q, int64_t k) {
    return q->mode == NQ_DBL_OF_INT ? (double)k : pidx_double_key(k);
}

static int before_lo(int64_t k, const void *q_) {
    const nq *q = q_;
    if (q->mode == NQ_INT)
        return ((q->fl & FLT_B_GT) && !(k > q->i[0])) || ((q->fl & FLT_B_GTE) && !(k >= q->i[1]));
    double v = kval(q, k);
    return ((q->fl & FLT_B_GT) && !(v > q->d[0])) || ((q->fl & FLT_B_GTE) && !(v >= q->d[1]));
}

static int within_hi(int64_t k, const void *q_) {
    const nq *q = q_;
    if (q->mode == NQ_INT)
        return (!(q->fl & FLT_B_LT) || k < q->i[2]) && (!(q->fl & FLT_B_LTE) || k <= q->i[3]);
    double v = kval(q, k);
    return (!(q->fl & FLT_B_LT) || v < q->d[2]) && (!(q->fl & FLT_B_LTE) || v <= q->d[3]);
}

static nq nq_eq(int64_t v) {
    nq q = {NQ_INT, FLT_B_GTE | FLT_B_LTE, {0}, {0, v, 0, v}};
    return q;
}

/* nq_of: the query for a range node on field f; 0 if the pair is not answerable. */
static int nq_of(const pidx_fld *f, const flt_node *n, nq *q) {
    memset(q, 0, sizeof *q);
    q->fl = n->rflags;
    if (n->range == FLT_R_DATETIME && f->type == PIDX_DATETIME) {
        q->mode = NQ_INT;
        memcpy(q->i, n->rd, sizeof q->i);
        return 1;
    }
    if (n->range == FLT_R_FLOAT && (f->type == PIDX_INTEGER || f->type == PIDX_FLOAT)) {
        q->mode = f->type == PIDX_INTEGER ? NQ_DBL_OF_INT : NQ_DBL_OF_KEY;
        memcpy(q->d, n->rf, sizeof q->d);
        return 1;
    }
    return 0;
}

static void nq_range(const pidx_num *x, const nq *q, pidx_npos *a, pidx_npos *z) {
    *a = pidx_num_bound(x, before_lo, q);
    *z = pidx_num_bound(x, within_hi, q);
}

static void set_range(const pidx_num *x, pidx_npos a, pidx_npos z, uint64_t *S) {
    for (uint32_t b = a.b; b < x->n_b && b <= z.b; b++) {
        uint32_t i0 = b == a.b ? a.i : 0, i1 = b == z.b ? z.i : x->b[b]->n;
        for (uint32_t i = i0; i < i1; i++) {
            uint32_t s = x->b[b]->e[i].slot;
            S[s >> 6] |= 1ull << (s & 63);
        }
    }
}

static uint64_t count_q(const pidx_num *x, const nq *q) {
    pidx_npos a, z;
    nq_range(x, q, &a, &z);
    return pidx_num_count(x, a, z);
}

/* ---- helpers on keys ---- */

static const pidx_post *post_of(const pidx_fld *f, const char *k, uint32_t len) {
    pidx_mentry *e = pidx_map_get(&f->map, k, len);
    return e ? &e->post : NULL;
}

static uint64_t card_of(const pidx_fld *f, const char *k, uint32_t len) {
    const pidx_post *p = post_of(f, k, len);
    return p ? p->card : 0;
}

static void uuid_text(const char *u, char out[37]) {
    static const char hx[] = "0123456789abcdef";
    int j = 0;
    for (int b = 0; b < 16; b++) {
        if (b == 4 || b == 6 || b == 8 || b == 10) out[j++] = '-';
        out[j++] = hx[(uint8_t)u[b] >> 4];
        out[j++] = hx[(uint8_t)u[b] & 15];
    }
    out[36] = 0;
}

/* entry_in_list: whether map entry e's value is in the node's string list (uuid keys compared
 * as their canonical text). */
static int entry_in_list(const qctx *q, const pidx_fld *f, const flt_node *n, const pidx_mentry *e) {
    const flt_str *l = flt_strs(q->f, n->list_at);
    if (f->type == PIDX_UUID) {
        char t[37];
        uuid_text(e->key, t);
        return flt_str_in(l, n->n_list, t, 36);
    }
    return flt_str_in(l, n->n_list, e->key, e->len);
}

/* ---- selection ---- */

static void set_all(uint64_t *d, const pidx_set *s, uint32_t nw) {
    if (nw) memcpy(d, s->live, (size_t)nw * 8);
}

/* leaf_field: S and U (zeroed by the caller) for a field condition; 0 if no index answers. */
static int leaf_field(const qctx *q, const flt_node *n, uint64_t *S, uint64_t *U) {
    const pidx_fld *f = field_for(q->s, n->path);
    if (!f || !is_pure(n)) return 0;
    const flt_str *l = flt_strs(q->f, n->list_at);
    int other_maybe = 0, other_sure = 0;
    switch (f->type) {
    case PIDX_KEYWORD:
        /* non-strings never equal a string; every non-null non-string matches except */
        if (n->match == FLT_M_STR) {
            const pidx_post *p = post_of(f, n->str.s, n->str.len);
            if (p) pidx_post_or(p, S, q->nw);
        } else if (n->match == FLT_M_ANY_STR) {
            for (uint32_t i = 0; i < n->n_list; i++) {
                const pidx_post *p = post_of(f, l[i].s, l[i].len);
                if (p) pidx_post_or(p, S, q->nw);
            }
        } else if (n->match == FLT_M_EXCEPT_STR) {
            for (uint32_t c = 0; c < f->map.cap; c++) {
                const pidx_mentry *e = &f->map.t[c];
                if (e->hash && !entry_in_list(q, f, n, e)) pidx_post_or(&e->post, S, q->nw);
            }
            other_sure = 1;
        } else {
            return 0;
        }
        break;
    case PIDX_BOOL:
        if (n->match != FLT_M_BOOL) return 0;
        {
            const pidx_post *p = post_of(f, n->i64 ? "1" : "0", 1);
            if (p) pidx_post_or(p, S, q->nw);
        }
        break;
    case PIDX_UUID:
        /* only canonical UUID strings are stored; a query string in another spelling can only
         * equal an unstored string: those slots are in other */
        if (n->match == FLT_M_STR || n->match == FLT_M_ANY_STR) {
            const flt_str *items = n->match == FLT_M_STR ? &n->str : l;
            uint32_t m = n->match == FLT_M_STR ? 1 : n->n_list;
            for (uint32_t i = 0; i < m; i++) {
                uint8_t u[16];
                if (flt_is_canonical_uuid(items[i].s, items[i].len) &&
                    flt_parse_uuid(items[i].s, items[i].len, u)) {
                    const pidx_post *p = post_of(f, (const char *)u, 16);
                    if (p) pidx_post_or(p, S, q->nw);
                } else {
                    other_maybe = 1;
                }
            }
        } else if (n->match == FLT_M_EXCEPT_STR) {
            for (uint32_t c = 0; c < f->map.cap; c++) {
                const pidx_mentry *e = &f->map.t[c];
                if (e->hash && !entry_in_list(q, f, n, e)) pidx_post_or(&e->post, S, q->nw);
            }
            other_maybe = 1;
        } else {
            return 0;
        }
        break;
    case PIDX_TEXT:
        if (n->match == FLT_M_TEXT || n->match == FLT_M_TEXT_ANY || n->match == FLT_M_PHRASE) {
            int all = n->match != FLT_M_TEXT_ANY;
            if (n->n_list == 0) break; /* no words: nothing matches */
            for (uint32_t i = 0; i < n->n_list; i++) {
                const pidx_post *p = post_of(f, l[i].s, l[i].len);
                if (all) {
                    if (!p) {
                        memset(U, 0, (size_t)q->nw * 8);
                        memset(S, 0, (size_t)q->nw * 8);
                        goto text_done;
                    }
                    if (i == 0) {
                        pidx_post_or(p, S, q->nw);
                    } else {
                        memset(U, 0, (size_t)q->nw * 8);
                        pidx_post_or(p, U, q->nw);
                        for (uint32_t w = 0; w < q->nw; w++) S[w] &= U[w];
                    }
                } else if (p) {
                    pidx_post_or(p, S, q->nw);
                }
            }
            memset(U, 0, (size_t)q->nw * 8);
        text_done:
            if (n->match == FLT_M_PHRASE) { /* words present: a candidate, not a match */
                for (uint32_t w = 0; w < q->nw; w++) {
                    U[w] = S[w];
                    S[w] = 0;
                }
            }
        } else {
            return 0;
        }
        break;
    case PIDX_INTEGER:
        /* non-integers never equal an integer; reals may fall in a range; every non-null
         * non-integer matches except */
        if (n->match == FLT_M_INT || n->match == FLT_M_ANY_INT) {
            uint32_t m = n->match == FLT_M_INT ? 1 : n->n_list;
            for (uint32_t i = 0; i < m; i++) {
                nq e = nq_eq(n->match == FLT_M_INT ? n->i64 : q->f->ints[n->list_at + i]);
                pidx_npos a, z;
                nq_range(&f->num, &e, &a, &z);
                set_range(&f->num, a, z, S);
            }
        } else if (n->match == FLT_M_EXCEPT_INT) {
            const pidx_num *x = &f->num;
            for (uint32_t b = 0; b < x->n_b; b++)
                for (uint32_t i = 0; i < x->b[b]->n; i++)
                    if (!flt_int_in(flt_ints(q->f, n->list_at), n->n_list, x->b[b]->e[i].key)) {
                        uint32_t s = x->b[b]->e[i].slot;
                        S[s >> 6] |= 1ull << (s & 63);
                    }
            other_sure = 1;
        } else if (n->range == FLT_R_FLOAT) {
            nq r;
            nq_of(f, n, &r);
            pidx_npos a, z;
            nq_range(&f->num, &r, &a, &z);
            set_range(&f->num, a, z, S);
            other_maybe = 1;
        } else {
            return 0;
        }
        break;
    case PIDX_FLOAT:
    case PIDX_DATETIME: {
        /* values that are not numbers (float) or not datetimes never satisfy the range */
        nq r;
        if (n->range == FLT_R_NONE || !nq_of(f, n, &r)) return 0;
        pidx_npos a, z;
        nq_range(&f->num, &r, &a, &z);
        set_range(&f->num, a, z, S);
        break;
    }
    }
    if (other_sure) pidx_post_or(&f->other, S, q->nw);
    for (uint32_t w = 0; w < q->nw; w++) U[w] |= S[w];
    if (other_maybe) pidx_post_or(&f->other, U, q->nw);
    pidx_post_or(&f->overflow, U, q->nw); /* cut values: anything may hold */
    return 1;
}

/* leaf: S, U for a non-clause node. */
static void leaf(const qctx *q, const flt_node *n, uint64_t *S, uint64_t *U) {
    memset(S, 0, (size_t)q->nw * 8);
    memset(U, 0, (size_t)q->nw * 8);
    if (n->kind == FLT_N_FIELD && leaf_field(q, n, S, U)) return;
    if (n->kind == FLT_N_IS_EMPTY) {
        const pidx_fld *f = field_for(q->s, n->path);
        if (f) { /* a stored value is a non-null scalar: that slot is not empty */
            set_all(U, q->s, q->nw);
            uint64_t *tmp = S; /* S is zero: borrow it */
            pidx_post_or(&f->has, tmp, q->nw);
            for (uint32_t w = 0; w < q->nw; w++) {
                U[w] &= ~tmp[w];
                tmp[w] = 0;
            }
            return;
        }
    }
    if (n->kind == FLT_N_HAS_ID && q->ctx && q->ctx->id_slot) {
        const flt_filter *f = q->f;
        for (uint32_t i = 0; i < n->n_idn + n->n_idu; i++) {
            vt_point_id id = {0};
            if (i < n->n_idn) {
                id.num = f->id_nums[n->idn_at + i];
            } else {
                id.is_uuid = 1;
                memcpy(id.uuid, f->id_uuids[n->idu_at + i - n->n_idn], 16);
            }
            uint32_t s;
            if (q->ctx->id_slot(q->ctx->user, &id, &s) && pidx_is_live(q->s, s)) {
                S[s >> 6] |= 1ull << (s & 63);
                U[s >> 6] |= 1ull << (s & 63);
            }
        }
        return;
    }
    set_all(U, q->s, q->nw); /* unknown: anything may match */
}

static int sel(const qctx *q, uint32_t idx, uint64_t *S, uint64_t *U);

/* sel_kids: applies `op` for children kids[at .. +n) into S, U. op: 0 must, 1 must_not,
 * 2 should (S, U start empty), 3 min_should with k. */
static int sel_kids(const qctx *q, uint32_t at, uint32_t n, int op, uint32_t k, uint64_t *S,
                    uint64_t *U, uint64_t *cs, uint64_t *cu) {
    uint32_t nw = q->nw;
    uint16_t *cnt_s = NULL, *cnt_u = NULL;
    if (op == 3) {
        if (k > n) {
            memset(S, 0, (size_t)nw * 8);
            memset(U, 0, (size_t)nw * 8);
            return 0;
        }
        cnt_s = vt_calloc((size_t)nw * 64, sizeof *cnt_s);
        cnt_u = vt_calloc((size_t)nw * 64, sizeof *cnt_u);
        if (!cnt_s || !cnt_u) {
            vt_free(cnt_s);
            vt_free(cnt_u);
            return VT_ENOMEM;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        int rc = sel(q, q->f->kids[at + i], cs, cu);
        if (rc) {
            vt_free(cnt_s);
            vt_free(cnt_u);
            return rc;
        }
        for (uint32_t w = 0; w < nw; w++) {
            switch (op) {
            case 0: S[w] &= cs[w]; U[w] &= cu[w]; break;
            case 1: S[w] &= ~cu[w]; U[w] &= ~cs[w]; break;
            case 2: S[w] |= cs[w]; U[w] |= cu[w]; break;
            default:
                for (uint64_t b = cs[w]; b; b &= b - 1) cnt_s[w * 64 + (uint32_t)__builtin_ctzll(b)]++;
                for (uint64_t b = cu[w]; b; b &= b - 1) cnt_u[w * 64 + (uint32_t)__builtin_ctzll(b)]++;
            }
        }
    }
    if (op == 3) {
        for (uint32_t w = 0; w < nw; w++) {
            uint64_t ms = 0, mu = 0;
            for (uint32_t b = 0; b < 64; b++) {
                ms |= (uint64_t)(cnt_s[w * 64 + b] >= k) << b;
                mu |= (uint64_t)(cnt_u[w * 64 + b] >= k) << b;
            }
            S[w] = ms;
            U[w] = mu;
        }
        vt_free(cnt_s);
        vt_free(cnt_u);
    }
    return 0;
}

static int sel(const qctx *q, uint32_t idx, uint64_t *S, uint64_t *U) {
    const flt_node *n = &q->f->nodes[idx];
    if (n->kind != FLT_N_CLAUSE) {
        leaf(q, n, S, U);
        return 0;
    }
    uint32_t nw = q->nw;
    set_all(S, q->s, nw);
    set_all(U, q->s, nw);
    if (!n->n_must && !n->n_not && !n->has_should && !n->has_min_should) return 0;
    uint64_t *buf = vt_malloc((size_t)nw * 8 * 4 + 8);
    if (!buf) return VT_ENOMEM;
    uint64_t *cs = buf, *cu = buf + nw, *gs = buf + 2 * nw, *gu = buf + 3 * nw;
    int rc = sel_kids(q, n->must_at, n->n_must, 0, 0, S, U, cs, cu);
    if (!rc) rc = sel_kids(q, n->not_at, n->n_not, 1, 0, S, U, cs, cu);
    if (!rc && n->has_should) {
        memset(gs, 0, (size_t)nw * 8);
        memset(gu, 0, (size_t)nw * 8);
        rc = sel_kids(q, n->should_at, n->n_should, 2, 0, gs, gu, cs, cu);
        for (uint32_t w = 0; !rc && w < nw; w++) {
            S[w] &= gs[w];
            U[w] &= gu[w];
        }
    }
    if (!rc && n->has_min_should) {
        rc = sel_kids(q, n->ms_at, n->n_ms, 3, n->ms_min, gs, gu, cs, cu);
        for (uint32_t w = 0; !rc && w < nw; w++) {
            S[w] &= gs[w];
            U[w] &= gu[w];
        }
    }
    vt_free(buf);
    return rc;
}

void pidx_selection_free(pidx_selection *sel) {
    if (!sel) return;
    vt_free(sel->sure);
    vt_free(sel->maybe);
    memset(sel, 0, sizeof *sel);
}

int pidx_select(const pidx_set *s, const flt_filter *f, const pidx_ctx *ctx, pidx_selection *out,
                vt_error *err) {
    memset(out, 0, sizeof *out);
    uint32_t nw = (uint32_t)(((uint64_t)s->bound + 63) / 64);
    qctx q = {s, f, ctx, nw, s->n_live};
    uint64_t *S = vt_malloc((size_t)nw * 8 + 8), *U = vt_malloc((size_t)nw * 8 + 8);
    int rc = (S && U) ? 0 : VT_ENOMEM;
    if (!rc && (!f || flt_is_empty(f))) {
        set_all(S, s, nw);
        memset(U, 0, (size_t)nw * 8);
    } else if (!rc) {
        rc = sel(&q, f->root, S, U);
        for (uint32_t w = 0; !rc && w < nw; w++) {
            S[w] &= s->live[w];
            U[w] &= s->live[w] & ~S[w];
        }
    }
    if (rc) {
        vt_free(S);
        vt_free(U);
        return vt_fail(err, VT_ENOMEM, "filter evaluation over payload indexes: out of memory");
    }
    out->sure = S;
    out->maybe = U;
    out->n_bits = s->bound;
    for (uint32_t w = 0; w < nw; w++) {
        out->n_sure += (uint64_t)__builtin_popcountll(S[w]);
        out->n_maybe += (uint64_t)__builtin_popcountll(U[w]);
    }
    return 0;
}

/* ---- estimation ---- */

static pidx_card mk(uint64_t mn, double ex, uint64_t mx, uint64_t n) {
    pidx_card c;
    if (mx > n) mx = n;
    if (mn > mx) mn = mx;
    if (!(ex >= (double)mn)) ex = (double)mn;
    if (ex > (double)mx) ex = (double)mx;
    c.min = mn;
    c.exp = (uint64_t)llround(ex);
    if (c.exp < mn) c.exp = mn;
    if (c.exp > mx) c.exp = mx;
    c.max = mx;
    return c;
}

static pidx_card unknown(uint64_t n) { return mk(0, (double)n / 2, n, n); }

static pidx_card est_field(const qctx *q, const flt_node *n) {
    const pidx_fld *f = field_for(q->s, n->path);
    uint64_t N = q->n;
    if (!f || !is_pure(n)) return unknown(N);
    const flt_str *l = flt_strs(q->f, n->list_at);
    uint64_t ov = f->overflow.card, oth = f->other.card, has = f->has.card;
    switch (f->type) {
    case PIDX_KEYWORD:
    case PIDX_UUID:
        if (n->match == FLT_M_STR || n->match == FLT_M_ANY_STR) {
            const flt_str *items = n->match == FLT_M_STR ? &n->str : l;
            uint32_t m = n->match == FLT_M_STR ? 1 : n->n_list;
            uint64_t sum = 0, mx = 0, extra = 0;
            for (uint32_t i = 0; i < m; i++) {
                uint64_t c = 0;
                uint8_t u[16];
                if (f->type == PIDX_KEYWORD)
                    c = card_of(f, items[i].s, items[i].len);
                else if (flt_is_canonical_uuid(items[i].s, items[i].len) &&
                         flt_parse_uuid(items[i].s, items[i].len, u))
                    c = card_of(f, (const char *)u, 16);
                else
                    extra = oth;
                sum += c;
                if (c > mx) mx = c;
            }
            return mk(mx, (double)(sum < N ? sum : N), sum + extra + ov, N);
        }
        if (n->match == FLT_M_EXCEPT_STR) {
            uint64_t in = 0;
            for (uint32_t i = 0; i < n->n_list; i++) {
                uint8_t u[16];
                if (f->type == PIDX_KEYWORD) in += card_of(f, l[i].s, l[i].len);
                else if (flt_is_canonical_uuid(l[i].s, l[i].len) && flt_parse_uuid(l[i].s, l[i].len, u))
                    in += card_of(f, (const char *)u, 16);
            }
            uint64_t lo = has > in ? has - in : 0;
            if (f->type == PIDX_KEYWORD && oth > lo) lo = oth;
            uint64_t hi = has + oth + ov;
            return mk(lo, ((double)lo + (double)(hi < N ? hi : N)) / 2, hi, N);
        }
        return unknown(N);
    case PIDX_BOOL:
        if (n->match != FLT_M_BOOL) return unknown(N);
        {
            uint64_t c = card_of(f, n->i64 ? "1" : "0", 1);
            return mk(c, (double)c, c + ov, N);
        }
    case PIDX_TEXT: {
        if (n->match != FLT_M_TEXT && n->match != FLT_M_TEXT_ANY && n->match != FLT_M_PHRASE)
            return unknown(N);
        if (n->n_list == 0 || N == 0) return mk(0, 0, 0, N);
        int any = n->match == FLT_M_TEXT_ANY;
        uint64_t mn = UINT64_MAX, mx = 0, sum = 0;
        double p = 1;
        for (uint32_t i = 0; i < n->n_list; i++) {
            uint64_t c = card_of(f, l[i].s, l[i].len);
            if (c < mn) mn = c;
            if (c > mx) mx = c;
            sum += c;
            p *= any ? 1 - (double)c / (double)N : (double)c / (double)N;
        }
        if (any) return mk(mx, (double)N * (1 - p), sum + ov, N);
        uint64_t lo = (n->n_list == 1 && n->match == FLT_M_TEXT) ? mn : 0;
        return mk(lo, (double)N * p, mn + ov, N);
    }
    case PIDX_INTEGER:
    case PIDX_FLOAT:
    case PIDX_DATETIME: {
        const pidx_num *x = &f->num;
        if (f->type == PIDX_INTEGER && (n->match == FLT_M_INT || n->match == FLT_M_ANY_INT)) {
            uint32_t m = n->match == FLT_M_INT ? 1 : n->n_list;
            uint64_t sum = 0, mx = 0;
            for (uint32_t i = 0; i < m; i++) {
                nq e = nq_eq(n->match == FLT_M_INT ? n->i64 : q->f->ints[n->list_at + i]);
                uint64_t c = count_q(x, &e); /* values are distinct per slot: c slots */
                sum += c;
                if (c > mx) mx = c;
            }
            return mk(mx, (double)sum, sum + ov, N);
        }
        if (f->type == PIDX_INTEGER && n->match == FLT_M_EXCEPT_INT) {
            uint64_t in = 0;
            for (uint32_t i = 0; i < n->n_list; i++) {
                nq e = nq_eq(q->f->ints[n->list_at + i]);
                in += count_q(x, &e);
            }
            uint64_t lo = has > in ? has - in : 0;
            if (oth > lo) lo = oth;
            uint64_t hi = has + oth + ov;
            return mk(lo, ((double)lo + (double)(hi < N ? hi : N)) / 2, hi, N);
        }
        nq r;
        if (n->range == FLT_R_NONE || !nq_of(f, n, &r)) return unknown(N);
        uint64_t e = count_q(x, &r);
        uint64_t hi = e < has ? e : has;
        uint64_t lo = f->max_vals ? (e + f->max_vals - 1) / f->max_vals : 0;
        double ex = f->n_vals ? (double)e * (double)has / (double)f->n_vals : 0;
        if (f->type == PIDX_INTEGER) hi += oth;
        return mk(lo, ex, hi + ov, N);
    }
    }
    return unknown(N);
}

static pidx_card est(const qctx *q, uint32_t idx);

static pidx_card est_must(pidx_card a, pidx_card b, uint64_t N) {
    uint64_t mn = a.min + b.min > N ? a.min + b.min - N : 0;
    uint64_t mx = a.max < b.max ? a.max : b.max;
    double ex = N ? (double)a.exp * (double)b.exp / (double)N : 0;
    return mk(mn, ex, mx, N);
}

static pidx_card est_clause(const qctx *q, const flt_node *n) {
    uint64_t N = q->n;
    pidx_card acc = mk(N, (double)N, N, N);
    const uint32_t *k = q->f->kids;
    for (uint32_t i = 0; i < n->n_must; i++) acc = est_must(acc, est(q, k[n->must_at + i]), N);
    for (uint32_t i = 0; i < n->n_not; i++) {
        pidx_card c = est(q, k[n->not_at + i]);
        acc = est_must(acc, mk(N - c.max, (double)(N - c.exp), N - c.min, N), N);
    }
    if (n->has_should) {
        uint64_t mn = 0, sum = 0;
        double miss = 1;
        for (uint32_t i = 0; i < n->n_should; i++) {
            pidx_card c = est(q, k[n->should_at + i]);
            if (c.min > mn) mn = c.min;
            sum += c.max;
            miss *= N ? 1 - (double)c.exp / (double)N : 1;
        }
        acc = est_must(acc, mk(mn, (double)N * (1 - miss), sum, N), N);
    }
    if (n->has_min_should) {
        uint64_t m = n->n_ms, kk = n->ms_min;
        if (kk > m) {
            acc = mk(0, 0, 0, N);
        } else {
            uint64_t sum_max = 0, sum_miss = 0;
            double sum_exp = 0;
            for (uint32_t i = 0; i < n->n_ms; i++) {
                pidx_card c = est(q, k[n->ms_at + i]);
                sum_max += c.max;
                sum_miss += N - c.min;
                sum_exp += (double)c.exp;
            }
            uint64_t mx = sum_max / kk;
            uint64_t non = sum_miss / (m - kk + 1);
            uint64_t mn = N > non ? N - non : 0;
            acc = est_must(acc, mk(mn, sum_exp / (double)kk, mx, N), N);
        }
    }
    return acc;
}

static pidx_card est(const qctx *q, uint32_t idx) {
    const flt_node *n = &q->f->nodes[idx];
    uint64_t N = q->n;
    switch (n->kind) {
    case FLT_N_CLAUSE:
        return est_clause(q, n);
    case FLT_N_FIELD:
        return est_field(q, n);
    case FLT_N_IS_EMPTY: {
        const pidx_fld *f = field_for(q->s, n->path);
        if (!f) return unknown(N);
        uint64_t hi = N - f->has.card;
        return mk(0, (double)hi / 2, hi, N);
    }
    case FLT_N_HAS_ID:
        if (q->ctx && q->ctx->id_slot) {
            uint64_t c = 0;
            for (uint32_t i = 0; i < n->n_idn + n->n_idu; i++) {
                vt_point_id id = {0};
                if (i < n->n_idn) {
                    id.num = q->f->id_nums[n->idn_at + i];
                } else {
                    id.is_uuid = 1;
                    memcpy(id.uuid, q->f->id_uuids[n->idu_at + i - n->n_idn], 16);
                }
                uint32_t s;
                c += q->ctx->id_slot(q->ctx->user, &id, &s) && pidx_is_live(q->s, s);
            }
            return mk(c, (double)c, c, N);
        }
        return mk(0, (double)(n->n_idn + n->n_idu) / 2, n->n_idn + n->n_idu, N);
    default:
        return unknown(N);
    }
}

void pidx_estimate(const pidx_set *s, const flt_filter *f, const pidx_ctx *ctx, pidx_card *out) {
    qctx q = {s, f, ctx, 0, s->n_live};
    if (!f) {
        *out = mk(s->n_live, (double)s->n_live, s->n_live, s->n_live);
        return;
    }
    *out = est(&q, f->root);
}
