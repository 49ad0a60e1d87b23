// The daemon's counters, gauges and latency histograms, rendered in the Prometheus text format 0.0.4.
import Foundation

/// Thread-safe metrics of one daemon. Every session and the broadcast update them; the exporter renders them.
public final class Metrics: @unchecked Sendable {
    /// A cumulative histogram with fixed upper bounds in seconds.
    public struct Histogram: Sendable {
        public let bounds: [Double]
        public private(set) var counts: [UInt64]     // per bound, not cumulative; last = +Inf
        public private(set) var sum = 0.0
        public private(set) var count: UInt64 = 0
        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count + 1)
        }
        mutating func observe(_ v: Double) {
            let i = bounds.firstIndex { v <= $0 } ?? bounds.count
            counts[i] += 1
            sum += v
            count += 1
        }
    }

    private let lock = NSLock()
    private let started = Date()
    // Counters.
    private(set) var sessionsTotal: UInt64 = 0
    private(set) var sessionsRefused: UInt64 = 0
    private(set) var framesTotal: UInt64 = 0
    private(set) var latentsTotal: UInt64 = 0
    private(set) var droppedPackets: UInt64 = 0
    private(set) var errorsTotal: UInt64 = 0
    private(set) var inputBytes: UInt64 = 0
    private(set) var outputBytes: UInt64 = 0
    private(set) var endReasons: [String: UInt64] = [:]
    // Gauges.
    private(set) var sessionsActive = 0
    private(set) var broadcastClients = 0
    private(set) var framesPerSecond = 0.0
    // Histograms.
    private(set) var latentSeconds = Histogram(bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    private(set) var deliverySeconds = Histogram(bounds: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5])
    private var rateMark = (time: Date(), frames: UInt64(0))

    public init() {}

    private func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    func sessionStarted() { locked { sessionsTotal += 1; sessionsActive += 1 } }
    func sessionEnded(reason: String) { locked { sessionsActive -= 1; endReasons[reason, default: 0] += 1 } }
    func sessionRefused() { locked { sessionsRefused += 1 } }
    func clientJoined() { locked { broadcastClients += 1 } }
    func clientLeft() { locked { broadcastClients -= 1 } }
    func dropped(_ n: Int = 1) { locked { droppedPackets += UInt64(n) } }
    func error() { locked { errorsTotal += 1 } }
    func input(bytes: Int) { locked { inputBytes += UInt64(bytes) } }
    func output(bytes: Int) { locked { outputBytes += UInt64(bytes) } }
    /// A TOKENS packet came out of a pipeline: `frames` source frames, `seconds` since the previous one.
    func latent(frames: Int, seconds: Double?) {
        locked {
            latentsTotal += 1
            framesTotal += UInt64(frames)
            if let seconds { latentSeconds.observe(seconds) }
        }
    }
    /// A packet reached a client's socket `seconds` after the pipeline emitted it.
    func delivered(after seconds: Double) { locked { deliverySeconds.observe(seconds) } }

    /// Recomputes the frames-per-second gauge over the time since the last call; returns it.
    @discardableResult
    func updateRate(now: Date = Date()) -> Double {
        locked {
            let dt = now.timeIntervalSince(rateMark.time)
            if dt >= 0.5 {
                framesPerSecond = Double(framesTotal - rateMark.frames) / dt
                rateMark = (now, framesTotal)
            }
            return framesPerSecond
        }
    }

    /// A snapshot of the values tests and the status line use.
    public struct Snapshot: Sendable {
        public var sessionsActive: Int, sessionsTotal: UInt64, sessionsRefused: UInt64
        public var broadcastClients: Int, framesTotal: UInt64, latentsTotal: UInt64
        public var droppedPackets: UInt64, errorsTotal: UInt64, framesPerSecond: Double
    }

    public var snapshot: Snapshot {
        locked {
            Snapshot(sessionsActive: sessionsActive, sessionsTotal: sessionsTotal, sessionsRefused: sessionsRefused,
                     broadcastClients: broadcastClients, framesTotal: framesTotal, latentsTotal: latentsTotal,
                     droppedPackets: droppedPackets, errorsTotal: errorsTotal, framesPerSecond: framesPerSecond)
        }
    }

    /// The Prometheus text exposition (version 0.0.4).
    public func prometheusText() -> String {
        locked {
            var out = ""
            func metric(_ name: String, _ type: String, _ help: String, _ lines: [(String, String)]) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
                for (labels, value) in lines { out += "\(name)\(labels) \(value)\n" }
            }
            func histogram(_ name: String, _ help: String, _ h: Histogram) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
                var cumulative: UInt64 = 0
                for (i, b) in h.bounds.enumerated() {
                    cumulative += h.counts[i]
                    out += "\(name)_bucket{le=\"\(b)\"} \(cumulative)\n"
                }
                out += "\(name)_bucket{le=\"+Inf\"} \(h.count)\n\(name)_sum \(h.sum)\n\(name)_count \(h.count)\n"
            }
            metric("vtok_sessions_active", "gauge", "Sessions and broadcast clients connected now.", [("", "\(sessionsActive)")])
            metric("vtok_sessions_total", "counter", "Sessions accepted since start.", [("", "\(sessionsTotal)")])
            metric("vtok_sessions_refused_total", "counter", "Connections refused because --max-sessions were running.",
                   [("", "\(sessionsRefused)")])
            metric("vtok_sessions_ended_total", "counter", "Sessions ended, by END reason.",
                   endReasons.sorted { $0.key < $1.key }.map { ("{reason=\"\($0.key)\"}", "\($0.value)") })
            metric("vtok_broadcast_clients", "gauge", "Clients of the live source now.", [("", "\(broadcastClients)")])
            metric("vtok_frames_total", "counter", "Source frames tokenised.", [("", "\(framesTotal)")])
            metric("vtok_latents_total", "counter", "Latent frames (TOKENS packets) produced.", [("", "\(latentsTotal)")])
            metric("vtok_frames_per_second", "gauge", "Source frames per second over the last interval.",
                   [("", String(format: "%.3f", framesPerSecond))])
            metric("vtok_dropped_packets_total", "counter", "Packets dropped for slow broadcast clients.", [("", "\(droppedPackets)")])
            metric("vtok_errors_total", "counter", "Sessions that ended with an input, encoder or I/O error.", [("", "\(errorsTotal)")])
            metric("vtok_input_bytes_total", "counter", "Media bytes received from clients.", [("", "\(inputBytes)")])
            metric("vtok_output_bytes_total", "counter", "Token stream bytes sent to clients.", [("", "\(outputBytes)")])
            metric("vtok_uptime_seconds", "gauge", "Seconds since the daemon started.",
                   [("", String(format: "%.1f", Date().timeIntervalSince(started)))])
            histogram("vtok_latent_seconds", "Wall time between consecutive latent frames of one pipeline.", latentSeconds)
            histogram("vtok_delivery_seconds", "Time from a packet's emission to its write into a client socket.", deliverySeconds)
            return out
        }
    }
}
