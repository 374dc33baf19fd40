/*
 * cmd_serve.c — `vitrine serve`: the Qdrant-compatible HTTP server over a data folder.
 *
 *   vitrine serve --data DIR [--host 127.0.0.1] [--port 6333] [--api-key K]
 *                 [--read-only-api-key K] [--model DIR]... [--max-request-mb N] [--threads N]
 *                 [--media-root DIR] [--web-root DIR]
 *
 * The web console (web/, found beside the executable's build folder unless --web-root) is at
 * /console; --media-root DIR serves the files under DIR at /media/… (the thumbnails the console
 * shows for payloads whose "image" is a path relative to DIR), behind the API key.
 * The default model (models/fashion-clip, found as cli_default_model finds it) is always loaded
 * first; each --model adds one, named by its folder name in inference objects. Port 0 picks a
 * free port; the start-up line on stderr says which ("listening on http://HOST:PORT"). The
 * server runs until SIGINT or SIGTERM, then finishes in-flight requests and closes the db.
 * Exit status: 0 after a clean stop, 1 when start-up fails (one line naming the problem),
 * 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "cli.h"
#include "server/server.h"

#define CMD "serve"
#define MAX_MODELS 16

int cmd_serve(int argc, char **argv) {
    srv_opts o = srv_opts_default();
    const char *models[MAX_MODELS + 1];
    size_t n_models = 0;
    int max_mb = 32;
    models[n_models++] = cli_default_model();
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = cli_flag_value(argc, argv, &i, "--data"))) o.data_dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--host"))) o.host = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--port"))) o.port = cli_int("--port", v, 0, 65535);
        else if ((v = cli_flag_value(argc, argv, &i, "--api-key"))) o.api_key = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--read-only-api-key"))) o.read_only_api_key = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--max-request-mb"))) max_mb = cli_int("--max-request-mb", v, 1, 4096);
        else if ((v = cli_flag_value(argc, argv, &i, "--threads"))) o.n_threads = (unsigned)cli_int("--threads", v, 1, 1024);
        else if ((v = cli_flag_value(argc, argv, &i, "--model"))) {
            if (n_models == MAX_MODELS + 1) return cli_usage_error(CMD, "at most %d --model", MAX_MODELS);
            models[n_models++] = v;
        } else if ((v = cli_flag_value(argc, argv, &i, "--media-root"))) o.media_root = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--web-root"))) o.web_root = v;
        else if (strcmp(argv[i], "--quiet") == 0) o.quiet = 1;
        else return cli_usage_error(CMD, "unknown argument \"%s\"", argv[i]);
    }
    if (!o.data_dir) return cli_usage_error(CMD, "--data DIR is required");
    if (!o.web_root) o.web_root = cli_default_web_root();
    o.max_request_bytes = (size_t)max_mb << 20;
    o.model_dirs = models;
    o.n_models = n_models;

    vt_error err = {0};
    vt_db *db = NULL;
    vt_db_opts dbo = vt_db_opts_default();
    if (vt_db_open(o.data_dir, &dbo, &db, &err) != VT_OK) {
        fprintf(stderr, "vitrine serve: %s\n", err.message);
        return 1;
    }
    int rc = srv_run(db, &o, &err);
    vt_db_close(db);
    if (rc != VT_OK) {
        fprintf(stderr, "vitrine serve: %s\n", err.message[0] ? err.message : vt_errstr(rc));
        return 1;
    }
    return 0;
}
