/*
 * test_crash.c — kill -9 a writer at random moments and check the database after each restart
 * [SQLite crash9.test].
 *
 * A child process opens the database (durable mode: fsync on commit) and runs a fixed sequence
 * of operations, op k being
 *     k % 4 == 3:  delete the 5 points of op k-2          (an upsert)
 *     otherwise:   upsert points 5k .. 5k+4, vector f(id), payload {"id":id,"op":k}
 * and writes k to a pipe after each call returns (the acknowledgement). The parent kills it with
 * SIGKILL after a random 2–40 ms, reopens the database and checks:
 *   - every acknowledged upsert not deleted by an acknowledged delete: all 5 points there, with
 *     the exact vector and payload, version ≤ last op id, and found first by a search with its
 *     own vector;
 *   - every acknowledged delete: its points are gone;
 *   - the operation in flight (not acknowledged) is all or nothing;
 *   - the exact count equals what those imply.
 * The next child resumes at the first unacknowledged op. 25 kills, a few seconds in all.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "test.h"
#include "vitrine.h"

#define DIM 8
#define PER 5
#define ROUNDS 25

static char dir[256];

static void vec_of(uint64_t id, float *v) {
    for (int j = 0; j < DIM; j++) v[j] = (float)sin((double)(id * 13 + (uint64_t)j) * 0.7) + (j == (int)(id % DIM) ? 2.0f : 0.0f);
}

static int is_delete(uint64_t k) { return k % 4 == 3; }

/* the child: runs ops from `from` until killed */
static void child(uint64_t from, int fd) {
    vt_db *db;
    vt_error err = {0};
    if (vt_db_open(dir, NULL, &db, &err) != VT_OK) _exit(3);
    for (uint64_t k = from;; k++) {
        int rc;
        if (is_delete(k)) {
            vt_point_id ids[PER];
            for (int i = 0; i < PER; i++) ids[i] = (vt_point_id){0, (k - 2) * PER + (uint64_t)i, {0}};
            vt_selector s = {ids, PER, NULL};
            rc = vt_points_delete(db, "c", &s, NULL, &err);
        } else {
            float v[PER][DIM];
            char pl[PER][64];
            vt_named_vector nv[PER];
            vt_point_in p[PER];
            for (int i = 0; i < PER; i++) {
                uint64_t id = k * PER + (uint64_t)i;
                vec_of(id, v[i]);
                nv[i] = (vt_named_vector){"", v[i], DIM};
                snprintf(pl[i], sizeof pl[i], "{\"id\":%llu,\"op\":%llu}", (unsigned long long)id, (unsigned long long)k);
                p[i] = (vt_point_in){{0, id, {0}}, 1, &nv[i], pl[i]};
            }
            rc = vt_points_upsert(db, "c", p, PER, NULL, &err);
        }
        if (rc != VT_OK) _exit(4);
        if (write(fd, &k, sizeof k) != sizeof k) _exit(5);
    }
}

