@testable import FlintServer
import Foundation
import Testing

/// SigV4 signatures as boto3 1.44 made them (captured from its requests to a local server, with
/// the secret below), checked by `SigV4Verifier`.
@Suite struct SigV4VerifierTests {
    static let secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    static let signedAt = Date(timeIntervalSince1970: 1_795_574_572)  // 2026-11-25T02:42:52Z

    /// A captured request: what `verify` is given.
    struct Captured {
        var method: String
        var path: String
        var query: String?
        var headers: [String: [String]]
        var body: String

        var authorization: String { headers["authorization"]?.first ?? "" }

        func verify(secret: String = SigV4VerifierTests.secret, at now: Date = SigV4VerifierTests.signedAt) throws(SigV4Verifier.Refusal) {
            guard let signature = try SigV4Verifier.Authorization.parse(authorization) else { throw .malformed("not SigV4") }
            let verifier = SigV4Verifier(secretAccessKey: secret)
            let checked = try verifier.check(signature, query: query, headerNames: Array(headers.keys), headers: { headers[$0] ?? [] }, now: now)
            try verifier.verify(checked, method: method, path: path, query: query, headers: { headers[$0] ?? [] }, body: Data(body.utf8))
        }
    }

    /// `lambda.invoke(FunctionName=<an ARN>, Qualifier="$LATEST", Payload=b'{"a": "b c"}', LogType="Tail")`.
    static let invoke = Captured(
        method: "POST",
        path: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A000000000000%3Afunction%3Aecho/invocations",
        query: "Qualifier=%24LATEST",
        headers: [
            "host": ["127.0.0.1:46103"], "x-amz-log-type": ["Tail"], "x-amz-date": ["20261125T024252Z"], "content-length": ["12"],
            "authorization": [
                "AWS4-HMAC-SHA256 Credential=flint/20261125/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date;x-amz-log-type, Signature=1f983acec13188f9e1d3dea0233d505510dc8792bda9f4477d41887d1b9a38b5",
            ],
        ],
        body: #"{"a": "b c"}"#
    )

    /// `lambda.list_functions(MaxItems=5, Marker="x y")`: a query out of order, with an encoded space.
    static let list = Captured(
        method: "GET", path: "/2015-03-31/functions", query: "MaxItems=5&Marker=x%20y",
        headers: [
            "host": ["127.0.0.1:46103"], "x-amz-date": ["20261125T024252Z"],
            "authorization": [
                "AWS4-HMAC-SHA256 Credential=flint/20261125/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=78f9945fea6c07469539bd1154a9f66cf706d24eabd1218d37dc0659abb2dba6",
            ],
        ],
        body: ""
    )

    @Test(arguments: [invoke, list])
    func boto3sSignature_withTheSecret_isAccepted(_ request: Captured) throws {
        try request.verify()
    }

    @Test(arguments: [invoke, list])
    func aSignatureMadeWithAnotherSecret_isRefused(_ request: Captured) {
        #expect(throws: SigV4Verifier.Refusal.mismatch) { try request.verify(secret: String(Self.secret.reversed())) }
    }

    @Test func anyChangeToWhatWasSigned_isRefused() {
        var body = Self.invoke
        body.body = #"{"a": "b d"}"#
        var path = Self.invoke
        path.path = path.path.replacingOccurrences(of: "echo", with: "other")
        var query = Self.invoke
        query.query = "Qualifier=1"
        var header = Self.invoke
        header.headers["x-amz-log-type"] = ["None"]
        for changed in [body, path, query, header] {
            #expect(throws: SigV4Verifier.Refusal.mismatch) { try changed.verify() }
        }
    }

    @Test func aSignatureFromMoreThan15MinutesAgoOrAhead_isRefused() throws {
        try Self.invoke.verify(at: Self.signedAt.addingTimeInterval(14 * 60))
        #expect(throws: SigV4Verifier.Refusal.clockSkew) { try Self.invoke.verify(at: Self.signedAt.addingTimeInterval(16 * 60)) }
        #expect(throws: SigV4Verifier.Refusal.clockSkew) { try Self.invoke.verify(at: Self.signedAt.addingTimeInterval(-16 * 60)) }
    }

