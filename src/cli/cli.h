/*
 * cli.h — what the subcommands of the `vitrine` program share.
 *
 * Each subcommand is one file (cmd_*.c) with an entry `int cmd_x(int argc, char **argv)` that
 * receives the arguments after its name and returns the process exit status: 0 on success, 1 on
 * a failure of the input (one line on stderr naming it), 2 on a usage error. Results go to
 * stdout; diagnostics to stderr.
 */
#ifndef VT_CLI_H
#define VT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "vitrine.h"

int cmd_tokenize(int argc, char **argv);
int cmd_preprocess(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int bench_index(int argc, char **argv); /* `vitrine bench index` (cmd_bench_index.c) */
int bench_ingest(int argc, char **argv); /* `vitrine bench ingest` (cmd_bench_ingest.c) */
int bench_http(int argc, char **argv);   /* `vitrine bench http` (cmd_bench_http.c) */

/* write_random_clip_b32: a CLIP folder in dir (existing) with openai/clip-vit-base-patch32's
 * geometry, random F16 weights from seed, and the tokenizer/preprocessor files of shipped_dir
 * (random_clip_folder.c). Returns 0, or 1 after printing an error. */
int write_random_clip_b32(const char *shipped_dir, const char *dir, uint64_t seed);

/* demo_export: writes the first `limit` Fashion-MNIST images (test split first; 0 = all) from
 * dataset_dir as PNG files under dir/images with dir/manifest.jsonl, captions as the demo makes
 * them (cmd_demo.c). Returns 0, or 1 after printing an error. */
int demo_export(const char *model_dir, const char *dataset_dir, int limit, const char *dir, int quiet);
int cmd_demo(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* cli_flag_value: if argv[*i] is flag, returns its value argv[*i+1] and advances *i; prints a
 * usage error and exits 2 when the value is missing. Returns NULL when argv[*i] is not flag. */
const char *cli_flag_value(int argc, char **argv, int *i, const char *flag);

/* cli_int: parses s as an integer in [lo, hi] for flag, or exits 2 with a message. */
int cli_int(const char *flag, const char *s, int lo, int hi);

/* cli_usage_error: prints "vitrine CMD: message" to stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* cli_default_model: the shipped model folder (models/fashion-clip beside the build folder of
 * this executable, else $VITRINE_MODEL, else "models/fashion-clip"). Static storage. */
const char *cli_default_model(void);

/* cli_default_web_root: the console's folder web/ found as cli_default_model finds the model
 * (beside the executable's build folder), else "web" in the working directory, else NULL. */
const char *cli_default_web_root(void);

/* cli_embed_image_ref: embeds the image at ref — an http(s) URL (downloaded with the pipeline's
 * limits) or a path, relative to base unless absolute — with model m into out (vt_model_dim
 * floats). Errors name the reference. */
int cli_embed_image_ref(vt_model *m, const char *base, const char *ref, float *out, vt_error *err);

/* cli_open_model: opens dir with opts, printing the error and returning NULL on failure. */
vt_model *cli_open_model(const char *dir, const vt_model_opts *opts);

/* cli_open_models: the CLIP model (model_dir, or the shipped one when NULL) into *clip and, when
 * text_model is given, that text model into *st (else NULL). 0, or -1 after printing the error
 * (nothing left open). */
int cli_open_models(const char *model_dir, const char *text_model, const vt_model_opts *opts, vt_model **clip,
                    vt_model **st);

/* A growing list of texts given on the command line; lengths kept, since --text-json strings may
 * hold NUL bytes. */
typedef struct cli_texts {
    char **s;    /* n strings, vt_malloc'd, NUL-terminated (and possibly holding NULs) */
    size_t *len; /* n lengths in bytes */
    size_t n;
} cli_texts;

/* cli_texts_push: appends a copy of len bytes of s. Returns 0, or 1 after printing an error. */
int cli_texts_push(cli_texts *t, const char *s, size_t len);

/* cli_texts_read_json: appends the strings of FILE, a JSON array of strings. Returns 0, or 1
 * after printing an error naming the file. */
int cli_texts_read_json(cli_texts *t, const char *path);

/* cli_texts_free: releases the list. */
void cli_texts_free(cli_texts *t);

/* cli_print_json_string: writes the len bytes of s as a JSON string literal (UTF-8 kept, control
 * characters and NUL escaped). */
void cli_print_json_string(FILE *out, const char *s, size_t len);

#endif
