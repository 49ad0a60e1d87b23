// Everything `vtok serve` can be told, with the defaults the systemd units rely on.
import Glibc

/// The daemon's settings. `vtok serve` fills it from its options; tests build it directly.
public struct ServerConfiguration: Sendable {
    /// Unix socket to listen on for sessions (in addition to sockets passed by systemd); `@name` is abstract.
    public var socketPath: String?
    /// Permissions of a socket file the daemon makes; nil: 0660 (owner and group may connect). Refused with
    /// an abstract socket, which has no file to carry them.
    public var socketMode: mode_t?
    /// Group of a socket file the daemon makes (name or number); nil keeps the daemon's group. Refused with
    /// an abstract socket.
    public var socketGroup: String?
    /// Second socket serving the metrics (Prometheus text on connect, or an HTTP GET). A socket passed by
    /// systemd that is bound to this path, or named `metrics`, is used instead of binding it.
    public var metricsSocketPath: String?
    /// File rewritten atomically with the metrics every `metricsInterval` seconds.
    public var metricsFilePath: String?
    public var metricsInterval: Double = 5
    /// A device, file or URL to tokenise once and broadcast to every client; nil: tokenise on connect.
    public var liveSource: String?
    /// Sessions (tokenise mode) or clients (live mode) at once; beyond it connections are refused.
    public var maxSessions: Int = 8
    public var limits = SessionLimits()
    /// Packets a live client may lag behind before packets are dropped for it.
    public var clientQueuePackets: Int = 64
    /// After SIGTERM: how long sessions may take to finish their latent frame and send END.
    public var stopGrace: Double = 5
    /// How often STATUS= is sent to systemd.
    public var statusInterval: Double = 2
    /// Live mode: no packet from the source for this long withholds WATCHDOG=1 (the source hangs).
    public var sourceStallLimit: Double = 10
    /// Whether sockets passed by systemd (LISTEN_FDS) are used.
    public var useSocketActivation = true

    public init() {}

    /// The first setting out of range, or nil.
    public func violation() -> String? {
        if maxSessions < 1 { return "--max-sessions must be at least 1" }
        if clientQueuePackets < 1 { return "the client queue must hold at least 1 packet" }
        if stopGrace < 0 || metricsInterval <= 0 || statusInterval <= 0 { return "intervals must be positive" }
        if limits.idleTimeout <= 0 || limits.writeTimeout <= 0 { return "timeouts must be positive" }
        if let socketMode, socketMode & ~0o777 != 0 { return "socket mode \(String(socketMode, radix: 8)) is not a permission mode" }
        if let problem = limits.violation() { return problem }
        for path in [socketPath, metricsSocketPath].compactMap({ $0 }) where path.hasPrefix("@") {
            // An abstract socket has no file: no mode, no group, so any local user (in this network namespace)
            // can connect. Say so rather than ignore the options.
            if socketMode != nil || socketGroup != nil {
                return "--socket-mode and --socket-group cannot protect the abstract socket '\(path)' (it has no "
                    + "file; any local user may connect): use a filesystem path, or drop those options"
            }
        }
        return nil
    }

    /// The mode socket files get.
    var effectiveSocketMode: mode_t { socketMode ?? 0o660 }

    /// The group id for `socketGroup`: a number, or a name looked up with getgrnam.
    func socketGroupID() throws(ServerError) -> gid_t? {
        guard let socketGroup else { return nil }
        if let n = gid_t(socketGroup) { return n }
        guard let entry = getgrnam(socketGroup) else { throw .unknownGroup(socketGroup) }
        return entry.pointee.gr_gid
    }
}
