/*
 * vitrine.h — the public C API of vitrine, a multimodal (text + image) retrieval engine.
 *
 * Example: embed a caption and an image with the shipped CLIP model and compare them.
 *
 *     #include <vitrine.h>
 *     vt_error err = {0};
 *     vt_model *model = NULL;
 *     vt_model_opts opts = vt_model_opts_default();
 *     opts.n_threads = 2;
 *     if (vt_model_open("models/fashion-clip", &opts, &model, &err) != VT_OK) {
 *         fprintf(stderr, "%s\n", err.message);
 *         return 1;
 *     }
 *     int dim = vt_model_dim(model);
 *     float *t = malloc(dim * sizeof(float)), *v = malloc(dim * sizeof(float));
 *     const char *text = "a photo of a sneaker";
 *     const char *path = "shoe.png";
 *     if (vt_embed_texts(model, &text, 1, t, &err) != VT_OK ||
 *         vt_embed_image_files(model, &path, 1, v, &err) != VT_OK)
 *         fprintf(stderr, "%s\n", err.message);
 *     float cosine = 0;                       // embeddings come out L2-normalised
 *     for (int i = 0; i < dim; i++) cosine += t[i] * v[i];
 *     vt_model_close(model);
 *
 * Conventions. Every fallible call returns an int: VT_OK (0) or a negative VT_E* code; results go
 * out through trailing pointers; the last parameter is an optional vt_error * (NULL allowed) that
 * receives one line naming the input and the problem. Handles are opaque; open/close and new/free
 * come in pairs and close/free accept NULL. Who owns what is said at each declaration.
 */
#ifndef VITRINE_H
#define VITRINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VT_VERSION "0.1.0"

/* ---------------------------------------------------------------------------------------------
 * Errors. The list is append-only: a code keeps its number forever.
 */
#define VT_ERRNO_MAP(X)                                                          \
    X(OK, 0, "success")                                                          \
    X(EINVAL, -1, "invalid argument")                                            \
    X(ENOMEM, -2, "out of memory")                                               \
    X(EIO, -3, "input/output error")                                             \
    X(ECORRUPT, -4, "malformed or corrupt input")                                \
    X(EUNSUPPORTED, -5, "unsupported input")                                     \
    X(ELIMIT, -6, "input exceeds a limit")                                       \
    X(ENOTFOUND, -7, "not found")                                                \
    X(EINTERNAL, -8, "internal error")                                           \
    X(EEXIST, -9, "already exists")                                              \
    X(EREADONLY, -10, "database refuses writes after a failed durability step")               \
    X(EBUSY, -11, "data folder in use by another process")

enum vt_errno {
#define VT_ERR_ENUM(name, val, msg) VT_##name = val,
    VT_ERRNO_MAP(VT_ERR_ENUM)
#undef VT_ERR_ENUM
};

/* The detail of a failure, in a buffer the caller owns. Zero-initialise it before use. */
typedef struct vt_error {
    int code;          /* the VT_E* code of the first failure recorded, 0 if none */
    char message[512]; /* one line naming the input and the problem; "" if none */
} vt_error;

const char *vt_errname(int code); /* "ECORRUPT"; static storage; cannot fail */
const char *vt_errstr(int code);  /* "malformed or corrupt input"; static storage; cannot fail */

/* vt_mem_free: releases memory that a vt_ call handed to the caller. NULL is accepted. */
void vt_mem_free(void *p);

/* ---------------------------------------------------------------------------------------------
 * Models: a Hugging Face model folder loaded for embedding — CLIP (texts and images in one
 * space), or a sentence-transformers text encoder (BERT / MPNet family, e.g. all-mpnet-base-v2,
 * all-MiniLM-L6-v2, bge-base), or a bare BertModel / MPNetModel folder (mean pooling).
 */
typedef struct vt_model vt_model;

enum vt_resize_mode {
    VT_RESIZE_PIL = 0,        /* Pillow BICUBIC, bit-exact (transformers' PIL backend) */
    VT_RESIZE_TORCHVISION = 1 /* transformers' default torchvision backend (int16 coefficients) */
};

