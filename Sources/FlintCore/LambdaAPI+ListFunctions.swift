public import Foundation

extension LambdaAPI {
    /// Lambda's page size for `ListFunctions` without `MaxItems`, and its largest.
    public static let defaultListPageSize = 50
    public static let listPageSizeRange = 1 ... 10_000

    /// One page of `ListFunctions`, as Lambda pages it: functions by name, those after `marker`
    /// (the `NextMarker` of the page before), at most `maxItems`; `nextMarker` is nil on the last
    /// page.
    public static func listPage(
        of functions: [FunctionManifest], marker: String?, maxItems: Int = defaultListPageSize
    ) -> (functions: [FunctionManifest], nextMarker: String?) {
        let sorted = functions.sorted { $0.name < $1.name }
        let remaining = marker.map { marker in sorted.filter { $0.name > marker } } ?? sorted
        let page = Array(remaining.prefix(maxItems))
        return (page, remaining.count > page.count ? page.last?.name : nil)
    }

    /// The body of `GET /2015-03-31/functions`: `{"Functions":[...],"NextMarker":...}`, the
    /// functions in the order given.
    ///
    /// - Parameters:
    ///   - lastModified: when each function's definition last changed, as `LastModified`; the key
    ///     is left out where it gives nil.
    ///   - nextMarker: where the next page starts; null on the last page.
    public static func listFunctionsBody(
        _ functions: [FunctionManifest], region: String, account: String, lastModified: (FunctionManifest) -> Date?,
        nextMarker: String? = nil
    ) -> Data {
        let configurations = functions.map { configuration(of: $0, region: region, account: account, lastModified: lastModified($0)) }
        return FlintJSON.encode(FunctionList(functions: configurations, nextMarker: nextMarker))
    }

    /// What Lambda's `FunctionConfiguration` says of `function`.
    static func configuration(of function: FunctionManifest, region: String, account: String, lastModified: Date?) -> FunctionConfiguration {
        FunctionConfiguration(
            functionName: function.name,
            functionArn: functionARN(name: function.name, region: region, account: account),
            runtime: runtimeName(function.runtime),
            role: "arn:aws:iam::\(account):role/flint",
            handler: function.command.joined(separator: " "),
            codeSize: 0,
            description: "",
            timeout: timeoutSeconds(function.timeout),
            memorySize: function.memoryMB,
            lastModified: lastModified.map { UTCTimestamp($0).lambdaLastModified },
            version: "$LATEST",
            state: "Active",
            // What the SDKs' "function updated" waiters wait for: a loaded function is in place.
            lastUpdateStatus: "Successful",
            packageType: "Zip",
            architectures: [hostArchitecture]
        )
    }

    /// Lambda's `Runtime` for a Flint runtime. Neither runs a managed Lambda runtime: both start the
    /// manifest's own command, which is what Lambda calls a custom runtime, `provided`. boto3 does not
    /// check the value against its enum; `provided` is chosen over `provided.al2023` because Flint
    /// makes no claim about the operating system.
    static func runtimeName(_ runtime: Runtime) -> String {
        switch runtime {
        case .exec, .lambda: "provided"
        }
    }

    /// Lambda's `Timeout` is whole seconds; a fraction rounds up so the reported limit is never shorter.
    static func timeoutSeconds(_ timeout: Duration) -> Int {
        let (seconds, attoseconds) = timeout.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }

    /// Handlers run on this machine, so its architecture is the honest answer.
    static var hostArchitecture: String {
        #if arch(arm64)
            "arm64"
        #else
            "x86_64"
        #endif
    }

    private struct FunctionList: Encodable {
        var functions: [FunctionConfiguration]
        var nextMarker: String?

        enum CodingKeys: String, CodingKey {
            case functions = "Functions"
            case nextMarker = "NextMarker"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(functions, forKey: .functions)
            // Present and null on the last page, as Lambda writes it.
            if let nextMarker {
                try container.encode(nextMarker, forKey: .nextMarker)
            } else {
                try container.encodeNil(forKey: .nextMarker)
            }
        }
    }

    struct FunctionConfiguration: Encodable {
        var functionName: String
        var functionArn: String
        var runtime: String
        var role: String
        var handler: String
        var codeSize: Int
        var description: String
        var timeout: Int
        var memorySize: Int
        var lastModified: String?
        var version: String
        var state: String
        var lastUpdateStatus: String
        var packageType: String
        var architectures: [String]

        enum CodingKeys: String, CodingKey {
            case functionName = "FunctionName"
            case functionArn = "FunctionArn"
            case runtime = "Runtime"
            case role = "Role"
            case handler = "Handler"
            case codeSize = "CodeSize"
            case description = "Description"
            case timeout = "Timeout"
            case memorySize = "MemorySize"
            case lastModified = "LastModified"
            case version = "Version"
            case state = "State"
            case lastUpdateStatus = "LastUpdateStatus"
            case packageType = "PackageType"
            case architectures = "Architectures"
        }
    }
}
