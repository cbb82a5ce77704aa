import FlintCore
import FlintRunner
import Foundation
import Testing

/// Warm-invocation rate and the daemon's CPU per invocation, with a minimal C runtime (so the
/// figures are Flint's, not an interpreter's); run with
/// `FLINT_RUNNER_BENCH=1 swift test --filter LambdaRunnerBenchmarks`. Needs a C compiler (cc).
@Suite(
    .enabled(if: ProcessInfo.processInfo.environment["FLINT_RUNNER_BENCH"] != nil),
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "needs /usr/bin/cc to build the C runtime"),
    .serialized
)
struct LambdaRunnerBenchmarks {
    @Test func warmInvocations_rateAndCPU() async throws {
        try await withLambdaFixture { fixture in
            let source = fixture.functionDirectory + "/bootstrap.c"
            try Self.runtime.write(toFile: source, atomically: false, encoding: .utf8)
            let compiler = Process()
            compiler.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
            compiler.arguments = ["-O2", "-o", fixture.functionDirectory + "/bootstrap", source]
            try compiler.run()
            await Task.detached { compiler.waitUntilExit() }.value
            #expect(compiler.terminationStatus == 0)
            let function = FunctionManifest(
                name: "crt", directory: fixture.functionDirectory, runtime: .lambda, command: ["./bootstrap"], concurrency: 8
            )
            let payload = Data(#"{"hello":"world"}"#.utf8)
            for (concurrency, total) in [(1, 500), (1, 20_000), (8, 40_000)] {
                let cpuBefore = Self.processCPUMicros()
                let start = ContinuousClock.now
                await withTaskGroup(of: Void.self) { group in
                    for worker in 0 ..< concurrency {
                        group.addTask {
                            for _ in stride(from: worker, to: total, by: concurrency) {
                                let result = await fixture.runner.run(
                                    InvocationRequest(function: "crt", source: .cli, payload: payload), function: function
                                )
                                precondition(result.record.outcome == .ok, "\(result.record)")
                            }
                        }
                    }
                }
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let cpu = Double(Self.processCPUMicros() - cpuBefore) / Double(total)
                print("lambda runner, C runtime, \(concurrency) at once: \(Int(Double(total) / seconds)) invocations/s, \(Int(cpu)) µs of Flint's CPU each")
            }
        }
    }

    private static func processCPUMicros() -> Int64 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    }

    /// A Lambda custom runtime in C: one keep-alive connection; answers each event with itself.
    static let runtime = #"""
        #define _GNU_SOURCE
        #include <arpa/inet.h>
        #include <netinet/in.h>
        #include <netinet/tcp.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <strings.h>
        #include <sys/socket.h>
        #include <unistd.h>
        static char buf[1 << 20]; static size_t len;
        static int fd;
        static void fill(void) { ssize_t n = read(fd, buf + len, sizeof buf - len); if (n <= 0) exit(1); len += n; }
        /* reads one response; returns body pointer/len (copied), header value of request id */
        static size_t response(char *body, char *rid) {
          char *end;
          while (!(end = memmem(buf, len, "\r\n\r\n", 4))) fill();
          size_t head = end - buf + 4; size_t cl = 0; rid[0] = 0;
          for (char *line = buf; line < end; ) {
            char *nl = memmem(line, end - line + 2, "\r\n", 2);
            if (!strncasecmp(line, "Content-Length:", 15)) cl = strtoul(line + 15, 0, 10);
            if (!strncasecmp(line, "Lambda-Runtime-Aws-Request-Id:", 30)) { char *v = line + 30; while (*v == ' ') v++; memcpy(rid, v, nl - v); rid[nl - v] = 0; }
            line = nl + 2;
          }
          while (len < head + cl) fill();
          if (body) memcpy(body, buf + head, cl);
          memmove(buf, buf + head + cl, len - head - cl); len -= head + cl;
          return cl;
        }
        int main(void) {
          char *api = getenv("AWS_LAMBDA_RUNTIME_API"); char host[64]; strcpy(host, api); char *colon = strchr(host, ':'); *colon = 0;
          struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))}; inet_pton(AF_INET, host, &a.sin_addr);
          fd = socket(AF_INET, SOCK_STREAM, 0); int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          if (connect(fd, (void *)&a, sizeof a)) return 1;
          static char event[1 << 20], req[(1 << 20) + 256]; char rid[256], ignored[256];
          for (;;) {
            const char *next = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: r\r\n\r\n";
            write(fd, next, strlen(next));
            size_t n = response(event, rid);
            int h = snprintf(req, 512, "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: r\r\nContent-Length: %zu\r\n\r\n", rid, n);
            memcpy(req + h, event, n); write(fd, req, h + n);
            response(NULL, ignored);
          }
        }
        """#
}
