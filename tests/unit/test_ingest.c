/*
 * test_ingest.c — the ingest pipeline (src/pipeline/ingest.c) end to end with the tiny CLIP
 * fixture model and real files: a manifest mixing good images, a missing file, a corrupt file, a
 * bad record, a caption-only item, URLs served by an HTTP thread of this test (a good PNG and a
 * 404), an image without caption read by OCR. Checked: the counts by reason; every stored vector
 * equals what the model gives for that item's image or cleaned caption alone (so batching,
 * packing and skipping never shift a vector to another point); the payload layout; re-running
 * updates in place; --resume skips; and Ctrl-C on the CLI leaves exactly the reported points.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <png.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "pipeline/ingest.h"
#include "pipeline/ocr.h"
#include "test.h"

#define MODEL "tests/fixtures/models/tiny-clip"
#define IMAGES "tests/fixtures/images"

static char dir[64];
static int http_port;
static uint8_t *png_bytes;
static size_t png_len;

/* ---- a tiny HTTP server: /good.png → a fixture PNG, anything else → 404 ---- */

static void *serve(void *arg) {
    int lfd = *(int *)arg;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) return NULL;
        char req[1024] = "";
        if (recv(fd, req, sizeof req - 1, 0) <= 0) {
            close(fd);
            continue;
        }
        char head[128];
        if (!strncmp(req, "GET /good.png ", 14)) {
            snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n", png_len);
            send(fd, head, strlen(head), MSG_NOSIGNAL);
            send(fd, png_bytes, png_len, MSG_NOSIGNAL);
        } else {
            snprintf(head, sizeof head, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            send(fd, head, strlen(head), MSG_NOSIGNAL);
        }
        close(fd);
    }
}

static void start_server(void) {
    static int lfd;
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, (struct sockaddr *)&a, sizeof a);
    listen(lfd, 16);
    socklen_t al = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &al);
    http_port = ntohs(a.sin_port);
    pthread_t th;
    pthread_create(&th, NULL, serve, &lfd);
    pthread_detach(th);
}

/* ---- an image with printed words, for OCR: a 5×7 block font scaled up, black on white ---- */

static const char *glyph(char c) {
    switch (c) {
    case 'R': return "11110100011000111110101001001010001";
    case 'E': return "11111100001000011110100001000011111";
    case 'D': return "11100100101000110001100011001011100";
    case 'S': return "01111100001000001110000010000111110";
    case 'H': return "10001100011000111111100011000110001";
    case 'O': return "01110100011000110001100011000101110";
    default: return "00000000000000000000000000000000000";
    }
}

static int write_text_png(const char *path, const char *text) {
    const int scale = 6, cw = 6 * scale, margin = 24;
    int w = (int)strlen(text) * cw + 2 * margin, h = 7 * scale + 2 * margin;
    uint8_t *px = malloc((size_t)w * h);
    memset(px, 255, (size_t)w * h);
    for (size_t k = 0; text[k]; k++) {
        const char *g = glyph(text[k]);
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 5; x++)
                if (g[y * 5 + x] == '1')
                    for (int dy = 0; dy < scale; dy++)
                        for (int dx = 0; dx < scale; dx++)
                            px[(size_t)(margin + y * scale + dy) * w + margin + (int)k * cw + x * scale + dx] = 0;
    }
    FILE *f = fopen(path, "wb");
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(p);
    if (setjmp(png_jmpbuf(p))) return -1;
    png_init_io(p, f);
    png_set_IHDR(p, info, w, h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    for (int y = 0; y < h; y++) png_write_row(p, px + (size_t)y * w);
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &info);
    fclose(f);
    free(px);
    return 0;
}

static void test_ocr_reads_words(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/words.png", dir);
    ASSERT_EQ(write_text_png(path, "SHOES"), 0);
    ASSERT_TRUE(ocr_available());
    uint8_t *data = NULL;
    size_t len = 0;
    vt_error err = {0};
    ASSERT_EQ(vt_file_read(path, 1 << 20, &data, &len, &err), VT_OK);
    char *text = NULL;
    ASSERT_EQ(ocr_image_text(data, len, &text, &err), VT_OK);
    fprintf(stderr, "     OCR read \"%s\"\n", text);
    ASSERT_STR_CONTAINS(text, "SHOES");
    vt_free(text);
    vt_error_clear(&err);
    ASSERT_EQ(ocr_image_text((const uint8_t *)"nope", 4, &text, &err), VT_ECORRUPT);
    vt_free(data);
}

/* ---- the pipeline ---- */

static int near_vec(const float *a, const float *b, int n) {
    for (int i = 0; i < n; i++)
        if (fabsf(a[i] - b[i]) > 1e-5f) return 0;
    return 1;
}

