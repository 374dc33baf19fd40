/*
 * test_fetch.c — fetch_url (src/pipeline/fetch.c) against a small HTTP/1.0 server run by this
 * test on 127.0.0.1 (a thread answering canned responses), so every failure a manifest's URLs can
 * hit is produced for real: 404, a redirect, a redirect loop, a redirect to a non-http scheme, a
 * body over the size cap (declared and undeclared), a server that stalls past the total timeout,
 * a refused connection.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "pipeline/fetch.h"
#include "test.h"

static int listen_fd, port;

static void send_all(int fd, const char *s, size_t n) {
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0) return;
        s += k, n -= (size_t)k;
    }
}

static void *serve(void *arg) {
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) return NULL;
        char req[2048] = "";
        ssize_t n = recv(fd, req, sizeof req - 1, 0);
        if (n <= 0) {
            close(fd);
            continue;
        }
        req[n] = '\0';
        char path[256] = "";
        sscanf(req, "GET %255s", path);
        char head[512];
        if (!strcmp(path, "/ok")) {
            const char *b = "hello image bytes";
            snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n", strlen(b));
            send_all(fd, head, strlen(head));
            send_all(fd, b, strlen(b));
        } else if (!strcmp(path, "/redirect")) {
            snprintf(head, sizeof head, "HTTP/1.0 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n");
            send_all(fd, head, strlen(head));
        } else if (!strcmp(path, "/loop")) {
            snprintf(head, sizeof head, "HTTP/1.0 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
            send_all(fd, head, strlen(head));
        } else if (!strcmp(path, "/to-file")) {
            snprintf(head, sizeof head, "HTTP/1.0 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n");
            send_all(fd, head, strlen(head));
        } else if (!strcmp(path, "/big-declared")) {
            snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Length: 10000000\r\n\r\n");
            send_all(fd, head, strlen(head));
        } else if (!strcmp(path, "/big-streamed")) {
            snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\n\r\n");
            send_all(fd, head, strlen(head));
            char chunk[4096];
            memset(chunk, 'x', sizeof chunk);
            for (int i = 0; i < 64; i++) send_all(fd, chunk, sizeof chunk);
        } else if (!strcmp(path, "/stall")) {
            snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nabc");
            send_all(fd, head, strlen(head));
            sleep(3);
        } else {
            snprintf(head, sizeof head, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            send_all(fd, head, strlen(head));
        }
        close(fd);
    }
}

static int get(const char *path, fetch_opts *o, fetch_reason *why, char *msg, size_t *len) {
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    uint8_t *data = NULL;
    vt_error err = {0};
    int rc = fetch_url(url, o, &data, len, why, &err);
    snprintf(msg, 512, "%s", err.message);
    vt_free(data);
    return rc;
}

static void test_fetch(void) {
    fetch_opts o = fetch_opts_default();
    o.max_bytes = 100000;
    o.total_timeout_ms = 1000;
    fetch_reason why;
    char msg[512];
    size_t len = 0;
    ASSERT_EQ(get("/ok", &o, &why, msg, &len), VT_OK);
    ASSERT_EQ(len, 17);
    ASSERT_EQ(why, FETCH_OK);
    ASSERT_EQ(get("/redirect", &o, &why, msg, &len), VT_OK);
    ASSERT_EQ(len, 17);
    ASSERT_EQ(get("/missing", &o, &why, msg, &len), VT_EIO);
    ASSERT_EQ(why, FETCH_HTTP_STATUS);
    ASSERT_STR_CONTAINS(msg, "/missing: HTTP status 404");
    ASSERT_EQ(get("/loop", &o, &why, msg, &len), VT_EIO);
    ASSERT_EQ(why, FETCH_TOO_MANY_REDIRECTS);
    ASSERT_STR_CONTAINS(msg, "more than 5 redirects");
    ASSERT_TRUE(get("/to-file", &o, &why, msg, &len) != VT_OK);
    ASSERT_EQ(why, FETCH_BAD_URL);
    ASSERT_EQ(get("/big-declared", &o, &why, msg, &len), VT_ELIMIT);
    ASSERT_EQ(why, FETCH_TOO_LARGE);
    ASSERT_STR_CONTAINS(msg, "larger than 100000 bytes");
    ASSERT_EQ(get("/big-streamed", &o, &why, msg, &len), VT_ELIMIT);
    ASSERT_EQ(why, FETCH_TOO_LARGE);
    ASSERT_EQ(get("/stall", &o, &why, msg, &len), VT_EIO);
    ASSERT_EQ(why, FETCH_TIMEOUT);
    ASSERT_STR_CONTAINS(msg, "timed out");
    ASSERT_STR_EQ(fetch_reason_name(why), "timeout");
}

static void test_refused_and_bad_urls(void) {
    /* a port nobody listens on: bind one, close it, connect to it */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, sizeof a);
    socklen_t al = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x.png", ntohs(a.sin_port));
    uint8_t *data = NULL;
    size_t len = 0;
    fetch_reason why;
    vt_error err = {0};
    ASSERT_EQ(fetch_url(url, NULL, &data, &len, &why, &err), VT_EIO);
    ASSERT_EQ(why, FETCH_CONNECT);
    vt_error_clear(&err);
    ASSERT_EQ(fetch_url("ftp://example.com/x.png", NULL, &data, &len, &why, &err), VT_EINVAL);
    ASSERT_STR_CONTAINS(err.message, "ftp://example.com/x.png: only http and https");
    ASSERT_TRUE(data == NULL);
}

int main(void) {
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) || listen(listen_fd, 16)) {
        perror("test_fetch: listen");
        return 1;
    }
    socklen_t al = sizeof a;
    getsockname(listen_fd, (struct sockaddr *)&a, &al);
    port = ntohs(a.sin_port);
    pthread_t th;
    pthread_create(&th, NULL, serve, NULL);
    pthread_detach(th);
    RUN(test_fetch);
    RUN(test_refused_and_bad_urls);
    TEST_END();
}
