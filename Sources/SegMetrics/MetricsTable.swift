import Foundation

/// Plain-text report of `Metrics` for the terminal: one row per class, then the four summary
/// numbers. Columns are padded with spaces (no tabs) so they line up in any terminal or log.
///
///     class              IoU  accuracy
///     0 background    0.5000    0.6667
///     1 can           0.6667    0.6667
///     2 bottle        0.0000         -
///     3 paper              -         -
///
///     pixel accuracy  0.6667
///     ...
public enum MetricsTable {
  /// Text used for an undefined value (absent class, or nothing counted).
  public static let undefined = "-"

  /// The table as a string ending in a newline. Values are fractions with `decimals` digits,
  /// the same scale as `metrics.json`.
  public static func format(_ m: Metrics, decimals: Int = 4) -> String {
    let number = { (v: Double?) -> String in
      guard let v, !v.isNaN else { return undefined }
      return String(format: "%.\(decimals)f", v)
    }
    let indexWidth = String(max(m.classes - 1, 0)).count
    let names = (0..<m.classes).map { i in m.classNames?[i] ?? "" }
    let labels = (0..<m.classes).map { i in
      let index = String(i).leftPadded(to: indexWidth)
      return names[i].isEmpty ? index : index + " " + names[i]
    }
    let labelWidth = max(labels.map(\.count).max() ?? 0, "class".count)
    let valueWidth = max(decimals + 2, "accuracy".count)

    var lines = [
      "class".rightPadded(to: labelWidth) + "  " + "IoU".leftPadded(to: valueWidth) + "  "
        + "accuracy".leftPadded(to: valueWidth)
    ]
    for i in 0..<m.classes {
      lines.append(
        labels[i].rightPadded(to: labelWidth) + "  "
          + number(m.perClassIoU[i]).leftPadded(to: valueWidth) + "  "
          + number(m.perClassAccuracy[i]).leftPadded(to: valueWidth))
    }
    let summary = [
      ("pixel accuracy", m.pixelAccuracy), ("mean accuracy", m.meanAccuracy),
      ("mean IoU", m.meanIoU), ("fw IoU", m.fwIoU),
    ]
    let summaryWidth = summary.map(\.0.count).max() ?? 0
    lines.append("")
    for (name, value) in summary {
      lines.append(name.rightPadded(to: summaryWidth) + "  " + number(value))
    }
    lines.append(
      "(\(m.countedPixels) pixels scored; \"\(undefined)\" = class absent, left out of the means)")
    return lines.joined(separator: "\n") + "\n"
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }

  fileprivate func rightPadded(to width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
