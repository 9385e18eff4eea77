import Foundation

/// One curve of a line chart.
public struct LineSeries {
  public var name: String
  public var points: [(x: Double, y: Double)]
  public var colour: String
  public var width: Double
  public var dashed: Bool
  public var opacity: Double
  /// Dots on every point: for sparse series (evaluations) whose single points would vanish.
  public var markers: Bool

  public init(
    name: String, points: [(x: Double, y: Double)], colour: String, width: Double = 2, dashed: Bool = false,
    opacity: Double = 1, markers: Bool = false
  ) {
    self.name = name
    self.points = points
    self.colour = colour
    self.width = width
    self.dashed = dashed
    self.opacity = opacity
    self.markers = markers
  }
}

/// A line chart as SVG: a title, both axes named (with units), tick labels at nice numbers that
/// cover the data, light grid lines, and a legend under the plot that names every series.
public struct LineChart {
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var series: [LineSeries]
  /// A fixed y range (e.g. 0…100 for percentages); nil fits the data.
  public var yRange: (lower: Double, upper: Double, step: Double)?
  public var width: Double
  public var plotHeight: Double

  public init(
    title: String, xLabel: String, yLabel: String, series: [LineSeries],
    yRange: (lower: Double, upper: Double, step: Double)? = nil, width: Double = 760, plotHeight: Double = 300
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.yRange = yRange
    self.width = width
    self.plotHeight = plotHeight
  }

  static let titleSize = 17.0
  static let labelSize = 14.0
  static let tickSize = 13.0
  static let legendSize = 13.0
  /// More points than a screen has pixels only make the file big: longer series are thinned
  /// to each bucket's minimum and maximum, which keeps spikes.
  static let maxPointsPerSeries = 1600

