/* The warm `runtime: lambda` HTTP ceiling: the smallest fast daemon side of the mandated path, and
 * nothing else (no durability, logging, metering, routing table or event shaping).
 *
 *   client --HTTP/1.1 POST--> front listener
 *        daemon answers the handler's pending GET /2018-06-01/runtime/invocation/next with the
 *        request body as the event (200 + Lambda-Runtime-* headers), over loopback TCP
 *   handler --POST /2018-06-01/runtime/invocation/{id}/response--> daemon: 202 to the handler,
 *        200 + the handler's bytes to the client
 *
 * One event loop per thread (epoll, level-triggered, non-blocking sockets). Every loop owns a front
 * listener on FRONT_PORT (SO_REUSEPORT, so the kernel spreads client connections over the loops),
 * its own Runtime API listener on API_PORT+i and K/THREADS handler instances that it spawned with
 * AWS_LAMBDA_RUNTIME_API=127.0.0.1:API_PORT+i. Nothing is shared between loops.
 * A request goes to the most recently idle instance of its loop (LIFO: the warmest), or waits in a
 * FIFO queue until one asks for /next. A connection carries one request at a time; pipelined bytes
 * wait in its buffer until the answer to the previous request is queued (answers stay in order).
 * Bodies: Content-Length only (chunked -> 501). Keep-alive: HTTP/1.1 unless `Connection: close`.
 *
 *   gcc -O2 -Wall -pthread -o runtime-ceiling runtime-ceiling.c
 *   ./runtime-ceiling FRONT_PORT API_PORT THREADS K HANDLER
 * SIGTERM/SIGINT: stops the K handlers (by PID), prints per-loop request counts on stderr, exits.
 * Handlers also get PR_SET_PDEATHSIG, so they never outlive the server. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSG (16u << 20)   /* head + body; more -> 413 and close */
#define MAX_HEAD 65536u

enum { K_FRONT, K_API, K_CLIENT, K_RUNTIME };

typedef struct { char *p; size_t off, len, cap; } buf_t;   /* live bytes: p[off, len) */

typedef struct conn conn_t;
struct conn {
    int fd, kind;
    uint32_t gen;                /* bumped on close: stale references compare it */
    unsigned want_out : 1, closing : 1, queued : 1, busy : 1, keep : 1, idle : 1, has_inv : 1;
    buf_t in, out;
    conn_t *next;                /* wait queue (clients), idle stack (runtimes), free list */
    /* client: the request being served, relative to in.off */
    size_t req_len, body_off, body_len;
    /* runtime: the invocation it holds */
    conn_t *client;
    uint32_t client_gen;
    uint64_t inv;
};

typedef struct {
    int idx, ep, front_fd, api_fd, api_port;
    conn_t *free_list, *dead, *idle, *q_head, *q_tail;
    uint64_t seq;
    unsigned long long served, accepted;
    conn_t lfront, lapi;
} loop_t;

static const char ARN[] = "arn:aws:lambda:us-east-1:000000000000:function:echo";

static void die(const char *what) { perror(what); exit(1); }

