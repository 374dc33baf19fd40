/*
 * sink.h — where ingested points go: a local database opened in-process (sink_local.c, for
 * --data DIR) or a running vitrine/Qdrant server through its REST API (sink_http.c, for --url).
 * The ingest pipeline only sees this table, so both destinations get exactly the same points.
 */
#ifndef VT_PIPELINE_SINK_H
#define VT_PIPELINE_SINK_H

#include <jansson.h>
#include <stdint.h>

#include "vitrine.h"

/* One point as ingest builds it: any of the three vectors may be NULL (missing). */
typedef struct sink_point {
    vt_point_id id;
    const float *image;   /* CLIP image embedding ("image"), clip_dim floats */
    const float *text;    /* CLIP text embedding ("text"), clip_dim floats */
    const float *text_st; /* sentence-transformers embedding ("text_st"), st_dim floats */
    const json_t *payload;
} sink_point;

typedef struct sink {
    void *ctx;
    /* ensure_collection: creates the collection with Cosine vectors "image" and "text" of
     * clip_dim (and "text_st" of st_dim when st_dim > 0) unless it exists; if it exists it must
     * have those vectors with those sizes (VT_EINVAL naming the difference otherwise). */
    int (*ensure_collection)(void *ctx, const char *collection, uint32_t clip_dim, uint32_t st_dim, vt_error *err);
    /* exists: present[i] = 1 when ids[i] is stored. */
    int (*exists)(void *ctx, const char *collection, const vt_point_id *ids, size_t n, uint8_t *present,
                  vt_error *err);
    /* upsert: writes the n points; returns after they are durable (the local commit; wait=true). */
    int (*upsert)(void *ctx, const char *collection, const sink_point *pts, size_t n, uint32_t clip_dim,
                  uint32_t st_dim, vt_error *err);
    void (*close)(void *ctx);
} sink;

/* sink_local: a sink writing to db (borrowed; the caller closes it after sink.close). */
int sink_local(vt_db *db, sink *out, vt_error *err);

/* sink_http: a sink talking to the server at base_url ("http://localhost:6333"), with api_key
 * (NULL: none) sent as the api-key header. */
int sink_http(const char *base_url, const char *api_key, sink *out, vt_error *err);

#endif
