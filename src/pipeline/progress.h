/*
 * progress.h — feedback for a long run (ingest): on a terminal one bar redrawn in place at most
 * 10 times a second,
 *     ingest [########............]  41% 28730/70000  912.4/s  ETA 45s  failed 3
 * and elsewhere (a log, CI) one plain line every `interval` seconds, so logs stay readable:
 *     ingest: 28730/70000 (41%), 912.4 items/s, ETA 45s, 3 failed
 * The rate is over the whole run so far (stable, not jumpy). total 0 means unknown: no bar, no
 * ETA. Not thread-safe: one thread reports.
 */
#ifndef VT_PIPELINE_PROGRESS_H
#define VT_PIPELINE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct progress {
    FILE *out;
    const char *label;
    uint64_t total;
    int tty;            /* 1: redraw a bar; 0: periodic lines */
    double interval;    /* seconds between plain lines */
    double start, last; /* monotonic seconds */
    int drawn;          /* a bar is on the screen (needs a newline before other output) */
} progress;

/* progress_init: starts the clock. tty: -1 decides from isatty(out); 0 or 1 forces. */
void progress_init(progress *p, FILE *out, const char *label, uint64_t total, int tty, double interval);

/* progress_update: reports done items and failed ones so far (drawn only when due). */
void progress_update(progress *p, uint64_t done, uint64_t failed);

/* progress_finish: draws the final state and ends the bar's line. */
void progress_finish(progress *p, uint64_t done, uint64_t failed);

/* progress_now: monotonic seconds. */
double progress_now(void);

#endif
