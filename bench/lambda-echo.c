/* A small, fast handler for `runtime: lambda`, used by bench/lambda-bench.sh: it speaks the AWS
 * Lambda Runtime API at AWS_LAMBDA_RUNTIME_API (host:port) over one keep-alive HTTP/1.1
 * connection, and answers every event with the event itself:
 *   GET  /2018-06-01/runtime/invocation/next            -> the event, Lambda-Runtime-Aws-Request-Id
 *   POST /2018-06-01/runtime/invocation/{id}/response   <- the event's bytes, echoed
 * Header names are matched case-insensitively; bodies may come with Content-Length or chunked.
 * A connection the server closes is opened again (three times in a row at most); a refused
 * connection exits 1 (as awslambdaric does). Build: gcc -O2 -Wall -o lambda-echo lambda-echo.c
 *
 * With -DEXEC_ONLY it is the same echo as an exec handler (stdin -> stdout, one process per event),
 * for the exec figure beside it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void die(const char *what) {
    fprintf(stderr, "lambda-echo: %s: %s\n", what, errno ? strerror(errno) : "protocol error");
    exit(1);
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        p += w; n -= (size_t)w;
    }
    return 0;
}

#ifdef EXEC_ONLY
int main(void) {
    char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) != 0) {
        if (n < 0) { if (errno == EINTR) continue; die("read"); }
        if (write_all(1, buf, (size_t)n) < 0) die("write");
    }
    return 0;
}
#else

/* head then body, in one writev when the kernel takes it all (one segment with TCP_NODELAY). */
static int write_two(int fd, const char *a, size_t an, const char *b, size_t bn) {
    struct iovec v[2] = {{(void *)a, an}, {(void *)b, bn}};
    ssize_t w;
    do w = writev(fd, v, 2); while (w < 0 && errno == EINTR);
    if (w < 0) return -1;
    if ((size_t)w < an) return write_all(fd, a + w, an - (size_t)w) < 0 ? -1 : write_all(fd, b, bn);
    return write_all(fd, b + ((size_t)w - an), bn - ((size_t)w - an));
}

/* A growable byte buffer: the connection's read buffer and the event body. */
typedef struct { char *p; size_t len, cap; } buf_t;

static void buf_reserve(buf_t *b, size_t extra) {
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < b->len + extra) cap *= 2;
    if (!(b->p = realloc(b->p, cap))) die("realloc");
    b->cap = cap;
}

