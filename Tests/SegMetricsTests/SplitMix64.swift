/// Small deterministic generator so test data is the same on every run and platform.
struct SplitMix64 {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Labels in 0..<classes, with roughly `ignoreShare` of them replaced by `ignore`.
  mutating func labels(_ count: Int, classes: Int, ignore: Int32? = nil, ignoreShare: Int = 10)
    -> [Int32]
  {
    (0..<count).map { _ in
      if let ignore, next() % 100 < UInt64(ignoreShare) { return ignore }
      return Int32(next() % UInt64(classes))
    }
  }
}
