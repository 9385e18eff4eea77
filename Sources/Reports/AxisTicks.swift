import Foundation

/// Tick marks for one axis at "nice" numbers (1, 2 or 5 × 10^k apart) that cover the data:
/// the axis runs from the tick at or below the smallest value to the tick at or above the
/// largest, so the last data point always has a labelled tick at or beyond it (1000 steps end
/// on the tick "1000", never on an unlabelled edge). Heckbert's loose labelling, Graphics Gems
/// (1990), "Nice numbers for graph labels".
public struct AxisTicks: Equatable {
  public var values: [Double]
  public var step: Double

  public var lower: Double { values.first ?? 0 }
  public var upper: Double { values.last ?? 1 }

  /// About `target` ticks over [low, high]; a degenerate or empty range is widened.
  public init(low: Double, high: Double, target: Int = 6) {
    var (a, b) = (min(low, high), max(low, high))
    if !a.isFinite || !b.isFinite { (a, b) = (0, 1) }
    if b - a < 1e-12 * max(abs(a), abs(b), 1) {
      let pad = a == 0 ? 1 : abs(a) * 0.1
      (a, b) = (a - pad, b + pad)
    }
    let range = Self.niceNumber(b - a, round: false)
    let step = Self.niceNumber(range / Double(max(target - 1, 1)), round: true)
    let first = (a / step).rounded(.down)
    let last = (b / step).rounded(.up)
    // A range near the limits of Double (a diverged loss of 1e308) has no nice step: show its
    // two ends rather than trap or loop.
    guard step.isFinite, step > 0, first.isFinite, last.isFinite, last - first <= 100 else {
      values = [a, b].filter(\.isFinite)
      self.step = (b - a).isFinite && b > a ? b - a : 1
      return
    }
    // Multiples of the step computed from integers, so 0.1 * 3 prints as 0.3, not 0.30000000000000004.
    values = stride(from: first, through: last, by: 1).map { $0 * step }
    self.step = step
  }

  /// Fixed ticks (e.g. 0…100 % in steps of 20).
  public init(from lower: Double, through upper: Double, step: Double) {
    values = stride(from: 0, through: ((upper - lower) / step).rounded(), by: 1).map { lower + $0 * step }
    self.step = step
  }

  /// The nice number near x: 1, 2, 5 or 10 times a power of ten (rounded, or the one ≥ x).
  static func niceNumber(_ x: Double, round: Bool) -> Double {
    let exponent = log10(x).rounded(.down)
    let fraction = x / pow(10, exponent)
    let nice: Double
    if round {
      nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
    } else {
      nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
    }
    return nice * pow(10, exponent)
  }

  /// Every tick with the same number of decimals, as few as the step needs; thousands as "k"
  /// when every tick is a whole multiple of 1000 (20k, 40k), so labels stay short.
  public func label(_ v: Double) -> String {
    // Exactly 0 (no "-0.0" from a rounding error), written like its neighbours ("0.0" next to "0.2").
    let v = abs(v) < step * 1e-9 ? 0 : v
    // Where fixed notation gets too long (huge values, or steps below 1e-9), exponent notation
    // with just the digits that tell neighbouring ticks apart.
    let largest = max(abs(lower), abs(upper))
    if largest >= 1e12 || step < 1e-9 {
      let digits = Int(log10(max(largest, step)).rounded(.down) - log10(step).rounded(.down)) + 1
      return String(format: "%.\(min(max(digits, 1), 17) - 1)e", v)
    }
    if step >= 1000 && step.truncatingRemainder(dividingBy: 1000) == 0 && upper >= 10_000 {
      let thousands = v / 1000
      if v == 0 { return "0" }
      return thousands >= 1000 && step.truncatingRemainder(dividingBy: 1e6) == 0
        ? String(format: "%.0fM", thousands / 1000) : String(format: "%.0fk", thousands)
    }
    let decimals = max(0, Int(-log10(step).rounded(.down)))
    return String(format: "%.\(decimals)f", v)
  }

  public var labels: [String] { values.map(label) }
}
