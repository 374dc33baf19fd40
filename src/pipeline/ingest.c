/*
 * ingest.c — the ingest pipeline (ingest.h): a loader thread producing prepared batches, the
 * calling thread embedding and writing them, a small bounded queue between.
 *
 * Ownership: a batch is built by the loader, handed over through the queue, and freed by the
 * consumer (or by whoever drains the queue at a stop). Counters of the run (ingest_stats) are
 * only touched by the consumer: the loader leaves its counts (bad records, skips) in the batch,
 * so the totals advance in batch order and the progress line never runs ahead of what is
 * committed. The log file is shared: each line is written under flockfile so lines never mix.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/pool.h"
#include "caption.h"
#include "ingest.h"
#include "manifest.h"
#include "ocr.h"
#include "progress.h"

const char *ingest_skip_name(ingest_skip s) {
    static const char *const names[SKIP_N] = {
        "bad_record", "missing_file", "unreadable_file", "corrupt_image", "too_large", "timeout",
        "http_status", "connect", "too_many_redirects", "fetch_failed", "no_text", "already_stored"};
    return (unsigned)s < SKIP_N ? names[s] : "unknown";
}

ingest_opts ingest_opts_default(void) {
    ingest_opts o;
    memset(&o, 0, sizeof o);
    o.batch = 32;
    o.loader_threads = 0;
    o.fetch = fetch_opts_default();
    o.max_file_bytes = (size_t)64 << 20;
    o.progress_tty = -1;
    o.progress_interval = 5;
    o.log = stderr;
    return o;
}

enum { CAPTION_NONE = 0, CAPTION_MANIFEST = 1, CAPTION_OCR = 2 };

typedef struct slot {
    mf_item it;
    char *caption;   /* cleaned and long enough, or NULL */
    int caption_source;
    int has_pixels;  /* pixels of this slot are in the batch's buffer at its index */
    int skip;        /* -1: keep; else an ingest_skip */
} slot;

typedef struct batch {
    slot *slots;
    size_t n;
    float *pixels;            /* n × 3·S·S */
    uint64_t bad_records;     /* bad manifest records met while filling this batch */
    double load_seconds;      /* the loader's time on this batch */
    uint64_t by_reason[SKIP_N];
} batch;

typedef struct queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch *items[INGEST_QUEUE_DEPTH];
    size_t head, count;
    int done;   /* the loader has pushed its last batch */
    int closed; /* the consumer stopped: pushes fail */
} queue;

typedef struct run {
    const char *manifest;
    vt_model *clip;
    const sink *sk;
    const ingest_opts *o;
    mf_reader *reader;
    vt_pool *pool;
    size_t pixel_floats; /* 3·S·S */
    queue q;
    int loader_rc;       /* a fatal loader error (VT_OK if none) */
    vt_error loader_err;
} run;

static void log_line(const ingest_opts *o, const char *fmt, const char *a, const char *b) {
    if (!o->log) return;
    flockfile(o->log);
    fprintf(o->log, fmt, a, b);
    fputc('\n', o->log);
    funlockfile(o->log);
}

static void batch_free(batch *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) {
        mf_item_clear(&b->slots[i].it);
        vt_free(b->slots[i].caption);
    }
    vt_free(b->slots);
    vt_free(b->pixels);
    vt_free(b);
}

/* ---- the queue ---- */

