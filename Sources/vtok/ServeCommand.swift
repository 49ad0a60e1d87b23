// vtok serve: the daemon. Parses options into a ServerConfiguration and runs VtokServer; nothing else.
import ArgumentParser
import Foundation
import Logging
import VtokPipeline
import VtokServer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the tokeniser daemon on a Unix socket (or the sockets systemd passes).",
        discussion: """
            Without --source, each connection is a session: write media into it and read the token stream back on the same connection until END (shutdown(SHUT_WR) after sending is fine). With --source, the source is tokenised once and every client receives the header, then the live packets. Beyond --max-sessions a client gets a lone END packet (reason limitExceeded, message "busy: ..."). SIGTERM, SIGINT or SIGHUP: stop accepting, finish the current latent frame, END(shutdown) to every client, exit 0. Sockets passed by systemd (vtok.socket) are used automatically. See docs/operations.md.

            Examples:
              vtok serve --socket /tmp/vtok.sock
              ffmpeg -i clip.mp4 -c copy -f nut - | socat -t 600 - UNIX-CONNECT:/tmp/vtok.sock > clip.vtok
              vtok serve --source /dev/video0 --socket /tmp/cam.sock --socket-group video
              curl --unix-socket /tmp/metrics.sock http://localhost/metrics   (with --metrics-socket /tmp/metrics.sock)
            """)

    @Option(help: ArgumentHelp("Listen on this Unix socket ('@name': abstract). Optional under socket activation.",
                               valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Permissions of the socket file, octal (default 0660; not with '@name').", valueName: "mode"))
    var socketMode: String?

    @Option(help: ArgumentHelp("Group of the socket file, name or number (not with '@name').", valueName: "group"))
    var socketGroup: String?

    @Option(help: ArgumentHelp("Tokenise this device, file or URL once and broadcast it to every client.",
                               valueName: "source"))
    var source: String?

    @Option(help: "Sessions (or live clients) at once; more are refused.")
    var maxSessions: Int = 8

    @Option(help: "Most media bytes one session may send.")
    var maxInputBytes: Int = 4 << 30

    @Option(help: "Most wall-clock seconds one session may last; then END(limitExceeded). 0: no limit.")
    var maxSessionSeconds: Double = SessionLimits.defaultMaxSessionSeconds

    @Option(help: ArgumentHelp("Cut a session whose client sends fewer bytes per second than this, over each --rate-window of waiting for it, before it half-closes. 0: no minimum.", valueName: "bytes/s"))
    var minInputRate: Double = SessionLimits.defaultMinInputRate

    @Option(help: "Seconds over which --min-input-rate is measured.")
    var rateWindow: Double = SessionLimits.defaultRateWindow

    @Option(help: "Cut a session whose client sends nothing for this many seconds (without having half-closed).")
    var idleTimeout: Double = 30

    @Option(help: "Disconnect a client that reads nothing for this many seconds.")
    var writeTimeout: Double = 30

    @Option(help: "Live mode: packets a client may lag behind before packets are dropped for it.")
    var clientQueue: Int = 64

    @Option(help: "After SIGTERM, seconds sessions may take to send END before the daemon ends them itself.")
    var stopGrace: Double = 5

    @Option(help: ArgumentHelp("Serve Prometheus metrics on this Unix socket (text on connect, or HTTP GET).",
                               valueName: "path"))
    var metricsSocket: String?

    @Option(help: ArgumentHelp("Rewrite this file atomically with the metrics every --metrics-interval seconds.",
                               valueName: "path"))
    var metricsFile: String?

    @Option(help: "Seconds between metrics file updates.")
    var metricsInterval: Double = 5

    @Flag(help: "Ignore sockets passed by systemd (LISTEN_FDS).")
    var noSocketActivation = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Flag(help: "Also write the continuous latents in every TOKENS packet.")
    var continuous = false

    @Option(help: "Repeat the stream header every N latent frames (0: never).")
    var headerRepeat: Int = 32

    @OptionGroup var media: MediaOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw CLIError("--log-level: unknown level '\(logLevel)'") }
        var mode: UInt32?
        if let socketMode {
            guard let m = UInt32(socketMode, radix: 8) else { throw CLIError("--socket-mode must be octal, e.g. 0660") }
            mode = m
        }
        guard maxSessionSeconds >= 0, minInputRate >= 0 else {
            throw CLIError("--max-session-seconds and --min-input-rate must be 0 (off) or positive")
        }
        LoggingSystem.bootstrap { JournalLogHandler(label: $0, level: level) }
        var logger = Logger(label: "vtok")
        logger.logLevel = level
        JournalLogHandler.routeMediaLog(to: logger)

        let model = try modelOptions.load()
        let options = try media.encodeOptions(model: model, compute: modelOptions.compute(), continuous: continuous,
                                              headerRepeat: headerRepeat)

        var config = ServerConfiguration()
        config.socketPath = socket
        config.socketMode = mode
        config.socketGroup = socketGroup
        config.liveSource = source
        config.maxSessions = maxSessions
        // --max-pixels/--max-frames/--max-seconds are in `options` (the pipeline enforces them, as in `vtok
        // encode`); SessionLimits holds only the daemon's own byte, time and stall limits.
        config.limits = SessionLimits(maxInputBytes: maxInputBytes,
                                      maxSessionSeconds: maxSessionSeconds > 0 ? maxSessionSeconds : nil,
                                      idleTimeout: idleTimeout, writeTimeout: writeTimeout,
                                      minInputRate: minInputRate > 0 ? minInputRate : nil, rateWindow: rateWindow)
        config.clientQueuePackets = clientQueue
        config.stopGrace = stopGrace
        config.metricsSocketPath = metricsSocket
        config.metricsFilePath = metricsFile
        config.metricsInterval = metricsInterval
        config.useSocketActivation = !noSocketActivation

        let code: Int32
        do {
            let server = try Server(configuration: config, factory: PipelineSourceFactory(options: options), logger: logger)
            server.shutdownSignal.installHandlers()
            code = try server.run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode(ExitCodes.failure)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