typedef struct vt_model_opts {
    int n_threads;     /* worker threads for embedding; 0 = all cores */
    int apply_exif;    /* 1: rotate/flip image files by their EXIF orientation (default 1) */
    int resize_mode;   /* enum vt_resize_mode (default VT_RESIZE_PIL) */
    int normalize;     /* 1: L2-normalise embeddings (default 1); 0: what the reference library
                          returns (CLIP: the projected vectors; sentence-transformers: encode's
                          output, normalised only if the pipeline has a Normalize module) */
    uint64_t max_pixels; /* images with more pixels are refused before decoding (default 64M) */
} vt_model_opts;

/* vt_model_opts_default: the defaults above. Cannot fail. */
vt_model_opts vt_model_opts_default(void);

/* vt_model_open: loads the model folder dir. The kind of folder is recognised from its files:
 * modules.json → sentence-transformers (modules.json, 1_Pooling/config.json,
 * sentence_bert_config.json, and the Transformer's config.json, model.safetensors, tokenizer);
 * else config.json's model_type: "clip" (config.json, model.safetensors, tokenizer files,
 * preprocessor_config.json), "bert" or "mpnet" (a bare model, embedded with mean pooling: see
 * vt_model_notice). On success *out is a new handle owned by the caller (release with
 * vt_model_close). opts may be NULL for the defaults. The weights file is memory-mapped. */
int vt_model_open(const char *dir, const vt_model_opts *opts, vt_model **out, vt_error *err);

/* vt_model_close: releases the model. NULL is accepted. */
void vt_model_close(vt_model *model);

/* vt_model_dim: the length of an embedding (projection_dim for CLIP; the sentence embedding
 * size for sentence-transformers: hidden_size times the number of pooling modes). Cannot fail. */
int vt_model_dim(const vt_model *model);

/* vt_model_has_text / vt_model_has_image: 1 if the model embeds that modality (a
 * sentence-transformers model: text only). Cannot fail. */
int vt_model_has_text(const vt_model *model);
int vt_model_has_image(const vt_model *model);

/* vt_model_max_tokens: the model's maximum sequence length, special tokens included (77 for
 * CLIP; sentence-transformers' max_seq_length, e.g. 384 for all-mpnet-base-v2). Texts are
 * truncated to it. Cannot fail. */
int vt_model_max_tokens(const vt_model *model);

/* vt_model_image_size: the model's input image side in pixels (224 for CLIP; 0 for a text-only
 * model). Cannot fail. */
int vt_model_image_size(const vt_model *model);

/* vt_model_family: "clip" or "sentence-transformers". Static storage. Cannot fail. */
const char *vt_model_family(const vt_model *model);

/* vt_model_notice: NULL, or one line on how the folder was read that a user should know about
 * ("…: no sentence-transformers modules.json: a bare MPNetModel, embedded with masked mean
 * pooling"). Owned by the model, valid until vt_model_close. Cannot fail. */
const char *vt_model_notice(const vt_model *model);

/* vt_tokenize: the token ids of the text_len bytes of UTF-8 at text (NUL bytes allowed) as the
 * model's tokenizer gives them (with the special tokens), truncated to max_length tokens when
 * max_length > 0. On success *ids_out is an array of *n_out ids owned by the caller (release with
 * vt_mem_free). */
int vt_tokenize(const vt_model *model, const char *text, size_t text_len, int max_length,
                int32_t **ids_out, size_t *n_out, vt_error *err);

/* vt_embed_texts: embeds n texts (UTF-8, NUL-terminated) into out, n × vt_model_dim floats that
 * the caller provides. One call at a time per model handle (calls are serialised inside). */
int vt_embed_texts(vt_model *model, const char *const *texts, size_t n, float *out,
                   vt_error *err);

/* vt_embed_texts_len: the same for texts of lens[i] bytes each (which may hold NUL bytes). */
int vt_embed_texts_len(vt_model *model, const char *const *texts, const size_t *lens, size_t n,
                       float *out, vt_error *err);

