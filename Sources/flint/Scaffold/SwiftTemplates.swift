/// `flint init --lang swift`: Swift handlers with Foundation only, compiled by `flint init`.
enum SwiftTemplates {
    /// `handle(_:)` for the trigger: returns the result (a JSON object).
    private static func handle(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        switch trigger {
        case .http:
            #"""
            /// An API Gateway HTTP API (payload 2.0) event in, a response out.
            func handle(_ event: Any) throws -> Any {
                let event = event as? [String: Any] ?? [:]
                let body = (event["body"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
                let who = body?["name"] as? String ?? "world"
                log("\(event["routeKey"] as? String ?? "?") for \(who)")
                let message = try JSONSerialization.data(withJSONObject: ["message": "hello \(who), from \#(name)"])
                return [
                    "statusCode": 200,
                    "headers": ["content-type": "application/json"],
                    "body": String(decoding: message, as: UTF8.self),
                ]
            }
            """#
        case .queue:
            #"""
            /// An SQS event in: a batch of messages. Messages listed in batchItemFailures are retried.
            func handle(_ event: Any) throws -> Any {
                let records = (event as? [String: Any])?["Records"] as? [[String: Any]] ?? []
                for record in records {
                    log("message \(record["messageId"] as? String ?? "?"): \(record["body"] as? String ?? "")")
                }
                return ["batchItemFailures": [[String: String]]()]
            }
            """#
        case .bucket:
            #"""
            /// An S3 event in: one record per object created.
            func handle(_ event: Any) throws -> Any {
                let records = (event as? [String: Any])?["Records"] as? [[String: Any]] ?? []
                for record in records {
                    let s3 = record["s3"] as? [String: Any]
                    let bucket = (s3?["bucket"] as? [String: Any])?["name"] as? String ?? "?"
                    let object = s3?["object"] as? [String: Any]
                    let key = (object?["key"] as? String)?.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "?"
                    let size = (object?["size"] as? Int).map { ": \($0) bytes" } ?? ""  // none for an object removed
                    log("\(record["eventName"] as? String ?? "?") \(bucket)/\(key)\(size)")
                }
                return [String: Any]()
            }
            """#
        case .none:
            #"""
            /// Any event in; it comes back unchanged.
            func handle(_ event: Any) throws -> Any { event }
            """#
        }
    }

    static func exec(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        #"""
        // \#(name): the event arrives on stdin as JSON, the result goes to stdout, and stderr is the
        // log; a non-zero exit is a failure (docs/handler-protocol.md).
        // Rebuild after editing: \#(ScaffoldHandler.swiftBuild.joined(separator: " "))
        import Foundation

        func log(_ line: String) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }

        \#(handle(name: name, trigger: trigger))

        do {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            let event = try JSONSerialization.jsonObject(with: input, options: .fragmentsAllowed)
            FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: try handle(event), options: .fragmentsAllowed))
        } catch {
            log("\#(name) failed: \(error)")
            exit(1)
        }

        """#
    }

    static func lambda(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        #"""
        // \#(name): a Lambda custom runtime in Swift. It asks the Runtime API for the next event,
        // handles it, and posts the result, for as long as the instance lives; Flint starts it on
        // demand and stops it once idle (docs/handler-protocol.md, lambda mode).
        // Rebuild after editing: \#(ScaffoldHandler.swiftBuild.joined(separator: " "))
        import Foundation
        #if canImport(FoundationNetworking)
        import FoundationNetworking
        #endif

        func log(_ line: String) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }

        \#(handle(name: name, trigger: trigger))

        /// One HTTP exchange with the Runtime API, waited for (the next event may be long in coming).
        func exchange(_ url: URL, body: Data? = nil) -> (Data, HTTPURLResponse)? {
            var request = URLRequest(url: url, timeoutInterval: 24 * 60 * 60)
            if let body {
                request.httpMethod = "POST"
                request.httpBody = body
            }
            final class Reply: @unchecked Sendable { var value: (Data, HTTPURLResponse)? }
            let reply = Reply()
            let done = DispatchSemaphore(value: 0)
            URLSession.shared.dataTask(with: request) { data, response, _ in
                if let data, let response = response as? HTTPURLResponse { reply.value = (data, response) }
                done.signal()
            }.resume()
            done.wait()
            return reply.value
        }

        guard let api = ProcessInfo.processInfo.environment["AWS_LAMBDA_RUNTIME_API"],
              let next = URL(string: "http://\(api)/2018-06-01/runtime/invocation/next")
        else {
            log("AWS_LAMBDA_RUNTIME_API is not set: run this handler with runtime: lambda")
            exit(1)
        }
        while let (event, response) = exchange(next) {
            guard let id = response.value(forHTTPHeaderField: "Lambda-Runtime-Aws-Request-Id"),
                  let base = URL(string: "http://\(api)/2018-06-01/runtime/invocation/\(id)/")
            else { continue }
            do {
                let input = try JSONSerialization.jsonObject(with: event, options: .fragmentsAllowed)
                let output = try JSONSerialization.data(withJSONObject: try handle(input), options: .fragmentsAllowed)
                _ = exchange(base.appendingPathComponent("response"), body: output)
            } catch {
                let failure = ["errorMessage": "\(error)", "errorType": "\(type(of: error))"]
                _ = exchange(base.appendingPathComponent("error"), body: try? JSONSerialization.data(withJSONObject: failure))
            }
        }
        log("the Runtime API is gone; stopping")

        """#
    }
}
