internal import Crypto
internal import FlintCore
internal import Foundation

/// Checks AWS Signature Version 4, with which boto3, the aws CLI and every AWS SDK sign each
/// request, against one secret access key: the admin token. A client configured with it (any
/// access key id) reaches the Lambda API off loopback as one sending `Authorization: Bearer`
/// does, unchanged, and the token never crosses the network.
///
/// The canonical request is rebuilt from the request as received: the path and query as sent
/// (already percent-encoded by the client), the headers the client says it signed, and the
/// SHA-256 of the body. See AWS's "Create a signed AWS API request".
struct SigV4Verifier: Sendable {
    let secretAccessKey: String

    /// How far the request's `X-Amz-Date` may be from now, either way: AWS's limit.
    static let maximumSkew: TimeInterval = 15 * 60
    static let algorithm = "AWS4-HMAC-SHA256"
    /// Bounds on what an `Authorization` header may ask to be computed before anyone is known:
    /// the SDKs sign a handful of headers, in a header of a few hundred bytes.
    static let maximumHeaderBytes = 8 * 1024
    static let maximumSignedHeaders = 64

    /// Why a signature is not accepted; each says what to check.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case clockSkew
        case mismatch

        var description: String {
            switch self {
            case .malformed(let what): "the request's SigV4 signature is malformed (\(what))"
            case .clockSkew: "the request's X-Amz-Date is more than 15 minutes from this machine's time; check both clocks"
            case .mismatch: "the request's SigV4 signature does not match: use the token in .flint/admin-token as the secret access key (any access key id)"
            }
        }
    }

    /// What an `Authorization: AWS4-HMAC-SHA256 ...` header says (the access key id aside: any
    /// is taken).
    struct Authorization: Equatable {
        var date: String
        var region: String
        var service: String
        var signedHeaders: [String]
        var signature: String

        /// `DATE/REGION/SERVICE/aws4_request`, the credential after its access key id.
        var scope: String { "\(date)/\(region)/\(service)/aws4_request" }

        /// nil when `header` is not a SigV4 authorization at all (a bearer token, say).
        static func parse(_ header: String) throws(Refusal) -> Authorization? {
            guard header.hasPrefix(SigV4Verifier.algorithm + " ") else { return nil }
            guard header.utf8.count <= SigV4Verifier.maximumHeaderBytes else {
                throw .malformed("the Authorization header is over \(SigV4Verifier.maximumHeaderBytes) bytes")
            }
            var fields: [Substring: Substring] = [:]
            for part in header.dropFirst(SigV4Verifier.algorithm.count + 1).split(separator: ",") {
                let trimmed = part.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "=") else { throw .malformed("\(trimmed) is no name=value") }
                fields[trimmed[..<equals]] = trimmed[trimmed.index(after: equals)...]
            }
            guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"], let signature = fields["Signature"]
            else { throw .malformed("Credential, SignedHeaders and Signature are all needed") }
            let scope = credential.split(separator: "/", omittingEmptySubsequences: false)
            guard scope.count == 5, scope[4] == "aws4_request" else {
                throw .malformed("Credential is not ACCESS_KEY/DATE/REGION/SERVICE/aws4_request")
            }
            let names = signedHeaders.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            // In order, once each, lower case, as every SDK writes them: nothing to sort or dedupe.
            guard names.count <= SigV4Verifier.maximumSignedHeaders,
                zip(names, names.dropFirst()).allSatisfy({ $0.utf8.lexicographicallyPrecedes($1.utf8) }),
                names.allSatisfy({ !$0.isEmpty && $0 == $0.lowercased() })
            else {
                throw .malformed("SignedHeaders must list at most \(SigV4Verifier.maximumSignedHeaders) lower-case names, sorted, each once")
            }
            return Authorization(
                date: String(scope[1]), region: String(scope[2]), service: String(scope[3]), signedHeaders: names,
                signature: String(signature)
            )
        }
    }

    /// An `Authorization` that `check` passed, with the `X-Amz-Date` it was checked against:
    /// what `verify` takes, so that nothing is verified unchecked, or checked twice.
    struct Checked: Equatable {
        let authorization: Authorization
        let amzDate: String
    }

    /// What can be checked before the body is read, and without the secret: the signed headers
    /// are there, every `x-amz-*` header sent is signed (an unsigned one, added to a request read
    /// on the way, would change what it does), the date is the credential's and recent, and no
    /// query parameter is repeated (the router reads the first, the signature all).
    /// `headerNames`: the lower-case names of the headers sent (`host` included).
    func check(
        _ authorization: Authorization, query: String?, headerNames: [String], headers: (String) -> [String], now: Date = Date()
    ) throws(Refusal) -> Checked {
        for required in ["host", "x-amz-date"] where !authorization.signedHeaders.contains(required) {
            throw .malformed("the \(required) header is not signed")
        }
        let sent = Set(headerNames)
        if let missing = authorization.signedHeaders.first(where: { !sent.contains($0) }) {
            throw .malformed("the signed header \(missing) is not in the request")
        }
        if let unsigned = headerNames.first(where: { $0.hasPrefix("x-amz-") && !authorization.signedHeaders.contains($0) }) {
            throw .malformed("the header \(unsigned) is not signed; sign every x-amz- header sent")
        }
        guard let amzDate = headers("x-amz-date").first, let signedAt = TimestampText.parseBasic(amzDate),
            amzDate.utf8.prefix(8).elementsEqual(authorization.date.utf8), authorization.date.utf8.count == 8
        else {
            throw .malformed("X-Amz-Date is not YYYYMMDDTHHMMSSZ of the credential's day")
        }
        guard abs(signedAt.timeIntervalSince(now)) <= Self.maximumSkew else { throw .clockSkew }
        let names = (query ?? "").split(separator: "&").map { $0.prefix { $0 != "=" } }
        guard Set(names).count == names.count else { throw .malformed("a query parameter is repeated") }
        return Checked(authorization: authorization, amzDate: amzDate)
    }

    /// Throws unless `checked` signs the request: `method`, `path` and `query` as received (not
    /// decoded), `headers(name)` the values of a header, `body` its bytes.
    func verify(
        _ checked: Checked, method: String, path: String, query: String?, headers: (String) -> [String], body: Data
    ) throws(Refusal) {
        let authorization = checked.authorization
        let bodyHash = HexDigits.string(SHA256.hash(data: body))
        // A client that sends the body's hash signs it; it must be this body's.
        if let declared = headers("x-amz-content-sha256").first, declared != bodyHash {
            throw .malformed("X-Amz-Content-SHA256 is not the body's hash")
        }
        let canonical = Self.canonicalRequest(
            method: method, path: path, query: query, signedHeaders: authorization.signedHeaders, headers: headers, bodyHash: bodyHash)
        let stringToSign = [
            Self.algorithm, checked.amzDate, authorization.scope, HexDigits.string(SHA256.hash(data: Data(canonical.utf8))),
        ].joined(separator: "\n")
        let expected = HexDigits.string(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(for: authorization)))
        guard AdminToken.matches(authorization.signature[...], expected) else { throw .mismatch }
    }

    /// HMAC chain of the secret over the credential's day, region and service.
    private func signingKey(for authorization: Authorization) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + secretAccessKey).utf8))
        for part in [authorization.date, authorization.region, authorization.service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    static func canonicalRequest(
        method: String, path: String, query: String?, signedHeaders: [String], headers: (String) -> [String], bodyHash: String
    ) -> String {
        let headerLines = signedHeaders.map { name in
            // Each value trimmed, runs of spaces made one; several values joined by commas.
            name + ":" + headers(name).map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
                .joined(separator: ",")
        }
        return [
            method, canonicalURI(path), canonicalQuery(query), headerLines.joined(separator: "\n") + "\n",
            signedHeaders.joined(separator: ";"), bodyHash,
        ].joined(separator: "\n")
    }

    /// The path as sent, percent-encoded once more (every service but S3 signs it so), `/` kept.
    static func canonicalURI(_ path: String) -> String {
        path.isEmpty ? "/" : PercentEncoding.encode(path, alsoKept: [UInt8(ascii: "/")])
    }

    /// The query's `name=value` pairs as sent (already encoded), sorted by name, then value.
    static func canonicalQuery(_ query: String?) -> String {
        guard let query, !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { pair -> (Substring, Substring) in
            guard let equals = pair.firstIndex(of: "=") else { return (pair, "") }
            return (pair[..<equals], pair[pair.index(after: equals)...])
        }
        return pairs.sorted { ($0.0.utf8.lexicographicallyPrecedes($1.0.utf8)) || ($0.0 == $1.0 && $0.1.utf8.lexicographicallyPrecedes($1.1.utf8)) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }
}
