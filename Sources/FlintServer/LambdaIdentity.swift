/// The account, region and API id Flint reports in ARNs and events. Lambda clients need them
/// well-formed; Flint has no accounts, so they are fixed, documented values.
struct LambdaIdentity: Sendable {
    var region = "local"
    var account = "000000000000"
    var apiID = "flint"
}
