/// How many invocations, each caused by the one before, may run in a chain: a function that
/// writes into a bucket that triggers it (directly or through others) is stopped at this depth,
/// as Lambda's recursive loop detection stops a loop.
public enum CausationDepth {
    /// The first invocation of a chain has depth 0; one at this depth is not run.
    public static let limit = 16
}
