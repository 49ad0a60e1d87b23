// The one error the test-support helpers throw: a line that says what could not be done.

/// A helper could not set a process up (a file it cannot create or read, a tool that failed).
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
