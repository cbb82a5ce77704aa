import Testing

@testable import FlintCore

@Suite struct LambdaAPIFunctionNameTests {
    @Test(arguments: [
        ("echo", "echo", nil),
        ("my_Function-2", "my_Function-2", nil),
        ("My.Func", "My.Func", nil),  // Lambda's pattern allows it; no function is so named (404)
        ("echo:prod", "echo", "prod"),
        ("echo:$LATEST", "echo", "$LATEST"),
        ("echo%3A7", "echo", "7"),
        ("arn:aws:lambda:us-east-1:123456789012:function:echo", "echo", nil),
        ("arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aecho", "echo", nil),
        ("arn:aws:lambda:us-east-1:123456789012:function:echo:live", "echo", "live"),
        ("arn%3Aaws%3Alambda%3Aeu-west-3%3A000000000000%3Afunction%3Aecho%3A%24LATEST", "echo", "$LATEST"),
        ("arn:aws-cn:lambda:cn-north-1:123456789012:function:echo", "echo", nil),
        ("123456789012:function:echo", "echo", nil),
        ("123456789012:function:echo:v2", "echo", "v2"),
    ] as [(String, String, String?)])
    func functionReference_acceptsLambdaForms(component: String, name: String, qualifier: String?) {
        let reference = LambdaAPI.functionReference(fromPathComponent: component)
        #expect(reference == LambdaAPI.FunctionReference(name: name, qualifier: qualifier))
        #expect(LambdaAPI.functionName(fromPathComponent: component) == name)
    }

    @Test(arguments: [
        "",
        "echo:",
        ":prod",
        "echo:prod:extra",
        "echo/../x",
        "has space",
        "bad%zz",
        "echo%00",
        String(repeating: "a", count: 65),
        "echo:pr.od",
        "ec.ho:",
        "arn:aws:lambda:us-east-1:123456789012:function:",
        "arn:aws:s3:us-east-1:123456789012:function:echo",
        "arn:aws:lambda:us-east-1:123456789012:layer:echo",
        "arn:aws:lambda:us-east-1:account:function:echo",
        "arn:aws:lambda::123456789012:function:echo",
        "arn:gcp:lambda:us-east-1:123456789012:function:echo",
        "nope:aws:lambda:us-east-1:123456789012:function:echo",
        "arn:aws:lambda:us-east-1:123456789012:function:echo:live:more",
        "12ab:function:echo",
        "123456789012:func:echo",
    ])
    func functionName_malformed_isNil(component: String) {
        #expect(LambdaAPI.functionName(fromPathComponent: component) == nil)
        #expect(LambdaAPI.functionReference(fromPathComponent: component) == nil)
    }

    @Test func functionARN_isLambdaFormat() {
        let arn = LambdaAPI.functionARN(name: "echo", region: "us-east-1", account: "123456789012")
        #expect(arn == "arn:aws:lambda:us-east-1:123456789012:function:echo")
        #expect(LambdaAPI.functionName(fromPathComponent: arn) == "echo")
    }
}
