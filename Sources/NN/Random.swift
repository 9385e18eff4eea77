/// xoshiro256** — small, fast, and its whole state is four integers, so checkpoints can save
/// and restore it exactly (Swift's system generator can do neither).
public struct Xoshiro256: RandomNumberGenerator, Codable, Equatable, Sendable {
  public var state: [UInt64]

  public init(seed: UInt64) {
    // SplitMix64 spreads a small seed over the four state words, as the authors recommend.
    var z = seed
    var s = [UInt64]()
    for _ in 0..<4 {
      z &+= 0x9E37_79B9_7F4A_7C15
      var x = z
      x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
      x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
      s.append(x ^ (x >> 31))
    }
    state = s
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
