public import Foundation

extension LambdaAPI {
    /// The body of `GET /2015-03-31/functions/{name}` (GetFunction): `Configuration`, and the
    /// function's reserved `Concurrency`. No `Code`: Flint runs the function's directory in place
    /// and has no package to point to.
    public static func getFunctionBody(_ function: FunctionManifest, region: String, account: String, lastModified: Date?) -> Data {
        FlintJSON.encode(FunctionDescription(
            configuration: configuration(of: function, region: region, account: account, lastModified: lastModified),
            concurrency: .init(reservedConcurrentExecutions: function.concurrency)
        ))
    }

    /// The body of `GET /2015-03-31/functions/{name}/configuration` (GetFunctionConfiguration).
    public static func functionConfigurationBody(_ function: FunctionManifest, region: String, account: String, lastModified: Date?) -> Data {
        FlintJSON.encode(configuration(of: function, region: region, account: account, lastModified: lastModified))
    }

    private struct FunctionDescription: Encodable {
        var configuration: FunctionConfiguration
        var concurrency: Concurrency

        struct Concurrency: Encodable {
            var reservedConcurrentExecutions: Int

            enum CodingKeys: String, CodingKey {
                case reservedConcurrentExecutions = "ReservedConcurrentExecutions"
            }
        }

        enum CodingKeys: String, CodingKey {
            case configuration = "Configuration"
            case concurrency = "Concurrency"
        }
    }
}
