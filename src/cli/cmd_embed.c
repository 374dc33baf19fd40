/*
 * cmd_embed.c — `vitrine embed --model DIR [--no-normalize] [--no-exif] [--threads N] [--max-pixels N]
 *                [--text T]... [--text-json FILE] [--image PATH]...`
 *
 * Prints one JSON line per input, in the order the inputs were given:
 *   {"modality":"text"|"image","input":"…","embedding":[…]}
 * Embeddings are L2-normalised unless --no-normalize (then what the reference library returns:
 * for CLIP the projected vectors, as transformers' get_text_features / get_image_features; for a
 * sentence-transformers model SentenceTransformer.encode's output). All texts are embedded as one
 * batch and all images as another; floats are printed with 9 significant digits (exact for
 * float32). --image on a text-only model (sentence-transformers) is an error before anything is
 * embedded; a model folder read with an assumption (a bare BertModel / MPNetModel: mean pooling)
 * says so on stderr.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "cli.h"

typedef struct {
    int is_image;
    size_t index; /* into texts or images */
} input_ref;

int cmd_embed(int argc, char **argv) {
    const char *model_dir = NULL, *v;
    vt_model_opts opts = vt_model_opts_default();
    cli_texts texts = {0};
    const char **images = NULL;
    input_ref *order = NULL;
    size_t n_images = 0, n_order = 0;
    float *tv = NULL, *iv = NULL;
    vt_model *m = NULL;
    int rc = 0;
    images = vt_calloc((size_t)argc + 1, sizeof *images);
    order = vt_calloc((size_t)argc + 1, sizeof *order);
    if (!images || !order) {
        rc = cli_usage_error("embed", "out of memory");
        goto done;
    }
    for (int i = 0; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) opts.n_threads = cli_int("--threads", v, 0, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--max-pixels"))) opts.max_pixels = (uint64_t)cli_int("--max-pixels", v, 1, 1 << 30);
        else if (strcmp(argv[i], "--no-normalize") == 0) opts.normalize = 0;
        else if (strcmp(argv[i], "--no-exif") == 0) opts.apply_exif = 0;
        else if ((v = cli_flag_value(argc, argv, &i, "--text"))) {
            if (cli_texts_push(&texts, v, strlen(v))) {
                rc = 1;
                goto done;
            }
            order[n_order++] = (input_ref){0, texts.n - 1};
        } else if ((v = cli_flag_value(argc, argv, &i, "--text-json"))) {
            size_t before = texts.n;
            if (cli_texts_read_json(&texts, v)) {
                rc = 1;
                goto done;
            }
            input_ref *g = vt_realloc(order, (n_order + (texts.n - before) + (size_t)argc + 1) * sizeof *g);
            if (!g) {
                rc = cli_usage_error("embed", "out of memory");
                goto done;
            }
            order = g;
            for (size_t k = before; k < texts.n; k++) order[n_order++] = (input_ref){0, k};
        } else if ((v = cli_flag_value(argc, argv, &i, "--image"))) {
            images[n_images] = v;
            order[n_order++] = (input_ref){1, n_images++};
        } else {
            rc = cli_usage_error("embed", "unknown option %s", argv[i]);
            goto done;
        }
    }
    if (n_order == 0) {
        rc = cli_usage_error("embed", "give at least one --text, --text-json or --image");
        goto done;
    }
    if (!(m = cli_open_model(model_dir ? model_dir : cli_default_model(), &opts))) {
        rc = 1;
        goto done;
    }
    int dim = vt_model_dim(m);
    vt_error err = {0};
    if (vt_model_notice(m)) fprintf(stderr, "vitrine embed: note: %s\n", vt_model_notice(m));
    if (texts.n && !vt_model_has_text(m)) {
        fprintf(stderr, "vitrine embed: model %s does not embed text\n", model_dir ? model_dir : cli_default_model());
        rc = 1;
        goto done;
    }
    if (n_images && !vt_model_has_image(m)) {
        fprintf(stderr, "vitrine embed: model %s does not embed images (it is a text-only %s model); --image %s "
                "cannot be embedded with it\n", model_dir ? model_dir : cli_default_model(), vt_model_family(m), images[0]);
        rc = 1;
        goto done;
    }
    tv = vt_malloc((texts.n ? texts.n : 1) * (size_t)dim * sizeof(float));
    iv = vt_malloc((n_images ? n_images : 1) * (size_t)dim * sizeof(float));
    if (!tv || !iv) {
        rc = cli_usage_error("embed", "out of memory");
        goto done;
    }
    if ((texts.n && vt_embed_texts_len(m, (const char *const *)texts.s, texts.len, texts.n, tv, &err) != VT_OK) ||
        (n_images && vt_embed_image_files(m, images, n_images, iv, &err) != VT_OK)) {
        fprintf(stderr, "vitrine embed: %s\n", err.message);
        rc = 1;
        goto done;
    }
    for (size_t k = 0; k < n_order; k++) {
        const input_ref *r = &order[k];
        const float *e = (r->is_image ? iv : tv) + r->index * (size_t)dim;
        printf("{\"modality\":\"%s\",\"input\":", r->is_image ? "image" : "text");
        if (r->is_image) cli_print_json_string(stdout, images[r->index], strlen(images[r->index]));
        else cli_print_json_string(stdout, texts.s[r->index], texts.len[r->index]);
        printf(",\"embedding\":[");
        for (int d = 0; d < dim; d++) printf(d ? ",%.9g" : "%.9g", (double)e[d]);
        printf("]}\n");
    }
done:
    vt_model_close(m);
    cli_texts_free(&texts);
    vt_free(images);
    vt_free(order);
    vt_free(tv);
    vt_free(iv);
    return rc;
}