/* vt_image: a raw pixel buffer, rows top to bottom, channels interleaved, no padding.
 * channels: 1 (gray), 3 (RGB) or 4 (RGBA, alpha dropped as transformers does). Borrowed. */
typedef struct vt_image {
    int width, height, channels;
    const uint8_t *pixels; /* width × height × channels bytes */
} vt_image;

/* vt_embed_images: embeds n raw images into out (n × vt_model_dim floats, caller's).
 * VT_EUNSUPPORTED on a text-only model (and so for the two calls below). */
int vt_embed_images(vt_model *model, const vt_image *images, size_t n, float *out,
                    vt_error *err);

/* vt_embed_image_files: decodes (JPEG, PNG, WebP), preprocesses and embeds n image files. */
int vt_embed_image_files(vt_model *model, const char *const *paths, size_t n, float *out,
                         vt_error *err);

/* vt_preprocess_file: the model input for one image file: 3 × S × S floats (S =
 * vt_model_image_size) into out, which the caller provides. */
int vt_preprocess_file(const vt_model *model, const char *path, float *out, vt_error *err);

/* vt_preprocess_encoded: the same for an encoded image (JPEG, PNG or WebP) of len bytes in memory
 * (a download, an upload); name is for messages. May run on many threads at once. */
int vt_preprocess_encoded(const vt_model *model, const uint8_t *data, size_t len, const char *name,
                          float *out, vt_error *err);

/* vt_embed_pixels: embeds n preprocessed images (3 × S × S floats each, as vt_preprocess_file
 * writes them) into out (n × vt_model_dim floats) — for callers that preprocess on their own
 * threads while the model runs (the ingest pipeline). */
int vt_embed_pixels(vt_model *model, const float *pixels, size_t n, float *out, vt_error *err);

/* ---------------------------------------------------------------------------------------------
 * Points. A point id is an unsigned 64-bit integer or a UUID, as in Qdrant.
 */
typedef struct vt_point_id {
    int is_uuid;      /* 0: num is the id; 1: uuid is the id */
    uint64_t num;     /* the integer id (is_uuid == 0) */
    uint8_t uuid[16]; /* the UUID's 16 bytes in text order (is_uuid == 1) */
} vt_point_id;

/* vt_point_id_parse: parses the len bytes at s — a decimal u64 ("17") or a UUID (hyphenated,
 * 32 hex digits, braced or urn:uuid:, any case) — into *out. Returns VT_OK or VT_EINVAL
 * ("Can not recognize \"s\" as point id"). */
int vt_point_id_parse(const char *s, size_t len, vt_point_id *out, vt_error *err);

/* vt_point_id_cmp: <0, 0, >0 as a sorts before, with or after b in the database's id order
 * (integers before UUIDs; integers by value, UUIDs bytewise). 0 means the same point. */
int vt_point_id_cmp(const vt_point_id *a, const vt_point_id *b);

/* vt_point_id_format: writes the id as text ("17", or the lowercase hyphenated UUID) into buf
 * (NUL-terminated, at least VT_POINT_ID_BUF bytes). Returns buf. Cannot fail. */
#define VT_POINT_ID_BUF 40
char *vt_point_id_format(const vt_point_id *id, char *buf);

