// libFuzzer target: the media input path (FFmpeg demux + decode + scale through VtokMedia's MediaReader) on any
// bytes as y4m or NUT (the formats of `ffmpeg ... -f nut - | vtok encode -`). Built by scripts/fuzz.sh with
// VtokMedia's sources and FFmpeg. Only a MediaError may come out (typed); frames are bounded.
import Foundation

private let path = NSTemporaryDirectory() + "vtok-media-fuzz-\(getpid())"

private let quiet: Void = MediaLog.setLevel(.quiet)

@_cdecl("LLVMFuzzerTestOneInput")
public func mediaFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = quiet
    guard size > 1 else { return 0 }
    let format = data[0] & 1 == 0 ? "yuv4mpegpipe" : "nut"
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data + 1, count: size - 1)) else { return 0 }
    var options = MediaReaderOptions()
    options.format = format
    options.maxPixels = 1 << 20
    options.live = false
    guard let reader = try? MediaReader(path: path, options: options) else { return 0 }
    var frames = 0, attempts = 0
    while frames < 32, attempts < 64 {
        attempts += 1
        do throws(MediaError) {
            guard let event = try reader.next() else { break }
            switch event {
            case .frame(let f):
                precondition(f.pixels.count == f.width * f.height * 3, "frame bytes do not match its size")
                frames += 1
            case .sizeChanged:
                continue                                // a new segment: reading goes on
            }
        } catch {
            break
        }
    }
    return 0
}