  public func svg(standalone: Bool = true) -> String {
    let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    // Steps count from 0: every chart of a run starts at the same place.
    let xTicks = AxisTicks(low: min(finite.map(\.x).min() ?? 0, 0), high: finite.map(\.x).max() ?? 1)
    let yTicks =
      yRange.map { AxisTicks(from: $0.lower, through: $0.upper, step: $0.step) }
      ?? AxisTicks(low: finite.map(\.y).min() ?? 0, high: finite.map(\.y).max() ?? 1, target: 6)

    // Margins from the text they must hold.
    let yTickWidth = yTicks.labels.map { SVGCanvas.textWidth($0, size: Self.tickSize) }.max() ?? 0
    let left = 12 + Self.labelSize + 10 + yTickWidth + 8
    let lastXLabel = SVGCanvas.textWidth(xTicks.labels.last ?? "", size: Self.tickSize)
    let right = max(24, lastXLabel / 2 + 12)
    let top = 14 + Self.titleSize + 16
    let plotWidth = width - left - right
    let legend = LegendLayout(
      entries: series.map { ($0.name, $0.colour, $0.dashed) }, width: width - 24, fontSize: Self.legendSize)
    let bottom = 8 + Self.tickSize + 12 + Self.labelSize + 14 + legend.height + 8
    var svg = SVGCanvas(width: width, height: top + plotHeight + bottom)

    func px(_ x: Double) -> Double { left + (x - xTicks.lower) / (xTicks.upper - xTicks.lower) * plotWidth }
    func py(_ y: Double) -> Double {
      top + plotHeight - (y - yTicks.lower) / (yTicks.upper - yTicks.lower) * plotHeight
    }

    svg.text(
      title, x: width / 2, y: 14 + Self.titleSize, size: Self.titleSize, anchor: .middle, bold: true,
      className: "title")
    for (v, label) in zip(yTicks.values, yTicks.labels) {
      svg.line(left, py(v), left + plotWidth, py(v), stroke: "#e3e3e3")
      svg.text(
        label, x: left - 8, y: py(v) + Self.tickSize * 0.35, size: Self.tickSize, anchor: .end,
        className: "ytick")
    }
    for (v, label) in zip(xTicks.values, xTicks.labels) {
      svg.line(px(v), top, px(v), top + plotHeight, stroke: "#efefef")
      svg.line(px(v), top + plotHeight, px(v), top + plotHeight + 5, stroke: "#444")
      svg.text(
        label, x: px(v), y: top + plotHeight + 8 + Self.tickSize, size: Self.tickSize, anchor: .middle,
        className: "xtick")
    }
    svg.rect(x: left, y: top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#444")
    svg.text(
      xLabel, x: left + plotWidth / 2, y: top + plotHeight + 8 + Self.tickSize + 12 + Self.labelSize,
      size: Self.labelSize, anchor: .middle, className: "xlabel")
    let yLabelX = 12 + Self.labelSize
    svg.text(
      yLabel, x: yLabelX, y: top + plotHeight / 2, size: Self.labelSize, anchor: .middle, rotate: -90,
      className: "ylabel")

    for s in series {
      for run in Self.finiteRuns(Self.thinned(s.points)) {
        let mapped = run.map { (px($0.x), py($0.y)) }
        svg.polyline(mapped, stroke: s.colour, width: s.width, dash: s.dashed ? "6 4" : nil, opacity: s.opacity)
        if s.markers || run.count == 1 {
          for (p, original) in zip(mapped, run) {
            svg.circle(
              x: p.0, y: p.1, radius: s.width + 1.5, fill: s.colour,
              tooltip: "\(s.name): \(Self.format(original.y)) at \(Self.format(original.x))")
          }
        }
      }
    }
    legend.draw(on: &svg, x: 12, y: top + plotHeight + 8 + Self.tickSize + 12 + Self.labelSize + 14)
    return svg.document(standalone: standalone)
  }

  static func format(_ v: Double) -> String {
    abs(v) >= 100 || v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.4g", v)
  }

  /// Stretches of consecutive finite points (a NaN or missing value breaks the line).
  static func finiteRuns(_ points: [(x: Double, y: Double)]) -> [[(x: Double, y: Double)]] {
    var runs = [[(x: Double, y: Double)]]()
    var current = [(x: Double, y: Double)]()
    for p in points {
      if p.x.isFinite && p.y.isFinite {
        current.append(p)
      } else if !current.isEmpty {
        runs.append(current)
        current = []
      }
    }
    if !current.isEmpty { runs.append(current) }
    return runs
  }

  static func thinned(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
    guard points.count > maxPointsPerSeries else { return points }
    let buckets = maxPointsPerSeries / 2
    var out = [(x: Double, y: Double)]()
    for b in 0..<buckets {
      let slice = points[(b * points.count / buckets)..<((b + 1) * points.count / buckets)]
      let finite = slice.filter { $0.y.isFinite }
      if finite.count < slice.count { out.append((slice.first!.x, .nan)) }
      guard let lo = finite.min(by: { $0.y < $1.y }), let hi = finite.max(by: { $0.y < $1.y }) else { continue }
      out.append(contentsOf: lo.x <= hi.x ? [lo, hi] : [hi, lo])
    }
    return out
  }
}

/// Legend entries (a short line in the series' colour, then its name) flowed into rows.
struct LegendLayout {
  var placed: [(name: String, colour: String, dashed: Bool, x: Double, row: Int)] = []
  var rows = 0
  let fontSize: Double
  static let swatch = 26.0

  init(entries: [(String, String, Bool)], width: Double, fontSize: Double) {
    self.fontSize = fontSize
    var x = 0.0
    var row = 0
    for (name, colour, dashed) in entries {
      let w = Self.swatch + 6 + SVGCanvas.textWidth(name, size: fontSize) + 18
      if x > 0 && x + w > width {
        x = 0
        row += 1
      }
      placed.append((name, colour, dashed, x, row))
      x += w
    }
    rows = entries.isEmpty ? 0 : row + 1
  }

  var rowHeight: Double { fontSize + 8 }
  var height: Double { Double(rows) * rowHeight }

  func draw(on svg: inout SVGCanvas, x: Double, y: Double) {
    for e in placed {
      let baseline = y + Double(e.row) * rowHeight + fontSize
      svg.line(
        x + e.x, baseline - fontSize * 0.35, x + e.x + Self.swatch, baseline - fontSize * 0.35,
        stroke: e.colour, width: 3, dash: e.dashed ? "6 4" : nil)
      svg.text(e.name, x: x + e.x + Self.swatch + 6, y: baseline, size: fontSize, className: "legend")
    }
  }
}
