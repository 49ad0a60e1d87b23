// The source's YUV matrix is honoured (FrameScaler.setSourceColour): a BT.709-tagged clip of one colour reads
// back as that colour. Read as BT.601 (what vtok did before), this colour is off by about 10 levels.
import Foundation
import XCTest
@testable import VtokMedia

final class ColourMatrixTests: XCTestCase {
    private func meanRGB(_ path: String) throws -> [Double] {
        let reader = try MediaReader(path: path, options: MediaReaderOptions(size: .source))
        let frames = try Fixtures.readAll(reader)
        let p = try XCTUnwrap(frames.first).pixels
        return (0..<3).map { c in stride(from: c, to: p.count, by: 3).reduce(0.0) { $0 + Double(p[$1]) } / Double(p.count / 3) }
    }

    func testBT709SourceReadsBackItsColour() throws {
        // Solid (40, 160, 220) encoded with the BT.709 matrix and tagged so.
        let path = try Fixtures.clip("bt709.mp4", ["-f", "lavfi", "-i", "color=c=0x28A0DC:size=64x48:rate=25:duration=0.2",
                                                 "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
                                                 "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                                                 "-c:v", "libx264", "-qp", "0"])
        let rgb = try meanRGB(path)
        for (got, want) in zip(rgb, [40.0, 160.0, 220.0]) { XCTAssertEqual(got, want, accuracy: 3, "\(rgb)") }
    }

    func testUntaggedSourceStaysBT601() throws {
        let path = try Fixtures.clip("bt601.mp4", ["-f", "lavfi", "-i", "color=c=0x28A0DC:size=64x48:rate=25:duration=0.2",
                                                 "-vf", "scale=out_color_matrix=bt601:out_range=tv,format=yuv420p",
                                                 "-c:v", "libx264", "-qp", "0"])
        let rgb = try meanRGB(path)
        for (got, want) in zip(rgb, [40.0, 160.0, 220.0]) { XCTAssertEqual(got, want, accuracy: 3, "\(rgb)") }
    }
}