static int queue_push(queue *q, batch *b) {
    pthread_mutex_lock(&q->mu);
    while (q->count == INGEST_QUEUE_DEPTH && !q->closed) pthread_cond_wait(&q->cv, &q->mu);
    int ok = !q->closed;
    if (ok) {
        q->items[(q->head + q->count) % INGEST_QUEUE_DEPTH] = b;
        q->count++;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return ok;
}

/* queue_pop: the next batch, or NULL when the loader is done and the queue empty. */
static batch *queue_pop(queue *q) {
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->done) pthread_cond_wait(&q->cv, &q->mu);
    batch *b = NULL;
    if (q->count) {
        b = q->items[q->head];
        q->head = (q->head + 1) % INGEST_QUEUE_DEPTH;
        q->count--;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

static void queue_finish(queue *q, int closed) {
    pthread_mutex_lock(&q->mu);
    if (closed) q->closed = 1;
    else q->done = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* ---- loading one image (a pool task) ---- */

static int skip_of_fetch(fetch_reason r) {
    switch (r) {
    case FETCH_TIMEOUT: return SKIP_TIMEOUT;
    case FETCH_HTTP_STATUS: return SKIP_HTTP_STATUS;
    case FETCH_CONNECT: return SKIP_CONNECT;
    case FETCH_TOO_MANY_REDIRECTS: return SKIP_REDIRECTS;
    case FETCH_TOO_LARGE: return SKIP_TOO_LARGE;
    default: return SKIP_FETCH_OTHER;
    }
}

typedef struct load_job {
    run *r;
    batch *b;
} load_job;

static void load_task(void *ctx, int task, int worker) {
    (void)worker;
    load_job *j = ctx;
    run *r = j->r;
    slot *s = &j->b->slots[task];
    if (s->skip >= 0 || !s->it.image) return;
    uint8_t *bytes = NULL;
    size_t len = 0;
    vt_error e = {0};
    int rc;
    if (s->it.image_kind == MF_IMAGE_URL) {
        fetch_reason why = FETCH_OK;
        rc = fetch_url(s->it.image, &r->o->fetch, &bytes, &len, &why, &e);
        if (rc) s->skip = rc == VT_ENOMEM ? SKIP_FETCH_OTHER : skip_of_fetch(why);
    } else {
        rc = vt_file_read(s->it.image, r->o->max_file_bytes, &bytes, &len, &e);
        if (rc) s->skip = rc == VT_ENOTFOUND ? SKIP_MISSING_FILE : rc == VT_ELIMIT ? SKIP_TOO_LARGE : SKIP_UNREADABLE;
    }
    if (rc == VT_OK) {
        rc = vt_preprocess_encoded(r->clip, bytes, len, s->it.image, j->b->pixels + (size_t)task * r->pixel_floats, &e);
        if (rc) s->skip = rc == VT_ELIMIT ? SKIP_TOO_LARGE : SKIP_CORRUPT_IMAGE;
        else s->has_pixels = 1;
    }
    if (rc == VT_OK && !s->caption && r->o->ocr_missing) {
        char *text = NULL;
        vt_error oe = {0};
        if (ocr_image_text(bytes, len, &text, &oe) == VT_OK) {
            char *clean = NULL;
            if (caption_clean(text, strlen(text), &clean, &oe) == VT_OK) {
                if (clean[0] && caption_words(clean) >= (size_t)r->o->min_caption_words) {
                    s->caption = clean;
                    s->caption_source = CAPTION_OCR;
                } else {
                    vt_free(clean);
                }
            }
            vt_free(text);
        } else {
            log_line(r->o, "ingest: %s: OCR failed: %s", s->it.image_ref, oe.message);
        }
    }
    vt_free(bytes);
    if (s->skip >= 0) {
        char where[64];
        snprintf(where, sizeof where, "%zu", s->it.line);
        log_line(r->o, "ingest: line %s: skipped: %s", where, e.message);
    }
}

/* ---- the loader thread ---- */

/* fill_batch: reads up to o->batch good records into a new *out (NULL at the end). */
static int fill_batch(run *r, batch **out, vt_error *err) {
    const ingest_opts *o = r->o;
    double t0 = progress_now();
    *out = NULL;
    batch *b = vt_calloc(1, sizeof *b);
    if (!b || !(b->slots = vt_calloc(o->batch, sizeof *b->slots)) ||
        !(b->pixels = vt_malloc(o->batch * r->pixel_floats * sizeof(float)))) {
        batch_free(b);
        return vt_fail(err, VT_ENOMEM, "ingest: out of memory for a batch of %zu", o->batch);
    }
    int eof = 0;
    while (b->n < o->batch && !eof && !(o->stop && *o->stop)) {
        vt_error e = {0};
        slot *s = &b->slots[b->n];
        int rc = mf_next(r->reader, &s->it, &eof, &e);
        if (rc == VT_EINVAL) {
            b->bad_records++;
            b->by_reason[SKIP_BAD_RECORD]++;
            log_line(o, "ingest: %s%s", e.message, "");
            continue;
        }
        if (rc) {
            batch_free(b);
            return vt_fail(err, rc, "%s", e.message);
        }
        if (eof) break;
        s->skip = -1;
        if (s->it.caption) {
            char *clean = NULL;
            if ((rc = caption_clean(s->it.caption, strlen(s->it.caption), &clean, err))) {
                b->n++;
                batch_free(b);
                return rc;
            }
            if (clean[0] && caption_words(clean) >= (size_t)o->min_caption_words) {
                s->caption = clean;
                s->caption_source = CAPTION_MANIFEST;
            } else {
                vt_free(clean);
            }
        }
        if (!s->it.image && !s->caption) {
            s->skip = SKIP_NO_TEXT;
            char where[64];
            snprintf(where, sizeof where, "%zu", s->it.line);
            log_line(o, "ingest: line %s: skipped: no image and %s", where,
                     o->min_caption_words ? "a caption shorter than --min-caption-words" : "an empty caption");
        }
        b->n++;
    }
    if (b->n == 0) {
        *out = b; /* may carry bad-record counts; n = 0 */
        return VT_OK;
    }
    if (o->resume) {
        vt_point_id *ids = vt_malloc(b->n * sizeof *ids);
        uint8_t *present = vt_malloc(b->n);
        int rc = ids && present ? VT_OK : vt_fail(err, VT_ENOMEM, "ingest: out of memory");
        for (size_t i = 0; i < b->n && !rc; i++) ids[i] = b->slots[i].it.id;
        if (!rc) rc = r->sk->exists(r->sk->ctx, o->collection, ids, b->n, present, err);
        for (size_t i = 0; i < b->n && !rc; i++)
            if (present[i] && b->slots[i].skip < 0) b->slots[i].skip = SKIP_ALREADY_STORED;
        vt_free(ids);
        vt_free(present);
        if (rc) {
            batch_free(b);
            return rc;
        }
    }
    load_job j = {r, b};
    vt_pool_run(r->pool, (int)b->n, load_task, &j);
    /* an image that failed to load costs the whole item, as ingest.h says */
    for (size_t i = 0; i < b->n; i++)
        if (b->slots[i].skip >= 0) b->by_reason[b->slots[i].skip]++;
    b->load_seconds = progress_now() - t0;
    *out = b;
    return VT_OK;
}

static void *loader_main(void *arg) {
    run *r = arg;
    for (;;) {
        batch *b = NULL;
        int rc = fill_batch(r, &b, &r->loader_err);
        if (rc) {
            r->loader_rc = rc;
            break;
        }
        int last = b->n < r->o->batch;
        if (b->n == 0 && b->bad_records == 0) {
            batch_free(b);
            break;
        }
        if (!queue_push(&r->q, b)) {
            batch_free(b);
            break;
        }
        if (last) break;
    }
    queue_finish(&r->q, 0);
    return NULL;
}

/* ---- the consumer: embed and write one batch ---- */

static int write_batch(run *r, vt_model *st, batch *b, uint32_t clip_dim, uint32_t st_dim, ingest_stats *stats,
                       vt_error *err) {
    size_t n = b->n, n_img = 0, n_txt = 0;
    for (size_t i = 0; i < n; i++) {
        if (b->slots[i].skip >= 0) continue;
        if (b->slots[i].has_pixels) {
            /* pack the pixels of kept images to the front, in order (i ≥ n_img always) */
            if (i != n_img)
                memmove(b->pixels + n_img * r->pixel_floats, b->pixels + i * r->pixel_floats,
                        r->pixel_floats * sizeof(float));
            n_img++;
        }
        if (b->slots[i].caption) n_txt++;
    }
    float *img = vt_malloc((n_img ? n_img : 1) * clip_dim * sizeof(float));
    float *txt = vt_malloc((n_txt ? n_txt : 1) * clip_dim * sizeof(float));
    float *txt_st = st ? vt_malloc((n_txt ? n_txt : 1) * st_dim * sizeof(float)) : NULL;
    const char **texts = vt_malloc((n_txt ? n_txt : 1) * sizeof *texts);
    sink_point *pts = vt_calloc(n ? n : 1, sizeof *pts);
    int rc = VT_OK;
    if (!img || !txt || (st && !txt_st) || !texts || !pts) {
        rc = vt_fail(err, VT_ENOMEM, "ingest: out of memory embedding a batch");
        goto done;
    }
    for (size_t i = 0, k = 0; i < n; i++)
        if (b->slots[i].skip < 0 && b->slots[i].caption) texts[k++] = b->slots[i].caption;
    double t0 = progress_now();
    if (n_img && (rc = vt_embed_pixels(r->clip, b->pixels, n_img, img, err))) goto done;
    if (n_txt && (rc = vt_embed_texts(r->clip, texts, n_txt, txt, err))) goto done;
    if (n_txt && st && (rc = vt_embed_texts(st, texts, n_txt, txt_st, err))) goto done;
    stats->embed_seconds += progress_now() - t0;
    size_t np = 0, ki = 0, kt = 0;
    for (size_t i = 0; i < n; i++) {
        slot *s = &b->slots[i];
        if (s->skip >= 0) continue;
        json_t *p = s->it.payload;
        int prc = 0;
        if (s->caption) prc |= json_object_set_new(p, "caption", json_string(s->caption));
        if (s->it.image_ref) prc |= json_object_set_new(p, "image", json_string(s->it.image_ref));
        if (s->caption)
            prc |= json_object_set_new(p, "caption_source",
                                       json_string(s->caption_source == CAPTION_OCR ? "ocr" : "manifest"));
        if (prc) {
            rc = vt_fail(err, VT_ENOMEM, "ingest: out of memory building a payload");
            goto done;
        }
        pts[np].id = s->it.id;
        pts[np].payload = p;
        if (s->has_pixels) pts[np].image = img + (ki++) * clip_dim;
        if (s->caption) {
            pts[np].text = txt + kt * clip_dim;
            if (st) pts[np].text_st = txt_st + kt * st_dim;
            kt++;
            stats->with_caption++;
            if (s->caption_source == CAPTION_OCR) stats->ocr_captions++;
        }
        if (s->has_pixels) stats->with_image++;
        np++;
    }
    t0 = progress_now();
    if (np && (rc = r->sk->upsert(r->sk->ctx, r->o->collection, pts, np, clip_dim, st_dim, err))) goto done;
    stats->store_seconds += progress_now() - t0;
    stats->ingested += np;
done:
    vt_free(img);
    vt_free(txt);
    vt_free(txt_st);
    vt_free(texts);
    vt_free(pts);
    return rc;
}

int ingest_run(const char *manifest, vt_model *clip, vt_model *st, const sink *sk, const ingest_opts *opts,
               ingest_stats *stats, vt_error *err) {
    ingest_opts o = opts ? *opts : ingest_opts_default();
    memset(stats, 0, sizeof *stats);
    if (o.batch == 0) o.batch = 32;
    if (!o.collection || !o.collection[0]) return vt_fail(err, VT_EINVAL, "ingest: no collection named");
    if (!vt_model_has_image(clip) || !vt_model_has_text(clip))
        return vt_fail(err, VT_EINVAL, "ingest: the model must embed images and texts (a CLIP folder)");
    if (st && !vt_model_has_text(st)) return vt_fail(err, VT_EINVAL, "ingest: the text model does not embed texts");
    if (o.ocr_missing && !ocr_available())
        return vt_fail(err, VT_EUNSUPPORTED, "ingest: --ocr-missing needs Tesseract, which this build lacks");
    uint32_t clip_dim = (uint32_t)vt_model_dim(clip), st_dim = st ? (uint32_t)vt_model_dim(st) : 0;
    double t0 = progress_now();
    run r;
    memset(&r, 0, sizeof r);
    r.manifest = manifest;
    r.clip = clip;
    r.sk = sk;
    r.o = &o;
    size_t S = (size_t)vt_model_image_size(clip);
    r.pixel_floats = 3 * S * S;
    int rc = mf_open(manifest, &r.reader, err);
    if (rc) return rc;
    if ((rc = sk->ensure_collection(sk->ctx, o.collection, clip_dim, st_dim, err))) {
        mf_close(r.reader);
        return rc;
    }
    /* the total for the progress bar: lines of the file (a CSV header and blank lines make it a
     * slight overestimate; the final line shows the true count) */
    uint64_t total = 0;
    FILE *f = fopen(manifest, "rb");
    if (f) {
        int c, prev = '\n';
        while ((c = getc(f)) != EOF) {
            if (c == '\n' && prev != '\n') total++;
            prev = c;
        }
        if (prev != '\n') total++;
        fclose(f);
    }
    r.pool = vt_pool_new(o.loader_threads > 0 ? o.loader_threads : vt_cpu_count());
    pthread_mutex_init(&r.q.mu, NULL);
    pthread_cond_init(&r.q.cv, NULL);
    pthread_t loader;
    if (!r.pool || pthread_create(&loader, NULL, loader_main, &r) != 0) {
        vt_pool_free(r.pool);
        mf_close(r.reader);
        return vt_fail(err, VT_ENOMEM, "ingest: cannot start the loader");
    }
    progress pr;
    if (o.progress) progress_init(&pr, stderr, "ingest", total, o.progress_tty, o.progress_interval);
    batch *b;
    double tw = progress_now();
    while ((b = queue_pop(&r.q))) {
        stats->wait_seconds += progress_now() - tw;
        stats->load_seconds += b->load_seconds;
        stats->records += b->n + b->bad_records;
        if (rc == VT_OK) rc = write_batch(&r, st, b, clip_dim, st_dim, stats, err);
        if (rc == VT_OK)
            for (int k = 0; k < SKIP_N; k++) {
                stats->by_reason[k] += b->by_reason[k];
                stats->skipped += b->by_reason[k];
            }
        batch_free(b);
        if (o.progress) progress_update(&pr, stats->ingested + stats->skipped, stats->skipped);
        if (rc || (o.stop && *o.stop)) {
            stats->interrupted = rc == VT_OK;
            queue_finish(&r.q, 1); /* the loader's next push fails, and it ends */
            break;
        }
        tw = progress_now();
    }
    pthread_join(loader, NULL);
    while ((b = queue_pop(&r.q))) batch_free(b); /* batches loaded but never written */
    if (rc == VT_OK && r.loader_rc) rc = vt_fail(err, r.loader_rc, "%s", r.loader_err.message);
    stats->seconds = progress_now() - t0;
    if (o.progress) progress_finish(&pr, stats->ingested + stats->skipped, stats->skipped);
    vt_pool_free(r.pool);
    mf_close(r.reader);
    pthread_mutex_destroy(&r.q.mu);
    pthread_cond_destroy(&r.q.cv);
    return rc;
}

json_t *ingest_stats_json(const ingest_stats *s) {
    json_t *by = json_object();
    for (int k = 0; k < SKIP_N; k++)
        if (s->by_reason[k]) json_object_set_new(by, ingest_skip_name(k), json_integer((json_int_t)s->by_reason[k]));
    json_t *stages = json_pack("{s:f, s:f, s:f, s:f}", "load", s->load_seconds, "wait_for_load", s->wait_seconds,
                               "embed", s->embed_seconds, "store", s->store_seconds);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:f, s:o, s:b}", "records", (json_int_t)s->records, "ingested",
                     (json_int_t)s->ingested, "with_image", (json_int_t)s->with_image, "with_caption",
                     (json_int_t)s->with_caption, "ocr_captions", (json_int_t)s->ocr_captions, "skipped",
                     (json_int_t)s->skipped, "skipped_by_reason", by, "seconds", s->seconds, "stage_seconds", stages,
                     "interrupted", s->interrupted);
}
