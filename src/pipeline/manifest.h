/*
 * manifest.h — reading the list of items to ingest: JSONL (one object per line) or CSV (a header
 * row naming the columns), as DESIGN.md's manifest contract says:
 *     {"id": 17 | "uuid", "image": "rel/path.png" | "/abs/path.jpg" | "https://…",
 *      "caption": "…", …any other fields → payload}
 * `text` stands for `caption` when there is no `caption` (with both, `text` stays in the payload).
 * Image references are resolved here: http(s) URLs are kept; a relative path is taken relative to
 * the manifest's folder and made absolute; other URL schemes are refused for that item. An item
 * without an id gets a stable one: uuid5(NAMESPACE_URL, resolved reference), so re-running a
 * manifest updates the same points (Python: uuid.uuid5(uuid.NAMESPACE_URL, ref)).
 *
 * CSV cells are text; in the payload a cell that is a whole JSON number (integer or decimal)
 * becomes a number, "true"/"false" a boolean, an empty cell is left out, anything else a string.
 * Quoting is RFC 4180's ("a ""quoted"" cell", newlines inside quotes).
 *
 * A bad line (not JSON, not an object, a bad id, no image and no caption, a record longer than
 * MF_MAX_RECORD) is reported by mf_next as VT_EINVAL with "FILE:LINE: why" and reading goes on
 * with the next line, so one bad line costs one item, never the run.
 *
 *     mf_reader *r; mf_open("items.jsonl", &r, &err);
 *     mf_item it; int eof = 0;
 *     while (!eof) {
 *         rc = mf_next(r, &it, &eof, &err);
 *         if (rc == VT_EINVAL) { log(err.message); continue; }   // skip the bad line
 *         if (rc) break;                                         // I/O error, ENOMEM
 *         if (!eof) { ...use it...; mf_item_clear(&it); }
 *     }
 *     mf_close(r);
 */
#ifndef VT_PIPELINE_MANIFEST_H
#define VT_PIPELINE_MANIFEST_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"
#include "vitrine.h"

#define MF_MAX_RECORD (1u << 20) /* bytes in one JSONL line or CSV record */

typedef enum mf_image_kind { MF_IMAGE_NONE = 0, MF_IMAGE_FILE = 1, MF_IMAGE_URL = 2 } mf_image_kind;

typedef struct mf_item {
    size_t line;          /* the line (JSONL) or the record's first line (CSV), from 1 */
    vt_point_id id;       /* given, or derived from the image reference (id_derived = 1) */
    int id_derived;
    mf_image_kind image_kind;
    char *image;          /* absolute path or URL; NULL when the item has no image */
    char *image_ref;      /* the reference as written in the manifest; NULL when none */
    char *caption;        /* as written (uncleaned); NULL when none */
    json_t *payload;      /* every other field (an object, possibly empty) */
} mf_item;

typedef struct mf_reader mf_reader;

/* mf_open: opens the manifest at path. Its format comes from the extension (.csv is CSV; .jsonl,
 * .ndjson and .json are JSONL) or, for any other name, from its first byte ('{' JSONL, else CSV).
 * For CSV the header row is read here (VT_EINVAL if it is missing, has an empty or repeated
 * column name). Errors name the file. */
int mf_open(const char *path, mf_reader **out, vt_error *err);

/* mf_next: the next item into *item (caller: mf_item_clear), or *eof = 1 when there are no more.
 * VT_EINVAL: this record was bad (message "FILE:LINE: why"); the reader has moved past it. VT_EIO,
 * VT_ENOMEM: stop. */
int mf_next(mf_reader *r, mf_item *item, int *eof, vt_error *err);

/* mf_item_clear: releases what the item holds and zeroes it. */
void mf_item_clear(mf_item *item);

/* mf_close: closes the reader. NULL is accepted. */
void mf_close(mf_reader *r);

/* mf_item_from_json: one JSON object (JSONL line) as an item; base_dir resolves relative image
 * paths; name and line are for messages. Exposed for the fuzz harness and the server. */
int mf_item_from_json(const json_t *obj, const char *base_dir, const char *name, size_t line, mf_item *item,
                      vt_error *err);

#endif
