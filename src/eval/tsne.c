/*
 * tsne.c — Barnes-Hut t-SNE (van der Maaten 2014), as in the author's bhtsne with the exact
 * nearest neighbours in place of the vantage-point tree:
 *
 *   1. Input: centred, scaled so the largest |coordinate| is 1 (bhtsne does the same; it keeps
 *      the bandwidth search in a sane range).
 *   2. Neighbours: the K = ⌊3·perplexity⌋ nearest of every point by squared Euclidean distance,
 *      found exactly (brute force, a bounded max-heap per row; rows are split across workers).
 *      For L2-normalised vectors this is the cosine order.
 *   3. P: per row, the Gaussian bandwidth β found by bisection so that the entropy of
 *      p_j|i ∝ exp(−β d²_ij) over the K neighbours is log(perplexity) (tolerance 1e-5, 200 steps);
 *      then symmetrised, P = (P + Pᵀ) / Σ, as sorted (i, j, v) triples merged into CSR rows.
 *   4. Descent: gradient ∂C/∂y_i ∝ Σ_j p_ij q_ij (y_i − y_j) − Σ_j q_ij² (y_i − y_j) / Z with
 *      q_ij = 1/(1 + |y_i − y_j|²), the attraction over the sparse P and the repulsion by the
 *      quadtree (quadtree.c, θ = 0.5). P is exaggerated ×12 for the first 250 steps with
 *      momentum 0.5, then momentum 0.8; per-coordinate gains (+0.2 on a sign change, ×0.8
 *      otherwise, floor 0.01); the map is re-centred after every step.
 *
 * Determinism: the start is N(0, 10⁻⁴) from a splitmix64 stream of the seed; workers write only
 * their own points' forces and per-point Z terms, which are summed in point order afterwards.
 */
#include "eval/tsne.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/pool.h"
#include "eval/quadtree.h"

#define CHUNK 128 /* points per pool task: small enough to balance, large enough to amortise */