/* ---------------------------------------------------------------------------------------------
 * Database: collections of points with named vectors and JSON payloads, stored durably in LMDB
 * (one data folder), searched by brute force or HNSW. Shaped after Qdrant's operations.
 *
 *     vt_db *db = NULL;
 *     vt_db_opts o = vt_db_opts_default();
 *     if (vt_db_open("data", &o, &db, &err) != VT_OK) ...
 *     vt_vector_params v = vt_vector_params_default("", 4, VT_DISTANCE_COSINE);
 *     vt_collection_config c = {1, &v};
 *     rc = vt_collection_create(db, "docs", &c, &err);          // VT_EEXIST if it exists
 *     float x[4] = {1, 0, 0, 0};
 *     vt_named_vector nv = {"", x, 4};
 *     vt_point_in p = {{0, 17, {0}}, 1, &nv, "{\"color\":\"red\"}"};
 *     uint64_t op;
 *     rc = vt_points_upsert(db, "docs", &p, 1, &op, &err);      // returns after the commit
 *     vt_search_req q = vt_search_req_default();
 *     q.vector = x; q.dim = 4; q.limit = 5; q.filter_json = "{\"must\":[...]}";
 *     vt_result *r;
 *     rc = vt_points_search(db, "docs", &q, &r, &err);
 *     for (size_t i = 0; i < vt_result_count(r); i++) ... vt_result_score(r, i) ...
 *     vt_result_free(r);
 *     vt_db_close(db);
 *
 * Threads: a vt_db may be used from any number of threads at once. Reads run in parallel on LMDB
 * snapshots; writes are serialised (one write transaction at a time). Every write returns only
 * after its transaction has committed (fsync'd unless opts.no_sync), and a batch is all or
 * nothing. If a commit fails for a reason other than a full map (EIO, ENOSPC, ...), the handle
 * becomes read-only: every later write returns VT_EREADONLY (reopen to recover).
 *
 * Collection names may be aliases (vt_alias_*) wherever a collection is named below, except in
 * create and delete. Filters are Qdrant filter JSON (UTF-8 text; NULL or "" = no filter).
 * Payloads are JSON objects as UTF-8 text. Every write returns its operation id in *op_id (may
 * be NULL): a sequence number per collection, starting at 1; a point's version is the operation
 * id of the last write that changed it.
 */
typedef struct vt_db vt_db;

#define VT_MAX_NAME_LEN 255       /* bytes in a collection, alias or vector name */
#define VT_MAX_NAMED_VECTORS 16   /* named vectors per collection */
#define VT_MAX_DIM 65536          /* Qdrant's vector size limit */

typedef struct vt_db_opts {
    uint64_t map_size;          /* initial LMDB map size in bytes (default 64 MiB); it doubles
                                   whenever a write finds it full */
    uint64_t max_map_size;      /* the map never grows past this (default 1 TiB) */
    size_t max_payload_bytes;   /* a point's payload JSON above this is VT_ELIMIT (default 1 MiB) */
    int no_sync;                /* 1: commits skip fsync (survive kill -9, not power loss) */
    int no_index;               /* 1: search by brute force only, build no HNSW */
} vt_db_opts;

/* vt_db_opts_default: the defaults above. Cannot fail. */
vt_db_opts vt_db_opts_default(void);

/* vt_db_open: opens (creating if needed) the database in folder dir (created if missing; LMDB
 * files data.mdb and lock.mdb, index files under dir/index/). opts may be NULL. On success *out
 * is a handle owned by the caller (vt_db_close). One handle at a time may have a folder: the
 * open takes an exclusive lock on dir/LOCK (released by vt_db_close or the process's end), since
 * each handle keeps its own indexes and op log. Errors: VT_EBUSY (another handle, in this or
 * another process, has the folder; the message names its pid), VT_EIO (folder, LMDB),
 * VT_ECORRUPT (not a vitrine database or a newer format). */
int vt_db_open(const char *dir, const vt_db_opts *opts, vt_db **out, vt_error *err);

/* vt_db_close: releases everything (nothing is pending: every write committed before it
 * returned). NULL is accepted. No call on db may be running. */
void vt_db_close(vt_db *db);

enum vt_distance {
    VT_DISTANCE_COSINE = 0,   /* score = cosine similarity, higher is better */
    VT_DISTANCE_DOT = 1,      /* score = dot product, higher is better */
    VT_DISTANCE_EUCLID = 2,   /* score = L2 distance, lower is better */
    VT_DISTANCE_MANHATTAN = 3 /* score = L1 distance, lower is better */
};

/* vt_distance_parse: "Cosine", "Dot", "Euclid", "Manhattan" (any case) → enum vt_distance, or
 * -1. vt_distance_name: the Qdrant spelling ("Cosine"), "?" for others. Cannot fail. */
