/*
 * cmd_preprocess.c — `vitrine preprocess --model DIR [--no-exif] [--max-pixels N] [--resize pil|torchvision]
 *                     --out FILE IMAGE`
 *
 * Writes the model input of one image: float32 little-endian, [3][H][W] (224 × 224 for CLIP),
 * exactly what the vision tower receives.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "cli.h"

int cmd_preprocess(int argc, char **argv) {
    const char *model_dir = NULL, *out_path = NULL, *image = NULL, *v;
    vt_model_opts opts = vt_model_opts_default();
    opts.n_threads = 1;
    for (int i = 0; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--out"))) out_path = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--resize"))) {
            if (strcmp(v, "pil") == 0) opts.resize_mode = VT_RESIZE_PIL;
            else if (strcmp(v, "torchvision") == 0) opts.resize_mode = VT_RESIZE_TORCHVISION;
            else return cli_usage_error("preprocess", "--resize must be pil or torchvision, not \"%s\"", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--max-pixels"))) {
            opts.max_pixels = (uint64_t)cli_int("--max-pixels", v, 1, 1 << 30);
        } else if (strcmp(argv[i], "--no-exif") == 0) opts.apply_exif = 0;
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("preprocess", "unknown option %s", argv[i]);
        else if (image) return cli_usage_error("preprocess", "one IMAGE at a time (got %s and %s)", image, argv[i]);
        else image = argv[i];
    }
    if (!out_path || !image) return cli_usage_error("preprocess", "usage: vitrine preprocess --model DIR --out FILE IMAGE");
    vt_model *m = cli_open_model(model_dir ? model_dir : cli_default_model(), &opts);
    if (!m) return 1;
    size_t n = 3 * (size_t)vt_model_image_size(m) * (size_t)vt_model_image_size(m);
    float *px = vt_malloc(n * sizeof(float));
    vt_error err = {0};
    int rc = 0;
    if (!px) {
        fprintf(stderr, "vitrine preprocess: out of memory\n");
        rc = 1;
    } else if (vt_preprocess_file(m, image, px, &err) != VT_OK) {
        fprintf(stderr, "vitrine preprocess: %s\n", err.message);
        rc = 1;
    } else {
        FILE *f = fopen(out_path, "wb");
        /* x86-64 is little-endian: the floats are written as they are in memory */
        if (!f || fwrite(px, sizeof(float), n, f) != n || fclose(f) != 0) {
            fprintf(stderr, "vitrine preprocess: %s: cannot write\n", out_path);
            rc = 1;
        }
    }
    vt_free(px);
    vt_model_close(m);
    return rc;
}
