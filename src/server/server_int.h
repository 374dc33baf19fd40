/*
 * server_int.h — what the files of src/server share: the server context, the request record a
 * handler reads and answers through, the reply helpers (reply.c), the JSON conversions between
 * Qdrant's wire shapes and the db API (convert.c), and the inference objects (inference.c).
 *
 * A request is handled in three steps that know nothing of libmicrohttpd except http.c:
 * http.c reads the body into srv_req (bounded), router.c normalises the path, checks the key,
 * parses the JSON and calls the handler, and http.c turns what the handler left in srv_req
 * (status + result, an error, plain text or a file) into the response, adding Qdrant's envelope
 * {"result":…,"status":"ok","time":…} or {"status":{"error":"…"},"time":…}. So the unit tests
 * and the fuzz harness drive srv_dispatch directly, without sockets.
 *
 * Threads: handlers run on libmicrohttpd's pool threads at once. The context is read-only after
 * start-up except the metrics (atomics); the db and the models are thread-safe (a model serialises
 * its own calls).
 */
#ifndef VT_SERVER_SERVER_INT_H
#define VT_SERVER_SERVER_INT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/error.h"
#include "server/server.h"
#include "vitrine.h"

#define SRV_VERSION "1.19.0"           /* what GET / reports: clients accept minor ± 1 */
#define SRV_MAX_JSON_DEPTH 64          /* nesting of a request body; Qdrant's filters nest far less */
#define SRV_MAX_PATH_PARAMS 4
#define SRV_MAX_QUERY_ARGS 16
#define SRV_MAX_ROUTES 64
#define SRV_MAX_BATCH 1024             /* searches in one batch request */
#define SRV_MAX_PREFETCH_DEPTH 4       /* nested prefetch levels */
#define SRV_MAX_LIMIT 1000000          /* offsets accepted; a larger limit is clamped to it */
#define SRV_MAX_TEXT_BYTES 65536      /* an inference text (models truncate to 77..512 tokens) */
#define SRV_DEFAULT_MAX_BODY ((size_t)32 << 20) /* Qdrant's max_request_size_mb default */

/* A loaded model, named by its folder's last component ("fashion-clip"). */
typedef struct srv_model {
    char name[256];
    vt_model *model;
} srv_model;

/* Latency histogram bounds in seconds for /metrics (Prometheus `le`; +Inf is the count). */
#define SRV_N_BUCKETS 8
static const double SRV_BUCKETS[SRV_N_BUCKETS] = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0};

/* Per-route counters for /metrics (index SRV_MAX_ROUTES counts unrouted requests). */
typedef struct srv_metrics {
    _Atomic uint64_t requests[SRV_MAX_ROUTES + 1]; /* answered requests */
    _Atomic uint64_t errors[SRV_MAX_ROUTES + 1];   /* of them, status >= 400 */
    _Atomic uint64_t micros[SRV_MAX_ROUTES + 1];   /* summed handling time */
    _Atomic uint64_t buckets[SRV_MAX_ROUTES + 1][SRV_N_BUCKETS]; /* requests <= each bound */
    _Atomic uint64_t in_flight;                    /* requests being handled now */
} srv_metrics;

typedef struct srv_ctx {
    vt_db *db;                    /* borrowed */
    const char *data_dir;         /* borrowed */
    srv_model *models;            /* n_models; [0] is the default model */
    size_t n_models;
    const char *api_key;          /* NULL: no auth */
    const char *ro_key;           /* NULL: none */
    size_t max_body;              /* bytes */
    double started;               /* monotonic seconds at start */
    const char *web_root;         /* the console's folder, or NULL */
    char *media_root;             /* realpath of --media-root (owned), or NULL */
    srv_metrics metrics;
} srv_ctx;

enum srv_body_kind {
    SRV_REPLY_NONE = 0, /* the handler set nothing: a 500 */
    SRV_REPLY_RESULT,   /* {"result": result, "status":"ok", "time"} */
    SRV_REPLY_ERROR,    /* {"status":{"error": error}, "time"} */
    SRV_REPLY_JSON,     /* result as the whole body (GET /) */
    SRV_REPLY_TEXT,     /* text, text_type */
    SRV_REPLY_FILE      /* the open file fd of fd_size bytes (snapshot download) */
};

