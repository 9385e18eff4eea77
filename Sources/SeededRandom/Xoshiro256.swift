/// xoshiro256** — small, fast, and its whole state is four integers, so checkpoints can save
/// and restore it exactly (Swift's system generator can do neither).
public struct Xoshiro256: RandomNumberGenerator, Codable, Equatable, Sendable {
  public var state: [UInt64]

  public init(seed: UInt64) {
    // SplitMix64 spreads a small seed over the four state words, as the authors recommend.
    var spread = SplitMix64(seed: seed)
    state = (0..<4).map { _ in spread.next() }
  }

  public mutating func next() -> UInt64 {
    let result = rotl(state[1] &* 5, 7) &* 9
    let t = state[1] << 17
    state[2] ^= state[0]
    state[3] ^= state[1]
    state[1] ^= state[2]
    state[0] ^= state[3]
    state[2] ^= t
    state[3] = rotl(state[3], 45)
    return result
  }

  /// Uniform in [0, 1) with 24 bits, the precision of a Float.
  public mutating func nextUnitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }

  private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