/* present: how many of op k's points exist, checking each one's content fully. -1 on damage. */
static int present(vt_db *db, uint64_t k, uint64_t last_op) {
    vt_point_id ids[PER];
    for (int i = 0; i < PER; i++) ids[i] = (vt_point_id){0, k * PER + (uint64_t)i, {0}};
    vt_result *r;
    vt_error err = {0};
    if (vt_points_get(db, "c", ids, PER, 1, 1, &r, &err) != VT_OK) return -1;
    int n = (int)vt_result_count(r), bad = 0;
    for (int i = 0; i < n && !bad; i++) {
        uint64_t id = vt_result_id(r, (size_t)i)->num;
        char want[64];
        snprintf(want, sizeof want, "{\"id\":%llu,\"op\":%llu}", (unsigned long long)id, (unsigned long long)k);
        const char *nm;
        const float *d;
        uint32_t dim;
        float v[DIM];
        vec_of(id, v);
        double norm = 0;
        for (int j = 0; j < DIM; j++) norm += (double)v[j] * v[j];
        norm = sqrt(norm);
        bad |= strcmp(vt_result_payload(r, (size_t)i), want) != 0;
        bad |= vt_result_version(r, (size_t)i) > last_op || vt_result_version(r, (size_t)i) == 0;
        bad |= vt_result_vector(r, (size_t)i, 0, &nm, &d, &dim) != VT_OK || dim != DIM;
        for (int j = 0; j < DIM && !bad; j++) bad |= fabs(d[j] - v[j] / norm) > 1e-6;
    }
    if (n > 0 && !bad) { /* searchable: its own vector finds it first */
        float v[DIM];
        vec_of(vt_result_id(r, 0)->num, v);
        vt_search_req q = vt_search_req_default();
        q.vector = v;
        q.dim = DIM;
        q.limit = 1;
        vt_result *s;
        if (vt_points_search(db, "c", &q, &s, &err) != VT_OK || vt_result_count(s) != 1 ||
            vt_result_id(s, 0)->num != vt_result_id(r, 0)->num || vt_result_score(s, 0) < 0.9999f)
            bad = 1;
        vt_result_free(s);
    }
    vt_result_free(r);
    return bad ? -1 : n;
}

static void test_kill9_loop(void) {
    snprintf(dir, sizeof dir, "/tmp/vt_test_crash_%d", (int)getpid());
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
    vt_db *db;
    vt_error err = {0};
    ASSERT_EQ(vt_db_open(dir, NULL, &db, &err), VT_OK);
    vt_vector_params vp = vt_vector_params_default("", DIM, VT_DISTANCE_COSINE);
    vt_collection_config cc = {1, &vp};
    ASSERT_EQ(vt_collection_create(db, "c", &cc, &err), VT_OK);
    vt_db_close(db);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    uint64_t acked = 0; /* ops 0 .. acked-1 are acknowledged */
    int in_flight_seen = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child(acked, fds[1]);
        }
        close(fds[1]);
        usleep((useconds_t)(2000 + rand() % 38000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        ASSERT_TRUE(WIFSIGNALED(st)); /* killed, not failed */
        uint64_t k;
        while (read(fds[0], &k, sizeof k) == sizeof k) {
            ASSERT_EQ(k, acked);
            acked++;
        }
        close(fds[0]);
        ASSERT_EQ(vt_db_open(dir, NULL, &db, &err), VT_OK);
        vt_collection_info info;
        ASSERT_EQ(vt_collection_info_get(db, "c", &info, &err), VT_OK);
        uint64_t expect = 0;
        for (uint64_t op = 0; op <= acked; op++) {
            if (is_delete(op)) continue;
            int n = present(db, op, info.last_op_id);
            if (n < 0) fprintf(stderr, "round %d: op %llu damaged\n", round, (unsigned long long)op);
            ASSERT_TRUE(n >= 0);
            int deleted_acked = is_delete(op + 2) && op + 2 < acked;
            int deleted_maybe = is_delete(op + 2) && op + 2 == acked;
            if (op == acked) { /* the upsert in flight: all or nothing */
                ASSERT_TRUE(n == 0 || n == PER);
                in_flight_seen += n == PER;
            } else if (deleted_acked) {
                ASSERT_EQ(n, 0);
            } else if (deleted_maybe) { /* the delete in flight: all or nothing */
                ASSERT_TRUE(n == 0 || n == PER);
                in_flight_seen += n == 0;
            } else {
                ASSERT_EQ(n, PER);
            }
            expect += (uint64_t)n;
        }
        uint64_t cnt;
        ASSERT_EQ(vt_points_count(db, "c", NULL, &cnt, &err), VT_OK);
        ASSERT_EQ(cnt, expect);
        ASSERT_EQ(info.points_count, expect);
        vt_db_close(db);
    }
    printf("%llu operations acknowledged over %d kills; in-flight op found committed %d times\n",
           (unsigned long long)acked, ROUNDS, in_flight_seen);
    ASSERT_TRUE(acked > 0);
    ASSERT_EQ(system(cmd), 0);
}

int main(void) {
    RUN(test_kill9_loop);
    TEST_END();
}
