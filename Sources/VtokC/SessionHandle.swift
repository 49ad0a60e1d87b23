// What a vtok_encoder / vtok_decoder handle points at: the engine session, its sizes, and a busy flag that turns
// a second thread's call on the same session into VTOK_E_BUSY instead of a data race.

import Synchronization
import VtokEngine

final class SessionHandle<Session: AnyObject> {
    let session: Session
    let width: Int
    let height: Int
    /// Bytes of one RGB frame, height * width * 3.
    let frameBytes: Int
    /// Tokens of one latent frame, (height / S) * (width / S).
    let gridCount: Int
    /// Frames per latent after the first (T).
    let t: Int
    /// Set by finish, cleared by reset (encoders only).
    var finished = false
    private let busy = Atomic<Bool>(false)

    init(_ session: Session, model: VtokModel, width: Int, height: Int) {
        let s = model.config.spatialFactor
        self.session = session
        self.width = width
        self.height = height
        frameBytes = width * height * 3              // both sides <= 16384: checked by the session
        gridCount = (width / s) * (height / s)
        t = model.config.temporalFactor
    }

    /// Runs `body` unless another thread is inside a call on this session.
    func exclusive<R>(_ body: () throws(CError) -> R) throws(CError) -> R {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            throw CError(.busy, "another thread is using this session (a session is single-threaded)")
        }
        defer { busy.store(false, ordering: .releasing) }
        return try body()
    }

    func retainedPointer() -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(self).toOpaque()) }

    static func from(_ p: OpaquePointer?) throws(CError) -> SessionHandle {
        guard let p else { throw CError(.argument, "session is NULL") }
        return Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }

    static func release(_ p: OpaquePointer?) {
        guard let p else { return }
        Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(p)).release()
    }
}

/// Checked arithmetic on counts that came through the C boundary.
enum Count {
    static func product(_ a: Int, _ b: Int, _ what: String) throws(CError) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw CError(.argument, "\(what) overflows") }
        return p
    }

    static func nonNegative(_ n: Int64, _ what: String) throws(CError) -> Int {
        guard n >= 0, let i = Int(exactly: n) else { throw CError(.argument, "\(what) \(n) must not be negative") }
        return i
    }
}
