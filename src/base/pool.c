/*
 * pool.c — the parallel-for thread pool (see pool.h).
 *
 * State, guarded by mu: `generation` counts jobs; a worker that sees a new generation takes tasks
 * from the atomic `next_task` until it passes n_tasks, then increments `n_done_workers`; the caller
 * waits until all helper workers have reported for that generation. `stopping` ends the workers.
 * Both sides spin for a few tens of microseconds before sleeping on their condition variable,
 * since jobs come back to back and a sleep/wake round trip costs as much as a small product.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "alloc.h"
#include "pool.h"

#define SPIN_ROUNDS 20000 /* ~50 us of pause instructions: covers the gap between a model's jobs */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

struct vt_pool {
    int n_workers;             /* including the caller (worker 0) */
    pthread_t *threads;        /* n_workers - 1 helper threads */
    pthread_mutex_t mu;
    pthread_cond_t job_ready;  /* signalled when generation advances or stopping is set */
    pthread_cond_t job_done;   /* signalled when a helper finishes its share */
    atomic_ulong generation;   /* jobs started so far (written under mu, read by spinners) */
    atomic_int n_done_workers; /* helpers finished with the current generation */
    int stopping;              /* 1: helpers exit */
    /* the current job */
    vt_pool_fn fn;
    void *ctx;
    int n_tasks;
    atomic_int next_task;
};

typedef struct {
    vt_pool *pool;
    int worker;
} worker_arg;

int vt_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void work(vt_pool *p, int worker) {
    for (;;) {
        int t = atomic_fetch_add(&p->next_task, 1);
        if (t >= p->n_tasks) break;
        p->fn(p->ctx, t, worker);
    }
}

static void *worker_main(void *arg) {
    worker_arg wa = *(worker_arg *)arg;
    vt_free(arg);
    vt_pool *p = wa.pool;
    unsigned long seen = 0;
    for (;;) {
        /* spin briefly before sleeping: a transformer issues jobs back to back, and a wake-up
         * through the condition variable costs ~15-20 us on a VM, as much as a small product */
        for (int spin = 0; spin < SPIN_ROUNDS && atomic_load(&p->generation) == seen; spin++) cpu_relax();
        pthread_mutex_lock(&p->mu);
        while (!p->stopping && atomic_load(&p->generation) == seen) pthread_cond_wait(&p->job_ready, &p->mu);
        if (p->stopping) break;
        seen = atomic_load(&p->generation);
        pthread_mutex_unlock(&p->mu);
        work(p, wa.worker);
        pthread_mutex_lock(&p->mu);
        atomic_fetch_add(&p->n_done_workers, 1);
        pthread_cond_signal(&p->job_done);
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

vt_pool *vt_pool_new(int n_threads) {
    if (n_threads <= 0) n_threads = vt_cpu_count();
    vt_pool *p = vt_calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_workers = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->job_ready, NULL);
    pthread_cond_init(&p->job_done, NULL);
    if (n_threads > 1) {
        p->threads = vt_calloc((size_t)n_threads - 1, sizeof *p->threads);
        if (!p->threads) goto fail;
        for (int i = 1; i < n_threads; i++) {
            worker_arg *wa = vt_malloc(sizeof *wa);
            if (!wa) goto fail;
            wa->pool = p;
            wa->worker = i;
            if (pthread_create(&p->threads[i - 1], NULL, worker_main, wa) != 0) {
                vt_free(wa);
                goto fail;
            }
            p->n_workers++;
        }
    }
    return p;
fail:
    vt_pool_free(p);
    return NULL;
}

void vt_pool_free(vt_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->job_ready);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_workers - 1; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->job_ready);
    pthread_cond_destroy(&p->job_done);
    vt_free(p->threads);
    vt_free(p);
}

int vt_pool_size(const vt_pool *p) { return p ? p->n_workers : 1; }

void vt_pool_run(vt_pool *p, int n_tasks, vt_pool_fn fn, void *ctx) {
    if (n_tasks <= 0) return;
    if (!p || p->n_workers == 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store(&p->next_task, 0);
    atomic_store(&p->n_done_workers, 0);
    atomic_fetch_add(&p->generation, 1);
    pthread_cond_broadcast(&p->job_ready);
    pthread_mutex_unlock(&p->mu);
    work(p, 0);
    for (int spin = 0; spin < SPIN_ROUNDS && atomic_load(&p->n_done_workers) < p->n_workers - 1; spin++) cpu_relax();
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->n_done_workers) < p->n_workers - 1) pthread_cond_wait(&p->job_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
