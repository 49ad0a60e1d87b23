// The Winograd-transformed kernels U = G g G^T of a model's 3x3 layers, made once per (layer, tile) and shared by
// every session of the model: a session holds only its own activations, ring buffers and scratch. U is
// (m+2)^2 / 9 times the layer's weights (4x for F(4x4)): about 70 MB for the released decoder, 18 MB for its
// encoder, which each session used to transform and keep for itself. Read-only once made.

import Synchronization

final class WinogradWeights: Sendable {
    private struct Key: Hashable {
        let weight: ObjectIdentifier      // the layer's weight buffer, owned by the model
        let tile: WinogradTile
    }

    private let made = Mutex<[Key: SharedBuffer]>([:])

    /// U (alpha^2, kt*cin, cout) of `w` for `tile`: transformed on first use, the same buffer after that.
    func transformed(_ w: ConvWeights, tile: WinogradTile) -> FloatBuffer {
        let key = Key(weight: ObjectIdentifier(w.weight), tile: tile)
        if let u = made.withLock({ $0[key] }) { return u.buffer }
        let u = SharedBuffer(WinogradConv.transformWeights(w, tile: tile))  // outside the lock: tens of milliseconds
        let kept = made.withLock { made in
            if let first = made[key] { return first }               // another session won the race: use its copy
            made[key] = u
            return u
        }
        return kept.buffer
    }

    /// How many (layer, tile) kernels have been made.
    var count: Int { made.withLock { $0.count } }

    /// A FloatBuffer never written after it is stored here.
    private struct SharedBuffer: @unchecked Sendable {
        let buffer: FloatBuffer
        init(_ buffer: FloatBuffer) { self.buffer = buffer }
    }
}
