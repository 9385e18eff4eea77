import SegData

/// Colours the charts use.
enum Palette {
  /// Distinct line colours for series that are not classes (Tableau 10: readable on white and
  /// distinguishable by most colour-blind readers in the first six).
  static let series = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  ]

  static func series(_ k: Int) -> String { series[k % series.count] }

  /// The colour class `id` has in the sample panels (the VOC palette), so a class looks the same
  /// in every picture. Class 0 is black there; on charts a dark grey reads better.
  static func classColour(_ id: Int) -> String {
    if id == 0 { return "#444444" }
    return hex(VOCPalette.colours[id % 256])
  }

  static func hex(_ c: (UInt8, UInt8, UInt8)) -> String {
    "#" + [c.0, c.1, c.2].map { String($0, radix: 16).leftPadded(to: 2) }.joined()
  }

  /// Sequential white → dark blue ("Blues"), for shares from 0 to 1.
  static let sequentialStops: [(Double, (Double, Double, Double))] = [
    (0.0, (247, 251, 255)), (0.25, (198, 219, 239)), (0.5, (107, 174, 214)), (0.75, (33, 113, 181)),
    (1.0, (8, 48, 107)),
  ]

  static func sequential(_ t: Double) -> String {
    let x = max(0, min(1, t.isFinite ? t : 0))
    for (a, b) in zip(sequentialStops, sequentialStops.dropFirst()) where x <= b.0 {
      let f = (x - a.0) / (b.0 - a.0)
      let mix = { (p: Double, q: Double) in UInt8((p + (q - p) * f).rounded()) }
      return hex((mix(a.1.0, b.1.0), mix(a.1.1, b.1.1), mix(a.1.2, b.1.2)))
    }
    return "#08306b"
  }
}

extension String {
  func leftPadded(to length: Int, with pad: Character = "0") -> String {
    count >= length ? self : String(repeating: pad, count: length - count) + self
  }
}
