import XCTest
final class VtokCLITestsPlaceholder: XCTestCase { func testNothing() {} }