int vt_distance_parse(const char *s);
const char *vt_distance_name(int distance);

/* One named vector of a collection. */
typedef struct vt_vector_params {
    const char *name;             /* "" for the unnamed default vector; ≤ VT_MAX_NAME_LEN bytes */
    uint32_t size;                /* dimension, 1..VT_MAX_DIM */
    int distance;                 /* enum vt_distance */
    uint32_t hnsw_m;              /* HNSW links per node (default 16) */
    uint32_t hnsw_ef_construct;   /* HNSW build beam (default 100, ≥ 4) */
    uint32_t full_scan_threshold; /* KB of vectors below which search is brute force (10000) */
    int quant_int8;               /* 1: scalar int8 quantisation (default 0) */
    float quant_quantile;         /* clipping quantile, 0.5..1 (default 1: the whole range, as Qdrant) */
    int quant_always_ram;         /* 1: quantised vectors stay in RAM */
} vt_vector_params;

/* vt_vector_params_default: params with Qdrant's defaults for name (borrowed), size, distance.
 * Cannot fail. */
vt_vector_params vt_vector_params_default(const char *name, uint32_t size, int distance);

typedef struct vt_collection_config {
    size_t n_vectors;                /* 1..VT_MAX_NAMED_VECTORS */
    const vt_vector_params *vectors; /* n_vectors entries, distinct names; borrowed */
} vt_collection_config;

/* vt_collection_create: creates collection name (1..VT_MAX_NAME_LEN bytes, no '/', no control
 * characters). Errors: VT_EEXIST ("Collection `name` already exists!", also when an alias has
 * that name), VT_EINVAL (bad name or params, naming the field). */
int vt_collection_create(vt_db *db, const char *name, const vt_collection_config *config,
                         vt_error *err);

/* vt_collection_delete: deletes the collection, its points, op log, aliases and index files.
 * *existed (may be NULL) = 0 when there was no such collection (not an error, as in Qdrant). */
int vt_collection_delete(vt_db *db, const char *name, int *existed, vt_error *err);

/* vt_collection_update: changes the HNSW and quantisation parameters of existing named
 * vectors (name, size and distance must match the collection's: VT_EINVAL otherwise); the
 * indexes are rebuilt with them. */
int vt_collection_update(vt_db *db, const char *name, const vt_vector_params *vectors,
                         size_t n_vectors, vt_error *err);

/* vt_collection_list: the names of all collections, sorted bytewise, in *names (an array of *n
 * strings in one block owned by the caller: vt_mem_free(*names)). */
int vt_collection_list(vt_db *db, char ***names, size_t *n, vt_error *err);

/* vt_collection_exists: *exists = 1 if name names a collection or an alias of one. */
int vt_collection_exists(vt_db *db, const char *name, int *exists, vt_error *err);

/* Facts about one named vector of a collection. */
typedef struct vt_vector_info {
    vt_vector_params params;  /* params.name points at name below */
    char name[VT_MAX_NAME_LEN + 1];
    uint64_t points_count;    /* points that have this vector */
    uint64_t indexed_count;   /* vectors in the in-memory HNSW index (0 if none built) */
    uint64_t memory_bytes;    /* RAM of the in-memory index: vectors (float32 or int8) + graph
                                 + the id mapping */
    const char *index_state;  /* "none" (no index in memory: searches so far were brute force),
                                 "built" (built from the points), "loaded" (from its index file
                                 under DIR/index/); static */
    uint64_t index_seq;       /* the operation id the in-memory index covers (0: none) */
    uint64_t index_builds;    /* times this handle built the index from the points */
    uint64_t index_vacuums;   /* background repairs of deleted slots (re-linking) by this handle */
    uint64_t index_compacts;  /* background compactions (memory returned) by this handle */
    uint64_t index_loads;     /* times this handle loaded it from its file */
} vt_vector_info;