static void buf_append(buf_t *b, const char *p, size_t n) {
    buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void buf_consume(buf_t *b, size_t n) {
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static const char *api;     /* AWS_LAMBDA_RUNTIME_API */
static struct sockaddr_in addr;
static int fd = -1;
static buf_t in;            /* bytes read from the connection, not consumed yet */

static void connect_api(void) {
    if (fd >= 0) close(fd);
    in.len = 0;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Reads more bytes into `in`; 0 at end of stream. */
static ssize_t fill(void) {
    buf_reserve(&in, 16384);
    for (;;) {
        ssize_t n = read(fd, in.p + in.len, in.cap - in.len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        in.len += (size_t)n;
        return n;
    }
}

/* Index just past the end of the header block in `in`, reading until there is one. -1: closed. */
static long read_head(void) {
    for (;;) {
        char *e = in.len >= 4 ? memmem(in.p, in.len, "\r\n\r\n", 4) : NULL;
        if (e) return (long)(e - in.p) + 4;
        if (fill() <= 0) return -1;
    }
}

/* The value of header `name` (case-insensitive) in the head [0, end) of `in`, trimmed, copied
 * into out (NUL-terminated). Returns 0 when found. */
static int header(long end, const char *name, char *out, size_t outcap) {
    size_t nl = strlen(name);
    char *p = memchr(in.p, '\n', (size_t)end);   /* skip the status line */
    while (p && p + 1 < in.p + end) {
        char *line = p + 1;
        char *eol = memchr(line, '\n', (size_t)(in.p + end - line));
        if (!eol) break;
        if ((size_t)(eol - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            char *v = line + nl + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            size_t n = (size_t)(ve - v);
            if (n >= outcap) n = outcap - 1;
            memcpy(out, v, n);
            out[n] = 0;
            return 0;
        }
        p = eol;
    }
    return -1;
}

/* Reads one response: status into *status, body into body (replaced), connection reuse into
 * *keep, and when id is not NULL the Lambda-Runtime-Aws-Request-Id into id ("" if absent).
 * Returns -1 when the connection closed before a whole response. */
static int read_response(int *status, buf_t *body, int *keep, char *id, size_t idcap) {
    long end = read_head();
    if (end < 0) return -1;
    char v[256];
    if (in.len < 12 || strncmp(in.p, "HTTP/1.", 7) != 0) { errno = 0; die("bad status line"); }
    *status = atoi(in.p + 9);
    if (id && header(end, "Lambda-Runtime-Aws-Request-Id", id, idcap) != 0) *id = 0;
    *keep = !(header(end, "Connection", v, sizeof v) == 0 && strcasecmp(v, "close") == 0)
            && in.p[7] != '0';
    body->len = 0;
    if (header(end, "Transfer-Encoding", v, sizeof v) == 0 && strcasestr(v, "chunked")) {
        buf_consume(&in, (size_t)end);
        for (;;) {
            char *crlf;
            while (!(crlf = in.len ? memmem(in.p, in.len, "\r\n", 2) : NULL))
                if (fill() <= 0) return -1;
            size_t size = strtoul(in.p, NULL, 16);
            buf_consume(&in, (size_t)(crlf - in.p) + 2);
            while (in.len < size + 2)
                if (fill() <= 0) return -1;
            buf_append(body, in.p, size);
            buf_consume(&in, size + 2);
            if (size == 0) {   /* trailers, if any, end with an empty line */
                while (in.len >= 2 && !(in.p[0] == '\r' && in.p[1] == '\n')) {
                    char *t;
                    while (!(t = memmem(in.p, in.len, "\r\n", 2)))
                        if (fill() <= 0) return -1;
                    buf_consume(&in, (size_t)(t - in.p) + 2);
                }
                while (in.len < 2)
                    if (fill() <= 0) return -1;
                buf_consume(&in, 2);
                return 0;
            }
        }
    }
    size_t length = header(end, "Content-Length", v, sizeof v) == 0 ? strtoul(v, NULL, 10) : 0;
    while (in.len < (size_t)end + length)
        if (fill() <= 0) return -1;
    buf_append(body, in.p + end, length);
    buf_consume(&in, (size_t)end + length);
    return 0;
}

int main(void) {
    api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api) { errno = 0; die("AWS_LAMBDA_RUNTIME_API is not set"); }
    char host[256];
    const char *colon = strrchr(api, ':');
    if (!colon || (size_t)(colon - api) >= sizeof host) { errno = 0; die("AWS_LAMBDA_RUNTIME_API is not host:port"); }
    memcpy(host, api, (size_t)(colon - api));
    host[colon - api] = 0;
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        struct hostent *h = gethostbyname(host);
        if (!h) { errno = 0; die("cannot resolve the Runtime API host"); }
        memcpy(&addr.sin_addr, h->h_addr_list[0], sizeof addr.sin_addr);
    }
    connect_api();

    char next[512], id[256], head[1024];
    int nl = snprintf(next, sizeof next, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", api);
    buf_t event = {0}, ack = {0};
    int closed = 0;   /* connections closed in a row before an answer to /next */
    for (;;) {
        int status, keep;
        if (write_all(fd, next, (size_t)nl) < 0 || read_response(&status, &event, &keep, id, sizeof id) < 0) {
            /* the server closed an idle keep-alive connection: ask again on a new one */
            if (++closed > 3) { errno = 0; die("the Runtime API closes every connection without an answer"); }
            connect_api();
            continue;
        }
        closed = 0;
        if (status != 200) { fprintf(stderr, "lambda-echo: GET /next answered %d\n", status); exit(1); }
        if (!*id) { errno = 0; die("no Lambda-Runtime-Aws-Request-Id"); }
        if (!keep) connect_api();
        int hl = snprintf(head, sizeof head,
                          "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                          "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                          id, api, event.len);
        if (write_two(fd, head, (size_t)hl, event.p, event.len) < 0 || read_response(&status, &ack, &keep, NULL, 0) < 0) {
            errno = 0; die("the Runtime API closed the connection before acknowledging the response");
        }
        if (status / 100 != 2) { fprintf(stderr, "lambda-echo: /response answered %d\n", status); }
        if (!keep) connect_api();
    }
}
#endif
