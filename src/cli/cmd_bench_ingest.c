/*
 * cmd_bench_ingest.c — `vitrine bench ingest`: end-to-end ingest throughput (read, decode,
 * preprocess, embed image and caption, store) through the real pipeline (src/pipeline/ingest.h)
 * into a scratch database, with where the time went per stage. One JSON object on stdout.
 *
 *   --source fashion   N Fashion-MNIST images exported as PNG files (28 × 28 gray), the shipped
 *                      model (default)
 *   --source photos    N generated 640 × 480 RGB PNG photos (smooth gradients and noise, ~0.5 MB
 *                      each): decode and resize dominate, at the 224-pixel input every CLIP
 *                      ViT-B/32 shares; the model forward of vit-b-32 itself is `bench embed`'s
 *   --n N (2000)  --batch B (32)  --threads T (model; all cores)  --loaders L (all cores)
 *   --model DIR   another CLIP folder (e.g. a real clip-vit-base-patch32)
 *   --arch vit-b-32   a CLIP folder with clip-vit-base-patch32's geometry and random weights,
 *                 written for the run (random_clip_folder.c): the real model's cost end to end
 * The input files are written before the clock starts and removed afterwards.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/json.h"
#include "cli.h"
#include "fashion_mnist.h"
#include "pipeline/ingest.h"

static int write_photo(const char *path, int seed) {
    const int w = 640, h = 480;
    uint8_t *row = malloc((size_t)w * 3);
    FILE *f = fopen(path, "wb");
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    if (!row || !f || !p || !info || setjmp(png_jmpbuf(p))) {
        png_destroy_write_struct(&p, &info);
        if (f) fclose(f);
        free(row);
        return -1;
    }
    png_init_io(p, f);
    png_set_IHDR(p, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    uint32_t s = (uint32_t)seed * 2654435761u + 1;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            s = s * 1664525u + 1013904223u;
            int noise = (int)(s >> 27) - 16;
            int r = (x * 255 / w + seed * 37 + noise) & 255, g = (y * 255 / h + seed * 11 + noise) & 255,
                b = ((x + y) * 255 / (w + h) + noise) & 255;
            row[3 * x] = (uint8_t)r, row[3 * x + 1] = (uint8_t)g, row[3 * x + 2] = (uint8_t)b;
        }
        png_write_row(p, row);
    }
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &info);
    free(row);
    return fclose(f) == 0 ? 0 : -1;
}

static int write_photos(const char *dir, int n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/images", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/manifest.jsonl", dir);
    FILE *m = fopen(path, "w");
    if (!m) return 1;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/images/photo_%05d.png", dir, i);
        if (write_photo(path, i)) {
            fclose(m);
            fprintf(stderr, "vitrine bench ingest: %s: cannot write\n", path);
            return 1;
        }
        fprintf(m, "{\"id\": %d, \"image\": \"images/photo_%05d.png\", \"caption\": \"a product photo number %d\"}\n", i, i,
                i);
    }
    return fclose(m) ? 1 : 0;
}

int bench_ingest(int argc, char **argv) {
    const char *source = "fashion", *model_dir = NULL, *arch = NULL;
    int n = 2000, threads = 0;
    ingest_opts o = ingest_opts_default();
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = cli_flag_value(argc, argv, &i, "--source"))) source = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--n"))) n = cli_int("--n", v, 1, 1000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--batch"))) o.batch = (size_t)cli_int("--batch", v, 1, 4096);
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) threads = cli_int("--threads", v, 1, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--loaders"))) o.loader_threads = cli_int("--loaders", v, 1, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--arch"))) arch = v;
        else return cli_usage_error("bench ingest", "unknown argument \"%s\"", argv[i]);
    }
    if (strcmp(source, "fashion") && strcmp(source, "photos"))
        return cli_usage_error("bench ingest", "--source is fashion or photos, not \"%s\"", source);
    if (arch && strcmp(arch, "vit-b-32") != 0) return cli_usage_error("bench ingest", "--arch is vit-b-32");
    if (arch && model_dir) return cli_usage_error("bench ingest", "give --arch or --model, not both");
    if (!model_dir) model_dir = cli_default_model();
    char dir[64], path[256], arch_dir[300];
    snprintf(dir, sizeof dir, "/tmp/vt-bench-ingest-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("vitrine bench ingest: mkdtemp");
        return 1;
    }
    int rc = !strcmp(source, "fashion") ? demo_export(model_dir, FMNIST_DIR, n, dir, 1) : write_photos(dir, n);
    if (!rc && arch) { /* the shipped folder gives the tokenizer; the weights are ViT-B/32-sized */
        snprintf(arch_dir, sizeof arch_dir, "%s/vit-b-32", dir);
        rc = mkdir(arch_dir, 0755) || write_random_clip_b32(model_dir, arch_dir, 42);
        model_dir = arch_dir;
    }
    vt_model_opts mo = vt_model_opts_default();
    mo.n_threads = threads;
    vt_model *m = rc ? NULL : cli_open_model(model_dir, &mo);
    vt_db *db = NULL;
    vt_error err = {0};
    ingest_stats st;
    if (m) {
        snprintf(path, sizeof path, "%s/db", dir);
        vt_db_opts dbo = vt_db_opts_default();
        sink sk;
        rc = vt_db_open(path, &dbo, &db, &err) || sink_local(db, &sk, &err);
        if (!rc) {
            o.collection = "bench";
            o.log = stderr;
            snprintf(path, sizeof path, "%s/manifest.jsonl", dir);
            rc = ingest_run(path, m, NULL, &sk, &o, &st, &err);
            sk.close(sk.ctx);
        }
        if (rc) fprintf(stderr, "vitrine bench ingest: %s\n", err.message);
    } else {
        rc = 1;
    }
    if (!rc) {
        json_t *j = ingest_stats_json(&st);
        json_t *out = json_pack("{s:s, s:s, s:s, s:i, s:I, s:i, s:f, s:O}", "bench", "ingest", "source", source, "model",
                                arch ? "vit-b-32 (random weights)" : model_dir, "items", n, "batch", (json_int_t)o.batch, "threads", threads,
                                "items_per_s", st.seconds > 0 ? (double)st.ingested / st.seconds : 0.0, "stage_seconds",
                                json_object_get(j, "stage_seconds"));
        char *s = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(5));
        printf("%s\n", s);
        vt_free(s);
        json_decref(out);
        json_decref(j);
    }
    vt_db_close(db);
    vt_model_close(m);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0) fprintf(stderr, "vitrine bench ingest: could not remove %s\n", dir);
    return rc ? 1 : 0;
}
