/*
 * test.h — the whole unit-test harness [libuv task.h, Redis testhelp.h].
 *
 * A test file defines `static void test_x(void)` functions and a main that calls RUN(test_x) for
 * each, then TEST_END(). An ASSERT that fails prints file:line and both values, and returns from
 * the test function; the next test still runs. Each test file is its own process, run by
 * tests/run.sh with a timeout; its last line is "N passed, N failed" and the runner adds them up.
 * Tests run from the repository root, so fixtures are at "tests/fixtures/...".
 */
#ifndef VT_TEST_H
#define VT_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int t_passed, t_failed, t_cur_failed;

#define T_FAIL_(...)                                                                              \
    do {                                                                                          \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                           \
        fprintf(stderr, __VA_ARGS__);                                                             \
        fprintf(stderr, "\n");                                                                    \
        t_cur_failed = 1;                                                                         \
        return;                                                                                   \
    } while (0)

#define ASSERT_TRUE(c)                                                                            \
    do { if (!(c)) T_FAIL_("ASSERT_TRUE(%s) failed", #c); } while (0)
#define ASSERT_EQ(a, b)                                                                           \
    do {                                                                                          \
        long long a_ = (long long)(a), b_ = (long long)(b);                                       \
        if (a_ != b_) T_FAIL_("ASSERT_EQ(%s, %s): %lld != %lld", #a, #b, a_, b_);                 \
    } while (0)
#define ASSERT_STR_EQ(a, b)                                                                       \
    do {                                                                                          \
        const char *a_ = (a), *b_ = (b);                                                          \
        if (strcmp(a_, b_) != 0) T_FAIL_("ASSERT_STR_EQ(%s, %s): \"%s\" != \"%s\"", #a, #b, a_, b_); \
    } while (0)
#define ASSERT_STR_CONTAINS(hay, needle)                                                          \
    do {                                                                                          \
        const char *h_ = (hay), *n_ = (needle);                                                   \
        if (!strstr(h_, n_)) T_FAIL_("\"%s\" does not contain \"%s\"", h_, n_);                   \
    } while (0)
#define ASSERT_NEAR(a, b, tol)                                                                    \
    do {                                                                                          \
        double a_ = (a), b_ = (b);                                                                \
        if (!(fabs(a_ - b_) <= (tol))) T_FAIL_("ASSERT_NEAR(%s, %s): %.9g vs %.9g (tol %g)", #a, #b, a_, b_, (double)(tol)); \
    } while (0)

#define RUN(fn)                                                                                   \
    do {                                                                                          \
        t_cur_failed = 0;                                                                         \
        fn();                                                                                     \
        if (t_cur_failed) { t_failed++; printf("FAIL %s\n", #fn); }                               \
        else { t_passed++; printf("ok   %s\n", #fn); }                                            \
        fflush(stdout);                                                                           \
    } while (0)

#define TEST_END()                                                                                \
    do {                                                                                          \
        printf("%d passed, %d failed\n", t_passed, t_failed);                                     \
        return t_failed ? 1 : 0;                                                                  \
    } while (0)

#endif
