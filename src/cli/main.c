/*
 * main.c — the `vitrine` program: dispatches to one subcommand per file (cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} COMMANDS[] = {
    {"tokenize", cmd_tokenize, "token ids of texts: --model DIR [--max-length N] (--text T ... | --text-json FILE)"},
    {"preprocess", cmd_preprocess, "model input of an image: --model DIR [--no-exif] [--resize pil|torchvision] --out FILE IMAGE"},
    {"embed", cmd_embed, "embeddings as JSON lines: --model DIR [--no-normalize] [--no-exif] [--text T]... [--text-json FILE] [--image PATH]..."},
    {"bench", cmd_bench, "benchmarks: bench embed --arch vit-b-32|mpnet-base|minilm-l6 [--batch N] [--threads N] [--tokens N] [--seconds S]"},
    {"db", cmd_db, "the database without a server: db create|info|list|drop|upsert|get|delete|scroll|count|search|snapshot|restore --data DIR --collection NAME ..."},
    {"serve", cmd_serve, "the Qdrant-compatible HTTP server: --data DIR [--host H] [--port P] [--api-key K] [--read-only-api-key K] [--model DIR]... [--max-request-mb N]"},
    {"ingest", cmd_ingest, "embed and store a manifest of images and captions: (--data DIR | --url URL) --collection NAME --manifest FILE [--text-model DIR] [--batch N] [--min-caption-words N] [--ocr-missing] [--resume]"},
    {"search", cmd_search, "cross-modal search: (--data DIR | --url URL) --collection NAME (--text T | --image P)... [--using V] [--filter JSON] [--limit K] [--fusion rrf|dbsf|weighted|mean] [--weights W,...] [--calibrated] [--json]"},
    {"eval", cmd_eval, "retrieval metrics per direction: --data DIR --collection NAME --queries FILE [--k K] [--out FILE] [--failures FILE] [--plots DIR] [--json]"},
    {"map", cmd_map, "t-SNE map of a collection's vectors as PNG, SVG and CSV: --data DIR --collection NAME --out PREFIX [--using V] [--sample N] [--color-by FIELD] [--perplexity P] [--iterations N] [--seed S]"},
    {"report", cmd_report, "a self-contained HTML page of the results: --data DIR --collection NAME --queries FILE --out FILE.html [--k K] [--media-root DIR] [--color-by FIELD] [--map-sample N] [--no-map]"},
    {"demo", cmd_demo, "zero-shot search over Fashion-MNIST with the shipped model: [--limit N] [--threads N]"},
};

static void usage(FILE *out) {
    fprintf(out, "vitrine %s — multimodal retrieval engine\n\nusage: vitrine COMMAND [options]\n\n", VT_VERSION);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(out, "  %-11s %s\n", COMMANDS[i].name, COMMANDS[i].help);
    fprintf(out, "\n--model defaults to the shipped models/fashion-clip; --threads to all cores.\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vitrine %s\n", VT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0) return COMMANDS[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "vitrine: unknown command \"%s\" (vitrine --help lists them)\n", argv[1]);
    return 2;
}
