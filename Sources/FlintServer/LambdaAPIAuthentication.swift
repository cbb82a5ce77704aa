internal import FlintCore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import Synchronization

/// Who may call the Lambda API: anyone on a loopback listener (as local Lambda emulators let
/// them); elsewhere the holder of the admin token, sent as `Authorization: Bearer`, or used as
/// the secret access key of the SigV4 signature with which boto3, the aws CLI and the SDKs sign
/// every request (`SigV4Verifier`).
struct LambdaAPIAuthentication: Sendable {
    /// nil on a loopback listener: nothing is checked.
    let token: String?

    /// What the request's headers decide.
    enum Decision {
        case allowed
        case refused(LambdaAPI.ErrorKind, String)
        /// A signature whose headers check out: what decides is whether it signs the body too.
        case signed(SigV4Verifier.Checked)
    }

    /// Bodies of signed requests held before their signature is checked, in bytes, across the
    /// daemon: without a bound, connections that each send a well-formed header (no secret
    /// needed) and a 6 MiB body could fill memory.
    static let unauthenticatedBodies = ByteBudget(limit: 32 << 20)

    func decide(_ request: Request, now: Date = Date()) -> Decision {
        guard let token else { return .allowed }
        let header = request.headers[.authorization]
        if AdminToken.authorizes(header, token) { return .allowed }
        do throws(SigV4Verifier.Refusal) {
            if let header, let signature = try SigV4Verifier.Authorization.parse(header) {
                return .signed(try SigV4Verifier(secretAccessKey: token).check(
                    signature, query: request.uri.query, headerNames: Self.headerNames(of: request),
                    headers: { Self.headerValues($0, of: request) }, now: now))
            }
        } catch {
            return .refused(.invalidSignature, "\(error)")
        }
        return .refused(
            .accessDenied,
            "This listener is not on loopback: sign requests with the token in .flint/admin-token as the secret access key (any access key id), or send Authorization: Bearer <that token>"
        )
    }

    /// nil when `signature` (which `decide` checked) signs the request with `body`; else why not.
    func verify(_ signature: SigV4Verifier.Checked, of request: Request, body: Data) -> String? {
        guard let token else { return nil }
        do throws(SigV4Verifier.Refusal) {
            try SigV4Verifier(secretAccessKey: token).verify(
                signature, method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
                headers: { Self.headerValues($0, of: request) }, body: body)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The lower-case names of the headers sent, `host` included.
    private static func headerNames(of request: Request) -> [String] {
        (request.head.authority == nil ? [] : ["host"]) + request.headers.map { $0.name.canonicalName }
    }

    /// The values of the header `name` (lower case) as received. HTTP/1's `Host` is the request's
    /// authority by then: HTTPTypes keeps it apart from the other fields.
    private static func headerValues(_ name: String, of request: Request) -> [String] {
        if name == "host" { return request.head.authority.map { [$0] } ?? [] }
        return HTTPField.Name(name).map { request.headers[values: $0] } ?? []
    }
}

/// Bytes that may be held at once by those who take them; the rest are refused until given back.
final class ByteBudget: Sendable {
    private let available: Mutex<Int>

    init(limit: Int) {
        available = Mutex(limit)
    }

    /// Takes `bytes`, unless fewer are left.
    func take(_ bytes: Int) -> Bool {
        available.withLock { left in
            guard bytes <= left else { return false }
            left -= bytes
            return true
        }
    }

    func giveBack(_ bytes: Int) {
        available.withLock { $0 += bytes }
    }
}
