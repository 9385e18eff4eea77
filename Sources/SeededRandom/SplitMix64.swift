/// SplitMix64 (Steele, Lea, Flood 2014): 64-bit state, passes BigCrush, trivially seedable.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable, Codable {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1) with 53 random bits.
  public mutating func uniform() -> Double {
    Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
  }

  public mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * uniform()
  }

  /// Uniform integer in 0..<n (n > 0), by multiply-shift; the bias is below 2^-32 for our n.
  public mutating func int(below n: Int) -> Int {
    precondition(n > 0)
    return Int((UInt64(n).multipliedFullWidth(by: next())).high)
  }

  public mutating func int(in range: ClosedRange<Int>) -> Int {
    range.lowerBound + int(below: range.count)
  }

  public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

  /// Combines several values into one well-mixed seed (for per-sample / per-epoch streams).
  public static func mix(_ values: UInt64...) -> UInt64 {
    var g = SplitMix64(seed: 0x5EED_0F_FC)
    var h: UInt64 = 0
    for v in values {
      g.state ^= v &+ h
      h = g.next()
    }
    return h
  }

  /// A seeded Fisher–Yates permutation of 0..<n.
  public static func permutation(_ n: Int, seed: UInt64) -> [Int] {
    var g = SplitMix64(seed: seed)
    var p = Array(0..<n)
    if n > 1 {
      for i in stride(from: n - 1, to: 0, by: -1) {
        let j = g.int(below: i + 1)
        p.swapAt(i, j)
      }
    }
    return p
  }
}
