// The daemon: listens, admits or refuses connections, and runs each session or live client on its own
// thread. The run loop, status and shutdown are in Server+Run.swift.
import Foundation
import Glibc
import Logging
import VtokStream

/// `vtok serve`. Create it, then call `run()` on the main thread; it returns the exit status.
///
/// ```swift
/// let server = try Server(configuration: config, factory: pipelines, logger: logger)
/// server.shutdownSignal.installHandlers()   // SIGTERM/SIGINT -> graceful stop; SIGPIPE ignored
/// exit(try server.run())
/// ```
public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let metrics = Metrics()
    /// Trigger it (or send SIGTERM once handlers are installed) to stop.
    public let shutdownSignal: ShutdownSignal
    let factory: any TokenSourceFactory
    let logger: Logger
    let notifier: SystemdNotifier
    let environment: [String: String]

    var listeners: [Listener] = []
    var metricsListeners: [Listener] = []
    var broadcaster: Broadcaster?
    /// Signalled when the live source's thread has returned.
    let sourceDone = DispatchSemaphore(value: 0)
    var sourceOutcome: SourceOutcome?           // guarded by `lock`

    let lock = NSLock()
    let idle = NSCondition()                    // signalled when a session ends
    var sessions: [Int: TokeniseSession] = [:]  // guarded by `idle`
    var nextSessionID = 0

    /// Opens nothing yet: `run()` opens the sockets and the source. `environment` defaults to the process's
    /// (NOTIFY_SOCKET, WATCHDOG_USEC, LISTEN_FDS...).
    public init(configuration: ServerConfiguration, factory: any TokenSourceFactory, logger: Logger,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                shutdownSignal: ShutdownSignal? = nil) throws(ServerError) {
        if let problem = configuration.violation() { throw .invalidConfiguration(problem) }
        self.configuration = configuration
        self.factory = factory
        self.logger = logger
        self.environment = environment
        self.notifier = SystemdNotifier(environment: environment)
        if let shutdownSignal { self.shutdownSignal = shutdownSignal } else { self.shutdownSignal = try ShutdownSignal() }
        // Writes use MSG_NOSIGNAL; pipes to FFmpeg cannot, so a closed pipe must not kill the daemon either.
        signal(SIGPIPE, SIG_IGN)
    }

    /// The session sockets this server listens on (after `run()` opened them), for tests and logs.
    public var listeningPaths: [String] {
        lock.lock()
        defer { lock.unlock() }
        return listeners.compactMap { $0.boundPath }
    }

    // MARK: - Opening

    /// Adopts systemd's sockets, then binds the configured paths that systemd did not pass.
    func openListeners() throws(ServerError) {
        var sessionSockets: [Listener] = []
        var metricsSockets: [Listener] = []
        if configuration.useSocketActivation,
           let passed = try SocketActivation.parse(environment: environment, pid: getpid()) {
            SocketActivation.unsetEnvironment()
            for p in passed.descriptors {
                let l = try Listener.adopt(fd: p.fd, name: p.name)
                let isMetrics = p.name == "metrics" || (l.boundPath != nil && l.boundPath == configuration.metricsSocketPath)
                if isMetrics { metricsSockets.append(l) } else { sessionSockets.append(l) }
                logger.info("using socket from systemd", metadata: [
                    "fd": "\(p.fd)", "name": "\(p.name)", "path": "\(l.boundPath ?? "-")", "metrics": "\(isMetrics)"])
            }
        }
        do throws(ServerError) {
            let group = try configuration.socketGroupID()
            if let path = configuration.socketPath, !sessionSockets.contains(where: { $0.boundPath == path }) {
                sessionSockets.append(try Listener.bind(path: path, mode: configuration.effectiveSocketMode, group: group))
                logger.info("listening", metadata: ["socket": "\(path)"])
            }
            if let path = configuration.metricsSocketPath, !metricsSockets.contains(where: { $0.boundPath == path }) {
                metricsSockets.append(try Listener.bind(path: path, mode: configuration.effectiveSocketMode, group: group))
                logger.info("serving metrics", metadata: ["socket": "\(path)"])
            }
        } catch {
            // Close (and remove the files of) what was opened before the failure.
            for l in sessionSockets + metricsSockets { l.close() }
            throw error
        }
        lock.lock()
        listeners = sessionSockets
        metricsListeners = metricsSockets
        lock.unlock()
        guard !sessionSockets.isEmpty else {
            closeListeners()
            throw .noListeners
        }
    }

    func closeListeners() {
        lock.lock()
        let all = listeners + metricsListeners
        listeners = []
        metricsListeners = []
        lock.unlock()
        for l in all { l.close() }
    }

    // MARK: - Admission

    /// Accepts every pending connection on `listener`.
    func acceptAll(on listener: Listener) {
        while true {
            let connection: Connection?
            do {
                connection = try listener.accept()
            } catch {
                // EMFILE/ENFILE/ENOMEM: leave it pending; the next loop turn retries.
                logger.warning("accept failed", metadata: ["error": "\(error)"])
                metrics.error()
                return
            }
            guard let connection else { return }
            admit(connection)
        }
    }

    private func admit(_ connection: Connection) {
        let active = broadcaster?.clientCount ?? activeSessionCount
        guard active < configuration.maxSessions else {
            refuse(connection)
            return
        }
        if let broadcaster {
            if !broadcaster.add(connection) { refuse(connection, message: "the live source has ended") }
            return
        }
        idle.lock()
        nextSessionID += 1
        let session = TokeniseSession(id: nextSessionID, connection: connection, factory: factory,
                                      limits: configuration.limits, shutdown: shutdownSignal,
                                      metrics: metrics, logger: logger)
        sessions[session.id] = session
        idle.unlock()
        metrics.sessionStarted()
        logger.debug("session started", metadata: ["session": "\(session.id)"])
        Thread.detachNewThread { [self] in
            session.run()
            idle.lock()
            sessions.removeValue(forKey: session.id)
            idle.broadcast()
            idle.unlock()
        }
    }

    /// The refusal a client gets beyond --max-sessions: a lone END packet (reason limitExceeded, message
    /// beginning with "busy"), written without waiting, then the connection is closed.
    private func refuse(_ connection: Connection, message: String? = nil) {
        let text = message ?? "busy: \(configuration.maxSessions) sessions already running, try again later"
        let end = Packet.end(EndInfo(framesIn: 0, latentFramesOut: 0, reason: .limitExceeded, message: text), sequence: 0)
        connection.sendNow(end.bytes)
        connection.shutdownWrite()
        connection.close()
        metrics.sessionRefused()
        logger.notice("connection refused", metadata: ["why": "\(text)"])
    }

    var activeSessionCount: Int {
        idle.lock()
        defer { idle.unlock() }
        return sessions.count
    }
}
