// The daemon's life: open, READY=1, the poll loop (accept, STATUS=, WATCHDOG=1, metrics), and the graceful
// stop on SIGTERM, SIGINT or SIGHUP (STOPPING=1, END(shutdown) to every client, exit 0).
import Foundation
import Glibc
import Logging
import VtokStream

extension Server {
    /// Runs until shutdown is requested, or the live source ends. Returns the exit status: 0 after a
    /// requested stop or a live source that ended normally, 1 when the live source failed.
    public func run() throws(ServerError) -> Int32 {
        // Refuse an unsafe --metrics-file directory now, in one line, rather than warn every interval.
        if let path = configuration.metricsFilePath { try MetricsFile.checkDirectory(of: path) }
        try openListeners()
        do {
            try startLiveSource()
        } catch {
            closeListeners()
            throw error
        }
        notifier.ready(status: statusLine())
        logger.notice("ready", metadata: [
            "sockets": "\(listeningPaths)", "mode": "\(configuration.liveSource.map { "live \($0)" } ?? "tokenise on connect")",
            "max_sessions": "\(configuration.maxSessions)", "watchdog": "\(notifier.watchdogInterval.map { "\($0)s" } ?? "off")"])
        loop()
        return stop()
    }

    private func startLiveSource() throws(ServerError) {
        guard let location = configuration.liveSource else { return }
        let source: any TokenSource
        do {
            // A live source runs as long as it delivers: the per-session byte and time limits do not apply
            // (the factory's media limits, --max-frames/--max-seconds/--max-pixels, do).
            source = try factory.makeSource(input: .location(location))
        } catch {
            throw .sourceUnavailable("\(location): \(error)")
        }
        let b = Broadcaster(queueCapacity: configuration.clientQueuePackets, writeTimeout: configuration.limits.writeTimeout,
                            metrics: metrics, logger: logger)
        broadcaster = b
        let shutdown = shutdownSignal
        let box = SourceBox(source)
        Thread.detachNewThread { [self] in
            let outcome = box.source.run(emit: { packets in try b.publish(packets) }, shouldStop: { shutdown.isTriggered })
            b.seal(reason: outcome.reason, message: outcome.message)
            lock.lock()
            sourceOutcome = outcome
            lock.unlock()
            if let damage = outcome.damage {
                // As a session says it: the stream went on, but the source was not whole.
                logger.warning("live source input damaged: \(damage)")
            }
            logger.notice("live source ended", metadata: ["reason": "\(outcome.reason)", "message": "\(outcome.message)"])
            sourceDone.signal()
            shutdown.trigger()
        }
    }

    // MARK: - The loop

