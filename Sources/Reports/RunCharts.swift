import Foundation
import SegMetrics

/// The charts of one run, built from its RunRecord: training loss (raw and smoothed),
/// validation metrics, per-class IoU over time, the latest per-class IoU and confusion matrix.
public struct RunCharts {
  public var record: RunRecord

  public init(_ record: RunRecord) { self.record = record }

  /// Smoothing span of the loss curve: 1/50 of the run, at least 10 steps, so the trend shows
  /// at any run length.
  public static func smoothingSpan(steps: Int) -> Int { max(10, steps / 50) }

  /// Exponential moving average with α = 2 / (span + 1), bias-corrected at the start (as
  /// TensorBoard's smoothing) so the first values are not pulled toward 0; a non-finite value
  /// is passed through as a gap and does not poison the average.
  public static func ema(_ values: [Double?], span: Int) -> [Double?] {
    let alpha = 2 / (Double(span) + 1)
    var average = 0.0
    var weight = 0.0
    return values.map { v in
      guard let v, v.isFinite else { return nil }
      average = (1 - alpha) * average + alpha * v
      weight = (1 - alpha) * weight + alpha
      return average / weight
    }
  }

  public var lossChart: LineChart {
    let points = record.steps.map { (x: Double($0.step), y: $0.loss ?? .nan) }
    let span = Self.smoothingSpan(steps: points.count)
    let smooth = Self.ema(points.map { $0.y.isFinite ? $0.y : nil }, span: span)
    return LineChart(
      title: "Training loss", xLabel: "step (optimizer updates)", yLabel: "loss (cross-entropy per pixel)",
      series: [
        LineSeries(name: "train loss (each step)", points: points, colour: "#9ecae1", width: 1.2),
        LineSeries(
          name: "train loss, smoothed (EMA over \(span) steps)",
          points: zip(points, smooth).map { (x: $0.x, y: $1 ?? .nan) }, colour: "#08519c", width: 2.5),
      ])
  }

  public var metricsChart: LineChart {
    let e = record.evaluations
    func series(_ name: String, _ colour: String, _ value: (RunRecord.EvaluationPoint) -> Double?) -> LineSeries {
      LineSeries(
        name: name, points: e.map { (x: Double($0.step), y: (value($0) ?? .nan) * 100) }, colour: colour, width: 2.5,
        markers: true)
    }
    return LineChart(
      title: "Validation metrics", xLabel: "step (optimizer updates)", yLabel: "metric (%)",
      series: [
        series("mIoU", Palette.series(0), \.meanIoU), series("pixel accuracy", Palette.series(1), \.pixelAccuracy),
        series("mean class accuracy", Palette.series(2), \.meanAccuracy),
        series("frequency-weighted IoU", Palette.series(3), \.frequencyWeightedIoU),
      ], yRange: (0, 100, 20), plotHeight: 260)
  }

  /// Up to this many classes the per-class IoU over time is a line chart; beyond, a heatmap.
  public static let maxClassLines = 8

  /// Per-class IoU over time as SVG (line chart or heatmap); nil when the log has none (runs
  /// written before it was logged).
  public func classIoUOverTime(standalone: Bool = true) -> String? {
    let e = record.evaluations.filter { $0.classIoU != nil }
    guard let k = e.map({ $0.classIoU!.count }).max(), k > 0 else { return nil }
    if k <= Self.maxClassLines { return classIoUCurves?.svg(standalone: standalone) }
    return ClassIoUHeatmap(
      classNames: record.classNames, evaluations: e.map { ($0.step, $0.classIoU!) },
      title: "Per-class IoU over training (validation, %)"
    ).svg(standalone: standalone)
  }

  public var classIoUCurves: LineChart? {
    let e = record.evaluations.filter { $0.classIoU != nil }
    guard let k = e.map({ $0.classIoU!.count }).max(), k > 0 else { return nil }
    let names = record.classNames
    let series = (0..<k).map { c in
      LineSeries(
        name: c < names.count ? names[c] : "class \(c)",
        points: e.map { (x: Double($0.step), y: (c < $0.classIoU!.count ? $0.classIoU![c] ?? .nan : .nan) * 100) },
        colour: Palette.classColour(c), width: 2, markers: true)
    }
    return LineChart(
      title: "Per-class IoU over training (validation)", xLabel: "step (optimizer updates)", yLabel: "IoU (%)",
      series: series, yRange: (0, 100, 20), plotHeight: 260)
  }

  public func classIoUBars() throws -> ClassIoUChart? {
    guard let m = try record.latestMetrics() else { return nil }
    return ClassIoUChart(
      classNames: record.classNames, iou: m.perClassIoU, meanIoU: m.meanIoU,
      title: "Per-class IoU (validation\(stepSuffix))")
  }

  public var confusionChart: ConfusionChart? {
    record.snapshot.map {
      ConfusionChart(
        matrix: $0.matrix, classNames: $0.classNames,
        title: "Confusion matrix (validation, step \($0.step)): % of each true class")
    }
  }

  var stepSuffix: String { record.snapshot.map { ", step \($0.step)" } ?? "" }

  /// plots/*.svg: the charts as files of their own.
  public func writePlots(to folder: URL) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var files: [(String, String)] = [("loss.svg", lossChart.svg()), ("metrics.svg", metricsChart.svg())]
    if let c = classIoUOverTime() { files.append(("class_iou_curves.svg", c)) }
    if let b = try classIoUBars() { files.append(("class_iou.svg", b.svg())) }
    if let c = confusionChart { files.append(("confusion.svg", c.svg())) }
    for (name, text) in files {
      try Data(text.utf8).write(to: folder.appendingPathComponent(name), options: .atomic)
    }
  }
}
