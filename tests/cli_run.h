/*
 * cli_run.h — running the vitrine binary from a test: the binary is $VITRINE_BIN (set by
 * tests/run.sh), else build/vitrine; cli_capture runs a whole command line through the shell
 * (so it may carry its own redirections) and returns its stdout. One copy for the test files
 * that drive the command line.
 */
#ifndef VT_TESTS_CLI_RUN_H
#define VT_TESTS_CLI_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static inline const char *cli_bin(void) {
    const char *b = getenv("VITRINE_BIN");
    return b && *b ? b : "build/vitrine";
}

/* cli_capture: the stdout of the shell command line cmd (malloc'd; NULL if it cannot start);
 * *status its exit status (-1 if it did not exit normally). */
static inline char *cli_capture(const char *cmd, int *status) {
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t cap = 1 << 16, n = 0, k;
    char *out = malloc(cap);
    while ((k = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (cap - n < 4096) out = realloc(out, cap *= 2);
    }
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

#endif
