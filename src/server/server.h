/*
 * server.h — `vitrine serve`: the Qdrant REST API over one vitrine database, with server-side
 * embedding. What the rest of the program (src/cli/cmd_serve.c) may use of src/server.
 *
 * The server is libmicrohttpd with a thread pool; every request is read whole (bounded by
 * max_request_bytes), parsed as JSON (bounded nesting), routed to one handler that calls the
 * public db API (include/vitrine.h), and answered with Qdrant's envelopes. srv_run blocks until
 * SIGINT or SIGTERM, then stops accepting, lets in-flight requests finish, and returns; the
 * caller closes the db (every acknowledged write had already committed).
 */
#ifndef VT_SERVER_SERVER_H
#define VT_SERVER_SERVER_H

#include <stddef.h>

#include "vitrine.h"

typedef struct srv_opts {
    const char *data_dir;           /* the database folder (snapshots go under DIR/snapshots/) */
    const char *host;               /* address to listen on (default 127.0.0.1) */
    int port;                       /* default 6333 */
    const char *api_key;            /* NULL: no authentication */
    const char *read_only_api_key;  /* NULL: none */
    size_t max_request_bytes;       /* request bodies above this are refused (default 32 MiB) */
    unsigned n_threads;             /* HTTP worker threads (default 8) */
    const char *const *model_dirs;  /* n_models model folders; the first is the default model */
    size_t n_models;
    int quiet;                      /* 1: no start-up line on stderr */
    const char *web_root;           /* the console's files (web/), served at /console; NULL: none */
    const char *media_root;         /* files served at /media/… (thumbnails); NULL: /media is off */
} srv_opts;

/* srv_opts_default: the defaults above. Cannot fail. */
srv_opts srv_opts_default(void);

/* srv_run: loads the models, listens, serves until SIGINT/SIGTERM, drains in-flight requests and
 * returns VT_OK; or fails at start-up (a model that does not load, a port in use) with the error
 * in err. db is borrowed and stays open (the caller closes it). */
int srv_run(vt_db *db, const srv_opts *opts, vt_error *err);

#endif
