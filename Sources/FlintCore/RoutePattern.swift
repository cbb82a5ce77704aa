/// An HTTP trigger's path pattern: literal segments and `{name}` parameters, optionally ending in
/// a greedy `{name+}` that takes the rest of the path (API Gateway's syntax).
public struct RoutePattern: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable, Codable {
        case literal(String)
        case parameter(String)
        case greedy(String)
    }

    public let segments: [Segment]
    /// The pattern as written, e.g. `/echo/{name}`.
    public let description: String

    /// Parses `pattern`, or throws a message saying what is wrong with it.
    public init(_ pattern: String) throws(RoutePatternError) {
        guard pattern.hasPrefix("/") else { throw RoutePatternError("must start with /") }
        var segments: [Segment] = []
        var names: Set<String> = []
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true)
        for (index, part) in parts.enumerated() {
            if part.hasPrefix("{") && part.hasSuffix("}") {
                var name = String(part.dropFirst().dropLast())
                let greedy = name.hasSuffix("+")
                if greedy { name.removeLast() }
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                    throw RoutePatternError("parameter \"\(part)\" needs a name of letters, digits, _ or -")
                }
                guard names.insert(name).inserted else {
                    throw RoutePatternError("parameter {\(name)} appears twice")
                }
                if greedy {
                    guard index == parts.count - 1 else {
                        throw RoutePatternError("greedy parameter {\(name)+} must be the last segment")
                    }
                    segments.append(.greedy(name))
                } else {
                    segments.append(.parameter(name))
                }
            } else {
                guard !part.contains("{"), !part.contains("}") else {
                    throw RoutePatternError("segment \"\(part)\" mixes text and a {parameter}; use a whole segment")
                }
                segments.append(.literal(String(part)))
            }
        }
        self.segments = segments
        self.description = pattern
    }

    /// The pattern with parameter names erased, so `/a/{x}` and `/a/{y}` compare equal.
    public var shape: String {
        "/" + segments.map { segment -> String in
            switch segment {
            case .literal(let text): text
            case .parameter: "{}"
            case .greedy: "{+}"
            }
        }.joined(separator: "/")
    }

    /// Matches a request path (already split on `/`, percent-decoded per segment) and returns the
    /// path parameters, or nil.
    public func match(_ pathSegments: [Substring]) -> [String: String]? {
        var parameters: [String: String] = [:]
        var index = 0
        for segment in segments {
            switch segment {
            case .literal(let text):
                guard index < pathSegments.count, pathSegments[index] == text else { return nil }
                index += 1
            case .parameter(let name):
                guard index < pathSegments.count else { return nil }
                parameters[name] = String(pathSegments[index])
                index += 1
            case .greedy(let name):
                guard index < pathSegments.count else { return nil }
                parameters[name] = pathSegments[index...].joined(separator: "/")
                index = pathSegments.count
            }
        }
        return index == pathSegments.count ? parameters : nil
    }

    /// Literal segments first: a more specific pattern wins over one with a parameter there.
    public var specificity: [Int] {
        segments.map { segment in
            switch segment {
            case .literal: 2
            case .parameter: 1
            case .greedy: 0
            }
        }
    }
}

/// Why a route pattern was refused.
public struct RoutePatternError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