typedef struct srv_req {
    srv_ctx *ctx;
    const char *method;                       /* "GET", … */
    char path[2048];                          /* normalised: no duplicate or trailing '/' */
    const char *params[SRV_MAX_PATH_PARAMS];  /* the {…} components, pointing into segs */
    size_t n_params;
    const char *query_keys[SRV_MAX_QUERY_ARGS];
    const char *query_vals[SRV_MAX_QUERY_ARGS]; /* NULL for a key without '=' */
    size_t n_query;
    const char *api_key_header;               /* the api-key header or NULL */
    const char *authorization;                /* the Authorization header or NULL */
    const char *content_type;                 /* or NULL */
    const char *body;                         /* body_len bytes (not NUL-terminated) */
    size_t body_len;
    json_t *json;                             /* the parsed body (NULL: empty) */
    int route;                                /* index into the route table, -1 if none */
    /* a search's own payloads, kept for the ScoredPoints so that they are not read twice: set
     * want_payloads before srv_run_query, and nearest() leaves its result (with payloads) in
     * found; srv_scored_json uses it when its points are exactly the hits (srv_req_fini frees) */
    int want_payloads;
    vt_result *found;
    /* the answer */
    int status;                               /* HTTP status */
    int kind;                                 /* enum srv_body_kind */
    json_t *result;                           /* RESULT/JSON: owned */
    char *text;                               /* TEXT: vt_malloc'd, owned */
    size_t text_len;
    const char *text_type;                    /* static */
    int fd;                                   /* FILE: owned, closed by http.c */
    uint64_t fd_size;
    const char *file_type;                    /* FILE: Content-Type (static; NULL: octet-stream) */
    char error[1024];                         /* ERROR: the message */
    char upload_path[4096];                   /* a streamed upload's file ("" if none) */
    char segs[2048];                          /* scratch holding the split path */
} srv_req;

typedef void (*srv_handler)(srv_req *r);

/* --- router.c ------------------------------------------------------------------------------ */

/* srv_req_init: zeroes r and sets its context, method and raw path. Cannot fail. */
void srv_req_init(srv_req *r, srv_ctx *ctx, const char *method, const char *path);

/* srv_dispatch: routes r (auth, body parse, handler). Afterwards r->status/kind are set. */
void srv_dispatch(srv_req *r);

/* srv_req_fini: releases what r owns (result, text, fd, json). */
void srv_req_fini(srv_req *r);

/* srv_route_name: the route's pattern ("POST /collections/{}/points/query") for metrics. */
const char *srv_route_name(int route);
int srv_route_count(void);

/* srv_normalize_path: copies path into out (cap bytes), collapsing '//' and dropping a trailing
 * '/' (except for "/"). Returns 0, or -1 if it does not fit. */
int srv_normalize_path(const char *path, char *out, size_t cap);

/* --- auth.c -------------------------------------------------------------------------------- */

enum srv_access { SRV_ACCESS_DENIED = 0, SRV_ACCESS_READ = 1, SRV_ACCESS_MANAGE = 2 };

/* srv_auth_check: what the request's key allows (MANAGE when no api key is configured).
 * *why gets the plain-text 401 message when DENIED. */
int srv_auth_check(const srv_ctx *ctx, const char *api_key_header, const char *authorization,
                   const char **why);

/* srv_const_eq: 1 if the strings are equal, in time independent of where they differ. */
int srv_const_eq(const char *a, const char *b);

/* --- body.c -------------------------------------------------------------------------------- */

/* srv_json_depth_ok: 1 if the len bytes nest arrays/objects at most max_depth deep (strings
 * skipped). Cannot fail. */
int srv_json_depth_ok(const char *s, size_t len, int max_depth);

/* srv_parse_body: parses r->body into r->json (empty body: NULL). On a bad body sets a 400
 * "Format error in JSON body: …" and returns -1. */
int srv_parse_body(srv_req *r);

/* --- reply.c ------------------------------------------------------------------------------- */

/* srv_ok: answers 200 with result in the envelope (steals it; NULL → a 500). */
void srv_ok(srv_req *r, json_t *result);

