import Foundation

/// Per-class IoU over training for many classes, where one line per class would be a tangle:
/// a grid with one row per class and one column per evaluation, each cell the IoU in percent,
/// shaded like the confusion matrix. At most `maxColumns` evaluations are shown (evenly
/// spread, always including the first and the last).
public struct ClassIoUHeatmap {
  public var classNames: [String]
  public var evaluations: [(step: Int, iou: [Double?])]
  public var title: String

  public init(classNames: [String], evaluations: [(step: Int, iou: [Double?])], title: String) {
    self.classNames = classNames
    self.evaluations = evaluations
    self.title = title
  }

  static let maxColumns = 16
  static let titleSize = 17.0
  static let labelSize = 14.0
  static let nameSize = 13.0
  static let cellHeight = 24.0

  /// Indices of the evaluations to show.
  static func columns(count: Int) -> [Int] {
    guard count > maxColumns else { return Array(0..<count) }
    return (0..<maxColumns).map { Int((Double($0) * Double(count - 1) / Double(maxColumns - 1)).rounded()) }
  }

  public func svg(standalone: Bool = true) -> String {
    let shown = Self.columns(count: evaluations.count).map { evaluations[$0] }
    let k = shown.map(\.iou.count).max() ?? 0
    let names = (0..<k).map { $0 < classNames.count ? classNames[$0] : "class \($0)" }
    let longest = names.map { SVGCanvas.textWidth($0, size: Self.nameSize) }.max() ?? 0
    let stepLabels = shown.map { "\($0.step)" }
    let cellWidth = max(44, (stepLabels.map { SVGCanvas.textWidth($0, size: 12) }.max() ?? 0) + 10)
    let left = 12 + 14 + 10 + longest + 10
    let top = 14 + Self.titleSize + 16 + 12 + 8
    let gridWidth = cellWidth * Double(shown.count)
    let width = max(left + gridWidth + 16, SVGCanvas.textWidth(title, size: Self.titleSize) + 24)
    let height = top + Self.cellHeight * Double(k) + 12 + Self.labelSize + 12
    var svg = SVGCanvas(width: width, height: height)

    svg.text(title, x: 12, y: 14 + Self.titleSize, size: Self.titleSize, bold: true, className: "title")
    for (c, label) in stepLabels.enumerated() {
      svg.text(
        label, x: left + (Double(c) + 0.5) * cellWidth, y: top - 8, size: 12, anchor: .middle,
        className: "xtick")
    }
    svg.text(
      "step (optimizer updates) →", x: left + gridWidth / 2, y: height - 12, size: Self.labelSize,
      anchor: .middle, className: "xlabel")
    for (r, name) in names.enumerated() {
      let y = top + Double(r) * Self.cellHeight
      svg.rect(
        x: 12, y: y + Self.cellHeight / 2 - 7, width: 14, height: 14, fill: Palette.classColour(r),
        stroke: "#444")
      svg.text(
        name, x: left - 8, y: y + Self.cellHeight / 2 + Self.nameSize * 0.35, size: Self.nameSize,
        anchor: .end, className: "rowname")
      for (c, e) in shown.enumerated() {
        let x = left + Double(c) * cellWidth
        let value = r < e.iou.count ? e.iou[r] : nil
        guard let v = value, v.isFinite else {
          svg.rect(
            x: x, y: y, width: cellWidth, height: Self.cellHeight, fill: "#f4f4f4", stroke: "#ffffff",
            tooltip: "\(name) at step \(e.step): no IoU (class in neither ground truth nor prediction)")
          continue
        }
        svg.rect(
          x: x, y: y, width: cellWidth, height: Self.cellHeight, fill: Palette.sequential(v),
          stroke: "#ffffff", tooltip: String(format: "%@ at step %d: IoU %.2f %%", name, e.step, v * 100))
        svg.text(
          String(format: "%.0f", v * 100), x: x + cellWidth / 2, y: y + Self.cellHeight / 2 + 4.5, size: 12,
          anchor: .middle, fill: v > 0.55 ? "#ffffff" : "#111", className: "cell")
      }
    }
    return svg.document(standalone: standalone)
  }
}
