import SeededRandom

// What the test targets share. Test data comes from the project's own seeded generator, so a
// failing case is the same on every run and machine.

/// Uniform test values in [-1, 1) from SplitMix64.
public struct TestRNG {
  private var generator: SplitMix64
  public init(_ seed: UInt64) { generator = SplitMix64(seed: seed) }
  public mutating func next() -> UInt64 { generator.next() }
  public mutating func uniform() -> Double { generator.uniform() * 2 - 1 }
  public mutating func array(_ n: Int, scale: Double = 1) -> [Double] { (0..<n).map { _ in uniform() * scale } }
}

extension SplitMix64 {
  /// Labels in 0..<classes, with roughly `ignoreShare` percent of them replaced by `ignore`.
  public mutating func labels(_ count: Int, classes: Int, ignore: Int32? = nil, ignoreShare: Int = 10) -> [Int32] {
    (0..<count).map { _ in
      if let ignore, next() % 100 < UInt64(ignoreShare) { return ignore }
      return Int32(next() % UInt64(classes))
    }
  }
}

/// Largest absolute difference of two equally long arrays.
public func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
  precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
  return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