ev_tsne_opts ev_tsne_opts_default(void) {
    ev_tsne_opts o = {30.0, 1000, 1, 0.5, 12.0, 250, 0.0, 0};
    return o;
}

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double gauss(uint64_t *s) {
    double u = ((splitmix64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double v = ((splitmix64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* ---- step 2 and 3: neighbours and the conditional P of each row ---- */

typedef struct knn_job {
    const float *x;      /* n × dim, centred and scaled */
    size_t n, dim, k;
    double perplexity;
    uint32_t *nbr;       /* n × k neighbour indices */
    double *p;           /* n × k conditional probabilities p_j|i */
    double *heap_d;      /* per worker: k distances */
    uint32_t *heap_i;    /* per worker: k indices */
} knn_job;

static float dist2(const float *a, const float *b, size_t dim) {
    float acc[8] = {0};
    size_t d = 0;
    for (; d + 8 <= dim; d += 8)
        for (int l = 0; l < 8; l++) {
            float t = a[d + l] - b[d + l];
            acc[l] += t * t;
        }
    for (; d < dim; d++) {
        float t = a[d] - b[d];
        acc[0] += t * t;
    }
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* heap_push: keeps the k smallest (distance, index) in a max-heap of size *m (ties: lower index). */
static void heap_push(double *hd, uint32_t *hi, size_t *m, size_t k, double d, uint32_t j) {
    size_t c;
    if (*m < k) {
        c = (*m)++;
        while (c > 0) {
            size_t par = (c - 1) / 2;
            if (hd[par] >= d) break;
            hd[c] = hd[par];
            hi[c] = hi[par];
            c = par;
        }
        hd[c] = d;
        hi[c] = j;
        return;
    }
    if (d >= hd[0]) return;
    c = 0;
    for (;;) {
        size_t l = 2 * c + 1, r = l + 1, big = c;
        double bd = d;
        if (l < k && hd[l] > bd) big = l, bd = hd[l];
        if (r < k && hd[r] > bd) big = r, bd = hd[r];
        if (big == c) break;
        hd[c] = hd[big];
        hi[c] = hi[big];
        c = big;
    }
    hd[c] = d;
    hi[c] = j;
}

static void row_p(const double *d2, size_t k, double perplexity, double *p) {
    double dmin = DBL_MAX;
    for (size_t m = 0; m < k; m++) dmin = fmin(dmin, d2[m]);
    double beta = 1, lo = -DBL_MAX, hi = DBL_MAX, target = log(perplexity);
    for (int it = 0; it < 200; it++) {
        double sum = 0, wsum = 0;
        for (size_t m = 0; m < k; m++) {
            p[m] = exp(-beta * (d2[m] - dmin));
            sum += p[m];
            wsum += (d2[m] - dmin) * p[m];
        }
        double h = log(sum) + beta * wsum / sum;
        if (fabs(h - target) < 1e-5) break;
        if (h > target) {
            lo = beta;
            beta = hi == DBL_MAX ? beta * 2 : (beta + hi) / 2;
        } else {
            hi = beta;
            beta = lo == -DBL_MAX ? beta / 2 : (beta + lo) / 2;
        }
    }
    double sum = 0;
    for (size_t m = 0; m < k; m++) sum += p[m];
    for (size_t m = 0; m < k; m++) p[m] /= sum;
}

static void knn_task(void *ctx, int task, int worker) {
    knn_job *j = ctx;
    double *hd = j->heap_d + (size_t)worker * j->k;
    uint32_t *hi = j->heap_i + (size_t)worker * j->k;
    size_t end = ((size_t)task + 1) * CHUNK < j->n ? ((size_t)task + 1) * CHUNK : j->n;
    for (size_t i = (size_t)task * CHUNK; i < end; i++) {
        size_t m = 0;
        const float *xi = j->x + i * j->dim;
        for (size_t o = 0; o < j->n; o++)
            if (o != i) heap_push(hd, hi, &m, j->k, dist2(xi, j->x + o * j->dim, j->dim), (uint32_t)o);
        memcpy(j->nbr + i * j->k, hi, j->k * sizeof *hi);
        row_p(hd, j->k, j->perplexity, j->p + i * j->k);
    }
}

/* ---- the symmetric sparse P ---- */

typedef struct triple {
    uint32_t i, j;
    double v;
} triple;

static int triple_cmp(const void *a, const void *b) {
    const triple *x = a, *y = b;
    if (x->i != y->i) return x->i < y->i ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

/* ---- step 4: forces ---- */

typedef struct force_job {
    size_t n;
    const double *y;
    const size_t *row;   /* CSR of P: row[i] .. row[i+1] */
    const uint32_t *col;
    const double *val;
    const qt_tree *tree;
    double theta;
    double *attr;        /* n × 2 */
    double *rep;         /* n × 2 */
    double *zq;          /* n: Σ_j q_ij of point i */
} force_job;

static void force_task(void *ctx, int task, int worker) {
    (void)worker;
    force_job *f = ctx;
    size_t end = ((size_t)task + 1) * CHUNK < f->n ? ((size_t)task + 1) * CHUNK : f->n;
    for (size_t i = (size_t)task * CHUNK; i < end; i++) {
        double ax = 0, ay = 0, yx = f->y[2 * i], yy = f->y[2 * i + 1];
        for (size_t e = f->row[i]; e < f->row[i + 1]; e++) {
            size_t jj = f->col[e];
            double dx = yx - f->y[2 * jj], dy = yy - f->y[2 * jj + 1];
            double m = f->val[e] / (1 + dx * dx + dy * dy);
            ax += m * dx;
            ay += m * dy;
        }
        f->attr[2 * i] = ax;
        f->attr[2 * i + 1] = ay;
        double rx = 0, ry = 0, z = 0;
        qt_repulsion(f->tree, f->y, i, f->theta, &rx, &ry, &z);
        f->rep[2 * i] = rx;
        f->rep[2 * i + 1] = ry;
        f->zq[i] = z;
    }
}

int ev_tsne(const float *x, size_t n, size_t dim, const ev_tsne_opts *opts, double *y, vt_error *err) {
    ev_tsne_opts o = opts ? *opts : ev_tsne_opts_default();
    if (n < 2 || dim == 0) return vt_fail(err, VT_EINVAL, "t-SNE needs at least 2 vectors");
    if (n > EV_TSNE_MAX_POINTS) return vt_fail(err, VT_ELIMIT, "t-SNE of %zu vectors: at most %d", n, EV_TSNE_MAX_POINTS);
    if (!(o.perplexity > 0) || o.iterations < 0 || !(o.theta >= 0))
        return vt_fail(err, VT_EINVAL, "t-SNE: perplexity must be > 0, iterations ≥ 0, theta ≥ 0");
    double perp = o.perplexity;
    if (3 * perp > (double)(n - 1)) perp = (double)(n - 1) / 3;
    if (perp < 1) perp = 1;
    size_t k = (size_t)(3 * perp);
    if (k < 1) k = 1;
    if (k > n - 1) k = n - 1;
    vt_pool *pool = vt_pool_new(o.threads);
    int nw = vt_pool_size(pool), n_tasks = (int)((n + CHUNK - 1) / CHUNK), rc = VT_OK;
    float *xs = vt_malloc(n * dim * sizeof *xs);
    uint32_t *nbr = vt_malloc(n * k * sizeof *nbr), *heap_i = vt_malloc((size_t)nw * k * sizeof *heap_i), *col = NULL;
    double *pc = vt_malloc(n * k * sizeof *pc), *heap_d = vt_malloc((size_t)nw * k * sizeof *heap_d), *val = NULL;
    triple *tr = vt_malloc(2 * n * k * sizeof *tr);
    size_t *row = vt_calloc(n + 1, sizeof *row);
    double *work = vt_malloc(n * 11 * sizeof *work);
    qt_tree tree = {0};
    if (!xs || !nbr || !heap_i || !pc || !heap_d || !tr || !row || !work) {
        rc = vt_fail(err, VT_ENOMEM, "t-SNE of %zu vectors: out of memory", n);
        goto fail;
    }
    /* 1. centre and scale */
    {
        double *mean = vt_calloc(dim, sizeof *mean);
        if (!mean) {
            rc = vt_fail(err, VT_ENOMEM, "t-SNE of %zu vectors: out of memory", n);
            goto fail;
        }
        for (size_t i = 0; i < n; i++)
            for (size_t d = 0; d < dim; d++) {
                if (!isfinite(x[i * dim + d])) {
                    vt_free(mean);
                    rc = vt_fail(err, VT_EINVAL, "t-SNE: vector %zu is not finite", i);
                    goto fail;
                }
                mean[d] += x[i * dim + d];
            }
        double big = 0;
        for (size_t d = 0; d < dim; d++) mean[d] /= (double)n;
        for (size_t i = 0; i < n * dim; i++) big = fmax(big, fabs(x[i] - mean[i % dim]));
        if (big == 0) big = 1;
        for (size_t i = 0; i < n * dim; i++) xs[i] = (float)((x[i] - mean[i % dim]) / big);
        vt_free(mean);
    }
    /* 2, 3. neighbours and conditional P */
    knn_job kj = {xs, n, dim, k, perp, nbr, pc, heap_d, heap_i};
    vt_pool_run(pool, n_tasks, knn_task, &kj);
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; m < k; m++) {
            uint32_t j = nbr[i * k + m];
            tr[2 * (i * k + m)] = (triple){(uint32_t)i, j, pc[i * k + m]};
            tr[2 * (i * k + m) + 1] = (triple){j, (uint32_t)i, pc[i * k + m]};
        }
    qsort(tr, 2 * n * k, sizeof *tr, triple_cmp);
    size_t nnz = 0;
    double total = 0;
    for (size_t e = 0; e < 2 * n * k; e++) {
        if (nnz > 0 && tr[nnz - 1].i == tr[e].i && tr[nnz - 1].j == tr[e].j) tr[nnz - 1].v += tr[e].v;
        else tr[nnz++] = tr[e];
        total += tr[e].v;
    }
    col = vt_malloc(nnz * sizeof *col);
    val = vt_malloc(nnz * sizeof *val);
    if (!col || !val) {
        rc = vt_fail(err, VT_ENOMEM, "t-SNE of %zu vectors: out of memory", n);
        goto fail;
    }
    for (size_t e = 0; e < nnz; e++) {
        row[tr[e].i + 1]++;
        col[e] = tr[e].j;
        val[e] = tr[e].v / total;
    }
    for (size_t i = 0; i < n; i++) row[i + 1] += row[i];
    vt_free(tr);
    tr = NULL;
    /* 4. descent */
    double *attr = work, *rep = work + 2 * n, *zq = work + 4 * n, *vel = work + 5 * n, *gain = work + 7 * n,
           *grad = work + 9 * n;
    uint64_t s = o.seed;
    for (size_t i = 0; i < 2 * n; i++) {
        y[i] = 1e-4 * gauss(&s);
        vel[i] = 0;
        gain[i] = 1;
    }
    double eta = o.learning_rate > 0 ? o.learning_rate : fmax(200.0, (double)n / 12);
    force_job fj = {n, y, row, col, val, &tree, o.theta, attr, rep, zq};
    for (int it = 0; it < o.iterations; it++) {
        int early = it < o.exaggeration_iters;
        double exag = early ? o.exaggeration : 1, mom = early ? 0.5 : 0.8;
        if (qt_build(&tree, y, n) < 0) {
            rc = vt_fail(err, VT_ENOMEM, "t-SNE of %zu vectors: out of memory", n);
            goto fail;
        }
        vt_pool_run(pool, n_tasks, force_task, &fj);
        double z = 0;
        for (size_t i = 0; i < n; i++) z += zq[i];
        if (z <= 0) z = DBL_MIN;
        for (size_t i = 0; i < 2 * n; i++) grad[i] = exag * attr[i] - rep[i] / z;
        double mx = 0, my = 0;
        for (size_t i = 0; i < 2 * n; i++) {
            gain[i] = (grad[i] > 0) != (vel[i] > 0) ? gain[i] + 0.2 : gain[i] * 0.8;
            if (gain[i] < 0.01) gain[i] = 0.01;
            vel[i] = mom * vel[i] - eta * gain[i] * grad[i];
            y[i] += vel[i];
        }
        for (size_t i = 0; i < n; i++) {
            mx += y[2 * i];
            my += y[2 * i + 1];
        }
        mx /= (double)n;
        my /= (double)n;
        for (size_t i = 0; i < n; i++) {
            y[2 * i] -= mx;
            y[2 * i + 1] -= my;
        }
    }
fail:
    qt_free(&tree);
    vt_free(work);
    vt_free(row);
    vt_free(tr);
    vt_free(val);
    vt_free(col);
    vt_free(heap_d);
    vt_free(pc);
    vt_free(heap_i);
    vt_free(nbr);
    vt_free(xs);
    vt_pool_free(pool);
    return rc;
}