    @Test func aBearerToken_isNoSignature_andAMalformedOneSaysWhat() throws {
        #expect(try SigV4Verifier.Authorization.parse("Bearer abc") == nil)
        #expect(throws: SigV4Verifier.Refusal.malformed("Credential, SignedHeaders and Signature are all needed")) {
            _ = try SigV4Verifier.Authorization.parse("AWS4-HMAC-SHA256 Credential=flint/20261125/eu-west-1/lambda/aws4_request")
        }
        var unsignedDate = Self.list
        unsignedDate.headers["authorization"] = [Self.list.authorization.replacingOccurrences(of: "host;x-amz-date", with: "host")]
        #expect(throws: SigV4Verifier.Refusal.malformed("the x-amz-date header is not signed")) { try unsignedDate.verify() }
    }

    /// A header the client did not sign, added to a request read on the way, would change what it
    /// does (the log tail returned, an invocation made asynchronous, a client context): refused.
    @Test func anUnsignedAmzHeader_isRefused() {
        for name in ["x-amz-log-type", "x-amz-invocation-type", "x-amz-client-context"] {
            var added = Self.list
            added.headers[name] = ["Tail"]
            #expect(throws: SigV4Verifier.Refusal.malformed("the header \(name) is not signed; sign every x-amz- header sent")) {
                try added.verify()
            }
        }
    }

    /// What a signature asks to be computed is bounded, and checked before anything is: each
    /// signed header once, in order, and there; at most 64 of them; a header of at most 8 KiB.
    @Test func signedHeadersRepeatedUnsortedMissingOrTooMany_areRefused_beforeAnyWork() {
        let rule = SigV4Verifier.Refusal.malformed("SignedHeaders must list at most 64 lower-case names, sorted, each once")
        for list in ["host;host;x-amz-date", "x-amz-date;host", "Host;x-amz-date", "host;;x-amz-date",
                     (["host", "x-amz-date"] + (0..<63).map { "x-\($0)" }).sorted().joined(separator: ";")] {
            var changed = Self.list
            changed.headers["authorization"] = [Self.list.authorization.replacingOccurrences(of: "SignedHeaders=host;x-amz-date", with: "SignedHeaders=\(list)")]
            #expect(throws: rule) { try changed.verify() }
        }
        var missing = Self.list
        missing.headers["authorization"] = [Self.list.authorization.replacingOccurrences(of: "host;x-amz-date", with: "host;x-amz-date;x-other")]
        #expect(throws: SigV4Verifier.Refusal.malformed("the signed header x-other is not in the request")) { try missing.verify() }
        #expect(throws: SigV4Verifier.Refusal.malformed("the Authorization header is over 8192 bytes")) {
            _ = try SigV4Verifier.Authorization.parse(Self.list.authorization + String(repeating: " ", count: 8192))
        }
    }

    @Test func aCredentialOfAnotherDay_orARepeatedQueryParameter_isRefused() {
        var otherDay = Self.list
        otherDay.headers["authorization"] = [Self.list.authorization.replacingOccurrences(of: "flint/20261125/", with: "flint//")]
        #expect(throws: SigV4Verifier.Refusal.malformed("X-Amz-Date is not YYYYMMDDTHHMMSSZ of the credential's day")) { try otherDay.verify() }
        var repeated = Self.list
        repeated.query = "MaxItems=5&Marker=x%20y&MaxItems=1"
        #expect(throws: SigV4Verifier.Refusal.malformed("a query parameter is repeated")) { try repeated.verify() }
    }

    @Test func canonicalURI_encodesThePathAsSentOnceMore() {
        #expect(SigV4Verifier.canonicalURI("/a%3Ab/c d~") == "/a%253Ab/c%20d~")
        #expect(SigV4Verifier.canonicalQuery("b=2&a=2&a=1") == "a=1&a=2&b=2")
    }
}
