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