/* stored_vector: point id's vector name from db into out (dim floats); 1 if it has it. */
static int stored_vector(vt_db *db, const vt_point_id *id, const char *name, float *out, int dim) {
    vt_result *r = NULL;
    vt_error err = {0};
    if (vt_points_get(db, "items", id, 1, 1, 1, &r, &err) != VT_OK || vt_result_count(r) != 1) {
        vt_result_free(r);
        return 0;
    }
    int found = 0;
    for (size_t j = 0; j < vt_result_n_vectors(r, 0); j++) {
        const char *nm;
        const float *d;
        uint32_t dm;
        vt_result_vector(r, 0, j, &nm, &d, &dm);
        if (!strcmp(nm, name) && (int)dm == dim) {
            memcpy(out, d, (size_t)dim * sizeof *out);
            found = 1;
        }
    }
    vt_result_free(r);
    return found;
}

static void test_ingest_manifest(void) {
    char path[256], db_dir[256], line[4096];
    snprintf(path, sizeof path, "%s/bad.png", dir);
    FILE *f = fopen(path, "wb");
    fputs("not an image at all", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/words.png", dir);
    write_text_png(path, "SHOES");
    char *cwd = getcwd(NULL, 0);
    snprintf(path, sizeof path, "%s/m.jsonl", dir);
    f = fopen(path, "wb");
    const char *imgs[4] = {"fashion_00000.png", "fashion_00001.png", "fashion_00002.png", "fashion_00003.png"};
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof line,
                 "{\"id\": %d, \"image\": \"%s/" IMAGES "/%s\", \"caption\": \"<i>item</i>  number&nbsp;%d\", \"k\": %d}\n",
                 i + 1, cwd, imgs[i], i + 1, i);
        fputs(line, f);
    }
    fputs("{\"id\": 10, \"image\": \"missing.png\", \"caption\": \"x\"}\n", f);
    fputs("{\"id\": 11, \"image\": \"bad.png\", \"caption\": \"x\"}\n", f);
    fputs("not json\n", f);
    fputs("{\"id\": 12, \"caption\": \"caption only\"}\n", f);
    fprintf(f, "{\"id\": 13, \"image\": \"http://127.0.0.1:%d/good.png\", \"caption\": \"downloaded\"}\n", http_port);
    fprintf(f, "{\"id\": 14, \"image\": \"http://127.0.0.1:%d/none.png\", \"caption\": \"404\"}\n", http_port);
    fputs("{\"id\": 15, \"image\": \"words.png\"}\n", f);
    fputs("{\"id\": 16, \"caption\": \"   \"}\n", f);
    fclose(f);
    free(cwd);

    vt_model *m = NULL;
    vt_error err = {0};
    ASSERT_EQ(vt_model_open(MODEL, NULL, &m, &err), VT_OK);
    int dim = vt_model_dim(m);
    snprintf(db_dir, sizeof db_dir, "%s/db", dir);
    vt_db *db = NULL;
    vt_db_opts dbo = vt_db_opts_default();
    ASSERT_EQ(vt_db_open(db_dir, &dbo, &db, &err), VT_OK);
    sink sk;
    ASSERT_EQ(sink_local(db, &sk, &err), VT_OK);
    ingest_opts o = ingest_opts_default();
    o.collection = "items";
    o.batch = 3; /* batches split the manifest unevenly */
    o.loader_threads = 2;
    o.ocr_missing = 1;
    char logpath[128];
    snprintf(logpath, sizeof logpath, "%s/log.txt", dir);
    o.log = fopen(logpath, "w+");
    ingest_stats st;
    ASSERT_EQ(ingest_run(path, m, NULL, &sk, &o, &st, &err), VT_OK);
    ASSERT_EQ(st.records, 12);
    ASSERT_EQ(st.ingested, 7); /* 4 files, caption-only, URL, OCR */
    ASSERT_EQ(st.with_image, 6);
    ASSERT_EQ(st.with_caption, 7);
    ASSERT_EQ(st.ocr_captions, 1);
    ASSERT_EQ(st.by_reason[SKIP_MISSING_FILE], 1);
    ASSERT_EQ(st.by_reason[SKIP_CORRUPT_IMAGE], 1);
    ASSERT_EQ(st.by_reason[SKIP_BAD_RECORD], 1);
    ASSERT_EQ(st.by_reason[SKIP_HTTP_STATUS], 1);
    ASSERT_EQ(st.by_reason[SKIP_NO_TEXT], 1);
    ASSERT_EQ(st.skipped, 5);
    rewind(o.log);
    char logtext[8192] = "";
    fread(logtext, 1, sizeof logtext - 1, o.log);
    fclose(o.log);
    ASSERT_STR_CONTAINS(logtext, "missing.png");
    ASSERT_STR_CONTAINS(logtext, "none.png: HTTP status 404");
    ASSERT_STR_CONTAINS(logtext, "m.jsonl:7: invalid JSON");

    /* every vector is the model's own for that item */
    float *want = vt_malloc(2 * (size_t)dim * sizeof(float)), *got = want + dim;
    for (int i = 0; i < 4; i++) {
        vt_point_id id = {0, (uint64_t)i + 1, {0}};
        char p[256], cap[64];
        snprintf(p, sizeof p, IMAGES "/%s", imgs[i]);
        const char *pp = p;
        ASSERT_EQ(vt_embed_image_files(m, &pp, 1, want, &err), VT_OK);
        ASSERT_TRUE(stored_vector(db, &id, "image", got, dim));
        ASSERT_TRUE(near_vec(want, got, dim));
        snprintf(cap, sizeof cap, "item number %d", i + 1);
        const char *cp = cap;
        ASSERT_EQ(vt_embed_texts(m, &cp, 1, want, &err), VT_OK);
        ASSERT_TRUE(stored_vector(db, &id, "text", got, dim));
        ASSERT_TRUE(near_vec(want, got, dim));
    }
    vt_point_id only = {0, 12, {0}}, url = {0, 13, {0}}, ocr = {0, 15, {0}};
    ASSERT_TRUE(!stored_vector(db, &only, "image", got, dim));
    ASSERT_TRUE(stored_vector(db, &only, "text", got, dim));
    ASSERT_TRUE(stored_vector(db, &url, "image", got, dim));
    ASSERT_TRUE(stored_vector(db, &ocr, "text", got, dim));
    vt_free(want);

    /* payload layout */
    vt_result *r = NULL;
    ASSERT_EQ(vt_points_get(db, "items", &ocr, 1, 1, 0, &r, &err), VT_OK);
    ASSERT_STR_CONTAINS(vt_result_payload(r, 0), "\"caption_source\":\"ocr\"");
    ASSERT_STR_CONTAINS(vt_result_payload(r, 0), "SHOES");
    vt_result_free(r);
    vt_point_id one = {0, 1, {0}};
    ASSERT_EQ(vt_points_get(db, "items", &one, 1, 1, 0, &r, &err), VT_OK);
    ASSERT_STR_CONTAINS(vt_result_payload(r, 0), "\"caption\":\"item number 1\"");
    ASSERT_STR_CONTAINS(vt_result_payload(r, 0), "\"k\":0");
    ASSERT_STR_CONTAINS(vt_result_payload(r, 0), "\"caption_source\":\"manifest\"");
    vt_result_free(r);

    /* re-running updates in place; --resume skips what is stored */
    o.log = NULL;
    ASSERT_EQ(ingest_run(path, m, NULL, &sk, &o, &st, &err), VT_OK);
    ASSERT_EQ(st.ingested, 7);
    uint64_t count = 0;
    ASSERT_EQ(vt_points_count(db, "items", NULL, &count, &err), VT_OK);
    ASSERT_EQ(count, 7);
    o.resume = 1;
    ASSERT_EQ(ingest_run(path, m, NULL, &sk, &o, &st, &err), VT_OK);
    ASSERT_EQ(st.ingested, 0);
    ASSERT_EQ(st.by_reason[SKIP_ALREADY_STORED], 7);

    /* a collection of another shape is refused with a message */
    vt_vector_params v = vt_vector_params_default("image", 3, VT_DISTANCE_COSINE);
    vt_collection_config cc = {1, &v};
    ASSERT_EQ(vt_collection_create(db, "other", &cc, &err), VT_OK);
    o.collection = "other";
    ASSERT_EQ(ingest_run(path, m, NULL, &sk, &o, &st, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "vector \"image\" has size 3");
    sk.close(sk.ctx);
    vt_db_close(db);
    vt_model_close(m);
}

