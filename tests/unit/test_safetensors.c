/*
 * test_safetensors.c — the safetensors reader: good files read right, every malformed header
 * refused with a message naming the file and the tensor, and no leak when allocations fail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/alloc.h"
#include "tensor/safetensors.h"
#include "test.h"

/* make: a file image of header JSON + data bytes, in a static buffer. */
static uint8_t buf[4096];
static size_t make(const char *header, const void *data, size_t data_len) {
    uint64_t n = strlen(header);
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(n >> (8 * i));
    memcpy(buf + 8, header, n);
    if (data_len) memcpy(buf + 8 + n, data, data_len);
    return 8 + n + data_len;
}

static void test_reads_f32_f16_bf16(void) {
    float f[6] = {1, -2, 3.5f, 0, 1e-3f, 65504};
    uint16_t h[4] = {0x3c00, 0xc000, 0x7bff, 0x0001};  /* 1, -2, 65504, smallest subnormal */
    uint16_t b[2] = {0x3f80, 0xc2f7};                  /* 1, -123.5 */
    uint8_t data[24 + 8 + 4 + 16];
    memcpy(data, f, 24);
    memcpy(data + 24, h, 8);
    memcpy(data + 32, b, 4);
    memset(data + 36, 0, 16);
    size_t len = make("{\"__metadata__\":{\"format\":\"pt\"},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                      "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
                      "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[32,36]},"
                      "\"text_model.embeddings.position_ids\":{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[36,52]}}",
                      data, sizeof data);
    vt_error err = {0};
    st_file *s = NULL;
    ASSERT_EQ(st_open_mem(buf, len, "mem", &s, &err), VT_OK);
    ASSERT_EQ(st_count(s), 4);
    ASSERT_STR_EQ(st_metadata(s, "format"), "pt");
    float *out = NULL;
    int64_t sh23[2] = {2, 3}, sh4[1] = {4}, sh2[1] = {2}, any[2] = {-1, 3};
    ASSERT_EQ(st_get_f32(s, "a", 2, sh23, &out, &err), VT_OK);
    for (int i = 0; i < 6; i++) ASSERT_NEAR(out[i], f[i], 0);
    vt_free(out);
    ASSERT_EQ(st_get_f32(s, "a", 2, any, &out, &err), VT_OK);
    vt_free(out);
    ASSERT_EQ(st_get_f32(s, "h", 1, sh4, &out, &err), VT_OK);
    ASSERT_NEAR(out[0], 1, 0);
    ASSERT_NEAR(out[1], -2, 0);
    ASSERT_NEAR(out[2], 65504, 0);
    ASSERT_NEAR(out[3], 5.960464477539063e-08, 0);
    vt_free(out);
    ASSERT_EQ(st_get_f32(s, "b", 1, sh2, &out, &err), VT_OK);
    ASSERT_NEAR(out[0], 1, 0);
    ASSERT_NEAR(out[1], -123.5, 0);
    vt_free(out);
    /* the int64 buffer is listed but not a float tensor */
    ASSERT_TRUE(st_find(s, "text_model.embeddings.position_ids") != NULL);
    vt_error e2 = {0};
    int64_t sh12[2] = {1, 2};
    ASSERT_EQ(st_get_f32(s, "text_model.embeddings.position_ids", 2, sh12, &out, &e2), VT_ECORRUPT);
    /* a shape that disagrees with the config names the tensor and both shapes */
    vt_error e3 = {0};
    int64_t sh32[2] = {3, 2};
    ASSERT_EQ(st_get_f32(s, "a", 2, sh32, &out, &e3), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(e3.message, "tensor a has shape [2,3]");
    vt_error e4 = {0};
    ASSERT_EQ(st_get_f32(s, "missing", 1, sh2, &out, &e4), VT_ENOTFOUND);
    ASSERT_STR_CONTAINS(e4.message, "missing");
    st_close(s);
}

typedef struct {
    const char *header;
    size_t data_len;
    size_t chop;         /* bytes removed from the end of the file */
    int code;
    const char *message; /* must appear in the error */
} bad_case;

static void test_malformed_headers(void) {
    static const bad_case cases[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 4, VT_ECORRUPT, "tensor a: data_offsets [0, 8] outside"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, 0, VT_ECORRUPT, "tensor a: data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, 0, VT_ECORRUPT, "overlaps"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, 0, VT_ECORRUPT, "tensor a: 8 bytes stored but dtype and shape need 12"},
        {"{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0, VT_ECORRUPT, "tensor a: unknown dtype"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, 0, VT_ECORRUPT, "tensor a: shape[0]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, 0, VT_ECORRUPT, "tensor a: data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, 0, VT_ECORRUPT, "tensor a: data_offsets is not"},
        {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0, VT_ECORRUPT, "tensor a: missing dtype"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, 0, VT_ECORRUPT, "tensor a: shape overflows"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0, VT_ECORRUPT, "invalid JSON"},
        {"{\"a\":", 0, 0, VT_ECORRUPT, "invalid JSON"},
        {"[1,2]", 0, 0, VT_ECORRUPT, "not a JSON object"},
        {"{\"__metadata__\":{\"k\":1}}", 0, 0, VT_ECORRUPT, "__metadata__ value of k"},
        {"{\"a\":[1]}", 0, 0, VT_ECORRUPT, "tensor a: header entry is not an object"},
    };
    uint8_t zeros[64] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = make(cases[i].header, zeros, cases[i].data_len) - cases[i].chop;
        vt_error err = {0};
        st_file *s = NULL;
        int rc = st_open_mem(buf, len, "bad.safetensors", &s, &err);
        if (rc != cases[i].code || !strstr(err.message, cases[i].message) || !strstr(err.message, "bad.safetensors")) {
            fprintf(stderr, "case %zu: rc %d, message \"%s\"\n", i, rc, err.message);
            ASSERT_TRUE(0);
        }
        ASSERT_TRUE(s == NULL);
    }
    /* shorter than the length field; length past the end */
    vt_error err = {0};
    st_file *s = NULL;
    ASSERT_EQ(st_open_mem(buf, 5, "short.safetensors", &s, &err), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(err.message, "too short");
    memset(buf, 0xff, 8);
    vt_error e2 = {0};
    ASSERT_EQ(st_open_mem(buf, 64, "huge.safetensors", &s, &e2), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(e2.message, "past the end");
}

static void test_open_missing_and_empty_files(void) {
    vt_error err = {0};
    st_file *s = NULL;
    ASSERT_EQ(st_open("tests/fixtures/no-such.safetensors", &s, &err), VT_ENOTFOUND);
    ASSERT_STR_CONTAINS(err.message, "no-such.safetensors");
    char path[] = "/tmp/vt_st_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    vt_error e2 = {0};
    ASSERT_EQ(st_open(path, &s, &e2), VT_ECORRUPT);
    ASSERT_STR_CONTAINS(e2.message, path);
    unlink(path);
}

/* Fail the 1st, 2nd, … allocation of an open in turn: each must fail cleanly, without a leak. */
static void test_allocation_failures(void) {
    float f[2] = {1, 2};
    size_t len = make("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", f, 8);
    int64_t before = vt_alloc_live_bytes();
    int succeeded = 0;
    for (int k = 1; k < 200 && !succeeded; k++) {
        vt_alloc_fail_at(k);
        vt_error err = {0};
        st_file *s = NULL;
        int rc = st_open_mem(buf, len, "mem", &s, &err);
        int injected = (int)vt_alloc_injected();
        vt_alloc_fail_at(0);
        if (rc == VT_OK) {
            ASSERT_EQ(injected, 0);
            succeeded = 1;
            st_close(s);
        } else {
            if (rc != VT_ENOMEM) fprintf(stderr, "allocation %d: %s\n", k, err.message);
            ASSERT_EQ(rc, VT_ENOMEM);
        }
        ASSERT_EQ(vt_alloc_live_bytes(), before);
    }
    ASSERT_TRUE(succeeded);
}

int main(void) {
    RUN(test_reads_f32_f16_bf16);
    RUN(test_malformed_headers);
    RUN(test_open_missing_and_empty_files);
    RUN(test_allocation_failures);
    TEST_END();
}
