/*
 * cmd_ingest.c — `vitrine ingest (--data DIR | --url URL) --collection NAME --manifest FILE`:
 * embeds and stores a manifest of images and captions (src/pipeline/ingest.h).
 *
 *   --model DIR              the CLIP model (default: the shipped fashion-clip)
 *   --text-model DIR         also a sentence-transformers vector "text_st" for captions
 *   --batch N                items per batch (32)          --threads N   model threads (all cores)
 *   --loaders N              image loading workers (all cores)
 *   --min-caption-words N    shorter captions count as missing (0)
 *   --ocr-missing            read the text of images without a caption (Tesseract)
 *   --resume                 skip ids already stored
 *   --connect-timeout S, --timeout S, --max-download-mb N     URL limits (5 s, 15 s, 32 MB)
 *   --api-key K              with --url
 *   --no-progress            no progress bar or lines;    --json   the summary as JSON on stdout
 *   --progress-every S       seconds between progress lines when stderr is not a terminal (5)
 *
 * With --data, the collection's score calibration (src/query/calibrate.h) is sampled again at the
 * end. Ctrl-C stops after the batch being written (everything reported is committed); a second one
 * kills the process at once. The summary goes to stderr (stdout with --json). Exit status 0 when
 * the run finished, even with skipped items (they are logged and counted); 1 when it could not.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "cli.h"
#include "pipeline/ingest.h"
#include "query/calibrate.h"

#define CMD "ingest"

static volatile sig_atomic_t stop_flag;

static void on_sigint(int sig) {
    (void)sig;
    stop_flag = 1;
    signal(SIGINT, SIG_DFL); /* a second Ctrl-C ends the process */
}

static void print_summary(const ingest_stats *s) {
    fprintf(stderr, "ingest: %s: %llu ingested (%llu with an image, %llu with a caption%s), %llu skipped",
            s->interrupted ? "interrupted" : "done", (unsigned long long)s->ingested,
            (unsigned long long)s->with_image, (unsigned long long)s->with_caption, s->ocr_captions ? ", some by OCR" : "",
            (unsigned long long)s->skipped);
    const char *sep = " (";
    for (int k = 0; k < SKIP_N; k++)
        if (s->by_reason[k]) {
            fprintf(stderr, "%s%s: %llu", sep, ingest_skip_name(k), (unsigned long long)s->by_reason[k]);
            sep = ", ";
        }
    fprintf(stderr, "%s in %.1f s (%.1f items/s)\n", sep[0] == ',' ? ")" : "", s->seconds,
            s->seconds > 0 ? (s->ingested + s->skipped) / s->seconds : 0.0);
}

int cmd_ingest(int argc, char **argv) {
    const char *data = NULL, *url = NULL, *manifest = NULL, *model_dir = NULL, *text_model = NULL, *api_key = NULL;
    int threads = 0, json = 0;
    ingest_opts o = ingest_opts_default();
    o.progress = 1;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = cli_flag_value(argc, argv, &i, "--data"))) data = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--url"))) url = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--collection"))) o.collection = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--manifest"))) manifest = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--text-model"))) text_model = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--api-key"))) api_key = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--batch"))) o.batch = (size_t)cli_int("--batch", v, 1, 4096);
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) threads = cli_int("--threads", v, 1, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--loaders"))) o.loader_threads = cli_int("--loaders", v, 1, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--min-caption-words")))
            o.min_caption_words = cli_int("--min-caption-words", v, 0, 100000);
        else if ((v = cli_flag_value(argc, argv, &i, "--connect-timeout")))
            o.fetch.connect_timeout_ms = 1000L * cli_int("--connect-timeout", v, 1, 3600);
        else if ((v = cli_flag_value(argc, argv, &i, "--timeout")))
            o.fetch.total_timeout_ms = 1000L * cli_int("--timeout", v, 1, 3600);
        else if ((v = cli_flag_value(argc, argv, &i, "--max-download-mb")))
            o.fetch.max_bytes = (size_t)cli_int("--max-download-mb", v, 1, 4096) << 20;
        else if ((v = cli_flag_value(argc, argv, &i, "--progress-every"))) {
            char *end;
            o.progress_interval = strtod(v, &end);
            if (*end || !(o.progress_interval > 0 && o.progress_interval <= 3600))
                return cli_usage_error(CMD, "--progress-every takes seconds, more than 0 and at most 3600");
        } else if (!strcmp(argv[i], "--ocr-missing")) o.ocr_missing = 1;
        else if (!strcmp(argv[i], "--resume")) o.resume = 1;
        else if (!strcmp(argv[i], "--no-progress")) o.progress = 0;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else return cli_usage_error(CMD, "unknown argument \"%s\"", argv[i]);
    }
    if (!data == !url) return cli_usage_error(CMD, "give exactly one of --data DIR and --url URL");
    /* from here on Ctrl-C means "stop cleanly" (a signal during model loading stops before any
     * write) */
    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    if (!o.collection || !manifest) return cli_usage_error(CMD, "--collection and --manifest are required");

    vt_model_opts mo = vt_model_opts_default();
    mo.n_threads = threads;
    vt_model *clip, *st;
    if (cli_open_models(model_dir, text_model, &mo, &clip, &st)) return 1;
    vt_error err = {0};
    vt_db *db = NULL;
    sink sk;
    int rc;
    if (data) {
        vt_db_opts dbo = vt_db_opts_default();
        rc = vt_db_open(data, &dbo, &db, &err);
        if (rc == VT_OK) rc = sink_local(db, &sk, &err);
    } else {
        rc = sink_http(url, api_key, &sk, &err);
    }
    if (rc == VT_OK) {
        o.stop = &stop_flag;
        ingest_stats stats;
        rc = ingest_run(manifest, clip, st, &sk, &o, &stats, &err);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (rc == VT_OK || stats.ingested) print_summary(&stats);
        if (stats.ingested && db) { /* the score calibration is sampled at ingest (calibrate.h) */
            cal_stats *cal = vt_malloc(sizeof *cal);
            vt_error ce = {0};
            if (cal && (cal_compute(db, o.collection, 42, cal, &ce) || cal_save(data, o.collection, cal, &ce)))
                fprintf(stderr, "vitrine ingest: score calibration not updated: %s\n", ce.message);
            vt_free(cal);
        }
        if (json && rc == VT_OK) {
            json_t *j = ingest_stats_json(&stats);
            char *s = json_dumps(j, JSON_COMPACT);
            printf("%s\n", s);
            vt_free(s);
            json_decref(j);
        }
        sk.close(sk.ctx);
    }
    if (rc) fprintf(stderr, "vitrine ingest: %s\n", err.message[0] ? err.message : vt_errstr(rc));
    vt_db_close(db);
    vt_model_close(st);
    vt_model_close(clip);
    return rc ? 1 : 0;
}
