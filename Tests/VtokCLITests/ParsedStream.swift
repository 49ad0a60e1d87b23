// A token stream as the CLI wrote it, read back with VtokStream's StreamReader, and what a well-formed one
// must satisfy; the latent-frame grouping and time arithmetic the tests expect.
import XCTest
import VtokStream

/// A token stream read back with VtokStream's reader, every event kept.
struct ParsedStream {
    var events: [StreamEvent] = []
    /// The reader's verdict at the end of input: nil when complete (§6.2).
    var problem: StreamError?
    var thrown: StreamError?

    init(_ bytes: [UInt8], chunk: Int = 997) {
        var r = StreamReader()
        var i = 0
        repeat {
            r.feed(bytes[i..<min(i + chunk, bytes.count)])
            i += chunk
            do {
                while let e = try r.next() { events.append(e) }
            } catch {
                thrown = error
            }
        } while i < bytes.count
        problem = r.finish()
    }

    var headers: [StreamHeader] { events.compactMap { if case .header(let h) = $0 { return h } else { return nil } } }
    var frames: [TokenFrame] { events.compactMap { if case .tokens(let t) = $0 { return t } else { return nil } } }
    var end: EndInfo? { events.compactMap { if case .end(let e) = $0 { return e } else { return nil } }.last }
    var skippedBytes: Int { events.reduce(0) { if case .skipped(let n, _) = $1 { return $0 + n } else { return $0 } } }
    var missingPackets: UInt64 {
        events.reduce(0) { if case .discontinuity(_, let n) = $1 { return $0 + n } else { return $0 } }
    }
    var isComplete: Bool { problem == nil && thrown == nil }
    var pts: [Int64] { frames.flatMap(\.pts) }
    var frameCounts: [Int] { frames.map(\.frameCount) }
    var isEmpty: Bool { events.isEmpty }

    /// The stream is whole and ends with END; every latent frame is valid against its header; the END counts
    /// match what is in the stream; frame and latent indices run on without gaps.
    func assertWellFormed(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNil(thrown, file: file, line: line)
        XCTAssertNil(problem, "the stream must be complete (END last, nothing after)", file: file, line: line)
        XCTAssertEqual(skippedBytes, 0, "no damaged bytes in a stream vtok wrote", file: file, line: line)
        guard case .header = events.first else { return XCTFail("a HEADER must come first: \(events.first.map { "\($0)" } ?? "nothing")", file: file, line: line) }
        guard case .end(let end)? = events.last else { return XCTFail("END must be last", file: file, line: line) }
        XCTAssertEqual(end.framesIn, pts.count, "END frames_in", file: file, line: line)
        XCTAssertEqual(end.latentFramesOut, frames.count, "END latent_frames_out", file: file, line: line)
        var expectedFrameIndex = 0, latentIndex = 0, header: StreamHeader?
        for e in events {
            switch e {
            case .header(let h):
                if header != nil { XCTAssertEqual(h.segment, header!.segment + 1, "segments count up", file: file, line: line) }
                header = h
                latentIndex = 0
            case .tokens(let t):
                guard let h = header else { return XCTFail("tokens before a header", file: file, line: line) }
                XCTAssertEqual(t.latentIndex, latentIndex, file: file, line: line)
                XCTAssertEqual(t.frameIndex, expectedFrameIndex, file: file, line: line)
                XCTAssertEqual(t.tokens.count, h.latentHeight * h.latentWidth, file: file, line: line)
                XCTAssertTrue(t.tokens.allSatisfy { Int($0) < h.vocabularySize }, file: file, line: line)
                // Causal grouping (§4.2): latent 0 covers 1 frame, later ones T (the last may cover fewer).
                XCTAssertLessThanOrEqual(t.frameCount, latentIndex == 0 ? 1 : h.temporalFactor, file: file, line: line)
                XCTAssertEqual(t.latents != nil, h.hasLatents, file: file, line: line)
                expectedFrameIndex += t.frameCount
                latentIndex += 1
            case .end:
                break
            default:
                XCTFail("unexpected event in a clean stream: \(e)", file: file, line: line)
            }
        }
        XCTAssertEqual(pts, pts.sorted(), "pts increase", file: file, line: line)
        XCTAssertEqual(Set(pts).count, pts.count, "pts are distinct", file: file, line: line)
    }
}

/// Expected latent frame sizes for `n` frames of one segment with temporal factor 4: 1, 4, 4, ..., rest.
func causalGroups(_ n: Int, t: Int = 4) -> [Int] {
    guard n > 0 else { return [] }
    var out = [1], left = n - 1
    while left > 0 {
        out.append(min(t, left))
        left -= t
    }
    return out
}

/// Seconds of each pts in `header`'s time base.
func seconds(_ pts: [Int64], _ h: StreamHeader) -> [Double] {
    pts.map { Double($0) * Double(h.timeBase.num) / Double(h.timeBase.den) }
}