/* ---------- buffers ---------- */
static void buf_reserve(buf_t *b, size_t extra) {
    if (b->off && b->off == b->len) b->off = b->len = 0;
    if (b->len + extra <= b->cap) return;
    if (b->off) {                                   /* compact first */
        memmove(b->p, b->p + b->off, b->len - b->off);
        b->len -= b->off; b->off = 0;
        if (b->len + extra <= b->cap) return;
    }
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < b->len + extra) cap *= 2;
    if (!(b->p = realloc(b->p, cap))) die("realloc");
    b->cap = cap;
}
static void buf_append(buf_t *b, const char *p, size_t n) {
    if (!n) return;
    buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* ---------- connections ---------- */
static conn_t *conn_new(loop_t *L, int fd, int kind) {
    conn_t *c = L->free_list;
    if (c) L->free_list = c->next;
    else if (!(c = calloc(1, sizeof *c))) die("calloc");
    uint32_t gen = c->gen;
    buf_t in = c->in, out = c->out;
    memset(c, 0, sizeof *c);
    c->gen = gen; c->fd = fd; c->kind = kind;
    c->in = in; c->out = out; c->in.off = c->in.len = c->out.off = c->out.len = 0;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(L->ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
    return c;
}

static void unlink_from(conn_t **head, conn_t **tail, conn_t *c) {
    conn_t *prev = NULL;
    for (conn_t *x = *head; x; prev = x, x = x->next)
        if (x == c) {
            if (prev) prev->next = c->next; else *head = c->next;
            if (tail && *tail == c) *tail = prev;
            c->next = NULL;
            return;
        }
}

static void client_answer(loop_t *L, conn_t *cl, int status, const char *body, size_t n);

static void conn_close(loop_t *L, conn_t *c) {
    if (c->fd < 0) return;
    close(c->fd);                                   /* also removes it from the epoll set */
    c->fd = -1;
    c->gen++;
    if (c->kind == K_CLIENT && c->queued) { unlink_from(&L->q_head, &L->q_tail, c); c->queued = 0; }
    if (c->kind == K_RUNTIME) {
        if (c->idle) { unlink_from(&L->idle, NULL, c); c->idle = 0; }
        if (c->has_inv) {                           /* the handler went away mid-invocation */
            c->has_inv = 0;
            conn_t *cl = c->client;
            if (cl->fd >= 0 && cl->gen == c->client_gen) {
                static const char m[] = "{\"message\":\"Internal Server Error\"}";
                client_answer(L, cl, 502, m, sizeof m - 1);
            }
        }
    }
    c->next = L->dead;                              /* freed after the current epoll batch */
    L->dead = c;
}

static void set_out(loop_t *L, conn_t *c, int on) {
    if (c->want_out == (unsigned)on) return;
    c->want_out = on;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl mod");
}

static void flush(loop_t *L, conn_t *c) {
    while (c->out.len > c->out.off) {
        ssize_t w = write(c->fd, c->out.p + c->out.off, c->out.len - c->out.off);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { set_out(L, c, 1); return; }
            conn_close(L, c);
            return;
        }
        c->out.off += (size_t)w;
    }
    c->out.off = c->out.len = 0;
    set_out(L, c, 0);
    if (c->closing) conn_close(L, c);
}

/* Queues head+body on c: one writev when nothing is pending, the rest buffered for EPOLLOUT. */
static void send2(loop_t *L, conn_t *c, const char *a, size_t an, const char *b, size_t bn) {
    if (c->fd < 0) return;
    if (c->out.len > c->out.off) { buf_append(&c->out, a, an); buf_append(&c->out, b, bn); return; }
    struct iovec v[2] = {{(void *)a, an}, {(void *)b, bn}};
    ssize_t w;
    do w = writev(c->fd, v, bn ? 2 : 1); while (w < 0 && errno == EINTR);
    if (w < 0) {
        if (errno != EAGAIN) { conn_close(L, c); return; }
        w = 0;
    }
    size_t done = (size_t)w;
    if (done == an + bn) { if (c->closing) conn_close(L, c); return; }
    if (done < an) { buf_append(&c->out, a + done, an - done); buf_append(&c->out, b, bn); }
    else buf_append(&c->out, b + (done - an), bn - (done - an));
    set_out(L, c, 1);
}

static void sendstr(loop_t *L, conn_t *c, const char *s, size_t n) { send2(L, c, s, n, NULL, 0); }

/* ---------- HTTP parsing ---------- */
typedef struct {
    const char *method, *path; size_t mlen, plen;
    size_t head_len, body_len;
    int keep, chunked, minor;
} req_t;

/* 1: a whole request at p[0,n) (head and body); 0: need more; -1: malformed; -2: too large. */
static int parse_req(const char *p, size_t n, req_t *r) {
    const char *e = n >= 4 ? memmem(p, n, "\r\n\r\n", 4) : NULL;
    if (!e) return n > MAX_HEAD ? -2 : 0;
    r->head_len = (size_t)(e - p) + 4;
    const char *eol = memchr(p, '\r', r->head_len);
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    if (!sp1) return -1;
    const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
    if (!sp2 || eol - sp2 < 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) return -1;
    r->method = p; r->mlen = (size_t)(sp1 - p);
    r->path = sp1 + 1; r->plen = (size_t)(sp2 - sp1 - 1);
    r->minor = sp2[8] - '0';
    r->keep = r->minor >= 1; r->chunked = 0; r->body_len = 0;
    const char *line = eol + 2;
    while (line < e) {
        const char *le = memchr(line, '\r', (size_t)(e + 2 - line));
        size_t ll = (size_t)(le - line);
        char c0 = (char)(line[0] | 0x20);
        if (c0 == 'c' && ll > 15 && strncasecmp(line, "content-length:", 15) == 0) {
            const char *v = line + 15;
            while (*v == ' ' || *v == '\t') v++;
            size_t len = 0;
            if (*v < '0' || *v > '9') return -1;
            while (*v >= '0' && *v <= '9') { len = len * 10 + (size_t)(*v - '0'); if (len > MAX_MSG) return -2; v++; }
            r->body_len = len;
        } else if (c0 == 'c' && ll > 11 && strncasecmp(line, "connection:", 11) == 0) {
            const char *v = line + 11;
            while (*v == ' ' || *v == '\t') v++;
            if ((size_t)(le - v) >= 5 && strncasecmp(v, "close", 5) == 0) r->keep = 0;
            else if ((size_t)(le - v) >= 10 && strncasecmp(v, "keep-alive", 10) == 0) r->keep = 1;
        } else if (c0 == 't' && ll > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) {
            r->chunked = 1;
        }
        line = le + 2;
    }
    if (r->head_len + r->body_len > MAX_MSG) return -2;
    return r->head_len + r->body_len <= n ? 1 : 0;
}

/* ---------- the invocation path ---------- */
static void process_client(loop_t *L, conn_t *cl);

static void client_answer(loop_t *L, conn_t *cl, int status, const char *body, size_t n) {
    char head[160];
    const char *reason = status == 200 ? "OK" : status == 502 ? "Bad Gateway" : "Internal Server Error";
    int hl = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n%s\r\n", status, reason, n, cl->keep ? "" : "Connection: close\r\n");
    cl->busy = 0;
    if (!cl->keep) cl->closing = 1;
    L->served++;
    send2(L, cl, head, (size_t)hl, body, n);
    if (cl->fd >= 0 && !cl->closing && cl->in.len > cl->in.off) process_client(L, cl);   /* pipelined */
}

static void send_event(loop_t *L, conn_t *rt, conn_t *cl) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t deadline = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 30000;
    rt->inv = ++L->seq;
    rt->client = cl; rt->client_gen = cl->gen; rt->has_inv = 1; rt->idle = 0;
    char head[512];
    int hl = snprintf(head, sizeof head,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Lambda-Runtime-Aws-Request-Id: %d-%llu\r\nLambda-Runtime-Deadline-Ms: %llu\r\n"
        "Lambda-Runtime-Invoked-Function-Arn: %s\r\n"
        "Lambda-Runtime-Trace-Id: Root=1-00000000-%024llx;Sampled=0\r\nContent-Length: %zu\r\n\r\n",
        L->idx, (unsigned long long)rt->inv, (unsigned long long)deadline, ARN,
        (unsigned long long)rt->inv, cl->body_len);
    send2(L, rt, head, (size_t)hl, cl->in.p + cl->in.off + cl->body_off, cl->body_len);
    cl->in.off += cl->req_len;                      /* the event's bytes are sent or copied */
}

