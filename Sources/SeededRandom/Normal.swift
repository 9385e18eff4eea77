#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Standard normal samples by Box–Muller, one value per call (simple and deterministic). Two
// precisions because their callers' streams are fixed by saved runs: data synthesis draws
// doubles from SplitMix64, weight initialisation floats from Xoshiro256.

extension SplitMix64 {
  public mutating func normal() -> Double {
    let u1 = max(uniform(), 1e-300)
    let u2 = uniform()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }
}

extension Xoshiro256 {
  public mutating func normalFloat() -> Float {
    let u1 = max(nextUnitFloat(), 1e-7)
    let u2 = nextUnitFloat()
    return (-2 * logf(u1)).squareRoot() * cosf(2 * .pi * u2)
  }
}