/* srv_fail: answers status with the message in the error envelope. */
void srv_fail(srv_req *r, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* srv_fail_vt: answers a db error as Qdrant maps it: EINVAL & co 400 "Wrong input: …",
 * ENOTFOUND 404 "Not found: …", EEXIST 409 "Wrong input: …", others 500 "Service internal
 * error: …". */
void srv_fail_vt(srv_req *r, int rc, const vt_error *err);

/* srv_text: answers status with a plain body (copied). */
void srv_text(srv_req *r, int status, const char *type, const char *text, size_t len);

/* srv_update_ok: answers an UpdateResult {"operation_id": op, "status": "completed" when
 * ?wait=true, else "acknowledged"} (every write has committed either way). */
void srv_update_ok(srv_req *r, uint64_t op_id);

/* srv_query: the value of query argument key (NULL if absent; "" for "?key"). */
const char *srv_query(const srv_req *r, const char *key);

/* srv_query_bool: ?key=true|false; def if absent; -1 (after a 400) if not a boolean. */
int srv_query_bool(srv_req *r, const char *key, int def);

/* srv_envelope: the response body for r after `seconds` of handling (a new reference), or NULL
 * for TEXT/FILE replies. */
json_t *srv_envelope(srv_req *r, double seconds);

/* srv_utf8_valid: 1 if the NUL-terminated s is valid UTF-8 (no overlongs, no surrogates). */
int srv_utf8_valid(const char *s);

/* srv_dumps: compact JSON text of v (vt_malloc'd, caller vt_free) and its length. */
char *srv_dumps(const json_t *v, size_t *len);

/* --- convert.c ----------------------------------------------------------------------------- */

/* Which payload keys and vectors to return. */
typedef struct srv_payload_sel {
    int on;            /* 0: no payload */
    json_t *include;   /* borrowed array of JSON paths to keep, or NULL for all */
    json_t *exclude;   /* borrowed array of JSON paths to drop, or NULL (unused with include) */
} srv_payload_sel;

typedef struct srv_vector_sel {
    int on;            /* 0: no vectors */
    json_t *names;     /* borrowed array of names, or NULL for all */
} srv_vector_sel;

/* srv_parse_id: an ExtendedPointId (unsigned integer or UUID string) at v. Sets a 400 naming
 * `what` and returns -1 on anything else. */
int srv_parse_id(srv_req *r, const json_t *v, const char *what, vt_point_id *out);

/* srv_parse_ids: an array of ids into *out (vt_malloc'd, caller vt_free), *n. -1 after a 400. */
int srv_parse_ids(srv_req *r, const json_t *v, const char *what, vt_point_id **out, size_t *n);

/* srv_id_json: the id as Qdrant writes it (integer or lowercase UUID string). */
json_t *srv_id_json(const vt_point_id *id);

/* srv_parse_payload_sel / srv_parse_vector_sel: with_payload (bool | [keys] | {include} |
 * {exclude}) and with_vector (bool | [names]); absent → def. -1 after a 400. */
int srv_parse_payload_sel(srv_req *r, const json_t *v, int def, srv_payload_sel *out);
int srv_parse_vector_sel(srv_req *r, const json_t *v, int def, srv_vector_sel *out);

/* srv_filter_text: the filter object at v as JSON text for the db (vt_malloc'd; NULL when v is
 * absent or null). *bad = 1 after a 400 (not an object). */
char *srv_filter_text(srv_req *r, const json_t *v, int *bad);

/* srv_point_json: point i of res as a Record (scored = 0) or ScoredPoint (scored = 1), the
 * payload and vectors cut by the selections. unnamed_only: the collection has only the unnamed
 * vector, so "vector" is a bare list. NULL when memory runs out. */
json_t *srv_point_json(const vt_result *res, size_t i, int scored, const srv_payload_sel *ps,
                       const srv_vector_sel *vs, int unnamed_only);

/* srv_order_value: the number a point was ordered by under order_by `key` (the payload value at
 * the dotted key, the first of an array; an integer stays an integer), as Qdrant's order_value;
 * NULL when the payload (JSON text) has none. */
json_t *srv_order_value(const char *payload_json, const char *key);

/* srv_points_json: all points of res as an array of srv_point_json. */
json_t *srv_points_json(const vt_result *res, int scored, const srv_payload_sel *ps,
                        const srv_vector_sel *vs, int unnamed_only);

/* srv_unnamed_only: 1 if collection has exactly one vector and it is the unnamed one ("").
 * -1 after a reply when the collection does not exist. */
int srv_unnamed_only(srv_req *r, const char *collection);

/* srv_json_size: a non-negative integer at v (absent → def) up to max; -1 after a 400. */
long long srv_json_size(srv_req *r, const json_t *obj, const char *key, long long def,
                        long long min, long long max);
/* srv_json_size_at: the same, naming the field `label` (a path such as hnsw_config.ef_construct)
 * in its messages. */
long long srv_json_size_at(srv_req *r, const json_t *obj, const char *key, const char *label, long long def,
                           long long min, long long max);
/* srv_json_limit: a result count (`limit`) at obj.key: absent → def; below 1 a 422 naming
 * `label` ("must be 1 or larger", as Qdrant); above cap clamped to cap, as Qdrant takes any
 * usize (u64::MAX included) and returns what there is. -1 after a reply. */
long long srv_json_limit(srv_req *r, const json_t *obj, const char *key, const char *label, long long def,
                         long long cap);
/* srv_with_vector: req's with_vector, or its alias with_vectors (as Qdrant accepts); NULL if neither. */
json_t *srv_with_vector(const json_t *req);

/* --- payload_select.c -------------------------------------------------------------------- */

/* srv_payload_path_valid: 1 if pattern is a JSON path as Qdrant parses one (a, a.b, a[], a[0],
 * "quoted key"). Cannot fail. */
int srv_payload_path_valid(const char *pattern);

/* srv_payload_cut: the part of payload (an object) that ps's include or exclude paths keep, as
 * Qdrant's PayloadSelector (a new reference; payload itself when ps selects everything). NULL
 * when memory runs out. The paths must have passed srv_payload_path_valid. */
json_t *srv_payload_cut(const json_t *payload, const srv_payload_sel *ps);

/* --- inference.c --------------------------------------------------------------------------- */

/* A dense vector read from the wire: numbers, or an inference object embedded here. */
typedef struct srv_vec {
    float *data;   /* vt_malloc'd */
    uint32_t dim;
} srv_vec;

/* srv_is_inference: 1 if v is an inference object (names a model, or "text"/"image" is a string). */
int srv_is_inference(const json_t *v);

/* srv_read_vector: a dense vector at v — an array of finite numbers (1..VT_MAX_DIM), or an
 * inference object {"text"|"image"|"object": …, "model": "<name>"} embedded with the named
 * model; a sparse vector or a multivector is refused as unsupported. where names the input in
 * messages. -1 after a 400. */
int srv_read_vector(srv_req *r, const json_t *v, const char *where, srv_vec *out);

/* srv_embed: embeds an inference object into out. -1 after a 400. */
int srv_embed(srv_req *r, const json_t *obj, const char *where, srv_vec *out);

/* srv_models_load / srv_models_free: opens the folders (the default first); a folder that does
 * not load is an error naming it. */
int srv_models_load(srv_ctx *ctx, const char *const *dirs, size_t n, vt_error *err);
void srv_models_free(srv_ctx *ctx);

/* srv_base64_decode: decodes standard or URL-safe base64 (padding optional, whitespace
 * skipped) into *out (vt_malloc'd), *out_len. Returns 0, or -1 on a bad character. */
int srv_base64_decode(const char *s, size_t len, uint8_t **out, size_t *out_len);

/* --- search_eval.c ------------------------------------------------------------------------ */

typedef struct hit {
    vt_point_id id;
    float score;
    uint64_t version;
} hit;

typedef struct hits {
    hit *v;      /* n hits, best first (vt_malloc'd) */
    size_t n;
} hits;

/* srv_run_query: evaluates one QueryRequest object (query, prefetch, using, filter, params,
 * score_threshold, limit, offset, lookup_from) on collection r->params[0] into *out (caller:
 * srv_hits_free); depth counts prefetch levels (0 at the top). -1 after a reply. */
int srv_run_query(srv_req *r, const json_t *req, int depth, hits *out);

/* srv_scored_json: the hits as ScoredPoints, payloads and vectors fetched when selected. NULL
 * when memory runs out or after a reply. */
json_t *srv_scored_json(srv_req *r, const hits *h, const srv_payload_sel *ps, const srv_vector_sel *vs);

void srv_hits_free(hits *h);

/* --- handlers_*.c ------------------------------------------------------------------------- */

void h_console(srv_req *r);      /* GET /console and /console/{file} (handlers_console.c) */
void h_media(srv_req *r);        /* GET /media/… under --media-root (handlers_console.c) */
void h_root(srv_req *r);
void h_healthz(srv_req *r);
void h_readyz(srv_req *r);
void h_metrics(srv_req *r);
void h_telemetry(srv_req *r);

void h_collections_list(srv_req *r);
void h_collection_get(srv_req *r);
void h_collection_exists(srv_req *r);
void h_collection_create(srv_req *r);
void h_collection_update(srv_req *r);
void h_collection_delete(srv_req *r);
void h_aliases_update(srv_req *r);
void h_aliases_list(srv_req *r);
void h_collection_aliases(srv_req *r);
void h_index_create(srv_req *r);
void h_index_delete(srv_req *r);

void h_points_upsert(srv_req *r);
void h_points_retrieve(srv_req *r);
void h_point_get(srv_req *r);
void h_points_delete(srv_req *r);
void h_payload_set(srv_req *r);
void h_payload_overwrite(srv_req *r);
void h_payload_delete(srv_req *r);
void h_payload_clear(srv_req *r);
void h_vectors_update(srv_req *r);
void h_vectors_delete(srv_req *r);
void h_points_batch(srv_req *r);
void h_points_scroll(srv_req *r);
void h_points_count(srv_req *r);

void h_query(srv_req *r);
void h_query_batch(srv_req *r);
void h_query_groups(srv_req *r);
void h_search(srv_req *r);
void h_search_groups(srv_req *r);
void h_recommend_groups(srv_req *r);
void h_search_batch(srv_req *r);
void h_recommend(srv_req *r);
void h_recommend_batch(srv_req *r);

void h_snapshot_create(srv_req *r);
void h_snapshot_list(srv_req *r);
void h_snapshot_get(srv_req *r);
void h_snapshot_delete(srv_req *r);
void h_snapshot_recover(srv_req *r);
void h_snapshot_upload(srv_req *r);

#endif
