// swift-tools-version:6.0
// vtok: streaming video tokeniser. The targets follow the pipeline:
// bytes -> frames (VtokMedia) -> tensors -> tokens (VtokEngine) -> bytes (VtokStream) -> clients (VtokServer).
import PackageDescription

let package = Package(
    name: "vtok",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vtok", targets: ["vtok"]),
        .library(name: "VtokEngine", targets: ["VtokEngine"]),
        .library(name: "VtokStream", targets: ["VtokStream"]),
        .library(name: "VtokMedia", targets: ["VtokMedia"]),
        // libvtokc.so: the engine behind a C interface (Sources/VtokC/include/vtok.h), for Python and other hosts.
        // Not "vtok": product names are one namespace, and the executable has it.
        .library(name: "vtokc", type: .dynamic, targets: ["VtokC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C boundary: FFmpeg 5.1 (Debian 12) and OpenBLAS, found by pkg-config; oneDNN 2.6 (no pkg-config file).
        // libavdevice is not linked (its header is used): VtokMedia opens it when an input names a device.
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat libavcodec libswscale libavutil",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavdevice-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "COneDNN", providers: [.apt(["libdnnl-dev"])]),

        // bytes -> frames and frames -> bytes. No AV* type leaks out.
        .target(name: "VtokMedia", dependencies: ["CFFmpeg"]),
        // SHA-256: the weights' identity (VtokEngine) and the batch manifest's checksums (vtok). Pure, no dependencies.
        .target(name: "VtokChecksum"),
        // frames -> latents -> tokens and back. No I/O.
        .target(name: "VtokEngine", dependencies: ["COneDNN", "COpenBLAS", "VtokChecksum"]),
        // `vtok bench`: the engine's speed and each GEMM library's peak. Used by the command line only.
        .target(name: "VtokBench", dependencies: ["VtokEngine"]),
        // tokens <-> bytes: the wire format. Pure, no I/O.
        .target(name: "VtokStream"),
        // media -> engine -> stream, and back: the one pipeline the CLI and the daemon share.
        .target(name: "VtokPipeline", dependencies: ["VtokMedia", "VtokEngine", "VtokStream"]),
        // the daemon: sockets, sessions, systemd, metrics.
        .target(name: "VtokServer", dependencies: [
            "VtokPipeline", "VtokMedia", "VtokStream",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // the engine as a C library: handles, status codes, no I/O beyond reading the weights.
        .target(name: "VtokC", dependencies: ["VtokEngine"], exclude: ["include"]),
        // the command line: thin.
        .executableTarget(name: "vtok", dependencies: [
            "VtokPipeline", "VtokMedia", "VtokEngine", "VtokStream", "VtokServer", "VtokBench", "VtokChecksum",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // what the test targets share: child processes, ffmpeg test clips, source-tree paths. Foundation only.
        .target(name: "VtokTestSupport", path: "Tests/VtokTestSupport"),
        .testTarget(name: "VtokMediaTests", dependencies: ["VtokMedia", "VtokTestSupport"]),
        .testTarget(name: "VtokEngineTests", dependencies: ["VtokEngine", "VtokChecksum", "VtokTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VtokStreamTests", dependencies: ["VtokStream", "VtokTestSupport"]),
        .testTarget(name: "VtokPipelineTests", dependencies: ["VtokPipeline", "VtokTestSupport"]),
        .testTarget(name: "VtokServerTests", dependencies: ["VtokServer", "VtokPipeline", "VtokEngine", "VtokMedia", "VtokStream",
                                                            "VtokTestSupport"]),
        .testTarget(name: "VtokCLITests", dependencies: ["VtokStream", "VtokTestSupport"]),
        .testTarget(name: "VtokCTests", dependencies: ["VtokC", "VtokEngine"]),
    ]
)
