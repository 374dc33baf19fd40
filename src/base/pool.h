/*
 * pool.h — a fixed thread pool that runs parallel-for jobs.
 *
 * vt_pool_run(pool, n_tasks, fn, ctx) calls fn(ctx, task, worker) once for every task in
 * [0, n_tasks) and returns when all have finished. Tasks are handed out by an atomic counter,
 * so uneven tasks balance themselves; `worker` (0 .. vt_pool_size-1) is stable for the duration of
 * one call and indexes per-worker scratch. The calling thread is worker 0 and works too, so a pool
 * of size 1 has no extra threads and runs everything inline.
 *
 * One job at a time: vt_pool_run is not re-entrant and must not be called from inside fn or from
 * two threads at once (the model serialises its calls). Workers sleep on a condition variable
 * between jobs, so an idle pool costs nothing.
 */
#ifndef VT_BASE_POOL_H
#define VT_BASE_POOL_H

typedef struct vt_pool vt_pool;
typedef void (*vt_pool_fn)(void *ctx, int task, int worker);

/* vt_pool_new: a pool of n_threads workers (including the caller); n_threads <= 0 means the
 * number of online CPUs. Returns NULL when memory or threads cannot be had. */
vt_pool *vt_pool_new(int n_threads);

/* vt_pool_free: joins the workers and releases the pool. NULL is accepted. */
void vt_pool_free(vt_pool *pool);

/* vt_pool_size: the number of workers (>= 1). A NULL pool has size 1. */
int vt_pool_size(const vt_pool *pool);

/* vt_pool_run: runs fn for every task (see above). A NULL pool runs everything on the caller. */
void vt_pool_run(vt_pool *pool, int n_tasks, vt_pool_fn fn, void *ctx);

/* vt_cpu_count: online CPUs (>= 1). */
int vt_cpu_count(void);

#endif