typedef struct vt_collection_info {
    char name[VT_MAX_NAME_LEN + 1];   /* the collection's own name (aliases resolved) */
    uint64_t points_count;            /* exact */
    uint64_t last_op_id;              /* the last operation id (0: none yet) */
    uint64_t memory_bytes;            /* all vectors' memory_bytes, plus the field indexes */
    const char *status;               /* "green" (indexes caught up) or "yellow"; static */
    size_t n_vectors;
    vt_vector_info vectors[VT_MAX_NAMED_VECTORS];
} vt_collection_info;

/* vt_collection_info_get: fills the caller's *info. VT_ENOTFOUND ("Collection `x` doesn't
 * exist!") if there is no such collection or alias. */
int vt_collection_info_get(vt_db *db, const char *name, vt_collection_info *info, vt_error *err);

/* Aliases: another name for a collection, as Qdrant's. create: VT_EEXIST if the alias (or a
 * collection of that name) exists, VT_ENOTFOUND if the collection does not. delete/rename:
 * VT_ENOTFOUND if the alias does not exist; rename: VT_EEXIST if new_alias does. */
int vt_alias_create(vt_db *db, const char *alias, const char *collection, vt_error *err);
int vt_alias_delete(vt_db *db, const char *alias, vt_error *err);
int vt_alias_rename(vt_db *db, const char *old_alias, const char *new_alias, vt_error *err);

/* vt_alias_list: the aliases (of collection, or of all when collection is NULL) as 2 × *n strings
 * alias0, collection0, alias1, ... in one block owned by the caller (vt_mem_free(*pairs)). */
int vt_alias_list(vt_db *db, const char *collection, char ***pairs, size_t *n, vt_error *err);

/* One vector of one point, borrowed by the call it is passed to. */
typedef struct vt_named_vector {
    const char *name;  /* the collection's vector name; "" = the unnamed one */
    const float *data; /* dim floats (finite) */
    uint32_t dim;
} vt_named_vector;

/* A point to write. Points may lack some of the collection's vectors. */
typedef struct vt_point_in {
    vt_point_id id;
    size_t n_vectors;
    const vt_named_vector *vectors;
    const char *payload_json; /* a JSON object; NULL = {} */
} vt_point_in;

/* Which points an operation applies to: the ids (n_ids > 0) or the points a filter matches. */
typedef struct vt_selector {
    const vt_point_id *ids;
    size_t n_ids;
    const char *filter_json; /* used when n_ids == 0; NULL or "" selects nothing */
} vt_selector;

/* vt_points_upsert: inserts or replaces (vectors and payload) the n points in one transaction.
 * Everything is checked first: an unknown vector name, a wrong dimension ("point 5: vector
 * \"img\": Vector dimension error: expected dim: 4, got 3"), a non-finite float, a payload that
 * is not a JSON object or is too large fails the whole batch (VT_EINVAL / VT_ELIMIT) and writes
 * nothing. Within a batch the last point of an id wins. Cosine vectors are stored normalised. */
int vt_points_upsert(vt_db *db, const char *collection, const vt_point_in *points, size_t n,
                     uint64_t *op_id, vt_error *err);

/* vt_points_delete: deletes the selected points (missing ids are ignored). */
int vt_points_delete(vt_db *db, const char *collection, const vt_selector *sel, uint64_t *op_id,
                     vt_error *err);

/* Payload operations on the selected existing points (missing ids are ignored, as in Qdrant):
 * set merges the top-level keys of payload_json into each payload; overwrite replaces it;
 * delete_keys removes the top-level keys (n_keys of them); clear empties it. */
int vt_payload_set(vt_db *db, const char *collection, const vt_selector *sel,
                   const char *payload_json, uint64_t *op_id, vt_error *err);
int vt_payload_overwrite(vt_db *db, const char *collection, const vt_selector *sel,
                         const char *payload_json, uint64_t *op_id, vt_error *err);
int vt_payload_delete_keys(vt_db *db, const char *collection, const vt_selector *sel,
                           const char *const *keys, size_t n_keys, uint64_t *op_id, vt_error *err);
int vt_payload_clear(vt_db *db, const char *collection, const vt_selector *sel, uint64_t *op_id,
                     vt_error *err);

