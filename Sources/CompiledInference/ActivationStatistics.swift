import Foundation

/// How a tensor's clipping threshold (and so its int8 scale) is chosen from calibration data.
public enum CalibrationMethod: String, CaseIterable, Codable, Sendable {
  /// The largest |value| seen: nothing clips, but one outlier coarsens every other value's step.
  case minmax
  /// The 99.99th percentile of |value|: the rare largest values clip.
  case percentile
  /// The threshold whose quantised distribution is closest to the observed one in
  /// Kullback–Leibler divergence (TensorRT's entropy calibration).
  case entropy
}

/// What calibration learns about one activation tensor: its range and a histogram of |value|
/// over [0, range). The range grows by doubling as larger values arrive (adjacent bins merge),
/// so one pass over the images suffices and the bins stay exact.
public struct ActivationStatistics: Sendable {
  public static let bins = 2048
  public private(set) var minimum: Float = .infinity
  public private(set) var maxAbs: Float = 0
  public private(set) var histogram = [Double](repeating: 0, count: ActivationStatistics.bins)
  /// The histogram covers [0, range).
  public private(set) var range: Float = 0
  public private(set) var count = 0

  public init() {}

  public mutating func observe(_ values: UnsafeBufferPointer<Float>) {
    var localMax: Float = 0
    var localMin: Float = .infinity
    for v in values {
      localMax = max(localMax, abs(v))
      localMin = min(localMin, v)
    }
    minimum = min(minimum, localMin)
    maxAbs = max(maxAbs, localMax)
    count += values.count
    if range == 0 { range = localMax > 0 ? localMax * 1.0001 : 0 }
    while localMax >= range && range > 0 { grow() }
    guard range > 0 else {
      histogram[0] += Double(values.count)
      return
    }
    let perBin = Float(Self.bins) / range
    for v in values { histogram[min(Int(abs(v) * perBin), Self.bins - 1)] += 1 }
  }

  /// Doubles the range: bins 2i and 2i+1 become bin i.
  private mutating func grow() {
    var merged = [Double](repeating: 0, count: Self.bins)
    for i in 0..<Self.bins { merged[i / 2] += histogram[i] }
    histogram = merged
    range *= 2
  }

  /// Whether any value was negative (then the tensor is quantised as s8, else u8).
  public var isSigned: Bool { minimum < 0 }

  /// The dequantisation scale: threshold / levels (255 for u8, 127 for s8); 1 for all zeros.
  public func scale(_ method: CalibrationMethod) -> Float {
    let levels = isSigned ? 127 : 255
    let t = threshold(method, levels: levels)
    return t > 0 ? t / Float(levels) : 1
  }

  /// The |value| beyond which values clip.
  public func threshold(_ method: CalibrationMethod, levels: Int) -> Float {
    guard maxAbs > 0 else { return 0 }
    switch method {
    case .minmax:
      return maxAbs
    case .percentile:
      let target = 0.9999 * Double(count)
      var seen = 0.0
      for (i, h) in histogram.enumerated() {
        seen += h
        if seen >= target { return min(maxAbs, Float(i + 1) * range / Float(Self.bins)) }
      }
      return maxAbs
    case .entropy:
      return entropyThreshold(levels: levels)
    }
  }

  /// TensorRT's search: for each candidate bin count i ≥ levels, P = the first i bins with
  /// everything beyond folded into the last (what clipping at bin i does to the values), Q = the
  /// first i bins without that tail squeezed into `levels` equal groups and spread back over the
  /// non-empty bins (what quantisation keeps of them); the i with the least KL(P‖Q), both
  /// normalised, gives the threshold. Building Q without the tail is what makes clipping cost:
  /// from P it would make the smallest i (one bin per level) lossless and always win.
  private func entropyThreshold(levels: Int) -> Float {
    let used = min(Self.bins, Int((maxAbs / range * Float(Self.bins)).rounded(.up)))
    guard used > levels else { return maxAbs }
    var best = (divergence: Double.infinity, bins: used)
    var tail = histogram[used...].reduce(0, +)
    for i in stride(from: used, through: levels, by: -1) {
      if i < used { tail += histogram[i] }
      var p = Array(histogram[0..<i])
      p[i - 1] += tail
      var q = [Double](repeating: 0, count: i)
      for j in 0..<levels {
        let start = j * i / levels
        let end = (j + 1) * i / levels
        guard end > start else { continue }
        var sum = 0.0
        var nonEmpty = 0
        for k in start..<end where histogram[k] > 0 {
          sum += histogram[k]
          nonEmpty += 1
        }
        guard nonEmpty > 0 else { continue }
        for k in start..<end where histogram[k] > 0 { q[k] = sum / Double(nonEmpty) }
      }
      let pTotal = p.reduce(0, +)
      let qTotal = q.reduce(0, +)
      guard pTotal > 0, qTotal > 0 else { continue }
      var divergence = 0.0
      for k in 0..<i where p[k] > 0 {
        // A bin only the tail fills (Q has nothing there) costs as if Q held a tiny amount.
        let pk = p[k] / pTotal
        let qk = max(q[k] / qTotal, 1e-12)
        divergence += pk * log(pk / qk)
      }
      if divergence < best.divergence { best = (divergence, i) }
    }
    return min(maxAbs, Float(best.bins) * range / Float(Self.bins))
  }
}
