/*
 * ingest.h — the main job: a manifest of images and captions in, points with CLIP image and text
 * vectors (and optionally a sentence-transformers text vector) out, into a sink (sink.h).
 *
 * Two stages overlap. A loader thread reads the manifest a batch at a time, cleans the captions,
 * and reads, downloads, decodes and preprocesses the batch's images on a pool of workers; the
 * calling thread meanwhile embeds the previous batch (the models use their own threads) and
 * upserts it. A queue of INGEST_QUEUE_DEPTH batches sits between them.
 *
 * Nothing one item does stops the run: a bad manifest record, a missing file, a failed download
 * (timeout, 404, too large, redirects), an undecodable image, a caption too short with no image —
 * each is logged with its reason (one line to the log) and counted by reason. Stopping (the stop
 * flag, set by the CLI on Ctrl-C) finishes the batch being written and returns: every batch
 * reported done is committed, nothing is half-written (one upsert per batch).
 *
 * Point layout: id from the manifest, or uuid5 of the image reference (manifest.h), so re-running
 * a manifest updates in place; vectors "image" (items with an image), "text" and "text_st" (items
 * with a caption); payload = the manifest's other fields + "caption" (cleaned), "image" (the
 * reference as written) and "caption_source" ("manifest" or "ocr").
 */
#ifndef VT_PIPELINE_INGEST_H
#define VT_PIPELINE_INGEST_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "fetch.h"
#include "sink.h"
#include "vitrine.h"

#define INGEST_QUEUE_DEPTH 2

/* Why items were skipped (ingest_skip_name gives the stable names used in logs and JSON). */
typedef enum ingest_skip {
    SKIP_BAD_RECORD,     /* the manifest record itself (not JSON, bad id, no image and no caption) */
    SKIP_MISSING_FILE,   /* an image file that does not exist */
    SKIP_UNREADABLE,     /* an image file that cannot be read (permissions, a folder) */
    SKIP_CORRUPT_IMAGE,  /* bytes that do not decode as JPEG, PNG or WebP */
    SKIP_TOO_LARGE,      /* a file or download over the byte cap, or an image over the pixel cap */
    SKIP_TIMEOUT,        /* a download that timed out */
    SKIP_HTTP_STATUS,    /* a download answered with a non-2xx status */
    SKIP_CONNECT,        /* a download that could not connect (DNS, refused, TLS) */
    SKIP_REDIRECTS,      /* a download with too many redirects */
    SKIP_FETCH_OTHER,    /* any other download failure, or a refused URL */
    SKIP_NO_TEXT,        /* no image, and the caption is missing or shorter than min_caption_words */
    SKIP_ALREADY_STORED, /* --resume: the id is already in the collection */
    SKIP_N
} ingest_skip;

const char *ingest_skip_name(ingest_skip s);

typedef struct ingest_opts {
    const char *collection;
    size_t batch;            /* items per batch (default 32) */
    int loader_threads;      /* image loading workers (default: the CPU count) */
    int min_caption_words;   /* captions with fewer words count as missing (default 0) */
    int resume;              /* 1: skip ids already stored */
    int ocr_missing;         /* 1: read the text of images without a caption (needs Tesseract) */
    fetch_opts fetch;
    size_t max_file_bytes;   /* image files larger than this are skipped (default 64 MiB) */
    int progress;            /* 1: progress bar / periodic lines on stderr */
    int progress_tty;        /* -1: decide by isatty; 0/1 force (tests) */
    double progress_interval; /* seconds between plain progress lines (default 5) */
    FILE *log;               /* one line per skipped item (default stderr; NULL = none) */
    volatile sig_atomic_t *stop; /* non-NULL and non-zero: finish the current batch and return */
} ingest_opts;

ingest_opts ingest_opts_default(void);

typedef struct ingest_stats {
    uint64_t records;         /* manifest records read (good and bad) */
    uint64_t ingested;        /* points written */
    uint64_t with_image, with_caption, ocr_captions;
    uint64_t skipped;         /* Σ by_reason */
    uint64_t by_reason[SKIP_N];
    double seconds;
    /* where the time went (wall seconds; the loader runs beside the other stages): */
    double load_seconds;      /* loader: manifest, read/download, decode, preprocess, OCR */
    double wait_seconds;      /* writer idle, waiting for the loader (a loader-bound run) */
    double embed_seconds;     /* writer: the model on images and captions */
    double store_seconds;     /* writer: the upsert (commit) */
    int interrupted;          /* 1: stopped by the stop flag */
} ingest_stats;

/* ingest_run: ingests the manifest at path into the sink's collection (created if needed) with
 * the CLIP model clip (images and captions) and, when st is not NULL, a sentence-transformers
 * model (captions, "text_st"). Returns VT_OK when the run finished (items may have been skipped:
 * see *stats), or an error that stops everything: the manifest cannot be opened, the collection
 * does not fit the models, the sink fails to write, memory runs out. */
int ingest_run(const char *manifest, vt_model *clip, vt_model *st, const sink *sk, const ingest_opts *opts,
               ingest_stats *stats, vt_error *err);

/* ingest_stats_json: the stats as a JSON object (caller: json_decref), for --json and logs. */
json_t *ingest_stats_json(const ingest_stats *s);

#endif
