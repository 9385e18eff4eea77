import Foundation

/// Per-class IoU as horizontal bars: the class names down the left (with their mask colour),
/// the IoU in percent written after each bar, the mean IoU as a dashed line. A class absent
/// from both ground truth and prediction has no IoU and says so instead of showing 0.
public struct ClassIoUChart {
  public var classNames: [String]
  public var iou: [Double?]
  public var meanIoU: Double?
  public var title: String

  public init(classNames: [String], iou: [Double?], meanIoU: Double?, title: String = "Per-class IoU") {
    self.classNames = classNames
    self.iou = iou
    self.meanIoU = meanIoU
    self.title = title
  }

  static let titleSize = 17.0
  static let labelSize = 14.0
  static let nameSize = 13.0
  static let bar = 22.0

  public func svg(standalone: Bool = true) -> String {
    let names = iou.indices.map { $0 < classNames.count ? classNames[$0] : "class \($0)" }
    let longest = names.map { SVGCanvas.textWidth($0, size: Self.nameSize) }.max() ?? 0
    let left = 12 + 14 + 8 + longest + 10
    let plotWidth = 440.0
    let valueRoom = SVGCanvas.textWidth("100.0 %", size: 12) + 16
    let top = 14 + Self.titleSize + 16
    let plotHeight = Double(iou.count) * (Self.bar + 6) + 6
    let width = max(left + plotWidth + valueRoom, SVGCanvas.textWidth(title, size: Self.titleSize) + 24)
    let height = top + plotHeight + 8 + 13 + 12 + Self.labelSize + 12
    var svg = SVGCanvas(width: width, height: height)
    func px(_ percent: Double) -> Double { left + percent / 100 * plotWidth }

    svg.text(title, x: 12, y: 14 + Self.titleSize, size: Self.titleSize, bold: true, className: "title")
    let ticks = AxisTicks(from: 0, through: 100, step: 20)
    for (v, label) in zip(ticks.values, ticks.labels) {
      svg.line(px(v), top, px(v), top + plotHeight, stroke: "#e3e3e3")
      svg.text(label, x: px(v), y: top + plotHeight + 8 + 13, size: 13, anchor: .middle, className: "xtick")
    }
    svg.line(left, top, left, top + plotHeight, stroke: "#444")
    svg.line(left, top + plotHeight, left + plotWidth, top + plotHeight, stroke: "#444")
    svg.text(
      "IoU (%)", x: left + plotWidth / 2, y: height - 12, size: Self.labelSize, anchor: .middle,
      className: "xlabel")
    // The mean line first, so the bars cover it and it never runs through a value.
    if let m = meanIoU, m.isFinite {
      svg.line(px(m * 100), top - 4, px(m * 100), top + plotHeight, stroke: "#d62728", width: 1.5, dash: "5 4")
      svg.text(
        String(format: "mIoU %.1f %%", m * 100), x: px(m * 100), y: top - 7, size: 12, anchor: .middle,
        fill: "#d62728", className: "mean")
    }
    for (k, name) in names.enumerated() {
      let y = top + 6 + Double(k) * (Self.bar + 6)
      svg.rect(x: 12, y: y + Self.bar / 2 - 7, width: 14, height: 14, fill: Palette.classColour(k), stroke: "#444")
      svg.text(
        name, x: left - 8, y: y + Self.bar / 2 + Self.nameSize * 0.35, size: Self.nameSize, anchor: .end,
        className: "classname")
      if let v = iou[k], v.isFinite {
        svg.rect(
          x: left, y: y, width: v * plotWidth, height: Self.bar, fill: "#4a7fb5",
          tooltip: String(format: "%@: IoU %.2f %%", name, v * 100))
        // Inside the bar's end when it is long enough, so the mean line never crosses a number.
        let inside = v >= 0.2
        svg.text(
          String(format: "%.1f %%", v * 100), x: px(v * 100) + (inside ? -6 : 6), y: y + Self.bar / 2 + 4.5,
          size: 12, anchor: inside ? .end : .start, fill: inside ? "#ffffff" : "#222", className: "value")
      } else {
        svg.text(
          "n/a (not in ground truth or prediction)", x: left + 6, y: y + Self.bar / 2 + 4.5, size: 12,
          fill: "#777", className: "value")
      }
    }
    return svg.document(standalone: standalone)
  }
}
