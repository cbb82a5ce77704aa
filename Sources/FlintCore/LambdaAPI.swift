/// The bodies and values of Lambda's Invoke API (`/2015-03-31/functions...`) that boto3 and the
/// aws CLI read (LAMBDA.md §2). Pure functions: the routes themselves live in FlintServer.
public enum LambdaAPI {
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`, as `Lambda-Runtime-Invoked-Function-Arn` and
    /// `FunctionArn` carry it.
    public static func functionARN(name: String, region: String, account: String) -> String {
        "arn:aws:lambda:\(region):\(account):function:\(name)"
    }
}
