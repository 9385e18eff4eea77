import Foundation
import SegData
import SegMetrics

/// Line plots of a run's curves and the confusion-matrix image, as PNG files under plots/.
public enum Plots {
  /// One or more series y(x) on shared axes; x and y ranges from the data.
  public static func linePlot(_ series: [[(Double, Double)]], width: Int = 640, height: Int = 360) -> RGBImage {
    var canvas = Canvas(width: width, height: height)
    let points = series.flatMap { $0 }.filter { $0.1.isFinite }
    guard let xMin = points.map(\.0).min(), let xMax = points.map(\.0).max(),
      var yMin = points.map(\.1).min(), var yMax = points.map(\.1).max()
    else { return canvas.image }
    if yMax - yMin < 1e-12 {
      yMin -= 0.5
      yMax += 0.5
    }
    let left = 70
    let right = width - 16
    let top = 16
    let bottom = height - 36
    func px(_ x: Double) -> Int { left + Int((x - xMin) / max(xMax - xMin, 1e-12) * Double(right - left)) }
    func py(_ y: Double) -> Int { bottom - Int((y - yMin) / (yMax - yMin) * Double(bottom - top)) }
    for k in 0...4 {
      let y = yMin + (yMax - yMin) * Double(k) / 4
      canvas.line(left, py(y), right, py(y), (225, 225, 225))
      canvas.text(axisLabel(y), 4, py(y) - 5)
      let x = xMin + (xMax - xMin) * Double(k) / 4
      canvas.text(String(Int(x.rounded())), px(x) - 8, bottom + 10)
    }
    canvas.line(left, top, left, bottom, (0, 0, 0))
    canvas.line(left, bottom, right, bottom, (0, 0, 0))
    let colours: [(UInt8, UInt8, UInt8)] = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14)]
    for (i, s) in series.enumerated() {
      let pts = s.filter { $0.1.isFinite }
      for (a, b) in zip(pts, pts.dropFirst()) {
        canvas.line(px(a.0), py(a.1), px(b.0), py(b.1), colours[i % colours.count])
      }
      if pts.count == 1 { canvas.fill(px(pts[0].0) - 2, py(pts[0].1) - 2, 5, 5, colours[i % colours.count]) }
    }
    return canvas.image
  }

  /// Row-normalised confusion matrix (rows: ground truth, columns: prediction), dark = high.
  public static func confusionMatrix(_ m: ConfusionMatrix, cell: Int = 24) -> RGBImage {
    let k = m.classes
    let size = max(k * cell, 1)
    var canvas = Canvas(width: size, height: size)
    for t in 0..<k {
      let row = (0..<k).map { m.count(target: t, predicted: $0) }
      let total = max(row.reduce(0, +), 1)
      for p in 0..<k {
        let v = UInt8(255 - min(255, Int(255 * Double(row[p]) / Double(total))))
        canvas.fill(p * cell, t * cell, cell, cell, (v, v, 255))
      }
    }
    return canvas.image
  }

  /// Writes loss.png and miou.png from log.jsonl, and confusion.png.
  public static func write(run: RunFolder, confusion: ConfusionMatrix?) throws {
    try FileManager.default.createDirectory(at: run.plots, withIntermediateDirectories: true)
    var loss = [(Double, Double)]()
    var miou = [(Double, Double)]()
    let text = (try? String(contentsOf: run.log, encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n") {
      guard let record = try? JSONDecoder().decode(LogLine.self, from: Data(line.utf8)), let step = record.step
      else { continue }
      if let l = record.loss { loss.append((step, l)) }
      if let m = record.valMeanIoU { miou.append((step, m)) }
    }
    try writeFileBytes(encodePNG(linePlot([loss])), to: run.plots.appendingPathComponent("loss.png").path)
    try writeFileBytes(encodePNG(linePlot([miou])), to: run.plots.appendingPathComponent("miou.png").path)
    if let confusion {
      try writeFileBytes(
        encodePNG(confusionMatrix(confusion)), to: run.plots.appendingPathComponent("confusion.png").path)
    }
  }
}

/// Image | ground truth | prediction, the masks blended over the image in the VOC colours.
public func overlayStrip(image: RGBImage, truth: LabelMap?, prediction: LabelMap) -> RGBImage {
  let panels = [image] + [truth, prediction].compactMap { $0 }.map { overlay(image, labels: $0) }
  let w = image.width
  let h = image.height
  var out = RGBImage(width: w * panels.count, height: h)
  for (k, p) in panels.enumerated() {
    for y in 0..<h {
      for x in 0..<w {
        for c in 0..<3 { out.pixels[(y * out.width + k * w + x) * 3 + c] = p.pixels[(y * w + x) * 3 + c] }
      }
    }
  }
  return out
}
