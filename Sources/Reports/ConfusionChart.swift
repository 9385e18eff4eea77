import Foundation
import SegMetrics

/// The confusion matrix as SVG: one row per true class, one column per predicted class, each
/// cell the share of the row's pixels (row-normalised, so each row reads "of the pixels that are
/// really X, this many percent were predicted as Y"); class names on both axes and a colour
/// scale. Whole-number percentages are rounded so that every row sums to exactly 100.
public struct ConfusionChart {
  public var matrix: ConfusionMatrix
  public var classNames: [String]
  public var title: String

  public init(matrix: ConfusionMatrix, classNames: [String], title: String = "Confusion matrix") {
    self.matrix = matrix
    self.classNames = classNames
    self.title = title
  }

  static let titleSize = 17.0
  static let labelSize = 14.0

  func name(_ k: Int) -> String { k < classNames.count ? classNames[k] : "class \(k)" }

  /// Cells shrink as classes grow; below 22 units there is no room for the number (the
  /// tooltip still has it).
  var cell: Double { matrix.classes <= 12 ? 44 : matrix.classes <= 24 ? 34 : max(14, 800 / Double(matrix.classes)) }
  var valueSize: Double { cell >= 40 ? 13 : 11 }

  public func svg(standalone: Bool = true) -> String {
    let k = matrix.classes
    let nameSize = cell >= 30 ? 13.0 : 11.0
    let names = (0..<k).map(name)
    let longest = names.map { SVGCanvas.textWidth($0, size: nameSize) }.max() ?? 0
    let rowLabelWidth = longest + 10
    // Column names are written at −45°: they need about 0.71 × their length in height.
    let columnLabelHeight = longest * 0.71 + nameSize + 6
    let left = 12 + Self.labelSize + 12 + rowLabelWidth
    let top = 14 + Self.titleSize + 14 + Self.labelSize + 10
    let grid = cell * Double(k)
    let scaleX = left + grid + 24
    let scaleWidth = 18.0
    let width = max(
      scaleX + scaleWidth + 8 + SVGCanvas.textWidth("100 %", size: 12) + 12,
      SVGCanvas.textWidth(title, size: Self.titleSize) + 24)
    // The last column's name runs right of the grid at −45°: keep it on the canvas.
    let height = top + grid + columnLabelHeight + 12 + Self.labelSize + 12
    var svg = SVGCanvas(width: max(width, left + grid + longest * 0.71 + 12), height: height)

    svg.text(title, x: 12, y: 14 + Self.titleSize, size: Self.titleSize, bold: true, className: "title")
    svg.text(
      "predicted class →", x: left + grid / 2, y: height - 12, size: Self.labelSize, anchor: .middle,
      className: "xlabel")
    svg.text(
      "true class (ground truth) →", x: 12 + Self.labelSize, y: top + grid / 2, size: Self.labelSize,
      anchor: .middle, rotate: -90, className: "ylabel")
    svg.text("each row sums to 100 %", x: left, y: top - 10, size: 12, fill: "#555")

    for t in 0..<k {
      let row = (0..<k).map { matrix.count(target: t, predicted: $0) }
      let total = row.reduce(0, +)
      let percents = Self.rowPercentages(row)
      let y = top + Double(t) * cell
      svg.text(
        names[t] + (total == 0 ? " (no pixels)" : ""), x: left - 8, y: y + cell / 2 + nameSize * 0.35,
        size: nameSize, anchor: .end, fill: total == 0 ? "#999" : "#222", className: "rowname")
      for p in 0..<k {
        let share = total > 0 ? Double(row[p]) / Double(total) : 0
        let x = left + Double(p) * cell
        let tooltip =
          total > 0
          ? String(format: "true %@ → predicted %@: %.2f %% (%lld pixels)", names[t], names[p], share * 100, row[p])
          : "no pixels of \(names[t]) in the ground truth"
        svg.rect(
          x: x, y: y, width: cell, height: cell, fill: total > 0 ? Palette.sequential(share) : "#f4f4f4",
          stroke: p == t ? "#222" : "#ffffff", tooltip: tooltip)
        // Zero counts stay blank so the mistakes that happen stand out; a share that rounds to
        // 0 but is not 0 reads "<1" (and counts 0 in the row's sum).
        if total > 0 && row[p] > 0 && cell >= 22 {
          svg.text(
            percents[p] == 0 ? "<1" : "\(percents[p])", x: x + cell / 2, y: y + cell / 2 + valueSize * 0.35,
            size: valueSize,
            anchor: .middle, fill: share > 0.55 ? "#ffffff" : "#111", className: "cell",
            extra: "data-row=\"\(t)\" data-col=\"\(p)\"")
        }
      }
    }
    for p in 0..<k {
      let x = left + (Double(p) + 0.5) * cell
      let y = top + grid + 8
      svg.text(
        names[p], x: x, y: y + nameSize * 0.7, size: nameSize, anchor: .start, rotate: 45,
        className: "colname")
    }

    // Colour scale: the same stops as the cells, 0 % at the bottom.
    svg.raw(
      "<defs><linearGradient id=\"confusion-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
        + Palette.sequentialStops.map {
          "<stop offset=\"\(formatCoordinate($0.0))\" stop-color=\"\(Palette.sequential($0.0))\"/>"
        }.joined() + "</linearGradient></defs>")
    svg.rect(x: scaleX, y: top, width: scaleWidth, height: grid, fill: "url(#confusion-scale)", stroke: "#444")
    for v in stride(from: 0, through: 100, by: 25) {
      let y = top + grid - Double(v) / 100 * grid
      svg.line(scaleX + scaleWidth, y, scaleX + scaleWidth + 4, y, stroke: "#444")
      svg.text("\(v) %", x: scaleX + scaleWidth + 7, y: y + 4, size: 12, className: "scaletick")
    }
    return svg.document(standalone: standalone)
  }

  /// Whole percentages of `counts` that sum to exactly 100 (largest remainder: floor every
  /// share, then give the missing points to the largest remainders); all zero for an empty row.
  public static func rowPercentages(_ counts: [Int64]) -> [Int] {
    let total = counts.reduce(0, +)
    guard total > 0 else { return counts.map { _ in 0 } }
    let exact = counts.map { Double($0) * 100 / Double(total) }
    var result = exact.map { Int($0.rounded(.down)) }
    let missing = 100 - result.reduce(0, +)
    let order = exact.indices.sorted { (exact[$0] - exact[$0].rounded(.down)) > (exact[$1] - exact[$1].rounded(.down)) }
    for i in order.prefix(missing) { result[i] += 1 }
    return result
  }
}
