/*
 * gemm.c — the float32 products' driver: weight packing, blocking, threading, kernel dispatch.
 *
 * gemm_linear computes Y = act(Y·[ACCUMULATE] + X·Wᵀ + b) with the BLIS loop structure [Van Zee &
 * van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", 2015, fig. 2],
 * specialised to a weight that is packed once at load and reused for every product:
 *
 *   task (mb, nb)            rows i0..i1 (≤ mc) × columns j0..j1 (≤ nc) of Y, one per pool task
 *     for pc in k by kc        copy X[i0..i1][pc..pc+kc) into the stack block A (stays in L2)
 *       for jr in j0..j1 by nr   W panel jr, rows pc..pc+kc (kc·nr floats, stays in L1)
 *         for ir in i0..i1 by mr   micro-kernel: the mr × nr tile of Y, summed over kc
 *
 * Layouts (floats; all 64-byte aligned):
 *
 *   | buffer                | shape                | element                          | built    |
 *   |-----------------------|----------------------|----------------------------------|----------|
 *   | packed W (gemm_weights)| [n_panels][k][nr]   | W[jp·nr + j][p] at (jp·k + p)·nr + j, | once, at |
 *   |                       |                      | 0 for jp·nr + j ≥ n              | load     |
 *   | packed A (stack)      | [≤ mc][lda]          | X[i0 + r][pc + p] at r·lda + p   | per task |
 *
 * A is a plain row copy rather than the mr-interleaved panel of BLIS: the micro-kernel reads row r
 * of it at the compile-time displacement r·lda·4 from one running pointer, so no transpose is
 * needed to pack it (a copy at memory speed), and lda = kc + 16 keeps the mr rows in different
 * L1 sets (a stride of exactly kc·4 = 1 KiB would put all 14 rows in 4 sets of the 12-way L1).
 *
 * Splitting: Y is cut into n_mb × n_nb tasks of about mc rows × nc columns, handed out
 * dynamically by the pool. Row blocks are balanced to whole micro-panels (m = 800 with mr = 14 is
 * 58 panels → 8 blocks of 7–8). Column blocks are at most the kernel's nc wide (so the task's Y
 * block, revisited once per k-block, stays in L2), and narrower when that gives fewer than ~4
 * tasks per worker, but no narrower than 4 panels, because every task re-copies its rows of X
 * (that copy costs ~1/(2·nc) of the work). Consecutive task numbers walk down the rows of one
 * column block, so the workers stream the same W panels through L3 at about the same time. For
 * 2 workers: m = 800, n = 2304 is 8 × 5 = 40 tasks; n = 768 is 8 × 2; m = 352 (text), n = 1536 is
 * 4 × 3. Products under SERIAL_MACS run on the caller alone. k is cut into equal k-blocks of at
 * most kc (k = 768 → 3 × 256; k = 300 → 152 + 148).
 *
 * Epilogue: the micro-kernel adds the bias on the first k-block and the old Y (ACCUMULATE) on
 * the first, then its own partial sums on the later ones; after the last k-block the activation
 * runs over the finished tile while it is in L1 (the kernel table's own SIMD quick_gelu / gelu).
 * So with ACCUMULATE and an activation, y = act(y_old + x·Wᵀ + b).
 *
 * The kernel (gemm_kernel table, gemm_int.h) is chosen once from cpu_level(); gemm_force_kernel
 * overrides it for tests. Packed weights remember the kernel they were packed for and always run
 * with it. The selection is process state, set once (or by tests, never during a product).
 *
 * Scratch: none is allocated per product (gemm_linear cannot fail). Each task copies X into a
 * GEMM_A_SCRATCH_FLOATS stack array (119 KiB), so a thread calling gemm_linear, or running its
 * pool's tasks, needs ~128 KiB of free stack: the weights are shared read-only by every thread,
 * so they cannot hold per-worker scratch; a thread-local buffer would cost every thread of the
 * embedding process that memory; and the pool's threads (8 MiB glibc default) and main threads
 * have MiB-sized stacks. gemm_nt uses a 64 KiB stack block the same way.
 */
#include <stdatomic.h>
#include <string.h>

#include "base/alloc.h"
#include "cpu.h"
#include "gemm.h"
#include "gemm_int.h"

struct gemm_weights {
    int n, k;                   /* the [n][k] shape of W */
    int n_panels;               /* ceil(n / kern->nr) */
    const gemm_kernel *kern;    /* the kernel whose layout data has */
    float *data;                /* [n_panels][k][nr], vt_malloc'd (64-byte aligned) */
};

static const gemm_kernel *const g_kernels[] = {&gemm_kernel_avx512, &gemm_kernel_avx2,
                                              &gemm_kernel_scalar};

static _Atomic(const gemm_kernel *) g_kern; /* NULL until first use */