/* With a sentence-transformers model: a third vector "text_st" per caption, equal to that model's
 * embedding of the cleaned caption; unicode captions pass through cleaning intact. */
static void test_ingest_text_model(void) {
    char path[256], db_dir[256];
    snprintf(path, sizeof path, "%s/st.jsonl", dir);
    FILE *f = fopen(path, "wb");
    fputs("{\"id\": 1, \"caption\": \"caf\u00e9 cr\u00e8me &amp; <b>na\u00efve</b> \u4e2d\u6587\"}\n", f);
    fputs("{\"id\": 2, \"caption\": \"a red shoe\"}\n", f);
    fclose(f);
    vt_model *clip = NULL, *st = NULL;
    vt_error err = {0};
    ASSERT_EQ(vt_model_open(MODEL, NULL, &clip, &err), VT_OK);
    ASSERT_EQ(vt_model_open("tests/fixtures/models/tiny-mpnet-st", NULL, &st, &err), VT_OK);
    snprintf(db_dir, sizeof db_dir, "%s/db-st", dir);
    vt_db *db = NULL;
    vt_db_opts dbo = vt_db_opts_default();
    ASSERT_EQ(vt_db_open(db_dir, &dbo, &db, &err), VT_OK);
    sink sk;
    ASSERT_EQ(sink_local(db, &sk, &err), VT_OK);
    ingest_opts o = ingest_opts_default();
    o.collection = "items";
    o.log = NULL;
    ingest_stats stats;
    ASSERT_EQ(ingest_run(path, clip, st, &sk, &o, &stats, &err), VT_OK);
    ASSERT_EQ(stats.ingested, 2);
    int dim = vt_model_dim(st);
    float *want = vt_malloc(2 * (size_t)dim * sizeof(float)), *got = want + dim;
    const char *clean = "caf\u00e9 cr\u00e8me & na\u00efve \u4e2d\u6587";
    ASSERT_EQ(vt_embed_texts(st, &clean, 1, want, &err), VT_OK);
    vt_point_id one = {0, 1, {0}};
    ASSERT_TRUE(stored_vector(db, &one, "text_st", got, dim));
    ASSERT_TRUE(near_vec(want, got, dim));
    vt_result *r = NULL;
    ASSERT_EQ(vt_points_get(db, "items", &one, 1, 1, 0, &r, &err), VT_OK);
    ASSERT_STR_CONTAINS(vt_result_payload(r, 0), "na\u00efve");
    vt_result_free(r);
    /* the same collection without the text model still fits (text_st stays optional) */
    ASSERT_EQ(ingest_run(path, clip, NULL, &sk, &o, &stats, &err), VT_OK);
    sk.close(sk.ctx);
    vt_free(want);
    vt_db_close(db);
    vt_model_close(st);
    vt_model_close(clip);
}