/* vt_vectors_update: sets the given vectors of existing points, keeping their other vectors and
 * payload (payload_json is ignored). A missing point is VT_ENOTFOUND ("No point with id 3
 * found") and nothing is written. Checks as vt_points_upsert. */
int vt_vectors_update(vt_db *db, const char *collection, const vt_point_in *points, size_t n,
                      uint64_t *op_id, vt_error *err);

/* vt_vectors_delete: removes the named vectors (n_names of them) from the selected points. */
int vt_vectors_delete(vt_db *db, const char *collection, const vt_selector *sel,
                      const char *const *names, size_t n_names, uint64_t *op_id, vt_error *err);

/* A set of points returned by a read: opaque, immutable, owned by the caller (vt_result_free).
 * Everything an accessor returns is owned by the set and valid until vt_result_free. */
typedef struct vt_result vt_result;

size_t vt_result_count(const vt_result *r);                       /* points in the set */
const vt_point_id *vt_result_id(const vt_result *r, size_t i);    /* i < count */
uint64_t vt_result_version(const vt_result *r, size_t i);
float vt_result_score(const vt_result *r, size_t i);              /* 0 outside search */
const char *vt_result_payload(const vt_result *r, size_t i);      /* JSON object; NULL if not
                                                                     asked for */
size_t vt_result_n_vectors(const vt_result *r, size_t i);         /* 0 if not asked for */
/* vt_result_vector: the j-th vector of point i: its name, data and dimension. VT_EINVAL if out
 * of range. */
int vt_result_vector(const vt_result *r, size_t i, size_t j, const char **name,
                     const float **data, uint32_t *dim);
/* vt_result_next_offset: for scroll, 1 and *id = the next page's offset id, or 0 at the end. */
int vt_result_next_offset(const vt_result *r, vt_point_id *id);
void vt_result_free(vt_result *r);                                /* NULL is accepted */

/* vt_points_get: the points with these ids, in the order given (missing ids skipped, repeats
 * returned once). with_payload / with_vectors: 0 or 1. */
int vt_points_get(vt_db *db, const char *collection, const vt_point_id *ids, size_t n,
                  int with_payload, int with_vectors, vt_result **out, vt_error *err);

typedef struct vt_scroll_req {
    const char *filter_json;     /* NULL: all points */
    size_t limit;                /* points per page (default 10; 0 = default) */
    const vt_point_id *offset;   /* the first id to return (NULL: from the start) */
    const char *order_by;        /* NULL: by id; else a payload key ordered by its number */
    int order_desc;              /* 1: order_by descending */
    int with_payload;            /* default 1 */
    int with_vectors;            /* default 0 */
} vt_scroll_req;

/* vt_scroll_req_default: the defaults above. Cannot fail. */
vt_scroll_req vt_scroll_req_default(void);

/* vt_points_scroll: a page of points in id order (integers before UUIDs) from offset, matching
 * the filter; vt_result_next_offset gives the next page's first id. With order_by: points that
 * have a number (or an array of numbers: the first) at that key, ordered by it; offset is then
 * not allowed (VT_EINVAL) and there is no next page, as in Qdrant. */
int vt_points_scroll(vt_db *db, const char *collection, const vt_scroll_req *req,
                     vt_result **out, vt_error *err);

/* vt_points_count: the exact number of points matching filter_json (NULL: all). */
/* vt_points_ids: the ids of every point matching filter_json (NULL: all), in id order, as one
 * array of *n ids owned by the caller (vt_mem_free; NULL when *n is 0). */
int vt_points_ids(vt_db *db, const char *collection, const char *filter_json, vt_point_id **ids, size_t *n,
                  vt_error *err);

int vt_points_count(vt_db *db, const char *collection, const char *filter_json, uint64_t *count,
                    vt_error *err);