static const gemm_kernel *kernel_for_cpu(void) {
    int level = cpu_level();
    for (size_t i = 0; i < sizeof g_kernels / sizeof g_kernels[0]; i++)
        if (g_kernels[i]->level <= level) return g_kernels[i];
    return &gemm_kernel_scalar;
}

/* current_kernel: the selected kernel (selecting it on first use). Cannot fail. */
static const gemm_kernel *current_kernel(void) {
    const gemm_kernel *k = atomic_load_explicit(&g_kern, memory_order_acquire);
    if (!k) {
        k = kernel_for_cpu();
        atomic_store_explicit(&g_kern, k, memory_order_release);
    }
    return k;
}

const char *gemm_kernel_name(void) { return current_kernel()->name; }

int gemm_force_kernel(const char *name) {
    int level = cpu_level();
    for (size_t i = 0; i < sizeof g_kernels / sizeof g_kernels[0]; i++) {
        const gemm_kernel *k = g_kernels[i];
        if (strcmp(k->name, name) == 0 && k->level <= level) {
            atomic_store_explicit(&g_kern, k, memory_order_release);
            return 0;
        }
    }
    return -1;
}

/* ---- packed weights -------------------------------------------------------------------------- */

int gemm_weights_pack(const float *w, int n, int k, gemm_weights **out) {
    *out = NULL;
    if (n <= 0 || k <= 0) return VT_EINVAL;
    const gemm_kernel *kern = current_kernel();
    int nr = kern->nr;
    gemm_weights *g = vt_calloc(1, sizeof *g);
    if (!g) return VT_ENOMEM;
    g->n = n;
    g->k = k;
    g->kern = kern;
    g->n_panels = (n + nr - 1) / nr;
    size_t len = (size_t)g->n_panels * (size_t)k * (size_t)nr;
    g->data = vt_malloc(len * sizeof(float));
    if (!g->data) {
        vt_free(g);
        return VT_ENOMEM;
    }
    for (int jp = 0; jp < g->n_panels; jp++) {
        float *panel = g->data + (size_t)jp * k * nr;
        int j0 = jp * nr, nj = n - j0 < nr ? n - j0 : nr;
        /* Walk W row by row (sequential reads) and scatter with stride nr into the panel. */
        for (int j = 0; j < nr; j++) {
            if (j < nj) {
                const float *src = w + (size_t)(j0 + j) * k;
                for (int p = 0; p < k; p++) panel[(size_t)p * nr + j] = src[p];
            } else {
                for (int p = 0; p < k; p++) panel[(size_t)p * nr + j] = 0.0f;
            }
        }
    }
    *out = g;
    return VT_OK;
}

void gemm_weights_free(gemm_weights *w) {
    if (!w) return;
    vt_free(w->data);
    vt_free(w);
}

int gemm_weights_n(const gemm_weights *w) { return w->n; }
int gemm_weights_k(const gemm_weights *w) { return w->k; }

/* ---- gemm_linear ----------------------------------------------------------------------------- */

typedef struct {
    const gemm_kernel *kern;
    const gemm_weights *w;
    const float *x;
    long ldx;
    const float *bias;
    float *y;
    long ldy;
    int m;
    int flags;
    int m_panels;   /* ceil(m / mr) */
    int n_mb;       /* row blocks */
    int nc_panels;  /* W panels per column block */
    int n_nb;       /* column blocks */
} linear_job;