static void dispatch(loop_t *L, conn_t *cl) {
    conn_t *rt = L->idle;
    if (rt) { L->idle = rt->next; rt->next = NULL; send_event(L, rt, cl); return; }
    cl->queued = 1; cl->next = NULL;
    if (L->q_tail) L->q_tail->next = cl; else L->q_head = cl;
    L->q_tail = cl;
}

static void bad_request(loop_t *L, conn_t *c, int code) {
    char m[128];
    const char *reason = code == 413 ? "Payload Too Large" : code == 501 ? "Not Implemented" : "Bad Request";
    int n = snprintf(m, sizeof m, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code, reason);
    c->closing = 1;
    c->in.off = c->in.len;
    sendstr(L, c, m, (size_t)n);
}

static void process_client(loop_t *L, conn_t *cl) {
    while (cl->fd >= 0 && !cl->busy && !cl->closing && cl->in.len > cl->in.off) {
        req_t r;
        int k = parse_req(cl->in.p + cl->in.off, cl->in.len - cl->in.off, &r);
        if (k == 0) return;
        if (k < 0) { bad_request(L, cl, k == -2 ? 413 : 400); return; }
        if (r.chunked) { bad_request(L, cl, 501); return; }
        cl->busy = 1; cl->keep = r.keep;
        cl->body_off = r.head_len; cl->body_len = r.body_len; cl->req_len = r.head_len + r.body_len;
        dispatch(L, cl);
    }
}