    private func loop() {
        let tick = min(configuration.statusInterval, configuration.metricsInterval, notifier.watchdogInterval ?? 1, 1)
        var nextStatus = 0.0, nextMetrics = 0.0, nextWatchdog = 0.0
        while !shutdownSignal.isTriggered {
            lock.lock()
            let all = listeners + metricsListeners
            lock.unlock()
            var fds = all.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: shutdownSignal.readFD, events: Int16(POLLIN), revents: 0))
            let ready = poll(&fds, nfds_t(fds.count), Int32(tick * 1000))
            if ready < 0 && errno != EINTR {
                logger.error("poll failed", metadata: ["error": "\(ServerError.lastSystemError("poll"))"])
                usleep(100_000)
            }
            if ready > 0 {
                for (i, l) in all.enumerated() where fds[i].revents != 0 {
                    if i < all.count - metricsListenerCount(all) { acceptAll(on: l) } else { serveMetrics(on: l) }
                }
            }
            let now = monotonicSeconds()
            if now >= nextStatus {
                metrics.updateRate()
                notifier.status(statusLine())
                nextStatus = now + configuration.statusInterval
            }
            if let interval = notifier.watchdogInterval, now >= nextWatchdog, isMakingProgress(now: now) {
                notifier.watchdog()
                nextWatchdog = now + interval
            }
            if let path = configuration.metricsFilePath, now >= nextMetrics {
                writeMetricsFile(path)
                nextMetrics = now + configuration.metricsInterval
            }
        }
    }

    private func metricsListenerCount(_ all: [Listener]) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return metricsListeners.count
    }

    private func serveMetrics(on listener: Listener) {
        while let c = try? listener.accept() { MetricsEndpoint.serve(c, metrics: metrics) }
    }

    /// WATCHDOG=1 is sent only while this loop turns and, in live mode, the source keeps producing packets.
    private func isMakingProgress(now: Double) -> Bool {
        guard let broadcaster else { return true }
        return now - broadcaster.lastProgress < configuration.sourceStallLimit
    }

    func statusLine() -> String {
        let s = metrics.snapshot
        let fps = String(format: "%.1f", s.framesPerSecond)
        if let live = configuration.liveSource {
            return "live \(live): \(fps) fps, \(s.broadcastClients) clients, \(s.droppedPackets) packets dropped"
        }
        return "\(s.sessionsActive) sessions, \(fps) fps, \(s.sessionsTotal) served, \(s.sessionsRefused) refused"
    }

    private func writeMetricsFile(_ path: String) {
        do {
            try MetricsFile.write(metrics.prometheusText(), to: path)
        } catch {
            logger.warning("cannot write the metrics file", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Stopping

    /// Stops accepting, lets every session finish its latent frame and send END within the grace time,
    /// ends the rest with the daemon's own END(shutdown), and returns the exit status.
    private func stop() -> Int32 {
        lock.lock()
        let liveOutcome = sourceOutcome
        lock.unlock()
        let requested = liveOutcome == nil
        notifier.stopping(status: requested ? "stopping: sending END to \(metrics.snapshot.sessionsActive) clients" : "live source ended")
        if requested { logger.notice("stopping", metadata: ["signal": "\(shutdownSignal.signalName ?? "-")"]) }
        closeListeners()
        let deadline = monotonicSeconds() + configuration.stopGrace
        if let broadcaster {
            if sourceDone.wait(timeout: .now() + max(0, deadline - monotonicSeconds())) == .timedOut {
                logger.warning("live source did not stop in time; ending the stream")
                broadcaster.seal(reason: .shutdown, message: "daemon shutting down")
            }
            broadcaster.drain(until: max(deadline, monotonicSeconds() + 1))
        }
        waitForSessions(until: deadline)
        if let path = configuration.metricsFilePath { writeMetricsFile(path) }
        guard let liveOutcome else { return 0 }
        switch liveOutcome.reason {
        case .endOfInput, .shutdown: return 0
        default: return 1
        }
    }

    private func waitForSessions(until deadline: Double) {
        idle.lock()
        while !sessions.isEmpty && monotonicSeconds() < deadline {
            _ = idle.wait(until: Date().addingTimeInterval(min(0.1, max(0, deadline - monotonicSeconds()))))
        }
        let late = Array(sessions.values)
        idle.unlock()
        guard !late.isEmpty else { return }
        logger.warning("sessions did not stop in time; ending their streams", metadata: ["count": "\(late.count)"])
        // seal() may wait for a write in progress: do it off this thread, then give it a last second.
        for s in late { Thread.detachNewThread { s.seal(reason: .shutdown, message: "daemon shutting down") } }
        let last = monotonicSeconds() + 1
        idle.lock()
        while !sessions.isEmpty && monotonicSeconds() < last { _ = idle.wait(until: Date().addingTimeInterval(0.05)) }
        let stuck = Array(sessions.values)
        idle.unlock()
        for s in stuck { s.disconnect() }
    }
}

/// Carries a non-Sendable source to the thread that runs it (the only one that touches it).
private final class SourceBox: @unchecked Sendable {
    let source: any TokenSource
    init(_ source: any TokenSource) { self.source = source }
}