/* Ctrl-C on `vitrine ingest`: exit 0, "interrupted", and the stored points are exactly the
 * reported ones. */
static void test_interrupt_cli(void) {
    const char *bin = getenv("VITRINE_BIN") ? getenv("VITRINE_BIN") : "build/vitrine";
    char path[256], db_dir[256], out_path[256];
    snprintf(path, sizeof path, "%s/many.jsonl", dir);
    snprintf(db_dir, sizeof db_dir, "%s/db-int", dir);
    snprintf(out_path, sizeof out_path, "%s/int.json", dir);
    char *cwd = getcwd(NULL, 0);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 3000; i++)
        fprintf(f, "{\"id\": %d, \"image\": \"%s/" IMAGES "/fashion_0000%d.png\", \"caption\": \"item %d\"}\n", i + 1,
                cwd, i % 4, i);
    fclose(f);
    free(cwd);
    int errp[2];
    ASSERT_EQ(pipe(errp), 0);
    pid_t pid = fork();
    if (pid == 0) {
        freopen(out_path, "w", stdout);
        dup2(errp[1], 2);
        close(errp[0]);
        execl(bin, bin, "ingest", "--data", db_dir, "--collection", "c", "--manifest", path, "--model", MODEL,
              "--batch", "8", "--json", "--progress-every", "0.05", (char *)NULL);
        _exit(127);
    }
    close(errp[1]);
    /* wait for a progress line reporting done items, then Ctrl-C */
    FILE *errs = fdopen(errp[0], "r");
    char line[512];
    while (fgets(line, sizeof line, errs))
        if (!strncmp(line, "ingest: ", 8) && atoi(line + 8) > 0) break;
    kill(pid, SIGINT);
    while (fgets(line, sizeof line, errs)) {
    }
    fclose(errs);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    json_error_t je;
    json_t *j = json_load_file(out_path, 0, &je);
    ASSERT_TRUE(j != NULL);
    json_int_t reported = json_integer_value(json_object_get(j, "ingested"));
    int interrupted = json_is_true(json_object_get(j, "interrupted"));
    json_decref(j);
    fprintf(stderr, "     interrupted after %lld of 3000 points\n", (long long)reported);
    ASSERT_TRUE(interrupted);
    ASSERT_TRUE(reported > 0 && reported < 3000);
    vt_db *db = NULL;
    vt_error err = {0};
    vt_db_opts dbo = vt_db_opts_default();
    ASSERT_EQ(vt_db_open(db_dir, &dbo, &db, &err), VT_OK);
    uint64_t count = 0;
    ASSERT_EQ(vt_points_count(db, "c", NULL, &count, &err), VT_OK);
    ASSERT_EQ(count, reported);
    vt_db_close(db);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/vt-test-ingest-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    vt_error err = {0};
    if (vt_file_read(IMAGES "/fashion_00003.png", 1 << 20, &png_bytes, &png_len, &err) != VT_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    start_server();
    RUN(test_ocr_reads_words);
    RUN(test_ingest_manifest);
    RUN(test_ingest_text_model);
    RUN(test_interrupt_cli);
    vt_free(png_bytes);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_END();
}