#define PFX "/2018-06-01/runtime/"
static void process_runtime(loop_t *L, conn_t *rt) {
    static const char ok202[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                                "Content-Length: 15\r\n\r\n{\"status\":\"OK\"}";
    static const char bad400[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 68\r\n\r\n"
                                 "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}";
    static const char nf404[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    while (rt->fd >= 0 && !rt->idle && !rt->closing && rt->in.len > rt->in.off) {
        req_t r;
        const char *p = rt->in.p + rt->in.off;
        int k = parse_req(p, rt->in.len - rt->in.off, &r);
        if (k == 0) return;
        if (k < 0) { bad_request(L, rt, k == -2 ? 413 : 400); return; }
        if (r.chunked) { bad_request(L, rt, 501); return; }
        /* Connection: close from a handler is ignored: its invocation is tracked per connection */
        size_t consumed = r.head_len + r.body_len;
        const size_t pl = sizeof PFX - 1;
        if (r.plen > pl && memcmp(r.path, PFX, pl) == 0) {
            const char *s = r.path + pl; size_t sl = r.plen - pl;
            if (sl == 15 && memcmp(s, "invocation/next", 15) == 0) {
                rt->in.off += consumed;
                conn_t *cl = L->q_head;
                if (cl) {
                    L->q_head = cl->next; if (!L->q_head) L->q_tail = NULL;
                    cl->next = NULL; cl->queued = 0;
                    send_event(L, rt, cl);
                } else {
                    rt->idle = 1; rt->next = L->idle; L->idle = rt;
                }
                continue;
            }
            if (sl > 11 && memcmp(s, "invocation/", 11) == 0) {
                const char *id = s + 11, *slash = memchr(id, '/', sl - 11);
                const char *end = s + sl;
                int is_resp = slash && end - slash == 9 && memcmp(slash, "/response", 9) == 0;
                int is_err = slash && end - slash == 6 && memcmp(slash, "/error", 6) == 0;
                if (is_resp || is_err) {
                    char want[48];
                    int wl = snprintf(want, sizeof want, "%d-%llu", L->idx, (unsigned long long)rt->inv);
                    if (!rt->has_inv || slash - id != wl || memcmp(id, want, (size_t)wl) != 0) {
                        rt->in.off += consumed;
                        sendstr(L, rt, bad400, sizeof bad400 - 1);
                        continue;
                    }
                    rt->has_inv = 0;
                    conn_t *cl = rt->client;
                    const char *body = p + r.head_len;
                    /* the client first (its answer is on the critical path), then the 202 */
                    if (cl->fd >= 0 && cl->gen == rt->client_gen) {
                        if (is_resp) client_answer(L, cl, 200, body, r.body_len);
                        else { static const char m[] = "{\"message\":\"Internal Server Error\"}";
                               client_answer(L, cl, 500, m, sizeof m - 1); }
                    }
                    rt->in.off += consumed;
                    sendstr(L, rt, ok202, sizeof ok202 - 1);
                    continue;
                }
            }
            if (sl == 10 && memcmp(s, "init/error", 10) == 0) {
                rt->in.off += consumed;
                sendstr(L, rt, ok202, sizeof ok202 - 1);
                continue;
            }
        }
        rt->in.off += consumed;
        sendstr(L, rt, nf404, sizeof nf404 - 1);
    }
}

static void on_readable(loop_t *L, conn_t *c) {
    for (;;) {
        buf_reserve(&c->in, 16384);
        size_t room = c->in.cap - c->in.len;
        ssize_t n = read(c->fd, c->in.p + c->in.len, room);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            conn_close(L, c); return;
        }
        if (n == 0) { conn_close(L, c); return; }
        c->in.len += (size_t)n;
        if ((size_t)n < room) break;                /* drained (level-triggered: no EAGAIN read) */
    }
    if (c->kind == K_CLIENT) process_client(L, c); else process_runtime(L, c);
}

static void on_accept(loop_t *L, int lfd, int kind) {
    for (int i = 0; i < 64; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            return;                                 /* EAGAIN, or a transient error */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_new(L, fd, kind);
        L->accepted++;
    }
}

static void *run_loop(void *arg) {
    loop_t *L = arg;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(L->ep, evs, 256, -1);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            uint32_t e = evs[i].events;
            if (c->kind == K_FRONT) { on_accept(L, L->front_fd, K_CLIENT); continue; }
            if (c->kind == K_API) { on_accept(L, L->api_fd, K_RUNTIME); continue; }
            if (c->fd < 0) continue;
            if (e & EPOLLOUT) flush(L, c);
            if (c->fd >= 0 && (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) on_readable(L, c);
        }
        while (L->dead) { conn_t *c = L->dead; L->dead = c->next; c->next = L->free_list; L->free_list = c; }
    }
    return NULL;
}

/* ---------- setup ---------- */
static int listen_on(int port, int reuseport) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (listen(fd, 1024) < 0) die("listen");
    return fd;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s FRONT_PORT API_PORT THREADS K HANDLER\n", argv[0]);
        return 2;
    }
    int front = atoi(argv[1]), api = atoi(argv[2]), T = atoi(argv[3]), K = atoi(argv[4]);
    const char *handler = argv[5];
    if (T < 1 || T > 64 || K < T) { fprintf(stderr, "need 1 <= THREADS <= K\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);

    loop_t *loops = calloc((size_t)T, sizeof *loops);
    pid_t *kids = calloc((size_t)K, sizeof *kids);
    int nk = 0;
    for (int i = 0; i < T; i++) {
        loop_t *L = &loops[i];
        L->idx = i; L->api_port = api + i;
        if ((L->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
        L->front_fd = listen_on(front, 1);
        L->api_fd = listen_on(L->api_port, 0);
        L->lfront.kind = K_FRONT; L->lfront.fd = L->front_fd;
        L->lapi.kind = K_API; L->lapi.fd = L->api_fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &L->lfront};
        if (epoll_ctl(L->ep, EPOLL_CTL_ADD, L->front_fd, &ev) < 0) die("epoll_ctl");
        ev.data.ptr = &L->lapi;
        if (epoll_ctl(L->ep, EPOLL_CTL_ADD, L->api_fd, &ev) < 0) die("epoll_ctl");
    }
    /* listeners are accepting before any handler starts; instances split evenly over loops */
    pid_t self = getpid();
    for (int k = 0; k < K; k++) {
        int port = loops[k % T].api_port;
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != self) _exit(1);
            signal(SIGPIPE, SIG_DFL);
            char v[64];
            snprintf(v, sizeof v, "127.0.0.1:%d", port);
            setenv("AWS_LAMBDA_RUNTIME_API", v, 1);
            execl(handler, handler, (char *)NULL);
            _exit(127);
        }
        kids[nk++] = pid;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM); sigaddset(&set, SIGINT); sigaddset(&set, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &set, NULL);          /* threads inherit the mask */
    for (int i = 0; i < T; i++) {
        pthread_t th;
        if (pthread_create(&th, NULL, run_loop, &loops[i]) != 0) die("pthread_create");
    }
    fprintf(stderr, "runtime-ceiling: front 127.0.0.1:%d, api 127.0.0.1:%d..%d, %d loop(s), %d handler(s)\n",
            front, api, api + T - 1, T, K);
    int sig, status = 0;
    for (;;) {
        sigwait(&set, &sig);
        if (sig != SIGCHLD) break;
        pid_t p; int st;
        while ((p = waitpid(-1, &st, WNOHANG)) > 0) {   /* a handler died: report, keep serving */
            fprintf(stderr, "runtime-ceiling: handler %d exited (status %d)\n", (int)p, st);
            for (int k = 0; k < nk; k++) if (kids[k] == p) kids[k] = 0;
            status = 1;
        }
    }
    for (int k = 0; k < nk; k++) if (kids[k] > 0) kill(kids[k], SIGTERM);
    for (int k = 0; k < nk; k++) if (kids[k] > 0) waitpid(kids[k], NULL, 0);
    for (int i = 0; i < T; i++)
        fprintf(stderr, "runtime-ceiling: loop %d: %llu connections, %llu answers\n",
                i, loops[i].accepted, loops[i].served);
    _exit(status);
}
