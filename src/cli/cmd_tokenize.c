/*
 * cmd_tokenize.c — `vitrine tokenize --model DIR [--max-length N] (--text T ... | --text-json FILE)`
 *
 * Prints one JSON array of token ids per input, one input per line, in input order. The ids are
 * truncated to the model's maximum sequence length (77 for CLIP; a sentence-transformers model's
 * max_seq_length, e.g. 384 for all-mpnet-base-v2) unless --max-length says otherwise;
 * --max-length 0 turns truncation off. The special tokens are always there (BOS … EOS for CLIP,
 * [CLS] … [SEP] or <s> … </s> for BERT / MPNet).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "cli.h"

int cmd_tokenize(int argc, char **argv) {
    const char *model_dir = NULL, *v;
    int max_length = -1, rc = 0;
    cli_texts texts = {0};
    vt_model *m = NULL;
    for (int i = 0; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--max-length"))) max_length = cli_int("--max-length", v, 0, 1 << 20);
        else if ((v = cli_flag_value(argc, argv, &i, "--text"))) {
            if (cli_texts_push(&texts, v, strlen(v))) {
                rc = 1;
                goto done;
            }
        } else if ((v = cli_flag_value(argc, argv, &i, "--text-json"))) {
            if (cli_texts_read_json(&texts, v)) {
                rc = 1;
                goto done;
            }
        } else {
            rc = cli_usage_error("tokenize", "unknown option %s", argv[i]);
            goto done;
        }
    }
    if (texts.n == 0) {
        rc = cli_usage_error("tokenize", "give --text T or --text-json FILE");
        goto done;
    }
    vt_model_opts opts = vt_model_opts_default();
    opts.n_threads = 1;
    if (!(m = cli_open_model(model_dir ? model_dir : cli_default_model(), &opts))) {
        rc = 1;
        goto done;
    }
    if (max_length < 0) max_length = vt_model_max_tokens(m);
    for (size_t i = 0; i < texts.n; i++) {
        vt_error err = {0};
        int32_t *ids;
        size_t k;
        if (vt_tokenize(m, texts.s[i], texts.len[i], max_length, &ids, &k, &err) != VT_OK) {
            fprintf(stderr, "vitrine tokenize: text %zu: %s\n", i, err.message);
            rc = 1;
            goto done;
        }
        putchar('[');
        for (size_t j = 0; j < k; j++) printf(j ? ",%d" : "%d", ids[j]);
        puts("]");
        vt_mem_free(ids);
    }
done:
    vt_model_close(m);
    cli_texts_free(&texts);
    return rc;
}