typedef struct vt_search_req {
    const char *using;         /* vector name; NULL or "" = the unnamed vector */
    const float *vector;       /* the query, dim floats */
    uint32_t dim;
    size_t limit;              /* default 10 */
    size_t offset;             /* results skipped first (default 0) */
    const char *filter_json;   /* NULL: no filter */
    int has_score_threshold;   /* 1: drop results worse than score_threshold */
    float score_threshold;     /* >= for Cosine/Dot, <= for Euclid/Manhattan */
    uint32_t hnsw_ef;          /* 0 = max(ef_construct, limit + offset) */
    int exact;                 /* 1: brute force */
    int with_payload;          /* default 0 */
    int with_vectors;          /* default 0 */
} vt_search_req;

/* vt_search_req_default: the defaults above. Cannot fail. */
vt_search_req vt_search_req_default(void);

/* vt_points_search: the limit nearest points (after offset) to the query among those matching
 * the filter, best first, with Qdrant's scores. Unknown vector name: VT_EINVAL ("Not existing
 * vector name error: x"); wrong dimension: VT_EINVAL. Brute force (exact) when exact is set,
 * opts.no_index, hnsw_m < 2, or the points (with a filter: the matching points, counted by the
 * field indexes when the filter's fields have them, else sampled) are under full_scan_threshold;
 * otherwise through the vector's HNSW index (approximate; recall grows with hnsw_ef), which the
 * first such search builds from the points or loads from DIR/index/ and every search first
 * brings up to date with the writes before it. Field indexes change the speed, never the
 * results. */
int vt_points_search(vt_db *db, const char *collection, const vt_search_req *req,
                     vt_result **out, vt_error *err);

/* vt_collection_snapshot: writes a consistent copy of the collection (config and points as of
 * one moment; writes may continue meanwhile) to the new file path (an LMDB file; VT_EEXIST if
 * path exists). */
int vt_collection_snapshot(vt_db *db, const char *collection, const char *path, vt_error *err);

/* vt_collection_restore: creates collection new_name from the snapshot file path (VT_EEXIST if
 * new_name exists; VT_ECORRUPT if path is not a vitrine snapshot). Point versions are kept. */
int vt_collection_restore(vt_db *db, const char *path, const char *new_name, vt_error *err);

/* Field (payload) indexes — Qdrant's PUT/DELETE /collections/{c}/index. An index on a payload key
 * path speeds up filters on it (count, scroll, search, selection by filter); results are the same
 * with or without it. Definitions are stored with the collection (kept by snapshots, dropped
 * with it); the indexes themselves are built in memory from the points when created and at first
 * use after an open, and kept up to date by every write.
 *
 * vt_field_index_create: indexes `key` (a payload key path: "color", "meta.year", "tags[]") with
 * schema_json, Qdrant's field_schema: a type name ("keyword", "integer", "float", "bool", "uuid",
 * "datetime", "text"; quoted JSON or bare) or a params object ({"type":"keyword",...}); "geo"
 * and text options that change tokenisation are VT_EUNSUPPORTED, anything malformed VT_EINVAL.
 * An existing index on key with another type is replaced; with the same type nothing changes.
 * Returns after the definition is committed and the index built; *op_id (may be NULL) receives
 * the operation id. VT_ENOTFOUND if there is no such collection. */
int vt_field_index_create(vt_db *db, const char *collection, const char *key, const char *schema_json,
                          uint64_t *op_id, vt_error *err);

/* vt_field_index_delete: removes the index on key; VT_ENOTFOUND if there is none. */
int vt_field_index_delete(vt_db *db, const char *collection, const char *key, uint64_t *op_id,
                          vt_error *err);

typedef struct vt_field_index_info {
    char *key;         /* the key path as created (owned by the list) */
    const char *type;  /* "keyword", "integer", ... (static) */
    uint64_t points;   /* points with at least one indexed value at key */
} vt_field_index_info;

/* vt_field_index_list: the collection's field indexes, in creation order, into *out (*n entries;
 * caller: vt_field_index_list_free; *out may be NULL when *n is 0). */
int vt_field_index_list(vt_db *db, const char *collection, vt_field_index_info **out, size_t *n,
                        vt_error *err);
void vt_field_index_list_free(vt_field_index_info *list, size_t n);

#ifdef __cplusplus
}
#endif
#endif