/* linear_task: computes task t of the job (see the essay). Cannot fail. */
static void linear_task(void *ctx, int t, int worker) {
    (void)worker;
    const linear_job *J = ctx;
    const gemm_kernel *K = J->kern;
    const int mr = K->mr, nr = K->nr, lda = K->lda;
    const int k = J->w->k, n = J->w->n;
    int mb = t % J->n_mb, nb = t / J->n_mb;
    /* rows: panels [P·mb/n_mb, P·(mb+1)/n_mb) — blocks differ by at most one panel */
    int p0 = (int)((long)J->m_panels * mb / J->n_mb);
    int p1 = (int)((long)J->m_panels * (mb + 1) / J->n_mb);
    int i0 = p0 * mr, i1 = p1 * mr < J->m ? p1 * mr : J->m;
    int jp0 = nb * J->nc_panels;
    int jp1 = jp0 + J->nc_panels < J->w->n_panels ? jp0 + J->nc_panels : J->w->n_panels;
    int act = J->flags & (GEMM_QUICK_GELU | GEMM_GELU);
    gemm_act_fn act_fn = (J->flags & GEMM_GELU) ? K->gelu : K->quick_gelu; /* GELU wins if both */

    _Alignas(64) float a[GEMM_A_SCRATCH_FLOATS];

    /* k-blocks of equal size (≤ K->kc, a multiple of 4 but for the last): k = 300 is 152 + 148,
     * not 256 + 44, whose C pass would cost as much as a full one */
    int n_kb = (k + K->kc - 1) / K->kc;
    int kc_eq = ((k + n_kb - 1) / n_kb + 3) & ~3;
    for (int pc = 0; pc < k; pc += kc_eq) {
        int kc = k - pc < kc_eq ? k - pc : kc_eq;
        int first = pc == 0, last = pc + kc >= k;
        for (int i = i0; i < i1; i++)
            memcpy(a + (size_t)(i - i0) * lda, J->x + (size_t)i * J->ldx + pc, (size_t)kc * sizeof(float));
        for (int jp = jp0; jp < jp1; jp++) {
            const float *b = J->w->data + ((size_t)jp * k + pc) * nr;
            int j = jp * nr, nj = n - j < nr ? n - j : nr;
            const float *bias = first && J->bias ? J->bias + j : NULL;
            int load_c = !first || (J->flags & GEMM_ACCUMULATE);
            /* the W panel block used next (next column panel, or the first of the next k-block);
             * each micro-kernel call prefetches its own kc/4 lines of it */
            const float *next = jp + 1 < jp1 ? b + (size_t)k * nr
                              : !last ? J->w->data + ((size_t)jp0 * k + pc + kc) * nr : NULL;
            size_t next_len = (size_t)kc * nr; /* the next block is at most as long */
            size_t pf_off = 0;
            for (int i = i0; i < i1; i += mr) {
                int mi = i1 - i < mr ? i1 - i : mr;
                float *c = J->y + (size_t)i * J->ldy + j;
                const float *pf = next && pf_off < next_len ? next + pf_off : NULL;
                pf_off += (size_t)kc * 4; /* kc/4 lines of 16 floats */
                K->micro(kc, a + (size_t)(i - i0) * lda, b, c, J->ldy, mi, nj, bias, load_c, pf);
                if (last && act)
                    for (int r = 0; r < mi; r++) act_fn(c + (size_t)r * J->ldy, (size_t)nj);
            }
        }
    }
}

/* Blocking targets. MIN_TASK_PANELS = 4: a column block thinner than 4 panels would spend more
 * than ~3 % of its time re-copying X. TASKS_PER_WORKER = 4: with dynamic hand-out, 4 tasks per
 * worker keep the last-finishing worker within ~1/8 of the job of the others. */
#define MIN_TASK_PANELS 4
#define TASKS_PER_WORKER 4

/* SERIAL_MACS = 2^22: below ~4M multiply-adds (~40 µs on one core) a product runs on the calling
 * thread alone — waking the pool's workers costs ~15–20 µs (measured: vt_pool_run of empty tasks
 * on this 2-core VM), so splitting cannot win. */
#define SERIAL_MACS (1L << 22)

void gemm_linear(vt_pool *pool, int m, const float *x, int ldx, const gemm_weights *w,
                 const float *bias, float *y, int ldy, int flags) {
    if (m <= 0) return;
    const gemm_kernel *K = w->kern;
    if ((long)m * w->n * w->k < SERIAL_MACS) pool = NULL;
    linear_job J = {.kern = K, .w = w, .x = x, .ldx = ldx, .bias = bias, .y = y, .ldy = ldy,
                    .m = m, .flags = flags};
    J.m_panels = (m + K->mr - 1) / K->mr;
    int mc_panels = K->mc / K->mr;
    J.n_mb = (J.m_panels + mc_panels - 1) / mc_panels;
    int workers = vt_pool_size(pool);
    int want_tasks = workers > 1 ? TASKS_PER_WORKER * workers : 1;
    int n_nb = (want_tasks + J.n_mb - 1) / J.n_mb;
    int max_nb = w->n_panels / MIN_TASK_PANELS;
    if (n_nb > max_nb) n_nb = max_nb;
    int min_nb = (w->n_panels * K->nr + K->nc - 1) / K->nc; /* the Y block stays in L2 */
    if (n_nb < min_nb) n_nb = min_nb;
    if (n_nb < 1) n_nb = 1;
    J.nc_panels = (w->n_panels + n_nb - 1) / n_nb;
    J.n_nb = (w->n_panels + J.nc_panels - 1) / J.nc_panels;
    vt_pool_run(pool, J.n_mb * J.n_nb, linear_task, &J);
}

/* ---- small unpacked products ----------------------------------------------------------------- */

void gemm_nt(int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
             float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    current_kernel()->nt(m, n, k, alpha, a, lda, b, ldb, c, ldc);
}

void gemm_nn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
             int ldc) {
    if (m <= 0 || n <= 0) return;
    current_kernel()->nn(m, n, k, a, lda, b, ldb, c, ldc);
}
