/*
 * progress.c — the progress bar and periodic lines (progress.h).
 */
#include <time.h>
#include <unistd.h>

#include "progress.h"

double progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_init(progress *p, FILE *out, const char *label, uint64_t total, int tty, double interval) {
    p->out = out;
    p->label = label;
    p->total = total;
    p->tty = tty >= 0 ? tty : isatty(fileno(out));
    p->interval = interval > 0 ? interval : 5;
    p->start = p->last = progress_now();
    p->drawn = 0;
}

static void eta_text(char *buf, size_t cap, double seconds) {
    if (seconds < 0) snprintf(buf, cap, "?");
    else if (seconds < 60) snprintf(buf, cap, "%.0fs", seconds);
    else if (seconds < 3600) snprintf(buf, cap, "%dm%02ds", (int)seconds / 60, (int)seconds % 60);
    else snprintf(buf, cap, "%dh%02dm", (int)seconds / 3600, (int)seconds / 60 % 60);
}

static void draw(progress *p, uint64_t done, uint64_t failed, int final) {
    double now = progress_now(), el = now - p->start;
    double rate = el > 0 ? done / el : 0;
    char eta[32] = "";
    if (p->total && rate > 0 && done <= p->total) eta_text(eta, sizeof eta, (p->total - done) / rate);
    int pct = p->total ? (int)(100.0 * done / p->total) : 0;
    if (pct > 100) pct = 100;
    if (p->tty) {
        char bar[21];
        for (int i = 0; i < 20; i++) bar[i] = i < pct / 5 ? '#' : '.';
        bar[20] = '\0';
        if (p->total)
            fprintf(p->out, "\r%s [%s] %3d%% %llu/%llu  %.1f/s  ETA %s  failed %llu\033[K", p->label, bar, pct,
                    (unsigned long long)done, (unsigned long long)p->total, rate, final ? "0s" : eta,
                    (unsigned long long)failed);
        else
            fprintf(p->out, "\r%s %llu  %.1f/s  failed %llu\033[K", p->label, (unsigned long long)done, rate,
                    (unsigned long long)failed);
        p->drawn = 1;
        if (final) {
            fputc('\n', p->out);
            p->drawn = 0;
        }
    } else if (p->total) {
        fprintf(p->out, "%s: %llu/%llu (%d%%), %.1f items/s, ETA %s, %llu failed\n", p->label,
                (unsigned long long)done, (unsigned long long)p->total, pct, rate, final ? "0s" : (eta[0] ? eta : "?"),
                (unsigned long long)failed);
    } else {
        fprintf(p->out, "%s: %llu, %.1f items/s, %llu failed\n", p->label, (unsigned long long)done, rate,
                (unsigned long long)failed);
    }
    fflush(p->out);
    p->last = now;
}

void progress_update(progress *p, uint64_t done, uint64_t failed) {
    double due = p->tty ? 0.1 : p->interval;
    if (progress_now() - p->last >= due) draw(p, done, failed, 0);
}

void progress_finish(progress *p, uint64_t done, uint64_t failed) { draw(p, done, failed, 1); }
